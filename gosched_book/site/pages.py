"""Post-build transforms of the site's pages: plain functions of HTML text (used by site.prune)."""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

# The theme's English strings that the zh_CN catalogues miss, as the reader should see them.
LABELS = {
    'aria-label="Color mode"': 'aria-label="配色模式"',
    'data-bs-title="Color mode"': 'data-bs-title="配色模式"',
    'title="System Settings"': 'title="跟随系统"',
    'title="Toggle primary sidebar"': 'title="显示或隐藏目录"',
    'aria-label="Toggle primary sidebar"': 'aria-label="显示或隐藏目录"',
    'title="Toggle secondary sidebar"': 'title="显示或隐藏本页目录"',
    'aria-label="Toggle secondary sidebar"': 'aria-label="显示或隐藏本页目录"',
    'title="Link to this heading"': 'title="本节链接"',
    'aria-label="Link to this heading"': 'aria-label="本节链接"',
    'aria-label="Main"': 'aria-label="正文"',
    'aria-label="Page"': 'aria-label="本页"',
    'aria-label="Site navigation"': 'aria-label="全书导航"',
    'aria-label="Breadcrumb"': 'aria-label="位置"',
    'aria-label="Section Navigation"': 'aria-label="本章导航"',
    'aria-label="Skip to main content"': 'aria-label="跳到正文"',
    ">Skip to main content<": ">跳到正文<",
    'title="Copy"': 'title="复制"',
    'aria-label="Version warning"': 'aria-label="版本警告"',
    "Back to top": "回到顶部",
    # axe: docutils' footnote list is an <aside> (a complementary landmark) inside <main>; it is a note.
    '<aside class="footnote-list brackets">': '<aside class="footnote-list brackets" role="note" aria-label="脚注">',
    # axe 4.14: a button's name must contain its visible text ("搜索 Ctrl+K"): let the text name it.
    'search-button__button pst-js-only" title="搜索" aria-label="搜索"': 'search-button__button pst-js-only" title="搜索"',
    # axe 4.14: the sidebar's title sat outside every landmark; the sidebar is one.
    '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">':
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" role="complementary" aria-label="全书目录">',
}

ICON = re.compile(r'<(i|span) class="([^"]*?\bfa-solid\b[^"]*)"([^>]*)></\1>')
DEFERRABLE = re.compile(r'<script (?![^>]*\b(?:defer|async|type=)[^>]*>)([^>]*\bsrc="[^"]+"[^>]*)></script>')
FONTAWESOME = re.compile(r'<script defer src="[^"]*fontawesome\.js[^"]*"></script>\s*')
ICON_CSS = ("<style>.svg-inline--fa{display:inline-block;height:1em;overflow:visible;vertical-align:-.125em}"
            ".svg-inline--fa.fa-lg{height:1.25em;vertical-align:-.2em}</style>")


def solid_icons(fontawesome_js: str, names: set[str]) -> dict[str, tuple[int, int, str]]:
    """name -> (width, height, path) from Font Awesome's solid pack inside fontawesome.js."""
    end = fontawesome_js.index('d("fas",')
    start = fontawesome_js.rindex('d("far",', 0, end)
    pack = fontawesome_js[start:end]
    out = {}
    for name in names:
        m = re.search(r'(?:"%s"|[,{]%s):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]'
                      % (re.escape(name), re.escape(name)), pack)
        if m:
            out[name] = (int(m[1]), int(m[2]), m[3])
    return out


def icon_names(html: str) -> set[str]:
    return {n for _, cls, _ in ICON.findall(html) for n in re.findall(r"\bfa-([a-z0-9-]+)", cls)
            if n not in ("solid", "lg")}


def inline_icons(html: str, icons: dict[str, tuple[int, int, str]]) -> str:
    """Each <i (or span) class="fa-solid fa-NAME"> becomes the inline SVG Font Awesome's script
    would make, without the classes that give it a ::before glyph: one such glyph on a page makes
    the browser fetch the whole icon font (fa-solid-900.woff2, 156 KB, half a chapter's first load)."""
    def svg(m: re.Match) -> str:
        cls, rest = m[2], m[3]
        names = [n for n in re.findall(r"\bfa-([a-z0-9-]+)", cls) if n in icons]
        if not names:
            return m[0]
        w, h, path = icons[names[0]]
        cls = " ".join(c for c in cls.split() if c == "fa-lg" or not c.startswith("fa-"))
        return (f'<svg class="svg-inline--fa {cls}"{rest} aria-hidden="true" focusable="false" role="img" '
                f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path fill="currentColor" d="{path}"/></svg>')
    out = ICON.sub(svg, html)
    if out != html and ICON_CSS not in out:
        out = out.replace("</head>", ICON_CSS + "</head>", 1)
    return FONTAWESOME.sub("", out)


GLYPH_RULES = re.compile(r'(?:\.fa-[a-z0-9-]+:(?:before|after),?)+\{content:"(?:\\[0-9a-f]+ ?)+"\}')


def drop_glyph_rules(css: str) -> str:
    """The theme's stylesheet carries Font Awesome's ~1,800 `.fa-NAME:before{content:…}` rules
    (20 KB of its 65 KB compressed, render-blocking); the book's icons are inline SVG (inline_icons)."""
    return GLYPH_RULES.sub("", css)


def chinese_labels(html: str) -> str:
    for en, zh in LABELS.items():
        html = html.replace(en, zh)
    return html


def defer_scripts(html: str) -> str:
    """Theme scripts wait for the parser (in order), so the stepper's picture is not queued behind them."""
    keep = ("stepper.js", "documentation_options.js")  # the page's inline scripts use the latter at once
    return DEFERRABLE.sub(lambda m: m[0] if any(k in m[1] for k in keep) else f"<script defer {m[1]}></script>",
                          html)


INLINE_SEARCH = re.compile(r'<script[^>]*\bsrc="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)[^"]*"'
                           r'[^>]*></script>\s*')


def drop_inline_search(html: str) -> str:
    """The theme loads Sphinx's search tools and the whole index on every page for search-as-you-type,
    which this book leaves off (its search box opens search.html, which loads its own): ~45 KB
    compressed of a chapter's first load. The search page keeps them."""
    return INLINE_SEARCH.sub("", html)


def favicon(html: str, href: str) -> str:
    """A <link rel=icon> to the book's own icon (browsers otherwise ask for /favicon.ico)."""
    if "rel=\"icon\"" in html or "rel='icon'" in html or "</head>" not in html:
        return html
    return html.replace("</head>", f'<link rel="icon" type="image/svg+xml" href="{escape(href)}"></head>', 1)


def index_page(out: Path, first: str, title: str) -> None:
    """A real index.html: language, title, and a link for readers whose browser ignores the redirect."""
    t = escape(title)
    (out / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{t}</title><link rel="icon" type="image/svg+xml" href="_static/favicon.svg">'
        f'<meta http-equiv="Refresh" content="0; url={escape(first)}"></head>'
        f'<body><main><h1>{t}</h1><p><a href="{escape(first)}">从导读开始阅读</a></p></main></body></html>\n',
        encoding="utf-8")


SNIPPET_REMOVALS = '[".headerlink", "script", "style"]'


# A Chinese query is one "word" to Sphinx's splitter: cut it into the index's own terms
# (longest match first), so 栈切换 searches 栈 + 切换 when the text says 切换栈.
CJK_QUERY = """
/* gosched-book: Chinese queries split into indexed terms (site/pages.py) */
splitQuery = (function (base) {
  return function (query) {
    var idx = (typeof Search !== "undefined" && Search._index) || {};
    var known = function (w) {
      return (idx.terms && Object.prototype.hasOwnProperty.call(idx.terms, w)) ||
             (idx.titleterms && Object.prototype.hasOwnProperty.call(idx.titleterms, w));
    };
    var out = [];
    base(query).forEach(function (chunk) {
      if (!/[\u3400-\u9fff]/.test(chunk) || known(chunk)) { out.push(chunk); return; }
      var i = 0;
      while (i < chunk.length) {
        var j = Math.min(chunk.length, i + 12);
        while (j > i + 1 && !known(chunk.slice(i, j))) j--;
        var piece = chunk.slice(i, j);
        if (known(piece)) out.push(piece);
        i = j;
      }
    });
    return out.length ? out : base(query);
  };
})(splitQuery);

/* gosched-book: a query word the index holds as it is ("tls", "gobuf_sp") is searched as it is;
   Sphinx's English stemmer would make "tls" "tl", which the Chinese index never stemmed to. */
(function () {
  var query = Search.query;
  Search.query = function () {
    if (typeof Stemmer !== "undefined" && !Stemmer.gsbKeepsIndexed) {
      var Base = Stemmer;
      Stemmer = function () {
        var base = new Base();
        this.stemWord = function (w) {
          var idx = Search._index || {};
          var has = function (m) { return !!m && Object.prototype.hasOwnProperty.call(m, w); };
          return has(idx.terms) || has(idx.titleterms) ? w : base.stemWord(w);
        };
      };
      Stemmer.gsbKeepsIndexed = true;
    }
    return query.apply(this, arguments);
  };
})();
"""


def prose_snippets(searchtools_js: str) -> str:
    """Search result snippets from prose (tables, code, outputs and steppers dropped first);
    Chinese queries cut into the index's terms. Idempotent."""
    js = searchtools_js.replace(
        SNIPPET_REMOVALS,
        '[".headerlink", "script", "style", "table", "pre", ".cell_input", ".cell_output", ".gsb"]')
    return js if "gosched-book: Chinese queries" in js else js + CJK_QUERY
