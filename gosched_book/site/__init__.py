"""The static site: the jupyter-book build, its page transforms, Chinese search.

`python -m gosched_book.site build` builds it. `build` and `size` load the builder on first use,
so that Sphinx can import the extensions here (`site.search`, `site.jb`) without it."""


def __getattr__(name: str):
    if name in ("build", "size", "main"):
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
