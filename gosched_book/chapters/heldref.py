"""A preset held against its gdb recording, as the chapters show it: the counts, what the recording
ran under a breakpoint, and every step that differs with its reason.

The comparison itself is refcompare.compare; this module only says it in the chapters' words. Each
chapter module keeps its own table of Recorded (the routines paired, the symbols both runs name,
the reasons); a difference without a reason raises KeyError, and the tests run every entry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from .. import api
from ..machine.core import G_ADDR, STACKS
from ..runtime.layout import flat_fields, offsetof
from ..runtime.recorded import load
from ..views.picture import role_zh
from .refcompare import compare, pair_steps

TLS0 = "m.tls[0]"


@dataclass(frozen=True)
class Recorded:
    """How one preset is held against its recording: the book's routines paired with the recorded
    symbols, the symbols both runs name, why each differing step differs (by recorded symbol+offset,
    or rt_sigframe field for the kernel's entry), and what each function the recording skipped did,
    in Chinese (by the skipped entry's symbol)."""

    routines: dict
    symbols: dict
    reasons: dict
    skipped: dict
    # Stacks compared by distance from an anchor instead of from their top, where the book's world
    # starts at another depth than the recorded program: stack -> "entry" (SP before the first
    # compared instruction) or "gobuf" (that g's sched.sp at the start).
    anchors: dict = field(default_factory=dict)
    prefix: bool = False  # the book's run stops earlier (at a stand-in): it pairs with the recording's start
    recording: str = ""  # the reference's name when it is not "routine.preset"


@dataclass(frozen=True)
class Held:
    steps: int  # the recording's entries paired with the book's steps
    same: int  # of them, equal in everything compared
    differ: tuple[tuple[int, str, str, str], ...]  # (book step, recorded place, what, why)
    skipped: tuple[str, ...]  # what the recording ran under a breakpoint, in Chinese
    kernel: bool  # whether a kernel entry (signal delivery) is among the pairs


def held(routine: str, preset: str, r: Recorded) -> Held:
    """routine:preset against its recording, every difference with its reason."""
    return _held(api.run(routine, preset), load(r.recording or f"{routine}.{preset}"), r)


def _held(t, rec, r: Recorded) -> Held:
    out, same, kernel = [], 0, False
    pairs = compare(t, rec, r.routines, r.symbols, anchored(t, rec, r), r.prefix)
    for p in pairs:
        kernel = kernel or p.entry.kind == "kernel"
        if not p.problems:
            same += 1
        elif p.entry.kind == "kernel":
            out += [(p.k, "内核：rt_sigframe", f, r.reasons[f]) for f in sorted(p.frame_fields())]
        else:
            out.append((p.k, p.entry.sym, "；".join(pretty(x) for x in p.problems), r.reasons[p.entry.sym]))
    end = pairs[-1].entry.index if r.prefix else len(rec.entries)  # a prefix: what the book's run reaches
    skipped = tuple(r.skipped[skip_key(e.sym)] for e in rec.entries[:end] if e.kind == "skipped")
    return Held(same + len({k for k, *_ in out}), same, tuple(out), skipped, kernel)


def _anchor(t, rec, r: Recorded, who: str) -> tuple[int, int, str]:
    """(book value, recorded value, what it is) of the anchor of stack `who`."""
    if r.anchors[who] == "entry":
        k, e = pair_steps(t, rec, r.routines, r.prefix)[0]
        return t.regs_at(k - 1)["rsp"], e.regs_before["rsp"], "对照开始时的 SP"
    sp = G_ADDR[who] + offsetof("g", "sched") + offsetof("gobuf", "sp")
    real = rec.entries[0].mem_before[rec.structures[who] + (sp - G_ADDR[who])]
    return t.memory_at(0)[sp], real, f"{who}.sched.sp"


def _book_stack(t, who: str) -> tuple[int, int]:
    """(lo, hi) of the book's stack of `who` in this run (g-old when the run grows g's stack)."""
    return next(((lo, hi) for o, lo, hi in t.stacks if o == who or o.startswith(who + "-")), STACKS[who])


def anchored(t, rec, r: Recorded) -> dict[str, tuple[int, int]]:
    """The book's stacks as compare should name them so that a word's distance from the anchor,
    not from the stack's top, is what must agree: each anchored stack's top moved to
    book anchor + (recorded top - recorded anchor)."""
    out = {}
    for who in r.anchors:
        book, real, _ = _anchor(t, rec, r, who)
        out[who] = (_book_stack(t, who)[0], book + (rec.stack(who)[1] - real))
    return out


def depths(t, rec, r: Recorded) -> str:
    """The anchors in words: '对照开始时的 SP 离 g 栈顶：本书 0x80，录制 0x178'."""
    parts = []
    for who in r.anchors:
        book, real, what = _anchor(t, rec, r, who)
        parts.append(f"{what} 离 {who} 栈顶：本书 {_book_stack(t, who)[1] - book:#x}，录制 {rec.stack(who)[1] - real:#x}")
    return "；".join(parts)


def skip_key(sym: str) -> str:
    """A skipped function's symbol as Recorded.skipped names it: cgo's per-package hash elided
    (`_cgo_b10bf94aabc2_Cfunc_add+0x0` -> `_cgo_…_Cfunc_add+0x0`), so a new recording keeps its key."""
    return re.sub(r"^_cgo_[0-9a-f]+_", "_cgo_…_", sym)


def pretty(problem: str) -> str:
    """A comparer's note in the chapters' words: 'g 栈 hi-0x178：本书 0x2，真实 0x306'."""
    def where(m: re.Match) -> str:
        kind, who, off = m.group(1), m.group(2), m.group(3)
        if kind == "stack":
            return f"{who} 栈 {who}.stack.lo" if off == "'lo'" else f"{who} 栈 hi-{int(off):#x}"
        if (who, int(off)) == ("m", offsetof("m", "tls")):
            return TLS0
        struct = "m" if who == "m" else "g"
        name = next((n for n, o, _ in flat_fields(struct) if o == int(off)), None)
        return f"{who}.{name}" if name else f"{who}+{int(off):#x}"
    text = re.sub(r"mem \('(stack|obj)', '(\w+)', ('lo'|\d+)\):\s*", lambda m: where(m) + "：", problem)
    text = re.sub(r"^bytes (\S+) != (\S+)$", r"字节：本书 \1，真实 \2", text)
    return re.sub(r"([^\s：]+) vs (\S+)$", r"本书 \1，真实 \2", text)


def reference_table(routine: str, preset: str, r: Recorded):
    """The comparison as a chapter shows it."""
    from .book import _html, _table

    t, rec = api.run(routine, preset), load(r.recording or f"{routine}.{preset}")
    h = _held(t, rec, r)
    head = (f"<p>与真实运行时（Go 1.19.8，gdb 单步录制）逐步对照：本书运行真实指令"
            f"{'（和内核投递）' if h.kernel else ''}的 {h.steps} 步里，{h.same} 步完全一致"
            "（偏移、字节、SP、TLS g、改写的寄存器和内存字）。"
            + ("录制的运行比本书的长，只对照开头这一段。" if r.prefix else "")
            + (f"两边的栈深不同（{escape(depths(t, rec, r))}），"
               "所以这些栈上的地址按离这个位置的距离比较。" if r.anchors else "")
            + "录制里在断点下整段跑过、本书用替身代替的代码："
            + ("无。</p>" if not h.skipped else
               "</p><ul>" + "".join(f"<li>{escape(x)}</li>" for x in h.skipped) + "</ul>"))
    if not h.differ:
        return _html(head + "<p>没有不同之处。</p>")
    rows = [[str(k), f"<code>{escape(sym)}</code>",
             escape(role_zh(what) if sym.startswith("内核") else what), escape(why)]
            for k, sym, what, why in h.differ]
    return _html(head + _table(["本书的步", "录制里的位置", "不同之处", "原因"], rows, "gsb-regs mono gsb-ref"))
