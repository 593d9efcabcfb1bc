"""Every TEXT block of the Go runtime's asm_amd64.s, preempt_amd64.s and sys_linux_amd64.s, read
at test time from the installed Go source, against the bytes the Go 1.19 toolchain made of it
(gosched_book/asm/data/toolchain_runtime.json, from scripts/toolchain/dump_runtime_asm.py).

A block is identical (every byte, relocated fields reaching the same symbol+offset) or refused;
never assembled differently."""
import os
from pathlib import Path

import pytest

from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.toolchain import compare, go_name, recorded

RUNTIME = Path("/usr/lib/go-1.19/src/runtime")  # Debian golang-1.19-src
FILES = ("asm_amd64.s", "preempt_amd64.s", "sys_linux_amd64.s")

if not (RUNTIME / FILES[0]).exists():
    if os.geteuid() == 0:
        pytest.fail(f"{RUNTIME} is missing: `make test` installs it (scripts/ensure-go-src.sh)",
                    pytrace=False)
    pytestmark = pytest.mark.skip(
        reason=f"{RUNTIME} is missing and we are not root: apt-get install golang-1.19-src")

# The stack switches the book runs (and will run) from the runtime's own text.
MUST_BE_IDENTICAL = ("runtime·gogo", "gogo<>", "runtime·mcall<ABIInternal>", "runtime·systemstack",
                     "runtime·systemstack_switch", "gosave_systemstack_switch<>", "runtime·abort",
                     "runtime·goexit")


@pytest.fixture(scope="module")
def verdicts():
    out = {}
    for f in FILES:
        want = {b["name"]: b for b in recorded()["files"][f]}
        for block in text_blocks((RUNTIME / f).read_text(encoding="utf-8")):
            out[(f, block.name)] = compare(block, f, want[go_name(block.name)])
    return out


def test_blocks_are_the_toolchains_blocks(verdicts):
    for f in FILES:
        names = sorted(go_name(name) for g, name in verdicts if g == f)
        assert names == sorted(b["name"] for b in recorded()["files"][f])


def test_no_block_assembles_differently(verdicts):
    identical = [k for k, v in verdicts.items() if v.ok]
    wrong = [(k, v.line, v.detail) for k, v in verdicts.items()
             if not v.ok and not v.detail.startswith("refused")]
    print(f"\nruntime TEXT blocks identical to the toolchain: {len(identical)} of {len(verdicts)}")
    assert identical and not wrong, wrong


@pytest.mark.parametrize("name", MUST_BE_IDENTICAL)
def test_the_books_stack_switches_are_identical(name, verdicts):
    v = verdicts[("asm_amd64.s", name)]
    assert v.ok, (v.line, v.detail)
