"""The scheduler: a round trip through g0, a switch to another goroutine, a new goroutine's first gogo."""
from ...machine.core import WORKER_FV
from ...scenario.family import Family, Routine, preset, register
from ..switches import worlds as switches
from . import worlds

FAMILY = register(Family(
    "scheduler", __name__,
    routines=(
        Routine("schedule", "调度一次：G1 让出，g0 上的调度循环换上 G2", worlds.schedule_switch,
                ("entry_sp", "bp", "g0_sched_sp"), {
            "switch": preset("G1 mcall 让出，g0 上选中 G2，gogo 到 G2", "return"),
        }, funcval="main·fnval"),
        Routine("roundtrip", "往返一圈：mcall(fn) → fn 在 g0 上 → gogo(&g.sched)", switches.mcall,
                ("entry_sp", "bp", "g0_sched_sp", "rounds"), {
            "normal": preset("mcall → fn 在 g0 上 → gogo → 回到调用者", "return"),
            "twice": preset("来回两圈：g0 的栈位置每次都一样", "return", rounds=2),
        }, funcval="main·fnval"),
    ),
    presets={"gogo": {
        # gostartcallfn: ctxt = the funcval (proc.go:4151)
        "newg": preset("新 goroutine 第一次运行：从函数入口开始，返回到 goexit", "event",
                       build=worlds.gogo_newg, drops=("gobuf",), gobuf_ctxt=WORKER_FV),
    }},
))
