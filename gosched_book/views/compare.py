"""Before/after: a routine's stack picture at entry beside the one at its end."""
from __future__ import annotations

from html import escape

import ipywidgets as W

from .. import api
from . import html, stackplot


def before_after_html(routine="mcall", preset=None, **params) -> str:
    t = api.run(routine, preset, **params)
    n = len(t.steps)
    cell = ("<div style='flex:1 1 420px;min-width:320px'><div class='gsb-status'>{}</div>{}</div>")
    return (
        html.CSS + f"<div class='gsb'>{html.title(t)}<div style='display:flex;gap:12px;flex-wrap:wrap'>"
        + cell.format("入口：第 0 步，尚未执行任何指令", stackplot.svg(t, 0))
        + cell.format(f"结束：第 {n} 步之后 —— {escape(t.end.summary)}", stackplot.svg(t, n))
        + "</div></div>"
    )


def before_after(routine="mcall", preset=None, **params) -> W.HTML:
    """An HTML widget with the entry state beside the end state."""
    return W.HTML(before_after_html(routine, preset, **params))
