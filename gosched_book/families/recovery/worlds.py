"""The world of recovery's gogo: a recovered panic resumes the deferring frame with ret = 1."""
from __future__ import annotations

from ...machine.core import G, G0, STACKS, Ctx, g0_sp, pick
from ..switches.worlds import call_gogo


def gogo_recover(c: Ctx) -> None:
    """recovery (on g0, reached by mcall(recovery) in gopanic) calls gogo(&gp.sched) with ret = 1."""
    hi = STACKS["g"][1]
    entry = hi - 0x28  # main·withdefer is the goroutine's function
    c.word(entry, c.sym("runtime·goexit") + 1, "return address")
    sp_w = entry - 24  # SUBQ $24, SP
    c.word(sp_w + 16, 0, "saved BP")
    bp_w = sp_w + 16
    c.word(sp_w - 8, c.after_call("main·withdefer", "runtime·gopanic"), "return address")
    sp_p = sp_w - 8 - 32  # gopanic's frame
    c.word(sp_p + 24, bp_w, "saved BP")
    bp_p = sp_p + 24
    c.word(sp_p - 8, c.after_call("runtime·gopanic", "runtime·mcall"), "return address")
    # mcall(recovery) saved pc, sp, bp; recovery then set sp, pc, lr = 0, ret = 1 (panic.go:1099-1102).
    c.gobuf("g", sp=sp_w, pc=c.after_call("main·withdefer", "runtime·deferproc"),
            g=0 if c.p["gobuf_g_nil"] else G,
            lr=0, ret=c.p["gobuf_ret"], ctxt=c.p["gobuf_ctxt"], bp=bp_p)
    # g0: mcall's spill slot and return address, then recovery's PUSHQ and CALL gogo.
    sp0 = g0_sp(c)
    c.word(sp0 - 8, G, "spill slot of fn's arg")
    c.word(sp0 - 16, c.after_call("runtime·mcall", "R12"), "return address")
    call_gogo(c, "runtime·recovery", "g", sp0 - 0x20)
    c.regs.update(r14=G0, rax=G, rbx=G + 0x38, rbp=pick(c.p["bp"], bp_p))
    c.arrive[c.sym("runtime·deferreturn")] = ("event", "deferreturn")
