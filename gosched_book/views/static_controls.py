"""The static stepper's what-if controls: controls.py's controls, each value a precomputed run.

For a stepper whose own scenario is `base`, every control offers "不改" (the base run) and each of
its static values (controls.py); each value names the scenario key of a real run made at build
time. The page's script (controls.js) only switches between those keys, so what the page shows
is always what ran. Raw numbers and free listing edits stay live-only (said where they would be).

JSON (inside the page data, under "controls", by base key):

    {"base": key, "live_only": {"raw": text, "edit": text},
     "controls": [{"name", "kind", "label", "help", "raw": bool, "base": index,
                   "values": [[label, meaning, key], ...]}, ...]}

`base` is the index of the value that is the base run ("不改"; for a slider, its position among
the grid's addresses), so a control moved back restores it.
"""
from __future__ import annotations

from .. import api
from ..whatif.controls import Control, controls, value_meaning
from ..scenario.scenario import Scenario
from ..machine.core import STACKS
from .live_controls import memory_word, ran_word

LIVE_ONLY_RAW = "自填任意数值只能在 JupyterLab 里用（make lab 打开本章）。"
LIVE_ONLY_EDIT = "任意改写源码只能在 JupyterLab 里用；这里可以选本章用到的几处改动。"


def _where(addr: int) -> str:
    """`g 栈 hi−0x80` for an address in a stack (the pictures' hi-0x80), else ''."""
    for owner, (lo, hi) in STACKS.items():
        if lo <= addr <= hi + 0x40:
            d = hi - addr
            return f"{owner} 栈 hi{'−' if d >= 0 else '+'}{abs(d):#x}"
    return ""


def _ran_text(c: Control, s: Scenario) -> str:
    """The value the base run used, as the '不改' entry shows it."""
    t = api.run(s)
    if c.kind == "register":
        return f"{t.initial_regs[c.name]:#x}"
    if c.kind == "memory":
        return f"{memory_word(t, c.name):#x}"
    if c.kind == "slider":
        v = ran_word(t, c.name)
        return str(v) if c.name == "max_steps" else f"{v:#x}"
    if c.kind == "patch":
        return "原样"
    v = t.params[c.name]
    return next((ch.label for ch in c.choices if ch.value == v and type(ch.value) is type(v)), str(v))


def _value_text(c: Control, v) -> tuple[str, str]:
    """(label, meaning) of one static value."""
    if c.kind in ("choice", "patch"):
        ch = next(ch for ch in c.choices if ch.value == v and type(ch.value) is type(v))
        return ch.label, ch.meaning
    if c.kind == "slider":
        if c.name == "max_steps":
            return str(v), f"最多执行 {v} 条指令"
        where = _where(v)
        return f"{v:#x}", where or "不在任何栈里"
    ch = next((ch for ch in c.choices if ch.value == v and type(ch.value) is type(v)), None)
    return (ch.label, ch.meaning) if ch else (f"{v:#x}", value_meaning(v))


def _same(c: Control, t, v) -> bool:
    """A choice or slider value equal to what the base ran with (then the base run stands for it)."""
    if c.kind == "choice":
        w = t.params[c.name]
        return type(w) is type(v) and w == v
    if c.kind == "slider":
        return ran_word(t, c.name) == v
    return False


def spec(base: Scenario) -> tuple[dict, list[Scenario]]:
    """The controls JSON for a stepper starting at `base`, and every scenario it names."""
    runs: list[Scenario] = [base]
    out = []
    t = api.run(base)
    for c in controls(base.routine, base.preset_name):
        ran = _ran_text(c, base)
        values = [] if c.kind == "slider" else [["不改", f"本场景的值：{ran}", base.key]]
        vals = sorted(c.static_values()) if c.kind == "slider" else c.static_values()
        for v in vals:
            s = api.scenario(c.apply(base, v))
            if s == base or _same(c, t, v):
                continue  # the base run already is this value
            label, meaning = _value_text(c, v)
            values.append([label, meaning, s.key, v] if c.kind == "slider" else [label, meaning, s.key])
            runs.append(s)
        at = 0
        if c.kind == "slider":  # the base run at its place among the addresses
            mine = ran_word(t, c.name)
            at = sum(1 for x in values if x[3] < mine)
            values = [x[:3] for x in values]
            where = _where(mine) if c.name != "max_steps" else ""
            values.insert(at, [ran, "本场景的值" + (f"（{where}）" if where else ""), base.key])
        out.append({"name": c.name, "kind": c.kind, "label": c.label, "help": c.help,
                    "raw": c.raw, "base": at, "values": values})
    return ({"base": base.key, "live_only": {"raw": LIVE_ONLY_RAW, "edit": LIVE_ONLY_EDIT},
             "controls": out}, list(dict.fromkeys(runs)))
