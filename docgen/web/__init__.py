"""`docgen serve`: the desk page, a thin Flask layer over the same functions the CLI calls.

Pages: patient documents (home), price sheets, batch, workspace health. Nothing here plans,
prices, formats or translates: it reads a form, calls the library, and shows what came back —
a problem next to the input it is about, documents by an id the server issued."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import logging
import os
import secrets
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from babel import Locale
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, SecurityError

from docgen import __version__
from docgen.batch import BatchResult, RowFailure, count_appointments, run_batch
from docgen.catalogues import LocaleStatus, catalogue_status
from docgen.check import CheckReport, check_workspace
from docgen.estimate import parse_sessions
from docgen.exceptions import (
    DocgenError,
    FieldProblem,
    LocaleError,
    Problem,
    ProblemsError,
    translated,
)
from docgen.generate import (
    DOCUMENT_KINDS,
    GeneratedDocument,
    check_patient_documents,
    create_patient_documents,
    create_price_sheets,
    document_locales,
    estimate_preview,
    load_workspace_prices,
)
from docgen.i18n import language_label, load_translations, parse_locale
from docgen.limits import MAX_APPOINTMENTS_BYTES
from docgen.output import safe_filename_part
from docgen.pdf import libreoffice_available
from docgen.pricing import PriceList, read_clinic_locale
from docgen.workspace import Workspace

LONGEST_FIELD = 1000  # characters in a field of the patient form; the library's are tighter
FIELDS = ("patient", "dob", "ref", "locale", "treatment", "area", "sessions", "practitioner",
          "interpreter")  # fmt: skip
UPLOAD_SUFFIXES = (".xlsx", ".csv")
TOKEN_COOKIE = "docgen_token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("docgen.web")


@dataclass
class BatchJob:
    """One uploaded appointments file being made into documents, in a thread of its own."""

    id: str
    name: str
    output_dir: Path
    total: int = 0
    done: int = 0
    finished: bool = False
    result: BatchResult | None = None
    problems: list[Problem | str] = field(default_factory=list)
    zip_id: str | None = None
    rows: list[tuple[int, bool, str]] = field(default_factory=list)  # (row, made, what or why)


KEPT_FILE_IDS = 10_000  # links to documents stay valid for this many documents made since
KEPT_BATCHES = 50  # and the pages of this many finished batches


class Desk:
    """The server's state: the workspace, where documents go, and the files and batches it has
    issued ids for. Requests never name a path; they name one of these ids."""

    def __init__(self, workspace: Workspace, output_dir: Path, token: str | None):
        self.workspace = workspace
        self.output_dir = output_dir
        self.token = token
        self._files: dict[str, Path] = {}
        self.batches: dict[str, BatchJob] = {}
        self._lock = threading.Lock()
        self.batch_lock = threading.Lock()
        self.uploads: set[Path] = set()  # upload folders of batches still running
        self.gettext: Callable[[str], str] = str
        self._health: tuple[tuple, tuple[CheckReport, list[LocaleStatus], list]] | None = None

    def health(self) -> tuple[CheckReport, list[LocaleStatus], list[Problem | str]]:
        """`docgen check` and the translation status, worked out again only when a file of
        the workspace changes: both read every workbook, template and catalogue."""
        stamp = workspace_stamp(self.workspace)
        with self._lock:
            if self._health is not None and self._health[0] == stamp:
                return self._health[1]
        report = check_workspace(self.workspace)
        try:
            statuses, problems = catalogue_status(self.workspace), []
        except DocgenError as error:  # a catalogue that cannot be read or compiled
            statuses, problems = [], _problems(error)
        with self._lock:
            self._health = (stamp, (report, statuses, problems))
        return report, statuses, problems

    def close(self) -> None:
        """Remove what is left of uploads when the server stops in the middle of a batch: the
        files hold patients' details."""
        for folder in list(self.uploads):
            shutil.rmtree(folder, ignore_errors=True)
        self.uploads.clear()

    def issue(self, path: Path) -> str:
        file_id = secrets.token_urlsafe(16)
        with self._lock:
            self._files[file_id] = path.resolve()
            while len(self._files) > KEPT_FILE_IDS:  # a server may run for months
                del self._files[next(iter(self._files))]
        return file_id

    def add_batch(self, job: BatchJob) -> None:
        """Remember a batch for its page; the oldest finished ones are forgotten."""
        with self._lock:
            self.batches[job.id] = job
            finished = [key for key, batch in self.batches.items() if batch.finished]
            for key in finished[: max(0, len(finished) - KEPT_BATCHES)]:
                del self.batches[key]

    def file(self, file_id: str) -> Path:
        with self._lock:
            path = self._files.get(file_id)
        if path is None or not path.is_file():
            abort(404)
        return path


def create_app(
    workspace: Workspace | None = None,
    output_dir: str | Path = ".",
    *,
    token: str | None = None,
) -> Flask:
    """The desk web application. output_dir: where documents are written, as the CLI writes
    them there. token: when set, every request must carry it (serving beyond this computer)."""
    workspace = workspace or Workspace.open()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=MAX_APPOINTMENTS_BYTES + 1_000_000,
        WTF_CSRF_TIME_LIMIT=None,  # a form may stay open all day at the desk
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    remove_orphaned_uploads()
    # Absolute: Flask would look for a relative path to send inside the installed package.
    desk = Desk(workspace, Path(output_dir).resolve(), token)
    app.extensions["docgen"] = desk
    desk.gettext = _install_page_language(app, workspace)
    _register_routes(app, desk)
    # after the routes' own checks: a request without the access token is told it needs the
    # link (403), not that its form is stale (400)
    CSRFProtect(app)
    return app


def _clinic_locale(workspace: Workspace) -> Locale:
    """The locale of the clinic's (first) workbook. When the workbook has wrong cells, the
    health page lists them in the language its Clinic sheet names, if that can be read."""
    workbooks = workspace.workbooks()
    if not workbooks:
        return Locale("en")
    try:
        code = load_workspace_prices(workspace, workbooks[0].stem).clinic.locale
    except DocgenError:
        code = read_clinic_locale(workbooks[0]) or "en"
    try:
        return parse_locale(code)
    except DocgenError:
        return Locale("en")


def _install_page_language(app: Flask, workspace: Workspace) -> Callable[[str], str]:
    """The page's own words, in the clinic's language, from the same catalogues as documents."""
    clinic_locale = _clinic_locale(workspace)
    translations = load_translations(workspace.locales_dir, clinic_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        translations.gettext, translations.ngettext, newstyle=True
    )
    app.jinja_env.globals.update(
        page_language=str(clinic_locale).replace("_", "-"),
        page_direction="rtl" if clinic_locale.character_order == "right-to-left" else "ltr",
        version=__version__,
    )
    return translations.gettext


def _register_routes(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    @app.before_request
    def require_token():
        if desk.token is None or request.endpoint == "static":
            return None
        given = request.args.get("token")
        if given is not None and _same(given, desk.token):
            response = redirect(request.path)
            response.set_cookie(TOKEN_COOKIE, desk.token, httponly=True, samesite="Strict")
            return response
        if _same(request.cookies.get(TOKEN_COOKIE, ""), desk.token):
            return None
        return _error_page(403, _("This page needs the access link printed when docgen started."))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page(
            400,
            _(
                "This form was not sent by this page (or the page had been open since docgen "
                "restarted). Nothing was made. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(413)
    def too_large(error):
        limit = MAX_APPOINTMENTS_BYTES // 1_000_000
        message = _("The file is too large: at most %(limit)s MB. Nothing was made.", limit=limit)
        return _error_page(413, message)

    @app.before_request
    def only_this_computer():
        # On this computer only: answer only to its own names, so that a web page whose name
        # was made to point at 127.0.0.1 (DNS rebinding) cannot read or use the desk. (Flask's
        # TRUSTED_HOSTS cannot name [::1], and the server may listen on 127.0.0.2.)
        if desk.token is None and not is_loopback(urlsplit(f"//{request.host}").hostname or ""):
            raise SecurityError("not this computer's address")

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # no URLs can be built for a host this server does not answer to: plain text only
        message = "docgen answers only at this computer's own address, such as 127.0.0.1."
        return Response(message, 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _error_page(error.code or 500, error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # only the kind of error: its message may hold a patient's name or date of birth
        log.error("request to %s failed: %s", request.endpoint, type(error).__name__)
        return _error_page(
            500,
            _(
                "Something went wrong and nothing was made. The server is still running: go "
                "back and try again."
            ),
        )

    # --- patient documents --------------------------------------------------------------------

    def _values(source) -> dict:
        values = _form_values(source)
        values["prices"] = _workbook(values["prices"])
        return values

    def _overlong(source) -> dict[str, list[str]]:
        """An error for each field far longer than anything typed there, found before anything
        reads it: a name, a code or a reference pasted a hundred thousand times over."""
        return {
            name: [_("This is far too long (%(length)s characters).", length=len(value))]
            for name in (*FIELDS, "prices")
            for value in source.getlist(name)
            if len(value) > LONGEST_FIELD
        }

    @app.get("/")
    def home():
        if _overlong(request.args):
            abort(400)
        return _patient_page(_values(request.args), {})

    @app.post("/")
    def make_documents():
        overlong = _overlong(request.form)
        if overlong:  # nothing of it is read, nor shown again
            return _patient_page(_values(MultiDict()), overlong), 422
        values = _values(request.form)
        action = request.form.get("action", "")
        if action not in ("preview", "refresh", *_KINDS_BY_ACTION):
            abort(400)
        if action == "refresh":  # treatment or price list changed with script off
            return _patient_page({**values, "sessions": ""}, {})  # its usual course again
        errors, sessions = _sessions(values)
        if action == "preview":
            preview, preview_errors = _preview(values, sessions)
            return _patient_page(values, {**preview_errors, **errors}, preview=preview)
        if not values["area"]:
            errors["area"] = [_("Choose at least one body area.")]
        plan = (workspace, values["patient"], values["treatment"], values["area"])
        checked = dict(
            kinds=_KINDS_BY_ACTION[action], date_of_birth=values["dob"], sessions=sessions,
            allow_minor=values["allow_minor"], locale=values["locale"] or None,
            prices=values["prices"],
        )  # fmt: skip
        if errors:  # the library's findings too, so that every problem shows at once
            try:
                check_patient_documents(*plan, **checked)
            except DocgenError as error:
                errors = {**_errors_by_field(error), **errors}
            return _patient_page(values, errors), 422
        pdf = libreoffice_available()
        try:
            documents = create_patient_documents(
                *plan, **checked, reference=values["ref"], practitioner=values["practitioner"],
                interpreter=values["interpreter"], bilingual=values["bilingual"],
                output=f"{desk.output_dir}/", pdf=pdf,
            )  # fmt: skip
        except DocgenError as error:
            return _patient_page(values, _errors_by_field(error)), 422
        return render_template(
            "result.html",
            documents=[_document_links(desk, document) for document in documents],
            pdf=pdf,
            output_dir=desk.output_dir.resolve(),
        )

    @app.get("/preview")
    def preview_json():
        overlong = _overlong(request.args)
        if overlong:
            return jsonify(errors=overlong), 422
        values = _values(request.args)
        errors, sessions = _sessions(values)
        preview, preview_errors = _preview(values, sessions)
        errors = {**preview_errors, **errors}
        if errors:
            return jsonify(errors=errors), 422
        return jsonify(preview)

    def _preview(values: dict, sessions: int | None) -> tuple[dict | None, dict]:
        if not values["area"]:
            return None, {"area": [_("Choose at least one body area.")]}
        try:
            preview = estimate_preview(
                workspace, values["treatment"], values["area"], sessions=sessions,
                locale=values["locale"] or None, prices=values["prices"],
            )  # fmt: skip
        except DocgenError as error:
            return None, _errors_by_field(error)
        return {
            "lines": preview["lines"],
            "total": preview["estimate"]["to_pay"],  # with its cash rounding, as the patient pays
            "totals": preview["totals"],
            "deposit": preview["estimate"]["deposit"],
            "vat_note": preview["estimate"]["vat_note"],
            "notices": preview["notices"],
        }, {}

    def _patient_page(values: dict, errors: dict, preview: dict | None = None):
        try:
            price_list = load_workspace_prices(workspace, values["prices"])
        except DocgenError as error:
            return render_template("unavailable.html", problems=_problems(error)), 503
        treatments = _treatment_choices(price_list, desk.gettext)
        chosen = values["treatment"] or next(iter(treatments), "")
        if not values["locale"]:
            values["locale"] = str(parse_locale(price_list.clinic.locale))
        return render_template(
            "patient.html",
            values={**values, "treatment": chosen},
            errors=errors,
            general_errors=errors.get("", []),
            treatments=treatments,
            chosen=treatments.get(chosen),
            languages=_languages(price_list),
            workbooks=[path.stem for path in workspace.workbooks()],
            preview=preview,
            pdf=libreoffice_available(),
        )

    def _languages(price_list: PriceList) -> list[tuple[str, str]]:
        return [(code, language_label(code)) for code in document_locales(workspace, price_list)]

    def _workbook(name: str) -> str | None:
        """The price list a request names: one of the workspace's workbooks (never a path),
        or the first when it names none."""
        workbooks = [path.stem for path in workspace.workbooks()]
        if not name:
            return workbooks[0] if workbooks else None
        if name not in workbooks:
            abort(400)
        return name

    @app.get("/files/<file_id>")
    def download(file_id: str):
        path = desk.file(file_id)
        return send_file(
            path,
            as_attachment=path.suffix != ".pdf",
            download_name=path.name,
            max_age=0,
        )

    # --- price sheets -------------------------------------------------------------------------

    @app.route("/price-sheets", methods=["GET", "POST"])
    def price_sheets():
        workbooks = [path.stem for path in workspace.workbooks()]
        chosen_workbook = _workbook(request.form.get("prices", "")) or ""
        chosen_locales = request.form.getlist("locale")
        problems: list[Problem | str] = []
        languages: list[tuple[str, str]] = []
        try:
            price_list = load_workspace_prices(workspace, chosen_workbook or None)
            languages = _languages(price_list)
        except DocgenError as error:
            problems = _problems(error)
        if request.method == "POST" and not problems:
            if not chosen_locales:
                problems = [_("Choose at least one language.")]
            else:
                try:
                    return _price_sheets_zip(chosen_workbook, chosen_locales)
                except DocgenError as error:
                    problems = _problems(error)
        return render_template(
            "price_sheets.html",
            workbooks=workbooks,
            chosen_workbook=chosen_workbook,
            languages=languages,
            chosen_locales=chosen_locales or [code for code, _name in languages],
            problems=problems,
            pdf=libreoffice_available(),
        ), (422 if problems and request.method == "POST" else 200)

    def _price_sheets_zip(workbook: str, locales: list[str]):
        with tempfile.TemporaryDirectory(prefix="docgen-sheets-") as folder:
            documents = create_price_sheets(
                workspace, folder, prices=workbook, locales=locales, pdf=libreoffice_available()
            )
            files = [p for d in documents for p in (d.docx, d.pdf) if p]
            data = io.BytesIO()  # a few sheets: small enough to hold
            _write_zip(data, ((path.name, path) for path in files))
            data.seek(0)
        name = f"price-sheets-{workbook}-{dt.date.today():%Y-%m-%d}.zip"
        return send_file(data, as_attachment=True, download_name=name, mimetype="application/zip")

    # --- batch --------------------------------------------------------------------------------

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
        prices = _workbook(request.form.get("prices", ""))
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
            output_dir=desk.output_dir / f"batch-{stamp}-{secrets.token_hex(2)}",
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
                job.result = run_batch(
                    workspace, appointments, job.output_dir, prices=prices, pdf=pdf,
                    progress=progress, start_method="spawn",  # never fork a threaded server
                )  # fmt: skip
            made = job.result.documents()
            by_row: dict[int, list[str]] = {}
            for document in made:
                by_row.setdefault(document.row, []).append(document.path)

            def reason(failure: RowFailure) -> str:
                return "; ".join(translated(p, desk.gettext) for p in failure.problems)

            job.rows = sorted(
                [(row, True, ", ".join(paths)) for row, paths in by_row.items()]
                + [(failure.row, False, reason(failure)) for failure in job.result.failures]
            )
            files = [job.output_dir / d.path for d in made] + job.result.pdfs
            if job.result.manifest.exists():
                files.append(job.result.manifest)
            zip_path = job.output_dir.with_suffix(".zip")
            with zip_path.open("wb") as handle:  # written as it goes: a batch may be large
                zip_path.chmod(0o600)
                _write_zip(handle, ((str(p.relative_to(job.output_dir)), p) for p in files))
            job.zip_id = desk.issue(zip_path)
        except DocgenError as error:
            job.problems = _problems(error)
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
        return render_template("batch_job.html", job=job)

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

    # --- workspace health ---------------------------------------------------------------------

    @app.get("/health")
    def health():
        report, statuses, translation_problems = desk.health()
        rows = [_problem_row(problem, desk.gettext) for problem in report.problems]
        return render_template(
            "health.html",
            report=report,
            rows=rows,
            statuses=[(language_label(status.locale), status) for status in statuses],
            translation_problems=translation_problems,
            pdf=libreoffice_available(),
            workspace=workspace.root,
        )


_KINDS_BY_ACTION = {
    "consent": ("consent",),
    "estimate": ("estimate",),
    "both": DOCUMENT_KINDS,
}


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


def _form_values(source) -> dict:
    values: dict = {name: source.get(name, "").strip() for name in FIELDS if name != "area"}
    values["prices"] = source.get("prices", "").strip()
    values["area"] = [a.strip() for a in source.getlist("area") if a.strip()]
    values["allow_minor"] = source.get("allow_minor") == "yes"
    values["bilingual"] = source.get("bilingual") == "yes"
    return values


def _sessions(values: dict) -> tuple[dict, int | None]:
    text = values["sessions"]
    if not text:
        return {}, None
    sessions = parse_sessions(text)
    if sessions is None:
        return {"sessions": [_("Sessions must be a whole number, such as 4.")]}, None
    return {}, sessions


def _errors_by_field(error: DocgenError) -> dict[str, list[str]]:
    """Each problem under the input it is about ('' for the form as a whole)."""
    if isinstance(error, LocaleError):
        return {"locale": [str(error)]}
    problems = error.problems if isinstance(error, ProblemsError) else (str(error),)
    errors: dict[str, list[str]] = {}
    gettext = current_app.extensions["docgen"].gettext
    for problem in problems:
        if isinstance(problem, FieldProblem):
            errors.setdefault(problem.field, []).append(problem.translated(gettext))
        else:
            errors.setdefault("", []).append(str(problem))
    return errors


def _problems(error: DocgenError) -> list[Problem | str]:
    return list(error.problems) if isinstance(error, ProblemsError) else [str(error)]


def _problem_row(problem: Problem | str, gettext: Callable[[str], str]) -> dict:
    if isinstance(problem, Problem):
        expected = problem.expected or ("" if problem.found else problem.message)
        return {
            "file": problem.file,
            "sheet": problem.sheet or "",
            "cell": problem.cell or "",
            "found": problem.found or "",
            "expected": translated(expected, gettext),
        }
    file, _, message = str(problem).partition(": ")
    return {"file": file, "sheet": "", "cell": "", "found": "", "expected": message or file}


def _treatment_choices(price_list: PriceList, gettext: Callable[[str], str]) -> dict[str, dict]:
    """Each treatment with its priced areas and session range, named in the page's language."""
    return {
        code: {
            "code": code,
            "name": gettext(treatment.name),
            "min": treatment.sessions_min,
            "max": treatment.sessions_max,
            "usual": price_list.usual_sessions(code),
            "areas": [
                {"code": area.code, "name": gettext(area.name)}
                for area in price_list.areas_priced_for(code)
            ],
        }
        for code, treatment in price_list.treatments.items()
    }


def _document_links(desk: Desk, document: GeneratedDocument) -> dict:
    kind = "consent" if document.document_id.startswith("C-") else "estimate"
    return {
        "kind": kind,
        "name": document.docx.stem,
        "id": document.document_id,
        "docx": desk.issue(document.docx),
        "pdf": desk.issue(document.pdf) if document.pdf else None,
    }


def _write_zip(target: BinaryIO, members: Iterable[tuple[str, Path]]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in members:
            archive.write(path, name)


def _(message: str, **values: object) -> str:
    """The page's own words in the clinic's language (extracted into the catalogues)."""
    text = current_app.extensions["docgen"].gettext(message)
    return text % values if values else text


UPLOAD_PREFIX = "docgen-upload-"


def remove_orphaned_uploads() -> None:
    """Remove the uploaded appointments a killed server left in the temporary folder (they
    hold patients' details): those of servers no longer running."""
    for folder in Path(tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*"):
        owner = folder.name.removeprefix(UPLOAD_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this computer's own: localhost or a loopback address
    (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same(given: str, token: str) -> bool:
    return secrets.compare_digest(given.encode(), token.encode())


def _error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status
