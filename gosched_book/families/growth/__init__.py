"""Stack growth: a prologue's check fails, morestack saves and switches to g0, newstack's gogo restarts."""
from ...machine.core import STACKS
from ...scenario.family import Family, Routine, preset, register
from . import worlds

FAMILY = register(Family(
    "growth", __name__,
    listings=(
        ("runtime·morestack", "morestack.s"),
        ("runtime·morestack_noctxt", "morestack_noctxt.s"),
    ),
    world_files=("regargs.s",),
    routines=(
        Routine("morestack", "runtime·morestack：栈不够时保存现场，换到 g0 调用 newstack", worlds.morestack,
                ("current", "entry_sp", "bp", "g0_sched_sp"), {
            "noctxt": preset("普通函数的栈不够：morestack_noctxt → morestack → newstack", "event"),
            "closure": preset("闭包的栈不够：直接调用 morestack，DX 保留", "event"),
            "regargs": preset("有寄存器参数的函数栈不够：先存进溢出槽，再调用 morestack_noctxt", "event"),
            "on_g0": preset("g0 的栈不够 → badmorestackg0（g0 的栈不能增长）", "event", current="g0"),
            "preempt": preset("同步抢占：stackguard0 = stackPreempt，序言的检查失败 → morestack → newstack（替身）"
                              "不扩栈，把 g 交给调度器（gopreempt_m，替身）→ gogo 回到序言重新检查",
                              "event", g0_sched_sp=STACKS["g0"][1] - 0x38),
        }),
    ),
    presets={"gogo": {
        # gobuf_ctxt None: the closure context newstack moved with the stack (adjustctxt)
        "after_newstack": preset("newstack 之后：在新栈上重新执行序言", "return",
                                 build=worlds.gogo_after_newstack, drops=("current", "gobuf"),
                                 gobuf_ctxt=None),
    }},
))
