"""Signals: the kernel delivers a signal on gsignal's stack (sigaltstack), runtime·sigtramp calls
sigtrampgo (a stand-in), and the restorer runtime·sigreturn's rt_sigreturn resumes the interrupted code."""
from ...scenario.family import Family, Param, Routine, preset, register
from . import worlds

SIGNAL_AT = Param("signal_at", "count", 3, "信号在第 N 步之前到达",
                  "内核在第 N 条指令执行之前投递信号（被打断的就是这一条）", (1, 2, 3, 4),
                  {1: "第 1 步之前", 2: "第 2 步之前", 3: "第 3 步之前", 4: "第 4 步之前"})

FAMILY = register(Family(
    "signals", __name__,
    listings=(("runtime·sigtramp", "sigtramp.s"), ("runtime·sigreturn", "sigreturn.s")),
    world_files=("world_signals.s",),
    params=(SIGNAL_AT,),
    routines=(
        Routine("sigtramp", "runtime·sigtramp：内核在 gsignal 的栈上摆好信号帧进入 sigtramp，"
                            "sigtrampgo（替身）之后经 restorer 的 rt_sigreturn 回到被打断的指令",
                worlds.sigtramp, ("entry_sp", "bp", "signal_at"), {
            "normal": preset("g 运行时来了信号：内核换到 gsignal 栈、摆好 rt_sigframe，sigtramp → "
                             "sigtrampgo（替身）→ rt_sigreturn 回到被打断的指令", "return"),
            "on_g0": preset("g0 运行时来了信号：同一条路，回到 g0 上被打断的指令", "return"),
        }),
    ),
))
