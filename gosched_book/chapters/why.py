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
        f"<code>{escape(took)}</code>——函数以为 deferproc 只是“正常地登记了一个 defer”，于是接着执行 defer 语句后面的代码，"
        "也就是当初 panic 的那段代码，多半会再 panic 一次（这个后果是本书的推断）。deferproc 的注释说得很清楚：正常返回 0，被 recover 的 defer 让它返回 1，"
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
        "morestack 存下的 g.sched.pc 是函数序言里 <code>CALL runtime·morestack</code> 的返回地址。"
        "汇编器后端在那里放的是“回到函数第一条指令”的 JMP；函数有寄存器参数时，JMP 之前还有几条从溢出槽取回参数的指令"
        "（CALL 之前把它们存进调用者预留的溢出槽，见第 2 章），例如 runtime.execute 编出来是"
        "<code>CALL runtime.morestack_noctxt; MOVQ 0x8(SP), AX; MOVZX 0x10(SP), BX; JMP runtime.execute</code>。"
        "本书的 main·closure 没有寄存器参数，所以只有那条 JMP。"
        "检查失败时函数体一条也没执行，帧也还没开；跳回第一条指令，等于在新栈上重新做一次检查。"
        "这是有意的：生成序言的汇编器代码注释写着“morestack 返回后跳回这里”，newstack 的注释也说 morestack 的调用者"
        "“返回后会重新检查栈界”，所以 newstack 按 f 的最大帧多分配栈只是一种优化。"
        f"这一次 SP = <code>{sp:#x}</code>，stackguard0 = <code>{guard:#x}</code>，检查通过，函数体在新栈上运行。",
        ("cmd/internal/obj/x86/obj6.go:1065-1066", "cmd/internal/obj/x86/obj6.go:1185-1186",
         "cmd/internal/obj/x86/obj6.go:1211-1218", "stack.go:1077-1079",
         "stack.go:1117"),
        ("gogo:after_newstack", k),
    )


# The tour: one Gosched round trip (roundtrip:normal) -------------------------------------------

TOUR = "roundtrip:normal"


def tour_who_saves() -> Exercise:
    t = api.run("roundtrip")
    k_save = _step(t, "MOVQ    BX, (g_sched+gobuf_pc)(R14)")
    k_sp = _step(t, "MOVQ    (g_sched+gobuf_sp)(R14), SP")
    pc = _mem(t, k_save, "g.sched.pc")
    g0_written = sorted({w.label for s in t.steps for w in s.writes if w.label.startswith("g0.sched")})
    return Exercise(
        "tour_who_saves",
        "这一圈里，g 的现场存在哪里？由谁存、由谁取回？g0 的现场呢，有人存过吗？",
        f"mcall 把 g 的现场存进 g.sched：pc = {_name(t, pc)}（调用者里 CALL 的下一条）、sp 和 bp。"
        "gogo 从同一个 g.sched 取回它们，跳回 pc。g0 这一边没人保存：mcall 只<b>读</b> g0.sched.sp，"
        f"在第 {k_sp} 步把它装进 SP；整圈下来 g0.sched 一个字都没被写"
        f"{'' if not g0_written else '（例外：' + escape(', '.join(g0_written)) + '）'}。"
        "g0 不需要现场：它每次都从 mstart1 设好的 g0.sched.sp 重新开始，上一次在 g0 上做到哪一步，不必记住。",
        ("asm_amd64.s:428-432", "asm_amd64.s:445", "asm_amd64.s:406-418", "proc.go:1405-1413"),
        (TOUR, k_sp),
    )


def tour_why_g0() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "MOVQ    (g_sched+gobuf_sp)(R14), SP")
    return Exercise(
        "tour_why_g0",
        "gosched_m 为什么要先换到 g0 的栈上才运行，不能就在 goroutine 自己的栈上运行吗？",
        "gosched_m 经 goschedImpl 把 gp 改成 _Grunnable，在 sched.lock 下放进全局运行队列，然后调用 schedule。"
        "从 gp 进入队列的那一刻起，任何一个 M 的 schedule 都可能选中它，在 execute 里 gogo 到它的栈上运行。"
        "假如 gosched_m 和 schedule 还在 gp 的栈上运行，另一个线程恢复 gp 时，两个线程就在同一条栈上各写各的帧。"
        "mcall 的约定正好排除了这种情形：fn 在 g0 的栈上运行，mcall 只能从 g 的栈调用。"
        "（源码写明了这条约定；“两个线程共用一条栈”这个后果是本书根据 goschedImpl 的顺序推出来的。）"
        f"单步器第 {k} 步，SP 离开 g 的栈，换到 g0 的栈。",
        ("proc.go:3366-3378", "proc.go:2624-2637", "stubs.go:26-35"),
        (TOUR, k),
    )


def tour_other_m() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "MOVQ    DX, g(CX)", routine="gogo<>")
    g = t.regs_at(k)["rdx"]
    return Exercise(
        "tour_other_m",
        "假如这次选中 gp 的是另一个 M 上的 schedule，gogo 之后 goroutine 看到的寄存器有什么不同？",
        f"几乎没有不同。gogo 装回的 SP、BP、PC 都来自 gp.sched，R14 和 TLS 里的 g 都是 {_name(t, g)}。"
        "gobuf 里没有 M：sp、pc、g、ctxt、ret、lr、bp 七个字里没有一个记着线程。"
        "换了线程的地方在别处：execute 在那个 M 上写 m.curg = gp 和 gp.m = m；"
        "gogo 的 <code>MOVQ DX, g(CX)</code> 写的是<b>那个线程</b>的 TLS（FS 段基址每个线程各有一个）。"
        "goroutine 从 CALL runtime·mcall 的下一条接着运行，并不知道自己换了线程。",
        ("runtime2.go:329-335", "proc.go:2529-2530", "asm_amd64.s:406-408"),
        (TOUR, k),
    )


def tour_sp_reuse() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "MOVQ    0(DX), R12")
    sp = t.regs_at(k)["rsp"]
    return Exercise(
        "tour_sp_reuse",
        "这个 M 已经调度过一千次了。第一千零一次进入 gosched_m 时，g0 栈上的 SP 还和第一次一样吗？有没有例外？",
        f"一样，这一圈里是 {_hex_code(sp)}：mcall 每次都把 SP 设成 g0.sched.sp 再压两个字，而 g0.sched.sp 是 mstart1 设好的，"
        "调度循环从不改它，所以每一轮都从同一个位置开始，前一轮留在 g0 栈上的内容直接被覆盖。"
        "例外是 C 调用 Go 的时候：cgocallback 先把旧的 g0.sched.sp 存在 g0 栈上，再把 g0.sched.sp 设成当前 SP，"
        "让回调期间对 g0 栈的使用都落在 C 的栈帧之下，回调结束后再恢复旧值。"
        "原文说“正常情况下，不会调整 g0.sched 设置”，说的就是这个例外之外的情形。",
        ("asm_amd64.s:445", "proc.go:1405-1413", "cgocall.go:51-58", "asm_amd64.s:954-961", "asm_amd64.s:1011-1019"),
        (TOUR, k),
    )


def tour_never_returns() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "JMP     BX", routine="gogo<>")
    return Exercise(
        "tour_never_returns",
        "Gosched 的注释说它“不挂起当前 goroutine，执行会自动恢复”；mcall 的 fn 却不许返回。两句话矛盾吗？",
        "不矛盾。mcall 自己从不执行它最后那条 RET，fn 若真的返回，会落进 badmcall2。"
        "Gosched 能“恢复”，是因为 mcall 存进 g.sched 的正是“mcall 已经返回”那一刻的现场："
        "pc 是调用者里 CALL 的下一条，sp 是返回地址弹出之后的 SP。"
        f"第 {k} 步 gogo 跳到这个 pc，在调用者看来，mcall 就像普通函数那样返回了。"
        "“返回”是 gogo 伪造出来的，不是 mcall 的 RET。",
        ("proc.go:314-319", "asm_amd64.s:449-451", "stubs.go:30-31"),
        (TOUR, k),
    )


# The scheduler chapter: new reasoning ----------------------------------------------------------

def guarded_no_execute() -> Exercise:
    t = api.run("schedule", "switch")
    k = _step(t, "JMP     BX", routine="gogo<>")
    return Exercise(
        "guarded_no_execute",
        "goschedguarded_m 在不能抢占时直接 gogo(&gp.sched)，没有经过 execute。为什么这样也行？",
        "因为它什么都还没拆。gosched_m 走的 goschedImpl 会把 gp 改成 _Grunnable、dropg() 解除 m.curg 和 gp.m，"
        "再放进队列；这些都要 execute 重新装回去（m.curg = gp、gp.m = m、_Grunning）。"
        "goschedguarded_m 第一件事就是检查 canPreemptM，不能抢占就立刻 gogo：这时 gp 仍是 _Grunning，"
        "m.curg 仍是 gp，只有 mcall 存下的 g.sched 需要取回。"
        f"本页的 schedule:switch 走的是另一条路：替身先像 park_m 那样拆掉，再像 execute 那样装回，第 {k} 步才 gogo。",
        ("proc.go:3390-3393", "proc.go:3366-3378", "proc.go:2529-2531", "preempt.go:287-289"),
        ("schedule:switch", k),
    )


def newg_headroom() -> Exercise:
    t = api.run("gogo", "newg")
    k = _step(t, "MOVQ    gobuf_sp(BX), SP")
    sp = t.regs_at(k)["rsp"]
    hi = next(hi for owner, _, hi in t.stacks if owner == "g")
    return Exercise(
        "newg_headroom",
        "新 goroutine 的 gobuf.sp 为什么不是 stack.hi，而是再往下留了 32 个字节？",
        f"gogo 装进 SP 的是 {_hex_code(sp)}，stack.hi = {_hex_code(hi)}，差 {hi - sp:#x}：两步合起来。"
        "newproc1 先让 sp = stack.hi − 32：4 个指针加 MinFrameSize（amd64 上是 0），再按栈对齐取整，"
        "注释给的理由是 <i>extra space in case of reads slightly beyond frame</i>，给读到帧外一点点的代码留出余地。"
        "然后 gostartcall 像一次 CALL 那样把 sp 再减一个字，在那里放上 goexit+1 当作返回地址。"
        "函数 RET 弹掉这个字之后，SP 回到 stack.hi − 32。",
        ("proc.go:4135-4137", "internal/goarch/goarch_amd64.go:11-12", "sys_x86.go:16-23"),
        ("gogo:newg", k),
    )


def mcall_or_systemstack() -> Exercise:
    t = api.run("schedule", "switch")
    k = _step(t, "CALL    R12", routine="runtime·mcall")
    return Exercise(
        "mcall_or_systemstack",
        "newproc 用 systemstack 运行 newproc1，Gosched 用 mcall 运行 gosched_m。把两者对调会出什么错？",
        "两者对 goroutine 的承诺不同。systemstack 借 g0 的栈用一下：fn 返回后切回原来的 goroutine，"
        "它一直是这个 M 的 curg，状态一直是 _Grunning，所以 newproc 可以在 systemstack 之后接着往下执行。"
        "mcall 则让 goroutine 停下：它存好 g.sched，fn 不许返回，goroutine 以后由某个 M 的 gogo 恢复。"
        "用 mcall 跑 newproc1：newproc1 做完就要回到 newproc，可 mcall 的 fn 不许返回，返回就落进 badmcall2；"
        "要回去，fn 只能自己 gogo(&amp;g.sched)，白白绕了一圈。"
        "用 systemstack 跑 gosched_m：gosched_m 最后调用 schedule，永不返回，systemstack 回程那几条指令永远执行不到，"
        "“fn 返回后切回原来的 goroutine”这个约定就落空了。"
        "（两个约定出自源码；对调之后的后果是本书按约定推出来的。）",
        ("stubs.go:26-35", "stubs.go:42-48", "proc.go:4097-4102", "asm_amd64.s:449-450", "proc.go:3366-3378"),
        ("schedule:switch", k),
    )


# Stack growth: new reasoning -------------------------------------------------------------------

def morestack_checks_gsignal() -> Exercise:
    t = api.run("morestack", "noctxt")
    k = _step(t, "MOVQ    m_gsignal(BX), SI")
    return Exercise(
        "morestack_checks_gsignal",
        "morestack 既查 g0 也查 gsignal，mcall 只查 g0。为什么 morestack 要多查一个？",
        "源码没有说 mcall 为什么只查 g0；能看到的是两者被调用的方式不同。"
        "morestack 不是谁有意调用的：汇编器后端把栈检查放进几乎每个函数的序言，检查失败就调用它，"
        "所以只要有 Go 代码在信号栈上运行（信号处理时当前 g 是 gsignal），就可能走到 morestack。"
        "在 Linux 上，gsignal 的栈是 M 初始化时分配的 32 KiB，再用 sigaltstack 交给内核当信号栈；内核在这块内存上递送信号，"
        "运行时不能把它换成一块更大的，所以 morestack 必须拒绝（morestack 的注释只说 <i>Cannot grow signal stack</i>）。"
        "mcall 则只在运行时里少数几处被明确调用（第 6 章的调用点表），"
        "“不能在 g0 或 gsignal 上调用”写在它的约定里，由调用者遵守。"
        f"单步器第 {k} 步开始 gsignal 的检查。（“为什么只查 g0”的这种解读是本书的。）",
        ("asm_amd64.s:530-545", "cmd/internal/obj/x86/obj6.go:1185-1200", "stubs.go:35", "os_linux.go:384",
         "signal_unix.go:1209-1215"),
        ("morestack:noctxt", k),
    )


def _hex_code(v: int) -> str:
    return f"<code>{v:#x}</code>"


ALL = (newg_goexit, wrapper_r14, recover_ret0, g2_resumes, ctxt_moves, restart_prologue,
       tour_who_saves, tour_why_g0, tour_other_m, tour_sp_reuse, tour_never_returns,
       guarded_no_execute, newg_headroom, mcall_or_systemstack, morestack_checks_gsignal)


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
