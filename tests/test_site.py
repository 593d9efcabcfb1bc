"""The built site: offline, searchable in Chinese, and its steppers work in a real Chromium."""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOADS = re.compile(r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(src|href)=[\"']([^\"']+)", re.I)


@pytest.fixture(scope="session")
def site():
    from gosched_book.site import build

    return build(clean=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def chapters() -> list[str]:
    """The book's pages in reading order, from _toc.yml (the notebooks change during the day)."""
    import yaml

    toc = yaml.safe_load((Path(__file__).parents[1] / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


def external(url: str) -> bool:
    return url.startswith(("http:", "https:", "//", "ftp:"))


def test_builds_every_chapter(site):
    pages = sorted(p.name for p in (site / "notebooks").glob("*.html"))
    assert pages == sorted(f"{Path(n).name}.html" for n in chapters())
    assert len(pages) >= 6
    assert (site / "_static" / "stepper.js").exists()


def test_nothing_is_loaded_from_outside(site):
    bad = []
    for page in site.glob("**/*.html"):
        for tag, attr, url in LOADS.findall(page.read_text(encoding="utf-8")):
            if tag.lower() == "link" or attr.lower() == "src":
                if external(url):
                    bad.append((page.name, tag, url))
    for css in site.glob("_static/**/*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8", errors="ignore")):
            if external(url):
                bad.append((css.name, "css", url))
    assert bad == []


def test_static_steppers_are_there_with_a_live_only_note(site):
    html = (site / "notebooks" / "02-mcall.html").read_text(encoding="utf-8")
    assert html.count("data-gsb='1'") >= 4
    assert "只能在 JupyterLab 里用" in html
    assert "widget-state+json" not in html


def open_page(browser, url, requests=None):
    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("html[data-gsb-ready]", timeout=20000)
    return page, errors


def snapshot(stepper):
    return {
        "status": stepper.locator(".gsb-status").inner_text(),
        "done": stepper.locator(".gsb-listing tr.done").all_inner_texts(),
        "changed": stepper.locator(".gsb-regs tr.changed [data-reg]").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-reg'))"),
        "picture": stepper.locator(".gsb-picture").get_attribute("data-step"),
        "src": stepper.locator(".gsb-picture").inner_html(),
    }


def test_stepper_steps_forward_and_back_from_disk(site, browser, tmp_path):
    requests = []
    page, errors = open_page(browser, (site / "notebooks" / "02-mcall.html").as_uri(), requests)
    st = page.locator("[data-gsb]").first
    before = snapshot(st)
    assert before["status"].startswith("第 0 /")
    st.locator(".gsb-next").click()
    st.locator(".gsb-next").click()
    two = snapshot(st)
    st.locator(".gsb-next").click()
    three = snapshot(st)
    page.screenshot(path=str(tmp_path / "mcall-step3.png"), full_page=True)
    assert three["status"].startswith("第 3 /") and "MOVQ" in three["status"]
    assert three["done"] and three["done"] != two["done"]  # the highlighted line moved
    assert three["picture"] == "3" and three["src"] != before["src"]  # g.sched.pc was written
    st.locator(".gsb-next").click()  # LEAQ fn+0(FP), BX
    assert snapshot(st)["changed"] == ["rbx"]
    st.locator(".gsb-prev").click()
    assert snapshot(st) == three
    st.locator(".gsb-prev").click()
    assert snapshot(st) == two
    st.locator(".gsb-last").click()
    end = st.locator(".gsb-end").inner_text()
    assert "已调用 fn(g)" in end
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


def test_arrow_keys_slider_and_url_fragment(site, browser, tmp_path):
    url = (site / "notebooks" / "02-mcall.html").as_uri() + "#mcall:on_g0:5"
    page, errors = open_page(browser, url)
    top = page.locator("[data-gsb]").first
    assert snapshot(top)["status"].startswith("第 0 /")  # the link names the on_g0 stepper, not the top one
    st = page.locator("#gsb-mcall-on_g0")
    assert st.locator(".gsb-select").input_value() == "mcall:on_g0"
    assert snapshot(st)["status"].startswith("第 5 /")
    st.locator(".gsb-next").focus()
    page.keyboard.press("ArrowRight")
    assert snapshot(st)["status"].startswith("第 6 /")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert snapshot(st)["status"].startswith("第 4 /")
    assert page.evaluate("location.hash") == "#mcall:on_g0:4"
    st.locator(".gsb-range").fill("2")
    assert snapshot(st)["status"].startswith("第 2 /")
    st.locator(".gsb-last").click()
    assert "badmcall" in st.locator(".gsb-end").inner_text()
    for label in ("首步", "上一步", "下一步", "末步", "播放", "步骤", "选择场景"):
        assert st.get_by_label(label).count() == 1, label
    page.screenshot(path=str(tmp_path / "mcall-on-g0.png"), full_page=True)
    assert errors == []


def test_scenario_selector_switches_presets(site, browser):
    page, errors = open_page(browser, (site / "notebooks" / "04-gogo.html").as_uri())
    st = page.locator("[data-gsb]").first
    options = st.locator(".gsb-select option").all_inner_texts()
    assert any("nil_g" in o for o in options)
    st.locator(".gsb-select").select_option(label=next(o for o in options if "nil_g" in o))
    st.locator(".gsb-last").click()
    end = st.locator(".gsb-end")
    assert "fault" in end.get_attribute("class") and "0x0" in end.inner_text()
    assert errors == []


def test_served_over_http(site, browser):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/notebooks/05-roundtrip.html"
        requests = []
        page, errors = open_page(browser, url, requests)
        st = page.locator("[data-gsb]").first
        st.locator(".gsb-last").click()
        assert "CALL runtime·mcall" in st.locator(".gsb-end").inner_text()
        assert errors == []
        assert all(u.startswith(("http://127.0.0.1", "data:")) for u in requests), requests
    finally:
        server.shutdown()


def test_chinese_search_finds_a_chapter(site, browser):
    page = browser.new_page()
    page.goto((site / "search.html").as_uri() + "?q=" + "溢出")
    page.wait_for_selector("#search-results li, ul.search li", timeout=20000)
    results = page.locator("#search-results").inner_text()
    assert "mcall" in results


def test_build_fails_on_an_execution_error(tmp_path):
    import nbformat

    from gosched_book.site import build

    root = tmp_path / "book"
    (root / "notebooks").mkdir(parents=True)
    config = (Path(__file__).parents[1] / "book.yml").read_text(encoding="utf-8")
    (root / "book.yml").write_text(config.replace("gosched_book/views/static", "."), encoding="utf-8")
    (root / "_toc.yml").write_text("format: jb-book\nroot: notebooks/broken\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 坏掉的一章"), nbformat.v4.new_code_cell("1 / 0")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "broken.ipynb")
    with pytest.raises(SystemExit, match="book build failed"):
        build(clean=True, root=root)
    assert "ZeroDivisionError" in (root / "_build" / "build.log").read_text(encoding="utf-8")


def test_custom_scenario_has_its_own_key_and_title(site, browser):
    uri = (site / "notebooks" / "02-mcall.html").as_uri()
    page, errors = open_page(browser, uri)
    keys = page.evaluate("gsbSteppers.map(s => s.keys0)")
    custom = [k for k in keys if "+entry_sp=" in k]
    assert len(custom) == 1
    page2, errors2 = open_page(browser, f"{uri}#{custom[0]}:1")
    st = page2.locator("[data-gsb]").nth(keys.index(custom[0]))
    assert st.locator(".gsb-status").inner_text().startswith("第 1 /")
    assert "已修改" in st.locator(".gsb-title").inner_text()
    st.locator(".gsb-last").click()
    assert "fault" in st.locator(".gsb-end").get_attribute("class")
    assert errors == [] and errors2 == []


def test_exercise_answer_link_opens_its_step(site, browser):
    from gosched_book import exercises

    ex = exercises.get("ss_no_r14")  # the answer links to the patched run's stepper
    key, step = ex.link
    page, errors = open_page(browser, (site / "notebooks" / "03-systemstack.html").as_uri())
    box = page.locator(".gsb-exercise", has_text="MOVQ DX, R14").first
    box.locator("summary").click()
    box.locator(f"a[href='#{key}:{step}']").click()
    keys = page.evaluate("gsbSteppers.map(s => s.keys0)")
    st = page.locator("[data-gsb]").nth(keys.index(key))
    page.wait_for_function("n => location.hash.endsWith(':' + n)", arg=step)
    assert st.locator(".gsb-status").inner_text().startswith(f"第 {step} /")
    assert "MOVQ R14, 8(SP)" in " ".join(st.locator(".gsb-status").inner_text().split())
    assert errors == []


def _regs(st):
    return st.locator(".gsb-regs").inner_text()


def test_what_if_controls_change_the_run_restore_and_link(site, browser, tmp_path):
    """Issue 11: a register control and a patch on the static page are real runs; a link reopens them."""
    page, errors = open_page(browser, (site / "notebooks" / "03-systemstack.html").as_uri())
    sid = page.evaluate("GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0].root.id")
    st = page.locator(f"#{sid}")
    st.locator(".gsb-whatif summary").click()
    assert st.locator(".gsb-liveonly").count() >= 1  # raw values: one line saying they are live-only
    st.locator(".gsb-next").click()
    st.locator(".gsb-next").click()
    before = snapshot(st) | {"regs": _regs(st), "n": st.locator(".gsb-range").get_attribute("max")}
    # A register at entry: RSP = a stale address deep in g's stack.
    rsp = st.locator("select[data-ctl=rsp]")
    rsp.select_option(label="stale")
    key = page.evaluate(f"GoschedStepper.get(document.getElementById('{sid}')).key")
    assert key == "systemstack:normal+rsp=stale"
    moved = snapshot(st) | {"regs": _regs(st)}
    assert moved["status"].startswith("第 2 /")  # the same step of the other run
    assert moved["regs"] != before["regs"] and moved["src"] != before["src"]
    assert "stale" in st.locator(".gsb-whatif-note").inner_text()
    st.locator(".gsb-last").click()
    end_moved = st.locator(".gsb-end").inner_text()
    # Restore: back to exactly the base run.
    rsp.select_option(index=0)
    st.locator(".gsb-first").click()
    st.locator(".gsb-next").click()
    st.locator(".gsb-next").click()
    assert snapshot(st) | {"regs": _regs(st), "n": st.locator(".gsb-range").get_attribute("max")} == before
    st.locator(".gsb-last").click()
    assert st.locator(".gsb-end").inner_text() != end_moved
    # A chapter patch: systemstack without MOVQ DX, R14; the trace is shorter, the line marked.
    patch = st.locator("select[data-ctl=patch]")
    patch.select_option(label="不设置 R14 = g0")
    assert int(st.locator(".gsb-range").get_attribute("max")) == int(before["n"]) - 1
    assert "R14 仍是 g" in st.locator(".gsb-end").inner_text()  # the comparison with the unpatched run
    line = int(re.search(r"systemstack\.s:(\d+)", patch.locator("xpath=..").inner_text() + " "
                         + st.locator(".gsb-end").inner_text()).group(1))
    k = page.evaluate(f"(() => {{ const s = GoschedStepper.get(document.getElementById('{sid}'));"
                      f"return s.s.trace.steps.findIndex(x => x.file === 'systemstack.s' && x.line > {line}); }})()")
    assert k >= 0
    st.locator(".gsb-range").fill(str(k + 1))
    assert st.locator(".gsb-listing tr.patched").count() == 1  # the deleted line, marked
    page.screenshot(path=str(tmp_path / "whatif-patch.png"), full_page=False)
    patch.select_option(index=0)
    assert st.locator(".gsb-range").get_attribute("max") == before["n"]
    # A link with control values reopens the same state.
    rsp.select_option(label="stale")
    st.locator(".gsb-range").fill("3")
    state = snapshot(st) | {"regs": _regs(st)}
    url = page.evaluate("location.href")
    assert "rsp=stale" in url and url.endswith(":3")
    again, errors2 = open_page(browser, url)
    st2 = again.locator(f"#{sid}")
    assert snapshot(st2) | {"regs": _regs(st2)} == state
    assert st2.locator("select[data-ctl=rsp]").evaluate("s => s.options[s.selectedIndex].text") == "stale"
    assert errors == [] and errors2 == []
