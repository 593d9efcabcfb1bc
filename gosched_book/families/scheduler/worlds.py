"""Worlds around the scheduler: a new goroutine's first gogo, a switch to another g."""
from __future__ import annotations

from ...machine.core import (
    FIXED_STACK, FNVAL, G, G2, GRUNNABLE, STACKS, Ctx, default_sp, pick,
)
from ..switches.worlds import call_gogo

NEWG_STACK = (0xC000045800, 0xC000045800 + FIXED_STACK)  # malg(_StackMin): 2 KiB


def gogo_newg(c: Ctx) -> None:
    """execute → gogo(&newg.sched) for a goroutine newproc1 just made (proc.go:4135-4151)."""
    lo, hi = NEWG_STACK
    c.set_stack("g", lo, hi)
    sp = hi - 4 * 8  # totalSize = 4*PtrSize + MinFrameSize (0 on amd64), proc.go:4135-4137
    sp -= 8  # gostartcall pushes the old buf.pc (sys_x86.go:17-20)
    c.word(sp, c.sym("runtime·goexit") + 1, "return address")  # goexit + PCQuantum (proc.go:4149)
    c.gobuf("g", sp=sp, pc=c.sym("main·worker"), g=0 if c.p["gobuf_g_nil"] else G,
            ctxt=c.p["gobuf_ctxt"], bp=0, ret=c.p["gobuf_ret"])
    call_gogo(c, "main·schedule", "g")



def schedule_switch(c: Ctx) -> None:
    """G1 calls mcall(fn); fn on g0 parks G1 and runs G2, parked earlier by its own mcall."""
    p = c.p
    sp = pick(p["entry_sp"], default_sp(c))
    bp = c.caller_frame(sp, c.after_call("main·caller", "runtime·mcall"), 0)
    c.mem[FNVAL] = c.sym("main·park_and_schedule")
    c.regs.update(rip=c.sym("runtime·mcall"), rax=FNVAL, r14=G, rsp=sp, rbp=pick(p["bp"], bp))
    # G2: parked by mcall from main·blocked, then made runnable again (ready: _Gwaiting → _Grunnable).
    sp2 = STACKS["g2"][1] - 0x80
    resume = c.after_call("main·blocked", "runtime·mcall")
    bp2 = c.caller_frame(sp2, resume, 0)
    c.gobuf("g2", sp=sp2 + 8, pc=resume, g=G2, bp=bp2, ctxt=0, ret=0)
    c.status("g2", GRUNNABLE)
    c.put(G2, "g", "m", 0)  # dropg when it parked
    c.arrive[resume] = ("return", "G2 resumed after its CALL runtime·mcall")
    c.shown = ("g", "g0", "g2")
