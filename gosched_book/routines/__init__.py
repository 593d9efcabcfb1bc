"""The listings, one .s file per routine, and the linked image of all of them."""
from __future__ import annotations

from functools import cache
from importlib import resources

from ..asm.link import Image, link
from ..asm.parse import parse
from ..asm.program import Program

# routine symbol -> listing file, in link order
FILES: dict[str, str] = {
    "runtime·mcall": "mcall.s",
    "runtime·systemstack_switch": "systemstack_switch.s",
    "runtime·systemstack": "systemstack.s",
    "gosave_systemstack_switch<>": "gosave_systemstack_switch.s",
    "runtime·gogo": "gogo.s",
    "gogo<>": "gogo_body.s",
    "runtime·abort": "abort.s",
    "runtime·morestack": "morestack.s",
    "runtime·morestack_noctxt": "morestack_noctxt.s",
}
# The book's own code around the routines: callers, ABI0 wrappers, stand-ins for Go functions.
WORLD_FILES = ("world.s", "world_go.s", "world_goroutines.s")
CODE_BASE = 0x401000


def source(file: str) -> str:
    """The text of one listing file shipped in this package."""
    return resources.files(__package__).joinpath(file).read_text(encoding="utf-8")


@cache
def program(file: str) -> Program:
    return parse(source(file), file)


@cache
def image(data_symbols: tuple[tuple[str, int], ...]) -> Image:
    """All routines plus the world's code, linked at CODE_BASE."""
    files = list(dict.fromkeys(FILES.values())) + list(WORLD_FILES)
    return link([program(f) for f in files], CODE_BASE, dict(data_symbols))
