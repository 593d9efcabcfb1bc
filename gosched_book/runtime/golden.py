"""The Go toolchain's bytes for the book's routines (data/golden_amd64.json) and their source lines."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources



@dataclass(frozen=True)
class Pair:
    routine: str
    offset: int
    plan9: str
    intel: str
    ours: bytes
    go: bytes
    go_line: int
    link_dependent: bool
    go_version: str = "1.19.8"  # whose asm_amd64.s go_line counts in (the book cites one version)

    @property
    def match(self) -> str:
        """'exact', 'opcode' (rel32 differs only by link layout) or 'DIFFERENT'."""
        if self.ours == self.go:
            return "exact"
        if self.link_dependent and len(self.ours) == len(self.go):
            # Only the rel32 may differ; it is not always last (MOVB $1, sym(SB): rel32, then imm8).
            diff = [i for i, (a, b) in enumerate(zip(self.ours, self.go)) if a != b]
            if max(0, diff[-1] - 3) <= min(diff[0], len(self.ours) - 4):  # some 4-byte window holds them
                return "opcode"
        return "DIFFERENT"


@cache
def golden() -> dict:
    text = resources.files(__package__).joinpath("data").joinpath("golden_amd64.json").read_text("utf-8")
    return json.loads(text)["routines"]



def _is_comment(line: str) -> bool:
    s = line.strip()
    return s.startswith(("//", "/*", "*"))


def source_range(asm_text: str, routine: str) -> tuple[int, int]:
    """1-based lines of `routine` in an asm_amd64.s text: its comment block above TEXT through its
    last instruction (trailing blanks and comments before the next TEXT excluded)."""
    lines = asm_text.split("\n")
    name = re.escape(routine)
    text = next((i for i, x in enumerate(lines) if re.match(rf"TEXT\s+{name}(<ABIInternal>)?\(SB\)", x)),
                None)
    if text is None:
        raise ValueError(f"no TEXT {routine}(SB) line in the given asm_amd64.s")
    start = text
    while start > 0 and lines[start - 1].startswith("//"):
        start -= 1
    end = next((i for i in range(text + 1, len(lines)) if lines[i].startswith("TEXT")), len(lines)) - 1
    while end > text and (not lines[end].strip() or _is_comment(lines[end])):
        end -= 1
    return start + 1, end + 1


def source_file(routine: str) -> str:
    """The runtime file (under src/runtime) a routine's text is in: asm_amd64.s unless recorded."""
    return golden()[routine].get("source_file", "asm_amd64.s")


def go119_lines(routine: str) -> tuple[int, int]:
    """The routine's line range in Go 1.19.8 src/runtime/asm_amd64.s, as recorded in the golden data
    (scripts/golden_go119_lines.py computes it from the source; tests/test_go_source.py rechecks)."""
    first, last = golden()[routine]["go119_lines"]
    return first, last


def go118_lines(routine: str) -> tuple[int, int] | None:
    """First and last instruction line in Go 1.18's asm_amd64.s, where the golden data records them."""
    ls = [g["go118_line"] for g in golden()[routine]["instructions"] if "go118_line" in g]
    return (min(ls), max(ls)) if ls else None
