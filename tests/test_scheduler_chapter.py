"""The scheduler chapter's helpers: call sites, the gobuf ledger, the G/M/P pictures, exercises."""
import re
import warnings
from pathlib import Path

import pytest

from gosched_book import callsites, gmp, ledger, why
from gosched_book.runtime.gosrc import GO_SRC

SRC = GO_SRC
needs_src = pytest.mark.skipif(not (SRC / "runtime" / "proc.go").exists(), reason="Go 1.19 source not installed")


def resolve(cite: str) -> tuple[Path, int, int]:
    m = re.fullmatch(r"([\w./-]+):(\d+)(?:-(\d+))?", cite)
    assert m, cite
    rel, a, b = m.group(1), int(m.group(2)), int(m.group(3) or m.group(2))
    path = SRC / "runtime" / rel if (SRC / "runtime" / rel).exists() else SRC / rel
    return path, a, b


@needs_src
@pytest.mark.parametrize("ex", why.ALL, ids=lambda f: f.__name__)
def test_exercise_citations_exist_and_answers_link_a_real_step(ex):
    e = ex()
    assert e.cites
    for c in e.cites:
        path, a, b = resolve(c)
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert path.exists() and 1 <= a <= b <= n, c
    from gosched_book import run

    key, k = e.link
    t = run(*key.split(":"))
    assert 1 <= k <= len(t.steps)
    html = why.html(e)
    assert "<details>" in html and f"href='#{key}:{k}'" in html


@needs_src
def test_call_sites_are_read_from_the_source():
    for s in callsites.SITES:
        line = callsites.source_line(s)
        assert s.callee in line, (s, line)
    names = [callsites.enclosing(s) for s in callsites.SITES]
    assert names[:3] == ["Gosched", "gopark", "goexit1"]
    assert {"execute", "newstack", "recovery", "newproc"} <= set(names)
    gogo = [callsites.enclosing(s) for s in callsites.SITES if s.callee == "gogo"]
    # Every gogo in the runtime's Go code (proc.go, stack.go, panic.go): six, newstack twice.
    assert sorted(gogo) == sorted(["execute", "goschedguarded_m", "goexit0", "newstack", "newstack", "recovery"])


def test_call_site_disassembly_marks_the_call_and_the_reload():
    call, xorps, reload = callsites.after_abi0_call("main·syscaller")
    assert call.ins.operands[0].symbol == "runtime·systemstack"
    assert xorps.data.hex() == "450f57ff" and reload.data.hex() == "644c8b3425f8ffffff"
    html = callsites.disassembly_html("runtime·newstack")
    assert html.count("background:#fff3c4") == 3  # the wrapper: XORPS, MOVQ, JMP


def test_ledger_is_computed_from_the_traces():
    rows = {r.field: r for r in ledger.ledger()}
    assert rows["sched.pc"].clears == ()  # gogo never clears pc
    assert any(w.startswith("gogo<>") for w in rows["sched.sp"].clears)
    assert any(w.startswith("morestack") for w in rows["sched.ctxt"].writes)
    assert rows["sched.lr"].writes == rows["sched.lr"].reads == rows["sched.lr"].clears == ()
    assert rows["morebuf.pc"].writes == ("morestack",)
    # Reads are decoded from operands: gogo reads gobuf.g in runtime·gogo (MOVQ gobuf_g(BX), DX).
    assert any(r.startswith("gogo（") for r in rows["sched.g"].reads)
    first = rows["sched.ret"].first["read"]
    from gosched_book import run

    t = run(*first.scenario.split(":"))
    assert t.steps[first.step - 1].plan9.startswith("MOVQ    gobuf_ret(BX), AX")


def test_ledger_reads_resolve_fs_relative_operands():
    from gosched_book import run

    t = run("morestack", "noctxt")
    k = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    g(CX), BX"))
    tls = next(a for a, _, lab in t.memory if lab == "TLS g")
    assert ledger.reads_of(t, k) == [tls]  # FS:-8 is the TLS g slot
    k = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    8(SP), AX"))
    assert ledger.reads_of(t, k) == [t.regs_at(k - 1)["rsp"] + 8]


def test_ledger_rejects_an_unknown_preset():
    with pytest.raises(KeyError, match="no preset"):
        ledger.ledger((("gogo", "nope"),))


def test_gmp_pictures_draw_chinese_without_missing_glyphs():
    try:
        gmp.cjk_font()
    except gmp.FontMissing:
        pytest.skip("no CJK font installed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = gmp.gmp_figure()
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig).draw()
        FigureCanvasAgg(gmp.loop_figure()).draw()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("m.curg = g2" in t for t in texts)  # read from the run's final memory
    assert any("_Gwaiting" in t for t in texts) and any("_Grunning" in t for t in texts)
    start = [t.get_text() for t in gmp.gmp_figure(at_end=False).axes[0].texts]
    assert any("m.curg = g\n" in t for t in start)


def test_gmp_pictures_embed_as_self_contained_svg_images():
    try:
        gmp.cjk_font()
    except gmp.FontMissing:
        pytest.skip("no CJK font installed")
    import base64

    h = gmp.layout().data
    m = re.search(r"alt='([^']+)' src='data:image/svg\+xml;base64,([^']+)'", h)
    assert m and "curg" in m.group(1)
    svg = base64.b64decode(m.group(2)).decode()
    assert svg.startswith("<svg") and "<path" in svg  # glyphs drawn as paths: no font needed
    assert set(re.findall(r"https?://([^/\"]+)", svg)) <= {"www.w3.org"}  # namespaces only
