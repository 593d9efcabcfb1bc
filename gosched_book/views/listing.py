"""Listing rows: each source line with the bytes and Intel text it became."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..routines import source
from ..world import code_image


@dataclass(frozen=True)
class Row:
    line: int
    text: str  # the source line, comment included
    addr: int | None
    bytes: str  # hex, "" for lines that emit nothing
    intel: str
    note: str  # e.g. "get_tls: emits no instruction"


@cache
def rows(file: str) -> tuple[Row, ...]:
    """All lines of a listing file, instruction lines annotated from the linked image."""
    img = code_image()
    placed = {p.ins.loc.line: p for p in img.placed if p.ins.loc.file == file}
    out = []
    for n, text in enumerate(source(file).splitlines(), 1):
        p = placed.get(n)
        if p is None:
            out.append(Row(n, text, None, "", "", ""))
        elif not p.data:
            out.append(Row(n, text, p.address, "", "", "无指令：链接器把 MOVQ TLS, CX 删掉了"))
        else:
            out.append(Row(n, text, p.address, p.data.hex(" "), p.intel, ""))
    return tuple(out)


def files() -> tuple[str, ...]:
    from ..routines import FILES, WORLD_FILES

    return tuple(dict.fromkeys([*FILES.values(), *WORLD_FILES]))
