import json
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "gosched_book" / "runtime" / "data"


@pytest.fixture(scope="session")
def golden():
    return json.loads((DATA / "golden_amd64.json").read_text())["routines"]
