"""The code of a world: every registered listing, parsed and linked at CODE_BASE (patched or not)."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

from ..asm.link import Image, link
from ..asm.parse import parse
from ..asm.program import Program
from ..scenario import family
from ..scenario.family import source
from ..scenario.patch import Patch, apply, diff_patches, marked_lines
from .core import DATA_SYMBOLS

CODE_BASE = 0x401000


def program(file: str) -> Program:
    return _program(file, family.version())


@lru_cache(maxsize=256)
def _program(file: str, version: int) -> Program:
    return parse(source(file), file)


def image(data_symbols: tuple[tuple[str, int], ...] = DATA_SYMBOLS) -> Image:
    """All routines plus the world's code, linked at CODE_BASE."""
    return _image(data_symbols, family.version())


@lru_cache(maxsize=8)
def _image(data_symbols: tuple[tuple[str, int], ...], version: int) -> Image:
    return link([program(f) for f in family.all_files()], CODE_BASE, dict(data_symbols))


def patched_image(patches: tuple[Patch, ...], data_symbols: tuple[tuple[str, int], ...] = DATA_SYMBOLS):
    """All listings linked as in `image`, with the patched files re-parsed.

    Raises AsmError (file, line, column, caret) when a patched listing does not assemble."""
    return _patched_image(patches, data_symbols, family.version())


@lru_cache(maxsize=64)
def _patched_image(patches, data_symbols, version):
    touched = {p.file for p in patches}
    programs = [parse(apply(source(f), f, patches)[0], f) if f in touched else program(f)
                for f in family.all_files()]
    return link(programs, CODE_BASE, dict(data_symbols))


def code_image(patch: tuple = ()) -> Image:
    """The linked listings; with `patch` (a Scenario's patches) the patched ones."""
    return patched_image(patch) if patch else image()


def edited(file: str, text: str) -> tuple[Patch, ...]:
    """Patches for an edited copy of listing `file`, after checking that the copy assembles.

    AsmError line numbers are those of `text` (the reader's editor), not of the patched listing
    (where a deleted line stays as an empty line)."""
    patches = diff_patches(file, text)
    link([parse(text, file) if f == file else program(f) for f in family.all_files()], CODE_BASE,
         dict(DATA_SYMBOLS))
    return patches


def mark(trace, patches: tuple[Patch, ...]):
    """The trace with `patched=True` on each step that ran a patched line."""
    lines = marked_lines(patches)
    if not lines:
        return trace
    steps = tuple(dataclasses.replace(s, patched=True) if (s.file, s.line) in lines else s
                  for s in trace.steps)
    return dataclasses.replace(trace, steps=steps)


__all__ = ["CODE_BASE", "program", "image", "patched_image", "code_image", "edited", "mark", "source"]
