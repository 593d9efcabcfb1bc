"""The family registry: each routine family registers its listings, routines, presets and parameters.

A family (the document's switches, stack growth, the scheduler, ...) lives in one folder under
`gosched_book/families/` and calls `register(Family(...))` once. Everything else (the Scenario,
the world, the controls, the views, the CLI) asks this registry, so a new family changes nothing
outside its own folder but the one registration line.

    >>> from gosched_book.scenario.family import presets_of
    >>> presets_of("mcall")["on_g0"].title
    '在 g0 上调用 mcall → badmcall'
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Callable

from ..errors import ScenarioError
from .values import MASK, short

MAX_STEPS = 100_000
DEFAULT_MAX_STEPS = 256


@dataclass(frozen=True)
class Param:
    """A scenario parameter a family offers: typed, checked, with a default and Chinese text.

    kind: `choice` (one of `choices`), `count` (an int among `choices`) or `word` (a 64-bit
    integer, None meaning "the world's own value")."""

    name: str
    kind: str
    default: object
    label: str
    help: str
    choices: tuple = ()
    meanings: Mapping = field(default_factory=dict)  # value -> Chinese meaning, for controls
    slider: bool = False  # a word offered as a slider on every stepper that takes it

    def check(self, v):
        """v if it is a valid value of this parameter, else ScenarioError saying what is accepted."""
        if self.kind == "word":
            if v is None or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MASK):
                return v
            got = (f"{v:#x} 是负数" if v < 0 else f"{v:#x} 不小于 2**64") if isinstance(v, int) \
                and not isinstance(v, bool) else f"{short(v)} 不是整数"
            raise ScenarioError(f"{self.name} must be an integer in [0, 2**64), e.g. 0xc000041f00; "
                                f"got {short(v)}",
                                f"{self.label}：{got}；请填 0 到 2**64−1 的整数，例如 0xc000041f00")
        if any(v is c or (type(v) is type(c) and v == c) for c in self.choices):
            return v
        zh = (f"{self.label}：{short(v)} 不是可选的值；可选：{'、'.join(map(str, self.choices))}")
        if self.kind == "count":
            *head, last = [str(c) for c in self.choices]
            raise ScenarioError(f"{self.name} must be {', '.join(head)} or {last}; got {short(v)}", zh)
        raise ScenarioError(f"{self.name} must be one of {', '.join(map(str, self.choices))}; "
                            f"got {short(v)}", zh)

    def parse(self, text: str):
        """The value `text` (from a key or `--set`) stands for."""
        from .values import parse_value

        if self.kind == "choice":
            for c in self.choices:
                if str(c).lower() == text.strip().lower():
                    return c
            return text
        return parse_value(self.name, text)


@dataclass(frozen=True)
class Preset:
    """A named starting point of a routine: its Chinese title, the end it reaches, its values."""

    title: str
    expect: str  # the end kind it should reach: call, return, jump, event, fault, limit
    values: Mapping = field(default_factory=dict)
    max_steps: int = DEFAULT_MAX_STEPS
    build: Callable | None = None  # a builder of its own (else the routine's)
    drops: tuple[str, ...] = ()  # routine parameters this preset's world does not use


def preset(title: str, expect: str, *, build=None, drops=(), max_steps=DEFAULT_MAX_STEPS,
           **values) -> Preset:
    return Preset(title, expect, MappingProxyType(values), max_steps, build, tuple(drops))


@dataclass(frozen=True)
class PatchChoice:
    """A one-line listing patch a stepper offers: delete or rewrite the line holding `text`."""

    name: str
    label: str
    meaning: str
    file: str
    text: str  # the line's instruction, as written in the listing
    new: str = ""  # the replacement ("" deletes)


@dataclass(frozen=True)
class Routine:
    """A routine the reader can run: its presets, the parameters it takes, how its world is built."""

    name: str
    title: str  # Chinese, for `list` and the views
    build: Callable  # builder(ctx): fills in the world
    params: tuple[str, ...]  # in key order
    presets: Mapping[str, Preset]
    defaults: Mapping = field(default_factory=dict)  # routine-specific parameter defaults
    funcval: str = "main·workerval"  # the data symbol `fn` stands for
    patches: tuple[PatchChoice, ...] = ()


@dataclass(frozen=True)
class Family:
    """One place per routine family: listings, world code, parameters, routines, extra presets."""

    name: str
    package: str | Path  # where its listing files are: a package name or a folder
    listings: tuple[tuple[str, str], ...] = ()  # (routine symbol, file), in link order
    world_files: tuple[str, ...] = ()  # the book's own code: callers, stand-ins (linked last)
    params: tuple[Param, ...] = ()
    routines: tuple[Routine, ...] = ()
    presets: Mapping[str, Mapping[str, Preset]] = field(default_factory=dict)  # for others' routines


_FAMILIES: dict[str, Family] = {}
_VERSION = [0]


def register(family: Family) -> Family:
    """Add a family; a routine, preset, parameter or file that already exists is refused."""
    if family.name in _FAMILIES:
        raise ScenarioError(f"family {family.name} is already registered")
    names = {r.name for f in _FAMILIES.values() for r in f.routines}
    files = set(_files())
    params = {p.name for f in _FAMILIES.values() for p in f.params}
    for r in family.routines:
        if r.name in names:
            raise ScenarioError(f"family {family.name}: routine {r.name} is already registered")
    for f in [*(f for _, f in family.listings), *family.world_files]:
        if f in files:
            raise ScenarioError(f"family {family.name}: listing file {f} is already registered")
    for p in family.params:
        if p.name in params or p.name in ("max_steps", "routine", "preset", "regs", "mem", "patch"):
            raise ScenarioError(f"family {family.name}: parameter {p.name} is already registered")
    known = names | {r.name for r in family.routines}
    for routine, ps in family.presets.items():
        if routine not in known:
            raise ScenarioError(f"family {family.name}: presets for unknown routine {routine}")
        clash = set(ps) & set(_presets(routine))
        if clash:
            raise ScenarioError(f"family {family.name}: {routine} already has preset {min(clash)}")
    _FAMILIES[family.name] = family
    _VERSION[0] += 1
    _check_params()
    return family


def unregister(name: str) -> None:
    """Remove a family (tests register throwaway families)."""
    _FAMILIES.pop(name, None)
    _VERSION[0] += 1


def version() -> int:
    """Bumped by every register/unregister: caches of built images and runs key on it."""
    return _VERSION[0]


def families() -> tuple[Family, ...]:
    return tuple(_FAMILIES.values())


def _check_params() -> None:
    known = {p.name for f in _FAMILIES.values() for p in f.params}
    for f in _FAMILIES.values():
        for r in f.routines:
            missing = [n for n in r.params if n not in known]
            if missing:
                raise ScenarioError(f"routine {r.name} takes unknown parameter {missing[0]}")


# Routines and presets -------------------------------------------------------------------------

def routines() -> tuple[str, ...]:
    return tuple(r.name for f in _FAMILIES.values() for r in f.routines)


def routine(name) -> Routine:
    for f in _FAMILIES.values():
        for r in f.routines:
            if r.name == name:
                return r
    raise ScenarioError(f"unknown routine {short(name)}; known: {', '.join(routines())}")


def _presets(name: str) -> dict[str, Preset]:
    out: dict[str, Preset] = {}
    for f in _FAMILIES.values():
        for r in f.routines:
            if r.name == name:
                out.update(r.presets)
        out.update(f.presets.get(name, {}))
    return out


def presets_of(name: str) -> Mapping[str, Preset]:
    """routine -> its presets in order (its own, then other families'); the first is the default."""
    routine(name)
    return MappingProxyType(_presets(name))


def preset_of(name: str, preset_name) -> Preset:
    ps = presets_of(name)
    if preset_name not in ps:
        raise ScenarioError(f"routine {name} has no preset {short(preset_name)}; known: {', '.join(ps)}")
    return ps[preset_name]


def all_params() -> Mapping[str, Param]:
    """Every parameter of every family, by name."""
    return MappingProxyType({p.name: p for f in _FAMILIES.values() for p in f.params})


def params_of(name: str) -> tuple[Param, ...]:
    """The parameters a routine takes, in key order."""
    known = all_params()
    return tuple(known[n] for n in routine(name).params)


def preset_params(name: str, preset_name: str) -> tuple[Param, ...]:
    """The parameters routine:preset takes: the routine's, less those the preset's world ignores."""
    drops = preset_of(name, preset_name).drops
    return tuple(p for p in params_of(name) if p.name not in drops)


def default_of(name: str, param: Param):
    return routine(name).defaults.get(param.name, param.default)


# Listing files -------------------------------------------------------------------------------

def _files() -> dict[str, Family]:
    out: dict[str, Family] = {}
    for f in _FAMILIES.values():
        for _, file in f.listings:
            out.setdefault(file, f)
        for file in f.world_files:
            out[file] = f
    return out


def listing_files() -> Mapping[str, str]:
    """routine symbol -> listing file, in link order (the runtime's own routines)."""
    return MappingProxyType({sym: file for f in _FAMILIES.values() for sym, file in f.listings})


def world_files() -> tuple[str, ...]:
    """The book's own code around the routines, linked after them."""
    return tuple(file for f in _FAMILIES.values() for file in f.world_files)


def all_files() -> tuple[str, ...]:
    """Every listing file in link order."""
    return (*dict.fromkeys(listing_files().values()), *world_files())


_SOURCES: dict[tuple[int, str], str] = {}


def source(file: str) -> str:
    """The text of one registered listing file."""
    key = (_VERSION[0], file)
    if key not in _SOURCES:
        _SOURCES[key] = _read(file)
    return _SOURCES[key]


def _read(file: str) -> str:
    fam = _files().get(file)
    if fam is None:
        raise ScenarioError(f"unknown listing file {short(file)}; known: {', '.join(all_files())}")
    if isinstance(fam.package, Path):
        return (fam.package / file).read_text(encoding="utf-8")
    return resources.files(fam.package).joinpath(file).read_text(encoding="utf-8")


# Live read-only views, for code that reads the registry as data ------------------------------

class _ByRoutine(Mapping):
    """routine name -> get(name), for every registered routine, read live."""

    def __init__(self, get: Callable):
        self._get = get

    def __getitem__(self, name):
        if name not in routines():
            raise KeyError(name)
        return self._get(name)

    def __iter__(self):
        return iter(routines())

    def __len__(self):
        return len(routines())


class _Routines(Sequence):
    def __getitem__(self, i):
        return routines()[i]

    def __len__(self):
        return len(routines())

    def __eq__(self, other):
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self):
        return hash(tuple(self))

    def __repr__(self):
        return repr(routines())


PRESETS: Mapping[str, Mapping[str, Preset]] = _ByRoutine(presets_of)
ROUTINE_TITLES: Mapping[str, str] = _ByRoutine(lambda name: routine(name).title)
ROUTINES: Sequence[str] = _Routines()

__all__ = ["Param", "Preset", "preset", "PatchChoice", "Routine", "Family", "register", "unregister",
           "version", "routines", "routine", "presets_of", "preset_of", "params_of", "preset_params",
           "all_params", "listing_files", "world_files", "all_files", "source", "PRESETS",
           "ROUTINE_TITLES", "ROUTINES", "MAX_STEPS"]
