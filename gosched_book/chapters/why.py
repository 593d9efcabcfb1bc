"""Reasoned exercises about the scheduler's switches: the question, then an answer folded away.

Every value in an answer is read from a trace when the cell runs; every reason cites the Go
source line it rests on (Go 1.19.8 line numbers); every answer links to the stepper step.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .. import api
from ..machine.trace import Trace


@dataclass(frozen=True)
class Exercise:
    key: str
    question: str
    answer: str  # HTML, values already filled in
    cites: tuple[str, ...]  # `file:line` or `file:line-line`, the book's convention
    link: tuple[str, int]  # (scenario key, step) the answer is seen at


def _step(t: Trace, prefix: str, nth: int = 1, routine: str | None = None) -> int:
    """1-based index of the nth step whose Plan 9 text starts with prefix."""
    seen = 0
    for s in t.steps:
        if s.plan9.startswith(prefix) and (routine is None or s.routine == routine):
            seen += 1
            if seen == nth:
                return s.i
    raise LookupError(f"{t.routine}:{t.scenario} has no step {prefix!r} #{nth}")


def _name(t: Trace, v: int) -> str:
    d = t.labels.get(v)
    return f"<code>{v:#x}</code>（{escape(d)}）" if d else f"<code>{v:#x}</code>"


def _mem(t: Trace, k: int, label: str) -> int:
    addr = next(a for a, _, lab in t.memory if lab == label)
    return t.memory_at(k).get(addr, 0)


def newg_goexit() -> Exercise:
    t = api.run("gogo", "newg")
    ret = _step(t, "RET", routine="main·worker")
    pushed = _mem(t, 0, "g.sched.sp")
    word = t.memory_at(0)[pushed]
    return Exercise(
        "newg_goexit",
        "新 goroutine 的函数执行 RET 之后，PC 落在哪里？为什么是 goexit 的第二个字节，而不是 goexit 的入口？",
        f"RET 弹出的是 gobuf.sp 指向的那个字：{_name(t, word)}，也就是 <code>runtime·goexit</code> 的入口再加 1。"
        "newproc1 先把 gobuf.pc 设成 goexit 的地址加一个 PCQuantum（amd64 上是 1），"
        "注释说这样做是为了让“前一条指令”也落在 goexit 里；随后 gostartcall 把这个值压到新栈上，"
        "当作函数的返回地址，再把 gobuf.pc 改成函数入口。goexit 的第一个字节是一条 NOP，"
        "所以函数返回后执行的第一条指令就是 <code>CALL runtime·goexit1(SB)</code>，"
        f"而回溯器看返回地址的前一个字节时，看到的仍是 goexit。结束时：{escape(t.end.summary)}。",
        ("proc.go:4149", "sys_x86.go:16-23", "asm_amd64.s:1591-1597"),
        ("gogo:newg", ret),
    )


def wrapper_r14() -> Exercise:
    t = api.run("morestack", "noctxt")
    w = next(s.i for s in t.steps if s.routine == "runtime·newstack")
    before = t.regs_at(w - 1)["r14"]
    after = t.regs_at(w + 1)["r14"]
    tls = t.tls_at(w - 1)
    return Exercise(
        "wrapper_r14",
        "morestack 跳进 newstack 的 ABI0 包装时，R14 还是 g；如果包装不重新装载 R14，newstack 会出什么错？",
        f"进入包装时 R14 = {_name(t, before)}，而 TLS 里的 g 已经是 {_name(t, tls)}：morestack 只写了 TLS"
        "（<code>MOVQ BX, g(CX)</code>），没有动 R14。包装的 <code>MOVQ FS:-8, R14</code> 之后 R14 = "
        f"{_name(t, after)}。Go 的寄存器调用约定规定 R14 始终是当前 goroutine，X15 在调用和返回时是 0；"
        "这两个寄存器在 ABI0 代码里没有定义，所以从 ABI0 进入 ABIInternal 时必须恢复。"
        "如果不恢复：newstack 是普通的 Go 函数，ABIInternal 函数的序言直接拿 R14 当 g，用 <code>CMPQ SP, 16(R14)</code> 做栈检查，"
        "这时会拿 g0 栈上的 SP 去和 gp 的 stackguard0 比较，用的是另一个 g 的栈界；"
        "函数体第一句 <code>thisg := getg()</code> 取到的也是 gp 而不是 g0。",
        ("cmd/compile/abi-internal.md:413-425", "asm_amd64.s:566-570", "stack.go:962-963",
         "cmd/internal/obj/x86/obj6.go:971-974"),
        ("morestack:noctxt", w + 1),
    )


def recover_ret0() -> Exercise:
    t = api.run("gogo", "recover")
    k = _step(t, "TESTL")
    ax = t.regs_at(k - 1)["rax"]
    bad = api.run("gogo", "recover", gobuf_ret=0)
    kb = _step(bad, "TESTL")
    took = bad.steps[kb + 1].plan9.split("//")[0].strip()
    return Exercise(
        "recover_ret0",
        "假如 recovery 把 gobuf.ret 设成 0 而不是 1，会发生什么？",
        f"正常情况下 gogo 把 gobuf.ret 装进 AX，调用点的 <code>TESTL AX, AX</code> 看到 AX = {ax}，"
        "<code>JNE</code> 跳到函数的返回路径。把 ret 改成 0 再跑一遍：TESTL 之后执行的是 "
        f"<code>{escape(took)}</code>——函数以为 deferproc 只是“正常地登记了一个 defer”，于是接着往下执行，"
        "又一次 panic。deferproc 的注释说得很清楚：正常返回 0，被 recover 的 defer 让它返回 1，"
        "编译器生成的代码总是检查这个返回值；recovery 正是为此把 ret 设成 1。"
        "本书的世界里 recovery 和 gopanic 都是替身，改过的这一轮在 TESTL 之后走进了 gopanic 的替身，"
        f"最后停在：{escape(bad.end.summary)}。",
        ("panic.go:290-296", "panic.go:1096-1102"),
        ("gogo:recover", k),
    )


def g2_resumes() -> Exercise:
    t = api.run("schedule", "switch")
    sp = _mem(t, 0, "g2.sched.sp")
    pc = _mem(t, 0, "g2.sched.pc")
    k = _step(t, "JMP     BX", routine="gogo<>")
    return Exercise(
        "g2_resumes",
        "schedule:switch 里，G2 恢复时 SP 和 PC 是多少？为什么 G2 看起来就像 mcall 返回了一样？",
        f"gogo 把 SP 设成 G2.sched.sp = {_name(t, sp)}，跳到 G2.sched.pc = {_name(t, pc)}。"
        "这两个值是 G2 当初调用 mcall 时由 mcall 自己存下的：pc 是调用者的返回地址"
        "（<code>MOVQ 0(SP), BX</code>），sp 是 <code>LEAQ fn+0(FP), BX</code>，即调用者在 CALL 之前的 SP。"
        "所以 G2 从 CALL 的下一条指令继续，栈也恰好是返回地址弹出之后的样子，和普通函数返回没有区别。"
        "G1 的现场也已由 mcall 存进 G1.sched，等着下一次被 gogo。",
        ("asm_amd64.s:424-432", "proc.go:2554"),
        ("schedule:switch", k),
    )


def ctxt_moves() -> Exercise:
    t = api.run("gogo", "after_newstack")
    new = _mem(t, 0, "g.sched.ctxt")
    old_hi, hi = t.stacks[0][2], t.stacks[1][2]
    delta = hi - old_hi
    k = _step(t, "MOVQ    8(DX), AX")
    return Exercise(
        "ctxt_moves",
        "闭包的上下文 ctxt 指向旧栈上的闭包对象。栈复制之后，g.sched.ctxt 变成了多少？差了多少？如果不调整会怎样？",
        f"新的 ctxt = {_name(t, new)}，旧的是 <code>{new - delta:#x}</code>，相差 <code>{delta:#x}</code>，"
        f"正好是新旧 stack.hi 之差（新栈 hi <code>{hi:#x}</code>，旧栈 hi <code>{old_hi:#x}</code>）。"
        "copystack 用 adjustctxt 把 gp.sched.ctxt 和 gp.sched.bp 中指向旧栈的指针按同一个差值移动。"
        "如果不调整，闭包恢复后通过 DX 读捕获的变量时，读的是旧栈；而旧栈在 copystack 的最后已经被 "
        "stackfree 释放，可以再分给别的 goroutine。",
        ("stack.go:741-755", "stack.go:938", "stack.go:1112"),
        ("gogo:after_newstack", k),
    )


def restart_prologue() -> Exercise:
    t = api.run("gogo", "after_newstack")
    k = _step(t, "CMPQ    SP, 16(R14)", routine="main·closure")
    sp = t.regs_at(k - 1)["rsp"]
    guard = _mem(t, k, "g.stackguard0")
    return Exercise(
        "restart_prologue",
        "newstack 之后，函数为什么要从序言重新开始，而不是从 CALL morestack 的下一条接着执行函数体？",
        "morestack 存下的 g.sched.pc 是函数序言里 <code>CALL runtime·morestack</code> 的返回地址，"
        "编译器在那里放了一条 JMP，目标是函数的第一条指令，也就是栈检查本身。"
        "检查失败时函数体一条也没执行，帧也还没开；重新执行序言，等于在新栈上重新做一次检查。"
        "这是有意的：生成序言的汇编器代码注释写着“morestack 返回后跳回这里”，newstack 的注释也说 morestack 的调用者"
        "“返回后会重新检查栈界”，所以 newstack 按 f 的最大帧多分配栈只是一种优化。"
        f"这一次 SP = <code>{sp:#x}</code>，stackguard0 = <code>{guard:#x}</code>，检查通过，函数体在新栈上运行。",
        ("cmd/internal/obj/x86/obj6.go:1065-1066", "cmd/internal/obj/x86/obj6.go:1214-1218", "stack.go:1077-1079",
         "stack.go:1117"),
        ("gogo:after_newstack", k),
    )


ALL = (newg_goexit, wrapper_r14, recover_ret0, g2_resumes, ctxt_moves, restart_prologue)


def html(ex: Exercise) -> str:
    cites = "、".join(f"<code>{c}</code>" for c in ex.cites)
    key, k = ex.link
    return (
        f"<div class='gsb-exercise'><p><b>练习</b>：{escape(ex.question)}</p>"
        "<details><summary>先想一想，再点开看答案</summary>"
        f"<p>{ex.answer}</p><p>出处：{cites}（Go 1.19.8 源码）。"
        f"<a href='#{key}:{k}'>在单步器里看 {key} 第 {k} 步</a>。</p></details></div>")


def show(name: str):
    """The exercise `name` (a function of this module) as notebook HTML."""
    from .book import _html

    fn = {f.__name__: f for f in ALL}.get(name)
    if fn is None:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(f.__name__ for f in ALL)}")
    return _html(html(fn()))
