"""Every instruction of every routine is byte-identical to the Go toolchain's output."""
import pytest

from gosched_book.asm.encode import decode_one
from gosched_book.routines import FILES
from gosched_book.world import code_image


@pytest.mark.parametrize("routine", list(FILES))
def test_bytes_match_golden(routine, golden):
    img = code_image()
    ours = [p for p in img.function_placed(routine) if p.data]
    theirs = golden[routine]["instructions"]
    assert len(ours) == len(theirs)
    start = img.symbols[routine]
    for p, g in zip(ours, theirs):
        assert p.address - start == g["offset"], p.ins.text
        want = bytes.fromhex(g["bytes"])
        if g.get("link_dependent"):
            # Opcode bytes match; the rel32 points at the right symbol in our layout.
            assert p.data[:-4] == want[:-4], p.ins.text
            assert len(p.data) == len(want)
            target = p.address + len(p.data) + int.from_bytes(p.data[-4:], "little", signed=True)
            op = p.ins.operands[0]
            assert target == img.symbols[op.symbol], p.ins.text
        else:
            assert p.data == want, f"{p.ins.text}: {p.data.hex()} != {g['bytes']}"


@pytest.mark.parametrize("routine", list(FILES))
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
