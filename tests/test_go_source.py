"""Each routine the book uses, read at test time from Go's own asm_amd64.s (with its #include
lines and comments, unchanged), assembles to the Go toolchain's bytes."""
import os
import re
from pathlib import Path

import pytest

from gosched_book.asm.link import link
from gosched_book.asm.parse import parse
from gosched_book.machine.code import CODE_BASE, program
from gosched_book.scenario.family import listing_files, world_files
from gosched_book.machine.core import DATA_SYMBOLS
from helpers import assert_golden
from gosched_book.runtime.gosrc import GO_SRC

ASM = GO_SRC / "runtime" / "asm_amd64.s"  # Debian golang-1.19-src

if not ASM.exists():
    if os.geteuid() == 0:
        pytest.fail(f"{ASM} is missing: `make test` installs it (scripts/ensure-go-src.sh)",
                    pytrace=False)
    pytestmark = pytest.mark.skip(
        reason=f"{ASM} is missing and we are not root: apt-get install golang-1.19-src")


def source_of(routine: str) -> Path:
    from gosched_book.runtime.golden import source_file

    return ASM.parent / source_file(routine)


def go_text(routine: str) -> tuple[str, int]:
    """The file's header (copyright comment and #include lines), then the routine's TEXT block up
    to the next TEXT line (with the comments in between, /* */ included); and its first line."""
    lines = source_of(routine).read_text(encoding="utf-8").split("\n")
    header_end = max(i for i, x in enumerate(lines[:40]) if x.startswith("#include")) + 1
    name = re.escape(routine)
    start = next(i for i, x in enumerate(lines)
                 if re.match(rf"TEXT\s+{name}(<ABIInternal>)?\(SB\)", x))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("TEXT")), len(lines))
    first_text = next(i for i, x in enumerate(lines) if x.startswith("TEXT"))
    defines = [x if x.startswith("#define") and not x.endswith("\\") else ""
               for x in lines[header_end:first_text]]  # e.g. sys_linux_amd64.s's SYS_* numbers
    between = defines + [""] * (start - first_text)
    return "\n".join(lines[:header_end] + between + lines[start:end]) + "\n", start + 1


def go_image():
    progs = [parse(go_text(r)[0], source_of(r).name) for r in listing_files()]
    return link(progs + [program(f) for f in world_files()], CODE_BASE, dict(DATA_SYMBOLS))


@pytest.fixture(scope="module")
def image():
    return go_image()


@pytest.mark.parametrize("routine", list(listing_files()))
def test_go_text_assembles_to_the_golden_bytes(routine, image, golden):
    text, first = go_text(routine)
    assert "#include \"textflag.h\"" in text
    if "#include \"go_asm.h\"" in source_of(routine).read_text(encoding="utf-8"):
        assert "#include \"go_asm.h\"" in text  # rt0_linux_amd64.s includes only textflag.h
    assert_golden(image, routine, golden)
    # Line numbers are asm_amd64.s's own: the TEXT line is where Go has it.
    f = next(f for p in image.programs for f in p.functions if f.name == routine)
    assert f.loc.line == first and f.loc.file == source_of(routine).name


def test_the_go_text_really_uses_what_we_accept():
    texts = [go_text(r)[0] for r in listing_files()]
    joined = "".join(texts)
    assert "/*" in joined and "get_tls(CX)" in joined and "g(CX)" in joined
    assert '#include "go_tls.h"' in texts[0] and "NOSPLIT" in joined


@pytest.mark.parametrize("routine", list(listing_files()))
def test_golden_go119_line_ranges_are_the_sources(routine):
    from gosched_book.runtime.golden import go119_lines, source_range
    from gosched_book.chapters.book import listing_source

    text = source_of(routine).read_text(encoding="utf-8")
    first, last = go119_lines(routine)
    assert (first, last) == source_range(text, routine)
    lines = text.split("\n")
    assert any(x.startswith("TEXT") and routine in x for x in lines[first - 1:last])
    assert lines[last - 1].strip() and not lines[last - 1].lstrip().startswith("//")
    assert f"{source_of(routine).name}:{first}-{last}" in listing_source(routine)


def test_listing_headers_carry_no_line_numbers():
    from gosched_book.scenario.family import source

    for f in listing_files().values():
        assert not re.search(r"\d{3}", source(f).split("\n")[0]), f
