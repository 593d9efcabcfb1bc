"""The site build's configuration: parallel reading and what is not executed."""
import json
from pathlib import Path

import pytest
import yaml

from gosched_book.site import jb

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_excluded_from_execution_have_no_code():
    cfg = yaml.safe_load((ROOT / "book.yml").read_text(encoding="utf-8"))
    excluded = cfg["execute"].get("exclude_patterns", [])
    assert excluded, "nothing excluded: then this test checks nothing"
    for pattern in excluded:
        paths = list(ROOT.glob(pattern))
        assert paths, pattern
        for p in paths:
            cells = json.loads(p.read_text(encoding="utf-8"))["cells"]
            code = [c for c in cells if c["cell_type"] == "code"]
            assert not code, f"{p.name} has code cells but book.yml does not execute it"


def test_jobs_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(jb.JOBS_ENV, "3")
    assert jb.jobs() == 3
    monkeypatch.delenv(jb.JOBS_ENV)
    assert jb.jobs() >= 2
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(jb.JOBS_ENV, bad)
        with pytest.raises(SystemExit, match=jb.JOBS_ENV):
            jb.jobs()


def test_kernels_use_private_unix_sockets_not_tcp_ports():
    """Parallel chapter kernels cannot be handed the same port (site/kernels.py)."""
    import os

    from jupyter_client.manager import KernelManager

    from gosched_book.site.kernels import socket_prefix, use_ipc

    use_ipc()
    use_ipc()  # idempotent: one wrapper, not two
    a, b = KernelManager(kernel_name="python3"), KernelManager(kernel_name="python3")
    assert a.transport == b.transport == "ipc"
    assert a.ip != b.ip and os.path.dirname(a.ip) == os.path.dirname(b.ip)
    assert os.path.isdir(os.path.dirname(a.ip)) and len(socket_prefix()) + 2 < 108  # sun_path


def test_a_library_change_makes_the_next_site_build_clean(tmp_path):
    """builder.library_stamp: what decides that pages executed with other code are rebuilt."""
    from gosched_book.site.builder import library_stamp

    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "a.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    first = library_stamp(tmp_path)
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"recompiled")
    assert library_stamp(tmp_path) == first  # caches do not count
    (tmp_path / "views" / "a.py").write_text("x = 2\n")
    assert library_stamp(tmp_path) != first
