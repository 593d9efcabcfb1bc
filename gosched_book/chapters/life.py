"""What the chapter on a goroutine's life shows beside its steppers: rt0_go against the real
runtime's recording, a step link into another chapter, and the chapter's reasoned exercises.

Every number is read from a trace or from the recording when the cell runs; every reason cites
the Go 1.19.8 source line it rests on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources

from .. import api
from ..machine.core import G0, M0
from ..runtime.layout import offsetof
from . import switchmap
from .why import Exercise, _name, _step

# The runtime's own instructions in the recording and the book's routine that runs the same text.
REAL = {"_rt0_amd64_linux": "_rt0_amd64_linux", "_rt0_amd64": "_rt0_amd64",
        "runtime.rt0_go.abi0": "runtime·rt0_go", "runtime.settls.abi0": "runtime·settls",
        "runtime.mstart.abi0": "runtime·mstart", "runtime.check.abi0": "runtime·check",
        "runtime.args.abi0": "runtime·args", "runtime.osinit.abi0": "runtime·osinit",
        "runtime.schedinit.abi0": "runtime·schedinit", "runtime.newproc.abi0": "runtime·newproc"}


@cache
def reference() -> dict:
    return json.loads(resources.files("gosched_book.runtime").joinpath("reference", "rt0_go.normal.json")
                      .read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Rt0Comparison:
    recorded: int  # instructions gdb stepped
    skipped: tuple[str, ...]  # what ran under a breakpoint instead (Go functions)
    compared: int  # of them, those the book runs from the same text, held step for step
    agree: bool  # bytes (but displacements), SP, TLS g, FS base, R14 and struct words written all equal
    standin_recorded: int  # the recording's instructions in mstart0/mstart1 (compiled Go)
    standin_ours: int  # the book's stand-ins for them
    sched_sp_real: int  # g0.sched.sp - g0.stack.hi in the recording
    sched_sp_ours: int


def _base(sym: str) -> str:
    return sym.split("+")[0]


def compare_rt0() -> Rt0Comparison:
    """rt0_go:normal held against the recording where the book runs the runtime's instructions."""
    r = reference()
    t = api.run("rt0_go")
    m_ref, g0_ref = int(r["structures"]["m"], 16), int(r["structures"]["g0"], 16)

    def rel(v, m, g0):
        return {0: 0, m: "m", g0: "g0", m + 0x90: "m+0x90"}.get(v, v)

    regs = {k: int(v, 16) for k, v in r["initial"]["regs"].items() if v is not None}
    theirs = []
    for s in r["steps"]:
        if "pc" in s and "kernel" not in s and _base(s["sym"]) in REAL:
            theirs.append((s, dict(regs)))
        regs.update({k: int(v, 16) for k, v in s.get("regs", {}).items() if v is not None})
        if "pc" in s and theirs and theirs[-1][0] is s:
            theirs[-1] = (s, dict(regs))  # the registers after it, like a Step's
    ours = [s for s in t.steps if s.routine in REAL.values()]
    sys_k = next(s.i for s in t.steps if s.plan9.startswith("SYSCALL"))
    fs_after = lambda s: 0 if s.i < sys_k else M0 + offsetof("m", "tls") + 8  # noqa: E731
    agree = [REAL[_base(a["sym"])] for a, _ in theirs] == [s.routine for s in ours]
    for (a, ra), b in zip(theirs, ours):
        mine, want = b.bytes, bytes.fromhex(a["bytes"])
        agree &= mine == want or (len(mine) == len(want) >= 5 and mine[:-4] == want[:-4])
        agree &= ra["rsp"] == b.regs["rsp"] and rel(ra["r14"], m_ref, g0_ref) == rel(b.regs["r14"], M0, G0)
        agree &= rel(ra["fs_base"], m_ref, g0_ref) == rel(fs_after(b), M0, G0)
        if "tls_g" in ra:
            agree &= rel(ra["tls_g"], m_ref, g0_ref) == rel(b.tls_g, M0, G0)
        want_w = {("TLS g" if m[1] == "m.tls[0]" else m[1]): rel(int(m[3], 16), m_ref, g0_ref)
                  for m in a["mem"] if m[1].startswith(("g0.", "m."))}
        agree &= want_w == {w.label: rel(w.value, M0, G0) for w in b.writes
                            if w.label.startswith(("g0.", "m.", "TLS"))}
    end = r["structures_at_end"]
    hi_ref = int(end["g0.stack.hi"], 16)
    sp_ref = [int(m[3], 16) for s in r["steps"] for m in s.get("mem", []) if m[1] == "g0.sched.sp"][-1]
    mem = t.memory_at(len(t.steps))
    return Rt0Comparison(
        recorded=sum(1 for s in r["steps"] if "pc" in s and "kernel" not in s),
        skipped=tuple(s["skipped"]["what"] for s in r["steps"] if "skipped" in s),
        compared=len(theirs), agree=bool(agree),
        standin_recorded=sum(1 for s in r["steps"] if "pc" in s and _base(s["sym"]) in
                             ("runtime.mstart0", "runtime.mstart1", "runtime.mstart0.abi0")),
        standin_ours=sum(1 for s in t.steps if s.routine in ("runtime·mstart0", "runtime·mstart1")),
        sched_sp_real=sp_ref - hi_ref, sched_sp_ours=mem[G0 + offsetof("g", "sched")] - mem[G0 + 8])


def _signed(v: int) -> str:
    return f"hi−{-v:#x}" if v < 0 else f"hi+{v:#x}"


def reference_table():
    """rt0_go against the recording: what is held step for step, what ran instead, what differs."""
    from .book import _html, _table

    c = compare_rt0()
    skipped = "、".join(f"<code>{escape(w.split(' (Go)')[0])}</code>" for w in c.skipped)
    rows = [
        ["真实运行（gdb 单步）", f"{c.recorded} 条指令", f"另有 {skipped} 这几个 Go 函数在断点下整段运行，没有单步"],
        ["本书逐条对照的", f"{c.compared} 条", ("字节（rel32 与 RIP 相对位移除外）、SP、TLS g、FS 基址、R14、写下的 g0/m 字段："
                                            + ("全部相同" if c.agree else "<b>有不同</b>"))],
        ["mstart0、mstart1（Go 函数）", f"真实 {c.standin_recorded} 条，替身 {c.standin_ours} 条",
         "本书的替身只做设 stackguard 和写 g0.sched 这几件事"],
        ["g0.sched.sp", f"真实 {_signed(c.sched_sp_real)}，本书 {_signed(c.sched_sp_ours)}",
         f"差 {c.sched_sp_ours - c.sched_sp_real:#x}：真实的 mstart0 有自己的帧，替身没有"],
    ]
    return _html(_table(["对照项", "数量", "说明"], rows, "gsb-regs"))


def newg_link():
    """A step link to the first gogo of a new goroutine (gogo:newg), where its RET pops goexit+1."""
    from .book import _html

    t = api.run("gogo", "newg")
    k = _step(t, "RET", routine="main·worker")
    stem = switchmap.stepper_pages().get("gogo", "")
    href = switchmap.href(stem, "gogo:newg", k)
    return _html(f"<p><a href='{escape(href, quote=True)}'>打开 gogo:newg 的单步器，停在第 {k} 步"
                 f"（新 goroutine 的函数执行 RET，弹出 goexit+1）</a></p>")


# Exercises ---------------------------------------------------------------------------------------

def rt0_probe() -> Exercise:
    t = api.run("rt0_go")
    k = _step(t, "MOVQ\t$0x123, g(BX)")
    bad = api.run("rt0_go", patch="rt0_go.s:118=")
    return Exercise(
        "rt0_probe",
        "settls 刚设好 FS，rt0_go 为什么还要往 g(BX) 写一个 0x123，再从 m0.tls[0] 读回来比较？删掉 CALL settls 会怎样？",
        f"第 {k} 步经 FS−8 写下 0x123，下一步直接按地址读 m0.tls[0]，读到的是 {_name(t, t.regs_at(k + 1)['rax'])}。"
        "两条路到的是同一个字，说明 arch_prctl 设下的 FS 基址正好是 &amp;m0.tls[0] + 8；"
        "源码的注释就是“写一次试试，确认它管用”，不相等就调用 abort。之所以是 +8，是 settls 的注释说的："
        "ELF 约定用 −8(FS) 取 g。删掉 CALL settls 再跑一遍：FS 基址还是 0，"
        f"试探的那次写落到 0 − 8 = 0xfffffffffffffff8，运行停在：{escape(bad.end.summary)}。",
        ("asm_amd64.s:257-263", "sys_linux_amd64.s:644", "sys_linux_amd64.s:647-649"),
        ("rt0_go:normal", k),
    )


def rt0_r14() -> Exercise:
    t = api.run("rt0_go")
    k = next(s.i for s in t.steps if s.regs["r14"] == G0)
    tls_k = next(s.i for s in t.steps if s.tls_g == G0)
    wrapper = t.steps[k - 1].routine
    return Exercise(
        "rt0_r14",
        "rt0_go 在第几步把 TLS g 设成 g0？R14 又是在哪一步、由谁第一次设成 g0 的？为什么 rt0_go 自己不设 R14？",
        f"TLS g 在第 {tls_k} 步变成 g0（<code>MOVQ CX, g(BX)</code>）。R14 要到第 {k} 步才等于 g0，"
        f"执行它的是 <code>{escape(wrapper)}</code>，也就是 check 的 ABI0 包装里的 <code>MOVQ FS:-8, R14</code>。"
        "rt0_go 是 ABI0 的汇编，寄存器调用约定说 R14 在 ABI0 代码里没有定义，"
        "只在从 ABI0 进入 ABIInternal 的 Go 代码时才需要恢复；每个 ABI0 包装就做这件事（同时把 X15 清零）。"
        "所以 rt0_go 只要把 g0 放进 TLS，之后每次调用 Go 函数，包装都会从 TLS 取出它。",
        ("asm_amd64.s:264-268", "cmd/compile/abi-internal.md:405-425"),
        ("rt0_go:normal", k),
    )


def rt0_tls_g0() -> Exercise:
    bad = api.run("rt0_go", patch="rt0_go.s:131=")
    first = next(s.i for s in bad.steps if s.regs["r14"] == 0x123)
    return Exercise(
        "rt0_tls_g0",
        "假如 rt0_go 忘了把 TLS g 设成 g0（删去 MOVQ CX, g(BX)），会在哪里出错？",
        f"TLS 里留着试探值 0x123。第 {first} 步，check 的 ABI0 包装从 TLS 取 g，R14 = 0x123。"
        "Go 代码把 R14 当作当前 g：真正的 check 一进序言就要按 R14 读 stackguard0 做栈检查，"
        "读的是 0x123 + 16 这个地址。本书的 check、args 等都是什么也不做的替身，所以错误推迟到 mstart0 的替身"
        f"读 g.stack.lo 才暴露：{escape(bad.end.summary)}。"
        "（真实运行会在 check 的序言里出错，这是本书按序言推出来的，没有实际运行。）",
        ("asm_amd64.s:266-268", "cmd/internal/obj/x86/obj6.go:972-975", "cmd/internal/obj/x86/obj6.go:1074-1083"),
        ("rt0_go:normal", _step(api.run("rt0_go"), "MOVQ\tCX, g(BX)")),
    )


def g0_bounds() -> Exercise:
    t = api.run("rt0_go")
    k = _step(t, "MOVQ\tSP, (g_stack+stack_hi)(DI)")
    mem = t.memory_at(len(t.steps))
    lo, hi, guard = mem[G0], mem[G0 + 8], mem[G0 + offsetof("g", "stackguard0")]
    return Exercise(
        "g0_bounds",
        "m0 的 g0 栈有多大？它的 stackguard0 为什么先等于 stack.lo，后来又变了？",
        f"rt0_go 把对齐后的 SP 当作 hi = <code>{hi:#x}</code>，lo = SP − 64 KiB + 104 = <code>{lo:#x}</code>，"
        f"共 {hi - lo} 字节。这块内存不是运行时分配的，是内核给进程的栈，rt0_go 只是在上面划出界限"
        "（源码注释：create istack out of the given (operating system) stack）。"
        "这时 stackguard0 和 stackguard1 也先设成 lo，注释说 _cgo_init 可能会调整它们。"
        f"进入 mstart0 后，它们被设成 stack.lo + _StackGuard = <code>{guard:#x}</code>：栈检查比较的是 stackguard0，"
        "_StackGuard 是留在栈底之上的余量，保证一个小帧加一串 NOSPLIT 调用还放得下。"
        "为什么偏偏是 +104，源码没有说。",
        ("asm_amd64.s:168-175", "proc.go:1377-1381", "stack.go:95-101", "runtime2.go:408-412"),
        ("rt0_go:normal", k),
    )


def goexit_sched() -> Exercise:
    t = api.run("goexit")
    k = next(s.i for s in t.steps if any(w.label == "g.sched.pc" for w in s.writes))
    pc = next(w.value for w in t.steps[k - 1].writes if w.label == "g.sched.pc")
    return Exercise(
        "goexit_sched",
        "goexit 经 mcall 离开时，mcall 照样把 g.sched.pc 存好了。这个 g 以后还会从这个 pc 继续吗？为什么还要存？",
        f"第 {k} 步 mcall 存下 g.sched.pc = {_name(t, pc)}。但 goexit0 在 g0 上把 gp 改成 _Gdead、清掉它的 m 和各种字段，"
        "再用 gfput 放进空闲 g 的列表；以后 newproc1 从 gfget 取出它时，先把 newg.sched 整个清零，"
        "再设 pc = goexit + PCQuantum。所以这次存下的 pc 永远不会被 gogo 用到。"
        "mcall 还是要存，因为 mcall 不知道 fn 是谁：它的约定就是存好 g 的 PC/SP，由 fn 决定以后怎么处理这个 g。",
        ("proc.go:3476", "proc.go:3484", "proc.go:3524", "proc.go:4146-4149", "stubs.go:26-33"),
        ("goexit:normal", k),
    )


def cpu_vendor() -> Exercise:
    rec = api.run("rt0_go")
    emu = api.run("rt0_go", cpu="unicorn")
    k = _step(emu, "MOVB\t$1, runtime·isIntel(SB)")
    return Exercise(
        "cpu_vendor",
        "把 CPUID 换成 Unicorn 模拟的 CPU（cpu = unicorn）再跑，rt0_go 多执行了什么？为什么步数会变？",
        f"录制的机器回答 AuthenticAMD，rt0_go 比较 \"Genu\" 不等，直接跳到 notintel，一共 {len(rec.steps)} 步。"
        f"Unicorn 模拟的 CPU 回答 GenuineIntel：三次比较都相等，第 {k} 步 <code>MOVB $1, runtime·isIntel(SB)</code>，"
        f"一共 {len(emu.steps)} 步。rt0_go 只是记下厂商，之后 cpuflags_amd64.go 用 isIntel 判断是不是某代 Intel 处理器，"
        "决定 memmove 用不用 AVX。同一段汇编在不同的 CPU 上走不同的路，所以本书的世界默认按录制 gdb 参考的那台机器回答 CPUID，"
        "这样才能和真实运行逐条对照。",
        ("asm_amd64.s:177-194", "cpuflags_amd64.go:15-23"),
        ("rt0_go:normal", _step(rec, "CMPL\tBX, $0x756E6547")),
    )


ALL = (rt0_probe, rt0_r14, rt0_tls_g0, g0_bounds, goexit_sched, cpu_vendor)
