"""An edited listing text -> the line patches that turn the shipped listing into it."""
from __future__ import annotations

import difflib

from ..errors import ScenarioError
from ..patch import Patch, apply, as_patches
from ..routines import source


def patches_for(file: str, text: str) -> tuple[Patch, ...]:
    """The patches of `file` whose result is `text` (a deleted line stays as an empty line).

    ScenarioError (in Chinese) when the edit cannot be said as line patches."""
    old, new = source(file).splitlines(), text.replace("\r\n", "\n").split("\n")
    if new and new[-1] == "":
        new.pop()
    out: list[Patch] = []
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        n = min(i2 - i1, j2 - j1)
        out += [Patch(file, i1 + k + 1, new[j1 + k]) for k in range(n)]
        out += [Patch(file, i1 + k + 1, "") for k in range(n, i2 - i1)]
        out += [Patch(file, i1 + n, new[j1 + k], insert=True) for k in range(n, j2 - j1)]
    out = [p for p in out if p.insert or p.text != old[p.line - 1]]
    try:
        patches = as_patches(out)
    except ScenarioError as e:
        raise ScenarioError(f"这处修改无法写成逐行补丁：{e}") from None
    got = apply(source(file), file, patches)[0].splitlines()
    want = [line for line in new]
    if [g.strip() for g in got if g.strip()] != [w.strip() for w in want if w.strip()]:
        raise ScenarioError("这处修改无法写成逐行补丁：在同一行后插入的几行会按文字排序；"
                            "请一次只在一处插入一行，或改用替换")
    return patches


def edited_text(file: str, patches: tuple[Patch, ...]) -> str:
    """The text an editor shows for `file` under `patches`."""
    return apply(source(file), file, tuple(p for p in patches if p.file == file))[0]
