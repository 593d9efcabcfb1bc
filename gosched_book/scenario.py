"""Scenario: a routine, a preset, and the starting values a reader may change; and their checks."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import ScenarioError
from .presets import CHOICES, DEFAULTS, PRESETS, ROUTINES

MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Scenario:
    """A routine, a preset, and the starting values a reader may change (None: the preset's)."""

    routine: str = "mcall"
    preset: str | None = None  # None: the routine's first preset
    current: str | None = None  # the running g: g, g0, gsignal, g2
    entry_sp: int | None = None  # SP at the routine's first instruction
    bp: int | None = None
    g0_sched_sp: int | None = None
    fn: str | None = None  # mcall's fn: park or returns
    sched_ctxt: int | None = None  # g.sched.ctxt before the call
    gobuf: str | None = None  # gogo's buffer: g (g.sched) or g0 (g0.sched)
    gobuf_g_nil: bool | None = None
    gobuf_ret: int | None = None
    gobuf_ctxt: int | None = None
    rounds: int | None = None  # round trip: how many mcall/gogo cycles
    int3: str | None = None  # stop or continue at INT $3
    max_steps: int | None = None

    def params(self) -> dict:
        """Every parameter resolved: preset values over defaults, then explicit fields."""
        if self.routine not in PRESETS:
            raise ScenarioError(f"unknown routine {self.routine!r}; known: {', '.join(ROUTINES)}")
        presets = PRESETS[self.routine]
        if self.preset_name not in presets:
            raise ScenarioError(
                f"routine {self.routine} has no preset {self.preset!r}; known: {', '.join(presets)}")
        p = {**DEFAULTS, **DEFAULTS_BY_ROUTINE.get(self.routine, {}), **presets[self.preset_name].values}
        for f in dataclasses.fields(self)[2:]:
            v = getattr(self, f.name)
            if v is not None:
                p[f.name] = v
        _validate(p)
        return p

    @property
    def preset_name(self) -> str:
        if self.preset is not None:
            return self.preset
        return next(iter(PRESETS.get(self.routine, {"normal": None})))

    def overrides(self) -> dict:
        """The fields set explicitly, beyond the routine and its preset."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[2:]
                if getattr(self, f.name) is not None}

    @property
    def key(self) -> str:
        """`routine:preset`, plus `+field=value` for each override (used in URL fragments)."""
        extra = "".join(f"+{k}={_show(v)}" for k, v in self.overrides().items())
        return f"{self.routine}:{self.preset_name}{extra}"

    def replace(self, **changes) -> "Scenario":
        return dataclasses.replace(self, **changes)


DEFAULTS_BY_ROUTINE = {"gogo": {"current": "g0"}}


def _show(v) -> str:
    return f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _validate(p: dict) -> None:
    for name, choices in CHOICES.items():
        if p[name] not in choices:
            raise ScenarioError(f"{name} must be one of {', '.join(map(str, choices))}; got {p[name]!r}")
    for name in ("entry_sp", "bp", "g0_sched_sp", "sched_ctxt", "gobuf_ret", "gobuf_ctxt"):
        v = p[name]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MASK):
            raise ScenarioError(f"{name} must be an integer in [0, 2**64); got {v!r}")
    if not isinstance(p["max_steps"], int) or not 1 <= p["max_steps"] <= 100_000:
        raise ScenarioError(f"max_steps must be in [1, 100000]; got {p['max_steps']!r}")
    if p["rounds"] not in (1, 2, 3):
        raise ScenarioError(f"rounds must be 1, 2 or 3; got {p['rounds']!r}")


