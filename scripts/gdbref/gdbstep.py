"""Runs inside gdb: single-step one runtime routine of a real Go program and write what it did.

Started by record.py as `gdb -nx -batch -x gdbstep.py BINARY` with the environment variables
GDBREF_PRESET ("routine.preset"), GDBREF_OUT (the JSON file to write) and GDBREF_NM (the
binary's symbol table, `go tool nm -n -size` output). Not meant to be run by hand.

A recording is a list of steps. Each step is one executed instruction: its pc, symbol+offset,
bytes and Intel text, then the general registers, rflags, FS base and TLS g that changed
(after the instruction), and the memory words that changed. Memory is compared over the
words the routines use (g.sched, g0.sched, m.morebuf, m.curg, m.g0, m.gsignal, the stacks'
bounds) and windows around SP and around every register that points into a known stack.
Long Go functions the book does not run are skipped with a breakpoint: the step list then
holds a {"skipped": ...} entry saying what ran in between and what it changed.
"""
from __future__ import annotations

import bisect
import json
import os
import re
import struct
import sys

import gdb  # type: ignore[import-not-found]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from presets import find  # noqa: E402

REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
MASK = (1 << 64) - 1
STACK_PREEMPT = 0xFFFFFFFFFFFFFADE  # uintptrMask & -1314
MAX_STEPS = 5000
# Symbols every reference names, so tests can express PCs and values through them.
KNOWN = ("runtime.mcall", "runtime.gogo", "gogo", "runtime.systemstack", "runtime.systemstack_switch",
         "gosave_systemstack_switch", "runtime.goexit", "runtime.goexit1", "runtime.goexit0", "runtime.morestack",
         "runtime.morestack_noctxt", "runtime.newstack", "runtime.gopreempt_m", "runtime.gosched_m",
         "runtime.recovery", "runtime.deferproc", "runtime.deferreturn", "runtime.asyncPreempt",
         "runtime.asyncPreempt2", "runtime.sigtramp", "runtime.sigtrampgo", "runtime.sigreturn",
         "runtime.asmcgocall", "runtime.cgocallback", "runtime.cgocallbackg", "crosscall2", "runtime.rt0_go",
         "_rt0_amd64_linux", "runtime.settls", "runtime.mstart", "runtime.mstart0", "runtime.mstart1",
         "runtime.asminit", "runtime.g0", "runtime.m0", "main.worker")

# Go 1.18/1.19 linux/amd64 offsets (FACTS.md)
G_FIELDS = (("stack.lo", 0), ("stack.hi", 8), ("stackguard0", 16), ("stackguard1", 24),
            ("_panic", 32), ("_defer", 40), ("m", 48))
GOBUF = ("sp", "pc", "g", "ctxt", "ret", "lr", "bp")
G_SCHED = 56
M_FIELDS = (("g0", 0), ("procid", 72), ("gsignal", 80), ("tls[0]", 136), ("mstartfn", 184),
            ("curg", 192))
M_MOREBUF = 8
UC_RIP = 40 + 16 * 8  # ucontext: uc_mcontext at 40, gregs[REG_RIP = 16]
UC_RSP = 40 + 15 * 8


def hx(v: int | None) -> str | None:
    return None if v is None else hex(v)


class Symbols:
    """The binary's symbol table, from `go tool nm -n -size`."""

    def __init__(self, path: str) -> None:
        rows = []
        for line in open(path):
            parts = line.split()
            if len(parts) < 4 or parts[2] not in "TtRrDdBb":
                continue
            rows.append((int(parts[0], 16), int(parts[1]), parts[2], " ".join(parts[3:])))
        rows.sort()
        self.rows = [r for r in rows if r[2] in "Tt"]
        self.starts = [r[0] for r in self.rows]
        self.by_name = {r[3]: r[0] for r in rows}
        data = [(r[0], r[0] + r[1]) for r in rows if r[2] in "RrDdBb"]
        self.data = (min(a for a, _ in data), max(b for _, b in data))  # the binary's data, rodata and bss

    def addr(self, name: str) -> int:
        """The address of name, or of its ABI0 symbol (name.abi0) when only that exists."""
        for n in (name, name + ".abi0"):
            if n in self.by_name:
                return self.by_name[n]
        raise KeyError(name)

    def name_of(self, name: str) -> str:
        return name if name in self.by_name else name + ".abi0"

    def lookup(self, pc: int) -> tuple[str, int] | None:
        i = bisect.bisect_right(self.starts, pc) - 1
        if i < 0:
            return None
        start, size, _, name = self.rows[i]
        if pc >= start + max(size, 1) and not (i + 1 < len(self.rows) and pc < self.rows[i + 1][0]):
            return None
        return name, pc - start

    def sym(self, pc: int) -> str:
        hit = self.lookup(pc)
        if hit is None:
            return hex(pc)
        return f"{hit[0]}+{hit[1]:#x}"

    def func_start(self, pc: int) -> int:
        hit = self.lookup(pc)
        assert hit is not None, hex(pc)
        return pc - hit[1]


# ---------------------------------------------------------------- gdb access

def frame():
    return gdb.selected_frame()


def reg(name: str) -> int:
    return int(frame().read_register(name)) & MASK


def read_bytes(addr: int, n: int) -> bytes | None:
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, n))
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        return None


def word(addr: int) -> int | None:
    if addr < 0 or addr > MASK - 8:
        return None
    b = read_bytes(addr, 8)
    return None if b is None else struct.unpack("<Q", b)[0]


def must_word(addr: int) -> int:
    w = word(addr)
    assert w is not None, hex(addr)
    return w


class Retry(Exception):
    """The program took another path than the preset's (e.g. sysmon preempted it meanwhile)."""


class Recorder:
    def __init__(self) -> None:
        self.preset = find(os.environ["GDBREF_PRESET"])
        self.out = os.environ["GDBREF_OUT"]
        self.syms = Symbols(os.environ["GDBREF_NM"])
        self.last_signal: str | None = None
        gdb.events.stop.connect(self._on_stop)
        for cmd in ("set pagination off", "set confirm off", "set width 0", "set print thread-events off",
                    "set disassembly-flavor intel", "handle SIGURG nostop noprint pass",
                    "handle SIGUSR1 nostop noprint pass", "handle SIGPIPE nostop noprint pass"):
            gdb.execute(cmd, to_string=True)
        gdb.execute("set args " + self.preset.mode, to_string=True)
        for k, v in self.preset.env:
            gdb.execute(f"set environment {k}={v}" if v else f"unset environment {k}", to_string=True)
        self.tls_off = self._tls_offset()
        self.steps: list[dict] = []
        self.watch: dict[int, str] = {}
        self.regions: list[tuple[int, int]] = []
        self.stacks: list[tuple[str, int, int]] = []
        self.structures: dict[str, int] = {}
        self.header: dict = {}
        self.skips: dict[int, tuple] = {}
        self.started = False
        self.structures_at_end: dict[str, int] = {}

    # ---- setup helpers

    def _on_stop(self, event) -> None:
        self.last_signal = getattr(event, "stop_signal", None)

    def _tls_offset(self) -> int:
        """FS-relative offset of g, read from gogo<>'s first instruction (mov fs:[off], rdx)."""
        import subprocess
        out = subprocess.run(["objdump", "-d", "-M", "intel", "--no-show-raw-insn",
                              f"--start-address={self.syms.addr('gogo'):#x}",
                              f"--stop-address={self.syms.addr('gogo') + 16:#x}", gdb.current_progspace().filename],
                             capture_output=True, text=True, check=True).stdout
        m = re.search(r"fs:0x([0-9a-f]+),rdx", out)
        assert m, out
        off = int(m.group(1), 16)
        return off - (1 << 64) if off >> 63 else off

    def tls_g(self) -> int | None:
        fs = reg("fs_base")
        return word(fs + self.tls_off) if fs else None

    def g_of_thread(self) -> tuple[int, int, int] | None:
        """(g, m, g0) of the selected thread, from TLS."""
        g = self.tls_g()
        if not g:
            return None
        m = word(g + 48)
        if not m:
            return None
        g0 = word(m)
        return (g, m, g0) if g0 else None

    # ---- breakpoints

    def run_until(self, addr: int, pred=lambda: True, start: bool = False, fail: dict[int, object] | None = None
                  ) -> None:
        """Run (start=True) or continue until the program reaches addr with pred() true.

        Reaching an address in fail (where its predicate holds) first means the run took another
        path than the preset's: Retry, so that record.py runs the program again.
        """
        outer = self

        class Bp(gdb.Breakpoint):
            def __init__(self, at: int, p) -> None:
                super().__init__(f"*{at:#x}", internal=True)
                self.p = p

            def stop(self) -> bool:
                try:
                    return bool(self.p())
                except Exception as e:  # a predicate that cannot read memory is false
                    outer.pred_error = repr(e)
                    return False

        bps = [Bp(addr, pred)] + [Bp(a, p) for a, p in (fail or {}).items()]
        try:
            gdb.execute("run" if start else "continue", to_string=True)
        finally:
            for bp in bps:
                bp.delete()
        pc = reg("rip")
        if fail and pc in fail and pc != addr:
            raise Retry(f"reached {self.syms.sym(pc)} before {self.syms.sym(addr)}")
        assert pc == addr, f"stopped at {self.syms.sym(pc)}, wanted {self.syms.sym(addr)}"

    def run_until_signal(self, signame: str, pred) -> None:
        """Continue until signame is reported in a thread where pred() holds (passing the others)."""
        gdb.execute(f"handle {signame} stop print pass", to_string=True)
        for _ in range(10000):
            self.last_signal = None
            gdb.execute("continue", to_string=True)
            if self.last_signal == signame and pred():
                return
        raise AssertionError(f"no {signame} where wanted")

    # ---- the world

    def begin(self, *, g: int | None, m: int, g0: int, extra_regions: tuple[tuple[int, int], ...] = (),
              **symbols: int) -> None:
        """Fix the structures whose words are watched and labelled, and take the first snapshot."""
        gdb.execute("set scheduler-locking step", to_string=True)
        gdb.execute("handle SIGURG nostop noprint nopass", to_string=True)
        gdb.execute("handle SIGUSR1 nostop noprint pass", to_string=True)  # a pending one is still delivered
        self.extra_regions = extra_regions
        self.named_symbols = {k: v for k, v in symbols.items()}
        self._structures(g, m, g0)
        self.initial = self.snapshot_regs()
        self.started = True

    def _structures(self, g: int | None, m: int, g0: int) -> None:
        gsignal = word(m + 80) or 0
        st: dict[str, int] = {"m": m, "g0": g0}
        if g is not None and g != g0:
            st["g"] = g
        if gsignal:
            st["gsignal"] = gsignal
        watch: dict[int, str] = {}
        stacks = []
        for name in ("g", "g0", "gsignal"):
            base = st.get(name)
            if not base:
                continue
            for f, off in G_FIELDS:
                watch[base + off] = f"{name}.{f}"
            for i, f in enumerate(GOBUF):
                watch[base + G_SCHED + 8 * i] = f"{name}.sched.{f}"
            lo, hi = word(base) or 0, word(base + 8) or 0
            st[f"{name}.stack.lo"], st[f"{name}.stack.hi"] = lo, hi
            if hi > lo:
                stacks.append((name, lo, hi))
        for f, off in M_FIELDS:
            watch[m + off] = f"m.{f}"
        for i, f in enumerate(GOBUF):
            watch[m + M_MOREBUF + 8 * i] = f"m.morebuf.{f}"
        self.structures, self.watch, self.stacks = st, watch, stacks

    def label(self, addr: int) -> str:
        if addr in self.watch:
            return self.watch[addr]
        for name, lo, hi in self.stacks:
            if lo <= addr < hi:
                return f"{name}.stack.hi-{hi - addr:#x}"
        return hex(addr)

    def snapshot_regs(self) -> dict[str, int | None]:
        r: dict[str, int | None] = {n: reg(n) for n in REGS}
        r["rip"] = reg("rip")
        r["eflags"] = reg("eflags")
        r["fs_base"] = reg("fs_base")
        r["tls_g"] = self.tls_g()
        return r

    def regions_for(self, r: dict) -> list[tuple[int, int]]:
        """Address ranges to compare across a step: SP's window, register-pointed stack words, extras."""
        spans = [(r["rsp"] - 0x100, r["rsp"] + 0x200)]
        known = self.stacks + [("sp", r["rsp"] - 0x4000, r["rsp"] + 0x4000)]
        for n in REGS:
            v = r[n]
            if v is not None and any(lo - 0x100 <= v < hi + 0x100 for _, lo, hi in known):
                spans.append((v - 0x40, v + 0x48))
            elif v is not None and self.syms.data[0] <= v < self.syms.data[1]:  # e.g. a funcval
                spans.append((v, v + 16))
        spans += list(self.extra_regions)
        spans = sorted((a & ~7, (b + 7) & ~7) for a, b in spans if 0 < a < b < MASK)
        merged: list[list[int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return [(a, b) for a, b in merged]

    def read_words(self, regions: list[tuple[int, int]]) -> dict[int, int]:
        vals: dict[int, int] = {}
        for a, b in regions:
            data = read_bytes(a, b - a)
            if data is None:  # partly unmapped: word by word
                for x in range(a, b, 8):
                    w = word(x)
                    if w is not None:
                        vals[x] = w
                continue
            for i, (w,) in enumerate(struct.iter_unpack("<Q", data)):
                vals[a + 8 * i] = w
        for addr in self.watch:
            w = word(addr)
            if w is not None:
                vals[addr] = w
        return vals

    @staticmethod
    def reg_changes(before: dict, after: dict) -> dict[str, str | None]:
        return {k: hx(v) for k, v in after.items() if k != "rip" and before.get(k) != v}

    def mem_changes(self, before: dict[int, int], after: dict[int, int]) -> list[list]:
        out = []
        for addr in sorted(before):
            if addr in after and after[addr] != before[addr]:
                out.append([hex(addr), self.label(addr), hex(before[addr]), hex(after[addr])])
        return out

    # ---- stepping

    def _seen(self, mem_b: dict[int, int]) -> list[list]:
        """Words compared for the first time (or changed behind our back): their values before the step."""
        out = []
        for a in sorted(mem_b):
            if self.known.get(a) != mem_b[a]:
                out.append([hex(a), self.label(a), hex(mem_b[a])])
                self.known[a] = mem_b[a]
        return out

    def stepi(self, kernel: str | None = None) -> dict:
        """Execute one instruction (or let the kernel deliver a pending signal) and record it."""
        before = self.snapshot_regs()
        pc = before["rip"]
        regions = self.regions_for(before)
        mem_b = self.read_words(regions)
        step: dict = {"pc": hex(pc), "sym": self.syms.sym(pc)}
        if kernel is None:
            insn = frame().architecture().disassemble(pc)[0]
            step["bytes"] = (read_bytes(pc, insn["length"]) or b"").hex()
            step["asm"] = re.sub(r"\s+", " ", insn["asm"]).strip()
        else:
            step["kernel"] = kernel
        self.last_signal = None
        gdb.execute("stepi", to_string=True)
        after = self.snapshot_regs()
        # (a signal frame lands in gsignal's top 4 KiB: the sigtramp presets compare it at every step)
        mem_a = self.read_words(regions)
        seen = self._seen(mem_b)
        if seen:
            step["seen"] = seen
        step["regs"] = self.reg_changes(before, after)
        step["mem"] = self.mem_changes(mem_b, mem_a)
        self.known.update(mem_a)
        if self.last_signal not in (None, "SIGTRAP"):
            step["signal"] = self.last_signal
        self.steps.append(step)
        return after

    def skip(self, what: str, to: int, pred=lambda: True, fail: dict[int, object] | None = None) -> None:
        """Run to `to` (where pred holds) with breakpoints, recording the skip and its effects."""
        before = self.snapshot_regs()
        regions = self.regions_for(before)
        seen = self._seen(self.read_words(regions))
        gdb.execute("set scheduler-locking off", to_string=True)
        self.run_until(to, pred, fail=fail)
        gdb.execute("set scheduler-locking step", to_string=True)
        after = self.snapshot_regs()
        mem_b = dict(self.known)
        mem_a = {a: w for a in mem_b if (w := word(a)) is not None}
        self.steps.append({"skipped": {"from": hex(before["rip"]), "from_sym": self.syms.sym(before["rip"]),
                                       "to": hex(after["rip"]), "to_sym": self.syms.sym(after["rip"]),
                                       "what": what}, **({"seen": seen} if seen else {}),
                           "regs": self.reg_changes(before, after), "mem": self.mem_changes(mem_b, mem_a)})
        self.known.update(mem_a)

    def skip_return(self, what: str) -> None:
        """At a function's entry: run until it returns to [SP] with SP + 8."""
        sp = reg("rsp")
        ret = must_word(sp)
        self.skip(what, ret, lambda: reg("rsp") == sp + 8)

    def record(self, stop, skips: dict[int, object] | None = None, why: str = "") -> None:
        """Step until stop(regs) is true; at a pc in skips call skips[pc]() instead of stepping."""
        skips = skips or {}
        r = self.snapshot_regs()
        for _ in range(MAX_STEPS):
            if stop(r):
                insn = frame().architecture().disassemble(r["rip"])[0]
                self.end = {"pc": hex(r["rip"]), "sym": self.syms.sym(r["rip"]), "why": why,
                            "bytes": (read_bytes(r["rip"], insn["length"]) or b"").hex(),
                            "asm": re.sub(r"\s+", " ", insn["asm"]).strip()}
                return
            if r["rip"] in skips:
                skips[r["rip"]]()
                r = self.snapshot_regs()
            else:
                r = self.stepi()
        self.end = {"pc": hex(r["rip"]), "sym": self.syms.sym(r["rip"]), "why": f"step limit {MAX_STEPS}"}

    def write(self) -> None:
        used = {n: self.syms.by_name[n] for k in KNOWN for n in (k, k + ".abi0") if n in self.syms.by_name}
        pcs = [int(s["pc"], 16) for s in self.steps if "pc" in s] + [int(self.end["pc"], 16)]
        pcs += [int(s["skipped"][k], 16) for s in self.steps if "skipped" in s for k in ("from", "to")]
        for pc in pcs:
            hit = self.syms.lookup(pc)
            if hit:
                used[hit[0]] = self.syms.by_name[hit[0]]
        used.update(self.named_symbols)
        doc = {
            "routine": self.preset.routine,
            "preset": self.preset.preset,
            "title": self.preset.title,
            "header": dict(self.header, tls_offset=self.tls_off),
            "structures": {k: hex(v) for k, v in self.structures.items()},
            **({"structures_at_end": {k: hex(v) for k, v in self.structures_at_end.items()}}
               if self.structures_at_end else {}),
            "symbols": {k: hex(v) for k, v in sorted(used.items(), key=lambda kv: kv[1])},
            "initial": {"regs": {k: hx(v) for k, v in self.initial.items()},
                        "mem": [[hex(a), self.label(a), hex(v)] for a, v in sorted(self.read_initial.items())]},
            "steps": self.steps,
            "end": self.end,
        }
        with open(self.out, "w") as f:
            json.dump(doc, f)

    def remember_initial_memory(self) -> None:
        self.read_initial = self.read_words(self.regions_for(self.initial))
        self.known = dict(self.read_initial)


# ---------------------------------------------------------------- presets

def stop_at(addr: int, sp: int | None = None):
    return lambda r: r["rip"] == addr and (sp is None or r["rsp"] == sp)


def gobuf_arg() -> int:
    """gogo's argument (ABI0: at 8(SP))."""
    return must_word(reg("rsp") + 8)


def main() -> None:
    rec = Recorder()
    S = rec.syms.addr
    p = rec.preset
    name = p.name

    def start_on_anchor(anchor: str) -> tuple[int, int, int]:
        rec.run_until(S(anchor), start=True)
        got = rec.g_of_thread()
        assert got
        return got

    if name == "mcall.normal" or name == "mcall.recovery":
        g, m, g0 = start_on_anchor("main.anchorGosched" if name == "mcall.normal" else "main.recoverOpen")
        want = S("runtime.gosched_m" if name == "mcall.normal" else "runtime.recovery")
        rec.run_until(S("runtime.mcall"), lambda: rec.tls_g() == g and word(reg("rax")) == want)
        fn = must_word(reg("rax"))
        rec.begin(g=g, m=m, g0=g0, fn=reg("rax"))
        rec.remember_initial_memory()
        rec.record(stop_at(fn), why="fn's entry on g0's stack: the switch is complete")
    elif name == "systemstack.normal":
        g, m, g0 = start_on_anchor("main.anchorStack")
        rec.run_until(S("runtime.systemstack"), lambda: rec.tls_g() == g)
        sp = reg("rsp")
        fnv = must_word(sp + 8)
        fn = must_word(fnv)
        rec.begin(g=g, m=m, g0=g0, fn=fnv)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(sp), sp + 8),
                   {fn: lambda: rec.skip_return(f"fn ({rec.syms.sym(fn)}) runs on g0's stack and returns")},
                   why="systemstack returned to its caller on g's stack")
    elif name == "systemstack.on_g0":
        def on_g0() -> bool:
            t = rec.g_of_thread()
            return bool(t) and t[0] == t[2]
        rec.run_until(S("runtime.systemstack"), on_g0, start=True)
        g0, m, _ = rec.g_of_thread()
        sp = reg("rsp")
        fnv = must_word(sp + 8)
        fn = must_word(fnv)
        rec.begin(g=None, m=m, g0=g0, fn=fnv)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(sp), sp + 8),
                   {fn: lambda: rec.skip_return(f"fn ({rec.syms.sym(fn)}) runs, tail-called, on g0's stack")},
                   why="fn returned straight to systemstack's caller")
    elif name == "gogo.normal":
        g, m, g0 = start_on_anchor("main.anchorGosched")
        rec.run_until(S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g)
        buf = gobuf_arg()
        rec.begin(g=g, m=m, g0=g0, gobuf=buf)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(buf + 8)), why="gobuf.pc reached: g runs again on its own stack")
    elif name == "gogo.newg":
        rec.run_until(S("runtime.gogo"), lambda: word(gobuf_arg() + 8) == S("main.worker"), start=True)
        buf = gobuf_arg()
        g = must_word(buf + 16)
        m = must_word(rec.tls_g() + 48)
        rec.begin(g=g, m=m, g0=must_word(m), gobuf=buf)
        rec.remember_initial_memory()
        rec.record(stop_at(S("main.worker")), why="the new goroutine's function's entry")
    elif name == "gogo.g0":
        def to_g0() -> bool:  # goexit0 of a goroutine still locked to its thread: gogo(&g0.sched)
            t = rec.g_of_thread()
            return bool(t) and t[0] == t[2] and gobuf_arg() == t[2] + G_SCHED
        rec.run_until(S("main.lockedWorker"), start=True)
        rec.run_until(S("runtime.gogo"), to_g0)
        g, m, g0 = rec.g_of_thread()
        buf = gobuf_arg()
        rec.begin(g=g0, m=m, g0=g0, gobuf=buf)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(buf + 8)), why="g0.sched.pc reached: back in mstart0, after its call to mstart1")
    elif name in ("gogo.recover", "gogo.recover_open"):
        anchor = "main.recoverLoop" if name == "gogo.recover" else "main.recoverOpen"
        g, m, g0 = start_on_anchor(anchor)
        rec.run_until(S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g and word(gobuf_arg() + 32) == 1)
        buf = gobuf_arg()
        target = must_word(buf + 8)
        rec.begin(g=g, m=m, g0=g0, gobuf=buf, **{anchor: S(anchor)})
        rec.remember_initial_memory()
        if name == "gogo.recover":  # then deferproc's caller tests AX (= 1) and branches
            seen = []

            def stop(r):
                if seen:
                    seen.append(r["rip"])
                elif r["rip"] == target:
                    seen.append(target)
                return len(seen) == 3
            rec.record(stop, why="gobuf.pc (after CALL deferproc) reached; TESTL AX, AX and the branch ran")
        else:
            rec.record(stop_at(target), why="gobuf.pc reached: the frame's CALL runtime.deferreturn")
    elif name in ("morestack.normal", "morestack.preempt", "morestack.closure"):
        preempt = name == "morestack.preempt"
        if name == "morestack.closure":
            g, m, g0 = start_on_anchor("main.anchorGrowClosure")
            rec.run_until(S("runtime.morestack"),
                          lambda: rec.tls_g() == g and word(g + 16) != STACK_PREEMPT
                          and rec.syms.func_start(must_word(reg("rsp"))) == S("main.anchorGrowClosure.func1"))
        elif preempt:
            def pred():
                t = rec.g_of_thread()
                return (bool(t) and t[0] != t[2] and word(t[0] + 16) == STACK_PREEMPT
                        and rec.syms.func_start(must_word(reg("rsp"))) == S("main.leaf"))
            rec.run_until(S("runtime.morestack_noctxt"), pred, start=True)
            g, m, g0 = rec.g_of_thread()
        else:
            g, m, g0 = start_on_anchor("main.anchorGrow")
            rec.run_until(S("runtime.morestack_noctxt"),
                          lambda: rec.tls_g() == g and word(g + 16) != STACK_PREEMPT
                          and rec.syms.func_start(must_word(reg("rsp"))) == S("main.grow"))
        f_entry = rec.syms.func_start(must_word(reg("rsp")))
        rec.begin(g=g, m=m, g0=g0, f=f_entry)
        rec.remember_initial_memory()

        def to_gogo(what: str):
            return lambda: rec.skip(what, S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g)
        if preempt:
            skips = {S("runtime.newstack"): lambda: rec.skip(
                         "newstack sees stackguard0 == stackPreempt and, without growing the stack, calls gopreempt_m",
                         S("runtime.gopreempt_m"), lambda: rec.tls_g() == g0),
                     S("runtime.gopreempt_m"): to_gogo(
                         "gopreempt_m -> goschedImpl puts g on the global run queue; schedule -> execute picks it "
                         "again and calls gogo(&g.sched)")}
        else:
            # sysmon may set stackPreempt while gdb holds the program: then newstack preempts instead
            # of growing, and the run is retried
            preempted = {S("runtime.gopreempt_m"): lambda: rec.tls_g() == g0}
            skips = {S("runtime.newstack"): lambda: rec.skip(
                         "newstack finds the stack too small and calls copystack with twice its size",
                         S("runtime.copystack"), lambda: rec.tls_g() == g0, fail=preempted),
                     S("runtime.copystack"): lambda: rec.skip(
                         "copystack allocates the new stack, copies and adjusts the frames, moves g.sched.sp "
                         "and g.stack; newstack then calls gogo(&g.sched)",
                         S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g, fail=preempted)}
        rec.record(stop_at(f_entry), skips, why="the function's entry again: its prologue restarts on the new stack")
    elif name == "goexit.normal":
        rec.run_until(S("main.worker"), start=True)
        g, m, g0 = rec.g_of_thread()
        rec.begin(g=g, m=m, g0=g0)
        rec.remember_initial_memory()
        rec.record(stop_at(S("runtime.goexit0")), why="goexit0's entry on g0's stack (mcall(goexit0))")
    elif name == "asyncPreempt.normal":
        def pred():
            t = rec.g_of_thread()
            return bool(t) and t[0] != t[2]
        rec.run_until(S("runtime.asyncPreempt"), pred, start=True)
        g, m, g0 = rec.g_of_thread()
        sp = reg("rsp")
        rec.begin(g=g, m=m, g0=g0)
        rec.remember_initial_memory()
        to_gogo = lambda: rec.skip(  # noqa: E731
            "gopreempt_m -> goschedImpl puts g on the global run queue; schedule -> execute picks it again "
            "and calls gogo(&g.sched)", S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g)
        rec.record(stop_at(must_word(sp), sp + 8), {S("runtime.gopreempt_m"): to_gogo},
                   why="asyncPreempt returned to the interrupted PC with every register restored")
    elif name == "asyncPreempt.signal":
        def in_spin() -> bool:  # SIGURG reported on the spinning goroutine's thread, in main.spin
            t = rec.g_of_thread()
            hit = rec.syms.lookup(reg("rip"))
            return bool(t) and t[0] != t[2] and t[0] != word(t[1] + 80) and bool(hit) and hit[0] == "main.spin"
        rec.run_until(S("main.spin"), start=True)
        rec.run_until_signal("SIGURG", in_spin)
        g, m, g0 = rec.g_of_thread()
        hi = must_word(must_word(m + 80) + 8)  # gsignal.stack.hi
        pc, sp = reg("rip"), reg("rsp")
        rec.begin(g=g, m=m, g0=g0, extra_regions=((hi - 0x1000, hi),))
        rec.remember_initial_memory()

        def deliver():  # begin() made gdb drop SIGURGs: pass this one, drop any later ones
            gdb.execute("handle SIGURG nostop noprint pass", to_string=True)
            rec.stepi(kernel="signal SIGURG delivered: the kernel builds rt_sigframe on the sigaltstack "
                             "and enters the handler")
            gdb.execute("handle SIGURG nostop noprint nopass", to_string=True)

        def resumed():  # after rt_sigreturn: asyncPreempt, or the interrupted PC if the signal preempted nothing
            at = rec.syms.sym(reg("rip"))
            if rec.steps and rec.steps[-1].get("bytes") == "0f05" and not at.startswith("runtime.asyncPreempt"):
                raise Retry(f"rt_sigreturn resumed at {at}: this SIGURG did not inject asyncPreempt")
            return False
        to_gogo = lambda: rec.skip(  # noqa: E731
            "gopreempt_m -> goschedImpl puts g on the global run queue; schedule -> execute picks it again "
            "and calls gogo(&g.sched)", S("runtime.gogo"), lambda: word(gobuf_arg() + 16) == g)
        rec.record(lambda r: resumed() or (len(rec.steps) > 1 and r["rip"] == pc and r["rsp"] == sp),
                   {pc: deliver, S("runtime.gopreempt_m"): to_gogo,
                    S("runtime.sigtrampgo"): lambda: rec.skip_return(
                        "sigtrampgo (setg(gsignal); sighandler -> doSigPreempt: wantAsyncPreempt and "
                        "isAsyncSafePoint hold, so ctxt.pushCall(asyncPreempt) rewrites the ucontext; setg back)")},
                   why="asyncPreempt returned to the interrupted PC with every register restored")
    elif name in ("sigtramp.normal", "sigtramp.on_g0"):
        on_g0 = name == "sigtramp.on_g0"

        def pred():
            t = rec.g_of_thread()
            if not t:
                return False
            gs = word(t[1] + 80)
            return (t[0] == t[2]) if on_g0 else (t[0] != t[2] and t[0] != gs)
        rec.run_until(S("main.anchorKill"), start=True)
        rec.run_until_signal("SIGUSR1", pred)
        g, m, g0 = rec.g_of_thread()
        gsignal = must_word(m + 80)
        hi = must_word(gsignal + 8)
        rec.begin(g=g, m=m, g0=g0, extra_regions=((hi - 0x1000, hi),))
        rec.remember_initial_memory()

        def deliver():
            rec.stepi(kernel="signal SIGUSR1 delivered: the kernel builds rt_sigframe on the sigaltstack "
                             "and enters the handler")
            rec.header["xsave_room"] = hex(hi - reg("rsp"))
        rec.record(lambda r: r["rip"] == S("runtime.sigtramp"), {reg("rip"): deliver})
        entry_sp = reg("rsp")
        rec.header["gsignal.stack.hi - SP at sigtramp"] = hex(hi - entry_sp)
        restorer = must_word(entry_sp)

        def stop2(r):
            last = rec.steps[-1]
            return last.get("bytes") == "0f05" and rec.syms.func_start(int(last["pc"], 16)) == \
                rec.syms.func_start(restorer)
        rec.named_symbols["restorer"] = restorer
        rec.record(stop2, {S("runtime.sigtrampgo"): lambda: rec.skip_return(
            "sigtrampgo (setg(gsignal), sighandler: SIGUSR1 is queued for signal.Notify, setg back)")},
            why="rt_sigreturn resumed the interrupted context")
    elif name == "asmcgocall.normal":
        g, m, g0 = start_on_anchor("main.anchorAdd")
        rec.run_until(S("runtime.asmcgocall.abi0"), lambda: rec.tls_g() == g)
        sp = reg("rsp")
        fn = must_word(sp + 8)
        rec.begin(g=g, m=m, g0=g0, fn=fn)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(sp), sp + 8),
                   {fn: lambda: rec.skip_return(f"the C function ({rec.syms.sym(fn)}) runs on g0's stack")},
                   why="asmcgocall returned to cgocall on g's stack")
    elif name == "asmcgocall.on_g0":
        def on_g0() -> bool:  # newm1 -> asmcgocall(_cgo_thread_start, &ts), on the thread's g0 (proc.go:2161)
            t = rec.g_of_thread()
            return bool(t) and t[0] == t[2] and word(reg("rsp") + 8) == must_word(S("_cgo_thread_start"))
        rec.run_until(S("runtime.asmcgocall.abi0"), on_g0, start=True)
        g, m, g0 = rec.g_of_thread()
        sp = reg("rsp")
        fn = must_word(sp + 8)
        rec.begin(g=g0, m=m, g0=g0, fn=fn)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(sp), sp + 8),
                   {fn: lambda: rec.skip_return(f"the C function ({rec.syms.sym(fn)}: pthread_create for a new M) "
                                                "runs on g0's stack, where asmcgocall already was")},
                   why="asmcgocall returned to newm1 on g0's stack")
    elif name == "cgocallback.normal":
        g, m, g0 = start_on_anchor("main.anchorCallback")
        rec.run_until(S("runtime.cgocallback"), lambda: rec.tls_g() == g0)
        sp = reg("rsp")
        rec.begin(g=g, m=m, g0=g0)
        rec.remember_initial_memory()
        rec.record(stop_at(must_word(sp), sp + 8),
                   {S("runtime.cgocallbackg"): lambda: rec.skip_return(
                       "cgocallbackg (exitsyscall, the exported Go function, reentersyscall) on curg's stack")},
                   why="cgocallback returned to crosscall2 on the thread's stack")
    elif name == "rt0_go.normal":
        gdb.execute("starti", to_string=True)
        assert reg("rip") == S("_rt0_amd64_linux"), rec.syms.sym(reg("rip"))
        g0, m = S("runtime.g0"), S("runtime.m0")
        rec.begin(g=None, m=m, g0=g0)
        rec.remember_initial_memory()
        skips = {}
        for fn in ("runtime.check", "runtime.args", "runtime.osinit", "runtime.schedinit", "runtime.newproc"):
            skips[S(fn)] = (lambda fn=fn: rec.skip_return(f"{fn} (Go) runs on g0's stack and returns"))
        rec.record(stop_at(S("runtime.asminit")), skips,
                   why="mstart1 wrote g0.sched and calls asminit: g0.sched is what every later mcall/gogo uses")
        before = rec.structures
        rec._structures(None, m, g0)
        rec.structures_at_end, rec.structures = rec.structures, before
    else:
        raise SystemExit(f"no recipe for {name}")
    rec.write()
    gdb.execute("kill", to_string=True)


try:
    main()
except Retry as e:
    print(f"GDBREF-RETRY: {e}")
    gdb.execute("kill", to_string=True)
    sys.exit(3)
except Exception:
    import traceback
    traceback.print_exc()
    try:
        gdb.execute("kill", to_string=True)
    except gdb.error:
        pass
    sys.exit(1)
