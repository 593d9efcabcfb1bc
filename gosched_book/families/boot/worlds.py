"""The world of a process start: the kernel has just entered _rt0_amd64_linux on the OS stack.

runtime·g0 and runtime·m0 are still zero (BSS), FS base is 0 (no TLS yet) and there is no
sigaltstack; the stack holds what Linux puts at a process's entry (argc, argv, envp, auxv).
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources

from ...machine.core import CGO_INIT, G0, M0, MAINPC, Ctx
from ...runtime.layout import sizeof

OS_STACK = (0x7FFFFFFDE000, 0x7FFFFFFFF000)  # the book's choice: 132 KiB below the usual stack top
ENTRY_SP = 0x7FFFFFFFE440  # as in the recording (gdbref rt0_go.normal): SP at _rt0_amd64_linux
SS_DISABLE = 2
CPUS = ("recorded", "unicorn")


@cache
def recorded_cpuid() -> dict[int, tuple[int, int, int, int]]:
    """leaf -> (eax, ebx, ecx, edx) as the recorded machine's CPUID answered (rt0_go.normal.json)."""
    ref = json.loads(resources.files("gosched_book.runtime").joinpath("reference", "rt0_go.normal.json")
                     .read_text(encoding="utf-8"))
    regs = {k: int(v, 16) for k, v in ref["initial"]["regs"].items() if k in ("rax",)}
    out = {}
    for s in ref["steps"]:
        if s.get("asm") == "cpuid":
            leaf = regs["rax"] & 0xFFFFFFFF
            r = s["regs"]
            out[leaf] = tuple(int(r[n], 16) for n in ("rax", "rbx", "rcx", "rdx"))
        regs.update({k: int(v, 16) for k, v in s.get("regs", {}).items() if k == "rax"})
    return out


def cpu_name() -> str:
    """The recorded CPU's vendor string, read from its CPUID leaf 0 (EBX, EDX, ECX)."""
    _, b, c, d = recorded_cpuid()[0]
    return b"".join(x.to_bytes(4, "little") for x in (b, d, c)).decode("ascii")


def rt0_go(c: Ctx) -> None:
    """The kernel's exec has finished: SP on the OS stack, every register 0, FS base 0."""
    for base, struct in ((G0, "g"), (M0, "m")):  # BSS: zero until rt0_go and mstart1 write them
        for a in [a for a in c.mem if base <= a < base + sizeof(struct)]:
            del c.mem[a]
    c.mem[MAINPC] = c.sym("runtime·main")  # DATA runtime·mainPC+0(SB)/8,$runtime·main<ABIInternal>(SB)
    c.mem[CGO_INIT] = 0  # no cgo: _cgo_init is nil, so rt0_go takes needtls
    c.stacks.pop("g0", None)
    c.stacks["os"] = OS_STACK
    c.shown = ("os",)
    sp = c.p["entry_sp"] if c.p["entry_sp"] is not None else ENTRY_SP
    # What Linux's exec leaves at the entry SP (System V x86-64 ABI, 3.4.1): argc, argv[], envp[], auxv.
    name = OS_STACK[1] - 0x10
    c.word(name, int.from_bytes(b"./prog\0\0", "little"), "argv[0] string")
    for off, value, role in ((0, 1, "argc"), (8, name, "argv[0]"), (16, 0, "argv end (nil)"),
                             (24, 0, "envp end (nil)"), (32, 0, "auxv AT_NULL"), (40, 0, "auxv AT_NULL")):
        c.word(sp + off, value, role)
    c.regs = {r: 0 for r in c.regs}
    c.regs.update(rip=c.sym("_rt0_amd64_linux"), rsp=sp)
    c.fs_base = 0
    c.altstack = (0, 0, SS_DISABLE)
    c.cpuid = dict(recorded_cpuid()) if c.p["cpu"] == "recorded" else {}
    c.arrive.clear()
    c.arrive[c.sym("runtime·asminit")] = ("event", "mstart1 写好了 g0.sched，调用 asminit")
    c.arrive[c.sym("runtime·abort")] = ("event", "abort")
    for stop in ("runtime·main", "setg_gcc<>", "runtime·write", "runtime·exit", "runtime·debugCallV2",
                 "runtime·mexit"):
        c.arrive[c.sym(stop)] = ("event", f"到了 {stop}（本书的替身）")
