"""The stack picture model and its renderers: Chinese labels, SP and BP always, readable sizes."""
import re
import warnings
from pathlib import Path

import pytest

from gosched_book import PRESETS, run
from gosched_book.views import picture, stackplot
from gosched_book.views.model import state, states

ALL = [(r, p) for r in PRESETS for p in PRESETS[r]]
CSS = Path(picture.__file__).with_name("static") / "stepper.css"


def labels(pic, cls=None):
    return [lab for p in pic.panels for lab in p.labels if cls is None or lab.cls == cls]


@pytest.mark.parametrize("routine,preset", ALL)
def test_one_pass_states_equal_the_random_access_ones(routine, preset):
    t = run(routine, preset)
    assert states(t) == [state(t, k) for k in range(len(t.steps) + 1)]


def test_one_pass_states_follow_patches_overrides_and_faults():
    from gosched_book.scenario.patch import Patch
    for t in (run("systemstack", "normal", patch=(Patch("systemstack.s", 30, ""),)),
              run("mcall", "normal", rax=0), run("gogo", "normal", **{"tls.g": 0})):
        assert states(t) == [state(t, k) for k in range(len(t.steps) + 1)]


@pytest.mark.parametrize("routine,preset", ALL)
def test_sp_and_bp_are_drawn_at_every_step(routine, preset):
    t = run(routine, preset)
    for k in range(len(t.steps) + 1):
        pic = picture.build(state(t, k))
        for reg in ("sp", "bp"):
            arrows = [a for p in pic.panels for a in p.arrows if a.cls == reg]
            names = [lab.text for lab in labels(pic, reg)]
            assert len(arrows) == 1 and len(names) == 1, (routine, preset, k, reg, names)
            assert names[0].startswith(reg.upper())
        assert picture.min_font_px(pic) >= 12
        assert all(p.w <= 340 for p in pic.panels)  # a 390-px phone's column, unscaled


def test_sp_arrow_points_at_the_slot_sp_holds():
    t = run("mcall")
    k = len(t.steps)
    st = state(t, k)
    pic = picture.build(st)
    sp = st.regs[[r.name for r in st.regs].index("rsp")].value
    g0 = next(p for p in pic.panels if p.owner == "g0")
    (arrow,) = [a for a in g0.arrows if a.cls == "sp"]
    (box,) = [b for b in g0.boxes if b.y < arrow.y2 < b.y + b.h and b.cls in ("slot", "written")]
    row = [lab.text for lab in g0.labels if box.y < lab.y < box.y + box.h]
    assert f"{t.memory_at(k)[sp]:#x}" in row and "返回地址" in row


def test_labels_are_chinese_and_arrows_are_drawn():
    t = run("mcall")
    texts = [lab.text for lab in labels(picture.build(state(t, len(t.steps))))]
    for word in ("g 的栈（goroutine 栈）", "g0 的栈（系统栈）", "返回地址", "fn 参数的溢出槽", "高地址", "低地址",
                 "g0.sched（gobuf）"):
        assert word in texts
    assert not [x for x in texts if x.strip() in ("^", "v") or "^" in x]
    t = run("gogo", "normal")
    # main·caller's frame is a sketch (the stand-in has no prologue) and says so
    assert "示意：保存的 BP" in [lab.text for lab in labels(picture.build(state(t, 0)))]


def test_every_stack_the_trace_names_has_a_panel():
    t = run("schedule", "switch")
    pic = picture.build(state(t, len(t.steps)))
    assert [p.owner for p in pic.panels] == ["g", "g0", "g2"]
    assert {f"{o}.sched（gobuf）" for o in ("g", "g0", "g2")} <= {lab.text for lab in labels(pic, "title")}
    old = picture.build(state(run("gogo", "after_newstack"), 0))
    assert "g-old 的栈（扩栈前的旧栈）" in [lab.text for lab in labels(old)]
    assert "g-old.sched（gobuf）" not in [lab.text for lab in labels(old)]


def test_alt_text_says_what_the_step_changed():
    t = run("mcall")
    alts = [picture.build(state(t, k)).alt for k in range(len(t.steps) + 1)]
    assert "尚未执行" in alts[0]
    push = next(s.i for s in t.steps if s.plan9.startswith("PUSHQ"))
    assert "SP 从" in alts[push] and "写入" in alts[push]
    assert len(set(alts)) > len(alts) // 2


def test_palettes_have_enough_contrast_and_match_the_css():
    for pal in picture.PALETTES.values():
        for text in picture.TEXT_CLASSES:
            for fill in picture.FILL_CLASSES:
                assert picture.contrast(pal[text], pal[fill]) >= 4.5, (text, fill)
    assert picture.css() in CSS.read_text(encoding="utf-8")  # run scripts/stepper_css.py if not


def test_python_svg_is_the_model():
    t = run("systemstack")
    pic = picture.build(state(t, 20))
    svg = picture.svg(pic)
    texts = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" font-size="([\d.]+)"[^>]*>([^<]*)'
                       r'(?:<title>([^<]*)</title>)?</text>', svg)
    model = [(lab.x, lab.y, lab.size, lab.text, lab.full) for lab in labels(pic)]
    assert [(float(x), float(y), float(s), txt.replace("&amp;", "&"), full.replace("&amp;", "&"))
            for x, y, s, txt, full in texts] == model
    assert any(lab.full for lab in labels(pic))  # a cut label carries its whole text (a <title> to hover)
    assert svg.count("<polygon") == sum(len(p.arrows) for p in pic.panels)


def test_matplotlib_draws_the_model_with_a_cjk_font_and_no_missing_glyphs():
    assert "wqy" in stackplot.cjk_font().lower()
    t = run("schedule", "switch")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = stackplot.figure_of(t, len(t.steps))
        png = f.png()
    assert png[:4] == b"\x89PNG"
    assert [w for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)] == []
    pic = picture.build(state(t, len(t.steps)))
    assert f.visible_texts() == [lab.text for lab in labels(pic)]
    # text positions: panel offset + model position, in CSS px
    x0 = {p.owner: sum(q.w + stackplot.GAP for q in pic.panels[:i]) for i, p in enumerate(pic.panels)}
    want = [(round(x0[p.owner] + lab.x, 3), round(lab.y, 3)) for p in pic.panels for lab in p.labels]
    got = [tuple(round(float(v), 3) for v in t.get_position()) for t in f.texts if t.get_visible()]
    assert got == want
    arrows = [a for a in f.arrows if a.get_visible()]
    assert len(arrows) == sum(len(p.arrows) for p in pic.panels)


def test_live_svg_is_cached():
    """Each step's picture is drawn once; asking again draws nothing (benchmarks/ times the drawing)."""
    t = run("roundtrip", "twice")
    stackplot._CACHE.clear()
    first = [stackplot.svg(t, k) for k in range(len(t.steps) + 1)]
    assert stackplot.is_cached(t, 3)
    drawn = []
    real = stackplot.html_svg
    stackplot.html_svg = lambda *a, **k: drawn.append(1) or real(*a, **k)
    try:
        again = [stackplot.svg(t, k) for k in range(len(t.steps) + 1)]
    finally:
        stackplot.html_svg = real
    assert again == first and drawn == []


def test_morestack_pictures_draw_m_morebuf_as_it_is_written():
    t = run("morestack", "noctxt")
    writes = [k for k, s in enumerate(t.steps, 1) if any(w.label == "m.morebuf.pc" for w in s.writes)]
    assert writes, "morestack writes m.morebuf.pc"
    k = writes[0]
    pc = next(w.value for w in t.steps[k - 1].writes if w.label == "m.morebuf.pc")
    first = picture.build(state(t, k)).panels[0]
    texts = [lab.text for lab in first.labels]
    assert "m.morebuf（gobuf）" in texts
    at = texts.index("m.morebuf（gobuf）")
    assert any(x.startswith(f"{pc:#x}") for x in texts[at:]), texts[at:]
    assert "gobuf-written" in [b.cls for b in first.boxes]
    # Not drawn where nothing writes it.
    assert all("m.morebuf（gobuf）" not in [lab.text for p in picture.build(state(u, 0)).panels for lab in p.labels]
               for u in (run("mcall"), run("gogo")))


def test_gogo_argument_is_named_the_gobuf_not_its_first_field():
    for preset in ("recover", "after_newstack", "normal"):
        t = run("gogo", preset)
        assert "&g.sched" in t.labels.values() and "&g.sched.sp" not in t.labels.values(), preset
