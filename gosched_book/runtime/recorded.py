"""The real runtime's recorded runs (reference/<routine>.<preset>.json, recorded under gdb by
scripts/gdbref/record.py): each entry with the full machine state before and after it, and the
values expressed relative to the run's own objects, so they can be held against the book's world."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .layout import sizeof

OBJECTS = ("g", "g0", "gsignal", "m")
OBJECT_SIZE = {"g": sizeof("g"), "g0": sizeof("g"), "gsignal": sizeof("g"), "m": sizeof("m")}  # the modelled prefix


def _h(v: str | None) -> int | None:
    return None if v is None else int(v, 16)


@dataclass(frozen=True)
class Entry:
    """One recorded entry: an instruction, a kernel action or a skipped Go function."""

    index: int
    raw: dict
    kind: str  # "insn", "kernel" or "skipped"
    pc: int
    sym: str  # symbol+offset, as gdb named it
    regs_before: dict
    regs_after: dict  # rip = the next entry's pc
    mem_before: dict
    mem_after: dict

    @property
    def func(self) -> str:
        return self.sym.split("+")[0]

    @property
    def offset(self) -> int:
        return int(self.sym.split("+")[1], 16) if "+" in self.sym else 0

    @property
    def bytes(self) -> bytes:
        return bytes.fromhex(self.raw.get("bytes", ""))

    def written(self) -> dict[int, int]:
        """address -> new value of each recorded word this entry changed."""
        return {_h(a): _h(n) for a, _lab, _o, n in self.raw["mem"]}


@dataclass(frozen=True)
class Recording:
    name: str
    doc: dict
    entries: tuple[Entry, ...]

    @property
    def structures(self) -> dict[str, int]:
        return {k: _h(v) for k, v in self.doc["structures"].items()}

    @property
    def symbols(self) -> dict[str, int]:
        return {k: _h(v) for k, v in self.doc["symbols"].items()}

    def stack(self, who: str) -> tuple[int, int] | None:
        st = self.structures
        if f"{who}.stack.lo" not in st:
            return None
        return st[f"{who}.stack.lo"], st[f"{who}.stack.hi"]

    def express(self, v: int | None) -> tuple:
        """A value as the run's objects name it: ('stack', 'g', hi - v) (or 'lo'), ('obj', 'g0', offset),
        ('sym', 'runtime.mcall', offset), else ('raw', v)."""
        return express(v, self.structures, self.symbols)


def express(v: int | None, structures: dict[str, int], symbols: dict[str, int]) -> tuple:
    if v is None:
        return ("raw", None)
    bounds = [(who, structures.get(f"{who}.stack.lo"), structures.get(f"{who}.stack.hi"))
              for who in ("g", "g0", "gsignal")]
    for who, lo, hi in bounds:  # [lo, hi) first: one stack's hi may be the next one's lo
        if lo is not None and v == lo:
            return ("stack", who, "lo")  # stack sizes differ between runs: lo is lo
        if lo is not None and lo <= v < hi:
            return ("stack", who, hi - v)
    for who, lo, hi in bounds:
        if hi is not None and v == hi:
            return ("stack", who, 0)
    for who in OBJECTS:
        if structures.get(who) == v:
            return ("obj", who, 0)
    for who in OBJECTS:
        base = structures.get(who)
        if base is not None and base <= v < base + OBJECT_SIZE[who]:
            return ("obj", who, v - base)
    best = None
    for name, addr in symbols.items():
        if addr <= v < addr + 0x400 and (best is None or addr > best[1]):
            best = (name, addr)
    if best is not None:
        return ("sym", best[0], v - best[1])
    return ("raw", v)


@cache
def load(name: str) -> Recording:
    """reference/<name>.json, each entry with the state before and after it."""
    doc = json.loads(resources.files(__package__).joinpath("reference", f"{name}.json").read_text())
    regs = {k: _h(v) for k, v in doc["initial"]["regs"].items()}
    mem = {_h(a): _h(v) for a, _, v in doc["initial"]["mem"]}
    raw = doc["steps"]
    out = []
    for i, s in enumerate(raw):
        mem = {**mem, **{_h(a): _h(v) for a, _, v in s.get("seen", [])}}
        before_regs, before_mem = dict(regs), dict(mem)
        regs = {**regs, **{k: _h(v) for k, v in s["regs"].items()}}
        mem = {**mem, **{_h(a): _h(n) for a, _, _o, n in s["mem"]}}
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt is None:
            regs["rip"] = _h(doc["end"]["pc"])
        else:
            regs["rip"] = _h(nxt["pc"]) if "pc" in nxt else _h(nxt["skipped"]["from"])
        if "skipped" in s:
            kind, pc, sym = "skipped", _h(s["skipped"]["from"]), s["skipped"]["from_sym"]
        else:
            kind, pc, sym = ("kernel" if "kernel" in s else "insn"), _h(s["pc"]), s["sym"]
        out.append(Entry(i, s, kind, pc, sym, before_regs, dict(regs), before_mem, dict(mem)))
    return Recording(name, doc, tuple(out))
