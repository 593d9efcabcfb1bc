"""What the chapters on signals and preemption show beside their steppers: the signal frame the
kernel laid, each run held against the real runtime's recording, and the chapters' exercises.

Every number is read from a trace or a recording when the cell runs; every reason cites the Go 1.19.8
source line it rests on, or says it is the book's reading.
"""
from __future__ import annotations

from html import escape

from .. import api
from ..machine import kernel as K
from ..machine.core import G, G0, GSIGNAL, STACKS
from ..views.picture import role_zh
from .book import _html, _table
from . import heldref
from .heldref import Held, Recorded
from .why import Exercise, _name, _step


# What the recordings ran under a breakpoint, in the chapters' words (by the skipped symbol).
_SIGTRAMPGO_USR1 = {"runtime.sigtrampgo+0x0": "sigtrampgo：setg(gsignal)，sighandler 把 SIGUSR1 排给 signal.Notify，再 setg 回去"}
_GOPREEMPT = {"runtime.gopreempt_m+0x0": ("gopreempt_m → goschedImpl 把 g 放进全局运行队列；schedule → execute 又选中它，"
                                          "调用 gogo(&g.sched)")}


_SIG = {"runtime·sigtramp": "runtime.sigtramp.abi0", "runtime·sigreturn": "runtime.sigreturn.abi0"}
_ASYNC = {"·asyncPreempt": "runtime.asyncPreempt.abi0", "·asyncPreempt2": "runtime.asyncPreempt2.abi0",
          "·asyncPreempt2.abiinternal": "runtime.asyncPreempt2", "runtime·mcall": "runtime.mcall",
          "runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}
_GROWTH = {"runtime·morestack_noctxt": "runtime.morestack_noctxt.abi0", "runtime·morestack": "runtime.morestack.abi0",
           "runtime·newstack": "runtime.newstack.abi0", "runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}
_PID = "发送者的 pid/uid：信号是录制的进程自己用 tgkill 发的，它的 pid 不同，以 root 运行（uid 0）；本书的内核写 pid 4242、uid 1000"
_RESTART = ("真实线程当时在 futex 里等待，Linux 按 SA_RESTART 安排重启这个系统调用：保存的 rax 是 futex 的号 202，"
            "rip 退回 SYSCALL 本身；rt_sigreturn 恢复的也是它们（本书的线程没有在系统调用里）")
_XMM = "X0–X14 里原来的内容：真实程序里是它自己的值，本书的世界从 0 开始（X15 两边都是 0）"
_STANDIN_PC = "f 和它的调用者是本书的替身（录制里是 main.leaf、main.worker），存下的 PC 属于另一段代码"
_DEPTH = "gogo 读参数时 g0 上的 SP：gopreempt_m 替身的 0x280 字节帧代表 schedule、execute 的几层帧（按 asyncPreempt 的录制）"
_TRAPNO = "线程最近一次陷入的编号：录制的线程停在 gdb 的断点上（#BP，3），本书的线程没有陷入过（本书的解读）"
_ASYNC_WHY = {
    "runtime.asyncPreempt.abi0+0x4": "PUSHFQ 存的标志：算术标志随被打断的代码而不同；真实的还有 IF（和 gdb 单步的 TF），Unicorn 不模拟这两位",
    **{f"runtime.asyncPreempt.abi0+{o:#x}": _XMM for o in
       (0x51, 0x56, 0x5e, 0x66, 0x6e, 0x76, 0x7e, 0x86, 0x8e, 0x97, 0xa0, 0xa9, 0xb2, 0xbb, 0xc4)},
    "runtime.asyncPreempt2+0x33": "gopreempt_m 的 funcval 在两个程序里的数据地址不同",
    "runtime.mcall+0x0": "同上：DX = fn，gopreempt_m 的 funcval"}
RECORDED = {
    ("sigtramp", "normal"): Recorded(_SIG, {v: k for k, v in _SIG.items()}, {
        "siginfo.si_pid/si_uid": _PID, "ucontext.mcontext.trapno": _TRAPNO}, _SIGTRAMPGO_USR1),
    ("sigtramp", "on_g0"): Recorded(_SIG, {v: k for k, v in _SIG.items()}, {
        "siginfo.si_pid/si_uid": _PID,
        "ucontext.mcontext.oldmask": "线程的信号掩码：真实的空闲线程屏蔽了多数信号，本书的线程什么也没屏蔽",
        "ucontext.uc_sigmask": "同上：信号掩码",
        "ucontext.mcontext.rax": _RESTART, "ucontext.mcontext.rip": _RESTART,
        "runtime.sigreturn.abi0+0x7": _RESTART}, _SIGTRAMPGO_USR1),
    ("asyncPreempt", "normal"): Recorded(_ASYNC, {**{v: k for k, v in _ASYNC.items()},
                                                  "runtime.gopreempt_m": "runtime·gopreempt_m"}, _ASYNC_WHY, _GOPREEMPT),
    ("asyncPreempt", "signal"): Recorded({**_SIG, **_ASYNC}, {**{v: k for k, v in {**_SIG, **_ASYNC}.items()},
                                                              "runtime.gopreempt_m": "runtime·gopreempt_m"}, {
        "siginfo.si_pid/si_uid": _PID, "ucontext.mcontext.trapno": _TRAPNO, **_ASYNC_WHY}, {
        **_GOPREEMPT, "runtime.sigtrampgo+0x0": (
            "sigtrampgo：setg(gsignal)；sighandler → doSigPreempt：wantAsyncPreempt 和 isAsyncSafePoint 都成立，"
            "ctxt.pushCall(asyncPreempt) 改写 ucontext；再 setg 回去")}),
    ("morestack", "preempt"): Recorded(_GROWTH, {**{v: k for k, v in _GROWTH.items()}, "f": "main·regworker"}, {
        **{f"runtime.morestack.abi0+{o:#x}": _STANDIN_PC for o in (0x3e, 0x43, 0x5d, 0x61)},
        "gogo+0x3a": _STANDIN_PC,
        **{s: _DEPTH for s in ("runtime.gogo.abi0+0x0", "runtime.gogo.abi0+0x5", "runtime.gogo.abi0+0x9",
                               "runtime.gogo.abi0+0xc", "gogo+0x0", "gogo+0x9")}}, {
        **_GOPREEMPT, "runtime.newstack+0x0": "newstack 看到 stackguard0 == stackPreempt，不扩栈，调用 gopreempt_m"}),
}


def held(routine: str, preset: str) -> Held:
    """The preset's trace against its recording; every difference with its reason (KeyError if one
    has none: a test runs every preset)."""
    return heldref.held(routine, preset, RECORDED[(routine, preset)])


def reference_table(routine: str, preset: str):
    """The comparison as the chapter shows it: counts, then each difference and why."""
    return heldref.reference_table(routine, preset, RECORDED[(routine, preset)])


def signal_frame(preset: str = "normal", **params):
    """The words the kernel's delivery wrote, lowest first: offset from the handler's SP, field, value."""
    t = api.run("sigtramp", preset, **params)
    k = next(s for s in t.steps if s.routine == K.KERNEL)
    sp = k.regs["rsp"]
    rows = []
    for w in sorted(k.writes, key=lambda w: w.addr):
        if w.value == 0 and ("reserved" in w.label or "_sifields" in w.label or ".xmm" in w.label
                             or w.label == "ucontext.uc_link"):
            continue
        desc = t.labels.get(w.value, "")
        rows.append([f"SP+{w.addr - sp:#x}", escape(role_zh(w.label)), f"<code>{w.value:#x}</code>",
                     escape(desc)])
    hi = STACKS["gsignal"][1]
    fp = {w.label: w.value for w in k.writes}["ucontext.mcontext.fpstate"]
    head = (f"<p>第 {k.i} 步，内核在 gsignal 栈上 SP = hi−{hi - sp:#x} 处摆好 rt_sigframe；"
            f"FPU/xsave 区从 SP+{fp - sp:#x} 起（{hi - fp:#x} 字节，照录制的 CPU）：本书写它的头部和 XMM 寄存器，"
            "x87 与 AVX 的状态不模拟。值为 0 的保留字、XMM 和 siginfo 其余字段略去。</p>")
    return _html(head + _table(["位置", "字段", "值", "值是什么"], rows))


# Exercises: signals ------------------------------------------------------------------------------

def _kernel_step(t) -> int:
    return next(s.i for s in t.steps if s.routine == K.KERNEL)


def sig_frame_depth() -> Exercise:
    t = api.run("sigtramp")
    k = _kernel_step(t)
    sp = t.regs_at(k)["rsp"]
    hi = STACKS["gsignal"][1]
    return Exercise(
        "sig_frame_depth",
        "内核进入 sigtramp 时，SP 离 gsignal 栈顶有多远？这段距离里装着什么？为什么本书不自己算一个数，而是照录制取值？",
        f"hi − SP = {hi - sp:#x}。SP 处是 rt_sigframe：[SP] 是 restorer，SP+8 起是 ucontext（uc_flags、uc_link、"
        "uc_stack，然后是保存全部寄存器的 mcontext，再是信号掩码），SP+0x138 是 siginfo；再往上是 FPU/xsave 区。"
        "Go 自己按同样的布局读这些字：ucontext 和 sigcontext 的定义，以及 sigctxt 取 rip、rsp 的方法。"
        "xsave 区有多大取决于 CPU 支持哪些扩展状态，所以这段距离随机器而变；本书的内核照录制的 CPU 取值"
        f"（{hi - sp:#x}），并在测试里逐字对照录制的信号帧。",
        ("defs_linux_amd64.go:258-265", "defs_linux_amd64.go:267-296", "signal_linux_amd64.go:19-42"),
        ("sigtramp:normal", k),
    )


def sig_r14_reload() -> Exercise:
    t = api.run("sigtramp", "on_g0")
    k = _step(t, "MOVQ\tg(R12), R14")
    return Exercise(
        "sig_r14_reload",
        "sigtramp 为什么要从 TLS 重新装载 R14，而不直接用被打断时 R14 里的值？在 on_g0 场景里装进来的是谁？",
        f"第 {k} 步之后 R14 = {_name(t, t.regs_at(k)['r14'])}。信号可能打断任何代码：C 代码、ABI0 的汇编，"
        "它们都不保证 R14 是当前 g。sigtramp 是按 C 调用约定被内核“调用”的，源码注释说它要先从 C ABI 转到 Go ABI，"
        "再“建立 ABIInternal 环境：R14 放 g，X15 清零”，因为接下来要调用的 sigtrampgo 是按寄存器 ABI 编译的 Go 函数。"
        "R14 原来的值 sigtramp 自己也存了：PUSH_REGS_HOST_TO_ABI0 先存下 C 约定里由被调用者保存、而 Go 里由调用者保存的"
        "那几个寄存器（R14 在内），RET 之前装回，这是 sigtramp 作为一个 C 函数对约定的交代。"
        "被打断的代码能原样接着运行，靠的则是 rt_sigreturn：它从信号帧的 mcontext 装回全部寄存器。",
        ("sys_linux_amd64.s:343-349", "cmd/compile/abi-internal.md:421-425", "cgo/abi_amd64.h:17-22",
         "cgo/abi_amd64.h:80-88"),
        ("sigtramp:on_g0", k),
    )


def sig_restorer() -> Exercise:
    t = api.run("sigtramp")
    ret = next(s.i for s in t.steps if s.routine == "runtime·sigtramp" and s.plan9 == "RET")
    target = t.steps[ret].pc
    return Exercise(
        "sig_restorer",
        "sigtramp 最后的 RET 回到哪里？假如 sigaction 没有设置 sa_restorer，会出什么错？",
        f"RET 弹出 [SP] 里的 restorer，回到 {_name(t, target)}：两条指令，<code>MOVQ $15, AX; SYSCALL</code>，"
        "即 rt_sigreturn。sigtramp 是内核“调用”的，它的返回地址是内核按 sa_restorer 写进信号帧的。"
        "Go 的 setsig 在 amd64 上总是设置 SA_RESTORER 并把 sa_restorer 指向 runtime·sigreturn，注释说 x86_64 的内核需要它。"
        "没有它，RET 就没有可回的地方，rt_sigreturn 也不会发生，被打断的寄存器再也恢复不回来（这一句是本书的推理）。"
        "sigreturn 的写法还必须和 glibc 的一模一样，因为 cgo 的栈回溯靠认出这几条指令来越过信号帧。",
        ("os_linux.go:468-475", "sys_linux_amd64.s:467-475"),
        ("sigtramp:normal", ret),
    )


def sig_signal_at() -> Exercise:
    t = api.run("sigtramp", signal_at=1)
    k = _kernel_step(t)
    frame = {w.label: w.value for w in t.steps[k - 1].writes}
    return Exercise(
        "sig_signal_at",
        "把“信号在第 N 步之前到达”改成 1：信号帧里存的 rip 是什么？rt_sigreturn 之后从哪条指令继续，那条指令执行过吗？",
        f"存的 rip = {_name(t, frame['ucontext.mcontext.rip'])}，就是 main·busy 的第一条指令（链接打开默认场景的这一步，"
        f"把控件改成 1 就能看到）；结束时："
        f"{escape(t.end.summary)}。内核在两条指令之间投递信号，被打断的那条还没有执行，所以 mcontext 里存的是它的地址；"
        "rt_sigreturn 把 rip、rsp 和全部寄存器原样装回，被打断的代码从这条指令接着执行，就像什么都没发生过。"
        "Go 的 sighandler 读到的 sigpc 也是这个 rip，异步抢占正是靠它判断被打断的位置能不能安全地停下。",
        ("signal_linux_amd64.go:42", "signal_unix.go:651-653"),
        ("sigtramp:normal", _kernel_step(api.run("sigtramp"))),
    )


def sig_gsignal_stack() -> Exercise:
    t = api.run("sigtramp")
    k = _kernel_step(t)
    sp = t.regs_at(k)["rsp"]
    lo, hi = STACKS["gsignal"]
    return Exercise(
        "sig_gsignal_stack",
        "为什么信号在 gsignal 自己的栈上处理，而不在被打断的 goroutine 栈上？内核怎么知道要换栈？",
        f"第 {k} 步之前 SP 还在 g 的栈上，之后 SP = {_name(t, sp)}，在 [{lo:#x}, {hi:#x}) 里。"
        "Go 为每个 M 分配 32 KiB 的 gsignal 栈（注释：Linux 要求至少 2K），minitSignalStack 用 sigaltstack 把它登记为线程的备用信号栈；"
        "setsig 给每个处理函数都加了 SA_ONSTACK，内核据此在投递信号时换到备用栈。"
        "goroutine 的栈可能很小，可能正用到 stackguard 附近；sigtrampgo 的注释还说，在它把 g 换成 gsignal 之前，"
        "栈界检查是不成立的，所以它必须是 nosplit 的。把信号处理放到一个大小固定、只给信号用的栈上，就不依赖被打断的栈还剩多少"
        "（后半句是本书的解读）。",
        ("os_linux.go:384", "signal_unix.go:1199-1209", "os_linux.go:468", "signal_unix.go:424-427"),
        ("sigtramp:normal", k),
    )


def sig_morestack_gsignal() -> Exercise:
    t = api.run("sigtramp")
    k = next(i for i in range(1, len(t.steps) + 1) if t.tls_at(i) == GSIGNAL)
    return Exercise(
        "sig_morestack_gsignal",
        "sigtrampgo 把 TLS 里的 g 换成了 gsignal。假如这时某个函数的序言发现栈不够、调用了 morestack，会怎样？",
        f"第 {k} 步之后 TLS g = {_name(t, t.tls_at(k))}。morestack 开头依次比较 g 和 m.g0、m.gsignal，"
        "是 gsignal 就调用 badmorestackgsignal，然后 abort：信号栈不能增长。这也是 morestack 和 systemstack 都有 gsignal 分支的原因："
        "信号处理期间当前 g 就是 gsignal，systemstack 在 gsignal 上直接调用 fn，不切换。"
        "sigtrampgo 本身标着 nosplit，在换 g 之前不做栈检查。",
        ("asm_amd64.s:540-545", "asm_amd64.s:468-469", "signal_unix.go:429-431"),
        ("sigtramp:normal", k),
    )


# Exercises: preemption ---------------------------------------------------------------------------

def pre_stackguard() -> Exercise:
    t = api.run("morestack", "preempt")
    guard = t.memory_at(0)[G + 0x10]
    sp = t.initial_regs["rsp"]
    return Exercise(
        "pre_stackguard",
        "morestack:preempt 开始时 stackguard0 是多少？为什么把它设成这个值，下一次函数调用就一定会进 morestack？",
        f"stackguard0 = {guard:#x}，而 SP = {sp:#x}。序言比较的是“SP 不高于 stackguard0 就调用 morestack”，"
        "源码说这些特殊值都比任何真实的 SP 大，所以不论栈还剩多少，下一次检查一定失败。"
        "同步抢占就是借用这道栈检查：运行时把 goroutine 的栈界“下毒”，它在下一个函数入口自己走进栈增长的代码，"
        "newstack 再认出这其实是抢占请求。preemptone 同时设 gp.preempt = true 和 stackguard0 = stackPreempt。",
        ("stack.go:132-138", "preempt.go:27-33", "proc.go:5398", "proc.go:5404"),
        ("morestack:preempt", 1),
    )


def pre_no_growth() -> Exercise:
    t = api.run("morestack", "preempt")
    k = _step(t, "CALL    runtime·gopreempt_m(SB)")
    m0, m1 = t.memory_at(0), t.memory_at(len(t.steps))
    return Exercise(
        "pre_no_growth",
        "newstack 发现是抢占请求之后，g 的栈变了吗？g 被重新调度回来时从哪条指令继续，为什么这次检查会通过？",
        f"没有变：开始和结束时 g.stack = [{m0[G]:#x}, {m0[G + 8]:#x}) 与 [{m1[G]:#x}, {m1[G + 8]:#x})。"
        f"第 {k} 步 newstack 不扩栈，像 goroutine 调用了 Gosched 那样调用 gopreempt_m；goschedImpl 把 g 放回运行队列，"
        "schedule 再选中它时 execute 把 stackguard0 还原成 stack.lo + _StackGuard，然后 gogo(&gp.sched)。"
        "g.sched 是 morestack 存的：pc 是序言里 CALL 之后那条取回参数的指令，所以 g 先取回寄存器参数，再跳回函数入口，"
        f"重新检查栈，这次通过。结束时：{escape(t.end.summary)}。",
        ("stack.go:1050-1070", "proc.go:3366-3379", "proc.go:2534", "asm_amd64.s:558-564"),
        ("morestack:preempt", k),
    )


def pre_loop() -> Exercise:
    t = api.run("asyncPreempt")
    return Exercise(
        "pre_loop",
        "main·spin 是一个不调用任何函数的循环。同步抢占为什么拿它没办法？异步抢占为什么不干脆在信号处理函数里直接切换 goroutine？",
        "同步抢占靠函数序言里的栈检查，而这个循环里没有函数调用，也就没有序言，stackguard0 下了毒也没人去看。"
        "异步抢占用信号把线程停下，检查被打断处是不是异步安全点，是就改写信号上下文，让线程“看起来刚调用了 asyncPreempt”，再让它继续。"
        "源码解释了为什么不在信号处理函数里直接抢占：那样每个被抢占的 G 都要占住一个 M，而调度器本身也不是为在信号处理函数里运行设计的，"
        f"它在抢占路径上会分配内存、启动线程。结束时：{escape(t.end.summary)}。",
        ("preempt.go:27-33", "preempt.go:35-43", "preempt.go:45-51"),
        ("asyncPreempt:normal", 1),
    )


def pre_fake_ret() -> Exercise:
    t = api.run("asyncPreempt")
    sp = t.initial_regs["rsp"]
    word = t.memory_at(0)[sp]
    last = len(t.steps)
    return Exercise(
        "pre_fake_ret",
        "asyncPreempt 入口处 [SP] 里是什么？是谁放的？假如没有这个字，asyncPreempt 最后的 RET 会去哪里？",
        f"[SP] = {_name(t, word)}，被打断的那条指令。信号处理函数的 doSigPreempt 调用 pushCall：把 SP 减 8，"
        "在那里写下被打断的 PC，再把上下文里的 PC 改成 asyncPreempt。rt_sigreturn 之后，线程就像刚执行了一条 CALL asyncPreempt。"
        f"asyncPreempt 的 RET（第 {last} 步）弹出的正是这个字。没有它，RET 会弹出被打断函数栈上原来的内容"
        "（例如它自己的返回地址），跳过被打断的代码，栈也错开一个字（这一句是本书的推理）。",
        ("signal_unix.go:341-349", "signal_amd64.go:80-87", "preempt_amd64.s:84"),
        ("asyncPreempt:normal", last),
    )


def pre_all_registers() -> Exercise:
    t = api.run("asyncPreempt")
    call = _step(t, "CALL ·asyncPreempt2(SB)")
    entry = t.initial_regs["rsp"]
    return Exercise(
        "pre_all_registers",
        "asyncPreempt 把全部通用寄存器、X0–X15 和标志都存了一遍；mcall 却一个寄存器都不存。为什么差这么多？",
        f"到第 {call} 步 CALL asyncPreempt2 时，asyncPreempt 已在 g 的栈上用掉 {entry - t.regs_at(call - 1)['rsp']:#x} 字节。"
        "mcall 的调用者是编译器生成的调用点：寄存器 ABI 规定调用时没有被调用者保存的寄存器，调用点自己已经存好了要用的值。"
        "asyncPreempt 的“调用”却是注入的，它可能落在任意一条指令上，那里任何寄存器、甚至标志位都可能正在使用；"
        "源码的说法是 asyncPreempt 保存全部用户寄存器，并且 GC 扫描到它的帧时，要保守地扫描这一帧和它的上一帧。",
        ("cmd/compile/abi-internal.md:221-223", "preempt.go:293-296", "preempt_amd64.s:10"),
        ("asyncPreempt:normal", call),
    )


def pre_safepoint() -> Exercise:
    t = api.run("asyncPreempt")
    k = _step(t, "MOVB    $1, 0xb4(R14)")
    return Exercise(
        "pre_safepoint",
        "asyncPreempt2 在 mcall 之前把 gp.asyncSafePoint 设成 true，回来后又清掉。如果不设，GC 扫描这个 goroutine 的栈时会出什么错？",
        f"第 {k} 步写下 asyncSafePoint = 1。这个字段的注释说：g 停在异步安全点时，栈上有些帧没有精确的指针信息。"
        "被打断的函数停在任意一条指令上，编译器没有为那里生成栈图，GC 只能保守地扫描它；asyncSafePoint 就是告诉扫描器这一点的标记。"
        "不设，扫描器会按精确的方式去找那一帧的栈图，找不到或找错，可能漏掉活着的指针（这一句是本书的推理）。",
        ("runtime2.go:449-452", "preempt.go:303-310", "preempt.go:293-296"),
        ("asyncPreempt:normal", k),
    )


def pre_stop() -> Exercise:
    t = api.run("asyncPreempt", preempt_stop=True)
    return Exercise(
        "pre_stop",
        "把 gp.preemptStop 改成 true 再运行：asyncPreempt2 走哪条路？这时 goroutine 会回到被打断的指令吗？",
        f"结束时：{escape(t.end.summary)}。preemptStop 表示这次抢占要把 g 停成 _Gpreempted（GC 扫描栈之前调用的 suspendG 就这样请求），"
        "不只是让出；asyncPreempt2 于是 mcall(preemptPark) 而不是 mcall(gopreempt_m)。g 不会进运行队列，"
        "要等请求停下它的那一方把它恢复，之后才会被调度、回到 asyncPreempt2，再一路恢复寄存器回到被打断的指令。",
        ("runtime2.go:446", "preempt.go:305-309", "proc.go:3409-3412", "mgcmark.go:232", "preempt.go:204-206"),
        ("asyncPreempt:normal+preempt_stop=True", len(t.steps)),
    )


SIGNAL_EXERCISES = (sig_frame_depth, sig_r14_reload, sig_restorer, sig_signal_at, sig_gsignal_stack,
                    sig_morestack_gsignal)
PREEMPT_EXERCISES = (pre_stackguard, pre_no_growth, pre_loop, pre_fake_ret, pre_all_registers, pre_safepoint,
                     pre_stop)
ALL = SIGNAL_EXERCISES + PREEMPT_EXERCISES
__all__ = ["held", "reference_table", "signal_frame", "ALL", "G0"]
