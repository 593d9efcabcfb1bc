"""Instructions the assembler adds (frame, stack check) and macro expansions each get a listing row."""
from pathlib import Path

import pytest

from gosched_book.machine.code import code_image
from gosched_book.scenario import family
from gosched_book.scenario.family import Family, Routine, preset
from gosched_book.views.listing import rows

FRAMED_S = """#include "textflag.h"

#define TWO MOVQ AX, BX; MOVQ BX, CX

// Not NOSPLIT, a $16 frame and a CALL: Go adds the stack check, the prologue and the epilogue.
TEXT main·framed(SB), 0, $16-0
	TWO
	CALL	main·leaf(SB)
	RET

TEXT main·leaf(SB), NOSPLIT, $0-0
	RET
"""


def _world(c) -> None:
    c.regs.update(rip=c.sym("main·framed"))


@pytest.fixture
def framed(tmp_path: Path):
    (tmp_path / "framed.s").write_text(FRAMED_S, encoding="utf-8")
    family.register(Family("framed", tmp_path, world_files=("framed.s",), routines=(
        Routine("framed", "带帧的例程", _world, (), {"normal": preset("走一遍", "limit")}),)))
    yield "framed.s"
    family.unregister("framed")


def test_every_placed_instruction_has_one_row(framed):
    listing = rows(framed)
    placed = sorted((p for p in code_image(()).placed if p.ins.loc.file == framed), key=lambda p: p.address)
    shown = [r for r in listing if r.addr is not None]
    assert sorted(r.addr for r in shown) == [p.address for p in placed]  # none dropped, none twice
    by_addr = {p.address: p.data.hex(" ") for p in placed}
    assert all(r.bytes == by_addr[r.addr] for r in shown)
    for line in {r.line for r in shown}:  # the rows of one line follow the addresses
        here = [r.addr for r in shown if r.line == line]
        assert here == sorted(here)


def test_added_rows_say_they_are_the_assemblers(framed):
    listing = rows(framed)
    text_line = next(r.line for r in listing if r.text.startswith("TEXT main·framed"))
    under_text = [r.text for r in listing if r.line == text_line and r.addr is not None]
    assert any("汇编器加的（栈检查）" in t for t in under_text)
    assert [t.split("//")[0].strip() for t in under_text if "（序言）" in t] == [
        "SUBQ $0x18, SP", "MOVQ BP, 0x10(SP)", "LEAQ 0x10(SP), BP"]
    ret_line = max(r.line for r in listing if r.text.strip() == "RET" and r.line < text_line + 5)
    at_ret = [r.text for r in listing if r.line == ret_line]
    assert [t.split("//")[0].strip() for t in at_ret] == ["MOVQ 0x10(SP), BP", "ADDQ $0x18, SP", "RET"]
    assert all("（尾声）" in t for t in at_ret[:2])


def test_a_macro_line_gets_a_row_per_instruction(framed):
    listing = rows(framed)
    two = [r for r in listing if r.line == next(r.line for r in listing if r.text.strip() == "TWO")]
    assert [r.text.strip() for r in two] == ["TWO", "MOVQ BX, CX  // 第 7 行展开的第 2 条指令"]
    assert [r.intel for r in two] == ["mov rbx, rax", "mov rcx, rbx"]
