"""Benchmarks; prints medians. `make bench`, or `python benchmarks/run.py [core|asm|whatif|views|all|site|pages]`."""
from __future__ import annotations

import statistics
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_ms(fn, repeat: int = 30, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def bench_core() -> None:
    from gosched_book.asm.link import link
    from gosched_book.asm.parse import parse
    from gosched_book.machine.engine import new_uc as _new_uc
    from gosched_book.machine.runner import run_world
    from gosched_book.scenario.family import PRESETS
    from gosched_book.machine.code import CODE_BASE
    from gosched_book.scenario.family import all_files, source
    from gosched_book.machine.world import DATA_SYMBOLS, build
    from gosched_book.scenario.scenario import Scenario

    files = list(all_files())
    srcs = [(f, source(f)) for f in files]
    asm = median_ms(lambda: link([parse(s, f) for f, s in srcs], CODE_BASE, dict(DATA_SYMBOLS)))
    print(f"assemble all listings (parse+encode+link, uncached): {asm:.2f} ms")
    from gosched_book import assemble
    from gosched_book.asm.synthetic import forward_jumps, long_function, many_functions

    for what, src in (("10,000-line listing", long_function(10_000)),
                      ("3,000 functions", many_functions(3_000)),
                      ("200 long forward JMPs", forward_jumps(200))):
        goal = " (goal: <= 500 ms)" if what.startswith("10,000") else ""
        print(f"assemble {what}: {median_ms(lambda: assemble(src), repeat=5, warmup=1):.0f} ms{goal}")
    print("tracing vs bare Unicorn: CPU time of this process (other processes' load does not count),")
    print("the two measured alternately, 30 pairs; medians")
    print(f"{'preset':<34}{'steps':>6}{'trace ms':>10}{'bare ms':>9}{'ratio':>7}")
    worst = 0.0
    for routine, presets in PRESETS.items():
        for preset in presets:
            sc = Scenario(routine, preset)
            world = build(sc)
            n = len(run_world(world).steps)

            def bare():
                uc = _new_uc(world)
                try:
                    uc.emu_start(world.entry, 0, count=n)
                except Exception:
                    pass

            traced, plain = paired_cpu_ms(lambda: run_world(build(sc)), bare)
            same = bare_path(world, [s.pc for s in run_world(world).steps])
            worst = max(worst, traced / plain) if same else worst
            print(f"{routine + '/' + preset:<34}{n:>6}{traced:>10.2f}{plain:>9.3f}{traced / plain:>7.1f}"
                  + ("" if same else "  (bare Unicorn leaves the traced path: it has no kernel for SYSCALL, signals or INT $3)"))
    print(f"worst ratio {worst:.1f} over the presets bare Unicorn runs the same way (goal: <= 2)")


def bare_path(world, pcs: list[int]) -> bool:
    """Whether bare Unicorn executes the same instructions as the trace (it has no kernel: no
    syscalls, no signal delivery)."""
    from unicorn import UC_HOOK_CODE

    from gosched_book.machine.engine import new_uc

    seen: list[int] = []
    uc = new_uc(world)
    uc.hook_add(UC_HOOK_CODE, lambda u, a, s, d: seen.append(a))
    try:
        uc.emu_start(world.entry, 0, count=len(pcs))
    except Exception:
        pass
    return seen == pcs


def paired_cpu_ms(a, b, pairs: int = 30, inner: int = 5) -> tuple[float, float]:
    """Medians of a() and b() in CPU milliseconds, sampled alternately so both see the same machine."""
    for f in (a, b):
        f()
    xs, ys = [], []
    for _ in range(pairs):
        for f, out in ((a, xs), (b, ys)):
            t0 = time.process_time()
            for _ in range(inner):
                f()
            out.append((time.process_time() - t0) * 1000 / inner)
    return statistics.median(xs), statistics.median(ys)


def cpu_s() -> float:
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def bench_site(runs: int = 3) -> None:
    """Clean builds: median wall time, and the CPU time of the build and its kernels."""

    from gosched_book.site import build, size

    walls, cpus = [], []
    for _ in range(runs):
        before = cpu_s()
        t0 = time.perf_counter()
        out = build(clean=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - before)
    print(f"site: clean build median {statistics.median(walls):.1f} s wall "
          f"({', '.join(f'{w:.1f}' for w in walls)}), median {statistics.median(cpus):.0f} s CPU "
          f"(build, kernels, workers), {os.cpu_count()} cores, size {size(out) / 1e6:.1f} MB")
    sys.path.insert(0, str(Path(__file__).parent))
    from static_controls_bench import added_data, redraw_ms

    added_data(out)
    redraw_ms(out)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "site":  # slow (a full book build); not part of "all"
        bench_site()
    if which == "pages":  # page weights and the throttled first picture (needs chromium)
        sys.path.insert(0, str(Path(__file__).parent))
        from pages_bench import bench_pages
        bench_pages()
    if which in ("core", "all"):
        bench_core()
    if which in ("asm", "all"):
        sys.path.insert(0, str(Path(__file__).parent))
        from asm_runtime_bench import bench_asm_runtime

        bench_asm_runtime()
    if which in ("whatif", "all"):
        sys.path.insert(0, str(Path(__file__).parent))
        from whatif_bench import bench_whatif

        bench_whatif(median_ms)
    if which in ("views", "all"):
        try:
            from views_bench import bench_views
        except ImportError:
            sys.path.insert(0, str(Path(__file__).parent))
            from views_bench import bench_views
        bench_views()
