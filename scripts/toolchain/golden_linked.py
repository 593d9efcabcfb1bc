"""Add routines to gosched_book/runtime/data/golden_amd64.json from a linked Go 1.19.8 binary.

The golden data holds each routine's bytes as the linker left them (`go tool objdump` of an
executable). This script builds a small cgo program (cgo, so that asmcgocall and cgocallback
are linked) and the same program without cgo (whose entry is _rt0_amd64_linux), objdumps the routines
named below and records, per instruction: its offset, its
Go 1.19.8 asm_amd64.s line, its bytes, objdump's text, and `link_dependent` where the object file
has a CALL or PC-relative relocation there (gosched_book/asm/data/toolchain_runtime.json), whose
displacement depends on where the linker put the target. Each routine's line range is
`source_range` of the installed asm_amd64.s, as scripts/golden_go119_lines.py computes it.

    .venv/bin/python scripts/toolchain/golden_linked.py      # needs golang-1.19-go, gcc
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from gosched_book.asm.toolchain import recorded
from gosched_book.runtime.golden import source_range
from gosched_book.runtime.gosrc import GO_SRC

GO = Path("/usr/lib/go-1.19/bin/go")
RUNTIME = GO_SRC / "runtime"
ASM = RUNTIME / "asm_amd64.s"
JSON = Path(__file__).resolve().parents[2] / "gosched_book/runtime/data/golden_amd64.json"
# book symbol -> objdump symbol (in asm_amd64.s unless the runtime file is named)
ROUTINES = {"runtime·goexit": "runtime.goexit.abi0", "·asmcgocall": "runtime.asmcgocall.abi0",
            "·cgocallback": "runtime.cgocallback.abi0",
            "runtime·sigtramp": ("runtime.sigtramp.abi0", "sys_linux_amd64.s"),
            "runtime·sigreturn": ("runtime.sigreturn.abi0", "sys_linux_amd64.s"),
            "·asyncPreempt": ("runtime.asyncPreempt.abi0", "preempt_amd64.s"),
            "_rt0_amd64_linux": ("_rt0_amd64_linux", "rt0_linux_amd64.s"),
            "_rt0_amd64": "_rt0_amd64", "runtime·rt0_go": "runtime.rt0_go.abi0",
            "runtime·asminit": "runtime.asminit.abi0",
            "runtime·settls": ("runtime.settls.abi0", "sys_linux_amd64.s")}
PROGRAM = """package main

/*
static int add(int a, int b) { return a + b; }
*/
import "C"

func main() { println(C.add(1, 2)) }
"""
_INSN = re.compile(r"^\s+\w+\.s:(\d+)\t0x([0-9a-f]+)\t+([0-9a-f]+)\t+([^\t]*?)\t*$")
LINKED = ("R_CALL", "R_PCREL")


def objdump(binary: Path, sym: str) -> list[tuple[int, int, str, str]]:
    out = subprocess.run([str(GO), "tool", "objdump", "-s", f"^{re.escape(sym)}$", str(binary)],
                         check=True, capture_output=True, text=True).stdout
    return [(int(m[1]), int(m[2], 16), m[3], m[4].strip()) for m in map(_INSN.match, out.split("\n")) if m]


def _link_dependent(file: str, sym: str, k: int, addr: int, hexs: str, start: int, end: int) -> bool:
    """Whether the linker chose this instruction's displacement: from the object file's relocations
    where the runtime record has the file, else from the decoded branch leaving the routine
    (rt0_linux_amd64.s is one JMP)."""
    files = recorded()["files"]
    if file in files:
        block = {b["name"]: b for b in files[file]}[sym.removesuffix(".abi0")]
        return any(r["type"] in LINKED and r["end"] > r["start"] for r in block["instructions"][k]["relocs"])
    from iced_x86 import Decoder, FlowControl

    ins = Decoder(64, bytes.fromhex(hexs), ip=addr).decode()
    return ins.flow_control in (FlowControl.UNCONDITIONAL_BRANCH, FlowControl.CALL) \
        and not start <= ins.near_branch_target < end


def main() -> int:
    if not GO.exists() or not ASM.exists():
        print("needs golang-1.19-go and golang-1.19-src", file=sys.stderr)
        return 1
    data = json.loads(JSON.read_text(encoding="utf-8"))

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "main.go").write_text(PROGRAM)
        (Path(d) / "go.mod").write_text("module golden\n\ngo 1.19\n")
        env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOAMD64": "v1"}
        subprocess.run([str(GO), "build", "-o", "prog", "."], cwd=d, env=env, check=True)
        # the process entry (_rt0_amd64_linux, _rt0_amd64) is linked only without cgo
        plain = Path(d) / "plain"
        plain.mkdir()
        (plain / "main.go").write_text('package main\n\nfunc main() { println(3) }\n')
        (plain / "go.mod").write_text("module plain\n\ngo 1.19\n")
        subprocess.run([str(GO), "build", "-o", "../plain.bin", "."], cwd=plain, check=True,
                       env={**env, "CGO_ENABLED": "0"})
        for book, where in ROUTINES.items():
            sym, file = where if isinstance(where, tuple) else (where, "asm_amd64.s")
            text = (RUNTIME / file).read_text(encoding="utf-8")
            rows = objdump(Path(d) / "prog", sym) or objdump(Path(d) / "plain.bin", sym)
            start, end = rows[0][1], rows[-1][1] + len(rows[-1][2]) // 2
            ins = []
            for k, (line, addr, hexs, go) in enumerate(rows):
                g = {"offset": addr - start, "go119_line": line, "bytes": hexs, "go_disasm": go}
                if _link_dependent(file, sym, k, addr, hexs, start, end):
                    g["link_dependent"] = "rel32 displacement to another symbol: compare opcode bytes only"
                ins.append(g)
            data["routines"][book] = {
                "objdump_symbol": sym,
                **({"source_file": file} if file != "asm_amd64.s" else {}),
                "note": "Not in the document. Bytes from a linked cgo program (scripts/toolchain/"
                        f"golden_linked.py); go119_line is the line in Go 1.19.8 src/runtime/{file}, "
                        "whose text of this routine is Go 1.18's.",
                "go119_lines": list(source_range(text, book)),
                "instructions": ins,
            }
    JSON.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
