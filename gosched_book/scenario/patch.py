"""Listing patches: change one line of a routine's listing for one run.

A `Patch(file, line, text)` works on one of the package's listing files (`systemstack.s`, ...)
with the line numbers a reader sees in that file:

    Patch("systemstack.s", 29, "")                 # delete line 29 (None or "" deletes)
    Patch("systemstack.s", 29, "MOVQ AX, R14")     # replace line 29
    Patch("mcall.s", 12, "NOP", insert=True)       # insert a new line after line 12 (0: at the top)
    Patch("mcall.s", 12, "", insert=True)          # insert an empty line after line 12
    Patch("mcall.s", 12, remove=True)              # take line 12 out

A deleted line becomes an empty line, so the lines after it keep their numbers; an inserted line
moves the lines after it down by one, a removed line moves them up by one (the editor's edits are
inserts and removals, so the run's listing is the editor's text line for line). Several patches all
use the original numbering; inserts after one line run in the order given, identical ones included.
Two patches that say different things about one line are refused.

The spec form, for the CLI's `--patch` and for scenario keys:

    FILE:LINE=TEXT       replace (empty TEXT deletes)
    FILE:LINE+=TEXT      insert TEXT after LINE (empty TEXT: an empty line)
    FILE:LINE-=          remove LINE
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ScenarioError

MAX_TEXT = 200  # a line longer than this is not a patch a reader types


@dataclass(frozen=True, order=True)
class Patch:
    file: str
    line: int
    text: str | None = None  # None or "": delete the line
    insert: bool = False  # True: a new line after `line`
    remove: bool = False  # True: take `line` out (the lines after it move up)

    def __post_init__(self) -> None:
        files = _files()
        if not isinstance(self.file, str) or self.file not in files:
            raise ScenarioError(f"patch: no listing file {self.file!r}; files: {', '.join(files)}")
        if not isinstance(self.insert, bool):
            raise ScenarioError(f"patch: insert must be True or False, got {self.insert!r}")
        if not isinstance(self.remove, bool):
            raise ScenarioError(f"patch: remove must be True or False, got {self.remove!r}")
        if self.insert and self.remove:
            raise ScenarioError("patch: a patch inserts a line or removes one, not both")
        n = _line_count(self.file)
        lo = 0 if self.insert else 1
        if not isinstance(self.line, int) or isinstance(self.line, bool) or not lo <= self.line <= n:
            raise ScenarioError(f"patch: line must be an integer in [{lo}, {n}] for {self.file}, "
                                f"got {self.line!r}")
        if self.text is not None and not isinstance(self.text, str):
            raise ScenarioError(f"patch: text must be a string (or None to delete), got {self.text!r}")
        text = self.text or ""
        if "\n" in text or "\r" in text or len(text) > MAX_TEXT:
            raise ScenarioError(f"patch: text must be one line of at most {MAX_TEXT} characters")
        if text and self.remove:
            raise ScenarioError("patch: a removed line takes no text")
        object.__setattr__(self, "text", text)

    @property
    def deletes(self) -> bool:
        return not self.text and not self.insert

    @property
    def spec(self) -> str:
        """`FILE:LINE=TEXT`, `FILE:LINE+=TEXT` or `FILE:LINE-=`."""
        op = "+=" if self.insert else "-=" if self.remove else "="
        return f"{self.file}:{self.line}{op}{self.text}"

    def describe(self) -> str:
        """One Chinese phrase for titles and end messages."""
        if self.insert:
            if not self.text:
                return f"在 {self.file} 第 {self.line} 行后插入一个空行"
            return f"在 {self.file} 第 {self.line} 行后插入 `{self.text}`"
        if self.remove:
            return f"去掉 {self.file} 第 {self.line} 行"
        if self.deletes:
            return f"删去 {self.file} 第 {self.line} 行"
        return f"把 {self.file} 第 {self.line} 行改为 `{self.text}`"


def _files() -> tuple[str, ...]:
    from .family import all_files

    return all_files()


def _line_count(file: str) -> int:
    from .family import source

    return len(lines_of(source(file)))


def lines_of(text: str) -> list[str]:
    """A listing's lines as the assembler numbers them: they end only at \n (str.splitlines would
    also split at U+2028 and friends); a final \n ends the last line."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_patch(spec: str) -> Patch:
    """`FILE:LINE=TEXT` (replace; empty deletes), `FILE:LINE+=TEXT` (insert after LINE) or
    `FILE:LINE-=` (remove LINE)."""
    if not isinstance(spec, str):
        raise ScenarioError(f"patch must be 'FILE:LINE=TEXT', got {spec!r}")
    head, eq, text = spec.partition("=")
    file, colon, line = head.partition(":")
    op = line[-1:] if line[-1:] in ("+", "-") else ""
    line = line[:-1] if op else line
    if not eq or not colon or not line.strip().isdigit() or not line.strip().isascii():
        raise ScenarioError(
            f"patch must be FILE:LINE=TEXT (empty TEXT deletes), FILE:LINE+=TEXT (insert) or "
            f"FILE:LINE-= (remove), e.g. systemstack.s:29=; got {spec!r}")
    return Patch(file.strip(), int(line), text, insert=op == "+", remove=op == "-")


def as_patches(value) -> tuple[Patch, ...]:
    """A Patch, a spec string, or a list/tuple/set of them -> sorted tuple of Patch."""
    if value is None:
        return ()
    if isinstance(value, (Patch, str)):
        value = (value,)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ScenarioError(f"patch must be a Patch, a 'FILE:LINE=TEXT' string or a list of them, "
                            f"got {type(value).__name__}")
    if isinstance(value, (set, frozenset)):  # no order to keep: a set cannot hold two equal inserts
        value = sorted(value)
    given = [v if isinstance(v, Patch) else parse_patch(v) for v in value]
    # Every insert runs, identical ones too (what the reader typed is what runs); a line's own
    # patch (replace or remove) may be given twice only if both say the same thing.
    own: dict[tuple[str, int], Patch] = {}
    kept: list[Patch] = []
    for p in given:
        if p.insert:
            kept.append(p)
            continue
        was = own.setdefault((p.file, p.line), p)
        if was is p:
            kept.append(p)
        elif was != p:
            raise ScenarioError(f"patch: {p.file}:{p.line} is patched twice in different ways: "
                                f"{was.spec!r} and {p.spec!r}",
                                zh=f"{p.file} 第 {p.line} 行被改了两次，两次改得不一样：{was.spec!r} 和 {p.spec!r}；"
                                   "同一行只能改成一种样子")
    # Sorted by place (a line's own patch before the inserts after it); inserts after the same
    # line keep the order they were given in (sorted is stable).
    return tuple(sorted(kept, key=lambda p: (p.file, p.line, p.insert)))


def diff_patches(file: str, text: str) -> tuple[Patch, ...]:
    """The patches that turn listing `file` into `text` (an edited copy, e.g. from a text box)."""
    import difflib

    from .family import source

    if not isinstance(text, str):
        raise ScenarioError(f"the edited listing must be text, got {type(text).__name__}")
    old, new = lines_of(source(file)), lines_of(text)
    out: list[Patch] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        out += [Patch(file, i1 + k + 1, new[j1 + k]) for k in range(pairs)]
        out += [Patch(file, n + 1, remove=True) for n in range(i1 + pairs, i2)]  # taken out
        after = i1 + pairs if pairs else i1
        out += [Patch(file, after, new[j], insert=True) for j in range(j1 + pairs, j2)]
    return as_patches(out)



def apply(source: str, file: str, patches: tuple[Patch, ...]) -> tuple[str, frozenset[int]]:
    """The patched text of `file` and the numbers of its patched lines (in the new text)."""
    lines = lines_of(source)
    # New line number of each original line, and the patched lines, after all patches.
    mine = [p for p in patches if p.file == file]
    out: list[str] = []
    marked: set[int] = set()
    replaced = {p.line: p for p in mine if not p.insert}  # replace or remove
    inserts: dict[int, list[Patch]] = {}
    for p in mine:
        if p.insert:
            inserts.setdefault(p.line, []).append(p)

    def emit(text: str, patched: bool) -> None:
        out.append(text)
        if patched:
            marked.add(len(out))

    for p in inserts.get(0, ()):
        emit(p.text, True)
    for n, text in enumerate(lines, 1):
        if n in replaced and replaced[n].remove:
            pass
        elif n in replaced:
            emit(replaced[n].text, True)
        else:
            emit(text, False)
        for p in inserts.get(n, ()):
            emit(p.text, True)
    return "\n".join(out) + "\n", frozenset(marked)


def new_line(source: str, file: str, patches: tuple[Patch, ...], line: int) -> int:
    """Where original line `line` of `file` is in the patched text (a removed line: the line now in
    its place, or the last line)."""
    kept = [p for p in patches if p.file == file]
    before = sum(1 for p in kept if p.insert and p.line < line)
    before -= sum(1 for p in kept if p.remove and p.line < line)
    total = len(apply(source, file, patches)[0].split("\n")) - 1
    return max(1, min(line + before, total))


def old_lines(source: str, file: str, patches: tuple[Patch, ...]) -> dict[int, int]:
    """Patched line number -> original line number, for every line of `file` the patches kept as it
    was (a replaced or inserted line has no original)."""
    mine = tuple(p for p in patches if p.file == file)
    if not mine:
        return {n: n for n in range(1, len(lines_of(source)) + 1)}
    own = {p.line for p in mine if not p.insert}
    inserts: dict[int, int] = {}
    for p in mine:
        if p.insert:
            inserts[p.line] = inserts.get(p.line, 0) + 1
    out: dict[int, int] = {}
    new = inserts.get(0, 0)
    for n in range(1, len(lines_of(source)) + 1):
        if not any(p.remove for p in mine if p.line == n):
            new += 1
            if n not in own:
                out[new] = n
        new += inserts.get(n, 0)
    return out


def patched_source(file: str, patches) -> str:
    """The text of a listing file with the patches that name it applied."""
    from .family import source

    return apply(source(file), file, as_patches(patches))[0]


def marked_lines(patches: tuple[Patch, ...]) -> frozenset[tuple[str, int]]:
    """(file, line) of every patched line, in the patched listings' numbering."""
    from .family import source

    out = set()
    for file in {p.file for p in patches}:
        out |= {(file, n) for n in apply(source(file), file, patches)[1]}
    return frozenset(out)

