"""Issue 21, item 5: the editor numbers its lines as the listing and the errors do."""
import re

from gosched_book.scenario.family import source
from gosched_book.scenario.patch import lines_of
from gosched_book.views.listing import rows
from gosched_book.views.stepper import show


def _numbers(editor) -> list[int]:
    return [int(n) for n in re.sub(r"<[^>]+>", "", editor.gutter.value).split()]


def test_the_gutter_numbers_every_line_of_the_text_and_follows_typing():
    s = show("mcall")
    e = s.editor
    e.file.value = "mcall.s"
    lines = lines_of(e.text.value)
    assert _numbers(e)[:len(lines)] == list(range(1, len(lines) + 1))
    assert e.text.rows == len(_numbers(e))  # as tall as its lines: numbers and lines stay side by side
    e.text.value = "\n".join(lines[:3] + ["", "", ""] + lines[3:]) + "\n"
    assert len(_numbers(e)) == len(lines) + 3 + 1 and e.text.rows == len(_numbers(e))


def test_an_errors_line_number_is_the_gutters_and_the_listings():
    s = show("mcall")
    e = s.editor
    e.file.value = "mcall.s"
    lines = lines_of(source("mcall.s"))
    k = next(i for i, t in enumerate(lines) if t.split()[:1] == ["MOVQ"])
    typed = lines[:k] + ["", "", "\tMOVQ AX, R99"] + lines[k:]  # the bad line is line k + 3
    e.text.value = "\n".join(typed) + "\n"
    e.apply.click()
    n = int(re.search(r"mcall\.s:(\d+):", e.errors.value)[1])
    assert n == k + 3 and n in _numbers(e) and lines_of(e.text.value)[n - 1] == "\tMOVQ AX, R99"
    typed[k + 2] = "\tMOVQ AX, R9"  # fixed: the listing that runs numbers it the same
    e.text.value = "\n".join(typed) + "\n"
    e.apply.click()
    assert e.errors.value == ""
    shown: dict[int, str] = {}
    for r in rows("mcall.s", s.scenario.patch):  # the stepper's listing, one text per line number
        shown.setdefault(r.line, r.text)
    assert shown[n] == "\tMOVQ AX, R9"
