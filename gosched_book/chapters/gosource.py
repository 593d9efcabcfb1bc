"""Who calls a runtime routine, read from the installed Go 1.19.8 source (linux/amd64 files only).

Nothing here is typed by hand: the GOOS/GOARCH names come from go/build/syslist.go, a file's
build constraint is evaluated for linux/amd64, and each call site is found by its text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..runtime.gosrc import GO_SRC
TAGS = frozenset({"linux", "amd64", "unix", "gc"})  # what a linux/amd64 gc build satisfies


@dataclass(frozen=True)
class Site:
    file: str  # relative to src/runtime, the book's citation convention
    line: int
    caller: str  # the Go function or TEXT symbol whose body holds the line
    text: str  # the line itself, stripped
    how: str  # "call" (Go), "asm" (CALL/JMP), "ref" (its address is taken), "compiler" (emitted)


def available() -> bool:
    return (GO_SRC / "runtime" / "asm_amd64.s").is_file()


@cache
def _known(var: str) -> frozenset[str]:
    text = (GO_SRC / "go" / "build" / "syslist.go").read_text(encoding="utf-8")
    body = re.search(r"var %s = map\[string\]bool\{(.*?)\n\}" % var, text, re.S)
    return frozenset(re.findall(r'"(\w+)":', body.group(1))) if body else frozenset()


def _name_ok(name: str) -> bool:
    """Go's filename rule (go/build: name_GOOS_GOARCH, name_GOOS, name_GOARCH) for linux/amd64."""
    stem = name.rsplit(".", 1)[0]
    if stem.endswith("_test"):
        return False
    parts = stem.split("_")[1:]
    oses, arches = _known("knownOS"), _known("knownArch")
    if len(parts) >= 2 and parts[-2] in oses and parts[-1] in arches:
        return parts[-2] == "linux" and parts[-1] == "amd64"
    if parts and parts[-1] in oses:
        return parts[-1] == "linux"
    if parts and parts[-1] in arches:
        return parts[-1] == "amd64"
    return True


_BUILD = re.compile(r"^//go:build (.+)$", re.M)


def _constraint_ok(text: str) -> bool:
    m = _BUILD.search(text[:4000])
    if not m:
        return True
    expr = m.group(1)
    py = re.sub(r"[\w.]+", lambda t: str(t.group(0) in TAGS), expr)
    py = py.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    return bool(eval(py, {"__builtins__": {}}, {}))  # noqa: S307 - only True/False/and/or/not


@cache
def _files() -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    rt = GO_SRC / "runtime"
    for p in [*sorted(rt.iterdir()), *sorted((rt / "cgo").iterdir())]:
        if p.suffix not in (".go", ".s") or not _name_ok(p.name):
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        if _constraint_ok(text):
            lines = _code_lines(text)
            out.append((str(p.relative_to(rt)), tuple(_ifdef(lines) if p.suffix == ".s" else lines)))
    return tuple(out)


def _code_lines(text: str) -> list[str]:
    """The lines with /* ... */ and // comments blanked (line numbers kept)."""
    out, inside = [], False
    for line in text.splitlines():
        code = ""
        while line:
            if inside:
                end = line.find("*/")
                if end < 0:
                    line = ""
                else:
                    inside, line = False, line[end + 2:]
                continue
            start, slash = line.find("/*"), line.find("//")
            if slash >= 0 and (start < 0 or slash < start):
                code, line = code + line[:slash], ""
            elif start >= 0:
                code, line, inside = code + line[:start], line[start + 2:], True
            else:
                code, line = code + line, ""
        out.append(code)
    return out


DEFINED = frozenset({"GOOS_linux", "GOARCH_amd64"})  # the assembler's -D for linux/amd64


def _ifdef(lines: list[str]) -> list[str]:
    """Assembly lines outside the #ifdef branches a linux/amd64 build drops, blanked."""
    out, live = [], [True]
    for line in lines:
        words = line.split()
        d = words[0] if words else ""
        if d in ("#ifdef", "#ifndef") and len(words) > 1:
            live.append(live[-1] and ((words[1] in DEFINED) == (d == "#ifdef")))
        elif d == "#else" and len(live) > 1:
            live[-1] = not live[-1] and live[-2]
        elif d == "#endif" and len(live) > 1:
            live.pop()
        out.append(line if live[-1] and not d.startswith("#") else "")
    return out


@cache
def _raw(file: str) -> tuple[str, ...]:
    return tuple((GO_SRC / "runtime" / file).read_text(encoding="utf-8", errors="replace").splitlines())


COMPILER = "cmd/internal/obj/x86/obj6.go"  # the assembler/linker side that plants prologue calls


def compiler_sites(name: str) -> tuple[Site, ...]:
    """Lines of the x86 back end that emit a call to runtime.NAME (e.g. every prologue's morestack)."""
    if not available():
        return ()
    lines = (GO_SRC / COMPILER).read_text(encoding="utf-8").splitlines()
    pat = re.compile(r'"runtime\.%s"' % re.escape(name))
    return tuple(Site(COMPILER, k + 1, _enclosing(tuple(lines), k), t.strip(), "compiler")
                 for k, t in enumerate(lines) if pat.search(t))


def _enclosing(lines: tuple[str, ...], k: int) -> str:
    for text in reversed(lines[:k + 1]):
        m = re.match(r"func (?:\([^)]*\) )?(\w+)", text) or re.match(r"TEXT ([^\s(]+)\(SB\)", text)
        if m:
            return m.group(1)
    return "?"


def sites(name: str, static: bool = False) -> tuple[Site, ...]:
    """Every linux/amd64 runtime line that calls `name`, jumps to it, or takes its address.

    `static`: the file-local assembly symbol `name<>` (not the Go-visible runtime·name)."""
    if not available():
        return ()
    n = re.escape(name)
    go_call = re.compile(r"(?<![\w.])%s\(" % n)
    go_ref = re.compile(r"FuncPC\w*\(%s\)|(?<![\w.])%s\b(?!\()" % (n, n))
    sym = r"%s<>" % n if static else r"(?:runtime)?·%s(?:<ABIInternal>)?" % n
    asm = re.compile(r"\b(?:CALL|JMP)\s+%s\(SB\)" % sym)
    out = []
    for file, lines in _files():
        for k, code in enumerate(lines):
            if not code.strip():
                continue
            how = ""
            if file.endswith(".s"):
                how = "asm" if asm.search(code) else ""
            elif re.match(r"\s*func (?:\([^)]*\) )?%s\(" % n, code):
                continue  # its own definition
            elif go_call.search(code):
                how = "call"
            elif "FuncPC" in code and go_ref.search(code):
                how = "ref"
            if how:
                out.append(Site(file, k + 1, _enclosing(lines, k), _raw(file)[k].strip(), how))
    return tuple(out)
