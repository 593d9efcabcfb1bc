"""Reasoned exercises for the chapters on mcall, systemstack, gogo and the round trip.

Same shape as `why` (question, answer with values read from a trace when the cell runs,
citations in the book's `file:line` convention, a link to the stepper step); this module holds
the chapters' own. A reason no Go source gives is marked in the answer as the book's reading.
"""
from __future__ import annotations

from html import escape

from .. import api

from . import cgo, life, signals, why
from .why import Exercise, _mem, _name, _step

PATCH_NO_R14 = "systemstack.s:30="  # deletes `MOVQ DX, R14 // set the g register`


def _key(routine: str, preset: str | None = None, **params) -> str:
    return api.scenario(routine, preset, **params).key


def _hex(v: int) -> str:
    return f"<code>{v:#x}</code>"


# mcall ------------------------------------------------------------------------------------------

def mcall_spill() -> Exercise:
    t = api.run("mcall")
    k = _step(t, "PUSHQ")
    sp = t.regs_at(k)["rsp"]
    word = t.memory_at(k)[sp]
    return Exercise(
        "mcall_spill",
        "执行完 PUSHQ AX 之后，g0 栈上 [SP] 里是什么？fn 的参数已经在 AX 里了，为什么还要压这一个字？",
        f"[SP] = {_name(t, word)}，就是 g。Go 源码这一行的注释是 <i>open up space for fn's arg spill slot</i>："
        "ABIInternal 的调用者要在栈上为每个寄存器参数预留一个溢出槽，但不必填写；被调用者需要时"
        "（例如它的序言发现栈不够、要调用 morestack）把寄存器参数存到这里。这个空间必须由调用者预留，"
        "因为被调用者在栈不够时没法自己再开空间。fn 只有一个参数 g，所以只需一个字；"
        "<code>PUSHQ AX</code> 一条指令既开出了槽，又顺手把 g 放了进去（填不填都可以）。"
        "原文把它注释为 “fn.arg = g”，并不准确：参数是经 AX 传的。",
        ("asm_amd64.s:446", "cmd/compile/abi-internal.md:129-131", "cmd/compile/abi-internal.md:310-317"),
        (_key("mcall"), k),
    )


def mcall_sched_sp() -> Exercise:
    t = api.run("mcall")
    k = _step(t, "MOVQ    BX, (g_sched+gobuf_sp)(R14)")
    entry = t.initial_regs["rsp"]
    saved = _mem(t, k, "g.sched.sp")
    pc = _mem(t, k, "g.sched.pc")
    return Exercise(
        "mcall_sched_sp",
        "mcall 存进 g.sched.sp 的值比 mcall 的入口 SP 大多少？为什么偏偏存这个值？",
        f"入口 SP = {_hex(entry)}，g.sched.sp = {_name(t, saved)}，大 {saved - entry:#x}，正好一个字。"
        "<code>LEAQ fn+0(FP), BX</code> 取的是返回地址上面那个字的地址，源码注释叫它 <i>caller's SP</i>；"
        f"g.sched.pc 存的是返回地址本身 {_name(t, pc)}，注释叫 <i>caller's PC</i>。"
        "两者合起来是“mcall 已经返回到调用者”那一刻的现场：返回地址已经弹出、PC 在 CALL 的下一条。"
        "所以将来 <code>gogo(&amp;g.sched)</code> 恢复它时，调用者看起来就像 mcall 正常返回了一样，"
        "这正是 mcall 的约定：g 被重新调度后，mcall “返回”到原来的 goroutine。",
        ("asm_amd64.s:428-431", "stubs.go:28-31"),
        (_key("mcall"), k),
    )


def mcall_r14_tls() -> Exercise:
    t = api.run("mcall")
    k = _step(t, "MOVQ    SI, R14")
    r14, tls = t.regs_at(k)["r14"], t.tls_at(k)
    k2 = _step(t, "MOVQ    R14, g(CX)")
    return Exercise(
        "mcall_r14_tls",
        "执行完 MOVQ SI, R14、还没执行 MOVQ R14, g(CX) 的那一刻，R14 和 TLS 里的 g 各是谁？"
        "“R14、TLS、SP 始终指向同一个 g”这句话对吗？",
        f"R14 = {_name(t, r14)}，TLS g 还是 {_name(t, tls)}。这句话不对：mcall 先改 R14"
        f"（第 {k} 步），再改 TLS（第 {k2} 步），最后才改 SP（第 {k2 + 1} 步），中间有两条指令的时间三者并不一致。"
        "汇编里没有一条指令能同时改三处，只能依次改；mcall 是 NOSPLIT 的汇编函数，这几条指令之间不会调用任何别的函数。"
        "准确的说法是：从 <code>MOVQ (g_sched+gobuf_sp)(R14), SP</code> 这一步起，三者重新一致"
        "（R14 = TLS g = g0，SP 在 g0 的栈上），此后 <code>CALL R12</code> 调用 fn 时也是如此。",
        ("asm_amd64.s:442-445",),
        (_key("mcall"), k),
    )


def mcall_sigprof() -> Exercise:
    t = api.run("mcall")
    k = _step(t, "MOVQ    SI, R14")
    r14, tls = t.regs_at(k)["r14"], t.tls_at(k)
    k2 = _step(t, "MOVQ    R14, g(CX)")
    return Exercise(
        "mcall_sigprof",
        "mcall 刚执行完 MOVQ SI, R14，一个 SIGPROF（CPU 采样用的定时信号）到了。信号处理程序认为当前 g 是谁？"
        "这次采样记下的调用栈有几帧？如果信号晚一步到，TLS 也成了 g0、SP 却还在 g 的栈上，又会怎样？",
        f"这一刻 R14 = {_name(t, r14)}，TLS 里的 g = {_name(t, tls)}。处理程序不用被打断时的 R14："
        "sigtramp 先从 TLS 重新装载 R14，sigtrampgo 再用 sigFetchG 取 g（amd64 上就是 getg()），"
        f"所以它认为当前 g 是 TLS 里的那个，也就是 {_name(t, tls)}。sighandler 对 SIGPROF 调用 sigprof，"
        "从被打断的 pc 和 sp 开始回溯。最内层的函数是 mcall，它带 SPWRITE 标记（它有一条写 SP 的 MOVQ）；"
        "采样的回溯没有 callback，遇到 SPWRITE 函数就停：记下 mcall 这一帧，不再往外走。"
        "所以这次采样只有 mcall 一帧，看不到调用它的代码。"
        f"晚一步（第 {k2} 步之后）时，处理程序拿到的 g 是 g0，SP 却还在 g 的栈上；回溯照样停在 mcall，只记一帧。"
        "SPWRITE 的注释说的就是这种情形：SP 被写过，回溯器连自己在哪条栈上都说不准，不能安全地往外走。"
        "被打断时 R14 = g0 这件事没人看见：它存在内核的信号帧里，处理程序经 rt_sigreturn 返回时原样恢复。"
        "（这条链是本书把几处源码连起来的推断；本章的单步器不运行信号处理程序。）",
        ("sys_linux_amd64.s:347-348", "signal_unix.go:436", "signal_unix.go:398-417", "signal_unix.go:479",
         "signal_unix.go:625-631", "proc.go:4575", "cmd/internal/obj/x86/obj6.go:850-853",
         "traceback.go:213-236", "traceback.go:473", "traceback.go:491-493", "sys_linux_amd64.s:472-474"),
        (_key("mcall"), k),
    )


def mcall_on_gsignal() -> Exercise:
    t = api.run("mcall", current="gsignal")
    pc_k = _step(t, "MOVQ    BX, (g_sched+gobuf_pc)(R14)")
    written = _mem(t, pc_k, "gsignal.sched.pc")
    ax = t.regs_at(len(t.steps))["rax"]
    return Exercise(
        "mcall_on_gsignal",
        "mcall 只检查当前 g 是不是 g0。如果在 gsignal 上调用 mcall，会发生什么？",
        f"检查通过（gsignal 不是 g0），mcall 照常执行：调用者的返回地址 {_name(t, written)} 被写进 "
        f"<b>gsignal.sched</b>，然后切到 g0，以 AX = {_name(t, ax)} 调用 fn。结局：{escape(t.end.summary)}。"
        "机器不报错，但运行时的约定被破坏了：mcall 的声明写明它只能在 g 的栈上调用（不能在 g0，也不能在 gsignal）；"
        "<code>save</code> 的注释说 m.gsignal.sched 根本不该被使用，并为此在 Go 代码里设了检查。"
        "mcall 自己只查 g0，查 gsignal 是调用者的责任；fn 随后若把 gsignal 当作普通 goroutine 停下、再 gogo 回去，"
        "就会把信号栈当作一个可以调度的 goroutine 去恢复（这个后果是本书的推断）。",
        ("asm_amd64.s:435-439", "stubs.go:35", "proc.go:3554-3560"),
        (_key("mcall", current="gsignal"), pc_k),
    )


def mcall_on_g0() -> Exercise:
    t = api.run("mcall", "on_g0")
    k = _step(t, "CMPQ")
    pc = _mem(t, k, "g0.sched.pc")
    before = _mem(t, 0, "g0.sched.pc")
    return Exercise(
        "mcall_on_g0",
        "在 g0 上调用 mcall 时，比较之前那几条指令把调用者的返回地址存进了谁的 gobuf？这违反了什么约定？",
        f"存进了 <b>g0.sched</b>：g0.sched.pc 从 {_name(t, before)} 变成了 {_name(t, pc)}。"
        "mcall 先保存、后检查，所以 R14 是 g0 时，前几条指令写的就是 g0 自己的 sched。"
        "g0.sched 是特殊的：mstart1 把它设成 mstart0 里 <code>CALL mstart1</code> 的返回点，"
        "<code>save</code> 的注释说它必须一直描述“退出线程”的那个现场，并用一个检查防止 save 意外写到 g0 上。"
        "这里 mcall 改写了它，g0.sched.pc 不再指向 mstart0，违反了这个约定。在这里这并不要紧：紧接着 badmcall 就抛出 fatal error，"
        "进程随之结束，没有人再用到 g0.sched。",
        ("asm_amd64.s:428-439", "proc.go:1405-1410", "proc.go:3554-3560", "proc.go:467-468"),
        (_key("mcall", "on_g0"), k),
    )


def mcall_bp() -> Exercise:
    t = api.run("mcall")
    k = len(t.steps)
    bp = t.regs_at(k)["rbp"]
    return Exercise(
        "mcall_bp",
        "fn 在 g0 上开始执行时，BP 指向哪条栈？mcall 为什么没有动它？",
        f"BP = {_name(t, bp)}：仍然指向 goroutine 的栈。mcall 把 BP 存进 g.sched.bp，但从不写 BP。"
        "没有局部帧的 NOSPLIT 汇编函数，汇编器不给它们插入保存 BP 的代码（源码称之为“会被帧指针搞乱的运行时内部”），"
        "mcall 自己也没有这样的指令。fn 若是 Go 函数，它的序言会把进入时的 BP 存在返回地址正下方——"
        "于是 g0 栈上出现一个“保存的 BP”，指向另一条栈上的帧。fn 不会返回到 mcall，"
        "goroutine 恢复时 gogo 从 g.sched.bp 取回 BP，所以这个跨栈的 BP 不影响 goroutine 自己。"
        "至于 mcall 为什么不顺手把 BP 清零或换成 g0 的，源码没有说明；这是本书无法从源码确认的。",
        ("asm_amd64.s:432", "cmd/internal/obj/x86/obj6.go:592-600", "cmd/compile/abi-internal.md:465-466",
         "asm_amd64.s:412"),
        (_key("mcall"), k),
    )


# systemstack ------------------------------------------------------------------------------------

def ss_sched_sp() -> Exercise:
    t = api.run("systemstack")
    k = _step(t, "MOVQ    R9, (g_sched+gobuf_sp)(R14)")
    ss = _mem(t, k, "g.sched.sp")
    entry = t.initial_regs["rsp"]
    m = api.run("mcall")
    ms = _mem(m, len(m.steps), "g.sched.sp") - m.initial_regs["rsp"]
    return Exercise(
        "ss_sched_sp",
        "mcall 存下的 g.sched.sp 是入口 SP + 8，systemstack 存下的却正好是入口 SP。为什么差这 8 个字节？",
        f"这里 g.sched.sp = {_name(t, ss)}，systemstack 的入口 SP = {_hex(entry)}，差 {ss - entry:#x}；"
        f"mcall 的是入口 SP {ms:+#x}。两者假装的东西不同。mcall 假装“已经返回”：pc 是调用者的 PC，sp 是调用者的 SP。"
        "systemstack 假装“停在 systemstack_switch 里”：pc 是这个只有一条 RET 的 <code>$0</code> 函数的地址，"
        "sp 是 <code>LEAQ 8(SP), R9</code>——跳过 gosave 自己的返回地址，就是 systemstack 的入口 SP，"
        "那里存着 systemstack 返回调用者的地址。回溯器从 (systemstack_switch, g.sched.sp) 出发，"
        "帧大小为 0，于是 fp = sp + 8，返回地址就在 fp − 8，也就是 g.sched.sp 处，正好读到调用者的 PC："
        "systemstack_switch 顶替了 systemstack 的帧。这只有在 systemstack 自己也没有局部帧（<code>$0</code>）时才成立，"
        "gosave 的注释正是这么要求的。为什么不直接用 systemstack 自己的 PC？源码给的理由是要区分两个帧："
        "留在 G 栈上的这个，和 g0 栈上紧挨 g0.sched.sp 的那个真正的 systemstack 帧（<code>CALL DI</code> 压下的返回地址）；回溯器在 g0 上遇到 systemstack 的帧会跳到 curg 的栈"
        "（从 curg.sched.sp 接着走，并清掉它的 SPWRITE 标记），G 栈上的帧则必须按普通的帧走。"
        "systemstack_switch 还有一个好处：它不写 SP，没有 SPWRITE 标记，而打印或采样的回溯遇到 SPWRITE 函数就停在那里，"
        "GC 扫描栈时 SPWRITE 函数只允许是最内层那一帧。栈复制时 adjustframe 也专门放行了 systemstack_switch 这一帧。",
        ("asm_amd64.s:766-775", "asm_amd64.s:453-459", "asm_amd64.s:479-481", "traceback.go:182-206",
         "traceback.go:244-247", "cmd/internal/obj/x86/obj6.go:850-853", "traceback.go:213-236", "stack.go:660-665"),
        (_key("systemstack"), k),
    )


def ss_ctxt_assert() -> Exercise:
    t = api.run("systemstack", "ctxt_abort")
    k = _step(t, "TESTQ")
    r9 = t.regs_at(k)["r9"]
    return Exercise(
        "ss_ctxt_assert",
        "gosave_systemstack_switch 发现 g.sched.ctxt ≠ 0 就 abort。为什么它只断言、不顺手把 ctxt 清零？",
        f"在 ctxt_abort 场景里，TESTQ 看到 R9 = {_hex(r9)}，于是调用 abort，结局：{escape(t.end.summary)}。"
        "注释说 “See func save”。<code>save</code> 里写着：这里需要保证 ctxt 为 0，但不能有写屏障；"
        "而它本来就应该是 0，所以只断言。ctxt 是 gobuf 里唯一的指针字段（<code>unsafe.Pointer</code>），"
        "从 Go 代码写它需要写屏障，而这段代码不能有写屏障。源码没有说它为什么“本来就是 0”；本书的理解是："
        "gogo 恢复 goroutine 时已经把它清零，goroutine 运行期间又没有汇编再写它（morestack 写了，但紧接着 newstack 的 gogo 又清掉）。"
        "断言失败说明这个约定被打破了。",
        ("asm_amd64.s:778-782", "proc.go:3567-3572", "runtime2.go:319-332", "asm_amd64.s:415", "asm_amd64.s:564"),
        (_key("systemstack", "ctxt_abort"), k),
    )


def ss_no_r14() -> Exercise:
    t = api.run("systemstack")
    bad = api.run("systemstack", patch=PATCH_NO_R14)
    k = _step(bad, "MOVQ    R14, 8(SP)")
    seen = bad.regs_at(k)["r14"]
    good = t.regs_at(_step(t, "MOVQ    R14, 8(SP)"))["r14"]
    tls = bad.tls_at(k)
    return Exercise(
        "ss_no_r14",
        "如果 systemstack 漏掉 MOVQ DX, R14（TLS 改了，R14 没改），会坏在哪里？",
        f"删掉这一行再跑：fn 把 R14 存成局部变量时，存下的是 {_name(bad, seen)}，不是正常运行时的 {_name(t, good)}；"
        f"而 TLS 里的 g 已是 {_name(bad, tls)}。机器本身照样跑完（{escape(bad.end.summary)}），错在约定："
        "fn 是一个 Go 的 func value，按 ABIInternal 被调用，R14 必须是当前 goroutine。fn 里的 <code>getg()</code> "
        "读的就是 R14（ABIInternal 里编译器不再从 TLS 取 g），于是它以为自己还在用户 g 上，可 SP 已在 g0 的栈上。比如它的栈检查序言 "
        "<code>CMPQ SP, 16(R14)</code> 会拿 g0 栈上的 SP 去比用户 g 的 stackguard0——用的是另一条栈的边界。"
        "回程的那一半反倒不需要：systemstack 返回后，调用点会从 TLS 重新装载 R14。",
        ("asm_amd64.s:484-485", "cmd/compile/abi-internal.md:413", "cmd/compile/internal/ssa/gen/AMD64.rules:481",
         "cmd/internal/obj/x86/obj6.go:1073-1083", "cmd/compile/internal/amd64/ssa.go:1078-1085"),
        (_key("systemstack", patch=PATCH_NO_R14), k),
    )


def ss_r14_out() -> Exercise:
    t = api.run("systemstack")
    n = len(t.steps)
    r14, tls = t.regs_at(n)["r14"], t.tls_at(n)
    return Exercise(
        "ss_r14_out",
        "systemstack 进去时同时改了 TLS 和 R14，回来时却只改 TLS。为什么回程不用改 R14？",
        f"RET 之后 R14 = {_name(t, r14)}，TLS g = {_name(t, tls)}。systemstack 是 ABI0 函数；"
        "ABI0 里 R14 和 X15 没有定义，所以从 ABI0 回到 ABIInternal 的代码时，必须由 ABIInternal 一方恢复它们。"
        "Go 编译器在每个“ABIInternal 调用 ABI0”的调用点之后都生成两条指令：<code>XORPS X15, X15</code> 和从 TLS "
        "装载 R14 的 <code>MOVQ (TLS), R14</code>（编出来就是 <code>mov r14, fs:[-8]</code>）。"
        "所以回程只要 TLS 对了，R14 由调用者修好。进去时不一样：fn 是 ABIInternal 的代码，"
        "它一开始就要用 R14，没有人会替它从 TLS 装载，所以 systemstack 必须自己设好。",
        ("asm_amd64.s:484-485", "asm_amd64.s:495-502", "cmd/compile/abi-internal.md:421-425",
         "cmd/compile/internal/amd64/ssa.go:1078-1085"),
        (_key("systemstack"), n),
    )


def ss_bp() -> Exercise:
    t = api.run("systemstack")
    n = len(t.steps)
    entry_bp = t.initial_regs["rbp"]
    k = _step(t, "CALL    DI")
    in_fn = t.regs_at(k)["rbp"]
    end_bp = t.regs_at(n)["rbp"]
    return Exercise(
        "ss_bp",
        "切回 g 的那几条指令一次也没有碰 BP。为什么 systemstack 返回时 BP 还是对的？",
        f"入口 BP = {_name(t, entry_bp)}，调用 fn 时 BP 仍是 {_name(t, in_fn)}（指向 g 的栈），"
        f"返回时 BP = {_name(t, end_bp)}。systemstack 把 BP 存进了 g.sched.bp，却从不用它恢复 BP；"
        "回程的几条指令只改 TLS 和 SP。BP 之所以对，靠的是 fn：按 Go 的调用约定，fn 的序言把进入时的 BP "
        "存在返回地址正下方，尾声再取回来，fn 返回时 BP 原样不变。本书的 fn（main·sysfn）照这个样子写："
        "<code>MOVQ BP, 16(SP)</code> 存、<code>MOVQ 16(SP), BP</code> 取。布局图里 g0 栈上那个“保存的 BP”，"
        "就是 fn 存下的、指向 g 的栈的值。",
        ("asm_amd64.s:495-502", "asm_amd64.s:777", "cmd/compile/abi-internal.md:465-466"),
        (_key("systemstack"), n),
    )


def ss_gsignal_tail() -> Exercise:
    t = api.run("systemstack", "on_gsignal")
    k = _step(t, "JMP     DI")
    rip = t.regs_at(k)["rip"]
    return Exercise(
        "ss_gsignal_tail",
        "在 gsignal 上调用时，执行完 JMP DI，RIP 指向哪里？为什么这里用 JMP 而不是 CALL？",
        f"RIP = {_name(t, rip)}，即 fn 的入口。已经在系统栈上，不需要切换，noswitch 直接尾调用 fn："
        "fn 的 RET 会直接回到 systemstack 的调用者。源码注释给出的理由是回溯：用尾调用，"
        "回溯栈时就不会停在一个多余的 systemstack 帧上。gsignal 和 g0 走的是同一条 noswitch 路径，"
        "g.sched 和 TLS 都没有被写。",
        ("asm_amd64.s:504-510", "stubs.go:43-45"),
        (_key("systemstack", "on_gsignal"), k),
    )


# gogo -------------------------------------------------------------------------------------------

def gogo_nilcheck() -> Exercise:
    t = api.run("gogo")
    k = _step(t, "MOVQ    0(DX), CX")
    cx = t.regs_at(k)["rcx"]
    bad = api.run("gogo", "nil_g")
    return Exercise(
        "gogo_nilcheck",
        "MOVQ 0(DX), CX 执行完后，CX 是什么？这个值之后从没被用过，为什么不把这条指令删掉？",
        f"CX = {_name(t, cx)}，g 的第一个字 g.stack.lo。读出的值没人用，这条指令要的是“读”这个动作：注释写着 "
        "<i>make sure g != nil</i>。gobuf.g 为 nil 时，故障发生在这里，此时 TLS、R14、SP 都还没动，"
        f"现场是干净的（这是本书对好处的理解，源码注释只说 make sure g != nil）。在 nil_g 场景里：{escape(bad.end.summary)}。"
        "如果删掉它，第一次用到 g 的是 <code>MOVQ DX, g(CX)</code>——它不会出错，只会把 nil 写进 TLS；"
        "接着 R14 = nil、SP 换掉，到下一次有人读 g 时才崩，那时已经不知道是谁传了空的 gobuf.g。",
        ("asm_amd64.s:400-403", "asm_amd64.s:406-409"),
        (_key("gogo"), k),
    )


def gogo_zero_ctxt() -> Exercise:
    t = api.run("gogo", "newg")
    k = _step(t, "MOVQ    $0, gobuf_ctxt(BX)")
    before = _mem(t, k - 1, "g.sched.ctxt")
    dx = t.regs_at(k)["rdx"]
    return Exercise(
        "gogo_zero_ctxt",
        "gogo 已经把 gobuf.ctxt 装进了 DX，为什么还必须把 gobuf.ctxt 清零？如果不清，会怎样？",
        f"新 goroutine 的 gobuf.ctxt = {_name(t, before)}（它的 funcval），gogo 装进 DX = {_name(t, dx)} 后把它清零。"
        "ctxt 是 gobuf 里唯一的指针字段；它在汇编里存取、没有写屏障，所以 GC 把它当作根：扫描一个停下的 goroutine 时，"
        "scanstack 专门扫描 <code>gp.sched.ctxt</code>。不清零，goroutine 下一次经 mcall 停下时（mcall 不写 ctxt），旧值还留在 gobuf 里，这个闭包就会被当作活的（本书的推断）。"
        "更直接的后果：mcall 不写 ctxt，goroutine 之后若调用 systemstack，gosave_systemstack_switch 断言 ctxt 为 0，"
        "会 abort；Go 里的 <code>save</code> 也做同样的检查。清零让“goroutine 运行时 ctxt 为 0”这条约定成立。",
        ("asm_amd64.s:411", "asm_amd64.s:415", "runtime2.go:319-332", "mgcmark.go:792-797", "asm_amd64.s:778-782",
         "proc.go:3567-3572"),
        (_key("gogo", "newg"), k),
    )


def gogo_recover_ax() -> Exercise:
    t = api.run("gogo", "recover")
    k = _step(t, "MOVQ    gobuf_ret(BX), AX")
    ax = t.regs_at(k)["rax"]
    after = _mem(t, _step(t, "MOVQ    $0, gobuf_ret(BX)"), "g.sched.ret")
    return Exercise(
        "gogo_recover_ax",
        "recover 之后的 gogo 里，AX 得到的是多少？gobuf.ret 随后又为什么要清零？",
        f"AX = {_hex(ax)}。recovery 把 gp.sched 改成“deferproc 再返回一次”的样子，并设 ret = 1；"
        "gogo 把 ret 装进 AX，也就是 deferproc 的返回值，调用点看到 1 就跳到函数的返回路径。"
        f"装完之后 gogo 把 ret 清零（这里变成 {_hex(after)}）。源码没有说明清零 ret 的理由；"
        "能看到的是：mcall 和 morestack 都不写 ret，如果留着 1，下一次 gogo 恢复这个 goroutine 时，AX 又会是 1。gosave_systemstack_switch 和 save "
        "也都把 ret 写成 0，可见 ret 非 0 只应出现在 recovery 设置它之后的那一次 gogo（本书的推断）。",
        ("panic.go:1096-1103", "asm_amd64.s:410", "asm_amd64.s:414", "asm_amd64.s:428-432", "asm_amd64.s:559-564", "asm_amd64.s:776", "proc.go:3566"),
        (_key("gogo", "recover"), k),
    )


def gogo_newg_dx() -> Exercise:
    t = api.run("gogo", "newg")
    k = _step(t, "MOVQ    gobuf_ctxt(BX), DX")
    dx = t.regs_at(k)["rdx"]
    sp = _mem(t, 0, "g.sched.sp")
    word = t.memory_at(0)[sp]
    return Exercise(
        "gogo_newg_dx",
        "新 goroutine 第一次被 gogo 时，DX 和 [gobuf.sp] 各是什么？它们是谁放进去的？",
        f"DX = {_name(t, dx)}，即函数的 funcval；gobuf.sp 指向的字是 {_name(t, word)}。"
        "newproc1 先把 gobuf.pc 设成 goexit 的地址加 PCQuantum（amd64 上是 1），注释说这样“前一条指令”仍在 goexit 里；"
        "然后 gostartcallfn → gostartcall 把这个 pc 压到新栈上当返回地址，再把 pc 改成函数入口、ctxt 设成 funcval。"
        "所以 gogo 装进 DX 的正是闭包上下文，函数最后 RET 到 goexit+1，落在 <code>CALL runtime·goexit1</code> 上。"
        "ctxt 的另一个来源是 morestack：它把 DX 存进 g.sched.ctxt，栈增长后 gogo 再装回去（第 7 章）。",
        ("proc.go:4149", "stack.go:1125-1135", "sys_x86.go:16-23", "asm_amd64.s:1591-1595", "asm_amd64.s:564"),
        (_key("gogo", "newg"), k),
    )


def gogo_no_call() -> Exercise:
    t = api.run("gogo")
    n = len(t.steps)
    rip = t.regs_at(n)["rip"]
    g0sp = _mem(t, 0, "g0.sched.sp")
    return Exercise(
        "gogo_no_call",
        "gogo 最后跳到了哪里？为什么它用 JMP 而不保存 g0 自己的现场？",
        f"跳到了 gobuf.pc = {_name(t, rip)}。gogo 是 longjmp：它不返回，也不把自己的地址压栈。"
        "调用它的是 g0 上的调度代码（execute 的最后一行就是 <code>gogo(&amp;gp.sched)</code>），"
        "这段代码的现场不需要保存：下次 mcall 或 systemstack 切回 g0 时，总是把 SP 设成 "
        f"g0.sched.sp（这里是 {_hex(g0sp)}），从那里重新开始。mstart1 的注释说得明白："
        "之后的调用可以复用这一帧。",
        ("asm_amd64.s:397-398", "asm_amd64.s:417-418", "proc.go:2554", "proc.go:1405-1408", "asm_amd64.s:445"),
        (_key("gogo"), n),
    )


def gogo_x15() -> Exercise:
    t = api.run("gogo")
    n = len(t.steps)
    return Exercise(
        "gogo_x15",
        "gogo 从不写 X15，可 goroutine 恢复之后的 Go 代码要求 X15 = 0。谁保证了它是 0？假如 g0 上的代码把 X15 用作临时寄存器，会怎样？",
        "保证来自 g0 这一侧。调用 gogo 的 execute 是编译器生成的 ABIInternal 代码，在那里 X15 一直是 0："
        "编译器分配浮点寄存器时只用 X0–X14，X15 不在可分配的集合里，只当作常数 0；"
        "每次从 ABI0 调用回来，调用点又用 <code>XORPS X15, X15</code> 把它清零。所以 execute 执行 "
        "<code>CALL runtime·gogo</code> 时 X15 是 0，gogo 一路不碰它，跳到 gobuf.pc 时仍是 0。"
        "被恢复的 goroutine 停在 <code>CALL runtime·mcall</code> 之后，在它看来这是一次 ABIInternal 调用返回，"
        "按约定返回时 X15 为 0，正好成立。假如 g0 上有代码把 X15 当临时寄存器用了又没清零，"
        "goroutine 恢复后就会拿一个非 0 的“零寄存器”去清零内存（固定零寄存器的用处正是清零栈帧）。"
        "（“谁保证”的链条是本书把这几处源码连起来的推断；源码本身只规定了 X15 的含义和分配范围。）",
        ("cmd/compile/abi-internal.md:415", "cmd/compile/abi-internal.md:440-442",
         "cmd/compile/internal/ssa/gen/AMD64Ops.go:102-103", "cmd/compile/internal/amd64/ssa.go:1078-1085"),
        (_key("gogo"), n),
    )


def gogo_g0_mexit() -> Exercise:
    t = api.run("gogo", "g0")
    n = len(t.steps)
    rip = t.regs_at(n)["rip"]
    return Exercise(
        "gogo_g0_mexit",
        "gogo(&g0.sched) 跳到了哪里？真实的 mstart0 接下来做什么？在主线程 m0 上呢？",
        f"跳到了 {_name(t, rip)}：mstart0 里 <code>CALL mstart1</code> 的下一条。"
        "这个调用来自 goexit0：一个锁住线程的 goroutine 没解锁就退出了，运行时认为线程可能处在不寻常的内核状态，"
        "不把它放回线程池，而是 gogo 回 mstart 让线程退出。真实的 mstart0 返回点之后，"
        "先从自己的帧里取回局部变量（是否用的是操作系统分配的栈），再调用 <code>mexit(osStack)</code>。"
        "mexit 的注释要求它必须在线程栈的最外层运行，所以只能用 gogo(&amp;g0.sched) 到达。"
        "在 m0 上，mexit 不退出线程，而是把它挂起（mPark），因为在 Linux 上退出主线程会让进程变成僵尸。"
        "本书的 mstart0 替身没有帧，直接 <code>CALL runtime·mexit</code>，mexit 的替身是 <code>INT $3</code>。",
        ("proc.go:3525-3533", "proc.go:1382-1391", "proc.go:1461-1465", "proc.go:1475-1493"),
        (_key("gogo", "g0"), n),
    )


# the round trip ---------------------------------------------------------------------------------

def rt_before_zeroing() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "MOVQ    $0, gobuf_sp(BX)") - 1  # the state before the first zeroing store runs
    sp = _mem(t, k, "g.sched.sp")
    entry = t.initial_regs["rsp"]
    after = _mem(t, k + 1, "g.sched.sp")
    return Exercise(
        "rt_before_zeroing",
        "第一圈 gogo 清零之前（第一条清零指令执行前），g.sched.sp 是多少？它和 mcall 的入口 SP 是什么关系？",
        f"g.sched.sp = {_name(t, sp)}，mcall 的入口 SP = {_hex(entry)}，差 {sp - entry:#x}：这是 mcall 用 "
        f"<code>LEAQ fn+0(FP), BX</code> 存下的调用者 SP。下一步它就被清成 {_hex(after)}。"
        "这个值在清零前已经装进了 SP：gogo 先恢复寄存器，再清零 gobuf，所以 goroutine 恢复时看到的 SP 正是它。",
        ("asm_amd64.s:430-431", "asm_amd64.s:409", "asm_amd64.s:413"),
        ("roundtrip:normal", k),
    )


def rt_r14() -> Exercise:
    t = api.run("roundtrip")
    n = len(t.steps)
    r14 = t.regs_at(n)["r14"]
    return Exercise(
        "rt_r14",
        "整圈结束时，R14 是谁？为什么 main·caller 在 CALL runtime·mcall 之后不用像调用 systemstack 那样重新装载 R14？",
        f"R14 = {_name(t, r14)}，就是 g。mcall 用 <code>&lt;ABIInternal&gt;</code> 标注，它对调用者来说是一个"
        "ABIInternal 函数，R14 的约定是“调用时、返回时、函数体内都是当前 goroutine”；编译器只在调用 ABI0 函数之后"
        "补 <code>XORPS X15, X15</code> 和重新装载 R14。这里的“返回”其实是 gogo 跳回来的，gogo 在 "
        "<code>MOVQ DX, R14</code> 把 R14 设成了 gobuf.g，约定照样成立。",
        ("asm_amd64.s:424", "cmd/compile/abi-internal.md:413", "cmd/compile/internal/amd64/ssa.go:1078-1085",
         "asm_amd64.s:408"),
        ("roundtrip:normal", n),
    )


def rt_same_sp() -> Exercise:
    t = api.run("roundtrip", "twice")
    ks = [s.i for s in t.steps if s.plan9.startswith("CALL    R12")]
    sps = [t.regs_at(k)["rsp"] for k in ks]
    return Exercise(
        "rt_same_sp",
        "来回两圈，每次进入 fn 时的 SP 一样吗？为什么？",
        f"两次分别是 {'、'.join(_hex(s) for s in sps)}，{'一样' if len(set(sps)) == 1 else '不一样'}。"
        "mcall 每次都把 SP 设成 g0.sched.sp，而整圈下来没有任何指令写 g0.sched；"
        "mstart1 设好 g0.sched 后，注释说之后的调用都可以复用这一帧。所以第二圈 PUSHQ 和 CALL 写的，"
        "正是第一圈写过的那两个字。这就是原文说的“复用栈内存”。",
        ("asm_amd64.s:445", "proc.go:1405-1413"),
        ("roundtrip:twice", ks[-1]),
    )


def rt_sp_end() -> Exercise:
    t = api.run("roundtrip")
    n = len(t.steps)
    entry, end = t.initial_regs["rsp"], t.regs_at(n)["rsp"]
    return Exercise(
        "rt_sp_end",
        "整圈结束时，SP 比 mcall 的入口 SP 高多少？为什么？",
        f"入口 {_hex(entry)}，结束 {_hex(end)}，高 {end - entry:#x}。mcall 存的是调用者的 SP（返回地址之上），"
        "gogo 恢复的就是它；效果与 mcall 执行 RET 弹出返回地址完全一样。stubs.go 说 mcall 在 g 重新被调度时"
        "“返回”到原来的 goroutine，指的就是这个。",
        ("asm_amd64.s:428-431", "stubs.go:31"),
        ("roundtrip:normal", n),
    )


def rt_real_park() -> Exercise:
    t = api.run("roundtrip")
    k = _step(t, "CALL    runtime·gogo(SB)")
    return Exercise(
        "rt_real_park",
        "本书的 fn（main·gogo_back）立刻 gogo 回同一个 goroutine。真实的 park_m 做什么？goroutine 又是怎样回来的？"
        "如果 park_m 也像替身那样直接 gogo 回去，会怎样？",
        f"替身在第 {k} 步就调用 gogo(&amp;gp.sched) 把 g 接回去了，这是本书的简化。真实的 park_m 把 g 从 _Grunning 改成 "
        "_Gwaiting，调用 dropg() 解除 M 与 g 的关联，然后调用 schedule() 去运行别的 goroutine。"
        "之后某个事件调用 ready(gp)，把 g 改回 _Grunnable 放进运行队列；某个 M 上的 schedule 选中它，"
        "execute 设好 m.curg 后调用 gogo(&amp;gp.sched)——这个 M 不一定是原来那个。"
        "park_m 也有直接接回的时候：waitunlockf 返回 false 时，它把 g 改回 _Grunnable，立刻 execute(gp) 接回同一个 g；"
        "goschedguarded_m 在不能抢占时直接 gogo 回去。若 park_m 总是直接回去，"
        "gopark 就失去了意义：goroutine 没有真正等待，它等的事件也就无从唤醒它。第 6 章的 schedule:switch 场景演示了真实的路径。",
        ("proc.go:3348-3349", "proc.go:3351-3361", "proc.go:3363", "proc.go:843-860", "proc.go:2529-2554",
         "proc.go:3390-3393"),
        ("roundtrip:normal", k),
    )


OWN = (mcall_spill, mcall_sched_sp, mcall_r14_tls, mcall_sigprof, mcall_on_gsignal, mcall_on_g0, mcall_bp,
       ss_sched_sp, ss_ctxt_assert, ss_no_r14, ss_r14_out, ss_bp, ss_gsignal_tail,
       gogo_nilcheck, gogo_zero_ctxt, gogo_recover_ax, gogo_newg_dx, gogo_no_call, gogo_g0_mexit, gogo_x15,
       rt_before_zeroing, rt_r14, rt_same_sp, rt_sp_end, rt_real_park)


def all_exercises() -> tuple[Exercise, ...]:
    """Every reasoned exercise in the book, computed now."""
    return tuple(f() for f in (*OWN, *why.ALL, *life.ALL, *signals.ALL, *cgo.ALL))


def get(name: str) -> Exercise:
    fns = {f.__name__: f for f in (*OWN, *why.ALL, *life.ALL, *signals.ALL, *cgo.ALL)}
    if name not in fns:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(fns)}")
    return fns[name]()


def show(name: str):
    """The exercise `name` as notebook HTML: question, folded answer, sources, step link."""
    from .book import _html

    return _html(why.html(get(name)))
