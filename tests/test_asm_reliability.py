"""Issues 12 and 13, assembler half: bad input is an AsmError, and what Go's assembler reads, we read."""

import pytest

from gosched_book import AsmError, assemble
from gosched_book.asm.encode import decode_one
from gosched_book.asm.synthetic import forward_jumps, long_function, many_functions
from work import lines_run

HEADER = "TEXT f(SB), NOSPLIT, $0-0\n"


def one(src: str) -> AsmError:
    with pytest.raises(AsmError) as ei:
        assemble(src)
    return ei.value


def data(src: str) -> bytes:
    img = assemble(src)
    return img.code[: img.sizes["f"]]


@pytest.mark.parametrize("line, words", [
    ("MOVQ $0x10000000000000000, AX", "does not fit in 64 bits"),
    ("MOVQ $-0x8000000000000001, AX", "does not fit in 64 bits"),
    ("MOVL $0x100000000, AX", "does not fit in 32 bits"),
    ("MOVL $-0x80000001, AX", "does not fit in 32 bits"),
    ("ADDQ $(1<<40), AX", "does not fit in a signed 32-bit"),
    ("MOVQ $(1<<64), AX", "shift count 64"),
])
def test_out_of_range_immediates_are_errors_with_caret(line, words):
    e = one(HEADER + "    " + line + "\n")
    assert words in e.message and e.line == 2
    assert e.loc.text[e.column - 1] in "$0-(<", e.render()
    assert "^" in e.render().splitlines()[-1]


def test_in_range_immediates_still_assemble():
    assert data(HEADER + "    MOVL $0xffffffff, AX\n") == bytes.fromhex("b8ffffffff")
    assert data(HEADER + "    MOVQ $-1, AX\n") == bytes.fromhex("48c7c0ffffffff")
    assert data(HEADER + "    MOVQ $0xffffffffffffffff, AX\n") == bytes.fromhex("48c7c0ffffffff")
    assert data(HEADER + "    MOVQ $0x123456789, AX\n") == bytes.fromhex("48b88967452301000000")


def test_deep_parentheses_are_an_asm_error():
    e = one(HEADER + "    MOVQ $" + "(" * 500 + "1" + ")" * 500 + ", AX\n")
    assert "parentheses deep" in e.message and e.line == 2


def test_thousands_of_unary_minus_signs_evaluate_without_recursion():
    assert data(HEADER + "    MOVQ $" + "-" * 5000 + "1, AX\n") == bytes.fromhex("48c7c001000000")
    assert data(HEADER + "    MOVQ $" + "-" * 5001 + "1, AX\n") == bytes.fromhex("48c7c0ffffffff")


@pytest.mark.parametrize("k", [17, 40])
def test_many_long_forward_jumps_assemble_and_reach_their_label(k):
    img = assemble(forward_jumps(k))
    end = img.symbols["f"] + img.sizes["f"] - 1  # the RET
    jumps = [p for p in img.placed if p.ins.mnemonic == "JMP"]
    assert len(jumps) == k
    for p in jumps:
        assert decode_one(p.data, p.address).near_branch_target == end
    # The last ones are near enough for rel8: relaxation grows only what must grow.
    assert len(jumps[-1].data) == 2 and len(jumps[0].data) == 5


def test_backward_and_pc_relative_branches_stay_short_when_they_can():
    src = HEADER + "top:\n    MOVQ AX, BX\n    JNE top\n    JMP 2(PC)\n    MOVQ AX, BX\n    RET\n"
    img = assemble(src)
    assert [len(p.data) for p in img.placed if p.ins.mnemonic in ("JNE", "JMP")] == [2, 2]


@pytest.mark.parametrize("value, name", [(None, "NoneType"), (b"RET", "bytes"), (3, "int")])
def test_assemble_wants_a_str(value, name):
    e = one(value)
    assert "expected the listing as a str" in e.message and name in e.message


def _work(src: str) -> int:
    return lines_run(assemble, src)[0]


def test_assembling_is_linear():
    """Four times the lines executes about four times the assembler's code (benchmarks/ times it)."""
    small, large = _work(long_function(500)), _work(long_function(2000))
    assert small > 500 and large < 5 * small, (small, large)
    few, many = _work(many_functions(150)), _work(many_functions(600))
    assert few > 150 and many < 5 * few, (few, many)


# Issue 13: what a reader pastes from asm_amd64.s -----------------------------------------------

def test_block_comments_includes_and_textflag_names():
    src = ('#include "go_asm.h"\n#include "go_tls.h"\n#include "textflag.h"\n'
           "/*\n * support for morestack\n */\n"
           "TEXT f(SB), NOSPLIT|NOFRAME, $0-0 /* a frame */\n"
           "    MOVQ /* inline */ AX, g_m(R14) // a comment\n    RET\n")
    img = assemble(src)
    first = img.placed[0]
    assert first.data == bytes.fromhex("49894630") and first.line == 8
    assert first.ins.comment == "a comment"


def test_unknown_include_and_unclosed_comment_say_what_is_known():
    e = one('#include "stdio.h"\n' + HEADER + "    RET\n")
    assert e.line == 1 and "go_asm.h" in e.message and "stdio.h" in e.message
    e = one(HEADER + "    RET /* never closed\n    RET\n")
    assert e.line == 2 and "never closed" in e.message


def test_defines_as_asm_amd64_uses_them():
    src = ("#define NEED_FEATURES (1 << 0 | 1 << 9)\n"
           "#define LOAD(reg, off) MOVQ off(reg), AX\n"
           "#define TWO MOVQ AX, BX; \\\n\tMOVQ BX, CX\n"
           "#ifdef GOARCH_amd64\n#define ARCH_OK $1\n#else\n#define ARCH_OK $0\n#endif\n"
           + HEADER +
           "    MOVQ $NEED_FEATURES, AX\n    LOAD(SP, 8)\n    TWO\n    MOVQ ARCH_OK, DX\n"
           "    get_tls(CX)\n    MOVQ g(CX), AX\n    RET\n")
    img = assemble(src)
    intel = [p.intel for p in img.placed if p.data]
    assert intel == ["mov rax, 0x201", "mov rax, [rsp+8]", "mov rbx, rax", "mov rcx, rbx",
                     "mov rdx, 1", "mov rax, fs:[-8]", "ret"]


def test_errors_inside_a_macro_point_at_its_use():
    e = one("#define BAD MOVQ AX, R99\n" + HEADER + "    BAD\n")
    assert e.line == 3 and e.column == 5 and "unknown register 'R99'" in e.message
    assert "expansion of BAD" in e.message


@pytest.mark.parametrize("sep", ["\u2028", "\u0085", "\x1c", "\f", "\v", "\u2029", "\r"])
def test_only_newline_ends_a_line(sep):
    img = assemble(HEADER + f"    RET // a{sep}b\n")
    assert [p.data for p in img.placed] == [b"\xc3"]


def test_crlf_lines():
    img = assemble(HEADER.replace("\n", "\r\n") + "    MOVQ AX, BX\r\n    RET\r\n")
    assert img.code[: img.sizes["f"]] == bytes.fromhex("4889c3c3")


@pytest.mark.parametrize("line, words, col", [
    ("MOVQ AX, R99", "unknown register 'R99'", 14),
    ("MOVQ AX, FOO", "unknown register 'FOO'", 14),
    ("MOVQ AX, somewhere", "not an operand here", 14),
    ("MOVQ ((AX)), BX", "expected a memory operand like (AX)", 10),
    ("MOVQ (1+AX), BX", "a memory operand is written offset(REG)", 13),
])
def test_operand_messages_say_what_was_expected(line, words, col):
    e = one(HEADER + "    " + line + "\n")
    assert words in e.message and e.column == col, e.render()
    assert "is not defined" not in e.message and "did you mean AX" not in e.message


def test_runaway_macros_are_errors_not_hangs():
    defs = "".join(f"#define M{i} M{i + 1} M{i + 1}\n" for i in range(30))
    work, e = lines_run(one, defs + HEADER + "    MOVQ $M0, AX\n")
    assert "past" in e.message and e.line == 32
    assert work < 500_000, work  # stops at the expansion limit, not after 2**30 tokens
    e = one("#define F(x) F(x) F(x)\n" + HEADER + "    F(1)\n")
    assert e.line == 3  # F is not expanded inside itself: 'F' is an unknown instruction


def test_assembling_in_threads_gives_the_same_bytes():
    # Patched listings are assembled in the live view's background thread while the reader's
    # thread may assemble too: one shared encoder buffer mixed their bytes.
    import threading

    from gosched_book.scenario.family import source

    src = "".join(source(f) for f in ("mcall.s", "gogo.s", "gogo_body.s")) + (
        "TEXT runtime·badmcall(SB), NOSPLIT, $0-0\n    RET\n"
        "TEXT runtime·badmcall2(SB), NOSPLIT, $0-0\n    RET\n")
    want = assemble(src).code
    bad: list[str] = []

    def work() -> None:
        for _ in range(40):
            try:
                if assemble(src).code != want:
                    bad.append("different bytes")
            except Exception as e:  # noqa: BLE001 - any failure is the defect
                bad.append(repr(e))

    ts = [threading.Thread(target=work) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not bad, bad[:3]


def test_funcdata_macros_emit_no_code():
    img = assemble('#include "funcdata.h"\n' + HEADER + "    NO_LOCAL_POINTERS\n    GO_ARGS\n"
                   "    GO_RESULTS_INITIALIZED\n    MOVQ AX, BX\n    RET\n")
    assert [p.ins.mnemonic for p in img.placed] == ["FUNCDATA", "FUNCDATA", "PCDATA", "MOVQ", "RET"]
    assert img.code[: img.sizes["f"]] == bytes.fromhex("4889c3c3")
    e = one(HEADER + "    NO_LOCAL_POINTERS\n")  # without the #include it is not a macro
    assert "unknown instruction 'NO_LOCAL_POINTERS'" in e.message


def test_go_tls_h_written_out_is_the_same_as_its_macros():
    macros = data(HEADER + "    get_tls(CX)\n    MOVQ g(CX), AX\n    MOVQ AX, g(CX)\n    RET\n")
    written = data(HEADER + "    MOVQ TLS, CX\n    MOVQ 0(CX)(TLS*1), AX\n"
                   "    MOVQ AX, 0(CX)(TLS*1)\n    RET\n")
    assert macros == written == bytes.fromhex("64488b0425f8ffffff" "6448890425f8ffffff" "c3")
    assert "offset must be 0" in one(HEADER + "    MOVQ 8(CX)(TLS*1), AX\n").message
