"""Trace data: one complete snapshot per executed instruction, and how the run ended."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Mapping

FORMAT = "gosched-book/trace@1"


def _word_params() -> frozenset[str]:
    """Parameters that are 64-bit words: written in hex in trace JSON."""
    from ..scenario.family import all_params

    return frozenset(n for n, p in all_params().items() if p.kind == "word")

REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")


@dataclass(frozen=True)
class Write:
    addr: int
    size: int
    value: int
    label: str


@dataclass(frozen=True)
class Step:
    i: int
    routine: str
    pc: int
    bytes: bytes
    plan9: str
    intel: str
    file: str
    line: int
    comment: str
    regs: Mapping[str, int]  # after the instruction
    changed: tuple[str, ...]
    writes: tuple[Write, ...]
    tls_g: int
    note: str = ""  # e.g. "SIGTRAP" for INT $3 that continued
    flags: int = 0x2  # RFLAGS after the instruction
    patched: bool = False  # the line that ran was changed by a listing patch


_STEP_FIELDS = tuple(f.name for f in fields(Step))
_WRITE_FIELDS = tuple(f.name for f in fields(Write))


def new_write(addr: int, size: int, value: int, label: str) -> Write:
    """A Write made as new_step makes a Step: the same object, without frozen setattr per field."""
    w = object.__new__(Write)
    w.__dict__.update(zip(_WRITE_FIELDS, (addr, size, value, label)))
    return w


def new_step(*values) -> Step:
    """A Step from all its fields in order. The runner makes one per instruction; this skips the
    frozen dataclass's setattr per field (a third of the cost), giving the same object."""
    if len(values) != len(_STEP_FIELDS):
        raise TypeError(f"new_step takes {len(_STEP_FIELDS)} fields, got {len(values)}")
    step = object.__new__(Step)
    step.__dict__.update(zip(_STEP_FIELDS, values))
    return step


@dataclass(frozen=True)
class End:
    kind: str  # call, jump, return, event, fault, limit
    detail: str
    pc: int
    address: int | None = None  # the faulting address
    label: str = ""  # symbolic name of pc (or of the faulting address)
    summary: str = ""  # one line in Chinese for readers
    settled: bool = True  # False: the emulator stopped without the world's own ending (never cache)


@dataclass(frozen=True, eq=False)  # identity hash: views cache per trace
class Trace:
    routine: str
    scenario: str
    params: Mapping
    symbols: Mapping[str, int]
    initial_regs: Mapping[str, int]
    initial_tls_g: int
    memory: tuple[tuple[int, int, str], ...]  # (addr, value, label) before the first step
    steps: tuple[Step, ...]
    end: End
    labels: Mapping[int, str] = field(default_factory=dict)  # address -> name, for values
    roles: Mapping[int, str] = field(default_factory=dict)  # stack address -> role at the start
    initial_flags: int = 0x2
    # The stacks a picture should show, left to right: (owner, lo, hi), e.g. ("g-old", ...).
    stacks: tuple[tuple[str, int, int], ...] = ()
    # For a changed run (patch or overrides): what changed and what it did, vs the unchanged run.
    whatif: tuple[str, ...] = ()

    def regs_at(self, k: int) -> Mapping[str, int]:
        """Registers after k steps (k = 0 is the initial state)."""
        return self.initial_regs if k == 0 else self.steps[k - 1].regs

    def tls_at(self, k: int) -> int:
        return self.initial_tls_g if k == 0 else self.steps[k - 1].tls_g

    def flags_at(self, k: int) -> int:
        return self.initial_flags if k == 0 else self.steps[k - 1].flags

    def memory_at(self, k: int) -> dict[int, int]:
        """Known memory words after k steps."""
        mem = {a: v for a, v, _ in self.memory}
        for s in self.steps[:k]:
            apply_writes(mem, s)
        return mem

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(to_dict(self), ensure_ascii=False, indent=indent, sort_keys=False)


FLAG_BITS = (("CF", 0), ("ZF", 6), ("SF", 7), ("OF", 11))


def flag_text(v: int) -> str:
    """The flags a reader needs for CMP/TEST and conditional jumps: `ZF=1 SF=0 CF=0 OF=0`."""
    return " ".join(f"{name}={(v >> bit) & 1}" for name, bit in (FLAG_BITS[1], FLAG_BITS[2],
                                                                   FLAG_BITS[0], FLAG_BITS[3]))


def hx(v: int) -> str:
    return f"{v:#x}"


def _regs(r: Mapping[str, int]) -> dict[str, str]:
    return {k: hx(r[k]) for k in REGS}


def to_dict(t: Trace, delta: bool = False) -> dict:
    """The `gosched-book/trace@1` JSON object; `delta`: each step's regs only those that differ
    from the step before's (the static stepper's form, marked "regs_delta")."""
    words = _word_params()
    prev = [t.initial_regs]

    def step(s: Step) -> dict:
        if not delta:
            return step_dict(s)
        d = step_dict(s, prev[0])
        prev[0] = s.regs
        return d

    return {
        "format": FORMAT,
        "routine": t.routine,
        "scenario": t.scenario,
        "params": {k: (hx(v) if k in words and isinstance(v, int) else v)
                   for k, v in t.params.items()},
        "symbols": {k: hx(v) for k, v in t.symbols.items()},
        "initial": {
            "regs": _regs(t.initial_regs),
            "tls_g": hx(t.initial_tls_g),
            "flags": hx(t.initial_flags),
            "memory": [{"addr": hx(a), "value": hx(v), "label": lab} for a, v, lab in t.memory],
        },
        "steps": [step(s) for s in t.steps],
        "end": {
            "kind": t.end.kind, "detail": t.end.detail, "pc": hx(t.end.pc),
            **({"address": hx(t.end.address)} if t.end.address is not None else {}),
            "label": t.end.label, "summary": t.end.summary,
            **({} if t.end.settled else {"settled": False}),
        },
        "labels": {hx(a): n for a, n in sorted(t.labels.items())},
        "roles": {hx(a): n for a, n in sorted(t.roles.items())},
        "stacks": [{"owner": o, "lo": hx(lo), "hi": hx(hi)} for o, lo, hi in t.stacks],
        **({"whatif": list(t.whatif)} if t.whatif else {}),
        **({"regs_delta": True} if delta else {}),
    }


def step_dict(s: Step, prev: Mapping[str, int] | None = None) -> dict:
    """One step of the JSON object; given the step before's registers, only the ones that differ."""
    regs = _regs(s.regs) if prev is None else {k: hx(v) for k in REGS if (v := s.regs[k]) != prev[k]}
    return {
        "i": s.i, "routine": s.routine, "pc": hx(s.pc), "bytes": s.bytes.hex(),
        "plan9": s.plan9, "intel": s.intel, "file": s.file, "line": s.line,
        "comment": s.comment, "regs": regs, "changed": list(s.changed),
        "writes": [{"addr": hx(w.addr), "size": w.size, "value": hx(w.value), "label": w.label}
                   for w in s.writes],
        "tls_g": hx(s.tls_g), "flags": hx(s.flags), **({"note": s.note} if s.note else {}),
        **({"patched": True} if s.patched else {}),
    }


def write_json(t: Trace, out, ensure_ascii: bool = False) -> None:
    """The JSON of `t` written step by step (one step a line), so memory stays that of the trace."""
    import dataclasses

    head = to_dict(dataclasses.replace(t, steps=()))
    dump = lambda v: json.dumps(v, ensure_ascii=ensure_ascii)  # noqa: E731
    out.write("{")
    for n, (k, v) in enumerate(head.items()):
        out.write(("," if n else "") + "\n" + dump(k) + ": ")
        if k != "steps":
            out.write(dump(v))
            continue
        out.write("[")
        for j, s in enumerate(t.steps):
            out.write(("," if j else "") + "\n" + dump(step_dict(s)))
        out.write("]")
    out.write("\n}\n")


def from_dict(d: dict) -> Trace:
    """Inverse of to_dict."""
    if d.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} object: format={d.get('format')!r}")
    i = lambda s: int(s, 16)  # noqa: E731
    regs = lambda r: {k: i(v) for k, v in r.items()}  # noqa: E731
    steps = tuple(
        Step(s["i"], s["routine"], i(s["pc"]), bytes.fromhex(s["bytes"]), s["plan9"], s["intel"],
             s["file"], s["line"], s["comment"], regs(s["regs"]), tuple(s["changed"]),
             tuple(Write(i(w["addr"]), w["size"], i(w["value"]), w["label"]) for w in s["writes"]),
             i(s["tls_g"]), s.get("note", ""), i(s.get("flags", "0x2")), bool(s.get("patched")))
        for s in d["steps"]
    )
    e = d["end"]
    words = _word_params()
    params = {k: (i(v) if k in words and isinstance(v, str) else v) for k, v in d["params"].items()}
    return Trace(
        d["routine"], d["scenario"], params, {k: i(v) for k, v in d["symbols"].items()},
        regs(d["initial"]["regs"]), i(d["initial"]["tls_g"]),
        tuple((i(m["addr"]), i(m["value"]), m["label"]) for m in d["initial"]["memory"]),
        steps,
        End(e["kind"], e["detail"], i(e["pc"]), i(e["address"]) if "address" in e else None,
            e.get("label", ""), e.get("summary", ""), e.get("settled", True)),
        {i(a): n for a, n in d.get("labels", {}).items()},
        {i(a): n for a, n in d.get("roles", {}).items()},
        i(d["initial"].get("flags", "0x2")),
        tuple((st["owner"], i(st["lo"]), i(st["hi"])) for st in d.get("stacks", [])),
        tuple(d.get("whatif", ())),
    )


def apply_writes(mem: dict[int, int], step: "Step") -> None:
    """Apply one step's memory writes to a word map, in place (partial writes merge into their word)."""
    for w in step.writes:
        if w.size == 8:
            mem[w.addr] = w.value
        else:
            base = w.addr & ~7
            shift = (w.addr - base) * 8
            mask = ((1 << (8 * w.size)) - 1) << shift
            mem[base] = (mem.get(base, 0) & ~mask) | ((w.value << shift) & mask)
