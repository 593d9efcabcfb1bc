"""A plain-text step table for the CLI."""
from __future__ import annotations

from ..machine.trace import Trace


def render(t: Trace) -> str:
    """One line per step: index, location, Plan 9, Intel, what changed."""
    out = [f"# {t.routine} / {t.scenario}"]
    prev = t.initial_regs
    for s in t.steps:
        where = _where(t, s.pc)
        changes = [f"{r}: {prev[r]:#x}→{s.regs[r]:#x}" for r in s.changed]
        writes = [f"[{w.label}] = {w.value:#x}" for w in s.writes]
        extra = "; ".join(changes + writes + ([s.note] if s.note else []))
        mark = "*" if s.patched else " "  # a line changed by a listing patch
        out.append(f"{s.i:4d}{mark} {where:<28} {s.plan9:<40} {s.intel:<32} {extra}")
        prev = s.regs
    e = t.end
    # A fault's label names the faulting address; "at" names the instruction that faulted.
    at = _where(t, e.pc) if e.address is not None else (e.label or hex(e.pc))
    out.append(f"end: {e.kind}: {e.detail} at {at}")
    out.append(f"     {e.summary}")
    out += [f"     {line}" for line in t.whatif]
    return "\n".join(out)


def _where(t: Trace, pc: int) -> str:
    starts = [(a, n) for n, a in t.symbols.items() if a <= pc and ("·" in n or n.endswith("<>"))]
    if not starts:
        return f"{pc:#x}"
    addr, name = max(starts)
    return f"{name}+{pc - addr}" if pc != addr else name
