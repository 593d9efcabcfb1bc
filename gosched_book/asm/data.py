"""DATA and GLOBL: the data symbols a listing defines (they emit nothing into the text).

    DATA  sym+off(SB)/size, $value      value: a constant, $"string" or $sym(SB)
    GLOBL sym(SB), FLAGS, $size
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SourceLocation
from .program import AddrOf


@dataclass(frozen=True)
class Data:
    """`size` bytes of `symbol` at `offset`: the bytes, or the address of a symbol."""

    symbol: str
    offset: int
    size: int
    value: bytes | AddrOf
    loc: SourceLocation


@dataclass(frozen=True)
class Global:
    symbol: str
    flags: tuple[str, ...]
    size: int
    loc: SourceLocation


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            "\\": "\\", '"': '"', "'": "'"}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def unquote(literal: str) -> bytes:
    """A Go string literal's bytes ("a\\n" -> b"a\\n"); ValueError for an unknown escape."""
    out = bytearray()
    body = literal[1:-1]
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos:m.start()].encode("utf-8")
        e = m.group(1)
        if e[0] == "x":
            out.append(int(e[1:], 16))
        elif e[0] in "01234567" and len(e) == 3:
            out.append(int(e, 8) & 0xFF)
        elif e[0] in "uU":
            out += chr(int(e[1:], 16)).encode("utf-8")
        elif e in _ESCAPES:
            out += _ESCAPES[e].encode()
        else:
            raise ValueError(f"unknown escape sequence \\{e} in a string")
        pos = m.end()
    out += body[pos:].encode("utf-8")
    return bytes(out)
