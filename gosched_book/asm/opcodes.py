"""iced-x86's opcode table, indexed by Intel mnemonic, and the Plan 9 names that map onto it.

Go's assembler names most amd64 instructions by the Intel mnemonic plus a size letter
(`ADDQ` is a 64-bit ADD, `CMPB` an 8-bit CMP), writes SSE and AVX instructions by their Intel
names (`PXOR`, `AESENC`, `VPXOR`), and has its own names for a few (`MOVLQZX`, `MOVOU`, `SETEQ`).
`spellings` turns a Plan 9 name into the Intel mnemonic(s) and operand sizes it may stand for.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from iced_x86 import Code, EncodingKind, Mnemonic, OpCodeInfo

from .mnemonics import GO_CONDITIONS

SIZE_LETTERS = {"B": 8, "W": 16, "L": 32, "Q": 64}


@dataclass(frozen=True)
class Spelling:
    """One reading of a Plan 9 name: the Intel mnemonic, and the size of its general-register
    operands (one size for all, a size per Intel operand, or None: whatever the opcode says)."""

    intel: str
    sizes: int | tuple[int | None, ...] | None = None
    keep_order: bool = False  # CMP-like: Plan 9 writes the operands in Intel order
    memory: str = ""  # "X" or "Y": the size of a vector memory operand (VCVTPD2DQX, ...Y)


# Go's own names (cmd/internal/obj/x86/anames.go) that are not Intel mnemonic + size letter.
_SPECIAL: dict[str, tuple[Spelling, ...]] = {
    "MOVQ": (Spelling("MOV", 64), Spelling("MOVQ")),
    "MOVL": (Spelling("MOV", 32), Spelling("MOVD")),
    "MOVLQZX": (Spelling("MOV", 32),),  # a 32-bit move zero-extends
    "MOVLQSX": (Spelling("MOVSXD", (64, 32)),),
    "MOVBLZX": (Spelling("MOVZX", (32, 8)),), "MOVBQZX": (Spelling("MOVZX", (64, 8)),),
    "MOVBWZX": (Spelling("MOVZX", (16, 8)),), "MOVWLZX": (Spelling("MOVZX", (32, 16)),),
    "MOVWQZX": (Spelling("MOVZX", (64, 16)),),
    "MOVBLSX": (Spelling("MOVSX", (32, 8)),), "MOVBQSX": (Spelling("MOVSX", (64, 8)),),
    "MOVBWSX": (Spelling("MOVSX", (16, 8)),), "MOVWLSX": (Spelling("MOVSX", (32, 16)),),
    "MOVWQSX": (Spelling("MOVSX", (64, 16)),),
    "MOVO": (Spelling("MOVDQA"),), "MOVOA": (Spelling("MOVDQA"),), "MOVOU": (Spelling("MOVDQU"),),
    "MOVNTO": (Spelling("MOVNTDQ"),), "MOVNTIQ": (Spelling("MOVNTI", 64),),
    "MOVNTIL": (Spelling("MOVNTI", 32),),
    "MOVSL": (Spelling("MOVSD"),), "STOSL": (Spelling("STOSD"),), "LODSL": (Spelling("LODSD"),),
    "SCASL": (Spelling("SCASD"),), "CMPSL": (Spelling("CMPSD"),),
    "NOPL": (Spelling("NOP", 32),), "NOPW": (Spelling("NOP", 16),),
    "CQO": (Spelling("CQO"),), "CDQ": (Spelling("CDQ"),), "CWD": (Spelling("CWD"),),
    "CWDE": (Spelling("CWDE"),), "CDQE": (Spelling("CDQE"),), "CBW": (Spelling("CBW"),),
    "IMUL3Q": (Spelling("IMUL", 64),), "IMUL3L": (Spelling("IMUL", 32),),
    "IMUL3W": (Spelling("IMUL", 16),),
    "PUSHFQ": (Spelling("PUSHFQ"),), "POPFQ": (Spelling("POPFQ"),),
    "PUSHFW": (Spelling("PUSHF"),), "POPFW": (Spelling("POPF"),),
}
# Go's names for SSE/MMX instructions whose Intel name says D (doubleword) where Go says L.
for _go, _intel in {
    "PADDL": "PADDD", "PSUBL": "PSUBD", "PSLLL": "PSLLD", "PSRAL": "PSRAD", "PSRLL": "PSRLD",
    "PCMPEQL": "PCMPEQD", "PCMPGTL": "PCMPGTD", "PMADDWL": "PMADDWD", "PMULULQ": "PMULUDQ",
    "PUNPCKHLQ": "PUNPCKHDQ", "PUNPCKHWL": "PUNPCKHWD", "PUNPCKLLQ": "PUNPCKLDQ",
    "PUNPCKLWL": "PUNPCKLWD", "PACKSSLW": "PACKSSDW", "PSHUFL": "PSHUFD",
    "CVTPL2PD": "CVTDQ2PD", "CVTPL2PS": "CVTDQ2PS", "CVTPD2PL": "CVTPD2DQ",
    "CVTPS2PL": "CVTPS2DQ", "CVTTPD2PL": "CVTTPD2DQ", "CVTTPS2PL": "CVTTPS2DQ",
    "MOVQOZX": "MOVQ",
}.items():
    _SPECIAL[_go] = (Spelling(_intel),)
# Scalar conversions to and from a general register: the letter names its size.
for _go, (_intel, _size) in {
    "CVTSL2SD": ("CVTSI2SD", 32), "CVTSQ2SD": ("CVTSI2SD", 64), "CVTSL2SS": ("CVTSI2SS", 32),
    "CVTSQ2SS": ("CVTSI2SS", 64), "CVTSD2SL": ("CVTSD2SI", 32), "CVTSD2SQ": ("CVTSD2SI", 64),
    "CVTSS2SL": ("CVTSS2SI", 32), "CVTSS2SQ": ("CVTSS2SI", 64), "CVTTSD2SL": ("CVTTSD2SI", 32),
    "CVTTSD2SQ": ("CVTTSD2SI", 64), "CVTTSS2SL": ("CVTTSS2SI", 32), "CVTTSS2SQ": ("CVTTSS2SI", 64),
}.items():
    _SPECIAL[_go] = (Spelling(_intel, _size),)
for _letter, _size in SIZE_LETTERS.items():
    if _size > 8:  # the three-operand shifts are SHLD/SHRD: SHLQ CL, DX, (BX)
        _SPECIAL[f"SHL{_letter}"] = (Spelling("SHL", _size), Spelling("SHLD", _size))
        _SPECIAL[f"SHR{_letter}"] = (Spelling("SHR", _size), Spelling("SHRD", _size))
    _SPECIAL[f"CRC32{_letter}"] = (Spelling("CRC32", (64 if _size == 64 else 32, _size)),)
_SPECIAL["MOVSWW"] = (Spelling("MOVSX", (16, 16)),)
_SPECIAL["MOVZWW"] = (Spelling("MOVZX", (16, 16)),)
for _name in ("VCVTPD2DQ", "VCVTPD2PS", "VCVTTPD2DQ"):
    for _vec in "XY":
        _SPECIAL[_name + _vec] = (Spelling(_name, memory=_vec),)
for _go, _cc in GO_CONDITIONS.items():
    _SPECIAL[f"SET{_go}"] = (Spelling(f"SET{_cc}", 8),)
    for _letter, _size in SIZE_LETTERS.items():
        if _size > 8:
            _SPECIAL[f"CMOV{_letter}{_go}"] = (Spelling(f"CMOV{_cc}", _size),)
# Plan 9 keeps Intel's operand order for these (CMPQ a, b is cmp a, b).
_KEEP_ORDER = frozenset({"CMP"})


@lru_cache(maxsize=None)
def _by_mnemonic() -> dict[str, tuple[OpCodeInfo, ...]]:
    names = {v: k for k, v in vars(Mnemonic).items() if k.isupper()}
    out: dict[str, list[OpCodeInfo]] = {}
    for name, code in vars(Code).items():
        if not name.isupper() or not isinstance(code, int):
            continue
        info = OpCodeInfo(code)
        if not info.mode64 or info.encoding not in (EncodingKind.LEGACY, EncodingKind.VEX,
                                                    EncodingKind.EVEX):
            continue
        if not info.is_instruction:
            continue
        out.setdefault(names[info.mnemonic], []).append(info)
    return {k: tuple(sorted(v, key=lambda i: i.code)) for k, v in out.items()}


def forms(intel: str) -> tuple[OpCodeInfo, ...]:
    """Every 64-bit-mode legacy, VEX or EVEX opcode of an Intel mnemonic, in iced's order."""
    return _by_mnemonic().get(intel, ())


@lru_cache(maxsize=4096)
def spellings(name: str) -> tuple[Spelling, ...]:
    """The Intel readings of a Plan 9 mnemonic (none: not an instruction this table knows)."""
    if name in _SPECIAL:
        return tuple(_keep(s) for s in _SPECIAL[name])
    table = _by_mnemonic()
    out = []
    if name in table:
        out.append(Spelling(name))
    if name[-1:] in SIZE_LETTERS and name[:-1] in table:
        out.append(Spelling(name[:-1], SIZE_LETTERS[name[-1]]))
    return tuple(_keep(s) for s in out)


def _keep(s: Spelling) -> Spelling:
    if s.intel in _KEEP_ORDER:
        return Spelling(s.intel, s.sizes, True, s.memory)
    return s
