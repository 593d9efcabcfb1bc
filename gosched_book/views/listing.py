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
            out.append(Row(n, text, p.address, "", "", "无指令：汇编器后端把 MOVQ TLS, CX 改成了 NOP（CanUse1InsnTLS）", m))
        else:
            out.append(Row(n, text, p.address, p.data.hex(" "), p.intel, "", m))
    return tuple(out)


def files() -> tuple[str, ...]:
    from ..scenario.family import all_files

    return all_files()
