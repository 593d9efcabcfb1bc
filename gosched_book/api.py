"""The reader-facing entry points: run a scenario, get a Trace."""
from __future__ import annotations

from functools import lru_cache

from .errors import ScenarioError
from .trace import Trace
from .scenario import Scenario


def scenario(routine: "str | Scenario" = "mcall", preset: str | None = None, **params) -> Scenario:
    """A Scenario from a routine name (or an existing Scenario) plus overrides."""
    if isinstance(routine, Scenario):
        base = routine if preset is None else routine.replace(preset=preset)
        return base.replace(**params) if params else base
    if not isinstance(routine, str):
        raise ScenarioError(f"expected a routine name or Scenario, got {type(routine).__name__}")
    try:
        s = Scenario(routine, preset, **params)
    except TypeError as e:
        raise ScenarioError(f"unknown scenario field: {e}") from None
    s.params()  # validate now, with a clear message
    return s


def run(routine: "str | Scenario" = "mcall", preset: str | None = None, **params) -> Trace:
    """Run a scenario on Unicorn and return its Trace; equal scenarios give equal traces."""
    return _run(scenario(routine, preset, **params))


@lru_cache(maxsize=256)
def _run(s: Scenario) -> Trace:
    from .machine import run_world
    from .world import build

    return run_world(build(s))
