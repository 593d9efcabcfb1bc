"""Plan 9 listing text -> Program. Every error carries line and column."""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import NamedTuple

from ..errors import AsmError, SourceLocation
from .program import (
    EVEX_SUFFIXES, OTHER_REGISTERS, REGISTERS, XREGISTERS, AddrOf, Function, Imm, Instruction, Label, LabelRef, Mem, Operand,
    PCRel, Program, Reg, SymRef, TLSBase,
)
from . import generic
from .mnemonics import BRANCHES, MNEMONICS
from .data import Data, Global, unquote
from .go_asm import go_asm_constants
from .preprocess import Line, preprocess

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<num>0[xX][0-9a-fA-F]+|[0-9]+)
  | (?P<ident>(?:[^\W\d]|[\u00b7\u2215])[\w\u00b7\u2215./]*(?:<[A-Za-z0-9]*>)?)
  | (?P<punct><<|>>|[$(),+\-*:|;&^~/%])
    """,
    re.VERBOSE,
)
_PSEUDO = ("SB", "FP", "PC")
# textflag.h's names (recorded, not acted on).
_TEXT_FLAGS = ("NOSPLIT", "NOFRAME", "TOPFRAME", "WRAPPER", "NEEDCTXT", "DUPOK", "NOPROF",
               "RODATA", "NOPTR", "TLSBSS", "REFLECTMETHOD", "ABIWRAPPER")
# textflag.h's values, for flags written as a number.
_FLAG_BITS = {"NOPROF": 1, "DUPOK": 2, "NOSPLIT": 4, "RODATA": 8, "NOPTR": 16, "WRAPPER": 32,
              "NEEDCTXT": 64, "TLSBSS": 256, "NOFRAME": 512, "REFLECTMETHOD": 1024,
              "TOPFRAME": 2048, "ABIWRAPPER": 4096}
MAX_PARENS = 64  # parentheses nested deeper than this in one constant are refused
_U64 = 1 << 64
_REGISTER_LIKE = re.compile(r"R\d+|X\d+|[A-Z]{2,3}")
_REGISTER_LIST = "AX, BX, CX, DX, SI, DI, BP, SP, R8-R15 (and X0-X15)"


class Tok(NamedTuple):
    kind: str  # num, ident, punct, end
    text: str
    col: int  # 1-based


class _Fail(Exception):
    def __init__(self, message: str, col: int):
        self.message, self.col = message, col


def _lex(code: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if not m:
            raise _Fail(_unexpected(code[pos]), pos + 1)
        if m.lastgroup != "ws":
            out.append(Tok(m.lastgroup, m.group(), pos + 1))
        pos = m.end()
    out.append(Tok("end", "", len(code) + 1))
    return out


def _unexpected(ch: str) -> str:
    """Go's lexer reads only ASCII digits as numbers: a Unicode digit is named, with its code."""
    if unicodedata.category(ch) == "Nd":
        return (f"unexpected character {ch!r} ({unicodedata.name(ch, 'a digit')}, U+{ord(ch):04X}): "
                "numbers are written with the ASCII digits 0-9, as in Go's assembler")
    return f"unexpected character {ch!r} (U+{ord(ch):04X})"


def _number(tok: "Tok") -> int:
    """A Plan 9 integer literal: 0x hex, leading-0 octal, or decimal."""
    t = tok.text
    try:
        if t[:2] in ("0x", "0X"):
            return int(t, 16)
        if len(t) > 1 and t[0] == "0":
            return int(t, 8)
        v = int(t, 10)
    except ValueError:
        raise _Fail(f"bad number {t!r}", tok.col) from None
    if v >= _U64:
        raise _Fail(f"integer constant {t} does not fit in 64 bits", tok.col)
    return v


def _unknown_register(name: str) -> str:
    best = difflib.get_close_matches(name, REGISTERS, n=1, cutoff=0.5)
    hint = f" (did you mean {best[0]}?)" if best else ""
    return f"unknown register {name!r}{hint}; expected a register: {_REGISTER_LIST}"


def _nearest(word: str, choices) -> str:
    best = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {best[0]}?" if best else ""


class _Operand:
    """Recursive descent over one operand's tokens."""

    def __init__(self, toks: list[Tok], consts: dict[str, int], branch: bool = False):
        self.toks, self.i, self.consts, self.branch = toks, 0, consts, branch

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self, text: str | None = None, kind: str | None = None) -> Tok | None:
        t = self.tok
        if (text is None or t.text == text) and (kind is None or t.kind == kind) and t.kind != "end":
            self.i += 1
            return t
        return None

    def expect(self, text: str, what: str) -> Tok:
        t = self.take(text)
        if t is None:
            raise _Fail(f"expected {what}, found {self.tok.text or 'end of operand'!r}", self.tok.col)
        return t

    def parse(self) -> Operand:
        start = self.tok
        if start.kind == "end":
            raise _Fail("missing operand", start.col)
        depth = 0
        for t in self.toks:
            depth += (t.text == "(") - (t.text == ")")
            if depth < 0 or (t.kind == "end" and depth):
                shown = "".join(x.text for x in self.toks)
                raise _Fail(
                    f"malformed operand {shown!r}: unbalanced parentheses; expected a register, "
                    "$constant or memory operand like 0(DX)", start.col)
        op = self._operand(start.col)
        if self.tok.kind != "end":
            raise _Fail(
                f"unexpected {self.tok.text!r} after operand; expected a register, "
                "$constant or memory operand like 8(SP)",
                self.tok.col,
            )
        return op

    def _operand(self, col: int) -> Operand:
        if self.take("$"):
            t = self.tok
            if t.kind == "ident" and t.text not in self.consts and self._looks_symbolic():
                name, off, pseudo, _ = self._symbolic()
                if pseudo != "SB":
                    raise _Fail("expected $symbol(SB)", t.col)
                sym, abi = _abi(name, t.col)
                return AddrOf(sym, off, col, abi)
            return Imm(self._constant(), col)
        t = self.tok
        if t.kind == "ident" and t.text in OTHER_REGISTERS:
            self.i += 1
            return Reg(t.text, col)
        if t.kind == "ident" and t.text in REGISTERS and self._peek(self.i + 1).text != "(":
            self.i += 1
            return Reg(t.text, col)
        if t.kind == "ident" and t.text == "TLS":
            self.i += 1
            return TLSBase(col)
        if t.kind == "ident" and t.text == "g" and self._peek(self.i + 1).text == "(":
            self.i += 1
            self.expect("(", "'('")
            self._register()  # any register: the linker drops it
            self.expect(")", "')'")
            return Mem(None, -8, tls=True, col=col)  # g(r): the linker drops r, uses FS:-8
        if t.kind == "ident" and self._peek(self.i + 1).kind == "end" and t.text not in self.consts:
            if re.fullmatch(r"[RX]\d+", t.text) or (not self.branch and _REGISTER_LIKE.fullmatch(t.text)):
                raise _Fail(_unknown_register(t.text), t.col)
            if not self.branch:
                raise _Fail(f"{t.text!r} is not an operand here: expected a register, $constant or "
                            "memory operand like 8(SP) (a bare name is a label, for jumps only)", t.col)
            self.i += 1
            return LabelRef(t.text, col)
        if t.kind == "ident" and t.text not in self.consts and self._looks_symbolic():
            name, off, pseudo, name_col = self._symbolic()
            if pseudo == "SP":  # name-8(SP): a slot of the frame, from the pseudo-SP at its top
                return Mem("SP", off, auto_name=name, col=col)
            if pseudo == "SB":
                sym, abi = _abi(name, name_col)
                return SymRef(sym, off, col, abi)
            if pseudo == "FP":
                return Mem("SP", off, fp_name=name, col=col)
            raise _Fail("N(PC) takes a number, not a name", name_col)
        return self._memory(col)

    def _peek(self, j: int) -> Tok:
        return self.toks[j] if j < len(self.toks) else self.toks[-1]

    def _looks_symbolic(self) -> bool:
        # name[+-off](SB|FP|PC|SP), where off may be a parenthesized expression: r15-(14*8+8)(SP)
        j = self.i + 1
        if self._peek(j).text in ("+", "-") and self._peek(j).kind == "punct":
            j += 1
            if self._peek(j).text == "(":
                depth = 0
                while self._peek(j).kind != "end":
                    depth += (self._peek(j).text == "(") - (self._peek(j).text == ")")
                    j += 1
                    if depth == 0:
                        break
            else:
                j += 1
        pseudo = self._peek(j + 1).text
        return (
            self._peek(j).text == "("
            and (pseudo in _PSEUDO or (pseudo == "SP" and j > self.i + 1))
            and self._peek(j + 2).text == ")"
        )

    def _symbolic(self) -> tuple[str, int, str, int]:
        t = self.take(kind="ident")
        off = 0
        if self.tok.text in ("+", "-") and self.tok.kind == "punct":
            sign = -1 if self.take().text == "-" else 1
            n = self.tok
            if n.text == "(":
                off = sign * self._factor(0)
                self.i -= 1  # the shared advance below
            elif n.kind == "num":
                off = sign * _number(n)
            elif n.kind == "ident" and n.text in self.consts:
                off = sign * self.consts[n.text]
            else:
                raise _Fail("expected a number or go_asm.h symbol after the sign", n.col)
            self.i += 1
        self.expect("(", "'('")
        pseudo = self.take(kind="ident")
        if pseudo is None or pseudo.text not in (*_PSEUDO, "SP"):
            raise _Fail("expected SB, FP or PC", (pseudo or self.tok).col)
        self.expect(")", "')'")
        return t.text, off, pseudo.text, t.col

    def _memory(self, col: int) -> Operand:
        disp = 0
        nxt = self._peek(self.i + 1) if self.tok.text == "(" else None
        if nxt is not None and nxt.text == "(":
            raise _Fail("nested parentheses: expected a memory operand like (AX), 8(AX) or "
                        "8(AX)(CX*8), found '(('", self.tok.col)
        is_base = nxt is not None and (nxt.text in REGISTERS or nxt.text in _PSEUDO)
        if not is_base:
            disp = self._constant()
            if self.tok.kind == "end":  # MOVL $0xf1, 0xf1: an absolute address, as Go reads it
                return Mem(None, disp, col=col)
        if self.tok.text != "(":
            raise _Fail(
                "malformed operand: expected a register, $constant, label or memory operand like 8(SP)",
                col,
            )
        self.take("(")
        if self.tok.kind == "ident" and self._peek(self.i + 1).text == "*":
            return self._index_only(disp, col)  # 8(X4*1): an index and no base
        if self.tok.text in _PSEUDO:
            p = self.take()
            self.expect(")", "')'")
            if p.text == "PC":
                return PCRel(disp, col)
            if p.text == "FP":
                raise _Fail(f"an FP reference needs a name, like arg+{disp}(FP)", col)
            raise _Fail("an SB reference needs a symbol name, like runtime·abort(SB)", col)
        base = self._register()
        self.expect(")", "')' after the base register")
        index, scale = None, 1
        if self.take("("):
            if self.tok.text == "TLS":  # 0(r)(TLS*1): go_tls.h's g(r), written out
                t = self.take()
                for want in ("*", "1", ")"):
                    self.expect(want, f"'{want}' as in 0(CX)(TLS*1)")
                if disp:
                    raise _Fail("the g slot is 0(r)(TLS*1): the offset must be 0", t.col)
                return Mem(None, -8, tls=True, col=col)
            if self.tok.kind == "ident" and self.tok.text[:1] in "XYZ" and self.tok.text in OTHER_REGISTERS:
                index = self.take().text  # a vector index: VSIB, for the gathers
            else:
                index = self._register()
            self.expect("*", "'*' and a scale")
            s = self.take(kind="num")
            if s is None or _number(s) not in (1, 2, 4, 8):
                raise _Fail("scale must be 1, 2, 4 or 8", self.tok.col)
            scale = _number(s)
            self.expect(")", "')'")
        return Mem(base, disp, index, scale, col=col)

    def _index_only(self, disp: int, col: int) -> Mem:
        t = self.take()
        if t.text not in REGISTERS and not (t.text[:1] in "XYZ" and t.text in OTHER_REGISTERS):
            raise _Fail(f"expected an index register such as CX or X4, found {t.text!r}", t.col)
        self.expect("*", "'*' and a scale")
        s = self.take(kind="num")
        if s is None or _number(s) not in (1, 2, 4, 8):
            raise _Fail("scale must be 1, 2, 4 or 8", self.tok.col)
        self.expect(")", "')'")
        return Mem(None, disp, t.text, _number(s), col=col)

    def _register(self) -> str:
        t = self.tok
        if t.kind == "ident" and t.text in REGISTERS:
            self.i += 1
            return t.text
        hint = _nearest(t.text, REGISTERS) if t.kind == "ident" else ""
        raise _Fail(f"expected a register such as AX or R14, found {t.text or 'nothing'!r}{hint}", t.col)

    def _constant(self) -> int:
        """A constant expression whose value fits in 64 bits (as Go's int64/uint64 operands)."""
        start = self.tok
        v = self._expr(0)
        if not -(1 << 63) <= v < _U64:
            raise _Fail(f"constant {v:#x} does not fit in 64 bits", start.col)
        return v - _U64 if v >= 1 << 63 else v  # Go keeps constants as int64

    def _expr(self, depth: int) -> int:
        # Go's precedence: + - | ^ bind looser than * / % << >> &.
        val = self._term(depth)
        while self.tok.kind == "punct" and self.tok.text in ("+", "-", "|", "^"):
            op = self.take()
            val = _bounded(_BINARY[op.text](val, self._term(depth)), op)
        return val

    def _term(self, depth: int) -> int:
        val = self._factor(depth)
        while self.tok.kind == "punct" and self.tok.text in ("*", "/", "%", "<<", ">>", "&"):
            op = self.take()
            rhs = self._factor(depth)
            if op.text in ("/", "%") and rhs == 0:
                raise _Fail("division by zero in a constant", op.col)
            if op.text in ("<<", ">>") and not 0 <= rhs < 64:
                raise _Fail(f"shift count {rhs} is not in 0..63", op.col)
            val = _bounded(_BINARY[op.text](val, rhs), op)
        return val

    def _factor(self, depth: int) -> int:
        signs = []  # unary operators, read without recursion (a listing may hold thousands)
        while self.tok.kind == "punct" and self.tok.text in ("-", "+", "~"):
            signs.append(self.take().text)
        t = self.tok
        if t.kind == "num":
            self.i += 1
            v = _number(t)
        elif t.kind == "ident":
            self.i += 1
            if t.text in self.consts:
                v = self.consts[t.text]
            elif t.text in REGISTERS or t.text in XREGISTERS:
                raise _Fail(f"register {t.text} cannot be part of a constant; a memory operand is "
                            f"written offset(REG), e.g. 0({t.text}) or 8({t.text})(CX*8)", t.col)
            elif _REGISTER_LIKE.fullmatch(t.text):
                raise _Fail(_unknown_register(t.text), t.col)
            else:
                raise _Fail(f"unknown symbol {t.text!r}{_nearest(t.text, self.consts)}", t.col)
        elif t.text == "(":
            if depth >= MAX_PARENS:
                raise _Fail(f"constant nested more than {MAX_PARENS} parentheses deep", t.col)
            self.i += 1
            v = self._expr(depth + 1)
            self.expect(")", "')'")
        else:
            raise _Fail(
                f"expected a number or go_asm.h symbol, found {t.text or 'end of operand'!r}", t.col
            )
        for op in reversed(signs):
            v = -v if op == "-" else ~v if op == "~" else v
        return v


def _abi(name: str, col: int) -> tuple[str, str]:
    """(symbol, selector) of `sym<ABIInternal>`: the selector names which ABI's entry is meant."""
    m = re.fullmatch(r"(.*)<(\w*)>", name)
    if not m or not m.group(2):
        return name, ""  # plain, or a file-local sym<>
    if m.group(2) not in ("ABI0", "ABIInternal"):
        raise _Fail(f"unknown ABI selector <{m.group(2)}>: expected <ABI0> or <ABIInternal>", col)
    return m.group(1), m.group(2)


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)  # truncating, as Go's
    return q if (a < 0) == (b < 0) else -q


_BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b, "*": lambda a, b: a * b, "/": _div,
    "%": lambda a, b: a - b * _div(a, b),
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b, "&": lambda a, b: a & b,
}


def _bounded(v: int, op: Tok) -> int:
    if not -_U64 < v < 2 * _U64:
        raise _Fail(f"constant overflows 64 bits at {op.text!r}", op.col)
    return v


def _split_operands(toks: list[Tok]) -> list[list[Tok]]:
    groups: list[list[Tok]] = [[]]
    depth = 0
    for t in toks[:-1]:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        if t.text == "," and depth <= 0:
            groups.append([])
        else:
            groups[-1].append(t)
    end = toks[-1]
    return [g + [Tok("end", "", (g[-1].col + len(g[-1].text)) if g else end.col)] for g in groups]


def _parse_text(toks: list[Tok], loc_col) -> tuple[str, str, tuple[str, ...], int, int]:
    groups = _split_operands(toks[1:])
    if len(groups) not in (2, 3):
        raise _Fail("TEXT needs: TEXT name(SB), FLAGS, $frame-args", toks[0].col)
    sym = groups[0]
    if len(sym) < 5 or sym[0].kind != "ident" or [t.text for t in sym[1:4]] != ["(", "SB", ")"]:
        raise _Fail("expected the function name as name(SB)", sym[0].col)
    name, abi = sym[0].text, "ABI0"
    m = re.fullmatch(r"(.*)<(ABI\w+)>", name)
    if m:
        name, abi = m.group(1), m.group(2)
    flags: tuple[str, ...] = ()
    if len(groups) == 3:
        for t in groups[1]:
            if t.kind == "ident" and t.text not in _TEXT_FLAGS:
                raise _Fail(f"unknown TEXT flag {t.text!r}{_nearest(t.text, _TEXT_FLAGS)}", t.col)
        flags = tuple(t.text for t in groups[1] if t.kind == "ident")
        for t in groups[1]:  # textflag.h's values written as numbers: TEXT f(SB), 7, $0
            if t.kind == "num":
                bits = _number(t)
                flags += tuple(f for f, b in _FLAG_BITS.items() if bits & b)
    if abi == "ABIInternal" and "NOSPLIT" not in flags:
        raise _Fail(f"TEXT {name!r}: ABIInternal requires NOSPLIT (as in Go's assembler)", sym[0].col)
    fr = groups[-1]
    texts = [t.text for t in fr[:-1]]
    # $frame or $frame-args, where only the frame may be negative ($-8: no frame at all).
    negative = len(texts) > 1 and texts[1] == "-" and fr[1].kind == "punct"
    rest = fr[2:-1] if negative else fr[1:-1]
    shape_ok = texts[:1] == ["$"] and rest and rest[0].kind == "num" and (
        len(rest) == 1 or (len(rest) == 3 and rest[1].text == "-" and rest[2].kind == "num"))
    if not shape_ok:
        raise _Fail("expected the frame as $frame or $frame-args", fr[0].col)
    frame = -_number(rest[0]) if negative else _number(rest[0])
    args = _number(rest[2]) if len(rest) == 3 else 0
    return name, abi, flags, frame, args


def parse(source: str, file: str = "<listing>", first_line: int = 1) -> Program:
    """Parse a listing. Raises AsmError with every problem found, the first in front.

    `first_line` numbers the listing's lines when it is cut out of a larger text.
    Comments, #include, #define and #ifdef are handled first, as Go's assembler does.
    """
    if not isinstance(source, str):
        raise AsmError(f"expected the listing as a str, got {type(source).__name__}"
                       + (" (decode bytes first, e.g. data.decode('utf-8'))"
                          if isinstance(source, (bytes, bytearray)) else ""),
                       _loc(str(file), first_line, 1, ""))
    consts = go_asm_constants()
    lines, bad = preprocess(source, first_line)
    errors = [AsmError(e.message, _loc(file, e.line, e.col, e.text)) for e in bad]
    functions: list[Function] = []
    data: list[Data] = []
    globs: list[Global] = []
    cur: dict | None = None

    def close() -> None:
        if cur is None:
            return
        labels = cur.pop("labels")
        for ins in cur["body"]:
            if isinstance(ins, Instruction):
                for op in ins.operands:
                    if isinstance(op, LabelRef) and op.name not in labels:
                        errors.append(AsmError(
                            f"label {op.name!r} is not defined in {cur['name']}",
                            _loc(file, ins.loc.line, op.col, ins.loc.text),
                        ))
        functions.append(Function(body=tuple(cur["body"]), **{k: v for k, v in cur.items() if k != "body"}))

    for ln in lines:
        if not ln.code.strip():
            continue
        n, line = ln.number, ln.text
        try:
            statements = _statements(_lex(ln.code.replace("\n", ";")))
        except _Fail as f:
            errors.append(_error(f, ln, file))
            continue
        for toks in statements:
            try:
                label = None
                if toks[0].kind == "ident" and toks[1].text == ":":
                    label = Label(toks[0].text, _loc(file, n, toks[0].col, line))
                    toks = toks[2:]
                if label:
                    if cur is None:
                        raise _Fail("label outside any TEXT block", label.loc.column)
                    if label.name in cur["labels"]:
                        raise _Fail(f"label {label.name!r} defined twice", label.loc.column)
                    cur["labels"].add(label.name)
                    cur["body"].append(label)
                if toks[0].kind == "end":
                    continue
                head = toks[0]
                if head.kind != "ident":
                    raise _Fail("expected an instruction mnemonic", head.col)
                if head.text == "TEXT":
                    close()
                    cur = None  # a TEXT line that fails below must not close the block again
                    name, abi, flags, frame, args = _parse_text(toks, head.col)
                    cur = dict(name=name, abi=abi, flags=flags, frame=frame, argsize=args,
                               loc=_loc(file, n, head.col, line), body=[], labels=set())
                    continue
                if head.text in ("DATA", "GLOBL"):
                    loc = _loc(file, n, head.col, line)
                    if head.text == "DATA":
                        data.append(_data(toks, consts, loc))
                    else:
                        globs.append(_global(toks, consts, loc))
                    continue
                if cur is None:
                    raise _Fail("instruction outside any TEXT block", head.col)
                text = ln.code[head.col - 1:toks[-1].col - 1].strip()
                cur["body"].append(_instruction(toks, _loc(file, n, head.col, line), text,
                                                ln.comment.strip(), consts))
            except _Fail as f:
                errors.append(_error(f, ln, file))
    close()
    if errors:
        errors.sort(key=lambda e: (e.line, e.column))
        raise AsmError(errors[0].message, errors[0].loc, tuple(errors[1:]))
    return Program(file, source, tuple(functions), tuple(data), tuple(globs))


def _symbol_of(toks: list[Tok], consts, what: str) -> tuple[str, int]:
    op = _Operand(toks, consts).parse()
    if not isinstance(op, SymRef):
        raise _Fail(f"{what} names a symbol: sym+offset(SB)", toks[0].col)
    return op.symbol, op.offset


def _data(toks: list[Tok], consts, loc: SourceLocation) -> Data:
    """DATA sym+off(SB)/size, $value."""
    groups = _split_operands(toks[1:])
    if len(groups) != 2:
        raise _Fail("DATA takes sym+offset(SB)/size, $value", toks[0].col)
    target, value = groups
    slash = next((k for k, t in enumerate(target) if t.text == "/"), None)
    if slash is None or target[slash + 1].kind != "num" or target[slash + 2].kind != "end":
        raise _Fail("DATA needs the size after a slash: sym+offset(SB)/8", target[0].col)
    symbol, offset = _symbol_of(target[:slash] + [Tok("end", "", target[slash].col)], consts, "DATA")
    size = _number(target[slash + 1])
    if value[0].text == "$" and value[1].kind == "str" and value[2].kind == "end":
        try:
            raw = unquote(value[1].text)
        except ValueError as e:
            raise _Fail(str(e), value[1].col) from None
        if len(raw) > size:
            raise _Fail(f"string of {len(raw)} bytes does not fit in DATA size {size}", value[1].col)
        return Data(symbol, offset, size, raw.ljust(size, b"\0"), loc)
    op = _Operand(value, consts).parse()
    if isinstance(op, AddrOf):
        if size != 8:
            raise _Fail(f"an address takes 8 bytes, not {size}", target[slash + 1].col)
        return Data(symbol, offset, size, op, loc)
    if not isinstance(op, Imm):
        raise _Fail("DATA value must be $constant, $\"string\" or $symbol(SB)", value[0].col)
    if size not in (1, 2, 4, 8):
        raise _Fail(f"DATA size {size} for a constant: expected 1, 2, 4 or 8", target[slash + 1].col)
    if not -(1 << (8 * size - 1)) <= op.value < 1 << (8 * size):
        raise _Fail(f"${op.value:#x} does not fit in {size} bytes", value[0].col)
    return Data(symbol, offset, size, (op.value % (1 << (8 * size))).to_bytes(size, "little"), loc)


def _global(toks: list[Tok], consts, loc: SourceLocation) -> Global:
    """GLOBL sym(SB), [FLAGS,] $size."""
    groups = _split_operands(toks[1:])
    if len(groups) not in (2, 3):
        raise _Fail("GLOBL takes sym(SB), FLAGS, $size", toks[0].col)
    symbol, offset = _symbol_of(groups[0], consts, "GLOBL")
    if offset:
        raise _Fail("GLOBL names the symbol itself, without an offset", groups[0][0].col)
    flags: tuple[str, ...] = ()
    if len(groups) == 3:
        for t in groups[1]:
            if t.kind == "ident" and t.text not in _TEXT_FLAGS:
                raise _Fail(f"unknown flag {t.text!r}{_nearest(t.text, _TEXT_FLAGS)}", t.col)
        flags = tuple(t.text for t in groups[1] if t.kind == "ident")
    size = _Operand(groups[-1], consts).parse()
    if not isinstance(size, Imm) or size.value < 0:
        raise _Fail("GLOBL needs the size as $bytes", groups[-1][0].col)
    return Global(symbol, flags, size.value, loc)


def _statements(toks: list[Tok]) -> list[list[Tok]]:
    """One line's tokens split at ';' (Go's statement separator), each ending in an end token."""
    out: list[list[Tok]] = [[]]
    for t in toks:
        if t.kind == "punct" and t.text == ";":
            out[-1].append(Tok("end", "", t.col))
            out.append([])
        else:
            out[-1].append(t)
    return [x for x in out if x[0].kind != "end"]


def _error(f: _Fail, ln: Line, file: str) -> AsmError:
    """Columns in a macro's expansion point at the macro's name in the line as written."""
    if ln.macro and f.col >= ln.macro_col:
        return AsmError(f"{f.message} (in the expansion of {ln.macro})",
                        _loc(file, ln.number, ln.macro_col, ln.text))
    return AsmError(f.message, _loc(file, ln.number, f.col, ln.text))


def _loc(file: str, line: int, col: int, text: str) -> SourceLocation:
    return SourceLocation(file, line, col, text)


def _instruction(toks, loc: SourceLocation, text: str, comment: str, consts) -> Instruction:
    head = toks[0]
    if head.text == "get_tls":
        rest = [t.text for t in toks[1:-1]]
        if len(rest) != 3 or rest[0] != "(" or rest[2] != ")" or rest[1] not in REGISTERS:
            raise _Fail("get_tls takes one register: get_tls(CX)", head.col)
        return Instruction("MOVQ", (TLSBase(toks[1].col), Reg(rest[1], toks[2].col)), loc,
                           comment, macro=f"get_tls({rest[1]})", text=text)
    if head.text == "PCALIGN":  # checked with go 1.19: `asm: asmins: missing op ... PCALIGN $16`
        raise _Fail("PCALIGN is refused on amd64 by Go 1.18/1.19's assembler (asmins: missing op); "
                    "it aligns code on arm64 and ppc64 only", head.col)
    name, *suffixes = head.text.split(".")
    if name not in MNEMONICS and not generic.known(name):
        raise _Fail(f"unknown instruction {head.text!r}{_nearest(head.text, MNEMONICS)}", head.col)
    for sfx in suffixes:
        if sfx not in EVEX_SUFFIXES or not name.startswith("V"):
            raise _Fail(f"unknown suffix .{sfx} on {name}: AVX-512 instructions take "
                        + ", ".join("." + x for x in EVEX_SUFFIXES), head.col)
    groups = _split_operands(toks[1:]) if toks[1].kind != "end" else []
    branch = name in BRANCHES
    ops = tuple(_Operand(g, consts, branch).parse() for g in groups)
    return Instruction(name, ops, loc, comment, text=text, suffixes=tuple(suffixes))
