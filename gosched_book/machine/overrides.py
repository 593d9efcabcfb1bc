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

from ..scenario import family
from ..scenario.values import MEMORY, NONCANONICAL, REGISTERS, SYMBOLS, UNMAPPED  # noqa: F401
from .core import DATA_SYMBOLS, G, G0, G2, G_ADDR, GSIGNAL, M0, STACKS, off

STALE = STACKS["g"][0] + 0x400  # deep in g's stack, far below any live frame


def funcval(routine: str) -> int:
    """The funcval (closure) a routine is handed as fn."""
    return dict(DATA_SYMBOLS)[family.routine(routine).funcval]


def _word(world, addr: int) -> int:
    return dict(world.memory).get(addr, 0)


# Symbolic value -> what it is in a built world (values.SYMBOLS says what it means).
RESOLVERS: Mapping[str, Callable] = MappingProxyType({
    "g": lambda w: G,
    "g0": lambda w: G0,
    "gsignal": lambda w: GSIGNAL,
    "g2": lambda w: G2,
    "m": lambda w: M0,
    "&g.sched": lambda w: G + off("g", "sched"),
    "&g0.sched": lambda w: G0 + off("g", "sched"),
    "fn": lambda w: funcval(w.scenario.routine),
    "fn.code": lambda w: _word(w, funcval(w.scenario.routine)),
    "stale": lambda w: STALE,
    "unmapped": lambda w: UNMAPPED,
    "noncanonical": lambda w: NONCANONICAL,
})
assert set(RESOLVERS) == set(SYMBOLS)


def resolve(v: "int | str", world) -> int:
    return v if isinstance(v, int) else RESOLVERS[v](world)


def address(name: str, world) -> int:
    """Where memory word `name` lives in the world."""
    if name == "tls.g":
        return world.symbols.tls_slot  # m0.tls[0]: FS - 8 once settls has run
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
