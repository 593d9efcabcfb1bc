"""Record each routine's Go 1.19.8 line range (asm_amd64.s) in gosched_book/runtime/data/golden_amd64.json."""
import json
import sys
from pathlib import Path

from gosched_book.runtime.golden import source_range

ASM = Path("/usr/lib/go-1.19/src/runtime/asm_amd64.s")
JSON = Path(__file__).resolve().parent.parent / "gosched_book/runtime/data/golden_amd64.json"


def main() -> int:
    if not ASM.exists():
        print(f"{ASM} is missing: apt-get install golang-1.19-src", file=sys.stderr)
        return 1
    data = json.loads(JSON.read_text(encoding="utf-8"))
    text = ASM.read_text(encoding="utf-8")
    for routine, r in data["routines"].items():
        r["go119_lines"] = list(source_range(text, routine))
    JSON.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
