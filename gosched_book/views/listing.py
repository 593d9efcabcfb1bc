"""Listing rows: each source line with the bytes and Intel text it became."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..machine.code import code_image
from ..scenario.family import source


@dataclass(frozen=True)
class Row:
    line: int
    text: str  # the source line, comment included
    addr: int | None
    bytes: str  # hex, "" for lines that emit nothing
    intel: str
    note: str  # e.g. "get_tls: emits no instruction"
    patched: bool = False  # changed by a listing patch


@lru_cache(maxsize=128)
def rows(file: str, patch: tuple = ()) -> tuple[Row, ...]:
    """All lines of a listing file (patched by a Scenario's `patch`), annotated from the linked image."""
    from ..scenario.patch import apply

    img = code_image(patch)
    placed = {p.ins.loc.line: p for p in img.placed if p.ins.loc.file == file}
    text_all, marked = apply(source(file), file, patch) if patch else (source(file), frozenset())
    out = []
    for n, text in enumerate(text_all.splitlines(), 1):
        p, m = placed.get(n), n in marked
        if p is None:
            out.append(Row(n, text, None, "", "", "", m))
        elif not p.data:
            out.append(Row(n, text, p.address, "", "", byteless_note(p.ins), m))
        else:
            out.append(Row(n, text, p.address, p.data.hex(" "), p.intel, "", m))
    return tuple(out)


def byteless_note(ins) -> str:
    """Why a placed line emits no bytes, told apart by what the line is (Chinese)."""
    from ..asm.program import Reg, TLSBase

    ops = ins.operands
    if len(ops) == 2 and isinstance(ops[0], TLSBase) and isinstance(ops[1], Reg):
        return (f"无指令：get_tls 即 MOVQ TLS, {ops[1].name}，汇编器后端把它改成 NOP（CanUse1InsnTLS），"
                "g(…) 直接编成 fs:[-8]")
    if ins.mnemonic == "NOP" and len(ops) == 1 and isinstance(ops[0], Reg) and ops[0].name == "SP":
        return "无指令：NOP SP 是写给 go vet 的提示（SP 变了，不再核对 FP 偏移）；NOP 是伪指令，不产生字节"
    if ins.mnemonic == "NOP":
        return "无指令：NOP 是伪指令，不产生字节"
    return "无指令：这一行不产生字节"


def files() -> tuple[str, ...]:
    from ..scenario.family import all_files

    return all_files()
