"""One Chinese line per way a run can end."""
from __future__ import annotations

from .symbols import Symbolizer

EVENTS = {
    "badmcall": "badmcall：在 g0 上调用了 mcall（runtime: mcall called on m->g0 stack）",
    "badmcall2": "badmcall2：fn 返回了（runtime: mcall function returned）",
    "badsystemstack": "badsystemstack：fatal: systemstack called from unexpected goroutine",
    "abort": "abort (INT $3)：进程收到 SIGTRAP 而终止",
    "mexit": "回到 mstart0，调用 mexit 终止线程",
    "goexit": "goroutine 的最外层函数返回到 goexit+1，即将 CALL goexit1",
    "newstack": "已在 g0 栈上进入 newstack（经过 ABI0 包装，R14 = g0）",
    "badmorestackg0": "badmorestackg0：g0 的栈不能增长（morestack on g0）",
    "badmorestackgsignal": "badmorestackgsignal：gsignal 的栈不能增长（morestack on gsignal）",
    "prologue_again": "g 又被调度：gogo 回到 f 序言里 CALL 之后，取回参数，从 f 的入口重新检查栈",
    "preemptPark": "已在 g0 上调用 preemptPark(gp)：g 停成 _Gpreempted，等人恢复它",
    "deferreturn": "recover 之后：deferproc 返回 1，函数走向 deferreturn",
    "needm": "needm：这个线程是 C 创建的，没有 m（TLS g = nil）；cgocallback 要先借一个额外的 m，本书不模拟 needm，运行到此为止",
    "dropm": "dropm：savedm 读到 0，cgocallback 认为 m 是 needm 借来的，要还回去（本书不模拟 dropm）",
}
_ACCESS = {"read": "读", "write": "写", "fetch": "取指令于", "decode": "解码", "access": "访问"}


def summarize(kind: str, detail: str, pc: int, address: int | None, sym: Symbolizer,
              access: str = "", sp: int | None = None) -> str:
    """The line a reader sees at the end of a trace (`sp`: SP there, to say which stack)."""
    where = sym.label(pc)
    if kind == "call":
        owner = next((st.owner for st in sym.stacks if sp is not None and sp in st), None)
        on = f"在 {owner} 栈上" if owner else ("在任何栈之外" if sp is not None else "在 g0 栈上")
        return f"已调用 fn(g)：{on}进入 {where}"
    if kind == "jump":
        return f"已跳转到 gobuf.pc = {where}"
    if kind == "return":
        if detail.startswith("rt_sigreturn"):
            return f"rt_sigreturn 恢复了被打断的现场：回到 {where}（这条指令还没有执行）"
        if "interrupted PC" in detail:
            return f"asyncPreempt 恢复了所有寄存器，RET 回到被打断的指令 {where}"
        if "resumed" in detail:
            return f"goroutine 在 CALL runtime·mcall 之后继续执行（{where}），就像 mcall 返回了一样"
        return f"已返回调用者 {where}"
    if kind == "event":
        return EVENTS.get(detail, f"{detail}（{where}）")
    if kind == "fault":
        if access == "gp":
            return (f"一般保护异常（#GP）：{address:#x} 不是规范地址（canonical，第 63–47 位须相同），"
                    f"指令在 {where}")
        if access == "fetch" and address == 0:
            return "取指令于地址 0（nil）失败：调用或跳转到了 nil 函数"
        if address is None:
            return f"出错：{detail}，位置 {where}"
        return f"内存错误：{_ACCESS.get(access, '访问')} {address:#x}（{sym.label(address)}）失败，指令在 {where}"
    if kind == "limit":
        return f"达到步数上限，停在 {where}（例如死循环）"
    return f"{kind}: {detail}"
