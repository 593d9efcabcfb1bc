"""Scenario -> World: the memory, registers and stop points before the first instruction."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .asm.link import Image
from .errors import ScenarioError
from .layout import fields, offsetof
from .presets import CHOICES, DEFAULTS, PRESETS, ROUTINES
from .routines import image
from .symbols import Obj, Stack, Symbolizer

# Addresses, chosen to look like a real linux/amd64 Go process.
DATA_BASE, DATA_SIZE = 0x560000, 0x1000  # static data: runtime.m0, runtime.g0, closures
M0, G0 = 0x560000, 0x560100
FNVAL, SYSFNVAL, GP_VAR = 0x560200, 0x560208, 0x560210
HEAP_BASE, HEAP_SIZE = 0xC000004000, 0x1000  # heap-allocated g objects
G, GSIGNAL, G2 = 0xC000004000, 0xC000004100, 0xC000004200
STACKS = {
    "g": (0xC000040000, 0xC000042000),  # 8 KiB goroutine stack
    "g2": (0xC000050000, 0xC000052000),
    "gsignal": (0xC000070000, 0xC000078000),  # 32 KiB signal stack
    "g0": (0x7FFFF7F00000, 0x7FFFF7F04000),  # 16 KiB system stack
}
G_ADDR = {"g": G, "g0": G0, "gsignal": GSIGNAL, "g2": G2}
GOID = {"g": 18, "g0": 0, "gsignal": 0, "g2": 19}
STACK_GUARD = 928  # _StackGuard on linux/amd64
DATA_SYMBOLS = (("main·fnval", FNVAL), ("main·sysfnval", SYSFNVAL), ("main·gp", GP_VAR))
GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")
MASK = (1 << 64) - 1


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

    def params(self) -> dict:
        """Every parameter resolved: preset values over defaults, then explicit fields."""
        if self.routine not in PRESETS:
            raise ScenarioError(f"unknown routine {self.routine!r}; known: {', '.join(ROUTINES)}")
        presets = PRESETS[self.routine]
        if self.preset_name not in presets:
            raise ScenarioError(
                f"routine {self.routine} has no preset {self.preset!r}; known: {', '.join(presets)}")
        p = {**DEFAULTS, **DEFAULTS_BY_ROUTINE.get(self.routine, {}), **presets[self.preset_name].values}
        for f in dataclasses.fields(self)[2:]:
            v = getattr(self, f.name)
            if v is not None:
                p[f.name] = v
        _validate(p)
        return p

    @property
    def preset_name(self) -> str:
        if self.preset is not None:
            return self.preset
        return next(iter(PRESETS.get(self.routine, {"normal": None})))

    def overrides(self) -> dict:
        """The fields set explicitly, beyond the routine and its preset."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[2:]
                if getattr(self, f.name) is not None}

    @property
    def key(self) -> str:
        """`routine:preset`, plus `+field=value` for each override (used in URL fragments)."""
        extra = "".join(f"+{k}={_show(v)}" for k, v in self.overrides().items())
        return f"{self.routine}:{self.preset_name}{extra}"

    def replace(self, **changes) -> "Scenario":
        return dataclasses.replace(self, **changes)


DEFAULTS_BY_ROUTINE = {"gogo": {"current": "g0"}}


def _show(v) -> str:
    return f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _validate(p: dict) -> None:
    for name, choices in CHOICES.items():
        if p[name] not in choices:
            raise ScenarioError(f"{name} must be one of {', '.join(map(str, choices))}; got {p[name]!r}")
    for name in ("entry_sp", "bp", "g0_sched_sp", "sched_ctxt", "gobuf_ret", "gobuf_ctxt"):
        v = p[name]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MASK):
            raise ScenarioError(f"{name} must be an integer in [0, 2**64); got {v!r}")
    if not isinstance(p["max_steps"], int) or not 1 <= p["max_steps"] <= 100_000:
        raise ScenarioError(f"max_steps must be in [1, 100000]; got {p['max_steps']!r}")
    if p["rounds"] not in (1, 2, 3):
        raise ScenarioError(f"rounds must be 1, 2 or 3; got {p['rounds']!r}")


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    perms: str  # "rx" or "rw"

    def __contains__(self, addr: int) -> bool:
        return self.base <= addr < self.base + self.size


@dataclass(frozen=True)
class World:
    scenario: Scenario
    params: Mapping
    image: Image
    regions: tuple[Region, ...]
    memory: tuple[tuple[int, int], ...]  # (address, 64-bit word) written before the start
    regs: Mapping[str, int]
    fs_base: int
    arrive: Mapping[int, tuple[str, str]]  # pc -> (end kind, detail) when pc gets there
    leave: Mapping[int, tuple[str, str]]  # pc -> (end kind, detail) after it executes
    symbols: Symbolizer = field(repr=False)
    roles: Mapping[int, str] = field(default_factory=dict)  # what a stack word is for

    @property
    def entry(self) -> int:
        return self.regs["rip"]

    def mapped(self, addr: int, size: int = 8) -> bool:
        return any(addr in r and addr + size - 1 in r for r in self.regions)


def code_image() -> Image:
    return image(DATA_SYMBOLS)


def _after_call(img: Image, func: str, target: str, n: int = 1) -> int:
    """Address right after the n-th `CALL target(SB)` in `func` (a real return address)."""
    seen = 0
    for p in img.function_placed(func):
        ops = p.ins.operands
        if p.ins.mnemonic == "CALL" and ops and getattr(ops[0], "symbol", None) == target:
            seen += 1
            if seen == n:
                return p.address + len(p.data)
    raise LookupError(f"{func} has no CALL {target} #{n}")


def _last_of(img: Image, func: str) -> int:
    return [p for p in img.function_placed(func) if p.data][-1].address


def build(scenario: Scenario) -> World:
    """The world a scenario starts in. A pure function of the scenario."""
    p = scenario.params()
    img = code_image()
    sym = img.symbols
    routine = scenario.routine
    mem: dict[int, int] = {}
    roles: dict[int, str] = {}

    def put(base: int, struct: str, field_: str, value: int) -> None:
        mem[base + _off(struct, field_)] = value & MASK

    cur = p["current"]
    cur_g = G_ADDR[cur]
    lo0, hi0 = STACKS["g0"]
    g0_sp = p["g0_sched_sp"] if p["g0_sched_sp"] is not None else hi0 - 0x40

    # m0 and its TLS.
    put(M0, "m", "g0", G0)
    put(M0, "m", "procid", 1)
    put(M0, "m", "gsignal", GSIGNAL)
    put(M0, "m", "curg", G)
    tls0 = M0 + offsetof("m", "tls")
    mem[tls0] = cur_g
    fs_base = tls0 + 8

    # The g objects.
    for name, addr in G_ADDR.items():
        lo, hi = STACKS[name]
        put(addr, "g", "stack.lo", lo)
        put(addr, "g", "stack.hi", hi)
        put(addr, "g", "stackguard0", lo + STACK_GUARD)
        put(addr, "g", "stackguard1", lo + STACK_GUARD if name in ("g0", "gsignal") else MASK)
        put(addr, "g", "m", M0)
        put(addr, "g", "goid", GOID[name])
        put(addr, "g", "sched.g", addr)  # set once when the g is made (newproc1, malg)
    # g0.sched as mstart1 left it: pc is mstart0's return point, sp its caller's SP.
    mstart0_ret = _after_call(img, "runtime·mstart0", "runtime·mstart1")
    put(G0, "g", "sched.sp", g0_sp)
    put(G0, "g", "sched.pc", mstart0_ret)
    mem[g0_sp] = _after_call(img, "runtime·mstart", "runtime·mstart0")  # mstart0's return address
    mem[g0_sp - 8] = mstart0_ret  # stale: where mstart1 returned from
    roles.update({g0_sp: "return address", g0_sp - 8: "stale: mstart1's return"})
    put(G, "g", "sched.ctxt", p["sched_ctxt"])

    # Closures and globals.
    mem[FNVAL] = sym["main·park_m"] if p["fn"] == "park" else sym["main·fn_returns"]
    mem[SYSFNVAL] = sym["main·sysfn"]
    mem[GP_VAR] = G

    regs = {r: 0 for r in GPRS}
    arrive = {
        sym["runtime·badmcall"]: ("event", "badmcall"),
        sym["runtime·badmcall2"]: ("event", "badmcall2"),
        sym["runtime·badsystemstack"]: ("event", "badsystemstack"),
        sym["runtime·mexit"]: ("event", "mexit"),
        sym["runtime·goexit"]: ("event", "goexit"),
    }
    leave: dict[int, tuple[str, str]] = {}

    def caller_frame(sp: int, ret: int, arg: int) -> int:
        """A Go caller's frame above `sp`; returns its frame pointer (the default BP)."""
        mem[sp] = ret
        mem[sp + 0x08] = arg
        mem[sp + 0x10] = 0  # a local of the caller
        mem[sp + 0x18] = 0  # saved BP of the caller's caller (top frame)
        mem[sp + 0x20] = sym["runtime·goexit"]
        roles.update({sp: "return address", sp + 8: "argument / spill slot", sp + 0x10: "caller local",
                      sp + 0x18: "saved BP", sp + 0x20: "return address"})
        return sp + 0x18

    lo, hi = STACKS[cur]
    default_sp = (g0_sp if cur == "g0" else hi) - 0x80

    if routine in ("mcall", "roundtrip"):
        sp = _pick(p["entry_sp"], default_sp)
        bp = caller_frame(sp, _after_call(img, "main·caller", "runtime·mcall"), 0)
        regs.update(rip=sym["runtime·mcall"], rax=FNVAL, r14=cur_g, rsp=sp, rbp=_pick(p["bp"], bp))
        if routine == "mcall" and p["fn"] == "park":
            arrive[sym["main·park_m"]] = ("call", "fn(g) called on g0")
        if routine == "roundtrip":
            n = p["rounds"]
            # Rounds past the caller's two CALLs resume at its RET.
            at = _after_call(img, "main·caller", "runtime·mcall", min(n, 2))
            arrive[at] = ("return", f"goroutine resumed after CALL runtime·mcall (round {n})")
    elif routine == "systemstack":
        sp = _pick(p["entry_sp"], default_sp)
        bp = caller_frame(sp, _after_call(img, "main·syscaller", "runtime·systemstack"), SYSFNVAL)
        regs.update(rip=sym["runtime·systemstack"], r14=cur_g, rsp=sp, rbp=_pick(p["bp"], bp))
        arrive[mem[sp]] = ("return", "returned to the caller of systemstack")
    elif routine == "gosave_systemstack_switch":
        sp = _pick(p["entry_sp"], default_sp - 8)
        bp = caller_frame(sp + 8, _after_call(img, "main·syscaller", "runtime·systemstack"), SYSFNVAL)
        ret = _after_call(img, "runtime·systemstack", "gosave_systemstack_switch<>")
        mem[sp] = ret
        roles[sp] = "return address"
        regs.update(rip=sym["gosave_systemstack_switch<>"], rdi=SYSFNVAL, rax=cur_g, rbx=M0, rdx=G0,
                    r14=cur_g, rsp=sp, rbp=_pick(p["bp"], bp))
        arrive[ret] = ("return", "returned to runtime·systemstack")
    elif routine == "gogo":
        # The goroutine g, parked by mcall from main·caller; gogo runs on g0 in schedule.
        g_lo, g_hi = STACKS["g"]
        parked_sp = g_hi - 0x80
        parked_bp = caller_frame(parked_sp, _after_call(img, "main·caller", "runtime·mcall"), 0)
        put(G, "g", "sched.sp", parked_sp + 8)
        put(G, "g", "sched.pc", mem[parked_sp])
        put(G, "g", "sched.g", 0 if p["gobuf_g_nil"] else G)
        put(G, "g", "sched.bp", parked_bp)
        put(G, "g", "sched.ret", p["gobuf_ret"])
        put(G, "g", "sched.ctxt", p["gobuf_ctxt"])
        if p["gobuf"] == "g0":
            put(G0, "g", "sched.g", 0 if p["gobuf_g_nil"] else G0)
            put(G0, "g", "sched.ret", p["gobuf_ret"])
            put(G0, "g", "sched.ctxt", p["gobuf_ctxt"])
        buf = (G if p["gobuf"] == "g" else G0) + offsetof("g", "sched")
        sp = _pick(p["entry_sp"], default_sp)
        mem[sp] = _after_call(img, "main·schedule", "runtime·gogo")
        mem[sp + 8] = buf
        roles.update({sp: "return address", sp + 8: "argument buf"})
        regs.update(rip=sym["runtime·gogo"], r14=cur_g, rsp=sp, rbp=_pick(p["bp"], sp + 0x18))
        leave[_last_of(img, "gogo<>")] = ("jump", "jumped to gobuf.pc")
    elif routine == "abort":
        sp = _pick(p["entry_sp"], default_sp)
        mem[sp] = _after_call(img, "gosave_systemstack_switch<>", "runtime·abort")
        regs.update(rip=sym["runtime·abort"], r14=cur_g, rsp=sp, rbp=_pick(p["bp"], 0))
    else:  # pragma: no cover - params() already checked
        raise ScenarioError(f"unknown routine {routine!r}")

    for addr in G_ADDR.values():  # every gobuf word is known, zero unless set above
        for name, off, _ in fields("gobuf"):
            mem.setdefault(addr + offsetof("g", "sched") + off, 0)

    regions = (
        Region("text", image_base(img), _page_up(img.base + len(img.code) - image_base(img)), "rx"),
        Region("data", DATA_BASE, DATA_SIZE, "rw"),
        Region("heap", HEAP_BASE, HEAP_SIZE, "rw"),
        *(Region(f"{n} stack", lo_, hi_ - lo_, "rw") for n, (lo_, hi_) in STACKS.items()),
    )
    objects = (
        Obj("m", M0, "m"), Obj("g0", G0, "g"), Obj("g", G, "g"), Obj("gsignal", GSIGNAL, "g"),
        Obj("g2", G2, "g"), Obj("main·fnval", FNVAL, "funcval"),
        Obj("main·sysfnval", SYSFNVAL, "funcval"), Obj("main·gp", GP_VAR, "ptr"),
    )
    stacks = tuple(Stack(n, lo_, hi_) for n, (lo_, hi_) in STACKS.items())
    symbolizer = Symbolizer(objects, stacks, img, fs_base - 8)
    return World(
        scenario=scenario,
        params=MappingProxyType(p),
        image=img,
        regions=regions,
        memory=tuple(sorted(mem.items())),
        regs=MappingProxyType(regs),
        fs_base=fs_base,
        arrive=MappingProxyType(arrive),
        leave=MappingProxyType(leave),
        symbols=symbolizer,
        roles=MappingProxyType(roles),
    )


def image_base(img: Image) -> int:
    return img.base & ~0xFFF


def _page_up(n: int) -> int:
    return (n + 0xFFF) & ~0xFFF


def _pick(v: int | None, default: int) -> int:
    return default if v is None else v


def _off(struct: str, dotted: str) -> int:
    head, _, rest = dotted.partition(".")
    off = offsetof(struct, head)
    if rest:
        sub = {"stack": "stack", "sched": "gobuf", "morebuf": "gobuf"}[head]
        off += offsetof(sub, rest)
    return off
