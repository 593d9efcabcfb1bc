"""asmcgocall: TLS g then SP to g0, g and the stack depth saved on g0's stack, back; compared with
the real runtime's recording (gosched_book/runtime/reference/asmcgocall.normal.json) where present."""
import json
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.machine.code import code_image
from gosched_book.machine.core import G, G0, STACKS
from helpers import assert_golden, writes_to

REF = Path(__file__).parents[1] / "gosched_book" / "runtime" / "reference" / "asmcgocall.normal.json"


def test_asmcgocall_is_the_toolchains_bytes(golden):
    assert_golden(code_image(), "·asmcgocall", golden)


def test_normal_switches_tls_g_before_sp_and_saves_g_and_depth():
    t = run("asmcgocall")
    assert t.end.kind == "return"
    tls = next(i for i in range(len(t.steps)) if t.tls_at(i + 1) == G0)
    sp = next(i for i in range(len(t.steps)) if STACKS["g0"][0] <= t.regs_at(i + 1)["rsp"] < STACKS["g0"][1])
    assert tls + 1 == sp  # TLS g first, SP next
    assert all(t.regs_at(i + 1)["r14"] == G for i in range(len(t.steps)))  # R14 is never written
    entry = t.initial_regs["rsp"]
    saved = {w.value for s in t.steps for w in s.writes if STACKS["g0"][0] <= w.addr < STACKS["g0"][1]}
    assert G in saved and STACKS["g"][1] - entry in saved  # the g and the depth, not SP
    assert writes_to(t, "g.sched.pc")[0][1] == t.symbols["runtime·systemstack_switch"]
    end = t.regs_at(len(t.steps))
    assert end["rsp"] == entry + 8 and t.tls_at(len(t.steps)) == G
    args, m0, m1 = entry + 0x68, t.memory_at(0), t.memory_at(len(t.steps))
    assert m0[entry + 16] == args and m0[args + 16] == 0
    assert m1[args + 16] == m0[args] + m0[args + 8]  # the C function wrote r on the goroutine's stack
    assert t.memory_at(len(t.steps)).get(t.symbols["g"] + 0x38) != 0  # g.sched.sp not zeroed


@pytest.mark.parametrize("preset,tls", [("on_g0", G0), ("no_g", 0)])
def test_on_a_system_stack_nothing_is_switched(preset, tls):
    t = run("asmcgocall", preset)
    assert t.end.kind == "return"
    assert all(t.tls_at(i) == tls for i in range(len(t.steps) + 1))
    assert not any(s.routine == "gosave_systemstack_switch<>" for s in t.steps)
    assert t.regs_at(len(t.steps))["rsp"] == t.initial_regs["rsp"] + 8


@pytest.mark.skipif(not REF.exists(), reason="the gdb reference has not landed")
def test_normal_matches_the_real_runtime():
    ref = json.loads(REF.read_text())
    real = [s for s in ref["steps"] if "pc" in s and "skipped" not in s]
    t = run("asmcgocall")
    names = {"·asmcgocall": "runtime.asmcgocall.abi0", "gosave_systemstack_switch<>": "gosave_systemstack_switch"}
    mine = [(names[s.routine], s.bytes.hex()) for s in t.steps if s.routine in names]
    theirs = [(s["sym"].split("+")[0], s["bytes"]) for s in real if s["sym"].split("+")[0] in names.values()]
    assert [n for n, _ in mine] == [n for n, _ in theirs]
    for (n, b), (_, rb) in zip(mine, theirs):
        if not b.startswith(("e8", "4c8d0d")):  # rel32 / RIP-relative displacements depend on the link
            assert b == rb, n
    hi = int(ref["structures"]["g.stack.hi"], 16)
    depth_real = next(int(m[3], 16) for s in real for m in s["mem"] if m[1] == "g0.stack.hi-0x58")
    assert depth_real == hi - int(ref["initial"]["regs"]["rsp"], 16)
    assert STACKS["g"][1] - t.initial_regs["rsp"] == depth_real
    tls_real = [s["sym"] for s in real if "tls_g" in s["regs"]]
    tls_ours = [names[t.steps[i].routine] + "+" + hex(t.steps[i].pc - t.symbols["·asmcgocall"])
                for i in range(len(t.steps)) if t.tls_at(i + 1) != t.tls_at(i)]
    assert tls_ours == tls_real


def test_on_g0_matches_the_real_runtime_step_by_step():
    """asmcgocall:on_g0 against newm1's asmcgocall(_cgo_thread_start, &ts) on m0's g0, recorded under
    gdb (reference/asmcgocall.on_g0.json): the nosave path, every paired step identical."""
    from gosched_book.chapters import cgo
    from gosched_book.runtime.recorded import load

    rec = load("asmcgocall.on_g0")
    g0_lo, g0_hi = rec.stack("g0")
    assert "g" not in rec.structures and rec.entries[0].regs_before["tls_g"] == rec.structures["g0"]
    t = run("asmcgocall", "on_g0")
    assert STACKS["g0"][1] - t.initial_regs["rsp"] == g0_hi - rec.entries[0].regs_before["rsp"]  # the same depth
    h = cgo.held("asmcgocall", "on_g0")
    assert h.steps == sum(1 for s in t.steps if s.routine == "·asmcgocall") == 24
    assert h.same == h.steps and not h.differ
    assert [e.sym for e in rec.entries if e.kind == "skipped"] == ["x_cgo_thread_start+0x0"]
    assert "没有不同之处" in cgo.reference_table("asmcgocall", "on_g0").data
