"""The machine's kernel: SYSCALL (arch_prctl, sigaltstack, rt_sigreturn, anything else ends the run)
and signal delivery with Linux's x86-64 rt_sigframe, run from a throwaway family's listing."""
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.machine import kernel as K
from gosched_book.machine.core import G, GSIGNAL, M0, STACKS
from gosched_book.runtime.layout import offsetof
from gosched_book.scenario import family
from gosched_book.scenario.family import Family, Routine, preset

KERNEL_S = """#include "textflag.h"

// arch_prctl(ARCH_SET_FS, &m.tls[1]) as runtime·settls does, then read g through the new FS.
TEXT main·ksettls(SB), NOSPLIT, $0-0
	MOVQ	$0x1002, DI
	MOVQ	$0x5600a0, SI
	MOVQ	$158, AX
	SYSCALL
	MOVQ	g(CX), BX
	RET

// sigaltstack(new, old) with new = {0xc000060000, 0, 0x8000} on the stack.
TEXT main·kaltstack(SB), NOSPLIT, $0-0
	SUBQ	$48, SP
	MOVQ	$0xc000060000, AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$0x8000, 16(SP)
	MOVQ	SP, DI
	LEAQ	24(SP), SI
	MOVQ	$131, AX
	SYSCALL
	ADDQ	$48, SP
	RET

// getpid: not implemented by the book's kernel.
TEXT main·kgetpid(SB), NOSPLIT, $0-0
	MOVQ	$39, AX
	SYSCALL
	RET

// A few instructions the signal interrupts.
TEXT main·kbusy(SB), NOSPLIT, $0-0
	MOVQ	$1, AX
	ADDQ	$2, AX
	ADDQ	$3, AX
	RET

// The handler: C ABI, DI/SI/DX from the kernel; returns into the restorer.
TEXT main·khandler(SB), NOSPLIT, $0-0
	MOVQ	DI, R8
	RET

TEXT main·krestorer(SB), NOSPLIT, $0-0
	MOVQ	$15, AX
	SYSCALL
	INT	$3

TEXT main·kdone(SB), NOSPLIT, $0-0
	INT	$3

// X1 across a signal whose handler writes X1: rt_sigreturn brings the old X1 back.
TEXT main·kxmm(SB), NOSPLIT, $0-0
	MOVQ	$1, AX
	ADDQ	$2, AX
	MOVQ	X1, BX
	RET

TEXT main·kxhandler(SB), NOSPLIT, $0-0
	MOVQ	$5, R8
	MOVQ	R8, X1
	RET
"""


def _world(entry: str, signal_at: int = 0, handler: str = "main·khandler"):
    def build(c) -> None:
        sp = STACKS["g"][1] - 0x80
        c.word(sp, c.sym("main·kdone"), "return address")
        c.regs.update(rip=c.sym(entry), rsp=sp, r14=G, rbp=sp + 0x18, rcx=0x77)
        c.arrive[c.sym("main·kdone")] = ("return", "returned")
        c.mem[0x560098] = 0xABC  # m.tls[2]: what FS:-8 reads once FS = 0x5600a0
        if signal_at:
            c.signals.append(K.Signal(signal_at, K.SIGURG, c.sym(handler),
                                      c.sym("main·krestorer")))
    return build


@pytest.fixture(scope="module")
def kfam(tmp_path_factory):
    d: Path = tmp_path_factory.mktemp("kernel")
    (d / "kernel_toy.s").write_text(KERNEL_S, encoding="utf-8")
    fam = Family("kernel_toy", d, world_files=("kernel_toy.s",), routines=(
        Routine("ksettls", "arch_prctl", _world("main·ksettls"), (), {"normal": preset("x", "return")}),
        Routine("kaltstack", "sigaltstack", _world("main·kaltstack"), (),
                {"normal": preset("x", "return")}),
        Routine("kgetpid", "getpid", _world("main·kgetpid"), (), {"normal": preset("x", "event")}),
        Routine("ksignal", "signal", _world("main·kbusy", 2), (), {"normal": preset("x", "return")}),
        Routine("kxmm", "signal and X1", _world("main·kxmm", 2, "main·kxhandler"), (),
                {"normal": preset("x", "return")}),
    ))
    family.register(fam)
    yield fam
    family.unregister("kernel_toy")


def test_arch_prctl_sets_fs_and_tls_follows_it(kfam):
    t = run("ksettls")
    sc = next(s for s in t.steps if s.plan9 == "SYSCALL")
    assert sc.note.startswith("内核：arch_prctl(ARCH_SET_FS, 0x5600a0)")
    assert sc.regs["rax"] == 0 and sc.regs["rcx"] == sc.pc + 2  # SYSCALL's clobbers
    after = t.steps[sc.i]  # MOVQ g(CX), BX: FS:-8 through the new base
    assert after.regs["rbx"] == 0xABC and after.tls_g == 0xABC
    assert sc.tls_g == 0xABC and t.steps[sc.i - 2].tls_g == G  # TLS g moved with FS
    assert t.end.kind == "return"


def test_sigaltstack_records_and_returns_the_old_one(kfam):
    t = run("kaltstack")
    sc = next(s for s in t.steps if s.plan9 == "SYSCALL")
    lo, hi = STACKS["gsignal"]
    old = {w.addr - sc.regs["rsi"]: w.value for w in sc.writes}
    assert old == {0: lo, 8: 0, 16: hi - lo}  # minit's sigaltstack: gsignal's stack
    assert "记下备用栈 [0xc000060000, 0xc000068000)" in sc.note and sc.regs["rax"] == 0


def test_an_unknown_syscall_ends_the_run_naming_it(kfam):
    t = run("kgetpid")
    assert t.end.kind == "event" and t.end.detail == "syscall 39 (getpid)"
    assert "getpid" in t.end.summary and t.steps[-1].plan9 == "SYSCALL"


def test_a_signal_is_delivered_on_the_altstack_and_sigreturn_resumes(kfam):
    t = run("ksignal")
    k = next(s for s in t.steps if s.routine == K.KERNEL)
    assert k.i == 2 and k.pc == t.steps[0].pc + len(t.steps[0].bytes)  # before step 2
    lo, hi = STACKS["gsignal"]
    sp = k.regs["rsp"]
    assert hi - sp == 0xB88 and sp % 16 == 8  # the recorded frame (FACTS.md, "A signal")
    assert k.regs["rsi"] == sp + 0x138 and k.regs["rdx"] == sp + 8 and k.regs["rdi"] == K.SIGURG
    assert k.regs["rax"] == 0
    frame = {w.label: w.value for w in k.writes}
    assert frame["rt_sigframe.pretcode"] == t.symbols["main·krestorer"]
    assert frame["ucontext.mcontext.rip"] == k.pc and frame["ucontext.mcontext.rax"] == 1
    assert frame["ucontext.mcontext.rsp"] == STACKS["g"][1] - 0x80
    assert frame["ucontext.mcontext.rcx"] == 0x77
    assert frame["ucontext.uc_stack.ss_sp"] == lo and frame["ucontext.uc_stack.ss_flags"] == 0
    assert frame["siginfo.si_signo/si_errno"] == K.SIGURG
    sr = next(s for s in t.steps if s.plan9 == "SYSCALL")
    assert sr.note.startswith("内核：rt_sigreturn")
    assert sr.regs["rsp"] == STACKS["g"][1] - 0x80 and sr.regs["rax"] == 1
    assert sr.regs["rcx"] == 0x77  # restored, not SYSCALL's clobber
    nxt = t.steps[sr.i]
    assert nxt.pc == k.pc and nxt.regs["rax"] == 3  # the interrupted ADDQ $2 runs now
    assert t.end.kind == "return" and t.steps[-2].regs["rax"] == 6


def test_rt_sigreturn_restores_the_xmm_registers_from_the_xsave_area(kfam):
    t = run("kxmm")
    handler = next(s for s in t.steps if s.plan9.startswith("MOVQ\tR8, X1"))
    assert handler.routine == "main·kxhandler"
    after = next(s for s in t.steps if s.plan9.startswith("MOVQ\tX1, BX"))
    assert after.i > handler.i and after.regs["rbx"] == 0  # X1 was 0 when the signal came, and is again


def test_tls_g_of_the_world_is_read_through_fs(kfam):
    t = run("ksignal")
    assert all(s.tls_g == G for s in t.steps)
    assert GSIGNAL and M0 + offsetof("m", "tls") + 8 == 0x560090


# ------------------------------------------------ against the real kernel (gdb recordings)

def _frame_of_recording(name: str):
    """The recorded kernel entry and the book kernel's frame for the same interrupted state."""
    from gosched_book.runtime.recorded import load
    rec = load(name)
    st, sy = rec.structures, rec.symbols
    k_entry = next(e for e in rec.entries if e.kind == "kernel")
    lo, hi = st["gsignal.stack.lo"], st["gsignal.stack.hi"]
    info = k_entry.regs_after["rsi"]
    written = k_entry.written()
    pid_uid = written[info + 0x10]
    uc = k_entry.regs_after["rdx"]
    blocked = written.get(uc + 0x128, 0)  # uc_sigmask: the thread's mask when the signal came
    kern = K.Kernel(K.Setup(altstack=(lo, hi - lo, 0), blocked=blocked), 0)
    sig = K.Signal(1, written[info] & 0xFFFFFFFF, sy["runtime.sigtramp.abi0"], sy["restorer"],
                   pid=pid_uid & 0xFFFFFFFF, uid=pid_uid >> 32)
    ours: dict[int, int] = {}
    new, _flags, _note = K.deliver(kern, sig, k_entry.regs_before, k_entry.regs_before["eflags"],
                                   lambda a, v, _lab: ours.__setitem__(a, v))
    return rec, k_entry, new, ours


def _in_frame(words: dict, frame: int) -> dict:
    return {a: v for a, v in words.items() if frame <= a < frame + K.FRAME_SIZE}


def test_the_signal_frame_is_linuxs_word_for_word():
    """Every word of rt_sigframe (pretcode, ucontext, siginfo) as the real kernel wrote it, and the
    handler's registers; the one difference is mcontext.trapno (the thread's last trap number)."""
    rec, k_entry, new, ours = _frame_of_recording("sigtramp.normal")
    frame = k_entry.regs_after["rsp"]
    assert new["rsp"] == frame and rec.structures["gsignal.stack.hi"] - frame == 0xB88
    for r in ("rdi", "rsi", "rdx", "rsp"):
        assert new[r] == k_entry.regs_after[r], r
    assert new["rip"] == k_entry.regs_after["rip"] == rec.symbols["runtime.sigtramp.abi0"]
    theirs = {a: v for a, v in k_entry.mem_after.items() if frame <= a < frame + K.FRAME_SIZE}
    trapno = frame + K.UC_OFFSET + K.MCONTEXT + 8 * 20
    mine = _in_frame(ours, frame)
    differ = {a - frame for a in set(theirs) | set(mine) if theirs.get(a, 0) != mine.get(a, 0)}
    # trapno is current->thread.trap_nr (setup_sigcontext): the last trap the thread took, under gdb
    # its breakpoint's #BP (3) -- the book's reading; the book's thread took none and writes 0.
    assert differ <= {trapno - frame} and ours[trapno] == 0
    assert len([a for a in ours if ours[a]]) >= 20  # the registers, pretcode, uc_stack, siginfo
    fp = ours[frame + K.UC_OFFSET + K.MCONTEXT + 8 * 23]
    assert fp == rec.structures["gsignal.stack.hi"] - K.MATH_FRAME
    for o, _label, _v in K.FPU_WORDS:  # the xsave area's header, as the real kernel wrote it
        assert ours[fp + o] == k_entry.mem_after[fp + o], hex(o)


def test_the_signal_frame_on_g0_differs_only_by_the_syscall_restart():
    """On g0 the signal came during a futex wait that returned -ERESTARTSYS: Linux's handle_signal
    (SA_RESTART) saved ax = orig_ax (futex's number) and ip - 2 (the SYSCALL again). The book's
    kernel has no blocking syscall to restart, so those two words are what it would save otherwise."""
    rec, k_entry, new, ours = _frame_of_recording("sigtramp.on_g0")
    frame = k_entry.regs_after["rsp"]
    for r in ("rdi", "rsi", "rdx", "rsp", "rax"):
        assert new[r] == k_entry.regs_after[r], r
    theirs = {a: v for a, v in k_entry.mem_after.items() if frame <= a < frame + K.FRAME_SIZE}
    mine = _in_frame(ours, frame)
    differ = {a for a in set(theirs) | set(mine) if theirs.get(a, 0) != mine.get(a, 0)}
    mc = frame + K.UC_OFFSET + K.MCONTEXT
    rax, rip = mc + 8 * K.SIGCONTEXT.index("rax"), mc + 8 * K.SIGCONTEXT.index("rip")
    assert differ == {rax, rip}
    assert theirs[rax] == 202 and ours[rax] == (-512) & K.MASK  # futex; -ERESTARTSYS
    assert theirs[rip] == ours[rip] - 2 and rec.doc["end"]["bytes"] == "0f05"


def test_rt_sigreturn_restores_what_the_real_one_restored():
    from gosched_book.runtime.recorded import load
    rec = load("sigtramp.normal")
    sc = next(e for e in rec.entries if e.kind == "insn" and e.bytes == b"\x0f\x05")
    assert sc.regs_before["rax"] == K.SYS_RT_SIGRETURN

    class Mem:
        @staticmethod
        def read(a, n):
            return sc.mem_before[a].to_bytes(8, "little") if a in sc.mem_before else bytes(8)

    kern = K.Kernel(K.Setup(), 0)
    regs = {r: v for r, v in sc.regs_before.items() if r not in ("fs_base", "tls_g")}
    out, note = K.sys_rt_sigreturn(kern, Mem, regs)
    for r in K.SIGCONTEXT:
        assert out[r] == sc.regs_after[r], r
    assert out["eflags"] == sc.regs_after["eflags"] and note.startswith("内核：rt_sigreturn")


def test_arch_prctl_as_the_real_settls_did():
    from gosched_book.runtime.recorded import load
    rec = load("rt0_go.normal")
    sc = next(e for e in rec.entries if e.kind == "insn" and e.bytes == b"\x0f\x05")
    kern = K.Kernel(K.Setup(), 0)
    out, _ = K.sys_arch_prctl(kern, None, sc.regs_before)
    assert out == {"rax": sc.regs_after["rax"]} and kern.fs_base == sc.regs_after["fs_base"]
    # SYSCALL's own clobbers (the runner's part): RCX = the next RIP; R11 = RFLAGS, in which gdb's
    # single-step shows its trap flag.
    assert sc.regs_after["rcx"] == sc.pc + 2
    assert sc.regs_after["r11"] & ~K.TF == sc.regs_before["eflags"] & ~K.TF


def test_an_unknown_syscall_is_named_even_without_a_name(kfam, tmp_path):
    assert K.syscall_name(39) == "getpid" and K.syscall_name(999) == "unknown"
    t = run("kgetpid")
    assert t.steps[-1].note == "内核：系统调用 39（getpid）本书的内核没有实现"
