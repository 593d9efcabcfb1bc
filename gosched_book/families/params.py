"""The parameters the families share, in key order: name, type, default, Chinese label and help."""
from __future__ import annotations

from ..scenario.family import Param


def _choice(name, default, label, help_, meanings: dict) -> Param:
    return Param(name, "choice", default, label, help_, tuple(meanings), meanings)


CURRENT = _choice("current", "g", "当前 g", "入口时正在运行的 g（TLS 与 R14 都指向它）", {
    "g": "用户 goroutine g（m.curg）", "g0": "本线程的 g0（系统栈）",
    "gsignal": "信号处理用的 gsignal", "g2": "另一个 goroutine g2（不是本线程的 m.curg）"})
ENTRY_SP = Param("entry_sp", "word", None, "入口 SP",
                 "例程第一条指令执行前的 SP；调用者的栈帧随它移动（越出 [stack.lo, stack.hi) 会出错）",
                 slider=True)
BP = Param("bp", "word", None, "入口 BP", "例程入口处 BP 的值（调用者的帧指针）")
G0_SCHED_SP = Param("g0_sched_sp", "word", None, "g0.sched.sp",
                    "g0 上次停下时的 SP：切到 g0 之后栈从这里开始", slider=True)
FN = _choice("fn", "park", "mcall 的 fn", "mcall 在 g0 栈上调用的函数", {
    "park": "像 park_m 那样不返回：最后 gogo 回 g", "returns": "错误地直接返回"})
SCHED_CTXT = Param("sched_ctxt", "word", 0, "g.sched.ctxt", "调用 systemstack 前 g.sched.ctxt 的值",
                   (0, 1), {0: "0：正常", 1: "非 0：gosave_systemstack_switch 认为状态坏了，abort"})
GOBUF = _choice("gobuf", "g", "gogo 的 gobuf", "gogo 从哪个 gobuf 恢复", {
    "g": "&g.sched：恢复用户 goroutine", "g0": "&g0.sched：回到 g0（mstart0）"})
GOBUF_G_NIL = _choice("gobuf_g_nil", False, "gobuf.g 为 nil", "gobuf.g 是否被清零", {
    False: "gobuf.g 指向它的 g", True: "gobuf.g = nil：nil 检查处出错"})
GOBUF_RET = Param("gobuf_ret", "word", 0, "gobuf.ret", "gogo 装进 AX 的返回值")
GOBUF_CTXT = Param("gobuf_ctxt", "word", 0, "gobuf.ctxt", "gogo 装进 DX 的闭包上下文")
ROUNDS = Param("rounds", "count", 1, "来回几圈", "mcall → fn → gogo 的圈数", (1, 2, 3),
               {1: "一圈", 2: "两圈", 3: "三圈"})
INT3 = _choice("int3", "stop", "INT $3 之后", "调试器收到 SIGTRAP 之后", {
    "stop": "进程终止", "continue": "忽略信号，继续执行"})

SHARED = (CURRENT, ENTRY_SP, BP, G0_SCHED_SP, FN, SCHED_CTXT, GOBUF, GOBUF_G_NIL, GOBUF_RET,
          GOBUF_CTXT, ROUNDS, INT3)
