"""World -> Trace on Unicorn: one hook per instruction, every ending recorded as data."""
from __future__ import annotations

import ctypes
import functools
import struct
from itertools import compress
from operator import ne
from dataclasses import dataclass, field

from unicorn import (
    UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_PROT, UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED, Uc, UcError,
)
from unicorn import x86_const as X

from ..asm.encode import intel
from . import kernel as K
from .ends import summarize
from .engine import UC_REGS as _UC_REGS, lease
from .operands import accesses, addresses, canonical, shape
from .trace import REGS, End, Step, Trace, new_step, new_write
from .world import MASK, World

_FAULTS = {
    UC_MEM_READ_UNMAPPED: ("read", "unmapped"), UC_MEM_WRITE_UNMAPPED: ("write", "unmapped"),
    UC_MEM_FETCH_UNMAPPED: ("fetch", "unmapped"), UC_MEM_READ_PROT: ("read", "protected"),
    UC_MEM_WRITE_PROT: ("write", "protected"), UC_MEM_FETCH_PROT: ("fetch", "protected"),
}
# No wall-clock timeout: a run ends by the step budget, and emu_start's instruction count is the
# guard behind it, so a trace never depends on timing (Unicorn's timeout thread cut traces short).
UNTIL = MASK  # emu_start's stop address; reaching it is reported as a fetch fault there
_LOW52 = (1 << 52) - 1  # Unicorn reports fault addresses cut to 52 bits


_N = len(REGS)
if REGS[-1] != "rip":  # changed below relies on it
    raise ImportError("machine.trace.REGS must end with rip")
_BUT_RIP = REGS[:-1]


class _RegReader:
    """All of REGS and RFLAGS in one native call; Unicorn's reg_read_batch spends most of its time
    in Python, and its ctypes prototype converts every argument on every call, so the reader
    calls the library's uc_reg_read_batch without one (the arguments are already C types)."""

    def __init__(self, uc: Uc):
        ids = [*_UC_REGS, X.UC_X86_REG_EFLAGS]
        n = len(ids)
        self.ids = (ctypes.c_int * n)(*ids)
        self.vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self.vals)
        self.ptrs = (ctypes.c_void_p * n)(*(base + 8 * i for i in range(n)))
        self.n = ctypes.c_int(n)
        self.uc = uc
        self.all = ids
        self.call = self._native(uc)

    def _native(self, uc: Uc):
        """() -> REGS' values then RFLAGS, or None if this binding's internals are not unicorn 2.x's."""
        fn = _batch_read()
        try:
            handle = ctypes.c_void_p(uc._uch.value)
        except (AttributeError, TypeError):
            return None
        if fn is None:
            return None
        args, unpack, vals = (handle, self.ids, self.ptrs, self.n), struct.Struct(f"<{len(self.all)}Q").unpack_from, self.vals

        def read() -> tuple[int, ...]:
            if fn(*args) != 0:
                return self.slow()
            return unpack(vals)  # far cheaper than tuple(ctypes array)
        return read

    def slow(self) -> tuple[int, ...]:
        return tuple(v & MASK for v in self.uc.reg_read_batch(self.all))


@functools.cache
def _batch_read():
    """The library's uc_reg_read_batch with no ctypes prototype (looked up once), or None if this
    binding's internals are not unicorn 2.x's."""
    try:
        from unicorn.unicorn_py3.unicorn import uclib
        return ctypes.CDLL(uclib._name).uc_reg_read_batch  # no argtypes: nothing converted
    except (ImportError, AttributeError, OSError):
        return None


@dataclass
class _Recorder:
    world: World
    steps: list[Step] = field(default_factory=list)
    pending: dict | None = None  # the instruction now executing
    prev_regs: dict | None = None
    end: End | None = None
    fault: tuple | None = None
    read: _RegReader | None = None
    tls: tuple[int, int] | None = None  # (TLS slot, the g in it) as last read
    kernel: K.Kernel | None = None

    def __post_init__(self) -> None:
        img = self.world.image
        self._code = (img.base, img.base + len(img.code), img.code)
        self._shown = _listed(img)
        self._max = self.world.params["max_steps"]
        self._signals = bool(self.kernel is not None and self.kernel.setup.signals)
        self._end_on_resume = self.kernel is not None and self.kernel.setup.end_on_resume
        self._leave, self._arrive = dict(self.world.leave), dict(self.world.arrive)
        self._prev, self._prev_of = (), None  # prev_regs' values in REGS order, and that dict

    def _values(self, uc: Uc) -> tuple[int, ...]:
        if self.read is None:
            reader = _RegReader(uc)
            self.read = reader.call or reader.slow
        return self.read()

    def regs(self, uc: Uc) -> dict[str, int]:
        return dict(zip(REGS, self._values(uc)))

    def tls_g(self, uc: Uc) -> int:
        slot = self.fs_base - 8
        try:
            g = int.from_bytes(uc.mem_read(slot, 8), "little")
        except UcError:  # arch_prctl set an FS base with nothing mapped below it
            g = 0
        self.tls = (slot, g)
        return g

    @property
    def fs_base(self) -> int:
        return self.kernel.fs_base if self.kernel is not None else self.world.fs_base

    def _tls_after(self, uc: Uc, writes) -> int:
        """TLS g after a step: read again only when the step wrote the slot (or it moved)."""
        slot = self.fs_base - 8
        if self.tls is None or self.tls[0] != slot or any(a < slot + 8 and slot < a + s for a, s, _ in writes):
            return self.tls_g(uc)
        return self.tls[1]

    def instruction_bytes(self, uc: Uc, address: int, size: int) -> bytes:
        """What runs at `address`: the image's bytes (the text is mapped read-only), else memory."""
        lo, hi, code = self._code
        if lo <= address and address + size <= hi:
            return code[address - lo:address - lo + size]
        return bytes(uc.mem_read(address, size))

    def finish_pending(self, uc: Uc, note: str = "") -> None:
        p = self.pending
        if p is None:
            return
        self.pending = None
        vals = self.read() if self.read is not None else self._values(uc)
        regs = dict(zip(REGS, vals))
        prev = self._prev
        if self._prev_of is not self.prev_regs:  # set elsewhere (the start, a kernel step)
            prev = tuple(self.prev_regs[r] for r in REGS)
        changed = tuple(compress(_BUT_RIP, map(ne, vals, prev)))  # rip (last) and RFLAGS fall off the end
        writes = p["writes"]
        shown = ()
        if writes:
            sp, label = regs["rsp"], self.world.symbols.label
            shown = tuple(new_write(a, s, v, label(a, sp)) for a, s, v in writes)
            tls = self._tls_after(uc, writes)
        else:
            tls = self.tls[1] if self.tls is not None and self.tls[0] == self.fs_base - 8 else self._tls_after(uc, writes)
        self.steps.append(new_step(
            len(self.steps) + 1, p["routine"], p["pc"], p["bytes"], p["plan9"], p["intel"], p["file"],
            p["line"], p["comment"], regs, changed, shown, tls, note or p.get("note", ""), vals[_N], False))
        self.prev_regs = self._prev_of = regs
        self._prev = vals[:_N]

    def stop(self, uc: Uc, kind: str, detail: str, pc: int, address: int | None = None) -> None:
        sym = self.world.symbols
        label = sym.label(address) if address is not None else sym.label(pc)
        sp = uc.reg_read(X.UC_X86_REG_RSP)
        self.end = End(kind, detail, pc, address, label, summarize(kind, detail, pc, address, sym, sp=sp))
        uc.emu_stop()

    # Hooks -------------------------------------------------------------------------------

    def on_code(self, uc: Uc, address: int, size: int, _ud) -> None:
        if (address >> 47) not in _CANONICAL:  # Unicorn would run the masked address; x86-64 raises #GP
            p, self.pending = self.pending, None  # the branch that went there does not retire
            return self.general_protection(uc, p["pc"] if p else address, address, "jump target")
        p = self.pending
        if p is not None:
            last_pc = p["pc"]
            self.finish_pending(uc)
            if last_pc in self._leave:
                kind, detail = self._leave[last_pc]
                return self.stop(uc, kind, f"{detail}: {self.world.symbols.label(address)}", address)
        if self._end_on_resume and self.kernel.resumed_at == address:
            return self.stop(uc, "return", "rt_sigreturn resumed the interrupted context", address)
        if address in self._arrive and self.steps:
            kind, detail = self._arrive[address]
            return self.stop(uc, kind, detail, address)
        if len(self.steps) >= self._max:
            return self.stop(uc, "limit", f"step budget of {self._max} reached", address)
        if self._signals:
            sig = self.kernel.due(len(self.steps) + 1)
            if sig is not None:
                return self.deliver(uc, sig, address)
        listed = self._shown.get(address)
        if listed is not None and listed["size"] == size:  # the text is read-only: these bytes run
            form = listed["shape"]
            if form is None:  # first run of this instruction: decoded once per image
                form = listed["shape"] = shape(listed["bytes"], address)
            mem = addresses(form, self.prev_regs, self.kernel.fs_base) if form else ()
            for a in mem:  # prev_regs: the registers now
                if (a[1] >> 47) not in _CANONICAL:
                    return self.general_protection(uc, address, a[1], f"{a[0]} address")
            p = self.pending = listed.copy()
            p["writes"] = []
            p["mem"] = mem
            return
        w = self.world
        data = self.instruction_bytes(uc, address, size)  # what runs, whatever the listing says
        mem = accesses(data, address, self.prev_regs, self.fs_base)
        for a in mem:
            if (a[1] >> 47) not in _CANONICAL:
                return self.general_protection(uc, address, a[1], f"{a[0]} address")
        placed = w.image.at(address)
        if placed is not None and placed.data == data:
            ins = placed.ins
            self.pending = dict(
                pc=address, bytes=data, routine=placed.function, plan9=ins.text,
                intel=placed.intel, file=ins.loc.file, line=ins.loc.line, comment=ins.comment,
                writes=[], mem=mem)
        else:  # mid-instruction, outside the listings, or bytes that differ: decode what is there
            shown = _safe_intel(data, address)
            note = ""
            if placed is not None:
                note = (f"内存中的字节与清单不同：清单第 {placed.line} 行 {placed.ins.text}"
                        f"（{placed.data.hex()}），实际执行 {data.hex()}（{shown}）")
            self.pending = dict(
                pc=address, bytes=data, routine=w.image.function_at(address) or "?", plan9="",
                intel=shown, file=placed.file if placed else "", line=placed.line if placed else 0,
                comment="", writes=[], mem=mem, note=note)

    def on_cpuid(self, uc: Uc, _ud) -> bool:
        """CPUID: the world's CPU answers (True: Unicorn skips its own), else Unicorn's emulated CPU."""
        leaf = cpuid(uc, self.world.cpuid)
        if leaf is None:
            return False
        if self.pending is not None:
            self.pending["note"] = f"CPUID 叶 {leaf:#x}：按录制的 CPU 作答（不是 Unicorn 模拟的 CPU）"
        return True

    # The kernel ------------------------------------------------------------------------

    def on_syscall(self, uc: Uc, _ud) -> None:
        """SYSCALL: the kernel does the call; RIP is still the SYSCALL's own address here."""
        p = self.pending
        regs = self.regs(uc)
        pc = p["pc"] if p else regs["rip"]
        nr = regs["rax"]
        handler = K.SYSCALLS.get(nr)
        name = K.syscall_name(nr)
        if handler is None:
            self.finish_pending(uc, note=f"内核：系统调用 {nr}（{name}）本书的内核没有实现")
            detail = f"syscall {nr} ({name})"
            summary = f"系统调用 {nr}（{name}）：本书的内核没有实现它，运行在这里结束"
            self.end = End("event", detail, pc, None, self.world.symbols.label(pc), summary)
            return uc.emu_stop()
        writes = p["writes"] if p else []
        regs["eflags"] = uc.reg_read(X.UC_X86_REG_EFLAGS)
        note = syscall(uc, self.kernel, handler, regs, pc, writes, self.world.fs_base)
        if p is not None:
            p["note"] = note

    def deliver(self, uc: Uc, sig: K.Signal, address: int) -> None:
        """Deliver `sig` before the instruction at `address` runs: one kernel step in the trace."""
        pairs: list[tuple[int, int, str]] = []
        note = signal(uc, self.kernel, sig, dict(self.prev_regs, rip=address), pairs)
        if note is None:
            detail = f"signal {sig.signo}: no room for the signal frame (Linux forces SIGSEGV)"
            self.end = End("event", detail, address, None, self.world.symbols.label(address),
                           f"信号 {sig.signo} 的信号帧放不下：Linux 会强制发出 SIGSEGV，进程终止")
            return uc.emu_stop()
        after = self.regs(uc)
        changed = tuple(r for r in REGS if after[r] != self.prev_regs[r] and r != "rip")
        self.steps.append(Step(
            i=len(self.steps) + 1, routine=K.KERNEL, pc=address, bytes=b"", plan9="",
            intel=f"(内核) 投递信号 {K.SIGNALS.get(sig.signo, sig.signo)}", file="", line=0,
            comment="", regs=after, changed=changed, writes=K.writes_of(pairs),
            tls_g=self.tls_g(uc), note=note, flags=uc.reg_read(X.UC_X86_REG_EFLAGS)))
        self.prev_regs = after

    def general_protection(self, uc: Uc, pc: int, address: int, what: str) -> None:
        sym = self.world.symbols
        detail = f"#GP (general protection): non-canonical {what} {address:#x}"
        self.end = End("fault", detail, pc, address, f"{address:#x}",
                       summarize("fault", detail, pc, address, sym, access="gp"))
        uc.emu_stop()

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
        if self.world.params.get("int3") == "continue":
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


def cpuid(uc: Uc, table: dict) -> int | None:
    """CPUID answered from the world's recorded CPU: the leaf answered, or None (no recording:
    Unicorn's emulated CPU answers)."""
    if not table:
        return None
    leaf = uc.reg_read(X.UC_X86_REG_RAX) & 0xFFFFFFFF
    got = table.get(leaf, (0, 0, 0, 0))  # a leaf the recording lacks: zeros, as above the max leaf
    for reg, v in zip((X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX), got):
        uc.reg_write(reg, v)
    return leaf


def syscall(uc: Uc, kernel: K.Kernel, handler, regs: dict, pc: int, writes: list, fs_base: int) -> str:
    """Do the syscall `handler` implements on `uc` as the kernel would, SYSCALL at `pc` with
    `regs` (RFLAGS included); memory it writes goes to `writes`. Returns the kernel's note."""
    name = K.syscall_name(regs["rax"])

    class _Mem:
        read = staticmethod(lambda a, n: bytes(uc.mem_read(a, n)))

        @staticmethod
        def write(a: int, v: int, _label: str) -> None:
            uc.mem_write(a, (v & K.MASK).to_bytes(8, "little"))
            writes.append((a, 8, v & K.MASK))

    try:
        new, note = handler(kernel, _Mem, regs)
    except UcError:  # the kernel touched unmapped user memory: the call returns -EFAULT
        new, note = {"rax": (-K.EFAULT) & K.MASK}, f"内核：{name}：用户内存不可访问，返回 -EFAULT"
    if regs["rax"] != K.SYS_RT_SIGRETURN:  # the CPU's SYSCALL: RCX = return RIP, R11 = RFLAGS
        new = {"rcx": pc + 2, "r11": regs["eflags"] | K.IF, **new}
    if kernel.fs_base != fs_base or regs["rax"] == K.SYS_ARCH_PRCTL:
        uc.reg_write(X.UC_X86_REG_FS_BASE, kernel.fs_base)
    for r, v in new.items():
        if r == "rip":  # Unicorn adds SYSCALL's length (2) after this hook returns
            uc.reg_write(X.UC_X86_REG_RIP, (v - 2) & K.MASK)
        elif r == "eflags":
            uc.reg_write(X.UC_X86_REG_EFLAGS, v)
        else:
            uc.reg_write(getattr(X, f"UC_X86_REG_{r.upper()}"), v)
    return note


def signal(uc: Uc, kernel: K.Kernel, sig: K.Signal, regs: dict, pairs: list) -> str | None:
    """Deliver `sig` on `uc` with the CPU at `regs` (REGS, rip the next instruction): the frame
    written (its (address, value, label) words go to `pairs`), the handler's registers set.
    Returns the kernel's note, or None when the frame does not fit (Linux forces SIGSEGV)."""
    def write(a: int, v: int, label: str) -> None:
        uc.mem_write(a, v.to_bytes(8, "little"))
        pairs.append((a, v, label))

    try:
        xmm = tuple(uc.reg_read(getattr(X, f"UC_X86_REG_XMM{i}")) for i in range(16))
        done = K.deliver(kernel, sig, regs, uc.reg_read(X.UC_X86_REG_EFLAGS), write, xmm)
    except UcError:
        done = None
    if done is None:
        return None
    new, flags, note = done
    for r, v in new.items():
        uc.reg_write(getattr(X, f"UC_X86_REG_{r.upper()}"), v)
    uc.reg_write(X.UC_X86_REG_EFLAGS, flags)
    return note


_CANONICAL = (0, (1 << 17) - 1)  # bits 63..47 of an address x86-64 accepts
_LISTED: dict[int, tuple] = {}


def _listed(img) -> dict[int, dict]:
    """address -> what a step at a listed instruction records (its pending entry without the run's
    writes and memory), once per image; only where the image's code holds the instruction's bytes."""
    hit = _LISTED.get(id(img))
    if hit is None or hit[0] is not img:
        code, base = img.code, img.base
        table = {p.address: dict(pc=p.address, bytes=p.data, routine=p.function, plan9=p.ins.text,
                                 intel=p.intel, file=p.ins.loc.file, line=p.ins.loc.line,
                                 comment=p.ins.comment, size=len(p.data), shape=None)
                 for p in img.placed
                 if p.data and code[p.address - base:p.address - base + len(p.data)] == p.data}
        hit = _LISTED[id(img)] = (img, table)
        if len(_LISTED) > 32:
            _LISTED.pop(next(iter(_LISTED)))
    return hit[1]


def _safe_intel(data: bytes, ip: int) -> str:
    try:
        return intel(data, ip)
    except Exception:  # noqa: BLE001 - any undecodable byte run
        return "(bad)"


def run_world(world: World) -> Trace:
    """Run a world to its end. Faults and limits are in the trace; nothing is raised for them."""
    rec = _Recorder(world, kernel=K.Kernel(world.kernel, world.fs_base))
    with lease(world, rec) as uc:
        return _run(uc, world, rec)


def _run(uc: Uc, world: World, rec: _Recorder) -> Trace:
    rec.prev_regs = rec.regs(uc)
    initial_regs = dict(rec.prev_regs)
    initial_tls = rec.tls_g(uc)
    initial_flags = uc.reg_read(X.UC_X86_REG_EFLAGS)
    budget = world.params["max_steps"] + 2
    try:
        uc.emu_start(world.entry, UNTIL, count=budget)
    except UcError as e:
        _record_fault(uc, rec, e)
    if rec.end is None and rec.regs(uc)["rip"] == UNTIL:  # went to UNTIL: nothing is mapped there
        rec.fault = ("fetch", "unmapped", UNTIL, 1)
        _record_fault(uc, rec, None)
    if rec.end is None:
        pc = rec.regs(uc)["rip"]
        if rec.pending is not None and rec.fault is None:
            rec.finish_pending(uc)
        rec.end = End("limit", f"emulator stopped after its instruction count ({budget}) "
                      "without an ending", pc, label=world.symbols.label(pc),
                      summary=summarize("limit", "stopped", pc, None, world.symbols), settled=False)
    return _trace(world, rec, initial_regs, initial_tls, initial_flags)


def _record_fault(uc: Uc, rec: _Recorder, err: UcError | None) -> None:
    w = rec.world
    access, why, address, size = rec.fault or ("access", str(err), None, 0)
    if access == "fetch":
        address = rec.regs(uc)["rip"]  # the full target: RIP is not cut short
        if not canonical(address):  # the branch raises #GP and does not retire
            p, rec.pending = rec.pending, None
            return rec.general_protection(uc, p["pc"] if p else address, address, "jump target")
        rec.finish_pending(uc)  # the branch that went there did execute
        pc = address
    else:
        pc = rec.pending["pc"] if rec.pending else rec.prev_regs["rip"]
        if address is not None and rec.pending:
            address = _full_address(rec.pending["mem"], access, address)
        rec.pending = None  # the faulting instruction did not retire
    detail = f"{access} of {address:#x} ({why})" if address is not None else f"{why} at {pc:#x}"
    rec.end = End("fault", detail, pc, address,
                  w.symbols.label(address) if address is not None else w.symbols.label(pc),
                  summarize("fault", detail, pc, address, w.symbols, access=access))


def _full_address(mem: tuple, access: str, reported: int) -> int:
    """The 64-bit address of the access Unicorn reported cut to 52 bits."""
    low = reported & _LOW52
    for kind in (access, None):
        for k, a, size in mem:
            if (kind is None or k == kind) and (a & _LOW52) <= low < (a & _LOW52) + max(size, 1):
                return (a & ~_LOW52 | low) & MASK
    return reported


def _trace(world: World, rec: _Recorder, regs: dict, tls: int, initial_flags: int) -> Trace:
    sym = world.symbols
    sp = regs["rsp"]
    memo = sym.memo  # every run of a preset asks the same questions: answered once per symbolizer
    key = ("memory", world.memory, sp)
    memory = memo.get(key)
    if memory is None:
        memory = memo[key] = tuple((a, v, sym.label(a, sp)) for a, v in world.memory)
    # Every register value of every step: the initial ones, then what each step changed (RIP included)
    values = {v for _, v, _ in memory} | set(regs.values())
    values |= {s.regs[r] for s in rec.steps for r in s.changed} | {s.regs["rip"] for s in rec.steps}
    values |= {w.value for s in rec.steps for w in s.writes}
    key = ("labels", frozenset(values))
    labels = memo.get(key)
    if labels is None:
        labels = memo[key] = {v: d for v in values if (d := sym.describe(v))}
    labels = dict(labels)  # the trace's own
    symbols = {**world.image.symbols, **{o.name: o.base for o in sym.objects}}
    return Trace(
        routine=world.scenario.routine, scenario=world.scenario.preset_name,
        params=dict(world.params), symbols=symbols, initial_regs=regs, initial_tls_g=tls,
        memory=memory, steps=tuple(rec.steps), end=rec.end, labels=labels, roles=dict(world.roles),
        initial_flags=initial_flags,
        stacks=tuple((st.owner, st.lo, st.hi) for st in world.stacks),
    )
