"""What-if: register and memory overrides, listing patches, scenario keys."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gosched_book import AsmError, Patch, ScenarioError, run
from gosched_book.api import scenario
from gosched_book.scenario.values import MEMORY, REGISTERS, SYMBOLS, UNMAPPED
from gosched_book.scenario.family import PRESETS
from gosched_book.scenario.family import source
from gosched_book.scenario.scenario import Scenario, make, parse_key
from gosched_book.machine.trace import from_dict, to_dict
from gosched_book.machine.core import G, G0

ENDS = {"call", "jump", "return", "event", "fault", "limit"}


def _line(file: str, text: str) -> int:
    """Line number of the first line of `file` containing `text`."""
    return next(n for n, s in enumerate(source(file).splitlines(), 1) if text in s)


# Registers and memory words ----------------------------------------------------------------

@pytest.mark.parametrize("routine", list(PRESETS))
@pytest.mark.parametrize("reg", REGISTERS)
def test_every_register_symbolic_value_gives_a_trace(routine, reg):
    for value in (*SYMBOLS, 0):
        t = run(routine, **{reg: value})
        assert t.end.kind in ENDS
        assert t.params["regs"] == {reg: value if isinstance(value, str) else "0x0"}


@pytest.mark.parametrize("word", list(MEMORY))
def test_every_memory_word_symbolic_value_gives_a_trace(word):
    for routine in ("mcall", "systemstack", "gogo"):
        for value in (*SYMBOLS, 0):
            t = run(routine, **{word: value})
            assert t.end.kind in ENDS


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(list(PRESETS)), st.sampled_from(REGISTERS + tuple(MEMORY)),
       st.integers(0, 2**64 - 1))
def test_raw_values_give_a_trace(routine, name, value):
    t = run(routine, **{name: value})
    assert t.end.kind in ENDS and t.end.summary


def test_register_override_lands_in_the_initial_registers():
    t = run("systemstack", r14="g0", rax=0x1234, rbp="unmapped")
    assert t.initial_regs["r14"] == G0
    assert t.initial_regs["rax"] == 0x1234
    assert t.initial_regs["rbp"] == UNMAPPED
    assert t.initial_regs["rip"] == t.symbols["runtime·systemstack"]  # rip stays the entry


def test_mcall_with_ax_zero_faults_reading_fn():
    t = run("mcall", rax=0)
    assert t.end.kind == "fault" and t.end.address == 0
    assert "MOVQ    0(DX), R12" in t.steps[-1].plan9 or t.end.pc == t.steps[-1].pc + len(t.steps[-1].bytes)


def test_memory_override_is_what_the_routine_reads():
    t = run("gogo", **{"g.sched.ret": 0x77})
    assert any(s.regs["rax"] == 0x77 for s in t.steps)  # gogo loads gobuf.ret into AX
    t2 = run("systemstack", **{"m.curg": "g2"})
    assert t2.end.detail == "badsystemstack"  # curg is no longer g: "bad"


def test_tls_g_override_is_seen_by_get_tls():
    t = run("mcall", "normal", **{"tls.g": "g0"})
    assert t.initial_tls_g == G0
    assert t.initial_regs["r14"] == G


@pytest.mark.parametrize("bad, why", [
    (dict(r14="nope"), "g0"), (dict(rax=-1), "2**64"), (dict(rax=2**64), "2**64"),
    (dict(rax=True), "integer"), (dict(rax=[1]), "integer"), (dict(rip=0), "rip"),
    ({"g.sched.xx": 0}, "g.sched.pc"), (dict(max_steps=True), "step count"),
    (dict(max_steps=1.5), "step count"), (dict(entry_sp="0x10"), "integer"),
    (dict(current=["g"]), "g0"), (dict(regs=5), "r14"), (dict(patch=5), "FILE:LINE"),
])
def test_bad_values_say_what_is_valid(bad, why):
    with pytest.raises(ScenarioError, match=None) as e:
        run("mcall", **bad)
    assert why in str(e.value)


def test_positional_list_as_preset_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="preset must be a preset name.*normal"):
        run("mcall", ["normal"])
    with pytest.raises(ScenarioError, match="routine must be"):
        run(["mcall"])


def test_preset_and_routine_are_not_fields():
    with pytest.raises(ScenarioError, match="--scenario"):
        make("mcall", None, preset="on_g0")


# Keys --------------------------------------------------------------------------------------

def test_equal_scenarios_equal_keys_and_traces():
    a = scenario("systemstack", r14="g0", **{"m.curg": "g2"}, patch="systemstack.s:29=")
    b = scenario("systemstack", "normal", patch=[Patch("systemstack.s", 29)],
                 mem={"m.curg": "g2"}, regs={"R14": "g0"})
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert to_dict(run(a)) == to_dict(run(b))


KEYED = [
    Scenario("mcall"),
    scenario("gogo", "nil_g", entry_sp=0x10, rdx="unmapped"),
    scenario("systemstack", "on_g0", patch=["systemstack.s:29+=NOP // a+b=c 中:文", "systemstack.s:7="]),
    scenario("abort", "loop", max_steps=9, int3="continue", **{"tls.g": 0, "g0.sched.pc": "fn"}),
    scenario("gogo", gobuf_g_nil=True, r14="&g.sched"),
]


@pytest.mark.parametrize("s", KEYED, ids=lambda s: s.key[:40])
def test_key_round_trips(s):
    assert parse_key(s.key) == s
    assert "%" not in s.key and "#" not in s.key and " " not in s.key


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(REGISTERS), st.one_of(st.integers(0, 2**64 - 1), st.sampled_from(list(SYMBOLS))),
       st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t and t.strip()))
def test_key_round_trips_any_value_and_patch_text(reg, value, text):
    s = make("systemstack", None, **{reg: value}, patch=[Patch("systemstack.s", 29, text, insert=True)])
    assert parse_key(s.key) == s


def test_bad_key_is_a_scenario_error():
    for key in ("mcall", "mcall:normal+r14", "mcall:nope", "mcall:normal+zz=1", "x:y"):
        with pytest.raises(ScenarioError):
            parse_key(key)


# Patches -----------------------------------------------------------------------------------

def test_delete_keeps_line_numbers_and_changes_the_run():
    n = _line("systemstack.s", "MOVQ    DX, R14")
    base = run("systemstack")
    t = run("systemstack", patch=f"systemstack.s:{n}=")
    assert n in {s.line for s in base.steps if s.file == "systemstack.s"}
    assert n not in {s.line for s in t.steps if s.file == "systemstack.s"}
    later = _line("systemstack.s", "MOVQ    (g_sched+gobuf_sp)(DX), BX")
    assert later in {s.line for s in t.steps if s.file == "systemstack.s"}  # numbering kept
    assert t.params["patch"] == [f"systemstack.s:{n}="]
    # fn now runs on g0's stack with R14 still = g.
    on_g0 = [s for s in t.steps if s.tls_g == G0 and s.routine == "main·sysfn"]
    assert on_g0 and all(s.regs["r14"] == G for s in on_g0)


def test_replaced_and_inserted_lines_are_marked():
    n = _line("mcall.s", "PUSHQ   AX")
    t = run("mcall", patch=[f"mcall.s:{n}=PUSHQ BX", f"mcall.s:{n}+=MOVQ AX, R9"])
    marked = [s for s in t.steps if s.patched]
    assert [s.plan9.split()[0] for s in marked] == ["PUSHQ", "MOVQ"]
    assert marked[1].regs["r9"] == marked[1].regs["rax"]
    assert not any(s.patched for s in run("mcall").steps)
    assert from_dict(to_dict(t)).steps == t.steps  # the mark survives JSON


def test_mcall_without_pushq_ax_changes_what_fn_sees():
    n = _line("mcall.s", "PUSHQ   AX")
    base, t = run("mcall"), run("mcall", patch=f"mcall.s:{n}=")
    assert base.end.kind == "call"
    assert t.end != base.end or len(t.steps) != len(base.steps)


def test_patch_that_does_not_assemble_is_an_asm_error_with_caret():
    n = _line("systemstack.s", "MOVQ    DX, R14")
    with pytest.raises(AsmError) as e:
        run("systemstack", patch=f"systemstack.s:{n}=MOVQ DX, (")
    assert e.value.line == n and e.value.loc.file == "systemstack.s"
    assert "^" in str(e.value)


def test_patch_that_removes_what_the_world_needs_is_a_scenario_error():
    n = _line("world.s", "CALL    runtime·systemstack(SB)")
    with pytest.raises(ScenarioError, match="patched listing"):
        run("systemstack", patch=f"world.s:{n}=")


@pytest.mark.parametrize("spec, why", [
    ("nofile.s:3=", "systemstack.s"), ("systemstack.s:0=", "line must be"),
    ("systemstack.s:9999=", "line must be"), ("systemstack.s=NOP", "FILE:LINE"),
    ("systemstack.s:x=NOP", "FILE:LINE"), ("systemstack.s:3-=NOP", "takes no text"),
    ("systemstack.s:3=" + "N" * 300, "one line"),
])
def test_bad_patches_say_what_is_expected(spec, why):
    with pytest.raises(ScenarioError) as e:
        run("systemstack", patch=spec)
    assert why in str(e.value)


def test_patched_runs_are_cached_per_patch():
    n = _line("systemstack.s", "MOVQ    DX, R14")
    a = run("systemstack", patch=f"systemstack.s:{n}=")
    assert run("systemstack", patch=f"systemstack.s:{n}=") is a
    assert run("systemstack") is not a


def test_edited_listing_becomes_patches_that_reproduce_it():
    from gosched_book.machine.code import edited
    from gosched_book.scenario.patch import diff_patches, patched_source

    lines = source("systemstack.s").splitlines()
    n = _line("systemstack.s", "MOVQ    DX, R14")
    lines[n - 1] = "    MOVQ    AX, R14"
    lines.insert(n, "    MOVQ    AX, R9")
    lines.insert(n, "    MOVQ    AX, R8")  # two inserts after the same line keep their order
    text = "\n".join(lines) + "\n"
    ps = edited("systemstack.s", text)
    assert ps == diff_patches("systemstack.s", text)
    assert patched_source("systemstack.s", ps) == text
    t = run("systemstack", patch=ps)
    assert [s.plan9.split()[-1] for s in t.steps if s.patched] == ["R14", "R8", "R9"]
    assert parse_key(scenario("systemstack", patch=ps).key).patch == ps


def test_edited_listing_that_does_not_assemble_names_the_editors_line():
    from gosched_book.machine.code import edited

    lines = source("systemstack.s").splitlines()
    del lines[2]  # numbering shifts: errors must use the edited text's numbers
    n = _line("systemstack.s", "MOVQ    DX, R14") - 1
    lines[n - 1] = "    MOVQ    DX, R99"
    with pytest.raises(AsmError) as e:
        edited("systemstack.s", "\n".join(lines))
    assert e.value.line == n and "R99" in e.value.loc.text


def test_readme_patch_examples_name_the_lines_they_say():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert 'patch="systemstack.s:30="' in readme and 'Patch("gogo.s", 9, "")' in readme
    assert source("systemstack.s").splitlines()[29].split()[:3] == ["MOVQ", "DX,", "R14"]
    assert "make sure g != nil" in source("gogo.s").splitlines()[8]


INSTR = st.sampled_from([
    "RET", "NOP", "INT $3", "PUSHQ AX", "POPQ AX", "MOVQ $0, SP", "MOVQ AX, R14", "MOVQ $0, R14",
    "JMP 0(PC)", "CALL AX", "JMP AX", "MOVQ 0(AX), AX", "MOVQ AX, 0(SP)", "LEAQ 8(SP), SP",
    "MOVQ (g_sched+gobuf_sp)(R14), SP", "CMPQ AX, BX", "JEQ 2(PC)", "TEXT foo(SB), $0",
    "MOVQ $runtime·badmcall(SB), AX", "BYTE $0x0f", "MOVQ", "label:", "XORQ", "",
])


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["mcall.s", "systemstack.s", "gogo.s", "gogo_body.s", "world.s"]),
       st.integers(0, 70), INSTR, st.booleans())
def test_random_patches_give_a_trace_or_one_of_our_errors(file, line, text, insert):
    n = len(source(file).splitlines())
    routine = {"mcall.s": "mcall", "systemstack.s": "systemstack", "world.s": "mcall"}.get(file, "gogo")
    try:
        t = run(routine, patch=[Patch(file, min(line, n) if insert else max(1, min(line, n)), text, insert)])
    except (AsmError, ScenarioError) as e:
        assert str(e)
        return
    assert t.end.kind in ENDS and t.end.summary and t.whatif


def test_title_note_describes_patches_in_words():
    from gosched_book.views.html import changed_note

    note = changed_note(scenario("systemstack", r14="g0", patch="systemstack.s:30=").overrides())
    assert note == "（已修改：r14 = g0，删去 systemstack.s 第 30 行）"


def test_edited_listing_lines_end_only_at_newline():
    """A U+2028 inside a comment does not split a line (as in the assembler)."""
    from gosched_book.scenario.patch import diff_patches
    from gosched_book.scenario.family import source

    lines = source("gogo.s").split("\n")
    i = next(k for k, line in enumerate(lines) if "//" in line)
    lines[i] = lines[i] + " a\u2028b"
    (p,) = diff_patches("gogo.s", "\n".join(lines))
    assert (p.line, p.insert) == (i + 1, False) and p.text.endswith("a\u2028b")
