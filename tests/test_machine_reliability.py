"""Issue 12, machine half: traces never depend on timing, and report what really ran and faulted."""
import dataclasses
import json
import threading

import pytest

from gosched_book import api, run
from gosched_book.machine import runs
from gosched_book.errors import ScenarioError
from gosched_book.machine.runner import run_world
from gosched_book.scenario.family import PRESETS
from gosched_book.machine.trace import End, Trace, to_dict
from gosched_book.machine.core import FNVAL, G
from gosched_book.machine.world import build
from gosched_book.machine.core import off

ALL = [(r, p) for r in PRESETS for p in PRESETS[r]]
# Mixed presets and overrides, including long runs that end by the step budget.
MIXED = [api.scenario(r, p) for r, p in ALL] + [
    api.scenario("mcall", "normal", entry_sp=0xC000041E00),
    api.scenario("systemstack", "ctxt_abort", int3="continue", max_steps=2006),
    api.scenario("abort", "loop", max_steps=2006),
    api.scenario("gogo", "normal", gobuf_ret=0x1234, gobuf_ctxt=0x5678),
    api.scenario("mcall", "fn_returns", max_steps=3),
    api.scenario("mcall", "normal", entry_sp=0x8000000000000000),
    # Register and memory overrides, and listing patches.
    api.scenario("systemstack", "normal", r14="g0", **{"m.curg": "g2"}),
    api.scenario("mcall", "normal", rax=0),
    api.scenario("gogo", "normal", **{"g.sched.pc": "noncanonical"}),
    api.scenario("systemstack", "normal", patch="systemstack.s:30="),
    api.scenario("gogo", "normal", patch="gogo.s:9="),
]


def _fresh(s) -> str:
    return json.dumps(to_dict(run_world(build(s))))


def _threaded(runs_per_thread: int, threads: int = 8) -> None:
    want = {s: _fresh(s) for s in MIXED}
    bad: list[str] = []

    def work(k: int) -> None:
        for j in range(runs_per_thread):
            s = MIXED[(k * 7 + j) % len(MIXED)]
            if _fresh(s) != want[s]:
                bad.append(s.key)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not bad, f"{len(bad)} threaded traces differ from single-threaded ones: {bad[:5]}"


def test_threads_give_the_single_threaded_traces():
    _threaded(40)


@pytest.mark.slow
def test_eight_threads_thousand_runs_each():
    _threaded(1000)


def test_long_loop_runs_to_its_budget():
    t = run("systemstack", "ctxt_abort", int3="continue", max_steps=2006)
    assert t.end.settled
    assert t.end.kind == "limit" and len(t.steps) == 2006


def test_an_unsettled_run_is_not_cached(monkeypatch):
    calls = []
    real = run_world

    def cut_short(world):
        calls.append(1)
        t = real(world)
        return dataclasses.replace(t, end=End("limit", "stopped", 0, settled=False))

    monkeypatch.setattr("gosched_book.machine.runs.run_world", cut_short)
    runs._cached.cache_clear()
    s = dict(entry_sp=0xC000041E08)
    a, b = run("mcall", **s), run("mcall", **s)
    assert len(calls) == 2 and not a.end.settled and not b.end.settled
    monkeypatch.setattr("gosched_book.machine.runs.run_world", real)
    runs._cached.cache_clear()
    assert run("mcall", **s).end.settled and run("mcall", **s) is run("mcall", **s)


def _with_word(s, addr: int, value: int):
    w = build(s)
    mem = tuple((a, value if a == addr else v) for a, v in w.memory)
    return run_world(dataclasses.replace(w, memory=mem))


def test_call_to_address_zero_is_a_nil_function_fault():
    t = _with_word(api.scenario("mcall"), FNVAL, 0)  # fn's code pointer is nil: CALL R12 goes to 0
    assert t.end.kind == "fault" and t.end.address == 0 and t.end.pc == 0
    assert "fetch" in t.end.detail and "nil 函数" in t.end.summary
    assert t.steps[-1].plan9 == "CALL    R12"  # the call itself retired
    via_api = run("mcall", **{"fn.code": 0})
    assert (via_api.end.kind, via_api.end.address, via_api.end.summary) == ("fault", 0, t.end.summary)


@pytest.mark.parametrize("sp, address, kind", [
    (0x8000000000000000, 0x8000000000000000, "#GP"),
    (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, "read of"),
    (0x800000C000041F00, 0x800000C000041F00, "#GP"),  # masked, this would be the real stack
])
def test_fault_addresses_are_full_and_noncanonical_is_gp(sp, address, kind):
    t = run("mcall", entry_sp=sp)
    assert t.end.kind == "fault" and t.end.address == address
    assert kind in t.end.detail and f"{address:#x}" in t.end.detail
    assert t.end.pc == t.symbols["runtime·mcall"] + 3  # MOVQ 0(SP), BX did not retire
    if kind == "#GP":
        assert "一般保护异常（#GP）" in t.end.summary and "general protection" in t.end.detail


def test_g0_sched_sp_zero_faults_at_the_exact_address():
    t = run("mcall", g0_sched_sp=0)
    assert t.end.kind == "fault" and t.end.address == 0xFFFFFFFFFFFFFFF8
    assert "write of 0xfffffffffffffff8" in t.end.detail
    assert t.steps[-1].plan9.startswith("MOVQ    (g_sched+gobuf_sp)(R14), SP")


def test_jump_to_a_noncanonical_target_is_gp_at_the_jump():
    s = api.scenario("gogo")
    pc_word = G + off("g", "sched.pc")
    t = _with_word(s, pc_word, 0x8000000000000000 | run("gogo").end.pc)  # masked: a real address
    assert t.end.kind == "fault" and "#GP" in t.end.detail
    assert t.end.pc == t.symbols["gogo<>"] + 62 and t.end.address >> 63
    assert t.steps[-1].plan9.startswith("MOVQ    gobuf_pc(BX), BX")  # JMP BX did not retire


@pytest.mark.parametrize("field, value", [("g0_sched_sp", 0x401008), ("entry_sp", 0x401000)])
def test_world_never_writes_code(field, value):
    with pytest.raises(ScenarioError, match=rf"read-only text .*{field}={value:#x}"):
        run("mcall", **{field: value})


def test_step_shows_the_bytes_that_ran():
    w = build(api.scenario("mcall"))
    entry = w.entry
    at = entry - w.image.base
    code = w.image.code[:at] + bytes.fromhex("4889c1") + w.image.code[at + 3:]  # mov rcx, rax
    t = run_world(dataclasses.replace(w, image=dataclasses.replace(w.image, code=code)))
    first = t.steps[0]
    assert first.bytes == bytes.fromhex("4889c1") and first.intel == "mov rcx, rax"
    assert first.plan9 == "" and "清单" in first.note and "4889c2" in first.note
    assert first.regs["rcx"] == first.regs["rax"] and "rcx" in first.changed
    assert isinstance(t, Trace)
