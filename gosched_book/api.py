"""The reader-facing entry points: build a scenario, run it, get a Trace."""
from __future__ import annotations

from .scenario.scenario import Scenario, scenario
from .whatif.runs import run

__all__ = ["run", "scenario", "Scenario"]
