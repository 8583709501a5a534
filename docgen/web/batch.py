"""The batch page: an uploaded appointments file made into documents in a thread, its
progress, and its documents as one zip. Uploads hold patients' details: removed when done."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for

from docgen.appointments import RowFailure, count_appointments
from docgen.batch import run_batch
from docgen.exceptions import DocgenError, translated
from docgen.output import open_private, safe_filename_part
from docgen.pdf import libreoffice_available
from docgen.web import common
from docgen.web.common import (
    APPOINTMENTS_FILE_WORDING,
    _,
    chosen_workbook,
    problems_of,
    request_number,
    write_zip,
)
from docgen.web.state import BatchJob, Desk

log = logging.getLogger("docgen.web")

UPLOAD_SUFFIXES = (".xlsx", ".csv")


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    def _batch_page(problems: list[str]) -> str:
        return render_template(
            "batch.html",
            problems=problems,
            pdf=libreoffice_available(),
            workbooks=[path.stem for path in workspace.workbooks()],
        )

    @app.get("/batch")
    def batch_form():
        return _batch_page([])

    @app.post("/batch")
    def batch_upload():
        upload = request.files.get("appointments")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or not upload.filename:
            problems = [_("Choose the appointments file (.xlsx or .csv) to upload.")]
        elif suffix not in UPLOAD_SUFFIXES:
            problems = [
                _("The appointments file must be an Excel workbook (.xlsx) or a .csv file.")
            ]
        else:
            problems = []
        prices = chosen_workbook(workspace, request.form.get("prices", ""))
        if problems:
            return _batch_page(problems), 422
        # private (0700), named after this server's process, so that the next start removes
        # it if this server is killed before the batch ends
        folder = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-"))
        desk.uploads.add(folder)
        # the uploaded name, made one safe file name, so that messages name the file sent
        stem = safe_filename_part(Path(upload.filename).stem, fallback="appointments")
        saved = folder / f"{stem}{suffix}"
        upload.save(saved)
        saved.chmod(0o600)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        job = BatchJob(
            id=secrets.token_urlsafe(12),
            name=Path(upload.filename).name,
            output_dir=desk.output_dir / f"{BATCH_PREFIX}{stamp}-{secrets.token_hex(2)}",
        )
        desk.add_batch(job)
        pdf = request.form.get("pdf") == "yes" and libreoffice_available()
        threading.Thread(target=_run_job, args=(job, saved, prices, pdf), daemon=True).start()
        return redirect(url_for("batch_status", job_id=job.id), 303)

    def _run_job(job: BatchJob, appointments: Path, prices: str | None, pdf: bool) -> None:
        try:
            job.total = count_appointments(appointments)

            def progress(finished: int) -> None:
                job.done += finished

            with desk.batch_lock:  # one batch at a time: a batch's workers are the process's
                result = run_batch(
                    workspace, appointments, job.output_dir, prices=prices, pdf=pdf,
                    progress=progress, start_method="spawn",  # never fork a threaded server
                    document_cpu_seconds=common.DOCUMENTS_CPU_SECONDS,  # no template stops it
                )  # fmt: skip
            made = result.documents()
            by_row: dict[int, list[str]] = {}
            for document in made:
                if document.row is not None:  # not one of an earlier run's
                    by_row.setdefault(document.row, []).append(document.path)

            def reason(failure: RowFailure) -> str:
                said = (
                    translated(p, desk.gettext, APPOINTMENTS_FILE_WORDING) for p in failure.problems
                )
                return "; ".join(said)

            job.save_rows(sorted(
                [(row, True, ", ".join(paths)) for row, paths in by_row.items()]
                + [(failure.row, False, reason(failure)) for failure in result.failures]
            ))  # fmt: skip
            job.made, job.pdfs, job.failed_rows = result.made, len(result.pdfs), result.failed_rows
            files = [job.output_dir / d.path for d in made] + result.pdfs
            if result.manifest.exists():
                files.append(result.manifest)
            zip_path = job.output_dir.with_suffix(".zip")
            descriptor = open_private(zip_path, os.O_WRONLY | os.O_TRUNC)
            with open(descriptor, "wb") as handle:  # written as it goes: a batch may be large
                write_zip(handle, ((str(p.relative_to(job.output_dir)), p) for p in files))
            job.zip_id = desk.issue(zip_path)
        except DocgenError as error:
            job.problems = problems_of(error)
        except Exception as error:  # the server keeps serving; the page says it failed
            log.error("batch failed: %s", type(error).__name__)
            # no request here, so the catalogue directly
            message = "Something went wrong; some documents may not have been made."
            job.problems = [desk.gettext(message)]
        finally:
            shutil.rmtree(appointments.parent, ignore_errors=True)
            desk.uploads.discard(appointments.parent)
            job.finished = True

    @app.get("/batch/<job_id>")
    def batch_status(job_id: str):
        job = desk.batches.get(job_id)
        if job is None:
            abort(404)
        pages = max(1, -(-job.row_count // ROWS_PER_PAGE))
        page = request_number(request.args.get("page", "1"), sys.maxsize)
        if not 1 <= page <= pages:
            abort(404)
        rows = job.rows((page - 1) * ROWS_PER_PAGE, ROWS_PER_PAGE) if job.finished else []
        return render_template("batch_job.html", job=job, rows=rows, page=page, pages=pages)

    @app.get("/batch/<job_id>/progress")
    def batch_progress(job_id: str):
        """How far a batch has got, for the page's script to show in place (without script,
        the page reloads itself)."""
        job = desk.batches.get(job_id)
        if job is None:
            abort(404)
        text = desk.gettext("Making documents… %(done)s of %(total)s")
        return jsonify(
            done=job.done, total=job.total, finished=job.finished,
            text=text % {"done": job.done, "total": job.total},
        )  # fmt: skip


UPLOAD_PREFIX = "docgen-upload-"
BATCH_PREFIX = "batch-"  # a batch's folder in the desk's output folder
ROWS_PER_PAGE = 500  # of a batch's result: a 100,000-row batch made a 22 MB page
