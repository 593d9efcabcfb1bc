"""Encode a Plan 9 instruction from iced-x86's opcode table, choosing the form Go picks.

Of the opcodes whose operands fit, Go's assembler (cmd/internal/obj/x86/asm6.go) takes, in order:
a sign-extended 8-bit immediate (or the shift-by-one form for `$1`); the short AL/AX/EAX/RAX
form; a register encoded in the opcode byte (`PUSHQ AX` is 50); for two general registers the
form with the destination in ModRM.rm (`MOVQ DX, R14` is 89 d6), for two vector registers the
load form (`MOVO X0, X1` is 66 0f 6f c8); a legacy encoding before VEX. The encoder-suite and
runtime-file tests hold these choices against the toolchain.
"""
from __future__ import annotations

from typing import Callable

from iced_x86 import EncodingKind, Instruction as Ins, MemoryOperand, OpCodeInfo, RoundingControl
from iced_x86 import OpCodeOperandKind as K
from iced_x86 import OpKind, Register

from .opcodes import Spelling, forms, spellings
from .program import AddrOf, Imm, Mem, Reg, SymRef

_GPR = ("AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI") + tuple(f"R{i}" for i in range(8, 16))
_LOW8 = {"AX": "AL", "CX": "CL", "DX": "DL", "BX": "BL", "SP": "SPL", "BP": "BPL", "SI": "SIL",
         "DI": "DIL"}
# Go's byte-register names -> the general register they are the low byte of.
BYTE_REGISTERS = {"AL": "AX", "CL": "CX", "DL": "DX", "BL": "BX", "SPB": "SP", "BPB": "BP",
                  "SIB": "SI", "DIB": "DI", **{f"R{i}B": f"R{i}" for i in range(8, 16)}}
HIGH_BYTE_REGISTERS = {"AH": Register.AH, "CH": Register.CH, "DH": Register.DH, "BH": Register.BH}
YREGISTERS = tuple(f"Y{i}" for i in range(16))


def _gpr(name: str, size: int) -> int:
    if name.startswith("R") and name[1:].isdigit():
        suffix = {8: "L", 16: "W", 32: "D", 64: ""}[size]
        return getattr(Register, f"{name}{suffix}")
    if size == 8:
        return getattr(Register, _LOW8[name])
    return getattr(Register, {16: "", 32: "E", 64: "R"}[size] + name)


_SIZED = {}  # operand kind -> (class, size): class r (register), m (register or memory), o (opcode)
for _s in (8, 16, 32, 64):
    for _suffix, _cls in (("_REG", "r"), ("_RM", "r"), ("_OR_MEM", "m"), ("_OPCODE", "o"),
                          ("_VVVV", "r")):
        if hasattr(K, f"R{_s}{_suffix}"):
            _SIZED[getattr(K, f"R{_s}{_suffix}")] = (_cls, _s)
_FIXED = {K.AL: ("AX", 8), K.AX: ("AX", 16), K.EAX: ("AX", 32), K.RAX: ("AX", 64), K.CL: ("CX", 8),
          K.DX: ("DX", 16)}
_VEC = {K.XMM_REG: ("X", "r"), K.XMM_RM: ("X", "r"), K.XMM_VVVV: ("X", "r"),
        K.XMM_OR_MEM: ("X", "m"), K.XMM_IS4: ("X", "r"),
        K.YMM_REG: ("Y", "r"), K.YMM_RM: ("Y", "r"), K.YMM_VVVV: ("Y", "r"),
        K.YMM_OR_MEM: ("Y", "m"), K.YMM_IS4: ("Y", "r"),
        K.MM_REG: ("M", "r"), K.MM_RM: ("M", "r"), K.MM_OR_MEM: ("M", "m"),
        K.ZMM_REG: ("Z", "r"), K.ZMM_RM: ("Z", "r"), K.ZMM_VVVV: ("Z", "r"),
        K.ZMM_OR_MEM: ("Z", "m"), K.ZMMP3_VVVV: ("Z", "r"), K.XMMP3_VVVV: ("X", "r"),
        K.K_REG: ("K", "r"), K.K_RM: ("K", "r"), K.K_VVVV: ("K", "r"), K.K_OR_MEM: ("K", "m"),
        K.KP1_REG: ("K", "r")}
_BANKS = {"X": "XMM", "Y": "YMM", "M": "MM", "Z": "ZMM", "K": "K"}
_VSIB = {K.MEM_VSIB32X: "X", K.MEM_VSIB64X: "X", K.MEM_VSIB32Y: "Y", K.MEM_VSIB64Y: "Y",
         K.MEM_VSIB32Z: "Z", K.MEM_VSIB64Z: "Z"}
_ROUNDING = {"RN_SAE": RoundingControl.ROUND_TO_NEAREST, "RZ_SAE": RoundingControl.ROUND_TOWARD_ZERO,
             "RD_SAE": RoundingControl.ROUND_DOWN, "RU_SAE": RoundingControl.ROUND_UP}
# immediate kind -> (iced operand kind, lowest, highest accepted value)
_IMM = {
    K.IMM8: (OpKind.IMMEDIATE8, -128, 255), K.IMM8SEX16: (OpKind.IMMEDIATE8TO16, -128, 127),
    K.IMM8SEX32: (OpKind.IMMEDIATE8TO32, -128, 127), K.IMM8SEX64: (OpKind.IMMEDIATE8TO64, -128, 127),
    K.IMM16: (OpKind.IMMEDIATE16, -(1 << 15), (1 << 16) - 1),
    K.IMM32: (OpKind.IMMEDIATE32, -(1 << 31), (1 << 32) - 1),
    K.IMM32SEX64: (OpKind.IMMEDIATE32TO64, -(1 << 31), (1 << 31) - 1),
    K.IMM64: (OpKind.IMMEDIATE64, -(1 << 63), (1 << 64) - 1),
    K.IMM8_CONST_1: (OpKind.IMMEDIATE8, 1, 1),
}
_SHORT_IMM = frozenset({K.IMM8SEX16, K.IMM8SEX32, K.IMM8SEX64, K.IMM8_CONST_1})


_IMPLICIT_X0 = frozenset({"BLENDVPD", "BLENDVPS", "PBLENDVB", "SHA256RNDS2"})


class NoForm(Exception):
    """No opcode of the table takes these operands."""


def known(mnemonic: str) -> bool:
    return bool(spellings(mnemonic))


def intel_order(sp: Spelling, ops: tuple) -> tuple:
    """Plan 9 writes sources first and the destination last; Intel the other way round. Go's
    CMPPS/CMPSD family keeps the predicate immediate last."""
    if sp.keep_order:
        return ops
    if sp.intel == "IMUL" and len(ops) == 2 and isinstance(ops[0], Imm):
        return (ops[1], ops[1], ops[0])  # IMULQ $n, AX is imul rax, rax, n
    if sp.intel in ("CMPPS", "CMPPD", "CMPSS", "CMPSD") and len(ops) == 3:
        return (ops[1], ops[0], ops[2])
    if sp.intel in _IMPLICIT_X0 and len(ops) == 3 and isinstance(ops[0], Reg) and ops[0].name == "X0":
        return tuple(reversed(ops[1:]))  # BLENDVPD X0, (BX), X2: X0 is implied by the opcode
    return tuple(reversed(ops))


def build(mnemonic: str, ops: tuple, mem: Callable[[object], MemoryOperand],
          suffixes: tuple[str, ...] = ()) -> Ins:
    """The iced instruction Go's assembler would emit for `mnemonic ops` (Plan 9 order), with
    AVX-512's suffixes (.Z, .BCST, .SAE, .RN_SAE, ...) and an opmask K before the destination."""
    key = (mnemonic, tuple(_shape(o) for o in ops), suffixes)
    choice = _CHOSEN.get(key)
    if choice is None:
        choice = _CHOSEN[key] = _choose(mnemonic, ops, suffixes)
    if choice is _NONE:
        raise NoForm(mnemonic)
    if choice[0] == "string":
        return getattr(Ins, choice[1])(64)
    info, sp, swapped, masked = choice
    intel_ops = intel_order(sp, ops)
    if swapped:
        intel_ops = tuple(reversed(intel_ops))
    mask = None
    if masked:
        mask, intel_ops = intel_ops[1], intel_ops[:1] + intel_ops[2:]
    ins = _make(info, intel_ops, _fit(info, sp, intel_ops), mem)
    if mask is not None:
        ins.op_mask = getattr(Register, mask.name)
        ins.zeroing_masking = "Z" in suffixes
    ins.is_broadcast = "BCST" in suffixes
    rounding = next((_ROUNDING[x] for x in suffixes if x in _ROUNDING), None)
    if rounding is not None:
        ins.rounding_control = rounding
    elif "SAE" in suffixes:
        ins.suppress_all_exceptions = True
    return ins


_CHOSEN: dict = {}  # (mnemonic, operand shapes) -> the opcode chosen for them
_NONE = ("none",)
_IMM_CLASSES = ((1, 1), (-128, 127), (0, 255), (-(1 << 15), (1 << 16) - 1),
                (-(1 << 31), (1 << 31) - 1), (0, (1 << 32) - 1))


def _shape(op) -> object:
    """What the choice of opcode depends on: a register's name, an immediate's range, memory."""
    if isinstance(op, Reg):
        return op.name
    if isinstance(op, Imm):
        return next((k for k, (lo, hi) in enumerate(_IMM_CLASSES) if lo <= op.value <= hi), 9)
    if isinstance(op, Mem) and op.index and op.index[0] in "XYZ":
        return "v" + op.index[0] + ("+" if int(op.index[1:]) >= 16 else "")
    if isinstance(op, (Mem, SymRef)):
        return "m"
    return type(op).__name__


def _evex_fits(info: OpCodeInfo, suffixes: tuple[str, ...], masked: bool, ops: tuple) -> bool:
    """Whether an opcode can carry the opmask and suffixes written."""
    if (masked or suffixes) and info.encoding != EncodingKind.EVEX:
        return False
    if masked and not info.can_use_op_mask_register:
        return False
    if info.require_op_mask_register and not masked:
        return False
    if "Z" in suffixes and not (masked and info.can_use_zeroing_masking):
        return False
    if "BCST" in suffixes and not (info.can_broadcast and any(isinstance(o, Mem) for o in ops)):
        return False
    if any(x in _ROUNDING for x in suffixes) and not info.can_use_rounding_control:
        return False
    if "SAE" in suffixes and not info.can_suppress_all_exceptions:
        return False
    return True


def _is_k(op) -> bool:
    return isinstance(op, Reg) and op.name[:1] == "K" and op.name[1:].isdigit()


def _choose(mnemonic: str, ops: tuple, suffixes: tuple[str, ...] = ()):
    best = None
    for rank, sp in enumerate(spellings(mnemonic)):
        orders = [intel_order(sp, ops)]
        if sp.intel == "XCHG":  # either order is the same exchange; Go finds the 90+r form both ways
            orders.append(tuple(reversed(orders[0])))
        for intel_ops in orders:
            for info in forms(sp.intel):
                if not _sized_like(info, sp):
                    continue
                if not intel_ops and _string_op(info) and not suffixes:
                    return ("string", f"create_{sp.intel.lower()}")
                masked = len(intel_ops) == info.op_count + 1 and len(intel_ops) > 1 \
                    and _is_k(intel_ops[1]) and info.can_use_op_mask_register
                tried = intel_ops[:1] + intel_ops[2:] if masked else intel_ops
                if info.op_count != len(tried) or not _evex_fits(info, suffixes, masked, tried):
                    continue
                fit = _fit(info, sp, tried)
                if fit is None:
                    continue
                key = (rank, _preference(info, tried), info.code)
                if best is None or key < best[0]:
                    best = (key, (info, sp, intel_ops is not orders[0], masked))
    return _NONE if best is None else best[1]


_IMPLICIT = frozenset({K.SEG_RSI, K.ES_RDI, K.SEG_RDI, K.SEG_RBX_AL})


def _string_op(info: OpCodeInfo) -> bool:
    """MOVSB, STOSQ, ...: written with no operands, their memory operands are implied."""
    kinds = [info.op_kind(i) for i in range(info.op_count)]
    return any(k in _IMPLICIT for k in kinds) and info.address_size in (0, 64) and \
        hasattr(Ins, f"create_{_mnemonic_name(info).lower()}")


def _mnemonic_name(info: OpCodeInfo) -> str:
    return info.instruction_string.split()[0]


def _sized_like(info: OpCodeInfo, sp: Spelling) -> bool:
    """A size letter also picks among opcodes that differ only in operand size (IRETQ, CQO)."""
    if not isinstance(sp.sizes, int) or not info.operand_size:
        return True
    return info.operand_size == sp.sizes


def _size_of(sp: Spelling, i: int) -> int | None:
    if isinstance(sp.sizes, tuple):
        return sp.sizes[i] if i < len(sp.sizes) else None
    return sp.sizes


def _fit(info: OpCodeInfo, sp: Spelling, ops: tuple) -> list | None:
    """Per operand, how it is encoded for this opcode; None when an operand does not fit."""
    out = []
    for i, op in enumerate(ops):
        kind = info.op_kind(i)
        want = _size_of(sp, i)
        if isinstance(op, Reg):
            if op.name in _GPR or op.name in BYTE_REGISTERS:
                base = BYTE_REGISTERS.get(op.name, op.name)
                if kind in _FIXED:
                    fixed, size = _FIXED[kind]
                    # a shift count (CL) or port (DX) keeps its own size whatever the letter says
                    sized = kind not in (K.CL, K.DX)
                    if base != fixed or (sized and want and want != size) or \
                            (base != op.name and size != 8):
                        return None
                    out.append(("reg", _gpr(base, size)))
                    continue
                if kind not in _SIZED:
                    return None
                _, size = _SIZED[kind]
                if (want and want != size) or (base != op.name and size != 8):
                    return None
                out.append(("reg", _gpr(base, size)))
                continue
            if op.name in HIGH_BYTE_REGISTERS:
                if kind not in _SIZED or _SIZED[kind][1] != 8 or (want and want != 8):
                    return None
                out.append(("reg", HIGH_BYTE_REGISTERS[op.name]))
                continue
            bank = op.name[0]
            if kind not in _VEC or _VEC[kind][0] != bank or bank not in _BANKS:
                return None
            if int(op.name[1:]) >= 16 and info.encoding != EncodingKind.EVEX:
                return None  # X16-X31 and their kin exist only in EVEX
            reg = getattr(Register, _BANKS[bank] + op.name[1:])
            out.append(("reg", reg))
            continue
        if isinstance(op, Mem) and op.index and op.index[0] in "XYZ":  # VSIB: only the gathers
            if _VSIB.get(kind) != op.index[0]:
                return None
            if int(op.index[1:]) >= 16 and info.encoding != EncodingKind.EVEX:
                return None
            out.append(("mem", op))
            continue
        if isinstance(op, (Mem, SymRef)):
            if kind in _SIZED and _SIZED[kind][0] == "m":
                if want and want != _SIZED[kind][1]:
                    return None
            elif kind in _VEC and _VEC[kind][1] == "m":
                if sp.memory and _VEC[kind][0] != sp.memory:
                    return None
            elif kind != K.MEM:
                return None
            out.append(("mem", op))
            continue
        if isinstance(op, Imm):
            if kind not in _IMM:
                return None
            opkind, lo, hi = _IMM[kind]
            if not lo <= op.value <= hi:
                return None
            out.append(("imm", (opkind, op.value)))
            continue
        if isinstance(op, AddrOf):
            return None
        return None
    return out


def _preference(info: OpCodeInfo, ops: tuple) -> tuple:
    kinds = [info.op_kind(i) for i in range(info.op_count)]
    short_imm = 0 if any(k in _SHORT_IMM for k in kinds) else 1
    fixed = 0 if any(k in _FIXED for k in kinds) else 1
    in_opcode = 0 if any(k in _SIZED and _SIZED[k][0] == "o" for k in kinds) else 1
    direction = 0
    if len(ops) >= 2 and all(isinstance(o, Reg) for o in ops[:2]):
        first = kinds[0]
        if first in _VEC:
            direction = 0 if first in (K.XMM_REG, K.YMM_REG, K.MM_REG) else 1
        else:
            direction = 0 if first in _SIZED and _SIZED[first][0] == "m" else 1
    legacy = {EncodingKind.LEGACY: 0, EncodingKind.VEX: 1}.get(info.encoding, 2)  # EVEX last
    # A memory operand goes through an X-register form when there is one (MOVQ X0, 8(SP) is
    # 66 0f d6, not 66 48 0f 7e); without a size letter, no 16-bit (66) or 32-bit-address (67)
    # variant is taken when another exists (LLDT DX is 0f 00 d2, MONITOR is 0f 01 c8).
    vector_mem = 0 if any(k in (K.XMM_OR_MEM, K.YMM_OR_MEM, K.MM_OR_MEM) for k in kinds) else 1
    narrow = 1 if info.operand_size == 16 or info.address_size in (16, 32) else 0
    evex = 1 if info.encoding == EncodingKind.EVEX else 0  # Go takes VEX whenever a VEX form fits
    return (evex, short_imm, fixed, in_opcode, vector_mem, direction, narrow, legacy)


def _make(info: OpCodeInfo, ops: tuple, fit: list, mem) -> Ins:
    ins = Ins.create(info.code)
    for i, (what, value) in enumerate(fit):
        if what == "reg":
            ins.set_op_kind(i, OpKind.REGISTER)
            ins.set_op_register(i, value)
        elif what == "mem":
            m = mem(value)
            ins.set_op_kind(i, OpKind.MEMORY)
            ins.memory_base = m.base
            ins.memory_index = m.index
            ins.memory_index_scale = m.scale
            ins.memory_displacement = m.displ & ((1 << 64) - 1)
            ins.memory_displ_size = m.displ_size
            if m.seg != Register.NONE:
                ins.segment_prefix = m.seg
        else:
            opkind, v = value
            ins.set_op_kind(i, opkind)
            if opkind == OpKind.IMMEDIATE64:
                ins.set_immediate_u64(i, v & ((1 << 64) - 1))
            elif v < 0:
                ins.set_immediate_i32(i, v)
            else:
                ins.set_immediate_u32(i, v)
    return ins
