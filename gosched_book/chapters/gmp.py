"""Two matplotlib pictures with Chinese labels: the schedule/execute loop and the G/M/P layout.

The G/M/P picture is read from a trace (m.g0, m.gsignal, m.curg, each g's stack and status),
never typed by hand.
"""
from __future__ import annotations

from functools import cache

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .. import api
from ..machine.trace import Trace
from ..machine.core import off

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "AR PL UMing CN")
STATUS = {0: "_Gidle", 1: "_Grunnable", 2: "_Grunning", 3: "_Gsyscall", 4: "_Gwaiting",
          6: "_Gdead", 8: "_Gcopystack"}  # runtime2.go:34-81
COLORS = dict(g0="#dfe9f7", user="#fdf1d6", m="#eef3e8", p="#f4f4f4", edge="#445",
              arrow="#555", dim="#777", run="#2e7d32", wait="#b26a00")


class FontMissing(RuntimeError):
    """No CJK font is installed, so Chinese labels cannot be drawn."""


@cache
def cjk_font() -> str:
    """The family name of an installed CJK font; FontMissing says how to install one."""
    for attempt in range(2):
        names = {f.name for f in font_manager.fontManager.ttflist}
        for name in CJK_FONTS:
            if name in names:
                return name
        if attempt == 0:  # matplotlib's font cache may predate the font: look on disk once
            for path in font_manager.findSystemFonts():
                if any(k in path.lower() for k in ("cjk", "wqy", "sourcehan", "uming", "notosanssc")):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
    raise FontMissing("没有找到中文字体（例如 Noto Sans CJK SC 或 WenQuanYi Micro Hei）："
                      "在 Debian 上 apt-get install fonts-wqy-microhei，然后重启内核")


def _box(ax, x, y, w, h, text, color, size=10, dashed=False, edge=1.1):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.3,rounding_size=0.8",
                                facecolor=color, edgecolor=COLORS["edge"], linewidth=edge,
                                linestyle="--" if dashed else "-"))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size,
            family=cjk_font(), color="#1d2330", linespacing=1.5)


def _arrow(ax, a, b, text="", bend=0.0, color=None, size=8.5, dashed=False):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=13, lw=1.3,
                                 color=color or COLORS["arrow"], linestyle="--" if dashed else "-",
                                 connectionstyle=f"arc3,rad={bend}"))
    if text:
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        ax.text(mx, my, text, ha="center", va="center", fontsize=size, family=cjk_font(),
                color=COLORS["dim"], bbox=dict(facecolor="white", edgecolor="none", pad=1.2))


def _canvas(w: float, h: float, xmax: float = 100, ymax: float = 60) -> tuple[Figure, object]:
    fig = Figure(figsize=(w, h), dpi=90)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, ymax)
    ax.axis("off")
    return fig, ax


def loop_figure() -> Figure:
    """schedule → execute → gogo → the goroutine → mcall(...) → back to schedule, on which stack."""
    fig, ax = _canvas(9.6, 5.4)
    f = cjk_font()
    ax.text(50, 57, "调度循环：谁在哪个栈上运行", ha="center", fontsize=13, family=f)
    ax.add_patch(FancyBboxPatch((2, 4), 44, 46, boxstyle="round,pad=0.4", facecolor="#f7faff",
                                edgecolor="#9ab", linestyle=":"))
    ax.text(24, 47, "g0 栈（系统栈）", ha="center", fontsize=10, family=f, color="#345")
    ax.add_patch(FancyBboxPatch((54, 4), 44, 46, boxstyle="round,pad=0.4", facecolor="#fffaf0",
                                edgecolor="#cb9", linestyle=":"))
    ax.text(76, 47, "gp 的栈（goroutine 栈）", ha="center", fontsize=10, family=f, color="#643")
    _box(ax, 6, 34, 36, 8, "schedule()\n找一个可运行的 gp", COLORS["g0"])
    _box(ax, 6, 20, 36, 8, "execute(gp)\nm.curg = gp；_Grunning", COLORS["g0"])
    _box(ax, 6, 7, 36, 8, "gogo(&gp.sched)\n换栈、跳到 gobuf.pc", COLORS["g0"])
    _box(ax, 58, 20, 36, 10, "goroutine 的代码\n从上次停下的地方继续", COLORS["user"])
    _box(ax, 58, 36, 36, 8, "mcall(park_m / gosched_m\n/ goexit0)：保存 g.sched", COLORS["user"])
    _arrow(ax, (24, 33.5), (24, 28.5), "选中")
    _arrow(ax, (24, 19.5), (24, 15.5))
    _arrow(ax, (42.5, 11), (66, 19.5), "JMP gobuf.pc", bend=0.25)
    _arrow(ax, (76, 30.5), (76, 35.5), "让出 / 阻塞 / 结束")
    _arrow(ax, (57.5, 40), (42.5, 38), "SP = g0.sched.sp\n调用 fn(gp)", bend=0.15)
    ax.text(50, 1.2, "fn（park_m 等）最后调用 schedule()，循环从不返回：g0 的栈每次都从 g0.sched.sp 重新开始",
            ha="center", fontsize=8.5, family=f, color=COLORS["dim"])
    return fig


def _word(t: Trace, k: int, label: str) -> int:
    """The word `obj.field` (e.g. `g2.atomicstatus`, `m.curg`) after k steps; unset memory is 0."""
    obj, dotted = label.split(".", 1)
    addr = t.symbols[obj] + off("m" if obj == "m" else "g", dotted)
    return t.memory_at(k).get(addr, 0)


def gmp_figure(routine: str = "schedule", preset: str = "switch", at_end: bool = True) -> Figure:
    """M, its g0, gsignal and curg, each g's stack and status, after (or before) a run."""
    t = api.run(routine, preset)
    k = len(t.steps) if at_end else 0
    sym = t.symbols
    names = {sym[n]: n for n in ("g", "g0", "gsignal", "g2")}
    tls = t.tls_at(k)
    fig, ax = _canvas(9.8, 6.3, 104, 66)  # 941 px: whole, at its own size, beside a laptop's sidebars
    f = cjk_font()
    when = "运行结束时" if at_end else "开始时"
    ax.text(52, 63, f"M、g0、gsignal、curg 和它们的栈（{routine}:{preset}，{when}）", ha="center",
            fontsize=12, family=f)
    # M with its fields, read from memory.
    curg = names.get(_word(t, k, "m.curg"), "nil")
    _box(ax, 2, 28, 26, 22, f"M（一个 OS 线程）\n\nm.g0 = {names.get(_word(t, k, 'm.g0'), '?')}\n"
         f"m.gsignal = {names.get(_word(t, k, 'm.gsignal'), '?')}\nm.curg = {curg}\n"
         f"TLS g = {names.get(tls, hex(tls))}", COLORS["m"], size=9.5)
    _box(ax, 2, 8, 26, 14, "P：本书的世界没有建模\n（真实的 M 要持有一个 P\n才能运行 Go 代码）", COLORS["p"],
         size=8.5, dashed=True)
    xs = {"g0": 34, "gsignal": 52, "g": 70, "g2": 88}
    for owner, x in xs.items():
        g = sym[owner]
        lo, hi = _word(t, k, f"{owner}.stack.lo"), _word(t, k, f"{owner}.stack.hi")
        st = _word(t, k, f"{owner}.atomicstatus") & 0xFFFFFFFF
        role = {"g0": "调度栈", "gsignal": "信号栈"}.get(owner, f"goid {_word(t, k, f'{owner}.goid')}")
        running = tls == g
        color = COLORS["g0"] if owner in ("g0", "gsignal") else COLORS["user"]
        status = STATUS.get(st, str(st)) if owner not in ("g0", "gsignal") else "（系统 g）"
        _box(ax, x, 38, 14, 14, f"{owner}\n{role}\n{status}", color, size=9,
             edge=2.4 if running else 1.1)
        _box(ax, x, 8, 14, 22, f"{owner} 的栈\n{(hi - lo) // 1024} KiB\nhi {hi:#x}\nlo {lo:#x}",
             "#ffffff", size=8.5)
        _arrow(ax, (x + 7, 37.5), (x + 7, 30.5))
        if running:
            ax.text(x + 7, 34, "正在运行（TLS g）", ha="center", fontsize=8.5, family=f, color=COLORS["run"],
                    bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
    if curg in xs:
        _arrow(ax, (27, 52.5), (xs[curg] + 7, 52.5), bend=-0.18, color=COLORS["run"])
        ax.text((34 + xs[curg]) / 2, 58.6, "m.curg", ha="center", fontsize=8.5, family=f,
                color=COLORS["run"], bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
    ax.text(52, 2.5, "gobuf 里没有 M：gp.m 由 execute 在选中它的那个 M 上设置，所以一个 goroutine 下次可能在另一个 M 上恢复",
            ha="center", fontsize=8.5, family=f, color=COLORS["dim"])
    return fig


def _img(fig: Figure, alt: str):
    """Notebook HTML: the figure as a self-contained SVG image (glyphs as paths, no font needed)."""
    import base64
    import io
    import re

    from matplotlib import rc_context

    from .book import _html

    buf = io.StringIO()
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "gosched-book"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return _html(f"<img style='max-width:100%' alt='{alt}' src='data:image/svg+xml;base64,{data}'>")


def loop():
    """The schedule loop picture, for a chapter cell."""
    return _img(loop_figure(), "调度循环：g0 栈上 schedule → execute → gogo，goroutine 栈上运行，"
                               "mcall 回到 g0 栈，再调用 schedule")


def layout(routine: str = "schedule", preset: str = "switch", at_end: bool = True):
    """The G/M/P picture, for a chapter cell."""
    return _img(gmp_figure(routine, preset, at_end), "M、g0、gsignal、curg 与各自的栈，以及每个 g 的状态")
