"""Benchmarks; prints medians. `make bench`, or `python benchmarks/run.py [core|asm|whatif|views|all|site|pages]`."""
from __future__ import annotations

import gc
import os
import statistics
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
    from gosched_book.machine.kernel import KERNEL
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
    print("the two measured alternately, 30 pairs; medians. Bare Unicorn has no per-instruction hook;")
    print("where a preset needs the kernel (SYSCALL, a signal, INT $3) it gets only that: the same")
    print("syscall and signal-delivery functions the tracer calls, and nothing recorded")
    print(f"{'preset':<34}{'steps':>6}{'trace ms':>10}{'bare ms':>9}{'ratio':>7}")
    worst = 0.0
    for routine, presets in PRESETS.items():
        for preset in presets:
            sc = Scenario(routine, preset)
            world = build(sc)
            trace = run_world(world)
            bare = bare_runner(world, trace)
            traced, plain = paired_cpu_ms(lambda: run_world(build(sc)), bare)
            seen: list[int] = []
            bare_runner(world, trace, seen)()
            same = seen == [s.pc for s in trace.steps if s.routine != KERNEL]
            worst = max(worst, traced / plain) if same else worst
            print(f"{routine + '/' + preset:<34}{len(trace.steps):>6}{traced:>10.2f}{plain:>9.3f}"
                  f"{traced / plain:>7.1f}" + ("" if same else "  (bare Unicorn leaves the traced path)"))
    print(f"worst ratio {worst:.1f} over every preset bare Unicorn runs the same way (goal: <= 2)")


def bare_runner(world, trace, seen: list | None = None):
    """A run of `world` on a fresh Unicorn with no per-instruction hook, as many instructions as
    `trace` executed, with the kernel's part where the trace has it: SYSCALL done by the book's
    kernel, CPUID answered by the recorded CPU, each signal delivered where the trace's kernel step is, INT $3 passed over when the
    world says so. `seen` (if given) collects every executed address, to check the path."""
    from unicorn import UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INTR
    from unicorn import x86_const as X

    from gosched_book.machine import kernel as K
    from gosched_book.machine.engine import UC_REGS, new_uc
    from gosched_book.machine.runner import cpuid, signal, syscall
    from gosched_book.machine.trace import REGS

    schedule, done = [], 0  # (instructions before it, signal)
    signals = iter(world.kernel.signals)
    for s in trace.steps:
        if s.routine == K.KERNEL:
            schedule.append((done, next(signals)))
        else:
            done += 1
    total = done

    def regs_of(uc) -> dict:
        return dict(zip(REGS, uc.reg_read_batch(UC_REGS)))

    def on_syscall(uc, kernel) -> None:
        regs = regs_of(uc)
        regs["eflags"] = uc.reg_read(X.UC_X86_REG_EFLAGS)
        handler = K.SYSCALLS.get(regs["rax"])
        if handler is None:
            return uc.emu_stop()
        syscall(uc, kernel, handler, regs, regs["rip"], [], world.fs_base)

    def run() -> None:
        uc = new_uc(world)
        kernel = K.Kernel(world.kernel, world.fs_base)
        if seen is not None:
            uc.hook_add(UC_HOOK_CODE, lambda u, a, n, d: seen.append(a))
        uc.hook_add(UC_HOOK_INSN, lambda u, d: on_syscall(u, kernel), None, 1, 0, X.UC_X86_INS_SYSCALL)
        if world.cpuid:  # the recorded CPU's answers, as the tracer gives them
            uc.hook_add(UC_HOOK_INSN, lambda u, d: cpuid(u, world.cpuid) is not None, None, 1, 0,
                        X.UC_X86_INS_CPUID)
        if world.params.get("int3") == "continue":
            uc.hook_add(UC_HOOK_INTR, lambda u, n, d: None)
        pc, ran = world.entry, 0
        try:
            for before, sig in schedule:
                if before > ran:
                    uc.emu_start(pc, 0, count=before - ran)
                ran = before
                signal(uc, kernel, sig, regs_of(uc), [])
                pc = uc.reg_read(X.UC_X86_REG_RIP)
            if total > ran:
                uc.emu_start(pc, 0, count=total - ran)
        except Exception:  # noqa: BLE001 - a fault ends the run, as in the trace
            pass
    return run


def paired_cpu_ms(a, b, pairs: int = 30, inner: int = 5) -> tuple[float, float]:
    """Medians of a() and b() in CPU milliseconds, sampled alternately so both see the same machine.
    Each batch starts, untimed, with a garbage collection and one call: a fresh Unicorn is freed
    only by the cyclic collector (its hooks refer back to it), and its teardown, or the cold caches
    the other side leaves, would otherwise be charged to whichever side runs next."""
    xs, ys = [], []
    for _ in range(pairs):
        for f, out in ((a, xs), (b, ys)):
            gc.collect()
            f()
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
