"""Go's own encoder suite (cmd/asm/internal/asm/testdata/amd64enc.s, amd64enc_extra.s), one
instruction at a time: whatever this assembler accepts, it encodes as one of the listed ways."""
from collections import Counter

import pytest

from gosched_book.asm.toolchain import encode_case, encoder_suite


@pytest.fixture(scope="module")
def outcomes():
    return [(c, encode_case(c["text"])) for c in encoder_suite()]


def test_suite_is_the_recorded_one():
    files = Counter(c["file"] for c in encoder_suite())
    assert set(files) == {"amd64enc.s", "amd64enc_extra.s"} and min(files.values()) > 500
    assert all(c["hex"] and all(len(h) % 2 == 0 for h in c["hex"]) for c in encoder_suite())


def test_no_accepted_case_is_encoded_wrong(outcomes):
    wrong = [(c["file"], c["line"], c["text"], got.hex(), c["hex"])
             for c, got in outcomes if got is not None and got.hex() not in c["hex"]]
    accepted = sum(got is not None for _, got in outcomes)
    print(f"encoder suite: {accepted} of {len(outcomes)} accepted, {len(wrong)} wrong")
    assert accepted and not wrong, wrong[:10]


@pytest.mark.parametrize("mnemonic", ["ADDQ", "ANDQ", "ORQ", "SUBQ", "XORQ", "CMPQ", "TESTQ"])
def test_ax_with_a_32_bit_immediate_uses_the_short_form(mnemonic, outcomes):
    """Go encodes `ADDQ $imm32, AX` as 48 05 id, not 48 81 c0 id."""
    def wide_ax(text):
        m, _, rest = text.partition(" ")
        ops = sorted(x.strip() for x in rest.split(","))
        return m == mnemonic and len(ops) == 2 and ops[1] == "AX" and ops[0].startswith("$") \
            and not -128 <= int(ops[0][1:], 0) <= 127
    cases = [(c, got) for c, got in outcomes if wide_ax(c["text"])]
    assert cases
    for c, got in cases:
        assert got is not None and got.hex() in c["hex"], (c["text"], got)
