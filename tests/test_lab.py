"""In a real JupyterLab, a chapter cell gives the live widget stepper, not the static one."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[1]
TOKEN = "gosched-book-test"
FIT_NOTEBOOK = "one-stepper.ipynb"  # one live stepper; its scenario menu reaches every preset
ONE_STEPPER = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                          "source": ["from gosched_book import show\n", "show(\"mcall\")"]}],
               "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
               "nbformat": 4, "nbformat_minor": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")  # the lab may save into its copy
    (work / "notebooks" / FIT_NOTEBOOK).write_text(json.dumps(ONE_STEPPER))
    # Lab's "official Jupyter news?" toast would cover the stepper's corner (as scripts/lab.py says).
    quiet = work / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    quiet.parent.mkdir(parents=True)
    quiet.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={work / 'notebooks'}", "--allow-root",
         "--LabApp.news_url=", "--ServerApp.open_browser=False",
         f"--LabApp.user_settings_dir={work / 'settings'}",
         f"--LabApp.workspaces_dir={work / 'workspaces'}"],  # never restore tabs from an earlier run
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start: " + (work / "lab.log").read_text()[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for_idle_kernel(url: str, notebook: str, timeout: float = 90) -> None:
    """Until this notebook's kernel is up and idle (asked through the server's REST API)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with urllib.request.urlopen(f"{url}/api/sessions?token={TOKEN}", timeout=5) as r:
            sessions = json.load(r)
        mine = [x for x in sessions if x.get("path", "").endswith(notebook)]
        if mine and mine[0]["kernel"]["execution_state"] == "idle":
            time.sleep(2)  # let the page's kernel connection settle
            return
        time.sleep(0.5)
    pytest.fail("the kernel never became idle")


def test_live_stepper_in_jupyterlab(lab, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{lab}/lab/tree/02-mcall.ipynb?reset&token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook", timeout=90000)
    wait_for_idle_kernel(lab, "02-mcall.ipynb")
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("div.lm-Menu-itemLabel:text-is('Run All Cells')")
    next_button = page.locator("button:has-text('下一步')").first
    try:
        next_button.wait_for(timeout=120000)
    except Exception:
        page.screenshot(path=str(tmp_path / "jupyterlab-timeout.png"))
        raise
    assert page.locator("[data-gsb]").count() == 0  # the widget view won, not the static HTML
    page.wait_for_function("document.querySelector('.gsb-status') && "
                           "document.querySelector('.gsb-status').textContent.includes('第 0 /')",
                           timeout=30000)
    for _ in range(4):
        next_button.click()
    page.wait_for_function("document.querySelector('.gsb-status').textContent.includes('第 4 /')",
                           timeout=10000)
    # LEAQ fn+0(FP), BX: the register table marks rbx as changed, with old -> new.
    changed = page.evaluate("Array.from(document.querySelector('.gsb-regs').querySelectorAll("
                            "'tr.changed td:first-child')).map(td => td.textContent)")
    assert changed == ["rbx"]
    page.locator(".widget-dropdown select").first.select_option(label=next(
        o for o in page.locator(".widget-dropdown select").first.locator("option").all_inner_texts() if "on_g0" in o))
    # a new preset rebuilds its ~40 what-if controls (controls.py probes what the routine reads)
    page.wait_for_function("document.querySelector('.gsb-status').textContent.includes('第 0 /')",
                           timeout=30000)
    page.locator("button:has-text('末步')").first.click()
    page.wait_for_function("document.querySelector('.gsb-end').textContent.includes('badmcall')",
                           timeout=10000)
    page.screenshot(path=str(tmp_path / "jupyterlab-mcall.png"))
    page.close()


OVERLAPS_JS = """() => {
  const r = e => e.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const out = [];
  for (const box of document.querySelectorAll('.gsb-listing-box')) {
    const row = box.closest('.gsb-main');  // the listing's column and the registers' column
    const listing = box.querySelector('.gsb-listing'), regs = row.querySelector('.gsb-regs');
    if (!listing || !regs) continue;
    const L = r(listing), R = r(regs), B = r(box), RB = r(row.querySelector('.gsb-regs-box'));
    out.push({overlap: hit(L, R), listingInsideBox: L.right <= B.right + 1,
              regsInsideBox: R.right <= RB.right + 1 && RB.right <= r(row).right + 1,
              regsWidth: R.width, listingWidth: L.width});
  }
  return out;
}"""


def test_live_stepper_panels_do_not_overlap_at_laptop_widths(lab, browser, tmp_path):
    """Issue 10 item 5: at 1280×800 with Lab's default side panel, listing and registers never overlap."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{lab}/lab/tree/03-systemstack.ipynb?reset&token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook", timeout=90000)
    assert page.locator(".jp-SideBar .lm-TabBar-tab.lm-mod-current").count() >= 1  # a side panel is open
    wait_for_idle_kernel(lab, "03-systemstack.ipynb")
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("div.lm-Menu-itemLabel:text-is('Run All Cells')")
    page.locator(".gsb-regs").first.wait_for(timeout=120000)
    page.wait_for_timeout(3000)
    for width in (1280, 1024, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(800)
        page.evaluate("document.querySelector('.gsb-status').scrollIntoView({block: 'start'})")
        found = page.evaluate(OVERLAPS_JS)
        page.locator(".gsb-listing-box").first.locator("xpath=..").screenshot(
            path=str(tmp_path / f"lab-{width}.png"))
        assert found, "no live stepper rendered"
        for f in found:
            assert not f["overlap"], (width, f)
            assert f["listingInsideBox"] and f["regsInsideBox"], (width, f)
            assert f["regsWidth"] > 200 and f["listingWidth"] > 300, (width, f)
    page.close()


def open_one_stepper(lab, browser, width: int, theme: str = "light"):
    """The one-stepper notebook at width×800, with Lab's file browser open, run; the page."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{lab}/lab/tree/{FIT_NOTEBOOK}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook", timeout=90000)
    browser_width = page.evaluate("(document.querySelector('#filebrowser') || {}).offsetWidth || 0")
    assert browser_width > 150, "the file browser is not open"
    wait_for_idle_kernel(lab, FIT_NOTEBOOK)
    if theme == "dark":
        page.click("div.lm-MenuBar-itemLabel:text-is('Settings')")
        page.hover("div.lm-Menu-itemLabel:text-is('Theme')")
        page.click("div.lm-Menu-itemLabel:text-is('JupyterLab Dark')")
        page.wait_for_selector("body[data-jp-theme-light='false']", timeout=10000)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("div.lm-Menu-itemLabel:text-is('Run All Cells')")
    page.locator(".gsb-live button:has-text('下一步')").first.wait_for(timeout=120000)
    wait_status(page, 0)
    return page


def wait_status(page, k: int, timeout: float = 30000) -> None:
    page.wait_for_function(f"(document.querySelector('.gsb-live .gsb-status') || {{}}).textContent"
                           f"?.startsWith('第 {k} /')", timeout=timeout)


# Where the parts are, against what the notebook shows (its scroll box inside the 1280×800 window).
PARTS_JS = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
          || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const v = nb.getBoundingClientRect();
  const top = Math.max(0, v.top), bottom = Math.min(innerHeight, v.bottom);
  const left = Math.max(0, v.left), right = Math.min(innerWidth, v.right);
  const root = document.querySelector('.gsb-live');
  const inside = e => { const r = e.getBoundingClientRect();
    return r.height > 0 && r.top >= top - 1 && r.bottom <= bottom + 1 && r.left >= left - 1 && r.right <= right + 1; };
  const buttons = ['首步', '上一步', '下一步', '末步'].map(t =>
    Array.from(root.querySelectorAll('button')).find(b => b.textContent.includes(t)));
  const parts = {buttons, controls: Array.from(root.querySelectorAll("[data-part='controls']")),
                 'current-line': Array.from(root.querySelectorAll("[data-part='current-line']")),
                 // a changed register's name and value (old → new); 指向 may scroll sideways in its box
                 'changed-reg': Array.from(root.querySelectorAll("[data-part='changed-reg']"))
                                  .flatMap(tr => Array.from(tr.cells).slice(0, 2).filter(td => td.colSpan === 1)),
                 sp: Array.from(root.querySelectorAll("[data-part='sp']"))};
  const out = {status: root.querySelector('.gsb-status').textContent, missing: [], outside: []};
  for (const [name, es] of Object.entries(parts)) {
    if (!es.length || es.some(e => !e)) { if (name !== 'changed-reg') out.missing.push(name); continue; }
    es.forEach(e => { if (!inside(e)) { const r = e.getBoundingClientRect();
      out.outside.push([name, Math.round(r.top), Math.round(r.bottom), Math.round(r.left), Math.round(r.right)]); } });
  }
  // The smallest text the stepper draws (HTML text and the picture's SVG text).
  let small = 99;
  for (const e of root.querySelectorAll('*')) {
    if (!e.getClientRects().length) continue;
    const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (own) small = Math.min(small, parseFloat(getComputedStyle(e).fontSize));
  }
  out.smallest = small;
  return out;
}"""

# GOSCHED_BOOK_LAB_FIT=short: the three routines of the book (every preset) and a long one with three stacks.
FIT_SCENARIOS = ["mcall", "systemstack", "gogo", ("schedule", "switch")]


def fit_scenarios() -> list[tuple[str, str]]:
    """Every preset of every routine (~1,600 steps, about four minutes); with
    GOSCHED_BOOK_LAB_FIT=short only FIT_SCENARIOS (~380 steps), for a quick run by hand."""
    from gosched_book.scenario.family import PRESETS

    if os.environ.get("GOSCHED_BOOK_LAB_FIT") != "short":
        return [(r, p) for r in PRESETS for p in PRESETS[r]]
    out = []
    for s in FIT_SCENARIOS:
        out += [s] if isinstance(s, tuple) else [(s, p) for p in PRESETS[s]]
    return out


def test_live_stepper_fits_one_screen_at_1280_with_the_file_browser(lab, browser, tmp_path):
    """Issue 22 (Lab): at 1280×800 with the file browser open, at every step of every preset of every
    routine (fit_scenarios), the step buttons, the current line, the changed register rows (name and
    value) and SP in the picture are all inside the notebook's view, without scrolling while stepping;
    no text is smaller than 11 px."""
    page = open_one_stepper(lab, browser, 1280)
    from gosched_book.views.stepper import _scenario_options

    menu = page.locator(".gsb-live .widget-dropdown select").first
    at = {v: i for i, (_, v) in enumerate(_scenario_options())}  # the menu's order
    assert menu.locator("option").count() == len(at)
    bad, seen, lost = [], 0, []
    for routine, preset in fit_scenarios():
        if menu.evaluate("s => s.selectedIndex") != at[routine, preset]:
            menu.select_option(index=at[routine, preset])
            page.wait_for_function("s => document.querySelector('.gsb-live .gsb-title').textContent"
                                   ".includes('场景 ' + s + '：')", arg=preset, timeout=30000)
        wait_status(page, 0)
        page.locator(".gsb-live button:has-text('首步')").first.click()
        wait_status(page, 0)
        # The reader puts the stepper's buttons at the top of the notebook once, then only steps.
        page.evaluate("document.querySelector('.gsb-live .gsb-main').scrollIntoView({block: 'start'})")
        n = int(page.evaluate("document.querySelector('.gsb-live .gsb-status').textContent")
                .split("/")[1].split("步")[0])
        for k in range(n + 1):
            if k:
                page.locator(".gsb-live button:has-text('下一步')").first.click()
                try:
                    wait_status(page, k, timeout=15000)
                except Exception:  # seen rarely: the slider moved but the status kept the last step
                    lost.append((routine, preset, k))
                    page.screenshot(path=str(tmp_path / f"lab-lost-{routine}-{preset}-{k}.png"))
                    assert sum(1 for x in lost if x[0] == routine) <= 3, lost
                    page.locator(".gsb-live button:has-text('上一步')").first.click()
                    wait_status(page, k - 1)
                    page.locator(".gsb-live button:has-text('下一步')").first.click()
                    wait_status(page, k)
            got = page.evaluate(PARTS_JS)
            seen += 1
            if got["missing"] or got["outside"] or got["smallest"] < 11:
                bad.append((routine, preset, k, got))
                if len(bad) == 1:
                    page.screenshot(path=str(tmp_path / f"lab-fit-{routine}-{preset}-{k}.png"))
    page.close()
    assert seen > (1500 if os.environ.get("GOSCHED_BOOK_LAB_FIT") != "short" else 300)
    assert not bad, f"{len(bad)} of {seen} steps: " + repr(bad[:5])


BYTES_JS = """() => {
  const out = [];
  for (const box of document.querySelectorAll('.gsb-live .gsb-listing')) {
    const B = box.getBoundingClientRect();
    out.push({text: 'box', sideways: box.scrollWidth - box.clientWidth});
    for (const td of box.querySelectorAll('td.by')) {
      if (!td.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(td);
      const rects = Array.from(range.getClientRects());
      const right = Math.max(...rects.map(r => r.right)), bottom = Math.max(...rects.map(r => r.bottom));
      out.push({text: td.textContent, cut: td.scrollWidth - td.clientWidth,
                outside: Math.max(0, right - B.right + 1, bottom - B.bottom + 1)});
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_live_listing_bytes_are_whole(lab, browser, width):
    """Issue 21 item 11: the listing's bytes column is never cut at the box edge (at 1920 LEAQ showed
    only "48 8d 5c 24"): every byte of every row is drawn inside the listing's box, with no hidden
    sideways overflow."""
    page = open_one_stepper(lab, browser, width)
    for k in range(1, 5):  # to LEAQ fn+0(FP), BX
        page.locator(".gsb-live button:has-text('下一步')").first.click()
        wait_status(page, k)
    got = page.evaluate(BYTES_JS)
    page.close()
    cells = [c for c in got if c["text"] != "box"]
    assert any(c["text"] == "48 8d 5c 24 08" for c in cells), cells  # LEAQ's five bytes, read whole
    assert all(c["sideways"] <= 0 for c in got if c["text"] == "box"), got
    assert all(c["cut"] <= 0 and c["outside"] <= 0 for c in cells), [c for c in cells if c["cut"] > 0 or c["outside"] > 0]
