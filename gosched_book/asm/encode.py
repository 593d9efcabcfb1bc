"""Program -> x86-64 bytes with iced-x86, choosing the encodings the Go assembler picks."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from iced_x86 import Code, Decoder, Encoder, Formatter, FormatterSyntax, Instruction as Ins
from iced_x86 import MemoryOperand, Register

from ..errors import AsmError
from . import generic
from .mnemonics import CONDITIONS, MNEMONICS
from .program import AddrOf, Imm, Instruction, LabelRef, Mem, PCRel, Reg, SymRef, TLSBase

R64 = {
    "AX": Register.RAX, "CX": Register.RCX, "DX": Register.RDX, "BX": Register.RBX,
    "SP": Register.RSP, "BP": Register.RBP, "SI": Register.RSI, "DI": Register.RDI,
    **{f"R{i}": getattr(Register, f"R{i}") for i in range(8, 16)},
}
R32 = {
    "AX": Register.EAX, "CX": Register.ECX, "DX": Register.EDX, "BX": Register.EBX,
    "SP": Register.ESP, "BP": Register.EBP, "SI": Register.ESI, "DI": Register.EDI,
    **{f"R{i}": getattr(Register, f"R{i}D") for i in range(8, 16)},
}
XMM = {f"X{i}": getattr(Register, f"XMM{i}") for i in range(16)}  # what the hand encoder takes
# Raw bytes in the text: BYTE/WORD/LONG/QUAD $v, and the prefixes Go writes as instructions.
DATA_SIZES = {"BYTE": 1, "WORD": 2, "LONG": 4, "QUAD": 8}
PREFIXES = {"REP": 0xF3, "REPN": 0xF2, "LOCK": 0xF0}
_DECLARE = {1: "create_declare_byte_1", 2: "create_declare_word_1", 4: "create_declare_dword_1",
            8: "create_declare_qword_1"}
DATA_CODES = frozenset({Code.DECLAREBYTE, Code.DECLAREWORD, Code.DECLAREDWORD, Code.DECLAREQWORD})


def declare(data: bytes) -> Ins:
    """An iced data declaration emitting exactly `data` (1, 2, 4 or 8 bytes)."""
    return getattr(Ins, _DECLARE[len(data)])(int.from_bytes(data, "little"))


YMM = {f"Y{i}": getattr(Register, f"YMM{i}") for i in range(32)}
ZMM = {f"Z{i}": getattr(Register, f"ZMM{i}") for i in range(32)}
_INDEX = {**R64, **{f"X{i}": getattr(Register, f"XMM{i}") for i in range(32)}, **YMM, **ZMM}  # a vector index register is VSIB addressing (the gathers)
_ALU = {"ADDQ": "ADD", "SUBQ": "SUB", "ANDQ": "AND", "ORQ": "OR", "XORQ": "XOR"}


class Unencodable(Exception):
    """Raised by `build`; turned into AsmError by the caller, which knows the location."""

    def __init__(self, message: str, col: int = 0):
        self.message, self.col = message, col
        super().__init__(message)


def _code(name: str) -> int:
    return getattr(Code, name)


def _kind(op) -> str:
    if isinstance(op, Reg):
        return "r"
    if isinstance(op, Mem):
        return "m"
    if isinstance(op, Imm):
        return "i"
    if isinstance(op, AddrOf):
        return "a"
    if isinstance(op, SymRef):
        return "s"
    if isinstance(op, (LabelRef, PCRel)):
        return "l"
    if isinstance(op, TLSBase):
        return "t"
    raise Unencodable(f"unsupported operand {op!r}")


def _fits8(v: int) -> bool:
    return -128 <= v <= 127


def _fits32(v: int) -> bool:
    return -(1 << 31) <= v < (1 << 31)


class Resolver:
    """What `build` needs from the layout: symbol and label addresses."""

    def __init__(self, symbols: dict[str, int], labels: dict[str, int], pcrel: dict[int, int]):
        self.symbols, self.labels, self.pcrel = symbols, labels, pcrel

    def target(self, op, ins: Instruction) -> int:
        if isinstance(op, LabelRef):
            return self.labels[op.name]
        if isinstance(op, PCRel):
            if op.n not in self.pcrel:
                raise Unencodable(f"{op.n}(PC) points outside the function", op.col)
            return self.pcrel[op.n]
        if isinstance(op, (SymRef, AddrOf)):
            if op.symbol not in self.symbols:
                raise Unencodable(f"undefined symbol {op.symbol}(SB)", op.col)
            return self.symbols[op.symbol] + op.offset
        raise Unencodable("not a branch target", getattr(op, "col", 0))


@dataclass(frozen=True)
class MemFields:
    """A memory operand as iced's Instruction takes it."""

    base: int
    index: int = Register.NONE
    scale: int = 1
    displ: int = 0
    displ_size: int = 0
    seg: int = Register.NONE

    def operand(self) -> MemoryOperand:
        return MemoryOperand(self.base, self.index, self.scale, displ=self.displ,
                             displ_size=self.displ_size, seg=self.seg)


def mem_fields(op, res: Resolver) -> MemFields:
    """FP and named-SP slots are already hardware-SP offsets here (frame.lower)."""
    if isinstance(op, SymRef):
        return MemFields(Register.RIP, displ=res.target(op, None), displ_size=8)
    if op.tls:
        return MemFields(Register.NONE, displ=-8, displ_size=8, seg=Register.FS)
    disp = op.disp
    if not _fits32(disp):
        raise Unencodable(f"displacement {disp:#x} does not fit in 32 bits", op.col)
    index = _INDEX[op.index] if op.index else Register.NONE
    if op.base is None:  # (index*scale) alone: an absolute disp32 with the index
        return MemFields(Register.NONE, index, op.scale, displ=disp, displ_size=8)
    return MemFields(R64[op.base], index, op.scale, displ=disp, displ_size=1 if disp else 0)


def _mem(op, res: Resolver) -> MemoryOperand:
    return mem_fields(op, res).operand()


def build(ins: Instruction, res: Resolver, long_branch: bool) -> Ins | None:
    """The iced instruction for one Plan 9 instruction, or None when it emits no bytes."""
    m, ops = ins.mnemonic, ins.operands
    vector = any(isinstance(o, Reg) and o.name not in R64 for o in ops)
    if m in MNEMONICS and not (vector and m != "XORPS") and not ins.suffixes:
        try:
            return _build_known(ins, res, long_branch)
        except Unencodable as e:
            if not generic.known(m):
                raise
            try:
                return _build_generic(ins, res)
            except Unencodable:
                raise e from None
    return _build_generic(ins, res)


def _build_generic(ins: Instruction, res: Resolver) -> Ins:
    m, ops = ins.mnemonic, ins.operands
    if not generic.known(m):
        raise Unencodable(f"unknown instruction {m!r}", ins.loc.column)
    try:
        return generic.build(m, ops, lambda o: mem_fields(o, res), ins.suffixes)
    except generic.NoForm:
        kinds = "".join(_kind(o) for o in ops)
        raise Unencodable(f"{m} cannot take operands of this shape ({_describe(kinds)})",
                          getattr(ops[0], "col", ins.loc.column) if ops else ins.loc.column) from None


def _build_known(ins: Instruction, res: Resolver, long_branch: bool) -> Ins | None:
    m, ops = ins.mnemonic, ins.operands
    if m == "NOP" and not ops:
        return None  # a bare NOP is a placeholder in Go's Prog list: no bytes
    want, what = MNEMONICS[m]
    if len(ops) != want:
        plural = "operand" if want == 1 else "operands"
        shape = f" ({what})" if what else ""
        raise Unencodable(f"{m} takes {want} {plural}{shape}; got {len(ops)}", ins.loc.column)
    kinds = "".join(_kind(o) for o in ops)
    mem = lambda o: o if isinstance(o, MemoryOperand) else _mem(o, res)  # noqa: E731
    bad = lambda: Unencodable(  # noqa: E731 - built only when raised
        f"{m} cannot take operands of this shape ({_describe(kinds)})",
        getattr(ops[0], "col", ins.loc.column) if ops else ins.loc.column)

    xregs = [o for o in ops if isinstance(o, Reg) and o.name in XMM]
    if xregs and m != "XORPS":
        raise Unencodable(f"{m} does not take X registers here ({xregs[0].name})", xregs[0].col)

    if m in ("MOVQ", "MOVL"):
        q = m == "MOVQ"
        R = R64 if q else R32
        w = "64" if q else "32"
        s, d = ops
        if kinds == "tr":
            return None  # MOVQ TLS, r: the linker drops it (FACTS: get_tls emits nothing)
        if kinds == "rr":
            return Ins.create_reg_reg(_code(f"MOV_RM{w}_R{w}"), R[d.name], R[s.name])
        if kinds in ("mr", "sr"):
            return Ins.create_reg_mem(_code(f"MOV_R{w}_RM{w}"), R[d.name], mem(s))
        if kinds in ("rm", "rs"):
            return Ins.create_mem_reg(_code(f"MOV_RM{w}_R{w}"), mem(d), R[s.name])
        if kinds == "ir":
            if q and not _fits32(s.value):
                return Ins.create_reg_u64(Code.MOV_R64_IMM64, R[d.name], s.value & (2**64 - 1))
            if q:
                return Ins.create_reg_i32(Code.MOV_RM64_IMM32, R[d.name], s.value)
            if not -(1 << 31) <= s.value < 1 << 32:
                raise Unencodable(f"constant {s.value:#x} does not fit in 32 bits (MOVL)", s.col)
            return Ins.create_reg_u32(Code.MOV_R32_IMM32, R[d.name], s.value & 0xFFFFFFFF)
        if kinds == "im":
            _need32(s)
            return Ins.create_mem_i32(_code(f"MOV_RM{w}_IMM32"), mem(d), s.value)
        if kinds == "ar" and q:
            return Ins.create_reg_mem(Code.LEA_R64_M, R64[d.name], mem(SymRef(s.symbol, s.offset, s.col, s.abi)))
        raise bad()
    if m == "LEAQ":
        if kinds in ("mr", "sr"):
            return Ins.create_reg_mem(Code.LEA_R64_M, R64[ops[1].name], mem(ops[0]))
        raise bad()
    if m == "ADJSP":  # SUBQ $n, SP (ADDQ $-n, SP when n < 0), as obj6 rewrites it
        if kinds != "i":
            raise bad()
        v = ops[0].value
        alu = Instruction("SUBQ" if v >= 0 else "ADDQ", (Imm(abs(v), ops[0].col), Reg("SP")), ins.loc)
        return _build_known(alu, res, long_branch)
    if m in _ALU:
        op, (s, d) = _ALU[m], ops
        if kinds in ("ir", "im"):
            _need32(s)
            size = "IMM8" if _fits8(s.value) else "IMM32"
            if kinds == "ir" and d.name == "AX" and size == "IMM32":
                return Ins.create_reg_i32(_code(f"{op}_RAX_IMM32"), Register.RAX, s.value)  # 48 05 id
            dst = R64[d.name] if kinds == "ir" else mem(d)
            f = Ins.create_reg_i32 if kinds == "ir" else Ins.create_mem_i32
            return f(_code(f"{op}_RM64_{size}"), dst, s.value)
        if kinds == "rr":
            return Ins.create_reg_reg(_code(f"{op}_RM64_R64"), R64[d.name], R64[s.name])
        if kinds == "mr":
            return Ins.create_reg_mem(_code(f"{op}_R64_RM64"), R64[d.name], mem(s))
        if kinds == "rm":
            return Ins.create_mem_reg(_code(f"{op}_RM64_R64"), mem(d), R64[s.name])
        raise bad()
    if m == "CMPQ":
        a, b = ops  # source order is Intel order for CMP
        if kinds == "rr":
            return Ins.create_reg_reg(Code.CMP_RM64_R64, R64[a.name], R64[b.name])
        if kinds == "rm":
            return Ins.create_reg_mem(Code.CMP_R64_RM64, R64[a.name], mem(b))
        if kinds == "mr":
            return Ins.create_mem_reg(Code.CMP_RM64_R64, mem(a), R64[b.name])
        if kinds in ("ri", "mi"):
            _need32(b)
            size = "IMM8" if _fits8(b.value) else "IMM32"
            if kinds == "ri" and a.name == "AX" and size == "IMM32":
                return Ins.create_reg_i32(Code.CMP_RAX_IMM32, Register.RAX, b.value)  # 48 3d id
            f = Ins.create_reg_i32 if kinds == "ri" else Ins.create_mem_i32
            return f(_code(f"CMP_RM64_{size}"), R64[a.name] if kinds == "ri" else mem(a), b.value)
        raise bad()
    if m == "TESTQ":
        s, d = ops
        if kinds == "rr":
            return Ins.create_reg_reg(Code.TEST_RM64_R64, R64[d.name], R64[s.name])
        if kinds == "ir":
            _need32(s)
            if d.name == "AX":
                return Ins.create_reg_i32(Code.TEST_RAX_IMM32, Register.RAX, s.value)  # 48 a9 id
            return Ins.create_reg_i32(Code.TEST_RM64_IMM32, R64[d.name], s.value)
        raise bad()
    if m == "TESTL":
        s, d = ops
        if kinds == "rr" and s.name in R32 and d.name in R32:
            return Ins.create_reg_reg(Code.TEST_RM32_R32, R32[d.name], R32[s.name])
        raise bad()
    if m == "XORPS":
        s, d = ops
        if kinds == "rr" and s.name in XMM and d.name in XMM:
            return Ins.create_reg_reg(Code.XORPS_XMM_XMMM128, XMM[d.name], XMM[s.name])
        raise Unencodable("XORPS takes two X registers, e.g. XORPS X15, X15",
                          getattr(ops[0], "col", ins.loc.column))
    if m == "BYTE" and kinds == "i" and ops[0].value == 0x90:
        return Ins.create(Code.NOPD)  # BYTE $0x90 // NOP, as in runtime·goexit
    if m in DATA_SIZES:
        size = DATA_SIZES[m]
        if kinds != "i":
            raise Unencodable(f"{m} takes a ${size * 8}-bit constant", getattr(ops[0], "col", ins.loc.column))
        # Go writes the value's low bytes, whatever its size (BYTE $0x100 is 00: checked with go 1.19)
        return declare((ops[0].value % (1 << 64)).to_bytes(8, "little")[:size])
    if m in PREFIXES:
        return declare(bytes([PREFIXES[m]]))
    if m == "NOP":
        return None  # NOP SP only tells vet that SP changed
    if m in ("FUNCDATA", "PCDATA"):
        if kinds not in ("is", "ii"):
            raise bad()
        return None  # tables for the garbage collector, not instructions
    if m == "PUSHQ":
        if kinds == "r":
            return Ins.create_reg(Code.PUSH_R64, R64[ops[0].name])
        if kinds == "i":
            _need32(ops[0])
            v = ops[0].value
            return Ins.create_i32(Code.PUSHQ_IMM8 if _fits8(v) else Code.PUSHQ_IMM32, v)
        raise bad()
    if m == "POPQ":
        if kinds == "r":
            return Ins.create_reg(Code.POP_R64, R64[ops[0].name])
        raise bad()
    if m == "RET":
        return Ins.create(Code.RETNQ)
    if m == "INT":
        if kinds == "i" and 0 <= ops[0].value <= 255:
            return Ins.create_u32(Code.INT_IMM8, ops[0].value)  # INT $3 is cd 03, as Go emits
        raise Unencodable("INT takes a vector $0..$255", ops[0].col)
    if m in ("CALL", "JMP"):
        op = ops[0]
        if kinds == "r":
            return Ins.create_reg(_code(f"{m}_RM64"), R64[op.name])
        if kinds == "m":
            return Ins.create_mem(_code(f"{m}_RM64"), mem(op))
        if kinds == "s":
            return Ins.create_branch(_code(f"{m}_REL32_64"), res.target(op, ins))
        if kinds == "l" and m == "JMP":
            return Ins.create_branch(Code.JMP_REL32_64 if long_branch else Code.JMP_REL8_64,
                                     res.target(op, ins))
        raise bad()
    if m in CONDITIONS:
        cc = CONDITIONS[m]
        if kinds == "s":
            return Ins.create_branch(_code(f"J{cc}_REL32_64"), res.target(ops[0], ins))
        if kinds == "l":
            size = "REL32" if long_branch else "REL8"
            return Ins.create_branch(_code(f"J{cc}_{size}_64"), res.target(ops[0], ins))
        raise bad()
    raise Unencodable(f"{m} is known but has no encoder", ins.loc.column)


def _need32(op: Imm) -> None:
    if not _fits32(op.value):
        raise Unencodable(f"constant {op.value:#x} does not fit in a signed 32-bit immediate", op.col)


_NAMES = {"r": "register", "m": "memory", "i": "$constant", "a": "$symbol(SB)",
          "s": "symbol(SB)", "l": "label", "t": "TLS"}


def _describe(kinds: str) -> str:
    return ", ".join(_NAMES[k] for k in kinds) or "none"


_LOCAL = threading.local()  # one Encoder per thread: encode() and take_buffer() are two calls
_FORMATTER = Formatter(FormatterSyntax.INTEL)
_FORMATTER.hex_prefix = "0x"
_FORMATTER.hex_suffix = ""
_FORMATTER.space_after_operand_separator = True
_FORMATTER.uppercase_hex = False
_FORMATTER.show_branch_size = False
_FORMATTER.branch_leading_zeros = False
_FORMATTER.leading_zeros = False


def encode_one(ins: Ins, ip: int) -> bytes:
    """Encode at address `ip`; raises Unencodable if iced refuses (e.g. a rel8 that does not fit)."""
    enc = getattr(_LOCAL, "encoder", None)
    if enc is None:
        enc = _LOCAL.encoder = Encoder(64)
    try:
        enc.encode(ins, ip)
    except ValueError as e:
        raise Unencodable(str(e)) from None
    finally:
        data = bytes(enc.take_buffer())
    return data


def decode_one(data: bytes, ip: int):
    """The decoded iced instruction of `data` (exactly one instruction)."""
    d = Decoder(64, data, ip=ip)
    out = d.decode()
    if out.len != len(data) or out.code == Code.INVALID:
        raise AssertionError(f"bytes {data.hex()} do not decode to one instruction")
    return out


def intel(data: bytes, ip: int) -> str:
    """Intel-syntax text of one encoded instruction."""
    text = _FORMATTER.format(decode_one(data, ip))
    # An absolute FS offset reads better signed: fs:[-8].
    return re.sub(r"fs:\[0x(f{8,}[0-9a-f]+)\]",
                  lambda m: f"fs:[{int(m.group(1), 16) - (1 << 64)}]", text)


def located(e: Unencodable, ins: Instruction) -> AsmError:
    from ..errors import SourceLocation

    col = e.col or ins.loc.column
    return AsmError(e.message, SourceLocation(ins.loc.file, ins.loc.line, col, ins.loc.text))
