"""The code of a world: every registered listing, parsed and linked at CODE_BASE (patched or not)."""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from ..asm.link import Image, link
from ..asm.parse import parse
from ..asm.program import Program
from ..scenario import family
from ..scenario.family import source
from ..errors import AsmError, SourceLocation
from ..scenario.patch import Patch, apply, diff_patches, lines_of, marked_lines, new_line
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
    try:
        return link(programs, CODE_BASE, dict(data_symbols))
    except AsmError as e:
        raise blame_edit(e, patches, programs) from None


def blame_edit(e: AsmError, patches: tuple[Patch, ...], programs) -> AsmError:
    """`e` with every error that surfaced in a file the reader did not edit told at the reader's line.

    Only the edit can break an untouched listing, and only through a symbol: a TEXT it removed (the
    untouched file still calls it) or one it defines a second time."""
    touched = {p.file for p in patches}
    if all(x.loc.file in touched for x in e.all):
        return e
    by_file = {p.file: p for p in programs}
    defined = {f: {fn.name: fn for fn in by_file[f].functions} for f in touched if f in by_file}
    out = []
    for x in e.all:
        if x.loc.file in touched:
            out.append(x)
            continue
        out.append(_blamed(x, patches, defined))
    out.sort(key=lambda x: (x.loc.file not in touched, x.loc.file, x.loc.line))
    return AsmError(out[0].message, out[0].loc, tuple(out[1:]))


def _blamed(x: AsmError, patches, defined) -> AsmError:
    where = f"{x.loc.file}:{x.loc.line}"
    m = re.fullmatch(r"undefined symbol (\S+)\(SB\)", x.message)
    if m:
        name = m.group(1)
        for file in defined:
            old = {fn.name: fn for fn in program(file).functions}
            if name in old and name not in defined[file]:
                line = new_line(source(file), file, patches, old[name].loc.line)
                return _at(file, line, patches,
                           f"这次改动去掉了 TEXT {name}(SB)（原在 {file} 第 {old[name].loc.line} 行），"
                           f"而没改过的 {where} 还要调用它：{x.message}")
    m = re.fullmatch(r"(\S+) is defined twice", x.message)
    if m:
        for file, fns in defined.items():
            if m.group(1) in fns:
                fn = fns[m.group(1)]
                return _at(file, fn.loc.line, patches,
                           f"这次改动定义的 {fn.name} 在没改过的 {where} 已经有了：{x.message}")
    file = min(defined)
    first = min(n for f, n in marked_lines(patches) if f == file) if marked_lines(patches) else 1
    return _at(file, first, patches, f"这次改动让没改过的 {where} 汇编不过：{x.message}")


def _at(file: str, line: int, patches, message: str) -> AsmError:
    lines = lines_of(apply(source(file), file, patches)[0])
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return AsmError(message, SourceLocation(file, line, 1, text))


def code_image(patch: tuple = ()) -> Image:
    """The linked listings; with `patch` (a Scenario's patches) the patched ones."""
    return patched_image(patch) if patch else image()


def edited(file: str, text: str) -> tuple[Patch, ...]:
    """Patches for an edited copy of listing `file`, after checking that the copy assembles.

    AsmError line numbers are those of `text` (the reader's editor), which are also the patched
    listing's: a line taken out of the text is removed by its patch, not left empty."""
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
