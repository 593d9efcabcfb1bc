"""Programs -> Image: lay out functions, resolve symbols, pick short or long branches."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Mapping, Sequence

from ..errors import AsmError
from .encode import DATA_CODES, PREFIXES, Resolver, Unencodable, build, decode_one, encode_one, intel, located
from .frame import lower
from .program import AddrOf, Function, Instruction, Label, LabelRef, PCRel, Program, SymRef

_ADDRESSED = (SymRef, AddrOf, LabelRef, PCRel)  # operands whose bytes depend on where things are
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
        spans = sorted((start, start + self.sizes[name], name) for name, start in self.symbols.items())
        object.__setattr__(self, "_starts", [a for a, _, _ in spans])
        object.__setattr__(self, "_spans", spans)

    def at(self, address: int) -> Placed | None:
        """The instruction that starts at `address`, if any."""
        return self._by_addr.get(address)

    def function_at(self, address: int) -> str | None:
        k = bisect_right(self._starts, address)  # the last function starting at or below address
        if k and address < self._spans[k - 1][1]:
            return self._spans[k - 1][2]
        return None

    def symbolize(self, address: int) -> str | None:
        """`runtime·mcall+67` for a code address, None outside the image."""
        name = self.function_at(address)
        if name is None:
            return None
        off = address - self.symbols[name]
        return f"{name}+{off}" if off else name

    def function_placed(self, name: str) -> tuple[Placed, ...]:
        by = self.__dict__.get("_by_function")
        if by is None:
            by = {}
            for p in self.placed:
                by.setdefault(p.function, []).append(p)
            by = {k: tuple(v) for k, v in by.items()}
            object.__setattr__(self, "_by_function", by)
        return by.get(name, ())

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
    funcs: list[tuple[Program, Function]] = [(p, lower(f)) for p in programs for f in p.functions]
    seen: dict[str, Function] = {}
    for _, f in funcs:
        if f.name in seen:
            raise AsmError(f"{f.name} is defined twice", f.loc)
        seen[f.name] = f

    return _layout(funcs, base, extern)


def _layout(funcs, base, extern) -> Image:
    errors: list[AsmError] = []
    # Sizes, once per instruction: a label branch also gets its long (rel32) size.
    dummy = Resolver(_AnyAddr(), _AnyAddr(), _AnyAddr())
    short: list[list[int]] = []
    longsize: dict[tuple[int, int], int] = {}
    fixed: dict[tuple[int, int], tuple] = {}  # position-independent: encoded once, here
    for fi, (_, f) in enumerate(funcs):
        row = []
        for i, ins in enumerate(f.instructions):
            try:
                built = build(ins, dummy, False)
                data = encode_one(built, 0x1000) if built else b""
                row.append(len(data))
                if not any(isinstance(o, _ADDRESSED) for o in ins.operands):
                    fixed[(fi, i)] = (built, data)
                if _is_label_branch(ins):
                    longsize[(fi, i)] = len(encode_one(build(ins, dummy, True), 0x1000))
            except Unencodable as e:
                errors.append(located(e, ins))
                row.append(0)
        short.append(row)
    if errors:
        raise AsmError(errors[0].message, errors[0].loc, tuple(errors[1:]))
    # Branch relaxation: every label branch starts short; one that does not reach grows to rel32
    # and never shrinks back. The set of long branches only grows and is finite, so this ends.
    long: set[tuple[int, int]] = set()
    while True:
        addrs, symbols, fsize, end = _addresses(funcs, base, short, longsize, long)
        grown = False
        for fi, (_, f) in enumerate(funcs):
            targets = _Targets(f, fi, addrs, symbols[f.name] + fsize[f.name], short)
            for i, ins in enumerate(f.instructions):
                if (fi, i) in longsize and (fi, i) not in long:
                    to = targets.of(ins.operands[0], i)
                    if to is not None and not -128 <= to - (addrs[fi][i] + short[fi][i]) <= 127:
                        long.add((fi, i))
                        grown = True
        if not grown:
            break
    all_symbols = {**extern, **symbols}
    # Encode for real.
    placed: list[Placed] = []
    code = bytearray(end - base)
    for fi, (_, f) in enumerate(funcs):
        targets = _Targets(f, fi, addrs, symbols[f.name] + fsize[f.name], short)
        for i, ins in enumerate(f.instructions):
            res = Resolver(all_symbols, targets.labels, targets.pcrel(i))
            at = addrs[fi][i]
            size = longsize[(fi, i)] if (fi, i) in long else short[fi][i]
            try:
                if (fi, i) in fixed:
                    built, data = fixed[(fi, i)]
                else:
                    built = build(ins, res, (fi, i) in long)
                    data = encode_one(built, at) if built else b""
            except Unencodable as e:
                errors.append(located(e, ins))
                continue
            if len(data) != size:
                raise AssertionError(f"size changed for {ins.text}: {data.hex()} vs {size}")
            raw = built is not None and built.code in DATA_CODES  # BYTE, LOCK, ...: not decodable alone
            if data and not raw:
                decoded = decode_one(data, at)
                if decoded.code != built.code:
                    raise AssertionError(f"{ins.text}: {data.hex()} decodes to another instruction")
            code[at - base: at - base + len(data)] = data
            text = ("db " + ", ".join(f"0x{b:02x}" for b in data)) if raw else intel(data, at) if data else ""
            placed.append(Placed(at, data, ins, f.name, text))
    if errors:
        raise AsmError(errors[0].message, errors[0].loc, tuple(errors[1:]))
    placed = _join_prefixes(placed)
    return Image(base, bytes(code), MappingProxyType(symbols), MappingProxyType(fsize),
                 tuple(placed), tuple({id(p): p for p, _ in funcs}.values()))  # by identity: hashing a Program walks all of it


def _join_prefixes(placed: list[Placed]) -> list[Placed]:
    """`LOCK` then `CMPXCHGL CX, 0(R11)` run as one instruction (f0 0f b1 0b): one Placed for both,
    at the prefix's address and the instruction's line, as the CPU and objdump see them."""
    out: list[Placed] = []
    held: list[Placed] = []  # prefixes waiting for their instruction
    for p in placed:
        if p.ins.mnemonic in PREFIXES and p.data:
            held.append(p)
            continue
        if held and p.data and p.function == held[0].function \
                and held[-1].address + len(held[-1].data) == p.address:
            start = held[0]
            data = b"".join(h.data for h in held) + p.data
            text = "; ".join([h.ins.text for h in held] + [p.ins.text])
            ins = replace(p.ins, text=text)
            out.append(Placed(start.address, data, ins, p.function, intel(data, start.address)))
            held = []
            continue
        out += held
        held = []
        out.append(p)
    return out + held


def _addresses(funcs, base, short, longsize, long):
    """Each instruction's address, each function's start and size, and the end of the text."""
    symbols: dict[str, int] = {}
    fsize: dict[str, int] = {}
    addrs: list[list[int]] = []
    pc = base
    for fi, (_, f) in enumerate(funcs):
        pc = _align(pc, FUNC_ALIGN)
        symbols[f.name] = start = pc
        row = []
        for i in range(len(short[fi])):
            row.append(pc)
            pc += longsize[(fi, i)] if (fi, i) in long else short[fi][i]
        addrs.append(row)
        fsize[f.name] = pc - start
    return addrs, symbols, fsize, pc


class _Targets:
    """Label addresses and N(PC) targets of one function, computed once per layout."""

    def __init__(self, f: Function, fi: int, addrs, end: int, short):
        row, k, self.labels = addrs[fi], 0, {}
        n = len(row)
        for item in f.body:
            if isinstance(item, Label):
                self.labels[item.name] = row[k] if k < n else end
            else:
                k += 1
        # N(PC) counts emitted instructions from this one (Go's Prog list).
        self.emitting = [j for j in range(n) if short[fi][j]]
        self.position = {j: p for p, j in enumerate(self.emitting)}
        self.row = row

    def pcrel(self, i: int) -> "_PCRel":
        return _PCRel(self, self.position.get(i))

    def of(self, op, i: int) -> int | None:
        if isinstance(op, LabelRef):
            return self.labels.get(op.name)
        if isinstance(op, PCRel):
            table = self.pcrel(i)
            return table[op.n] if op.n in table else None
        return None


class _PCRel:
    def __init__(self, t: _Targets, pos: int | None):
        self.t, self.pos = t, pos

    def __contains__(self, n: int) -> bool:
        return self.pos is not None and 0 <= self.pos + n < len(self.t.emitting)

    def __getitem__(self, n: int) -> int:
        return self.t.row[self.t.emitting[self.pos + n]]


def _is_label_branch(ins: Instruction) -> bool:
    return bool(ins.operands) and isinstance(ins.operands[0], (LabelRef, PCRel))


class _AnyAddr(dict):
    """A mapping where every key resolves to a nearby address (for sizing)."""

    def __contains__(self, key) -> bool:
        return True

    def __getitem__(self, key) -> int:
        return 0x1000
