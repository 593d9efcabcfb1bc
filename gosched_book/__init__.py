"""gosched-book: Go 1.18's stack-switch routines, assembled from Plan 9 and run on Unicorn.

    >>> from gosched_book import run
    >>> run("mcall").end.kind
    'call'

Views (ipywidgets, matplotlib) load only when `show` or a view module is used.
"""
from __future__ import annotations

import sys

from . import families  # noqa: F401 - registers every routine family first
from .api import run, scenario
from .errors import AsmError, GoschedError, ScenarioError
from .scenario.family import PRESETS, ROUTINES, Family, register
from .scenario.patch import Patch
from .scenario.scenario import Scenario, parse_key

__all__ = ["run", "scenario", "show", "Scenario", "AsmError", "GoschedError", "ScenarioError",
           "PRESETS", "ROUTINES", "assemble", "Patch", "parse_key", "Family", "register"]

# The notebooks' one-line cells import chapter helpers from the package: `from gosched_book import book`.
_CHAPTERS = ("book", "exercises", "why", "callsites", "ledger", "gmp", "switchmap", "life", "signals", "cgo",
             "realrun")


def __getattr__(name: str):
    if name in _CHAPTERS:
        import importlib

        return importlib.import_module(f".chapters.{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NEEDS_JUPYTER = ("show() draws widgets and needs Jupyter (JupyterLab or a notebook); here use "
                 "run(\"mcall\") for a Trace, or: python -m gosched_book trace mcall")


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None and hasattr(ip, "get_ipython") else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(routine="mcall", preset=None, /, **params):
    """The live stepper for a scenario (imports ipywidgets and matplotlib on first use).

    Outside a Jupyter kernel it prints one line saying so and returns None."""
    if not _in_kernel():
        print(NEEDS_JUPYTER, file=sys.stderr)
        return None
    from .views.stepper import show as _show

    return _show(routine, preset, **params)


def assemble(source: str, file: str = "<listing>"):
    """Parse and link a Plan 9 listing on its own; raises AsmError on bad input."""
    from .asm.link import link
    from .asm.parse import parse
    from .machine.code import CODE_BASE

    return link([parse(source, file)], CODE_BASE)
