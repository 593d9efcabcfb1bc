"""Symbolic names for addresses: struct fields, stack slots, code, TLS."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..asm.link import Image
from ..runtime.layout import flat_fields, sizeof

WORD = 8


@dataclass(frozen=True)
class Obj:
    name: str  # g, g0, m, main·fnval ...
    base: int
    struct: str  # layout struct name


@dataclass(frozen=True)
class Stack:
    owner: str  # the g that owns it: g, g0, gsignal, g2
    lo: int
    hi: int

    def __contains__(self, addr: int) -> bool:
        return self.lo <= addr < self.hi


@dataclass(frozen=True)
class Symbolizer:
    objects: tuple[Obj, ...]
    stacks: tuple[Stack, ...]
    image: Image
    tls_slot: int  # FS base - 8

    @cached_property
    def _fields(self) -> dict[int, str]:
        return _fields_of(self.objects)

    @cached_property
    def _memo(self) -> dict:
        """Answers already given by a Symbolizer with the same objects, stacks, image and TLS slot
        (every run of a preset builds an equal one)."""
        key = (self.objects, self.stacks, id(self.image), self.tls_slot)
        hit = _MEMOS.get(key)
        if hit is None or hit[0] is not self.image:
            hit = _MEMOS[key] = (self.image, {})
            if len(_MEMOS) > 64:
                _MEMOS.pop(next(iter(_MEMOS)))
        return hit[1]

    @property
    def memo(self) -> dict:
        """The shared answers (see _memo), for callers caching their own derived answers."""
        return self._memo

    def stack_of(self, addr: int) -> Stack | None:
        for s in self.stacks:
            if addr in s:
                return s
        return None

    def label(self, addr: int, sp: int | None = None) -> str:
        """Name of the memory word at `addr`: `g.sched.pc`, `g0 stack [SP+8]`, `TLS g`..."""
        memo, key = self._memo, ("label", addr, sp)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._label(addr, sp)
            if len(memo) > 50_000:
                memo.clear()
        return hit

    def _label(self, addr: int, sp: int | None) -> str:
        if addr == self.tls_slot:
            return "TLS g"
        f = self._fields.get(addr)
        if f:
            return f
        s = self.stack_of(addr)
        if s:
            if sp is not None and sp in s and addr >= sp:
                off = addr - sp
                return f"{s.owner} stack [SP+{off:#x}]" if off else f"{s.owner} stack [SP]"
            return f"{s.owner} stack [hi-{s.hi - addr:#x}]"
        code = self.image.symbolize(addr)
        if code:
            return code
        for st in self.stacks:
            if st.hi <= addr < st.hi + 0x1000:
                return f"above {st.owner} stack hi+{addr - st.hi:#x}"
            if st.lo - 0x1000 <= addr < st.lo:
                return f"below {st.owner} stack lo-{st.lo - addr:#x}"
        if addr < 0x1000:
            return f"nil+{addr:#x}" if addr else "nil"
        return f"{addr:#x}"

    def describe(self, value: int) -> str | None:
        """What a word's value points at, if it is a known address."""
        memo, key = self._memo, ("describe", value)
        if key in memo:
            return memo[key]
        hit = memo[key] = self._describe(value)
        if len(memo) > 50_000:
            memo.clear()
        return hit

    def _describe(self, value: int) -> str | None:
        if value == 0:
            return None
        for o in self.objects:
            if value == o.base:
                return o.name if o.struct == "g" or o.struct == "m" else f"&{o.name}"
            if o.base < value < o.base + sizeof(o.struct):
                f = self._fields.get(value)
                if f and f.endswith((".sched.sp", ".morebuf.sp")):
                    f = f[:-3]  # a gobuf's first word: the pointer is &gp.sched (gogo's argument), not &sched.sp
                return f"&{f}" if f else None
        code = self.image.symbolize(value)
        if code:
            return code
        s = self.stack_of(value)
        if s:
            return f"{s.owner} stack lo" if value == s.lo else f"{s.owner} stack hi-{s.hi - value:#x}"
        for st in self.stacks:
            if value == st.hi:
                return f"{st.owner} stack hi"
        return None


def _array_name(name: str, k: int, size: int) -> str:
    if name == "tls":
        return f"tls[{k // WORD}]"
    return f"{name}+{k}" if k else name


_MEMOS: dict[tuple, tuple] = {}


@lru_cache(maxsize=64)
def _fields_of(objects: tuple[Obj, ...]) -> dict[int, str]:
    """Address -> field name for every word of these objects (worlds of one family share them)."""
    out: dict[int, str] = {}
    for o in objects:
        for name, off, size in flat_fields(o.struct):
            for k in range(0, max(size, WORD), WORD):
                suffix = name if size <= WORD else _array_name(name, k, size)
                out.setdefault(o.base + off + k, o.name if o.struct == "ptr" else f"{o.name}.{suffix}")
    return out
