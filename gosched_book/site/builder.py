"""Build the static site with Jupyter Book 1.x and check it: `python -m gosched_book.site build`."""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from . import pages as site_pages
from ..views.html import CSS as STEPPER_CSS
from ..views.static import RUNS_DIR, SITE_ENV, merge_page

ROOT = Path(__file__).resolve().parents[2]


STAMP = ".library-stamp"  # in _build: the library the pages there were executed with


def library_stamp(pkg: Path = Path(__file__).resolve().parents[1]) -> str:
    """A hash of the library's own files (code, listings, static assets): the chapters' outputs
    depend on them, but Sphinx only sees the notebooks' mtimes."""
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
            h.update(str(f.relative_to(pkg)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def build(clean: bool = False, root: Path = ROOT) -> Path:
    """Run jupyter-book on `root`; raise SystemExit if any notebook failed to execute.

    An incremental build whose pages were executed with another version of the library is made
    clean: a notebook that did not change would otherwise keep outputs the code no longer gives."""
    out = root / "_build" / "html"
    stamp, was = library_stamp(), root / "_build" / STAMP
    if not clean and (root / "_build").exists() and (not was.exists() or was.read_text() != stamp):
        print("本书的库代码和上次构建时不同：整本重建（没改的章节也要用新代码重新执行）")
        clean = True
    if clean and (root / "_build").exists():
        shutil.rmtree(root / "_build")
    cmd = [sys.executable, "-m", "gosched_book.site.jb", "build", str(root), "--config", str(root / "book.yml"),
           "--toc", str(root / "_toc.yml"), "--builder", "html"]
    t0 = time.perf_counter()
    env = {SITE_ENV: "1", **os.environ}  # steppers carry their what-if runs (GOSCHED_BOOK_SITE=0: not)
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    log = proc.stdout + proc.stderr
    (root / "_build").mkdir(exist_ok=True)
    (root / "_build" / "build.log").write_text(log, encoding="utf-8")
    reports = list((out / "reports").glob("**/*.log")) if (out / "reports").exists() else []
    failed = proc.returncode != 0 or reports or "Execution Failed" in log or "CellExecutionError" in log
    if failed:
        sys.stderr.write(log[-6000:])
        for r in reports:
            sys.stderr.write(f"\n--- {r}\n{r.read_text(encoding='utf-8')[-4000:]}")
        raise SystemExit(f"book build failed (see {root / '_build' / 'build.log'})")
    # Sphinx's incremental build may keep an older copy of our own static files.
    static = Path(__file__).parents[1] / "views" / "static"
    if (out / "_static").exists():
        for f in static.iterdir():
            if f.is_file():
                shutil.copyfile(f, out / "_static" / f.name)
    saved = prune(out)
    config = yaml.safe_load((root / "book.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    site_pages.index_page(out, f"{toc['root']}.html", config.get("title", ""))
    (root / "_build" / STAMP).write_text(stamp, encoding="utf-8")
    print(f"built {out} in {elapsed:.1f} s; pruned {saved / 1e6:.1f} MB; site is {size(out) / 1e6:.1f} MB")
    return out


WIDGET_STATE = re.compile(r'<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>', re.S)
SVG_DATA_IMG = re.compile(r"<img style='max-width:100%' (alt='[^']*') src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'>")
SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt" height="([\d.]+)pt"')


FIGURE_NOTE = "图比屏幕宽：左右滑动看整张；点图打开原图，可以放大。"


def external_images(html: str, page: Path, out: Path) -> str:
    """Inline SVG figures (gmp.py's data: URLs) become files loaded lazily, with their size given,
    so the HTML before a page's first stepper is not held up by pictures further down. Each is shown at
    its own size, in a box that scrolls sideways where the page is narrower (a phone would shrink a
    960 px figure's 11 px glyphs to 4 px), and links to its file, which the browser opens to zoom."""
    def one(m: re.Match) -> str:
        svg = base64.b64decode(m[2])
        name = f"gsb-{hashlib.sha256(svg).hexdigest()[:16]}.svg"
        (out / "_images").mkdir(exist_ok=True)
        (out / "_images" / name).write_bytes(svg)
        src = os.path.relpath(out / "_images" / name, page.parent).replace(os.sep, "/")
        size = SVG_SIZE.search(svg[:2000].decode("utf-8", "replace"))
        wh = f" width='{round(float(size[1]) * 4 / 3)}' height='{round(float(size[2]) * 4 / 3)}'" if size else ""
        return (f"<div class='gsb-figure'><a href='{src}' title='打开这张图的原文件（可放大）'>"
                f"<img {m[1]} src='{src}'{wh} loading='lazy' decoding='async'></a></div>"
                f"<p class='gsb-figure-note'>{FIGURE_NOTE}</p>")
    return SVG_DATA_IMG.sub(one, html)


def prune(out: Path) -> int:
    """Drop what no page uses (source maps, other languages' theme strings, saved widget state);
    give each stepper a small first blob and each page one shared data blob at its end; inline
    stepper.css copies and SVG figures out of the HTML."""
    saved = 0
    for f in list(out.glob("_static/**/*.map")):
        saved += f.stat().st_size
        f.unlink()
    locales = out / "_static" / "locales"
    if locales.exists():
        for d in locales.iterdir():
            if d.is_dir() and d.name not in ("zh_CN",):
                saved += size(d)
                shutil.rmtree(d)
    pages = list(out.glob("**/*.html"))
    fa = out / "_static" / "scripts" / "fontawesome.js"
    icons = {}
    if fa.exists():  # 1.5 MB of script for a dozen icons: inline those as SVG instead
        names = set().union(*(site_pages.icon_names(p.read_text(encoding="utf-8")) for p in pages))
        icons = site_pages.solid_icons(fa.read_text(encoding="utf-8"), names)
        if icons.keys() != names:
            raise SystemExit(f"Font Awesome icons not found in fontawesome.js: {sorted(names - icons.keys())}")
    # Pages are independent (merging a page's stepper data is the slow part): two at a time.
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        saved += sum(pool.map(slim_page, pages, [icons] * len(pages), [out] * len(pages)))
    tools = out / "_static" / "searchtools.js"
    if tools.exists():
        tools.write_text(site_pages.prose_snippets(tools.read_text(encoding="utf-8")), encoding="utf-8")
    theme_css = out / "_static" / "styles" / "pydata-sphinx-theme.css"
    if theme_css.exists():
        before = theme_css.read_text(encoding="utf-8")
        theme_css.write_text(site_pages.drop_glyph_rules(before), encoding="utf-8")
        saved += len(before) - theme_css.stat().st_size
    for f in out.glob("_static/scripts/fontawesome.js*"):
        saved += f.stat().st_size
        f.unlink()
    return saved


def slim_page(page: Path, icons: dict, out: Path) -> int:
    """Rewrite one built page for the static site; the bytes saved."""
    text = page.read_text(encoding="utf-8")
    # The live widgets' state is useless without a kernel; the static stepper replaces it.
    # Every page links stepper.css, so the copies inlined by notebook outputs go.
    runs = out / "_static" / RUNS_DIR
    stem = page.relative_to(out).with_suffix("").as_posix().replace("/", "-")

    def runs_url(i: int, c: int) -> str:
        return os.path.relpath(runs / f"{stem}-{i}-{c}.js", page.parent).replace(os.sep, "/")

    slim, scripts = merge_page(WIDGET_STATE.sub("", text).replace(STEPPER_CSS, ""), runs_url)
    for url, body in scripts.items():
        runs.mkdir(parents=True, exist_ok=True)
        (page.parent / url).resolve().write_text(body, encoding="utf-8")
    slim = site_pages.favicon(slim, os.path.relpath(out / "_static" / "favicon.svg", page.parent).replace(os.sep, "/"))
    slim = external_images(slim, page, out)
    slim = site_pages.defer_scripts(site_pages.chinese_labels(site_pages.inline_icons(slim, icons)))
    if page.name != "search.html":
        slim = site_pages.drop_inline_search(slim)
    if slim == text:
        return 0
    page.write_text(slim, encoding="utf-8")
    return len(text.encode()) - len(slim.encode())


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.glob("**/*") if f.is_file())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gosched_book.site")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the site into _build/html")
    b.add_argument("--clean", action="store_true", help="remove _build first")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        build(clean=args.clean)
    return 0


if __name__ == "__main__":
    sys.exit(main())
