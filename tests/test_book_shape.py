"""The book's shape for the reader (issue 20): a tour first, the scheduler and stack growth as two
chapters, citations in footnotes rather than inside the prose, and each rule explained in one place."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NB = ROOT / "notebooks"
NOTEBOOKS = sorted(NB.glob("*.ipynb"))
CITE = re.compile(r"`[A-Za-z0-9_./-]+\.(?:go|s|h|md|rules):\d+(?:-\d+)?`")
HAN = re.compile(r"[\u4e00-\u9fff]")
FOOTDEF = re.compile(r"^\[\^([\w-]+)\]:", re.M)
FOOTREF = re.compile(r"\[\^([\w-]+)\](?!:)")
PROSE_PER_INLINE_CITE = 150  # 汉字 of prose per citation left inside the text


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def markdown(path: Path) -> str:
    return "\n\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")


def prose(md: str) -> str:
    """The running text: no footnote definitions, no fenced code."""
    md = re.sub(r"```.*?```", "", md, flags=re.S)
    return "\n".join(line for line in md.splitlines() if not FOOTDEF.match(line))


def code(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in cells(path) if c["cell_type"] == "code"]


def test_the_tour_comes_first_and_follows_gosched_to_gogo_in_one_stepper():
    from gosched_book import run

    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert re.search(r"^root: notebooks/00-tour$", toc, re.M)
    tour = NB / "00-tour.ipynb"
    shows = [c for c in code(tour) if c.startswith("show(")]
    assert shows == ['show("roundtrip")'], shows
    text = markdown(tour)
    for step in ("Gosched", "mcall", "gosched_m", "schedule", "execute", "gogo"):
        assert step in text, step
    t = run("roundtrip")
    routines = [s.routine for s in t.steps]
    assert routines[0] == "runtime·mcall" and "gogo<>" in routines
    assert t.end.label.startswith("main·caller"), t.end  # back in the goroutine, after CALL mcall
    for word in ("**原文**", "**世界**", "**替身**"):  # defined before the first stepper
        assert text.index(word) < text.index("怎么看单步器")


def test_the_scheduler_and_stack_growth_are_two_chapters():
    sched, growth = NB / "06-scheduler.ipynb", NB / "07-stackgrowth.ipynb"
    for p in (sched, growth):
        md = markdown(p)
        assert "## 小结" in md and "## 练习" in md, p.name
    assert any(c.startswith('show("schedule"') for c in code(sched))
    assert not any(c.startswith('show("morestack"') for c in code(sched))
    assert any(c.startswith('show("morestack"') for c in code(growth))
    assert any(c.startswith('show("gogo", "recover"') for c in code(growth))


def test_the_tours_step_numbers_are_read_from_its_trace():
    """The tour names steps of its stepper in prose; each number must be that step in today's trace."""
    from gosched_book import run

    t = run("roundtrip")

    def writes(label):
        return [s.i for s in t.steps if any(w.label == label for w in s.writes)]

    def at(prefix, routine=None):
        return next(s.i for s in t.steps if s.plan9.startswith(prefix) and routine in (None, s.routine))

    expected = {  # a bullet's words -> the steps the bullet must name, computed from the trace
        "存进 `g.sched`": (writes("g.sched.pc")[0], writes("g.sched.bp")[0]),
        "依次换成 g0 的": (at("MOVQ    SI, R14"), at("MOVQ    (g_sched+gobuf_sp)(R14), SP")),
        "`CALL R12` 进入替身": (at("CALL    R12"),),
        "gogo 先确认": (next(s.i for s in t.steps if s.routine == "runtime·gogo"), len(t.steps)),
    }
    text = markdown(NB / "00-tour.ipynb")
    for words, steps in expected.items():
        line = next(ln for ln in text.splitlines() if words in ln and "步**" in ln)
        named = tuple(int(n) for n in re.match(r"- \*\*第 (\d+)(?:–(\d+))? 步\*\*", line).groups() if n)
        assert named == steps, (words, named, steps)


def test_the_regargs_step_numbers_are_read_from_its_trace():
    from gosched_book import run

    t = run("morestack", "regargs")
    spills = [s.i for s in t.steps if any(w.label.endswith(("[SP+0x8]", "[SP+0x10]")) for w in s.writes)]
    text = markdown(NB / "07-stackgrowth.ipynb")
    named = re.search(r"先看第 (\d+)、(\d+) 步：两个参数被写进 `\[SP\+0x8\]` 和 `\[SP\+0x10\]`", text)
    assert named and tuple(map(int, named.groups())) == tuple(spills), (named and named.groups(), spills)
    assert text.index("## morestack") < text.index('## 有寄存器参数的函数')  # explained before it is run


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_citations_sit_in_footnotes_not_in_the_prose(path):
    md = markdown(path)
    text = prose(md)
    han = len(HAN.findall(text))
    inline = len(CITE.findall(text))
    assert inline * PROSE_PER_INLINE_CITE <= max(han, PROSE_PER_INLINE_CITE), (path.name, inline, han)
    # Every footnote is defined once and referred to; every definition holds a citation or says why not.
    defs = FOOTDEF.findall(md)
    refs = set(FOOTREF.findall(md))
    assert len(defs) == len(set(defs)), path.name
    assert set(defs) == refs, (path.name, set(defs) ^ refs)


# Each rule has a home chapter that explains it; elsewhere a paragraph may mention it, briefly, with a
# link home. A paragraph "explains" a rule when it contains all of the rule's marks.
RULES = {
    "R14/X15 at ABI0 → ABIInternal": ("03-systemstack", (r"XORPS", r"R14", r"ABI0")),
    "ctxt is the one GC-scanned gobuf field": ("04-gogo", (r"ctxt", r"GC|垃圾", r"写屏障|根")),
    "SPWRITE and tracebacks": ("03-systemstack", (r"SPWRITE", r"回溯")),
    "the spill slot": ("02-mcall", (r"溢出槽", r"预留")),
    "cgocallback changes g0.sched.sp": ("07c-cgo", (r"cgocallback", r"g0\.sched\.sp")),
    "the R14/TLS window is harmless": ("02-mcall", (r"R14", r"TLS", r"信号", r"抢占", r"无害")),
    "NOP SP is vet's hint": ("07-stackgrowth", (r"NOP SP", r"vet")),
}
MENTION_MAX = 150  # 汉字: longer than this and it is an explanation, not a mention


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
def test_each_rule_is_explained_in_one_chapter(rule):
    home, marks = RULES[rule]
    assert (NB / f"{home}.ipynb").exists()
    explained_at_home = False
    for path in NOTEBOOKS:
        for para in re.split(r"\n\s*\n|\n(?=(?:[-*]|\d+\.) )", prose(markdown(path))):  # list items apart
            if not all(re.search(m, para) for m in marks):
                continue
            if path.stem == home:
                explained_at_home = True
                continue
            n = len(HAN.findall(para))
            assert f"{home}.ipynb" in para and n <= MENTION_MAX, (rule, path.name, n, para[:80])
    assert explained_at_home, rule


def test_no_long_sentence_appears_in_two_chapters():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        for sent in re.split(r"[。！？\n]", prose(markdown(path))):
            key = re.sub(r"\s+|\[\^[\w-]+\]|\[([^\]]*)\]\([^)]*\)", r"\1", sent)
            if len(HAN.findall(key)) < 25:
                continue
            assert seen.setdefault(key, path.name) == path.name, (key, seen[key], path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_footnote_is_defined_in_the_cell_that_cites_it(path):
    # so JupyterLab readers find it right below, and the site parses each cell on its own terms
    for c in cells(path):
        if c["cell_type"] == "markdown":
            md = "".join(c["source"])
            assert set(FOOTDEF.findall(md)) == set(FOOTREF.findall(md)), (path.name, md[:60])
