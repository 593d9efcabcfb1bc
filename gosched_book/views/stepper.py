"""The live stepper: ipywidgets controls over a Trace, and sliders that re-run the machine."""
from __future__ import annotations

import atexit
import threading
import weakref

import ipywidgets as W

from .. import api
from ..errors import GoschedError
from ..presets import PRESETS
from ..trace import Trace
from ..scenario import Scenario
from ..world import STACKS
from . import html, stackplot
from .model import state

_LAYOUT_BTN = W.Layout(width="auto")
PRERENDER_DELAY_S = 0.4
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
_STACK_CHOICES = [("goroutine g", "g"), ("g0", "g0"), ("gsignal", "gsignal"), ("另一个 g（g2）", "g2")]


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
        self.play = W.Play(interval=700, min=0, max=len(self.trace.steps), step=1, description="播放")
        self.slider = W.IntSlider(min=0, max=len(self.trace.steps), description="步骤",
                                  continuous_update=True, layout=W.Layout(width="360px"))
        W.link((self.play, "value"), (self.slider, "value"))
        for b, fn in ((self.first, lambda: 0), (self.prev, lambda: self.k - 1),
                      (self.next, lambda: self.k + 1), (self.last, lambda: len(self.trace.steps))):
            b.on_click(lambda _b, fn=fn: self.go(fn()))
        self.slider.observe(lambda ch: self._show(ch["new"]), names="value")
        # Panels.
        self.header = W.HTML()
        self.status = W.HTML()
        self.listing = W.HTML(layout=W.Layout(width="62%"))
        self.registers = W.HTML(layout=W.Layout(width="38%"))
        self.writes = W.HTML()
        self.end = W.HTML()
        self.picture = W.HTML(layout=W.Layout(width="100%", max_width="820px"))
        self.message = W.HTML()
        self.controls = self._make_controls() if controls else W.VBox()
        buttons = W.HBox([self.first, self.prev, self.next, self.last, self.play, self.slider])
        super().__init__([
            W.HTML(html.CSS), self.header, self.controls, buttons, self.status, self.message,
            W.HBox([self.listing, self.registers]), self.end, self.writes,
            W.HTML("<div class='gsb'>栈布局（左：goroutine 的栈，右：g0 的系统栈；高地址在上，"
                   "黄色是本步写过的内存，SP/BP 用箭头标出）</div>"), self.picture,
        ])
        self.add_class("gsb")
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
        t = trace
        # Render the other steps in the background once the reader pauses on this trace.
        stop = lambda: _SHUTDOWN.is_set() or self._stop_prerender or self.trace is not t  # noqa: E731
        timer = threading.Timer(PRERENDER_DELAY_S, stackplot.prerender, args=(t, stop))
        timer.daemon = True
        _TIMERS.add(timer)
        timer.start()

    def _show(self, k: int) -> None:
        if self._quiet:
            return
        try:
            st = state(self.trace, k)
            self.status.value = html.status(st)
            self.listing.value = html.listing(st)
            self.registers.value = html.registers(st)
            self.writes.value = html.writes(st)
            self.end.value = html.end(self.trace, st)
            self.picture.value = stackplot.svg(self.trace, k)
            self.message.value = ""
        except Exception as e:  # noqa: BLE001 - never a traceback in the output area
            self.message.value = html.error(f"{type(e).__name__}: {e}")

    # Scenario controls ---------------------------------------------------------------------

    def _make_controls(self) -> W.Widget:
        p = self.trace.params
        self.choose = W.Dropdown(options=_scenario_options(),
                                 value=(self.scenario.routine, self.scenario.preset_name),
                                 description="场景", layout=W.Layout(width="560px"))
        self.current = W.ToggleButtons(options=_STACK_CHOICES, value=p["current"], description="当前 g")
        cur = p["current"]
        self.entry_sp = W.IntSlider(min=-0x40, max=0x400, step=8, description="入口 SP",
                                    value=self._sp_offset(cur, self.trace.initial_regs["rsp"]),
                                    readout_format="#x", continuous_update=False,
                                    layout=W.Layout(width="460px"))
        self.entry_sp_note = W.HTML()
        g0_hi = STACKS["g0"][1]
        g0_sp = next(v for _, v, lab in self.trace.memory if lab == "g0.sched.sp")
        self.g0_sp = W.IntSlider(min=0x10, max=0x1000, step=8, value=g0_hi - g0_sp,
                                 description="g0.sched.sp", readout_format="#x",
                                 continuous_update=False, layout=W.Layout(width="460px"),
                                 style={"description_width": "initial"})
        self.ctxt = W.Checkbox(value=bool(p["sched_ctxt"]), description="g.sched.ctxt ≠ 0")
        self.nil_g = W.Checkbox(value=bool(p["gobuf_g_nil"]), description="gobuf.g = nil")
        self.fn = W.Dropdown(options=[("gogo_back（本书的简化：立刻 gogo 回同一个 g）", "park"), ("直接返回的 fn", "returns")],
                             value=p["fn"], description="fn")
        self.max_steps = W.IntSlider(min=1, max=400, value=p["max_steps"], description="步数上限",
                                     continuous_update=False)
        self.choose.observe(self._on_preset, names="value")
        for w in (self.current, self.entry_sp, self.g0_sp, self.ctxt, self.nil_g, self.fn, self.max_steps):
            w.observe(self._on_param, names="value")
        self._update_note()
        return W.VBox([
            self.choose,
            W.HBox([self.current]),
            W.HBox([self.entry_sp, self.entry_sp_note]),
            W.HBox([self.g0_sp, W.HTML("<span class='gsb'>（到 g0 栈顶的距离）</span>")]),
            W.HBox([self.ctxt, self.nil_g, self.fn, self.max_steps]),
        ])

    @staticmethod
    def _sp_offset(owner: str, sp: int) -> int:
        return STACKS[owner][1] - sp

    def _update_note(self) -> None:
        owner = self.current.value
        hi = STACKS[owner][1]
        sp = hi - self.entry_sp.value
        where = "（栈顶之上，未映射）" if sp >= hi else ""
        off = self.entry_sp.value
        rel = f"− {off:#x}" if off >= 0 else f"+ {-off:#x}"
        self.entry_sp_note.value = f"<span class='gsb mono'>= {owner} 栈顶 {rel} = {sp:#x}{where}</span>"

    def _sync_controls(self) -> None:
        """Set the controls from the current trace without re-running."""
        p = self.trace.params
        self._quiet = True
        try:
            self.current.value = p["current"]
            self.entry_sp.value = self._sp_offset(p["current"], self.trace.initial_regs["rsp"])
            g0_sp = next(v for _, v, lab in self.trace.memory if lab == "g0.sched.sp")
            self.g0_sp.value = STACKS["g0"][1] - g0_sp
            self.ctxt.value = bool(p["sched_ctxt"])
            self.nil_g.value = bool(p["gobuf_g_nil"])
            self.fn.value = p["fn"]
            self.max_steps.value = p["max_steps"]
        finally:
            self._quiet = False
        self._update_note()

    def _on_preset(self, change) -> None:
        routine, preset = change["new"]
        self.rerun(Scenario(routine, preset))
        self._sync_controls()

    def _on_param(self, change) -> None:
        if self._quiet:
            return
        owner = self.current.value
        changes = dict(
            current=owner, g0_sched_sp=STACKS["g0"][1] - self.g0_sp.value,
            sched_ctxt=0x1 if self.ctxt.value else 0, gobuf_g_nil=self.nil_g.value,
            fn=self.fn.value, max_steps=self.max_steps.value,
        )
        if change["owner"] is self.current:  # a new stack: start from its default SP
            changes["entry_sp"] = None
        else:
            changes["entry_sp"] = STACKS[owner][1] - self.entry_sp.value
        self.rerun(self.scenario.replace(**changes))
        if change["owner"] is self.current:
            self._sync_controls()
        self._update_note()

    def rerun(self, scenario: Scenario) -> None:
        """Run a new scenario and show it from step 0; errors are shown, not raised."""
        try:
            trace = api.run(scenario)
        except GoschedError as e:
            self.message.value = html.error(str(e))
            return
        except Exception as e:  # noqa: BLE001
            self.message.value = html.error(f"{type(e).__name__}: {e}")
            return
        self.scenario = scenario
        self._load(trace)

    # Display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if self.static:
            from .static import stepper_html

            data["text/html"] = stepper_html([self.scenario])
        return bundle


def show(routine="mcall", preset=None, controls: bool = True, **params) -> Stepper:
    """A live stepper for a scenario, e.g. show("mcall") or show("gogo", "nil_g")."""
    return Stepper(api.scenario(routine, preset, **params), controls=controls)
