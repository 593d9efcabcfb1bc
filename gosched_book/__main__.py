"""CLI: `python -m gosched_book list` and `python -m gosched_book trace ROUTINE ...`."""
from __future__ import annotations

import argparse
import sys

from .errors import GoschedError
from .presets import PRESETS, ROUTINE_TITLES


def _value(text: str):
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(text, 0)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gosched_book",
                                 description="Go 1.18 stack-switch routines on Unicorn")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="routines and presets")
    tr = sub.add_parser("trace", help="run a scenario and print its trace")
    tr.add_argument("routine", choices=list(PRESETS))
    tr.add_argument("--scenario", default=None, help="preset name (default: the first)")
    tr.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a scenario field, e.g. --set entry_sp=0xc000041f00")
    tr.add_argument("--json", action="store_true", help="print gosched-book/trace@1 JSON")
    args = ap.parse_args(argv)

    if args.cmd == "list":
        for routine, presets in PRESETS.items():
            print(f"{routine}: {ROUTINE_TITLES[routine]}")
            for name, p in presets.items():
                print(f"    {name:<12} {p.expect:<7} {p.title}")
        return 0

    from .api import run
    from .views.table import render

    overrides = {}
    for item in args.set:
        if "=" not in item:
            print(f"error: --set needs FIELD=VALUE, got {item!r}", file=sys.stderr)
            return 2
        k, v = item.split("=", 1)
        overrides[k.strip()] = _value(v.strip())
    try:
        trace = run(args.routine, args.scenario, **overrides)
    except GoschedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(trace.to_json(indent=1) if args.json else render(trace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
