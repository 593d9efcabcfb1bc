"""Routines, presets and parameter defaults: data only."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .world_core import WORKER_FV


@dataclass(frozen=True)
class Preset:
    title: str  # Chinese, for the views
    expect: str  # the end kind it should reach
    values: Mapping = field(default_factory=dict)


def _p(title: str, expect: str, **values) -> Preset:
    return Preset(title, expect, MappingProxyType(values))


DEFAULTS = MappingProxyType(dict(
    current="g", entry_sp=None, bp=None, g0_sched_sp=None, fn="park", sched_ctxt=0,
    gobuf="g", gobuf_g_nil=False, gobuf_ret=0, gobuf_ctxt=0, rounds=1, int3="stop",
    max_steps=256,
))

CHOICES = MappingProxyType(dict(
    current=("g", "g0", "gsignal", "g2"),
    fn=("park", "returns"),
    gobuf=("g", "g0"),
    gobuf_g_nil=(False, True),
    int3=("stop", "continue"),
))

# routine -> preset name -> Preset. The first preset of each routine is its default.
PRESETS: Mapping[str, Mapping[str, Preset]] = MappingProxyType({
    "mcall": {
        "normal": _p("正常：切到 g0，调用 fn(g)", "call"),
        "on_g0": _p("在 g0 上调用 mcall → badmcall", "event", current="g0"),
        "fn_returns": _p("fn 返回了 → badmcall2", "event", fn="returns"),
    },
    "systemstack": {
        "normal": _p("正常：切到 g0 执行 fn，再切回", "return"),
        "on_g0": _p("已在 g0 上：直接尾调用 fn", "return", current="g0"),
        "on_gsignal": _p("在 gsignal 上：直接尾调用 fn", "return", current="gsignal"),
        "bad": _p("既非 g0、gsignal，也非 curg → badsystemstack", "event", current="g2"),
        "ctxt_abort": _p("g.sched.ctxt ≠ 0 → abort (INT $3)", "event", sched_ctxt=0x1),
    },
    "gosave_systemstack_switch": {
        "normal": _p("保存 g.sched 后返回 systemstack", "return"),
        "abort": _p("g.sched.ctxt ≠ 0 → abort (INT $3)", "event", sched_ctxt=0x1),
    },
    "gogo": {
        "normal": _p("恢复 g：换到 gobuf.sp，跳到 gobuf.pc", "jump"),
        "nil_g": _p("gobuf.g == nil：空指针检查处出错", "fault", gobuf_g_nil=True),
        "g0": _p("gogo(&g0.sched)：回到 mstart0", "jump", gobuf="g0"),
        "newg": _p("新 goroutine 第一次运行：从函数入口开始，返回到 goexit", "event",
                   gobuf_ctxt=WORKER_FV),  # gostartcallfn: ctxt = the funcval
        "after_newstack": _p("newstack 之后：在新栈上重新执行序言", "return"),
        "recover": _p("recover 之后：deferproc “再返回一次”，返回 1", "event", gobuf_ret=1),
    },
    "abort": {
        "int3": _p("INT $3：进程收到 SIGTRAP", "event"),
        "loop": _p("忽略 INT $3：原地死循环，直到步数上限", "limit", int3="continue", max_steps=64),
    },
    "morestack": {
        "noctxt": _p("普通函数的栈不够：morestack_noctxt → morestack → newstack", "event"),
        "closure": _p("闭包的栈不够：直接调用 morestack，DX 保留", "event"),
        "on_g0": _p("g0 的栈不够 → badmorestackg0（g0 的栈不能增长）", "event", current="g0"),
    },
    "schedule": {
        "switch": _p("G1 mcall 让出，g0 上选中 G2，gogo 到 G2", "return"),
    },
    "roundtrip": {
        "normal": _p("mcall → fn 在 g0 上 → gogo → 回到调用者", "return"),
        "twice": _p("来回两圈：g0 的栈位置每次都一样", "return", rounds=2),
    },
})

ROUTINES = tuple(PRESETS)

# What each routine is, for `list` and the views.
ROUTINE_TITLES = MappingProxyType({
    "mcall": "runtime·mcall：保存 g，切到 g0 调用 fn(g)",
    "systemstack": "runtime·systemstack：在 g0 栈上执行 fn 再切回",
    "gosave_systemstack_switch": "gosave_systemstack_switch<>：保存调用者状态到 g.sched",
    "gogo": "runtime·gogo：从 gobuf 恢复执行（longjmp）",
    "abort": "runtime·abort：INT $3 然后死循环",
    "morestack": "runtime·morestack：栈不够时保存现场，换到 g0 调用 newstack",
    "schedule": "调度一次：G1 让出，g0 上的调度循环换上 G2",
    "roundtrip": "往返一圈：mcall(fn) → fn 在 g0 上 → gogo(&g.sched)",
})
