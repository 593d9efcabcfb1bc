"""Frames as Go's assembler makes them: the instructions it adds are marked, and FP and named-SP
slots follow the frame and every PUSHQ/POPQ. The bytes are held against the toolchain in
tests/test_asm_runtime_files.py; these tests pin the rules one at a time."""
import pytest

from gosched_book import AsmError
from gosched_book.asm.link import link
from gosched_book.asm.parse import parse
from gosched_book.asm.toolchain import BASE, external_symbols


def image(src: str):
    prog = parse(src)
    return link([prog], BASE, external_symbols([prog]))


def listing(src: str) -> list[tuple[str, str]]:
    return [(p.ins.added, p.intel) for p in image(src).placed if p.data]


def test_a_nosplit_frame_saves_bp_and_restores_it_before_each_ret():
    rows = listing("TEXT f(SB), NOSPLIT, $16-8\n    JEQ out\n    RET\nout:\n    RET\n")
    assert [a for a, _ in rows] == ["prologue"] * 3 + ["", "epilogue", "epilogue", "",
                                                       "epilogue", "epilogue", ""]
    assert rows[0][1] == "sub rsp, 0x18" and rows[1][1] == "mov [rsp+0x10], rbp"
    assert rows[2][1] == "lea rbp, [rsp+0x10]"
    assert [t for a, t in rows if a == "epilogue"] == ["mov rbp, [rsp+0x10]", "add rsp, 0x18"] * 2


def test_fp_and_named_sp_slots_are_hardware_sp_offsets():
    rows = listing("TEXT f(SB), NOSPLIT, $16-8\n    MOVQ x+0(FP), AX\n    MOVQ AX, y-8(SP)\n"
                   "    PUSHQ AX\n    MOVQ x+0(FP), BX\n    POPQ AX\n    RET\n")
    body = [t for a, t in rows if not a]
    # frame 16 + saved BP 8: x+0(FP) is 0x20(SP), y-8(SP) is 8(SP); after PUSHQ, 0x28(SP)
    assert body[:4] == ["mov rax, [rsp+0x20]", "mov [rsp+8], rax", "push rax",
                        "mov rbx, [rsp+0x28]"]


def test_a_zero_frame_leaf_gets_nothing():
    assert [a for a, _ in listing("TEXT f(SB), $0-8\n    MOVQ x+0(FP), AX\n    RET\n")] == ["", ""]


def test_a_splittable_function_checks_the_stack_and_calls_morestack():
    img = image("TEXT f(SB), $8-0\n    CALL runtime·h(SB)\n    RET\n")
    added = [(p.ins.added, p.ins.mnemonic) for p in img.placed if p.data]
    assert added[:3] == [("stack check", "MOVQ"), ("stack check", "CMPQ"), ("stack check", "JLS")]
    assert added[-2:] == [("stack check", "CALL"), ("stack check", "JMP")]
    call = [p for p in img.placed if p.ins.added == "stack check" and p.ins.mnemonic == "CALL"][0]
    assert call.ins.operands[0].symbol == "runtime·morestack_noctxt"
    jmp = img.placed[-1]  # back to the entry, to check again on the grown stack
    assert jmp.intel == f"jmp {img.symbols['f']:#x}"


def test_big_and_huge_frames_use_the_longer_checks():
    big = [p.ins.mnemonic for p in image("TEXT f(SB), $1000-0\n    CALL runtime·h(SB)\n    RET\n").placed
           if p.ins.added == "stack check"]
    huge = [p.ins.mnemonic for p in image("TEXT f(SB), $8192-0\n    CALL runtime·h(SB)\n    RET\n").placed
            if p.ins.added == "stack check"]
    assert big[:4] == ["MOVQ", "LEAQ", "CMPQ", "JLS"]
    assert huge[:6] == ["MOVQ", "MOVQ", "SUBQ", "JCS", "CMPQ", "JLS"]


def test_minus_eight_frame_is_no_frame():
    assert [a for a, _ in listing("TEXT f(SB), NOSPLIT, $-8\n    CALL runtime·h(SB)\n    RET\n")] == ["", ""]


def test_abiinternal_requires_nosplit_as_in_go():
    with pytest.raises(AsmError, match="ABIInternal requires NOSPLIT"):
        parse("TEXT f<ABIInternal>(SB), $0\n    RET\n")


def test_wrapper_checks_panic_argp():
    rows = [p for p in image("TEXT f(SB), NOSPLIT|WRAPPER, $8\n    RET\n").placed if p.data]
    wrapper = [p.intel for p in rows if p.ins.added == "wrapper"]
    assert wrapper[:3] == ["mov r12, [r14+0x20]", "test r12, r12", wrapper[2]]
    assert "lea r13, [rsp+0x18]" in wrapper and "mov [r12], rsp" in wrapper


def test_numeric_text_flags_are_textflag_bits():
    """4 is NOSPLIT: no stack check even with a frame and a call."""
    assert "stack check" not in {p.ins.added for p in image(
        "TEXT f(SB), 4, $8\n    CALL runtime·h(SB)\n    RET\n").placed}
