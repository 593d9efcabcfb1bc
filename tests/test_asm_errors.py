"""Bad listings raise AsmError with line, column, caret and a readable message."""
import pytest

from gosched_book import AsmError, assemble
from gosched_book.asm.parse import parse
from gosched_book.chapters.document import listing, listings

HEADER = "TEXT f(SB), NOSPLIT, $0-0\n"


def errors_of(src, **kw):
    with pytest.raises(AsmError) as ei:
        assemble(src, **kw) if not kw else parse(src, **kw)
    return ei.value.all


def test_documents_gogo_listing_fails_at_its_three_typos():
    raw = listing("runtime·gogo")
    with pytest.raises(AsmError) as ei:
        parse(raw.text, "doc", raw.first_line)
    errs = ei.value.all
    lines = raw.text.splitlines()
    typo = {raw.first_line + i for i, l in enumerate(lines)
            if l.split()[1:2] in (["+0(FP),"], ["uf_g(BX),"], ["X),"])}
    assert {e.line for e in errs} == typo and len(errs) == 3
    by_text = {e.loc.text.strip().split()[1]: e for e in errs}
    assert "needs a name" in by_text["+0(FP),"].message
    assert "did you mean gobuf_g" in by_text["uf_g(BX),"].message
    assert "expected" in by_text["X),"].message and "0(DX)" in by_text["X),"].message
    for e in errs:
        assert e.column == e.loc.text.index(e.loc.text.strip().split()[1]) + 1


def test_documents_gosave_listing_fails_at_cal():
    raw = listing("gosave_systemstack_switch<>")
    with pytest.raises(AsmError) as ei:
        parse(raw.text, "doc", raw.first_line)
    (e,) = ei.value.all
    assert "CAL " in e.loc.text and "did you mean CALL?" in e.message
    assert e.column == e.loc.text.index("CAL") + 1


def test_documents_systemstack_listing_lacks_its_labels():
    raw = listing("runtime·systemstack")
    with pytest.raises(AsmError) as ei:
        parse(raw.text, "doc", raw.first_line)
    names = {e.message.split("'")[1] for e in ei.value.all}
    assert names == {"noswitch", "bad"}


def test_documents_mcall_listing_assembles():
    raw = listing("runtime·mcall")
    prog = parse(raw.text, "doc", raw.first_line)
    assert prog.functions[0].name == "runtime·mcall"
    assert len(listings()) == 4


def test_render_has_location_source_and_caret():
    with pytest.raises(AsmError) as ei:
        assemble(HEADER + "    MOVQ    AX, DX\n    MOVX    AX, BX\n", file="t.s")
    text = ei.value.render()
    first, src, caret = text.splitlines()
    assert first.startswith("t.s:3:5: unknown instruction 'MOVX'; did you mean MOVQ?")
    assert src.strip() == "MOVX    AX, BX"
    assert caret.index("^") == src.index("MOVX")


@pytest.mark.parametrize("line, words", [
    ("MOVQ AX", "takes 2 operands"),
    ("MOVQ AX, (R99)", "expected a register"),
    ("MOVQ 8(SP", "unbalanced"),
    ("JNE nowhere", "not defined"),
    ("CALL runtime·nothere(SB)", "undefined symbol"),
    ("INT $300", "$0..$255"),
    ("LEAQ AX, BX", "cannot take operands"),
    ("MOVQ $0x123456789, 8(SP)", "does not fit"),
    ("MOVQ AX, BX ; x", "unknown instruction 'x'"),
    ("MOVQ AX, BX # x", "unexpected character"),
])
def test_malformed_lines_say_what_was_expected(line, words):
    with pytest.raises(AsmError) as ei:
        assemble(HEADER + "    " + line + "\n")
    e = ei.value
    assert words in e.message
    assert e.line == 2 and 1 <= e.column <= len(e.loc.text) + 1


def test_frame_size_gets_the_prologue_go_adds():
    """A $16 frame was refused before the assembler inserted frames as Go does (issue 18)."""
    img = assemble("TEXT f(SB), NOSPLIT, $16-0\n    RET\n")
    added = [(p.ins.added, p.line) for p in img.placed if p.data]
    assert added == [("prologue", 1)] * 3 + [("epilogue", 2)] * 2 + [("", 2)]


def test_column_counts_wide_characters_in_caret():
    with pytest.raises(AsmError) as ei:
        assemble(HEADER + "    MOVQ 中, AX\n")
    # 中 is a Go identifier (Unicode letters are, as in Go's lexer): a name where an operand belongs
    assert "'中' is not an operand here" in ei.value.message
    assert ei.value.loc.text[ei.value.column - 1] == "中"


def test_short_and_long_branches_are_chosen_by_distance():
    body = "".join("    MOVQ AX, 8(SP)\n" for _ in range(40))
    img = assemble(HEADER + "    JNE far\n" + body + "far:\n    RET\n")
    jne = img.placed[0]
    assert jne.data[:2] == bytes([0x0F, 0x85])  # rel32 form
    img2 = assemble(HEADER + "    JNE near\n    RET\nnear:\n    RET\n")
    assert img2.placed[0].data == bytes([0x75, 0x01])
