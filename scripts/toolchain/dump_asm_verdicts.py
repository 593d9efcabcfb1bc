"""Ask the Go 1.19 assembler what it makes of small listings: the lexer's and the frame's rules
(Unicode digits, #define, NOP, labels, $-8, frames, WRAPPER, BYTE, DATA, ...), for the tests.

Regenerate (needs Debian's golang-1.19-go; a few seconds):

    .venv/bin/python scripts/toolchain/dump_asm_verdicts.py

Each case is assembled alone with `go tool asm -p main`; an accepted one is dumped with
`go tool objdump` (bytes and relocations, as dump_runtime_asm.py does), a refused one keeps Go's
message. Output: gosched_book/asm/data/toolchain_verdicts.json.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dump_runtime_asm import GO, OUT, _objdump  # noqa: E402

F = "TEXT main·f(SB),4,$0\n"  # 4 is NOSPLIT
CASES = {
    "fullwidth digits in a constant": F + "\tMOVQ $１２, AX\n\tRET\n",
    "arabic-indic digit in a constant": F + "\tMOVQ $٣, AX\n\tRET\n",
    "ascii digit then arabic-indic": F + "\tADDQ $1٣, AX\n\tRET\n",
    "fullwidth zero before (DX)": F + "\tMOVQ ０(DX), CX\n\tRET\n",
    "fullwidth eight before (DX)": F + "\tMOVQ ８(DX), CX\n\tRET\n",
    "define with an unclosed parameter list": "#define F(x x\n" + F + "\tRET\n",
    "define with an open paren only": "#define F(\n" + F + "\tRET\n",
    "define with a space before the paren": "#define F (8)\n" + F + "\tMOVQ $F, AX\n\tRET\n",
    "bare NOP": F + "\tNOP\n\tRET\n",
    "a label in Chinese": F + "标签:\n\tJMP 标签\n\tRET\n",
    "a Chinese name as an operand": F + "\tMOVQ 中, AX\n\tRET\n",
    "frame $-8": "TEXT main·f(SB),4,$-8\n\tRET\n",
    "absolute address": F + "\tMOVL $0xf1, 0xf1\n\tRET\n",
    "BYTE wider than a byte": F + "\tBYTE $0x100\n\tRET\n",
    "WORD wider than a word": F + "\tWORD $0x12345\n\tRET\n",
    "LONG of a negative number": F + "\tLONG $-2\n\tRET\n",
    "ADDQ with AX and a 32-bit immediate": F + "\tADDQ $-249346713, AX\n\tRET\n",
    "a NOSPLIT frame with FP, named SP and PUSHQ":
        "TEXT main·f(SB),4,$16-8\n\tMOVQ x+0(FP), AX\n\tMOVQ AX, y-8(SP)\n\tPUSHQ AX\n"
        "\tMOVQ x+0(FP), BX\n\tPOPQ AX\n\tRET\n",
    "a small splittable frame": "TEXT main·f(SB),0,$8-0\n\tCALL main·h(SB)\n\tRET\n",
    "a large splittable frame": "TEXT main·f(SB),0,$1000-0\n\tCALL main·h(SB)\n\tRET\n",
    "a huge splittable frame": "TEXT main·f(SB),0,$8192-0\n\tCALL main·h(SB)\n\tRET\n",
    "a splittable leaf": "TEXT main·f(SB),0,$16-0\n\tMOVQ AX, BX\n\tRET\n",
    "a $0 frame that calls": "TEXT main·f(SB),0,$0-0\n\tCALL main·h(SB)\n\tRET\n",
    "NEEDCTXT": "TEXT main·f(SB),64,$8-0\n\tCALL main·h(SB)\n\tRET\n",
    "WRAPPER": "TEXT main·f(SB),36,$8\n\tRET\n",
    "NOFRAME": "TEXT main·f(SB),516,$0\n\tCALL main·h(SB)\n\tRET\n",
    "a string longer than its DATA": 'DATA s<>(SB)/2, $"abc"\nGLOBL s<>(SB),8,$2\n' + F + "\tRET\n",
    "DATA of 3 bytes": "DATA s<>(SB)/3, $1\nGLOBL s<>(SB),8,$3\n" + F + "\tRET\n",
    "REP and LOCK": F + "\tREP; MOVSB\n\tLOCK\n\tXADDL AX, (BX)\n\tRET\n",
    "PCALIGN": F + "\tMOVQ AX, BX\n\tPCALIGN $16\n\tRET\n",
    "IMULQ with an immediate": F + "\tIMULQ $1000000000, AX\n\tRET\n",
    "XCHGQ with AX": F + "\tXCHGQ CX, AX\n\tXCHGQ AX, R8\n\tRET\n",
    "MOVQ between X and memory": F + "\tMOVQ X0, 8(SP)\n\tMOVQ 8(SP), X1\n\tMOVQ X1, AX\n\tRET\n",
}


def main() -> None:
    if not GO.exists():
        raise SystemExit(f"{GO} is missing: apt-get install golang-1.19-go")
    env = {**os.environ, "PATH": f"{GO.parent}:{os.environ['PATH']}"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        env.update(HOME=tmp, GOCACHE=str(Path(tmp) / "cache"))
        for k, (name, text) in enumerate(CASES.items()):
            src, obj = Path(tmp) / f"c{k}.s", Path(tmp) / f"c{k}.o"
            src.write_text(text, encoding="utf-8")
            res = subprocess.run([str(GO), "tool", "asm", "-p", "main", "-o", str(obj), str(src)],
                                 env=env, capture_output=True, text=True)
            case = {"source": text, "accepted": res.returncode == 0}
            if res.returncode == 0:
                case["blocks"] = _objdump(obj, env)
            else:
                case["error"] = res.stderr.replace(str(src), "case.s").splitlines()[0]
            out[name] = case
    version = subprocess.run([str(GO), "version"], capture_output=True, text=True).stdout.strip()
    data = {"go": version, "generated_by": "scripts/toolchain/dump_asm_verdicts.py", "cases": out}
    (OUT / "toolchain_verdicts.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(out)} cases, {sum(c['accepted'] for c in out.values())} accepted -> {OUT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
