"""The memory an instruction is about to touch, with full 64-bit addresses (Unicorn cuts them)."""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

from iced_x86 import Decoder, InstructionInfoFactory, MemorySizeExt, OpAccess, Register

from .trace import REGS

MASK = (1 << 64) - 1
_NAME = {getattr(Register, r.upper()): r for r in REGS}
_KINDS = {
    OpAccess.READ: ("read",), OpAccess.COND_READ: ("read",), OpAccess.WRITE: ("write",),
    OpAccess.COND_WRITE: ("write",), OpAccess.READ_WRITE: ("read", "write"),
    OpAccess.READ_COND_WRITE: ("read", "write"),
}


def canonical(address: int) -> bool:
    """x86-64 with 48-bit addresses: bits 63..47 all equal."""
    return (address >> 47) in (0, (1 << 17) - 1)


@lru_cache(maxsize=4096)
def _shape(data: bytes, ip: int) -> tuple:
    """(kind, fs, base name, index name, scale, displacement, size) per memory access."""
    ins = Decoder(64, data, ip=ip).decode()
    out = []
    for m in InstructionInfoFactory().info(ins).used_memory():  # per call: results are cached
        for kind in _KINDS.get(m.access, ()):
            out.append((kind, m.segment == Register.FS, _NAME.get(m.base), _NAME.get(m.index),
                        m.scale, m.displacement_i64, MemorySizeExt.size(m.memory_size)))
    return tuple(out)


def shape(data: bytes, ip: int) -> tuple:
    """The instruction's memory accesses as addresses(), given registers, turns into addresses."""
    return _shape(data, ip)


def accesses(data: bytes, ip: int, regs: Mapping[str, int], fs_base: int) -> tuple[tuple[str, int, int], ...]:
    """(read|write, address, size) for each memory access of the instruction `data` at `ip`.

    `regs` maps REGS names to their values before the instruction runs.
    """
    return addresses(_shape(data, ip), regs, fs_base)


def addresses(shape: tuple, regs: Mapping[str, int], fs_base: int) -> tuple[tuple[str, int, int], ...]:
    """accesses() for an instruction's shape()."""
    out = []
    for kind, fs, base, index, scale, disp, size in shape:
        a = disp + (fs_base if fs else 0)
        if base is not None:
            a += regs[base]
        if index is not None:
            a += regs[index] * scale
        out.append((kind, a & MASK, size))
    return tuple(out)
