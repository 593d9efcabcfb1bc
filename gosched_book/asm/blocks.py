"""A runtime .s file cut into its TEXT blocks, each assemblable on its own.

A block runs from its TEXT line to the next TEXT line (a line whose macros expand to a TEXT, such
as asm_amd64.s's `CALLFN(·call16, 16)`, starts a block too). Before it come the file's own directive
lines (`#include`, `#define` with its continuation lines, `#ifdef`/`#else`/`#endif`, `#undef`),
so its macros and conditions are those Go's assembler sees there; every other earlier line is
blank, so line numbers stay the file's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .preprocess import preprocess, split_lines

_TEXT = re.compile(r"(?:^|;)\s*TEXT\s+([^\s,(]+)\(SB\)")
_DIRECTIVE = re.compile(r"\s*#")


@dataclass(frozen=True)
class Block:
    name: str  # as written, e.g. runtime·mcall<ABIInternal>, gogo<>
    line: int  # the TEXT line (1-based)
    end: int  # the last line of the block
    text: str  # the whole file's length in lines: directives, blanks, then the block


def text_blocks(source: str) -> tuple[Block, ...]:
    """Every TEXT block of `source`, in file order."""
    lines = split_lines(source)
    names = {ln.number - 1: m.group(1) for ln in preprocess(source)[0] if (m := _TEXT.search(ln.code))}
    starts = sorted(names)
    keep = _directive_lines(lines)
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        before = [lines[i] if keep[i] else "" for i in range(start)]
        text = "\n".join(before + lines[start:end]) + "\n"
        out.append(Block(names[start], start + 1, end, text))
    return tuple(out)


def _directive_lines(lines: list[str]) -> list[bool]:
    """Which lines are directives or their backslash continuations (outside /* */ comments)."""
    keep = [False] * len(lines)
    in_comment, cont = False, False
    for i, x in enumerate(lines):
        if cont or (not in_comment and _DIRECTIVE.match(x)):
            keep[i] = True
            cont = x.rstrip().endswith("\\")
        code = re.sub(r"//.*", "", x) if not in_comment else x
        opens, closes = code.rfind("/*"), code.rfind("*/")
        if opens > closes:
            in_comment = True
        elif closes >= 0 and (in_comment or closes > opens):
            in_comment = False
    return keep
