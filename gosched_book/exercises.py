"""Reasoned exercises for the chapters on mcall, systemstack, gogo and the round trip.

Same shape as `why` (question, answer with values read from a trace, citations in the book's
`file:line` convention, a link to the stepper step); this module holds the chapters' own.
"""
from __future__ import annotations

from . import why
from .why import Exercise

OWN: tuple = ()


def all_exercises() -> tuple[Exercise, ...]:
    """Every reasoned exercise in the book, computed now."""
    return tuple(f() for f in (*OWN, *why.ALL))


def get(name: str) -> Exercise:
    fns = {f.__name__: f for f in (*OWN, *why.ALL)}
    if name not in fns:
        raise KeyError(f"no exercise {name!r}; known: {', '.join(fns)}")
    return fns[name]()


def show(name: str):
    """The exercise `name` as notebook HTML: question, folded answer, sources, step link."""
    from .book import _html

    return _html(why.html(get(name)))
