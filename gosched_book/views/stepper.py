"""The live stepper: ipywidgets controls over a Trace, and sliders that re-run the machine."""
from __future__ import annotations

import atexit
import os
import threading
import weakref

import ipywidgets as W

from .. import api
from html import escape

from ..errors import AsmError, GoschedError, chinese
from ..whatif.controls import controls
from ..scenario.family import PRESETS
from ..machine.trace import Trace
from ..scenario.scenario import Scenario
from . import html, stackplot
from .asm_zh import render_zh
from .edits import patches_for
from .listing import files as listing_files
from .live_controls import EXTRA_WORDS, ListingEditor, live_control, word_control
from .model import state
from .static import LEGEND, SITE_ENV

_LAYOUT_BTN = W.Layout(width="auto")
PRERENDER_DELAY_S = 0.4
# The live stepper cannot scroll a box to the current line or to SP (a widget runs no script), so it
# shows windows: the listing's lines around the current one (html.listing), and SP's stack as a band
# about this tall around SP (picture.sp_band), under the registers: with them it fits Lab at 1280×800
# with the file browser open.
BAND_H = 266
# Lab's widgets around the shared stepper.css classes (.gsb-main, .gsb-code, .gsb-side, .gsb-dock).
LIVE_CSS = """<style>
.gsb-live .gsb-main.widget-box { margin-top: 4px; }
.gsb-live .widget-html, .gsb-live .widget-html-content { margin: 0; }
.gsb-live .gsb-dock { padding: 0 0 2px; }
.gsb-live .gsb-dock .widget-hbox { flex-wrap: wrap; align-items: center; gap: 2px 0; }
.gsb-live .gsb-dock .gsb-status { margin: 2px 0; }
.gsb-out .widget-slider, .gsb-out .slider-container { opacity: .45; }
.gsb-listing-box > .widget-html-content, .gsb-regs-box > .widget-html-content {
  display: block; width: 100%; min-width: 0; overflow: auto; line-height: 1.4; }
.gsb-listing-box .gsb-listing { width: 100%; max-width: 100%; box-sizing: border-box; }
.gsb-patched { color: #b3261e; font-weight: 600; margin-right: 2px; }
.gsb-listing tr.patched td:nth-child(2) { background: #fde8e6; }
.gsb-edit textarea { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", Menlo, monospace; font-size: 12px; }
.gsb-compare { padding: 6px 10px; border-left: 3px solid #5b2a86; margin: 4px 0; }
.gsb-unread { opacity: .75; }
</style>"""
_SHUTDOWN = threading.Event()
_TIMERS: "weakref.WeakSet[threading.Timer]" = weakref.WeakSet()


@atexit.register
def _stop_prerendering() -> None:
    """Let background renders finish their current picture before the interpreter goes away."""
    _SHUTDOWN.set()
    for timer in list(_TIMERS):
        timer.cancel()
        if timer.is_alive():
            timer.join(timeout=5)


def _scenario_options() -> list[tuple[str, tuple[str, str]]]:
    return [(f"{r} / {p}：{v.title}", (r, p)) for r, ps in PRESETS.items() for p, v in ps.items()]


class Stepper(W.VBox):
    """Step through a trace: buttons, play, slider, arrow-free keyboardless widgets; one int of state."""

    def __init__(self, scenario: Scenario, controls: bool = True, static: bool = True) -> None:
        self.scenario = scenario
        self.static = static
        self.trace: Trace = api.run(scenario)
        self._stop_prerender = False
        self._quiet = False
        # Step controls.
        self.first = W.Button(description="« 首步", tooltip="回到第 0 步", layout=_LAYOUT_BTN)
        self.prev = W.Button(description="◀ 上一步", tooltip="上一条指令", layout=_LAYOUT_BTN)
        self.next = W.Button(description="下一步 ▶", tooltip="下一条指令", layout=_LAYOUT_BTN)
        self.last = W.Button(description="末步 »", tooltip="跳到结尾", layout=_LAYOUT_BTN)
        self.play = W.Play(interval=700, min=0, max=len(self.trace.steps), step=1, description="播放",
                           show_repeat=False)
        self.slider = W.IntSlider(min=0, max=len(self.trace.steps), description="步骤",
                                  continuous_update=True,
                                  layout=W.Layout(flex="1 1 160px", min_width="140px", max_width="360px"),
                                  style={"description_width": "3em"})
        W.link((self.play, "value"), (self.slider, "value"))
        for b, fn in ((self.first, lambda: 0), (self.prev, lambda: self.k - 1),
                      (self.next, lambda: self.k + 1), (self.last, lambda: len(self.trace.steps))):
            b.on_click(lambda _b, fn=fn: self.go(fn()))
        self.slider.observe(lambda ch: self._show(ch["new"]), names="value")
        # Panels.
        self.header = W.HTML()
        self.status = W.HTML()
        self.listing = W.HTML(layout=W.Layout(min_width="0"))
        self.registers = W.HTML(layout=W.Layout(max_width="100%", overflow="auto"))
        self.listing.add_class("gsb-listing-box")
        self.registers.add_class("gsb-regs-box")
        self.writes = W.HTML()
        self.end = W.HTML()
        self.whole = W.Checkbox(value=False, description="整张图（不只画 SP 附近）", indent=False,
                                layout=W.Layout(width="auto"))
        self.whole.observe(lambda _ch: self._show(self.k), names="value")
        self.picture = W.HTML(layout=W.Layout(max_width="100%"))
        self.message = W.HTML()
        self.controls = self._make_controls() if controls else W.VBox()
        # Laid out as the site's stepper (stepper.css): the dock (buttons, slider, status, ending) over
        # the listing (.gsb-code); the scenario menu, registers and picture beside them (.gsb-side)
        # where the width allows, stacked otherwise; 改一改 under both, never above the picture.
        dock = W.VBox([W.HBox([self.first, self.prev, self.next, self.last, self.play, self.slider]),
                       self.status, self.message, self.end])
        dock.add_class("gsb-dock")
        code = W.VBox([dock, self.listing, self.writes], layout=W.Layout(min_width="0"))
        code.add_class("gsb-code")
        side = W.VBox(([self.choose] if controls else []) + [self.registers, self.picture, self.whole,
                      W.HTML(f"<details class='gsb-legend'><summary>图例</summary><p>{LEGEND}</p></details>")],
                      layout=W.Layout(min_width="0"))
        side.add_class("gsb-side")
        main = W.HBox([code, side])
        main.add_class("gsb-main")
        super().__init__([W.HTML(html.CSS + LIVE_CSS), self.header, main, self.controls])
        self.add_class("gsb")
        self.add_class("gsb-live")
        self._load(self.trace)

    # State -------------------------------------------------------------------------------

    @property
    def k(self) -> int:
        return self.slider.value

    def go(self, k: int) -> None:
        """Show position k, clamped to the trace."""
        self.slider.value = max(0, min(k, len(self.trace.steps)))

    def _load(self, trace: Trace) -> None:
        self._stop_prerender = True
        self.trace = trace
        n = len(trace.steps)
        self._quiet = True
        self.slider.max = self.play.max = n
        self.slider.value = self.play.value = 0
        self._quiet = False
        self.header.value = html.title(trace, self.scenario.overrides())
        self._show(0)
        self._stop_prerender = False
        if os.environ.get(SITE_ENV) == "1":
            return  # a kernel run for the static site has no reader to prerender for
        t = trace
        # Render the other steps in the background once the reader pauses on this trace.
        stop = lambda: _SHUTDOWN.is_set() or self._stop_prerender or self.trace is not t  # noqa: E731
        timer = threading.Timer(PRERENDER_DELAY_S, stackplot.prerender, args=(t, stop, BAND_H))
        timer.daemon = True
        _TIMERS.add(timer)
        timer.start()

    def _show(self, k: int) -> None:
        if self._quiet:
            return
        try:
            st = state(self.trace, k)
            self.status.value = html.status(st)
            self.listing.value = html.listing(st, self.scenario.patch)
            self.registers.value = html.registers(st)
            self.writes.value = html.writes(st)
            self.end.value = html.end(self.trace, st)
            self.picture.value = stackplot.svg(self.trace, k, None if self.whole.value else BAND_H)
            self.message.value = ""
        except Exception as e:  # noqa: BLE001 - never a traceback in the output area
            self.message.value = html.error(f"{type(e).__name__}: {e}")

    # Scenario controls ---------------------------------------------------------------------
    # Every control is redrawn from (self.scenario, self.trace) after each run, and a change
    # replaces only the field it names: no control can hold a value that did not run.

    def _make_controls(self) -> W.Widget:
        self.choose = W.Dropdown(options=_scenario_options(),
                                 value=(self.scenario.routine, self.scenario.preset_name),
                                 description="场景", layout=W.Layout(width="100%"),
                                 style={"description_width": "3em"})
        self.choose.observe(self._on_preset, names="value")
        self.editor = ListingEditor(listing_files(), self._edit, self._unedit)
        self.sections = W.Accordion()
        self._build_controls()
        return W.VBox([self.sections])

    def _build_controls(self) -> None:
        """The routine's controls (from controls.py), plus any scenario word set from code."""
        s = self.scenario
        cs = list(controls(s.routine, s.preset_name))
        names = {c.name for c in cs}
        cs += [word_control(n) for n in EXTRA_WORDS if n not in names and getattr(s, n) is not None]
        self.widgets = {c.name: live_control(c, self._change) for c in cs}
        self._built_for = (s.routine, s.preset_name, tuple(c.name for c in cs))
        by = lambda *kinds: [w for w in self.widgets.values() if w.control.kind in kinds]  # noqa: E731
        parts = [
            ("场景参数", by("choice", "slider")),
            ("入口寄存器（rip 总是例程入口）", by("register")),
            ("例程读的内存字", by("memory")),
            ("改写源码", by("patch") + [self.editor]),
        ]
        self.sections.children = [W.VBox(ws) for _, ws in parts]
        self.sections.titles = tuple(t for t, _ in parts)
        self.sections.selected_index = None  # folded: the stepper comes first
        # Short names for the most used controls.
        w = self.widgets
        self.current = w["current"].widget if "current" in w else None
        self.nil_g = w["gobuf_g_nil"].widget if "gobuf_g_nil" in w else None
        # A routine that does not take a parameter (abort has no g0.sched.sp) has no control for it.
        self.entry_sp, self.entry_sp_note = ((w["entry_sp"].slider, w["entry_sp"].note) if "entry_sp" in w
                                             else (None, None))
        self.g0_sp = w["g0_sched_sp"].slider if "g0_sched_sp" in w else None
        self.max_steps = w["max_steps"].slider
        self._sync_controls()

    def _sync_controls(self, asm_error: str = "") -> None:
        """Set every control from the scenario and trace that ran (no re-run)."""
        s, t = self.scenario, self.trace
        names = tuple(self.widgets)
        wanted = {n for n in EXTRA_WORDS if getattr(s, n) is not None} - set(names)
        if (s.routine, s.preset_name) != self._built_for[:2] or wanted:
            self._build_controls()  # calls back here
            return
        self._quiet = True
        try:
            self.choose.value = (s.routine, s.preset_name)
            for w in self.widgets.values():
                w.show(s, t)
            self.editor.show(s.patch, asm_error)
        finally:
            self._quiet = False

    def _on_preset(self, change) -> None:
        if self._quiet:
            return
        routine, preset = change["new"]
        self.rerun(Scenario(routine, preset))

    def _change(self, control, value) -> None:
        """A reader moved one control: set that one field and re-run."""
        if self._quiet:
            return
        if isinstance(value, Exception):
            self.message.value = html.error(chinese(value))
            self._sync_controls()
            return
        if control.name == "current":  # a new stack: start from its default SP
            self.rerun(self.scenario.replace(current=value, entry_sp=None))
        else:
            self.rerun(control.apply(self.scenario, value))

    def _edit(self, file: str, text: str) -> None:
        try:
            mine = patches_for(file, text)
        except GoschedError as e:  # every message is the current one: none is left from an earlier run
            said = "\n\n".join(render_zh(x) for x in e.all) if isinstance(e, AsmError) else chinese(e)
            self.editor.errors.value = f"<pre class='gsb-error'>{escape(said)}</pre>"
            self.message.value = html.error(f"{said.splitlines()[0]}；仍显示上一次运行。")
            return
        others = tuple(p for p in self.scenario.patch if p.file != file)
        self.rerun(self.scenario.replace(patch=others + mine))

    def _unedit(self, file: str) -> None:
        self.editor._drafts.pop(file, None)
        self.rerun(self.scenario.replace(patch=tuple(p for p in self.scenario.patch if p.file != file)))

    def rerun(self, scenario: Scenario) -> None:
        """Run a new scenario and show it from step 0; errors are shown, not raised.

        On an error the previous run stays, and so do the controls showing it."""
        try:
            trace = api.run(scenario)
        except AsmError as e:
            self.message.value = html.error("改过的源码汇编不过，见“改写源码”里的错误；仍显示上一次运行。")
            if hasattr(self, "editor"):
                self._sync_controls("\n\n".join(render_zh(x) for x in e.all))
            return
        except GoschedError as e:
            self.message.value = html.error(chinese(e))
            if hasattr(self, "editor"):
                self._sync_controls()
            return
        except Exception as e:  # noqa: BLE001
            self.message.value = html.error(f"{type(e).__name__}: {e}")
            return
        self.scenario = scenario
        self._load(trace)
        if hasattr(self, "editor"):
            self._sync_controls()

    # Display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if self.static:
            from .static import stepper_html

            data["text/html"] = stepper_html([self.scenario])
        return bundle


class StaticStepper:
    """What a kernel run for the static site shows: the static stepper alone. The site drops the
    live widgets' state (a page has no kernel), so building them (their sliders' range runs ~2 s a
    stepper) would be work thrown away."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.trace: Trace = api.run(scenario)

    def _repr_mimebundle_(self, **kwargs):
        from .static import stepper_html

        return {"text/html": stepper_html([self.scenario]),
                "text/plain": f"单步器：{self.scenario.routine} / {self.scenario.preset_name}"}


def show(routine="mcall", preset=None, controls: bool = True, **params) -> Stepper | StaticStepper:
    """A live stepper for a scenario, e.g. show("mcall") or show("gogo", "nil_g"); in a kernel run
    for the static site (GOSCHED_BOOK_SITE=1), the static stepper only."""
    s = api.scenario(routine, preset, **params)
    if os.environ.get(SITE_ENV) == "1":
        return StaticStepper(s)
    return Stepper(s, controls=controls)
