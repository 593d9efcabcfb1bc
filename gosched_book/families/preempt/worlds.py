"""Worlds of asyncPreempt: the signal handler has injected a call (doSigPreempt → pushCall), so the
goroutine's stack has the interrupted PC at [SP] and its PC is asyncPreempt's entry."""
from __future__ import annotations

from ...machine import kernel as K
from ...machine.core import G, G_ADDR, STACKS, Ctx, pick

# The recorded depths (reference/asyncPreempt.normal.json): SP at asyncPreempt's entry is
# g.stack.hi - 0x168, g0.sched.sp is g0.stack.hi - 0x38.
ENTRY_DEPTH = 0x168


def async_preempt(c: Ctx) -> None:
    """main·spin was interrupted at its JMP; pushCall made it look as if it had called asyncPreempt."""
    hi = STACKS["g"][1]
    sp = pick(c.p["entry_sp"], hi - ENTRY_DEPTH)
    interrupted = next(p.address for p in c.img.function_placed("main·spin") if p.ins.mnemonic == "JMP")
    c.word(sp, interrupted, "fake return address: interrupted PC")  # pushCall (signal_amd64.go:80-87)
    c.word(sp + 8, c.after_call("main·spincaller", "main·spin"), "return address")
    c.regs.update(rip=c.sym("·asyncPreempt"), rsp=sp, rbp=pick(c.p["bp"], hi - 0x90), r14=G,
                  rax=0x88865C, rcx=0, rdx=0x7FFFFFFFE7B5, rsi=1, rdi=0xC000062000, r8=4,
                  r10=0x7FFFF7FC2938, r11=0x4A5E90, r12=hi - 0xD8, r13=8, r15=0x7FFFD0BF1D11)
    if c.p["preempt_stop"]:
        c.mem[G_ADDR["g"] + 0xB0] = 1 << 16  # g.preemptStop (a byte at 0xb2)
    c.arrive[c.sym("runtime·preemptPark")] = ("event", "preemptPark")
    c.arrive[interrupted] = ("return", "asyncPreempt returned to the interrupted PC")


def from_signal(c: Ctx) -> None:
    """main·spin runs; SIGURG arrives before step `signal_at`: the kernel enters sigtramp on gsignal's
    stack, sigtrampgo's stand-in does doSigPreempt's pushCall on the saved context, rt_sigreturn
    resumes the goroutine at asyncPreempt with [SP] = the interrupted PC, and so on to its RET."""
    hi = STACKS["g"][1]
    sp = pick(c.p["entry_sp"], hi - ENTRY_DEPTH + 8)  # SP in main·spin: the recorded depth, before the push
    c.word(sp, c.after_call("main·spincaller", "main·spin"), "return address")
    c.roles[sp - 8] = "fake return address: interrupted PC"  # where pushCall will write (the word is 0 now)
    c.regs.update(rip=c.sym("main·spin"), rsp=sp, rbp=pick(c.p["bp"], hi - 0x90), r14=G, rax=0x88865C,
                  rdx=0x7FFFFFFFE7B5, rsi=1, rdi=0xC000062000, r8=4, r12=hi - 0xD8, r13=8)
    if c.p["preempt_stop"]:
        c.mem[G_ADDR["g"] + 0xB0] = 1 << 16
    c.signals.append(K.Signal(c.p["signal_at"], K.SIGURG, c.sym("runtime·sigtramp"), c.sym("runtime·sigreturn")))
    ret = [p for p in c.img.function_placed("·asyncPreempt") if p.data][-1].address
    c.leave[ret] = ("return", "asyncPreempt returned to the interrupted PC")
    c.arrive[c.sym("runtime·preemptPark")] = ("event", "preemptPark")
    c.shown = ("g", "gsignal", "g0")


__all__ = ["async_preempt", "from_signal"]
