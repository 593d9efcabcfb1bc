"""The gobuf ledger: which routine writes, reads and clears each gobuf and m.morebuf field.

Computed from traces: writes are the trace's memory writes; reads are the memory operands of
each executed instruction (decoded with iced-x86), resolved with the registers before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape

from iced_x86 import Decoder, InstructionInfoFactory, OpAccess, Register

from .. import api
from ..runtime.layout import fields
from ..scenario.family import PRESETS
from ..machine.trace import Trace

GOBUF = tuple(name for name, _, _ in fields("gobuf"))
_READS = {OpAccess.READ, OpAccess.COND_READ, OpAccess.READ_WRITE, OpAccess.READ_COND_WRITE}
_REG = {getattr(Register, r.upper()): r for r in
        ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
         "r12", "r13", "r14", "r15")}
_INFO = InstructionInfoFactory()


@dataclass(frozen=True)
class Access:
    scenario: str  # routine:preset
    step: int  # 1-based
    routine: str  # who executed the instruction
    field: str  # "g.sched.pc", "m.morebuf.sp" ...
    kind: str  # "write", "clear" or "read"
    value: int


@dataclass(frozen=True)
class Row:
    field: str  # "sched.pc" or "morebuf.pc"
    writes: tuple[str, ...]
    reads: tuple[str, ...]
    clears: tuple[str, ...]
    first: dict  # kind -> the first Access seen, for a stepper link


def _gobuf_labels(t: Trace) -> dict[int, str]:
    """Address -> label of every gobuf word in the world (any g's sched, and m.morebuf)."""
    out = {}
    for addr, _, lab in t.memory:
        parts = lab.split(".")
        if len(parts) == 3 and parts[1] in ("sched", "morebuf") and parts[2] in GOBUF:
            out[addr] = lab
    return out


def _fs_base(t: Trace) -> int:
    return next(a for a, _, lab in t.memory if lab == "TLS g") + 8


def reads_of(t: Trace, k: int) -> list[int]:
    """Addresses step k (1-based) read from memory, from its decoded operands."""
    s = t.steps[k - 1]
    regs = t.regs_at(k - 1)
    ins = Decoder(64, s.bytes, ip=s.pc).decode()
    out = []
    for um in _INFO.info(ins).used_memory():
        if um.access not in _READS:
            continue
        if um.base == Register.RIP:
            addr = s.pc + len(s.bytes) + um.displacement_i64
        else:
            addr = regs[_REG[um.base]] if um.base in _REG else 0
            if um.index in _REG:
                addr += regs[_REG[um.index]] * um.scale
            addr += um.displacement_i64
        if um.segment == Register.FS:
            addr += _fs_base(t)
        out.append(addr & ((1 << 64) - 1))
    return out


def accesses(t: Trace) -> list[Access]:
    """Every read, write and clear of a gobuf word in one trace, in order."""
    labels = _gobuf_labels(t)
    key = f"{t.routine}:{t.scenario}"
    out = []
    for s in t.steps:
        for a in reads_of(t, s.i):
            if a in labels:
                out.append(Access(key, s.i, s.routine, labels[a], "read", t.memory_at(s.i - 1).get(a, 0)))
        for w in s.writes:
            lab = labels.get(w.addr)
            if lab:
                out.append(Access(key, s.i, s.routine, lab, "clear" if w.value == 0 else "write", w.value))
    return out


def short(routine: str) -> str:
    return routine.replace("runtime·", "")


def _who(seen: list[Access], owners: bool) -> tuple[str, ...]:
    """Each routine once, in order of first appearance, with whose gobuf it touched: `mcall（g0）`."""
    out: dict[str, list[str]] = {}
    for a in seen:
        whose = out.setdefault(short(a.routine), [])
        g = a.field.split(".")[0]
        if g not in whose:
            whose.append(g)
    return tuple(f"{r}（{'、'.join(gs)}）" if owners else r for r, gs in out.items())


# The runs that go the way the runtime intends (no bad* events, faults or aborts).
NORMAL = (("mcall", "normal"), ("systemstack", "normal"), ("systemstack", "on_g0"),
          ("gosave_systemstack_switch", "normal"), ("gogo", "normal"), ("gogo", "g0"),
          ("gogo", "newg"), ("gogo", "after_newstack"), ("gogo", "recover"),
          ("morestack", "noctxt"), ("morestack", "closure"), ("schedule", "switch"),
          ("roundtrip", "normal"))


@cache
def ledger(scenarios: tuple[tuple[str, str], ...] = NORMAL) -> tuple[Row, ...]:
    """One row per gobuf field (sched.* then morebuf.*), over the given presets."""
    for r, p in scenarios:
        if p not in PRESETS.get(r, {}):
            raise KeyError(f"no preset {r}:{p}")
    seen: list[Access] = []
    for r, p in scenarios:
        seen += accesses(api.run(r, p))
    rows = []
    for struct in ("sched", "morebuf"):
        for f in GOBUF:
            mine = [a for a in seen if a.field.split(".", 1)[1] == f"{struct}.{f}"]
            by = {k: _who([a for a in mine if a.kind == k], struct == "sched")
                  for k in ("write", "read", "clear")}
            first = {k: next(a for a in mine if a.kind == k) for k in by if by[k]}
            rows.append(Row(f"{struct}.{f}", by["write"], by["read"], by["clear"], first))
    return tuple(rows)


ON_THIS_PAGE = ("gogo", "morestack", "schedule")  # routines whose steppers the chapter carries
_KIND = {"write": "写入", "read": "读取", "clear": "清零"}


def _where(a: Access) -> str:
    routine = a.scenario.split(":")[0]
    text = f"{a.scenario} 第 {a.step} 步"
    return f"<a href='#{a.scenario}:{a.step}'>{text}</a>" if routine in ON_THIS_PAGE else text


def table_html(scenarios: tuple[tuple[str, str], ...] = NORMAL) -> str:
    """The ledger as an HTML table: one row per field, one column per kind of access."""
    rows = ledger(scenarios)
    out = []
    for r in rows:
        cells = []
        for kind, who in (("write", r.writes), ("read", r.reads), ("clear", r.clears)):
            if not who:
                cells.append("<td>—</td>")
                continue
            ex = r.first[kind]
            cells.append(f"<td>{escape('；'.join(who))}<br><small>例：{_where(ex)}</small></td>")
        out.append(f"<tr><td><code>{r.field}</code></td>{''.join(cells)}</tr>")
    head = "<tr><th>字段</th>" + "".join(f"<th>{v}</th>" for v in _KIND.values()) + "</tr>"
    used = "、".join(f"{r}:{p}" for r, p in scenarios)
    return (f"<table class='gsb-regs'>{head}{''.join(out)}</table>"
            f"<p><small>统计的场景（{len(scenarios)} 个）：{escape(used)}</small></p>")


def table():
    """The ledger as notebook HTML."""
    from .book import _html

    return _html(table_html())
