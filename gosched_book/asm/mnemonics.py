"""The Plan 9 amd64 mnemonics this assembler knows, with their operand shapes."""
from __future__ import annotations

# mnemonic -> (operand count, what the operands are, for error messages)
MNEMONICS: dict[str, tuple[int, str]] = {
    "MOVQ": (2, "source, destination"),
    "MOVL": (2, "source, destination"),
    "LEAQ": (2, "memory operand, destination register"),
    "ADDQ": (2, "source, destination"),
    "SUBQ": (2, "source, destination"),
    "ANDQ": (2, "source, destination"),
    "ORQ": (2, "source, destination"),
    "XORQ": (2, "source, destination"),
    "CMPQ": (2, "left, right (compared in source order)"),
    "TESTQ": (2, "source, destination"),
    "TESTL": (2, "source, destination"),
    "XORPS": (2, "source X register, destination X register"),
    "BYTE": (1, "$byte (a byte of the text, as written)"),
    "WORD": (1, "$value (two bytes of the text)"),
    "LONG": (1, "$value (four bytes of the text)"),
    "QUAD": (1, "$value (eight bytes of the text)"),
    "REP": (0, ""),
    "REPN": (0, ""),
    "LOCK": (0, ""),
    "NOP": (1, "register, or nothing (a hint for vet; emits nothing)"),
    "FUNCDATA": (2, "$index, symbol(SB) (GC metadata; emits no code)"),
    "PCDATA": (2, "$table, $value (GC metadata; emits no code)"),
    "PUSHQ": (1, "register or $constant"),
    "POPQ": (1, "register"),
    "CALL": (1, "target: register, symbol(SB) or memory"),
    "JMP": (1, "target: label, register, symbol(SB) or N(PC)"),
    "RET": (0, ""),
    "ADJSP": (1, "$bytes (the frame grows by bytes: SUBQ, or ADDQ when negative)"),
    "INT": (1, "$vector"),
}

# Go's condition names -> Intel condition suffix (SETEQ, CMOVQEQ, JEQ, ...).
GO_CONDITIONS = {
    "EQ": "E", "NE": "NE", "CS": "B", "CC": "AE", "HI": "A", "LS": "BE", "LT": "L", "GE": "GE",
    "GT": "G", "LE": "LE", "MI": "S", "PL": "NS", "OS": "O", "OC": "NO", "PS": "P", "PC": "NP",
}
# Conditional jumps, with the alternates Go's assembler accepts (cmd/asm/internal/arch/arch.go):
# Plan 9 name -> Intel condition suffix.
CONDITIONS = {f"J{k}": v for k, v in GO_CONDITIONS.items()}
CONDITIONS.update({
    "JA": "A", "JAE": "AE", "JB": "B", "JBE": "BE", "JC": "B", "JE": "E", "JG": "G", "JHS": "AE",
    "JL": "L", "JLO": "B", "JNA": "BE", "JNAE": "B", "JNB": "AE", "JNBE": "A", "JNC": "AE",
    "JNG": "LE", "JNGE": "L", "JNL": "GE", "JNLE": "G", "JNO": "NO", "JNP": "NP", "JNS": "NS",
    "JNZ": "NE", "JO": "O", "JP": "P", "JPE": "P", "JPO": "NP", "JS": "S", "JZ": "E",
})
for _j in CONDITIONS:
    MNEMONICS[_j] = (1, "target: label, symbol(SB) or N(PC)")

BRANCHES = frozenset({"JMP", "CALL", *CONDITIONS})
