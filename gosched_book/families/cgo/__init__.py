"""cgo: asmcgocall, Go calling a C function on g0's stack (the C function is a stand-in)."""
from ...scenario.family import Family, Routine, preset, register
from . import worlds

FAMILY = register(Family(
    "cgo", __name__,
    listings=(("·asmcgocall", "asmcgocall.s"),),
    world_files=("world_cgo.s",),
    routines=(
        Routine("asmcgocall", "runtime·asmcgocall：Go 调用 C 函数，先换 TLS g 再换到 g0 栈，C 函数（替身）返回后切回",
                worlds.asmcgocall, ("entry_sp", "bp", "g0_sched_sp"), {
            "normal": preset("goroutine 调用 C：TLS g、SP 换到 g0，g0 栈上存 g 和栈深度，C（替身）返回后切回", "return"),
            "on_g0": preset("已在 g0 上：不换栈，直接调用 C（替身）后返回", "return",
                            drops=("g0_sched_sp",)),
            "no_g": preset("没有 g（TLS g = nil，线程创建或退出时）：在线程栈上直接调用 C（替身）后返回",
                           "return", drops=("g0_sched_sp",)),
        }),
    ),
))
