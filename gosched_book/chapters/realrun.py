"""The document's three routines held against the real runtime (chapters 2-4: mcall, systemstack
with gosave_systemstack_switch, gogo) and stack growth (chapter 7: morestack up to newstack), each
preset beside its gdb recording.

The book's worlds for these chapters start 0x80 below a stack's top, where the recorded programs
were deeper; their stacks are compared by distance from the entry SP (or from the gobuf gogo
restores), so what must agree is every instruction and every word relative to where the routine
started. What still differs is said with its reason.
"""
from __future__ import annotations

from . import heldref
from .heldref import Held, Recorded

_MCALL = {"runtime·mcall": "runtime.mcall"}
_SYSTEMSTACK = {"runtime·systemstack": "runtime.systemstack.abi0",
                "gosave_systemstack_switch<>": "gosave_systemstack_switch",
                "runtime·systemstack_switch": "runtime.systemstack_switch.abi0"}
_GOGO = {"runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}


def _names(routines: dict, **more: str) -> dict:
    return {**{v: k for k, v in routines.items()}, **more}


_CALLER_PC = ("调用者的返回地址：本书的调用者是替身 main·caller，录制里是 main.anchorGosched"
              "（内联了 runtime.Gosched，由它调用 mcall(gosched_m)），代码在不同的地方")
_FN_CODE = "fn 的代码地址：本书的 fn 是替身，录制里是 runtime.gosched_m"
RECORDED = {
    ("mcall", "normal"): Recorded(_MCALL, _names(_MCALL, fn="main·fnval"), {
        "runtime.mcall+0x3": _CALLER_PC,
        "runtime.mcall+0x7": "同上：存进 g.sched.pc 的就是这个返回地址",
        "runtime.mcall+0x3d": _FN_CODE}, {}, {"g": "entry"}),
    ("systemstack", "normal"): Recorded(_SYSTEMSTACK, _names(_SYSTEMSTACK, fn="main·sysfnval"), {
        "runtime.systemstack.abi0+0x0": ("fn 这个 funcval 在哪里：录制里是 runtime.Stack 的闭包 func1，"
                                         "分配在 g 的栈上；本书的 fn 是数据段里的替身 main·sysfnval"),
        "runtime.systemstack.abi0+0x41": "同上：DX = fn，闭包的上下文指针",
        "runtime.systemstack.abi0+0x44": "fn 的代码地址：录制里是 runtime.Stack.func1，本书是替身"},
        {"runtime.Stack.func1+0x0": "fn（录制里是 runtime.Stack 的闭包 func1：在 g0 栈上把 goroutine 的回溯写进 buf），本书是替身"},
        {"g": "entry"}),
    ("systemstack", "on_g0"): Recorded({"runtime·systemstack": "runtime.systemstack.abi0"},
                                       {"runtime.systemstack.abi0": "runtime·systemstack", "fn": "main·sysfnval"}, {
        "runtime.systemstack.abi0+0x0": ("fn 这个 funcval 在哪里：录制里是 persistentalloc 的闭包 func1，分配在 g0 的栈上；"
                                         "本书的 fn 是数据段里的替身 main·sysfnval"),
        "runtime.systemstack.abi0+0x73": "同上：DX = fn，闭包的上下文指针",
        "runtime.systemstack.abi0+0x76": "fn 的代码地址：录制里是 runtime.persistentalloc.func1，本书是替身"},
        {"runtime.persistentalloc.func1+0x0": "fn（录制里是 persistentalloc 的闭包 func1：调用 persistentalloc1 分配内存），本书是替身"}),
    ("gogo", "normal"): Recorded(_GOGO, _names(_GOGO), {
        "gogo+0x17": ("gobuf.bp，mcall 的调用者的帧指针：本书替身 main·caller 的帧是示意，帧指针指向 gobuf.sp+0x10；"
                      "录制里 main.anchorGosched（内联了 runtime.Gosched）的帧指针指向 gobuf.sp+0x8"),
        "gogo+0x3a": ("gobuf.pc，mcall 的调用者的返回地址：本书在替身 main·caller 里，"
                      "录制里在 main.anchorGosched（内联了 runtime.Gosched）里")},
        {}, {"g": "gobuf"}),
    ("gogo", "g0"): Recorded(_GOGO, _names(_GOGO), {
        "gogo+0x3a": ("g0.sched.pc：mstart1 存下的、mstart0 里调用 mstart1 之后的地址；本书的 mstart0 是替身，"
                      "代码在别处")}, {}),
}


_GROWTH = {"runtime·morestack_noctxt": "runtime.morestack_noctxt.abi0", "runtime·morestack": "runtime.morestack.abi0",
           "runtime·newstack": "runtime.newstack.abi0"}


def _growth(f: str, real: str, recording: str) -> Recorded:
    """morestack:noctxt/regargs/closure against a recorded deep recursion of `real`, up to
    newstack's entry, where the book's run stops."""
    caller = (f"f 的调用者的 PC（存进 m.morebuf.pc）：录制里 f 是递归的 {real}，调用者也是它；"
              "本书的 f 和调用者是替身，代码在别处")
    pc = f"f 的 PC（存进 g.sched.pc，newstack 之后从这里重新执行序言）：录制里是 {real} 的，本书是替身 f 的"
    return Recorded(_GROWTH, _names(_GROWTH, f=f), {
        "runtime.morestack.abi0+0x3e": caller, "runtime.morestack.abi0+0x43": caller,
        "runtime.morestack.abi0+0x5d": pc, "runtime.morestack.abi0+0x61": pc}, {},
        {"g": "entry"}, prefix=True, recording=recording)


# Stack growth (chapter 7): main.grow recursing, or a recursive closure.
RECORDED[("morestack", "noctxt")] = _growth("main·worker", "main.grow", "morestack.normal")
RECORDED[("morestack", "regargs")] = _growth("main·regworker", "main.grow", "morestack.normal")
RECORDED[("morestack", "closure")] = _growth("main·closure", "闭包 main.anchorGrowClosure.func1", "morestack.closure")


def held(routine: str, preset: str = "normal") -> Held:
    """routine:preset against its recording; every difference with its reason (KeyError if one has none)."""
    return heldref.held(routine, preset, RECORDED[(routine, preset)])


def reference_table(routine: str, preset: str = "normal"):
    """The comparison as the chapter shows it."""
    return heldref.reference_table(routine, preset, RECORDED[(routine, preset)])
