"""Trace + step index -> what every view shows. Pure functions; no widgets, no plotting."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..runtime.layout import fields
from ..machine.kernel import KERNEL
from ..machine.trace import REGS, Step, Trace, apply_writes

MAX_SLOTS = 14
# World roles a picture keeps in view even when the stack's lowest words would not include them.
PINNED = ("fake return address: interrupted PC",)
GOBUF_FIELDS = tuple(name for name, _, _ in fields("gobuf"))


@dataclass(frozen=True)
class Slot:
    addr: int
    offset: str  # from the stack top: "hi-0x48"
    value: int
    desc: str  # what the value is, if known
    written: bool  # by the current step
    role: str  # what the word is for: return address, saved BP, spill slot...
    sp: bool
    bp: bool


@dataclass(frozen=True)
class StackView:
    owner: str
    lo: int
    hi: int
    slots: tuple[Slot, ...]  # high addresses first
    sp_here: bool
    sp: int


@dataclass(frozen=True)
class GobufRow:
    name: str
    value: int
    desc: str
    written: bool


@dataclass(frozen=True)
class RegRow:
    name: str
    value: int
    old: int
    desc: str
    changed: bool


@dataclass(frozen=True)
class State:
    k: int  # 0 = before the first instruction; k = after step k
    n: int
    step: Step | None  # the instruction just executed
    next_pc: int
    next_line: int  # source line of the next instruction (0 if unknown)
    next_file: str
    regs: tuple[RegRow, ...]
    tls_g: int
    tls_old: int
    flags: int
    flags_old: int
    writes: tuple[tuple[str, int, str], ...]  # (label, value, desc)
    finished: bool
    stacks: tuple[StackView, ...]  # the trace's shown stacks, left to right
    gobufs: tuple[tuple[str, tuple[GobufRow, ...]], ...]  # ("g.sched" or "m.morebuf", rows)

    @property
    def file(self) -> str:
        """The listing the panel should show."""
        return self.step.file if self.step and self.step.file else self.next_file

    @property
    def routine(self) -> str:
        return self.step.routine if self.step else ""


def desc(t: Trace, value: int) -> str:
    return t.labels.get(value, "")


def _stack_bounds(t: Trace, owner: str) -> tuple[int, int]:
    for o, lo, hi in t.stacks:
        if o == owner:
            return lo, hi
    return _initial(t, f"{owner}.stack.lo"), _initial(t, f"{owner}.stack.hi")


def _initial(t: Trace, label: str) -> int:
    return _by_label(t)[label][1]


@lru_cache(maxsize=64)
def _by_label(t: Trace) -> dict[str, tuple[int, int]]:
    """label -> (address, initial value) of the world's named memory words."""
    out: dict[str, tuple[int, int]] = {}
    for a, v, lab in t.memory:
        out.setdefault(lab, (a, v))
    return out


def user_owner(t: Trace) -> str:
    cur = t.params.get("current", "g")
    return "g" if cur == "g0" else cur


def shown_owners(t: Trace) -> tuple[str, ...]:
    """The stacks a picture shows, left to right: the trace says, else the user g's and g0's."""
    return tuple(o for o, _, _ in t.stacks) or (user_owner(t), "g0")


@lru_cache(maxsize=64)
def gobuf_owners(t: Trace) -> tuple[str, ...]:
    """The g objects whose gobufs the picture shows: those of the shown stacks that are a g."""
    gs = {lab.split(".")[0] for _, _, lab in t.memory if lab.endswith(".sched.pc")}
    return tuple(o for o in shown_owners(t) if o in gs)


MOREBUF = "m.morebuf"


@lru_cache(maxsize=64)
def gobufs_shown(t: Trace) -> tuple[str, ...]:
    """The gobufs a picture shows, by label prefix: each shown g's `X.sched`, and `m.morebuf`
    when the trace writes it (morestack records its caller's frame there)."""
    out = tuple(f"{o}.sched" for o in gobuf_owners(t))
    writes = any(w.label.startswith(MOREBUF + ".") for s in t.steps for w in s.writes)
    return out + ((MOREBUF,) if writes and f"{MOREBUF}.pc" in _by_label(t) else ())


@lru_cache(maxsize=64)
def windows(t: Trace) -> dict[str, tuple[int, int]]:
    """Per shown stack, the address range of slots worth drawing, fixed over the whole trace."""
    out = {}
    for owner in shown_owners(t):
        lo, hi = _stack_bounds(t, owner)
        addrs = {a for a, _, _ in t.memory if lo <= a < hi}
        addrs |= {w.addr & ~7 for s in t.steps for w in s.writes if lo <= w.addr < hi}
        for reg in ("rsp", "rbp"):  # SP and BP are always drawn where they point
            vals = [s.regs[reg] for s in t.steps] + [t.initial_regs[reg]]
            addrs |= {v & ~7 for v in vals if lo <= v < hi}
        if not addrs:
            top = t.initial_regs["rsp"] if lo <= t.initial_regs["rsp"] < hi else hi - 8
            addrs = {top}
        top = min(max(addrs) + 8, hi - 8)
        bottom = max(min(addrs) - 8, lo)
        if (top - bottom) // 8 + 1 > MAX_SLOTS:  # too tall: keep the lowest words, where SP works
            top = bottom + 8 * (MAX_SLOTS - 1)
            pinned = [a for a, role in t.roles.items() if role in PINNED and lo <= a < hi]
            if pinned and max(pinned) > top:  # ... unless a word the story turns on would be cut
                top = min(max(pinned) + 8, hi - 8)
                bottom = top - 8 * (MAX_SLOTS - 1)
        out[owner] = (bottom, top)
    return out


def state(t: Trace, k: int) -> State:
    """Everything shown at position k (0..len(steps))."""
    n = len(t.steps)
    if not 0 <= k <= n:
        raise IndexError(f"step {k} is outside 0..{n}")
    return _state(t, k, t.memory_at(k), roles_at(t, k), {})


def states(t: Trace) -> list[State]:
    """state(t, k) for every k, in one pass over the trace (memory and roles kept as it goes).

    Equal to [state(t, k) for k in ...], but a step reuses what it cannot have changed: a
    register row neither this step nor the one before changed, a stack window no write of either
    step touched and whose SP/BP marks did not move, a gobuf neither step wrote."""
    mem, roles, memo = t.memory_at(0), roles_at(t, 0), {}
    out = [_state(t, 0, mem, roles, memo)]
    for k, s in enumerate(t.steps, 1):
        if s.writes:
            mem = dict(mem)
            apply_writes(mem, s)
            roles = _add_roles(dict(roles), s)
        out.append(_state(t, k, mem, roles, memo, out[-1]))
    return out


def _state(t: Trace, k: int, mem: dict[int, int], roles: dict[int, str], memo: dict,
           prev: State | None = None) -> State:
    """state(t, k) from the memory and roles after k steps; `memo` shares equal Slots (6-tuple
    keys) and GobufRows (3-tuple keys) across the steps of one trace; `prev`, when given, is
    state(t, k - 1), whose unchanged parts are reused."""
    n = len(t.steps)
    label = t.labels.get
    step = t.steps[k - 1] if k else None
    regs, old = t.regs_at(k), t.regs_at(k - 1) if k else t.initial_regs
    changed = set(step.changed) if step else set()
    if prev is not None and step is not None:
        # A row is (value now, value before, changed now): only this step's and the last one's
        # changed registers, and rip (never listed in changed), can differ from the last row.
        redo = changed.union(prev.step.changed if prev.step else ()) | {"rip"}
        rows = tuple(RegRow(r, regs[r], old[r], label(regs[r], ""), r in changed) if r in redo else row
                     for r, row in zip(REGS, prev.regs))
    else:
        rows = tuple(RegRow(r, regs[r], old[r], label(regs[r], ""), r in changed) for r in REGS)
    if k < n:
        nxt = t.steps[k]
        next_pc, next_line, next_file = nxt.pc, nxt.line, nxt.file
    else:
        next_pc = t.end.pc
        hit = next((s for s in t.steps if s.pc == next_pc), None)
        next_line, next_file = (hit.line, hit.file) if hit else (0, "")
    written = {w.addr & ~7 for w in step.writes} if step else set()
    if prev is not None and step is not None:
        # Words this step or the last one wrote: their value, role or highlight may differ.
        touched = written.union(w.addr & ~7 for w in prev.step.writes) if prev.step else written
        stacks = tuple(_stack_view_after(t, owner, rng, mem, regs, old, written, touched, roles, memo, view)
                       for (owner, rng), view in zip(windows(t).items(), prev.stacks))
        gobufs = tuple((name, rows_ if touched.isdisjoint(_gobuf_addrs(t, name))
                        else _gobuf(t, name, mem, written, memo))
                       for name, rows_ in prev.gobufs)
    else:
        stacks = tuple(_stack_view(t, owner, rng, mem, regs, written, roles, memo)
                       for owner, rng in windows(t).items())
        gobufs = tuple((name, _gobuf(t, name, mem, written, memo)) for name in gobufs_shown(t))
    writes = tuple((w.label, w.value, label(w.value, "")) for w in step.writes) if step else ()
    return State(k, n, step, next_pc, next_line, next_file, rows, t.tls_at(k),
                 t.tls_at(k - 1) if k else t.initial_tls_g, t.flags_at(k),
                 t.flags_at(k - 1) if k else t.initial_flags, writes, k == n, stacks, gobufs)


def _mark(v: int, bottom: int, top: int) -> int | None:
    """The window's slot that register value v marks (slot a covers a..a+7), or None."""
    return v & ~7 if bottom <= v < top + 8 else None


def _stack_view_after(t, owner, rng, mem, regs, old, written, touched, roles, memo, prev: StackView) -> StackView:
    """_stack_view for step k given step k-1's view of the same window: its slots stand if
    neither step wrote a word of the window and the SP and BP marks did not move."""
    bottom, top = rng
    if (any(bottom <= a <= top for a in touched)
            or _mark(regs["rsp"], bottom, top) != _mark(old["rsp"], bottom, top)
            or _mark(regs["rbp"], bottom, top) != _mark(old["rbp"], bottom, top)):
        return _stack_view(t, owner, rng, mem, regs, written, roles, memo)
    sp = regs["rsp"]
    if sp == prev.sp:
        return prev
    return StackView(owner, prev.lo, prev.hi, prev.slots, prev.lo <= sp < prev.hi, sp)


@lru_cache(maxsize=256)
def _gobuf_addrs(t: Trace, prefix: str) -> frozenset[int]:
    """The words of gobuf `prefix` (like "g.sched")."""
    named = _by_label(t)
    return frozenset(named[f"{prefix}.{name}"][0] & ~7 for name in GOBUF_FIELDS)


# Words whose writer's mnemonic does not say what they are for: (routine, instruction) -> role.
WRITER_ROLES = {
    ("·asmcgocall", "MOVQ DI, 48(SP)"): "asmcgocall: saved g",
    ("·asmcgocall", "MOVQ DI, 40(SP)"): "asmcgocall: depth g.stack.hi - SP",
    ("·asmcgocall", "MOVQ $0, 48(SP)"): "asmcgocall: no g",
    ("·asmcgocall", "MOVQ DX, 40(SP)"): "asmcgocall: saved SP",
    ("·cgocallback", "MOVQ BX, savedm-8(SP)"): "savedm",
    ("·cgocallback", "MOVQ AX, 0(SP)"): "saved g0.sched.sp",
    ("·cgocallback", "MOVQ BX, -8(DI)"): "fake return PC",
    ("·cgocallback", "MOVQ BX, 0(SP)"): "argument fn",
    ("·cgocallback", "MOVQ CX, 8(SP)"): "argument frame",
    ("·cgocallback", "MOVQ DX, 16(SP)"): "argument ctxt",
    ("main·cgoexp_goCallback", "MOVL CX, 4(AX)"): "C frame {x, r}",
    ("runtime·exitsyscall0.abiinternal", "MOVQ AX, 0(SP)"): "argument buf",
}


def _role(step: Step) -> str:
    m = step.plan9.split()
    if not m:
        return ""
    known = WRITER_ROLES.get((step.routine, " ".join(m)))
    if known:
        return known
    if m[0] == "CALL":
        return "return address"
    if m[0] == "PUSHQ":
        if step.routine == "runtime·mcall":
            return "spill slot of fn's arg"
        return f"pushed {m[1]}"
    if m[0] == "MOVQ" and m[1].startswith("BP,"):
        return "saved BP"
    if m[0] == "PUSHFQ":
        return "saved flags"
    if step.routine in SAVES_REGISTERS and m[0] in ("MOVQ", "MOVUPS") and len(m) == 3 and m[2].endswith("(SP)"):
        return f"saved {m[1].rstrip(',')}"  # sigtramp's and asyncPreempt's register saves
    return "local"


SAVES_REGISTERS = ("runtime·sigtramp", "·asyncPreempt")


def roles_at(t: Trace, k: int) -> dict[int, str]:
    """What each stack word holds after k steps: the world's roles, then the writers'."""
    roles = dict(t.roles)
    for s in t.steps[:k]:
        _add_roles(roles, s)
    return roles


def _add_roles(roles: dict[int, str], s: Step) -> dict[int, str]:
    """roles updated in place with what step s wrote to the stacks."""
    if s.routine == KERNEL:  # the kernel's frame: each word is named by its field
        for w in s.writes:
            roles[w.addr & ~7] = w.label
        return roles
    for w in s.writes:
        if roles.get(w.addr & ~7) in PINNED:  # the world named it for what the write will make it
            continue
        if not w.label.startswith(("g.", "g0.", "m.", "TLS", "gsignal.", "g2.")):
            roles[w.addr & ~7] = _role(s)
    return roles


def _stack_view(t, owner, rng, mem, regs, written, roles, memo) -> StackView:
    lo, hi = _stack_bounds(t, owner)
    bottom, top = rng
    sp, bp = regs["rsp"], regs["rbp"]
    label = t.labels.get
    slots = []
    for a in range(top, bottom - 1, -8):
        key = (a, mem.get(a, 0), a in written, roles.get(a, ""), a <= sp < a + 8, a <= bp < a + 8)
        slot = memo.get(key)
        if slot is None:
            slot = memo[key] = Slot(a, f"hi-{hi - a:#x}", key[1], label(key[1], ""), *key[2:])
        slots.append(slot)
    return StackView(owner, lo, hi, tuple(slots), lo <= sp < hi, sp)


def _gobuf(t, prefix, mem, written, memo) -> tuple[GobufRow, ...]:
    rows = []
    named = _by_label(t)
    for name in GOBUF_FIELDS:
        addr = named[f"{prefix}.{name}"][0]
        key = (name, mem.get(addr, 0), addr in written)
        row = memo.get(key)
        if row is None:
            row = memo[key] = GobufRow(name, key[1], desc(t, key[1]), key[2])
        rows.append(row)
    return tuple(rows)


END_TITLES = {
    "call": "调用", "jump": "跳转", "return": "返回", "event": "事件", "fault": "故障", "limit": "步数上限",
}
