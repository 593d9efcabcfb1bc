"""Record each routine's Go 1.19.8 line range (asm_amd64.s) in gosched_book/runtime/data/golden_amd64.json,
and each instruction's Go 1.19.8 line (the routines' text is Go 1.18's, moved down by a constant)."""
import json
import sys
from pathlib import Path

from gosched_book.runtime.golden import source_range
from gosched_book.runtime.gosrc import GO_SRC

ASM = GO_SRC / "runtime" / "asm_amd64.s"
JSON = Path(__file__).resolve().parent.parent / "gosched_book/runtime/data/golden_amd64.json"


def main() -> int:
    if not ASM.exists():
        print(f"{ASM} is missing: apt-get install golang-1.19-src", file=sys.stderr)
        return 1
    data = json.loads(JSON.read_text(encoding="utf-8"))
    text = ASM.read_text(encoding="utf-8")
    lines = text.split("\n")
    for routine, r in data["routines"].items():
        r["go119_lines"] = list(source_range(text, routine))
        ins = r["instructions"]
        if "go118_line" not in ins[0]:
            continue
        # The first line at or after TEXT that is an instruction of the same mnemonic family.
        start = r["go119_lines"][0]
        first = ins[0]["go_disasm"].split()[0]
        want = {"LEAQ": ("LEAQ", "MOVQ")}.get(first, (first,))
        at = next(n for n in range(start, r["go119_lines"][1] + 1)
                  if lines[n - 1].split() and lines[n - 1].split()[0] in want)
        shift = at - ins[0]["go118_line"]
        for g in ins:
            g["go119_line"] = g["go118_line"] + shift
            assert lines[g["go119_line"] - 1].strip() and not lines[g["go119_line"] - 1].lstrip().startswith("//"), g
    JSON.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
