"""What a change did: compare a run with its unchanged twin and say so in Chinese.

`explain(s)` runs Scenario `s` and its baseline (without the patch, or, for a scenario with only
register/memory overrides, without those) and returns a few Chinese lines computed from the two
traces: how the endings differ, where the runs part, whether R14 and TLS disagree on g, which
memory words ended up different, and whether a fault's address is a value the reader set.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..machine.runs import trace as run
from ..machine.trace import Trace
from ..scenario.scenario import Scenario

# Sources for the one *why* these messages state.
R14_IS_G = "`cmd/compile/abi-internal.md:413`"
STACK_CHECK_USES_R14 = "`cmd/internal/obj/x86/obj6.go:971-974`"
STACK_CHECK_READS_GUARD = "`cmd/internal/obj/x86/obj6.go:1074-1083`"
NIL_CHECK = "`asm_amd64.s:402`"


@dataclass(frozen=True)
class Explanation:
    changed: str  # what was changed, in Chinese
    lines: tuple[str, ...]  # `changed`, then what happened because of it

    def text(self) -> str:
        return "\n".join(self.lines)


def baseline(s: Scenario) -> Scenario | None:
    """The run to compare with: unpatched, or without register/memory overrides."""
    if s.patch:
        return s.unpatched()
    if s.regs or s.mem:
        return s.replace(regs=(), mem=())
    return None


def _changed(s: Scenario) -> str:
    if s.patch:
        return "修改了代码：" + "；".join(p.describe() for p in s.patch)
    items = [f"{k} = {v if isinstance(v, str) else hex(v)}" for k, v in (*s.regs, *s.mem)]
    return "修改了入口状态：" + "，".join(items)


def explain(s: Scenario, t: Trace | None = None) -> Explanation | None:
    """Chinese lines saying what the change in `s` did (its run `t`, if at hand), or None."""
    base = baseline(s)
    if base is None:
        return None
    return Explanation(_changed(s), (_changed(s), *compare(t or run(s), run(base), s)))


def _name(t: Trace, v: int) -> str:
    label = t.labels.get(v)
    return f"{label}（{v:#x}）" if label else f"{v:#x}"


def _code(v: int) -> bool:
    from ..machine.code import CODE_BASE
    from ..machine.core import DATA_BASE

    return CODE_BASE <= v < DATA_BASE


def _same(t: Trace, v: int, base: Trace, w: int) -> bool:
    """Equal values, or the same code location in two differently linked images."""
    if v == w:
        return True
    return _code(v) and _code(w) and t.labels.get(v) is not None and t.labels.get(v) == base.labels.get(w)


def _stack(sp: int) -> str | None:
    from ..machine.core import STACKS

    return next((n for n, (lo, hi) in STACKS.items() if lo <= sp <= hi), None)


def _where(step) -> str:
    return f"{step.file}:{step.line} `{step.plan9}`" if step.file else f"{step.routine} `{step.intel}`"


def compare(t: Trace, base: Trace, s: Scenario | None = None) -> tuple[str, ...]:
    """The differences that matter between a changed run `t` and its baseline, in Chinese."""
    out: list[str] = []
    if (t.end.kind, t.end.summary) != (base.end.kind, base.end.summary):
        out.append(f"结局变了：原来 {base.end.summary}；现在 {t.end.summary}")
    else:
        out.append(f"结局相同：{t.end.summary}")
    out += _parting(t, base, s.patch if s is not None else ())
    out += _r14_vs_tls(t, base)
    out += _sp_stack(t, base)
    out += _nil_g(t, base)
    out += _memory(t, base)
    if s is not None:
        out += _fault_from_override(t, s)
    return tuple(out)


def _parting(t: Trace, base: Trace, patches: tuple = ()) -> list[str]:
    """Where the two runs first differ: a different instruction, or the same one with other results.

    A line the patches left as it was is the same line in both runs, though an inserted or removed
    line above it moved its number."""
    from ..scenario.family import source
    from ..scenario.patch import old_lines

    moved = {f: old_lines(source(f), f, patches) for f in {p.file for p in patches}}

    def line(s) -> "int | None":
        return moved[s.file].get(s.line) if s.file in moved else s.line

    for a, b in zip(t.steps, base.steps):
        if (a.routine, a.plan9, a.file, line(a)) != (b.routine, b.plan9, b.file, b.line):
            return [f"第 {a.i} 步起两次运行分开：原来执行 {_where(b)}，现在执行 {_where(a)}"]
        diff = [r for r in a.regs if r != "rip" and not _same(t, a.regs[r], base, b.regs[r])]
        if diff:
            r = diff[0]
            return [f"第 {a.i} 步 {_where(a)} 之后 {r.upper()} 不同：原来是 {_name(base, b.regs[r])}，"
                    f"现在是 {_name(t, a.regs[r])}"]
    n = min(len(t.steps), len(base.steps))
    if len(base.steps) < len(t.steps):
        return [f"前 {n} 步相同；原来到此为止（{base.end.summary}），现在又执行了 {len(t.steps) - n} 步"]
    if len(t.steps) < len(base.steps):
        return [f"前 {n} 步相同；现在到此为止，原来还要再执行 {len(base.steps) - n} 步"]
    return []


def _r14_vs_tls(t: Trace, base: Trace) -> list[str]:
    """The first step after which R14 and TLS disagree on g, when the baseline never does there."""
    base_off = {(s.file, s.line, s.routine) for s in base.steps if s.regs["r14"] != s.tls_g}
    off = [s.regs["r14"] != s.tls_g and (s.file, s.line, s.routine) not in base_off for s in t.steps]
    for k, s in enumerate(t.steps):
        # Still off after the next instruction: not the one-instruction gap between two MOVQs.
        if off[k] and k + 1 < len(off) and off[k + 1]:
            return [f"第 {s.i} 步（{_where(s)}）之后 R14 仍是 {_name(t, s.regs['r14'])}，而 TLS 是 "
                    f"{_name(t, s.tls_g)}：Go 代码把 R14 当作当前 g（{R14_IS_G}），函数序言里的栈检查"
                    f"也读 R14 指向的 g（{STACK_CHECK_USES_R14}），于是用错了 g"]
    return []


def _nil_g(t: Trace, base: Trace) -> list[str]:
    """g became nil where the unchanged run has a real g."""
    last = lambda tr: tr.steps[-1] if tr.steps else None  # noqa: E731
    a, b = last(t), last(base)
    if a is None or b is None or a.regs["r14"] != 0 or b.regs["r14"] == 0:
        return []
    return [f"现在 R14（g）是 nil：接下来每个带栈检查（非 NOSPLIT）的 Go 函数，序言都要读 g.stackguard0"
            f"（{STACK_CHECK_READS_GUARD}），即读地址 0x10 而出错；原来 gogo 里的 MOVQ 0(DX), CX 就是为此"
            f"先读一次 g（注释 “make sure g != nil”，{NIL_CHECK}），让错误停在 gogo 里"]


def _sp_stack(t: Trace, base: Trace) -> list[str]:
    """On which stack each run ends, when that differs."""
    last = lambda tr: (tr.steps[-1].regs if tr.steps else tr.initial_regs)["rsp"]  # noqa: E731
    a, b = _stack(last(t)), _stack(last(base))
    if a == b:
        return []
    say = lambda n: f" {n} 的栈上" if n else "任何栈之外"  # noqa: E731
    return [f"最后 SP 在{say(a)}，原来在{say(b)}"]


def _memory(t: Trace, base: Trace, limit: int = 3) -> list[str]:
    """Words with a label that end up different (e.g. a gobuf field that was not saved or cleared)."""
    labels = {w.addr: w.label for tr in (t, base) for s in tr.steps for w in s.writes if w.label}
    labels.update({a: lab for a, _, lab in t.memory if lab})
    end_t, end_b = t.memory_at(len(t.steps)), base.memory_at(len(base.steps))
    out = []
    for addr in sorted(set(end_t) | set(end_b)):
        v, w = end_t.get(addr, 0), end_b.get(addr, 0)
        if not _same(t, v, base, w) and labels.get(addr) and not (_code(v) and _code(w)):
            where = f"{labels[addr]}（{addr:#x}）" if "[" in labels[addr] else labels[addr]
            out.append(f"{where} 最后是 {_name(t, v)}，原来是 {_name(base, w)}")
        if len(out) == limit:
            break
    return out


def _fault_from_override(t: Trace, s: Scenario) -> list[str]:
    if t.end.kind != "fault" or t.end.address is None:
        return []
    from ..machine.overrides import resolve
    from ..machine.world import build

    world = build(s)
    hits = [name for name, v in (*s.regs, *s.mem) if resolve(v, world) == t.end.address]
    if not hits:
        return []
    return [f"出错的地址 {t.end.address:#x} 正是你设置的 {'、'.join(hits)} 的值"]
