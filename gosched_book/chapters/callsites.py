"""Who calls the switches: the real Go call sites, and the call-site convention in our bytes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html import escape

from ..machine.code import code_image

from ..runtime.gosrc import GO_SRC


@dataclass(frozen=True)
class CallSite:
    file: str  # relative to GO_SRC/runtime (the book's citation convention)
    line: int
    callee: str  # the switch it reaches
    what: str  # Chinese: what the call is for


# Go 1.19.8 line numbers (the routines' asm is the same as Go 1.18).
SITES = (
    CallSite("proc.go", 318, "mcall", "主动让出：当前 g 回到全局队列，g0 上 schedule"),
    CallSite("proc.go", 363, "mcall", "阻塞：park_m 把 g 设为 _Gwaiting，然后 schedule"),
    CallSite("proc.go", 3476, "mcall", "goroutine 结束：goexit0 回收 g，然后 schedule"),
    CallSite("panic.go", 976, "mcall", "recover 之后：recovery 在 g0 上改好 gp.sched"),
    CallSite("proc.go", 4097, "systemstack", "go 语句：在 g0 栈上运行 newproc1 创建新 g"),
    CallSite("proc.go", 2554, "gogo", "调度循环选中 gp 后，切到 gp 运行"),
    CallSite("proc.go", 3393, "gogo", "goschedguarded_m：此刻不能抢占，不让出，直接回到 gp"),
    CallSite("proc.go", 3533, "gogo", "goexit0：锁着线程的 g 退出了，回到 g0.sched（mstart0），线程随后退出"),
    CallSite("stack.go", 1027, "gogo", "newstack：抢占请求来得不是时候，不抢占也不扩栈，回到 gp"),
    CallSite("stack.go", 1117, "gogo", "栈复制完，回到 gp，在新栈上重新执行序言"),
    CallSite("panic.go", 1103, "gogo", "让 deferproc “再返回一次”，返回值 1"),
    CallSite("asm_amd64.s", 570, "newstack", "morestack 换到 g0 栈后调用 newstack"),
)


@cache
def _lines(file: str) -> tuple[str, ...]:
    return tuple((GO_SRC / "runtime" / file).read_text(encoding="utf-8").splitlines())


def source_line(site: CallSite) -> str:
    """The call's own line from the installed Go source ('' when the source is not installed)."""
    try:
        return _lines(site.file)[site.line - 1].strip()
    except OSError:
        return ""


def enclosing(site: CallSite) -> str:
    """The Go function (or TEXT symbol) whose body holds the line, read from the source."""
    try:
        lines = _lines(site.file)
    except OSError:
        return "?"
    for text in reversed(lines[:site.line]):
        m = re.match(r"func (?:\([^)]*\) )?(\w+)", text) or re.match(r"TEXT (\S+?)\(SB\)", text)
        if m:
            return m.group(1)
    return "?"


def table_html() -> str:
    rows = []
    for s in SITES:
        rows.append(f"<tr><td><code>{escape(enclosing(s))}</code></td><td><code>{escape(source_line(s))}</code></td>"
                    f"<td><code>{s.file}:{s.line}</code></td><td>{escape(s.what)}</td></tr>")
    head = "<tr><th>调用者</th><th>源码这一行</th><th>位置</th><th>做什么</th></tr>"
    return f"<table class='gsb-regs'>{head}{''.join(rows)}</table>"


CONVENTION = ("XORPS   X15, X15", "MOVQ    g(CX), R14")


def after_abi0_call(func: str) -> list:
    """The placed instructions of `func` from its ABI0 CALL through the two-instruction reload."""
    placed = [p for p in code_image().function_placed(func) if p.data]
    for k, p in enumerate(placed):
        if p.ins.mnemonic == "CALL" and [q.ins.text for q in placed[k + 1:k + 3]] == list(CONVENTION):
            return placed[k:k + 3]
    raise LookupError(f"{func} has no ABI0 call followed by the reload")


def reload_and_neighbours(func: str) -> list:
    """The two reload instructions plus the CALL before them (a caller) or the JMP after (a wrapper)."""
    placed = [p for p in code_image().function_placed(func) if p.data]
    for k in range(len(placed) - 1):
        if [q.ins.text for q in placed[k:k + 2]] == list(CONVENTION):
            before = placed[k - 1] if k and placed[k - 1].ins.mnemonic == "CALL" else None
            after = placed[k + 2] if k + 2 < len(placed) and placed[k + 2].ins.mnemonic == "JMP" else None
            return [p for p in (before, *placed[k:k + 2], after) if p is not None]
    raise LookupError(f"{func} has no XORPS X15, X15; MOVQ g(CX), R14")


def disassembly_html(func: str = "main·syscaller") -> str:
    """The whole function, the call and its reload highlighted: Plan 9, Intel, bytes."""
    img = code_image()
    mark = {p.address for p in reload_and_neighbours(func)}
    rows = []
    for p in img.function_placed(func):
        if not p.data:
            continue
        style = " style='background:#fff3c4'" if p.address in mark else ""
        off = p.address - img.symbols[func]
        rows.append(f"<tr{style}><td>+{off}</td><td><code>{escape(p.ins.text)}</code></td>"
                    f"<td><code>{escape(p.intel)}</code></td><td><code>{p.data.hex(' ')}</code></td></tr>")
    head = "<tr><th>偏移</th><th>Plan 9</th><th>Intel</th><th>字节</th></tr>"
    return f"<table class='gsb-regs mono'>{head}{''.join(rows)}</table>"


def table():
    """The call sites as notebook HTML."""
    from .book import _html

    return _html(table_html())


def disassembly(func: str = "main·syscaller"):
    """A caller's bytes as notebook HTML, the ABI0 call and its reload highlighted."""
    from .book import _html

    return _html(disassembly_html(func))
