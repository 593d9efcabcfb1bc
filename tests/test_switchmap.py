"""The map of every switch: a row per registered routine, every cell read from the runs, the
callers from the Go source, each row linked to a chapter that really shows that stepper."""
import json
import re
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.chapters import gosource, switchmap
from gosched_book.machine.core import G
from gosched_book.scenario import family
from gosched_book.scenario.family import Family, Routine, preset

ROOT = Path(__file__).parents[1]
needs_go = pytest.mark.skipif(not gosource.available(), reason="Go 1.19 sources not installed")

TOY_S = """#include "textflag.h"

TEXT main·maptoy(SB), NOSPLIT, $0-0
	MOVQ	$0x1234, (g_sched+gobuf_pc)(R14)
	MOVQ	(g_sched+gobuf_sp)(R14), AX
	RET

TEXT main·maptoy_done(SB), NOSPLIT, $0-0
	INT	$3
"""


@pytest.fixture
def maptoy(tmp_path: Path):
    (tmp_path / "maptoy.s").write_text(TOY_S, encoding="utf-8")

    def world(c) -> None:
        sp = c.stacks["g"][1] - 0x80
        c.word(sp, c.sym("main·maptoy_done"), "return address")
        c.regs.update(rip=c.sym("main·maptoy"), rsp=sp, r14=G)
        c.arrive[c.sym("main·maptoy_done")] = ("return", "returned")

    fam = Family("maptoy", tmp_path, world_files=("maptoy.s",), routines=(
        Routine("maptoy", "玩具：写 g.sched.pc、读 g.sched.sp", world, (), {"normal": preset("写再读", "return")}),))
    family.register(fam)
    yield fam
    family.unregister("maptoy")


def test_every_registered_routine_has_a_row_in_registration_order():
    assert [r.routine for r in switchmap.rows()] == list(family.routines())


def test_a_routine_registered_later_gets_its_row_without_edits(maptoy):
    r = {r.routine: r for r in switchmap.rows()}["maptoy"]
    assert r.writes == (("g.sched", ("pc",), 1),)
    assert r.reads == (("g.sched", ("sp",), 2),)
    assert r.stacks == ("g",) and r.tls == () and r.r14 == ()
    assert "maptoy" in switchmap.table_html() and "maptoy" in switchmap.unlinked()


def test_cells_are_what_the_runs_did():
    rows = {r.routine: r for r in switchmap.rows()}
    t = run("mcall")
    k_tls = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    R14, g(CX)"))
    k_r14 = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    SI, R14"))
    k_sp = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    (g_sched+gobuf_sp)(R14), SP"))
    m = rows["mcall"]
    assert m.stacks == ("g", "g0") and m.switch_step == k_sp
    assert [c.step for c in m.tls] == [k_tls] and [c.step for c in m.r14] == [k_r14]
    assert m.reads == (("g0.sched", ("sp",), k_sp),)
    assert {f for _, fs, _ in m.writes for f in fs} == {"pc", "sp", "bp"}
    s = rows["systemstack"]
    assert s.stacks == ("g", "g0", "g") and len(s.tls) == 2 and len(s.r14) == 1  # R14 left to the caller
    a = rows["asmcgocall"]
    assert a.tls and not a.r14  # asmcgocall never writes R14 (go118/FACTS.md)
    g = rows["gogo"]
    assert g.writes == (("g.sched", ("sp", "ret", "ctxt", "bp"), g.writes[0][2]),)  # gogo zeroes, not pc or g
    p = switchmap.patterns(tuple(rows.values()))
    assert "asmcgocall" in p["tls_not_r14"] and "mcall" in p["reads_g0_sched"]
    assert "mcall" in p["r14_before_tls"] and "mcall" not in p["writes_g0_sched"]


def test_each_link_goes_to_a_chapter_that_shows_that_routine(monkeypatch):
    monkeypatch.setenv("GOSCHED_BOOK_SITE", "1")
    html = switchmap.table_html("90-switch-map")
    pages = switchmap.stepper_pages(exclude="90-switch-map")
    links = re.findall(r"href='([^']*)'", html)
    assert links
    for link in links:
        page, _, frag = link.partition("#")
        routine, preset_name, step = frag.split(":")
        assert preset_name in family.presets_of(routine)
        t = run(routine, preset_name)
        assert 1 <= int(step) <= len(t.steps)
        if page:
            stem = page.removesuffix(".html")
            assert pages[routine] == stem
            cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text("utf-8"))["cells"]
            assert any("".join(c["source"]).startswith(f'show("{routine}"') for c in cells if c["cell_type"] == "code")
        else:
            assert routine in switchmap.unlinked("90-switch-map")  # its stepper is on the map page


def test_lab_links_open_the_notebook(monkeypatch):
    monkeypatch.delenv("GOSCHED_BOOK_SITE", raising=False)
    assert switchmap.href("02-mcall", "mcall:normal", 3) == "02-mcall.ipynb"
    assert switchmap.href("", "mcall:normal", 3) == "#mcall:normal:3"


def test_identifiers_never_break_inside_and_the_table_scrolls_in_its_box():
    html = switchmap.table_html()
    assert html.startswith("<div class='gsb-map' tabindex='0' role='region'")
    for r in family.routines():
        assert f"<code class='tok'>{r}</code>" in html
    css = (ROOT / "gosched_book" / "views" / "static" / "stepper.css").read_text("utf-8")
    rule = re.search(r"\.gsb-map code\.tok[^{]*\{([^}]*)\}", css).group(1)
    assert "nowrap" in rule and "overflow-wrap: normal" in rule
    assert re.search(r"\.gsb-map \{[^}]*overflow-x: auto", css)


@needs_go
def test_callers_are_the_lines_of_the_go_source():
    gogo = gosource.sites("gogo")
    assert {s.caller for s in gogo} == {"execute", "goschedguarded_m", "goexit0", "newstack", "recovery"}
    assert len(gogo) == 6
    for s in gogo + gosource.sites("mcall") + gosource.sites("rt0_go"):
        line = (gosource.GO_SRC / "runtime" / s.file).read_text("utf-8").splitlines()[s.line - 1]
        assert line.strip() == s.text and re.search(r"\b(gogo|mcall|rt0_go)\b", line)
    assert not any(s.file.endswith(("_windows.go", "_arm64.s")) for s in gosource.sites("systemstack"))
    assert [s.how for s in gosource.compiler_sites("morestack")] == ["compiler"]
    assert {s.caller for s in gosource.sites("gosave_systemstack_switch", static=True)} == {"runtime·systemstack", "·asmcgocall"}


@needs_go
def test_build_constraints_are_evaluated_for_linux_amd64():
    assert gosource._constraint_ok("//go:build linux && amd64\n")
    assert not gosource._constraint_ok("//go:build windows || (darwin && arm64)\n")
    assert gosource._constraint_ok("//go:build !windows\n")
    assert gosource._name_ok("os_linux.go") and not gosource._name_ok("os_windows.go")
    assert gosource._name_ok("asm_amd64.s") and not gosource._name_ok("asm_arm64.s")
    assert gosource._ifdef(["#ifdef GOOS_windows", "CALL x", "#else", "CALL y", "#endif"]) == ["", "", "", "CALL y", ""]


def test_every_preset_is_listed_and_linked(monkeypatch):
    monkeypatch.setenv("GOSCHED_BOOK_SITE", "1")
    html = switchmap.presets_html("90-switch-map")
    for routine in family.routines():
        for name in family.presets_of(routine):
            t = run(routine, name)
            assert f"#{routine}:{name}:{max(1, len(t.steps))}'" in html
            assert f"<td>{len(t.steps)}</td>" in html


def test_the_map_pages_prose_names_every_routine_that_writes_g0_sched():
    """90-switch-map says two routines write g0.sched (mstart1 in rt0_go, and cgocallback): update
    its prose when this changes."""
    assert set(switchmap.patterns()["writes_g0_sched"]) == {"rt0_go", "cgocallback"}
