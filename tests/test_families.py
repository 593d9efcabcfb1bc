"""Families: a new one is one folder and one registration; every parameter takes effect or is refused."""
import json
from pathlib import Path

import pytest

from gosched_book import ScenarioError, run, scenario
from gosched_book.__main__ import main
from gosched_book.machine.core import G
from gosched_book.machine.world import build
from gosched_book.scenario import family
from gosched_book.scenario.family import Family, Param, Routine, preset, preset_params
from gosched_book.whatif.controls import controls, static_scenarios

TOY_S = """#include "textflag.h"

// A throwaway routine: AX += 1, then return to main·toy_done.
TEXT main·toy(SB), NOSPLIT, $0-0
	ADDQ	$1, AX
	RET

TEXT main·toy_done(SB), NOSPLIT, $0-0
	INT	$3
"""


def _toy_world(c) -> None:
    """The toy's world: AX = toy_ax at entry, and a return address to main·toy_done."""
    sp = c.stacks["g"][1] - 0x80
    c.word(sp, c.sym("main·toy_done"), "return address")
    c.regs.update(rip=c.sym("main·toy"), rsp=sp, rax=c.p["toy_ax"], r14=G)
    c.arrive[c.sym("main·toy_done")] = ("return", "toy returned")


@pytest.fixture
def toy(tmp_path: Path):
    (tmp_path / "toy.s").write_text(TOY_S, encoding="utf-8")
    fam = Family(
        "toy", tmp_path, world_files=("toy.s",),
        params=(Param("toy_ax", "word", 0x10, "玩具 AX", "入口时 AX 的值", (0x10, 0x20),
                      {0x10: "十六", 0x20: "三十二"}),),
        routines=(Routine("toy", "玩具例程：AX 加一", _toy_world, ("toy_ax",), {
            "normal": preset("AX 加一后返回", "return"),
        }),),
    )
    family.register(fam)
    yield fam
    family.unregister("toy")


def test_a_family_registered_from_a_test_runs(toy):
    t = run("toy")
    assert t.end.kind == "return" and len(t.steps) == 2
    assert t.steps[0].regs["rax"] == 0x11  # ADDQ $1 on the default toy_ax
    assert run("toy", toy_ax=0x41).steps[0].regs["rax"] == 0x42
    assert "toy" in family.PRESETS and family.ROUTINE_TITLES["toy"].startswith("玩具")


def test_a_registered_family_reaches_the_cli(toy, capsys):
    assert main(["list"]) == 0
    assert "toy: 玩具例程" in capsys.readouterr().out
    assert main(["trace", "toy", "--set", "toy_ax=0x7", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["toy_ax"] == "0x7" and d["routine"] == "toy"
    assert d["steps"][0]["regs"]["rax"] == "0x8"


def test_a_registered_family_gets_static_controls(toy):
    cs = {c.name: c for c in controls("toy")}
    assert cs["toy_ax"].kind == "choice" and [ch.label for ch in cs["toy_ax"].choices] == ["16", "32"]
    runs = static_scenarios(scenario("toy"), ("choice",))
    assert {s.toy_ax for s in runs} == {None, 0x10, 0x20}  # the base, and each value
    assert {run(s).steps[0].regs["rax"] for s in runs} == {0x11, 0x21}


def test_unregistering_removes_the_family(toy):
    family.unregister("toy")
    with pytest.raises(ScenarioError, match="unknown routine"):
        run("toy")
    assert "toy.s" not in family.all_files()
    family.register(toy)  # the fixture unregisters it again


def test_clashing_registrations_are_refused(toy, tmp_path):
    with pytest.raises(ScenarioError, match="already registered"):
        family.register(Family("toy", tmp_path))
    with pytest.raises(ScenarioError, match="routine toy is already registered"):
        family.register(Family("toy2", tmp_path, routines=toy.routines))
    with pytest.raises(ScenarioError, match="parameter toy_ax is already registered"):
        family.register(Family("toy3", tmp_path, params=toy.params))
    with pytest.raises(ScenarioError, match="already has preset normal"):
        family.register(Family("toy4", tmp_path, presets={"toy": {"normal": preset("x", "return")}}))


def test_a_parameter_a_routine_does_not_take_is_refused():
    with pytest.raises(ScenarioError, match="mcall does not take rounds"):
        run("mcall", rounds=2)
    with pytest.raises(ScenarioError, match="gobuf does nothing in gogo:newg") as e:
        run("gogo", "newg", gobuf="g0")
    assert e.value.zh.startswith("gobuf 在 gogo:newg 里不起作用") and "max_steps" in e.value.zh
    with pytest.raises(ScenarioError) as e:
        run("mcall", rounds=2)
    assert e.value.zh.startswith("mcall 没有 rounds 这一项")


# Every parameter of every preset changes the world it starts from, or is refused -------------

WORDS = (0xC000041E08, 0x7FFFF7F03E08, 0x1)


def _world(s):
    w = build(s)
    return (tuple(sorted(w.regs.items())), w.memory, tuple(sorted(w.arrive.items())),
            tuple(sorted(w.leave.items())), w.stacks, w.kernel, w.fs_base, tuple(sorted(w.cpuid.items())))  # the kernel's signals are the world's too


def _cases():
    for routine in family.routines():
        for name in family.presets_of(routine):
            for q in preset_params(routine, name):
                yield routine, name, q


@pytest.mark.parametrize("routine, name, q", list(_cases()),
                         ids=lambda x: getattr(x, "name", x))
def test_every_parameter_takes_effect(routine, name, q):
    base = scenario(routine, name)
    ran = base.resolved()[q.name]
    values = [v for v in (q.choices if q.kind != "word" else WORDS) if v != ran]
    if q.kind == "word" and q.choices:
        values = [v for v in q.choices if v != ran] + values
    assert values
    before = _world(base)
    if q.name == "int3":
        # What the machine does after INT $3: the world is the same, the run is not.
        other = scenario(base, **{q.name: values[0]})
        assert run(other).steps != run(base).steps or run(other).end != run(base).end
        return
    for v in values:
        try:
            changed = _world(scenario(base, **{q.name: v}))
        except ScenarioError:
            continue  # refused, with a message: fine
        assert changed != before, f"{routine}:{name} {q.name}={v!r} changed nothing in the world"
        return
    pytest.fail(f"{routine}:{name} {q.name}: no value was accepted")


def test_after_newstack_gobuf_ctxt_is_the_value_set():
    # It used to be recorded in the trace's params and then ignored by the world.
    def ctxt_loaded(t):  # DX after gogo<>'s MOVQ gobuf_ctxt(BX), DX
        return next(s.regs["rdx"] for s in t.steps if s.plan9.startswith("MOVQ") and "gobuf_ctxt" in s.plan9
                    and s.plan9.rstrip().endswith("DX"))

    t = run("gogo", "after_newstack", gobuf_ctxt=0x1234)
    assert t.params["gobuf_ctxt"] == 0x1234 and ctxt_loaded(t) == 0x1234
    default = run("gogo", "after_newstack")
    assert default.params["gobuf_ctxt"] is None  # computed: the closure context newstack moved
    assert default.stacks and ctxt_loaded(default) != 0x1234
    lo, hi = next((lo, hi) for name, lo, hi in default.stacks if name == "g")
    assert lo <= ctxt_loaded(default) < hi  # on the new stack
