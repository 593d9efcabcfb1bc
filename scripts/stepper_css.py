"""Regenerate the picture colours at the end of stepper.css from picture.css() (run after changing PALETTES)."""
from pathlib import Path

from gosched_book.views.picture import css

MARK = "/* The picture's colours (picture.css()): */\n"
path = Path(__file__).resolve().parents[1] / "gosched_book" / "views" / "static" / "stepper.css"
text = path.read_text(encoding="utf-8")
path.write_text(text[: text.index(MARK) + len(MARK)] + css() + "\n", encoding="utf-8")
