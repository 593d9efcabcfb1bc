"""Preemption. asyncPreempt:normal (the injected call, every register saved on g's stack,
asyncPreempt2 → mcall → g0, gogo back, everything restored, RET to the interrupted PC) and
morestack:preempt (stackguard0 = stackPreempt: the prologue's check fails, morestack, newstack does
not grow and hands g to the scheduler, gogo back into the prologue); held step by step against the
gdb recordings (gosched_book/runtime/reference/{asyncPreempt.normal,morestack.preempt}.json)."""
import pytest

from gosched_book import run
from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.toolchain import compare as toolchain_compare, go_name, recorded
from gosched_book.machine.code import code_image
from gosched_book.machine.core import G, G0, GOPREEMPT_M_FV, STACKS
from gosched_book.runtime.recorded import load
from gosched_book.scenario.family import source
from helpers import assert_golden, writes_to
from gosched_book.chapters.refcompare import compare
from test_sigtramp import code_lines

STACK_PREEMPT = (1 << 64) - 1314  # stack.go:138
ASYNC = {"·asyncPreempt": "runtime.asyncPreempt.abi0", "·asyncPreempt2": "runtime.asyncPreempt2.abi0",
         "·asyncPreempt2.abiinternal": "runtime.asyncPreempt2", "runtime·mcall": "runtime.mcall",
         "runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}
SYMS = {**{v: k for k, v in ASYNC.items()}, "runtime.gopreempt_m": "runtime·gopreempt_m"}


def test_asyncpreempt_is_the_toolchains_bytes(golden):
    assert_golden(code_image(), "·asyncPreempt", golden)
    want = {b["name"]: b for b in recorded()["files"]["preempt_amd64.s"]}
    block, = text_blocks(source("asyncPreempt.s"))
    assert toolchain_compare(block, "preempt_amd64.s", want[go_name(block.name)]).ok


def test_the_listing_is_the_runtimes_text_line_for_line():
    from go_source import RUNTIME, go_text_of

    if not RUNTIME.exists():
        pytest.skip("Go 1.19 sources not installed (apt install golang-1.19-src)")
    go = [x for x in code_lines(go_text_of("·asyncPreempt")) if not x.startswith("#")]
    assert [x for x in code_lines(source("asyncPreempt.s")) if not x.startswith("#")] == go


def test_async_preempt_saves_everything_on_gs_stack_and_returns_to_the_interrupted_pc():
    t = run("asyncPreempt")
    entry = t.initial_regs["rsp"]
    interrupted = t.memory_at(0)[entry]
    assert t.symbols["main·spin"] <= interrupted < t.symbols["main·spincaller"]  # [SP] = the PC
    assert t.end.kind == "return" and t.end.pc == interrupted
    lo, hi = STACKS["g"]
    saves = [s for s in t.steps[:34]]
    assert all(lo <= w.addr < hi for s in saves for w in s.writes)  # on g's own stack
    saved = {w.value for s in saves for w in s.writes}
    for r in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"):
        assert t.initial_regs[r] in saved, r
    assert entry - t.regs_at(4)["rsp"] == 0x180  # BP, flags and the 0x170-byte frame
    final = t.regs_at(len(t.steps))
    assert {r: final[r] for r in final if r != "rip"} == {r: v + 8 if r == "rsp" else v
                                                        for r, v in t.initial_regs.items() if r != "rip"}  # SP as before the signal
    mcall = next(s.i for s in t.steps if s.routine == "runtime·mcall")
    assert t.tls_at(mcall + 12) == G0 and t.tls_at(len(t.steps)) == G
    assert writes_to(t, "g.asyncSafePoint") and writes_to(t, "g.stackguard0")


def test_preempt_stop_parks_instead():
    t = run("asyncPreempt", preempt_stop=True)
    assert t.end.kind == "event" and t.end.detail == "preemptPark"
    assert t.regs_at(len(t.steps))["r14"] == G0


def _async_preempt_differences(bad: dict) -> None:
    """What must differ in asyncPreempt's own steps, and why:
    - PUSHFQ: the flags the real thread had (IF, and gdb's single-step TF); Unicorn has neither;
    - MOVUPS X0..X14: the real vector registers held the interrupted program's values; the book's
      world starts them at 0 (X15 is 0 in both: the register ABI's zero register);
    - gopreempt_m's funcval: another data address in each program (rax at the LEAQ, rdx in mcall)."""
    xmm = {f"runtime.asyncPreempt.abi0+{o:#x}" for o in
           (0x51, 0x56, 0x5e, 0x66, 0x6e, 0x76, 0x7e, 0x86, 0x8e, 0x97, 0xa0, 0xa9, 0xb2, 0xbb, 0xc4)}
    assert set(bad) == {"runtime.asyncPreempt.abi0+0x4", *xmm, "runtime.asyncPreempt2+0x33", "runtime.mcall+0x0"}
    assert all(p.startswith("mem") for k in xmm for p in bad[k])
    assert bad["runtime.asyncPreempt2+0x33"] == (f"rax {GOPREEMPT_M_FV:#x} vs 0x490d38",)
    assert bad["runtime.mcall+0x0"] == (f"rdx {GOPREEMPT_M_FV:#x} vs 0x490d38",)


def test_async_preempt_matches_the_real_runtime_step_by_step():
    t = run("asyncPreempt")
    pairs = compare(t, load("asyncPreempt.normal"), ASYNC, SYMS)
    assert len(pairs) == 119  # every instruction but gopreempt_m's (skipped there, a stand-in here)
    _async_preempt_differences({p.entry.sym: p.problems for p in pairs if p.problems})


def test_async_preempt_from_its_signal_matches_the_real_runtime_step_by_step():
    """asyncPreempt:signal against a recording that starts at the SIGURG itself: the kernel's entry,
    sigtramp, sigreturn and then all of asyncPreempt.normal's path."""
    from test_sigtramp import ROUTINES as SIG_ROUTINES, SYMS as SIG_SYMS

    t = run("asyncPreempt", "signal")
    pairs = compare(t, load("asyncPreempt.signal"), {**SIG_ROUTINES, **ASYNC}, {**SIG_SYMS, **SYMS})
    assert len(pairs) == 1 + 24 + 2 + 119  # kernel, sigtramp, sigreturn, then as asyncPreempt.normal
    kernel = pairs[0]
    assert kernel.entry.kind == "kernel" and t.steps[kernel.k - 1].routine == "kernel"
    # The sender (the runtime's own tgkill: the recorded pid, uid 0; the book's kernel names 4242,
    # 1000) and the thread's last trap (gdb's breakpoint, #BP) -- as in sigtramp.normal.
    assert kernel.frame_fields() == {"siginfo.si_pid/si_uid", "ucontext.mcontext.trapno"}
    _async_preempt_differences({p.entry.sym: p.problems for p in pairs[1:] if p.problems})


def test_the_sigtrampgo_stand_in_changes_what_the_real_one_changed():
    """The real sigtrampgo (skipped in the recording) and the book's stand-in leave the same three
    words changed outside their own frames: doSigPreempt's pushCall moved the saved SP down a word,
    wrote the interrupted PC there, and set the saved PC to asyncPreempt (signal_amd64.go:80-87)."""
    rec = load("asyncPreempt.signal")
    skip = next(e for e in rec.entries if e.kind == "skipped" and e.sym.startswith("runtime.sigtrampgo"))
    kernel = next(e for e in rec.entries if e.kind == "kernel")
    frame, interrupted = kernel.regs_after["rsp"], kernel.regs_before["rip"]
    g_lo, g_hi = rec.stack("g")

    def outside(addr, frame, g_lo, g_hi) -> bool:  # in the signal frame, or on g's stack
        return frame <= addr < frame + 0x1B8 or g_lo <= addr < g_hi

    def named(addr, value, frame, g_hi, interrupted, async_preempt):
        where = ("frame", addr - frame) if addr < frame + 0x1B8 and addr >= frame else ("g", g_hi - addr)
        what = {interrupted: "interrupted PC", async_preempt: "asyncPreempt"}.get(value, ("g", g_hi - value))
        return where, what

    theirs = {named(a, v, frame, g_hi, interrupted, rec.symbols["runtime.asyncPreempt.abi0"])
              for a, v in skip.written().items() if outside(a, frame, g_lo, g_hi)}
    t = run("asyncPreempt", "signal")
    ks = [s.i for s in t.steps if s.routine == "·sigtrampgo"]
    k0 = next(s.i for s in t.steps if s.routine == "kernel")
    before, after = t.memory_at(ks[0] - 1), t.memory_at(ks[-1])
    frame_b = t.regs_at(k0)["rsp"]
    mine = {named(a, after[a], frame_b, STACKS["g"][1], t.steps[k0 - 1].pc, t.symbols["·asyncPreempt"])
            for a in after if outside(a, frame_b, *STACKS["g"]) and after[a] != before.get(a, 0)}
    assert theirs == mine == {(("frame", 0x8 + 0x28 + 15 * 8), ("g", 0x168)),
                              (("frame", 0x8 + 0x28 + 16 * 8), "asyncPreempt"),
                              (("g", 0x168), "interrupted PC")}


GROWTH = {"runtime·morestack_noctxt": "runtime.morestack_noctxt.abi0", "runtime·morestack": "runtime.morestack.abi0",
          "runtime·newstack": "runtime.newstack.abi0", "runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}


def test_morestack_preempt_hands_g_to_the_scheduler_without_growing():
    t = run("morestack", "preempt")
    assert t.end.kind == "event" and t.end.detail == "prologue_again"
    assert t.memory_at(0)[G + 0x10] == STACK_PREEMPT  # g.stackguard0
    assert t.steps[0].plan9.startswith("CMPQ    SP, 16(R14)") and t.steps[1].plan9.startswith("JLS")
    assert STACKS["g"][1] - t.initial_regs["rsp"] == 0x160  # plenty of room: only the guard said no
    m0, m1 = t.memory_at(0), t.memory_at(len(t.steps))
    assert (m1[G], m1[G + 8]) == (m0[G], m0[G + 8]) == STACKS["g"]  # g.stack: not grown, not moved
    assert [s.routine for s in t.steps].count("runtime·gopreempt_m") > 0
    assert writes_to(t, "g.stackguard0") == [(next(s.i for s in t.steps if s.writes and s.writes[0].label ==
                                                   "g.stackguard0"), STACKS["g"][0] + 928)]
    after = t.regs_at(len(t.steps))
    assert after["rsp"] == t.initial_regs["rsp"] and after["rax"] == 42 and after["rbx"] == 1  # args back
    assert t.tls_at(len(t.steps)) == G and after["r14"] == G


def test_morestack_preempt_matches_the_real_runtime_step_by_step():
    t = run("morestack", "preempt")
    pairs = compare(t, load("morestack.preempt"), GROWTH, {**{v: k for k, v in GROWTH.items()},
                                                            "f": "main·regworker"})
    assert len(pairs) == 45  # morestack_noctxt 2, morestack 24, newstack's wrapper 3, gogo 4, gogo<> 12
    bad = {p.entry.sym: p.problems for p in pairs if p.problems}
    # What must differ, and why:
    # - f and its caller are the book's stand-ins (main·regworker, main·reggrower; the real ones are
    #   main.leaf and main.worker): the PCs morestack saves (m.morebuf.pc, g.sched.pc) and the one
    #   gogo jumps to are other code;
    # - SP on g0 while gogo reads its argument: gopreempt_m's stand-in frame (0x280 bytes, the depth
    #   recorded for asyncPreempt.normal) stands for schedule/execute's frames, which were shallower
    #   here (g0.stack.hi - 0xd8 at gogo's entry); gogo<>'s MOVQ gobuf_sp(BX), SP ends the difference.
    pcs = {"runtime.morestack.abi0+0x3e", "runtime.morestack.abi0+0x43", "runtime.morestack.abi0+0x5d",
           "runtime.morestack.abi0+0x61", "gogo+0x3a"}
    sp = {"runtime.gogo.abi0+0x0", "runtime.gogo.abi0+0x5", "runtime.gogo.abi0+0x9", "runtime.gogo.abi0+0xc",
          "gogo+0x0", "gogo+0x9"}
    assert set(bad) == pcs | sp, bad
    assert all(len(bad[k]) == 1 and bad[k][0].startswith("rsp") for k in sp)


@pytest.mark.parametrize("routine,preset,steps,same", [
    ("sigtramp", "normal", 27, 26), ("sigtramp", "on_g0", 27, 25),
    ("asyncPreempt", "normal", 119, 101), ("asyncPreempt", "signal", 146, 127), ("morestack", "preempt", 45, 34)])
def test_the_chapters_comparison_explains_every_difference(routine, preset, steps, same):
    """The chapters' tables (chapters/signals.py) give each differing step a reason; an unexplained
    one raises KeyError. The counts are the ones this note reports."""
    from gosched_book.chapters.signals import held, reference_table

    h = held(routine, preset)
    assert (h.steps, h.same) == (steps, same)
    assert all(why for *_, why in h.differ) and h.skipped
    assert f"{h.steps} 步里，{h.same} 步完全一致" in reference_table(routine, preset).data


def test_from_the_signal_the_injected_call_is_made_by_the_handler():
    """asyncPreempt:signal: SIGURG, sigtramp, sigtrampgo's pushCall on the saved context, rt_sigreturn
    into asyncPreempt with [SP] = the interrupted PC, then the same asyncPreempt run as :normal."""
    from gosched_book.machine import kernel as K

    t = run("asyncPreempt", "signal")
    k = next(s for s in t.steps if s.routine == K.KERNEL)
    assert k.regs["rdi"] == K.SIGURG and k.i == 3
    before = t.regs_at(k.i - 1)
    interrupted = k.pc
    entry = next(s.i for s in t.steps if s.routine == "·asyncPreempt")
    sp = t.regs_at(entry - 1)["rsp"]
    assert t.steps[entry - 2].routine == "runtime·sigreturn"  # rt_sigreturn resumed into asyncPreempt
    assert sp == before["rsp"] - 8 and t.memory_at(entry - 1)[sp] == interrupted  # pushCall
    assert t.end.kind == "return" and t.end.pc == interrupted
    final = t.regs_at(len(t.steps))
    assert {r: final[r] for r in final if r != "rip"} == {r: v for r, v in before.items() if r != "rip"}
    ours = [(s.routine, s.plan9) for s in t.steps[entry - 1:]]
    normal = [(s.routine, s.plan9) for s in run("asyncPreempt").steps]
    assert ours == normal  # from asyncPreempt's entry on, the run the recording holds


@pytest.mark.parametrize("n", [1, 2])
def test_from_the_signal_the_interrupted_pc_is_the_one_the_reader_picks(n):
    t = run("asyncPreempt", "signal", signal_at=n)
    k = next(s for s in t.steps if s.routine == "kernel")
    assert k.i == n and t.end.pc == k.pc
