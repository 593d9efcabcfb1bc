"""Worlds of asmcgocall: Go calling a C function (the C function and the callers are stand-ins)."""
from __future__ import annotations

from ...machine.core import EXITSYSCALL0_FV, G, G0, M0, PKEPT, STACKS, Ctx, g0_sp, pick
from ...runtime.layout import offsetof


ON_G0_DEPTH = 0xD8


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
    else:  # the recorded run's layout (reference/asmcgocall.on_g0.json: newm1 -> asmcgocall on g0):
        # entry SP = g0.stack.hi - 0xd8, arg = &ts at SP + 0x20 in the caller's frame
        sp = pick(c.p["entry_sp"], STACKS["g0"][1] - ON_G0_DEPTH)
        ret = c.after_call("main·g0cgocaller", "·asmcgocall")
        args = sp + 0x20
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


GSYSCALL = 3  # _Gsyscall (runtime2.go:48): cgocall's entersyscall left curg in it


def cgocallback(c: Ctx) -> None:
    """C (goCallback, a stand-in) called crosscall2, which calls cgocallback(fn, frame, ctxt).

    The depths are the recorded run's (gosched_book/runtime/reference/cgocallback.normal.json):
    entry SP = g0.stack.hi - 0x128, the old g0.sched.sp = hi - 0x38, curg.sched.sp = g.stack.hi - 0x158.
    """
    old = g0_sp(c)  # g0.sched.sp as mstart1 left it: where asmcgocall switched to
    sp = pick(c.p["entry_sp"], STACKS["g0"][1] - 0x128)  # the recorded depth of crosscall2's call
    tls0 = M0 + offsetof("m", "tls")
    fn, frame = c.sym("main·cgoexp_goCallback"), sp + 0x60
    has_m = c.p["thread_m"] == "m"
    if has_m:
        _inside_cgocall(c, old)
    else:  # a thread C created: no g in TLS, no m; nothing of Go's is on its stack
        c.stacks["thread"] = c.stacks.pop("g0")
        c.shown = ("thread",)
    # crosscall2's frame, written last: an entry SP moved onto the frames above wins over them.
    c.word(sp, c.after_call("crosscall2", "·cgocallback"), "return address")
    c.word(sp + 0x08, fn, "argument fn")
    c.word(sp + 0x10, frame, "argument frame")
    c.word(sp + 0x18, 0, "argument ctxt")
    # crosscall2's PUSH_REGS_HOST_TO_ABI0 (cgo/abi_amd64.h): C's callee-saved registers, then C's BP.
    bp = sp + 0x48
    for k, reg in enumerate(("BX", "R12", "R13", "R14", "R15")):
        c.word(sp + 0x20 + 8 * k, G if reg == "R14" and has_m else 0, f"saved {reg} (C)")
    c.word(bp, 0, "saved BP (C)")
    c.word(sp + 0x50, c.after_call("main·goCallback_c", "crosscall2"), "return address")
    c.word(frame, 21, "C frame {x, r}")  # x = 21 in the low half, r = 0 in the high half
    c.arrive[c.sym("runtime·needm")] = ("event", "needm")
    c.arrive[c.sym("runtime·dropm")] = ("event", "dropm")
    c.arrive[c.after_call("crosscall2", "·cgocallback")] = (
        "return", "cgocallback returned to crosscall2 on the thread's stack")
    c.mem[PKEPT] = 1 if c.p["exitsyscall"] == "fast" else 0
    c.mem[EXITSYSCALL0_FV] = c.sym("runtime·exitsyscall0.abiinternal")
    # crosscall2 runs on the thread's stack with TLS g = g0 (none on a C thread); C preserved R14
    # (callee-saved in the SysV ABI), so it still holds curg.
    c.mem[tls0] = G0 if has_m else 0
    c.regs.update(rip=c.sym("·cgocallback"), rsp=sp, rbp=bp, r14=G if has_m else 0,
                  rdi=fn, rsi=frame, rdx=8, rcx=0)  # crosscall2's C arguments, as C passed them


def _inside_cgocall(c: Ctx, old: int) -> None:
    """curg is inside cgocall → asmcgocall → C: asmcgocall's frame on g0 and curg's saved state."""
    # asmcgocall's frame on g0's stack (it switched to the old g0.sched.sp, asm_amd64.s:831-841).
    hi = STACKS["g"][1]
    a0 = (old - 64) & ~15
    entry = hi - 0x158  # asmcgocall's entry SP on curg's stack (the recorded depth)
    c.word(a0 + 48, G, "asmcgocall: saved g")
    c.word(a0 + 40, hi - entry, "asmcgocall: depth g.stack.hi - SP")
    c.word(a0 - 8, c.after_call("·asmcgocall", "AX"), "return address")
    # curg, inside cgocall: entersyscall saved syscallsp/pc, asmcgocall's gosave saved g.sched.
    c.word(entry, c.after_call("runtime·cgocall", "·asmcgocall"), "return address")
    c.word(entry + 8, c.sym("main·cfunc"), "argument fn")
    c.word(entry + 16, entry + 0x68, "argument arg")
    c.word(entry + 24, 0, "result")
    c.put(G, "g", "syscallsp", entry + 8)
    c.put(G, "g", "syscallpc", c.after_call("runtime·cgocall", "runtime·entersyscall"))
    c.gobuf("g", sp=entry, pc=c.sym("runtime·systemstack_switch"), bp=entry + 0x30)
    c.status("g", GSYSCALL)

G0_SCHED_SP = STACKS["g0"][1] - 0x38  # the recorded run's g0.sched.sp (m0's g0, on the OS stack)
