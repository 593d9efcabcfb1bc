"""Live-view latency: a next-click to the updated view (figure included), and a slider change."""
from __future__ import annotations

import statistics
import time


def _median_ms(samples):
    return statistics.median(samples) * 1000 if samples else float("nan")


def import_ms(repeat: int = 7) -> float:
    """Median wall time of a fresh `import gosched_book` (a new interpreter each time)."""
    import subprocess
    import sys

    code = "import time; t = time.perf_counter(); import gosched_book; print(time.perf_counter() - t)"
    return _median_ms([float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout) for _ in range(repeat)])


def bench_views() -> None:
    print(f"import gosched_book in a fresh interpreter: median {import_ms():.0f} ms (goal: < 2000 ms)")
    from gosched_book.views import stackplot
    from gosched_book.views.stepper import show

    s = show("systemstack")
    s.static = False
    time.sleep(1.5)  # let the background prerender of the first trace finish

    def step_all():
        out, misses = [], []
        s.first.click()
        for _ in range(len(s.trace.steps)):
            miss = not stackplot.is_cached(s.trace, s.k + 1)
            t0 = time.perf_counter()
            s.next.click()
            dt = time.perf_counter() - t0
            (misses if miss else out).append(dt)
        return out, misses

    stackplot._CACHE.clear()
    hits, misses = step_all()
    _, _ = step_all()
    warm, _ = step_all()
    print(f"step latency, picture not yet rendered ({len(misses)} steps): median {_median_ms(misses):.1f} ms")
    if hits:  # the picture cache is cleared above, so a first pass may have no repeated picture
        print(f"step latency, same picture as a seen step ({len(hits)} steps): median {_median_ms(hits):.2f} ms")
    print(f"step latency, warm cache (after the background prerender): median {_median_ms(warm):.2f} ms")

    slider, picture = [], []
    real_svg = stackplot.svg

    def timed_svg(*a, **k):
        t0 = time.perf_counter()
        try:
            return real_svg(*a, **k)
        finally:
            picture.append(time.perf_counter() - t0)

    stackplot.svg = timed_svg
    try:
        for off in range(0x60, 0x60 + 8 * 30, 8):
            t0 = time.perf_counter()
            s.entry_sp.value = off
            slider.append(time.perf_counter() - t0)
    finally:
        stackplot.svg = real_svg
    rest = [a - b for a, b in zip(slider, picture)]
    print(f"slider latency (re-run + every control redrawn + picture of step 0): median {_median_ms(slider):.1f} ms")
    print(f"  of which the stack picture: median {_median_ms(picture):.1f} ms; "
          f"the run and the {len(s.widgets)} controls: median {_median_ms(rest):.1f} ms")
    print("  of which the machine run (build + Unicorn + trace): see `benchmarks/run.py core`")


if __name__ == "__main__":
    bench_views()
