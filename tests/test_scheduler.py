"""The scheduler around the switches: stack growth, a new goroutine, a switch to another g, recovery.

Each test checks what FACTS.md "Observed behaviour" records for the real runtime."""
import pytest

from gosched_book import run
from gosched_book.machine.runner import run_world
from gosched_book.scenario.family import listing_files
from gosched_book.machine.trace import to_dict
from gosched_book.machine.code import code_image
from gosched_book.machine.world import build
from gosched_book.scenario.scenario import Scenario

from helpers import addr_of, final_mem, final_regs, initial, writes_to

NEW = [("gogo", "newg"), ("morestack", "noctxt"), ("morestack", "closure"),
       ("gogo", "after_newstack"), ("schedule", "switch"), ("gogo", "recover")]

# Bytes of the linker-made ABI0 wrappers, from `go tool objdump` of a Go 1.19.8 linux/amd64
# binary (runtime.newstack.abi0, runtime.badmcall.abi0); the last 4 bytes of a rel32 differ.
WRAPPER_NOARGS = ["450f57ff", "644c8b3425f8ffffff", "e9"]
WRAPPER_ONEARG = ["4883ec10", "48896c2408", "488d6c2408", "488b442418", "450f57ff",
                  "644c8b3425f8ffffff", "e8", "488b6c2408", "4883c410", "c3"]


def first_step(t, routine):
    return next(k for k, s in enumerate(t.steps) if s.routine == routine)


def regs_before(t, k):
    return t.regs_at(k)


@pytest.mark.parametrize("routine, preset", NEW)
def test_new_presets_are_deterministic(routine, preset):
    a = to_dict(run_world(build(Scenario(routine, preset))))
    b = to_dict(run_world(build(Scenario(routine, preset))))
    assert a == b and a["steps"]


@pytest.mark.parametrize("name, shape", [("runtime·newstack", WRAPPER_NOARGS),
                                         ("runtime·goexit1", WRAPPER_NOARGS),
                                         ("runtime·badmorestackg0", WRAPPER_NOARGS),
                                         ("runtime·badmcall", WRAPPER_ONEARG),
                                         ("runtime·badmcall2", WRAPPER_ONEARG)])
def test_abi0_wrappers_have_the_linkers_bytes(name, shape):
    placed = [p for p in code_image().function_placed(name) if p.data]
    assert [p.data.hex()[:len(want)] for p, want in zip(placed, shape)] == shape
    assert len(placed) == len(shape)


def test_every_go_call_of_an_abi0_routine_reloads_x15_and_r14():
    img = code_image()
    abi0 = {"runtime·gogo", "runtime·systemstack"}
    seen = 0
    for name in img.symbols:
        if name in listing_files():
            continue
        placed = [p for p in img.function_placed(name) if p.data]
        for k, p in enumerate(placed):
            if p.ins.mnemonic == "CALL" and getattr(p.ins.operands[0], "symbol", None) in abi0:
                seen += 1
                assert [q.data.hex() for q in placed[k + 1:k + 3]] == ["450f57ff", "644c8b3425f8ffffff"], name
    assert seen >= 6


def _morestack_entry(t):
    k = first_step(t, "runtime·morestack")
    return k, regs_before(t, k), t.memory_at(k)


@pytest.mark.parametrize("preset", ["noctxt", "closure"])
def test_morestack_saves_morebuf_and_gsched_then_calls_newstack_on_g0(preset):
    t = run("morestack", preset)
    g, g0 = t.symbols["g"], t.symbols["g0"]
    for f in ("pc", "sp", "g", "ctxt", "ret", "lr", "bp"):
        assert initial(t, f"m.morebuf.{f}") == 0
    k, r, mem = _morestack_entry(t)
    sp = r["rsp"]
    m = final_mem(t)
    assert m[addr_of(t, "m.morebuf.pc")] == mem[sp + 8]  # f's caller's PC
    assert m[addr_of(t, "m.morebuf.sp")] == sp + 16
    assert m[addr_of(t, "m.morebuf.g")] == g
    f = "main·worker" if preset == "noctxt" else "main·closure"
    assert m[addr_of(t, "g.sched.pc")] == mem[sp]
    assert t.symbols[f] < mem[sp] < t.symbols[f] + 64  # a PC inside f (after its prologue's CALL)
    assert m[addr_of(t, "g.sched.sp")] == sp + 8
    assert m[addr_of(t, "g.sched.bp")] == r["rbp"]
    ctxt = 0 if preset == "noctxt" else t.initial_regs["rdx"]
    assert m[addr_of(t, "g.sched.ctxt")] == r["rdx"] == ctxt
    # The prologue's check failed: SP <= g.stackguard0.
    assert t.initial_regs["rsp"] <= initial(t, "g.stackguard0")
    # Onto g0: TLS g = g0, SP = g0.sched.sp - 8 at the wrapper; R14 still g until the wrapper.
    w = first_step(t, "runtime·newstack")
    at_wrapper = regs_before(t, w)
    assert at_wrapper["rsp"] == initial(t, "g0.sched.sp") - 8
    assert at_wrapper["r14"] == g and t.tls_at(w) == g0
    assert [s.plan9.split()[0] for s in t.steps[w:w + 2]] == ["XORPS", "MOVQ"]
    assert final_regs(t)["r14"] == g0
    assert t.end.detail == "newstack" and t.end.pc == t.symbols["runtime·newstack.abiinternal"]
    # noctxt goes through morestack_noctxt (MOVL $0, DX); a closure calls morestack directly.
    went = {s.routine for s in t.steps}
    assert ("runtime·morestack_noctxt" in went) == (preset == "noctxt")


def test_a_new_goroutine_starts_at_its_function_and_returns_into_goexit():
    t = run("gogo", "newg")
    g = t.symbols["g"]
    lo, hi = initial(t, "g.stack.lo"), initial(t, "g.stack.hi")
    assert hi - lo == 2048 and initial(t, "g.stackguard0") == lo + 928
    assert initial(t, "g.atomicstatus") == 2  # execute made it _Grunning before gogo
    sp = initial(t, "g.sched.sp")
    assert sp == hi - 40  # newproc1: hi - 32, then gostartcall's push
    mem0 = t.memory_at(0)
    assert mem0[sp] == t.symbols["runtime·goexit"] + 1
    assert initial(t, "g.sched.pc") == t.symbols["main·worker"]
    fv = initial(t, "g.sched.ctxt")
    assert mem0[fv] == t.symbols["main·worker"] and initial(t, "g.sched.bp") == 0
    k = first_step(t, "main·worker")
    r = regs_before(t, k)
    assert r["rdx"] == fv and r["r14"] == g and r["rsp"] == sp and t.tls_at(k) == g
    assert t.end.kind == "event" and t.end.pc == t.symbols["runtime·goexit"] + 1
    nxt = code_image().at(t.end.pc)
    assert nxt.ins.text.startswith("CALL    runtime·goexit1(SB)")


def test_after_newstack_the_function_restarts_on_the_new_stack():
    t = run("gogo", "after_newstack")
    owners = [o for o, _, _ in t.stacks]
    assert owners == ["g-old", "g", "g0"]
    (_, old_lo, old_hi), (_, lo, hi) = t.stacks[0], t.stacks[1]
    assert hi - lo == 2 * (old_hi - old_lo)  # newstack doubles (stack.go:1075)
    delta = hi - old_hi
    mem0 = t.memory_at(0)
    sp, ctxt, bp = initial(t, "g.sched.sp"), initial(t, "g.sched.ctxt"), initial(t, "g.sched.bp")
    assert lo <= sp < hi and lo <= ctxt < hi and lo <= bp < hi
    # The copy: the used part sits delta higher, with the same values.
    assert mem0[ctxt + 8] == mem0[ctxt - delta + 8] == 7
    assert mem0[sp] == mem0[sp - delta]  # the return address into the caller, copied
    assert initial(t, "g.stackguard0") == lo + 928
    # gogo zeroes sp, ret, ctxt, bp of the gobuf and the closure sees DX = the moved context.
    m = final_mem(t)
    for f in ("sp", "ret", "ctxt", "bp"):
        assert m[addr_of(t, f"g.sched.{f}")] == 0
    k = next(k for k, s in enumerate(t.steps) if s.routine == "main·closure" and s.plan9.startswith("CMPQ"))
    assert regs_before(t, k)["rdx"] == ctxt
    # This time the check passes: the step after JLS is the frame's SUBQ.
    assert t.steps[k + 2].plan9.startswith("SUBQ")
    assert all(lo <= s.regs["rsp"] < hi for s in t.steps[k:])
    load = next(s for s in t.steps[k:] if s.plan9.startswith("MOVQ    8(DX), AX"))
    assert load.regs["rax"] == 7
    assert t.end.kind == "return" and old_lo <= t.initial_regs["rbp"] < old_hi


def test_schedule_switch_runs_g2_after_g1_parks():
    t = run("schedule", "switch")
    g0, g2, m0 = t.symbols["g0"], t.symbols["g2"], t.symbols["m"]
    assert [o for o, _, _ in t.stacks] == ["g", "g0", "g2"]
    spans = {}
    for o, lo, hi in t.stacks:
        spans[o] = [s.i for s in t.steps if lo <= s.regs["rsp"] < hi]
    assert spans["g"] and spans["g0"] and spans["g2"]
    assert max(spans["g"]) < min(spans["g0"]) and max(spans["g0"]) < min(spans["g2"])
    r, m = final_regs(t), final_mem(t)
    assert t.steps[-1].tls_g == g2 and r["r14"] == g2
    assert m[addr_of(t, "m.curg")] == g2
    assert m[addr_of(t, "g.atomicstatus")] & 0xFFFFFFFF == 4  # _Gwaiting
    assert m[addr_of(t, "g2.atomicstatus")] & 0xFFFFFFFF == 2  # _Grunning
    assert m[addr_of(t, "g.m")] == 0 and m[addr_of(t, "g2.m")] == m0
    # G1's gobuf is mcall's save; G2's was consumed by gogo.
    assert m[addr_of(t, "g.sched.sp")] == t.initial_regs["rsp"] + 8
    assert m[addr_of(t, "g.sched.bp")] == t.initial_regs["rbp"]
    for f in ("sp", "ret", "ctxt", "bp"):
        assert m[addr_of(t, f"g2.sched.{f}")] == 0
    assert r["rsp"] == initial(t, "g2.sched.sp")
    assert writes_to(t, "g0.sched.sp") == []
    assert t.end.pc == initial(t, "g2.sched.pc")
    assert g0 in {s.tls_g for s in t.steps}


def test_recovery_returns_one_from_deferproc():
    t = run("gogo", "recover")
    assert initial(t, "g.sched.ret") == 1 and initial(t, "g.sched.lr") == 0
    k = next(k for k, s in enumerate(t.steps) if s.plan9.startswith("TESTL"))
    assert regs_before(t, k)["rax"] == 1
    assert t.steps[k].routine == "main·withdefer"
    assert t.steps[k + 1].plan9.startswith("JNE")
    assert t.steps[k + 2].plan9.startswith("CALL    runtime·deferreturn")  # the recovered path
    assert t.end.detail == "deferreturn"
    # With ret = 0 the same call site takes the panicking path again.
    again = run("gogo", "recover", gobuf_ret=0)
    k = next(k for k, s in enumerate(again.steps) if s.plan9.startswith("TESTL"))
    assert again.steps[k + 2].plan9.startswith("CALL    runtime·gopanic")


def test_systemstack_on_g0_sees_curg_saved_by_the_switch_that_got_there():
    t = run("systemstack", "on_g0")
    assert initial(t, "g.sched.pc") == t.symbols["runtime·systemstack_switch"]
    sp = initial(t, "g.sched.sp")
    lo, hi = initial(t, "g.stack.lo"), initial(t, "g.stack.hi")
    assert lo <= sp < hi and lo <= initial(t, "g.sched.bp") < hi
    assert t.memory_at(0)[sp] > t.symbols["main·syscaller"]  # the syscaller frame is there
    s = run("systemstack", "on_gsignal")
    assert initial(s, "g.sched.sp") == 0 and initial(s, "g.sched.bp") == 0
    assert initial(s, "g.sched.pc") != 0  # stale


@pytest.mark.parametrize("preset", ["newg", "recover", "after_newstack"])
def test_gogo_controls_apply_to_the_new_gogo_presets(preset):
    t = run("gogo", preset, gobuf_g_nil=True)
    assert t.end.kind == "fault" and t.end.address == 0  # the nil check, MOVQ 0(DX), CX
    r = run("gogo", preset, gobuf_ret=0x1234)
    jmp = next(s for s in r.steps if s.plan9.startswith("JMP     BX"))
    assert jmp.regs["rax"] == 0x1234


@pytest.mark.parametrize("routine, preset, whose", [("gogo", "newg", "g"), ("gogo", "after_newstack", "g"),
                                                    ("gogo", "recover", "g"), ("schedule", "switch", "g2")])
def test_every_new_gogo_restores_the_gobuf_as_observed(routine, preset, whose):
    t = run(routine, preset)
    k = next(s.i for s in t.steps if s.routine == "gogo<>" and s.plan9.startswith("JMP     BX"))
    before = t.memory_at(next(s.i for s in t.steps if s.routine == "runtime·gogo") - 1)
    buf = {f: before[addr_of(t, f"{whose}.sched.{f}")] for f in ("sp", "pc", "g", "ctxt", "ret", "bp")}
    r, mem = t.regs_at(k), t.memory_at(k)
    assert t.tls_at(k) == r["r14"] == buf["g"] == t.symbols[whose]
    assert (r["rsp"], r["rax"], r["rdx"], r["rbp"]) == (buf["sp"], buf["ret"], buf["ctxt"], buf["bp"])
    assert r["rcx"] == mem[addr_of(t, f"{whose}.stack.lo")]  # the nil check read g.stack.lo
    for f in ("sp", "ret", "ctxt", "bp"):
        assert mem[addr_of(t, f"{whose}.sched.{f}")] == 0
    landed = t.steps[k].pc if k < len(t.steps) else t.end.pc
    assert mem[addr_of(t, f"{whose}.sched.pc")] == buf["pc"] == landed


def test_morestack_on_g0_refuses_to_grow_the_scheduler_stack():
    t = run("morestack", "on_g0")
    g0 = t.symbols["g0"]
    assert t.initial_regs["rsp"] <= initial(t, "g0.stackguard0") and t.initial_tls_g == g0
    assert t.end.detail == "badmorestackg0"
    assert t.end.pc == t.symbols["runtime·badmorestackg0.abiinternal"]
    assert all(not w.label.startswith(("m.morebuf", "g0.sched", "TLS")) for s in t.steps for w in s.writes)
