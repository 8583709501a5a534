"""Processes docgen starts end with it: a batch's workers, and LibreOffice's worker."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process signum when its parent ends, however it ends: a worker
    of a batch killed with kill -9 would otherwise wait for work for ever. Elsewhere a worker
    notices its parent is gone when its pipe closes."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
