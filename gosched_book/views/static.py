"""Static HTML steppers for the site: traces and picture models, drawn by stepper.js.

Each stepper's markup carries its own packed data; the site build (site.py, merge_page) gives
the page's first stepper a small first blob instead (its first scenario only, as plain JSON in its
markup, so it draws as soon as the parser reaches it) and merges every stepper's data on the page
into one page-level blob at the end of the page, deduplicated by scenario key, panel and picture
(see merge()); the steppers start from (or switch to) that when it has loaded; their what-if runs
go to scripts of their own (run_chunks). Format v2 (what stepper.js reads):

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
from .html import run_note
from .listing import rows
from .model import states

FORMAT = 2
LIVE_ONLY = ("上面“改一改”里的每个选择，都是构建本书时在 Unicorn 上真跑过的一次运行；"
             "自填任意数值、任意改写源码只能在 JupyterLab 里用（make lab）。")


def undelta_regs(trace: dict) -> dict:
    """Inverse of to_dict(t, delta=True) (the same loop as stepper.js's)."""
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
        for pic in picture.build_all(states(t)):
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
        note = run_note(sc.overrides(), t.routine)
        items[sc.key] = {
            "key": sc.key,
            "title": f"{t.routine} / {t.scenario}：{PRESETS[t.routine][t.scenario].title}{note}",
            "routine_title": ROUTINE_TITLES[t.routine],
            "trace": to_dict(t, delta=True),
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
    items, listings, ctrls, chunks = {}, {}, {}, {}
    for d in datas:
        listings.update(d["listings"])
        ctrls.update(d.get("controls", {}))
        chunks.update(d.get("chunks", {}))
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
            "listings": dict(sorted(listings.items())), **({"controls": ctrls} if ctrls else {}),
            **({"chunks": chunks} if chunks else {})}


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


LEGEND = ("<b>怎么读这张图</b>：每格是栈上的一个 8 字节字，高地址在上；<span class='gsb-key-written'>黄色</span>"
          "是本步写过的字；左边红色 SP、右边蓝色 BP 箭头指向寄存器当前指向的字；“hi-0x58”是这个字的地址"
          "比这条栈的栈顶（stack.hi）低 0x58 字节。文字末尾有“…”的标签，点一下（或把鼠标停在上面）看全文。")


def controls_html() -> str:
    """The step controls: one dock (sticky while the stepper is on screen) with the buttons, the
    slider, the status line and the ending; the what-if controls go in .gsb-controls, under the picture."""
    btn = lambda cls, label, text: (  # noqa: E731
        f"<button type='button' class='{cls}' aria-label='{label}' title='{label}'>{text}</button>")
    return (
        "<div class='gsb-dock' data-part='controls'>"
        "<div class='gsb-bar gsb-steps'>"
        + btn("gsb-first", "首步", "« 首步") + btn("gsb-prev", "上一步", "◀ 上一步")
        + btn("gsb-next", "下一步", "下一步 ▶") + btn("gsb-last", "末步", "末步 »")
        + btn("gsb-play", "播放", "▶ 播放")
        + "</div>"
        "<div class='gsb-bar gsb-slider'><input type='range' class='gsb-range' min='0' value='0' aria-label='步骤'>"
        + btn("gsb-copy", "复制链接（本步）", "复制链接") + "</div>"
        "<div class='gsb-status' role='status' aria-live='polite'></div>"
        "<div class='gsb-end' role='alert' data-part='end'></div>"
        "</div>"
    )


SITE_ENV = "GOSCHED_BOOK_SITE"  # set by site.build: the kernels run for the static site


def stepper_html(scenarios: list[Scenario], all_presets: bool = True, what_if: bool | None = None) -> str:
    """The static stepper markup, with its own packed data (the site merges it per page).

    With `what_if`, the first scenario's controls (static_controls.spec) and all their runs
    (about 200 runs: by default only when the site is being built, not in a reader's Lab).
    Layout (stepper.css): the dock, then the code column (listing, registers, memory writes)
    beside the picture column (picture, legend, 改一改) where the width allows, stacked otherwise."""
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
        "<div class='gsb-bar gsb-scene'><label>场景 <select class='gsb-select' aria-label='选择场景'></select></label></div>"
        + controls_html() +
        "<div class='gsb-main'><div class='gsb-code'>"
        "<div class='gsb-listing' tabindex='0' role='region' aria-label='源码清单（可用方向键滚动）'></div>"
        "<div class='gsb-regs-box' tabindex='0' role='region' aria-label='寄存器表'>"
        "<table class='gsb-regs mono'></table></div>"
        "<button type='button' class='gsb-allregs' aria-pressed='false'>显示全部寄存器</button>"
        "<div class='gsb-writes' tabindex='0' role='region' aria-label='本步写内存'></div></div>"
        "<div class='gsb-side'><div class='gsb-tabs' role='group' aria-label='看哪条栈'></div>"
        "<div class='gsb-picture' role='img' aria-label='栈布局图' tabindex='0'></div>"
        "<div class='gsb-pic-full mono' aria-live='polite'></div>"
        f"<details class='gsb-legend'><summary>图例</summary><p>{LEGEND}</p></details>"
        "<div class='gsb-controls'></div></div></div>"
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


RUNS_DIR = "gsb-runs"  # under _static: a stepper's what-if runs, in scripts of about CHUNK_RAW each
# JSON bytes per runs script: about 150 KB compressed (measured), under a second at 1.6 Mbps, so a reader's
# change fetches only the script that holds its run (neighbouring slider values share one).
CHUNK_RAW = 900_000


def runs_script(url: str, data: dict) -> str:
    """What-if runs as a script that hands them to the page (works from file://)."""
    return (f"window.GoschedStepper&&GoschedStepper.provide({json.dumps(url)},"
            f"{json.dumps(pack(data))});\n")


def _listings_of(data: dict, scenarios: dict) -> dict:
    """The listings (plain and patched) these scenarios' steps show."""
    need = set()
    for sc in scenarios.values():
        own = sc.get("listings", {})
        need |= {own.get(s["file"], s["file"]) for s in sc["trace"]["steps"] if s.get("file")}
    return {k: v for k, v in data["listings"].items() if k in need}


def split_runs(data: dict, keys: list[str]) -> tuple[dict, dict | None]:
    """(what the page carries: the stepper's own choices and its controls' spec,
    its what-if runs: every other scenario, or None when it has none)."""
    own = {k: v for k, v in data["scenarios"].items() if k in keys}
    rest = {k: v for k, v in data["scenarios"].items() if k not in keys}
    page = merge([{**data, "scenarios": own, "listings": _listings_of(data, own)}])
    if "controls" in data:
        page["controls"] = data["controls"]
    if not rest:
        return page, None
    return page, merge([{**data, "scenarios": rest, "listings": _listings_of(data, rest), "controls": {}}])


def _control_order(controls: dict, keys) -> list[str]:
    """The runs' keys in the order of their controls' values, then any others."""
    order = [v[2] for spec in controls.values() for c in spec["controls"] for v in c["values"]]
    keys = set(keys)
    seen = list(dict.fromkeys(k for k in order if k in keys))
    return seen + sorted(keys - set(seen))


def run_chunks(runs: dict, controls: dict, limit: int | None = None) -> list[dict]:
    """A stepper's what-if runs cut into payloads of about `limit` JSON bytes (each run whole, with
    the pictures, panels and listings it needs), in the order of its controls' values."""
    limit = limit or CHUNK_RAW
    size = lambda x: len(json.dumps(x, ensure_ascii=False, separators=(",", ":")))  # noqa: E731
    panel_size = [size(p) for p in runs["panels"]]
    groups: list[list[str]] = [[]]
    used: set[int] = set()
    total = 0
    for key in _control_order(controls, runs["scenarios"]):
        sc = runs["scenarios"][key]
        panels = {p for i in set(sc["pics"]) for p in runs["pictures"][i]}
        cost = size(sc) + sum(panel_size[p] for p in panels - used)
        if groups[-1] and total + cost > limit:
            groups.append([])
            used, total = set(), 0
            cost = size(sc) + sum(panel_size[p] for p in panels)
        groups[-1].append(key)
        used |= panels
        total += cost
    out = []
    for g in groups:
        scenarios = {k: runs["scenarios"][k] for k in g}
        out.append(merge([{**runs, "scenarios": scenarios, "listings": _listings_of(runs, scenarios),
                           "controls": {}}]))
    return out


def merge_page(html: str, runs_url=None) -> tuple[str, dict[str, str]] | str:
    """Give the page's first stepper a small first blob in its markup, and move all the steppers'
    data into one page-level blob at the end of the page (just before </body>).

    With `runs_url(i, c)` (the URL of stepper i's c-th runs script, relative to the page), each
    stepper's what-if runs leave the page, cut into scripts of about CHUNK_RAW bytes: returns
    (html, {url: script text}); the page data says which script holds which run ("chunks"), and the
    stepper loads one when the reader's change or link needs a run in it."""
    blobs = DATA_SCRIPT.findall(html)
    if not blobs:
        return (html, {}) if runs_url else html
    opens = STEPPER_OPEN.findall(html)
    if len(opens) != len(blobs):
        raise ValueError(f"{len(opens)} static steppers but {len(blobs)} data blobs on one page")
    datas = [unpack(b) for b in blobs]
    keys = [json.loads(unescape(k)) for k in opens]
    # Only the page's first stepper draws from a blob of its own: the others are further down and
    # wait for the page data, which holds their scenarios anyway (a first blob each was a second copy).
    firsts = iter([first_tag(first_data(d, k)) if i == 0 else "" for i, (d, k) in enumerate(zip(datas, keys))])
    html = DATA_SCRIPT.sub(lambda m: next(firsts), html)
    scripts: dict[str, str] = {}
    if runs_url:
        pages, urls = [], []
        for i, (d, k) in enumerate(zip(datas, keys)):
            page, runs = split_runs(d, k)
            mine = {}
            for c, chunk in enumerate(run_chunks(runs, d.get("controls", {})) if runs is not None else []):
                url = runs_url(i, c)
                scripts[url] = runs_script(url, chunk)
                mine[url] = list(chunk["scenarios"])
            if mine:  # which script holds which run: the stepper fetches only the one a change needs
                page["chunks"] = mine
            pages.append(page)
            urls.append(mine)
        at = iter(urls)
        html = STEPPER_OPEN.sub(lambda m: m[0] + (
            f" data-gsb-runs='{escape(' '.join(u))}'" if (u := next(at)) else ""), html)  # URLs, space-separated
        datas = pages
    tag = f"<script type='application/octet-stream' id='{PAGE_DATA_ID}'>{pack(merge(datas))}</script>" + START
    end = html.rfind("</body>")
    html = html + tag if end < 0 else html[:end] + tag + html[end:]
    return (html, scripts) if runs_url else html
