"""Scenario: a routine, a preset, and the starting values a reader may change; and their checks.

What every run has is a field: `routine`, `preset`, `regs` (registers at the routine's entry,
e.g. `(("r14", "g0"), ("rax", 0))`), `mem` (memory words the routine reads, e.g.
`(("g.sched.pc", 0),)`), `patch` (listing patches, see `scenario.patch`) and `max_steps`.
A family's own parameters (`entry_sp`, `current`, `rounds`, ...) travel in `params`, checked
against what the routine's family registered (`scenario.family`); `Scenario("mcall",
current="g0")` and `s.current` read as if they were fields. Values are raw integers in
[0, 2**64) or symbolic names (`values.SYMBOLS`). All of it is frozen and hashable; `key`
encodes it and `parse_key` reads it back.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..errors import ScenarioError
from . import family
from .family import MAX_STEPS
from .patch import Patch, as_patches
from .values import MEMORY, REGISTERS, SYMBOLS, check_value, parse_value, short

_RESERVED = ("routine", "preset", "params", "regs", "mem", "patch", "max_steps")


@dataclass(frozen=True, init=False)
class Scenario:
    """A routine, a preset, and the starting values a reader may change (unset: the preset's)."""

    routine: str
    preset: str | None
    params: tuple  # ((parameter, value), ...) in key order; value None: the preset's
    regs: tuple  # ((register, value), ...) at entry, in REGISTERS order
    mem: tuple  # ((memory word, value), ...), in MEMORY order
    patch: tuple  # Patch, ... sorted
    max_steps: int | None

    def __init__(self, routine="mcall", preset=None, *, params=(), regs=(), mem=(), patch=(),
                 max_steps=None, **named):
        if not isinstance(routine, str):
            raise ScenarioError(f"routine must be a routine name, one of {', '.join(family.routines())}; "
                                f"got {type(routine).__name__}")
        if preset is not None and not isinstance(preset, str):
            known = ", ".join(family.PRESETS.get(routine, {}))
            raise ScenarioError(f"preset must be a preset name (a str){': ' + known if known else ''}; "
                                f"got {type(preset).__name__}")
        if preset is None and routine in family.PRESETS:
            preset = next(iter(family.PRESETS[routine]))
        given = dict(params.items() if isinstance(params, dict) else params)
        given.update(named)
        known = family.all_params()
        for name, v in given.items():
            if name not in known:
                raise ScenarioError(f"unknown field {short(name)}; {fields_help()}")
            try:
                hash(v)
            except TypeError:
                known[name].check(v)  # says what the parameter accepts
                raise ScenarioError(f"{name}: bad value {short(v)}") from None
        order = list(known)
        put = object.__setattr__
        put(self, "routine", routine)
        put(self, "preset", preset)
        put(self, "params", tuple(sorted(((k, v) for k, v in given.items() if v is not None),
                                         key=lambda kv: order.index(kv[0]))))
        put(self, "regs", _pairs("regs", regs, REGISTERS))
        put(self, "mem", _pairs("mem", mem, tuple(MEMORY)))
        put(self, "patch", as_patches(patch))
        try:
            hash(max_steps)
        except TypeError:
            raise ScenarioError(_steps_error(max_steps), zh=_steps_error_zh(max_steps)) from None
        put(self, "max_steps", max_steps)

    def __getattr__(self, name: str):
        # A family parameter reads like a field: None when the scenario leaves it to the preset.
        if name.startswith("_") or name not in family.all_params():
            raise AttributeError(name)
        return dict(object.__getattribute__(self, "params")).get(name)

    @property
    def preset_name(self) -> str:
        if self.preset is not None:
            return self.preset
        return next(iter(family.PRESETS.get(self.routine, {"normal": None})))

    def resolved(self) -> dict:
        """Every parameter the routine:preset takes, resolved: defaults, then the preset's values,
        then this scenario's; `max_steps`; and the overrides for display. Checks everything."""
        r = family.routine(self.routine)
        pr = family.preset_of(self.routine, self.preset_name)
        takes = family.preset_params(self.routine, self.preset_name)
        names = {p.name for p in takes}
        for name, _ in self.params:
            if name not in names:
                raise ScenarioError(_not_taken(self.routine, self.preset_name, name, takes),
                                    zh=_not_taken_zh(self.routine, self.preset_name, name, takes))
        p = {q.name: r.defaults.get(q.name, q.default) for q in takes}
        p.update({k: v for k, v in pr.values.items() if k in names})
        p.update(self.params)
        for q in takes:
            q.check(p[q.name])
        steps = pr.max_steps if self.max_steps is None else self.max_steps
        if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
            raise ScenarioError(_steps_error(steps), zh=_steps_error_zh(steps))
        p["max_steps"] = steps
        if self.regs:
            p["regs"] = {k: _show(v) for k, v in self.regs}
        if self.mem:
            p["mem"] = {k: _show(v) for k, v in self.mem}
        if self.patch:
            p["patch"] = [x.spec for x in self.patch]
        return p

    def overrides(self) -> dict:
        """Everything set explicitly beyond the routine and its preset: name -> value.

        Registers and memory words appear under their own names (`r14`, `g.sched.pc`); patches
        under `patch` as a tuple of Patch."""
        out = dict(self.params)
        if self.max_steps is not None:
            out["max_steps"] = self.max_steps
        out.update(self.regs)
        out.update(self.mem)
        if self.patch:
            out["patch"] = self.patch
        return out

    @property
    def key(self) -> str:
        """`routine:preset`, plus `+name=value` for each override (used in URL fragments).

        Patch text is escaped as `~XX` per UTF-8 byte so the key survives a URL unchanged."""
        items = [(k, _show(v)) for k, v in self.overrides().items() if k != "patch"]
        items += [("patch", _escape(p.spec)) for p in self.patch]
        return f"{self.routine}:{self.preset_name}" + "".join(f"+{k}={v}" for k, v in items)

    def replace(self, **changes) -> "Scenario":
        """A copy with fields or parameters changed (a parameter set to None: back to the preset's)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        params = dict(fields.pop("params"))
        if "params" in changes:
            given = changes.pop("params")
            params = dict(given.items() if isinstance(given, dict) else given)
        for k in [k for k in changes if k not in fields]:
            params[k] = changes.pop(k)
        fields.update(changes)
        return Scenario(fields.pop("routine"), fields.pop("preset"),
                        params={k: v for k, v in params.items() if v is not None}, **fields)

    def unpatched(self) -> "Scenario":
        return self.replace(patch=())


def fields_help() -> str:
    """What `--set` and scenario(...) accept, in one sentence."""
    return (f"scenario fields: {', '.join([*family.all_params(), 'max_steps'])}; "
            f"registers: {', '.join(REGISTERS)}; memory words: {', '.join(MEMORY)}; "
            f"values: integers (0x… hex or decimal) or {', '.join(SYMBOLS)}")


def _not_taken(routine: str, preset: str, name: str, takes) -> str:
    own = ", ".join(p.name for p in takes) or "none"
    if name in {p.name for p in family.params_of(routine)}:
        return (f"{name} does nothing in {routine}:{preset} (its world does not use it); "
                f"valid in this preset: {own}, max_steps")
    return f"{routine} does not take {name}; valid in {preset}: {own}, max_steps"


def _not_taken_zh(routine: str, preset: str, name: str, takes) -> str:
    own = "、".join([p.name for p in takes] + ["max_steps"])
    if name in {p.name for p in family.params_of(routine)}:
        return f"{name} 在 {routine}:{preset} 里不起作用（这个场景的世界不用它）；这个场景能设的是：{own}"
    return f"{routine} 没有 {name} 这一项；{preset} 场景能设的是：{own}"


def _steps_error(v) -> str:
    return f"max_steps must be an integer step count in [1, {MAX_STEPS}]; got {short(v)}"


def _steps_error_zh(v) -> str:
    return f"最多步数（max_steps）要填 1 到 {MAX_STEPS} 的整数；收到的是 {short(v)}"


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
            raise ScenarioError(f"{what}: unknown name {short(item[0])}; valid: {', '.join(names)}")
        if item[1] is not None:
            out[name] = check_value(name, item[1])
    return tuple((n, out[n]) for n in names if n in out)


def _show(v) -> str:
    return f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def make(routine, preset=None, /, **values) -> Scenario:
    """A Scenario from flat names: family parameters, `max_steps`, registers (`r14`), memory words
    (`g.sched.pc`), `regs`/`mem` dicts and `patch`. Unknown names -> ScenarioError listing the valid ones."""
    params, regs, mem = {}, {}, {}
    patch, steps = (), None
    known = family.all_params()
    for k, v in values.items():
        if not isinstance(k, str):
            raise ScenarioError(f"field names are strings; {fields_help()}")
        low = k.lower()
        if k in known:
            params[k] = v
        elif k == "max_steps":
            steps = v
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
                                f"then --scenario PRESET); valid fields: {fields_help()}")
        elif low == "rip":
            raise ScenarioError("rip cannot be set: it is always the routine's entry; "
                                f"registers: {', '.join(REGISTERS)}")
        else:
            raise ScenarioError(f"unknown field {short(k)}; {fields_help()}")
    return Scenario(routine, preset, params=params, regs=tuple(regs.items()), mem=tuple(mem.items()),
                    patch=patch, max_steps=steps)


def scenario(routine: "str | Scenario" = "mcall", preset: str | None = None, /, **params) -> Scenario:
    """A Scenario from a routine name (or an existing Scenario) plus overrides, checked.

    Overrides are family parameters (`entry_sp=0x…`), `max_steps`, registers at entry
    (`r14="g0"`, `rax=0`), memory words (`**{"g.sched.pc": 0}` or `mem={...}`) and listing
    patches (`patch="systemstack.s:29="` or `patch=[Patch(...), ...]`)."""
    if isinstance(routine, Scenario):
        base = routine if preset is None else routine.replace(preset=preset)
        if not params:
            base.resolved()
            return base
        extra = make(base.routine, base.preset, **params)
        s = base.replace(params={**dict(base.params), **dict(extra.params)},
                         max_steps=base.max_steps if extra.max_steps is None else extra.max_steps,
                         regs=tuple({**dict(base.regs), **dict(extra.regs)}.items()),
                         mem=tuple({**dict(base.mem), **dict(extra.mem)}.items()),
                         patch=extra.patch if "patch" in params else base.patch)
    elif not isinstance(routine, str):
        raise ScenarioError(f"routine must be a routine name ({', '.join(family.routines())}) or a "
                            f"Scenario; got {type(routine).__name__}")
    else:
        s = make(routine, preset, **params)
    s.resolved()  # check now, with a clear message
    return s


def parse_key(key: str) -> Scenario:
    """The Scenario whose `key` is `key` (inverse of Scenario.key)."""
    if not isinstance(key, str) or ":" not in key:
        raise ScenarioError(f"a scenario key looks like routine:preset+field=value; got {short(key)}")
    routine, _, rest = key.partition(":")
    preset, *items = rest.split("+")
    values: dict = {}
    patches = []
    known = family.all_params()
    for item in items:
        name, eq, text = item.partition("=")
        if not eq:
            raise ScenarioError(f"key item {short(item)} is not field=value")
        if name == "patch":
            patches.append(_unescape(text))
        elif name in known:
            values[name] = known[name].parse(text)
        else:
            values[name] = parse_value(name, text)
    s = make(routine, preset, **values, patch=patches)
    s.resolved()
    return s


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-,")


def _escape(text: str) -> str:
    return "".join(c if c in _SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in text)


def _unescape(text: str) -> str:
    try:
        return re.sub(rb"~([0-9A-F]{2})", lambda m: bytes([int(m[1], 16)]),
                      text.encode()).decode()
    except UnicodeDecodeError:
        raise ScenarioError(f"patch in key is not valid UTF-8 after unescaping: {short(text)}") from None


__all__ = ["Scenario", "Patch", "make", "scenario", "parse_key", "parse_value", "fields_help"]
