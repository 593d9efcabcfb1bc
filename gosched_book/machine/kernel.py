"""The kernel's part of the machine: the syscalls the runtime makes, and signal delivery, as Linux
does them on x86-64.

One small function per syscall, looked up by number (qiling's shape); a syscall the book's kernel
does not implement ends the run with an event naming it (number and Linux name), never a silent 0.

Signal delivery follows Linux's arch/x86/kernel/signal.c (torvalds/linux, commit 00ed905a, the
x86-64 branch): `get_sigframe` (the 128-byte red zone, the switch to `sas_ss_sp + sas_ss_size`
for an SA_ONSTACK handler, the FPU area rounded down to 64 bytes by `fpu__alloc_mathframe`,
`align_sigframe`: round down to 16, minus 8), `__setup_rt_frame` (uc_flags, uc_link, uc_stack by
`save_altstack_ex`, pretcode = sa_restorer, `setup_sigcontext`, uc_sigmask; then DI = sig, AX = 0,
SI = &frame->info, DX = &frame->uc, IP = the handler, SP = the frame) and `restore_sigcontext`
for rt_sigreturn (the frame is at SP - 8: the restorer's RET popped pretcode). The layout
(arch/x86/include/asm/sigframe.h: `struct rt_sigframe { char *pretcode; struct ucontext uc;
struct siginfo info; /* fp state follows here */ }`; the kernel's ucontext is uc_flags, uc_link,
uc_stack (24 bytes), uc_mcontext (struct sigcontext, 256 bytes), uc_sigmask (8 bytes)) puts
&uc at SP+8 and &info at SP+0x138, as the real runtime showed (go118/FACTS.md, "A signal").
Go's own view of the same words: runtime/defs_linux_amd64.go:245-296 (stackt, sigcontext).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .trace import Write

MASK = (1 << 64) - 1

# Linux x86-64 syscall numbers, as the runtime names them (sys_linux_amd64.s:16-54, Go 1.19.8).
SYSCALL_NAMES = {
    0: "read", 1: "write", 3: "close", 9: "mmap", 11: "munmap", 12: "brk", 13: "rt_sigaction",
    14: "rt_sigprocmask", 15: "rt_sigreturn", 24: "sched_yield", 27: "mincore", 28: "madvise",
    35: "nanosleep", 38: "setitimer", 39: "getpid", 41: "socket", 42: "connect", 56: "clone",
    60: "exit", 62: "kill", 72: "fcntl", 131: "sigaltstack", 158: "arch_prctl", 186: "gettid",
    202: "futex", 204: "sched_getaffinity", 213: "epoll_create", 222: "timer_create",
    223: "timer_settime", 226: "timer_delete", 228: "clock_gettime", 231: "exit_group",
    233: "epoll_ctl", 234: "tgkill", 257: "openat", 269: "faccessat", 281: "epoll_pwait",
    291: "epoll_create1", 293: "pipe2",
}
SYS_RT_SIGRETURN, SYS_SIGALTSTACK, SYS_ARCH_PRCTL = 15, 131, 158
ARCH_SET_FS, ARCH_GET_FS = 0x1002, 0x1003  # asm/prctl.h
EINVAL, EPERM, ENOMEM, EFAULT = 22, 1, 12, 14
SS_ONSTACK, SS_DISABLE = 1, 2  # uapi/asm-generic/signal-defs.h
MINSIGSTKSZ = 2048  # uapi/asm/signal.h (x86)
SIGNALS = {10: "SIGUSR1", 23: "SIGURG", 11: "SIGSEGV", 27: "SIGPROF"}
SIGURG = 23  # sigPreempt (signal_unix.go:67)
SI_TKILL = -6  # tgkill's si_code (uapi/asm-generic/siginfo.h)

# The frame: sizeof(struct rt_sigframe) on x86-64 = 8 + 304 + 128.
UC_OFFSET, INFO_OFFSET, FRAME_SIZE = 0x8, 0x138, 0x1B8
MCONTEXT = 0x28  # uc_mcontext inside the ucontext
SIGCONTEXT = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx",
              "rdx", "rax", "rcx", "rsp", "rip")  # then eflags, cs/gs/fs/ss, err, trapno, ...
UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 0x1, 0x2, 0x4
USER_CS, USER_DS = 0x33, 0x2B
# The FPU/xsave area's size depends on the CPU (xstate_sigframe_size()). The book takes the one
# recorded on the real runtime (go118/FACTS.md: gsignal.hi - SP = 0xb88 at sigtramp's entry):
# 0xb88 = this area (rounded to 64 bytes) + 0x1b8 (the frame) + 0x10 (align_sigframe's -8 after
# rounding 0x1b8 down to 16). Any xsave size in (0x97c, 0x9bc] gives the same SP.
MATH_FRAME = 0x9C0
# The xsave area's header words, as the recorded CPU's kernel wrote them (reference/sigtramp.*.json, the
# same in both): the x87 control word after fninit, MXCSR with this CPU's MXCSR_MASK, the software-
# reserved words (FP_XSTATE_MAGIC1, extended size 0x984, the CPU's xfeatures 0xe7, xstate size 0x980),
# the XSAVE header's xstate_bv (x87 and SSE in use) and FP_XSTATE_MAGIC2 at the end
# (arch/x86/include/uapi/asm/sigcontext.h). The XMM registers go at 0xa0 + 16 * i.
FPU_WORDS = ((0x0, "fpstate.cwd", 0x37F), (0x18, "fpstate.mxcsr/mxcsr_mask", 0x2FFFF << 32 | 0x1F80),
             (0x1D0, "fpstate.sw_reserved.magic1/extended_size", 0x984 << 32 | 0x46505853),
             (0x1D8, "fpstate.sw_reserved.xfeatures", 0xE7), (0x1E0, "fpstate.sw_reserved.xstate_size", 0x980),
             (0x200, "xsave_header.xfeatures", 0x3), (0x980, "fpstate.magic2", 0x46505845))
FPU_XMM = 0xA0
# eflags bits restore_sigcontext takes from the context (FIX_EFLAGS, arch/x86/kernel/signal.c).
FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000
DF, TF, RF = 0x400, 0x100, 0x10000  # cleared by handle_signal before the handler runs
# User code always runs with interrupts enabled; Unicorn does not model IF, so the kernel adds it
# wherever it hands RFLAGS back to user space (the saved context, SYSCALL's R11), as the CPU shows it.
IF = 0x200

# What a word of the frame is, for the trace's labels and the pictures' roles.
_FRAME_WORDS = (
    (0x0, "rt_sigframe.pretcode"),
    (UC_OFFSET + 0x00, "ucontext.uc_flags"), (UC_OFFSET + 0x08, "ucontext.uc_link"),
    (UC_OFFSET + 0x10, "ucontext.uc_stack.ss_sp"), (UC_OFFSET + 0x18, "ucontext.uc_stack.ss_flags"),
    (UC_OFFSET + 0x20, "ucontext.uc_stack.ss_size"),
    *((UC_OFFSET + MCONTEXT + 8 * k, f"ucontext.mcontext.{r}") for k, r in enumerate(SIGCONTEXT)),
    *((UC_OFFSET + MCONTEXT + 8 * k, f"ucontext.mcontext.{n}") for k, n in
      ((17, "eflags"), (18, "cs/gs/fs/ss"), (19, "err"), (20, "trapno"), (21, "oldmask"),
       (22, "cr2"), (23, "fpstate"))),
    *((UC_OFFSET + MCONTEXT + 8 * k, f"ucontext.mcontext.reserved1[{k - 24}]") for k in range(24, 32)),
    (UC_OFFSET + 0x128, "ucontext.uc_sigmask"),
    (INFO_OFFSET + 0x00, "siginfo.si_signo/si_errno"), (INFO_OFFSET + 0x08, "siginfo.si_code"),
    (INFO_OFFSET + 0x10, "siginfo.si_pid/si_uid"),
    *((INFO_OFFSET + 8 * k, f"siginfo._sifields+{8 * k - 16:#x}") for k in range(3, 16)),
)
KERNEL = "kernel"  # the routine name of a kernel step


def frame_field(offset: int) -> str:
    """The rt_sigframe field at `offset` from the frame's start (pretcode), e.g. 'ucontext.mcontext.rip'."""
    return dict(_FRAME_WORDS).get(offset, f"rt_sigframe+{offset:#x}")


@dataclass(frozen=True)
class Signal:
    """A signal the scenario sends: delivered just before step `before_step` would run."""

    before_step: int
    signo: int
    handler: int  # sa_handler: runtime·sigtramp (sigaction with SA_ONSTACK|SA_SIGINFO|SA_RESTORER)
    restorer: int  # sa_restorer: runtime·sigreturn (os_linux.go, setsig)
    pid: int = 4242
    uid: int = 1000
    onstack: bool = True  # SA_ONSTACK: the runtime sets it for every handler (signal_unix.go)


@dataclass(frozen=True)
class Setup:
    """The kernel's state when the run starts: the thread's sigaltstack, the signals to come."""

    altstack: tuple[int, int, int] = (0, 0, SS_DISABLE)  # ss_sp, ss_size, ss_flags
    signals: tuple[Signal, ...] = ()
    pid: int = 4242
    uid: int = 1000
    blocked: int = 0  # the thread's signal mask at the start
    end_on_resume: bool = False  # the run ends where rt_sigreturn resumes the interrupted context


@dataclass
class Kernel:
    """The kernel's per-run state. Every method is a plain function of the machine's state."""

    setup: Setup
    fs_base: int
    altstack: tuple[int, int, int] = (0, 0, SS_DISABLE)
    blocked: int = 0  # the thread's signal mask
    delivered: set = field(default_factory=set)
    resumed_at: int | None = None  # where the last rt_sigreturn resumed

    def __post_init__(self) -> None:
        self.altstack = self.setup.altstack
        self.blocked = self.setup.blocked

    # sigaltstack's view of SP (kernel/signal.c: on_sig_stack, sas_ss_flags)
    def on_sig_stack(self, sp: int) -> bool:
        ss_sp, size, _ = self.altstack
        return size != 0 and ss_sp < sp <= ss_sp + size

    def sas_ss_flags(self, sp: int) -> int:
        if self.altstack[1] == 0:
            return SS_DISABLE
        return SS_ONSTACK if self.on_sig_stack(sp) else 0

    def due(self, step: int) -> Signal | None:
        """The signal to deliver before `step` (1-based) runs, once."""
        for s in self.setup.signals:
            if s.before_step == step and s not in self.delivered:
                return s
        return None


def syscall_name(nr: int) -> str:
    return SYSCALL_NAMES.get(nr, "unknown")


def _ret(v: int) -> int:
    return v & MASK


# The syscalls ----------------------------------------------------------------------------
# Each takes (kernel, mem, regs) with mem = (read(addr, size) -> bytes, write(addr, value, label))
# and returns (new registers, Chinese note).

def sys_arch_prctl(k: Kernel, mem, regs: dict) -> tuple[dict, str]:
    """arch_prctl(code, addr): ARCH_SET_FS sets the FS base (runtime·settls, sys_linux_amd64.s)."""
    code, addr = regs["rdi"], regs["rsi"]
    if code == ARCH_SET_FS:
        k.fs_base = addr
        return {"rax": 0}, f"内核：arch_prctl(ARCH_SET_FS, {addr:#x})：FS 基址 = {addr:#x}，返回 0"
    if code == ARCH_GET_FS:
        mem.write(addr, k.fs_base, "arch_prctl: *addr = FS base")
        return {"rax": 0}, f"内核：arch_prctl(ARCH_GET_FS)：[{addr:#x}] = FS 基址 {k.fs_base:#x}"
    return {"rax": _ret(-EINVAL)}, f"内核：arch_prctl({code:#x})：本书的内核只认 ARCH_SET_FS/GET_FS，返回 -EINVAL"


def sys_sigaltstack(k: Kernel, mem, regs: dict) -> tuple[dict, str]:
    """sigaltstack(new, old) (kernel/signal.c do_sigaltstack): old first, then new if given."""
    new, old = regs["rdi"], regs["rsi"]
    sp = regs["rsp"]
    ss_sp, size, _ = k.altstack
    parts = []
    if old:
        flags = k.sas_ss_flags(sp)
        for o, v, n in ((0, ss_sp, "ss_sp"), (8, flags, "ss_flags"), (16, size, "ss_size")):
            mem.write(old + o, v, f"sigaltstack old.{n}")
        parts.append(f"旧的备用栈写回 [{old:#x}]")
    if new:
        n_sp, n_flags, n_size = (int.from_bytes(mem.read(new + o, 8), "little") for o in (0, 8, 16))
        n_flags &= 0xFFFFFFFF
        if k.on_sig_stack(sp):
            return {"rax": _ret(-EPERM)}, "内核：sigaltstack：正在备用栈上，不能换，返回 -EPERM"
        if n_flags == SS_DISABLE:
            k.altstack = (0, 0, SS_DISABLE)
            parts.append("关闭备用栈")
        elif n_size < MINSIGSTKSZ:
            return {"rax": _ret(-ENOMEM)}, "内核：sigaltstack：栈小于 MINSIGSTKSZ，返回 -ENOMEM"
        else:
            k.altstack = (n_sp, n_size, 0)
            parts.append(f"记下备用栈 [{n_sp:#x}, {n_sp + n_size:#x})")
    return {"rax": 0}, "内核：sigaltstack：" + ("，".join(parts) or "什么也没做") + "，返回 0"


def sys_rt_sigreturn(k: Kernel, mem, regs: dict) -> tuple[dict, str]:
    """rt_sigreturn: the frame is at SP - 8; restore uc_mcontext (and the XMM registers from the
    xsave area it points to), the mask and the altstack."""
    frame = regs["rsp"] - 8
    uc = frame + UC_OFFSET
    word = lambda o: int.from_bytes(mem.read(uc + o, 8), "little")  # noqa: E731
    out = {r: word(MCONTEXT + 8 * i) for i, r in enumerate(SIGCONTEXT)}
    saved_flags = word(MCONTEXT + 8 * 17)
    out["eflags"] = (regs["eflags"] & ~FIX_EFLAGS) | (saved_flags & FIX_EFLAGS)
    k.blocked = word(0x128)
    ss_sp, ss_flags, ss_size = word(0x10), word(0x18) & 0xFFFFFFFF, word(0x20)
    fp = word(MCONTEXT + 8 * 23)  # mcontext.fpstate: the XMM registers come back from the xsave area
    if fp:
        raw = lambda a: int.from_bytes(mem.read(a, 8), "little")  # noqa: E731
        for i in range(16):
            x = fp + FPU_XMM + 16 * i
            out[f"xmm{i}"] = raw(x) | raw(x + 8) << 64
    k.resumed_at = out["rip"]
    if ss_flags != SS_ONSTACK:  # restore_altstack: do_sigaltstack, which refuses while on it
        k.altstack = (0, 0, SS_DISABLE) if ss_flags == SS_DISABLE else (ss_sp, ss_size, 0)
    return out, (f"内核：rt_sigreturn：从 ucontext（{uc:#x}）恢复全部寄存器，"
                 f"回到被打断的指令 {out['rip']:#x}，SP = {out['rsp']:#x}")


SYSCALLS = {SYS_ARCH_PRCTL: sys_arch_prctl, SYS_SIGALTSTACK: sys_sigaltstack,
            SYS_RT_SIGRETURN: sys_rt_sigreturn}


# Signal delivery --------------------------------------------------------------------------

def frame_of(k: Kernel, sp: int, onstack: bool) -> tuple[int, int] | None:
    """(frame, fpstate) get_sigframe picks for an interrupted SP; None if the altstack overflows."""
    onsig = k.on_sig_stack(sp)
    sp -= 128  # the red zone
    if onstack and k.sas_ss_flags(sp) == 0:
        ss_sp, size, _ = k.altstack
        sp = ss_sp + size
    fp = (sp - MATH_FRAME) & ~63  # fpu__alloc_mathframe: round_down(sp - size, 64)
    frame = ((fp - FRAME_SIZE) & ~15) - 8  # align_sigframe
    if onsig and not k.on_sig_stack(frame):
        return None
    return frame, fp


def frame_words(k: Kernel, sig: Signal, regs: dict, eflags: int, frame: int, fp: int, xmm: tuple = ()
                ) -> list[tuple[int, int, str]]:
    """(address, value, label) of every word __setup_rt_frame writes: the frame, and of the FPU area
    its header words and the XMM registers (the x87 and AVX state stay unmodelled)."""
    ss_sp, size, _ = k.altstack
    v = {"rt_sigframe.pretcode": sig.restorer,
         "ucontext.uc_flags": UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
         "ucontext.uc_stack.ss_sp": ss_sp, "ucontext.uc_stack.ss_flags": k.sas_ss_flags(regs["rsp"]),
         "ucontext.uc_stack.ss_size": size,
         **{f"ucontext.mcontext.{r}": regs[r] for r in SIGCONTEXT},
         "ucontext.mcontext.eflags": eflags | IF,
         "ucontext.mcontext.cs/gs/fs/ss": USER_CS | USER_DS << 48,  # gs = fs = 0
         "ucontext.mcontext.oldmask": k.blocked,  # set->sig[0], an unsigned long on x86-64
         "ucontext.mcontext.fpstate": fp, "ucontext.uc_sigmask": k.blocked,
         "siginfo.si_signo/si_errno": sig.signo, "siginfo.si_code": SI_TKILL & 0xFFFFFFFF,
         "siginfo.si_pid/si_uid": sig.pid | sig.uid << 32}
    words = [(frame + o, v.get(label, 0) & MASK, label) for o, label in _FRAME_WORDS]
    words += [(fp + o, value, label) for o, value, label in ((o, val, lab) for o, lab, val in FPU_WORDS)]
    for i, x in enumerate(xmm):
        words += [(fp + FPU_XMM + 16 * i, x & MASK, f"fpstate.xmm{i}.lo"),
                  (fp + FPU_XMM + 16 * i + 8, x >> 64 & MASK, f"fpstate.xmm{i}.hi")]
    return words


def deliver(k: Kernel, sig: Signal, regs: dict, eflags: int, write, xmm: tuple = ()
            ) -> tuple[dict, int, str] | None:
    """Lay out the rt_sigframe and enter the handler: (new registers, new eflags, note).

    None when get_sigframe fails (the altstack would overflow: Linux forces SIGSEGV)."""
    k.delivered.add(sig)
    where = frame_of(k, regs["rsp"], sig.onstack)
    if where is None:
        return None
    frame, fp = where
    for addr, value, label in frame_words(k, sig, regs, eflags, frame, fp, xmm):
        write(addr, value, label)
    k.blocked |= 1 << (sig.signo - 1)  # the handler runs with its own signal blocked (no SA_NODEFER)
    new = {"rdi": sig.signo, "rax": 0, "rsi": frame + INFO_OFFSET, "rdx": frame + UC_OFFSET,
           "rsp": frame, "rip": sig.handler}
    name = SIGNALS.get(sig.signo, f"signal {sig.signo}")
    switched = "换到备用栈（sigaltstack）" if not k.on_sig_stack(regs["rsp"]) and sig.onstack else "仍在原来的栈上"
    note = (f"内核：投递 {name}（{sig.signo}）：打断 {regs['rip']:#x}，{switched}，"
            f"在 {frame:#x} 摆好 rt_sigframe（[SP] = restorer，ucontext 在 SP+8，siginfo 在 SP+0x138，"
            f"FPU/xsave 区在 {fp:#x}：本书写它的头部和 XMM 寄存器，x87 与 AVX 的状态不模拟），DI = {sig.signo}，SI = &siginfo，DX = &ucontext，"
            f"进入处理函数 {sig.handler:#x}")
    return new, eflags & ~(DF | TF | RF), note


def writes_of(pairs: list[tuple[int, int, str]]) -> tuple[Write, ...]:
    return tuple(Write(a, 8, v, label) for a, v, label in pairs)
