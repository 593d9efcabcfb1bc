"""Recovery: after recover, gopanic's mcall(recovery) ends in gogo(&gp.sched) with ret = 1."""
from ...scenario.family import Family, preset, register
from . import worlds

FAMILY = register(Family(
    "recovery", __name__,
    presets={"gogo": {
        "recover": preset("recover 之后：deferproc “再返回一次”，返回 1", "event",
                          build=worlds.gogo_recover, drops=("current", "gobuf"), gobuf_ret=1),
    }},
))
