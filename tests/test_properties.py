"""Property tests: bad listings raise only AsmError; any scenario values give a trace."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gosched_book import AsmError, ScenarioError, assemble, run
from gosched_book.scenario.family import PRESETS, listing_files, preset_params, source

SOURCES = [source(f) for f in dict.fromkeys(listing_files().values())]
ALPHABET = string.ascii_letters + string.digits + " \t,()$+-*:·<>_/|\n" + "中"


@st.composite
def mutated(draw):
    src = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(src)))
        op = draw(st.sampled_from(["del", "ins", "rep"]))
        ch = draw(st.text(ALPHABET, min_size=1, max_size=3))
        if op == "del":
            src = src[:i] + src[i + 3:]
        elif op == "ins":
            src = src[:i] + ch + src[i:]
        else:
            src = src[:i] + ch + src[i + len(ch):]
    return src


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_listings_raise_only_asmerror(src):
    try:
        assemble(src)
    except AsmError as e:
        assert e.line >= 1 and e.column >= 1 and e.render()


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, max_size=200))
def test_random_text_raises_only_asmerror(src):
    try:
        assemble(src)
    except AsmError as e:
        assert e.line >= 1


WORD = st.one_of(st.integers(0, 2**64 - 1), st.integers(0xC000040000, 0xC000042100),
                 st.integers(0x7FFFF7F00000, 0x7FFFF7F04100))


@st.composite
def scenarios(draw):
    routine = draw(st.sampled_from(list(PRESETS)))
    preset = draw(st.sampled_from(list(PRESETS[routine])))
    kw = dict(max_steps=draw(st.integers(1, 300)))
    for q in preset_params(routine, preset):  # every parameter this preset takes
        kw[q.name] = draw(st.one_of(st.none(), WORD) if q.kind == "word" else st.sampled_from(q.choices))
    return routine, preset, kw


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_any_scenario_values_give_a_trace(sc):
    routine, preset, kw = sc
    t = run(routine, preset, **kw)
    assert t.end.kind in {"call", "jump", "return", "event", "fault", "limit"}
    assert len(t.steps) <= kw["max_steps"]
    assert t.end.summary


@given(st.sampled_from(["current", "fn", "int3"]), st.text(max_size=5))
def test_bad_choice_is_a_scenario_error(field, value):
    try:
        run("mcall", **{field: value})
    except ScenarioError as e:
        assert field in str(e)


PREPROCESSOR_LINES = [
    "#define A B B", "#define B A", "#define C(x) x x x", "#define D(x, y) MOVQ x, y",
    "#define E C(C(C(C(C(1)))))", "#ifdef A", "#ifndef GOARCH_amd64", "#else", "#endif",
    "#undef A", '#include "go_asm.h"', '#include "textflag.h"', "#include <x.h>", "#bogus",
    "/*", "*/", "/* x */", "\\", "    A", "    C(AX)", "    E", "    D(AX, BX)", "    D(AX)",
    "    MOVQ $C(1), AX", "    MOVQ $E, AX", "    RET; RET", "TEXT f(SB), NOSPLIT, $0-0",
    "    JMP l", "l:", "    MOVQ AX, BX // a\u2028b", "#define F(x) F(x)", "    F(1)",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PREPROCESSOR_LINES), max_size=25))
def test_directives_and_macros_raise_only_asmerror(lines):
    try:
        assemble("\n".join(lines) + "\n")
    except AsmError as e:
        assert e.line >= 1 and e.column >= 1 and e.render()
