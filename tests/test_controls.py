"""controls.py: every control's static values run, and the slider grids reach every outcome."""
import random
import zlib

import pytest

from gosched_book import run
from gosched_book.scenario.family import routine as routine_of
from gosched_book.whatif.controls import _stack_of, controls, outcome, static_scenarios
from gosched_book.scenario.values import MEMORY, REGISTERS
from gosched_book.scenario.family import PRESETS, params_of
from gosched_book.scenario.scenario import Scenario, parse_key
from gosched_book.machine.core import STACKS

ENDS = {"call", "jump", "return", "event", "fault", "limit"}


def reachable(scenarios) -> tuple[set, set]:
    ends, branches = set(), set()
    for s in scenarios:
        e, b = outcome(run(s))
        ends.add(e)
        branches |= b
    return ends, branches


@pytest.mark.parametrize("routine", list(PRESETS))
def test_every_control_lists_labels_and_every_static_value_runs(routine):
    cs = controls(routine)
    names = {c.name for c in cs}
    assert set(REGISTERS) <= names and set(MEMORY) <= names and "entry_sp" in names
    assert "rip" not in names
    for c in cs:
        assert c.label and c.help and c.kind in ("choice", "slider", "register", "memory", "patch")
        assert all(ch.meaning for ch in c.choices)
        assert c.static_values()
    for s in static_scenarios(Scenario(routine)):
        t = run(s)
        assert t.end.kind in ENDS
        assert parse_key(s.key) == s  # the page's fragments name each of them


def test_reads_is_computed_from_runs():
    by = {c.name: c for c in controls("mcall")}
    assert by["rax"].reads and by["r14"].reads and by["rsp"].reads  # fn, g, the saved SP
    assert not by["r12"].reads  # mcall writes R12 before it reads it
    assert not by["tls.g"].reads  # mcall takes g from R14, not from TLS
    assert len(by["rax"].choices) > len(by["r12"].choices) == 2
    gogo = {c.name: c for c in controls("gogo")}
    assert gogo["g.sched.pc"].reads and not gogo["g.sched.lr"].reads


def test_chapter_patches_find_their_lines_and_change_the_run():
    for routine in ("mcall", "systemstack", "gogo"):
        items = routine_of(routine).patches
        c = next(c for c in controls(routine) if c.kind == "patch")
        assert len(c.choices) == 1 + len(items)
        base = run(routine)
        for ch in c.choices[1:]:
            t = run(c.apply(Scenario(routine), ch.value))
            assert [s.pc for s in t.steps] != [s.pc for s in base.steps] or t.end != base.end, ch.label


def test_apply_and_value_round_trip():
    s = Scenario("systemstack")
    for c in controls("systemstack"):
        v = c.static_values()[-1]
        moved = c.apply(s, v)
        assert c.value(moved) == (tuple(v) if c.kind == "patch" else v)
        assert c.value(c.apply(moved, None)) in (None, ())


def _dense(center: int, lo: int, hi: int, seed: int) -> list[int]:
    """Every 8 bytes near `center`, every 0x40 across the stack and beyond, and random words."""
    rng = random.Random(seed)
    pts = set(range(center - 0x200, center + 0x200, 8))
    pts |= set(range(lo - 0x100, hi + 0x100, 0x40))
    pts |= {rng.randrange(lo - 0x1000, hi + 0x1000) & ~7 for _ in range(40)}
    pts |= {rng.randrange(0, 2**64) for _ in range(20)}
    return sorted(p for p in pts if 0 <= p < 2**64)


def _grid_covers(routine: str, name: str) -> None:
    base = Scenario(routine)
    c = next(c for c in controls(routine) if c.name == name)
    t = run(base)
    if name == "entry_sp":
        center = t.initial_regs["rsp"]
        lo, hi = _stack_of(t, center) or STACKS["g"]
    else:
        lo, hi = STACKS["g0"]
        center = min(c.grid, key=lambda v: abs(v - (hi - 0x40)))
    dense = reachable(c.apply(base, v) for v in _dense(center, lo, hi, zlib.crc32(routine.encode())))
    grid = reachable(c.apply(base, v) for v in c.grid)
    assert dense[0] <= grid[0], f"endings only in the dense sample: {dense[0] - grid[0]}"
    assert dense[1] <= grid[1], f"branch outcomes only in the dense sample: {dense[1] - grid[1]}"


def test_entry_sp_grid_reaches_every_outcome_mcall():
    _grid_covers("mcall", "entry_sp")


SLIDERS = [(r, n) for r in PRESETS for n in ("entry_sp", "g0_sched_sp")
           if n in {q.name for q in params_of(r)}]  # only the routines that take the slider


@pytest.mark.slow
@pytest.mark.parametrize("routine, name", SLIDERS)
def test_slider_grids_reach_every_outcome(routine, name):
    _grid_covers(routine, name)


def test_static_scenarios_can_be_limited_to_some_kinds():
    base = Scenario("gogo")
    few = static_scenarios(base, kinds=("choice", "patch"))
    assert few[0] == base and len(few) < len(static_scenarios(base)) / 5
    assert {s.patch for s in few} > {()} and all(not s.regs and not s.mem for s in few)
