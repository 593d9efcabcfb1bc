"""Record what the Go 1.19 toolchain makes of the runtime's own assembly, for the tests.

Regenerate (needs Debian's golang-1.19-go and golang-1.19-src; ~30 s):

    .venv/bin/python scripts/toolchain/dump_runtime_asm.py

It builds a small program (`func main() { println("hi") }`) with `go build -a -work`, which
assembles every TEXT block of the runtime's asm_amd64.s, preempt_amd64.s and
sys_linux_amd64.s into object files in the work directory (with the go_asm.h the compiler wrote
for that build). `go tool objdump` of each object file gives every instruction's source line,
bytes and relocations (`[start:end]R_TYPE:symbol+addend`): the bytes under a relocation are the
link-dependent fields (zero in the object file), and the relocation names the symbol and offset
they must reach. It also records the go_asm.h constants these files use, and the encoder suite
(cmd/asm/internal/asm/testdata/amd64enc.s and amd64enc_extra.s: each line an instruction and the
encodings Go's assembler must give).

Output: gosched_book/asm/data/toolchain_runtime.json, gosched_book/asm/data/encoder_suite.json.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GO = Path("/usr/lib/go-1.19/bin/go")
GOROOT = Path("/usr/lib/go-1.19")
FILES = ("asm_amd64.s", "preempt_amd64.s", "sys_linux_amd64.s")
SUITE = ("amd64enc.s", "amd64enc_extra.s")
OUT = Path(__file__).resolve().parents[2] / "gosched_book" / "asm" / "data"

_INSN = re.compile(r"^\s+(?P<file>[\w.]+):(?P<line>\d+)\t+0x[0-9a-f]+\t+(?P<hex>[0-9a-f]+)\t+"
                   r"(?P<text>[^\t]*)\t*(?P<rel>.*?)\s*$")
# [start:end]R_TYPE:symbol+addend (objdump prints a negative addend as +-1)
_RELOC = re.compile(r"\[(\d+):(\d+)\](R_\w+)(?::([^\s+]*))?(?:\+(-?\d+))?(?=\s|$)")
_ASMHDR = re.compile(r"^#define (\w+) (-?\d+)$")


def _build(tmp: Path) -> Path:
    """The work directory of the runtime package's build (it holds the .o files and go_asm.h)."""
    env = {**os.environ, "PATH": f"{GO.parent}:{os.environ['PATH']}", "HOME": str(tmp),
           "GOCACHE": str(tmp / "cache"), "GOOS": "linux", "GOARCH": "amd64", "GOAMD64": "v1",
           "CGO_ENABLED": "0", "GO111MODULE": "on", "GOFLAGS": ""}
    (tmp / "go.mod").write_text("module hello\n\ngo 1.19\n")
    (tmp / "main.go").write_text('package main\n\nfunc main() { println("hi") }\n')
    res = subprocess.run([str(GO), "build", "-a", "-work", "-o", "hello", "."], cwd=tmp, env=env,
                         check=True, capture_output=True, text=True)
    work = Path(re.search(r"WORK=(\S+)", res.stderr).group(1))
    for d in sorted(work.iterdir()):
        if (d / "asm_amd64.o").exists() and (d / "go_asm.h").exists():
            return d
    raise SystemExit(f"no runtime object files under {work}")


def _objdump(obj: Path, env: dict) -> list[dict]:
    out = subprocess.run([str(GO), "tool", "objdump", str(obj)], env=env, check=True,
                         capture_output=True, text=True).stdout
    blocks: list[dict] = []
    for line in out.splitlines():
        if line.startswith("TEXT "):
            blocks.append({"name": line.split()[1].removesuffix("(SB)"), "instructions": []})
            continue
        m = _INSN.match(line)
        if not m:
            continue
        relocs = [{"start": int(a), "end": int(b), "type": t, "symbol": s or "", "add": int(o or 0)}
                  for a, b, t, s, o in _RELOC.findall(m["rel"])]
        blocks[-1]["instructions"].append({"line": int(m["line"]), "hex": m["hex"],
                                           "go": m["text"].strip(), "relocs": relocs})
    for b in blocks:
        b["line"] = min(i["line"] for i in b["instructions"])
    return blocks


def _asm_constants(header: Path, sources: list[str]) -> dict[str, int]:
    """go_asm.h's #defines that the files use (by name)."""
    text = "\n".join(sources)
    out = {}
    for line in header.read_text().splitlines():
        m = _ASMHDR.match(line)
        if m and re.search(rf"\b{re.escape(m[1])}\b", text):
            out[m[1]] = int(m[2])
    return out


def _suite(path: Path) -> list[dict]:
    """Each case: the instruction, its line, and the hex encodings Go accepts for it."""
    cases = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        code, sep, comment = line.partition("//")
        code = code.strip()
        if not sep or not code or code.startswith(("TEXT", "#")) or code == "RET":
            continue
        encs = [e.strip().replace(" ", "").lower() for e in comment.split(" or ")]
        if not all(re.fullmatch(r"[0-9a-f]+", e) for e in encs):
            continue
        cases.append({"file": path.name, "line": n, "text": code, "hex": encs})
    return cases


def _compact(data: dict, item: str) -> str:
    """JSON with one record (an instruction, a case) per line, for readable diffs."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("," + item, ",\n" + item).replace("[" + item, "[\n" + item)
    return text.replace(',{"name":', ',\n{"name":').replace('[{"name":', '[\n{"name":') + "\n"


def main() -> None:
    if not GO.exists():
        raise SystemExit(f"{GO} is missing: apt-get install golang-1.19-go golang-1.19-src")
    env = {**os.environ, "PATH": f"{GO.parent}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as tmp:
        work = _build(Path(tmp))
        version = subprocess.run([str(GO), "version"], capture_output=True, text=True).stdout.strip()
        sources = [(GOROOT / "src" / "runtime" / f).read_text() for f in FILES]
        files = {f: _objdump(work / f.replace(".s", ".o"), env) for f in FILES}
        runtime = {"go": version, "generated_by": "scripts/toolchain/dump_runtime_asm.py",
                   "go_asm_h": _asm_constants(work / "go_asm.h", sources), "files": files}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "toolchain_runtime.json").write_text(_compact(runtime, '{"line":'))
    testdata = GOROOT / "src" / "cmd" / "asm" / "internal" / "asm" / "testdata"
    suite = {"go": version, "generated_by": "scripts/toolchain/dump_runtime_asm.py",
             "cases": [c for f in SUITE for c in _suite(testdata / f)]}
    (OUT / "encoder_suite.json").write_text(_compact(suite, '{"file":'))
    n = sum(len(b) for b in files.values())
    print(f"{n} TEXT blocks, {len(runtime['go_asm_h'])} go_asm.h constants, "
          f"{len(suite['cases'])} encoder cases -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
