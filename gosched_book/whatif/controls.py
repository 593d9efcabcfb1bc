"""A control is data: everything a reader can move, described once for the live and static views.

    >>> from gosched_book.controls import controls
    >>> cs = controls("mcall")                     # tuple[Control, ...] for mcall's first preset
    >>> c = next(c for c in cs if c.name == "rax")
    >>> c.label, [ch.label for ch in c.choices][:3]
    ('AX（入口时）', ['g', 'g0', 'gsignal'])
    >>> s = c.apply(Scenario("mcall"), 0)         # the Scenario with AX = 0 at entry

Each `Control` has
- `name`: the Scenario / `--set` name (`r14`, `g.sched.pc`, `entry_sp`, `current`, `patch`);
- `kind`: `choice` (a preset parameter with a few values), `slider` (an integer with a grid),
  `register`, `memory` (symbolic values plus a free integer), or `patch` (named listing patches);
- `label` and `help` in Chinese; `choices`: each `Choice(value, label, meaning)`, meaning in Chinese;
- `grid`: the integers the static site precomputes for a slider (`slider` controls), chosen so that
  every distinct ending and every branch outcome of a dense sample is reachable from the grid
  (tests/test_controls.py checks it);
- `raw`: whether the live view also takes a free integer (hex field). Free integers and free
  listing edits are live-only; everything in `static_values()` is a real run on the static site.

`controls(routine, preset)` lists the controls of a stepper, in display order.
`static_scenarios(base)` is every Scenario the static site precomputes for a stepper: the base,
and the base with one control moved to each of its static values.
Registers and memory words the routine never reads (changing them changes nothing but the value)
are computed per routine, and offer only `0` and `unmapped` statically (`reads=False`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..machine.core import STACK_GUARD, STACKS
from ..machine.runs import trace as run
from ..scenario import family
from ..scenario.family import Param, source
from ..scenario.patch import Patch
from ..scenario.scenario import Scenario, scenario
from ..scenario.values import MEMORY, NONCANONICAL, REGISTERS, SYMBOLS, UNMAPPED

__all__ = ["Choice", "Control", "controls", "static_scenarios", "value_meaning",
           "chapter_patches"]


@dataclass(frozen=True)
class Choice:
    value: object  # what goes into the Scenario: int, str, bool, or a tuple of Patch
    label: str  # short text on the control
    meaning: str  # Chinese: what this value means for this routine


@dataclass(frozen=True)
class Control:
    name: str
    kind: str  # choice | slider | register | memory | patch
    label: str
    help: str
    choices: tuple[Choice, ...] = ()
    grid: tuple[int, ...] = ()
    raw: bool = False
    reads: bool = True  # register/memory: the routine's run depends on it

    def static_values(self) -> tuple:
        """Every value the static site precomputes for this control."""
        return tuple(dict.fromkeys([*(c.value for c in self.choices), *self.grid]))

    def apply(self, base: Scenario, value) -> Scenario:
        """`base` with this control set to `value` (None: back to the preset's value)."""
        if self.kind == "register":
            regs = {**dict(base.regs), self.name: value}
            return base.replace(regs=tuple((k, v) for k, v in regs.items() if v is not None))
        if self.kind == "memory":
            mem = {**dict(base.mem), self.name: value}
            return base.replace(mem=tuple((k, v) for k, v in mem.items() if v is not None))
        if self.kind == "patch":
            return base.replace(patch=tuple(value or ()))
        return base.replace(**{self.name: value})

    def value(self, s: Scenario):
        """The control's value in `s` (None: the preset's)."""
        if self.kind == "register":
            return dict(s.regs).get(self.name)
        if self.kind == "memory":
            return dict(s.mem).get(self.name)
        if self.kind == "patch":
            return s.patch
        return getattr(s, self.name)


# Preset parameters -------------------------------------------------------------------------

def _choice_control(q: Param) -> Control:
    return Control(q.name, "choice", q.label, q.help,
                   tuple(Choice(v, str(v), q.meanings.get(v, str(v))) for v in q.choices))


# Sliders -----------------------------------------------------------------------------------

def _around(center: int, lo: int, hi: int) -> list[int]:
    """8-byte steps across a frame around `center`, across the lowest words (a frame pushed from
    there runs out of stack at one instruction or another) and across the highest (what a RET
    finds there differs), just beyond both ends, the stack guard, and addresses outside any
    stack (nil, unmapped, non-canonical, the top of the address space)."""
    pts = [center + 8 * k for k in range(-4, 5)]
    pts += [lo + 8 * k for k in range(-1, 9)] + [hi - 8 * k for k in range(-1, 9)]
    pts += [lo + STACK_GUARD - 8, lo + STACK_GUARD, lo + STACK_GUARD + 8,
            0, UNMAPPED, NONCANONICAL, (1 << 64) - 8]
    return sorted({p & ((1 << 64) - 1) for p in pts})


_CONDITIONAL = re.compile(r"^J(?!MP)")


def outcome(t) -> tuple:
    """What a reader can tell runs apart by: the ending (its addresses blurred) and the direction of
    every conditional branch."""
    detail = re.sub(r"0x[0-9a-f]+", "X", t.end.detail)
    branches = frozenset((a.pc, b.pc != a.pc + len(a.bytes)) for a, b in zip(t.steps, t.steps[1:])
                         if _CONDITIONAL.match(a.plan9))
    return (t.end.kind, t.end.pc if t.end.kind != "limit" else 0, detail), branches


def _edges(base: Scenario, c: "Control", lo: int, hi: int, step: int = 0x20) -> list[int]:
    """The two sides of every place in [lo, hi] where moving the slider changes the outcome: sampled
    every `step` bytes, each change narrowed down to neighbouring words by bisection. (A caller's
    frame the routine reads far above its SP puts such places outside the fixed windows.)"""
    def at(v: int):
        return outcome(run(c.apply(base, v)))
    pts = list(range(lo & ~7, hi + 1, step))
    outs = [at(v) for v in pts]
    found: list[int] = []
    for a, b, oa, ob in zip(pts, pts[1:], outs, outs[1:]):
        if oa == ob:
            continue
        while b - a > 8:
            m = a + ((b - a) // 2 & ~7)
            if at(m) == oa:
                a = m
            else:
                b = m
        found += [a, b]
    return found


def _slider(base: Scenario, c: "Control", center: int, lo: int, hi: int) -> "Control":
    grid = set(_around(center, lo, hi))
    grid |= set(_edges(base, c, max(lo, center - 0x200), min(hi, center + 0x200)))
    grid |= set(_edges(base, c, max(lo, hi - 0x200), hi + 0x10))
    grid |= set(_edges(base, c, lo - 0x10, min(hi, lo + 0x200)))  # a big frame (asyncPreempt's 0x180) meets lo
    return replace(c, grid=tuple(sorted(v & ((1 << 64) - 1) for v in grid)))


def _stack_of(t, addr: int) -> tuple[int, int] | None:
    """The stack [lo, hi) around addr: one the trace shows, else one of the world's."""
    spans = [(lo, hi) for _, lo, hi in t.stacks] + list(STACKS.values())
    return next(((lo, hi) for lo, hi in spans if lo <= addr <= hi), None)


def _slider_controls(base: Scenario, takes: dict[str, Param]) -> tuple[Control, ...]:
    t = run(base)
    out = []
    if "entry_sp" in takes:
        sp = t.initial_regs["rsp"]
        lo, hi = _stack_of(t, sp) or STACKS["g"]
        q = takes["entry_sp"]
        out.append(_slider(base, Control(q.name, "slider", q.label, q.help, raw=True), sp, lo, hi))
    if "g0_sched_sp" in takes:
        g0_sp = t.params["g0_sched_sp"] or _g0_default(t)
        lo0, hi0 = STACKS["g0"]
        q = takes["g0_sched_sp"]
        out.append(_slider(base, Control(q.name, "slider", q.label, q.help, raw=True), g0_sp, lo0, hi0))
    out.append(Control("max_steps", "slider", "步数上限", "最多执行多少条指令（防止死循环）",
                       grid=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1000), raw=True))
    return tuple(out)


def _g0_default(t) -> int:
    from ..machine.core import G0, off

    return dict((a, v) for a, v, _ in t.memory).get(G0 + off("g", "sched.sp"), STACKS["g0"][1] - 0x40)


# Registers and memory words ----------------------------------------------------------------

_REG_LABEL = {r: r.upper().removeprefix("R") if r[1:] in ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp")
              else r.upper() for r in REGISTERS}


def value_meaning(value) -> str:
    """Chinese meaning of a register or memory value a control offers."""
    if isinstance(value, str):
        return SYMBOLS[value]
    if value == 0:
        return "0（nil）"
    return f"原始值 {value:#x}"


def _value_choices(reads: bool) -> tuple[Choice, ...]:
    values = (*SYMBOLS, 0) if reads else (0, "unmapped")
    return tuple(Choice(v, str(v) if isinstance(v, str) else "0", value_meaning(v)) for v in values)


@lru_cache(maxsize=128)
def _reads(base: Scenario) -> frozenset[str]:
    """Registers and memory words whose value changes the run (not only the value itself)."""
    def shape(t, skip: str):
        last = t.steps[-1].regs if t.steps else t.initial_regs
        return (t.end.kind, t.end.pc, tuple(s.pc for s in t.steps),
                tuple((w.addr, w.value) for s in t.steps for w in s.writes),
                tuple(v for k, v in last.items() if k != skip))

    base_trace = run(base)
    out = set()
    for name in (*REGISTERS, *MEMORY):
        for probe in (UNMAPPED, 0):
            kind = "register" if name in REGISTERS else "memory"
            s = Control(name, kind, "", "").apply(base, probe)
            if shape(run(s), name) != shape(base_trace, name):
                out.add(name)
                break
    return frozenset(out)


def _override_controls(base: Scenario) -> tuple[Control, ...]:
    reads = _reads(base)
    regs = tuple(
        Control(r, "register", f"{_REG_LABEL[r]}（入口时）",
                f"例程入口处 {_REG_LABEL[r]} 的值" + ("" if r in reads else "；本场景里例程不依赖它"),
                _value_choices(r in reads), raw=True, reads=r in reads)
        for r in REGISTERS)
    mem = tuple(
        Control(m, "memory", MEMORY[m], f"例程读到的内存字 {m}" + ("" if m in reads else "；本场景里例程不依赖它"),
                _value_choices(m in reads), raw=True, reads=m in reads)
        for m in MEMORY)
    return regs + mem


# Patches the chapters use ------------------------------------------------------------------

def _line(file: str, text: str) -> int:
    """The first line holding instruction `text`; `INS // note` also needs the comment to begin with note
    (for an instruction the listing has twice)."""
    ins, _, note = text.partition("//")
    for n, s in enumerate(source(file).splitlines(), 1):
        code, _, comment = s.partition("//")
        if code.split() == ins.split() and comment.strip().startswith(note.strip()):
            return n
    raise LookupError(f"{file} has no line {text!r}")


def chapter_patches() -> tuple[tuple[str, Patch, str], ...]:
    """(routine, patch, Chinese label) for every one-line patch a routine offers."""
    return tuple((routine, p, ch.label) for routine in family.routines()
                 if _patch_control(routine) for ch in _patch_control(routine).choices[1:] for p in ch.value)


def _patch_control(routine: str) -> Control | None:
    items = []
    for pc in family.routine(routine).patches:
        try:
            items.append(Choice((Patch(pc.file, _line(pc.file, pc.text), pc.new),), pc.label, pc.meaning))
        except LookupError:
            continue
    if not items:
        return None
    return Control("patch", "patch", "改一行代码", "只对这一次运行：删去或改写例程的一行",
                   (Choice((), "原样", "不改代码"), *items), raw=True)


# The controls of a stepper -----------------------------------------------------------------

@lru_cache(maxsize=64)
def _controls(base: Scenario, version: int) -> tuple[Control, ...]:
    takes = {q.name: q for q in family.preset_params(base.routine, base.preset_name)}
    out = [_choice_control(q) for q in takes.values() if q.choices]
    out += _slider_controls(base, takes)
    patch = _patch_control(base.routine)
    if patch:
        out.append(patch)
    out += _override_controls(base)
    return tuple(out)


def controls(routine: str = "mcall", preset: str | None = None) -> tuple[Control, ...]:
    """The controls of a stepper for routine:preset, in display order."""
    return _controls(Scenario(routine, preset), family.version())


def static_scenarios(base: Scenario, kinds: tuple[str, ...] | None = None) -> tuple[Scenario, ...]:
    """Every Scenario the static site runs for a stepper starting at `base` (base first);
    `kinds` limits it to some control kinds, e.g. ("choice", "slider", "patch")."""
    out = [base]
    for c in _controls(Scenario(base.routine, base.preset), family.version()):
        if kinds is not None and c.kind not in kinds:
            continue
        for v in c.static_values():
            out.append(scenario(c.apply(base, v)))
    return tuple(dict.fromkeys(out))
