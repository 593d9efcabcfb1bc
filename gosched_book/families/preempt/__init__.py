"""Asynchronous preemption: asyncPreempt saves every register on the goroutine's own stack, asyncPreempt2
(a transcription of the compiled function) mcalls gopreempt_m (a stand-in), and when the goroutine is
scheduled again gogo resumes it inside asyncPreempt2, which returns; asyncPreempt restores everything
and RETs to the interrupted PC."""
from ...machine.core import STACKS
from ...scenario.family import Family, Param, Routine, preset, register
from . import worlds

PREEMPT_STOP = Param("preempt_stop", "choice", False, "gp.preemptStop",
                     "抢占的目的：只是让出（调度器要换人），还是要停成 _Gpreempted（GC 扫描栈前的 suspendG 这样请求）", (False, True),
                     {False: "false：mcall(gopreempt_m)，放回运行队列", True: "true：mcall(preemptPark)，停成 _Gpreempted"})

FAMILY = register(Family(
    "preempt", __name__,
    listings=(("·asyncPreempt", "asyncPreempt.s"),),
    world_files=("world_preempt.s",),
    params=(PREEMPT_STOP,),
    routines=(
        Routine("asyncPreempt", "runtime·asyncPreempt：异步抢占，在 g 的栈上保存全部寄存器，asyncPreempt2（替身）"
                                "→ mcall → g0；被 gogo 重新调度后恢复一切，RET 回到被打断的指令",
                worlds.async_preempt, ("entry_sp", "bp", "g0_sched_sp", "preempt_stop", "signal_at"), {
            "normal": preset("不调用函数的循环被 SIGURG 打断：信号处理函数注入了对 asyncPreempt 的调用，"
                             "[SP] = 被打断的 PC；asyncPreempt2（替身）→ mcall(gopreempt_m) → gogo 回来，"
                             "恢复全部寄存器，RET 回到被打断的指令", "return", max_steps=400, drops=("signal_at",)),
            "signal": preset("从信号开始：SIGURG 打断循环，内核进入 sigtramp，sigtrampgo（替身）做 pushCall，"
                             "rt_sigreturn 把 goroutine 送进 asyncPreempt，一路到它的 RET 回到被打断的指令",
                             "return", build=worlds.from_signal, max_steps=600),
        }, defaults={"g0_sched_sp": STACKS["g0"][1] - 0x38}),
    ),
))
