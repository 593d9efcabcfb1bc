"""Static what-if controls on the built site: added data per chapter page, and control → redraw time.

    python benchmarks/static_controls_bench.py [path/to/_build/html]   (or: benchmarks/run.py site)

Needs a built site (`python -m gosched_book.site build`) and Debian chromium.
"""
from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def page_data(html: str) -> dict | None:
    from gosched_book.views.static import PAGE_DATA_ID, unpack

    m = re.search(rf"<script type='application/octet-stream' id='{PAGE_DATA_ID}'>([^<]*)</script>", html)
    return unpack(m.group(1)) if m else None


def _gz(obj) -> int:
    return len(gzip.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0))


def added_data(site: Path) -> None:
    """Per chapter: the page data compressed, and the part the what-if runs add."""
    from gosched_book.views.static import merge, payload
    from gosched_book.scenario.scenario import parse_key

    print(f"{'page':<28}{'steppers':>9}{'runs':>7}{'data gz KB':>12}{'no what-if KB':>15}{'added KB':>10}")
    for page in sorted((site / "notebooks").glob("*.html")):
        d = page_data(page.read_text(encoding="utf-8"))
        if not d:
            continue
        own = [c["base"] for c in d.get("controls", {}).values()]
        keys = [k for k in d["scenarios"] if not any(k.startswith(b + "+") for b in own) or k in own]
        base = merge([payload([parse_key(k) for k in keys])])
        total, plain = _gz(d), _gz(base)
        print(f"{page.stem:<28}{len(own):>9}{len(d['scenarios']):>7}{total / 1e3:>12.0f}{plain / 1e3:>15.0f}"
              f"{(total - plain) / 1e3:>10.0f}")


def redraw_ms(site: Path) -> None:
    """Median time from a control change to the redrawn stepper (synchronous render), in Chromium."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto((site / "notebooks" / "03-systemstack.html").as_uri())
        page.wait_for_selector("html[data-gsb-ready]", timeout=30000)
        samples = page.evaluate("""() => {
          const st = GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0];
          st.root.querySelector('.gsb-whatif').open = true;
          const out = [];
          const sel = Array.from(st.root.querySelectorAll('.gsb-whatif select, .gsb-whatif input'));
          for (let round = 0; round < 3; round++) for (const input of sel) {
            const n = input.tagName === 'SELECT' ? input.options.length : Number(input.max) + 1;
            const v = String((Number(input.value) + 1) % n);
            const t0 = performance.now();
            input.value = v;
            input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input'));
            st.root.querySelector('.gsb-picture').getBoundingClientRect();  // force layout
            out.push(performance.now() - t0);
          }
          const steps = [];
          for (let i = 0; i < 40; i++) {
            const t0 = performance.now();
            st.go(i % (st.n() + 1), true);
            st.root.querySelector('.gsb-picture').getBoundingClientRect();
            steps.push(performance.now() - t0);
          }
          return {change: out, step: steps};
        }""")
        # On a fresh page: each what-if run loaded for the first time (registers undelta'd, panels drawn).
        page.goto((site / "notebooks" / "03-systemstack.html").as_uri())
        page.wait_for_selector("html[data-gsb-ready]", timeout=30000)
        samples["cold"] = page.evaluate("""() => {
          const st = GoschedStepper.all.filter(s => s.keys0 === 'systemstack:normal')[0];
          const spec = st.data.controls[st.keys0], seen = {[st.key]: 1}, cold = [];
          spec.controls.forEach(c => c.values.forEach(v => {
            if (seen[v[2]]) return;
            seen[v[2]] = 1;
            const t0 = performance.now();
            st.load(v[2], 3, true);
            st.root.querySelector('.gsb-picture').getBoundingClientRect();
            cold.push(performance.now() - t0);
          }));
          return cold;
        }""")
        b.close()
    med = lambda xs: statistics.median(xs)  # noqa: E731
    print(f"static control change → redraw (Chromium, {len(samples['change'])} changes): "
          f"median {med(samples['change']):.1f} ms, max {max(samples['change']):.1f} ms")
    print(f"  for comparison, a step → redraw: median {med(samples['step']):.1f} ms; "
          f"first load of each of {len(samples['cold'])} what-if runs → redraw: median {med(samples['cold']):.1f} ms")


if __name__ == "__main__":
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "html"
    added_data(site)
    redraw_ms(site)
