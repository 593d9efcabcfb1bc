"""Recovery: gopanic's mcall(recovery); recovery's gogo(&gp.sched) with ret = 1, for a defer
record (resumes after CALL deferproc) and for an open-coded defer (resumes at CALL deferreturn)."""
from ...scenario.family import Family, preset, register
from . import worlds

FAMILY = register(Family(
    "recovery", __name__,
    presets={
        "mcall": {
            "recovery": preset("gopanic 的 mcall(recovery)：recover 之后切到 g0，调用 recovery(gp)", "call",
                               build=worlds.mcall_recovery, drops=("current", "fn")),
        },
        "gogo": {
            "recover": preset("recover 之后：deferproc “再返回一次”，返回 1", "event",
                              build=worlds.gogo_recover, drops=("current", "gobuf"), gobuf_ret=1),
            "recover_open": preset("open-coded defer 的 recover：gogo 跳到帧里的 CALL runtime·deferreturn，AX = 1",
                                   "jump", build=worlds.gogo_recover_open, drops=("current", "gobuf"),
                                   gobuf_ret=1),
        },
    },
))
