"""The built site: offline, searchable in Chinese, and its steppers work in a real Chromium."""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LOADS = re.compile(r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(src|href)=[\"']([^\"']+)", re.I)


@pytest.fixture(scope="session")
def site():
    """The site, built clean; GOSCHED_BOOK_BUILT_SITE names one already built from this tree instead
    (for a focused run on a shared machine: a build takes minutes)."""
    import os

    from gosched_book.site import build

    built = os.environ.get("GOSCHED_BOOK_BUILT_SITE")
    return Path(built) if built else build(clean=True)


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


def test_no_page_fetches_the_icon_font(site, browser):
    """Icons are inline SVG without the classes that give them a ::before glyph: one glyph would make
    the browser fetch fa-solid-900.woff2 (156 KB, half a chapter's first load). They still draw."""
    css = (site / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    assert ".fa-sun" not in css and not re.search(r'\.fa-[a-z0-9-]+:before\{content:"\\f', css)  # 1,800 rules gone
    assert ".bd-sidebar-primary" in css  # the theme's own rules stay
    for name in ("01-intro.html", "13-preemption.html"):
        requests = []
        page, errors = open_page(browser, (site / "notebooks" / name).as_uri(), requests)
        assert not [u for u in requests if "/webfonts/" in u or u.endswith((".woff2", ".ttf"))], name
        drawn = page.evaluate("""() => [...document.querySelectorAll('svg.svg-inline--fa')]
          .filter(s => s.getBoundingClientRect().width > 0).length""")
        assert drawn >= 3 and page.locator("i.fa-solid, span.fa-solid").count() == 0
        assert errors == []
        page.close()


def test_only_the_search_page_loads_the_search_index(site):
    """The theme loads searchtools.js and the whole index on every page for search-as-you-type (off
    here: the search box opens search.html); chapters leave them out, the search page keeps them."""
    for page in (site / "notebooks").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "searchindex.js" not in html and "searchtools.js" not in html, page.name
    search = (site / "search.html").read_text(encoding="utf-8")
    assert "searchindex.js" in search and "searchtools.js" in search


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


@pytest.mark.parametrize("query", ["TLS", "tls", "栈", "调度器", "gobuf_sp", "morestack"])
def test_search_finds_the_books_words(site, browser, query):
    """Issue 22: "TLS" and "tls" were stemmed to "tl", which the Chinese index never holds."""
    import urllib.parse

    page = browser.new_page()
    page.goto((site / "search.html").as_uri() + "?q=" + urllib.parse.quote(query))
    page.wait_for_selector("#search-results li", timeout=20000)
    assert page.locator("#search-results li").count() >= 2
    page.close()


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
    title = st.locator(".gsb-title").inner_text()
    assert "（已改：入口 SP = 0x" in title and "entry_sp" not in title  # the control's Chinese name
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


CHANGE_ONE = """async () => {
  const st = GoschedStepper.all.find(s => s.runsUrls.length > 1);
  const d = st.root.querySelector('.gsb-whatif');
  d.open = true;
  const input = d.querySelector('input[type=range][data-ctl]') || d.querySelector('[data-ctl]');
  const c = st.data.controls[st.keys0].controls.find(c => c.name === input.getAttribute('data-ctl'));
  const j = c.values.findIndex(v => !st.data.scenarios[v[2]]);
  const key = c.values[j][2];
  const loading = st.root.querySelector('.gsb-status').textContent;
  input.value = String(j);
  input.dispatchEvent(new Event(c.kind === 'slider' ? 'input' : 'change'));
  const said = st.root.querySelector('.gsb-status').textContent;
  await st.runs(key);
  await new Promise(r => requestAnimationFrame(r));
  return {key, shown: st.key, url: st.chunkOf(key), n: st.runsUrls.length, loading, said,
          end: d.querySelector('[data-part=end]').textContent};
}"""


def test_a_what_if_change_fetches_only_the_script_holding_its_run(site, browser):
    """Issue 22: opening 改一改 fetches nothing; moving a control fetches the one runs script that
    holds its run (the page data says which), from file:// too, and the run is drawn."""
    requests = []
    page, errors = open_page(browser, (site / "notebooks" / "12-signals.html").as_uri(), requests)
    assert [u for u in requests if "/gsb-runs/" in u] == []  # the first load carries no what-if run
    got = page.evaluate(CHANGE_ONE)
    fetched = [u for u in requests if "/gsb-runs/" in u]
    assert got["n"] > 1 and len(fetched) == 1 and fetched[0].endswith(got["url"].split("/")[-1])
    assert got["shown"] == got["key"] and "正在载入" in got["said"] and got["end"].startswith("这次运行的结局")
    assert errors == []
    page.close()


def test_what_if_controls_change_the_run_restore_and_link(site, browser, tmp_path):
    """Issue 11: a register control and a patch on the static page are real runs; a link reopens them."""
    page, errors = open_page(browser, (site / "notebooks" / "03-systemstack.html").as_uri())
    sid = page.evaluate("GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0].root.id")
    st = page.locator(f"#{sid}")
    st.locator(".gsb-whatif summary").click()
    st.evaluate("el => GoschedStepper.get(el).runs()")  # its what-if runs arrive on opening
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
    # The link names a what-if run: its runs script loads first (status "正在载入…"), then the step.
    again.wait_for_function("id => !document.getElementById(id).querySelector('.gsb-status')"
                            ".textContent.startsWith('正在载入')", arg=sid, timeout=30000)
    assert snapshot(st2) | {"regs": _regs(st2)} == state
    assert st2.locator("select[data-ctl=rsp]").evaluate("s => s.options[s.selectedIndex].text") == "stale"
    assert errors == [] and errors2 == []


# --- every chapter, phone and desktop, light and dark ------------------------------------------

AXE = Path(__file__).parents[1] / ".cache" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parents[1] / "_build" / "screenshots"
# axe findings in markup the theme owns and we cannot change (rule id -> selector fragments):
THEME_OWNED = {"region": ("sidebar-primary-item", "bd-sidebar", "navbar")}
MIN_PICTURE_PX = 11


@pytest.fixture(scope="session")
def axe_js():
    if not AXE.exists():
        import subprocess

        subprocess.run(["sh", str(Path(__file__).parents[1] / "scripts" / "fetch-axe.sh")], check=True)
    return AXE.read_text(encoding="utf-8")


def themed_page(browser, url, width, theme):
    ctx = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 800},
                              color_scheme=theme)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.wait_for_selector("html[data-gsb-ready]", timeout=30000)
    return ctx, page, errors


# Rendered size of every picture text drawn (a phone shows one stack at a time: hidden ones are not drawn).
PICTURE_SIZES = """() => [...document.querySelectorAll('.gsb-picture text')].filter(t =>
  t.ownerSVGElement.getBoundingClientRect().width > 0).map(t => {
  const svg = t.ownerSVGElement, box = svg.getBoundingClientRect();
  return parseFloat(getComputedStyle(t).fontSize) * box.width / svg.width.baseVal.value; })"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("chapter", chapters())
def test_chapter_reads_at_every_width_and_theme(site, browser, axe_js, chapter, width, theme):
    url = (site / f"{chapter}.html").as_uri()
    ctx, page, errors = themed_page(browser, url, width, theme)
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        assert errors == []  # e.g. no "Got invalid theme mode"
        sw, cw = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sw <= cw, f"{chapter} scrolls sideways at {width}px: {sw} > {cw}"
        sizes = page.evaluate(PICTURE_SIZES)
        if page.locator("[data-gsb]").count():
            assert sizes and min(sizes) >= MIN_PICTURE_PX, min(sizes or [0])
        page.add_script_tag(content=axe_js)
        found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => [v.id, v.nodes.map(n => n.target.join(' ') + ' ' + n.html.slice(0, 80))])""")
        ours = [(rule, [n for n in nodes if not any(s in n for s in THEME_OWNED.get(rule, ()))])
                for rule, nodes in found]
        assert [(rule, nodes) for rule, nodes in ours if nodes] == []
        first = page.locator("[data-gsb]").first
        if first.count():
            first.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{Path(chapter).name}-{width}-{theme}.png"))
    finally:
        ctx.close()


def test_step_links_open_the_stepper_they_name(site, browser):
    base = (site / "notebooks" / "02-mcall.html").as_uri()
    ctx, page, errors = themed_page(browser, base + "#gsb-mcall-normal/mcall:fn_returns:3", 1280, "light")
    top = page.locator("#gsb-mcall-normal")
    assert top.locator(".gsb-select").input_value() == "mcall:fn_returns"
    assert top.locator(".gsb-status").inner_text().startswith("第 3 /")
    top.locator(".gsb-next").click()
    assert page.evaluate("location.hash") == "#gsb-mcall-normal/mcall:fn_returns:4"
    # An in-page link to another stepper's own scenario opens that stepper.
    page.evaluate("location.hash = '#mcall:on_g0:2'")
    page.wait_for_function("document.querySelector('#gsb-mcall-on_g0 .gsb-status').textContent.startsWith('第 2 /')")
    assert top.locator(".gsb-select").input_value() == "mcall:fn_returns"
    assert errors == []
    ctx.close()


@pytest.mark.parametrize("fragment", ["#" + ":" * 100000, "#%E0%A4%A", "#mcall:on_g0:99999999",
                                      "#nosuch/mcall:on_g0:x", "#" + "a:" * 3000 + "1"])
def test_bad_fragments_never_throw_and_the_page_is_ready(site, browser, fragment):
    import time

    t0 = time.perf_counter()
    ctx, page, errors = themed_page(browser, (site / "notebooks" / "02-mcall.html").as_uri() + fragment,
                                    1280, "light")
    assert time.perf_counter() - t0 < 10
    assert errors == []
    assert page.locator("[data-gsb] .gsb-status").first.inner_text().startswith("第 ")
    assert page.evaluate("GoschedStepper.parseFragment(location.hash)") is None or "99999999" in fragment
    ctx.close()


def test_listing_scrolls_with_arrow_keys_and_play_stops_on_prev(site, browser):
    ctx, page, errors = themed_page(browser, (site / "notebooks" / "02-mcall.html").as_uri(), 390, "light")
    st = page.locator("[data-gsb]").first
    box = st.locator(".gsb-listing")
    box.focus()
    before = st.locator(".gsb-status").inner_text()
    x0 = box.evaluate("e => e.scrollLeft")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    # scrolled (smooth scrolling may still be under way on a busy machine), did not step
    page.wait_for_function("([e, x]) => e.scrollLeft > x", arg=[box.element_handle(), x0], timeout=10000)
    assert st.locator(".gsb-status").inner_text() == before
    family = box.evaluate("e => getComputedStyle(e.querySelector('td:nth-child(3)')).fontFamily")
    assert "Mono" in family and "WenQuanYi" in family
    st.locator(".gsb-play").click()
    page.wait_for_function("document.querySelector('[data-gsb] .gsb-status').textContent.startsWith('第 2 /')")
    st.locator(".gsb-prev").click()
    k = st.locator(".gsb-status").inner_text()
    page.wait_for_timeout(1600)
    assert st.locator(".gsb-status").inner_text() == k and st.locator(".gsb-play").get_attribute("aria-label") == "播放"
    # the executed row is marked by a sign, not only by colour
    st.locator(".gsb-next").click()
    assert st.locator(".gsb-listing tr.done td.mk").inner_text() == "✔"
    assert errors == []
    ctx.close()


# --- the two renderers agree, and SP is drawn at every step of every preset ---------------------

SVG_ITEMS = """el => [...el.querySelectorAll('svg')].map(svg => [...svg.children].map(c =>
  [c.tagName, Object.fromEntries([...c.attributes].map(a => [a.name, a.value])), c.textContent]))"""


def python_items(svg_text):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(f"<div>{svg_text}</div>")
    ns = "{http://www.w3.org/2000/svg}"
    return [[[c.tag.replace(ns, ""), dict(c.attrib), "".join(c.itertext())] for c in svg]  # = textContent
            for svg in root.iter(ns + "svg")]


def normal(items):
    def num(v):
        try:
            return round(float(v), 1)
        except ValueError:
            return v
    return [[[tag, {k: num(v) if k != "points" else [num(p) for p in v.replace(",", " ").split()]
                    for k, v in attrs.items()}, text] for tag, attrs, text in svg] for svg in items]


def test_browser_svg_matches_the_python_model_at_every_step_of_every_preset(browser, tmp_path):
    from gosched_book import PRESETS, run
    from gosched_book.scenario.scenario import Scenario
    from gosched_book.views import picture
    from gosched_book.views.model import state
    from gosched_book.views.static import merge_page, stepper_html

    static = Path(picture.__file__).with_name("static")
    body = "".join(stepper_html([Scenario(r, p)], all_presets=False) for r in PRESETS for p in PRESETS[r])
    page_html = merge_page(f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>t</title>"
                           f"<link rel='stylesheet' href='stepper.css'><script src='stepper.js'></script></head>"
                           f"<body>{body}</body></html>")
    (tmp_path / "t.html").write_text(page_html, encoding="utf-8")
    for f in ("stepper.js", "stepper.css"):
        shutil.copy(static / f, tmp_path / f)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "t.html").as_uri())
    page.wait_for_selector("html[data-gsb-ready]", timeout=30000)
    roots = page.locator("[data-gsb]")
    checked = 0
    for i, (r, p) in enumerate((r, p) for r in PRESETS for p in PRESETS[r]):
        t = run(r, p)
        st = roots.nth(i)
        for k in range(len(t.steps) + 1):
            page.evaluate("([i, k]) => GoschedStepper.all[i].go(k, true)", [i, k])
            pic = st.locator(".gsb-picture")
            want = picture.build(state(t, k))
            assert pic.get_attribute("aria-label") == want.alt
            got = pic.evaluate(SVG_ITEMS)
            assert normal(got) == normal(python_items(picture.svg(want))), (r, p, k)
            assert pic.locator("polygon.gp-sp").count() == 1 and pic.locator("text.gp-sp").count() == 1, (r, p, k)
            checked += 1
    assert checked > 300 and errors == []
    page.close()


def test_cjk_font_renders_without_tofu(browser):
    """The browser draws the pictures' Chinese glyphs with a real CJK face: tofu boxes all look alike."""
    page = browser.new_page()
    page.set_content("<canvas id=c width=40 height=40></canvas>")
    family = "'DejaVu Sans Mono', 'WenQuanYi Micro Hei Mono', 'WenQuanYi Micro Hei', monospace"
    shapes = page.evaluate("""(family) => ['返', '回', '栈', '槽'].map(ch => {
        const c = document.getElementById('c').getContext('2d');
        c.clearRect(0, 0, 40, 40); c.font = '28px ' + family; c.fillText(ch, 4, 32);
        return Array.from(c.getImageData(0, 0, 40, 40).data.filter((v, i) => i % 4 === 3)).join(','); })""", family)
    assert len(set(shapes)) == 4 and all(s.count("255") > 20 for s in shapes)
    assert page.evaluate("document.fonts.check(\"12px 'WenQuanYi Micro Hei'\", '返回地址')")
    page.close()


def test_first_picture_draws_before_the_page_data_arrives(browser, tmp_path):
    """The first stepper draws from its own small first blob; its other choices, its what-if controls
    and the steppers further down wait for the page data at the end of the page (here held back by
    the server), then work."""
    from gosched_book import PRESETS, run
    from gosched_book.scenario.scenario import Scenario
    from gosched_book.views.model import state
    from gosched_book.views.picture import build as build_picture
    from gosched_book.views.static import PAGE_DATA_ID, merge_page, stepper_html

    static = Path(__file__).parents[1] / "gosched_book" / "views" / "static"
    body = stepper_html([Scenario("gogo", "nil_g")], what_if=True) + "<p>中间</p>" + stepper_html([Scenario("mcall")])
    html = merge_page("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>t</title>"
                      "<link rel='stylesheet' href='stepper.css'><script src='stepper.js'></script>"
                      "<script defer src='controls.js'></script></head><body>" + body + "</body></html>")
    cut = html.index(f"<script type='application/octet-stream' id='{PAGE_DATA_ID}'>")
    head, tail = html[:cut].encode() + b" " * 4096, html[cut:].encode()  # spaces: past any parser buffering
    release = threading.Event()

    class Held(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if not self.path.startswith("/t.html"):
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(head) + len(tail)))
            self.end_headers()
            self.wfile.write(head)
            self.wfile.flush()
            release.wait(30)
            self.wfile.write(tail)

    for f in ("stepper.js", "stepper.css", "controls.js"):
        shutil.copy(static / f, tmp_path / f)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Held, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/t.html", wait_until="commit")
        page.wait_for_selector("[data-gsb] .gsb-picture svg", timeout=20000)
        top = page.locator("[data-gsb]").first
        assert page.evaluate("document.documentElement.hasAttribute('data-gsb-ready')") is False
        assert top.locator(".gsb-status").inner_text().startswith("第 0 /")
        want = build_picture(state(run("gogo", "nil_g"), 0))
        assert top.locator(".gsb-picture").get_attribute("aria-label") == want.alt
        options = top.locator(".gsb-select option").all_inner_texts()
        assert len(options) == len(PRESETS["gogo"]) and "nil_g" in options[0]
        assert "正在载入" in top.locator(".gsb-controls").inner_text()  # its what-if runs are coming
        second = page.locator("[data-gsb]").nth(1)  # further down: it starts from the page data
        assert second.locator(".gsb-controls").inner_text() == "" and second.locator(".gsb-picture svg").count() == 0
        assert "正在载入" in second.locator(".gsb-status").inner_text()
        top.locator(".gsb-next").click()  # its own scenario steps already
        assert top.locator(".gsb-status").inner_text().startswith("第 1 /")
        top.locator(".gsb-select").select_option("gogo:normal")
        assert "正在载入" in top.locator(".gsb-status").inner_text()
        release.set()
        page.wait_for_selector("html[data-gsb-ready]", timeout=20000)
        assert top.locator(".gsb-select").input_value() == "gogo:normal"
        assert top.locator(".gsb-status").inner_text().startswith("第 0 /")
        assert top.locator(".gsb-whatif").count() == 1 and "正在载入" not in top.locator(".gsb-controls").inner_text()
        assert page.evaluate("GoschedStepper.all.every(s => s.full)") and second.locator(".gsb-picture svg").count() > 0
        assert second.locator(".gsb-status").inner_text().startswith("第 0 /")
        assert page.evaluate("GoschedStepper.keys().length") > 100
        assert errors == []
    finally:
        release.set()
        page.close()
        server.shutdown()


FULL_STATE = """el => ({
  status: el.querySelector('.gsb-status').textContent, file: el.querySelector('.gsb-file').textContent,
  title: el.querySelector('.gsb-title').textContent, select: el.querySelector('.gsb-select').value,
  listing: el.querySelector('.gsb-listing').innerHTML, regs: el.querySelector('.gsb-regs').innerHTML,
  writes: el.querySelector('.gsb-writes').innerHTML, end: el.querySelector('.gsb-end').outerHTML,
  picture: el.querySelector('.gsb-picture').outerHTML, range: el.querySelector('.gsb-range').max,
  controls: [...el.querySelectorAll('.gsb-whatif select, .gsb-whatif input')].map(i => i.value + (i.disabled ? 'x' : '')),
  meanings: [...el.querySelectorAll('.gsb-whatif .gsb-meaning, .gsb-whatif output')].map(m => m.textContent)})"""
# (the controls' note is left out: it also says which control the previous change reset)


def test_redraws_reuse_the_page_and_match_a_drawing_from_scratch(site, browser):
    """Part of a redraw is skipped (the listing table, register rows, picture and controls are kept
    when they do not change); after any mix of steps, presets and controls, what is shown equals a
    redraw from nothing, and the registers are the Python run's."""
    import random

    from gosched_book import api, parse_key

    page, errors = open_page(browser, (site / "notebooks" / "03-systemstack.html").as_uri())
    sid = page.evaluate("GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0].root.id")
    st = page.locator(f"#{sid}")
    get = f"GoschedStepper.get(document.getElementById('{sid}'))"
    st.locator(".gsb-whatif summary").click()
    st.evaluate("el => GoschedStepper.get(el).runs()")  # its what-if runs arrive on opening
    st.locator(".gsb-next").click()  # the first redraw from the page data builds its own table
    page.evaluate(f"{get}.ui.listing.querySelector('table').gsbMark = 1")
    st.locator(".gsb-next").click()
    st.locator(".gsb-next").click()
    assert page.evaluate(f"{get}.ui.listing.querySelector('table').gsbMark") == 1  # the same table, marks moved
    assert st.locator(".gsb-listing tr.done").count() == 1 and st.locator(".gsb-listing td.mk:text('✔')").count() == 1
    rnd = random.Random(11)
    controls = st.locator(".gsb-whatif select, .gsb-whatif input[type=range]")
    for i in range(30):
        what = rnd.choice(["step", "step", "control", "preset", "last"])
        if what == "step":
            st.locator(rnd.choice([".gsb-next", ".gsb-prev"])).click()
        elif what == "last":
            st.locator(".gsb-last").click()
        elif what == "preset":
            n = st.locator(".gsb-select option").count()
            st.locator(".gsb-select").select_option(index=rnd.randrange(min(n, 4)))
        else:
            c = controls.nth(rnd.randrange(controls.count()))
            if c.evaluate("e => e.disabled"):
                continue
            if c.evaluate("e => e.tagName") == "SELECT":
                c.select_option(index=rnd.randrange(c.locator("option").count()))
            else:
                c.fill(str(rnd.randrange(int(c.get_attribute("max")) + 1)))
        shown = st.evaluate(FULL_STATE)
        key, k = page.evaluate(f"[{get}.key, {get}.k]")
        page.evaluate(f"""(() => {{ const s = {get};
            s.view = null; s.views = new Map(); s.regRows = null; s.shownPic = null; s.panelCache = {{}};
            s.root.querySelectorAll('*').forEach(n => {{ delete n.gsbText; }});
            if (s.gsbControls) s.gsbControls.synced = null;
            s.render(); }})()""")
        assert st.evaluate(FULL_STATE) == shown, (i, what, key, k)
        regs = page.evaluate(f"{get}.regsAt({get}.k)")
        t = api.run(parse_key(key))
        want = t.initial_regs if k == 0 else t.steps[k - 1].regs
        assert {r: int(v, 16) for r, v in regs.items()} == {r: int(v) for r, v in want.items()}, (key, k)
    assert errors == []


def test_a_second_control_says_the_first_went_back(site, browser):
    """The static page changes one thing per run; moving a second control says the first was reset."""
    page, errors = open_page(browser, (site / "notebooks" / "03-systemstack.html").as_uri())
    sid = page.evaluate("GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0].root.id")
    st = page.locator(f"#{sid}")
    st.locator(".gsb-whatif summary").click()
    st.evaluate("el => GoschedStepper.get(el).runs()")  # its what-if runs arrive on opening
    st.locator("select[data-ctl=rsp]").select_option(label="stale")
    note = st.locator(".gsb-whatif-note")
    assert "已改：" in note.inner_text() and "回到了" not in note.inner_text()
    st.locator("select[data-ctl=patch]").select_option(label="不设置 R14 = g0")
    text = note.inner_text()
    assert "回到了本场景的值" in text and "JupyterLab" in text
    rsp = st.locator("select[data-ctl=rsp]")
    assert rsp.evaluate("s => s.selectedIndex") == page.evaluate(
        f"GoschedStepper.get(document.getElementById('{sid}')).gsbControls.spec.controls"
        ".find(c => c.name === 'rsp').base")
    assert errors == []


# --- the stepper fits one screen: every preset of every chapter, stepped at both sizes and themes ----

FITS = """async () => {
  const vh = innerHeight, top = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--gsb-top')) || 0;
  const bad = [];
  let steps = 0;
  const box = e => e.getBoundingClientRect();
  const shown = e => { const b = box(e); return b.width > 0 && b.height > 0; };
  for (const st of GoschedStepper.all) {
    const q = s => st.root.querySelector(s), select = q('.gsb-select');
    for (const key of st.keys) {
      select.value = key;  // the reader's way: the scenario menu, then 首步 and 下一步
      select.dispatchEvent(new Event('change'));
      const dock = q('[data-part=controls]');
      st.root.scrollIntoView();
      scrollBy(0, box(dock).top - top);  // the dock stuck under the header, as a reader scrolls to it
      q('.gsb-first').click();
      const n = st.n();
      for (let k = 0; k <= n; k++) {
        if (k) q('.gsb-next').click();
        steps++;
        const d = box(dock), where = st.root.id + ' ' + key + ':' + k;
        if (st.key !== key || st.k !== k || !q('.gsb-status').textContent.startsWith('第 ' + k + ' / ' + n + ' 步'))
          { bad.push(where + ' stepped to ' + st.key + ':' + st.k); break; }
        if (d.top < -1 || d.bottom > vh + 1) { bad.push(where + ' controls ' + d.top + '..' + d.bottom); continue; }
        // Visible: inside the viewport, below the dock, and inside its own scroll box.
        const check = (sel, name, clip) => {
          const els = [...st.root.querySelectorAll(sel)].filter(shown);
          if (!els.length && name !== 'changed-reg') bad.push(where + ' no ' + name);
          for (const e of els) {
            const b = box(e), c = clip ? box(e.closest(clip)) : {top: -1e9, bottom: 1e9};
            const t = Math.max(b.top, c.top), bo = Math.min(b.bottom, c.bottom);
            if (t < d.bottom - 1 || bo > vh + 1 || bo - t < Math.min(b.height, 8) - 1)
              bad.push(where + ' ' + name + ' ' + Math.round(b.top) + '..' + Math.round(b.bottom) +
                       ' (dock ends ' + Math.round(d.bottom) + ')');
          }
        };
        check('.gsb-listing [data-part=current-line]', 'current-line', '.gsb-listing');
        check('.gsb-regs [data-part=changed-reg]', 'changed-reg', '.gsb-regs-box');
        check('.gsb-picture [data-part=sp]', 'sp', '.gsb-picture');
        if (k === n) {
          const e = st.root.querySelector('.gsb-dock [data-part=end]'), b = box(e);
          if (!shown(e) || b.top < 0 || b.bottom > vh + 1) bad.push(where + ' end ' + b.top + '..' + b.bottom);
        }
      }
    }
    st.load(st.keys0, 0, true);
  }
  return {steps, bad: bad.slice(0, 12), nbad: bad.length};
}"""

WHATIF_END = """async (i) => {
  const st = GoschedStepper.all[i], details = st.root.querySelector('.gsb-whatif');
  if (!details) return null;
  details.open = true;
  await st.runs();
  const sel = [...details.querySelectorAll('select[data-ctl]')].find(s => s.options.length > 1);
  if (!sel) return null;
  sel.scrollIntoView({block: 'center'});
  sel.value = '1';
  sel.dispatchEvent(new Event('change'));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const e = details.querySelector('[data-part=end]'), b = e.getBoundingClientRect();
  const dock = st.root.querySelector('[data-part=controls]').getBoundingClientRect();
  return {key: st.key, text: e.textContent, top: b.top - Math.max(0, dock.bottom), bottom: b.bottom, vh: innerHeight};
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_buttons_current_line_changed_registers_and_sp_fit_one_screen(site, browser, width, theme):
    """Issue 22: at every step of every preset of every chapter, the dock, the listing's current line,
    the rows of the registers that changed and SP in the picture are on screen together; after a
    what-if change, its ending is on screen where the change was made."""
    steps = 0
    for chapter in chapters():
        ctx, page, errors = themed_page(browser, (site / f"{chapter}.html").as_uri(), width, theme)
        try:
            if not page.locator("[data-gsb]").count():
                continue
            got = page.evaluate(FITS)
            assert got["nbad"] == 0, (chapter, got["bad"])
            steps += got["steps"]
            for i in range(page.locator("[data-gsb]").count()):
                end = page.evaluate(WHATIF_END, i)
                if end is None:
                    continue
                assert end["text"].startswith("这次运行的结局") and "+" in end["key"], (chapter, i, end)
                assert 0 <= end["top"] and end["bottom"] <= end["vh"], (chapter, i, end)
            assert errors == []
        finally:
            ctx.close()
    assert steps > 1000


# --- labels whole, text legible: every chapter at a phone's and a laptop's width ------------------

LEGIBLE = """async () => {
  const art = document.querySelector('.bd-article') || document.body;
  art.querySelectorAll('details').forEach(d => { d.open = true; });
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  const out = {sizes: [], cut: [], split: [], figures: []};
  const label = e => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ? '.' + e.className : '');
  // A cut leaves one "…"; "……" is Chinese prose's own ellipsis (a note continued on the next line).
  const isCut = s => s.endsWith('…') && !s.endsWith('……');
  function look(when) {
    const walker = document.createTreeWalker(art, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const n = walker.currentNode, el = n.parentElement, text = n.textContent.trim();
      if (!text || !el || getComputedStyle(el).visibility !== 'visible') continue;
      const tag = el.tagName.toLowerCase();
      if (el.closest('svg')) {  // a picture's label: its font size times the picture's scale
        if (tag !== 'text' && tag !== 'tspan') continue;
        if (el.ownerSVGElement.getBoundingClientRect().width === 0) continue;
        const m = el.getScreenCTM();
        out.sizes.push([parseFloat(getComputedStyle(el).fontSize) * Math.hypot(m.a, m.b), when + ' svg ' + text]);
        if (isCut(text) && !el.querySelector('title') && !el.hasAttribute('data-full')) out.cut.push(when + ' svg ' + text);
        continue;
      }
      const r = document.createRange();
      r.selectNodeContents(n);
      if (![...r.getClientRects()].some(b => b.width > 0 && b.height > 0)) continue;
      out.sizes.push([parseFloat(getComputedStyle(el).fontSize), when + ' ' + label(el) + ' ' + text.slice(0, 40)]);
      const cell = el.closest('table');
      if (!cell) continue;
      if (isCut(text) && !el.closest('[title]')) out.cut.push(when + ' table ' + text.slice(-40));
      // An identifier (a run of ASCII) on one line: its range has one line box.
      for (const m of n.textContent.matchAll(/[!-~·]{2,}/g)) {
        const t = document.createRange();
        t.setStart(n, m.index);
        t.setEnd(n, m.index + m[0].length);
        const rs = [...t.getClientRects()].filter(b => b.width > 0);
        if (rs.some(b => Math.abs(b.top - rs[0].top) > rs[0].height / 2)) out.split.push(when + ' ' + m[0]);
      }
    }
    // Cut by CSS: an ellipsis, or hidden overflow holding more than it shows, with no title to read it whole.
    art.querySelectorAll('*').forEach(e => {
      if (e.closest('svg') || !e.textContent.trim() || e.getBoundingClientRect().width === 0) return;
      const cs = getComputedStyle(e);
      const hides = v => v === 'hidden' || v === 'clip';
      const more = (hides(cs.overflowX) || cs.textOverflow === 'ellipsis') && e.scrollWidth > e.clientWidth + 1
                   || hides(cs.overflowY) && e.scrollHeight > e.clientHeight + 1;
      if (more && !e.closest('[title]')) out.cut.push(when + ' css ' + label(e) + ' ' + e.textContent.trim().slice(0, 40));
    });
  }
  look('start');
  const steppers = window.GoschedStepper ? GoschedStepper.all : [];
  for (const st of steppers) st.root.querySelector('.gsb-last').click();  // every stepper's last step too
  await frame();
  look('end');
  // Every picture of every step the page holds (other presets, what-if runs): a cut label carries its
  // whole text, which the page shows on hover (<title>) and tap.
  out.cutInData = 0;
  for (const st of steppers) for (const p of st.data.panels || []) for (const it of p[2]) {
    if (it[0] === 'r' || it[0] === 'a' || !isCut(String(it[3]))) continue;
    out.cutInData++;
    if (!it[8] || !String(it[8]).startsWith(String(it[3]).slice(0, -1))) out.cut.push('data ' + it[3]);
  }
  art.querySelectorAll('img').forEach(i => {
    const b = i.getBoundingClientRect();
    if (b.width > 0) out.figures.push({src: i.currentSrc || i.src, width: b.width,
      link: i.closest('a[href]') ? i.closest('a[href]').href : null,
      box: i.closest('.gsb-figure') ? [i.closest('.gsb-figure').scrollWidth, i.closest('.gsb-figure').clientWidth] : null});
  });
  const d = document.documentElement;
  out.sideways = [d.scrollWidth, d.clientWidth];
  return out;
}"""


def figure_glyph_px(svg: Path, shown_width: float) -> float:
    """The smallest glyph of a matplotlib SVG as shown: its text is drawn as paths, each run scaled by
    font size / 100 (in the file's pt units), and the file is drawn shown_width px wide."""
    text = svg.read_text(encoding="utf-8")
    view_w = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) [\d.]+"', text)[1])
    scales = [float(s) for s in re.findall(r"scale\(([\d.]+) -[\d.]+\)", text)]
    assert scales, f"{svg.name}: no text runs found"
    return min(scales) * 100 * shown_width / view_w


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("chapter", chapters())
def test_labels_are_whole_and_text_is_legible(site, browser, chapter, width):
    """Issue 22: no label in a picture or table ends cut ("…") or is clipped by CSS without a way to read
    it whole; no identifier in a table breaks across lines; the smallest text, pictures and figures
    included, is at least 11 px at a phone's width (and at a laptop's)."""
    from urllib.parse import unquote, urlparse

    ctx, page, errors = themed_page(browser, (site / f"{chapter}.html").as_uri(), width, "light")
    try:
        got = page.evaluate(LEGIBLE)
        sizes = got["sizes"]
        assert sizes
        small = sorted(s for s in sizes if s[0] < MIN_PICTURE_PX)
        assert small == [], (chapter, width, len(small), small[:8])
        assert got["cut"] == [], (chapter, width, got["cut"][:8])
        assert got["split"] == [], (chapter, width, len(got["split"]), got["split"][:8])
        sw, cw = got["sideways"]
        assert sw <= cw, f"{chapter} scrolls sideways at {width}px: {sw} > {cw}"
        for f in got["figures"]:
            if not f["src"].endswith(".svg"):
                continue
            svg = Path(unquote(urlparse(f["src"]).path))
            assert figure_glyph_px(svg, f["width"]) >= MIN_PICTURE_PX, (chapter, width, svg.name, f)
            assert f["link"] == f["src"], f  # a tap opens the figure's own file, to zoom
            assert f["box"], f  # in a box of its own, which scrolls where the page is narrower
        assert errors == []
    finally:
        ctx.close()


def test_scheduler_figures_keep_their_size_on_a_phone(site, browser):
    """Chapter 6's figures are not shrunk to the phone's width (358 px, 3.9 px glyphs): they keep their
    own size in a box that scrolls sideways, and the page itself does not."""
    from urllib.parse import unquote, urlparse

    ctx, page, errors = themed_page(browser, (site / "notebooks" / "06-scheduler.html").as_uri(), 390, "light")
    try:
        boxes = page.locator(".gsb-figure")
        assert boxes.count() >= 2
        for i in range(boxes.count()):
            b = boxes.nth(i)
            b.scroll_into_view_if_needed()
            img = b.locator("img")
            img.evaluate("i => i.decode()")
            shown, natural = img.evaluate("i => [i.getBoundingClientRect().width, +i.getAttribute('width')]")
            assert natural > 390 and abs(shown - natural) < 1
            sw, cw = b.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert sw > cw and cw <= 390
            src = img.evaluate("i => i.currentSrc")
            svg = Path(unquote(urlparse(src).path))
            assert figure_glyph_px(svg, shown) >= MIN_PICTURE_PX, svg.name
            assert b.locator("a").get_attribute("href") == img.get_attribute("src")  # a tap opens the file
            b.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            assert b.evaluate("e => e.scrollLeft") > 0
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"06-scheduler-figure{i}-390.png"))
        sw, cw = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sw <= cw
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_errata_shows_the_assemblers_whole_message(site, browser, width):
    """Issue 22: the errata table's point is what the assembler says: each message is on the page whole
    (its text is the assembler's, the caret under its column) and inside the screen, unscrolled."""
    import textwrap

    from gosched_book.asm.parse import parse
    from gosched_book.chapters.document import listings
    from gosched_book.errors import AsmError

    want = []
    for raw in listings():
        try:
            parse(raw.text, "原文", raw.first_line)
        except AsmError as e:
            want += [err.render() for err in e.all]
    assert want
    ctx, page, errors = themed_page(browser, (site / "notebooks" / "08-errata.html").as_uri(), width, "light")
    try:
        table = page.locator("table.gsb-errata")
        table.scroll_into_view_if_needed()
        shown = table.evaluate("""t => [...t.querySelectorAll('.gsb-asm-msg')].map(m => {
          const pre = m.parentElement.querySelector('pre.gsb-asm-at'), tb = t.getBoundingClientRect();
          const inside = e => { const b = e.getBoundingClientRect();
            return b.left >= Math.max(0, tb.left) - 1 && b.right <= Math.min(innerWidth, tb.right) + 1
                   && e.scrollWidth <= e.clientWidth + 1; };
          return {text: m.textContent + (pre ? '\\n' + pre.textContent : ''), inside: inside(m) && (!pre || inside(pre))}; })""")
        whole = [first + "\n" + textwrap.dedent(rest) for first, _, rest in (w.partition("\n") for w in want)]
        assert sorted(g["text"] for g in shown) == sorted(whole)  # the document's order is not the table's
        assert [g for g in shown if not g["inside"]] == [], width
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"08-errata-table-{width}.png"))
        assert errors == []
    finally:
        ctx.close()
