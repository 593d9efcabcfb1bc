"""Every instruction of every routine is byte-identical to the Go toolchain's output."""
import pytest

from gosched_book.asm.encode import decode_one
from gosched_book.scenario.family import listing_files
from gosched_book.machine.code import code_image
from helpers import assert_golden


@pytest.mark.parametrize("routine", list(listing_files()))
def test_bytes_match_golden(routine, golden):
    assert_golden(code_image(), routine, golden)


@pytest.mark.parametrize("routine", list(listing_files()))
def test_bytes_decode_back_to_the_same_instruction(routine):
    img = code_image()
    for p in img.function_placed(routine):
        if p.data:
            d = decode_one(p.data, p.address)
            assert d.len == len(p.data)
            assert p.intel  # Intel text was produced from the decoded bytes


def test_get_tls_emits_nothing_and_g_cx_is_fs_minus_8():
    img = code_image()
    placed = img.function_placed("runtime·mcall")
    tls = [p for p in placed if p.ins.macro == "get_tls(CX)"]
    assert len(tls) == 1 and tls[0].data == b""
    store = next(p for p in placed if p.ins.text.startswith("MOVQ    R14, g(CX)"))
    assert store.data.hex() == "644c893425f8ffffff"
    assert store.intel == "mov fs:[-8], r14"


def test_cmpq_keeps_source_order_in_intel():
    img = code_image()
    cmp = next(p for p in img.function_placed("runtime·mcall") if p.ins.mnemonic == "CMPQ")
    assert cmp.intel == "cmp rsi, r14"


def test_listings_keep_the_documents_chinese_comments():
    img = code_image()
    comments = [p.ins.comment for p in img.function_placed("runtime·mcall")]
    assert any("待执行的特殊函数" in c for c in comments)
