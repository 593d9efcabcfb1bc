"""The package's error tree: one base, a few precise kinds."""
from __future__ import annotations

from dataclasses import dataclass


class GoschedError(Exception):
    """Base of every error this package raises on purpose."""


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    text: str  # the whole source line

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class AsmError(GoschedError):
    """A listing that cannot be assembled; carries where and why."""

    def __init__(self, message: str, loc: SourceLocation, others: tuple["AsmError", ...] = ()):
        self.message = message
        self.loc = loc
        self.others = others  # further errors found in the same listing
        super().__init__(self.render())

    @property
    def line(self) -> int:
        return self.loc.line

    @property
    def column(self) -> int:
        return self.loc.column

    @property
    def all(self) -> tuple["AsmError", ...]:
        """This error followed by the others in source order."""
        return (self, *self.others)

    def render(self) -> str:
        """`file:line:col: message`, the source line and a caret under the column."""
        src = self.loc.text.rstrip("\n").expandtabs(4)
        raw = self.loc.text[: self.loc.column - 1].expandtabs(4)
        caret = " " * _width(raw) + "^"
        return f"{self.loc}: {self.message}\n    {src}\n    {caret}"


class ScenarioError(GoschedError, ValueError):
    """A scenario that names an unknown routine, preset or field, or a bad value.

    `zh`: the same message in Chinese, where one is written (what the Chinese views show)."""

    def __init__(self, message: str = "", zh: str | None = None):
        super().__init__(message)
        self.zh = zh or None


def chinese(e: BaseException) -> str:
    """What a Chinese view shows for `e`: its Chinese message if it has one, else its text."""
    return getattr(e, "zh", None) or str(e)


def _width(s: str) -> int:
    # East Asian wide characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
