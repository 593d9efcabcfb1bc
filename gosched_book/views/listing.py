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


# What Go's assembler adds to a TEXT block (asm/frame.py), in the reader's words.
ADDED = {"prologue": "序言", "epilogue": "尾声", "stack check": "栈检查", "wrapper": "WRAPPER 检查"}


@lru_cache(maxsize=128)
def rows(file: str, patch: tuple = ()) -> tuple[Row, ...]:
    """All lines of a listing file (patched by a Scenario's `patch`), annotated from the linked image.

    An instruction the assembler added (a frame's prologue and epilogue, the stack-split check) is not
    in the text: it gets a row of its own, under the line it belongs to (the TEXT line, or the RET of
    an epilogue), in address order, its text marked as the assembler's. A macro line that expands to
    several instructions gets one row for each."""
    from ..scenario.patch import apply, lines_of

    img = code_image(patch)
    placed: dict[int, list] = {}
    for p in img.placed:
        if p.ins.loc.file == file:
            placed.setdefault(p.ins.loc.line, []).append(p)
    text_all, marked = apply(source(file), file, patch) if patch else (source(file), frozenset())
    out = []
    for n, text in enumerate(lines_of(text_all), 1):
        here, m = sorted(placed.get(n, ()), key=lambda p: p.address), n in marked
        own = [p for p in here if not p.ins.added]
        if not own:
            out.append(Row(n, text, None, "", "", "", m))
        for p in here:
            if p.ins.added:
                shown = f"    {p.ins.text}  // 汇编器加的（{ADDED.get(p.ins.added, p.ins.added)}）"
            elif p is not own[0]:  # a macro line: one row per instruction it expands to
                shown = f"    {p.ins.text}  // 第 {n} 行展开的第 {own.index(p) + 1} 条指令"
            else:
                shown = text
            if not p.data:
                out.append(Row(n, shown, p.address, "", "", byteless_note(p.ins), m))
            else:
                out.append(Row(n, shown, p.address, p.data.hex(" "), p.intel, "", m))
    return tuple(out)


def byteless_note(ins) -> str:
    """Why a placed line emits no bytes, told apart by what the line is (Chinese)."""
    from ..asm.program import Reg, TLSBase

    ops = ins.operands
    if len(ops) == 2 and isinstance(ops[0], TLSBase) and isinstance(ops[1], Reg):
        return (f"无指令：get_tls 即 MOVQ TLS, {ops[1].name}，汇编器后端把它改成 NOP（CanUse1InsnTLS），"
                "g(…) 直接编成 fs:[-8]")
    if ins.mnemonic == "NOP" and len(ops) == 1 and isinstance(ops[0], Reg) and ops[0].name == "SP":
        return ("无指令：NOP SP 是写给 go vet 的提示：SP 变了，此后不再检查 8(SP) 这类 SP 偏移是否落进参数帧；"
                "NOP 是伪指令，不产生字节")
    if ins.mnemonic == "NOP":
        return "无指令：NOP 是伪指令，不产生字节"
    return "无指令：这一行不产生字节"


def files() -> tuple[str, ...]:
    from ..scenario.family import all_files

    return all_files()
