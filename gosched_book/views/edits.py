"""An edited listing text -> the line patches that turn the shipped listing into it."""
from __future__ import annotations

from ..errors import ScenarioError
from ..scenario.patch import Patch, apply, diff_patches
from ..scenario.family import source


def patches_for(file: str, text: str) -> tuple[Patch, ...]:
    """The patches of `file` whose result is `text` (a deleted line stays as an empty line).

    ScenarioError (in Chinese) when the edit cannot be said as line patches."""
    try:
        return diff_patches(file, text)
    except ScenarioError as e:
        raise ScenarioError(f"这处修改无法写成逐行补丁：{e}") from None


def edited_text(file: str, patches: tuple[Patch, ...]) -> str:
    """The text an editor shows for `file` under `patches`."""
    return apply(source(file), file, tuple(p for p in patches if p.file == file))[0]
