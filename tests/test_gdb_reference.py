"""The gdb references of the real runtime (gosched_book/runtime/reference/*.json), checked without gdb.

Each file was recorded by scripts/gdbref/record.py from a real Go 1.19 program. These tests check
that every file parses, that its steps follow each other as the instructions' own bytes say
(decoded with iced-x86), that the memory it reports is consistent, and that the facts
../shared/go118/FACTS.md states about the real routines hold in the recorded data.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from iced_x86 import ConditionCode, Decoder, FlowControl, Mnemonic, OpKind, Register

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "gosched_book" / "runtime" / "reference"
_spec = importlib.util.spec_from_file_location("gdbref_presets", ROOT / "scripts" / "gdbref" / "presets.py")
presets = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = presets  # dataclasses look their module up there
_spec.loader.exec_module(presets)
NAMES = [p.name for p in presets.PRESETS]

GPR = {getattr(Register, n.upper()): n for n in
       ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
        "r15")}
CF, PF, ZF, SF, TF, OF = 0x1, 0x4, 0x40, 0x80, 0x100, 0x800
SYS_RT_SIGRETURN, SYS_ARCH_PRCTL, ARCH_SET_FS = 15, 158, 0x1002
UC_RSP, UC_RIP = 40 + 15 * 8, 40 + 16 * 8  # ucontext: uc_mcontext.gregs[REG_RSP], [REG_RIP]
SIGUSR1 = 10
# Go 1.18 struct offsets (FACTS.md)
G_SCHED, GOBUF = 0x38, dict(sp=0, pc=8, g=16, ctxt=24, ret=32, lr=40, bp=48)
M_MOREBUF, M_CURG, M_GSIGNAL = 0x8, 0xC0, 0x50


def h(v: str | None) -> int | None:
    return None if v is None else int(v, 16)


@dataclass
class State:
    regs: dict[str, int | None]
    mem: dict[int, int]


@dataclass
class Entry:
    """One recorded entry with the machine state before and after it."""
    raw: dict
    before: State
    after: State
    next_pc: int
    index: int

    @property
    def pc(self) -> int:
        return h(self.raw["pc"]) if "pc" in self.raw else h(self.raw["skipped"]["from"])

    @property
    def sym(self) -> str:
        return self.raw.get("sym") or self.raw["skipped"]["from_sym"]

    def writes(self) -> dict[str, tuple[int, int, int]]:
        """label -> (address, old, new) of the words this entry changed."""
        return {lab: (h(a), h(o), h(n)) for a, lab, o, n in self.raw["mem"]}


@dataclass
class Ref:
    name: str
    doc: dict
    entries: list[Entry] = field(default_factory=list)

    @property
    def st(self) -> dict[str, int]:
        return {k: h(v) for k, v in self.doc["structures"].items()}

    def sym(self, name: str) -> int:
        syms = self.doc["symbols"]
        return h(syms[name] if name in syms else syms[name + ".abi0"])

    def at(self, sym_prefix: str) -> list[Entry]:
        return [e for e in self.entries if e.sym.startswith(sym_prefix)]

    def first(self, sym: str) -> Entry:
        """The first entry at exactly sym+0x0 (sym or sym.abi0)."""
        for e in self.entries:
            if e.sym in (f"{sym}+0x0", f"{sym}.abi0+0x0"):
                return e
        raise AssertionError(f"{self.name}: never at {sym}")

    @property
    def end(self) -> State:
        return self.entries[-1].after

    def word(self, state: State, addr: int) -> int:
        assert addr in state.mem, f"{self.name}: the word at {addr:#x} was not recorded"
        return state.mem[addr]


def load(name: str) -> Ref:
    doc = json.loads((REF / f"{name}.json").read_text())
    regs = {k: h(v) for k, v in doc["initial"]["regs"].items()}
    mem = {h(a): h(v) for a, _, v in doc["initial"]["mem"]}
    ref = Ref(name, doc)
    raw = doc["steps"]
    for i, s in enumerate(raw):
        mem.update({h(a): h(v) for a, _, v in s.get("seen", [])})  # first compared here
        before = State(dict(regs), dict(mem))
        regs = dict(regs)
        regs.update({k: h(v) for k, v in s["regs"].items()})
        mem = dict(before.mem)
        mem.update({h(a): h(new) for a, _, _old, new in s["mem"]})
        if i + 1 < len(raw):
            nxt = raw[i + 1]
            next_pc = h(nxt["pc"]) if "pc" in nxt else h(nxt["skipped"]["from"])
        else:
            next_pc = h(doc["end"]["pc"])
        if "skipped" in s:
            assert h(s["skipped"]["to"]) == next_pc, f"{name} step {i}: the skip ends elsewhere"
        regs["rip"] = next_pc
        ref.entries.append(Entry(s, before, State(dict(regs), dict(mem)), next_pc, i))
    return ref


REFS = {n: load(n) for n in NAMES if (REF / f"{n}.json").exists()}


def ref(name: str) -> Ref:
    if name not in REFS:
        pytest.fail(f"{name}.json is missing: run python3 scripts/gdbref/record.py {name}")
    return REFS[name]


# ---------------------------------------------------------------- every file


def test_every_preset_is_recorded():
    assert sorted(REFS) == sorted(NAMES)
    assert sorted(p.stem for p in REF.glob("*.json")) == sorted(NAMES), "a reference without a preset"


@pytest.mark.parametrize("name", NAMES)
def test_file_parses_and_names_its_origin(name):
    r = ref(name)
    d = r.doc
    routine, preset = name.split(".")
    assert (d["routine"], d["preset"]) == (routine, preset)
    hd = d["header"]
    assert hd["go_version"].startswith("go version go1.19") and "linux/amd64" in hd["go_version"]
    assert hd["kernel"] and hd["cpu"] and hd["gdb"].startswith("GNU gdb")
    assert hd["regenerate"] == f"python3 scripts/gdbref/record.py {name}"
    assert hd["program"].startswith("scripts/gdbref/") and (ROOT / hd["program"].split(",")[0]).exists()
    assert hd["tls_offset"] == -8  # g at FS-8 (FACTS: "How the Go assembler and linker ...")
    assert (REF / f"{name}.json").stat().st_size < 300_000
    assert set(d["initial"]["regs"]) >= set(GPR.values()) | {"rip", "eflags", "fs_base", "tls_g"}
    assert r.entries, "no steps"
    assert r.entries[0].pc == h(d["initial"]["regs"]["rip"])
    assert not d["end"]["why"].startswith("step limit")
    for e in r.entries:  # after the first snapshot, only changed registers are recorded
        assert all(e.before.regs.get(k) != h(v) for k, v in e.raw["regs"].items()), (name, e.index)


def cond_holds(cc: ConditionCode, fl: int) -> bool:
    c, p, z, s, o = (bool(fl & b) for b in (CF, PF, ZF, SF, OF))
    return {ConditionCode.O: o, ConditionCode.NO: not o, ConditionCode.B: c, ConditionCode.AE: not c,
            ConditionCode.E: z, ConditionCode.NE: not z, ConditionCode.BE: c or z, ConditionCode.A: not (c or z),
            ConditionCode.S: s, ConditionCode.NS: not s, ConditionCode.P: p, ConditionCode.NP: not p,
            ConditionCode.L: s != o, ConditionCode.GE: s == o, ConditionCode.LE: z or s != o,
            ConditionCode.G: not z and s == o}[cc]


def expected_next(r: Ref, e: Entry) -> int:
    """Where the CPU goes after e, computed from e's bytes and the state before it."""
    b, regs = e.before, e.before.regs
    if "kernel" in e.raw:  # signal delivery: the handler (sa_handler = sigtramp)
        return r.sym("runtime.sigtramp")
    code = bytes.fromhex(e.raw["bytes"])
    ins = Decoder(64, code, ip=e.pc).decode()
    assert ins.code != 0 and ins.len == len(code), f"{r.name} step {e.index}: {e.raw['bytes']} is not one insn"
    fc = ins.flow_control
    if ins.mnemonic == Mnemonic.SYSCALL:
        if regs["rax"] == SYS_RT_SIGRETURN:  # resumes the ucontext at SP
            return r.word(b, regs["rsp"] + UC_RIP)
        return ins.next_ip
    if fc == FlowControl.NEXT:
        return ins.next_ip
    if fc in (FlowControl.UNCONDITIONAL_BRANCH, FlowControl.CALL):
        return ins.near_branch_target
    if fc == FlowControl.CONDITIONAL_BRANCH:
        return ins.near_branch_target if cond_holds(ins.condition_code, regs["eflags"]) else ins.next_ip
    if fc == FlowControl.RETURN:
        return r.word(b, regs["rsp"])
    if fc in (FlowControl.INDIRECT_BRANCH, FlowControl.INDIRECT_CALL):
        assert ins.op0_kind == OpKind.REGISTER, f"{r.name} step {e.index}: a memory-indirect branch"
        return regs[GPR[ins.op0_register]]
    raise AssertionError(f"{r.name} step {e.index}: flow control {fc}")


@pytest.mark.parametrize("name", NAMES)
def test_steps_are_consecutive(name):
    r = ref(name)
    for e in r.entries:
        if "skipped" in e.raw:
            continue
        assert e.next_pc == expected_next(r, e), f"{name} step {e.index} ({e.raw.get('asm')})"
        if "bytes" in e.raw:
            ins = Decoder(64, bytes.fromhex(e.raw["bytes"]), ip=e.pc).decode()
            if ins.mnemonic == Mnemonic.SYSCALL:
                continue
            if ins.flow_control in (FlowControl.CALL, FlowControl.INDIRECT_CALL):  # pushed the return address
                sp = e.after.regs["rsp"]
                assert sp == e.before.regs["rsp"] - 8 and r.word(e.after, sp) == ins.next_ip
            if ins.flow_control == FlowControl.RETURN:
                assert e.after.regs["rsp"] == e.before.regs["rsp"] + 8


@pytest.mark.parametrize("name", NAMES)
def test_memory_is_consistent(name):
    """Every recorded old value is the value last recorded at that address."""
    r = ref(name)
    known = {h(a): h(v) for a, _, v in r.doc["initial"]["mem"]}
    for e in r.entries:
        for a, _, v in e.raw.get("seen", []):
            known[h(a)] = h(v)
        for a, lab, old, new in e.raw["mem"]:
            a, old, new = h(a), h(old), h(new)
            assert old != new
            assert known.get(a) == old, f"{name} step {e.index}: {lab} was {known.get(a)}, recorded {old:#x}"
            known[a] = new


@pytest.mark.parametrize("name", NAMES)
def test_tls_g_is_the_word_at_fs_minus_8(name):
    r = ref(name)
    for e in r.entries:
        st = e.after
        fs, g = st.regs["fs_base"], st.regs["tls_g"]
        if fs and fs - 8 in st.mem:
            assert st.mem[fs - 8] == g, (name, e.index)


# ---------------------------------------------------------------- FACTS.md, routine by routine


def check_mcall_at_fn(r: Ref, entry: Entry) -> None:
    """FACTS: mcall, at fn's entry (entry = mcall's first step)."""
    g, g0 = r.st["g"], r.st["g0"]
    e = r.end
    at = entry.before
    g0_sched_sp = r.word(at, g0 + G_SCHED)
    assert e.regs["rsp"] == g0_sched_sp - 16
    call = r.entries[-1]
    assert call.raw["asm"].startswith("call") and call.sym.startswith("runtime.mcall+")
    assert r.word(e, e.regs["rsp"]) == call.pc + len(bytes.fromhex(call.raw["bytes"]))
    assert r.word(e, e.regs["rsp"] + 8) == g  # the PUSHQ AX
    assert (e.regs["rax"], e.regs["rdx"], e.regs["r14"], e.regs["tls_g"]) == (g, at.regs["rax"], g0, g0)
    assert r.word(e, g + G_SCHED + GOBUF["pc"]) == r.word(at, at.regs["rsp"])  # mcall's caller PC
    assert r.word(e, g + G_SCHED + GOBUF["sp"]) == at.regs["rsp"] + 8
    assert r.word(e, g + G_SCHED + GOBUF["bp"]) == at.regs["rbp"]
    i = r.entries.index(entry)
    assert not [lab for x in r.entries[i:] for lab in x.writes() if lab.startswith("g0.sched")]


@pytest.mark.parametrize("name", ["mcall.normal", "mcall.recovery"])
def test_mcall_at_fn_entry(name):
    r = ref(name)
    check_mcall_at_fn(r, r.entries[0])
    fn = r.end.regs["rdx"]
    want = "runtime.gosched_m" if name == "mcall.normal" else "runtime.recovery"
    assert r.end.regs["rip"] == r.sym(want) == r.word(r.end, fn)


def test_systemstack_switching_path():
    r = ref("systemstack.normal")
    g, g0 = r.st["g"], r.st["g0"]
    start = r.entries[0].before
    call_fn = next(e for e in r.entries if e.raw.get("asm", "").startswith("call") and "skipped" in
                   r.entries[e.index + 1].raw)
    at = call_fn.before
    assert r.word(at, g + G_SCHED + GOBUF["pc"]) == r.sym("runtime.systemstack_switch")
    assert r.word(at, g + G_SCHED + GOBUF["sp"]) == start.regs["rsp"]
    assert r.word(at, g + G_SCHED + GOBUF["ret"]) == 0
    assert r.word(at, g + G_SCHED + GOBUF["bp"]) == start.regs["rbp"]
    assert r.st["g0.stack.lo"] <= at.regs["rsp"] < r.st["g0.stack.hi"] and at.regs["tls_g"] == g0
    back = [e for e in r.entries[call_fn.index:] if "g.sched.sp" in e.writes()]
    assert back and back[-1].writes()["g.sched.sp"][2] == 0  # zeroed after SP came back from it
    restore = next(e for e in r.entries[call_fn.index + 2:] if e.after.regs["rsp"] != e.before.regs["rsp"])
    assert restore.after.regs["rsp"] == r.word(restore.before, g + G_SCHED + GOBUF["sp"])
    assert (r.end.regs["tls_g"], r.end.regs["r14"]) == (g, g0)  # R14 is left = g0 (ABI0)
    assert r.end.regs["rsp"] == start.regs["rsp"] + 8
    # gosave_systemstack_switch clobbers R9
    assert any("r9" in e.raw["regs"] for e in r.at("gosave_systemstack_switch"))


def test_systemstack_on_g0_tail_calls_fn():
    r = ref("systemstack.on_g0")
    g0 = r.st["g0"]
    start = r.entries[0].before
    assert start.regs["tls_g"] == g0
    jmp = next(e for e in r.entries if e.raw.get("asm", "").startswith("jmp r"))
    fnv = r.word(start, start.regs["rsp"] + 8)
    assert jmp.before.regs["rdx"] == fnv and jmp.next_pc == r.word(jmp.before, fnv)
    assert jmp.before.regs["rsp"] == start.regs["rsp"]  # a tail call: fn returns to systemstack's caller
    assert not [lab for e in r.entries for lab in e.writes() if ".sched." in lab]


def check_gogo(r: Ref, entry: Entry) -> tuple[int, dict[str, int]]:
    """FACTS: gogo. Returns gobuf's address and its fields as gogo found them."""
    at = entry.before
    buf = r.word(at, at.regs["rsp"] + 8)
    f = {k: r.word(at, buf + off) for k, off in GOBUF.items()}
    jump = r.entries[[e.index for e in r.entries].index(entry.index):]
    jmp = next(e for e in jump if e.sym.startswith("gogo+") and e.raw["asm"].startswith("jmp"))
    st = jmp.after
    assert jmp.next_pc == f["pc"]
    assert (st.regs["tls_g"], st.regs["r14"], st.regs["rsp"]) == (f["g"], f["g"], f["sp"])
    assert (st.regs["rax"], st.regs["rdx"], st.regs["rbp"]) == (f["ret"], f["ctxt"], f["bp"])
    for k in ("sp", "ret", "ctxt", "bp"):
        assert r.word(st, buf + GOBUF[k]) == 0, k
    for k in ("pc", "g"):
        assert r.word(st, buf + GOBUF[k]) == f[k], k
    assert st.regs["rcx"] == r.word(st, f["g"])  # g.stack.lo, from the nil check
    return buf, f


@pytest.mark.parametrize("name", ["gogo.normal", "gogo.newg", "gogo.recover", "gogo.recover_open"])
def test_gogo(name):
    r = ref(name)
    buf, f = check_gogo(r, r.entries[0])
    assert buf == r.st["g"] + G_SCHED  # schedule's and recovery's gogo(&gp.sched)
    assert r.entries[0].before.regs["tls_g"] == r.st["g0"]  # called on g0 (schedule, or recovery via mcall)
    if name == "gogo.newg":
        assert f["pc"] == r.sym("main.worker") and f["bp"] == 0
        assert r.word(r.end, f["sp"]) == r.sym("runtime.goexit") + 1
        assert f["ctxt"] != 0 and r.word(r.end, f["ctxt"]) == r.sym("main.worker")  # its funcval
    if name.startswith("gogo.recover"):
        assert f["ret"] == 1 and r.end.regs["rax"] == 1
        # the deferring frame's BP, not the BP gogo is entered with; it ends below SP (gopanic's dead frame)
        assert f["bp"] != r.entries[0].before.regs["rbp"]
        assert f["bp"] < f["sp"]
    if name == "gogo.recover":
        after = [e for e in r.entries if e.before.regs["rip"] == f["pc"] or e.pc == f["pc"]]
        test_insn = after[0]
        assert test_insn.sym.startswith("main.recoverLoop") and test_insn.raw["asm"] == "test eax,eax"
        # deferproc's caller tests AX: 1 sends it to its deferreturn path, so the JNE is taken
        jne = Decoder(64, bytes.fromhex(r.entries[-1].raw["bytes"]), ip=r.entries[-1].pc).decode()
        assert jne.mnemonic == Mnemonic.JNE and r.entries[-1].next_pc == jne.near_branch_target
    if name == "gogo.recover_open":
        end = Decoder(64, bytes.fromhex(r.doc["end"]["bytes"]), ip=h(r.doc["end"]["pc"])).decode()
        assert end.flow_control == FlowControl.CALL and end.near_branch_target == r.sym("runtime.deferreturn")
        assert r.doc["end"]["sym"].startswith("main.recoverOpen")


@pytest.mark.parametrize("name", ["morestack.normal", "morestack.preempt"])
def test_morestack(name):
    r = ref(name)
    g, g0, m = r.st["g"], r.st["g0"], r.st["m"]
    e0 = r.entries[0].before
    sp0 = e0.regs["rsp"]
    for k in GOBUF:
        assert r.word(e0, m + M_MOREBUF + GOBUF[k]) == 0, f"m.morebuf.{k} is not zero at entry"
    call = next(e for e in r.entries if e.raw.get("asm", "").startswith("call")
                and e.sym.startswith("runtime.morestack."))
    st = call.before
    assert r.word(st, m + M_MOREBUF + GOBUF["pc"]) == r.word(e0, sp0 + 8)
    assert r.word(st, m + M_MOREBUF + GOBUF["sp"]) == sp0 + 16
    assert r.word(st, m + M_MOREBUF + GOBUF["g"]) == g
    assert r.word(st, g + G_SCHED + GOBUF["pc"]) == r.word(e0, sp0)
    assert r.word(st, g + G_SCHED + GOBUF["sp"]) == sp0 + 8
    assert r.word(st, g + G_SCHED + GOBUF["bp"]) == e0.regs["rbp"]
    assert r.word(st, g + G_SCHED + GOBUF["ctxt"]) == 0  # morestack_noctxt: DX = 0
    order = [lab for e in r.entries[:call.index] for lab in e.writes() if "sched" in lab or "morebuf" in lab]
    assert max(order.index(x) for x in order if x.startswith("m.morebuf")) < \
        min(order.index(x) for x in order if x.startswith("g.sched"))  # m.morebuf, then g.sched
    assert st.regs["tls_g"] == g0 and st.regs["rsp"] == r.word(st, g0 + G_SCHED)
    wrapper = r.first("runtime.newstack")  # the ABI0 wrapper, entered with R14 still = g
    assert wrapper.sym.startswith("runtime.newstack.abi0") and wrapper.before.regs["r14"] == g
    assert [x.raw["asm"] for x in r.entries[wrapper.index:wrapper.index + 2]] == \
        ["xorps xmm15,xmm15", "mov r14,QWORD PTR fs:0xfffffffffffffff8"]
    skips = [e.raw["skipped"] for e in r.entries if "skipped" in e.raw]
    assert skips[0]["from_sym"] == "runtime.newstack+0x0"
    if name == "morestack.preempt":
        assert r.word(e0, g + 16) == presets_stack_preempt()
        assert skips[0]["to_sym"] == "runtime.gopreempt_m+0x0"
    gogo = r.first("runtime.gogo")
    buf, f = check_gogo(r, gogo)
    assert buf == g + G_SCHED and f["pc"] == r.word(e0, sp0)
    hi_old, hi_new = r.st["g.stack.hi"], r.word(gogo.before, g + 8)
    assert hi_new - f["sp"] == hi_old - (sp0 + 8)  # the same depth on the (maybe new) stack
    if name == "morestack.normal":
        assert hi_new != hi_old  # newstack moved it
    else:
        assert hi_new == hi_old  # preemption does not grow the stack
    assert h(r.doc["symbols"]["f"]) == r.end.regs["rip"]  # the prologue restarts


def presets_stack_preempt() -> int:
    return (1 << 64) - 1314  # stackPreempt = uintptrMask & -1314


def test_goexit():
    r = ref("goexit.normal")
    g = r.st["g"]
    ret = next(e for e in r.entries if e.raw.get("asm") == "ret" and e.sym.startswith("main.worker"))
    assert ret.next_pc == r.sym("runtime.goexit") + 1
    assert ret.after.regs["rsp"] == r.st["g.stack.hi"] - 0x20
    assert r.entries[ret.index + 1].raw["asm"].startswith("call") and \
        r.entries[ret.index + 2].sym == "runtime.goexit1.abi0+0x0"
    mcall = r.first("runtime.mcall")
    assert mcall.before.regs["tls_g"] == g
    check_mcall_at_fn(r, mcall)
    assert r.end.regs["rip"] == r.sym("runtime.goexit0")


def test_async_preempt():
    r = ref("asyncPreempt.normal")
    g = r.st["g"]
    e0 = r.entries[0].before
    interrupted = r.word(e0, e0.regs["rsp"])
    assert r.end.regs["rip"] == interrupted and r.end.regs["rsp"] == e0.regs["rsp"] + 8
    for k, v in e0.regs.items():
        if k == "eflags":  # TF (0x100) is gdb's: PUSHFQ under ptrace single-step saves it, POPFQ restores it
            assert r.end.regs[k] & ~TF == v & ~TF
        elif k not in ("rip", "rsp"):
            assert r.end.regs[k] == v, f"{k} not restored"
    lo, hi = r.st["g.stack.lo"], r.st["g.stack.hi"]
    own = r.at("runtime.asyncPreempt.abi0+") + r.at("runtime.asyncPreempt+")
    assert own and all(lo <= e.after.regs["rsp"] < hi for e in own)  # all on g's own stack
    assert e0.regs["rsp"] - min(e.after.regs["rsp"] for e in own) == 0x180 + 8  # PUSHQ BP, PUSHFQ, the frame
    assert any(e.raw["asm"] == "pushf" for e in own) and any(e.raw["asm"] == "popf" for e in own)
    mcall = r.first("runtime.mcall")
    assert r.entries[mcall.index - 1].sym.startswith("runtime.asyncPreempt2")
    skip = next(e.raw["skipped"] for e in r.entries if "skipped" in e.raw)
    assert skip["from_sym"] == "runtime.gopreempt_m+0x0"
    check_gogo(r, r.first("runtime.gogo"))
    assert mcall.before.regs["tls_g"] == g


@pytest.mark.parametrize("name", ["sigtramp.normal", "sigtramp.on_g0"])
def test_sigtramp(name):
    r = ref(name)
    g = r.st["g0"] if name == "sigtramp.on_g0" else r.st["g"]
    kernel = r.entries[0]
    assert "kernel" in kernel.raw
    interrupted = kernel.before
    assert interrupted.regs["tls_g"] == g
    e = r.first("runtime.sigtramp").before
    sp = e.regs["rsp"]
    assert r.st["gsignal.stack.lo"] <= sp < r.st["gsignal.stack.hi"]
    assert sp % 16 == 8
    assert r.word(e, sp) == r.sym("runtime.sigreturn")
    assert (e.regs["rdi"], e.regs["rsi"], e.regs["rdx"]) == (SIGUSR1, sp + 0x138, sp + 8)
    assert r.st["gsignal.stack.hi"] - sp == h(r.doc["header"]["gsignal.stack.hi - SP at sigtramp"])
    assert e.regs["tls_g"] == g
    uc = sp + 8
    assert r.word(e, uc + UC_RIP) in (interrupted.regs["rip"], interrupted.regs["rip"] - 2)
    assert r.word(e, uc + UC_RSP) == interrupted.regs["rsp"]
    skip = next(x for x in r.entries if "skipped" in x.raw)
    assert skip.raw["skipped"]["from_sym"] == "runtime.sigtrampgo+0x0" and skip.after.regs["tls_g"] == g
    saves = r.entries[1:skip.index]
    for reg in ("rbx", "rbp", "r12", "r13", "r14", "r15"):
        assert any(x.raw["asm"].startswith("mov QWORD PTR [rsp") and x.raw["asm"].endswith("," + reg)
                   for x in saves), f"{reg} not saved"
    assert any(x.raw["asm"] == "mov r14,QWORD PTR fs:0xfffffffffffffff8" for x in saves)
    assert any(x.raw["asm"] == "pxor xmm15,xmm15" for x in saves)
    ret = next(x for x in r.entries[skip.index:] if x.raw.get("asm") == "ret")
    assert ret.after.regs["rsp"] == uc and ret.next_pc == r.sym("runtime.sigreturn")
    sysc = r.entries[-1]
    assert sysc.raw["asm"] == "syscall" and sysc.before.regs["rax"] == SYS_RT_SIGRETURN
    assert r.end.regs["rsp"] == interrupted.regs["rsp"]
    same = {k for k in ("rbx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r12", "r13", "r14", "r15", "fs_base", "tls_g")}
    assert {k for k in same if r.end.regs[k] != interrupted.regs[k]} == set()


def test_asmcgocall():
    r = ref("asmcgocall.normal")
    g, g0 = r.st["g"], r.st["g0"]
    e0 = r.entries[0].before
    assert not [e.index for e in r.entries if "r14" in e.raw["regs"]]  # never writes R14
    tls = next(e for e in r.entries if e.raw["regs"].get("tls_g") == hex(g0))
    spsw = next(e for e in r.entries if r.st["g0.stack.lo"] <= (e.after.regs["rsp"] or 0) < r.st["g0.stack.hi"])
    assert tls.index < spsw.index  # TLS g first, then SP
    assert spsw.after.regs["rsp"] == r.word(spsw.before, g0 + G_SCHED)
    call = next(e for e in r.entries if e.raw.get("asm", "").startswith("call r"))
    sp = call.before.regs["rsp"]
    assert sp % 16 == 0
    assert r.word(call.before, sp + 0x30) == g
    assert r.word(call.before, sp + 0x28) == r.st["g.stack.hi"] - e0.regs["rsp"]
    assert r.word(call.before, g + G_SCHED + GOBUF["pc"]) == r.sym("runtime.systemstack_switch")
    store = [e for e in r.entries if e.raw.get("asm", "").startswith("mov DWORD PTR [rsp")]
    assert store and store[-1].raw["asm"].endswith(",eax")  # the result, 32 bits
    assert r.end.regs["rsp"] == e0.regs["rsp"] + 8 and r.end.regs["tls_g"] == g
    assert r.word(r.end, g + G_SCHED + GOBUF["sp"]) != 0  # unlike systemstack, not zeroed


def test_cgocallback():
    r = ref("cgocallback.normal")
    g, g0, m = r.st["g"], r.st["g0"], r.st["m"]
    e0 = r.entries[0].before
    assert e0.regs["tls_g"] == g0 and e0.regs["r14"] == r.word(e0, m + M_CURG) == g
    assert r.st["g0.stack.lo"] <= e0.regs["rsp"] < r.st["g0.stack.hi"]
    old = r.word(e0, g0 + G_SCHED)
    sets = [e for e in r.entries if "g0.sched.sp" in e.writes()]
    assert len(sets) == 2
    a, _, new = sets[0].writes()["g0.sched.sp"]
    assert new == sets[0].before.regs["rsp"] and r.word(sets[0].before, new) == old  # old value at 0(SP)
    assert sets[1].writes()["g0.sched.sp"][2] == old and r.word(r.end, g0 + G_SCHED) == old
    call = next(e for e in r.entries if e.raw.get("asm", "").startswith("call r"))
    curg_sp = r.word(e0, g + G_SCHED)
    assert r.word(call.before, curg_sp - 8) == r.sym("runtime.systemstack_switch")  # the fake return PC
    # the 0x28-byte frame is measured from curg.sched.sp and includes the fake PC's word: it is at SP+0x20
    assert call.before.regs["rsp"] == curg_sp - 0x28
    assert r.word(r.end, g + G_SCHED + GOBUF["pc"]) == r.word(e0, g + G_SCHED + GOBUF["pc"])
    assert r.word(r.end, g + G_SCHED + GOBUF["sp"]) == curg_sp
    assert r.end.regs["rsp"] == e0.regs["rsp"] + 8 and r.end.regs["tls_g"] == g0


def test_rt0_go():
    r = ref("rt0_go.normal")
    g0, m = r.sym("runtime.g0"), r.sym("runtime.m0")
    assert (r.st["g0"], r.st["m"]) == (g0, m)
    assert r.entries[0].before.regs["fs_base"] == 0
    sysc = next(e for e in r.entries if e.raw.get("asm") == "syscall")
    assert (sysc.before.regs["rax"], sysc.before.regs["rdi"]) == (SYS_ARCH_PRCTL, ARCH_SET_FS)
    assert sysc.after.regs["fs_base"] == sysc.before.regs["rsi"] == m + 0x88 + 8  # &m0.tls[0] + 8
    end = r.end
    end_st = {k: h(v) for k, v in r.doc["structures_at_end"].items()}
    lo, hi = r.word(end, g0), r.word(end, g0 + 8)
    assert (lo, hi) == (end_st["g0.stack.lo"], end_st["g0.stack.hi"])
    # rt0_go: g0's stack is the top 64 KiB of the OS stack: lo = SP - 64*1024 + 104, hi = SP
    assert hi - lo == 64 * 1024 - 104
    assert r.word(end, g0 + 16) == lo + 928  # mstart0: stackguard0 = stack.lo + _StackGuard
    assert r.word(end, m) == g0 and r.word(end, g0 + 0x30) == m and end.regs["tls_g"] == g0
    sched = {k: r.word(end, g0 + G_SCHED + off) for k, off in GOBUF.items()}
    assert sched["g"] == g0 and sched["sp"] != 0 and sched["pc"] != 0
    writes = [lab for e in r.at("runtime.mstart1") for lab in e.writes()]
    assert {"g0.sched.g", "g0.sched.pc", "g0.sched.sp"} <= set(writes)
    mstart1 = r.first("runtime.mstart1")
    assert sched["pc"] == r.word(mstart1.before, mstart1.before.regs["rsp"])  # getcallerpc: into mstart0
    assert sched["sp"] == mstart1.before.regs["rsp"] + 8  # getcallersp
    assert end.regs["rip"] == r.sym("runtime.asminit")
