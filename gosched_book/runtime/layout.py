"""Go 1.18 linux/amd64 struct layouts; offsets are computed from field lists."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

PTR = 8


@dataclass(frozen=True)
class Field:
    name: str
    size: int
    align: int = PTR
    struct: str | None = None  # nested struct type name


@dataclass(frozen=True)
class Struct:
    name: str
    fields: tuple[Field, ...]


def _p(name: str) -> Field:
    return Field(name, PTR)


def _nested(name: str, struct: str) -> Field:
    return Field(name, 0, PTR, struct)


# Field lists follow runtime/runtime2.go of Go 1.18 (the prefix the routines touch).
STRUCTS: dict[str, Struct] = {
    "stack": Struct("stack", (_p("lo"), _p("hi"))),
    "gobuf": Struct(
        "gobuf", (_p("sp"), _p("pc"), _p("g"), _p("ctxt"), _p("ret"), _p("lr"), _p("bp"))
    ),
    "g": Struct(
        "g",
        (
            _nested("stack", "stack"),
            _p("stackguard0"),
            _p("stackguard1"),
            _p("_panic"),
            _p("_defer"),
            _p("m"),
            _nested("sched", "gobuf"),
            _p("syscallsp"),
            _p("syscallpc"),
            _p("stktopsp"),
            _p("param"),
            Field("atomicstatus", 4, 4),
            Field("stackLock", 4, 4),
            Field("goid", 8, 8),
            _p("schedlink"),
            Field("waitsince", 8, 8),
            Field("waitreason", 1, 1),
            Field("preempt", 1, 1),
            Field("preemptStop", 1, 1),
            Field("preemptShrink", 1, 1),
            Field("asyncSafePoint", 1, 1),  # asyncPreempt2 sets it around its mcall (preempt.go)
        ),
    ),
    "m": Struct(
        "m",
        (
            _p("g0"),
            _nested("morebuf", "gobuf"),
            Field("divmod", 4, 4),
            Field("procid", 8, 8),
            _p("gsignal"),
            Field("goSigStack", 40),
            Field("sigmask", 8, 4),
            Field("tls", 6 * PTR),
            _p("mstartfn"),
            _p("curg"),
        ),
    ),
    "funcval": Struct("funcval", (_p("fn"),)),
    "ptr": Struct("ptr", (_p("value"),)),  # a global pointer variable
}


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


@cache
def sizeof(struct: str) -> int:
    """Size of a struct (the modelled prefix), rounded to pointer alignment."""
    end = 0
    for name, off, size in _members(struct):
        end = max(end, off + size)
    return _align(end, PTR)


@cache
def _members(struct: str) -> tuple[tuple[str, int, int], ...]:
    out = []
    off = 0
    for f in STRUCTS[struct].fields:
        size = sizeof(f.struct) if f.struct else f.size
        off = _align(off, f.align)
        out.append((f.name, off, size))
        off += size
    return tuple(out)


@cache
def offsetof(struct: str, field: str) -> int:
    """Offset of `field` in `struct`; KeyError names what is missing."""
    for name, off, _ in _members(struct):
        if name == field:
            return off
    raise KeyError(f"{struct} has no field {field!r}")


def fields(struct: str) -> tuple[tuple[str, int, int], ...]:
    """(name, offset, size) of each direct field."""
    return _members(struct)


def flat_fields(struct: str, prefix: str = "") -> list[tuple[str, int, int]]:
    """Leaf fields with dotted names, e.g. ('sched.pc', 64, 8)."""
    out: list[tuple[str, int, int]] = []
    for f, (name, off, size) in zip(STRUCTS[struct].fields, _members(struct)):
        if f.struct:
            out += [(f"{prefix}{name}.{n}", off + o, s) for n, o, s in flat_fields(f.struct)]
        else:
            out.append((f"{prefix}{name}", off, size))
    return out


@cache
def go_asm_symbols() -> dict[str, int]:
    """The go_asm.h constants: `g_sched`, `gobuf_pc`, `m_tls`, ..."""
    out: dict[str, int] = {}
    for sname in STRUCTS:
        for name, off, _ in _members(sname):
            out[f"{sname}_{name}"] = off
    return out
