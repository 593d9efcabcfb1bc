"""Process start: rt0_go from the process entry to mstart1 writing g0.sched (the Go parts are stand-ins)."""
from ...scenario.family import Family, Param, PatchChoice, Routine, preset, register
from . import worlds

CPU = Param("cpu", "choice", "recorded", "CPUID 回答的 CPU",
            "rt0_go 用 CPUID 看厂商：按录制的那台机器（AMD EPYC）回答，还是按 Unicorn 模拟的 CPU 回答",
            worlds.CPUS, {"recorded": "录制 gdb 参考的那台机器（AuthenticAMD）：走 notintel",
                          "unicorn": "Unicorn 模拟的 CPU（GenuineIntel）：多走一段，设 runtime·isIntel = 1"})

FAMILY = register(Family(
    "boot", __name__,
    listings=(("_rt0_amd64_linux", "rt0_go.s"), ("_rt0_amd64", "rt0_go.s"), ("runtime·rt0_go", "rt0_go.s"),
              ("runtime·asminit", "rt0_go.s"), ("runtime·settls", "settls.s")),
    world_files=("world_boot.s",),
    params=(CPU,),
    routines=(
        Routine("rt0_go", "runtime·rt0_go：进程入口 → 在 OS 栈上划出 g0 的栈、arch_prctl 设 TLS、连起 m0 与 g0 → "
                "mstart → mstart0 → mstart1（替身）写 g0.sched",
                worlds.rt0_go, ("entry_sp", "cpu"), {
            "normal": preset("从 _rt0_amd64_linux 到 mstart1 写好 g0.sched（Go 函数都是替身）", "event"),
        }, patches=(
            PatchChoice("no_settls", "不调用 settls", "删去 CALL runtime·settls(SB)：FS 基址还是 0，"
                        "试探写 g(BX) 写到 FS−8 = 0xfffffffffffffff8", "rt0_go.s", "CALL runtime·settls(SB)"),
            PatchChoice("no_tls_g0", "不把 TLS g 设成 g0", "删去 MOVQ CX, g(BX)：TLS 里留着试探值 0x123，"
                        "ABI0 包装把它装进 R14", "rt0_go.s", "MOVQ CX, g(BX) // 本书注：TLS g = g0"),
        )),
    ),
))
