"""Which program, mode and environment reach each recorded routine/preset (plain data).

Shared by record.py (which builds and runs gdb) and gdbstep.py (which runs inside gdb and
holds, per preset, how to reach the routine and where the recording stops).
"""
from __future__ import annotations

from dataclasses import dataclass

# Every recording runs with one P and without the runtime's SIGURG preemption unless the
# preset is about that preemption: a SIGURG arriving mid-step would make gdb run a whole
# signal handler inside one stepi.
QUIET = {"GOMAXPROCS": "1", "GODEBUG": "asyncpreemptoff=1"}


@dataclass(frozen=True)
class Preset:
    routine: str
    preset: str
    program: str  # "prog" (CGO_ENABLED=0) or "cgoprog" (cgo)
    mode: str  # the program's argument
    env: tuple[tuple[str, str], ...]
    title: str

    @property
    def name(self) -> str:
        return f"{self.routine}.{self.preset}"


def _p(routine: str, preset: str, program: str, mode: str, title: str, **env: str) -> Preset:
    merged = dict(QUIET)
    merged.update(env)
    return Preset(routine, preset, program, mode, tuple(sorted(merged.items())), title)


PRESETS: tuple[Preset, ...] = (
    _p("mcall", "normal", "prog", "gosched", "runtime.Gosched -> mcall(gosched_m), up to gosched_m's entry"),
    _p("mcall", "recovery", "prog", "recover_open", "gopanic -> mcall(recovery), up to recovery's entry"),
    _p("systemstack", "normal", "prog", "stack",
       "runtime.Stack -> systemstack(func1) from a goroutine: to g0, fn (skipped), back, RET"),
    _p("systemstack", "on_g0", "prog", "gosched",
       "the first systemstack called on g0 (at startup; fn is persistentalloc.func1): noswitch tail call"),
    _p("gogo", "normal", "prog", "gosched", "schedule -> execute -> gogo(&g.sched) after Gosched, up to gobuf.pc"),
    _p("gogo", "g0", "prog", "locked_exit",
       "goexit0 of a goroutine that exits locked to its thread: gogo(&g0.sched), up to g0.sched.pc in mstart0"),
    _p("gogo", "newg", "prog", "newg", "a new goroutine's first gogo, up to its function's entry"),
    _p("gogo", "recover", "prog", "recover",
       "recovery -> gogo for a defer record (defer in a loop): to deferproc's return, TESTL AX, AX"),
    _p("gogo", "recover_open", "prog", "recover_open",
       "recovery -> gogo for an open-coded defer: up to the frame's CALL runtime.deferreturn"),
    _p("morestack", "normal", "prog", "grow",
       "a deep recursion: morestack_noctxt -> morestack -> newstack (skipped) -> gogo -> prologue again"),
    _p("morestack", "closure", "prog", "grow_closure",
       "a recursive closure: its prologue calls morestack directly (DX kept) -> newstack (skipped) -> gogo -> "
       "prologue again"),
    _p("morestack", "preempt", "prog", "preempt",
       "stackguard0 = stackPreempt: morestack -> newstack -> gopreempt_m (skipped) -> gogo -> prologue again"),
    _p("goexit", "normal", "prog", "newg",
       "a goroutine's function returns into goexit+1 -> goexit1 -> mcall(goexit0), up to goexit0's entry"),
    _p("asyncPreempt", "normal", "prog", "spin",
       "a loop without calls preempted by SIGURG: asyncPreempt -> asyncPreempt2 -> mcall(gopreempt_m) -> "
       "schedule (skipped) -> gogo -> restore -> RET to the interrupted PC", GODEBUG=""),
    _p("asyncPreempt", "signal", "prog", "spin",
       "the same preemption from its signal: SIGURG delivered on gsignal's stack, sigtramp, sigtrampgo "
       "(skipped: doSigPreempt pushes the call to asyncPreempt into the ucontext), rt_sigreturn into "
       "asyncPreempt, and on to the interrupted PC as in asyncPreempt.normal", GODEBUG=""),
    _p("sigtramp", "normal", "prog", "sigusr1",
       "SIGUSR1 sent with tgkill to the goroutine's own thread: kernel delivery, sigtramp, sigtrampgo "
       "(skipped), the restorer's rt_sigreturn"),
    _p("sigtramp", "on_g0", "prog", "sigusr1_others",
       "SIGUSR1 sent with tgkill to a thread that runs on g0 (idle or sysmon): the same path"),
    _p("asmcgocall", "normal", "cgoprog", "cgocall", "Go calls a C function: cgocall -> asmcgocall -> C (skipped) -> back"),
    _p("asmcgocall", "on_g0", "cgoprog", "cgocall",
       "the runtime on g0 calls C: newm1 -> asmcgocall(_cgo_thread_start) for sysmon's thread, no switch -> C "
       "(skipped) -> back"),
    _p("cgocallback", "normal", "cgoprog", "callback",
       "C calls an exported Go function on a thread with an m: crosscall2 -> cgocallback -> cgocallbackg "
       "(skipped) -> back"),
    _p("rt0_go", "normal", "prog", "gosched",
       "from _rt0_amd64_linux through rt0_go (Go calls skipped) to mstart -> mstart0 -> mstart1 writing g0.sched"),
)


def find(name: str) -> Preset:
    """The preset called "routine.preset" (or "routine:preset")."""
    key = name.replace(":", ".")
    for p in PRESETS:
        if p.name == key:
            return p
    raise KeyError(name)
