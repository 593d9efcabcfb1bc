"""The reader's run: a scenario's trace, with Chinese lines saying what a change did."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

from ..machine.runs import trace
from ..machine.trace import Trace
from ..scenario import family
from ..scenario.scenario import Scenario, scenario


def run(routine: "str | Scenario" = "mcall", preset: str | None = None, /, **params) -> Trace:
    """Run a scenario on Unicorn and return its Trace; equal scenarios give equal traces.

    A changed scenario's trace carries `whatif`: what the change did, in Chinese.
    A patched listing that does not assemble raises AsmError (line, column, caret)."""
    s = scenario(routine, preset, **params)
    t = trace(s)
    if not (s.patch or s.regs or s.mem):
        return t
    if not t.end.settled:  # not cached: only the world's own endings are
        return _explain(s, t)
    return _explained(s, family.version())


def _explain(s: Scenario, t: Trace) -> Trace:
    from .explain import explain

    return dataclasses.replace(t, whatif=explain(s, t).lines)


@lru_cache(maxsize=512)
def _explained(s: Scenario, version: int) -> Trace:
    return _explain(s, trace(s))


__all__ = ["run", "scenario"]
