"""Record step-by-step references of the real Go runtime's stack switches under gdb.

Regenerate every reference (needs Debian's golang-1.19-go, gdb, gcc and objdump):

    python3 scripts/gdbref/record.py

or some of them: `python3 scripts/gdbref/record.py mcall.normal sigtramp.on_g0`.
It builds prog/ (CGO_ENABLED=0) and cgoprog/ (cgo) with /usr/lib/go-1.19/bin/go, runs
gdb once per routine/preset with gdbstep.py, which single-steps the routine in the running
program, and writes gosched_book/runtime/reference/<routine>.<preset>.json with a header
naming the Go version, kernel, CPU, gdb and the command that regenerates it.
Standard library only: gdb's own Python runs gdbstep.py.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "gosched_book" / "runtime" / "reference"
ATTEMPTS = 8  # a run that took another path (e.g. preempted by sysmon meanwhile) is tried again
GO = os.environ.get("GDBREF_GO", "/usr/lib/go-1.19/bin/go")
sys.path.insert(0, str(HERE))
from presets import PRESETS, find  # noqa: E402


def run(cmd: list[str], **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def build(tmp: Path) -> dict[str, Path]:
    env = dict(os.environ, GOFLAGS="-trimpath", GOTOOLCHAIN="local")
    env.setdefault("GOCACHE", str(tmp / "gocache"))
    bins = {}
    for prog, cgo in (("prog", "0"), ("cgoprog", "1")):
        out = tmp / prog
        run([GO, "build", "-o", str(out), f"./{prog}"], cwd=HERE, env=dict(env, CGO_ENABLED=cgo))
        (tmp / f"{prog}.nm").write_text(run([GO, "tool", "nm", "-n", "-size", str(out)]))
        bins[prog] = out
    return bins


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def header_common() -> dict:
    return {
        "go_version": run([GO, "version"]).strip(),
        "kernel": " ".join(platform.uname()[2:4]),
        "cpu": cpu_model(),
        "gdb": run(["gdb", "--version"]).splitlines()[0],
    }


def record(name: str, bins: dict[str, Path], tmp: Path, common: dict) -> Path:
    p = find(name)
    raw = tmp / f"{p.name}.raw.json"
    env = dict(os.environ, GDBREF_PRESET=p.name, GDBREF_OUT=str(raw), GDBREF_NM=str(tmp / f"{p.program}.nm"))
    for attempt in range(1, ATTEMPTS + 1):
        raw.unlink(missing_ok=True)
        proc = subprocess.run(["gdb", "-nx", "-batch", "-x", str(HERE / "gdbstep.py"), str(bins[p.program])],
                              env=env, capture_output=True, text=True, timeout=600)
        if "GDBREF-RETRY" not in proc.stdout:
            break
        print(f"{p.name}: attempt {attempt}: {proc.stdout.split('GDBREF-RETRY:')[1].splitlines()[0].strip()}",
              file=sys.stderr)
    if not raw.exists():
        raise RuntimeError(f"{p.name}: gdb wrote nothing\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    doc = json.loads(raw.read_text())
    doc["header"] = {
        **common,
        "program": f"scripts/gdbref/{p.program}/main.go, mode {p.mode!r}"
                   + (" (cgo)" if p.program == "cgoprog" else " (CGO_ENABLED=0)"),
        "env": dict(p.env),
        "regenerate": f"python3 scripts/gdbref/record.py {p.name}",
        **doc["header"],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{p.name}.json"
    path.write_text(dump(doc))
    return path


def dump(doc: dict) -> str:
    """JSON with one step per line: small, and diffs stay readable."""
    head = {k: v for k, v in doc.items() if k != "steps"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "steps": [')
    steps = doc["steps"]
    for i, s in enumerate(steps):
        lines.append("    " + json.dumps(s, separators=(",", ":")) + ("," if i + 1 < len(steps) else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", help="routine.preset names (default: all)")
    args = ap.parse_args()
    names = args.presets or [p.name for p in PRESETS]
    failed = []
    with tempfile.TemporaryDirectory(prefix="gdbref-") as d:
        tmp = Path(d)
        bins = build(tmp)
        common = header_common()
        for name in names:
            try:
                path = record(name, bins, tmp, common)
                n = len(json.loads(path.read_text())["steps"])
                print(f"{name}: {n} steps -> {path.relative_to(ROOT)}")
            except Exception as e:  # keep going: report every failure at the end
                failed.append(name)
                print(f"{name}: FAILED {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
