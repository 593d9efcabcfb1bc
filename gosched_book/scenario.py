"""Scenario: a routine, a preset, and the starting values a reader may change; and their checks.

Besides the preset's parameters (`entry_sp`, `current`, ...), a Scenario carries
- `regs`: registers at the routine's entry, e.g. `(("r14", "g0"), ("rax", 0))`;
- `mem`: memory words the routine reads, e.g. `(("g.sched.pc", 0),)`;
- `patch`: listing patches (see `gosched_book.patch`).
Values are raw integers in [0, 2**64) or symbolic names (`overrides.SYMBOLS`). All of it is
frozen and hashable; `key` encodes it and `parse_key` reads it back.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .errors import ScenarioError
from .overrides import MEMORY, REGISTERS, SYMBOLS, _short, check_value
from .patch import Patch, as_patches
from .presets import CHOICES, DEFAULTS, PRESETS, ROUTINES

MASK = (1 << 64) - 1
MAX_STEPS = 100_000
WORDS = ("entry_sp", "bp", "g0_sched_sp", "sched_ctxt", "gobuf_ret", "gobuf_ctxt")


@dataclass(frozen=True)
class Scenario:
    """A routine, a preset, and the starting values a reader may change (None: the preset's)."""

    routine: str = "mcall"
    preset: str | None = None  # None: the routine's first preset
    current: str | None = None  # the running g: g, g0, gsignal, g2
    entry_sp: int | None = None  # SP at the routine's first instruction
    bp: int | None = None
    g0_sched_sp: int | None = None
    fn: str | None = None  # mcall's fn: park or returns
    sched_ctxt: int | None = None  # g.sched.ctxt before the call
    gobuf: str | None = None  # gogo's buffer: g (g.sched) or g0 (g0.sched)
    gobuf_g_nil: bool | None = None
    gobuf_ret: int | None = None
    gobuf_ctxt: int | None = None
    rounds: int | None = None  # round trip: how many mcall/gogo cycles
    int3: str | None = None  # stop or continue at INT $3
    max_steps: int | None = None
    regs: tuple = ()  # ((register, value), ...) at entry, in REGISTERS order
    mem: tuple = ()  # ((memory word, value), ...), in MEMORY order
    patch: tuple = ()  # Patch, ... sorted

    def __post_init__(self) -> None:
        if not isinstance(self.routine, str):
            raise ScenarioError(f"routine must be a routine name, one of {', '.join(ROUTINES)}; "
                                f"got {type(self.routine).__name__}")
        if self.preset is not None and not isinstance(self.preset, str):
            known = ", ".join(PRESETS.get(self.routine, {}))
            raise ScenarioError(f"preset must be a preset name (a str){': ' + known if known else ''}; "
                                f"got {type(self.preset).__name__}")
        if self.preset is None and self.routine in PRESETS:
            object.__setattr__(self, "preset", next(iter(PRESETS[self.routine])))
        object.__setattr__(self, "regs", _pairs("regs", self.regs, REGISTERS))
        object.__setattr__(self, "mem", _pairs("mem", self.mem, tuple(MEMORY)))
        object.__setattr__(self, "patch", as_patches(self.patch))
        for name in SCALARS:
            try:
                hash(getattr(self, name))
            except TypeError:
                raise ScenarioError(_expected(name, getattr(self, name))) from None

    def params(self) -> dict:
        """Every parameter resolved: preset values over defaults, then explicit fields."""
        if self.routine not in PRESETS:
            raise ScenarioError(f"unknown routine {_short(self.routine)}; known: {', '.join(ROUTINES)}")
        presets = PRESETS[self.routine]
        if self.preset_name not in presets:
            raise ScenarioError(
                f"routine {self.routine} has no preset {_short(self.preset)}; known: {', '.join(presets)}")
        p = {**DEFAULTS, **DEFAULTS_BY_ROUTINE.get(self.routine, {}), **presets[self.preset_name].values}
        for name in SCALARS:
            v = getattr(self, name)
            if v is not None:
                p[name] = v
        _validate(p)
        if self.regs:
            p["regs"] = {k: _show(v) for k, v in self.regs}
        if self.mem:
            p["mem"] = {k: _show(v) for k, v in self.mem}
        if self.patch:
            p["patch"] = [x.spec for x in self.patch]
        return p

    @property
    def preset_name(self) -> str:
        if self.preset is not None:
            return self.preset
        return next(iter(PRESETS.get(self.routine, {"normal": None})))

    def overrides(self) -> dict:
        """Everything set explicitly beyond the routine and its preset: field -> value.

        Registers and memory words appear under their own names (`r14`, `g.sched.pc`); patches
        under `patch` as a tuple of Patch."""
        out = {k: getattr(self, k) for k in SCALARS if getattr(self, k) is not None}
        out.update(self.regs)
        out.update(self.mem)
        if self.patch:
            out["patch"] = self.patch
        return out

    @property
    def key(self) -> str:
        """`routine:preset`, plus `+field=value` for each override (used in URL fragments).

        Patch text is escaped as `~XX` per UTF-8 byte so the key survives a URL unchanged."""
        items = [(k, _show(v)) for k, v in self.overrides().items() if k != "patch"]
        items += [("patch", _escape(p.spec)) for p in self.patch]
        return f"{self.routine}:{self.preset_name}" + "".join(f"+{k}={v}" for k, v in items)

    def replace(self, **changes) -> "Scenario":
        return dataclasses.replace(self, **changes)

    def unpatched(self) -> "Scenario":
        return dataclasses.replace(self, patch=())


SCALARS = tuple(f.name for f in dataclasses.fields(Scenario)[2:-3])
FIELDS_HELP = (
    f"scenario fields: {', '.join(SCALARS)}; registers: {', '.join(REGISTERS)}; "
    f"memory words: {', '.join(MEMORY)}; values: integers (0x… hex or decimal) or "
    f"{', '.join(SYMBOLS)}"
)
DEFAULTS_BY_ROUTINE = {"gogo": {"current": "g0"}}


def _pairs(what: str, value, names: tuple[str, ...]) -> tuple:
    """A dict or pairs -> tuple of (name, checked value) in `names` order."""
    if isinstance(value, dict):
        value = tuple(value.items())
    if not isinstance(value, (tuple, list)):
        raise ScenarioError(f"{what} must be a dict of name -> value; names: {', '.join(names)}")
    out = {}
    for item in value:
        if not isinstance(item, (tuple, list)) or len(item) != 2 or not isinstance(item[0], str):
            raise ScenarioError(f"{what} must be a dict of name -> value; names: {', '.join(names)}")
        name = item[0].lower() if what == "regs" else item[0]
        if name not in names:
            raise ScenarioError(f"{what}: unknown name {_short(item[0])}; valid: {', '.join(names)}")
        if item[1] is not None:
            out[name] = check_value(name, item[1])
    return tuple((n, out[n]) for n in names if n in out)


def _show(v) -> str:
    return f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _expected(name: str, v) -> str:
    if name in CHOICES:
        return f"{name} must be one of {', '.join(map(str, CHOICES[name]))}; got {_short(v)}"
    if name in WORDS:
        return f"{name} must be an integer in [0, 2**64), e.g. 0xc000041f00; got {_short(v)}"
    if name == "max_steps":
        return f"max_steps must be an integer step count in [1, {MAX_STEPS}]; got {_short(v)}"
    if name == "rounds":
        return f"rounds must be 1, 2 or 3; got {_short(v)}"
    return f"{name}: bad value {_short(v)}"


def _validate(p: dict) -> None:
    for name, choices in CHOICES.items():
        v = p[name]
        if not any(v is c or (type(v) is type(c) and v == c) for c in choices):
            raise ScenarioError(_expected(name, v))
    for name in WORDS:
        v = p[name]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MASK):
            raise ScenarioError(_expected(name, v))
    v = p["max_steps"]
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_STEPS:
        raise ScenarioError(_expected("max_steps", v))
    if type(p["rounds"]) is not int or p["rounds"] not in (1, 2, 3):
        raise ScenarioError(_expected("rounds", p["rounds"]))


# Reading values and keys -----------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?\d+")


def parse_value(name: str, text: str):
    """A value as typed on the command line or found in a key: int, bool, or a name."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if _DECIMAL.fullmatch(t):
        digits = t.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0":
            raise ScenarioError(
                f"{name}={_short(t)}: a number with a leading zero is ambiguous (octal in C, an error "
                f"in Go and Python); write hex as 0x… or decimal without the leading zero")
        if len(digits) > 20:
            raise ScenarioError(f"{name}: {_short(t)} is too large; values are 64-bit, < 2**64")
        return int(t)
    if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F_]+", t):
        if len(t.lstrip("+-")) > 2 + 16 + 8:
            raise ScenarioError(f"{name}: {_short(t)} is too large; values are 64-bit, < 2**64")
        try:
            return int(t, 16)
        except ValueError:
            raise ScenarioError(f"{name}: {_short(t)} is not a hex number") from None
    if re.fullmatch(r"[+-]?0[xX]", t):
        raise ScenarioError(f"{name}: {_short(t)} has no digits after 0x")
    return t


def make(routine, preset=None, /, **values) -> Scenario:
    """A Scenario from flat names: scenario fields, registers (`r14`), memory words (`g.sched.pc`),
    `regs`/`mem` dicts and `patch`. Unknown names -> ScenarioError listing the valid ones."""
    scalars, regs, mem = {}, {}, {}
    patch = ()
    for k, v in values.items():
        if not isinstance(k, str):
            raise ScenarioError(f"field names are strings; {FIELDS_HELP}")
        low = k.lower()
        if k in SCALARS:
            scalars[k] = v
        elif low in REGISTERS:
            regs[low] = v
        elif k in MEMORY:
            mem[k] = v
        elif k == "regs" or k == "mem":
            if v is not None:
                (regs if k == "regs" else mem).update(_pairs(k, v, REGISTERS if k == "regs" else tuple(MEMORY)))
        elif k == "patch":
            patch = as_patches(v)
        elif k in ("routine", "preset"):
            raise ScenarioError(f"{k} is not a field you can set: the routine and preset are "
                                f"run(routine, preset)'s arguments (on the command line: the routine, "
                                f"then --scenario PRESET); valid fields: {FIELDS_HELP}")
        elif low == "rip":
            raise ScenarioError("rip cannot be set: it is always the routine's entry; "
                                f"registers: {', '.join(REGISTERS)}")
        else:
            raise ScenarioError(f"unknown field {_short(k)}; {FIELDS_HELP}")
    return Scenario(routine, preset, **scalars, regs=tuple(regs.items()), mem=tuple(mem.items()),
                    patch=patch)


def parse_key(key: str) -> Scenario:
    """The Scenario whose `key` is `key` (inverse of Scenario.key)."""
    if not isinstance(key, str) or ":" not in key:
        raise ScenarioError(f"a scenario key looks like routine:preset+field=value; got {_short(key)}")
    routine, _, rest = key.partition(":")
    preset, *items = rest.split("+")
    values: dict = {}
    patches = []
    for item in items:
        name, eq, text = item.partition("=")
        if not eq:
            raise ScenarioError(f"key item {_short(item)} is not field=value")
        if name == "patch":
            patches.append(_unescape(text))
        elif name in SCALARS and name not in WORDS and name not in ("max_steps", "rounds"):
            values[name] = parse_value(name, text) if text.lower() in ("true", "false") else text
        else:
            values[name] = parse_value(name, text)
    s = make(routine, preset, **values, patch=patches)
    s.params()
    return s


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-,")


def _escape(text: str) -> str:
    return "".join(c if c in _SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in text)


def _unescape(text: str) -> str:
    try:
        return re.sub(rb"~([0-9A-F]{2})", lambda m: bytes([int(m[1], 16)]),
                      text.encode()).decode()
    except UnicodeDecodeError:
        raise ScenarioError(f"patch in key is not valid UTF-8 after unescaping: {_short(text)}") from None


__all__ = ["Scenario", "Patch", "make", "parse_key", "parse_value", "FIELDS_HELP", "SCALARS"]
