"""The reader-facing entry points: run a scenario, get a Trace."""
from __future__ import annotations

from functools import lru_cache

from .errors import ScenarioError
from .presets import ROUTINES
from .scenario import Scenario, make
from .trace import Trace


def scenario(routine: "str | Scenario" = "mcall", preset: str | None = None, /, **params) -> Scenario:
    """A Scenario from a routine name (or an existing Scenario) plus overrides.

    Overrides are scenario fields (`entry_sp=0x…`), registers at entry (`r14="g0"`, `rax=0`),
    memory words (`**{"g.sched.pc": 0}` or `mem={...}`) and listing patches
    (`patch="systemstack.s:29="` or `patch=[Patch(...), ...]`)."""
    if isinstance(routine, Scenario):
        base = routine if preset is None else routine.replace(preset=preset)
        if not params:
            base.params()
            return base
        extra = make(base.routine, base.preset, **params)
        s = base.replace(**{k: v for k, v in vars(extra).items()
                            if k not in ("routine", "preset", "regs", "mem", "patch") and v is not None},
                         regs=tuple({**dict(base.regs), **dict(extra.regs)}.items()),
                         mem=tuple({**dict(base.mem), **dict(extra.mem)}.items()),
                         patch=extra.patch if "patch" in params else base.patch)
    elif not isinstance(routine, str):
        raise ScenarioError(f"routine must be a routine name ({', '.join(ROUTINES)}) or a Scenario; "
                            f"got {type(routine).__name__}")
    else:
        s = make(routine, preset, **params)
    s.params()  # validate now, with a clear message
    return s


def run(routine: "str | Scenario" = "mcall", preset: str | None = None, /, **params) -> Trace:
    """Run a scenario on Unicorn and return its Trace; equal scenarios give equal traces.

    A patched listing that does not assemble raises AsmError (line, column, caret)."""
    s = scenario(routine, preset, **params)
    try:
        return _run(s)
    except _Unsettled as e:  # not cached: only the world's own endings are
        return e.trace


class _Unsettled(Exception):
    def __init__(self, trace: Trace):
        self.trace = trace


@lru_cache(maxsize=512)  # a static stepper's controls make ~270 distinct runs
def _run(s: Scenario) -> Trace:
    from .machine import run_world
    from .patch import mark
    from .world import build

    t = mark(run_world(build(s)), s.patch)
    if s.patch or s.regs or s.mem:
        import dataclasses

        from .explain import explain

        t = dataclasses.replace(t, whatif=explain(s, t).lines)
    if not t.end.settled:
        raise _Unsettled(t)
    return t
