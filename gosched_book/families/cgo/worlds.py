"""Worlds of asmcgocall: Go calling a C function (the C function and the callers are stand-ins)."""
from __future__ import annotations

from ...machine.core import G, G0, M0, STACKS, Ctx, g0_sp, pick
from ...runtime.layout import offsetof


def asmcgocall(c: Ctx) -> None:
    """cgocall (or runtime code on g0, or a thread without a g) calls asmcgocall(fn, arg)."""
    cfunc = c.sym("main·cfunc")
    if c.preset == "normal":
        hi = STACKS["g"][1]
        sp = pick(c.p["entry_sp"], hi - 0x158)  # the recorded depth: g.stack.hi - SP = 0x158
        ret = c.after_call("runtime·cgocall", "·asmcgocall")
        args = sp + 0x68  # cgo's argument block {a, b, r}, in the Go caller's frame
        c.word(sp, ret, "return address")
        cur = G
        # entersyscall saved cgocall's pc and sp first (proc.go reentersyscall → save).
        c.gobuf("g", sp=sp + 8, pc=ret, bp=sp + 0x30)
        bp = sp + 0x30
    else:
        sp = pick(c.p["entry_sp"], g0_sp(c) - 0x80)
        ret = c.after_call("main·g0cgocaller", "·asmcgocall")
        args = sp + 0x40
        c.word(sp, ret, "return address")
        cur = G0 if c.preset == "on_g0" else 0
        bp = sp + 0x30
        if cur == 0:
            c.stacks["thread"] = c.stacks.pop("g0")
            c.shown = ("thread",)
        else:
            c.shown = ("g0",)
    c.word(sp + 8, cfunc, "argument fn")
    c.word(sp + 16, args, "argument arg")
    c.word(sp + 24, 0, "result")
    c.word(args, 40, "C argument a")
    c.word(args + 8, 2, "C argument b")
    c.word(args + 16, 0, "C result r")
    c.mem[M0 + offsetof("m", "tls")] = cur
    c.regs.update(rip=c.sym("·asmcgocall"), rsp=sp, rbp=pick(c.p["bp"], bp), r14=cur)
    c.arrive[ret] = ("return", "asmcgocall returned to its caller")
