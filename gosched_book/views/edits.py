"""An edited listing text -> the line patches that turn the shipped listing into it."""
from __future__ import annotations

from ..errors import ScenarioError, chinese
from ..scenario.patch import MAX_TEXT, Patch, apply, diff_patches, lines_of
from ..scenario.family import source


def patches_for(file: str, text: str) -> tuple[Patch, ...]:
    """The patches of `file` whose result is `text`, line for line.

    ScenarioError (in Chinese, naming the editor's line) when the edit cannot be said as line patches."""
    if not isinstance(text, str):
        raise ScenarioError(f"改动没有运行：编辑器里的内容应是文本，收到的是 {type(text).__name__}")
    for n, line in enumerate(lines_of(text), 1):
        if len(line) > MAX_TEXT:
            raise ScenarioError(f"改动没有运行：{file} 第 {n} 行有 {len(line)} 个字符，"
                                f"一行最多 {MAX_TEXT} 个；请把它拆成几行")
        if "\r" in line:
            raise ScenarioError(f"改动没有运行：{file} 第 {n} 行里有单独的回车符（\\r）；"
                                "行只能以换行结束")
    try:
        return diff_patches(file, text)
    except ScenarioError as e:
        raise ScenarioError(f"改动没有运行，这处修改无法写成逐行补丁：{chinese(e)}") from None


def edited_text(file: str, patches: tuple[Patch, ...]) -> str:
    """The text an editor shows for `file` under `patches`."""
    return apply(source(file), file, tuple(p for p in patches if p.file == file))[0]
