"""Scenario -> World: the memory, registers and stop points before the first instruction."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from ..asm.link import Image
from ..errors import ScenarioError
from ..runtime.layout import fields, offsetof
from ..scenario import family
from ..scenario.scenario import Scenario
from .code import code_image
from .core import (  # noqa: F401 - re-exported: the world's addresses
    DATA_BASE, DATA_SIZE, DATA_SYMBOLS, EXITSYSCALL0_FV, FNVAL, G, G0, G2, G2_VAR, G_ADDR, GOID, GP_VAR, GPRS,
    CGO_INIT, GOEXIT0_FV, GSIGNAL, HEAP_BASE, HEAP_SIZE, IS_INTEL, M0, MAINPC, MASK, PKEPT, PROC_VERSION, RECOVERY_FV, STACK_GUARD, STACKS, SYSFNVAL, WORKER_FV,
    core,
)
from .kernel import Setup
from .symbols import Obj, Stack, Symbolizer


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
    stacks: tuple[Stack, ...] = ()  # the stacks a picture shows, left to right
    kernel: Setup = Setup()  # the thread's sigaltstack and the signals the scenario sends
    cpuid: Mapping[int, tuple[int, int, int, int]] = field(default_factory=dict)  # empty: Unicorn's CPU

    @property
    def entry(self) -> int:
        return self.regs["rip"]

    def mapped(self, addr: int, size: int = 8) -> bool:
        return any(addr in r and addr + size - 1 in r for r in self.regions)

    def writable(self, addr: int, size: int = 8) -> bool:
        return any(addr in r and addr + size - 1 in r and r.perms == "rw" for r in self.regions)


def build(scenario: Scenario) -> World:
    """The world a scenario starts in. A pure function of the scenario."""
    from .overrides import apply

    p = scenario.resolved()
    # The builders read every parameter: those this routine does not take keep their defaults.
    full = {q.name: q.default for q in family.all_params().values()}
    full.update(family.routine(scenario.routine).defaults)
    full.update(p)
    img = code_image(scenario.patch)
    preset = family.preset_of(scenario.routine, scenario.preset_name)
    build_world = preset.build or family.routine(scenario.routine).build
    try:
        c = core(full, img, scenario.routine, scenario.preset_name)
        build_world(c)
    except LookupError as e:  # a patch removed a label or CALL the world is built around
        if not scenario.patch:
            raise
        raise ScenarioError(f"the patched listing lacks what this scenario's world needs: {e}") from None
    return apply(_finish(scenario, p, c))


def _finish(scenario: Scenario, p: dict, c) -> World:
    for addr in G_ADDR.values():  # every gobuf word is known, zero unless set above
        for name, off_, _ in fields("gobuf"):
            c.mem.setdefault(addr + offsetof("g", "sched") + off_, 0)
    for name, off_, _ in fields("gobuf"):  # m.morebuf too
        c.mem.setdefault(M0 + offsetof("m", "morebuf") + off_, 0)
    img = c.img
    regions = (
        Region("text", image_base(img), _page_up(img.base + len(img.code) - image_base(img)), "rx"),
        Region("data", DATA_BASE, DATA_SIZE, "rw"),
        Region("heap", HEAP_BASE, HEAP_SIZE, "rw"),
        *_stack_regions(c.stacks),
    )
    objects = (
        Obj("m", M0, "m"), Obj("g0", G0, "g"), Obj("g", G, "g"), Obj("gsignal", GSIGNAL, "g"),
        Obj("g2", G2, "g"), Obj("main·fnval", FNVAL, "funcval"),
        Obj("main·sysfnval", SYSFNVAL, "funcval"), Obj("main·gp", GP_VAR, "ptr"),
        Obj("main·gp2", G2_VAR, "ptr"), Obj("runtime·recovery·f", RECOVERY_FV, "funcval"),
        Obj("main·workerval", WORKER_FV, "funcval"), Obj("runtime·goexit0·f", GOEXIT0_FV, "funcval"),
        Obj("runtime·exitsyscall0·f", EXITSYSCALL0_FV, "funcval"), Obj("main·pkept", PKEPT, "ptr"),
        Obj("runtime·mainPC", MAINPC, "funcval"), Obj("_cgo_init", CGO_INIT, "ptr"),
        Obj("runtime·isIntel", IS_INTEL, "ptr"), Obj("runtime·processorVersionInfo", PROC_VERSION, "ptr"),
    )
    _refuse_unwritable(scenario, regions, c)
    stacks = tuple(Stack(n, lo_, hi_) for n, (lo_, hi_) in c.stacks.items())
    tls_slot = M0 + offsetof("m", "tls")  # where FS - 8 points once settls has run (m0.tls[0])
    fs_base = tls_slot + 8 if c.fs_base is None else c.fs_base
    symbolizer = Symbolizer(objects, stacks, img, tls_slot)
    shown = tuple(Stack(n, *c.stacks[n]) for n in c.shown)
    return World(
        scenario=scenario,
        params=MappingProxyType(p),
        image=img,
        regions=regions,
        memory=tuple(sorted(c.mem.items())),
        regs=MappingProxyType(c.regs),
        fs_base=fs_base,
        arrive=MappingProxyType(c.arrive),
        leave=MappingProxyType(c.leave),
        symbols=symbolizer,
        roles=MappingProxyType(c.roles),
        stacks=shown,
        kernel=Setup(c.altstack, tuple(c.signals), end_on_resume=c.end_on_resume),
        cpuid=MappingProxyType(dict(c.cpuid)),
    )


def region_finder(regions: tuple[Region, ...]):
    """addr -> the region holding it, or None (regions do not overlap): a bisect, not a scan."""
    ordered = sorted(regions, key=lambda r: r.base)
    bases = [r.base for r in ordered]

    def find(addr: int) -> Region | None:
        i = bisect_right(bases, addr) - 1
        return ordered[i] if i >= 0 and addr in ordered[i] else None
    return find


def _refuse_unwritable(scenario: Scenario, regions: tuple[Region, ...], c) -> None:
    """The world may only write writable memory: a word in the code region is refused."""
    find = region_finder(regions)
    for addr in sorted(c.mem):
        hit = find(addr) or find(addr + 7)
        if hit is None or hit.perms == "rw":
            continue  # unmapped words are left out, as nothing could hold them
        what = f"the word {c.roles[addr]!r}" if c.roles.get(addr) else "a word"
        given = ", ".join(f"{k}={v:#x}" for k, v in scenario.overrides().items()
                          if isinstance(v, int) and not isinstance(v, bool)) or "the preset's values"
        raise ScenarioError(
            f"the world would write {what} at {addr:#x}, inside read-only {hit.name} "
            f"[{hit.base:#x}, {hit.base + hit.size:#x}); with {given} a stack lands in code. "
            "SP values must point into writable memory (a stack, the data or the heap)")


def _stack_regions(stacks: dict[str, tuple[int, int]]) -> tuple[Region, ...]:
    """One rw region per stack, widened to whole pages (a 2 KiB stack shares its page with nothing)."""
    out: list[Region] = []
    for n, (lo, hi) in sorted(stacks.items(), key=lambda kv: kv[1]):
        base, end = lo & ~0xFFF, _page_up(hi)
        if out and base < out[-1].base + out[-1].size:
            raise ScenarioError(f"stack {n} shares a page with {out[-1].name}")
        out.append(Region(f"{n} stack", base, end - base, "rw"))
    return tuple(out)


def image_base(img: Image) -> int:
    return img.base & ~0xFFF


def _page_up(n: int) -> int:
    return (n + 0xFFF) & ~0xFFF
