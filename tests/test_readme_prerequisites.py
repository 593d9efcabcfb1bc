"""Issue 21, item 10: the README names every prerequisite of `make lab` and `make test`, read from
the Makefile's commands and the scripts they run, and each script that stops says what to install."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text()


def _rules() -> dict[str, tuple[list[str], list[str]]]:
    """target -> (prerequisites, recipe lines)."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current = None
    for line in MAKEFILE.splitlines():
        m = re.match(r"^([\w$().-]+):(?!=)\s*(.*)$", line)
        if m and not line.startswith("\t"):
            current = m[1]
            rules[current] = (m[2].split(), [])
        elif line.startswith("\t") and current:
            rules[current][1].append(line.strip())
    return rules


def _recipes(target: str) -> list[str]:
    rules, out, todo, seen = _rules(), [], [target], set()
    while todo:
        t = todo.pop()
        if t in seen or t not in rules:
            continue
        seen.add(t)
        deps, lines = rules[t]
        todo += deps
        out += lines
    return out


def _scripts(lines: list[str]) -> list[Path]:
    found = [ROOT / m for line in lines for m in re.findall(r"sh (scripts/[\w.-]+\.sh)", line)]
    for s in list(found):  # scripts that run other scripts
        found += [ROOT / "scripts" / m for m in re.findall(r'/([\w.-]+\.sh)"', s.read_text())]
    return found


def needs(target: str) -> set[str]:
    """The Debian packages and commands `make <target>` needs, from its recipes and scripts."""
    lines = _recipes(target)
    out = set()
    for script in _scripts(lines):
        text = script.read_text()
        for m in re.finditer(r'apt-install\.sh" "[^"]*" (.+)$', text, re.M):
            out |= set(m[1].split())
    if any("pip install" in line for line in lines):
        out.add("PyPI")
    if any("-m venv" in line for line in lines):
        out.add("venv")
    return out


@pytest.mark.parametrize("target, expect", [
    ("lab", {"fonts-wqy-microhei", "fontconfig", "PyPI", "venv"}),
    ("test", {"chromium", "fonts-wqy-microhei", "fontconfig", "golang-1.19-src", "npm", "PyPI", "venv"}),
])
def test_the_readme_names_every_prerequisite_of_both_commands(target, expect):
    found = needs(target)
    assert expect <= found  # the reading of the Makefile found them (it could miss a new one)
    table = README[README.index("## Two commands"):README.index("Open the book")]
    row = {"lab": 1, "test": 2}[target]
    for need in found:
        rows = [r for r in table.splitlines() if r.startswith("|") and need in r]
        assert rows, f"the README's prerequisites table does not name {need} ({target})"
        assert any(r.split("|")[row + 1].strip() == "yes" for r in rows), (need, target)
    assert "Python 3.10+" in table and "make" in table
    assert 'requires-python = ">=3.10"' in (ROOT / "pyproject.toml").read_text()


def test_the_npm_registry_unreachable_is_one_sentence(tmp_path):
    fake_npm = tmp_path / "npm"
    fake_npm.write_text("#!/bin/sh\nexit 1\n")  # npm is there, the registry is not
    fake_npm.chmod(0o755)
    script = tmp_path / "scripts"
    script.mkdir()
    (script / "fetch-axe.sh").write_text((ROOT / "scripts" / "fetch-axe.sh").read_text())
    out = subprocess.run(["/bin/sh", str(script / "fetch-axe.sh")],
                         env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "npm registry" in lines[0] and ".cache/axe-core" in lines[0]
    assert not (tmp_path / ".cache" / "axe-core" / "axe.min.js").exists()


def test_without_npm_it_is_installed_like_the_other_packages():
    text = (ROOT / "scripts" / "fetch-axe.sh").read_text()
    assert re.search(r'apt-install\.sh" "[^"]*" npm$', text, re.M)
