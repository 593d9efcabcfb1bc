"""One small world builder per routine family; a new scenario is a new function here."""
from __future__ import annotations

from typing import Callable

from ..errors import ScenarioError
from ..world_core import Ctx
from . import goroutines, growth, switches

Builder = Callable[[Ctx], None]

# (routine, preset) first, then the routine's builder for all its other presets.
BY_PRESET: dict[tuple[str, str], Builder] = {
    ("gogo", "newg"): goroutines.gogo_newg,
    ("gogo", "recover"): goroutines.gogo_recover,
    ("gogo", "after_newstack"): growth.gogo_after_newstack,
}
BY_ROUTINE: dict[str, Builder] = {
    "mcall": switches.mcall,
    "roundtrip": switches.mcall,
    "systemstack": switches.systemstack,
    "gosave_systemstack_switch": switches.gosave_systemstack_switch,
    "gogo": switches.gogo,
    "abort": switches.abort,
    "morestack": growth.morestack,
    "schedule": goroutines.schedule_switch,
}


def builder(routine: str, preset: str) -> Builder:
    """The function that fills in the world of routine:preset."""
    b = BY_PRESET.get((routine, preset)) or BY_ROUTINE.get(routine)
    if b is None:
        raise ScenarioError(f"no world builder for {routine}:{preset}")
    return b
