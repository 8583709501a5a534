"""The records page: the register searched by patient name or reference, each document with its
history (what it replaced, what replaced it, its signed copy) and its file; and a scan of signed
forms filed back to their records, as `docgen file` files it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import Flask, redirect, render_template, request, url_for

from docgen.exceptions import DocgenError
from docgen.filing import IMAGE_SUFFIXES, file_scan
from docgen.register import Record, find_records
from docgen.web.common import _, problems_of
from docgen.web.state import Desk

LONGEST_SEARCH = 200  # characters: a name or a reference is far shorter
MOST_SHOWN = 500  # documents on one page of results
SCAN_PREFIX = "docgen-scan-upload-"


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    def _links(record: Record) -> dict:
        """The record, with ids for its file and signed copy where they are still there, as
        the register has them: a file put in their place (a copy of another patient's, one
        edited) is never given under this record."""
        signed = Path(record.signed_copy) if record.signed_copy else None
        return {
            "record": record,
            "docx": desk.issue(Path(record.path), expected_sha256=record.sha256),
            "signed": signed and desk.issue(signed, expected_sha256=record.signed_sha256),
            "docx_there": Path(record.path).is_file(),
        }

    def _page(search: str = "", problems=(), filed: dict | None = None, status: int = 200):
        found = []
        if search:
            by_name = find_records(workspace, patient=search)
            by_reference = find_records(workspace, reference=search)
            unique = {record.id: record for record in [*by_name, *by_reference]}
            found = sorted(unique.values(), key=lambda r: (r.patient, r.written_at, r.id))
        return render_template(
            "records.html",
            search=search,
            documents=[_links(record) for record in found[:MOST_SHOWN]],
            more=max(0, len(found) - MOST_SHOWN),
            problems=list(problems),
            filed=filed,
            scan_types=", ".join((".pdf", *IMAGE_SUFFIXES)),
        ), status

    @app.get("/records")
    def records():
        search = request.args.get("search", "").strip()
        if len(search) > LONGEST_SEARCH:
            return _page(problems=[_("This is far too long (%(length)s characters).",
                                     length=len(search))], status=422)  # fmt: skip
        return _page(search)

    @app.post("/records/file")
    def file_signed_scan():
        upload = request.files.get("scan")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or not upload.filename or suffix not in (".pdf", *IMAGE_SUFFIXES):
            message = _("Choose the scan of the signed forms: a PDF or an image.")
            return _page(problems=[message], status=422)
        folder = Path(tempfile.mkdtemp(prefix=SCAN_PREFIX))  # private (0700); removed below
        try:
            scan = folder / f"scan{suffix}"
            upload.save(scan)
            with desk.document_turn(("file_scan", scan.name)):  # drawn page by page: bounded
                result = file_scan(workspace, scan)
        except DocgenError as error:
            return _page(problems=problems_of(error), status=422)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        filed_id = desk.add_result({
            "filed": sorted(result.filed), "problems": result.problems,
            "name": Path(upload.filename).name,
        })  # fmt: skip
        return redirect(url_for("scan_filed", result_id=filed_id), 303)

    @app.get("/records/filed/<result_id>")
    def scan_filed(result_id: str):
        """What a scan filed: Back and reload show it again, and never file it again."""
        return _page(filed=desk.result(result_id))
