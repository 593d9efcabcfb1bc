"""Issue 21: what the reader types in the listing editor (or gives as patches) is what runs."""
from __future__ import annotations

import pytest

from gosched_book import run, scenario
from gosched_book.errors import ScenarioError
from gosched_book.scenario.family import source
from gosched_book.scenario.patch import Patch, as_patches, lines_of, parse_patch
from gosched_book.scenario.scenario import parse_key
from gosched_book.views.edits import patches_for
from gosched_book.views.listing import rows

HEADER = ['#include "go_asm.h"', '#include "go_tls.h"', '#include "funcdata.h"',
          '#include "textflag.h"', '#include "cgo/abi_amd64.h"']


def _listing(file: str, patch: tuple) -> list[str]:
    """The listing's source lines as the stepper shows them (one per line number)."""
    out: dict[int, str] = {}
    for r in rows(file, patch):
        out.setdefault(r.line, r.text)
    return [out[n] for n in sorted(out)]


def _line(file: str, text: str) -> int:
    return next(n for n, s in enumerate(lines_of(source(file)), 1) if s.split("//")[0].strip() == text)


def test_a_blank_line_can_be_inserted():
    lines = lines_of(source("mcall.s"))
    text = "\n".join(lines[:12] + [""] + lines[12:]) + "\n"
    ps = patches_for("mcall.s", text)
    assert ps == (Patch("mcall.s", 12, "", insert=True),)
    assert run("mcall", patch=ps).steps  # it runs
    assert _listing("mcall.s", ps) == lines_of(text)
    assert parse_patch("mcall.s:12+=") == ps[0] and ps[0].spec == "mcall.s:12+="
    assert "空行" in ps[0].describe()


def test_a_pasted_block_with_blank_lines_and_include_headers_runs():
    lines = lines_of(source("mcall.s"))
    n = _line("mcall.s", "PUSHQ   AX")
    block = ["", *HEADER, "", "    PUSHQ   AX", "    POPQ    AX", ""]
    text = "\n".join(lines[:n] + block + lines[n:]) + "\n"
    ps = patches_for("mcall.s", text)
    t = run("mcall", patch=ps)
    assert [s.plan9.split()[0] for s in t.steps if s.patched] == ["PUSHQ", "POPQ"]
    assert _listing("mcall.s", ps) == lines_of(text)
    assert parse_key(scenario("mcall", patch=ps).key).patch == ps  # the key keeps the quotes


def test_a_removed_line_is_gone_from_the_listing_not_left_empty():
    lines = lines_of(source("mcall.s"))
    del lines[13]
    ps = patches_for("mcall.s", "\n".join(lines))
    assert ps == (Patch("mcall.s", 14, remove=True),) and ps[0].spec == "mcall.s:14-="
    assert _listing("mcall.s", ps) == lines
    assert parse_patch("mcall.s:14-=") == ps[0]


def test_identical_inserted_lines_all_run():
    one = run("mcall", patch=["mcall.s:40+=PUSHQ AX"])
    two = run("mcall", patch=["mcall.s:40+=PUSHQ AX"] * 2)
    assert len(two.steps) == len(one.steps) + 1
    assert [s.plan9 for s in two.steps if s.patched] == ["PUSHQ AX", "PUSHQ AX"]
    assert len(as_patches(["mcall.s:40+=PUSHQ AX"] * 3)) == 3


def test_the_editor_keeps_two_identical_typed_lines():
    lines = lines_of(source("mcall.s"))
    n = _line("mcall.s", "PUSHQ   AX")
    text = "\n".join(lines[:n] + ["    PUSHQ   AX", "    PUSHQ   AX"] + lines[n:]) + "\n"
    ps = patches_for("mcall.s", text)
    assert len(ps) == 2 and _listing("mcall.s", ps) == lines_of(text)
    assert sum(s.patched for s in run("mcall", patch=ps).steps) == 2


def test_contradictory_patches_of_one_line_are_refused_identical_ones_are_one():
    with pytest.raises(ScenarioError, match="mcall.s:12.*different"):
        as_patches(["mcall.s:12=NOP", "mcall.s:12=RET"])
    with pytest.raises(ScenarioError, match="mcall.s:12.*different") as e:
        as_patches(["mcall.s:12=NOP", "mcall.s:12-="])
    assert "mcall.s 第 12 行被改了两次" in e.value.zh
    assert as_patches(["mcall.s:12=NOP", "mcall.s:12=NOP"]) == (Patch("mcall.s", 12, "NOP"),)


def test_an_error_the_edit_causes_in_another_file_points_at_the_readers_line():
    from gosched_book.errors import AsmError

    pasted = source("asmcgocall.s").replace("·asmcgocall(SB)", "·myasmcgocall(SB)")
    ps = patches_for("systemstack.s", pasted)
    with pytest.raises(AsmError) as e:
        run("systemstack", patch=ps)
    assert all(x.loc.file == "systemstack.s" for x in e.value.all)
    first = e.value.all[0]
    assert "去掉了 TEXT runtime·systemstack(SB)" in first.message and "world.s:" in first.message
    assert first.loc.text == lines_of(pasted)[first.line - 1]  # the reader's own line, as numbered
    # Pasted as it is, its TEXT is defined twice: said at the reader's TEXT line, naming the other.
    ps = patches_for("systemstack.s", source("asmcgocall.s"))
    with pytest.raises(AsmError) as e:
        run("systemstack", patch=ps)
    x = e.value.all[0]
    assert x.loc.file == "systemstack.s" and x.loc.text.startswith("TEXT ·asmcgocall(SB)")
    assert "asmcgocall.s:" in x.message and "defined twice" in x.message


def test_every_message_replaces_the_previous_one():
    from gosched_book.views.stepper import show

    s = show("systemstack")
    s.editor.file.value = "systemstack.s"
    lines = lines_of(source("systemstack.s"))
    n = _line("systemstack.s", "MOVQ    DX, R14")
    bad = list(lines)
    bad[n - 1] = "    MOVQ    DX, R99"
    s.editor.text.value = "\n".join(bad) + "\n"
    s.editor.apply.click()
    assert "汇编不过" in s.message.value and f"systemstack.s:{n}:" in s.editor.errors.value
    long = list(lines)
    long[n - 1] = "    NOP // " + "x" * 300
    s.editor.text.value = "\n".join(long) + "\n"
    s.editor.apply.click()
    assert "汇编不过" not in s.message.value and "R99" not in s.editor.errors.value
    assert f"第 {n} 行" in s.message.value and f"第 {n} 行" in s.editor.errors.value
    s.editor.text.value = "\n".join(lines[:n] + [""] + lines[n:]) + "\n"  # a blank line runs
    s.editor.apply.click()
    assert s.message.value == "" and s.editor.errors.value == ""
    assert s.scenario.patch == (Patch("systemstack.s", n, "", insert=True),)


@pytest.mark.parametrize("control, typed, says", [
    ("rax", "zzz", "既不是数"), ("rax", "１２３", "不是 ASCII"), ("entry_sp", "-5", "0 到 2**64−1"),
    ("entry_sp", "0x", "没有数字"), ("max_steps", "0", "1 到"),
])
def test_value_errors_in_the_stepper_are_chinese(control, typed, says):
    import re

    from gosched_book.views.stepper import show

    s = show("mcall")
    w = s.widgets[control]
    w.text.value = typed
    msg = s.message.value
    assert says in msg and not re.search(r"must be|unknown value|got ", msg), msg


def test_a_line_moved_by_an_insert_or_removal_is_not_a_parting_of_the_runs():
    blank = run("mcall", patch=["mcall.s:12+="])
    assert not any("分开" in w for w in blank.whatif), blank.whatif
    n = _line("mcall.s", "PUSHQ   AX")
    moved = run("mcall", patch=["mcall.s:14-=", f"mcall.s:{n}+=PUSHQ AX"])
    parting = [w for w in moved.whatif if "分开" in w]
    assert parting and f"现在执行 mcall.s:{n} `PUSHQ AX`" in parting[0]  # the inserted line, renumbered
    k = next(s.i for s in moved.steps if s.patched)
    assert parting[0].startswith(f"第 {k} 步")


def test_old_lines_maps_back_every_kept_line():
    from gosched_book.scenario.patch import apply, old_lines

    ps = as_patches(["mcall.s:0+=// top", "mcall.s:3-=", "mcall.s:12=NOP", "mcall.s:20+=", "mcall.s:20+="])
    old = lines_of(source("mcall.s"))
    new = lines_of(apply(source("mcall.s"), "mcall.s", ps)[0])
    back = old_lines(source("mcall.s"), "mcall.s", ps)
    assert all(new[k - 1] == old[v - 1] for k, v in back.items())
    assert set(back.values()) == set(range(1, len(old) + 1)) - {3, 12}


@pytest.mark.parametrize("bad,kind", [
    ("\tMOVQ AX, ((R14", "操作数写得不对"),
    ("\tFOOQ AX, R14", "不认识这条指令的助记符"),
    ("\tMOVQ AX, BX, CX", "操作数的个数或种类不对"),
    ("\tJMP nowhere", "用到的符号没有定义"),
    ("\tMOVQ $0x1ffffffffffffffff, AX", "数值写得不对或超出范围"),
])
def test_the_editor_says_in_chinese_where_and_what_before_the_assemblers_words(bad, kind):
    """Issue 21: the editor's messages are Chinese; an assembler error first says, in Chinese, the
    file, line and column and what kind of error it is, then the assembler's own text and caret."""
    from gosched_book.views.stepper import show

    s = show("systemstack")
    s.editor.file.value = "systemstack.s"
    lines = source("systemstack.s").splitlines()
    lines[25] = bad
    s.editor.text.value = "\n".join(lines) + "\n"
    s.editor.apply.click()
    first, *rest = s.editor.errors.value.removeprefix("<pre class='gsb-error'>").removesuffix("</pre>").splitlines()
    assert first.startswith("systemstack.s 第 26 行第 ") and kind in first and "汇编器的原话" in first
    assert rest[0].startswith("systemstack.s:26:") and rest[-1].strip().endswith("^")
