"""Where the installed Go 1.19 sources are, for the citations, call sites and source tests.

Debian's golang-1.19-src installs them in /usr/share/go-1.19/src; golang-1.19-go links
/usr/lib/go-1.19/src to that. $GOSCHED_BOOK_GO_SRC names another tree (a GOROOT's src).
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "GOSCHED_BOOK_GO_SRC"
DEBIAN = (Path("/usr/lib/go-1.19/src"), Path("/usr/share/go-1.19/src"))


def go_src() -> Path:
    """The first tree holding runtime/asm_amd64.s (the last candidate when none does)."""
    candidates = [Path(os.environ[ENV])] if os.environ.get(ENV) else list(DEBIAN)
    return next((p for p in candidates if (p / "runtime" / "asm_amd64.s").is_file()), candidates[-1])


GO_SRC = go_src()
