"""Determinism, the JSON format and the CLI."""
import json
import subprocess
import sys

import pytest

from gosched_book import PRESETS, ScenarioError, run
from gosched_book.machine.runner import run_world
from gosched_book.machine.trace import FORMAT, from_dict, to_dict
from gosched_book.machine.world import build
from gosched_book.scenario.scenario import Scenario

CASES = [(r, p) for r, ps in PRESETS.items() for p in ps]


@pytest.mark.parametrize("routine, preset", CASES)
def test_same_scenario_same_trace_byte_for_byte(routine, preset):
    a = run_world(build(Scenario(routine, preset))).to_json()
    b = run_world(build(Scenario(routine, preset))).to_json()
    assert a == b


@pytest.mark.parametrize("routine, preset", CASES)
def test_json_has_the_documented_shape_and_round_trips(routine, preset):
    t = run(routine, preset)
    d = json.loads(t.to_json())
    assert d["format"] == FORMAT
    assert {"routine", "scenario", "params", "symbols", "initial", "steps", "end"} <= d.keys()
    assert set(d["initial"]["regs"]) >= {"rax", "rsp", "rbp", "rip", "r14", "r15"}
    for s in d["steps"]:
        assert {"i", "routine", "pc", "bytes", "plan9", "intel", "line", "comment", "regs",
                "changed", "writes", "tls_g"} <= s.keys()
        assert all(v.startswith("0x") for v in s["regs"].values())
        for w in s["writes"]:
            assert {"addr", "size", "value", "label"} <= w.keys()
    assert {"kind", "detail", "pc"} <= d["end"].keys()
    assert to_dict(from_dict(d)) == d


def test_changed_lists_exactly_the_registers_that_differ():
    t = run("mcall")
    prev = t.initial_regs
    for s in t.steps:
        assert set(s.changed) == {r for r in s.regs if r != "rip" and s.regs[r] != prev[r]}
        prev = s.regs


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gosched_book", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_list_and_trace():
    out = run_cli("list")
    assert out.returncode == 0 and "mcall" in out.stdout and "on_gsignal" in out.stdout
    tr = run_cli("trace", "mcall", "--scenario", "on_g0")
    assert tr.returncode == 0 and "badmcall" in tr.stdout and "CMPQ    SI, R14" in tr.stdout


def test_cli_json_is_identical_across_processes():
    a = run_cli("trace", "roundtrip", "--json", "--set", "rounds=2")
    b = run_cli("trace", "roundtrip", "--json", "--set", "rounds=2")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert json.loads(a.stdout)["end"]["kind"] == "return"


def test_cli_bad_field_is_a_clear_error():
    out = run_cli("trace", "mcall", "--set", "nosuch=1")
    assert out.returncode == 2 and "nosuch" in out.stderr and "Traceback" not in out.stderr


def test_unknown_routine_and_preset_are_scenario_errors():
    with pytest.raises(ScenarioError, match="unknown routine"):
        run("nope")
    with pytest.raises(ScenarioError, match="no preset"):
        run("mcall", "nope")
