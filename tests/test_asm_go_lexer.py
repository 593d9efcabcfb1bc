"""Go's assembler refuses what its lexer refuses and accepts what it accepts (issues 18, 21)."""

import pytest

from gosched_book import AsmError
from gosched_book.asm.link import link
from gosched_book.asm.parse import parse
from gosched_book.asm.preprocess import preprocess
from work import lines_run

HEADER = "TEXT f(SB), NOSPLIT, $0-0\n"


def code_of(body: str) -> bytes:
    return link([parse(HEADER + body)], 0x1000).code


@pytest.mark.parametrize("text,char", [("MOVQ $１２, AX", "１"), ("MOVQ $٣, AX", "٣"),
                                       ("MOVQ ０(DX), CX", "０"), ("ADDQ $1٣, AX", "٣")])
def test_unicode_digits_are_refused_naming_the_character(text, char):
    with pytest.raises(AsmError) as ei:
        parse(HEADER + f"    {text}\n")
    e = ei.value
    assert repr(char) in e.message and f"U+{ord(char):04X}" in e.message and "ASCII" in e.message
    assert e.line == 2 and e.loc.text[e.column - 1] == char


def test_unicode_letters_make_labels():
    prog = parse(HEADER + "标签:\n    JMP 标签\n    JMP 栈ま\n栈ま:\n    RET\n")
    assert [x.name for x in prog.functions[0].body if hasattr(x, "name")] == ["标签", "栈ま"]
    assert code_of("标签:\n    JMP 标签\n") == bytes.fromhex("ebfe")


def test_bare_nop_is_accepted_and_emits_nothing():
    assert code_of("    NOP\n    RET\n") == bytes.fromhex("c3")
    assert code_of("    NOP SP\n    RET\n") == bytes.fromhex("c3")


@pytest.mark.parametrize("define", ["#define F(x x", "#define F(", "#define F(x, y"])
def test_unterminated_macro_parameters_are_refused(define):
    with pytest.raises(AsmError) as ei:
        parse(define + "\n" + HEADER + "    RET\n")
    assert ei.value.line == 1 and "bad definition for F" in ei.value.message


def test_macro_with_a_space_before_the_paren_is_object_like():
    src = "#define F (8)\n" + HEADER + "    MOVQ $F, AX\n"
    assert link([parse(src)], 0x1000).code == code_of("    MOVQ $8, AX\n")


def _nested(depth: int) -> str:
    return "#ifdef GOOS_linux\n" * depth + HEADER + "    RET\n" + "#endif\n" * depth


def test_nested_ifdef_is_linear():
    """Four times the depth executes about four times the preprocessor's lines, not sixteen times."""
    def work(depth):
        count, (lines, errors) = lines_run(preprocess, _nested(depth))
        assert not errors and sum(1 for x in lines if x.code.strip()) == 2
        return count
    small, big = work(500), work(2_000)
    assert small > 500 and big < 5 * small, (small, big)


def test_nested_ifdef_keeps_inner_conditions():
    src = ("#ifdef GOOS_linux\n#ifdef NOPE\n#define X 1\n#else\n#define X 2\n#endif\n#endif\n"
           + HEADER + "    MOVQ $X, AX\n")
    assert link([parse(src)], 0x1000).code == code_of("    MOVQ $2, AX\n")
    src = "#ifdef NOPE\n#ifdef GOOS_linux\n#define X 1\n#else\n#define X 2\n#endif\n#endif\n"
    with pytest.raises(AsmError, match="unknown symbol 'X'"):
        parse(src + HEADER + "    MOVQ $X, AX\n")


def test_a_bad_text_line_after_a_block_is_an_asm_error():
    with pytest.raises(AsmError) as ei:
        parse(HEADER + "    RET\nTEXT g(SB), BOGUS, $0\n    RET\n")
    assert ei.value.line == 3 and "unknown TEXT flag 'BOGUS'" in ei.value.message
