"""A runtime TEXT block as Go 1.19.8's source has it (for tests that hold a listing to it)."""
import re
from gosched_book.runtime.gosrc import GO_SRC

RUNTIME = GO_SRC / "runtime"


def go_text_of(routine: str) -> str:
    """The TEXT block of `routine` (a golden routine name) in its runtime file, to the next TEXT."""
    from gosched_book.runtime.golden import source_file

    lines = (RUNTIME / source_file(routine)).read_text(encoding="utf-8").split("\n")
    name = re.escape(routine)
    start = next(i for i, x in enumerate(lines) if re.match(rf"TEXT\s+{name}(<ABIInternal>)?\(SB\)", x))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("TEXT")), len(lines))
    return "\n".join(lines[start:end])
