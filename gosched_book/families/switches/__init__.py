"""The document's routines: mcall, systemstack (with gosave_systemstack_switch), gogo, and abort."""
from ...scenario.family import Family, PatchChoice, Routine, preset, register
from . import worlds

SWITCH = ("current", "entry_sp", "bp", "g0_sched_sp")
NO_INT3 = ("int3",)  # presets that never reach abort's INT $3: what follows it does not matter

FAMILY = register(Family(
    "switches", __name__,
    listings=(
        ("runtime·mcall", "mcall.s"),
        ("runtime·systemstack_switch", "systemstack_switch.s"),
        ("runtime·systemstack", "systemstack.s"),
        ("gosave_systemstack_switch<>", "gosave_systemstack_switch.s"),
        ("runtime·gogo", "gogo.s"),
        ("gogo<>", "gogo_body.s"),
        ("runtime·abort", "abort.s"),
    ),
    routines=(
        Routine("mcall", "runtime·mcall：保存 g，切到 g0 调用 fn(g)", worlds.mcall, (*SWITCH, "fn"), {
            "normal": preset("正常：切到 g0，调用 fn(g)", "call"),
            "on_g0": preset("在 g0 上调用 mcall → badmcall", "event", current="g0"),
            "fn_returns": preset("fn 返回了 → badmcall2", "event", fn="returns"),
        }, funcval="main·fnval", patches=(
            PatchChoice("no_push", "去掉 PUSHQ AX", "删去 PUSHQ AX：fn 的参数溢出槽和返回地址位置不对了",
                        "mcall.s", "PUSHQ AX"),
            PatchChoice("no_r14", "不设置 R14 = g0", "删去 MOVQ SI, R14：切到 g0 栈后 R14 仍是 g",
                        "mcall.s", "MOVQ SI, R14"),
        )),
        Routine("systemstack", "runtime·systemstack：在 g0 栈上执行 fn 再切回", worlds.systemstack,
                (*SWITCH, "sched_ctxt", "int3"), {
            "normal": preset("正常：切到 g0 执行 fn，再切回", "return", drops=NO_INT3),
            "on_g0": preset("已在 g0 上：直接尾调用 fn", "return", current="g0",
                            drops=("sched_ctxt", *NO_INT3)),
            "on_gsignal": preset("在 gsignal 上：直接尾调用 fn", "return", current="gsignal",
                                 drops=("sched_ctxt", *NO_INT3)),
            "bad": preset("既非 g0、gsignal，也非 curg → badsystemstack", "event", current="g2",
                          drops=NO_INT3),
            "ctxt_abort": preset("g.sched.ctxt ≠ 0 → abort (INT $3)", "event", sched_ctxt=0x1),
        }, funcval="main·sysfnval", patches=(
            PatchChoice("no_r14", "不设置 R14 = g0", "删去 MOVQ DX, R14：TLS 已是 g0，R14 仍是 g",
                        "systemstack.s", "MOVQ DX, R14"),
            PatchChoice("no_clear_sp", "不清零 g.sched.sp", "删去 MOVQ $0, (g_sched+gobuf_sp)(AX)",
                        "systemstack.s", "MOVQ $0, (g_sched+gobuf_sp)(AX)"),
        )),
        Routine("gosave_systemstack_switch", "gosave_systemstack_switch<>：保存调用者状态到 g.sched",
                worlds.gosave_systemstack_switch, (*SWITCH, "sched_ctxt", "int3"), {
            "normal": preset("保存 g.sched 后返回 systemstack", "return", drops=NO_INT3),
            "abort": preset("g.sched.ctxt ≠ 0 → abort (INT $3)", "event", sched_ctxt=0x1),
        }, funcval="main·sysfnval"),
        Routine("gogo", "runtime·gogo：从 gobuf 恢复执行（longjmp）", worlds.gogo,
                (*SWITCH, "gobuf", "gobuf_g_nil", "gobuf_ret", "gobuf_ctxt"), {
            "normal": preset("恢复 g：换到 gobuf.sp，跳到 gobuf.pc", "jump"),
            "nil_g": preset("gobuf.g == nil：空指针检查处出错", "fault", gobuf_g_nil=True),
            "g0": preset("gogo(&g0.sched)：回到 mstart0", "jump", gobuf="g0"),
        }, defaults={"current": "g0"}, patches=(
            PatchChoice("no_nil_check", "去掉 nil 检查", "删去 MOVQ 0(DX), CX：gobuf.g 为 nil 时不在这里出错",
                        "gogo.s", "MOVQ 0(DX), CX"),
            PatchChoice("no_r14", "不设置 R14 = g", "删去 gogo<> 里的 MOVQ DX, R14：TLS 已换成新 g，R14 还是旧的",
                        "gogo_body.s", "MOVQ DX, R14"),
        )),
        Routine("abort", "runtime·abort：INT $3 然后死循环", worlds.abort,
                ("current", "entry_sp", "bp", "int3"), {
            "int3": preset("INT $3：进程收到 SIGTRAP", "event"),
            "loop": preset("忽略 INT $3：原地死循环，直到步数上限", "limit", int3="continue", max_steps=64),
        }),
    ),
))
