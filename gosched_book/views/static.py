"""Static HTML steppers for the site: precomputed traces and pictures, driven by stepper.js."""
from __future__ import annotations

import base64
import gzip
import json
from html import escape

from .. import api
from ..presets import PRESETS, ROUTINE_TITLES
from ..trace import to_dict
from ..scenario import Scenario
from . import stackplot
from .html import changed_note
from .listing import rows

LIVE_ONLY = "改起始状态的滑块（入口 SP、当前 g、g.sched.ctxt……）只能在 JupyterLab 里用：用 make lab 打开本章即可实时重跑。"


def payload(scenarios: list[Scenario]) -> dict:
    """Everything a static stepper needs: traces, listings, deduplicated pictures."""
    pictures: list[str] = []
    index: dict[str, int] = {}
    items, files = [], set()
    for sc in scenarios:
        t = api.run(sc)
        pics = []
        for k in range(len(t.steps) + 1):
            svg = stackplot.svg(t, k)
            if svg not in index:
                index[svg] = len(pictures)
                pictures.append(svg)
            pics.append(index[svg])
        files |= {s.file for s in t.steps if s.file}
        note = changed_note(sc.overrides())
        items.append({
            "key": sc.key,
            "title": f"{t.routine} / {t.scenario}：{PRESETS[t.routine][t.scenario].title}{note}",
            "routine_title": ROUTINE_TITLES[t.routine],
            "trace": to_dict(t),
            "pictures": pics,
        })
    listings = {f: [[r.line, r.text, r.intel or r.note, r.bytes] for r in rows(f)] for f in sorted(files)}
    return {"scenarios": items, "pictures": pictures, "listings": listings}


def pack(data: dict) -> str:
    """gzip + base64 of the JSON; stepper.js unpacks it with DecompressionStream."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def scenarios_for(scenario: Scenario) -> list[Scenario]:
    """The page's presets for a stepper: the shown scenario first, then its routine's others."""
    others = [Scenario(scenario.routine, p) for p in PRESETS[scenario.routine]
              if p != scenario.preset_name]
    return [scenario, *others]


def stepper_html(scenarios: list[Scenario], all_presets: bool = True) -> str:
    """The static stepper markup. Data goes in as packed JSON; the script inserts it as text."""
    if all_presets and len(scenarios) == 1:
        scenarios = scenarios_for(scenarios[0])
    blob = pack(payload(scenarios))
    btn = lambda cls, label, text: (  # noqa: E731
        f"<button type='button' class='{cls}' aria-label='{label}' title='{label}'>{text}</button>")
    return (
        "<div class='gsb gsb-static' data-gsb='1' tabindex='0' role='group' "
        "aria-label='指令单步器（← → 键可单步）'>"
        "<noscript>这个单步器需要 JavaScript。</noscript>"
        "<div class='gsb-title'></div>"
        "<div class='gsb-bar'><label>场景 <select class='gsb-select' aria-label='选择场景'></select></label></div>"
        "<div class='gsb-bar'>"
        + btn("gsb-first", "首步", "« 首步") + btn("gsb-prev", "上一步", "◀ 上一步")
        + btn("gsb-next", "下一步", "下一步 ▶") + btn("gsb-last", "末步", "末步 »")
        + btn("gsb-play", "播放", "▶ 播放")
        + "<input type='range' class='gsb-range' min='0' value='0' aria-label='步骤'>"
        "</div>"
        "<div class='gsb-status' role='status' aria-live='polite'></div>"
        "<div class='gsb-panels'><div class='gsb-listing'></div>"
        "<table class='gsb-regs mono' aria-label='寄存器'></table></div>"
        "<div class='gsb-end' role='alert'></div><div class='gsb-writes'></div>"
        "<img class='gsb-picture' alt='栈布局图：左为 goroutine 栈，右为 g0 栈，高地址在上'>"
        f"<p class='gsb-note'>{escape(LIVE_ONLY)}</p>"
        f"<script type='application/octet-stream' class='gsb-data'>{blob}</script>"
        "</div>"
    )
