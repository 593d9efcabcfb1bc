"""The live stepper's scenario controls show exactly what ran, and every change is a real run."""
import re

import pytest

from gosched_book import Patch, run
from gosched_book.scenario.patch import patched_source
from gosched_book.scenario.family import source
from gosched_book.views.edits import patches_for
from gosched_book.views.html import _control_labels
from gosched_book.views.live_controls import memory_word
from gosched_book.views.stepper import show
from gosched_book.machine.core import G0, STACKS

G_HI, G0_HI = STACKS["g"][1], STACKS["g0"][1]

# (routine, field, a value outside the live control's range, the trace's value of it)
OUTSIDE = [
    ("mcall", "entry_sp", 0x1, lambda t: t.initial_regs["rsp"]),
    ("mcall", "entry_sp", G_HI + 0x800, lambda t: t.initial_regs["rsp"]),
    ("mcall", "g0_sched_sp", G0_HI - 0x3000, lambda t: memory_word(t, "g0.sched.sp")),
    ("systemstack", "g0_sched_sp", G0_HI + 0x100, lambda t: memory_word(t, "g0.sched.sp")),
    ("mcall", "max_steps", 1000, lambda t: t.params["max_steps"]),
    ("mcall", "bp", 0xDEAD, lambda t: t.initial_regs["rbp"]),
    ("gogo", "gobuf_ret", 0x1234, lambda t: memory_word(t, "g.sched.ret")),
    ("gogo", "gobuf_ctxt", 0x5678, lambda t: memory_word(t, "g.sched.ctxt")),
    ("systemstack", "sched_ctxt", 0x1234, lambda t: memory_word(t, "g.sched.ctxt")),
]


def _text(s, field):
    w = s.widgets[field]
    return w.text.value if hasattr(w, "text") else w.widget.value


@pytest.mark.parametrize("routine,field,value,ran", OUTSIDE, ids=[f"{r}-{f}-{v:#x}" for r, f, v, _ in OUTSIDE])
def test_value_outside_a_control_is_shown_and_kept(routine, field, value, ran):
    s = show(routine, **{field: value})
    assert ran(s.trace) == value and getattr(s.scenario, field) == value
    shown = _text(s, field)
    assert shown in (value, hex(value), str(value))
    w = s.widgets[field]
    if getattr(w, "spec", None):  # a slider: it says the value is outside and keeps its number
        assert "范围之外" in w.note.value and hex(value) in w.note.value or str(value) in w.note.value
        assert w.slider.readout is False
    elif hasattr(w, "widget"):
        assert "不在选项中" in dict((v, k) for k, v in w.widget.options)[value]
    # Another control moves: the out-of-range value still runs, and is still shown.
    s.widgets["rbx"].text.value = "0x42"
    assert s.trace.initial_regs["rbx"] == 0x42
    assert getattr(s.scenario, field) == value and ran(s.trace) == value
    assert _text(s, field) == shown
    # The title names the override in the control's own words, so the header agrees too.
    label = _control_labels(routine).get(field, field)
    assert f"{label} = " in s.header.value and f"{value:#x}" in s.header.value


def test_slider_inside_its_range_moves_the_run():
    s = show("mcall")
    s.entry_sp.value = 0x100
    assert s.trace.initial_regs["rsp"] == G_HI - 0x100
    assert s.widgets["entry_sp"].text.value == hex(G_HI - 0x100)
    assert "范围之外" not in s.entry_sp_note.value and s.entry_sp.readout


def test_typed_value_runs_and_a_bad_one_is_refused_with_a_message():
    s = show("mcall")
    s.widgets["entry_sp"].text.value = "0x10"
    assert s.trace.initial_regs["rsp"] == 0x10 and s.trace.end.kind == "fault"
    before = s.scenario
    s.widgets["entry_sp"].text.value = "abc"
    assert "不是一个数" in s.message.value
    assert s.scenario == before and s.widgets["entry_sp"].text.value == "0x10"


def test_register_control_symbolic_and_raw():
    s = show("systemstack")
    r14 = s.widgets["r14"]
    r14.choice.value = "g0"
    assert s.trace.initial_regs["r14"] == G0
    assert "g0" in r14.note.value and "已改" in r14.note.value
    r14.text.value = "0xdead0000"
    assert s.trace.initial_regs["r14"] == 0xDEAD0000 and r14.choice.value == "__raw__"
    r14.text.value = "r99"
    assert "既不是数，也不是认得的名字" in s.message.value and s.trace.initial_regs["r14"] == 0xDEAD0000
    assert r14.text.value == "0xdead0000"
    r14.choice.value = "__default__"
    assert s.scenario.regs == () and "未改动" in r14.note.value


def test_mcall_with_ax_zero_faults_in_the_fn_load():
    s = show("mcall")
    s.widgets["rax"].choice.value = 0
    s.last.click()
    assert s.trace.end.kind == "fault" and "gsb-end fault" in s.end.value


def test_memory_control_changes_what_gogo_reads():
    s = show("gogo")
    s.widgets["g.sched.pc"].choice.value = "unmapped"
    assert memory_word(s.trace, "g.sched.pc") == 0xDEAD0000
    s.last.click()
    assert s.trace.end.kind == "fault"


def test_chapter_patch_marks_lines_and_the_listing():
    s = show("systemstack")
    p = s.widgets["patch"]
    choice = next(c for c in p.control.choices if "R14" in c.label)
    p.widget.value = choice.value
    assert s.scenario.patch == choice.value and s.trace.params["patch"]
    assert "删去" in s.editor.marked.value
    file = choice.value[0].file
    s.editor.file.value = file
    assert s.editor.text.value == patched_source(file, choice.value)
    s.last.click()  # the end message compares with the unpatched run
    assert "修改了代码" in s.end.value and "R14 仍是 g" in s.end.value


def test_editor_reassembles_and_reruns():
    s = show("systemstack")
    s.editor.file.value = "systemstack.s"
    lines = source("systemstack.s").splitlines()
    n = next(i for i, t in enumerate(lines) if t.split("//")[0].split() == ["MOVQ", "DX,", "R14"])
    lines[n] = "\tMOVQ AX, R14 // changed"
    s.editor.text.value = "\n".join(lines) + "\n"
    s.editor.apply.click()
    assert s.scenario.patch == (Patch("systemstack.s", n + 1, "\tMOVQ AX, R14 // changed"),)
    assert any(st.patched for st in s.trace.steps)
    k = next(st.i for st in s.trace.steps if st.patched)
    s.go(k)
    assert re.search(r"<tr class='done patched' data-part='current-line'>", s.listing.value) and "✎改" in s.listing.value
    # An edit that does not assemble: the error with its line and caret, the last run kept.
    before = s.trace
    lines[n] = "\tMOVQ AX, ((R14"
    s.editor.text.value = "\n".join(lines) + "\n"
    s.editor.apply.click()
    err = s.editor.errors.value
    assert f"systemstack.s:{n + 1}:" in err and "^" in err and s.trace is before
    assert s.editor.text.value.splitlines()[n] == "\tMOVQ AX, ((R14"  # the reader's text is kept
    s.editor.reset.click()
    assert s.scenario.patch == () and s.editor.errors.value == ""
    assert s.editor.text.value == source("systemstack.s")


@pytest.mark.parametrize("edit", ["delete", "insert", "replace", "insert_top"])
def test_patches_for_round_trips(edit):
    text = source("mcall.s").splitlines()
    if edit == "delete":
        text[10] = ""
    elif edit == "insert":
        text.insert(12, "\tMOVQ AX, CX")
    elif edit == "insert_top":
        text.insert(0, "// hello")
    else:
        text[14] = "\tMOVQ $0, AX"
    new = "\n".join(text) + "\n"
    ps = patches_for("mcall.s", new)
    assert ps and patched_source("mcall.s", ps) == new
    run("mcall", patch=ps)  # assembles (or would raise AsmError)


def test_patches_for_nothing_changed():
    assert patches_for("gogo.s", source("gogo.s")) == ()


@pytest.mark.parametrize("field,value", [("current", "g9"), ("fn", "loops"), ("gobuf", "g2"),
                                         ("gobuf_g_nil", 1), ("int3", "ignore"), ("rounds", 4)])
def test_choice_outside_its_values_is_refused_with_a_message(field, value):
    from gosched_book import ScenarioError

    with pytest.raises(ScenarioError, match=field):
        show("roundtrip" if field == "rounds" else "gogo" if field.startswith("gobuf") else "mcall",
             **{field: value})


def test_choice_set_from_code_outside_the_offered_values_is_shown_as_is():
    s = show("systemstack", sched_ctxt=0x1234)  # the control offers 0 and 1
    w = s.widgets["sched_ctxt"]
    assert w.widget.value == 0x1234 and "不在选项中" in w.widget.options[-1][0]
    s.widgets["rbx"].text.value = "0x1"
    assert s.trace.params["sched_ctxt"] == 0x1234 and w.widget.value == 0x1234
