"""The map of every switch: one row per registered routine, every cell computed from its run.

The rows come from the family registry (a routine another family registers later gets its row
without an edit here); the cells from each preset's trace: the stacks SP is on, the gobufs the run
writes and reads, the steps where TLS g and R14 change; the callers from the installed Go source;
the link from the chapters' own `show(...)` cells.
"""
from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

from .. import api
from ..machine.operands import accesses
from ..machine.trace import Trace
from ..scenario import family
from . import gosource

ROOT = Path(__file__).resolve().parents[2]
GOBUF = re.compile(r"^(\w+\.(?:sched|morebuf))\.(\w+)$")
STACK_NAMES = {"g": "g 栈", "g2": "g2 栈", "g0": "g0 栈", "gsignal": "gsignal 栈", "thread": "线程栈",
               "os": "OS 栈（g0 的栈）", "g-old": "g 的旧栈", "g-new": "g 的新栈"}
MAX_CALLERS = 4


@dataclass(frozen=True)
class Change:
    step: int
    value: str  # what the register or TLS slot now holds, by name


@dataclass(frozen=True)
class Row:
    routine: str
    preset: str
    title: str
    stacks: tuple[str, ...]  # owners of the stack SP is on, in order, repeats collapsed
    switch_step: int  # first step whose SP is on another stack than the entry's (else 1)
    writes: tuple[tuple[str, tuple[str, ...], int], ...]  # (gobuf, fields, first step)
    reads: tuple[tuple[str, tuple[str, ...], int], ...]
    tls: tuple[Change, ...]
    r14: tuple[Change, ...]
    end: str  # the end's Chinese summary
    end_kind: str
    symbol: str  # the runtime symbol of its listing, '' for a composed scenario
    through: tuple[str, ...]  # the runtime routines a run passes through, in order
    callers: tuple[gosource.Site, ...]


def _owner(t: Trace, sp: int) -> str:
    for owner, lo, hi in t.stacks:
        if lo <= sp <= hi:
            return owner
    return "?"


def _name(t: Trace, v: int) -> str:
    if v == 0:
        return "0"
    return t.labels.get(v, f"{v:#x}")


def _changes(t: Trace, value) -> tuple[Change, ...]:
    out = []
    for k in range(1, len(t.steps) + 1):
        if value(k) != value(k - 1):
            out.append(Change(k, _name(t, value(k))))
    return tuple(out)


def _grouped(hits: list[tuple[int, str]]) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """[(step, 'g.sched.pc'), ...] -> (('g.sched', ('pc', 'sp'), first step), ...) in first-seen order."""
    order: dict[str, tuple[list[str], int]] = {}
    for k, label in hits:
        m = GOBUF.match(label)
        if not m:
            continue
        fields, first = order.setdefault(m[1], ([], k))
        if m[2] not in fields:
            fields.append(m[2])
    return tuple((buf, tuple(f), k) for buf, (f, k) in order.items())


def gobuf_writes(t: Trace) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    return _grouped([(s.i, w.label) for s in t.steps for w in s.writes])


def gobuf_reads(t: Trace) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """The gobuf words each instruction reads (decoded from its bytes and the registers before it)."""
    labels = {a: lab for a, _, lab in t.memory}
    hits = []
    for s in t.steps:
        if not s.bytes:  # a kernel step
            continue
        for kind, addr, _size in accesses(s.bytes, s.pc, t.regs_at(s.i - 1), 0):
            if kind == "read" and addr in labels:
                hits.append((s.i, labels[addr]))
    return _grouped(hits)


def _symbol(routine: str) -> str:
    for sym in family.listing_files():
        if _bare(sym) == routine:
            return sym
    return ""


def _bare(sym: str) -> str:
    return sym.split("·")[-1].removesuffix("<>")


def row(routine: str, preset: str | None = None) -> Row:
    preset = preset or next(iter(family.presets_of(routine)))
    t = api.run(routine, preset)
    owners = [_owner(t, t.regs_at(k)["rsp"]) for k in range(len(t.steps) + 1)]
    seq = tuple(o for k, o in enumerate(owners) if k == 0 or o != owners[k - 1])
    switch = next((k for k, o in enumerate(owners) if o != owners[0]), 1)
    listed = set(family.listing_files())
    through = tuple(dict.fromkeys(s.routine for s in t.steps if s.routine in listed))
    sym = _symbol(routine)
    return Row(
        routine=routine, preset=preset, title=family.routine(routine).title, stacks=seq,
        switch_step=max(switch, 1), writes=gobuf_writes(t), reads=gobuf_reads(t),
        tls=_changes(t, t.tls_at), r14=_changes(t, lambda k: t.regs_at(k)["r14"]),
        end=t.end.summary, end_kind=t.end.kind, symbol=sym, through=through,
        callers=(gosource.sites(_bare(sym), sym.endswith("<>"))
                 + gosource.compiler_sites(_bare(sym))) if sym else (),
    )


def rows() -> tuple[Row, ...]:
    """One row per registered routine, its first preset, in registration order."""
    return tuple(row(r) for r in family.routines())


# Where each routine's stepper is: the chapters' own show(...) cells -----------------------------

def chapters() -> tuple[str, ...]:
    """The notebook stems in the table of contents, in reading order ('' outside a checkout)."""
    toc = ROOT / "_toc.yml"
    if not toc.is_file():
        return ()
    return tuple(re.findall(r"^\s*(?:root|-\s*file):\s*notebooks/([\w.-]+)\s*$", toc.read_text("utf-8"), re.M))


def shown_in(stem: str) -> tuple[str, ...]:
    """The routines whose steppers a notebook shows (its `show("routine", ...)` cells)."""
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    return _shown(str(path), path.stat().st_mtime if path.is_file() else 0)


@cache
def _shown(path: str, _mtime: float) -> tuple[str, ...]:
    try:
        cells = json.loads(Path(path).read_text("utf-8"))["cells"]
    except OSError:
        return ()
    out = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(c["source"]))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "show"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                out.append(node.args[0].value)
    return tuple(dict.fromkeys(out))


def stepper_pages(exclude: str = "") -> dict[str, str]:
    """routine -> the first chapter (stem) that shows its stepper, `exclude` (this page) left out."""
    out: dict[str, str] = {}
    known = set(family.routines())
    for stem in chapters():
        if stem == exclude:
            continue
        for r in shown_in(stem):
            if r in known:
                out.setdefault(r, stem)
    return out


def href(stem: str, key: str, step: int) -> str:
    """A step link: the site's `page.html#routine:preset:step`; in Lab the notebook itself."""
    if not stem:
        return f"#{key}:{step}"
    if os.environ.get("GOSCHED_BOOK_SITE") == "1":
        return f"{stem}.html#{key}:{step}"
    return f"{stem}.ipynb"


# HTML -------------------------------------------------------------------------------------------

def _c(text: str) -> str:
    """An identifier that never breaks inside itself."""
    return f"<code class='tok'>{escape(text)}</code>"


def _prose(text: str) -> str:
    """Escaped prose whose hyphenated tokens ("m->g0" in Go's own message) do not break at the hyphen."""
    return re.sub(r"[!-~]*-[!-~]*", lambda m: f"<span class='tok'>{m[0]}</span>", escape(text, quote=False))


def _bufs(items) -> str:
    if not items:
        return "—"
    return "<br>".join(f"{_c(buf)}：{'、'.join(_c(f) for f in fields)}（第 {k} 步起）"
                       for buf, fields, k in items)


def _changes_html(ch: tuple[Change, ...]) -> str:
    if not ch:
        return "不变"
    return "<br>".join(f"第 {c.step} 步 → {_c(c.value)}" for c in ch)


def _callers(r: Row) -> str:
    if not r.symbol:
        return "本书的组合场景，经过 " + "、".join(_c(s) for s in r.through)
    if not gosource.available():
        return "（Go 源码未安装）"
    if not r.callers:
        return "源码里没有直接的调用点"
    by: dict[str, list[gosource.Site]] = {}
    for s in r.callers:
        by.setdefault(s.caller, []).append(s)
    how = {"call": "", "asm": "", "ref": "取地址", "compiler": "编译器插入"}
    items = []
    for caller, ss in list(by.items())[:MAX_CALLERS]:
        tag = how[ss[0].how]
        where = f"{ss[0].file}:{ss[0].line}"
        items.append(f"{_c(caller)}{'（' + tag + '）' if tag else ''} <span class='where'>{escape(where)}</span>")
    more = len(by) - MAX_CALLERS
    tail = f"<br>……另 {more} 个函数" if more > 0 else ""
    return "<br>".join(items) + tail + f"<br><span class='where'>共 {len(r.callers)} 处</span>"


def _stacks(r: Row) -> str:
    return " → ".join(escape(STACK_NAMES.get(o, o)) for o in r.stacks)


def table_html(here: str = "") -> str:
    """The map as HTML; `here` is this page's stem (its own steppers are linked in-page)."""
    pages = stepper_pages(exclude=here)
    head = ["例程", "栈：从 → 到", "写哪些 gobuf", "读哪些 gobuf", "TLS g 何时变", "R14 何时变", "谁调用它", "结束"]
    trs = []
    for r in rows():
        key = f"{r.routine}:{r.preset}"
        stem = pages.get(r.routine, "")
        link = href(stem, key, r.switch_step)
        where = f"第 {r.switch_step} 步" if len(r.stacks) > 1 else "第 1 步"
        others = "、".join(f"<a href='{escape(href(stem, f'{r.routine}:{p}', 1), quote=True)}'>{_c(p)}</a>"
                           for p in family.presets_of(r.routine) if p != r.preset)
        first = (f"<a href='{escape(link, quote=True)}'>{_c(r.routine)}</a>"
                 f"<div class='sub'>场景 {_c(r.preset)}，{where}"
                 f"{'，在 ' + _c(stem) + ' 页' if stem else '，在本页'}</div>"
                 + (f"<div class='sub'>其他场景：{others}</div>" if others else ""))
        cells = [first, _stacks(r), _bufs(r.writes), _bufs(r.reads), _changes_html(r.tls),
                 _changes_html(r.r14), _callers(r), _prose(r.end)]
        trs.append("<tr>" + f"<th scope='row'>{cells[0]}</th>" + "".join(f"<td>{c}</td>" for c in cells[1:]) + "</tr>")
    th = "".join(f"<th scope='col'>{escape(h)}</th>" for h in head)
    return (f"<div class='gsb-map' tabindex='0' role='region' aria-label='栈切换总表（可左右滚动）'>"
            f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(trs)}</tbody></table></div>")


def unlinked(here: str = "") -> tuple[str, ...]:
    """Routines no other chapter shows a stepper for: this page shows them itself."""
    pages = stepper_pages(exclude=here)
    return tuple(r for r in family.routines() if r not in pages)


def table(here: str = ""):
    from .book import _html

    return _html(table_html(here))


# What the table shows at a glance, computed from the same rows ------------------------------------

def patterns(rs: tuple[Row, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """Routine names grouped by what their first preset's run does (the map's recurring shapes)."""
    rs = rs if rs is not None else rows()
    writes = lambda r, buf: any(b == buf for b, _, _ in r.writes)  # noqa: E731
    reads = lambda r, buf: any(b == buf for b, _, _ in r.reads)  # noqa: E731
    return {
        "writes_g0_sched": tuple(r.routine for r in rs if writes(r, "g0.sched")),
        "reads_g0_sched": tuple(r.routine for r in rs if reads(r, "g0.sched") and not writes(r, "g0.sched")),
        "tls_not_r14": tuple(r.routine for r in rs if r.tls and not r.r14),
        "r14_before_tls": tuple(r.routine for r in rs if r.tls and r.r14 and r.r14[0].step < r.tls[0].step),
        "tls_before_r14": tuple(r.routine for r in rs if r.tls and r.r14 and r.tls[0].step < r.r14[0].step),
        "no_switch": tuple(r.routine for r in rs if len(r.stacks) == 1),
    }


PATTERN_TEXT = (
    ("reads_g0_sched", "只读 g0.sched（装进 SP），不写它"),
    ("writes_g0_sched", "写 g0.sched"),
    ("r14_before_tls", "先改 R14，再改 TLS g"),
    ("tls_before_r14", "先改 TLS g，再改 R14"),
    ("tls_not_r14", "改了 TLS g，R14 却不变"),
    ("no_switch", "SP 始终在一条栈上"),
)


def summary():
    """The recurring shapes as notebook HTML."""
    from .book import _html

    p = patterns()
    items = "".join(f"<li>{escape(text)}：{'、'.join(_c(r) for r in p[k]) or '（没有）'}</li>"
                    for k, text in PATTERN_TEXT)
    return _html(f"<ul>{items}</ul>")


def steppers(here: str) -> None:
    """Show, on this page, the stepper of each routine no chapter shows (the map links to them)."""
    from IPython.display import display

    from ..views.stepper import show

    for r in unlinked(here):
        display(show(r))


def presets_html(here: str = "") -> str:
    """Every preset of every routine: where SP goes and how the run ends, each linked to its stepper."""
    pages = stepper_pages(exclude=here)
    trs = []
    for routine in family.routines():
        stem = pages.get(routine, "")
        for name, p in family.presets_of(routine).items():
            t = api.run(routine, name)
            owners = [_owner(t, t.regs_at(k)["rsp"]) for k in range(len(t.steps) + 1)]
            seq = [o for k, o in enumerate(owners) if k == 0 or o != owners[k - 1]]
            link = href(stem, f"{routine}:{name}", max(1, len(t.steps)))
            trs.append(f"<tr><th scope='row'><a href='{escape(link, quote=True)}'>{_c(routine)}<wbr>{_c(':' + name)}</a></th>"
                       f"<td>{escape(p.title)}</td><td>{' → '.join(escape(STACK_NAMES.get(o, o)) for o in seq)}</td>"
                       f"<td>{len(t.steps)}</td><td>{_prose(t.end.summary)}</td></tr>")
    th = "".join(f"<th scope='col'>{h}</th>" for h in ("场景", "做什么", "栈", "步数", "结束"))
    return (f"<div class='gsb-map' tabindex='0' role='region' aria-label='每个场景（可左右滚动）'>"
            f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(trs)}</tbody></table></div>")


def presets(here: str = ""):
    from .book import _html

    return _html(presets_html(here))
