"""Small display helpers for the chapters: each returns HTML computed from the library."""
from __future__ import annotations

from html import escape

from .. import api
from ..asm.parse import parse
from .document import listing as raw_listing
from ..errors import AsmError
from ..machine.golden import pairs
from ..runtime.golden import go119_lines, source_file
from ..runtime.layout import go_asm_symbols
from ..machine.code import CODE_BASE, code_image
from ..scenario.family import listing_files
from ..views.html import CSS
from ..machine.world import G_ADDR, M0, STACKS


def _html(body: str):
    from IPython.display import HTML

    return HTML(CSS + f"<div class='gsb'>{body}</div>")


def _table(head: list[str], rows: list[list[str]], cls: str = "gsb-regs mono") -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><tr>{th}</tr>{trs}</table>"


def cast():
    """The objects of the world and where they live."""
    t = api.run("mcall")
    fs = next(a for a, _, lab in t.memory if lab == "TLS g")
    rows = [
        ["m", f"{M0:#x}", "M：一个 OS 线程。m.g0、m.curg、m.gsignal 都在这里"],
        ["g", f"{G_ADDR['g']:#x}", "正在运行用户代码的 goroutine（m.curg）"],
        ["g0", f"{G_ADDR['g0']:#x}", "M 的调度栈所属的 g：运行时的代码在它的栈上跑"],
        ["gsignal", f"{G_ADDR['gsignal']:#x}", "处理信号时用的 g"],
        ["g2", f"{G_ADDR['g2']:#x}", "另一个 g：用来演示“既不是 g0、gsignal，也不是 curg”"],
        ["TLS g", f"{fs:#x}", "m.tls[0]；FS 基址 − 8。get_tls/g(CX) 读写的就是它"],
    ]
    for owner, (lo, hi) in STACKS.items():
        rows.append([f"{owner} 的栈", f"[{lo:#x}, {hi:#x})", f"{(hi - lo) // 1024} KiB"])
    return _html(_table(["名字", "地址", "是什么"], [[escape(a), b, escape(c)] for a, b, c in rows]))


def offsets():
    """The go_asm.h constants the listings use, computed from Go 1.18's field lists."""
    used = set()
    for f in dict.fromkeys(listing_files().values()):
        used |= {w for w in go_asm_symbols() if w in _source(f)}
    syms = go_asm_symbols()
    rows = [[escape(n), f"{syms[n]}", f"{syms[n]:#x}"] for n in sorted(used, key=lambda n: (n.split('_')[0], syms[n]))]
    return _html(_table(["go_asm.h 符号", "十进制", "十六进制"], rows))


def _source(file: str) -> str:
    from ..scenario.family import source

    return source(file)


def syntax_pairs():
    """Representative lines from the real listings: Plan 9, Intel, bytes."""
    wanted = ["MOVQ    AX, DX", "CMPQ    SI, R14", "CMPQ    AX, m_gsignal(BX)", "LEAQ    fn+0(FP), BX",
              "get_tls(CX)", "MOVQ    R14, g(CX)", "MOVQ    $runtime·systemstack_switch(SB), R9",
              "JZ      2(PC)", "JMP     runtime·badmcall(SB)", "INT     $3", "MOVQ    (g_sched+gobuf_sp)(R14), SP"]
    img = code_image()
    rows = []
    for w in wanted:
        p = next(p for p in img.placed if p.ins.text == w or p.ins.macro == w)
        rows.append([f"<code>{escape(p.ins.text)}</code>", f"<code>{escape(p.intel) or '（无）'}</code>",
                     escape(p.data.hex(" ") or "（不产生字节）"), escape(p.function)])
    return _html(_table(["Plan 9", "Intel", "字节", "出自"], rows))


def listing(routine: str):
    """A routine's listing as shipped in the package, with bytes beside each line."""
    from ..views.listing import rows

    body = "".join(
        f"<tr><td class='ln'>{r.line}</td><td>{escape(r.text)}</td><td class='in'>{escape(r.intel or r.note)}</td>"
        f"<td class='by'>{escape(r.bytes)}</td></tr>" for r in rows(listing_files()[routine]))
    label = escape(f"{listing_files()[routine]} 源码清单（可用方向键左右滚动）", quote=True)
    return _html(f"<div class='gsb-listing-source'>{escape(listing_source(routine))}</div>"
                 f"<div class='gsb-listing' style='max-height:none' tabindex='0' role='region' "
                 f"aria-label='{label}'><table>{body}</table></div>")


def assembled(text: str):
    """Assemble a reader's TEXT block against the book's runtime (so runtime·morestack_noctxt and the
    other routines resolve) and show every instruction it became, the assembler's own marked."""
    from ..asm.link import link
    from ..views.listing import ADDED

    book = code_image(())
    img = link([parse(text, "<例子>")], CODE_BASE, dict(book.symbols))
    rows = [[f"<code>{escape(p.ins.text)}</code>",
             escape(f"汇编器加的（{ADDED.get(p.ins.added, p.ins.added)}）") if p.ins.added else f"第 {p.line} 行",
             f"<code>{escape(p.intel) or '（无）'}</code>", escape(p.data.hex(" ") or "（不产生字节）")]
            for p in sorted(img.placed, key=lambda p: p.address)]
    return _html(_table(["Plan 9", "来自", "Intel", "字节"], rows))


def listing_source(routine: str) -> str:
    """Where a listing comes from in Go's source, from the golden data's line ranges."""
    a, b = go119_lines(routine)
    return f"出处：{source_file(routine)}:{a}-{b}（Go 1.19.8）"


def steps(routine="mcall", preset=None, **params):
    """The whole trace as one table (a text alternative to the stepper)."""
    t = api.run(routine, preset, **params)
    rows = []
    prev = t.initial_regs
    for s in t.steps:
        ch = "; ".join(f"{r}: {prev[r]:#x}→{s.regs[r]:#x}" for r in s.changed)
        wr = "; ".join(f"[{w.label}] = {w.value:#x}" for w in s.writes)
        rows.append([str(s.i), escape(s.routine), f"<code>{escape(s.plan9)}</code>", escape(s.intel),
                     escape(ch), escape(wr)])
        prev = s.regs
    end = f"<div class='gsb-end {escape(t.end.kind)}'>结束：{escape(t.end.summary)}</div>"
    return _html(_table(["步", "例程", "Plan 9", "Intel", "寄存器变化", "写内存"], rows) + end)


def facts(routine="mcall", preset=None, **params):
    """Key numbers of a run, read from the trace (never typed by hand)."""
    t = api.run(routine, preset, **params)
    n = len(t.steps)
    regs, mem = t.regs_at(n), t.memory_at(n)
    init = {lab: v for _, v, lab in t.memory}
    lab = lambda v: escape(t.labels.get(v, ""))  # noqa: E731
    rows = [
        ["入口 SP", f"{t.initial_regs['rsp']:#x}", lab(t.initial_regs["rsp"])],
        ["结束时 SP", f"{regs['rsp']:#x}", lab(regs["rsp"])],
        ["g0.sched.sp（开始时）", f"{init['g0.sched.sp']:#x}", lab(init["g0.sched.sp"])],
        ["结束时 R14", f"{regs['r14']:#x}", lab(regs["r14"])],
        ["结束时 TLS g", f"{t.tls_at(n):#x}", lab(t.tls_at(n))],
        ["执行的指令数", str(n), ""],
    ]
    g0_lo, g0_hi = init["g0.stack.lo"], init["g0.stack.hi"]
    if g0_lo <= regs["rsp"] < g0_hi:  # only meaningful while on g0's stack
        rows.insert(3, ["结束时 SP − g0.sched.sp", f"{regs['rsp'] - init['g0.sched.sp']:+#x}", ""])
    for f in ("sp", "pc", "g", "ctxt", "ret", "bp"):
        a = next(a for a, _, l in t.memory if l == f"g.sched.{f}")
        rows.append([f"g.sched.{f}：开始 → 结束", f"{init[f'g.sched.{f}']:#x} → {mem.get(a, 0):#x}",
                     lab(mem.get(a, 0))])
    return _html(_table(["量", "值", "含义"], rows) + f"<div class='gsb-end {escape(t.end.kind)}'>"
                 f"{escape(t.end.summary)}</div>")


def g0_reuse(rounds: int = 2):
    """SP at each entry to fn on g0 during a round trip: the same every time."""
    t = api.run("roundtrip", rounds=rounds)
    entry = t.symbols["main·gogo_back"]
    g0_sp = next(v for _, v, lab in t.memory if lab == "g0.sched.sp")
    rows = []
    for s in t.steps:
        if s.pc == entry:
            sp = t.steps[s.i - 2].regs["rsp"]
            rows.append([f"第 {len(rows) + 1} 次进入 fn", f"{sp:#x}", f"g0.sched.sp {sp - g0_sp:+#x}"])
    return _html(_table(["时刻", "SP", "相对 g0.sched.sp"], rows))


def errata():
    """The document's raw listings through the assembler: each error beside the real instruction."""
    out = []
    for routine in ("runtime·gogo", "gosave_systemstack_switch<>", "runtime·systemstack", "runtime·mcall"):
        raw = raw_listing(routine)
        try:
            parse(raw.text, "原文", raw.first_line)
        except AsmError as e:
            for err in e.all:
                out.append((routine, err))
        else:
            out.append((routine, None))
    head = ["例程", "原文行", "汇编器的报错（行:列）", "Go 1.18 源码里的写法"]
    rows = []
    for routine, err in out:
        if err is None:
            rows.append([escape(routine), "—", "原文清单可以汇编", "—"])
            continue
        rows.append([escape(routine), str(err.line), asm_message_html(err), _fix_for(err)])
    th = "".join(f"<th scope='col'>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td data-label='{escape(h, quote=True)}'>{c}</td>" for h, c in zip(head, r))
                  + "</tr>" for r in rows)
    return _html(f"<table class='gsb-regs gsb-errata'><tr>{th}</tr>{trs}</table>")


def asm_message_html(err: AsmError) -> str:
    """The assembler's whole message: its first line wraps at spaces; the source line and its caret
    keep their columns (dedented together, so they fit a phone)."""
    first, *rest = err.render().split("\n")
    pad = min((len(x) - len(x.lstrip(" ")) for x in rest if x.strip()), default=0)
    at = "\n".join(x[pad:] for x in rest)
    return (f"<div class='gsb-asm-msg'>{escape(first)}</div>"
            + (f"<pre class='gsb-asm-at'>{escape(at)}</pre>" if rest else ""))


def _fix_for(err: AsmError) -> str:
    img = code_image()
    word = err.loc.text.split("//")[0].split()
    # typo token -> (routine, the real instruction's Plan 9 text)
    key = {"+0(FP),": ("runtime·gogo", "MOVQ    buf+0(FP), BX"),
           "uf_g(BX),": ("runtime·gogo", "MOVQ    gobuf_g(BX), DX"),
           "X),": ("runtime·gogo", "MOVQ    0(DX), CX"),
           "CAL": ("gosave_systemstack_switch<>", "CALL    runtime·abort(SB)")}
    for token, (routine, real) in key.items():
        if token in word:
            p = next(p for p in img.function_placed(routine) if p.ins.text == real)
            return f"<code>{escape(p.ins.text)}</code><br>{escape(p.data.hex(' '))}"
    if "noswitch" in err.message or "'bad'" in err.message:
        return "原文省略了 noswitch: 与 bad: 两段标签体，本书的清单补上了"
    return ""


def instruction_table():
    """Every runtime instruction: Plan 9, Intel, our bytes, Go's bytes, and whether they match."""
    rows = []
    for p in pairs():
        mark = {"exact": "✓ 完全相同", "opcode": "✓ 操作码相同（rel32 随链接布局）"}.get(p.match, "✗ 不同")
        rows.append([escape(p.routine), escape(f"{source_file(p.routine)}:{p.go_line}"), f"<code>{escape(p.plan9)}</code>", escape(p.intel),
                     escape(p.ours.hex(" ")), escape(p.go.hex(" ")), mark])
    total = len(rows)
    exact = sum(1 for p in pairs() if p.match == "exact")
    head = (f"<p>共 {total} 条指令：{exact} 条逐字节相同，其余 {total - exact} 条只差链接器决定的 rel32 位移。</p>")
    return _html(head + _table(["例程", "源码行（Go 1.19.8）", "Plan 9", "Intel", "本书的字节", "Go 工具链的字节", "对照"], rows))


def before_after(routine="mcall", preset=None, **params):
    """The stack picture at entry beside the one at the end."""
    from IPython.display import HTML

    from ..views.compare import before_after_html

    return HTML(before_after_html(routine, preset, **params))


def picture(routine="mcall", preset=None, at: str | None = None, **params):
    """The stack picture of one state: the start, or right after the first step matching `at`."""
    from IPython.display import HTML

    from ..views import stackplot

    t = api.run(routine, preset, **params)
    k = _step_of(t, at) if at else 0
    return HTML(CSS + f"<div class='gsb' style='max-width:820px'>{stackplot.svg(t, k)}</div>")


def above_stack(owner: str = "g", by: int = 0x20) -> int:
    """An SP just above a stack's top: unmapped memory, for fault demonstrations."""
    return STACKS[owner][1] + by


def _step_of(t, at: str) -> int:
    """1-based index of the first step whose Plan 9 text starts with `at`."""
    for s in t.steps:
        if s.plan9.startswith(at):
            return s.i
    raise ValueError(f"no step starts with {at!r} in {t.routine}/{t.scenario}")


def exercise(question: str, routine: str, preset=None, at: str | None = None, reg: str | None = None,
             slot: str | None = None, **params):
    """A predict-then-reveal exercise: the answer is computed from the trace and folded away.

    `at` names the instruction (its Plan 9 text prefix) after which the state is asked about;
    `slot` is a memory label like "g.sched.pc" or a stack slot "[SP]", "[SP+8]".
    """
    t = api.run(routine, preset, **params)
    k = _step_of(t, at) if at else len(t.steps)
    mem = t.memory_at(k)
    if reg:
        v = t.regs_at(k)[reg]
        answer = f"{reg} = {v:#x}"
    elif slot:
        if slot.startswith("["):
            off = slot.strip("[]")[2:].lstrip("+") or "0"
            addr = t.regs_at(k)["rsp"] + int(off, 16)
        else:
            addr = next(a for a, _, lab in t.memory if lab == slot)
        v = mem.get(addr, 0)
        answer = f"{slot} = {v:#x}"
    else:
        v = None
        answer = f"结束方式：{t.end.kind}。{t.end.summary}"
    if v is not None and t.labels.get(v):
        answer += f"，即 {t.labels[v]}"
    if at:
        where = f"场景 {routine} / {t.scenario}，第 {k} 步（<code>{escape(t.steps[k - 1].plan9)}</code>）执行之后"
    else:
        where = f"场景 {routine} / {t.scenario}，运行到结束"
    return _html(
        f"<div class='gsb-exercise'><p><b>练习</b>（{where}）：{escape(question)}</p>"
        f"<details><summary>先写下你的预测，再点开看答案</summary><p>{escape(answer)}。"
        f"在单步器里走到这一步就能核对。</p></details></div>")


def who_is_g(routine="mcall", preset=None, **params):
    """R14, TLS g and the stack SP is on, at the start and after every step that changes one of them."""
    t = api.run(routine, preset, **params)
    stacks = t.stacks or tuple((o, lo, hi) for o, (lo, hi) in STACKS.items())

    def on(sp: int) -> str:
        return next((o for o, lo, hi in stacks if lo <= sp <= hi), "?")

    def name(v: int) -> str:
        return t.labels.get(v, f"{v:#x}")

    def state(k: int) -> tuple[str, str, str]:
        regs = t.regs_at(k)
        return name(regs["r14"]), name(t.tls_at(k)), on(regs["rsp"])

    rows, prev = [], None
    for k in range(len(t.steps) + 1):
        now = state(k)
        if now != prev:
            ins = "（入口）" if k == 0 else f"<code>{escape(t.steps[k - 1].plan9)}</code>"
            mark = "一致" if now[0] == now[1] == now[2] else "<b>不一致</b>"
            rows.append([str(k), ins, *map(escape, now), mark])
        prev = now
    return _html(_table(["步", "刚执行的指令", "R14", "TLS g", "SP 所在的栈", "三者"], rows))
