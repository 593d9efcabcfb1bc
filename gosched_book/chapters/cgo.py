"""Reasoned exercises of the cgo chapter: asmcgocall (Go calls C) and cgocallback (C calls Go).

Same shape as `why`: every value in an answer is read from a trace when the cell runs, every reason
cites a Go 1.19.8 line, and a reason no Go source gives is marked as the book's reading.
"""
from __future__ import annotations

from .. import api
from ..machine.core import STACKS
from . import heldref
from .heldref import Held, Recorded
from .why import Exercise, _name, _step

NO_SET_G0_SP = "cgocallback.s:79="  # deletes `MOVQ SP, (g_sched+gobuf_sp)(SI)` after havem


# The gdb recordings ---------------------------------------------------------------------------

_TLS = ("TLS 里 g 的位置：真实程序用了 cgo，是外部链接的，g 在 C 库的线程控制块里（FS 基址是 glibc 的），"
        "这个字不在 m.tls[0]；本书的世界按内部链接的程序把 g 放在 m.tls[0]。两边 TLS g 的值每一步都相同")
_ASM = {"·asmcgocall": "runtime.asmcgocall.abi0", "gosave_systemstack_switch<>": "gosave_systemstack_switch"}
_CB = {"·cgocallback": "runtime.cgocallback.abi0", "runtime·cgocallbackg": "runtime.cgocallbackg.abi0"}
_COMMON = {"runtime.systemstack_switch.abi0": "runtime·systemstack_switch", "crosscall2": "crosscall2",
           "runtime.mcall": "runtime·mcall"}
_ASM_SYMBOLS = {**{v: k for k, v in _ASM.items()}, **_COMMON, "fn": "main·cfunc"}
RECORDED = {
    ("asmcgocall", "normal"): Recorded(_ASM, _ASM_SYMBOLS, {
        "gosave_systemstack_switch+0x0": "LEAQ 的 RIP 相对位移取决于链接布局；两边装进 R9 的都是 systemstack_switch",
        "runtime.asmcgocall.abi0+0x36": _TLS,
        "runtime.asmcgocall.abi0+0x72": _TLS,
        "runtime.asmcgocall.abi0+0x7e": "MOVL 只写结果槽的低 32 位：真实的槽里高 32 位原来就有别的值，本书世界里的槽原来是 0"},
        {"_cgo_…_Cfunc_add+0x0": "C 函数（录制里是 cgo 生成的 _cgo_…_Cfunc_add，本书是替身 main·cfunc）"}),
    ("asmcgocall", "on_g0"): Recorded(_ASM, _ASM_SYMBOLS, {}, {
        "x_cgo_thread_start+0x0": "C 函数（录制里是 x_cgo_thread_start，它经 _cgo_sys_thread_start 最终调用 "
                                  "pthread_create，为新的 M 建线程；本书是替身 main·cfunc）"}),
    ("cgocallback", "normal"): Recorded(_CB, {**{v: k for k, v in _CB.items()}, **_COMMON}, {
        "runtime.cgocallback.abi0+0x6b": _TLS,
        "runtime.cgocallback.abi0+0xe7": _TLS},
        {"runtime.cgocallbackg+0x0": "cgocallbackg 本体（exitsyscall、导出的 Go 函数、reentersyscall），本书是替身"}),
}


def held(routine: str, preset: str = "normal") -> Held:
    """routine:preset against its recording; every difference with its reason (KeyError if one has none)."""
    return heldref.held(routine, preset, RECORDED[(routine, preset)])


def reference_table(routine: str, preset: str = "normal"):
    """The comparison as the chapter shows it: the counts, then each difference and why."""
    return heldref.reference_table(routine, preset, RECORDED[(routine, preset)])


# Exercises -------------------------------------------------------------------------------------

def _hex(v: int) -> str:
    return f"<code>{v:#x}</code>"


def _initial(t, label: str) -> int:
    return next(v for _, v, lab in t.memory if lab == label)


def cgo_depth() -> Exercise:
    t = api.run("asmcgocall")
    k = _step(t, "MOVQ    DI, 40(SP)")
    depth, entry = t.regs_at(k)["rdi"], t.initial_regs["rsp"]
    return Exercise(
        "cgo_depth",
        "asmcgocall 在 g0 栈上存的是 g.stack.hi − SP（栈深度），不是 SP 本身。为什么？换成直接存 SP，什么时候会出错？",
        f"这一步存下的是 {_hex(depth)}：goroutine 的栈顶 {_hex(STACKS['g'][1])} 减去入口 SP {_hex(entry)}。"
        "源码注释说得很直接：不能只存 SP，因为回调期间栈可能被复制。C 函数可能回调 Go（cgocallback），"
        "回调里的 Go 代码在这条 goroutine 的栈上运行，栈不够时 newstack 会把整条栈搬到新地址，"
        "旧的 SP 就指向已经释放的内存；而栈的内容贴着新的 stack.hi 原样搬过去，离栈顶的距离不变。"
        "所以回程时 asmcgocall 从保存的 g 重新读 stack.hi，再减去深度，得到的总是栈现在的位置。"
        "g 本身也存在 g0 栈上，因为寄存器在 C 函数里保不住。",
        ("asm_amd64.s:837-841", "asm_amd64.s:846-852", "stack.go:913"),
        ("asmcgocall:normal", k),
    )


def cgo_no_r14() -> Exercise:
    t = api.run("asmcgocall")
    k = _step(t, "CALL    AX")
    r14, tls = t.regs_at(k - 1)["r14"], t.tls_at(k - 1)
    return Exercise(
        "cgo_no_r14",
        "和 systemstack 比，asmcgocall 换到 g0 时少了一步：它不写 R14。C 函数运行时 R14 和 TLS 各是谁？为什么可以不写？",
        f"调用 C 函数时 R14 = {_name(t, r14)}，TLS g = {_name(t, tls)}，两者不一致。"
        "systemstack 要写 R14，是因为它调用的 fn 是 ABIInternal 的 Go 函数，进去就拿 R14 当当前 g。"
        "asmcgocall 调用的是 C 函数，C 的调用约定（System V）里 R14 只是一个由被调用者保存的普通寄存器，"
        "C 不会把它当 g 用，返回时还会原样恢复它。回到 Go 一侧时，调用点在 ABI0 调用之后从 TLS 重新装载 R14。"
        "（把这两点连成“所以不必写”，是本书的解读；源码没有注释这一点。）",
        ("asm_amd64.s:829-831", "asm_amd64.s:484-486", "cmd/compile/abi-internal.md:413-425",
         "cmd/compile/internal/amd64/ssa.go:1078-1085"),
        ("asmcgocall:normal", k),
    )


def cgocb_why_g0_sp() -> Exercise:
    t = api.run("cgocallback", patch=NO_SET_G0_SP)
    base = api.run("cgocallback")
    old = _initial(t, "g0.sched.sp")
    depth = next(a for a, role in t.roles.items() if "depth" in role)
    hit = next(s for s in t.steps for w in s.writes if w.addr == depth)
    restored = [w.value for s in t.steps for w in s.writes if w.label == "g0.sched.sp"]
    return Exercise(
        "cgocb_why_g0_sp",
        "假如 cgocallback 不把 g0.sched.sp 改成当前 SP（删去 havem 之后那行），回调里 mcall 到 g0 上时，栈从哪里开始用？会踩到什么？",
        f"从旧的 g0.sched.sp {_name(t, old)}开始，那是 asmcgocall 当初换栈的位置，C 的栈帧和 crosscall2 的帧都在它下面。"
        f"第 {hit.i} 步（{hit.routine} 的 <code>{hit.plan9.split('//')[0].strip()}</code>）把一个字写到了 {_hex(depth)}："
        "那正是 asmcgocall 存栈深度的格子。等 C 函数返回 asmcgocall，它会用这个坏掉的深度去算 SP。"
        "（写它的是本书的替身 exitsyscall0，只用了几个字；gdb 记录里真实的 exitsyscall0 → schedule 在 g0 上用了 0xf0 字节。）"
        "回调结束时情况更糟：cgocallback 从 g0.sched.sp 恢复 SP，落在旧位置，从那里读到的“旧 g0.sched.sp”是 "
        f"{_name(t, restored[-1]) if restored else '（没有写）'}，savedm 也读成了 0（本书世界里那个字是 0），于是走向 dropm，"
        f"结束条写着“{t.end.summary}”。源码的说法是：把 g0.sched.sp 设成当前 SP，回调期间对 g0 栈的任何使用都落在已有的栈帧下面。"
        f"正常运行里 mcall 压下的第一个字在 {_name(base, base.initial_regs['rsp'] - 0x28)}，就在 cgocallback 的帧下面。"
        "（链接打开的是没有打补丁的运行，停在改写 g0.sched.sp 的那一步；在单步器的“改写源码”（网页上是“改一改”）里选“不改写 g0.sched.sp”，就是上面说的运行。）",
        ("cgocall.go:51-58", "asm_amd64.s:958-961", "asm_amd64.s:1014-1020", "asm_amd64.s:1024-1028",
         "asm_amd64.s:837-841"),
        ("cgocallback:normal", _step(base, "MOVQ    SP, (g_sched+gobuf_sp)(SI)")),
    )


def cgocb_fake_pc() -> Exercise:
    t = api.run("cgocallback")
    k = _step(t, "MOVQ    BX, -8(DI)")
    pc, sp = _initial(t, "g.sched.pc"), _initial(t, "g.sched.sp")
    ret = t.memory_at(0)[sp]
    return Exercise(
        "cgocb_fake_pc",
        "cgocallback 在 curg 的栈上 g.sched.sp − 8 处写下的“伪返回地址”是什么？回溯器从 cgocallbackg 往上走，为什么能一直走回 cgocall？",
        f"写下的是 curg.sched.pc = {_name(t, pc)}：asmcgocall 调用 gosave_systemstack_switch 时存的假 PC。"
        "cgocallback 在它下面开一个和 g0 上同样大的帧（参数、BP 的位置和返回地址），再调用 cgocallbackg。"
        "这样在 curg 的栈上看，cgocallback 像是被 systemstack_switch 调用的；systemstack_switch 的帧大小是 0，"
        f"它的返回地址就是 g.sched.sp 处那个字 {_name(t, ret)}，也就是回到 cgocall。"
        "源码注释说，压入的 PC 看起来就是 cgocallback 的返回 PC，回溯因此能无缝接上之前的调用。"
        "假 PC 为什么用 systemstack_switch，见第 3 章。",
        ("asm_amd64.s:969-978", "asm_amd64.s:985-988", "asm_amd64.s:453-459", "traceback.go:202-206"),
        ("cgocallback:normal", k),
    )


def cgocb_restore_sched() -> Exercise:
    t = api.run("cgocallback")
    k = _step(t, "MOVQ    BX, (g_sched+gobuf_pc)(SI)")
    before = t.memory_at(k - 1)
    g = t.symbols["g"]
    pc_then, sp_then = before[g + 0x40], before[g + 0x38]
    return Exercise(
        "cgocb_restore_sched",
        "cgocallbackg 返回之后，cgocallback 把 curg.sched.pc 和 sp 恢复了一遍。它们不是一直没变吗？为什么要恢复成 asmcgocall 存的值？",
        f"变了：恢复之前 g.sched.pc = {_name(t, pc_then)}，g.sched.sp = {_name(t, sp_then)}。"
        "cgocallbackg 最后调用 reentersyscall(savedpc, savedsp)，里面的 save 把 g.sched 写成 cgocall 里 entersyscall 的现场；"
        "这次运行里 exitsyscall 还走了慢路径，mcall 和 gogo 也写过它。cgocallback 接管的是 curg 的执行，"
        "却不是恢复它原来在做的事：C 函数还没返回，goroutine 仍停在 asmcgocall 里。"
        "源码注释说，所以要先把 m.curg.sched 存起来、事后恢复；pc 存在伪返回地址那个格子里，"
        "sp 不用存，因为调用 cgocallbackg 返回后 SP 不变。注意 bp 没有恢复：gogo 把它清成了 0，结束时仍是 0。",
        ("asm_amd64.s:963-968", "asm_amd64.s:1003-1009", "cgocall.go:250", "proc.go:3563-3564"),
        ("cgocallback:normal", k),
    )


def cgocb_fast_path() -> Exercise:
    fast = api.run("cgocallback", "exitsyscall_fast")
    k = _step(fast, "MOVQ    SP, (g_sched+gobuf_sp)(SI)")
    lo0 = STACKS["g0"][0]
    sp0 = fast.initial_regs["rsp"] - 0x20
    below = [w for s in fast.steps for w in s.writes if lo0 <= w.addr < sp0]
    return Exercise(
        "cgocb_fast_path",
        "exitsyscall 走快路径时，回调期间没有任何代码用到 g0 的栈。那 cgocallback 改写 g0.sched.sp 是不是多余？",
        f"这次运行里，g0 栈上 cgocallback 的帧以下确实一个字也没写（{len(below)} 个）。但 cgocallback 事先不知道这一点："
        "回调里的 Go 代码随时可能切到 g0：exitsyscall 拿不到 P 时 mcall(exitsyscall0)，systemstack 调用运行时函数，"
        "栈不够时 morestack 在 g0 上调用 newstack。它们都从 g0.sched.sp 开始用栈。"
        "另外，回调 panic 时 unwindm 从 g0.sched.sp 处的 0(SP) 取回旧值，它依赖的正是这个布局。"
        "所以改写是无条件的：在第 " f"{k} 步，快路径和慢路径都一样。",
        ("cgocall.go:54-56", "proc.go:3843", "asm_amd64.s:486-487", "asm_amd64.s:566-570", "asm_amd64.s:957",
         "cgocall.go:333"),
        ("cgocallback:exitsyscall_fast", k),
    )


def cgocb_needm() -> Exercise:
    t = api.run("cgocallback", "needm")
    k = _step(t, "XORQ    R14, R14")
    return Exercise(
        "cgocb_needm",
        "C 自己创建的线程第一次调用 Go 函数时，TLS 里的 g 是什么？cgocallback 为什么直接调用 needm，而不经过 ABI 包装？",
        f"TLS g = {_hex(t.tls_at(0))}：Go 没有创建这个线程，它没有 m，也没有 g0。"
        "cgocallback 的 <code>CMPQ BX, $0</code> 发现 g 为 nil，跳到 needm：先清 X15，再把 R14 清零，"
        "然后直接调用 needm 的 ABIInternal 入口。源码注释给了原因：有些平台（Windows）这时还没有 TLS，"
        "而 ABI 包装会从 TLS 恢复 R14；needm 没有参数和返回值，不需要包装来搬运；R14 清零是为了 needm 万一用它时拿到一个坏值。"
        f"本书不模拟 needm，运行在它的入口结束：{t.end.summary}。",
        ("asm_amd64.s:893-906", "asm_amd64.s:920-932"),
        ("cgocallback:needm", k),
    )


ALL = (cgo_depth, cgo_no_r14, cgocb_why_g0_sp, cgocb_fake_pc, cgocb_restore_sched, cgocb_fast_path, cgocb_needm)
