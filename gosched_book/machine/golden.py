"""Our linked bytes beside the Go toolchain's, instruction by instruction."""
from __future__ import annotations

from ..runtime.golden import Pair, golden
from ..scenario.family import listing_files
from .code import image

def pairs() -> tuple[Pair, ...]:
    """Every instruction of every runtime routine, ours beside Go's."""
    img = image()
    out = []
    for routine in listing_files():
        ours = [p for p in img.function_placed(routine) if p.data]
        for p, g in zip(ours, golden()[routine]["instructions"]):
            out.append(Pair(routine, p.address - img.symbols[routine], p.ins.text, p.intel, p.data,
                            bytes.fromhex(g["bytes"]), g["go119_line"], "link_dependent" in g))
    return tuple(out)


__all__ = ["Pair", "pairs"]
