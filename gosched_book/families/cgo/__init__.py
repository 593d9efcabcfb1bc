"""cgo: asmcgocall (Go calling a C function on g0's stack) and cgocallback (C calling an exported Go
function: g0.sched.sp rewritten for the callback); the C functions and cgocallbackg are stand-ins."""
from ...scenario.family import Family, Param, PatchChoice, Routine, preset, register
from . import worlds

THREAD_M = Param("thread_m", "choice", "m", "线程有没有 m", "C 调用 Go 时，当前线程是否已经有 m（TLS 里有 g）",
                 ("m", "none"), {"m": "有：Go 创建的线程（或已经在 Go 里的线程）调用了 C，C 再回调 Go",
                                 "none": "没有：C 自己创建的线程，TLS g = nil，要先 needm（本书不模拟）"})
EXITSYSCALL = Param("exitsyscall", "choice", "slow", "exitsyscall 走哪条路",
                    "回调开始时 cgocallbackg 调用 exitsyscall：P 还归这个 M 就走快路径，否则 mcall 到 g0 上等 P",
                    ("slow", "fast"), {"slow": "慢路径：mcall(exitsyscall0)，回调期间用到 g0 的栈（gdb 记录里的情形）",
                                       "fast": "快路径：P 还在，回调期间不碰 g0 的栈"})

FAMILY = register(Family(
    "cgo", __name__,
    listings=(("·asmcgocall", "asmcgocall.s"), ("·cgocallback", "cgocallback.s")),
    world_files=("world_cgo.s", "world_cgocallback.s"),
    params=(THREAD_M, EXITSYSCALL),
    routines=(
        Routine("asmcgocall", "runtime·asmcgocall：Go 调用 C 函数，先换 TLS g 再换到 g0 栈，C 函数（替身）返回后切回",
                worlds.asmcgocall, ("entry_sp", "bp", "g0_sched_sp"), {
            "normal": preset("goroutine 调用 C：TLS g、SP 换到 g0，g0 栈上存 g 和栈深度，C（替身）返回后切回", "return"),
            "on_g0": preset("已在 g0 上：不换栈，直接调用 C（替身）后返回", "return",
                            drops=("g0_sched_sp",)),
            "no_g": preset("没有 g（TLS g = nil）：在线程栈上直接调用 C（替身）后返回",
                           "return", drops=("g0_sched_sp",)),
        }, defaults={"g0_sched_sp": worlds.G0_SCHED_SP}),
        Routine("cgocallback", "runtime·cgocallback：C 回调 Go，改写 g0.sched.sp，换到 curg 的栈调用 cgocallbackg（替身）",
                worlds.cgocallback, ("entry_sp", "thread_m", "exitsyscall"), {
            "normal": preset("线程有 m：g0.sched.sp 改成当前 SP，curg 栈上放伪返回地址，cgocallbackg（替身）返回后"
                             "恢复 curg.sched 和 g0.sched.sp，回到 crosscall2", "return"),
            "exitsyscall_fast": preset("回调时 P 还在：exitsyscall 走快路径，回调期间不用 g0 的栈", "return",
                                       exitsyscall="fast"),
            "needm": preset("C 创建的线程，没有 m（TLS g = nil）：跳到 needm，本书不模拟 needm", "event",
                            thread_m="none"),
        }, defaults={"g0_sched_sp": worlds.G0_SCHED_SP}, patches=(
            PatchChoice("no_set_g0_sp", "不改写 g0.sched.sp", "删去 MOVQ SP, (g_sched+gobuf_sp)(SI)（havem 之后那行）："
                        "回调期间 g0 栈从旧的 g0.sched.sp 开始用，压在 C 和 asmcgocall 的栈帧上",
                        "cgocallback.s", "MOVQ SP, (g_sched+gobuf_sp)(SI) // 本书注"),
            PatchChoice("no_restore_pc", "不恢复 curg.sched.pc", "删去 MOVQ BX, (g_sched+gobuf_pc)(SI)：curg.sched.pc "
                        "留着 cgocallbackg 写的值", "cgocallback.s", "MOVQ    BX, (g_sched+gobuf_pc)(SI)"),
        )),
    ),
))
