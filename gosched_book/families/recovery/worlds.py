"""The worlds of recovery: gopanic's mcall(recovery), and recovery's gogo(&gp.sched) with ret = 1."""
from __future__ import annotations

from ...machine.core import G, G0, RECOVERY_FV, STACKS, Ctx, g0_sp, pick
from ..switches.worlds import call_gogo


def _panicking(c: Ctx, func: str) -> dict:
    """func (the goroutine's function) called gopanic, which calls mcall(recovery)."""
    hi = STACKS["g"][1]
    entry = hi - 0x28
    c.word(entry, c.sym("runtime·goexit") + 1, "return address")
    sp_w = entry - 24  # SUBQ $24, SP
    c.word(sp_w + 16, 0, "saved BP")
    bp_w = sp_w + 16
    c.word(sp_w - 8, c.after_call(func, "runtime·gopanic"), "return address")
    sp_p = sp_w - 8 - 32  # gopanic's frame
    c.word(sp_p + 24, bp_w, "saved BP")
    bp_p = sp_p + 24
    c.word(sp_p - 8, c.after_call("runtime·gopanic", "runtime·mcall"), "return address")
    return dict(sp_w=sp_w, bp_w=bp_w, sp_p=sp_p, bp_p=bp_p, mcall_sp=sp_p - 8)


def mcall_recovery(c: Ctx) -> None:
    """gopanic, after a deferred call recovered, calls mcall(recovery) (panic.go:976)."""
    a = _panicking(c, "main·withdefer")
    c.regs.update(rip=c.sym("runtime·mcall"), rax=RECOVERY_FV, r14=G,
                  rsp=pick(c.p["entry_sp"], a["mcall_sp"]), rbp=pick(c.p["bp"], a["bp_p"]))
    c.arrive[c.sym("runtime·recovery")] = ("call", "recovery(gp) called on g0")


def _gogo(c: Ctx, func: str, pc: int) -> dict:
    a = _panicking(c, func)
    # mcall(recovery) saved pc, sp, bp; recovery then set sp, pc, lr = 0, ret = 1 and left bp:
    # gopanic's BP, below sp (panic.go:1099-1103).
    c.gobuf("g", sp=a["sp_w"], pc=pc, g=0 if c.p["gobuf_g_nil"] else G,
            lr=0, ret=c.p["gobuf_ret"], ctxt=c.p["gobuf_ctxt"], bp=a["bp_p"])
    # g0: mcall's spill slot and return address, then recovery's 0x30-byte frame and CALL gogo.
    sp0 = g0_sp(c)
    c.word(sp0 - 8, G, "spill slot of fn's arg")
    c.word(sp0 - 16, c.after_call("runtime·mcall", "R12"), "return address")
    c.word(sp0 - 0x18, a["bp_p"], "saved BP")  # recovery's prologue saves the BP mcall kept
    call_gogo(c, "runtime·recovery", "g", sp0 - 0x48)
    # gogo is entered with recovery's frame pointer, not the gobuf.bp it will load.
    c.regs.update(r14=G0, rax=G, rbx=G + 0x38, rbp=pick(c.p["bp"], sp0 - 0x18))
    return a


def gogo_recover(c: Ctx) -> None:
    """A defer record: gogo resumes after CALL deferproc, whose TESTL AX, AX then sees 1."""
    _gogo(c, "main·withdefer", c.after_call("main·withdefer", "runtime·deferproc"))
    c.arrive[c.sym("runtime·deferreturn")] = ("event", "deferreturn")


def gogo_recover_open(c: Ctx) -> None:
    """An open-coded defer: gogo resumes at the frame's CALL runtime·deferreturn (panic.go:698)."""
    call = next(p for p in c.img.function_placed("main·opendefer")
                if p.ins.mnemonic == "CALL" and p.ins.operands[0].symbol == "runtime·deferreturn")
    _gogo(c, "main·opendefer", call.address)
    c.arrive[call.address] = ("jump", "jumped to the frame's CALL runtime·deferreturn")
