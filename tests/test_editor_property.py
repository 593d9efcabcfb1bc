"""Issue 21's proof: random edits typed into the Lab editor (blank lines, duplicated lines, pasted
blocks with #include headers, deletions, reorderings) run as typed, line for line, or the reader
gets one Chinese message and an error naming a line of their own text."""
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gosched_book.scenario.family import source
from gosched_book.scenario.patch import lines_of, patched_source
from gosched_book.views.listing import rows
from gosched_book.views.stepper import show

MCALL = lines_of(source("mcall.s"))
HEADER_BLOCK = ['#include "go_asm.h"', '#include "textflag.h"', "", "// pasted from asm_amd64.s",
                "TEXT ·pasted(SB), NOSPLIT, $0-0", "", "\tNOP", "", "\tRET", ""]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _typed(lines):
    return "\n".join(lines) + "\n"

_edit = st.one_of(
    st.tuples(st.just("blank"), st.integers(0, len(MCALL))),
    st.tuples(st.just("dup"), st.integers(0, len(MCALL) - 1)),
    st.tuples(st.just("paste"), st.integers(0, len(MCALL))),
    st.tuples(st.just("delete"), st.integers(0, len(MCALL) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(MCALL) - 1)),
    st.tuples(st.just("push"), st.integers(0, len(MCALL))),
)


def _apply(lines, edit):
    op, i = edit
    i = min(i, len(lines))
    if op == "blank":
        return lines[:i] + [""] + lines[i:]
    if op == "paste":
        return lines[:i] + HEADER_BLOCK + lines[i:]
    if op == "push":
        return lines[:i] + ["\tPUSHQ AX", "\tPOPQ AX"] + lines[i:]
    if not lines:
        return lines
    i = min(i, len(lines) - 1)
    if op == "dup":
        return lines[:i + 1] + [lines[i]] + lines[i + 1:]
    if op == "delete":
        return lines[:i] + lines[i + 1:]
    j = min(i + 1, len(lines) - 1)
    out = list(lines)
    out[i], out[j] = out[j], out[i]
    return out


_STEPPER = {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_edit, min_size=1, max_size=5))
def test_random_edits_run_as_typed_or_name_the_readers_line(edits):
    s = _STEPPER.setdefault("s", show("mcall"))
    s.editor.reset.click()
    s.editor.file.value = "mcall.s"
    lines = list(MCALL)
    for e in edits:
        lines = _apply(lines, e)
    typed = _typed(lines)
    s.editor.text.value = typed
    before = s.trace
    s.editor.apply.click()
    assert s.editor.text.value == typed  # never loses or changes what the reader typed
    if s.trace is not before or not s.editor.errors.value:
        # It ran: the listing that ran is the typed text, line for line.
        event("ran as typed")
        assert s.editor.errors.value == "" and s.message.value == ""
        assert patched_source("mcall.s", s.scenario.patch) == typed
        shown: dict[int, str] = {}
        for r in rows("mcall.s", s.scenario.patch):  # the listing the stepper shows, per line
            shown.setdefault(r.line, r.text)
        assert [shown[n] for n in sorted(shown)] == lines
        for step in s.trace.steps:
            if step.file == "mcall.s":
                assert lines[step.line - 1].split()[0] == step.plan9.split()[0]
    else:
        # One error, in Chinese in the message line, naming a line of the reader's own text.
        event("refused at the reader's line")
        err = re.sub(r"<[^>]+>", "", s.editor.errors.value)
        m = re.search(r"mcall\.s:(\d+):", err) or re.search(r"mcall\.s 第 (\d+) 行", err)
        assert m and 1 <= int(m[1]) <= max(1, len(lines)), err
        assert HAN.search(s.message.value) and s.message.value.count("gsb-error") == 1
