"""HTML fragments of a State for the live view. Every value is escaped."""
from __future__ import annotations

from html import escape
from importlib import resources

from ..scenario.family import PRESETS, ROUTINE_TITLES
from ..machine.trace import Trace, flag_text
from .listing import rows
from .model import END_TITLES, State

CSS = "<style>" + (resources.files(__package__) / "static" / "stepper.css").read_text("utf-8") + "</style>"


# The listing's window around the current row, in screen lines (a row whose source or Intel text
# wraps in its column counts as several): with the dock and the registers it fits a laptop screen.
WINDOW_BEFORE, WINDOW_AFTER = 6, 8
CODE_COLUMN, INTEL_COLUMN = 30, 18  # characters (a CJK character counts 2) before a cell wraps in Lab


def _width(text: str) -> int:
    return sum(2 if "\u2e80" <= c <= "\uffef" else 1 for c in text)


def screen_lines(r) -> int:
    """About how many screen lines listing row `r` takes in Lab's listing column."""
    return max(1, -(-_width(r.text.strip()) // CODE_COLUMN), -(-_width(r.note or r.intel or "") // INTEL_COLUMN))


def window(all_rows: list, current: int, before: int = WINDOW_BEFORE, after: int = WINDOW_AFTER) -> list:
    """The rows around all_rows[current]: about `before` screen lines above it and `after` below."""
    lo, used = current, 0
    while lo > 0 and used + screen_lines(all_rows[lo - 1]) <= before:
        lo -= 1
        used += screen_lines(all_rows[lo])
    hi, used = current + 1, 0
    while hi < len(all_rows) and used + screen_lines(all_rows[hi]) <= after:
        used += screen_lines(all_rows[hi])
        hi += 1
    return all_rows[lo:hi]


def changed_note(overrides: dict | None) -> str:
    """`（已修改：entry_sp = 0x…）` for a scenario's explicit fields, or '' (plain text)."""
    if not overrides:
        return ""
    def one(k, v) -> str:
        if k == "patch":  # a tuple of Patch
            return "；".join(p.describe() for p in v)
        return f"{k} = {v:#x}" if isinstance(v, int) and not isinstance(v, bool) else f"{k} = {v}"

    items = "，".join(one(k, v) for k, v in overrides.items())
    return f"（已修改：{items}）"


def _control_labels(routine: str) -> dict[str, str]:
    """control name -> its short Chinese label ("当前 g", "入口 SP"), the part before any （…）."""
    from ..whatif.controls import controls

    out: dict[str, str] = {}
    for p in PRESETS[routine]:
        for c in controls(routine, p):
            out.setdefault(c.name, c.label.split("（")[0].strip() or c.label)
    return out


def run_note(overrides: dict | None, routine: str) -> str:
    """changed_note in the words the controls use: `（已改：当前 g = g0，入口 SP = 0x…）`."""
    if not overrides:
        return ""
    names = _control_labels(routine)

    def one(k, v) -> str:
        if k == "patch":
            return "；".join(p.describe() for p in v)
        if v is True:
            return names.get(k, k)
        shown = f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) else ("否" if v is False else v)
        return f"{names.get(k, k)} = {shown}"

    return "（已改：" + "，".join(one(k, v) for k, v in overrides.items()) + "）"


def title(t: Trace, overrides: dict | None = None) -> str:
    preset = PRESETS[t.routine][t.scenario]
    return (f"<div class='gsb-title'><b>{escape(ROUTINE_TITLES[t.routine])}</b>"
            f" — 场景 <code>{escape(t.scenario)}</code>：{escape(preset.title)}"
            f"{escape(run_note(overrides, t.routine))}</div>")


def status(st: State) -> str:
    """The step announced as text (not only as colour)."""
    if st.step is None:
        what = "尚未执行任何指令"
    else:
        what = f"刚执行 {escape(st.step.routine)}: <code>{escape(st.step.plan9)}</code>"
    return (f"<div class='gsb-status' role='status' aria-live='polite' data-part='controls'>"
            f"第 {st.k} / {st.n} 步：{what}</div>")


def listing(st: State, patch: tuple = (), before: int = WINDOW_BEFORE, after: int = WINDOW_AFTER) -> str:
    """The window of the current listing around the current row (about `before` screen lines above
    it, `after` below: window()); patched lines marked."""
    file = st.file
    if not file:
        return "<div class='gsb-listing'>（此处没有源码）</div>"
    done = st.step.line if st.step and st.step.file == file else 0
    nxt = st.next_line if st.next_file == file else 0
    # A widget cannot scroll itself, so show a window of rows around the current one (the current
    # instruction: one row of a macro's expansion, which may be eight rows of one source line).
    all_rows = rows(file, patch)
    pc, line = (st.step.pc, done) if done else (st.next_pc, nxt)
    exact = any(r.addr == pc for r in all_rows if r.line == line)
    at = next((i for i, r in enumerate(all_rows) if r.line == line and (r.addr == pc or not exact)),
              next((i for i, r in enumerate(all_rows) if r.line >= (line or 1)), 0))
    shown = window(all_rows, at, before, after)
    out = [f"<div class='gsb-listing'><div class='mono' style='color:#667'>{escape(file)}"
           f"（第 {shown[0].line}–{shown[-1].line} 行，共 {len(all_rows)} 行）</div><table>"]
    for r in shown:
        cls = " ".join(c for c, on in (("done", r.line == done), ("next", r.line == nxt),
                                       ("patched", r.patched)) if on)
        code, _, comment = r.text.partition("//")
        cm = f"<span class='cm'>//{escape(comment)}</span>" if _ else ""
        # A line that emits nothing says why across the Intel and bytes columns.
        extra = (f"<td class='in note' colspan='2'>{escape(r.note)}</td>" if r.note else
                 f"<td class='in'>{escape(r.intel)}</td><td class='by'>{escape(r.bytes)}</td>")
        mark = "<span class='gsb-patched' title='本次运行改过的行'>✎改</span>" if r.patched else ""
        current = r.line == line and (r.addr == pc or not exact)
        part = " data-part='current-line'" if current else ""
        out.append(f"<tr class='{cls}'{part}><td class='ln'>{mark}{r.line}</td><td>{escape(code)}{cm}</td>"
                   f"{extra}</tr>")
    out.append("</table></div>")
    return "".join(out)


def _row(name: str, value: str, desc: str, changed: bool, colspan: bool = False) -> str:
    attrs = " class='changed' data-part='changed-reg'" if changed else ""
    if colspan:
        return f"<tr{attrs}><td>{name}</td><td colspan='2'>{value}</td></tr>"
    return f"<tr{attrs}><td>{name}</td><td>{value}</td><td>{escape(desc)}</td></tr>"


def registers(st: State) -> str:
    """The register table; the rows this step changed carry data-part='changed-reg'."""
    out = ["<table class='gsb-regs mono'><tr><th>寄存器</th><th>值</th><th>指向</th></tr>"]
    for r in st.regs:
        old = f"<span class='old'>{r.old:#x}</span> → " if r.changed else ""
        out.append(_row(r.name, f"{old}{r.value:#x}", r.desc, r.changed))
    tls_changed = st.tls_g != st.tls_old
    old = f"<span class='old'>{st.tls_old:#x}</span> → " if tls_changed else ""
    out.append(_row("TLS g", f"{old}{st.tls_g:#x}", _g_name(st), tls_changed))
    fl_changed = flag_text(st.flags) != flag_text(st.flags_old)
    out.append(_row("flags", flag_text(st.flags), "", fl_changed, colspan=True) + "</table>")
    return "".join(out)


def _g_name(st: State) -> str:
    for r in st.regs:
        if r.value == st.tls_g and r.desc:
            return r.desc
    return ""


def writes(st: State) -> str:
    if not st.writes:
        return "<div class='gsb-writes'>本步没有写内存。</div>"
    items = "".join(f"<li><code>{escape(label)}</code> ← <code>{value:#x}</code> {escape(d)}</li>"
                    for label, value, d in st.writes)
    return f"<div class='gsb-writes'>本步写内存：<ul>{items}</ul></div>"


def end(t: Trace, st: State) -> str:
    if not st.finished:
        return ""
    e = t.end
    whatif = "".join(f"<div class='gsb-whatif'>{escape(line)}</div>" for line in t.whatif)
    return (f"<div class='gsb-end {escape(e.kind)}' role='alert' data-part='end'>结束 · {END_TITLES.get(e.kind, e.kind)}："
            f"{escape(e.summary)}{whatif}</div>")


def error(message: str) -> str:
    return f"<div class='gsb-error' role='alert'>出错了：{escape(message)}</div>"
