"""Worlds of sigtramp: a signal arrives while g (or g0) runs; the kernel enters sigtramp on gsignal's
stack, sigtrampgo (a stand-in) runs, and the restorer's rt_sigreturn resumes the interrupted code."""
from __future__ import annotations

from ...machine import kernel as K
from ...machine.core import G, G0, M0, STACKS, Ctx, g0_sp, pick
from ...runtime.layout import offsetof

SIGUSR1 = 10  # the recorded signal (reference/sigtramp.*.json): tgkill(SIGUSR1), signal.Notify waits


def sigtramp(c: Ctx) -> None:
    """The interrupted code runs; the kernel delivers SIGUSR1 before step `signal_at`."""
    if c.preset == "on_g0":
        sp = pick(c.p["entry_sp"], g0_sp(c) - 0x80)
        ret = c.after_call("main·g0busycaller", "main·g0busy")
        entry, cur = "main·g0busy", G0
        c.shown = ("g0", "gsignal")
    else:
        sp = pick(c.p["entry_sp"], STACKS["g"][1] - 0x80)
        ret = c.after_call("main·busycaller", "main·busy")
        entry, cur = "main·busy", G
        c.shown = ("g", "gsignal")
    c.word(sp, ret, "return address")
    c.mem[M0 + offsetof("m", "tls")] = cur
    c.regs.update(rip=c.sym(entry), rsp=sp, rbp=pick(c.p["bp"], sp + 0x18), r14=cur,
                  rbx=0x6494, rcx=0x77, rdx=0xA, rsi=0x6498, rdi=0x6494, r12=0x12, r13=0x178, r15=0x15)
    c.signals.append(K.Signal(c.p["signal_at"], SIGUSR1, c.sym("runtime·sigtramp"),
                              c.sym("runtime·sigreturn")))
    c.end_on_resume = True
    c.arrive[ret] = ("return", "the interrupted function returned (the signal came after it)")


__all__ = ["sigtramp"]
