"""Register and memory overrides at a routine's entry: the names, the symbolic values, applying them.

A reader sets a register (`r14`, `rax`, ...; rip stays the entry) or a memory word the routine
reads (`g.sched.pc`, `m.curg`, `tls.g`, `fn.code`, ...) to a raw 64-bit integer or to a symbolic
value such as `g0` or `&g.sched`. Symbolic values are resolved in the built world, so they always
mean the same object whatever the scenario.
"""
from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Callable, Mapping

from .errors import ScenarioError
from .world_core import (
    FNVAL, G, G0, G2, G_ADDR, GSIGNAL, M0, MASK, STACKS, SYSFNVAL, WORKER_FV, off,
)

# Registers a reader may set: every general register but rip (the routine's entry).
REGISTERS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
GOBUF_FIELDS = ("sp", "pc", "g", "ctxt", "ret", "lr", "bp")
# Memory words the routines read: name -> (Chinese label, where it is).
MEMORY: Mapping[str, str] = MappingProxyType({
    **{f"g.sched.{f}": f"g.sched.{f}（g 的 gobuf）" for f in GOBUF_FIELDS},
    **{f"g0.sched.{f}": f"g0.sched.{f}（g0 的 gobuf）" for f in GOBUF_FIELDS},
    "m.g0": "m.g0（本线程的 g0）",
    "m.curg": "m.curg（本线程当前的用户 goroutine）",
    "m.gsignal": "m.gsignal（本线程的信号 g）",
    "tls.g": "TLS 里的 g（FS-8 处那个字）",
    "fn.code": "fn.fn（闭包对象的第一个字：代码地址）",
})
UNMAPPED = 0xDEAD0000  # no region of any world is there
NONCANONICAL = 0x8000000000000000  # bits 63..47 differ: x86-64 raises #GP, not a page fault
STALE = STACKS["g"][0] + 0x400  # deep in g's stack, far below any live frame


def funcval(routine: str) -> int:
    """The funcval (closure) a routine is handed as fn."""
    if routine in ("mcall", "roundtrip", "schedule"):
        return FNVAL
    if routine in ("systemstack", "gosave_systemstack_switch"):
        return SYSFNVAL
    return WORKER_FV


def _word(world, addr: int) -> int:
    return dict(world.memory).get(addr, 0)


# Symbolic value -> (Chinese meaning, resolver(world) -> int).
SYMBOLS: Mapping[str, tuple[str, Callable]] = MappingProxyType({
    "g": ("用户 goroutine g 的地址", lambda w: G),
    "g0": ("本线程的 g0（系统栈的 g）的地址", lambda w: G0),
    "gsignal": ("信号处理用的 gsignal 的地址", lambda w: GSIGNAL),
    "g2": ("另一个 goroutine g2 的地址（不是本线程的 curg）", lambda w: G2),
    "m": ("m0（线程）的地址：不是 g，却被当作 g 用", lambda w: M0),
    "&g.sched": ("g.sched 的地址（g 的 gobuf）", lambda w: G + off("g", "sched")),
    "&g0.sched": ("g0.sched 的地址（g0 的 gobuf）", lambda w: G0 + off("g", "sched")),
    "fn": ("本例程拿到的 fn：指向 funcval 的指针", lambda w: funcval(w.scenario.routine)),
    "fn.code": ("fn 指向的代码地址（funcval 的第一个字）",
                lambda w: _word(w, funcval(w.scenario.routine))),
    "stale": ("陈旧值：g 栈深处早已弹出的旧地址", lambda w: STALE),
    "unmapped": (f"没有映射的地址 {UNMAPPED:#x}：一读就出错", lambda w: UNMAPPED),
    "noncanonical": (f"非规范地址 {NONCANONICAL:#x}：x86-64 上一用就是 #GP（一般保护错误）",
                     lambda w: NONCANONICAL),
})


def check_value(name: str, v) -> "int | str":
    """A raw integer in [0, 2**64) or a known symbolic name; else ScenarioError naming both."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ScenarioError(f"{name} must be an integer in [0, 2**64) or one of "
                            f"{', '.join(SYMBOLS)}; got {type(v).__name__}")
    if isinstance(v, int):
        if not 0 <= v <= MASK:
            raise ScenarioError(f"{name} must be an integer in [0, 2**64) or one of "
                                f"{', '.join(SYMBOLS)}; got {'a negative number' if v < 0 else 'a number ≥ 2**64'}")
        return v
    if v not in SYMBOLS:
        raise ScenarioError(f"{name}: unknown value {_short(v)}; use an integer in [0, 2**64) "
                            f"(e.g. 0x0) or one of {', '.join(SYMBOLS)}")
    return v


def _short(v) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "…"


def resolve(v: "int | str", world) -> int:
    return v if isinstance(v, int) else SYMBOLS[v][1](world)


def address(name: str, world) -> int:
    """Where memory word `name` lives in the world."""
    if name == "tls.g":
        return world.fs_base - 8
    if name == "fn.code":
        return funcval(world.scenario.routine)
    owner, _, rest = name.partition(".")
    if owner == "m":
        return M0 + off("m", rest)
    return G_ADDR[owner] + off("g", rest)


def apply(world):
    """The world with the scenario's register and memory overrides written in (a new World)."""
    s = world.scenario
    if not s.regs and not s.mem:
        return world
    regs = dict(world.regs)
    for name, v in s.regs:
        regs[name] = resolve(v, world)
    mem = dict(world.memory)
    for name, v in s.mem:
        mem[address(name, world)] = resolve(v, world)
    return dataclasses.replace(world, regs=MappingProxyType(regs), memory=tuple(sorted(mem.items())))
