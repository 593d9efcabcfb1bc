"""CLI: `python -m gosched_book list` and `python -m gosched_book trace ROUTINE ...`."""
from __future__ import annotations

import argparse
import os
import sys

from .errors import GoschedError, ScenarioError
from .scenario.family import MAX_STEPS, PRESETS, ROUTINE_TITLES
from .scenario.scenario import fields_help
from .scenario.values import parse_value

SET_HELP = (
    "set a scenario field, a register at entry or a memory word (repeatable), e.g. "
    "--set r14=g0 --set rax=0x0 --set g.sched.pc=0 --set entry_sp=0xc000041f00. "
)
PATCH_HELP = (
    "change one line of a routine's listing for this run (repeatable): FILE:LINE=TEXT replaces "
    "the line (empty TEXT deletes it), FILE:LINE+=TEXT inserts TEXT after LINE (0: at the top; empty TEXT: an empty "
    "line), FILE:LINE-= removes LINE; e.g. --patch systemstack.s:29="
)
LIMITS = (f"Limits: at most {MAX_STEPS} steps (--set max_steps=N, default 256); values are "
          "64-bit. --json streams one step per line, so memory stays proportional to the trace "
          "(about 1 KB of JSON per step).")


def _parse_sets(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ScenarioError(f"--set needs FIELD=VALUE, got {item!r}; {fields_help()}")
        out[name] = parse_value(name, text)
    return out


def _patches(items: list[str]) -> list[str]:
    out = []
    for item in items:
        head, eq, text = item.partition("=")
        out.append(f"{os.path.basename(head.strip())}={text}" if eq else item)
    return out


def _quiet_stdout() -> None:
    """Output may go to a closed pipe (`list | head -2`): stop writing, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # e.g. PYTHONIOENCODING=ascii: escape, don't crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return _main(argv)
    except BrokenPipeError:
        _quiet_stdout()
        return 0


def _main(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gosched_book",
                                 description="Go 1.18 stack-switch routines on Unicorn",
                                 epilog=LIMITS)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="routines, presets and the fields --set takes")
    tr = sub.add_parser("trace", help="run a scenario and print its trace", epilog=LIMITS)
    tr.add_argument("routine", choices=list(PRESETS))
    tr.add_argument("--scenario", default=None, help="preset name (default: the first)")
    tr.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help=SET_HELP + fields_help())
    tr.add_argument("--patch", action="append", default=[], metavar="FILE:LINE=TEXT",
                    help=PATCH_HELP)
    tr.add_argument("--json", action="store_true",
                    help="print gosched-book/trace@1 JSON (records the overrides and patches)")
    args = ap.parse_args(argv)

    if args.cmd == "list":
        for routine, presets in PRESETS.items():
            print(f"{routine}: {ROUTINE_TITLES[routine]}")
            for name, p in presets.items():
                print(f"    {name:<12} {p.expect:<7} {p.title}")
        print(f"\n--set FIELD=VALUE takes {fields_help()}")
        print("--patch FILE:LINE=TEXT (empty TEXT deletes), FILE:LINE+=TEXT (insert after LINE) or "
              "FILE:LINE-= (remove LINE); "
              "the chapters use:")
        from .whatif.controls import chapter_patches

        for routine, patch, label in chapter_patches():
            cmd = f"trace {routine} --patch {patch.spec}"
            print(f"    {cmd:<48} {label}")
        return 0

    from .api import run
    from .machine.trace import write_json
    from .views.table import render

    try:
        overrides = _parse_sets(args.set)
        if args.patch:
            overrides["patch"] = _patches(args.patch)
        trace = run(args.routine, args.scenario, **overrides)
    except GoschedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        enc = (getattr(sys.stdout, "encoding", None) or "ascii").lower().replace("-", "")
        write_json(trace, sys.stdout, ensure_ascii=enc not in ("utf8", "utf16", "utf32", "gb18030"))
    else:
        print(render(trace))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
