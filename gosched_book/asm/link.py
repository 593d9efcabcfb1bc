"""Programs -> Image: lay out functions, resolve symbols, pick short or long branches."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

from ..errors import AsmError
from .encode import Resolver, Unencodable, build, decode_one, encode_one, intel, located
from .program import Function, Instruction, Label, LabelRef, PCRel, Program

FUNC_ALIGN = 32  # the Go linker aligns amd64 text symbols to 32 bytes


@dataclass(frozen=True)
class Placed:
    """One instruction at its address. `data` is empty for lines that emit nothing."""

    address: int
    data: bytes
    ins: Instruction
    function: str
    intel: str

    @property
    def line(self) -> int:
        return self.ins.loc.line

    @property
    def file(self) -> str:
        return self.ins.loc.file


@dataclass(frozen=True)
class Image:
    base: int
    code: bytes
    symbols: Mapping[str, int]  # function name -> address
    sizes: Mapping[str, int]
    placed: tuple[Placed, ...]
    programs: tuple[Program, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_addr", {p.address: p for p in self.placed if p.data})

    def at(self, address: int) -> Placed | None:
        """The instruction that starts at `address`, if any."""
        return self._by_addr.get(address)

    def function_at(self, address: int) -> str | None:
        for name, start in self.symbols.items():
            if start <= address < start + self.sizes[name]:
                return name
        return None

    def symbolize(self, address: int) -> str | None:
        """`runtime·mcall+67` for a code address, None outside the image."""
        name = self.function_at(address)
        if name is None:
            return None
        off = address - self.symbols[name]
        return f"{name}+{off}" if off else name

    def function_placed(self, name: str) -> tuple[Placed, ...]:
        return tuple(p for p in self.placed if p.function == name)

    def program_of(self, name: str) -> Program:
        for prog in self.programs:
            if any(f.name == name for f in prog.functions):
                return prog
        raise KeyError(name)


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def link(programs: Sequence[Program], base: int, extern: Mapping[str, int] | None = None) -> Image:
    """Assemble and place every function of `programs` from `base`, in order."""
    extern = dict(extern or {})
    funcs: list[tuple[Program, Function]] = [(p, f) for p in programs for f in p.functions]
    for p, f in funcs:
        if f.frame:
            raise AsmError(
                f"frame size ${f.frame} needs a prologue that this model does not emit; "
                "write $0 and adjust SP by hand",
                f.loc,
            )
    seen: dict[str, Function] = {}
    for _, f in funcs:
        if f.name in seen:
            raise AsmError(f"{f.name} is defined twice", f.loc)
        seen[f.name] = f

    long: set[tuple[str, int]] = set()  # (function, index) of label branches needing rel32
    for _ in range(16):
        try:
            return _layout(funcs, base, extern, long)
        except _TooFar as e:
            long.add(e.key)
    raise AssertionError("branch layout did not converge")


class _TooFar(Exception):
    def __init__(self, key):
        self.key = key


def _layout(funcs, base, extern, long) -> Image:
    errors: list[AsmError] = []
    # Pass 1: sizes with dummy addresses (sizes do not depend on targets, except rel8/rel32).
    sizes: dict[tuple[str, int], int] = {}
    dummy = Resolver(_AnyAddr(), _AnyAddr(), _AnyAddr())
    for _, f in funcs:
        for i, ins in enumerate(f.instructions):
            try:
                built = build(ins, dummy, (f.name, i) in long, f.frame)
                sizes[(f.name, i)] = len(encode_one(built, 0x1000)) if built else 0
            except Unencodable as e:
                errors.append(located(e, ins))
                sizes[(f.name, i)] = 0
    if errors:
        raise AsmError(errors[0].message, errors[0].loc, tuple(errors[1:]))
    # Addresses.
    symbols: dict[str, int] = {}
    addrs: dict[tuple[str, int], int] = {}
    fsize: dict[str, int] = {}
    pc = base
    for _, f in funcs:
        pc = _align(pc, FUNC_ALIGN)
        symbols[f.name] = pc
        start = pc
        for i, _ins in enumerate(f.instructions):
            addrs[(f.name, i)] = pc
            pc += sizes[(f.name, i)]
        fsize[f.name] = pc - start
    all_symbols = {**extern, **symbols}
    # Pass 2: encode for real.
    placed: list[Placed] = []
    code = bytearray(pc - base)
    for _, f in funcs:
        insns = f.instructions
        labels, k = {}, 0
        for item in f.body:
            if isinstance(item, Label):
                labels[item.name] = addrs[(f.name, k)] if k < len(insns) else symbols[f.name] + fsize[f.name]
            else:
                k += 1
        emitting = [j for j in range(len(insns)) if sizes[(f.name, j)]]
        for i, ins in enumerate(insns):
            pcrel = _pcrel_targets(f.name, i, emitting, addrs)
            res = Resolver(all_symbols, labels, pcrel)
            at = addrs[(f.name, i)]
            try:
                built = build(ins, res, (f.name, i) in long, f.frame)
                data = encode_one(built, at) if built else b""
            except Unencodable as e:
                if _is_label_branch(ins) and (f.name, i) not in long:
                    raise _TooFar((f.name, i)) from None
                errors.append(located(e, ins))
                continue
            if len(data) != sizes[(f.name, i)]:
                raise AssertionError(f"size changed for {ins.text}: {data.hex()} vs {sizes[(f.name, i)]}")
            if data:
                decoded = decode_one(data, at)
                if decoded.code != built.code:
                    raise AssertionError(f"{ins.text}: {data.hex()} decodes to another instruction")
            code[at - base: at - base + len(data)] = data
            placed.append(Placed(at, data, ins, f.name, intel(data, at) if data else ""))
    if errors:
        raise AsmError(errors[0].message, errors[0].loc, tuple(errors[1:]))
    return Image(base, bytes(code), MappingProxyType(symbols), MappingProxyType(fsize),
                 tuple(placed), tuple(dict.fromkeys(p for p, _ in funcs)))


def _is_label_branch(ins: Instruction) -> bool:
    return bool(ins.operands) and isinstance(ins.operands[0], (LabelRef, PCRel))


def _pcrel_targets(fname: str, i: int, emitting: list[int], addrs) -> dict[int, int]:
    # N(PC) counts emitted instructions from this one (Go's Prog list).
    if i not in emitting:
        return {}
    pos = emitting.index(i)
    out = {}
    for n in range(-pos, len(emitting) - pos):
        out[n] = addrs[(fname, emitting[pos + n])]
    return out


class _AnyAddr(dict):
    """A mapping where every key resolves to a nearby address (for sizing)."""

    def __contains__(self, key) -> bool:
        return True

    def __getitem__(self, key) -> int:
        return 0x1000
