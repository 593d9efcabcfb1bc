"""goexit:normal: the function's return into goexit+1 reaches goexit0 on g0 through mcall; compared
with the real runtime's recording (gosched_book/runtime/reference/goexit.normal.json) where present."""
import json
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.machine.core import G, G0, STACKS
from gosched_book.machine.code import code_image
from helpers import assert_golden, writes_to

REF = Path(__file__).parents[1] / "gosched_book" / "runtime" / "reference" / "goexit.normal.json"


def test_goexit_reaches_goexit0_on_g0_by_mcall():
    t = run("goexit")
    hi = STACKS["g"][1]
    assert t.end.kind == "call" and t.steps[0].pc == code_image().symbols["runtime·goexit"] + 1
    assert t.initial_regs["rsp"] == hi - 0x20
    # mcall's saves: goexit1's frame (0x30 bytes below the CALL goexit1), as the real run shows.
    assert writes_to(t, "g.sched.sp") == [(14, hi - 0x58)]
    assert writes_to(t, "g.sched.bp")[0][1] == hi - 0x30
    last = t.regs_at(len(t.steps))
    assert last["r14"] == G0 and last["rax"] == G and last["rdx"] == 0x560230


def test_goexit_is_the_toolchains_bytes(golden):
    assert_golden(code_image(), "runtime·goexit", golden)


@pytest.mark.skipif(not REF.exists(), reason="the gdb reference has not landed")
def test_goexit_matches_the_real_runtime_from_goexit_plus_1():
    ref = json.loads(REF.read_text())
    steps = [s for s in ref["steps"] if "pc" in s and "skipped" not in s]
    start = next(i for i, s in enumerate(steps) if s["sym"] == "runtime.goexit.abi0+0x1")
    real = steps[start:]
    t = run("goexit")
    img = code_image()
    ours = [(s.routine.split("+")[0], s.bytes.hex()) for s in t.steps]
    # The runtime's own routines (goexit, the ABI0 wrapper, mcall) step for step; goexit1's body is
    # the compiled Go function there and the book's stand-in here: compared by what it leaves.
    def runtime_part(rows, names):
        return [b for n, b in rows if n in names]
    theirs = [(s["sym"].split("+")[0], s["bytes"]) for s in real]
    assert runtime_part(ours, ("runtime·mcall",)) == runtime_part(theirs, ("runtime.mcall",))
    assert runtime_part(ours, ("runtime·goexit",))[0][:2] == "e8"
    hi = int(ref["structures"]["g.stack.hi"], 16)
    sched = {m[1]: int(m[3], 16) for s in real for m in s["mem"] if m[1].startswith("g.sched")}
    mine = {w.label: w.value for s in t.steps for w in s.writes if w.label.startswith("g.sched")}
    assert sched["g.sched.sp"] - hi == mine["g.sched.sp"] - STACKS["g"][1]
    assert sched["g.sched.bp"] - hi == mine["g.sched.bp"] - STACKS["g"][1]
    assert img.symbols  # the image the trace ran in
