"""Small listings the Go 1.19 assembler accepted or refused (gosched_book/asm/data/
toolchain_verdicts.json, from scripts/toolchain/dump_asm_verdicts.py): this assembler accepts
the same ones with the same bytes, and refuses the same ones, with one deliberate exception."""
import json
from importlib import resources

import pytest

from gosched_book import AsmError
from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.link import link
from gosched_book.asm.parse import parse
from gosched_book.asm.toolchain import BASE, compare, external_symbols, go_name

CASES = json.loads(resources.files("gosched_book.asm").joinpath(
    "data/toolchain_verdicts.json").read_text(encoding="utf-8"))["cases"]
# Go's lexer drops a Unicode digit before '(' and assembles 0(DX): the reader's 8 is lost without a
# word. This assembler refuses it, naming the character (issue 21), and the test pins both sides.
DROPPED_DIGIT = {"fullwidth zero before (DX)": "０", "fullwidth eight before (DX)": "８"}


@pytest.mark.parametrize("name", sorted(set(CASES) - set(DROPPED_DIGIT)))
def test_same_verdict_and_bytes_as_go(name):
    case = CASES[name]
    if not case["accepted"]:
        with pytest.raises(AsmError):
            parse_and_link(case["source"])
        return
    want = {b["name"]: b for b in case["blocks"]}
    blocks = text_blocks(case["source"])
    assert sorted(go_name(b.name) for b in blocks) == sorted(want)
    for block in blocks:
        v = compare(block, "case.s", want[go_name(block.name)])
        assert v.ok, (v.line, v.detail)


@pytest.mark.parametrize("name", sorted(DROPPED_DIGIT))
def test_a_unicode_digit_before_a_register_is_refused_though_go_drops_it(name):
    case = CASES[name]
    (block,) = case["blocks"]
    assert case["accepted"] and block["instructions"][0]["hex"] == "488b0a"  # MOVQ 0(DX), CX
    with pytest.raises(AsmError) as ei:
        parse_and_link(case["source"])
    assert repr(DROPPED_DIGIT[name]) in ei.value.message and "ASCII" in ei.value.message


def test_the_record_has_both_verdicts():
    verdicts = [c["accepted"] for c in CASES.values()]
    assert any(verdicts) and not all(verdicts)


def parse_and_link(source: str):
    prog = parse(source, "case.s")
    return link([prog], BASE, external_symbols([prog]))
