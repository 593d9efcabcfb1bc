"""Sphinx extension: Chinese search that knows the book's terms (a jieba user dictionary).

The words come from the book itself: every glossary term (`- **术语**：` items), the picture's
role names and a few core words. jieba learns them, and every text that contains a term as a
substring is indexed under it too, so 栈 finds a page whose title says 两条栈之间 (Sphinx's zh
splitter alone drops every one-character word and never splits a longer one).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from sphinx.search import languages
from sphinx.search.zh import SearchChinese

ROOT = Path(__file__).resolve().parents[2]
CORE = ("栈", "调度器", "栈切换", "溢出槽", "返回地址", "保存的 BP", "系统栈", "goroutine 栈", "信号栈", "栈帧",
        "栈顶", "栈底", "扩栈", "协程", "寄存器", "汇编", "单步器", "布局图")
GLOSSARY_ITEM = re.compile(r"^\s*[-*]\s+\*\*([^*]+)\*\*")


def book_terms(root: Path = ROOT) -> list[str]:
    """Glossary terms and title words of every notebook, plus the core terms, in a stable order."""
    from ..views.picture import ROLE_ZH

    terms: dict[str, None] = dict.fromkeys(CORE)
    terms.update(dict.fromkeys(v for v in ROLE_ZH.values() if "：" not in v))
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for line in text.splitlines():
                m = GLOSSARY_ITEM.match(line)
                if m:
                    for t in re.split(r"[、/，,（）()]", m[1].replace("`", "")):
                        if t.strip():
                            terms[t.strip()] = None
    return [t for t in terms if 0 < len(t) <= 20]


class BookChinese(SearchChinese):
    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        import jieba

        self.terms = [t for t in book_terms() if re.search(r"[\u3400-\u9fff]", t)]
        for term in self.terms:
            if " " not in term:
                jieba.add_word(term, freq=20000)
        self.single = {t for t in self.terms if len(t) == 1}

    def split(self, input: str) -> list[str]:
        return super().split(input) + [t for t in self.terms if t in input and " " not in t]

    def word_filter(self, stemmed_word: str) -> bool:
        return len(stemmed_word) > 1 or stemmed_word in self.single


def setup(app):
    languages["zh"] = BookChinese
    languages["zh_CN"] = BookChinese
    return {"parallel_read_safe": True, "parallel_write_safe": True}
