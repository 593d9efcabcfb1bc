"""Goroutine exit: the function returns into goexit+1, goexit1 (a stand-in) calls mcall(goexit0)."""
from ...scenario.family import Family, Routine, preset, register
from . import worlds

FAMILY = register(Family(
    "goexit", __name__,
    listings=(("runtime·goexit", "goexit.s"),),
    routines=(
        Routine("goexit", "runtime·goexit：goroutine 的函数返回到 goexit+1 → goexit1（替身）→ mcall(goexit0)",
                worlds.goexit, ("entry_sp", "bp", "g0_sched_sp"), {
            "normal": preset("函数返回到 goexit+1，经 goexit1 的包装和 goexit1（替身）进入 mcall，"
                             "在 g0 上调用 goexit0（替身）", "call"),
        }),
    ),
))
