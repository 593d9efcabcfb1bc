"""In a real JupyterLab, a chapter cell gives the live widget stepper, not the static one."""
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")  # the lab may save into its copy
    port = free_port()
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={work / 'notebooks'}", "--allow-root",
         "--LabApp.news_url=", "--ServerApp.open_browser=False",
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
    import json

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
    const row = box.parentElement;
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
