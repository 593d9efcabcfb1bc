"""Kernels talk to their clients over Unix sockets in a private directory, not TCP ports.

With TCP, jupyter_client picks a kernel's five ports by binding port 0 and closing the socket;
the kernel binds them a moment later. Nine chapters start their kernels at once in a site build,
and another process can be handed the same free port in between: the kernel then dies with
"Address already in use" and the build fails ("Kernel died before replying to kernel_info",
seen in one clean build of five). IPC sockets are files, so each kernel gets names nobody else
can take.
"""
from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile

_COUNT = itertools.count()
_DIR: dict[int, str] = {}  # pid -> this process's socket directory (forked workers make their own)


def socket_prefix() -> str:
    """A path prefix no other kernel of any process uses (jupyter_client appends -1 .. -5)."""
    pid = os.getpid()
    if pid not in _DIR:
        path = _DIR[pid] = tempfile.mkdtemp(prefix="gsb-kernels-")
        atexit.register(lambda: os.getpid() == pid and shutil.rmtree(path, ignore_errors=True))
    return os.path.join(_DIR[pid], f"k{next(_COUNT)}")


def use_ipc() -> None:
    """Every KernelManager made from now on, in this process and its forks, uses IPC transport."""
    from jupyter_client.manager import KernelManager

    if getattr(KernelManager, "_gosched_book_ipc", False):
        return
    init = KernelManager.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.transport = "ipc"
        self.ip = socket_prefix()

    KernelManager.__init__ = __init__
    KernelManager._gosched_book_ipc = True
