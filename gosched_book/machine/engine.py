"""A Unicorn per memory layout, made once and reset for each run.

Mapping memory and registering hooks is most of what a short run costs, and every preset of a family
maps the same regions with the same code. So each thread keeps a few engines, one per (regions,
image): a run restores the CPU state saved right after mapping (every register, not only the ones a
world sets), rewrites each writable region whole from the world, and points the hooks at its own
recorder. Nothing of an earlier run survives: memory, registers, FS base and flags are all rewritten.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from unicorn import (
    UC_ARCH_X86, UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_MEM_READ_PROT, UC_HOOK_MEM_READ_UNMAPPED, UC_HOOK_MEM_WRITE,
    UC_HOOK_MEM_WRITE_PROT, UC_HOOK_MEM_WRITE_UNMAPPED, UC_MODE_64, UC_PROT_ALL, UC_PROT_EXEC,
    UC_PROT_READ, UC_PROT_WRITE, Uc,
)
from unicorn import x86_const as X

from ..errors import ScenarioError
from .trace import REGS
from .world import World, region_finder

UC_REGS = [getattr(X, f"UC_X86_REG_{r.upper()}") for r in REGS]
_PERMS = {"rx": UC_PROT_READ | UC_PROT_EXEC, "rw": UC_PROT_READ | UC_PROT_WRITE}
_FAULT_HOOKS = (UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED
                | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT)
KEEP = 8  # engines per thread


def region_images(world: World) -> list[tuple[int, bytes]]:
    """(base, bytes) of every writable region as the world starts: zeros and the world's words.
    A word the world puts in memory that is mapped but not writable is refused."""
    images = {r.base: bytearray(r.size) for r in world.regions if r.perms == "rw"}
    find = region_finder(world.regions)
    for addr, value in world.memory:
        r = find(addr)
        into = images.get(r.base) if r is not None and addr + 8 <= r.base + r.size else None
        if into is None:
            if world.mapped(addr):  # build() refuses these first, with the scenario's words
                raise ScenarioError(f"the world would write {addr:#x}, which is not writable memory")
            continue
        into[addr - r.base:addr - r.base + 8] = value.to_bytes(8, "little")
    return [(base, bytes(img)) for base, img in images.items()]


def new_uc(world: World) -> Uc:
    """A fresh Unicorn holding the world: regions mapped, code and memory written, registers set."""
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    for r in world.regions:
        uc.mem_map(r.base, r.size, _PERMS.get(r.perms, UC_PROT_ALL))
    uc.mem_write(world.image.base, world.image.code)
    _load(uc, world)
    return uc


def _load(uc: Uc, world: World) -> None:
    for base, data in region_images(world):
        uc.mem_write(base, data)
    for name, reg in zip(REGS, UC_REGS):
        uc.reg_write(reg, world.regs[name])
    uc.reg_write(X.UC_X86_REG_FS_BASE, world.fs_base)


def _hook_code(uc: Uc, on_code) -> None:
    """UC_HOOK_CODE calling on_code(address, size) straight from the ctypes callback: Unicorn's own
    hook_add puts three Python frames in front of it for every instruction. The guard is Unicorn's:
    an exception stops the run and emu_start raises it. (Falls back to hook_add if the binding's
    internals differ from unicorn 2.x's.)"""
    try:
        from unicorn.unicorn_py3.unicorn import HOOK_CODE_CFUNC
        add = uc._Uc__do_hook_add
    except (ImportError, AttributeError):
        uc.hook_add(UC_HOOK_CODE, lambda u, a, s, d: on_code(a, s))
        return

    def callback(_handle, address, size, _key):
        try:
            on_code(address, size)
        except BaseException as e:  # noqa: BLE001 - handed to emu_start, as Unicorn's wrapper does
            if uc._hook_exception is None:
                uc._hook_exception = e
            uc.emu_stop()
    add(UC_HOOK_CODE, HOOK_CODE_CFUNC(callback), 1, 0)


class Engine:
    """One Unicorn with its regions and code, and hooks that call whichever recorder runs now."""

    def __init__(self, world: World):
        self.image = world.image
        self.uc = uc = Uc(UC_ARCH_X86, UC_MODE_64)
        for r in world.regions:
            uc.mem_map(r.base, r.size, _PERMS.get(r.perms, UC_PROT_ALL))
        uc.mem_write(world.image.base, world.image.code)
        self.pristine = uc.context_save()  # the CPU as Unicorn starts it
        self.rec = None
        self.busy = False
        _hook_code(uc, lambda a, s: self.rec.on_code(uc, a, s, None))
        uc.hook_add(UC_HOOK_MEM_WRITE, lambda u, k, a, s, v, d: self.rec.on_write(u, k, a, s, v, d))
        uc.hook_add(_FAULT_HOOKS, lambda u, k, a, s, v, d: self.rec.on_fault(u, k, a, s, v, d))
        uc.hook_add(UC_HOOK_INTR, lambda u, n, d: self.rec.on_intr(u, n, d))
        uc.hook_add(UC_HOOK_INSN_INVALID, lambda u, d: self.rec.on_invalid(u, d))
        uc.hook_add(UC_HOOK_INSN, lambda u, d: self.rec.on_syscall(u, d), None, 1, 0, X.UC_X86_INS_SYSCALL)
        uc.hook_add(UC_HOOK_INSN, lambda u, d: self.rec.on_cpuid(u, d), None, 1, 0, X.UC_X86_INS_CPUID)

    def load(self, world: World, rec) -> Uc:
        """The Unicorn, holding `world` as it starts, with its hooks calling `rec`."""
        self.uc.context_restore(self.pristine)
        _load(self.uc, world)
        self.rec = rec
        return self.uc


_LOCAL = threading.local()


def _shape(world: World) -> tuple:
    return tuple((r.base, r.size, r.perms) for r in world.regions), id(world.image)


class lease:
    """`with lease(world, rec) as uc:` a Unicorn holding `world`, from this thread's engines (a
    nested run, as from inside a hook, gets an engine of its own)."""

    def __init__(self, world: World, rec):
        self.world, self.rec, self.engine = world, rec, None

    def __enter__(self) -> Uc:
        engines = _LOCAL.__dict__.setdefault("engines", OrderedDict())
        key = _shape(self.world)
        e = engines.get(key)
        if e is not None and e.busy:  # a run inside a run: a private engine, not kept
            e = Engine(self.world)
        elif e is None or e.image is not self.world.image:
            e = engines[key] = Engine(self.world)
            while len(engines) > KEEP:
                engines.popitem(last=False)
        else:
            engines.move_to_end(key)
        e.busy = True
        self.engine = e
        try:
            return e.load(self.world, self.rec)
        except BaseException:
            e.busy = False
            raise

    def __exit__(self, *exc) -> None:
        self.engine.rec = None
        self.engine.busy = False
