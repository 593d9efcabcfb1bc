"""Stack-layout pictures with matplotlib: the goroutine stack and g0's, side by side.

Plot text is identifiers and hex only (no CJK glyphs needed); Chinese captions live in the
HTML around the picture. One figure per trace is kept and its artists are updated per step.
"""
from __future__ import annotations

import hashlib
import io
import re

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..trace import Trace
from .model import GOBUF_FIELDS, MAX_SLOTS, State, state

FONT = "DejaVu Sans Mono"
W, H, DPI = 9.6, 6.4, 80
ROW = 4.1  # slot height in axis units (0..100)
TOP = 88.0
COL_STEP = 52.0  # one stack column per 52 axis units
COL_W = 34.0


def columns(n: int) -> tuple[float, ...]:
    """Left x of each of n stack columns."""
    return tuple(8.0 + COL_STEP * i for i in range(n))


COLS = columns(2)
GB_ROW = 3.3
COLORS = dict(slot="#ffffff", written="#ffe08a", edge="#445", sp="#c0392b", bp="#2c6fbb",
              gobuf="#f4f6fa", gobuf_written="#ffe08a", dim="#8a8f99", text="#1d2330")


class StackFigure:
    """A reusable figure whose artists are set from a State."""

    def __init__(self, n: int = 2) -> None:
        self.n = n
        xmax = 100 + COL_STEP * (n - 2)
        self.width = W * xmax / 100
        self.fig = Figure(figsize=(self.width, H), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, 100)
        ax.axis("off")
        self.titles, self.slots, self.arrows, self.gobufs, self.lows = [], [], [], [], []
        txt = dict(family=FONT, color=COLORS["text"])
        for col, x in enumerate(columns(n)):
            self.titles.append(ax.text(x + COL_W / 2, 96, "", ha="center", va="center",
                                       fontsize=12, weight="bold", **txt))
            ax.text(x + COL_W / 2, TOP + 3.2, "high addresses ^", ha="center", va="center",
                    fontsize=8, color=COLORS["dim"], family=FONT)
            self.lows.append(ax.text(x + COL_W / 2, 0, "v low addresses", ha="center", va="center",
                                     fontsize=8, color=COLORS["dim"], family=FONT))
            rows = []
            for r in range(MAX_SLOTS):
                y = TOP - (r + 1) * ROW
                rect = Rectangle((x, y), COL_W, ROW, facecolor=COLORS["slot"], edgecolor=COLORS["edge"],
                                 linewidth=0.8)
                ax.add_patch(rect)
                off = ax.text(x + 0.6, y + ROW / 2, "", va="center", fontsize=7, color=COLORS["dim"],
                              family=FONT)
                val = ax.text(x + 8.2, y + ROW * 0.66, "", va="center", fontsize=8, **txt)
                what = ax.text(x + 8.2, y + ROW * 0.26, "", va="center", fontsize=7, color="#3b4a6b",
                               family=FONT)
                role = ax.text(x + COL_W - 0.6, y + ROW * 0.66, "", va="center", ha="right",
                               fontsize=6.5, color=COLORS["dim"], style="italic", family=FONT)
                rows.append((rect, off, val, what, role))
            self.slots.append(rows)
            sp = ax.annotate("SP", xy=(x, 0), xytext=(x - 6.5, 0), va="center", fontsize=9,
                             color=COLORS["sp"], weight="bold", family=FONT,
                             arrowprops=dict(arrowstyle="->", color=COLORS["sp"], lw=1.6))
            bp = ax.annotate("BP", xy=(x + COL_W, 0), xytext=(x + COL_W + 4.2, 0), va="center",
                             fontsize=9, color=COLORS["bp"], weight="bold", family=FONT,
                             arrowprops=dict(arrowstyle="->", color=COLORS["bp"], lw=1.4))
            self.arrows.append((sp, bp))
            gtitle = ax.text(x, 0, "", fontsize=9, weight="bold", va="center", **txt)
            grows = []
            for name in GOBUF_FIELDS:
                rect = Rectangle((x, 0), COL_W, GB_ROW, facecolor=COLORS["gobuf"], edgecolor="#ccd",
                                 linewidth=0.6)
                ax.add_patch(rect)
                key = ax.text(x + 0.8, 0, name, va="center", fontsize=7.5, color=COLORS["dim"],
                              family=FONT)
                val = ax.text(x + 6.0, 0, "", va="center", fontsize=7.5, **txt)
                grows.append((rect, key, val))
            self.gobufs.append((gtitle, grows))

    def update(self, st: State) -> None:
        """Set every artist from a State."""
        if len(st.stacks) != self.n:
            raise ValueError(f"this figure has {self.n} stack columns; the state has {len(st.stacks)}")
        cols = columns(self.n)
        for col, view in enumerate(st.stacks):
            kind = "goroutine stack" if view.owner != "g0" else "system stack"
            self.titles[col].set_text(f"{view.owner} stack ({kind})")
            rows = self.slots[col]
            sp_arrow, bp_arrow = self.arrows[col]
            sp_arrow.set_visible(False)
            bp_arrow.set_visible(False)
            for r, (rect, off, val, what, role) in enumerate(rows):
                if r >= len(view.slots):
                    for a in (rect, off, val, what, role):
                        a.set_visible(False)
                    continue
                s = view.slots[r]
                for a in (rect, off, val, what, role):
                    a.set_visible(True)
                rect.set_facecolor(COLORS["written"] if s.written else COLORS["slot"])
                rect.set_linewidth(1.8 if s.written else 0.8)
                off.set_text(s.offset)
                val.set_text(f"{s.value:#x}")
                what.set_text(s.desc)
                role.set_text(s.role)
                y = TOP - (r + 1) * ROW + ROW / 2
                x = cols[col]
                if s.sp:
                    sp_arrow.xy = (x, y)
                    sp_arrow.set_position((x - 6.5, y))
                    sp_arrow.set_visible(True)
                if s.bp:
                    bp_arrow.xy = (x + COL_W, y)
                    bp_arrow.set_position((x + COL_W + 4.2, y))
                    bp_arrow.set_visible(True)
        # Lay the gobufs out right under the tallest stack, then crop the figure to fit.
        n_rows = max(len(v.slots) for v in st.stacks)
        low_y = TOP - n_rows * ROW - 2.2
        gb_top = low_y - 5.0
        for col in range(self.n):
            self.lows[col].set_position((cols[col] + COL_W / 2, low_y))
        column_of = {v.owner: i for i, v in enumerate(st.stacks)}
        for col, (title, grows) in enumerate(self.gobufs):  # a column without a g has no gobuf
            on = any(column_of.get(owner) == col for owner, _ in st.gobufs)
            title.set_visible(on)
            for arts in grows:
                for a in arts:
                    a.set_visible(on)
        for owner, rows in st.gobufs:
            col = column_of[owner]
            title, grows = self.gobufs[col]
            title.set_text(f"{owner}.sched (gobuf)")
            title.set_position((cols[col], gb_top + 1.6))
            for r, ((rect, key, val), row) in enumerate(zip(grows, rows)):
                y = gb_top - (r + 1) * GB_ROW
                rect.set_y(y)
                key.set_position((cols[col] + 0.8, y + GB_ROW / 2))
                val.set_position((cols[col] + 6.0, y + GB_ROW / 2))
                rect.set_facecolor(COLORS["gobuf_written"] if row.written else COLORS["gobuf"])
                val.set_text(f"{row.value:#x}  {row.desc}".rstrip())
        bottom = gb_top - len(GOBUF_FIELDS) * GB_ROW - 2.0
        self.ax.set_ylim(bottom, 100)
        self.fig.set_size_inches(self.width, H * (100 - bottom) / 100)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.canvas.print_png(buf)
        return buf.getvalue()

    def texts(self) -> list[str]:
        """Every visible text in the figure (for tests and accessibility)."""
        return [t.get_text() for t in self.ax.texts if t.get_visible() and t.get_text()]


_FIGURES: dict[int, StackFigure] = {}
_CACHE: dict[str, str] = {}
_FONTS = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"


def figure(n: int = 2) -> StackFigure:
    """The shared, reusable figure with n stack columns (created on first use)."""
    if n not in _FIGURES:
        _FIGURES[n] = StackFigure(n)
    return _FIGURES[n]


def _key(st: State) -> str:
    return hashlib.sha1(repr((st.stacks, st.gobufs)).encode()).hexdigest()


def render_svg(st: State, fig: StackFigure | None = None) -> str:
    """SVG text of one state; text stays text, so it is small, sharp and searchable."""
    f = fig or figure(len(st.stacks))
    f.update(st)
    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "gosched-book"}):
        f.fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype for inline use
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'width="[^"]+" height="[^"]+"', 'width="100%"', svg, count=1)
    return svg.replace("'DejaVu Sans Mono'", _FONTS).replace('"DejaVu Sans Mono"', _FONTS)


def svg(t: Trace, k: int) -> str:
    """The stack picture after k steps, cached by what it shows."""
    st = state(t, k)
    key = _key(st)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = render_svg(st)
        if len(_CACHE) > 4096:
            _CACHE.pop(next(iter(_CACHE)))
    return hit


def is_cached(t: Trace, k: int) -> bool:
    return _key(state(t, k)) in _CACHE


def prerender(t: Trace, stop=lambda: False) -> None:
    """Fill the cache for every step of t with a private figure (safe in a thread)."""
    f = None
    for k in range(len(t.steps) + 1):
        if stop():
            return
        st = state(t, k)
        key = _key(st)
        if key not in _CACHE:
            f = f or StackFigure(len(st.stacks))
            _CACHE[key] = render_svg(st, f)


def png(t: Trace, k: int) -> bytes:
    """A PNG of step k (for screenshots and quick looks)."""
    st = state(t, k)
    f = StackFigure(len(st.stacks))
    f.update(st)
    return f.png()


def picture(t: Trace, k: int) -> Figure:
    """A fresh matplotlib Figure of step k (for notebooks that want the Figure itself)."""
    st = state(t, k)
    f = StackFigure(len(st.stacks))
    f.update(st)
    return f.fig
