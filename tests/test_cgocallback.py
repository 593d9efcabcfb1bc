"""cgocallback: C calls an exported Go function on a thread with an m. g0.sched.sp is set to the
current SP for the callback and restored after it; curg's stack gets the fake return PC; the book's
trace is compared step by step with the real runtime's recording
(gosched_book/runtime/reference/cgocallback.normal.json) where the book runs the real instruction."""
import json
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.machine.code import code_image
from gosched_book.machine.core import G, G0, M0, STACKS
from gosched_book.runtime.layout import offsetof, sizeof
from helpers import assert_golden, initial, writes_to

REF = Path(__file__).parents[1] / "gosched_book" / "runtime" / "reference" / "cgocallback.normal.json"
# The real runtime's routines the book runs instruction for instruction, by their objdump names.
OURS = {"·cgocallback": "runtime.cgocallback.abi0", "runtime·cgocallbackg": "runtime.cgocallbackg.abi0"}
TLS_SLOT = M0 + offsetof("m", "tls")
COMPARED = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r14")


def test_cgocallback_is_the_toolchains_bytes(golden):
    assert_golden(code_image(), "·cgocallback", golden)


def test_g0_sched_sp_is_the_callbacks_sp_while_it_runs_and_restored_after():
    t = run("cgocallback")
    assert t.end.kind == "return" and t.end.pc == t.symbols["crosscall2"] + 0x3D  # as in the real binary
    old, entry = initial(t, "g0.sched.sp"), t.initial_regs["rsp"]
    ws = writes_to(t, "g0.sched.sp")
    assert [v for _, v in ws] == [entry - 0x20, old]  # SUBQ $0x20 (the $24 frame + BP), then the old value
    set_at, restored_at = ws[0][0], ws[1][0]
    assert t.memory_at(set_at)[entry - 0x20] == old  # saved at 0(SP) on g0's stack first (unwindm reads it)
    on_g = [i for i in range(set_at, restored_at) if STACKS["g"][0] <= t.regs_at(i)["rsp"] < STACKS["g"][1]]
    assert on_g and all(t.tls_at(i) in (G, G0) for i in on_g)
    assert t.regs_at(len(t.steps))["rsp"] == entry + 8 and t.tls_at(len(t.steps)) == G0


def test_the_fake_return_pc_and_the_frame_on_curgs_stack():
    t = run("cgocallback")
    sched_sp, sched_pc = initial(t, "g.sched.sp"), initial(t, "g.sched.pc")
    assert sched_pc == t.symbols["runtime·systemstack_switch"]  # asmcgocall's gosave
    k = next(s.i for s in t.steps if s.plan9.startswith("MOVQ    BX, -8(DI)"))
    assert t.memory_at(k)[sched_sp - 8] == sched_pc
    call = next(s.i for s in t.steps if s.routine == "·cgocallback" and s.plan9.startswith("CALL    AX"))
    sp = t.regs_at(call - 1)["rsp"]
    assert sched_sp - sp == 0x28  # the same frame size as on g0: $24, saved BP and the return PC
    m = t.memory_at(call - 1)
    assert m[sp] == t.symbols["main·cgoexp_goCallback"] and m[sp + 0x10] == 0
    assert STACKS["g0"][0] <= m[sp + 8] < STACKS["g0"][1]  # frame: the C frame, on the thread's stack


def test_curg_sched_is_restored_after_cgocallbackg_rewrote_it():
    t = run("cgocallback")
    before = {f: initial(t, f"g.sched.{f}") for f in ("sp", "pc")}
    # reentersyscall's save(savedpc, savedsp) in the stand-in: cgocall's pc and sp from entersyscall.
    assert (initial(t, "g.syscallpc"), initial(t, "g.syscallsp")) in zip(
        [v for _, v in writes_to(t, "g.sched.pc")], [v for _, v in writes_to(t, "g.sched.sp")][1:])
    end = t.memory_at(len(t.steps))
    assert end[G + 0x38] == before["sp"] and end[G + 0x40] == before["pc"]
    assert end[G + 0x68] == 0  # gogo (the slow exitsyscall's way back) zeroed g.sched.bp; nothing restores it
    fast = run("cgocallback", exitsyscall="fast").memory_at(-1)
    assert fast[G + 0x68] == initial(t, "g.sched.bp")


def test_the_callback_wrote_its_result_into_the_c_frame():
    t = run("cgocallback")
    frame = t.initial_regs["rsi"]
    x = t.memory_at(0)[frame] & 0xFFFFFFFF
    assert t.memory_at(len(t.steps))[frame] >> 32 == 2 * x


def test_slow_exitsyscall_uses_g0_below_the_callbacks_frame():
    t = run("cgocallback")
    sp0 = t.initial_regs["rsp"] - 0x20  # cgocallback's SP = the new g0.sched.sp
    lo0, hi0 = STACKS["g0"]
    g0_writes = [w.addr for s in t.steps for w in s.writes if lo0 <= w.addr < hi0]
    below = [a for a in g0_writes if a < sp0]
    assert below and max(below) == sp0 - 8  # mcall's PUSHQ AX, first word below
    fast = run("cgocallback", exitsyscall="fast")
    assert fast.end.kind == "return"
    assert not [w for s in fast.steps for w in s.writes if lo0 <= w.addr < sp0]
    assert not any(s.routine == "runtime·mcall" for s in fast.steps)


def _line(text: str) -> int:
    from gosched_book.scenario.family import source

    return next(n for n, line in enumerate(source("cgocallback.s").splitlines(), 1)
                if line.split("//")[0].split() == text.split() and "本书注" in line)


def test_without_rewriting_g0_sched_sp_the_callback_overwrites_asmcgocalls_frame():
    t = run("cgocallback", patch=f"cgocallback.s:{_line('MOVQ SP, (g_sched+gobuf_sp)(SI)')}=")
    depth_slot = next(a for a, role in t.roles.items() if "depth" in role)
    written = {w.addr for s in t.steps for w in s.writes}
    assert depth_slot in written  # the slow exitsyscall's frames landed on asmcgocall's saved depth
    assert not (t.end.kind == "return" and t.end.pc == t.symbols["crosscall2"] + 0x3D)


def test_a_thread_without_m_calls_needm_which_the_book_does_not_model():
    t = run("cgocallback", thread_m="none")
    assert t.end.kind == "event" and t.end.detail == "needm"
    assert "needm" in t.end.summary and "不模拟" in t.end.summary
    assert t.regs_at(len(t.steps))["r14"] == 0 and t.tls_at(len(t.steps)) == 0
    assert not writes_to(t, "g0.sched.sp")
    assert [name for name, _, _ in t.stacks] == ["thread"]


# The gdb recording ----------------------------------------------------------------------------

def _canon(v: int, anchors: dict[str, int], stacks: dict[str, tuple[int, int]], code: dict[int, str]) -> str:
    """A value as the world-independent name the comparison uses: g, g0, m, g0.hi-0x128, a code symbol."""
    for name, a in anchors.items():
        if v == a:
            return name
    for name, a in anchors.items():  # a field: g+0x38 is g.sched.sp, m+0xc0 is m.curg
        if 0 < v - a < sizeof("m" if name == "m" else "g"):
            return f"{name}+{v - a:#x}"
    for name, (lo, hi) in stacks.items():
        if lo <= v <= hi:
            return f"{name}.hi-{hi - v:#x}"
    if v in code:
        return code[v]
    return hex(v)


def _ours_canon(t):
    s = t.symbols
    anchors = {"g": G, "g0": G0, "m": M0}
    code = {s["runtime·systemstack_switch"]: "systemstack_switch", s["main·cgoexp_goCallback"]: "fn",
            s["crosscall2"] + 0x3D: "crosscall2+0x3d", s["runtime·cgocallbackg"]: "cgocallbackg.abi0",
            s["runtime·mcall"] + 0x43: "mcall+0x43"}
    code[s["runtime·cgocallbackg"] + 0x2F] = "cgocallbackg.abi0+0x2f"
    code[s["·cgocallback"] + 0xB4] = "cgocallback+0xb4"
    return lambda v: _canon(v, anchors, {"g": STACKS["g"], "g0": STACKS["g0"]}, code)


def _real_canon(ref):
    st, sy = ref["structures"], {k: int(v, 16) for k, v in ref["symbols"].items()}
    h = lambda k: int(st[k], 16)  # noqa: E731
    anchors = {"g": h("g"), "g0": h("g0"), "m": h("m")}
    fn = int(ref["initial"]["mem"][0][0], 16)  # [entry SP + 8] = fn; the first watched word is fn's code
    code = {sy["runtime.systemstack_switch.abi0"]: "systemstack_switch", fn: "fn",
            sy["crosscall2"] + 0x3D: "crosscall2+0x3d", sy["runtime.cgocallbackg.abi0"]: "cgocallbackg.abi0",
            sy["runtime.mcall"] + 0x43: "mcall+0x43",
            sy["runtime.cgocallbackg.abi0"] + 0x2F: "cgocallbackg.abi0+0x2f",
            sy["runtime.cgocallback.abi0"] + 0xB4: "cgocallback+0xb4"}
    stacks = {"g": (h("g.stack.lo"), h("g.stack.hi")), "g0": (h("g0.stack.lo"), h("g0.stack.hi"))}
    return lambda v: _canon(v, anchors, stacks, code)


def _real_steps(ref):
    """(step, full register state after it, written words) for each real step, skips applied."""
    regs = {k: int(v, 16) for k, v in ref["initial"]["regs"].items() if v is not None}
    out = []
    for s in ref["steps"]:
        regs = {**regs, **{k: int(v, 16) for k, v in s["regs"].items() if v is not None}}
        out.append((s, regs, [(int(a, 16), int(new, 16)) for a, _, _, new in s["mem"]]))
    return out


@pytest.fixture(scope="module")
def ref():
    if not REF.exists():
        pytest.skip("the gdb reference has not landed")
    return json.loads(REF.read_text())


def test_normal_matches_the_real_runtime_step_by_step(ref):
    t = run("cgocallback")
    ours, real = _ours_canon(t), _real_canon(ref)
    mine = [s for s in t.steps if s.routine in OURS]
    theirs = [r for r in _real_steps(ref) if "skipped" not in r[0]]
    assert [(OURS[s.routine], s.pc - t.symbols[s.routine]) for s in mine] == [
        (r["sym"].split("+")[0], int(r["sym"].split("+")[1], 16)) for r, _, _ in theirs]
    assert ours(t.initial_regs["rsp"]) == real(int(ref["initial"]["regs"]["rsp"], 16)) == "g0.hi-0x128"
    for s, (r, rregs, rmem) in zip(mine, theirs):
        where = f"{r['sym']} {r['asm']}"
        if not s.bytes.hex().startswith(("488d05", "e8")):  # RIP-relative / rel32: the link decides
            assert s.bytes.hex() == r["bytes"], where
        # Registers this instruction changed in either run, SP included, by what they point at.
        changed = {k for k in s.changed if k in COMPARED} | {k for k in r["regs"] if k in COMPARED}
        for k in sorted(changed):
            assert ours(s.regs[k]) == real(rregs[k]), (where, k)
        assert ours(s.tls_g) == real(rregs["tls_g"]), where
        # Memory written: the same words (by name), the same values (by name). The TLS slot is compared
        # as TLS g above: in the real cgo binary it lies in the C library's thread block (FS base is
        # glibc's), in the book's world it is m.tls[0], as in an internally linked program.
        assert sorted((ours(w.addr), ours(w.value)) for w in s.writes if w.addr != TLS_SLOT) == sorted(
            (real(a), real(v)) for a, v in rmem), where
    end = int(ref["end"]["pc"], 16)
    assert ours(t.end.pc) == real(end) == "crosscall2+0x3d"


def test_what_cgocallbackg_left_matches_the_real_one(ref):
    """The book's cgocallbackg is a stand-in: compared by what it leaves for cgocallback."""
    t = run("cgocallback")
    ours, real = _ours_canon(t), _real_canon(ref)
    skip = next(s for s in ref["steps"] if "skipped" in s)
    rmem = {real(int(a, 16)): real(int(new, 16)) for a, _, _, new in skip["mem"]}
    first = next(s.i for s in t.steps if s.routine == "runtime·cgocallbackg.abiinternal")
    last = max(s.i for s in t.steps if s.routine.startswith(("runtime·cgocallbackg.", "runtime·mcall", "gogo",
                                                               "runtime·gogo", "runtime·exitsyscall0",
                                                               "main·cgoexp")))
    m0, m1 = t.memory_at(first - 1), t.memory_at(last)
    mine = {ours(a): ours(v) for a, v in m1.items() if m0.get(a) != v}
    # g.sched as cgocallback finds it: reentersyscall's save (pc, sp in cgocall) and bp zeroed by gogo.
    for f in ("sp", "bp"):
        addr = G + {"sp": 0x38, "bp": 0x68}[f]
        real_addr = int(ref["structures"]["g"], 16) + {"sp": 0x38, "bp": 0x68}[f]
        assert ours(m1[addr]) == real(int(next(m[3] for m in skip["mem"] if int(m[0], 16) == real_addr), 16))
    # mcall's two words on g0 just below cgocallback's frame: the slow exitsyscall ran on g0 there.
    for word in ("g0.hi-0x150", "g0.hi-0x158"):
        assert mine[word] == rmem[word], word
    assert rmem["g0.hi-0x150"] == "g" and rmem["g0.hi-0x158"] == "mcall+0x43"
    assert ours(t.regs_at(last)["rsp"]) == real(int(skip["regs"]["rsp"], 16))


def test_the_picture_names_the_fake_return_pc_the_saved_g0_sp_and_the_thread_stack():
    from gosched_book.views.model import roles_at
    from gosched_book.views.picture import role_zh, stack_title

    t = run("cgocallback")
    roles = roles_at(t, len(t.steps))
    assert role_zh(roles[initial(t, "g.sched.sp") - 8]) == "伪返回地址"
    assert role_zh(roles[t.initial_regs["rsp"] - 0x20]) == "旧的 g0.sched.sp"
    for routine, preset, params in (("cgocallback", "normal", {"thread_m": "none"}), ("asmcgocall", "no_g", {})):
        owner = run(routine, preset, **params).stacks[0][0]
        assert stack_title(owner) == "线程栈（没有 g）", routine


def test_the_chapters_patch_deletes_the_g0_sched_sp_rewrite():
    from gosched_book.chapters import cgo

    line = _line("MOVQ SP, (g_sched+gobuf_sp)(SI)")
    assert cgo.NO_SET_G0_SP == f"cgocallback.s:{line}="
    chapter = (Path(__file__).parents[1] / "notebooks" / "07c-cgo.ipynb").read_text(encoding="utf-8")
    assert f'patch=\\"{cgo.NO_SET_G0_SP}\\"' in chapter
    t = run("cgocallback", patch=cgo.NO_SET_G0_SP)
    assert not any("g0.sched.sp" == w.label and w.value == t.initial_regs["rsp"] - 0x20
                   for s in t.steps for w in s.writes)


@pytest.mark.parametrize("routine", ["asmcgocall", "cgocallback"])
def test_the_chapters_comparison_table_gives_every_difference_a_reason(routine, ref):
    from gosched_book.chapters import cgo

    h = cgo.held(routine)  # KeyError if a difference had no reason
    paired = sum(1 for s in run(routine).steps if s.routine in cgo.RECORDED[(routine, "normal")].routines)
    assert h.steps == paired and h.same == h.steps - len({k for k, *_ in h.differ})
    if routine == "cgocallback":  # only the TLS slot's place differs (compared as TLS g above)
        assert {why for *_, why in h.differ} == {cgo._TLS} and len(h.differ) == 2
    assert "m.tls[0]" in cgo.reference_table(routine).data


def test_the_chapters_step_numbers_are_the_traces():
    """07c's prose names steps of the cgocallback stepper: each is the step that does what it says."""
    import json
    import re

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / "07c-cgo.ipynb").read_text(encoding="utf-8"))
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    t = run("cgocallback")
    g0_sp = next(s.i for s in t.steps for w in s.writes if w.label == "g0.sched.sp")
    fake = next(s.i for s in t.steps for w in s.writes if w.addr == initial(t, "g.sched.sp") - 8)
    assert f"第 {g0_sp} 步之后，g0.sched.sp 就是 cgocallback 的 SP" in prose
    assert f"第 {fake} 步在 curg 的栈上写下伪返回地址" in prose
    assert t.regs_at(g0_sp)["rsp"] == next(w.value for w in t.steps[g0_sp - 1].writes)
    assert len(re.findall(r"第 \d+ 步", prose)) == 2, "a new step number in 07c's prose: pin it here"
