"""The chapter helpers compute what they show from the library."""
import re

from gosched_book import book, run
from gosched_book.machine.golden import pairs
from gosched_book.runtime.gosrc import GO_SRC


def test_errata_pairs_each_typo_with_the_real_instruction():
    html = book.errata().data
    fixes = re.findall(r"<code>([^<]+)</code><br>([0-9a-f ]+)", html)
    assert [f for f, _ in fixes] == ["MOVQ    buf+0(FP), BX", "MOVQ    gobuf_g(BX), DX",
                                     "MOVQ    0(DX), CX", "CALL    runtime·abort(SB)"]
    assert "did you mean CALL?" in html and "did you mean gobuf_g?" in html


def test_instruction_table_counts_match_the_golden_comparison():
    html = book.instruction_table().data
    assert "✗" not in html
    assert f"共 {len(pairs())} 条指令" in html
    assert all(p.match in ("exact", "opcode") for p in pairs())


def test_exercise_answer_is_read_from_the_trace():
    t = run("mcall")
    k = next(s.i for s in t.steps if s.plan9.startswith("PUSHQ"))
    html = book.exercise("q", "mcall", at="PUSHQ", slot="[SP]").data
    assert f"第 {k} 步" in html and f"{t.symbols['g']:#x}" in html and "<details>" in html


def test_g0_reuse_shows_the_same_sp_every_round():
    html = book.g0_reuse(rounds=2).data
    sps = re.findall(r"<td>(0x[0-9a-f]+)</td>", html)
    assert len(sps) == 2 and sps[0] == sps[1]


def test_facts_only_relates_sp_to_g0_when_on_g0():
    assert "SP − g0.sched.sp" in book.facts("mcall").data
    assert "SP − g0.sched.sp" not in book.facts("systemstack").data


def test_instruction_table_cites_one_go_version():

    from gosched_book.runtime.golden import go119_lines, source_file

    runtime = GO_SRC / "runtime"
    for p in pairs():
        assert p.go_version == "1.19.8"
        a, b = go119_lines(p.routine)
        assert a <= p.go_line <= b, p
        src = runtime / source_file(p.routine)
        lines = src.read_text(encoding="utf-8").splitlines() if src.exists() else None
        if lines:
            assert lines[p.go_line - 1].strip() and not lines[p.go_line - 1].lstrip().startswith("//"), p
    assert "（1.18）" not in book.instruction_table().data


def test_a_rel32_before_an_immediate_is_link_dependent_not_different():
    from gosched_book.runtime.golden import Pair

    def pair(ours: str, go: str, link: bool = True) -> Pair:
        return Pair("r", 0, "MOVB $1, x(SB)", "", bytes.fromhex(ours), bytes.fromhex(go), 1, link)

    assert pair("c60577ec150001", "c605a81b0a0001").match == "opcode"  # c6 05 rel32 imm8
    assert pair("c60577ec150002", "c605a81b0a0001").match == "DIFFERENT"  # the immediate differs too
    assert pair("c60577ec150001", "c605a81b0a0001", link=False).match == "DIFFERENT"
    assert pair("e811000000", "e8aff3ffff").match == "opcode"
