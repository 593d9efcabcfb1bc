"""sigtramp: a signal while g (or g0) runs. The kernel's frame on gsignal's stack, sigtramp's saves,
sigtrampgo (a stand-in), the restorer's rt_sigreturn back to the interrupted instruction; held step by
step against the real runtime's recordings (gosched_book/runtime/reference/sigtramp.*.json)."""
import pytest

from gosched_book import run
from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.toolchain import compare as toolchain_compare, go_name, recorded
from gosched_book.machine import kernel as K
from gosched_book.machine.core import G, G0, GSIGNAL, STACKS
from gosched_book.runtime.recorded import load
from gosched_book.scenario.family import source
from gosched_book.chapters.refcompare import compare

ROUTINES = {"runtime·sigtramp": "runtime.sigtramp.abi0", "runtime·sigreturn": "runtime.sigreturn.abi0"}
SYMS = {"runtime.sigtramp.abi0": "runtime·sigtramp", "runtime.sigreturn.abi0": "runtime·sigreturn"}


@pytest.mark.parametrize("file", ["sigtramp.s", "sigreturn.s"])
def test_the_listing_is_the_toolchains_block(file):
    """The listing (the runtime's text with the book's notes) assembles to the bytes Go 1.19.8 made
    of sys_linux_amd64.s, relocations reaching the same symbols."""
    want = {b["name"]: b for b in recorded()["files"]["sys_linux_amd64.s"]}
    blocks = text_blocks(source(file))
    assert len(blocks) == 1
    v = toolchain_compare(blocks[0], "sys_linux_amd64.s", want[go_name(blocks[0].name)])
    assert v.ok, v


@pytest.mark.parametrize("preset,cur", [("normal", G), ("on_g0", G0)])
def test_the_run_enters_sigtramp_on_gsignals_stack_and_resumes_the_interrupted_instruction(preset, cur):
    t = run("sigtramp", preset)
    k = next(s for s in t.steps if s.routine == K.KERNEL)
    lo, hi = STACKS["gsignal"]
    assert k.i == 3 and hi - k.regs["rsp"] == 0xB88  # signal_at = 3; the recorded frame depth
    assert t.steps[k.i].routine == "runtime·sigtramp" and t.steps[k.i].pc == t.symbols["runtime·sigtramp"]
    interrupted = t.steps[k.i - 2].pc + len(t.steps[k.i - 2].bytes)
    assert k.pc == interrupted
    assert t.end.kind == "return" and t.end.pc == interrupted
    assert t.regs_at(len(t.steps)) | {"rip": 0} == t.regs_at(k.i - 1) | {"rip": 0}  # all restored
    tls = [t.tls_at(i) for i in range(len(t.steps) + 1)]
    assert GSIGNAL in tls and tls[-1] == cur and tls[0] == cur  # sigtrampgo's setg, and back
    assert all(tls[i] == cur for i in range(k.i + 1))  # the kernel does not touch TLS
    sr = t.steps[-1]
    assert sr.routine == "runtime·sigreturn" and sr.note.startswith("内核：rt_sigreturn")


@pytest.mark.parametrize("n", [1, 2, 4])
def test_the_signal_arrives_before_the_step_the_reader_picks(n):
    t = run("sigtramp", signal_at=n)
    k = next(s for s in t.steps if s.routine == K.KERNEL)
    assert k.i == n and k.pc == t.end.pc
    frame = {w.label: w.value for w in k.writes}
    assert frame["ucontext.mcontext.rip"] == k.pc
    assert frame["ucontext.mcontext.rax"] == t.regs_at(n - 1)["rax"]


@pytest.mark.parametrize("preset", ["normal", "on_g0"])
def test_matches_the_real_runtime_step_by_step(preset):
    rec = load(f"sigtramp.{preset}")
    t = run("sigtramp", preset)
    pairs = compare(t, rec, ROUTINES, SYMS)
    assert len(pairs) == 1 + 24 + 2  # the kernel's entry, sigtramp's 24 instructions, sigreturn's 2
    bad = {p.k: p.problems for p in pairs if p.problems}
    kernel, sigreturn = pairs[0], pairs[-1]
    # Where the two runs must differ, each for a reason outside the routines:
    # - siginfo's si_pid/si_uid: the sender (the recorded program, pid 25748 run by root; the
    #   book's kernel names pid 4242, uid 1000);
    # - mcontext.trapno: the thread's last trap number (setup_sigcontext saves thread.trap_nr); the
    #   recorded thread had stopped at gdb's breakpoint (#BP, 3) -- the book's reading of that 3.
    known = {"siginfo.si_pid/si_uid"} | ({"ucontext.mcontext.trapno"} if preset == "normal" else set())
    if preset == "on_g0":
        # The real thread was idle in futex with most signals blocked: the saved mask is that mask,
        # and Linux's syscall restart saved ax = orig_ax (futex, 202) and ip - 2 (test_kernel.py);
        # rt_sigreturn brings back that rax, and the run ends on the SYSCALL it restarts.
        known |= {"ucontext.mcontext.oldmask", "ucontext.uc_sigmask", "ucontext.mcontext.rax",
                  "ucontext.mcontext.rip"}
        assert bad[sigreturn.k] == ("rax 0x3 vs 0xca",), bad
        del bad[sigreturn.k]
    assert kernel.frame_fields() == known, kernel.problems
    del bad[kernel.k]
    assert not bad, bad  # sigtramp's 24 and sigreturn's 2 instructions: as the real ones


def code_lines(text: str) -> list[str]:
    """The instructions and directives of a text, comments dropped and spacing normalized."""
    out = []
    for line in text.split("\n"):
        code = line.split("//")[0].strip()
        if code:
            out.append(" ".join(code.replace(",", ", ").split()))
    return out


@pytest.mark.parametrize("file,routine", [("sigtramp.s", "runtime·sigtramp"), ("sigreturn.s", "runtime·sigreturn")])
def test_the_listing_is_the_runtimes_text_line_for_line(file, routine):
    """Every code line of the listing is the runtime's, in order: the book adds only comments
    (marked 本书注) and the header lines the block needs."""
    from go_source import RUNTIME, go_text_of

    if not RUNTIME.exists():
        pytest.skip("Go 1.19 sources not installed (apt install golang-1.19-src)")
    go = code_lines(go_text_of(routine))
    ours = [x for x in code_lines(source(file)) if not x.startswith("#")]
    assert ours == [x for x in go if not x.startswith("#")]
    notes = [line for line in source(file).split("\n") if "//" in line and "本书注" in line]
    assert notes and all("本书注：" in n for n in notes)
