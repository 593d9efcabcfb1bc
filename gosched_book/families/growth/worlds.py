"""Worlds for stack growth: a prologue's check fails, morestack, and newstack's gogo afterwards."""
from __future__ import annotations

from ...machine.core import (
    FIXED_STACK, G, G0, GRUNNING, STACK_GUARD, STACKS, WORKER_FV, Ctx, g0_sp, pick,
)
from ..switches.worlds import call_gogo

# A goroutine that started with a 2 KiB stack (_FixedStack) and has used most of it;
# newstack doubles it (stack.go:1075) into a fresh 4 KiB stack elsewhere.
OLD_STACK = (0xC000045800, 0xC000045800 + FIXED_STACK)
NEW_STACK = (0xC000048000, 0xC000048000 + 2 * FIXED_STACK)
BIG_FRAME = 0x438  # the caller's frame: SUBQ $0x438, SP


def _nearly_full(c: Ctx, caller: str, call_target: str, stack=OLD_STACK, owner: str = "g") -> dict:
    """The caller's big frame on a 2 KiB stack; returns the addresses of interest."""
    lo, hi = stack
    goexit_ret = c.sym("runtime·goexit") + 1
    c.word(hi - 0x28, goexit_ret, "return address")  # newproc1: sp = hi - 32, then goexit+1 (proc.go:4137, 4149)
    c.word(hi - 0x30, 0, "saved BP")  # the caller's caller is goexit: no frame pointer
    frame_sp = hi - 0x28 - BIG_FRAME
    f_sp = frame_sp - 8
    c.word(f_sp, c.after_call(caller, call_target), "return address")
    return dict(lo=lo, hi=hi, bp=hi - 0x30, f_sp=f_sp, frame_sp=frame_sp)


def morestack(c: Ctx) -> None:
    """f's prologue finds SP <= g.stackguard0 and calls morestack(_noctxt)."""
    if c.preset == "on_g0":
        return _on_g0(c)
    if c.preset == "preempt":
        return preempt(c)
    c.set_stack("g", *OLD_STACK)
    if c.preset == "closure":
        a = _nearly_full(c, "main·closurecaller", "CX")
        obj = a["frame_sp"] + 0x420  # the closure object, on the caller's stack
        c.word(obj, c.sym("main·closure"), "closure object: fn")
        c.word(obj + 8, 7, "closure object: captured variable")
        c.regs.update(rip=c.sym("main·closure"), rdx=obj, rcx=c.sym("main·closure"),
                      rax=c.sym("main·closure"))
    elif c.preset == "regargs":
        a = _nearly_full(c, "main·reggrower", "main·regworker")
        c.word(a["f_sp"] + 8, 0, "spill slot: a")  # reserved by the caller, not filled (abi-internal.md:129-131)
        c.word(a["f_sp"] + 16, 0, "spill slot: b")
        c.regs.update(rip=c.sym("main·regworker"), rax=42, rbx=1)
    else:
        a = _nearly_full(c, "main·grower", "main·worker")
        c.regs.update(rip=c.sym("main·worker"), rdx=WORKER_FV)  # DX: whatever was there
    p = c.p
    c.regs.update(rsp=a["f_sp"] if p["entry_sp"] is None else p["entry_sp"],
                  rbp=a["bp"] if p["bp"] is None else p["bp"], r14=G)


STACK_PREEMPT = (1 << 64) - 1314  # stackPreempt = uintptrMask & -1314 (stack.go:138)
PREEMPT_DEPTH = 0x160  # the recorded f's SP: g.stack.hi - 0x160 (reference/morestack.preempt.json)


def preempt(c: Ctx) -> None:
    """g.stackguard0 = stackPreempt: f's prologue check fails though its stack has room (stack.go:
    128-138); morestack and newstack run as for growth, but newstack sees stackPreempt and calls
    gopreempt_m (a stand-in) instead of growing; when g is scheduled again gogo resumes f's prologue."""
    hi = STACKS["g"][1]
    f_sp = hi - PREEMPT_DEPTH
    ret = c.after_call("main·reggrower", "main·regworker")
    c.word(f_sp, ret, "return address")
    c.word(f_sp + 8, 0, "spill slot: a")  # reserved by the caller, not filled (abi-internal.md:129-131)
    c.word(f_sp + 16, 0, "spill slot: b")
    c.put(G, "g", "stackguard0", STACK_PREEMPT)  # preemptone (proc.go:5398, 5404)
    c.regs.update(rip=c.sym("main·regworker"), rax=42, rbx=1, rsp=pick(c.p["entry_sp"], f_sp),
                  rbp=pick(c.p["bp"], hi - 0x90), r14=G)
    del c.arrive[c.sym("runtime·newstack.abiinternal")]  # newstack (a stand-in) runs this time
    c.arrive[c.sym("main·regworker")] = ("event", "prologue_again")
    c.arrive[ret] = ("return", "f returned to its caller")


def _on_g0(c: Ctx) -> None:
    """Runtime code on g0 runs its 16 KiB system stack down to g0.stackguard0: g0 cannot grow."""
    lo, hi = c.stacks["g0"]
    sp = lo + STACK_GUARD - 8  # just below the guard
    c.word(sp, c.after_call("main·grower", "main·worker"), "return address")
    c.regs.update(rip=c.sym("main·worker"), rsp=pick(c.p["entry_sp"], sp), rbp=pick(c.p["bp"], 0),
                  r14=G0)


def gogo_after_newstack(c: Ctx) -> None:
    """newstack has copied the closure's stack to a new one twice as big and calls gogo(&gp.sched)."""
    old_lo, old_hi = OLD_STACK
    new_lo, new_hi = NEW_STACK
    delta = new_hi - old_hi
    c.stacks["g-old"] = OLD_STACK
    c.set_stack("g", new_lo, new_hi)
    # The old stack, as morestack left it.
    a = _nearly_full(c, "main·closurecaller", "CX", OLD_STACK)
    obj = a["frame_sp"] + 0x420
    c.word(obj, c.sym("main·closure"), "closure object: fn")
    c.word(obj + 8, 7, "closure object: captured variable")
    resume = c.after_call("main·closure", "runtime·morestack")
    c.word(a["f_sp"] - 8, resume, "return address")  # pushed by the prologue's CALL morestack
    # copystack: copy [sched.sp, hi) to the same distance below the new hi; nothing here points
    # into the old stack except BP (0 at the top frame) and the closure context, which the runtime
    # adjusts through gp.sched (adjustctxt, stack.go:741-755).
    used = {addr: v for addr, v in c.mem.items() if a["f_sp"] <= addr < old_hi}
    for addr, v in used.items():
        c.word(addr + delta, v + delta if old_lo <= v < old_hi else v, c.roles.get(addr, ""))
    c.gobuf("g", sp=a["f_sp"] + delta, pc=resume, g=0 if c.p["gobuf_g_nil"] else G,
            bp=a["bp"] + delta, ctxt=pick(c.p["gobuf_ctxt"], obj + delta), ret=c.p["gobuf_ret"])
    c.status("g", GRUNNING)  # _Gcopystack -> _Grunning again (stack.go:1116)
    # On g0: morestack called newstack (through its ABI0 wrapper); newstack calls gogo.
    sp0 = g0_sp(c)
    c.word(sp0 - 8, c.after_call("runtime·morestack", "runtime·newstack"), "return address")
    call_gogo(c, "runtime·newstack.abiinternal", "g", sp0 - 0x20)
    c.regs.update(r14=G0, rbp=c.p["bp"] if c.p["bp"] is not None else a["bp"])
    c.arrive[c.after_call("main·closurecaller", "CX")] = (
        "return", "the closure returned to its caller on the new stack")
    c.shown = ("g-old", "g", "g0")


__all__ = ["morestack", "gogo_after_newstack", "preempt"]
