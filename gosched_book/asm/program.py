"""The parsed form of a Plan 9 listing: operands, instructions, functions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..errors import SourceLocation

# Plan 9 names of the amd64 general registers.
REGISTERS = (
    "AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
)
# The SSE registers (X15 is the ABIInternal zero register), the AVX ones, and Go's names for
# byte registers (AL..DL, SPB..DIB, R8B..R15B, AH..DH), and the MMX registers M0-M7.
XREGISTERS = tuple(f"X{i}" for i in range(16))
YREGISTERS = tuple(f"Y{i}" for i in range(16))
BYTE_NAMES = ("AL", "CL", "DL", "BL", "SPB", "BPB", "SIB", "DIB", "AH", "CH", "DH", "BH",
              *(f"R{i}B" for i in range(8, 16)))
MREGISTERS = tuple(f"M{i}" for i in range(8))  # MMX
# AVX-512: X16-X31 and Y16-Y31, the Z registers, the opmask registers K0-K7
EVEX_REGISTERS = tuple(f"{b}{i}" for b in "XY" for i in range(16, 32)) + \
    tuple(f"Z{i}" for i in range(32)) + tuple(f"K{i}" for i in range(8))
OTHER_REGISTERS = frozenset(XREGISTERS + YREGISTERS + MREGISTERS + BYTE_NAMES + EVEX_REGISTERS)
# Go's AVX-512 suffixes on a mnemonic: zeroing, broadcast, exceptions suppressed, rounding.
EVEX_SUFFIXES = ("Z", "BCST", "SAE", "RN_SAE", "RZ_SAE", "RD_SAE", "RU_SAE")


@dataclass(frozen=True)
class Reg:
    name: str
    col: int = 0


@dataclass(frozen=True)
class Imm:
    value: int
    col: int = 0


@dataclass(frozen=True)
class AddrOf:
    """`$sym(SB)`: the address of a symbol; `abi` is a selector written after it (`<ABIInternal>`)."""

    symbol: str
    offset: int = 0
    col: int = 0
    abi: str = ""


@dataclass(frozen=True)
class Mem:
    """`disp(base)(index*scale)`; `tls` marks `g(r)`, the FS-relative current-g slot."""

    base: str | None
    disp: int = 0
    index: str | None = None
    scale: int = 1
    tls: bool = False
    fp_name: str | None = None  # set for name+off(FP)
    auto_name: str | None = None  # set for name-off(SP), a slot below the pseudo-SP
    col: int = 0


@dataclass(frozen=True)
class SymRef:
    """`sym+off(SB)`; `abi` is a selector written after the name (`sym<ABIInternal>(SB)`)."""

    symbol: str
    offset: int = 0
    col: int = 0
    abi: str = ""


@dataclass(frozen=True)
class LabelRef:
    name: str
    col: int = 0


@dataclass(frozen=True)
class PCRel:
    """`N(PC)`: N instructions from this one."""

    n: int
    col: int = 0


@dataclass(frozen=True)
class TLSBase:
    """The pseudo-register TLS in `MOVQ TLS, r` (what `get_tls(r)` expands to)."""

    col: int = 0


Operand = Union[Reg, Imm, AddrOf, Mem, SymRef, LabelRef, PCRel, TLSBase]


@dataclass(frozen=True)
class Instruction:
    mnemonic: str
    operands: tuple[Operand, ...]
    loc: SourceLocation
    comment: str = ""
    macro: str = ""  # e.g. "get_tls(CX)" when expanded from a macro
    text: str = ""  # the Plan 9 text as written, without label or comment
    added: str = ""  # set on what the assembler adds (prologue, epilogue, stack check, ...)
    suffixes: tuple[str, ...] = ()  # AVX-512's .Z, .BCST, .SAE, .RN_SAE, ... (VADDPD.BCST)


@dataclass(frozen=True)
class Label:
    name: str
    loc: SourceLocation


@dataclass(frozen=True)
class Function:
    """One TEXT block."""

    name: str  # e.g. runtime·mcall, gogo<>
    abi: str  # ABI0 or ABIInternal
    flags: tuple[str, ...]
    frame: int
    argsize: int
    loc: SourceLocation
    body: tuple[Instruction | Label, ...] = field(default=())

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        return tuple(x for x in self.body if isinstance(x, Instruction))


@dataclass(frozen=True)
class Program:
    file: str
    source: str
    functions: tuple[Function, ...]
    data: tuple = ()  # DATA statements (asm.data.Data), in order
    globals: tuple = ()  # GLOBL statements (asm.data.Global)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)
