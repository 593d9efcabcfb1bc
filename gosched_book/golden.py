"""Our bytes beside the Go toolchain's (golden_amd64.json), instruction by instruction."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .routines import FILES
from .world import code_image


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
    go_version: str = "1.18"  # whose asm_amd64.s go_line counts in

    @property
    def match(self) -> str:
        """'exact', 'opcode' (rel32 differs only by link layout) or 'DIFFERENT'."""
        if self.ours == self.go:
            return "exact"
        if self.link_dependent and len(self.ours) == len(self.go) and self.ours[:-4] == self.go[:-4]:
            return "opcode"
        return "DIFFERENT"


@cache
def golden() -> dict:
    text = resources.files("gosched_book.data").joinpath("golden_amd64.json").read_text("utf-8")
    return json.loads(text)["routines"]


def pairs() -> tuple[Pair, ...]:
    """Every instruction of every runtime routine, ours beside Go's."""
    img = code_image()
    out = []
    for routine in FILES:
        ours = [p for p in img.function_placed(routine) if p.data]
        for p, g in zip(ours, golden()[routine]["instructions"]):
            version = "1.18" if "go118_line" in g else "1.19"
            out.append(Pair(routine, p.address - img.symbols[routine], p.ins.text, p.intel, p.data,
                            bytes.fromhex(g["bytes"]), g.get("go118_line") or g["go119_line"],
                            "link_dependent" in g, version))
    return tuple(out)
