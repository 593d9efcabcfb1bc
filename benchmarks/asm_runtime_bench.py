"""Assembling the Go runtime's asm_amd64.s, preempt_amd64.s and sys_linux_amd64.s (goal: <= 0.3 s).

`python benchmarks/run.py asm`. Each file is assembled whole when it assembles; otherwise every
TEXT block of it is assembled on its own (what the toolchain test does), refused blocks included,
so the time covers the same ~3,200 instructions either way.
"""
from __future__ import annotations

import statistics
import time
from gosched_book.runtime.gosrc import GO_SRC

RUNTIME = GO_SRC / "runtime"
FILES = ("asm_amd64.s", "preempt_amd64.s", "sys_linux_amd64.s")


def _assemble_file(name: str, text: str, blocks) -> int:
    """Assemble one file; returns how many of its blocks were refused."""
    from gosched_book.asm.toolchain import assemble_block, assemble_source
    from gosched_book.errors import AsmError

    try:
        assemble_source(text, name)
        return 0
    except AsmError:
        pass
    refused = 0
    for b in blocks:
        try:
            assemble_block(b, name)
        except AsmError:
            refused += 1
    return refused


def bench_asm_runtime() -> None:
    from gosched_book.asm.blocks import text_blocks

    if not (RUNTIME / FILES[0]).exists():
        print(f"assemble the runtime's files: skipped ({RUNTIME} missing: apt-get install golang-1.19-src)")
        return
    texts = {f: (RUNTIME / f).read_text(encoding="utf-8") for f in FILES}
    blocks = {f: text_blocks(t) for f, t in texts.items()}
    refused = sum(_assemble_file(f, texts[f], blocks[f]) for f in FILES)
    walls, cpus = [], []
    for _ in range(9):
        cpu, wall = time.process_time(), time.perf_counter()
        for f in FILES:
            _assemble_file(f, texts[f], blocks[f])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    n = sum(len(b) for b in blocks.values())
    # CPU time too: on a shared machine the wall time also counts other processes' turns.
    print(f"assemble asm_amd64.s + preempt_amd64.s + sys_linux_amd64.s ({n} TEXT blocks, "
          f"{refused} refused): median {statistics.median(walls) * 1000:.0f} ms wall, "
          f"{statistics.median(cpus) * 1000:.0f} ms CPU (goal: <= 300 ms)")
