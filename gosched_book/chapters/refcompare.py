"""Hold a book trace against a gdb recording of the real runtime, step by step (tests and chapters).

Steps are paired in order over the routines the book runs from the runtime's own text (and the
kernel's entries); a stand-in's steps and the recording's skipped Go functions are left out. For each
pair: the offset in the routine, the bytes (a CALL's rel32 aside: it depends on the link), SP, TLS g,
every register the real instruction changed and every recorded word it changed.

Values differ between the two runs (other addresses, other interrupted code), so each is compared as
its run names it: a stack depth (hi - v), an offset in g/g0/gsignal/m, a symbol + offset, or a value of
the interrupted context (the registers just before the kernel entry, or at the start), else the raw
number.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..machine import kernel as K
from ..machine.core import G, G0, GSIGNAL, M0
from ..runtime.recorded import Entry, Recording, express

GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip")


@dataclass(frozen=True)
class Pair:
    k: int  # the book's step number (1-based)
    entry: Entry
    problems: tuple[str, ...]
    words: tuple[tuple, ...] = ()  # the differing memory words, as the recording names them

    def frame_fields(self) -> set[str]:
        """For the kernel's entry: the rt_sigframe fields that differ."""
        hi_minus_frame = 0xB88  # the recorded depth (test_kernel.py holds it)
        return {K.frame_field(hi_minus_frame - d) for _, _, d in self.words}


def link_dependent(ours: bytes, theirs: bytes) -> bool:
    """Bytes that differ only in a displacement the linker picks: a CALL/JMP rel32 to another
    symbol (e8/e9) or a RIP-relative LEAQ of a symbol into any register (REX.W 48 or 4c, 8d, ModRM
    with mod 00 and r/m 101: 48 8d 05 is LEAQ ·(SB), AX; 4c 8d 0d is LEAQ ·(SB), R9)."""
    if len(ours) != len(theirs) or ours[:-4] != theirs[:-4]:
        return False
    return (len(ours) == 5 and ours[0] in (0xE8, 0xE9)) or (
        len(ours) == 7 and ours[0] in (0x48, 0x4C) and ours[1] == 0x8D and ours[2] & 0xC7 == 0x05)


def book_structures(t, who=("g", "g0", "gsignal")) -> dict[str, int]:
    out = {"m": M0, "g": G, "g0": G0, "gsignal": GSIGNAL}
    for owner, lo, hi in t.stacks:
        if owner in who:
            out[f"{owner}.stack.lo"], out[f"{owner}.stack.hi"] = lo, hi
    return out


class Values:
    """Compares a book value with a recorded one, each named by its own run."""

    def __init__(self, t, rec: Recording, symmap: dict[str, str], ctx_book: dict, ctx_ref: dict,
                 stacks: dict[str, tuple[int, int]]):
        self.rs = {k: v for k, v in rec.structures.items()}
        self.bs = book_structures(t)
        for owner, (lo, hi) in stacks.items():
            self.bs[f"{owner}.stack.lo"], self.bs[f"{owner}.stack.hi"] = lo, hi
        for who in ("g", "g0", "gsignal"):  # compare only what both runs have
            if who not in self.rs:
                self.bs.pop(who, None)
                self.bs.pop(f"{who}.stack.lo", None)
                self.bs.pop(f"{who}.stack.hi", None)
        self.ry = {n: rec.symbols[n] for n in symmap}
        self.by = {n: t.symbols[b] for n, b in symmap.items()}
        self.ctx_book, self.ctx_ref = ctx_book, ctx_ref

    def same(self, book: int, ref: int) -> bool:
        if book == ref:
            return True
        cands = [r for r in (*GPRS, "eflags") if self.ctx_ref.get(r) == ref]
        if cands and book in {self.ctx_book[r] for r in cands}:
            return True
        a, b = express(ref, self.rs, self.ry), express(book, self.bs, self.by)
        return a[0] != "raw" and a == b

    def where(self, book_addr: int) -> tuple:
        return express(book_addr, self.bs, self.by)

    def where_ref(self, addr: int) -> tuple:
        return express(addr, self.rs, self.ry)


def pair_steps(t, rec: Recording, routines: dict[str, str], prefix: bool = False) -> list[tuple[int, Entry]]:
    """(book step, recorded entry) over the runtime's routines and the kernel, in order. With
    `prefix`, the book's run may stop earlier than the recording (at a stand-in's entry): its steps
    pair with the recording's first ones."""
    ours = [s.i for s in t.steps if s.routine in routines or s.routine == K.KERNEL]
    theirs = [e for e in rec.entries
              if e.kind == "kernel" or (e.kind == "insn" and e.func in routines.values())]
    if prefix and len(ours) < len(theirs):
        theirs = theirs[:len(ours)]
    if len(ours) != len(theirs):
        raise ValueError(f"the book runs {len(ours)} of these instructions, the recording {len(theirs)}")
    return list(zip(ours, theirs))


def compare(t, rec: Recording, routines: dict[str, str], symmap: dict[str, str],
            stacks: dict[str, tuple[int, int]] | None = None, prefix: bool = False) -> list[Pair]:
    """Every paired step with what differs (empty when it matches)."""
    pairs = pair_steps(t, rec, routines, prefix)
    kernel_k = next((k for k, e in pairs if e.kind == "kernel"), None)
    if kernel_k is not None:
        ctx_book = dict(t.regs_at(kernel_k - 1), rip=t.steps[kernel_k - 1].pc,
                        eflags=t.flags_at(kernel_k - 1) | K.IF)
        ctx_ref = next(e for e in rec.entries if e.kind == "kernel").regs_before
    else:
        ctx_book, ctx_ref = dict(t.initial_regs), rec.entries[0].regs_before
    vals = Values(t, rec, symmap, ctx_book, ctx_ref, stacks or {})
    watched = {vals.where_ref(a) for e in rec.entries for a in e.mem_after}
    out = []
    for k, e in pairs:
        s = t.steps[k - 1]
        bad: list[str] = []
        words: list[tuple] = []
        after = t.regs_at(k)
        if e.kind == "insn":
            start = t.symbols[next(b for b, r in routines.items() if r == e.func)]
            if s.pc - start != e.offset:
                bad.append(f"offset {s.pc - start:#x} != {e.offset:#x}")
            if s.bytes != e.bytes and not link_dependent(s.bytes, e.bytes):
                bad.append(f"bytes {s.bytes.hex()} != {e.bytes.hex()}")
        for r, v in e.raw["regs"].items():
            if r in ("eflags", "fs_base", "tls_g"):
                continue
            if not vals.same(after[r], int(v, 16)):
                bad.append(f"{r} {after[r]:#x} vs {v}")
        if not vals.same(after["rsp"], e.regs_after["rsp"]):
            bad.append(f"rsp {after['rsp']:#x} vs {e.regs_after['rsp']:#x}")
        tls_ref = e.regs_after.get("tls_g")
        if tls_ref is not None and not vals.same(t.tls_at(k), tls_ref):
            bad.append(f"TLS g {t.tls_at(k):#x} vs {tls_ref:#x}")
        before, now = t.memory_at(k - 1), t.memory_at(k)
        book_now = {vals.where(a): v for a, v in now.items()}
        ref_now = {vals.where_ref(a): v for a, v in e.mem_after.items()}
        mine = {vals.where(a) for a in {w.addr & ~7 for w in s.writes} if before.get(a, 0) != now.get(a, 0)}
        theirs = {vals.where_ref(a) for a in e.written()}
        if e.kind == "kernel":  # rt_sigframe and the xsave header (the vector registers' contents differ)
            frame = e.regs_after["rsp"]
            fp = e.mem_after.get(frame + K.UC_OFFSET + K.MCONTEXT + 8 * 23, 0)  # mcontext.fpstate
            header = {fp + o for o, _, _ in K.FPU_WORDS}  # the xsave area's header, not the registers in it
            theirs = {vals.where_ref(a) for a in e.written() if a < frame + K.FRAME_SIZE or a in header}
        for a in (mine & watched) | theirs:
            if not vals.same(book_now.get(a, 0), ref_now.get(a, 0)):
                bad.append(f"mem {a}: {book_now.get(a, 0):#x} vs {ref_now.get(a, 0):#x}")
                words.append(a)
        out.append(Pair(k, e, tuple(bad), tuple(words)))
    return out
