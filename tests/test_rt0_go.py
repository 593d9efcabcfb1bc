"""rt0_go:normal: from the process entry to mstart1 writing g0.sched; the runtime's own text
assembled as the toolchain did, and compared with the real runtime's recording step by step
(gosched_book/runtime/reference/rt0_go.normal.json) where the book runs the real instructions."""
import json
from pathlib import Path

import pytest

from gosched_book import run
from gosched_book.asm.blocks import text_blocks
from gosched_book.asm.toolchain import compare, go_name, recorded
from gosched_book.families.boot import worlds
from gosched_book.machine.core import G0, M0, STACK_GUARD
from gosched_book.runtime.layout import offsetof
from gosched_book.scenario.family import source

REF = Path(__file__).parents[1] / "gosched_book" / "runtime" / "reference" / "rt0_go.normal.json"
# The runtime's own instructions the book runs, by the recording's symbol and the book's routine.
REAL = {"_rt0_amd64_linux": "_rt0_amd64_linux", "_rt0_amd64": "_rt0_amd64",
        "runtime.rt0_go.abi0": "runtime·rt0_go", "runtime.settls.abi0": "runtime·settls",
        "runtime.mstart.abi0": "runtime·mstart"}
# ABI0 wrappers the linker made; the book's copies have their shape (the stand-in bodies differ).
WRAPPERS = {"runtime.check.abi0": "runtime·check", "runtime.args.abi0": "runtime·args",
            "runtime.osinit.abi0": "runtime·osinit", "runtime.schedinit.abi0": "runtime·schedinit",
            "runtime.newproc.abi0": "runtime·newproc"}


def ref():
    return json.loads(REF.read_text())


def test_the_listing_is_the_toolchains_bytes():
    want = {b["name"]: b for b in recorded()["files"]["asm_amd64.s"]}
    want_sys = {b["name"]: b for b in recorded()["files"]["sys_linux_amd64.s"]}
    checked = []
    for file, table in (("rt0_go.s", want), ("settls.s", want_sys)):
        for block in text_blocks(source(file)):
            if go_name(block.name) in table:
                v = compare(block, file, table[go_name(block.name)])
                assert v.ok, (block.name, v.line, v.detail)
                checked.append(block.name)
    assert {"runtime·rt0_go", "_rt0_amd64", "runtime·settls", "runtime·asminit"} <= set(checked)


def test_rt0_go_builds_g0_on_the_os_stack_sets_tls_and_writes_g0_sched():
    t = run("rt0_go")
    assert t.end.kind == "event" and t.end.label == "runtime·asminit"
    assert t.initial_tls_g == 0 and t.steps[0].routine == "_rt0_amd64_linux"
    mem = t.memory_at(len(t.steps))
    g = lambda f: mem[G0 + offsetof("g", f.split(".")[0]) + (offsetof("stack" if f.startswith("stack") else "gobuf",  # noqa: E731
                      f.split(".")[1]) if "." in f else 0)]
    hi = (t.initial_regs["rsp"] - 0x28) & ~15
    assert g("stack.hi") == hi and g("stack.lo") == hi - 64 * 1024 + 104  # asm_amd64.s:170-175
    assert g("stackguard0") == g("stackguard1") == g("stack.lo") + STACK_GUARD  # mstart0
    assert g("m") == M0 and mem[M0 + offsetof("m", "g0")] == G0
    assert g("sched.g") == G0
    assert g("sched.pc") == t.symbols["runtime·mstart0"] + next(
        s.pc + len(s.bytes) for s in t.steps if s.plan9.startswith("CALL    runtime·mstart1")) - t.symbols["runtime·mstart0"]
    # TLS g: nothing, then the probe 0x123 through FS-8, then g0; arch_prctl set FS between.
    tls = [t.tls_at(k) for k in range(len(t.steps) + 1)]
    assert list(dict.fromkeys(tls)) == [0, 0x123, G0]
    sys = next(s for s in t.steps if s.plan9.startswith("SYSCALL"))
    assert "arch_prctl" in sys.note and f"{M0 + offsetof('m', 'tls') + 8:#x}" in sys.note
    first_r14 = next(s for s in t.steps if s.regs["r14"] == G0)
    assert first_r14.routine == "runtime·check" and first_r14.plan9.startswith("MOVQ    g(CX), R14")
    assert {o for o, _, _ in t.stacks} == {"os"}


def test_the_emulators_cpu_takes_the_intel_branch():
    ours = run("rt0_go", cpu="unicorn")
    rec = run("rt0_go")
    assert worlds.cpu_name() == "AuthenticAMD"
    assert any(s.plan9.startswith("MOVB    $1, runtime·isIntel") or s.plan9.startswith("MOVB\t$1, runtime·isIntel")
               for s in ours.steps)
    assert not any("isIntel" in s.plan9 for s in rec.steps)
    assert ours.end.label == rec.end.label and len(ours.steps) > len(rec.steps)


def _real_steps(ref_steps):
    return [s for s in ref_steps if "pc" in s and "kernel" not in s]


@pytest.mark.skipif(not REF.exists(), reason="the gdb reference has not landed")
def test_matches_the_real_runtime_where_the_book_runs_its_instructions():
    r = ref()
    t = run("rt0_go")
    names = {**REAL, **WRAPPERS}
    theirs = [s for s in _real_steps(r["steps"]) if s["sym"].split("+")[0] in names]
    ours = [s for s in t.steps if s.routine in names.values()]
    # The recording runs the Go functions' bodies (skipped there); the book's stand-ins sit where they were.
    assert [names[s["sym"].split("+")[0]] for s in theirs] == [s.routine for s in ours]

    def same_bytes(a: bytes, b: bytes) -> bool:  # rel32 and RIP-relative displacements: the layout's
        return a == b or (len(a) == len(b) and len(a) >= 5 and a[:-4] == b[:-4])

    sp0 = int(r["initial"]["regs"]["rsp"], 16)
    assert t.initial_regs["rsp"] == sp0  # the book's world starts where the recording did
    prev_regs = {k: int(v, 16) for k, v in r["initial"]["regs"].items() if v is not None}
    real = {}
    for s in r["steps"]:
        if "regs" in s:
            prev_regs.update({k: int(v, 16) for k, v in s["regs"].items() if v is not None})
        if "pc" in s:
            real[id(s)] = dict(prev_regs)
    m_ref = int(r["structures"]["m"], 16)
    g0_ref = int(r["structures"]["g0"], 16)

    def rel(v: int, m: int, g0: int) -> object:  # a value by what it names
        return {0: 0, m: "m", g0: "g0", m + 0x90: "m+0x90"}.get(v, v)

    compared = 0
    for a, b in zip(theirs, ours):
        assert same_bytes(bytes.fromhex(a["bytes"]), b.bytes), (a["sym"], b.plan9)
        ra = real[id(a)]
        assert ra["rsp"] == b.regs["rsp"], (a["sym"], b.plan9)  # SP on the same OS stack words
        if "tls_g" in ra:
            assert rel(ra["tls_g"], m_ref, g0_ref) == rel(b.tls_g, M0, G0), (a["sym"], b.plan9)
        assert rel(ra["fs_base"], m_ref, g0_ref) == rel(_fs_after(t, b), M0, G0), a["sym"]
        assert rel(ra["r14"], m_ref, g0_ref) == rel(b.regs["r14"], M0, G0), a["sym"]
        # The struct words it wrote (stack words are compared through SP above), by name and value.
        want = {("TLS g" if m[1] == "m.tls[0]" else m[1]): rel(int(m[3], 16), m_ref, g0_ref)
                for m in a["mem"] if m[1].startswith(("g0.", "m."))}
        got = {w.label: rel(w.value, M0, G0) for w in b.writes if w.label.startswith(("g0.", "m.", "TLS"))}
        assert want == got, (a["sym"], b.plan9)
        compared += 1
    assert compared == len(theirs) >= 90
    # mstart0's ABI0 wrapper: the stand-in begins with the same two instructions, then its body differs.
    wrap = [s for s in _real_steps(r["steps"]) if s["sym"].startswith("runtime.mstart0.abi0")]
    mine = [s for s in t.steps if s.routine == "runtime·mstart0"][:2]
    assert [bytes.fromhex(s["bytes"]) for s in wrap[:2]] == [s.bytes for s in mine]
    # g0's bounds are the same numbers (same entry SP); g0.sched.sp differs by mstart0's frame.
    end = r["structures_at_end"]
    mem = t.memory_at(len(t.steps))
    assert mem[G0] == int(end["g0.stack.lo"], 16) and mem[G0 + 8] == int(end["g0.stack.hi"], 16)
    sched_sp = [int(m[3], 16) for s in r["steps"] for m in s.get("mem", []) if m[1] == "g0.sched.sp"]
    ours_sp = mem[G0 + offsetof("g", "sched")]
    assert ours_sp - sched_sp[-1] == 0x28  # the real mstart0's 0x28-byte frame; the stand-in has none


def _fs_after(t, step) -> int:
    """FS base after a step: 0 until settls's SYSCALL, then &m0.tls[0] + 8."""
    k = next(s.i for s in t.steps if s.plan9.startswith("SYSCALL"))
    return 0 if step.i < k else M0 + offsetof("m", "tls") + 8
