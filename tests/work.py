"""Work counted, not timed: how many lines of the package's own code a call executes.

Tests hold growth (linear, bounded) with this instead of a clock, so a loaded machine cannot fail them;
the wall-clock numbers live in benchmarks/."""
from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = str(Path(__file__).resolve().parents[1] / "gosched_book")


def lines_run(fn, *args, **kwargs) -> tuple[int, object]:
    """(lines of gosched_book executed, fn's result) for one call fn(*args, **kwargs)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            count += 1
        return tracer
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.settrace(old)
    return count, result
