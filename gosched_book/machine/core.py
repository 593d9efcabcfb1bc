"""The shared part of every world: m, the g objects, TLS, the stacks; and the builder's toolkit."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..asm.link import Image
from ..runtime.layout import offsetof

# Addresses, chosen to look like a real linux/amd64 Go process.
DATA_BASE, DATA_SIZE = 0x560000, 0x1000  # static data: runtime.m0, runtime.g0, closures
M0, G0 = 0x560000, 0x560100
FNVAL, SYSFNVAL, GP_VAR = 0x560200, 0x560208, 0x560210
G2_VAR, RECOVERY_FV, WORKER_FV = 0x560218, 0x560220, 0x560228
GOEXIT0_FV = 0x560230
EXITSYSCALL0_FV, PKEPT = 0x560238, 0x560240  # cgocallback's stand-ins: a funcval, a flag word
# rt0_go's static data: runtime·mainPC (a funcval), _cgo_init (nil without cgo), isIntel (a byte),
# processorVersionInfo (a uint32); each gets a word of its own here.
MAINPC, CGO_INIT, IS_INTEL, PROC_VERSION = 0x560248, 0x560250, 0x560258, 0x560260
BAD_CPU_MSG = 0x560268  # bad_cpu_msg<>: 84 bytes of text (GOAMD64=v1 never prints it)
GOPREEMPT_M_FV, PREEMPTPARK_FV = 0x5602C0, 0x5602C8  # asyncPreempt2's mcall targets (after bad_cpu_msg<>)
HEAP_BASE, HEAP_SIZE = 0xC000004000, 0x1000  # heap-allocated g objects
G, GSIGNAL, G2 = 0xC000004000, 0xC000004100, 0xC000004200
STACKS = {
    "g": (0xC000040000, 0xC000042000),  # 8 KiB goroutine stack
    "g2": (0xC000050000, 0xC000052000),
    "gsignal": (0xC000070000, 0xC000078000),  # 32 KiB signal stack
    "g0": (0x7FFFF7F00000, 0x7FFFF7F04000),  # 16 KiB system stack
}
STACK_REGION = (0xC000040000, 0xC000080000)  # heap spans the goroutine stacks may come from
G_ADDR = {"g": G, "g0": G0, "gsignal": GSIGNAL, "g2": G2}
GOID = {"g": 18, "g0": 0, "gsignal": 0, "g2": 19}
STACK_GUARD = 928  # _StackGuard on linux/amd64
# g0.sched.sp as mstart1 leaves it on m0: g0.stack.hi - 0x38 in every gdb recording of the real
# runtime (gosched_book/runtime/reference/*.json, initial g0.sched.sp), mstart0's and mstart1's frames.
G0_SCHED_DEPTH = 0x38
FIXED_STACK = 2048  # _FixedStack: a new goroutine's stack
DATA_SYMBOLS = (("main·fnval", FNVAL), ("main·sysfnval", SYSFNVAL), ("main·gp", GP_VAR),
                ("main·gp2", G2_VAR), ("runtime·recovery·f", RECOVERY_FV),
                ("main·workerval", WORKER_FV), ("runtime·goexit0·f", GOEXIT0_FV),
                ("runtime·exitsyscall0·f", EXITSYSCALL0_FV), ("main·pkept", PKEPT),
                ("runtime·g0", G0), ("runtime·m0", M0), ("runtime·mainPC", MAINPC), ("_cgo_init", CGO_INIT),
                ("runtime·isIntel", IS_INTEL), ("runtime·processorVersionInfo", PROC_VERSION),
                ("bad_cpu_msg<>", BAD_CPU_MSG),
                ("runtime·gopreempt_m·f", GOPREEMPT_M_FV), ("runtime·preemptPark·f", PREEMPTPARK_FV))
# g.atomicstatus values (runtime2.go:36-95).
GIDLE, GRUNNABLE, GRUNNING, GWAITING, GCOPYSTACK = 0, 1, 2, 4, 8
GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")
MASK = (1 << 64) - 1


def off(struct: str, dotted: str) -> int:
    """Offset of a dotted field: `sched.pc`, `stack.lo`, `morebuf.g`."""
    head, _, rest = dotted.partition(".")
    o = offsetof(struct, head)
    if rest:
        sub = {"stack": "stack", "sched": "gobuf", "morebuf": "gobuf"}[head]
        o += offsetof(sub, rest)
    return o


def after_call(img: Image, func: str, target: str, n: int = 1) -> int:
    """Address right after the n-th `CALL target(SB)` (or `CALL reg` if target is a register)."""
    seen = 0
    for p in img.function_placed(func):
        ops = p.ins.operands
        if p.ins.mnemonic == "CALL" and ops and target in (getattr(ops[0], "symbol", None),
                                                           getattr(ops[0], "name", None)):
            seen += 1
            if seen == n:
                return p.address + len(p.data)
    raise LookupError(f"{func} has no CALL {target} #{n}")


def last_of(img: Image, func: str) -> int:
    return [p for p in img.function_placed(func) if p.data][-1].address


@dataclass
class Ctx:
    """What a builder fills in: memory words, registers, stop points, stacks. Mutable, local."""

    p: dict
    img: Image
    routine: str = ""
    preset: str = ""
    mem: dict[int, int] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    regs: dict[str, int] = field(default_factory=dict)
    arrive: dict[int, tuple[str, str]] = field(default_factory=dict)
    leave: dict[int, tuple[str, str]] = field(default_factory=dict)
    stacks: dict[str, tuple[int, int]] = field(default_factory=dict)  # every stack that exists
    shown: tuple[str, ...] = ()  # the stacks a picture shows, left to right
    fs_base: int | None = None  # FS base at the start (None: &m0.tls[0] + 8, as after settls)
    cpuid: dict = field(default_factory=dict)  # leaf -> (eax, ebx, ecx, edx); empty: Unicorn's own CPU
    altstack: tuple[int, int, int] = (0, 0, 2)  # the thread's sigaltstack: ss_sp, ss_size, ss_flags
    signals: list = field(default_factory=list)  # kernel.Signal: what the kernel delivers, when
    end_on_resume: bool = False  # end the run where rt_sigreturn resumes the interrupted code

    def sym(self, name: str) -> int:
        return self.img.symbols[name]

    def put(self, base: int, struct: str, dotted: str, value: int) -> None:
        self.mem[base + off(struct, dotted)] = value & MASK

    def get(self, base: int, struct: str, dotted: str) -> int:
        return self.mem.get(base + off(struct, dotted), 0)

    def word(self, addr: int, value: int, role: str = "") -> None:
        self.mem[addr] = value & MASK
        if role:
            self.roles[addr] = role

    def after_call(self, func: str, target: str, n: int = 1) -> int:
        return after_call(self.img, func, target, n)

    def gobuf(self, owner: str, /, **fields: int) -> None:
        """Set fields of owner.sched (sp, pc, g, ctxt, ret, lr, bp)."""
        for k, v in fields.items():
            self.put(G_ADDR[owner], "g", f"sched.{k}", v)

    def status(self, g: str, value: int) -> None:
        self.put(G_ADDR[g], "g", "atomicstatus", value)

    def set_stack(self, g: str, lo: int, hi: int, owner: str | None = None) -> None:
        """Give g a stack [lo, hi) with stackguard0 = lo + _StackGuard (stack.go:927, proc.go:4082)."""
        self.stacks[owner or g] = (lo, hi)
        addr = G_ADDR[g]
        self.put(addr, "g", "stack.lo", lo)
        self.put(addr, "g", "stack.hi", hi)
        self.put(addr, "g", "stackguard0", lo + STACK_GUARD)

    def caller_frame(self, sp: int, ret: int, arg: int) -> int:
        """A Go caller's frame above `sp`, sketched; returns its frame pointer (the default BP)."""
        goexit_ret = self.sym("runtime·goexit") + 1  # PCQuantum (proc.go:4149)
        self.word(sp, ret, "return address")
        self.word(sp + 0x08, arg, "argument / spill slot")
        # The stand-in callers (main·caller, main·syscaller) have no prologue: these two words are
        # where a compiled caller's frame would keep them, drawn as a sketch (the book's simplification).
        self.word(sp + 0x10, 0, "sketch: caller local")
        self.word(sp + 0x18, 0, "sketch: saved BP")  # the goroutine's top frame: no caller BP
        self.word(sp + 0x20, goexit_ret, "return address")
        return sp + 0x18


def core(p: dict, img: Image, routine: str = "", preset: str = "") -> Ctx:
    """m0, its TLS, the g objects with their stacks and g0.sched as mstart1 left it."""
    c = Ctx(p, img, routine, preset)
    cur = p["current"]
    cur_g = G_ADDR[cur]
    lo0, hi0 = STACKS["g0"]
    g0_sp = p["g0_sched_sp"] if p["g0_sched_sp"] is not None else hi0 - G0_SCHED_DEPTH

    c.put(M0, "m", "g0", G0)
    c.put(M0, "m", "procid", 1)
    c.put(M0, "m", "gsignal", GSIGNAL)
    c.put(M0, "m", "curg", G)
    tls0 = M0 + offsetof("m", "tls")
    c.mem[tls0] = cur_g

    for name, addr in G_ADDR.items():
        lo, hi = STACKS[name]
        c.set_stack(name, lo, hi)
        c.put(addr, "g", "stackguard1", lo + STACK_GUARD if name in ("g0", "gsignal") else MASK)
        c.put(addr, "g", "m", M0)
        c.put(addr, "g", "goid", GOID[name])
        c.put(addr, "g", "sched.g", addr)  # set once when the g is made (newproc1, malg)
    # Statuses: the goroutine on this M runs; g2 waits unless it is the one running.
    c.status("g", GRUNNING)
    c.status("g2", GRUNNING if cur == "g2" else GWAITING)
    # g0.sched as mstart1 left it: pc is mstart0's return point, sp its caller's SP.
    mstart0_ret = c.after_call("runtime·mstart0", "runtime·mstart1")
    c.gobuf("g0", sp=g0_sp, pc=mstart0_ret)
    c.word(g0_sp, c.after_call("runtime·mstart", "runtime·mstart0"), "return address")
    c.word(g0_sp - 8, mstart0_ret, "stale: mstart1's return")
    c.gobuf("g", ctxt=p["sched_ctxt"])

    c.mem[FNVAL] = c.sym("main·gogo_back") if p["fn"] == "park" else c.sym("main·fn_returns")
    c.mem[SYSFNVAL] = c.sym("main·sysfn")
    c.mem[GP_VAR] = G
    c.mem[G2_VAR] = G2
    c.mem[RECOVERY_FV] = c.sym("runtime·recovery")
    c.mem[WORKER_FV] = c.sym("main·worker")
    c.mem[GOPREEMPT_M_FV] = c.sym("runtime·gopreempt_m")
    c.mem[PREEMPTPARK_FV] = c.sym("runtime·preemptPark")

    c.regs = {r: 0 for r in GPRS}
    events = ("badmcall", "badmcall2", "badsystemstack", "newstack", "badmorestackg0",
              "badmorestackgsignal")
    for e in events:
        c.arrive[c.sym(f"runtime·{e}.abiinternal")] = ("event", e)
    c.arrive[c.sym("runtime·mexit")] = ("event", "mexit")
    c.arrive[c.sym("runtime·goexit") + 1] = ("event", "goexit")
    c.shown = ("g" if cur == "g0" else cur, "g0")
    # minit's minitSignalStack: the thread's sigaltstack is gsignal's stack (signal_unix.go).
    lo_s, hi_s = STACKS["gsignal"]
    c.altstack = (lo_s, hi_s - lo_s, 0)
    return c


def g0_sp(c: Ctx) -> int:
    return c.get(G0, "g", "sched.sp")


def default_sp(c: Ctx) -> int:
    """Entry SP when the scenario does not say: 0x80 below the current stack's top (or g0.sched.sp)."""
    cur = c.p["current"]
    return (g0_sp(c) if cur == "g0" else STACKS[cur][1]) - 0x80


def pick(v: int | None, default: int) -> int:
    return default if v is None else v
