"""What-if benchmarks: an override or a patch re-run (uncached), and the static runs of a stepper."""
from __future__ import annotations

import statistics
import time


def bench_whatif(median_ms) -> None:
    from gosched_book.api import _run, scenario
    from gosched_book.whatif.controls import controls, static_scenarios
    from gosched_book.scenario.family import PRESETS
    from gosched_book.scenario.scenario import Scenario

    cases = {
        "register override (r14=g0)": scenario("systemstack", r14="g0"),
        "memory override (m.curg=g2)": scenario("systemstack", **{"m.curg": "g2"}),
        "patch (systemstack.s:30=)": scenario("systemstack", patch="systemstack.s:30="),
    }
    for what, s in cases.items():  # uncached: run + baseline + explainer
        print(f"whatif {what}: {median_ms(lambda: _run.__wrapped__(s), repeat=15):.1f} ms")
    per, counts = [], []
    for routine in PRESETS:
        base = Scenario(routine)
        controls(routine)  # reads-probing, once per stepper
        ss = static_scenarios(base)
        t0 = time.perf_counter()
        for s in ss:
            _run.__wrapped__(s)
        per.append(time.perf_counter() - t0)
        counts.append(len(ss))
    print(f"static runs per stepper: median {statistics.median(counts):.0f} scenarios, "
          f"{statistics.median(per):.2f} s (every control; static_scenarios(kinds=...) narrows it)")
