"""The document's three routines (chapters 2-4) held step by step against the real runtime's gdb
recordings (gosched_book/runtime/reference/{mcall,systemstack,gogo}.*.json) by the same comparer as
the later chapters; what may differ is exactly the stand-ins' code and data addresses."""
import pytest

from gosched_book import run
from gosched_book.chapters import realrun
from gosched_book.chapters.heldref import anchored
from gosched_book.machine.core import STACKS
from gosched_book.runtime.recorded import load


@pytest.mark.parametrize("routine,preset,steps,differ", [
    ("mcall", "normal", 17, ["runtime.mcall+0x3", "runtime.mcall+0x7", "runtime.mcall+0x3d"]),
    ("systemstack", "normal", 35, ["runtime.systemstack.abi0+0x0", "runtime.systemstack.abi0+0x41",
                                   "runtime.systemstack.abi0+0x44"]),
    ("systemstack", "on_g0", 11, ["runtime.systemstack.abi0+0x0", "runtime.systemstack.abi0+0x73",
                                  "runtime.systemstack.abi0+0x76"]),
    ("gogo", "normal", 16, ["gogo+0x17", "gogo+0x3a"]),
    ("gogo", "g0", 16, ["gogo+0x3a"]),
])
def test_matches_the_real_runtime_but_for_the_stand_ins(routine, preset, steps, differ):
    h = realrun.held(routine, preset)  # KeyError if a difference had no reason
    paired = sum(1 for s in run(routine, preset).steps if s.routine in realrun.RECORDED[(routine, preset)].routines)
    assert h.steps == paired == steps
    assert [sym for _, sym, _, _ in h.differ] == differ and h.same == steps - len(differ)
    assert f"{h.steps} 步里，{h.same} 步完全一致" in realrun.reference_table(routine, preset).data


def test_only_the_stand_ins_pcs_and_fn_differ():
    """Every remaining difference is a code or data address of a stand-in, never an SP or a depth."""
    for key in realrun.RECORDED:
        for _, _, what, _ in realrun.held(*key).differ:
            assert not what.startswith("rsp") and "栈 hi-" not in what, (key, what)


def test_anchors_compare_depths_from_where_the_routine_started():
    """mcall:normal starts 0x80 below g's top; the recording 0x178. Anchored, the book's g stack is
    named as if its top were 0x178 above the entry SP, so depths from the entry agree."""
    t, rec = run("mcall"), load("mcall.normal")
    (lo, hi), = anchored(t, rec, realrun.RECORDED[("mcall", "normal")]).values()
    assert lo == STACKS["g"][0] and hi - t.initial_regs["rsp"] == 0x178
    assert STACKS["g"][1] - t.initial_regs["rsp"] == 0x80
    assert "对照开始时的 SP 离 g 栈顶：本书 0x80，录制 0x178" in realrun.reference_table("mcall").data


def test_chapter_4_names_the_end_the_g0_run_reaches():
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / "04-gogo.ipynb").read_text(encoding="utf-8"))
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    t = run("gogo", "g0")
    assert t.end.label.startswith("runtime·mstart0+") and f"`{t.end.label}`" in prose
    off = int(t.end.label.split("+")[1])
    assert t.end.pc - t.symbols["runtime·mstart0"] == off  # the label's offset is decimal
    assert f"即 {off:#x}" in prose


@pytest.mark.parametrize("preset,steps", [("noctxt", 29), ("regargs", 29), ("closure", 27)])
def test_stack_growth_matches_the_recorded_recursion_up_to_newstack(preset, steps):
    """morestack:noctxt/regargs against morestack.normal (main.grow recursing), :closure against
    morestack.closure (a recursive closure, whose prologue calls morestack directly): the recordings'
    first paired instructions, up to newstack's wrapper. Only the stand-in f's two PCs differ (saved in
    m.morebuf.pc and g.sched.pc); g.sched.ctxt gets the entry DX (the closure's context) in both."""
    h = realrun.held("morestack", preset)
    assert (h.steps, h.same) == (steps, steps - 4) and not h.skipped
    assert [sym for _, sym, _, _ in h.differ] == [f"runtime.morestack.abi0+{o:#x}" for o in (0x3e, 0x43, 0x5d, 0x61)]
    assert "只对照开头这一段" in realrun.reference_table("morestack", preset).data
