import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "gosched_book" / "runtime" / "data"


@pytest.fixture(scope="session")
def golden():
    return json.loads((DATA / "golden_amd64.json").read_text())["routines"]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process: Playwright's sync API refuses a second instance while one runs,
    so the site's and Lab's tests (which --dist loadfile may put in one worker) share this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
