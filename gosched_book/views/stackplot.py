"""The matplotlib renderer of the stack picture model (picture.py), for JupyterLab.

Panels sit side by side; one unit is one CSS pixel, so the SVG's text has the model's sizes.
Labels are Chinese: the CJK font comes with the install (fonts-wqy-microhei, see scripts/).
Artists are pooled and reused, so a step only moves and retexts them.
"""
from __future__ import annotations

import hashlib
import io
import re
from threading import Lock

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from ..machine.trace import Trace
from .model import State, state
from .picture import PALETTES, Picture, build, fill
from .picture import svg as html_svg

MONO = "DejaVu Sans Mono"
CJK = "WenQuanYi Micro Hei"
FAMILY = [MONO, CJK]  # per-glyph fallback: ASCII in the monospace face, Chinese in the CJK one
GAP = 16  # between panels, px
PX = 96  # matplotlib inches per CSS px
PT = 0.75  # one CSS px in points
_FONTS_CSS = ("'DejaVu Sans Mono', 'WenQuanYi Micro Hei Mono', 'WenQuanYi Micro Hei', "
              "'Noto Sans Mono CJK SC', Menlo, Consolas, monospace")


def cjk_font() -> str:
    """Path of the CJK font matplotlib will use; FileNotFoundError names the package to install."""
    prop = font_manager.FontProperties(family=CJK)
    try:
        return font_manager.findfont(prop, fallback_to_default=False)
    except ValueError:
        pass
    # matplotlib's font cache may predate the font's installation: add the file directly.
    for path in font_manager.findSystemFonts():
        if "wqy-microhei" in path:
            font_manager.fontManager.addfont(path)
    try:
        return font_manager.findfont(prop, fallback_to_default=False, rebuild_if_missing=False)
    except ValueError:
        raise FileNotFoundError(
            "没有找到中文字体 WenQuanYi Micro Hei：请安装 Debian 包 fonts-wqy-microhei"
            "（make test / make lab 会自动安装）") from None


class PictureFigure:
    """A reusable figure: pools of rectangles, texts and arrows, set from a Picture."""

    def __init__(self, theme: str = "light") -> None:
        cjk_font()
        self.palette = PALETTES[theme]
        self.fig = Figure(figsize=(4, 4), dpi=PX)
        self.fig.patch.set_facecolor(self.palette["bg"])
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.axis("off")
        self.rects: list[Rectangle] = []
        self.texts: list = []
        self.arrows: list[FancyArrowPatch] = []

    def _rect(self, i: int) -> Rectangle:
        while len(self.rects) <= i:
            r = Rectangle((0, 0), 1, 1, linewidth=0.8, edgecolor=self.palette["edge"])
            self.ax.add_patch(r)
            self.rects.append(r)
        return self.rects[i]

    def _text(self, i: int):
        while len(self.texts) <= i:
            self.texts.append(self.ax.text(0, 0, "", family=FAMILY, va="baseline"))
        return self.texts[i]

    def _arrow(self, i: int) -> FancyArrowPatch:
        while len(self.arrows) <= i:
            a = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=12, linewidth=1.8,
                                shrinkA=0, shrinkB=0)
            self.ax.add_patch(a)
            self.arrows.append(a)
        return self.arrows[i]

    def update(self, pic: Picture) -> None:
        """Set every artist from the picture; unused pooled artists are hidden."""
        pal = self.palette
        width = sum(p.w for p in pic.panels) + GAP * (len(pic.panels) - 1)
        height = max(p.h for p in pic.panels)
        self.fig.set_size_inches(width / PX, height / PX)
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        nr = nt = na = 0
        x0 = 0.0
        for p in pic.panels:
            for b in p.boxes:
                r = self._rect(nr)
                nr += 1
                r.set_bounds(x0 + b.x, b.y, b.w, b.h)
                r.set_facecolor(fill(b.cls, pal))
                r.set_linewidth(1.8 if b.cls.endswith("written") else 0.8)
                r.set_visible(True)
            for lab in p.labels:
                t = self._text(nt)
                nt += 1
                t.set_position((x0 + lab.x, lab.y))
                t.set_text(lab.text)
                t.set_fontsize(lab.size * PT)
                t.set_color(pal[lab.cls])
                t.set_horizontalalignment({"start": "left", "middle": "center", "end": "right"}[lab.anchor])
                # the CJK face has no bold; synthesising it would only log a warning
                t.set_fontweight("bold" if lab.bold and lab.text.isascii() else "normal")
                t.set_visible(True)
            for a in p.arrows:
                arr = self._arrow(na)
                na += 1
                arr.set_positions((x0 + a.x1, a.y1), (x0 + a.x2, a.y2))
                arr.set_color(pal[a.cls])
                arr.set_visible(True)
            x0 += p.w + GAP
        for pool, used in ((self.rects, nr), (self.texts, nt), (self.arrows, na)):
            for art in pool[used:]:
                art.set_visible(False)

    def svg(self) -> str:
        buf = io.StringIO()
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "gosched-book"}):
            self.fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                             facecolor=self.palette["bg"])
        out = buf.getvalue()
        out = out[out.index("<svg"):]  # drop the XML prolog and doctype for inline use
        out = re.sub(r"\s*<metadata>.*?</metadata>", "", out, flags=re.S)
        out = re.sub(r'width="([\d.]+)pt" height="([\d.]+)pt"',
                     lambda m: f'width="{float(m[1]) / PT:.0f}" height="{float(m[2]) / PT:.0f}" '
                               f'style="max-width:100%;height:auto"', out, count=1)
        return re.sub(r"font-family: ?'?DejaVu Sans Mono'?(, ?'?WenQuanYi Micro Hei'?)?",
                      f"font-family: {_FONTS_CSS}", out)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.canvas.print_png(buf)
        return buf.getvalue()

    def visible_texts(self) -> list[str]:
        """Every visible text (for tests and accessibility)."""
        return [t.get_text() for t in self.texts if t.get_visible() and t.get_text()]


_FIGURE: PictureFigure | None = None
_LOCK = Lock()
_CACHE: dict[str, str] = {}


def _key(st: State) -> str:
    return hashlib.sha1(repr((st.stacks, st.gobufs, st.regs)).encode()).hexdigest()


def render_svg(st: State, fig: PictureFigure | None = None) -> str:
    """SVG text of one state; text stays text, so it is small, sharp and searchable."""
    global _FIGURE
    if fig is not None:
        fig.update(build(st))
        return fig.svg()
    with _LOCK:
        _FIGURE = _FIGURE or PictureFigure()
        _FIGURE.update(build(st))
        return _FIGURE.svg()


def svg(t: Trace, k: int, band_h: float | None = None) -> str:
    """The stack picture after k steps as inline SVG, cached by what it shows.

    This is the live view's renderer: the model written straight out as SVG (picture.svg, the
    same markup stepper.js builds), well under a frame; matplotlib's SVG writer needs ~36 ms.
    With `band_h`, SP's stack is drawn as a band around SP (picture.svg).
    """
    st = state(t, k)
    key = _key(st) + (f"/{band_h}" if band_h else "")
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = html_svg(build(st), band_h)
        if len(_CACHE) > 4096:
            try:  # prerender's thread may insert meanwhile: the oldest entry, or none this time
                _CACHE.pop(next(iter(_CACHE)), None)
            except (RuntimeError, StopIteration):
                pass
    return hit


def is_cached(t: Trace, k: int) -> bool:
    return _key(state(t, k)) in _CACHE


def prerender(t: Trace, stop=lambda: False, band_h: float | None = None) -> None:
    """Fill the cache for every step of t (safe in a thread)."""
    for k in range(len(t.steps) + 1):
        if stop():
            return
        st = state(t, k)
        key = _key(st) + (f"/{band_h}" if band_h else "")
        if key not in _CACHE:
            _CACHE[key] = html_svg(build(st), band_h)


def figure_of(t: Trace, k: int, theme: str = "light") -> PictureFigure:
    f = PictureFigure(theme)
    f.update(build(state(t, k)))
    return f


def png(t: Trace, k: int, theme: str = "light") -> bytes:
    """A PNG of step k (for screenshots and quick looks)."""
    return figure_of(t, k, theme).png()


def picture(t: Trace, k: int) -> Figure:
    """A fresh matplotlib Figure of step k (for notebooks that want the Figure itself)."""
    return figure_of(t, k).fig
