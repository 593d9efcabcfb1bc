"""Each preset reproduces what the real routines were observed to do (FACTS.md)."""
import pytest

from gosched_book import PRESETS, run
from gosched_book.machine.code import code_image

from helpers import addr_of, final_mem, final_regs, initial, writes_to


def ret_after(func, target, n=1):
    from gosched_book.machine.core import after_call as _after_call

    return _after_call(code_image(), func, target, n)


@pytest.mark.parametrize("routine, preset", [(r, p) for r, ps in PRESETS.items() for p in ps])
def test_every_preset_reaches_its_expected_ending(routine, preset):
    t = run(routine, preset)
    assert t.end.kind == PRESETS[routine][preset].expect, t.end
    assert t.end.summary


def test_mcall_at_fn_entry():
    t = run("mcall")
    r, m = final_regs(t), final_mem(t)
    g, g0, fnval = t.symbols["g"], t.symbols["g0"], t.symbols["main·fnval"]
    entry_sp, entry_bp = t.initial_regs["rsp"], t.initial_regs["rbp"]
    g0_sp = initial(t, "g0.sched.sp")
    assert t.end.pc == t.symbols["main·gogo_back"]
    assert r["rsp"] == g0_sp - 16
    # [SP] is the return address right after CALL R12 inside mcall.
    call = next(s for s in t.steps if s.plan9.startswith("CALL    R12"))
    assert m[r["rsp"]] == call.pc + len(call.bytes)
    assert t.symbols["runtime·mcall"] < m[r["rsp"]] < t.symbols["runtime·mcall"] + 80
    assert m[r["rsp"] + 8] == g
    assert r["rax"] == g and r["rdx"] == fnval and r["r14"] == g0
    assert t.steps[-1].tls_g == g0
    assert m[addr_of(t, "g.sched.pc")] == initial(t, "g stack [SP]") == ret_after("main·caller", "runtime·mcall")
    assert m[addr_of(t, "g.sched.sp")] == entry_sp + 8
    assert m[addr_of(t, "g.sched.bp")] == entry_bp
    g0_sched = {s.label for s in t.steps for s in s.writes if s.label.startswith("g0.sched")}
    assert g0_sched == set()


def test_mcall_push_is_the_spill_slot_for_fns_argument():
    t = run("mcall")
    push = next(s for s in t.steps if s.plan9.startswith("PUSHQ"))
    (w,) = push.writes
    assert w.label == "g0 stack [SP]" and w.value == t.symbols["g"]
    assert push.regs["rax"] == t.symbols["g"]  # the argument is already in AX


def test_mcall_on_g0_goes_to_badmcall_without_switching():
    t = run("mcall", "on_g0")
    assert t.end.detail == "badmcall" and t.end.pc == t.symbols["runtime·badmcall.abiinternal"]
    wrapper = [s for s in t.steps if s.routine == "runtime·badmcall"]  # the ABI0 wrapper ran first
    assert wrapper[-1].plan9.startswith("CALL") and wrapper[-1].regs["r14"] == t.symbols["g0"]
    assert all(not w.label.startswith("TLS") for s in t.steps for w in s.writes)


def test_mcall_fn_returning_reaches_badmcall2_after_pop():
    t = run("mcall", "fn_returns")
    assert t.end.detail == "badmcall2"
    in_mcall = [s for s in t.steps if s.routine == "runtime·mcall"]
    assert [s.plan9.split()[0] for s in in_mcall[-2:]] == ["POPQ", "JMP"]
    pop = t.steps.index(in_mcall[-2])
    assert t.steps[pop - 1].plan9.split()[0] == "RET"  # fn returned into mcall
    jmp = in_mcall[-1]
    assert jmp.regs["rax"] == t.symbols["g"]  # POPQ AX: the spilled g
    # The ABI0 wrapper loads its stack argument into AX and sets R14 from TLS (= g0).
    load = next(s for s in t.steps if s.routine == "runtime·badmcall2" and s.plan9.startswith("MOVQ    24(SP)"))
    assert load.regs["rax"] == final_mem(t).get(load.regs["rsp"] + 24, 0)  # unwritten memory is 0
    assert final_regs(t)["r14"] == t.symbols["g0"]


def test_systemstack_switches_runs_fn_on_g0_and_back():
    t = run("systemstack")
    g, g0 = t.symbols["g"], t.symbols["g0"]
    entry_sp, bp = t.initial_regs["rsp"], t.initial_regs["rbp"]
    lo0, hi0 = initial(t, "g0.stack.lo"), initial(t, "g0.stack.hi")
    assert writes_to(t, "g.sched.pc") == [(13, t.symbols["runtime·systemstack_switch"])]
    assert [v for _, v in writes_to(t, "g.sched.sp")] == [entry_sp, 0]
    assert [v for _, v in writes_to(t, "g.sched.ret")] == [0]
    assert [v for _, v in writes_to(t, "g.sched.bp")] == [bp]
    in_fn = [s for s in t.steps if s.routine == "main·sysfn"]
    assert in_fn and all(lo0 <= s.regs["rsp"] < hi0 for s in in_fn)
    assert any(w.label.startswith("g0 stack") for s in in_fn for w in s.writes)
    # SP restored from g.sched.sp before g.sched.sp is zeroed.
    restore = next(s for s in t.steps if s.plan9.startswith("MOVQ    (g_sched+gobuf_sp)(AX), SP"))
    zero = next(s for s in t.steps if s.plan9.startswith("MOVQ    $0, (g_sched+gobuf_sp)(AX)"))
    assert restore.regs["rsp"] == entry_sp and restore.i < zero.i
    r = final_regs(t)
    assert t.steps[-1].tls_g == g and r["r14"] == g0  # the caller reloads R14 itself
    assert r["rsp"] == entry_sp + 8 and t.end.pc == initial(t, "g stack [SP]")


@pytest.mark.parametrize("preset, who", [("on_g0", "g0"), ("on_gsignal", "gsignal")])
def test_systemstack_noswitch_tail_calls_fn(preset, who):
    t = run("systemstack", preset)
    assert any(s.plan9.startswith("JMP     DI") for s in t.steps)
    assert not any(w.label.startswith("g.sched") or w.label == "TLS g" for s in t.steps for w in s.writes)
    assert final_regs(t)["rsp"] == t.initial_regs["rsp"] + 8
    lo, hi = initial(t, f"{who}.stack.lo"), initial(t, f"{who}.stack.hi")
    assert all(lo <= s.regs["rsp"] < hi for s in t.steps)


def test_systemstack_bad_calls_badsystemstack():
    t = run("systemstack", "bad")
    assert t.end.detail == "badsystemstack"
    in_systemstack = [s for s in t.steps if s.routine == "runtime·systemstack"]
    assert in_systemstack[-1].plan9.startswith("CALL    AX")
    assert t.end.pc == t.symbols["runtime·badsystemstack.abiinternal"]


def test_gosave_clobbers_r9_and_aborts_on_ctxt():
    t = run("gosave_systemstack_switch")
    assert "r9" in {r for s in t.steps for r in s.changed}
    assert t.end.pc == ret_after("runtime·systemstack", "gosave_systemstack_switch<>")
    a = run("gosave_systemstack_switch", "abort")
    assert a.end.detail == "abort" and a.steps[-1].plan9.startswith("INT     $3")
    assert a.steps[-1].routine == "runtime·abort"
    a2 = run("systemstack", "ctxt_abort")
    assert a2.end.detail == "abort" and initial(a2, "g.sched.ctxt") != 0


def test_gogo_restores_the_gobuf():
    t = run("gogo")
    g = t.symbols["g"]
    before = {f: initial(t, f"g.sched.{f}") for f in ("sp", "pc", "g", "ctxt", "ret", "bp")}
    r, m = final_regs(t), final_mem(t)
    assert t.steps[-1].tls_g == g and r["r14"] == before["g"] == g
    assert r["rsp"] == before["sp"] and r["rax"] == before["ret"]
    assert r["rdx"] == before["ctxt"] and r["rbp"] == before["bp"]
    assert r["rcx"] == initial(t, "g.stack.lo")
    for f in ("sp", "ret", "ctxt", "bp"):
        assert m[addr_of(t, f"g.sched.{f}")] == 0
    for f in ("pc", "g"):
        assert m[addr_of(t, f"g.sched.{f}")] == before[f]
    assert t.end.kind == "jump" and t.end.pc == before["pc"] == r["rip"]


def test_gogo_slider_values_land_in_registers():
    t = run("gogo", gobuf_ret=0x1234, gobuf_ctxt=0x5678)
    r = final_regs(t)
    assert (r["rax"], r["rdx"]) == (0x1234, 0x5678)


def test_gogo_nil_g_faults_at_the_nil_check():
    t = run("gogo", "nil_g")
    assert t.end.kind == "fault" and t.end.address == 0
    assert t.end.pc == t.symbols["runtime·gogo"] + 9  # MOVQ 0(DX), CX
    assert "nil" in t.end.label and "0x0" in t.end.summary


def test_abort_loop_hits_the_step_limit():
    t = run("abort", "loop")
    assert t.end.kind == "limit" and len(t.steps) == t.params["max_steps"]
    assert t.steps[0].note.startswith("INT $3")
    assert {s.plan9.split()[0] for s in t.steps[1:]} == {"JMP"}


@pytest.mark.parametrize("rounds", [1, 2])
def test_round_trip_resumes_after_call_mcall(rounds):
    t = run("roundtrip", rounds=rounds)
    assert t.end.kind == "return"
    assert t.end.pc == ret_after("main·caller", "runtime·mcall", rounds)
    r = final_regs(t)
    assert r["r14"] == t.symbols["g"] and t.steps[-1].tls_g == t.symbols["g"]
    assert r["rsp"] == t.initial_regs["rsp"] + 8  # as if mcall had returned
    entries = [s for s in t.steps if s.pc == t.symbols["main·gogo_back"]]
    assert len(entries) == rounds
    g0_sp = initial(t, "g0.sched.sp")
    # Every switch to g0 starts from the same place: g0.sched.sp, reused.
    assert {t.steps[s.i - 2].regs["rsp"] for s in entries} == {g0_sp - 16}


def test_sp_at_unmapped_memory_is_a_fault_not_an_exception():
    t = run("mcall", entry_sp=0x10)
    assert t.end.kind == "fault" and t.end.address == 0x10 and not t.steps[1:]


def test_g0_sched_sp_slider_moves_where_fn_runs():
    base = run("mcall")
    moved = run("mcall", g0_sched_sp=initial(base, "g0.sched.sp") - 0x100)
    assert final_regs(moved)["rsp"] == final_regs(base)["rsp"] - 0x100
