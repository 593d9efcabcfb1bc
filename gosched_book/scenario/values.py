"""The values a reader may set: register and memory-word names, symbolic values, checking and reading.

A register (`r14`, `rax`, ...; rip stays the entry) or a memory word a routine reads
(`g.sched.pc`, `m.curg`, `tls.g`, `fn.code`, ...) takes a raw 64-bit integer or a symbolic value
such as `g0` or `&g.sched`. What a symbolic value is at run time is the machine's business
(`machine.overrides`); here are only the names and what they mean.
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

from ..errors import ScenarioError

MASK = (1 << 64) - 1

# Registers a reader may set: every general register but rip (the routine's entry).
REGISTERS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
GOBUF_FIELDS = ("sp", "pc", "g", "ctxt", "ret", "lr", "bp")
# Memory words the routines read: name -> (Chinese label, where it is).
MEMORY: Mapping[str, str] = MappingProxyType({
    **{f"g.sched.{f}": f"g.sched.{f}（g 的 gobuf）" for f in GOBUF_FIELDS},
    **{f"g0.sched.{f}": f"g0.sched.{f}（g0 的 gobuf）" for f in GOBUF_FIELDS},
    "m.g0": "m.g0（本线程的 g0）",
    "m.curg": "m.curg（本线程当前的用户 goroutine）",
    "m.gsignal": "m.gsignal（本线程的信号 g）",
    "tls.g": "TLS 里的 g（FS-8 处那个字）",
    "fn.code": "fn.fn（闭包对象的第一个字：代码地址）",
})
UNMAPPED = 0xDEAD0000  # no region of any world is there
NONCANONICAL = 0x8000000000000000  # bits 63..47 differ: x86-64 raises #GP, not a page fault

# Symbolic value -> its Chinese meaning (machine.overrides.RESOLVERS says what it is in a world).
SYMBOLS: Mapping[str, str] = MappingProxyType({
    "g": "用户 goroutine g 的地址",
    "g0": "本线程的 g0（系统栈的 g）的地址",
    "gsignal": "信号处理用的 gsignal 的地址",
    "g2": "另一个 goroutine g2 的地址（不是本线程的 curg）",
    "m": "m0（线程）的地址：不是 g，却被当作 g 用",
    "&g.sched": "g.sched 的地址（g 的 gobuf）",
    "&g0.sched": "g0.sched 的地址（g0 的 gobuf）",
    "fn": "本例程拿到的 fn：指向 funcval 的指针",
    "fn.code": "fn 指向的代码地址（funcval 的第一个字）",
    "stale": "陈旧值：g 栈深处早已弹出的旧地址",
    "unmapped": f"没有映射的地址 {UNMAPPED:#x}：一读就出错",
    "noncanonical": f"非规范地址 {NONCANONICAL:#x}：x86-64 上一用就是 #GP（一般保护错误）",
})


def short(v) -> str:
    """repr(v), cut to 40 characters for messages."""
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "…"


ACCEPTED_ZH = ("0 到 2**64−1 的整数（十六进制写 0x…，或不带前导 0 的十进制），或这些名字之一：" +
               "、".join(SYMBOLS))


def check_value(name: str, v) -> "int | str":
    """A raw integer in [0, 2**64) or a known symbolic name; else ScenarioError naming both."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ScenarioError(f"{name} must be an integer in [0, 2**64) or one of "
                            f"{', '.join(SYMBOLS)}; got {type(v).__name__}",
                            f"{name}：收到的是 {type(v).__name__}，不是数也不是名字；可填{ACCEPTED_ZH}")
    if isinstance(v, int):
        if not 0 <= v <= MASK:
            raise ScenarioError(f"{name} must be an integer in [0, 2**64) or one of "
                                f"{', '.join(SYMBOLS)}; got {'a negative number' if v < 0 else 'a number ≥ 2**64'}",
                                f"{name}：{v:#x} {'是负数' if v < 0 else '不小于 2**64，放不进 64 位'}；"
                                f"可填{ACCEPTED_ZH}")
        return v
    if v not in SYMBOLS:
        raise ScenarioError(f"{name}: unknown value {short(v)}; use an integer in [0, 2**64) "
                            f"(e.g. 0x0) or one of {', '.join(SYMBOLS)}",
                            f"{name}：{short(v)} 既不是数，也不是认得的名字；可填{ACCEPTED_ZH}")
    return v


_DECIMAL = re.compile(r"[+-]?[0-9]+")


def non_ascii_digit(name: str, text: str) -> None:
    """ScenarioError naming the first digit in `text` that is not one of the ASCII digits 0-9
    (Python's int() reads '１２３' and '٣' as numbers; Go's lexer does not)."""
    import unicodedata

    for c in text:
        if not c.isascii() and unicodedata.numeric(c, None) is not None:
            what = f"{unicodedata.name(c, 'a digit')}, U+{ord(c):04X}"
            raise ScenarioError(
                f"{name}={short(text)}: {c!r} ({what}) is not an ASCII digit; numbers are written "
                f"with 0-9, as in Go",
                f"{name}：{short(text)} 里的 “{c}”（{what}）不是 ASCII 数字；数只能用半角的 0-9 书写")


def parse_value(name: str, text: str):
    """A value as typed on the command line or found in a key: int, bool, or a name."""
    t = text.strip()
    low = t.lower()
    non_ascii_digit(name, t)
    if low in ("true", "false"):
        return low == "true"
    if _DECIMAL.fullmatch(t):
        digits = t.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0":
            raise ScenarioError(
                f"{name}={short(t)}: a number with a leading zero is ambiguous (octal in C, an error "
                f"in Go and Python); write hex as 0x… or decimal without the leading zero",
                f"{name}：{short(t)} 以 0 开头，含义不明（C 里是八进制，Go 和 Python 里是错误）；"
                f"十六进制请写 0x…，十进制不要前导 0")
        if len(digits) > 20:
            raise ScenarioError(f"{name}: {short(t)} is too large; values are 64-bit, < 2**64",
                                f"{name}：{short(t)} 太大；值是 64 位的，须小于 2**64")
        return int(t)
    if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F_]+", t):
        if len(t.lstrip("+-")) > 2 + 16 + 8:
            raise ScenarioError(f"{name}: {short(t)} is too large; values are 64-bit, < 2**64",
                                f"{name}：{short(t)} 太大；值是 64 位的，须小于 2**64")
        try:
            return int(t, 16)
        except ValueError:
            raise ScenarioError(f"{name}: {short(t)} is not a hex number",
                                f"{name}：{short(t)} 不是十六进制数；请写成 0x 加 0-9、a-f") from None
    if re.fullmatch(r"[+-]?0[xX]", t):
        raise ScenarioError(f"{name}: {short(t)} has no digits after 0x",
                            f"{name}：{short(t)} 的 0x 后面没有数字")
    return t


__all__ = ["REGISTERS", "MEMORY", "SYMBOLS", "UNMAPPED", "NONCANONICAL", "MASK", "GOBUF_FIELDS",
           "check_value", "parse_value", "non_ascii_digit", "short"]
