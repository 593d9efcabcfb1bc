"""Chapter pages: compressed transfer per page, and the first stack picture under a slow network.

`python benchmarks/pages_bench.py` (builds the site if _build/html is missing). Each page is served
gzip-compressed over local HTTP; Chromium (CDP) throttles to 1.6 Mbps down, 750 kbps up, 150 ms
latency and 4x CPU, and we time navigation start -> the first animation frame after the first
.gsb-picture svg is in the DOM (the frame that paints it), recorded in the page itself. Playwright's
own wait_for_selector notices the picture later (its injected script and the round trips run on
the same throttled main thread), so that time is printed too, as "seen by the driver".
Transfer: the compressed bodies of the page and everything it loaded (Resource Timing), before
the reader opens anything. 改一改: from opening a stepper's 改一改
to the run of its first control's first value not on the page being drawn (its script fetched), still throttled. Budgets (issue 22): first load <= 300 KB,
first picture <= 2 s, 改一改 usable <= 3 s after it is opened.
"""
from __future__ import annotations

import functools
import gzip
import http.server
import re
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = re.compile(rb"<script type='application/octet-stream' id='gsb-page-data'>[^<]*</script>"
                  rb"|<script type='application/json' class='gsb-first-data'>[^<]*</script>")
# In the page, before any of its scripts: when the first stack picture is inserted, and the frame after.
FIRST_PICTURE = """
new MutationObserver(function (_, obs) {
  if (!document.querySelector('.gsb-picture svg')) return;
  obs.disconnect();
  window.__gsbInserted = performance.now();
  requestAnimationFrame(function () { window.__gsbFrame = performance.now(); });
}).observe(document, {subtree: true, childList: true});
"""
BUDGET_KB, BUDGET_PICTURE_S, BUDGET_WHATIF_S = 300, 2.0, 3.0
# Open the first 改一改 whose stepper has runs to fetch and move its first control to a value whose
# run is not on the page yet: ms from opening until that run is in and drawn (its script fetched).
WHATIF = """async () => {
  const st = GoschedStepper.all.find(s => s.runsUrl && s.root.querySelector('.gsb-whatif'));
  if (!st) return null;
  const d = st.root.querySelector('.gsb-whatif'), t0 = performance.now();
  d.open = true;
  const input = d.querySelector('[data-ctl]');
  const c = st.data.controls[st.keys0].controls.find(c => c.name === input.getAttribute('data-ctl'));
  const j = c.values.findIndex(v => !st.data.scenarios[v[2]]);
  if (j < 0) return -1;
  const key = c.values[j][2];
  input.value = String(j);
  input.dispatchEvent(new Event(c.kind === 'slider' ? 'input' : 'change'));
  await st.runs(key);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return st.key === key ? performance.now() - t0 : -1;
}"""
SIZES = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .reduce((n, e) => n + (e.encodedBodySize || 0), 0)"""


class Gzip(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io
        return io.BytesIO(body)


def bench_pages(runs: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    site = ROOT / "_build" / "html"
    if not site.exists():
        from gosched_book.site import build
        site = build()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Gzip, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = sorted((site / "notebooks").glob("*.html"))
    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for page_path in pages:
            html = page_path.read_bytes()
            data = b"".join(DATA.findall(html))
            sizes, times, seen, whatif = [], [], [], []
            for _ in range(runs):
                ctx = b.new_context(viewport={"width": 390, "height": 844})
                page = ctx.new_page()
                page.add_init_script(FIRST_PICTURE)
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
                         "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8})
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                page.goto(f"{base}/notebooks/{page_path.name}", wait_until="commit")
                has = b"data-gsb='1'" in html
                if has:
                    page.wait_for_selector(".gsb-picture svg.gsb-focus", timeout=60000)  # a phone draws one stack
                    seen.append(page.evaluate("performance.now()"))
                    page.wait_for_function("window.__gsbFrame !== undefined", timeout=60000)
                    times.append(page.evaluate("window.__gsbFrame"))
                page.wait_for_load_state("load")
                page.wait_for_timeout(300)
                sizes.append(page.evaluate(SIZES))
                if has:
                    page.wait_for_selector("html[data-gsb-ready]", timeout=60000)
                    w = page.evaluate(WHATIF)
                    if w is not None:
                        whatif.append(w)
                ctx.close()
            total = statistics.median(sizes)
            data_gz = len(gzip.compress(data, 6))
            out[page_path.name] = (total, data_gz, statistics.median(times) if times else None,
                                   statistics.median(whatif) if whatif else None)
            t = (f"{out[page_path.name][2] / 1000:.2f} s (runs {', '.join(f'{x / 1000:.2f}' for x in times)}; "
                 f"seen by the driver {statistics.median(seen) / 1000:.2f} s)") if times else "—"
            w = out[page_path.name][3]
            over = [what for what, bad in (("weight", total / 1024 > BUDGET_KB),
                                           ("picture", times and out[page_path.name][2] / 1000 > BUDGET_PICTURE_S),
                                           ("改一改", w is not None and (w < 0 or w / 1000 > BUDGET_WHATIF_S))) if bad]
            print(f"{page_path.name:28s} transfer {total / 1024:6.0f} KB gz (trace data {data_gz / 1024:4.0f} KB, "
                  f"rest {(total - data_gz) / 1024:4.0f} KB); first picture (throttled) {t}; "
                  f"改一改 usable {'—' if w is None else f'{w / 1000:.2f} s'}; "
                  f"{'over budget: ' + ', '.join(over) if over else 'within budget'}")
        b.close()
    server.shutdown()
    return out


if __name__ == "__main__":
    bench_pages(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
