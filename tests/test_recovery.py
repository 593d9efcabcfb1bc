"""Recovery: gopanic's mcall(recovery) and recovery's gogo for a defer record and an open-coded
defer; compared with the real runtime's recordings (gosched_book/runtime/reference/) where present."""
import json
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.machine.code import code_image
from gosched_book.machine.core import G, G0, STACKS
from helpers import initial, writes_to

REF = Path(__file__).parents[1] / "gosched_book" / "runtime" / "reference"
OURS = {"runtime·mcall": "runtime.mcall", "runtime·gogo": "runtime.gogo.abi0", "gogo<>": "gogo"}


@pytest.mark.parametrize("preset", ["recover", "recover_open"])
def test_gogo_is_entered_with_recoverys_bp_not_gobuf_bp(preset):
    t = run("gogo", preset)
    bp0, gbp, gsp = t.initial_regs["rbp"], initial(t, "g.sched.bp"), initial(t, "g.sched.sp")
    lo0, hi0 = STACKS["g0"]
    assert lo0 <= bp0 < hi0 and bp0 - t.initial_regs["rsp"] == 0x30  # recovery's frame on g0
    assert gbp != bp0 and gbp < gsp  # gopanic's BP, as mcall saved it: below the resumed SP
    assert initial(t, "g.sched.ret") == 1


def test_recover_open_resumes_at_the_frames_call_deferreturn_with_ax_1():
    t = run("gogo", "recover_open")
    r = t.regs_at(len(t.steps))
    assert t.end.kind == "jump" and r["rax"] == 1 and r["r14"] == G
    nxt = t.symbols["main·opendefer"]
    assert nxt < t.end.pc < nxt + 0x40
    call = code_image().at(t.end.pc)
    assert call.ins.mnemonic == "CALL" and call.ins.operands[0].symbol == "runtime·deferreturn"


def test_mcall_recovery_calls_recovery_on_g0():
    t = run("mcall", "recovery")
    r = t.regs_at(len(t.steps))
    assert t.end.kind == "call" and t.end.pc == t.symbols["runtime·recovery"]
    assert r["r14"] == G0 and r["rax"] == G and t.tls_at(len(t.steps)) == G0
    assert writes_to(t, "g.sched.bp")[0][1] == t.initial_regs["rbp"]


def _compare(routine, preset):
    path = REF / f"{routine}.{preset}.json"
    if not path.exists():
        pytest.skip(f"{path.name}: the gdb reference has not landed")
    ref = json.loads(path.read_text())
    real = [s for s in ref["steps"] if "pc" in s and "skipped" not in s and "kernel" not in s]
    t = run(routine, preset)
    mine = [(s.routine, s.bytes.hex()) for s in t.steps if s.routine in OURS]
    theirs = [(s["sym"].split("+")[0], s["bytes"]) for s in real if s["sym"].split("+")[0] in OURS.values()]
    assert [OURS[n] for n, _ in mine] == [n for n, _ in theirs]
    for (n, b), (_, rb) in zip(mine, theirs):
        if not b.startswith(("e8", "e9")):  # rel32 displacements depend on the link
            assert b == rb, n
    # Each instruction moves SP by the same amount (the callers' frames above are the book's
    # sketch and the real program's deeper chain, so SP itself differs by a constant per stack).
    def deltas(sps):
        return [b - a for a, b in zip(sps, sps[1:])]
    sp_ours = [t.initial_regs["rsp"]] + [t.regs_at(i + 1)["rsp"] for i in range(len(t.steps))]
    sp_real, sp = [int(ref["initial"]["regs"]["rsp"], 16)], int(ref["initial"]["regs"]["rsp"], 16)
    for s in real[:len(t.steps)]:
        sp = int(s["regs"].get("rsp", hex(sp)), 16)
        sp_real.append(sp)
    same = [i for i, (a, b) in enumerate(zip(deltas(sp_ours), deltas(sp_real))) if a == b]
    switch = [i for i, s in enumerate(t.steps) if s.plan9.split()[-1] == "SP" and s.plan9.startswith("MOVQ")]
    assert all(i in same or i in switch for i in range(min(len(t.steps), len(real))))
    # TLS g changes at the same steps.
    tls_real = [i for i, s in enumerate(real) if "tls_g" in s["regs"]]
    tls_ours = [i for i in range(len(t.steps)) if t.tls_at(i + 1) != t.tls_at(i)]
    assert tls_ours == [i for i in tls_real if i < len(t.steps)]


@pytest.mark.parametrize("routine,preset", [("mcall", "recovery"), ("gogo", "recover"),
                                            ("gogo", "recover_open")])
def test_matches_the_real_runtime(routine, preset):
    _compare(routine, preset)
