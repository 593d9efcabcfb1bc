"""Static HTML steppers for the site: traces and picture models, drawn by stepper.js.

Each stepper's markup carries its own packed data; the site build (site.py, merge_page) gives
each stepper a small first blob instead (its first scenario only, as plain JSON in its markup,
so it draws as soon as the parser reaches it) and merges every stepper's data on the page into
one page-level blob at the end of the page, deduplicated by scenario key, panel and picture
(see merge()); the steppers switch to that when it has loaded. Format v2 (what stepper.js reads):

    {"v": 2,
     "scenarios": {key: {"key", "title", "routine_title", "trace": trace@1 with regs
                         delta-encoded (each step lists only the registers that differ from
                         the step before), "pics": [picture index per step 0..n],
                         "alts": [alt text per step]}},
     "pictures": [[panel index, ...], ...],   # left to right
     "panels": [[w, h, items], ...],          # picture.panel_json
     "listings": {file: [[line, text, intel, bytes], ...]}}

A first blob (first_data) has the same fields for one scenario, plus "titles" {key: title} of
the stepper's other choices and "whatif": 1 when its controls come with the page data.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import re
from html import escape, unescape

from .. import api
from ..scenario.family import PRESETS, ROUTINE_TITLES
from ..machine.trace import to_dict
from ..scenario.scenario import Scenario
from . import picture
from .html import changed_note
from .listing import rows
from .model import states

FORMAT = 2
LIVE_ONLY = ("上面“改一改”里的每个选择，都是构建本书时在 Unicorn 上真跑过的一次运行；"
             "自填任意数值、任意改写源码只能在 JupyterLab 里用（make lab）。")


def delta_regs(trace: dict) -> dict:
    """trace@1 with each step's regs reduced to the ones that changed (stepper.js restores them)."""
    prev = trace["initial"]["regs"]
    steps = []
    for s in trace["steps"]:
        regs = {r: v for r, v in s["regs"].items() if prev.get(r) != v}
        prev = s["regs"]
        steps.append({**s, "regs": regs})
    return {**trace, "steps": steps, "regs_delta": True}


def undelta_regs(trace: dict) -> dict:
    """Inverse of delta_regs (the same loop as stepper.js's)."""
    prev = trace["initial"]["regs"]
    steps = []
    for s in trace["steps"]:
        prev = {**prev, **s["regs"]}
        steps.append({**s, "regs": prev})
    out = {**trace, "steps": steps}
    out.pop("regs_delta", None)
    return out


class _Pools:
    """Deduplicating pools of panels and pictures."""

    def __init__(self) -> None:
        self.panels: list = []
        self.pictures: list = []
        self._panel: dict[str, int] = {}
        self._picture: dict[tuple, int] = {}
        self._seen: dict[int, tuple] = {}  # id(Panel) -> (Panel, index); the Panel kept alive

    def panel(self, p: list) -> int:
        k = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
        if k not in self._panel:
            self._panel[k] = len(self.panels)
            self.panels.append(p)
        return self._panel[k]

    def panel_of(self, p) -> int:
        """pool index of a picture.Panel; the same object (memoized by picture.panel) is not re-encoded."""
        hit = self._seen.get(id(p))
        if hit is None:
            hit = self._seen[id(p)] = (p, self.panel(picture.panel_json(p)))
        return hit[1]

    def picture(self, panels: list[int]) -> int:
        k = tuple(panels)
        if k not in self._picture:
            self._picture[k] = len(self.pictures)
            self.pictures.append(list(panels))
        return self._picture[k]


def payload(scenarios: list[Scenario]) -> dict:
    """Everything the static steppers need for these scenarios (each key once).

    A patched scenario's listings are stored under `file@patches` and named in its "listings"."""
    pools = _Pools()
    items, files = {}, set()
    patched: dict[str, tuple] = {}
    for sc in scenarios:
        if sc.key in items:
            continue
        t = api.run(sc)
        pics, alts = [], []
        for st in states(t):
            pic = picture.build(st)
            pics.append(pools.picture([pools.panel_of(p) for p in pic.panels]))
            alts.append(pic.alt)
        used = {s.file for s in t.steps if s.file}
        own = {}
        if sc.patch:
            for f in used:
                if any(p.file == f for p in sc.patch):
                    own[f] = f + "@" + ";".join(p.spec for p in sc.patch if p.file == f)
                    patched[own[f]] = (f, tuple(p for p in sc.patch if p.file == f))
        files |= used - set(own)
        note = changed_note(sc.overrides())
        items[sc.key] = {
            "key": sc.key,
            "title": f"{t.routine} / {t.scenario}：{PRESETS[t.routine][t.scenario].title}{note}",
            "routine_title": ROUTINE_TITLES[t.routine],
            "trace": delta_regs(to_dict(t)),
            "pics": pics,
            "alts": alts,
            **({"listings": own} if own else {}),
        }
    listings = {f: [[r.line, r.text, r.intel or r.note, r.bytes] for r in rows(f)] for f in sorted(files)}
    for key, (f, ps) in sorted(patched.items()):
        listings[key] = [[r.line, r.text, r.intel or r.note, r.bytes, *([1] if r.patched else [])]
                         for r in rows(f, ps)]
    return {"v": FORMAT, "scenarios": items, "pictures": pools.pictures, "panels": pools.panels,
            "listings": listings}


def merge(datas: list[dict]) -> dict:
    """One payload holding every scenario of several, panels and pictures re-pooled."""
    pools = _Pools()
    items, listings, ctrls = {}, {}, {}
    for d in datas:
        listings.update(d["listings"])
        ctrls.update(d.get("controls", {}))
        panel_at: dict[int, int] = {}  # d's panel index -> merged index (each panel encoded once)
        picture_at: dict[int, int] = {}
        for key, sc in d["scenarios"].items():
            if key in items:
                continue
            pics = []
            for i in sc["pics"]:
                if i not in picture_at:
                    for p in d["pictures"][i]:
                        if p not in panel_at:
                            panel_at[p] = pools.panel(d["panels"][p])
                    picture_at[i] = pools.picture([panel_at[p] for p in d["pictures"][i]])
                pics.append(picture_at[i])
            items[key] = {**sc, "pics": pics}
    return {"v": FORMAT, "scenarios": items, "pictures": pools.pictures, "panels": pools.panels,
            "listings": dict(sorted(listings.items())), **({"controls": ctrls} if ctrls else {})}


def pack(data: dict, level: int = 9) -> str:
    """gzip + base64 of the JSON; stepper.js unpacks it with DecompressionStream."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=level, mtime=0)).decode("ascii")


def unpack(blob: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def scenarios_for(scenario: Scenario) -> list[Scenario]:
    """A stepper's choices: the shown scenario first, then its routine's other presets."""
    others = [Scenario(scenario.routine, p) for p in PRESETS[scenario.routine]
              if p != scenario.preset_name]
    return [scenario, *others]


DATA_SCRIPT = re.compile(r"<script type='application/octet-stream' class='gsb-data'>([^<]*)</script>")
PAGE_DATA_ID = "gsb-page-data"
START = "<script>window.GoschedStepper && GoschedStepper.start();</script>"


def controls_html() -> str:
    """The step controls (the ui engineer's what-if controls go in a .gsb-controls section after these)."""
    btn = lambda cls, label, text: (  # noqa: E731
        f"<button type='button' class='{cls}' aria-label='{label}' title='{label}'>{text}</button>")
    return (
        "<div class='gsb-bar'><label>场景 <select class='gsb-select' aria-label='选择场景'></select></label></div>"
        "<div class='gsb-controls'></div>"
        "<div class='gsb-bar gsb-steps'>"
        + btn("gsb-first", "首步", "« 首步") + btn("gsb-prev", "上一步", "◀ 上一步")
        + btn("gsb-next", "下一步", "下一步 ▶") + btn("gsb-last", "末步", "末步 »")
        + btn("gsb-play", "播放", "▶ 播放")
        + "</div>"
        "<div class='gsb-bar gsb-slider'><input type='range' class='gsb-range' min='0' value='0' aria-label='步骤'>"
        "<span class='gsb-pos mono' aria-hidden='true'></span></div>"
    )


SITE_ENV = "GOSCHED_BOOK_SITE"  # set by site.build: the kernels run for the static site


def stepper_html(scenarios: list[Scenario], all_presets: bool = True, what_if: bool | None = None) -> str:
    """The static stepper markup, with its own packed data (the site merges it per page).

    With `what_if`, the first scenario's controls (static_controls.spec) and all their runs
    (about 200 runs: by default only when the site is being built, not in a reader's Lab)."""
    if all_presets and len(scenarios) == 1:
        scenarios = scenarios_for(scenarios[0])
    if what_if is None:
        what_if = os.environ.get(SITE_ENV) == "1"
    extra, ctrl = [], None
    if what_if:
        from .static_controls import spec

        ctrl, extra = spec(scenarios[0])
    data = payload(list(dict.fromkeys([*scenarios, *extra])))
    if ctrl:
        data["controls"] = {ctrl["base"]: ctrl}
    blob = pack(data, level=1 if what_if else 9)  # the site re-packs every page's data (merge_page)
    keys = escape(json.dumps([s.key for s in scenarios], ensure_ascii=False), quote=True)
    return (
        f"<div class='gsb gsb-static' data-gsb='1' data-gsb-keys=\"{keys}\" role='group' "
        "aria-label='指令单步器（焦点在单步器上时，← → 键单步）' tabindex='-1'>"
        "<noscript>这个单步器需要 JavaScript。</noscript>"
        "<div class='gsb-where'><div class='gsb-title'></div><div class='gsb-file mono'></div></div>"
        + controls_html() +
        "<div class='gsb-status' role='status' aria-live='polite'></div>"
        "<div class='gsb-end' role='alert'></div>"
        "<div class='gsb-picture' role='img' aria-label='栈布局图'></div>"
        "<div class='gsb-panels'><div class='gsb-listing' tabindex='0' role='region' "
        "aria-label='源码清单（可用方向键滚动）'></div>"
        "<div class='gsb-regs-box' tabindex='0' role='region' aria-label='寄存器表'>"
        "<table class='gsb-regs mono'></table></div></div>"
        "<div class='gsb-writes'></div>"
        f"<p class='gsb-note'>{escape(LIVE_ONLY)}</p>"
        f"<script type='application/octet-stream' class='gsb-data'>{blob}</script>"
        + START + "</div>"
    )


STEPPER_OPEN = re.compile(r"<div class='gsb gsb-static' data-gsb='1' data-gsb-keys=\"([^\"]*)\"")
FIRST_CLASS = "gsb-first-data"


def first_data(data: dict, keys: list[str]) -> dict:
    """What a stepper draws before the page data arrives: its first scenario (keys[0]) with only
    the pictures, panels and listings that scenario uses, and the titles of its other choices."""
    k0 = keys[0]
    sc = data["scenarios"][k0]
    one = merge([{**data, "scenarios": {k0: sc}, "listings": {}, "controls": {}}])
    own = sc.get("listings", {})
    files = sorted({s["file"] for s in sc["trace"]["steps"] if s.get("file")})
    one["listings"] = {own.get(f, f): data["listings"][own.get(f, f)] for f in files}
    one["titles"] = {k: data["scenarios"][k]["title"] for k in keys if k in data["scenarios"]}
    if k0 in data.get("controls", {}):
        one["whatif"] = 1
    return one


def first_tag(data: dict) -> str:
    """A first blob as plain JSON in the markup (no '<' inside, so no '</script>' either)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"<script type='application/json' class='{FIRST_CLASS}'>{text}</script>"


def merge_page(html: str) -> str:
    """Give each stepper on a page a small first blob in its markup, and move all their data
    into one page-level blob at the end of the page (just before </body>)."""
    blobs = DATA_SCRIPT.findall(html)
    if not blobs:
        return html
    opens = STEPPER_OPEN.findall(html)
    if len(opens) != len(blobs):
        raise ValueError(f"{len(opens)} static steppers but {len(blobs)} data blobs on one page")
    datas = [unpack(b) for b in blobs]
    firsts = iter([first_tag(first_data(d, json.loads(unescape(k)))) for d, k in zip(datas, opens)])
    html = DATA_SCRIPT.sub(lambda m: next(firsts), html)
    tag = f"<script type='application/octet-stream' id='{PAGE_DATA_ID}'>{pack(merge(datas))}</script>" + START
    end = html.rfind("</body>")
    return html + tag if end < 0 else html[:end] + tag + html[end:]
