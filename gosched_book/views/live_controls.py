"""Widgets for the live stepper's scenario controls; each shows the value the trace ran with.

A control never holds state of its own: after every run the stepper calls `show(...)` with the
trace's value, and a reader's change is reported as (field, value) through `on_change`. A value
outside a slider's range is kept, written out in the hex field, and named as out of range.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Callable

import ipywidgets as W

from ..whatif.controls import Control, value_meaning
from ..errors import ScenarioError, chinese
from ..machine.overrides import funcval
from ..scenario.values import check_value
from ..scenario.scenario import Scenario
from ..scenario.values import parse_value
from ..machine.trace import Trace
from ..machine.core import STACKS

Change = Callable[["Control", object], None]
_WIDE = {"description_width": "initial"}


@dataclass(frozen=True)
class Slider:
    """Live slider positions for a word field: position = base - value (or value if base is None)."""
    lo: int
    hi: int
    step: int
    base: Callable[[dict], int] | None  # params -> the address positions count down from
    what: str  # Chinese: what the position measures

    def pos(self, value: int, p: dict) -> int:
        return value if self.base is None else self.base(p) - value

    def value(self, pos: int, p: dict) -> int:
        return pos if self.base is None else self.base(p) - pos


SLIDERS = {
    "entry_sp": Slider(-0x40, 0x400, 8, lambda p: STACKS[p.get("current", "g")][1], "相对当前 g 的 stack.hi"),
    "g0_sched_sp": Slider(0x10, 0x1000, 8, lambda p: STACKS["g0"][1], "相对 g0 的 stack.hi"),
    "max_steps": Slider(1, 400, 1, None, "步数"),
}
# Scenario words no stepper control offers; shown (as a hex field) only when a scenario sets them.
EXTRA_WORDS = {"bp": "入口 BP", "gobuf_ret": "gobuf.ret", "gobuf_ctxt": "gobuf.ctxt",
               "sched_ctxt": "g.sched.ctxt", "entry_sp": "入口 SP", "g0_sched_sp": "g0.sched.sp",
               "max_steps": "步数上限"}


def ran_word(trace: Trace, name: str) -> int:
    """The value a word field had in the run (the world's value where the field was None)."""
    p = trace.params
    if p.get(name) is not None:
        return p[name]
    if name == "entry_sp":
        return trace.initial_regs["rsp"]
    if name == "bp":
        return trace.initial_regs["rbp"]
    return memory_word(trace, "g0.sched.sp" if name == "g0_sched_sp" else name)


def memory_word(trace: Trace, name: str) -> int:
    """A memory word's value before the first step, by its override name (`g.sched.pc`, `tls.g`)."""
    if name == "tls.g":
        return trace.initial_tls_g
    if name == "fn.code":
        addr = funcval(trace.routine)
        return next((v for a, v, _ in trace.memory if a == addr), 0)
    return next((v for _, v, lab in trace.memory if lab == name), 0)


def _fmt(name: str, v) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        return str(v)
    return str(v) if name == "max_steps" else f"{v:#x}"


def word_control(name: str) -> Control:
    """A Control for a scenario word that the routine's controls do not list."""
    return Control(name, "slider", EXTRA_WORDS[name], "", raw=True)


class LiveControl:
    """Common part: the Control it stands for, quiet redraws, and the change callback."""

    def __init__(self, control: Control, on_change: Change) -> None:
        self.control, self._on_change, self._hush = control, on_change, False

    @property
    def name(self) -> str:
        return self.control.name

    def _emit(self, value) -> None:
        if not self._hush:
            self._on_change(self.control, value)

    def _parse(self, text: str, as_override: bool):
        """Typed text -> a value, or the ScenarioError saying what is wrong (sent as the value)."""
        try:
            v = parse_value(self.name, text)
            if as_override:
                return check_value(self.name, v)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ScenarioError(f"{self.control.label}：{text!r} 不是一个数；请填十六进制（0x…）或十进制")
            return v
        except ScenarioError as e:  # the Chinese UI shows the Chinese message
            return ScenarioError(chinese(e))


class WordControl(LiveControl, W.HBox):
    """A word field: a slider over a sensible range (if any), and a text field for any value."""

    def __init__(self, control: Control, on_change: Change) -> None:
        LiveControl.__init__(self, control, on_change)
        self.spec = SLIDERS.get(control.name)
        self.text = W.Text(description=control.label, continuous_update=False, style=_WIDE,
                           tooltip=control.help, layout=W.Layout(width="250px"))
        self.note = W.HTML()
        kids = [self.text]
        if self.spec:
            self.slider = W.IntSlider(min=self.spec.lo, max=self.spec.hi, step=self.spec.step,
                                      readout_format="#x" if self.spec.base else "d",
                                      continuous_update=False, description=self.spec.what,
                                      style=_WIDE, layout=W.Layout(width="380px"))
            self.slider.observe(lambda ch: self._emit(self.spec.value(ch["new"], self._params)), names="value")
            kids.append(self.slider)
        self.text.observe(lambda ch: self._emit(self._parse(ch["new"], False)), names="value")
        self._params: dict = {}
        W.HBox.__init__(self, kids + [self.note], layout=W.Layout(flex_flow="row wrap", align_items="center"))
        self.add_class("gsb-word")

    def show(self, s: Scenario, t: Trace) -> None:
        """Display the value the run used (no callbacks)."""
        value, p = ran_word(t, self.name), t.params
        self._params = p
        self._hush = True
        try:
            self.text.value = _fmt(self.name, value)
            out = ""
            if self.spec:
                pos = self.spec.pos(value, p)
                inside = self.spec.lo <= pos <= self.spec.hi
                self.slider.value = min(max(pos, self.spec.lo), self.spec.hi)
                self.slider.readout = inside
                if inside:
                    self.slider.remove_class("gsb-out")
                else:
                    self.slider.add_class("gsb-out")
                    out = (f"实际值 {_fmt(self.name, value)} 在滑块范围之外（{self.spec.what} "
                           f"{_fmt(self.name, self.spec.lo)}…{_fmt(self.name, self.spec.hi)}），照原样保留；"
                           f"拖动滑块才会改成滑块上的值")
            parts = [] if getattr(s, self.name) is not None else ["预设值"]
            if self.name == "entry_sp":
                owner = p.get("current", "g")
                lo, hi = STACKS[owner]
                off = hi - value
                rel = f"− {off:#x}" if off >= 0 else f"+ {-off:#x}"
                where = "（stack.hi 之上，未映射）" if value >= hi else "（stack.lo 之下，越界）" if value < lo else ""
                parts.append(f"= {owner} stack.hi {rel}{where}")
            if out:
                parts.append(out)
            self.note.value = f"<span class='gsb-note'>{escape('；'.join(parts))}</span>"
        finally:
            self._hush = False


class ChoiceControl(LiveControl, W.HBox):
    """A preset parameter with a few values; a value outside them (set from code) is shown as is."""

    def __init__(self, control: Control, on_change: Change) -> None:
        LiveControl.__init__(self, control, on_change)
        kind = W.ToggleButtons if control.name == "current" else W.Dropdown
        self.widget = kind(options=self._options(), description=control.label, style=_WIDE,
                           tooltip=control.help)
        self.widget.observe(lambda ch: self._emit(ch["new"]), names="value")
        self.note = W.HTML()
        W.HBox.__init__(self, [self.widget, self.note], layout=W.Layout(flex_flow="row wrap"))

    def _options(self, extra=()) -> list:
        opts = [(c.meaning if self.name != "current" else c.value, c.value) for c in self.control.choices]
        return opts + [(f"{_fmt(self.name, v)}（代码里设的值，不在选项中）", v) for v in extra]

    @property
    def value(self):
        return self.widget.value

    @value.setter
    def value(self, v) -> None:  # as a reader would choose
        self.widget.value = v

    def show(self, s: Scenario, t: Trace) -> None:
        v = t.params[self.name]
        known = [c.value for c in self.control.choices]
        self._hush = True
        try:
            inside = any(v is c or (type(v) is type(c) and v == c) for c in known)
            self.widget.options = self._options(() if inside else (v,))
            self.widget.value = v
            meaning = next((c.meaning for c in self.control.choices if c.value == v and type(c.value) is type(v)), "")
            self.note.value = (f"<span class='gsb-note'>{escape(meaning)}</span>"
                               if self.name == "current" else "")
        finally:
            self._hush = False


DEFAULT, RAW = "__default__", "__raw__"


class OverrideRow(LiveControl, W.HBox):
    """A register or memory word at entry: symbolic choices, a hex field, and what the value means."""

    def __init__(self, control: Control, on_change: Change) -> None:
        LiveControl.__init__(self, control, on_change)
        options = [("不改（场景的值）", DEFAULT)] + [(c.label, c.value) for c in control.choices] + [
            ("自填数值 →", RAW)]
        self.choice = W.Dropdown(options=options, value=DEFAULT, description=control.label, style=_WIDE,
                                 tooltip=control.help, layout=W.Layout(width="330px"))
        self.text = W.Text(placeholder="0x…", continuous_update=False, layout=W.Layout(width="170px"))
        self.note = W.HTML()
        self.choice.observe(self._chosen, names="value")
        self.text.observe(lambda ch: self._emit(self._parse(ch["new"], True)), names="value")
        W.HBox.__init__(self, [self.choice, self.text, self.note],
                        layout=W.Layout(flex_flow="row wrap", align_items="center"))
        if not control.reads:
            self.add_class("gsb-unread")

    def show(self, s: Scenario, t: Trace) -> None:
        override = self.control.value(s)
        ran = t.initial_regs[self.name] if self.control.kind == "register" else memory_word(t, self.name)
        self._hush = True
        try:
            offered = any(type(v) is type(override) and v == override for _, v in self.choice.options)
            self.choice.value = DEFAULT if override is None else override if offered else RAW
            self.text.value = f"{ran:#x}"
            meaning = value_meaning(override) if override is not None else t.labels.get(ran, "")
            if override is not None and not isinstance(override, str) and t.labels.get(ran):
                meaning = f"{meaning}（{t.labels[ran]}）"
            state = "未改动" if override is None else "已改"
            unread = "" if self.control.reads else "（本场景里例程不读它）"
            self.note.value = (f"<span class='gsb-note'>{state}{unread}：= <code>{ran:#x}</code>"
                               f"{('，' + escape(meaning)) if meaning else ''}</span>")
        finally:
            self._hush = False

    def _chosen(self, change) -> None:
        if change["new"] == RAW:  # the value that ran, now as a raw number to edit
            self._emit(int(self.text.value, 16))
        else:
            self._emit(None if change["new"] == DEFAULT else change["new"])


class PatchChoice(LiveControl, W.HBox):
    """The chapters' named patches; a free edit from the editor shows as its own entry."""

    def __init__(self, control: Control, on_change: Change) -> None:
        LiveControl.__init__(self, control, on_change)
        self.widget = W.Dropdown(options=self._options(), description=control.label, style=_WIDE,
                                 layout=W.Layout(width="420px"))
        self.widget.observe(lambda ch: self._emit(ch["new"]), names="value")
        self.note = W.HTML()
        W.HBox.__init__(self, [self.widget, self.note], layout=W.Layout(flex_flow="row wrap"))

    def _options(self, extra=()) -> list:
        return [(c.label, c.value) for c in self.control.choices] + [
            ("源码编辑器里的改动（见“改写源码”）", v) for v in extra]

    def show(self, s: Scenario, t: Trace) -> None:
        known = [c.value for c in self.control.choices]
        self._hush = True
        try:
            self.widget.options = self._options(() if s.patch in known else (s.patch,))
            self.widget.value = s.patch
            c = next((c for c in self.control.choices if c.value == s.patch), None)
            self.note.value = f"<span class='gsb-note'>{escape(c.meaning if c else '')}</span>"
        finally:
            self._hush = False


def live_control(control: Control, on_change: Change) -> LiveControl:
    """The widget for one Control."""
    kind = {"choice": ChoiceControl, "slider": WordControl, "register": OverrideRow,
            "memory": OverrideRow, "patch": PatchChoice}[control.kind]
    return kind(control, on_change)


EDITOR_CSS = """<style>
.gsb-edit-box { border: 1px solid var(--gsb-line, #ccc); }
.gsb-edit textarea, .gsb-gutter-nums { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", Menlo,
  monospace; font-size: 12px; line-height: 18px; padding: 4px 6px; margin: 0; border: 0; }
.gsb-edit textarea { white-space: pre; overflow-wrap: normal; overflow-x: auto; overflow-y: hidden;
  resize: none; box-sizing: border-box; }
.gsb-gutter-nums { text-align: right; color: var(--gsb-muted, #667); user-select: none;
  background: var(--gsb-hl-soft, transparent); min-width: 2.5em; }
</style>"""


class ListingEditor(W.VBox):
    """An editable listing: one file at a time; 汇编并运行 turns the edit into patches and re-runs."""

    def __init__(self, files: tuple[str, ...], on_apply: Callable[[str, str], None],
                 on_reset: Callable[[str], None]) -> None:
        self._texts: dict[str, str] = {}  # file -> the text that ran
        self._drafts: dict[str, str] = {}  # file -> the reader's unsubmitted text
        self.file = W.Dropdown(options=list(files), description="文件", style=_WIDE,
                               layout=W.Layout(width="300px"))
        self.text = W.Textarea(rows=18, layout=W.Layout(width="100%"))
        self.text.add_class("gsb-edit")
        # Line numbers beside the text, the numbers of the listing and of the errors: the text
        # box is as tall as its lines (the box around both scrolls), and lines do not wrap.
        self.gutter = W.HTML(layout=W.Layout(flex="0 0 auto"))
        self.gutter.add_class("gsb-gutter")
        self.text.observe(lambda ch: self._number(ch["new"]), names="value")
        self.apply = W.Button(description="汇编并运行", button_style="primary", tooltip="把改动汇编成字节并重跑")
        self.reset = W.Button(description="还原此文件", tooltip="撤销这个文件的全部改动")
        self.errors = W.HTML()
        self.marked = W.HTML()
        self.file.observe(self._switch, names="value")
        self.apply.on_click(lambda _b: on_apply(self.file.value, self.text.value))
        self.reset.on_click(lambda _b: on_reset(self.file.value))
        box = W.HBox([self.gutter, self.text], layout=W.Layout(
            width="100%", max_height="480px", overflow="auto", align_items="flex-start"))
        box.add_class("gsb-edit-box")
        super().__init__([
            W.HTML(EDITOR_CSS + "<div class='gsb-note'>改、删、插入任意行（空行、整段粘贴都行），"
                   "再点“汇编并运行”；左边的行号就是列表和错误里的行号。汇编不过时，错误和出错的列"
                   "就显示在下面。</div>"),
            self.file, box, W.HBox([self.apply, self.reset]), self.errors, self.marked,
        ])
        self._number(self.text.value)

    def _number(self, text: str) -> None:
        """The gutter's line numbers for `text` (lines end only at \n, as the assembler counts)."""
        from ..scenario.patch import lines_of

        n = max(1, len(lines_of(text)) + (1 if text.endswith("\n") else 0))
        self.gutter.value = "<pre class='gsb-gutter-nums'>" + "\n".join(map(str, range(1, n + 1))) + "</pre>"
        self.text.rows = n

    def show(self, patches: tuple, error: str = "") -> None:
        """Show the patched text of every file that ran, and an assembler error if any."""
        from .edits import edited_text

        self._texts = {f: edited_text(f, patches) for f in self.file.options}
        if not error:
            self._drafts.pop(self.file.value, None)
            self._load(self.file.value)
        self.errors.value = f"<pre class='gsb-error'>{escape(error)}</pre>" if error else ""
        self.marked.value = ("<div class='gsb-note'>本次运行改过的行：" + "；".join(
            escape(p.describe()) for p in patches) + "</div>") if patches else ""

    def _switch(self, change) -> None:
        if self.text.value != self._texts.get(change["old"]):
            self._drafts[change["old"]] = self.text.value
        self._load(change["new"])

    def _load(self, file: str) -> None:
        self.text.value = self._drafts.get(file, self._texts.get(file, ""))
