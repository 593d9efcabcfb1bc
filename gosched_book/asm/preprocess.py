"""What Go's assembler does before parsing: comments, #include, #define, #ifdef, line ends.

Lines end only at \\n (a \\r before it is dropped), as in Go's lexer: a U+2028 or \\f inside a
comment does not start a new line. `/* ... */` may span lines. The runtime's own headers are known
without reading them: go_asm.h (the struct offsets the book already has), go_tls.h (`get_tls(r)`,
`g(r)`, which the parser reads itself), textflag.h (the TEXT flag names), funcdata.h (GC
metadata macros: FUNCDATA and PCDATA emit no code); cgo/abi_amd64.h is read from a verbatim copy
in headers/ (PUSH_REGS_HOST_TO_ABI0 and its companions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

# The headers of Go's runtime directory that a routine copied from asm_amd64.s includes.
KNOWN_HEADERS = ("go_asm.h", "go_tls.h", "textflag.h", "funcdata.h", "cgo/abi_amd64.h")
# What `#ifdef` sees on this target (GOAMD64=v1, as the golden bytes were built).
PREDEFINED = ("GOARCH_amd64", "GOOS_linux", "GOAMD64_v1")
# funcdata.h's names: GC metadata that emits no code (FUNCDATA and PCDATA are no-ops here).
HEADER_MACROS = {"funcdata.h": {
    "PCDATA_UnsafePoint": "0", "PCDATA_StackMapIndex": "1", "PCDATA_InlTreeIndex": "2",
    "PCDATA_ArgLiveIndex": "3", "FUNCDATA_ArgsPointerMaps": "0", "FUNCDATA_LocalsPointerMaps": "1",
    "FUNCDATA_StackObjects": "2", "FUNCDATA_InlTree": "3", "FUNCDATA_OpenCodedDeferInfo": "4",
    "FUNCDATA_ArgInfo": "5", "FUNCDATA_ArgLiveInfo": "6", "FUNCDATA_WrapInfo": "7",
    "GO_ARGS": "FUNCDATA $FUNCDATA_ArgsPointerMaps, go_args_stackmap(SB)",
    "GO_RESULTS_INITIALIZED": "PCDATA $PCDATA_StackMapIndex, $1",
    "NO_LOCAL_POINTERS": "FUNCDATA $FUNCDATA_LocalsPointerMaps, no_pointers_stackmap(SB)",
    "ArgsSizeUnknown": "0x80000000",
}}
MAX_EXPANSION = 64  # nested macro expansions before we call it runaway
MAX_EXPANDED = 20_000  # characters one line may grow to through macros

# Go's identifiers: a letter, _, · or ∕, then those or digits (Unicode letters and digits count).
_IDENT = re.compile(r"[^\W\d][\w\u00b7\u2215]*|[\u00b7\u2215][\w\u00b7\u2215]*")
_DIRECTIVE = re.compile(r"\s*#\s*(\w*)(.*)", re.S)


@dataclass(frozen=True)
class Line:
    number: int
    text: str  # the line as written (for carets)
    code: str  # without comments, macros expanded
    comment: str  # the text after //, for the trace's comment column
    macro: str = ""  # the first macro expanded on this line
    macro_col: int = 0  # where it was invoked (1-based)


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...] | None  # None: object-like
    body: str


class PreprocessError(Exception):
    def __init__(self, message: str, line: int, col: int, text: str):
        self.message, self.line, self.col, self.text = message, line, col, text
        super().__init__(message)


def split_lines(source: str) -> list[str]:
    """Lines ended by \\n or \\r\\n only."""
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [x[:-1] if x.endswith("\r") else x for x in lines]


def _strip_comments(text: str, in_block: bool) -> tuple[str, str, bool, int]:
    """(code with /* */ blanked, // comment, still inside /* at the end, column of an open /*)."""
    if not in_block and "/" not in text:
        return text, "", False, 0
    out: list[str] = []
    i, n, opened = 0, len(text), 0
    while i < n:
        if in_block:
            end = text.find("*/", i)
            stop = n if end < 0 else end + 2
            out.append(" " * (stop - i))
            i = stop
            in_block = end < 0
            continue
        j = _next_comment(text, i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("//", j):
            return "".join(out), text[j + 2:], False, 0
        in_block, opened, i = True, j + 1, j
    return "".join(out), "", in_block, opened


_COMMENT_START = re.compile(r'"[^"\n]*"?|//|/\*')


def _next_comment(text: str, i: int) -> int:
    """Where the next // or /* starts, outside "quoted" text (an #include's file name)."""
    for m in _COMMENT_START.finditer(text, i):
        if m.group() in ("//", "/*"):
            return m.start()
    return -1


def preprocess(source: str, first_line: int = 1, macros: dict | None = None,
               defined: set | None = None) -> tuple[list[Line], list[PreprocessError]]:
    """The source's lines ready for the parser, and every directive error found. `macros` and
    `defined`, when given, are shared (an #include'd header defines into its includer's)."""
    raw = split_lines(source)
    macros = {} if macros is None else macros
    defined = set(PREDEFINED) if defined is None else defined
    # Per open #ifdef: (its own condition, seen #else, line, lines active here). The last field
    # folds in every enclosing condition, so a line's activity is one look, not a walk.
    conds: list[tuple[bool, bool, int, bool]] = []
    out: list[Line] = []
    errors: list[PreprocessError] = []
    in_block, block_start = False, (0, 0, "")
    k = 0
    while k < len(raw):
        n, text = first_line + k, raw[k]
        was_block = in_block
        code, comment, in_block, opened = _strip_comments(text, in_block)
        if in_block and not was_block:
            block_start = (n, opened, text)
        k += 1
        active = conds[-1][3] if conds else True
        d = _DIRECTIVE.match(code)
        if d:
            body = d.group(2)
            while body.rstrip().endswith("\\") and k < len(raw):  # continued on the next line
                more, _, in_block, _ = _strip_comments(raw[k], in_block)
                body = body.rstrip()[:-1] + "\n" + more
                k += 1
            try:
                _directive(d.group(1), body, active, macros, defined, conds, n)
            except PreprocessError as e:
                errors.append(PreprocessError(e.message, n, code.index("#") + 1, text))
            out.append(Line(n, text, "", comment))
            continue
        if not active:
            out.append(Line(n, text, "", comment))
            continue
        try:
            expanded, first, col = expand(code, macros)
        except PreprocessError as e:
            errors.append(PreprocessError(e.message, n, e.col, text))
            expanded, first, col = "", "", 0
        out.append(Line(n, text, expanded, comment, first, col))
    if in_block:
        line, col, text = block_start
        errors.append(PreprocessError("comment /* is never closed with */", line, col, text))
    for _, _, line, _ in conds:
        errors.append(PreprocessError("#ifdef without #endif", line, 1, raw[line - first_line]))
    return out, errors


def _directive(name: str, body: str, active: bool, macros: dict, defined: set, conds: list,
               line: int) -> None:
    words = body.split()
    if name in ("ifdef", "ifndef"):
        if len(words) != 1:
            raise PreprocessError(f"#{name} takes one name", line, 1, "")
        yes = (words[0] in defined or words[0] in macros) == (name == "ifdef")
        conds.append((yes, False, line, active and yes))
        return
    if name == "else":
        if not conds or conds[-1][1]:
            raise PreprocessError("#else without #ifdef", line, 1, "")
        yes, _, at, _ = conds.pop()
        outer = conds[-1][3] if conds else True
        conds.append((not yes, True, at, outer and not yes))
        return
    if name == "endif":
        if not conds:
            raise PreprocessError("#endif without #ifdef", line, 1, "")
        conds.pop()
        return
    if not active:
        return
    if name == "include":
        m = re.fullmatch(r'\s*"([^"]+)"\s*', body)
        if not m:
            raise PreprocessError('expected #include "file.h"', line, 1, "")
        if m.group(1) not in KNOWN_HEADERS:
            raise PreprocessError(
                f"cannot include {m.group(1)!r}: only the runtime's headers are known here "
                f"({', '.join(KNOWN_HEADERS)})", line, 1, "")
        for name, body in HEADER_MACROS.get(m.group(1), {}).items():
            macros.setdefault(name, Macro(name, None, body))
        text = _header_text(m.group(1))
        if text is not None:
            _, bad = preprocess(text, 1, macros, defined)
            if bad:
                raise PreprocessError(f"in {m.group(1)}:{bad[0].line}: {bad[0].message}", line, 1, "")
        return
    if name == "define":
        macro = _define(body, line)
        macros[macro.name] = macro
        return
    if name == "undef":
        if len(words) != 1:
            raise PreprocessError("#undef takes one name", line, 1, "")
        macros.pop(words[0], None)
        defined.discard(words[0])
        return
    raise PreprocessError(
        f"unknown directive #{name}; expected #include, #define, #undef, #ifdef, #ifndef, #else "
        "or #endif", line, 1, "")


def _header_text(name: str) -> str | None:
    """A runtime header kept verbatim beside this module (cgo/abi_amd64.h), or None."""
    path = resources.files(__package__).joinpath("headers", *name.split("/"))
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _define(body: str, line: int) -> Macro:
    m = re.match(r"\s*([^\W\d][\w\u00b7\u2215]*)(\([^)]*\))?", body)
    if not m:
        raise PreprocessError("expected a macro name after #define", line, 1, "")
    if m.group(2) is None and body[m.end():m.end() + 1] == "(":
        raise PreprocessError(f"bad definition for {m.group(1)}: the parameter list "
                              f"{body[m.end():].strip()!r} is not closed with ')'", line, 1, "")
    params = None
    if m.group(2) is not None:
        params = tuple(p.strip() for p in m.group(2)[1:-1].split(",")) if m.group(2) != "()" else ()
        if any(not _IDENT.fullmatch(p) for p in params):
            raise PreprocessError(f"bad parameter list {m.group(2)} in #define {m.group(1)}",
                                  line, 1, "")
    return Macro(m.group(1), params, body[m.end():].strip())


def expand(code: str, macros: dict[str, Macro]) -> tuple[str, str, int]:
    """`code` with macros expanded; the first macro's name and column (or "", 0)."""
    if not macros:
        return code, "", 0
    first: list[tuple[str, int]] = []
    text = _expand(code, macros, frozenset(), 0, first, 0)
    return (text, *first[0]) if first else (text, "", 0)


def _expand(code: str, macros: dict, hidden: frozenset, depth: int, first: list, base: int) -> str:
    if depth > MAX_EXPANSION:
        raise PreprocessError(f"macros expand more than {MAX_EXPANSION} levels deep", 0, base + 1, "")
    out: list[str] = []
    i = 0
    while True:
        m = _IDENT.search(code, i)
        if m is None:
            out.append(code[i:])
            return "".join(out)
        name = m.group()
        macro = macros.get(name)
        out.append(code[i:m.start()])
        i = m.end()
        if macro is None or name in hidden:
            out.append(name)
            continue
        if not first:
            first.append((name, base + m.start() + 1 if depth == 0 else base + 1))
        body = macro.body
        if macro.params is not None:
            j = i
            while j < len(code) and code[j] in " \t":
                j += 1
            if j >= len(code) or code[j] != "(":
                out.append(name)  # a function-like macro's name without ( is just a name
                continue
            args, i = _arguments(code, j, name, base)
            if len(args) != len(macro.params) and not (macro.params == () and args == [""]):
                raise PreprocessError(
                    f"macro {name} takes {len(macro.params)} argument(s), got {len(args)}", 0,
                    base + m.start() + 1, "")
            subst = dict(zip(macro.params, (a.strip() for a in args)))
            body = _IDENT.sub(lambda p: subst.get(p.group(), p.group()), body)
        out.append(_expand(body, macros, hidden | {name}, depth + 1, first,
                           base + m.start() if depth == 0 else base))
        if sum(map(len, out)) > MAX_EXPANDED:
            raise PreprocessError(f"macros expand this line past {MAX_EXPANDED} characters", 0,
                                  first[0][1], "")


def _arguments(code: str, j: int, name: str, base: int) -> tuple[list[str], int]:
    depth, args, cur = 0, [], []
    for k in range(j, len(code)):
        c = code[k]
        if c == "(":
            depth += 1
            if depth == 1:
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur))
                return args, k + 1
        elif c == "," and depth == 1:
            args.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    raise PreprocessError(f"macro {name}( is not closed with )", 0, base + j + 1, "")
