"""The stack picture as data: boxes, labels and arrows per stack, in CSS pixels.

One model, two renderers: matplotlib (stackplot.py) in JupyterLab, stepper.js as SVG in the
site. Colours are classes; the palettes below are the only place they are defined (the
site's stepper.css repeats them as CSS variables, and a test holds the two together).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..machine.trace import Trace
from .model import MOREBUF, Slot, StackView, State, state

PANEL_W = 332  # fits a 390-px phone's book column without scaling text below 11 px
GUTTER = 38  # left: SP arrow; right: BP arrow
BOX_X, BOX_W = GUTTER, PANEL_W - 2 * GUTTER
ROW_H = 38
GB_ROW = 22
TOP = 50  # first slot's top edge
FONT_PX = 12  # the smallest text in the picture
CHAR_CJK, CHAR_ASCII = 1.0, 0.62  # advance per character, in em (monospace + CJK fallback)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    cls: str  # slot, written, gobuf, gobuf-written


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # baseline
    text: str
    size: float  # CSS px
    cls: str  # title, off, val, role, desc, key, dim, sp, bp
    anchor: str = "start"  # start, middle, end
    bold: bool = False
    full: str = ""  # the whole text when `text` is cut with … (the page shows it on hover or tap)


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float  # the head
    y2: float
    cls: str  # sp, bp, dim


@dataclass(frozen=True)
class Panel:
    """One stack (and the gobuf of its g, if it is a g), in its own coordinates."""
    owner: str
    w: float
    h: float
    boxes: tuple[Box, ...]
    labels: tuple[Label, ...]
    arrows: tuple[Arrow, ...]


@dataclass(frozen=True)
class Picture:
    panels: tuple[Panel, ...]
    alt: str  # what the picture shows, and what this step changed in it


# Colours per class, light and dark; every text colour has contrast >= 4.5:1 on every box fill.
PALETTES = {
    "light": dict(bg="#ffffff", slot="#ffffff", written="#ffe08a", gobuf="#f1f4f9", edge="#4a5263",
                  title="#1d2330", off="#4a5263", val="#1d2330", role="#5b2a86", desc="#2f4a7a",
                  key="#4a5263", dim="#4a5263", sp="#b3261e", bp="#1f5fa8"),
    "dark": dict(bg="#14161a", slot="#1f2329", written="#5a4500", gobuf="#262b33", edge="#9aa3b2",
                 title="#eef0f4", off="#b8c0cc", val="#eef0f4", role="#d7b8ff", desc="#a9c7ff",
                 key="#b8c0cc", dim="#b8c0cc", sp="#ff9b90", bp="#8cbcff"),
}

ROLE_ZH = {
    "return address": "返回地址",
    "saved BP": "保存的 BP",
    "argument / spill slot": "参数 / 溢出槽",
    "spill slot of fn's arg": "fn 参数的溢出槽",
    "argument buf": "参数区",
    "caller local": "调用者的局部变量",
    "sketch: caller local": "示意：调用者的局部变量",
    "spill slot: a": "溢出槽：参数 a",
    "spill slot: b": "溢出槽：参数 b",
    "sketch: saved BP": "示意：保存的 BP",
    "closure object: fn": "闭包对象：fn",
    "closure object: captured variable": "闭包对象：捕获的变量",
    "stale: mstart1's return": "残留：mstart1 的返回地址",
    "local": "局部变量",
    # cgo: asmcgocall, cgocallback and the C side
    "argument fn": "参数 fn",
    "argument arg": "参数 arg",
    "argument frame": "参数 frame",
    "argument ctxt": "参数 ctxt",
    "result": "结果",
    "C argument a": "C 的参数 a",
    "C argument b": "C 的参数 b",
    "C result r": "C 的结果 r",
    "C frame {x, r}": "C 帧里的参数块 {x, r}",
    "asmcgocall: saved g": "asmcgocall 存的 g",
    "asmcgocall: depth g.stack.hi - SP": "asmcgocall 存的栈深度",
    "asmcgocall: no g": "asmcgocall：没有 g",
    "asmcgocall: saved SP": "asmcgocall 存的 SP",
    "savedm": "savedm：进入时的 m",
    "saved g0.sched.sp": "旧的 g0.sched.sp",
    "fake return PC": "伪返回地址",
    "fake return address: interrupted PC": "伪返回地址：被打断的 PC",
    # rt0_go: what Linux's exec leaves at the process entry
    "argc": "argc（参数个数）",
    "argv[0]": "argv[0]（指向程序名）",
    "argv end (nil)": "argv 的结尾（nil）",
    "envp end (nil)": "envp 的结尾（nil）",
    "auxv AT_NULL": "auxv 的结尾（AT_NULL）",
    "argv[0] string": "程序名字符串 \"./prog\"",
}
KIND_ZH = {"g0": "系统栈", "gsignal": "信号栈", "g-old": "扩栈前的旧栈"}
# Stacks no g owns: the title says what they are.
TITLE_ZH = {"thread": "线程栈（没有 g）", "os": "OS 栈（内核给进程的栈，rt0_go 把它划给 g0）"}


FRAME_ZH = {"rt_sigframe.pretcode": "信号帧：restorer 地址",
            "ucontext.uc_flags": "信号帧 ucontext：uc_flags", "ucontext.uc_link": "信号帧 ucontext：uc_link"}


def role_zh(role: str) -> str:
    """A slot's role in Chinese (the world and the model name roles in English)."""
    if role in ROLE_ZH:  # a named role wins over the patterns below ("saved g0.sched.sp")
        return ROLE_ZH[role]
    if role.startswith("pushed "):
        return f"压入的 {role[7:]}"
    if role.startswith("saved ") and role.endswith(" (C)"):  # crosscall2's PUSH_REGS_HOST_TO_ABI0
        return f"保存的 {role[6:-4]}（C 的）"
    if role == "saved flags":
        return "保存的寄存器 RFLAGS"
    if role.startswith("saved ") and role != "saved BP":
        return f"保存的寄存器 {role[6:]}"
    if role in FRAME_ZH:
        return FRAME_ZH[role]
    if role.startswith("ucontext.mcontext."):
        return f"信号帧 ucontext：保存的 {role[18:]}"
    if role.startswith(("ucontext.", "siginfo.", "fpstate.", "xsave_header.")):
        head, _, rest = role.partition(".")
        return f"信号帧 {head}：{rest}"
    return ROLE_ZH.get(role, role)


@lru_cache(maxsize=8192)
def text_width(text: str, size: float) -> float:
    """Estimated advance of text at size px: CJK one em, the rest a monospace advance."""
    return size * sum(CHAR_CJK if ord(c) > 0x2E7F else CHAR_ASCII for c in text)


def fit(text: str, size: float, width: float) -> str:
    """text, cut with … so that it fits width."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def cut_label(x: float, y: float, text: str, size: float, cls: str, width: float, anchor: str = "start",
              bold: bool = False) -> Label:
    """A Label fitted to width; when cut, it keeps the whole text in `full`."""
    shown = fit(text, size, width)
    return Label(x, y, shown, size, cls, anchor, bold, text if shown != text else "")


def stack_title(owner: str) -> str:
    if owner in TITLE_ZH:
        return TITLE_ZH[owner]
    return f"{owner} 的栈（{KIND_ZH.get(owner, 'goroutine 栈')}）"


@lru_cache(maxsize=8192)  # neighbouring steps and runs repeat most words
def _slot(x: float, y: float, s: Slot) -> tuple[tuple[Box, ...], tuple[Label, ...]]:
    box = Box(x, y, BOX_W, ROW_H, "written" if s.written else "slot")
    labels = [
        Label(x + 6, y + 16, s.offset, FONT_PX, "off"),
        Label(x + 84, y + 16, f"{s.value:#x}", 13, "val", bold=s.written),
    ]
    role = role_zh(s.role)
    used = 6
    if role:
        labels.append(cut_label(x + 6, y + 32, role, FONT_PX, "role", BOX_W - 12))
        used += text_width(role, FONT_PX) + 10
    if s.desc and BOX_W - used - 6 > 3 * FONT_PX:
        labels.append(cut_label(x + BOX_W - 6, y + 32, s.desc, FONT_PX, "desc", BOX_W - used - 6, anchor="end"))
    return (box,), tuple(labels)


def _pointer(name: str, y: float) -> tuple[Arrow, Label]:
    """The SP (left) or BP (right) arrow pointing at the slot whose centre is y."""
    if name == "SP":
        return Arrow(2, y, BOX_X - 1, y, "sp"), Label(2, y - 5, "SP", 13, "sp", bold=True)
    right = BOX_X + BOX_W
    return (Arrow(PANEL_W - 2, y, right + 1, y, "bp"),
            Label(PANEL_W - 2, y - 5, "BP", 13, "bp", anchor="end", bold=True))


@lru_cache(maxsize=4096)  # the static site draws many runs whose stacks look the same
def panel(view: StackView, gobufs: tuple, bp: int, stray: tuple[str, ...] = ()) -> Panel:
    """The picture of one stack and the gobufs drawn under it ((name, rows) pairs, name like
    "g.sched" or "m.morebuf"); `stray` lists registers (SP/BP) pointing into no shown stack."""
    boxes: list[Box] = []
    labels = [Label(PANEL_W / 2, 20, stack_title(view.owner), 14, "title", "middle", True),
              Label(BOX_X + 16, TOP - 8, "高地址", FONT_PX, "dim")]
    arrows = [Arrow(BOX_X + 6, TOP - 6, BOX_X + 6, TOP - 22, "dim")]
    y = TOP
    where: dict[str, float] = {}
    for s in view.slots:
        b, lab = _slot(BOX_X, y, s)
        boxes += b
        labels += lab
        if s.sp:
            where["SP"] = y + ROW_H / 2
        if s.bp:
            where["BP"] = y + ROW_H / 2
        y += ROW_H
    arrows.append(Arrow(BOX_X + 6, y + 6, BOX_X + 6, y + 22, "dim"))
    labels.append(Label(BOX_X + 16, y + 18, "低地址", FONT_PX, "dim"))
    y += 30
    hi_addr = view.slots[0].addr if view.slots else view.hi
    lo_addr = view.slots[-1].addr if view.slots else view.lo
    regs = {"SP": view.sp, "BP": bp}
    for name in ("SP", "BP"):
        if name in where:
            a, lab = _pointer(name, where[name])
            arrows.append(a)
            labels.append(lab)
            continue
        v = regs[name]
        if not (view.lo <= v < view.hi) and name not in stray:
            continue
        # In this stack but outside the drawn words, or in no shown stack at all: say where.
        if view.lo <= v < view.hi:
            side = "更高处" if v > hi_addr else "更低处"
            text = f"{name} = hi-{view.hi - v:#x}（{side}，未画出）"
        else:
            text = f"{name} = {v:#x}（不在图中任何栈内）"
        cls = name.lower()
        arrows.append(Arrow(BOX_X, y + 4, BOX_X, y + 20, cls) if name == "SP" or lo_addr > v else
                      Arrow(BOX_X, y + 20, BOX_X, y + 4, cls))
        labels.append(cut_label(BOX_X + 10, y + 17, text, FONT_PX, cls, PANEL_W - BOX_X - 12, bold=True))
        y += 24
    for name, rows in gobufs:
        y += 6
        labels.append(Label(BOX_X, y + 14, f"{name}（gobuf）", 13, "title", bold=True))
        y += 22
        for row in rows:
            boxes.append(Box(BOX_X, y, BOX_W, GB_ROW, "gobuf-written" if row.written else "gobuf"))
            labels.append(Label(BOX_X + 6, y + 16, row.name, FONT_PX, "key"))
            value = f"{row.value:#x}  {row.desc}".rstrip()
            labels.append(cut_label(BOX_X + 46, y + 16, value, FONT_PX, "val", BOX_W - 52, bold=row.written))
            y += GB_ROW
    return Panel(view.owner, PANEL_W, y + 8, tuple(boxes), tuple(labels), tuple(arrows))


def _alt(st: State) -> str:
    owners = "、".join(stack_title(v.owner) for v in st.stacks)
    head = f"栈布局图，第 {st.k} 步：{owners}，高地址在上。"
    if st.step is None:
        return head + "尚未执行任何指令。"
    old = {r.name: r.old for r in st.regs}
    now = {r.name: r.value for r in st.regs}
    parts = []
    for reg, name in (("rsp", "SP"), ("rbp", "BP")):
        if old[reg] != now[reg]:
            parts.append(f"{name} 从 {old[reg]:#x} 变为 {now[reg]:#x}")
    for label, value, _ in st.writes:
        parts.append(f"{label} 写入 {value:#x}")
    return head + ("本步" + "；".join(parts) + "。" if parts else "本步栈和 gobuf 都没有变化。")


def build(st: State) -> Picture:
    """The picture of one State."""
    return build_all([st])[0]


def build_all(sts: list[State]) -> list[Picture]:
    """[build(st) for st in sts] for the states of one trace, in order (model.states): a panel
    whose stack slots and gobuf rows are the same objects as the step before's, and whose SP and
    BP it would say the same of, is the panel drawn for that step."""
    out: list[Picture] = []
    last: dict[int, tuple] = {}  # panel index -> (inputs, Panel) of the step before
    for st in sts:
        gobufs = dict(st.gobufs)
        morebuf = gobufs.pop(MOREBUF, None)
        rsp = next(r.value for r in st.regs if r.name == "rsp")
        rbp = next(r.value for r in st.regs if r.name == "rbp")
        stray = tuple(n for n, v in (("SP", rsp), ("BP", rbp))
                      if not any(v_.lo <= v < v_.hi for v_ in st.stacks))
        panels = []
        for i, view in enumerate(st.stacks):
            own = f"{view.owner}.sched"
            gbs = ((own, gobufs[own]),) if own in gobufs else ()
            if i == 0 and morebuf is not None:
                gbs += ((MOREBUF, morebuf),)
            s_ = stray if i == 0 else ()
            # What panel() draws of SP and BP beyond the slots' own marks: their value, when in
            # this stack or in none; nothing otherwise.
            said = tuple(v if view.lo <= v < view.hi or n in s_ else None
                         for n, v in (("SP", view.sp), ("BP", rbp)))
            key = (view.slots, tuple(rows for _, rows in gbs), tuple(n for n, _ in gbs), said, s_,
                   view.owner, view.lo, view.hi, view.sp_here)
            hit = last.get(i)
            if hit is not None and _same_inputs(hit[0], key):
                panels.append(hit[1])
                continue
            p = panel(view, gbs, rbp, s_)
            last[i] = (key, p)
            panels.append(p)
        out.append(Picture(tuple(panels), _alt(st)))
    return out


def _same_inputs(a: tuple, b: tuple) -> bool:
    """Two build_all keys: the slots and gobuf rows compared by identity (model.states shares
    them between steps), the rest by value."""
    return (a[0] is b[0] and len(a[1]) == len(b[1]) and all(x is y for x, y in zip(a[1], b[1]))
            and a[2:] == b[2:])


def picture_at(t: Trace, k: int) -> Picture:
    return build(state(t, k))


def _num(v: float):
    return int(v) if float(v).is_integer() else round(v, 1)


@lru_cache(maxsize=4096)
def panel_json(p: Panel) -> list:
    """Compact form for the page: [w, h, items]; stepper.js draws exactly these."""
    items = [["r", _num(b.x), _num(b.y), _num(b.w), _num(b.h), b.cls] for b in p.boxes]
    items += [["t", _num(lab.x), _num(lab.y), lab.text, _num(lab.size), lab.cls, lab.anchor[0], int(lab.bold),
               *([lab.full] if lab.full else [])] for lab in p.labels]
    items += [["a", _num(a.x1), _num(a.y1), _num(a.x2), _num(a.y2), a.cls] for a in p.arrows]
    return [_num(p.w), _num(p.h), items]


def min_font_px(pic: Picture) -> float:
    return min(lab.size for p in pic.panels for lab in p.labels)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    def lum(c: str) -> float:
        rgb = [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


TEXT_CLASSES = ("title", "off", "val", "role", "desc", "key", "dim", "sp", "bp")
FILL_CLASSES = ("bg", "slot", "written", "gobuf")


def fill(cls: str, palette: dict) -> str:
    """A box class's fill colour."""
    return palette["written" if cls.endswith("written") else cls]


# --- SVG: the same markup stepper.js builds in the browser ------------------------------------

def arrow_head(a: Arrow, size: float = 8.0) -> str:
    """Points of the filled head of an arrow, as 'x,y x,y x,y'."""
    dx, dy = a.x2 - a.x1, a.y2 - a.y1
    n = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / n, dy / n
    bx, by = a.x2 - ux * size, a.y2 - uy * size
    px, py = -uy * size * 0.45, ux * size * 0.45
    pts = ((a.x2, a.y2), (bx + px, by + py), (bx - px, by - py))
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def panel_svg(p: Panel, band: tuple[float, float] | None = None, cls: str = "") -> str:
    """One panel as an inline SVG element; sizes are CSS px (never scaled up or down by the page).

    With `band` (top, bottom), only that horizontal band of the panel is drawn, at full size."""
    top, bottom = band or (0, p.h)
    out = [f'<svg class="gsb-pic{" " + cls if cls else ""}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{_num(p.w)}" height="{_num(bottom - top)}" '
           f'viewBox="0 {_num(top)} {_num(p.w)} {_num(bottom - top)}" aria-hidden="true">']
    for b in p.boxes:
        out.append(f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}" '
                   f'class="gp-b gp-{b.cls}"/>')
    for a in p.arrows:
        out.append(f'<line x1="{_num(a.x1)}" y1="{_num(a.y1)}" x2="{_num(a.x2)}" y2="{_num(a.y2)}" '
                   f'class="gp-line gp-s-{a.cls}"/><polygon points="{arrow_head(a)}" class="gp-{a.cls}"/>')
    for lab in p.labels:
        weight = ' font-weight="bold"' if lab.bold else ""
        cut = f' data-full="{_esc(lab.full)}"' if lab.full else ""
        part = ' data-part="sp"' if lab.cls == "sp" else ""
        title = f"<title>{_esc(lab.full)}</title>" if lab.full else ""
        out.append(f'<text x="{_num(lab.x)}" y="{_num(lab.y)}" font-size="{_num(lab.size)}" '
                   f'text-anchor="{lab.anchor}"{weight} class="gp-{lab.cls}{" gp-cut" if lab.full else ""}"'
                   f'{cut}{part}>{_esc(lab.text)}{title}</text>')
    out.append("</svg>")
    return "".join(out)


def svg(pic: Picture, band_h: float | None = None) -> str:
    """The whole picture: panels side by side, wrapping onto new rows on a narrow screen.

    With `band_h` (the live stepper, which cannot scroll a box to SP), the panel SP is in is drawn
    as a band about that tall around SP (sp_band), first in a column, with a caption that says
    how many boxes it leaves out above and below; the other panels are drawn whole."""
    parts = []
    for p in pic.panels:
        band = sp_band(p, band_h) if band_h else None
        if band is None:
            parts.append(panel_svg(p, cls="gsb-focus" if band_h and _sp(p) else ""))
            continue
        above, below = (sum(1 for b in p.boxes if cut(b)) for cut in
                        (lambda b: b.y + b.h <= band[0] + 0.5, lambda b: b.y >= band[1] - 0.5))
        title = next((lab.text for lab in p.labels if lab.cls == "title"), p.owner)
        parts.append(f'<div class="gsb-band gsb-focus"><div class="gsb-band-note">{_esc(title)}：只画 SP 附近'
                     f'（上略 {above} 格、下略 {below} 格，见“整张图”）</div>'
                     + panel_svg(p, band) + "</div>")
    return f'<div class="gsb-picture" role="img" aria-label="{_esc(pic.alt)}">' + "".join(parts) + "</div>"


def _sp(p: Panel) -> Label | None:
    return next((lab for lab in p.labels if lab.cls == "sp"), None)


def sp_band(p: Panel, height: float) -> tuple[float, float] | None:
    """(top, bottom) of a band at most `height` px tall of the panel SP is in, SP's box in its middle
    (or as near as the panel's ends allow), its edges on box edges. None: no SP here, or the panel is
    not much taller than the band."""
    sp = _sp(p)
    if sp is None or p.h <= height + ROW_H:
        return None
    lo, hi = sp.y - ROW_H, sp.y + ROW_H  # SP in the middle: the band's edges may move on a short screen
    top = min(max(0.0, (lo + hi - height) / 2), p.h - height)
    edges = sorted({0.0, p.h} | {b.y for b in p.boxes} | {b.y + b.h for b in p.boxes})
    top = max(e for e in edges if e <= top + 0.5)
    bottom = max(e for e in edges if e <= top + height + 0.5)
    if bottom < hi:  # snapping lost SP's box at the bottom: keep the unsnapped edge
        bottom = min(p.h, top + height)
    return top, bottom


def css() -> str:
    """The picture's colours as CSS, light by default; dark under the book's, Lab's or the OS's dark."""
    def rules(pal: dict, scope: str) -> str:
        out = [f"{scope}.gsb-pic {{ background: {pal['bg']}; }}"]
        for c in ("slot", "gobuf"):
            out.append(f"{scope}.gsb-pic .gp-{c} {{ fill: {pal[c]}; stroke: {pal['edge']}; }}")
        out.append(f"{scope}.gsb-pic .gp-written, {scope}.gsb-pic .gp-gobuf-written "
                   f"{{ fill: {pal['written']}; stroke: {pal['val']}; stroke-width: 2; }}")
        for c in TEXT_CLASSES:
            out.append(f"{scope}.gsb-pic .gp-{c} {{ fill: {pal[c]}; }}")
        for c in ("sp", "bp", "dim"):
            out.append(f"{scope}.gsb-pic .gp-s-{c} {{ stroke: {pal[c]}; }}")
        return "\n".join(out)
    dark = PALETTES["dark"]
    return "\n".join([
        "/* generated by gosched_book.views.picture.css(); do not edit by hand */",
        ".gsb-pic text { font-family: 'DejaVu Sans Mono', 'WenQuanYi Micro Hei Mono', 'WenQuanYi Micro Hei',"
        " 'Noto Sans Mono CJK SC', Menlo, Consolas, monospace; }",
        ".gsb-pic .gp-line { stroke-width: 2; }",
        rules(PALETTES["light"], ""),
        rules(dark, "html[data-theme=dark] "),
        rules(dark, "body[data-jp-theme-light=false] "),
        "@media (prefers-color-scheme: dark) {",
        rules(dark, "html:not([data-theme=light]) "),
        "}",
    ])
