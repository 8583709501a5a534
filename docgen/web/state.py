"""The desk's state: the workspace, where documents go, and the files and batches it has
issued ids for. Requests never name a path; they name one of these ids."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import abort

from docgen.catalogues import LocaleStatus, catalogue_status
from docgen.check import CheckReport, check_workspace
from docgen.exceptions import (
    DeskBusyError,
    DocgenError,
    Problem,
    TemplateTimeoutError,
    WorkerStoppedError,
)
from docgen.output import open_private
from docgen.processes import run_limited
from docgen.register import file_sha256
from docgen.web.common import DOCUMENTS_CPU_SECONDS, DOCUMENTS_MEMORY_BYTES, problems_of
from docgen.workspace import Workspace


@dataclass
class BatchJob:
    """One uploaded appointments file being made into documents, in a thread of its own. Once
    finished, it keeps its counts; each row's result is on disk (rows_file), read a page at a
    time: a 100,000-row batch held them all in memory, and printed them on one page."""

    id: str
    name: str
    output_dir: Path
    total: int = 0
    done: int = 0
    finished: bool = False
    made: int = 0
    pdfs: int = 0
    failed_rows: int = 0
    problems: list[Problem | str] = field(default_factory=list)
    zip_id: str | None = None
    row_count: int = 0  # rows in rows_file

    @property
    def rows_file(self) -> Path:
        """Each row's result, one JSON list a line: [row, made, what or why]."""
        return self.output_dir.with_suffix(".rows.jsonl")

    def save_rows(self, rows: list[tuple[int, bool, str]]) -> None:
        descriptor = open_private(self.rows_file, os.O_WRONLY | os.O_TRUNC)
        with open(descriptor, "w", encoding="utf-8") as handle:  # the reasons may name patients
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.row_count = len(rows)

    def rows(self, first: int, count: int) -> list[tuple[int, bool, str]]:
        """count rows' results from the first-th (0-based)."""
        if not self.row_count:
            return []
        with self.rows_file.open(encoding="utf-8") as handle:
            return [
                tuple(json.loads(line)) for line in itertools.islice(handle, first, first + count)
            ]


# The server's threads: DOCUMENT_REQUESTS for requests that make documents, of which
# DOCUMENT_TURNS make them at once (in worker processes) while the others wait for a turn, at
# most DOCUMENT_WAIT_SECONDS; PAGE_THREADS more always answer pages, whatever a template does.
DOCUMENT_REQUESTS = 8
DOCUMENT_TURNS = 2
DOCUMENT_WAIT_SECONDS = 60
PAGE_THREADS = 4
SERVER_THREADS = DOCUMENT_REQUESTS + PAGE_THREADS

KEPT_FILE_IDS = 10_000  # links to documents stay valid for this many documents made since
KEPT_BATCHES = 50  # and the pages of this many finished batches
KEPT_RESULTS = 1_000  # and the pages of this many patients' documents made


class Desk:
    """The server's state: the workspace, where documents go, and the files and batches it has
    issued ids for. Requests never name a path; they name one of these ids."""

    def __init__(self, workspace: Workspace, output_dir: Path, token: str | None):
        self.workspace = workspace
        self.output_dir = output_dir
        self.token = token
        self._files: dict[str, Path] = {}
        self.batches: dict[str, BatchJob] = {}
        self._results: dict[str, dict] = {}  # what a request made, shown by its own page
        self._lock = threading.Lock()
        self.batch_lock = threading.Lock()
        self.uploads: set[Path] = set()  # upload folders of batches still running
        self.gettext: Callable[[str], str] = str
        self._health: tuple[tuple, tuple[CheckReport, list[LocaleStatus], list]] | None = None
        self._health_lock = threading.Lock()  # one check at a time; the others use its result
        self._document_requests = threading.BoundedSemaphore(DOCUMENT_REQUESTS)
        self._document_turns = threading.BoundedSemaphore(DOCUMENT_TURNS)
        self._stopped_work: dict[Hashable, tuple[tuple, str]] = {}  # workspace stamp, why

    @contextlib.contextmanager
    def document_turn(self, work: Hashable) -> Iterator[None]:
        """One of the DOCUMENT_TURNS turns to do work (which documents, in which language:
        not whose) that makes documents. Work stopped at its limits (a template that runs for
        ever) is not tried again until a file of the workspace changes: each try would hold a
        turn for the whole time limit."""
        busy = DeskBusyError(
            "the desk is busy making other patients' documents; nothing was made: "
            "send the form again in a minute"
        )
        if not self._document_requests.acquire(blocking=False):
            raise busy
        try:
            if not self._document_turns.acquire(timeout=DOCUMENT_WAIT_SECONDS):
                raise busy
        except BaseException:
            self._document_requests.release()
            raise
        try:
            stamp = workspace_stamp(self.workspace)
            with self._lock:
                stopped = self._stopped_work.get(work)
            if stopped is not None and stopped[0] == stamp:
                raise WorkerStoppedError(
                    f"{stopped[1]} (on an earlier try: it is tried again once a template, "
                    "workbook or catalogue changes)"
                )
            try:
                yield
            except (TemplateTimeoutError, WorkerStoppedError) as error:
                with self._lock:
                    self._stopped_work = {
                        key: found for key, found in self._stopped_work.items() if found[0] == stamp
                    }
                    self._stopped_work[work] = (stamp, str(error))
                raise
        finally:
            self._document_turns.release()
            self._document_requests.release()

    def health(self) -> tuple[CheckReport, list[LocaleStatus], list[Problem | str]]:
        """`docgen check` and the translation status, worked out again only when a file of
        the workspace changes: both read every workbook, template and catalogue."""
        with self._health_lock:
            return self._checked_health(workspace_stamp(self.workspace))

    def _checked_health(self, stamp: tuple) -> tuple[CheckReport, list[LocaleStatus], list]:
        with self._lock:
            if self._health is not None and self._health[0] == stamp:
                return self._health[1]
        try:  # check fills every template in: bounded like the documents, see made_within_limits
            report = run_limited(
                check_workspace, self.workspace, cpu_seconds=DOCUMENTS_CPU_SECONDS,
                memory_bytes=DOCUMENTS_MEMORY_BYTES,
            )  # fmt: skip
        except WorkerStoppedError as error:
            report = CheckReport(problems=[f"docgen check: {error}"])
        try:
            statuses, problems = catalogue_status(self.workspace), []
        except DocgenError as error:  # a catalogue that cannot be read or compiled
            statuses, problems = [], problems_of(error)
        with self._lock:
            self._health = (stamp, (report, statuses, problems))
        return report, statuses, problems

    def close(self) -> None:
        """Remove what is left of uploads when the server stops in the middle of a batch: the
        files hold patients' details."""
        for folder in list(self.uploads):
            shutil.rmtree(folder, ignore_errors=True)
        self.uploads.clear()

    def issue(self, path: Path, expected_sha256: str = "") -> str | None:
        """An id for a link to the file at path, which serves that file only while it is
        unchanged (moved, replaced or edited, it is not what the link was given for); None if
        there is no file there, or it is not the one expected."""
        sha256 = file_sha256(path)
        if not sha256 or (expected_sha256 and sha256 != expected_sha256):
            return None
        file_id = secrets.token_urlsafe(16)
        with self._lock:
            self._files[file_id] = (path.resolve(), sha256)
            while len(self._files) > KEPT_FILE_IDS:  # a server may run for months
                del self._files[next(iter(self._files))]
        return file_id

    def add_result(self, result: dict) -> str:
        """Keep what a request made for a page of its own (Post/Redirect/Get: Back and reload
        show it again, never make it again); its id for that page's address."""
        result_id = secrets.token_urlsafe(16)
        with self._lock:
            self._results[result_id] = result
            while len(self._results) > KEPT_RESULTS:
                del self._results[next(iter(self._results))]
        return result_id

    def result(self, result_id: str) -> dict:
        with self._lock:
            found = self._results.get(result_id)
        if found is None:
            abort(404)
        return found

    def add_batch(self, job: BatchJob) -> None:
        """Remember a batch for its page; the oldest finished ones are forgotten."""
        with self._lock:
            self.batches[job.id] = job
            finished = [key for key, batch in self.batches.items() if batch.finished]
            for key in finished[: max(0, len(finished) - KEPT_BATCHES)]:
                del self.batches[key]

    def file(self, file_id: str) -> Path:
        with self._lock:
            path, sha256 = self._files.get(file_id, (None, ""))
        if path is None or file_sha256(path) != sha256:
            abort(404)
        return path


def workspace_stamp(workspace: Workspace) -> tuple:
    """Every file of the workspace with its size and modification time: equal stamps, equal
    files."""
    folders = (workspace.templates_dir, workspace.pricing_dir, workspace.locales_dir)
    return tuple(
        (str(path), stat.st_mtime_ns, stat.st_size)
        for folder in folders
        if folder.is_dir()
        for path in sorted(folder.rglob("*"))
        if (stat := path.stat()) and path.is_file()
    )
