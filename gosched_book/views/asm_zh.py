"""A Chinese line for each assembler error the editor shows, above the assembler's own words.

The assembler's messages stay as Go's tools would word them (English, with the source line and a
caret); the reader first reads, in Chinese, where the error is and what kind it is."""
from __future__ import annotations

import re

from ..errors import AsmError

# (pattern on the message, what it says in Chinese); the first match wins.
KINDS = (
    (r"^unknown instruction", "不认识这条指令的助记符"),
    (r"^expected an instruction mnemonic", "这里应当是一条指令的助记符"),
    (r"^unknown suffix", "助记符的后缀不对"),
    (r"^malformed operand|^nested parentheses|is not an operand here", "操作数写得不对"),
    (r"^missing operand", "少了操作数"),
    (r"^expected a register|^expected an index register|^register .* cannot be part", "这里应当是一个寄存器"),
    (r"^scale must be", "变址的倍数只能是 1、2、4 或 8"),
    (r"operands?|takes|expects? ", "操作数的个数或种类不对"),
    (r"^unknown symbol|undefined symbol|is not defined", "用到的符号没有定义"),
    (r"defined twice", "同一个名字定义了两次"),
    (r"^label outside|^instruction outside", "指令或标号不在任何 TEXT 块里"),
    (r"^TEXT|^expected the frame|^expected the function name|ABIInternal requires", "TEXT 行写得不对"),
    (r"^bad number|does not fit|overflows|^division by zero|is not a hex number|^shift count", "数值写得不对或超出范围"),
    (r"^DATA|^GLOBL", "DATA/GLOBL 数据行写得不对"),
    (r"#define|#ifdef|#ifndef|#else|#endif|#include|macro", "预处理行（#define、#ifdef、#include）写得不对"),
)


def kind_zh(message: str) -> str:
    """What kind of error `message` is, in Chinese ("" when none of KINDS says)."""
    return next((zh for pat, zh in KINDS if re.search(pat, message)), "")


def render_zh(e: AsmError) -> str:
    """`systemstack.s 第 26 行第 11 列：操作数写得不对。汇编器的原话：` then e.render()."""
    kind = kind_zh(e.message)
    where = f"{e.loc.file} 第 {e.line} 行第 {e.column} 列"
    return f"{where}：{kind + '。' if kind else '汇编不过。'}汇编器的原话：\n{e.render()}"
