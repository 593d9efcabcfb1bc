"""Execute every chapter in a fresh kernel; fail on any error or stderr output."""
import base64
import gzip
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gosched_book.site.kernels import use_ipc

use_ipc()  # two test workers start kernels at once: no TCP port races (site/kernels.py)

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
TIMES = {}


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    TIMES[path.name] = time.perf_counter() - t0
    return nb


def outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield cell, cell.get("outputs", [])


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.name)
def executed(request):
    return request.param, execute(request.param)


def test_committed_without_outputs():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for c in nb["cells"]:
            if c["cell_type"] == "code":
                assert not c.get("outputs") and not c.get("execution_count"), path.name


@pytest.mark.slow
def test_runs_clean(executed):
    path, nb = executed
    for cell, outs in outputs(nb):
        for o in outs:
            assert o.output_type != "error", f"{path.name}: {o.get('ename')}: {o.get('evalue')}"
            assert not (o.output_type == "stream" and o.name == "stderr"), f"{path.name}: {o.text}"
        src = cell.source.strip()
        # A chapter cell is one short line of library code.
        assert len(src.splitlines()) == 1 and len(src) <= 140, src


def unpack(html: str) -> dict:
    blob = re.search(r"class='gsb-data'>([^<]+)</script>", html).group(1)
    return json.loads(gzip.decompress(base64.b64decode(blob)))


@pytest.mark.slow
def test_steppers_and_pictures_are_present(executed):
    path, nb = executed
    shows = [(c, o) for c, o in outputs(nb) if c.source.startswith("show(")]
    for cell, outs in shows:
        data = outs[0]["data"]
        assert WIDGET in data, cell.source  # the live widget view
        payload = unpack(data["text/html"])  # the static stepper (format 2: scenarios by key)
        assert payload["scenarios"], cell.source
        for key, sc in payload["scenarios"].items():
            assert sc["key"] == key and len(sc["pics"]) == len(sc["trace"]["steps"]) + 1
            assert all(0 <= i < len(payload["pictures"]) for i in sc["pics"])
        assert all(0 <= p < len(payload["panels"]) for pic in payload["pictures"] for p in pic)
    if path.name[:2] not in ("01", "08", "09", "10", "90"):  # the tour, not the intro, introduces the stepper
        assert shows, "each chapter but the intro, errata, glossary, appendix and the map has a stepper"


@pytest.mark.slow
def test_exercises_fold_their_answers(executed):
    path, nb = executed
    if path.name[:2] in ("00", "02", "03", "04", "05", "06", "07", "11", "12", "13"):
        ex = [o for _, outs in outputs(nb) for o in outs
              if "gsb-exercise" in o.get("data", {}).get("text/html", "")]
        assert len(ex) >= 3
        assert all("<details>" in o["data"]["text/html"] for o in ex)
    if path.name[:2] in ("00", "06", "07", "11", "12", "13"):  # reasoned answers: a source citation and a link to the step
        ex = [o["data"]["text/html"] for _, outs in outputs(nb) for o in outs
              if "gsb-exercise" in o.get("data", {}).get("text/html", "")]
        assert len(ex) >= 5
        for h in ex:
            assert "<details>" in h and "出处：<code>" in h and re.search(r"href='#[A-Za-z0-9_]+:[a-z0-9_]+(?:\+[\w=]+)*:\d+'", h)


def teardown_module(module):
    if TIMES:
        total = sum(TIMES.values())
        print(f"\nnotebook execution: {total:.1f} s total; " +
              ", ".join(f"{k} {v:.1f} s" for k, v in sorted(TIMES.items())))
