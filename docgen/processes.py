"""Processes docgen starts end with it: a batch's workers, and LibreOffice's worker; and work
the operating system bounds, in a worker of its own (run_limited)."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from docgen.exceptions import DocgenError, WorkerStoppedError

try:
    import resource
except ImportError:  # Windows: no per-process limits; the wall-clock limit still holds
    resource = None  # type: ignore[assignment]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def is_running(pid: int) -> bool:
    """Whether a process of this computer with this id is running (a zombie counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_orphaned_work(parent: Path, prefix: str) -> None:
    """Remove the folders named prefix + a docgen process's id + … that a killed docgen left
    in parent (uploads, documents half made, PDFs being made, LibreOffice's profiles: they
    hold patients' details), those of processes no longer running. Never through a link."""
    for folder in parent.glob(f"{prefix}*"):
        owner = folder.name.removeprefix(prefix).split("-", 1)[0]
        if owner.isdigit() and not is_running(int(owner)) and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process signum when its parent ends, however it ends: a worker
    of a batch killed with kill -9 would otherwise wait for work for ever. Elsewhere a worker
    notices its parent is gone when its pipe closes."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)


def run_limited(
    function: Callable[..., T], /, *args: Any, cpu_seconds: int, memory_bytes: int, **kwargs: Any
) -> T:
    """function(*args, **kwargs) in a worker process that the operating system bounds: at most
    cpu_seconds of processor time and memory_bytes of memory, and killed when it runs twice
    that time and ten seconds more on the clock. Returns its result or raises its DocgenError
    here; raises WorkerStoppedError when it was stopped. Unlike a check inside the work,
    nothing the work does (one long step in C, a hostile template) escapes these limits or
    stops the caller.

    The worker is forked from a server process started once with docgen imported
    (multiprocessing's forkserver), so each call starts in milliseconds; function and its
    arguments and result are pickled."""
    context = _limited_context()
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(
        target=_run_within_limits,
        args=(sending, function, args, kwargs, cpu_seconds, memory_bytes),
        daemon=True,
    )
    worker.start()
    sending.close()
    try:
        if not receiving.poll(2 * cpu_seconds + 10):
            raise WorkerStoppedError(
                f"the work took more than {2 * cpu_seconds + 10} s and was stopped"
            )
        outcome, value = receiving.recv()
    except EOFError:  # it ended without a word
        worker.join(5)
        if worker.exitcode is not None and worker.exitcode < 0:  # SIGXCPU, SIGKILL
            raise WorkerStoppedError(
                f"the work went over its limits ({cpu_seconds} s of processor time, "
                f"{memory_bytes // 2**20} MB of memory) and was stopped"
            ) from None
        raise RuntimeError(f"the bounded worker ended with code {worker.exitcode}") from None
    finally:
        receiving.close()
        if worker.is_alive():
            worker.kill()
        worker.join()
    if outcome == "error":
        raise value
    if outcome == "bug":
        raise RuntimeError(f"the bounded worker failed:\n{value}")
    return value


_context: multiprocessing.context.BaseContext | None = None


def _limited_context() -> multiprocessing.context.BaseContext:
    global _context
    if _context is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(["docgen.generate", "docgen.check"])
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def _run_within_limits(
    sending: Any,
    function: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    cpu_seconds: int,
    memory_bytes: int,
) -> None:
    die_with_parent()
    try:
        if resource is not None:
            # SIGXCPU at the soft limit, SIGKILL a second later; never above what this
            # process may already use (ulimit, a container)
            _lower_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
            _lower_limit(resource.RLIMIT_AS, memory_bytes, memory_bytes)
        outcome: tuple[str, Any] = ("ok", function(*args, **kwargs))
    except DocgenError as error:
        outcome = ("error", error)
    except MemoryError:
        outcome = ("error", WorkerStoppedError("the work needed more memory than it may use"))
    except Exception:
        outcome = ("bug", traceback.format_exc())
    try:
        sending.send(outcome)
    except Exception:  # a result that cannot be pickled
        sending.send(("bug", traceback.format_exc()))


def limit_processor_time(seconds: int) -> None:
    """Let this process use at most `seconds` more of processor time before the operating
    system stops it (SIGXCPU): set before each piece of work of a long-lived worker."""
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _lower_limit(resource.RLIMIT_CPU, used + seconds, resource.getrlimit(resource.RLIMIT_CPU)[1])


def _lower_limit(which: int, soft: int, hard: int) -> None:
    _current_soft, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))
