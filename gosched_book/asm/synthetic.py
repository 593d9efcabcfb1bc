"""Synthetic listings of a chosen size: the assembler's linearity test and benchmark use them."""
from __future__ import annotations

HEADER = "TEXT f(SB), NOSPLIT, $0-0\n"


def long_function(lines: int) -> str:
    """One function of about `lines` lines: labels, loads, backward branches, adds."""
    out = [HEADER.strip()]
    for i in range(lines // 4):
        out += [f"l{i}:", "    MOVQ 8(SP), AX", f"    JNE l{max(i - 1, 0)}", "    ADDQ $1, AX"]
    return "\n".join(out + ["    RET"]) + "\n"


def many_functions(n: int) -> str:
    """`n` small functions, each with an N(PC) branch."""
    return "".join(f"TEXT f{i}(SB), NOSPLIT, $0-0\n    MOVQ AX, BX\n    JMP 1(PC)\n    RET\n"
                   for i in range(n))


def forward_jumps(k: int) -> str:
    """`k` forward JMPs to one label, each too far for rel8 at first sight."""
    body = "".join("    JMP end\n" + "    MOVQ $0x12345678, 8(SP)\n" * 12 for _ in range(k))
    return HEADER + body + "end:\n    RET\n"
