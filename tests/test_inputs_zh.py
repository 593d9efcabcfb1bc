"""The what-if inputs (issue 21, items 6-8): ASCII digits only, messages a Chinese reader reads in
Chinese in the views, and the CLI's end line naming the instruction that faulted."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gosched_book import AsmError, ScenarioError, run
from gosched_book.__main__ import main
from gosched_book.errors import chinese
from gosched_book.scenario.values import parse_value
from gosched_book.views.stepper import show

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("text", ["１２３", "٣", "0x１", "1２", "-٣", "０"])
def test_a_non_ascii_digit_is_refused_naming_the_character(text):
    c = next(ch for ch in text if not ch.isascii())
    with pytest.raises(ScenarioError) as e:
        parse_value("rax", text)
    assert c in str(e.value) and unicodedata.name(c) in str(e.value) and f"U+{ord(c):04X}" in str(e.value)
    assert c in e.value.zh and "ASCII" in e.value.zh
    with pytest.raises(ScenarioError):
        run("mcall", rax=text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4))
def test_only_ascii_digits_make_numbers(text):
    if text.isascii():
        assert parse_value("rax", text.lstrip("0") or "0") == int(text)
    else:
        with pytest.raises(ScenarioError, match="ASCII"):
            parse_value("rax", text)


def test_the_assembler_refuses_a_unicode_digit_naming_it():
    with pytest.raises(AsmError) as e:
        run("gogo", patch="gogo.s:9=MOVQ   ０(DX), CX")
    assert "FULLWIDTH DIGIT ZERO" in str(e.value) and e.value.line == 9


@pytest.mark.parametrize("field, value, said", [
    ("rax", -1, "负数"), ("rax", "zzz", "zzz"), ("rax", 1 << 64, "2**64"),
    ("entry_sp", -1, "负数"), ("entry_sp", "zzz", "zzz"),
])
def test_value_errors_have_a_chinese_message_saying_what_is_accepted(field, value, said):
    with pytest.raises(ScenarioError) as e:
        run("mcall", **{field: value})
    zh = chinese(e.value)
    assert HAN.search(zh) and said in zh and "0 到 2**64−1 的整数" in zh
    assert not HAN.search(str(e.value))  # the library's own message stays English


def test_the_live_stepper_shows_value_errors_in_chinese():
    s = show("mcall")
    row = s.widgets["rax"]
    row.text.value = "zzz"
    assert HAN.search(s.message.value) and "zzz" in s.message.value and "unknown" not in s.message.value
    row.text.value = "１２３"
    assert "１" in s.message.value and "ASCII" in s.message.value and HAN.search(s.message.value)
    s.widgets["entry_sp"].text.value = "-1"
    assert "负数" in s.message.value and "must be" not in s.message.value


def test_the_cli_end_line_names_the_faulting_instruction(capsys):
    assert main(["trace", "mcall", "--set", "entry_sp=0"]) == 0
    out = capsys.readouterr().out
    end = next(line for line in out.splitlines() if line.startswith("end: fault"))
    t = run("mcall", entry_sp=0)
    where = re.search(r"指令在 (\S+)", t.end.summary)[1]  # the Chinese line names the instruction
    assert end.endswith(f"at {where}") and "at nil" not in end
