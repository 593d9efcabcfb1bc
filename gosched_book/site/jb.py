"""jupyter-book's CLI with Sphinx reading chapters in parallel: `python -m gosched_book.site.jb build ...`.

Reading a chapter executes its notebook (myst-nb, execute_notebooks: force), so the chapters'
kernels run side by side. jupyter-book 1.x takes no -j, so its build_sphinx gets `jobs` here.
"""
from __future__ import annotations

import functools
import os
import sys

JOBS_ENV = "GOSCHED_BOOK_JOBS"


def jobs() -> int:
    """Parallel Sphinx processes: $GOSCHED_BOOK_JOBS, else one per chapter (Sphinx reads one
    document per process only when jobs >= documents; the OS shares the cores)."""
    env = os.environ.get(JOBS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise SystemExit(f"{JOBS_ENV}={env!r}: expected a whole number ≥ 1")
        return int(env)
    return 9


def main(argv: list[str] | None = None) -> None:
    import jupyter_book.sphinx as jbs
    from jupyter_book.cli.main import main as cli

    from .kernels import use_ipc

    use_ipc()  # nine kernels start at once: no TCP port races between them
    jbs.build_sphinx = functools.partial(jbs.build_sphinx, jobs=jobs())
    cli(argv if argv is not None else sys.argv[1:])


def setup(app):
    """Sphinx extension: sphinx_external_toc always loads sphinx_multitoc_numbering, which does not
    declare itself parallel-safe, so Sphinx would read serially. It only renumbers sections in
    the main process after reading, and this book has no numbered toctree: mark it safe."""
    ext = app.extensions.get("sphinx_multitoc_numbering")
    if ext is not None:
        ext.parallel_read_safe = True
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    main()
