"""A function with register arguments spills them before CALL morestack and reloads them after (obj6.go)."""
from gosched_book import run
from gosched_book.machine.code import code_image


def test_sched_pc_is_the_reload_and_the_spill_slots_hold_the_arguments():
    t = run("morestack", "regargs")
    spills = [s for s in t.steps if s.routine == "main·regworker" and s.plan9.startswith(("MOVQ    AX, 8(SP)",
                                                                                          "MOVB    BL, 16(SP)"))]
    assert [w.value for s in spills for w in s.writes] == [42, 1]
    pc = next(w.value for s in t.steps for w in s.writes if w.label == "g.sched.pc")
    reload = next(p for p in code_image().function_placed("main·regworker") if p.ins.text.startswith("MOVQ    8(SP), AX"))
    assert pc == reload.address  # not the JMP: gogo resumes at the reload
    assert t.end.kind == "event"
