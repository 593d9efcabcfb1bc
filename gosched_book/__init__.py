"""gosched-book: Go 1.18's stack-switch routines, assembled from Plan 9 and run on Unicorn.

    >>> from gosched_book import run
    >>> run("mcall").end.kind
    'call'

Views (ipywidgets, matplotlib) load only when `show` or a view module is used.
"""
from __future__ import annotations

from .api import run, scenario
from .errors import AsmError, GoschedError, ScenarioError
from .presets import PRESETS, ROUTINES
from .scenario import Scenario

__all__ = ["run", "scenario", "show", "Scenario", "AsmError", "GoschedError", "ScenarioError",
           "PRESETS", "ROUTINES", "assemble"]


def show(routine="mcall", preset=None, **params):
    """The live stepper for a scenario (imports ipywidgets and matplotlib on first use)."""
    from .views.stepper import show as _show

    return _show(routine, preset, **params)


def assemble(source: str, file: str = "<listing>"):
    """Parse and link a Plan 9 listing on its own; raises AsmError on bad input."""
    from .asm.link import link
    from .asm.parse import parse
    from .routines import CODE_BASE

    return link([parse(source, file)], CODE_BASE)
