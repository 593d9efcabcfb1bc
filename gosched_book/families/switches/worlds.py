"""Worlds for the document's three routines: mcall (and the round trip), systemstack, gogo, abort."""
from __future__ import annotations

from ...machine.core import FNVAL, G, G0, G_ADDR, M0, SYSFNVAL, Ctx, default_sp, last_of, off, pick


def mcall(c: Ctx) -> None:
    """A goroutine calls mcall(fn) from main·caller; fn is gogo_back or a fn that returns."""
    p, routine = c.p, c.routine
    sp = pick(p["entry_sp"], default_sp(c))
    bp = c.caller_frame(sp, c.after_call("main·caller", "runtime·mcall"), 0)
    c.regs.update(rip=c.sym("runtime·mcall"), rax=FNVAL, r14=G_ADDR[p["current"]],
                  rsp=sp, rbp=pick(p["bp"], bp))
    if routine == "roundtrip":
        n = p["rounds"]
        # Rounds past the caller's two CALLs resume at its RET.
        at = c.after_call("main·caller", "runtime·mcall", min(n, 2))
        c.arrive[at] = ("return", f"goroutine resumed after CALL runtime·mcall (round {n})")
    elif p["fn"] == "park":
        c.arrive[c.sym("main·gogo_back")] = ("call", "fn(g) called on g0")


def systemstack(c: Ctx) -> None:
    """main·syscaller calls systemstack(fn) on the current g."""
    p = c.p
    cur = p["current"]
    sp = pick(p["entry_sp"], default_sp(c))
    bp = c.caller_frame(sp, c.after_call("main·syscaller", "runtime·systemstack"), SYSFNVAL)
    c.regs.update(rip=c.sym("runtime·systemstack"), r14=G_ADDR[cur], rsp=sp, rbp=pick(p["bp"], bp))
    c.arrive[c.mem[sp]] = ("return", "returned to the caller of systemstack")
    if cur == "g0":
        _curg_came_by_systemstack(c)
    elif cur == "gsignal":
        _curg_interrupted(c)


def _curg_came_by_systemstack(c: Ctx) -> None:
    """We are on g0 because m.curg called systemstack: its gobuf is what gosave_systemstack_switch saved."""
    from ...machine.core import STACKS

    g_sp = STACKS["g"][1] - 0x80
    g_bp = c.caller_frame(g_sp, c.after_call("main·syscaller", "runtime·systemstack"), SYSFNVAL)
    c.gobuf("g", sp=g_sp, pc=c.sym("runtime·systemstack_switch"), bp=g_bp, ret=0, ctxt=0)


def _curg_interrupted(c: Ctx) -> None:
    """A signal interrupted m.curg while it ran: its gobuf is as gogo left it, with a stale pc."""
    c.gobuf("g", sp=0, ctxt=0, ret=0, bp=0, pc=c.after_call("main·caller", "runtime·mcall"))


def gosave_systemstack_switch(c: Ctx) -> None:
    p = c.p
    cur = p["current"]
    sp = pick(p["entry_sp"], default_sp(c) - 8)
    bp = c.caller_frame(sp + 8, c.after_call("main·syscaller", "runtime·systemstack"), SYSFNVAL)
    ret = c.after_call("runtime·systemstack", "gosave_systemstack_switch<>")
    c.word(sp, ret, "return address")
    c.regs.update(rip=c.sym("gosave_systemstack_switch<>"), rdi=SYSFNVAL, rax=G_ADDR[cur], rbx=M0,
                  rdx=G0, r14=G_ADDR[cur], rsp=sp, rbp=pick(p["bp"], bp))
    c.arrive[ret] = ("return", "returned to runtime·systemstack")


def gogo(c: Ctx) -> None:
    """g, parked by mcall from main·caller; schedule on g0 calls gogo(&g.sched) (or &g0.sched)."""
    from ...machine.core import STACKS

    p = c.p
    parked_sp = STACKS["g"][1] - 0x80
    parked_bp = c.caller_frame(parked_sp, c.after_call("main·caller", "runtime·mcall"), 0)
    c.gobuf("g", sp=parked_sp + 8, pc=c.mem[parked_sp], g=0 if p["gobuf_g_nil"] else G,
            bp=parked_bp, ret=p["gobuf_ret"], ctxt=p["gobuf_ctxt"])
    if p["gobuf"] == "g0":
        c.gobuf("g0", g=0 if p["gobuf_g_nil"] else G0, ret=p["gobuf_ret"], ctxt=p["gobuf_ctxt"])
    call_gogo(c, "main·schedule", "g" if p["gobuf"] == "g" else "g0")
    c.leave[last_of(c.img, "gogo<>")] = ("jump", "jumped to gobuf.pc")


def call_gogo(c: Ctx, caller: str, whose: str, sp: int | None = None) -> int:
    """Start at gogo's entry, called from `caller` with buf = &whose.sched; returns the entry SP."""
    p = c.p
    buf = G_ADDR[whose] + off("g", "sched")
    sp = pick(p["entry_sp"], default_sp(c) if sp is None else sp)
    c.word(sp, c.after_call(caller, "runtime·gogo"), "return address")
    c.word(sp + 8, buf, "argument buf")
    c.regs.update(rip=c.sym("runtime·gogo"), r14=G_ADDR[p["current"]], rsp=sp,
                  rbp=pick(p["bp"], sp + 0x18))
    return sp


def abort(c: Ctx) -> None:
    p = c.p
    sp = pick(p["entry_sp"], default_sp(c))
    c.word(sp, c.after_call("gosave_systemstack_switch<>", "runtime·abort"))
    c.regs.update(rip=c.sym("runtime·abort"), r14=G_ADDR[p["current"]], rsp=sp, rbp=pick(p["bp"], 0))
