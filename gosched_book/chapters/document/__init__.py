"""The source document (Chinese) and the raw listings it contains."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

DOCUMENT = "scheduler-kernel-calls.md"


@dataclass(frozen=True)
class RawListing:
    """One ```nasm block of the document, with the document line where its code starts."""

    index: int
    first_line: int  # 1-based line in the document of the block's first code line
    text: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(re.findall(r"^\s*TEXT\s+([^\s(]+)\(SB\)", self.text, re.M))


@cache
def text() -> str:
    return resources.files(__package__).joinpath(DOCUMENT).read_text(encoding="utf-8")


@cache
def listings() -> tuple[RawListing, ...]:
    """Every code block of the document, in order."""
    out, lines = [], text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```nasm"):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            out.append(RawListing(len(out), i + 2, "\n".join(lines[i + 1:j]) + "\n"))
            i = j
        i += 1
    return tuple(out)


def listing(name: str) -> RawListing:
    """The raw listing that defines TEXT `name` (e.g. 'runtime·gogo')."""
    for block in listings():
        if any(n.split("<ABI")[0] == name for n in block.names):
            return block
    raise KeyError(name)


def sections() -> list[tuple[str, str]]:
    """(heading, body) of the document's sections, the part before the first heading as ''."""
    out, head, buf = [], "", []
    body = text().split("---", 2)[-1]
    for line in body.splitlines():
        if line.startswith("## "):
            out.append((head, "\n".join(buf).strip()))
            head, buf = line[3:].strip(), []
        else:
            buf.append(line)
    out.append((head, "\n".join(buf).strip()))
    return out
