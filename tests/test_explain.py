"""The explainer: what a patch or an override did, computed from the two traces."""
from gosched_book import run
from gosched_book.scenario.family import routine as routine_of
from gosched_book.whatif.controls import controls
from gosched_book.whatif.explain import explain
from gosched_book.scenario.scenario import Scenario
from gosched_book.machine.trace import from_dict, to_dict
from gosched_book.runtime.gosrc import GO_SRC


def _patched(routine: str, name: str) -> Scenario:
    c = next(c for c in controls(routine) if c.kind == "patch")
    i = [pc.name for pc in routine_of(routine).patches].index(name)
    return c.apply(Scenario(routine), c.choices[1 + i].value)


def test_systemstack_without_set_r14_says_r14_is_still_g():
    t = run(_patched("systemstack", "no_r14"))
    text = "\n".join(t.whatif)
    assert "删去 systemstack.s 第" in t.whatif[0]
    assert "R14 仍是 g（0xc000004000），而 TLS 是 g0（0x560100）" in text
    assert "结局相同" in text  # sysfn itself does not notice: the reader must see why it matters
    assert "abi-internal.md:413" in text


def test_gogo_without_set_r14_says_r14_is_still_g0():
    text = "\n".join(run(_patched("gogo", "no_r14")).whatif)
    assert "R14 仍是 g0" in text and "TLS 是 g（" in text


def test_missing_clear_shows_the_word_that_kept_its_value():
    text = "\n".join(run(_patched("systemstack", "no_clear_sp")).whatif)
    assert "g.sched.sp 最后是" in text and "原来是 0x0" in text
    assert "运行分开" in text and "RET" in text


def test_mcall_without_setting_r14_ends_on_gs_stack():
    text = "\n".join(run(_patched("mcall", "no_r14")).whatif)
    assert "最后 SP 在 g 的栈上，原来在 g0 的栈上" in text
    assert "TLS g 最后是 g" in text


def test_override_fault_names_the_value_that_was_set():
    t = run("mcall", rax=0)
    text = "\n".join(t.whatif)
    assert "结局变了" in text and "正是你设置的 rax 的值" in text
    assert t.whatif[0] == "修改了入口状态：rax = 0x0"


def test_unchanged_runs_have_no_explanation_and_json_keeps_it():
    assert run("mcall").whatif == ()
    assert explain(Scenario("mcall")) is None
    t = run("gogo", **{"g.sched.pc": "unmapped"})
    assert from_dict(to_dict(t)).whatif == t.whatif
    assert any("g.sched.pc" in line for line in t.whatif)


def test_end_summary_names_the_stack_fn_was_entered_on():
    assert "在 g0 栈上进入" in run("mcall").end.summary
    assert "在 g 栈上进入" in run(_patched("mcall", "no_r14")).end.summary  # never claims g0's


def test_gogo_without_nil_check_says_g_is_nil_and_why_the_check_was_there():
    text = "\n".join(run(_patched("gogo", "no_nil_check").replace(preset="nil_g")).whatif)
    assert "R14（g）是 nil" in text and "make sure g != nil" in text
    assert "前 2 步相同" in text


def test_explainer_citations_say_what_the_messages_claim():

    import pytest

    from gosched_book.whatif import explain as ex

    root = GO_SRC
    if not root.exists():
        pytest.skip("Go 1.19 sources not installed (golang-1.19-src)")
    claims = {ex.R14_IS_G: "Current goroutine", ex.STACK_CHECK_USES_R14: "ABIInternal",
              ex.STACK_CHECK_READS_GUARD: "G.stackguard0", ex.NIL_CHECK: "make sure g != nil"}
    for cite, words in claims.items():
        path, _, lines = cite.strip("`").partition(":")
        first, _, last = lines.partition("-")
        f = root / path if "/" in path else root / "runtime" / path
        text = f.read_text().splitlines()[int(first) - 1:int(last or first)]
        assert any(words in line for line in text), cite
