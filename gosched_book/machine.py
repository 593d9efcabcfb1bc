"""World -> Trace on Unicorn: one hook per instruction, every ending recorded as data."""
from __future__ import annotations

from dataclasses import dataclass, field

from unicorn import (
    UC_ARCH_X86, UC_HOOK_CODE, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_MEM_READ_PROT, UC_HOOK_MEM_READ_UNMAPPED, UC_HOOK_MEM_WRITE,
    UC_HOOK_MEM_WRITE_PROT, UC_HOOK_MEM_WRITE_UNMAPPED, UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_PROT, UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED, UC_MODE_64,
    UC_PROT_ALL, UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, Uc, UcError,
)
from unicorn import x86_const as X

from .asm.encode import intel
from .ends import summarize
from .trace import REGS, End, Step, Trace, Write
from .world import MASK, World

_UC_REGS = [getattr(X, f"UC_X86_REG_{r.upper()}") for r in REGS]
_PERMS = {"rx": UC_PROT_READ | UC_PROT_EXEC, "rw": UC_PROT_READ | UC_PROT_WRITE}
_FAULTS = {
    UC_MEM_READ_UNMAPPED: ("read", "unmapped"), UC_MEM_WRITE_UNMAPPED: ("write", "unmapped"),
    UC_MEM_FETCH_UNMAPPED: ("fetch", "unmapped"), UC_MEM_READ_PROT: ("read", "protected"),
    UC_MEM_WRITE_PROT: ("write", "protected"), UC_MEM_FETCH_PROT: ("fetch", "protected"),
}
TIMEOUT_US = 5_000_000  # a last guard; the step budget ends runaway loops first


@dataclass
class _Recorder:
    world: World
    steps: list[Step] = field(default_factory=list)
    pending: dict | None = None  # the instruction now executing
    prev_regs: dict | None = None
    end: End | None = None
    fault: tuple | None = None

    def regs(self, uc: Uc) -> dict[str, int]:
        return dict(zip(REGS, (v & MASK for v in uc.reg_read_batch(_UC_REGS))))

    def tls_g(self, uc: Uc) -> int:
        return int.from_bytes(uc.mem_read(self.world.fs_base - 8, 8), "little")

    def finish_pending(self, uc: Uc, note: str = "") -> None:
        p = self.pending
        if p is None:
            return
        self.pending = None
        regs = self.regs(uc)
        changed = tuple(r for r in REGS if regs[r] != self.prev_regs[r] and r != "rip")
        sp = regs["rsp"]
        writes = tuple(Write(a, s, v, self.world.symbols.label(a, sp)) for a, s, v in p["writes"])
        self.steps.append(Step(
            i=len(self.steps) + 1, routine=p["routine"], pc=p["pc"], bytes=p["bytes"],
            plan9=p["plan9"], intel=p["intel"], file=p["file"], line=p["line"],
            comment=p["comment"], regs=regs, changed=changed, writes=writes,
            tls_g=self.tls_g(uc), note=note or p.get("note", ""),
            flags=uc.reg_read(X.UC_X86_REG_EFLAGS),
        ))
        self.prev_regs = regs

    def stop(self, uc: Uc, kind: str, detail: str, pc: int, address: int | None = None) -> None:
        sym = self.world.symbols
        label = sym.label(address) if address is not None else sym.label(pc)
        self.end = End(kind, detail, pc, address, label, summarize(kind, detail, pc, address, sym))
        uc.emu_stop()

    # Hooks -------------------------------------------------------------------------------

    def on_code(self, uc: Uc, address: int, size: int, _ud) -> None:
        last_pc = self.pending["pc"] if self.pending else None
        self.finish_pending(uc)
        w = self.world
        if last_pc is not None and last_pc in w.leave:
            kind, detail = w.leave[last_pc]
            return self.stop(uc, kind, f"{detail}: {w.symbols.label(address)}", address)
        if address in w.arrive and self.steps:
            kind, detail = w.arrive[address]
            return self.stop(uc, kind, detail, address)
        if len(self.steps) >= w.params["max_steps"]:
            return self.stop(uc, "limit", f"step budget of {w.params['max_steps']} reached", address)
        placed = w.image.at(address)
        if placed is not None:
            ins = placed.ins
            self.pending = dict(
                pc=address, bytes=placed.data, routine=placed.function, plan9=ins.text,
                intel=placed.intel, file=ins.loc.file, line=ins.loc.line, comment=ins.comment,
                writes=[])
        else:  # mid-instruction or outside the listings: decode what is there
            data = bytes(uc.mem_read(address, size))
            self.pending = dict(
                pc=address, bytes=data, routine=w.image.function_at(address) or "?", plan9="",
                intel=_safe_intel(data, address), file="", line=0, comment="", writes=[])

    def on_write(self, uc: Uc, access, address: int, size: int, value: int, _ud) -> None:
        if self.pending is not None:
            self.pending["writes"].append((address, size, value & ((1 << (8 * size)) - 1)))

    def on_fault(self, uc: Uc, access, address: int, size: int, value: int, _ud) -> bool:
        self.fault = (*_FAULTS.get(access, ("access", "invalid")), address, size)
        return False

    def on_intr(self, uc: Uc, intno: int, _ud) -> None:
        if intno != 3:
            self.finish_pending(uc)
            return self.stop(uc, "fault", f"interrupt {intno}", self.prev_regs["rip"])
        if self.world.params["int3"] == "continue":
            if self.pending is not None:
                self.pending["note"] = "INT $3: SIGTRAP ignored"
            return None
        pc = self.pending["pc"] if self.pending else self.prev_regs["rip"]
        self.finish_pending(uc, note="INT $3: SIGTRAP")
        func = self.world.image.function_at(pc) or "?"
        name = func.split("·")[-1]
        self.stop(uc, "event", name if name in ("abort",) else f"INT $3 in {func}", pc)

    def on_invalid(self, uc: Uc, _ud) -> bool:
        self.fault = ("decode", "invalid instruction", None, 0)
        return False


def _safe_intel(data: bytes, ip: int) -> str:
    try:
        return intel(data, ip)
    except Exception:  # noqa: BLE001 - any undecodable byte run
        return "(bad)"


def _new_uc(world: World) -> Uc:
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    for r in world.regions:
        uc.mem_map(r.base, r.size, _PERMS.get(r.perms, UC_PROT_ALL))
    uc.mem_write(world.image.base, world.image.code)
    for addr, value in world.memory:
        if world.mapped(addr):
            uc.mem_write(addr, value.to_bytes(8, "little"))
    for name, reg in zip(REGS, _UC_REGS):
        uc.reg_write(reg, world.regs[name])
    uc.reg_write(X.UC_X86_REG_FS_BASE, world.fs_base)
    return uc


def run_world(world: World) -> Trace:
    """Run a world to its end. Faults and limits are in the trace; nothing is raised for them."""
    uc = _new_uc(world)
    rec = _Recorder(world)
    rec.prev_regs = rec.regs(uc)
    initial_regs = dict(rec.prev_regs)
    initial_tls = rec.tls_g(uc)
    initial_flags = uc.reg_read(X.UC_X86_REG_EFLAGS)
    uc.hook_add(UC_HOOK_CODE, rec.on_code)
    uc.hook_add(UC_HOOK_MEM_WRITE, rec.on_write)
    uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED
                | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT, rec.on_fault)
    uc.hook_add(UC_HOOK_INTR, rec.on_intr)
    uc.hook_add(UC_HOOK_INSN_INVALID, rec.on_invalid)
    budget = world.params["max_steps"] + 2
    try:
        uc.emu_start(world.entry, 0, timeout=TIMEOUT_US, count=budget)
    except UcError as e:
        _record_fault(uc, rec, e)
    if rec.end is None:
        pc = rec.regs(uc)["rip"]
        if rec.pending is not None and rec.fault is None:
            rec.finish_pending(uc)
        rec.end = End("limit", "emulator stopped without an ending (timeout or count)", pc,
                      label=world.symbols.label(pc),
                      summary=summarize("limit", "stopped", pc, None, world.symbols))
    return _trace(world, rec, initial_regs, initial_tls, initial_flags)


def _record_fault(uc: Uc, rec: _Recorder, err: UcError) -> None:
    w = rec.world
    access, why, address, size = rec.fault or ("access", str(err), None, 0)
    if access == "fetch":
        rec.finish_pending(uc)  # the branch that went there did execute
        pc = address
    else:
        pc = rec.pending["pc"] if rec.pending else rec.prev_regs["rip"]
        rec.pending = None  # the faulting instruction did not retire
    detail = f"{access} of {address:#x} ({why})" if address is not None else f"{why} at {pc:#x}"
    rec.end = End("fault", detail, pc, address,
                  w.symbols.label(address) if address is not None else w.symbols.label(pc),
                  summarize("fault", detail, pc, address, w.symbols, access=access))


def _trace(world: World, rec: _Recorder, regs: dict, tls: int, initial_flags: int) -> Trace:
    sym = world.symbols
    sp = regs["rsp"]
    memory = tuple((a, v, sym.label(a, sp)) for a, v in world.memory)
    labels: dict[int, str] = {}
    values = {v for _, v, _ in memory} | {v for s in rec.steps for v in s.regs.values()}
    values |= {w.value for s in rec.steps for w in s.writes} | set(regs.values())
    for v in values:
        d = sym.describe(v)
        if d:
            labels[v] = d
    symbols = {**world.image.symbols, **{o.name: o.base for o in sym.objects}}
    return Trace(
        routine=world.scenario.routine, scenario=world.scenario.preset_name,
        params=dict(world.params), symbols=symbols, initial_regs=regs, initial_tls_g=tls,
        memory=memory, steps=tuple(rec.steps), end=rec.end, labels=labels, roles=dict(world.roles),
        initial_flags=initial_flags,
        stacks=tuple((st.owner, st.lo, st.hi) for st in world.stacks),
    )
