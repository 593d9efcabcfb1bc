"""Every TEXT block of the Go runtime's asm_amd64.s, preempt_amd64.s and sys_linux_amd64.s, read
at test time from the installed Go source, against the bytes the Go 1.19 toolchain made of it
(gosched_book/asm/data/toolchain_runtime.json, from scripts/toolchain/dump_runtime_asm.py).

A block is identical (every byte, relocated fields reaching the same symbol+offset) or refused;
never assembled differently."""
import os

import pytest

from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.toolchain import assemble_source, compare, go_name, recorded
from gosched_book.runtime.gosrc import GO_SRC

RUNTIME = GO_SRC / "runtime"  # Debian golang-1.19-src
FILES = ("asm_amd64.s", "preempt_amd64.s", "sys_linux_amd64.s")

if not (RUNTIME / FILES[0]).exists():
    if os.geteuid() == 0:
        pytest.fail(f"{RUNTIME} is missing: `make test` installs it (scripts/ensure-go-src.sh)",
                    pytrace=False)
    pytestmark = pytest.mark.skip(
        reason=f"{RUNTIME} is missing and we are not root: apt-get install golang-1.19-src")

# The stack switches the book runs (and will run) from the runtime's own text.
STACK_SWITCHES = ("runtime·gogo", "gogo<>", "runtime·mcall<ABIInternal>", "runtime·systemstack",
                  "runtime·systemstack_switch", "gosave_systemstack_switch<>", "runtime·abort",
                  "runtime·goexit", "runtime·rt0_go", "·cgocallback", "runtime·morestack",
                  "·asmcgocall", "runtime·debugCallV2<ABIInternal>", "_rt0_amd64")
SIGNALS = ("runtime·sigtramp", "runtime·sigreturn", "runtime·sigaltstack", "runtime·cgoSigtramp")


def _blocks():
    if not (RUNTIME / FILES[0]).exists():
        return []
    return [(f, b.name) for f in FILES for b in text_blocks((RUNTIME / f).read_text(encoding="utf-8"))]


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


@pytest.mark.parametrize("file,name", _blocks())
def test_block_is_identical_to_the_toolchains(file, name, verdicts):
    v = verdicts[(file, name)]
    assert v.ok, (v.line, v.detail)


def test_the_stack_switches_and_signal_paths_are_among_them(verdicts):
    assert all(verdicts[("asm_amd64.s", n)].ok for n in STACK_SWITCHES)
    assert all(verdicts[("sys_linux_amd64.s", n)].ok for n in SIGNALS)
    assert verdicts[("preempt_amd64.s", "·asyncPreempt")].ok


def test_each_file_assembles_whole(verdicts):
    """The three files, as Go compiles them (every block, DATA and GLOBL in one listing)."""
    for f in FILES:
        img = assemble_source((RUNTIME / f).read_text(encoding="utf-8"), f)
        assert len(img.symbols) == len(recorded()["files"][f])


def test_a_changed_byte_is_caught(verdicts):
    """The comparison itself: a record with one byte changed no longer matches."""
    f, name = "asm_amd64.s", "runtime·mcall<ABIInternal>"
    want = next(b for b in recorded()["files"][f] if b["name"] == go_name(name))
    first = dict(want["instructions"][0])
    first["hex"] = first["hex"][:-2] + f"{(int(first['hex'][-2:], 16) + 1) % 256:02x}"
    block = next(b for b in text_blocks((RUNTIME / f).read_text(encoding="utf-8")) if b.name == name)
    v = compare(block, f, {**want, "instructions": [first] + want["instructions"][1:]})
    assert not v.ok and "want" in v.detail


def test_a_relocation_to_another_symbol_is_caught():
    """A CALL that reaches the wrong symbol is a difference even though its bytes are masked."""
    f = "asm_amd64.s"
    block = next(b for b in text_blocks((RUNTIME / f).read_text(encoding="utf-8"))
                 if b.name == "gosave_systemstack_switch<>")
    want = next(b for b in recorded()["files"][f] if b["name"] == "gosave_systemstack_switch<1>")
    moved = [dict(i, relocs=[dict(r, symbol="runtime.badmcall") if r["type"] == "R_CALL" else r
                             for r in i["relocs"]]) for i in want["instructions"]]
    v = compare(block, f, {**want, "instructions": moved})
    assert not v.ok and "reaches runtime.abort" in v.detail
