"""The package's tree is its data flow: one folder per stage, imports only from earlier stages."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "gosched_book"
STAGES = ("runtime", "asm", "scenario", "machine", "families", "whatif", "views", "chapters", "site")
TOP = ("__init__", "__main__", "api", "errors")
# Where the top-level modules sit in the flow: errors under everything, api beside whatif
# (it re-exports whatif.run), the package and its CLI above everything.
RANK = {**{s: i for i, s in enumerate(STAGES)}, "errors": -1, "api": STAGES.index("whatif"),
        "__init__": len(STAGES), "__main__": len(STAGES)}


def _module(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _imports(path: Path) -> set[str]:
    """Every gosched_book module `path` imports, at module level or inside functions."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("gosched_book")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("gosched_book"):
                continue
            for a in node.names:  # `from .. import api` names a module
                sub = f"{target}.{a.name}"
                out.add(sub if _exists(sub) else target)
    return out


def _exists(module: str) -> bool:
    p = PKG.parent.joinpath(*module.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in PKG.rglob("*.py")}


def test_every_module_lives_in_a_stage_folder():
    loose = [p.name for p in PKG.glob("*.py") if p.stem not in TOP]
    assert loose == []
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(STAGES)


def test_no_import_goes_up_the_flow():
    upward = []
    for mod, targets in _graph().items():
        for t in targets:
            if RANK[_stage(t)] > RANK[_stage(mod)]:
                upward.append(f"{mod} -> {t}")
    assert upward == []


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if t == "gosched_book" or t not in graph:
                continue
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return cycles


def test_the_checks_catch_what_they_are_for(tmp_path):
    # The walker itself: an upward edge and a cycle in a throwaway tree are found.
    global PKG
    saved = PKG
    try:
        PKG = tmp_path / "gosched_book"
        (PKG / "machine").mkdir(parents=True)
        (PKG / "views").mkdir()
        for f in ("__init__.py", "machine/__init__.py", "views/__init__.py"):
            (PKG / f).write_text("")
        (PKG / "machine" / "a.py").write_text("from ..views import b\n")
        (PKG / "views" / "b.py").write_text("def f():\n    from ..machine import a\n")
        g = _graph()
        assert g["gosched_book.machine.a"] == {"gosched_book.views.b"}
        assert g["gosched_book.views.b"] == {"gosched_book.machine.a"}
        upward = [(m, t) for m, ts in g.items() for t in ts if RANK[_stage(t)] > RANK[_stage(m)]]
        assert upward == [("gosched_book.machine.a", "gosched_book.views.b")]
        assert _cycles(g) == [["gosched_book.machine.a", "gosched_book.views.b", "gosched_book.machine.a"]]
    finally:
        PKG = saved


def test_the_readme_layout_names_every_stage_in_order():
    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("\n## ", readme.index("## Layout") + 3)]
    found = [s for s in STAGES if f"`gosched_book/{s}/`" in layout]
    assert found == list(STAGES)
    assert [layout.index(f"`gosched_book/{s}/`") for s in STAGES] == sorted(
        layout.index(f"`gosched_book/{s}/`") for s in STAGES)
