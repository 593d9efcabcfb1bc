"""DATA/GLOBL, bytes in the text (BYTE/WORD/LONG/QUAD), prefixes, PCALIGN, ABI selectors."""
import pytest

from gosched_book import AsmError
from gosched_book.asm.link import link
from gosched_book.asm.parse import parse
from gosched_book.asm.program import AddrOf
from gosched_book.asm.toolchain import BASE, external_symbols

HEADER = "TEXT f(SB), NOSPLIT, $0-0\n"


def code(body: str) -> bytes:
    prog = parse(HEADER + body)
    return link([prog], BASE, external_symbols([prog])).code


def test_data_and_globl_are_read_as_go_writes_them():
    prog = parse('DATA msg<>+0x00(SB)/6, $"hi\\n\\x00\\101"\nGLOBL msg<>(SB), RODATA, $8\n'
                 "DATA pc+0(SB)/8, $runtime·main<ABIInternal>(SB)\nDATA w+2(SB)/2, $-2\n" + HEADER
                 + "    RET\n")
    s, a, w = prog.data
    assert (s.symbol, s.offset, s.size, s.value) == ("msg<>", 0, 6, b"hi\n\x00A\x00")
    assert isinstance(a.value, AddrOf) and (a.value.symbol, a.value.abi) == ("runtime·main", "ABIInternal")
    assert (w.offset, w.value) == (2, b"\xfe\xff")
    (g,) = prog.globals
    assert (g.symbol, g.flags, g.size) == ("msg<>", ("RODATA",), 8)


@pytest.mark.parametrize("line,message", [
    ('DATA s(SB)/2, $"abc"', "does not fit in DATA size 2"),
    ("DATA s(SB)/3, $1", "expected 1, 2, 4 or 8"),
    ("DATA s(SB)/1, $256", "does not fit in 1 bytes"),
    ("DATA s(SB), $1", "size after a slash"),
    ("GLOBL s+8(SB), $8", "without an offset"),
    ('DATA s(SB)/1, $"\\q"', "unknown escape"),
])
def test_bad_data_is_refused(line, message):
    with pytest.raises(AsmError, match=message):
        parse(line + "\n" + HEADER + "    RET\n")


def test_bytes_in_the_text_are_written_as_given():
    assert code("    BYTE $0x0f; BYTE $0x05\n    WORD $0x0102\n    LONG $-1\n    QUAD $1\n") == \
        bytes.fromhex("0f05" "0201" "ffffffff" "0100000000000000")
    assert code("    BYTE $0x1ff\n    WORD $0x12345\n") == bytes.fromhex("ff" "4523")  # low bytes, as Go


def test_prefixes_are_single_bytes_before_their_instruction():
    assert code("    REP; MOVSB\n    LOCK\n    XADDL AX, (BX)\n") == bytes.fromhex("f3a4" "f00fc103")


def test_a_prefix_and_its_instruction_are_one_placed_instruction():
    """What the CPU runs (and a trace steps over) is LOCK CMPXCHGL as one instruction."""
    prog = parse(HEADER + "    LOCK\n    CMPXCHGL CX, 0(R11)\n    RET\n")
    img = link([prog], BASE)
    lock, ret = [p for p in img.placed if p.data]
    assert (lock.data.hex(), lock.line, lock.ins.text) == ("f0410fb10b", 3, "LOCK; CMPXCHGL CX, 0(R11)")
    assert lock.intel == "lock cmpxchg [r11], ecx" and img.at(lock.address) is lock
    assert ret.address == lock.address + 5


def test_abi_selector_resolves_to_the_defined_function():
    prog = parse("TEXT f<ABIInternal>(SB), NOSPLIT, $0\n    RET\n"
                 "TEXT g(SB), NOSPLIT, $0\n    JMP f<ABIInternal>(SB)\n")
    img = link([prog], BASE)
    jmp = img.function_placed("g")[0]
    assert jmp.intel == f"jmp {img.symbols['f']:#x}"


def test_an_unknown_abi_selector_is_refused():
    with pytest.raises(AsmError, match="unknown ABI selector <ABI9>"):
        parse(HEADER + "    CALL f<ABI9>(SB)\n")


def test_pcalign_is_refused_as_go_1_19_refuses_it_on_amd64():
    """`go build` of a .s file with PCALIGN $16 fails: asmins: missing op (Go 1.19, amd64)."""
    with pytest.raises(AsmError, match="PCALIGN is refused on amd64") as ei:
        code("    MOVQ AX, BX\n    PCALIGN $16\n    RET\n")
    assert ei.value.line == 3
