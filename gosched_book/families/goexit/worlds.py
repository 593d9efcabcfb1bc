"""The world of a goroutine's exit: its function has returned into goexit+1 (PCQuantum)."""
from __future__ import annotations

from ...machine.core import GOEXIT0_FV, G, STACKS, Ctx, pick


def goexit(c: Ctx) -> None:
    """The goroutine's function RETs with SP = g.stack.hi - 0x20 into goexit+1 (proc.go:4135-4149)."""
    hi = STACKS["g"][1]
    entry = c.sym("runtime·goexit") + 1
    c.word(hi - 0x28, entry, "return address")  # gostartcall's word, just popped by the RET
    c.gobuf("g", sp=0, ctxt=0, ret=0, bp=0)  # a running goroutine's own gobuf (gogo zeroed it)
    c.mem[GOEXIT0_FV] = c.sym("runtime·goexit0.abiinternal")
    c.arrive.pop(entry, None)
    c.regs.update(rip=entry, rsp=pick(c.p["entry_sp"], hi - 0x20), rbp=pick(c.p["bp"], 0), r14=G)
    c.arrive[c.sym("runtime·goexit0.abiinternal")] = ("call", "goexit0(gp) called on g0")
