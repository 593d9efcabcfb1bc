"""`make lab`: JupyterLab on the book's notebooks, without Lab's news pop-up, and the URL to open.

Lab 4 asks "Would you like to receive official Jupyter news?" in a toast that covers the stepper;
the notification plugin's `fetchNews: "false"` (set in the environment's overrides.json) stops it.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "@jupyterlab/apputils-extension:notification"
QUIET = {"fetchNews": "false", "checkForUpdates": False}


def write_overrides(settings_dir: Path) -> Path:
    """Merge the quiet notification settings into `settings_dir`/overrides.json."""
    path = settings_dir / "overrides.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault(PLUGIN, {}).update(QUIET)
    settings_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def free_port(preferred: int = 8888) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit("no free port for JupyterLab")


def command(port: int, token: str) -> list[str]:
    cmd = [sys.executable, "-m", "jupyter", "lab", str(ROOT / "notebooks"), f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def main(argv: list[str]) -> int:
    settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    if "--settings-dir" in argv:
        settings = Path(argv[argv.index("--settings-dir") + 1])
    write_overrides(settings)
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/00-tour.ipynb?token={token}"
    print(f"\n  在浏览器中打开 / open in your browser:\n\n    {url}\n", flush=True)
    cmd = command(port, token)
    if "--dry-run" in argv:
        print(" ".join(cmd))
        return 0
    os.execv(cmd[0], cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
