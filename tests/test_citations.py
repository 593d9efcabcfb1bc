"""The book's citations point at real Go source lines; the glossary and the exercises are complete.

Citation convention (TEAM.md): inline code, a path relative to src/runtime (runtime files) or to
src (others), then `:line` or `:line-line`, Go 1.19.8 line numbers.
"""
import json
import re
from pathlib import Path

import pytest
from gosched_book.runtime.gosrc import GO_SRC

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GOSRC = GO_SRC
CITE = re.compile(r"`([A-Za-z0-9_./-]+\.(?:go|s|h|md|rules)):(\d+)(?:-(\d+))?`")
GLOSSARY_TERMS = ("G", "M", "P", "g0", "gsignal", "gobuf", "TLS", "ABI0", "ABIInternal", "R14", "X15",
                  "溢出槽", "帧指针", "NOSPLIT", "morestack", "字", "栈顶", "栈底", "hi-0x80", "$0-8")

needs_go = pytest.mark.skipif(not (GOSRC / "runtime" / "asm_amd64.s").exists(),
                              reason="Go 1.19 sources not installed (apt install golang-1.19-src)")


def markdown(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def resolve(path: str) -> Path | None:
    """runtime-relative first, then src-relative (cmd/..., internal/...)."""
    for p in (GOSRC / "runtime" / path, GOSRC / path):
        if p.is_file():
            return p
    return None


def check(cites: list[tuple[str, str, str]], where: str) -> list[str]:
    bad = []
    for path, a, b in cites:
        f = resolve(path)
        if f is None:
            bad.append(f"{where}: `{path}` is not a file under {GOSRC}")
            continue
        n = len(f.read_text(encoding="utf-8", errors="replace").splitlines())
        lo, hi = int(a), int(b or a)
        if not 1 <= lo <= hi <= n:
            bad.append(f"{where}: `{path}:{a}{'-' + b if b else ''}` outside 1..{n}")
    return bad


def test_citation_pattern_reads_the_convention():
    text = "见 `asm_amd64.s:424`、`proc.go:3341-3350` 和 `cmd/internal/obj/x86/obj6.go:60`，不是 `g.sched.pc`。"
    assert CITE.findall(text) == [("asm_amd64.s", "424", ""), ("proc.go", "3341", "3350"),
                                  ("cmd/internal/obj/x86/obj6.go", "60", "")]


@needs_go
def test_check_rejects_missing_files_and_lines_past_the_end():
    assert check([("asm_amd64.s", "424", "")], "x") == []
    assert check([("nosuch.go", "1", "")], "x")
    assert check([("asm_amd64.s", "99999", "")], "x")
    assert check([("proc.go", "20", "10")], "x")  # reversed range


@needs_go
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_citation_is_a_real_line(path):
    cites = CITE.findall(markdown(path))
    assert check(cites, path.name) == []


@needs_go
def test_every_exercise_citation_is_a_real_line():
    from gosched_book import exercises

    for ex in exercises.all_exercises():
        assert check([CITE.fullmatch(f"`{c}`").groups() for c in ex.cites], ex.key) == []


def test_the_book_cites_the_go_source():
    total = sum(len(CITE.findall(markdown(p))) for p in NOTEBOOKS)
    assert total >= 60, total


def test_glossary_defines_every_term_and_every_chapter_links_to_it():
    glossary = ROOT / "notebooks" / "09-glossary.ipynb"
    text = markdown(glossary)
    missing = [t for t in GLOSSARY_TERMS if f"**{t}**" not in text]
    assert not missing, missing
    assert "行号取自 Go 1.19.8 源码" in text
    for p in NOTEBOOKS:
        if p != glossary:
            assert "09-glossary.ipynb" in markdown(p), f"{p.name} does not link the glossary"


def test_toc_lists_every_notebook_in_order():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    listed = re.findall(r"notebooks/([\w-]+)", toc)
    assert sorted(listed) == listed == sorted(p.stem for p in NOTEBOOKS)


def test_every_exercise_answer_reasons_beyond_the_value():
    from gosched_book import exercises
    from gosched_book.chapters.why import html

    for ex in exercises.all_exercises():
        prose = re.sub(r"<code>.*?</code>|<[^>]+>|0x[0-9a-f]+|\d+", "", ex.answer)
        assert len(prose) >= 60, (ex.key, prose)
        assert ex.cites, ex.key
        key, step = ex.link
        page = html(ex)
        assert "<details>" in page and f"href='#{key}:{step}'" in page
CHAPTERS_WITH_EXERCISES = ("00-tour", "02-mcall", "03-systemstack", "04-gogo", "05-roundtrip", "06-scheduler", "11-goroutine-life",
                           "07-stackgrowth", "12-signals", "13-preemption", "07c-cgo")
SHOW_EXERCISE = re.compile(r'(?:exercises|why)\.show\("(\w+)"\)')


@pytest.mark.parametrize("stem", CHAPTERS_WITH_EXERCISES)
def test_chapter_exercises_are_reasoned(stem):
    from gosched_book import exercises

    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    names = [m.group(1) for c in cells for m in [SHOW_EXERCISE.fullmatch(c.strip())] if m]
    assert not any("book.exercise(" in c for c in cells), "bare value exercises are gone"
    assert len(names) >= 5, names
    exs = [exercises.get(n) for n in names]
    why = [e for e in exs if re.search(r"为什么|如果|假如|会怎样|出什么错", e.question)]
    assert len(why) >= 2, [e.question for e in exs]




def test_every_exercise_links_to_a_step_that_exists():
    from gosched_book import api, exercises
    from gosched_book.scenario.scenario import parse_key

    for ex in exercises.all_exercises():
        key, step = ex.link
        t = api.run(parse_key(key))
        assert 0 <= step <= len(t.steps), (ex.key, key, step)


@pytest.mark.parametrize("stem", CHAPTERS_WITH_EXERCISES)
def test_each_answer_links_to_a_stepper_on_its_own_page(stem):
    from gosched_book import api, book, exercises
    from gosched_book.scenario.family import PRESETS

    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    keys = set()
    for c in cells:
        if c.startswith("show("):
            sc = eval("scenario(" + c[len("show("):], {"scenario": api.scenario, "book": book})  # noqa: S307
            keys |= {sc.key} | {api.scenario(sc.routine, p).key for p in PRESETS[sc.routine]}
    for c in cells:
        m = SHOW_EXERCISE.fullmatch(c.strip())
        if m:
            key, _ = exercises.get(m.group(1)).link
            assert key in keys, (stem, m.group(1), key)
