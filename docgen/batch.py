"""`docgen batch`: tomorrow's appointments from a spreadsheet, every document at once.

Rows are read by docgen.appointments; the rows of one patient form one visit. A bad row is
reported with its number and reason and does not stop the other visits. Good visits are
rendered by `jobs` worker processes, each preparing the templates once. Documents go to
OUTPUT/<reference or date of birth>-<patient>/, and docgen.manifest records what each was made
from, so that running the same batch again skips every document that is present and unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import socket
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from babel import Locale

from docgen import __version__
from docgen.appointments import (
    Appointment,
    PatientIdentity,
    RowFailure,
    column_letters,
    iter_appointments,
    located,
    patient_identity,
    visit_folders,
)
from docgen.catalogues import untranslated_error
from docgen.consent import ConsentPlan, plan_consent
from docgen.documents import TREATMENT_DOCUMENTS, DocumentInfo, estimate_context
from docgen.estimate import new_document_id, plan_estimate
from docgen.exceptions import (
    BatchError,
    DocgenError,
    DuplicateIdError,
    FieldProblem,
    Message,
    OutputError,
    Problem,
    RegisterError,
)
from docgen.generate import formatter_for, reproducible_seed, when_issued
from docgen.i18n import N_, Formatter
from docgen.manifest import PARTIAL_MANIFEST, BatchDocument, Manifest, read_manifest
from docgen.output import (
    TEMPORARY_PREFIX,
    make_private_folder,
    open_private,
    pdf_beside,
    refuse_links,
    safe_filename_part,
    superseded_path,
    write_atomically,
)
from docgen.pdf import PROFILE_PREFIX, STAGING_PREFIX, convert_to_pdf, find_soffice
from docgen.pricing import PriceList, load_price_list
from docgen.processes import die_with_parent, limit_processor_time, remove_orphaned_work
from docgen.register import Patient, Record, Register, file_sha256, record_of
from docgen.render import PRICE_LIST, DocumentTemplate, document_properties, same_print
from docgen.verify import MANIFEST, replaced_at, verify_content
from docgen.workspace import Workspace

try:
    import fcntl
except ImportError:  # Windows: no flock, and one batch at a time per folder is the admin's care
    fcntl = None

CHUNK = 25  # appointments per task
BATCH_LOCK = ".docgen-batch.lock"  # held by the batch writing to an output folder


@dataclass
class BatchResult:
    output_dir: Path
    made: int = 0
    skipped: int = 0  # present and unchanged since the last run
    failures: list[RowFailure] = field(default_factory=list)
    # present, made from inputs that changed since, and printing differently now: kept until
    # --force makes them again
    out_of_date: list[RowFailure] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    to_convert: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failed_rows(self) -> int:
        return len({failure.row for failure in self.failures})

    @property
    def manifest(self) -> Path:
        return self.output_dir / MANIFEST

    def documents(self) -> list[BatchDocument]:
        return read_manifest(self.output_dir)


# --- reading ------------------------------------------------------------------------------------


# --- one worker's state ----------------------------------------------------------------------


class _Renderer:
    """What one process needs to make documents: the price list, prepared templates and the
    formatting of each locale, each loaded once."""

    def __init__(
        self, workspace: Workspace, price_list: PriceList, issued: dt.date | None, output_dir: Path
    ):
        self.workspace = workspace
        self.price_list = price_list
        self.issued, self.generated, self.reproducible = when_issued(issued)
        self.output_dir = output_dir
        self._templates: dict[str, DocumentTemplate] = {}
        self.catalogues = catalogues_checksum(workspace)
        self._formatters: dict[str, Formatter] = {}
        self.register = Register.of(workspace)

    def template(self, kind: str) -> DocumentTemplate:
        """The prepared template for a kind of document, read and prepared on first use."""
        if kind not in self._templates:
            template = DocumentTemplate(self.workspace.template(f"{kind}.docx"))
            template.prepare()
            self._templates[kind] = template
        return self._templates[kind]

    def formatter(self, locale: str) -> Formatter:
        if locale not in self._formatters:
            self._formatters[locale] = formatter_for(
                self.workspace, self.price_list, locale or None
            )
        return self._formatters[locale]

    def seed(self, appointment: Appointment, remakes: str = "") -> str | None:
        """Ids derived from the row (not its number), for reproducible documents; and from
        the ids of the documents they are made again in place of (remakes), which are never
        given again."""
        fields = _row_free(appointment)
        inputs = (fields, self.price_list.checksum, *([remakes] if remakes else []))
        return reproducible_seed(self.reproducible, *inputs)

    def plan(
        self, appointment: Appointment, issued: Issued | None = None, remakes: str = ""
    ) -> ConsentPlan:
        return plan_consent(
            self.price_list,
            appointment.visit,
            issued=issued.date if issued else self.issued,
            number=(issued and issued.visit)
            or self._estimate_number(self.seed(appointment, remakes)),
            translated_names=self.formatter(appointment.locale).translations.translation_of,
        )

    def _estimate_number(self, seed: str | None) -> str:
        return new_document_id(self.issued, "Q", seed)

    def visit_seed(self, rows: VisitRows, remakes: str = "") -> str | None:
        """The visit's estimate number, from all of its rows."""
        if len(rows) == 1:
            return self.seed(rows[0], remakes)
        fields = [_row_free(row) for row in rows]
        inputs = (fields, self.price_list.checksum, *([remakes] if remakes else []))
        return reproducible_seed(self.reproducible, *inputs)

    def plan_visit(
        self, rows: VisitRows, issued: Issued | None = None, remakes: str = ""
    ) -> dict[int, ConsentPlan]:
        """Each row's plan. The rows of one patient share one estimate, numbered from all of
        them; a row that cannot be planned refuses the whole visit (_VisitRefused).
        issued: the visit as it was issued before (its estimate's number and date)."""
        if len(rows) == 1 and not (rows[0].discount or rows[0].consultation):
            return {rows[0].row: self.plan(rows[0], issued, remakes)}  # its own estimate
        failures, plans = [], {}
        for appointment in rows:
            try:
                plans[appointment.row] = self.plan(appointment, issued, remakes)
            except DocgenError as error:
                failures.append(RowFailure(appointment.row, _problems(error)))
        first_of: dict[str, int] = {}
        for appointment in rows:
            code = appointment.treatment.strip().upper()
            if code in first_of:
                message = N_(
                    "%(code)s is already in this patient's visit (row %(row)s): give all of its "
                    "areas in one row"
                )
                problem = FieldProblem("treatment", message, code=code, row=first_of[code])
                failures.append(RowFailure(appointment.row, (problem,)))
            first_of.setdefault(code, appointment.row)
        if len({appointment.locale for appointment in rows}) > 1:
            message = N_(
                "the rows of one patient's visit are written in one language: give them all "
                "the same Locale"
            )
            failures.append(RowFailure(rows[-1].row, (FieldProblem("locale", message),)))
        if len({appointment.dob for appointment in rows}) > 1:
            message = N_(
                "this row gives the patient of row %(row)s another date of birth: one of "
                "them is wrong, or these are two patients with the same reference"
            )
            problem = FieldProblem("dob", message, row=rows[0].row)
            failures.extend(
                RowFailure(row.row, (problem,)) for row in rows if row.dob != rows[0].dob
            )
        discounts = {appointment.discount for appointment in rows if appointment.discount}
        if len(discounts) > 1:
            message = N_(
                "the rows of one patient's visit give different discounts: give the visit's "
                "discount on one of its rows, or the same on each"
            )
            problem = FieldProblem("discount", message)
            failures.extend(RowFailure(row.row, (problem,)) for row in rows if row.discount)
        if failures:
            raise _VisitRefused(rows, failures)
        items = [item for row in rows for item in row.visit.items]
        try:
            estimate = plan_estimate(
                self.price_list, items, issued=issued.date if issued else self.issued,
                number=(issued and issued.visit)
                or self._estimate_number(self.visit_seed(rows, remakes)),
                translated_names=self.formatter(rows[0].locale).translations.translation_of,
                discount=next(iter(discounts), None),
                consultation=any(appointment.consultation for appointment in rows),
            )  # fmt: skip
        except DocgenError as error:
            raise _VisitRefused(rows, [RowFailure(rows[0].row, _problems(error))]) from None
        return {row: replace(plan, estimate=estimate) for row, plan in plans.items()}

    def inputs_checksum(self, appointment: Appointment, kind: str, rows: VisitRows = ()) -> str:
        """What a document is made from: its row, and a visit's other rows (its estimate)."""
        fields = {**_row_free(appointment), "document": kind}
        if len(rows) > 1:
            fields["visit"] = [_row_free(row) for row in rows]
        fields["template"] = self.template(kind).checksum
        fields["price_list"] = self.price_list.checksum
        fields["catalogues"] = self.catalogues
        fields["docgen"] = __version__
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def render(
        self, appointment: Appointment, kind: str, plan, fmt: Formatter, inputs: str,
        cite_estimate: bool, issued: Issued | None = None, replaces: str = "",
    ) -> bytes:  # fmt: skip
        """The document's bytes: a new one, or with issued, the one issued before as it would
        print now (its number, date and printed price list), to compare with it."""
        template = self.template(kind)
        fmt.missing.clear()
        date, generated = (issued.date, None) if issued else (self.issued, self.generated)
        printed = dict(price_list=issued.price_list if issued else "", replaces=replaces)
        if kind in TREATMENT_DOCUMENTS:
            made = TREATMENT_DOCUMENTS[kind]
            visit = plan.estimate.number if cite_estimate else ""
            # derived from all it prints: the same row citing another estimate is another form
            seed = self.seed(appointment, replaces)
            document_id = (
                issued.document_id
                if issued
                else new_document_id(self.issued, made.id_prefix, seed and seed + visit)
            )
            info = DocumentInfo(document_id, template.version, date, generated, visit, **printed)
            reads = appointment.patient_language
            context = made.context(
                plan, fmt, info=info, patient_language=Locale.parse(reads) if reads else None,
                cite_estimate=cite_estimate,
            )  # fmt: skip
        else:
            estimate = plan.estimate
            info = DocumentInfo(
                estimate.number, template.version, date, generated, estimate.number, **printed
            )
            context = estimate_context(
                estimate, fmt, patient=appointment.patient, info=info, minor=plan.minor
            )
        data = template.render(
            context,
            info.properties(self.price_list, fmt, inputs),
            fmt.translations,
            right_to_left=fmt.right_to_left,
        )
        if fmt.missing:
            raise untranslated_error(self.workspace, fmt.locale, fmt.missing)
        return data


VisitRows = tuple[Appointment, ...]  # the rows of one patient, in row order


@dataclass(frozen=True)
class _Kept:
    """A document already there but not made from this run's inputs: edited since docgen
    made it, or made from others (reason: what), which may or may not print differently."""

    recorded: BatchDocument | None
    reason: str
    edited: bool = False

    def current(self, job: DocumentJob) -> BatchDocument:
        """Its record, for a document that prints as it would be made now: it stays, current
        for these inputs."""
        assert self.recorded is not None
        return replace(self.recorded, inputs_sha256=job.inputs)


@dataclass(frozen=True)
class Issued:
    """A document as docgen issued it, from the properties it carries: what it must be made
    with again to tell whether it would print the same now."""

    document_id: str
    visit: str  # its visit's estimate number
    date: dt.date
    price_list: str  # the price list and version it printed

    @classmethod
    def read(cls, path: Path) -> Issued:
        properties = document_properties(path)  # unchanged since made: present() checked
        return cls(
            document_id=properties.get("docgen.document-id", ""),
            visit=properties.get("docgen.visit", ""),
            date=dt.date.fromisoformat(properties.get("docgen.generated", "")[:10]),
            price_list=properties.get(PRICE_LIST, ""),
        )


class _VisitRefused(Exception):
    """A visit with a row that cannot be made: it is refused whole, each row saying why."""

    def __init__(self, rows: VisitRows, failures: list[RowFailure]):
        super().__init__()
        self.failures = _refused_visit(rows, failures)


def _refused_visit(rows: Sequence[Appointment], failures: list[RowFailure]) -> list[RowFailure]:
    """The failures of a visit's bad rows, and for each of its other rows, that it was not
    made because of them."""
    bad = sorted({failure.row for failure in failures})
    message = N_("not made: this patient's visit has a row that cannot be made (row %(rows)s)")
    shown = ", ".join(map(str, bad))
    others = [
        RowFailure(row.row, (Message(message, rows=shown),)) for row in rows if row.row not in bad
    ]
    return sorted(failures + others, key=lambda failure: failure.row)


def _rows_in(chunk: list[Job]) -> int:
    return sum(len(job.rows) for job in chunk)


def _file_part(appointment: Appointment) -> str:
    """A visit's consent form is named after its treatment: consent-REJUV.docx."""
    code = appointment.treatment.strip().upper()
    return safe_filename_part(code, fallback=f"row{appointment.row:04d}")


def _problems(error: DocgenError) -> tuple[str, ...]:
    return tuple(map(_message, getattr(error, "problems", None) or (str(error),)))


def _row_free(appointment: Appointment) -> dict:
    """The appointment's fields without its row number, which may change between runs.
    (dataclasses.asdict gives the same, but copies every value deeply, for every document.)
    A row without a discount or consultation has the fields it had before them: what was made
    from it then is not made again."""
    fields = {**vars(appointment), "row": None, "discount": str(appointment.discount)}
    if appointment.discount is None:
        del fields["discount"]
    if not appointment.consultation:
        del fields["consultation"]
    return fields


def _folder_owners(
    documents: Iterable[BatchDocument], output_dir: Path, register: Register
) -> dict[str, PatientIdentity | None]:
    """Each patient folder in the output folder or its manifest, and whose it is: the one
    patient its manifest rows and the register's documents there are for. None where neither
    can tell (a manifest without the patients' columns and no register rows), or where they
    name more than one patient (a manifest edited, or sorted in a spreadsheet): no one else's
    folder is ever given to a patient."""
    claimed: dict[str, set[PatientIdentity | None]] = {}
    for document in documents:
        claimed.setdefault(document.visit or document.path.split("/")[0], set()).add(
            document.identity
        )
    for folder in output_dir.iterdir():
        if _real_folder(folder):
            claimed.setdefault(folder.name, set())
    for folder, patients in register.patients_by_folder(output_dir).items():
        claimed.setdefault(folder, set()).update(
            patient_identity(p.name, p.reference, p.date_of_birth) for p in patients
        )
    owners: dict[str, PatientIdentity | None] = {}
    for folder, identities in claimed.items():
        known = identities - {None}
        owners[folder] = next(iter(known)) if len(known) == 1 else None
    return owners


def catalogues_checksum(workspace: Workspace) -> str:
    digest = hashlib.sha256()
    for compiled in sorted(workspace.locales_dir.glob("*/LC_MESSAGES/*.mo")):
        digest.update(compiled.read_bytes())
    return digest.hexdigest()


_worker: _Renderer | None = None  # this process's renderer


_cpu_per_document: int | None = None  # this worker's bound on each document (run_batch)


def _initialise(
    workspace: Workspace,
    price_list: PriceList,
    issued: dt.date | None,
    output_dir: Path,
    document_cpu_seconds: int | None = None,
) -> None:
    """Give a worker its renderer. A forked worker already has the batch's, with the templates
    prepared; a spawned one (Windows, macOS) prepares its own."""
    global _worker, _cpu_per_document
    die_with_parent()
    _cpu_per_document = document_cpu_seconds
    if _worker is None:
        _worker = _Renderer(workspace, price_list, issued, output_dir)


def _message(problem: Problem | str) -> str:
    return problem if isinstance(problem, str) else str(problem)


class DocumentJob(NamedTuple):
    """A document to make: its kind, path in the output folder, the checksum of what it is
    made from, its row, and the id of the document it is made again in place of."""

    kind: str
    relative: str
    inputs: str
    row: int
    replaces: str = ""


class Job(NamedTuple):
    """A visit to make: its rows, its folder, and each of its documents to make; the visit as
    issued before, when the documents made complete it (they cite its estimate); and the
    documents of an earlier plan of the visit that no longer belong to it (their paths), kept
    in superseded/ once the visit is made again."""

    rows: VisitRows
    folder: str
    documents: list[DocumentJob]
    completes: Issued | None = None
    dropped: tuple[str, ...] = ()


def _cites_estimate(rows: VisitRows) -> bool:
    """Whether the visit's forms name its estimate: when the patient receives it."""
    return any("estimate" in appointment.documents for appointment in rows)


def _make_documents(jobs: list[Job], force: bool) -> list[BatchDocument | RowFailure]:
    """Check each visit and make its documents: one plan per visit, shared by its consent
    forms and its estimate. A row that cannot be planned refuses its visit, with every reason.
    A visit's documents are all made before any is written: all of them, or none. A document
    made again in place of one issued before moves that one (with its PDF and signed copy, and
    its row in the register) to superseded/."""
    assert _worker is not None
    done: list[BatchDocument | RowFailure] = []
    for rows, folder, documents, completes, dropped in jobs:
        try:
            remakes = ",".join(document.replaces for document in documents if document.replaces)
            plans = _worker.plan_visit(rows, issued=completes, remakes=remakes)
            made = _rendered(rows, documents, plans)
        except _VisitRefused as refused:
            done.extend(refused.failures)
            continue
        except DocgenError as error:
            done.append(RowFailure(rows[0].row, _problems(error)))
            continue
        by_row = {appointment.row: appointment for appointment in rows}
        records = []
        for document, data in made:
            plan = plans[document.row]
            quote = plan.estimate.number if _cites_estimate(rows) else ""
            records.append(_record(document, data, by_row[document.row], quote))
        refused = [f"{r.id}: {why}" for r in records if (why := _worker.register.refusal(r))]
        if refused:
            why = "; ".join(refused) + "; nothing of this visit was written"
            done.extend(RowFailure(row.row, (why,)) for row in rows)
            continue
        replaced = {document.replaces for document, _data in made}
        withdrawn = []
        for path in dropped:
            target = _worker.output_dir / path
            if document_id := replaced_at(target, _worker.register):
                _worker.register.supersede(target, document_id, within=_worker.output_dir)
            if document_id and document_id not in replaced:
                withdrawn.append(document_id)
        for (document, data), record in zip(made, records, strict=True):
            done.append(_issued(document, data, record, by_row[document.row], folder, force))
        if withdrawn:  # no longer of the visit: replaced by its new plan, its estimate
            plan = next((r for r in records if r.kind == "estimate"), records[0])
            _worker.register.replaced(withdrawn, by=plan.id)
    return done


def _record(document: DocumentJob, data: bytes, appointment: Appointment, quote: str) -> Record:
    """The document's row for the register."""
    assert _worker is not None
    consent = document.kind in TREATMENT_DOCUMENTS  # a consent form or its treatment record
    return record_of(
        data, _worker.output_dir / document.relative, kind=document.kind,
        template=f"{document.kind}.docx", template_sha256=_worker.template(document.kind).checksum,
        price_list=_worker.price_list.path,
        patient=Patient(appointment.patient, appointment.dob, appointment.ref),
        treatment=appointment.treatment.strip().upper() if consent else "",
        quote=quote if consent else "",
    )  # fmt: skip


def _rendered(
    rows: VisitRows, documents: list[DocumentJob], plans: dict[int, ConsentPlan]
) -> list[tuple[DocumentJob, bytes]]:
    """Each of a visit's documents as its .docx bytes; _VisitRefused if one cannot be made."""
    assert _worker is not None
    fmt = _worker.formatter(rows[0].locale)
    by_row = {appointment.row: appointment for appointment in rows}
    cites = _cites_estimate(rows)
    made, failures = [], []
    for document in documents:
        if _cpu_per_document:
            limit_processor_time(_cpu_per_document)
        try:
            data = _worker.render(
                by_row[document.row], document.kind, plans[document.row], fmt,
                document.inputs, cites, replaces=document.replaces,
            )  # fmt: skip
        except DocgenError as error:
            failures.append(RowFailure(document.row, (f"{document.kind}: {error}",)))
            continue
        made.append((document, data))
    if failures:
        raise _VisitRefused(rows, failures)
    return made


def _issued(
    document: DocumentJob, data: bytes, record: Record, appointment: Appointment, folder: str,
    force: bool,
) -> BatchDocument | RowFailure:  # fmt: skip
    """The document in the register and written to its place (its previous version, if it
    replaces one, to superseded/): its manifest record, or why it was not written."""
    assert _worker is not None
    target = _worker.output_dir / document.relative
    try:
        with _worker.register.issuing(record):
            within = _worker.output_dir
            if document.replaces:
                _worker.register.supersede(target, document.replaces, within=within)
            write_atomically(target, data, force, durable=False, within=within)
    except DocgenError as error:
        if isinstance(error, RegisterError) and not isinstance(error, DuplicateIdError):
            raise  # no document can be issued: the batch stops, saying why
        return RowFailure(appointment.row, (f"{document.kind}: {error}",))
    return BatchDocument(
        row=appointment.row,
        document=document.kind,
        patient_ref=appointment.ref,
        locale=appointment.locale or _worker.price_list.clinic.locale,
        path=document.relative,
        sha256=record.sha256,
        template_sha256=record.template_sha256,
        price_list_sha256=_worker.price_list.checksum,
        inputs_sha256=document.inputs,
        generated=_worker.issued.isoformat(),
        visit=folder,
        patient=appointment.patient,
        dob=appointment.dob,
        replaces=document.replaces,
    )


# --- the batch --------------------------------------------------------------------------------


def clear_killed_batch(output_dir: Path) -> None:
    """Remove what a batch killed while writing to output_dir left there (_remove_leftovers),
    unless a batch is writing there now: the desk, at its start, for its batches' folders."""
    with contextlib.suppress(BatchError, OutputError), _only_batch_in(output_dir):
        _remove_leftovers(output_dir)


def _remove_leftovers(output_dir: Path) -> None:
    """What a killed batch left: in its output folder, the PDF step's staging folder (hard
    links to every document, and their PDFs), half-written documents (write_atomically's
    temporary files) and the manifest being written; LibreOffice's profiles in the temporary
    folder. A re-run removes them first; documents and the manifest are checked as usual.
    Called with the batch lock held: no other batch is writing there."""
    remove_orphaned_work(Path(tempfile.gettempdir()), PROFILE_PREFIX)
    if not output_dir.is_dir():
        return
    remove_orphaned_work(output_dir, STAGING_PREFIX)
    folders = [folder for folder in output_dir.iterdir() if _real_folder(folder)]
    for leftover in [
        output_dir / PARTIAL_MANIFEST,
        *(path for folder in folders for path in folder.glob(f"{TEMPORARY_PREFIX}*")),
    ]:
        if _real_folder(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
        elif leftover.is_file() and not leftover.is_symlink():
            leftover.unlink(missing_ok=True)


def _real_folder(path: Path) -> bool:
    """A folder, not a symbolic link to one: docgen makes no links, and never removes
    anything through one (a planted link would have it remove files elsewhere)."""
    return path.is_dir() and not path.is_symlink()


def _batched(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_workers(
    chunks: Iterable[list[Job]],
    finished: Callable[[list[BatchDocument | RowFailure], int], None],
    workspace: Workspace,
    price_list: PriceList,
    issued: dt.date | None,
    output_dir: Path,
    force: bool,
    jobs: int,
    start_method: str | None,
    document_cpu_seconds: int | None,
) -> None:
    """The chunks made by `jobs` worker processes, a few chunks ahead of those finished."""
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(start_method),
        initializer=_initialise,
        initargs=(workspace, price_list, issued, output_dir, document_cpu_seconds),
    ) as pool:
        in_flight: deque = deque()
        for chunk in chunks:
            in_flight.append((pool.submit(_make_documents, chunk, force), _rows_in(chunk)))
            if len(in_flight) > 2 * jobs:
                future, size = in_flight.popleft()
                finished(future.result(), size)
        while in_flight:
            future, size = in_flight.popleft()
            finished(future.result(), size)


def run_batch(
    workspace: Workspace,
    appointments_file: str | Path,
    output_dir: str | Path,
    *,
    prices: str | None = None,
    jobs: int | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    start_method: str | None = None,
    document_cpu_seconds: int | None = None,
) -> BatchResult:
    """Make every document of every valid appointment; report the others by row.

    Rows are read, checked and handed to the workers as the batch goes, and the manifest is
    written as documents come back, so memory stays the same for 100 rows or 100,000.
    progress, if given, is called with the number of documents finished since its last call.
    start_method: how worker processes start (multiprocessing's "fork", "spawn", …; default:
    the platform's). A program with threads of its own, such as `docgen serve`, passes "spawn":
    forking a threaded process can copy a lock another thread holds. One batch at a time per
    process: the batch's renderer is the process's. document_cpu_seconds: documents are made in
    worker processes, even with one job, and the operating system stops a worker whose document
    takes more processor time than this (the desk passes it: no template stops its server);
    the batch then fails with a BatchError.
    """
    price_list = load_price_list(workspace.workbook(prices))
    if pdf:
        find_soffice()
    appointments = iter_appointments(appointments_file)
    first = next(appointments)  # a file that cannot be used fails here, before anything is made
    with _only_batch_in(Path(output_dir)):
        return _make_batch(
            workspace, appointments_file, itertools.chain([first], appointments), price_list,
            Path(output_dir), jobs=jobs, pdf=pdf, force=force, issued=issued, progress=progress,
            start_method=start_method, document_cpu_seconds=document_cpu_seconds,
        )  # fmt: skip


@contextlib.contextmanager
def _only_batch_in(output_dir: Path) -> Iterator[None]:
    """One batch at a time per output folder: two at once mixed their documents and one's
    manifest listed only the other's. A second is refused, naming the one running. The lock
    goes with the process that holds it, however it ends (kill -9 included); its file is
    removed when the batch ends."""
    path = output_dir / BATCH_LOCK
    while True:
        try:
            make_private_folder(output_dir)
        except OSError as error:
            raise OutputError(f"cannot write to {output_dir}: {error.strerror}") from None
        lock = open(open_private(path, os.O_RDWR), "r+")  # noqa: SIM115
        try:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = lock.read().strip() or "another process"
            lock.close()
            raise BatchError(
                f"another batch is writing to {output_dir} ({running}): wait for it to end, "
                "or write this one to another folder"
            ) from None
        if path.exists() and os.fstat(lock.fileno()).st_ino == path.lstat().st_ino:
            break
        lock.close()  # the batch that held it ended and removed it meanwhile: take the new one
    try:
        lock.truncate(0)
        started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        lock.write(f"process {os.getpid()} on {socket.gethostname()}, started {started}")
        lock.flush()
        yield
    finally:
        path.unlink(missing_ok=True)
        lock.close()


def _make_batch(
    workspace: Workspace,
    appointments_file: str | Path,
    appointments: Iterator[Appointment | RowFailure],
    price_list: PriceList,
    output_dir: Path,
    *,
    jobs: int | None,
    pdf: bool,
    force: bool,
    issued: dt.date | None,
    progress: Callable[[int], None] | None,
    start_method: str | None,
    document_cpu_seconds: int | None,
) -> BatchResult:
    """run_batch's work, with the output folder to itself."""
    jobs = jobs or os.cpu_count() or 1
    run = _BatchRun(
        _Renderer(workspace, price_list, issued, output_dir), appointments_file,
        pdf=pdf, force=force, progress=progress,
    )  # fmt: skip
    global _worker
    _worker = run.checker
    try:
        chunks = _batched(run.jobs(appointments), CHUNK)
        if jobs == 1 and document_cpu_seconds is None:
            for chunk in chunks:
                run.finished(_make_documents(chunk, force), _rows_in(chunk))
        else:
            try:
                _in_workers(chunks, run.finished, workspace, price_list, issued, output_dir, force,
                            jobs, start_method, document_cpu_seconds)  # fmt: skip
            except BrokenProcessPool:
                stopped = "a worker making the documents was stopped"
                if document_cpu_seconds:
                    stopped += (
                        f": one document took more than {document_cpu_seconds} s of processor "
                        "time (does a template run for ever?)"
                    )
                raise BatchError(stopped) from None
        if run.result.to_convert:
            run.result.pdfs = convert_to_pdf(
                run.result.to_convert,
                force=force,
                jobs=jobs,
                work_dir=output_dir,
                register=Register.of(workspace),
            )
    finally:
        _worker = None
        run.close()
    return run.result


class _VisitDocuments(NamedTuple):
    """Each document a visit needs, by what is in the output folder: not there (to make),
    there and current (kept), there from other inputs (stale), changed since docgen made it
    (edited); or why the visit cannot be made (blocked: a link, a PDF without its .docx)."""

    to_make: list[DocumentJob]
    kept: list[tuple[DocumentJob, BatchDocument]]
    stale: list[tuple[DocumentJob, _Kept]]
    edited: list[tuple[DocumentJob, _Kept]]
    blocked: list[RowFailure]
    dropped: list[str]  # documents of an earlier plan of the visit, not of this one

    @property
    def present(self) -> list[tuple[DocumentJob, BatchDocument | _Kept]]:
        return [*self.kept, *self.stale, *self.edited]


def _planned(rows: VisitRows, folder: str) -> Iterator[tuple[str, str, Appointment]]:
    """Each document of a visit: its kind, its path in the output folder, and its row."""
    for appointment in rows:
        if "consent" in appointment.documents:  # with its treatment record
            for kind, made in TREATMENT_DOCUMENTS.items():
                name = made.file_prefix
                name += "" if len(rows) == 1 else f"-{_file_part(appointment)}"
                yield kind, f"{folder}/{name}.docx", appointment
    estimate_for = next((a for a in rows if "estimate" in a.documents), None)
    if estimate_for is not None:
        yield "estimate", f"{folder}/estimate.docx", estimate_for


class _BatchRun:
    """One run of a batch into an output folder it has to itself: the visits' documents to
    make, told apart from those already there and current, and the manifest and counts as
    documents come back. The rows of one patient form one visit, in any order in the file: a
    first reading counts each patient's rows, so that a visit is made once its last row has
    been read, and gives each patient a folder of their own."""

    def __init__(
        self,
        checker: _Renderer,
        appointments_file: str | Path,
        *,
        pdf: bool,
        force: bool,
        progress: Callable[[int], None] | None,
    ):
        self.checker = checker
        self.output_dir = checker.output_dir
        self.pdf, self.force, self.progress = pdf, force, progress
        self.columns = column_letters(Path(appointments_file))
        _remove_leftovers(self.output_dir)
        self.previous = {document.path: document for document in read_manifest(self.output_dir)}
        checker.register.connection()  # made, and what a killed run left finished, before workers
        self.result = BatchResult(self.output_dir)
        self.manifest = Manifest(self.output_dir)
        self.recorded_paths: set[str] = set()
        self.rows_of = Counter(item.identity for item in iter_appointments(appointments_file))
        owners = _folder_owners(self.previous.values(), self.output_dir, checker.register)
        self.folders = visit_folders(self.rows_of, owners)
        self.waiting: dict[PatientIdentity, list[Appointment | RowFailure]] = {}
        self.dropped: dict[str, str] = {}  # path → id: documents no longer of their visit

    def jobs(self, appointments: Iterator[Appointment | RowFailure]) -> Iterator[Job]:
        """Each visit to make, once its last row is read."""
        for item in appointments:
            group = self.waiting.setdefault(item.identity, [])
            group.append(item)
            if len(group) == self.rows_of[item.identity]:
                del self.waiting[item.identity]
                yield from self.visit_jobs(sorted(group, key=lambda row: row.row))

    def visit_jobs(self, group: list[Appointment | RowFailure]) -> Iterator[Job]:
        failures = [item for item in group if isinstance(item, RowFailure)]
        if failures:
            rows = [item for item in group if isinstance(item, Appointment)]
            self.result.failures.extend(_refused_visit(rows, failures))
            self.advance(len(group))
            return
        rows: VisitRows = tuple(group)  # type: ignore[assignment]
        folder = self.folders[rows[0].identity]
        found = self.visit_documents(rows, folder)
        if found.blocked:
            self.result.failures.extend(_refused_visit(rows, found.blocked))
            self.advance(len(rows))
            return
        if found.dropped or (found.to_make and (found.stale or found.edited)):
            yield from self.replanned(rows, folder, found, "made for another plan of this visit")
            return
        estimate_missing = any(job.kind == "estimate" for job in found.to_make)
        if found.to_make and found.kept and estimate_missing:
            why = "its estimate.docx is missing"
            yield from self.replanned(rows, folder, found, why)
            return
        if found.to_make and found.kept:  # a run stopped half-way: the rest cites its estimate
            completes = Issued.read(self.output_dir / found.kept[0][0].relative)
            self.made_again(rows, folder, found)  # lists the kept ones
            yield Job(rows, folder, found.to_make, completes=completes)
            return
        to_make = found.to_make + self.made_again(rows, folder, found)
        if to_make:
            yield Job(rows, folder, to_make)
        else:
            self.advance(len(rows))

    def replanned(
        self, rows: VisitRows, folder: str, found: _VisitDocuments, why: str
    ) -> Iterator[Job]:
        """A visit whose plan changed since its documents were made (a treatment added or
        dropped): made again whole with --force, its earlier documents kept in superseded/,
        so that no form stays beside it citing another estimate; otherwise left as it is.
        A visit that cannot be planned is refused first, saying why."""
        try:
            self.checker.plan_visit(rows)
        except _VisitRefused as refused:
            self.finished(list(refused.failures), len(rows))
            return
        except DocgenError as error:
            failure = RowFailure(rows[0].row, _problems(error))
            self.finished(list(_refused_visit(rows, [failure])), len(rows))
            return
        if not self.force:
            earlier = {job.relative for job, _ in found.present} | set(found.dropped)
            names = ", ".join(sorted(Path(path).name for path in earlier))
            said = (
                f"the patient's documents in {folder}/ ({names}): {why}; --force makes the visit "
                "again and keeps them in superseded/"
            )
            self.result.out_of_date.extend(RowFailure(row.row, (said,)) for row in rows)
            self.advance(len(rows))
            return
        again = [
            job._replace(
                replaces=replaced_at(self.output_dir / job.relative, self.checker.register)
            )
            for job, _ in found.present
        ]
        dropped = {
            path: replaced_at(self.output_dir / path, self.checker.register)
            for path in found.dropped
        }
        self.dropped |= dropped
        new = [self.in_place_of(job, rows, dropped) for job in found.to_make]
        yield Job(rows, folder, new + again, dropped=tuple(dropped))

    def in_place_of(
        self, job: DocumentJob, rows: VisitRows, dropped: dict[str, str]
    ) -> DocumentJob:
        """A treatment's form under its new name (a visit of one treatment names it
        consent.docx, of several consent-REJUV.docx), made in place of its earlier one."""
        treatment = next(row for row in rows if row.row == job.row).treatment.strip().upper()
        for document_id in dropped.values():
            earlier = self.checker.register.get(document_id)
            if earlier and (earlier.kind, earlier.treatment) == (job.kind, treatment):
                return job._replace(replaces=document_id)
        return job

    def visit_documents(self, rows: VisitRows, folder: str) -> _VisitDocuments:
        planned = list(_planned(rows, folder))
        paths = {relative for _kind, relative, _row in planned}
        dropped = [
            path
            for path in self.previous
            if path.startswith(f"{folder}/") and path.count("/") == 1 and path not in paths
            and (self.output_dir / path).is_file()
        ]  # fmt: skip
        found = _VisitDocuments([], [], [], [], [], dropped)
        for kind, relative, appointment in planned:
            inputs = self.checker.inputs_checksum(appointment, kind, rows)
            job = DocumentJob(kind, relative, inputs, appointment.row)
            blocked = self.blocked(job)
            if blocked:
                found.blocked.append(RowFailure(appointment.row, (blocked,)))
            elif not (self.output_dir / relative).exists():
                # a document deleted from its place is replaced there, never shares its row
                replaces = replaced_at(self.output_dir / relative, self.checker.register)
                found.to_make.append(job._replace(replaces=replaces))
            elif isinstance(present := self.present(job), BatchDocument):
                found.kept.append((job, present))
            else:
                (found.edited if present.edited else found.stale).append((job, present))
        return found

    def blocked(self, job: DocumentJob) -> str | None:
        """Why the document cannot be written: a link where it or its PDF goes, or a PDF
        there without its .docx (or, without --pdf, a PDF beside it that would stay stale)."""
        target = self.output_dir / job.relative
        try:
            for path in (target, target.with_suffix(".pdf")):
                refuse_links(path, self.output_dir)
        except OutputError as error:
            return str(error)
        if target.exists():
            return None
        pdf = target.with_suffix(".pdf")
        if self.pdf and not self.force and pdf.exists():
            return f"{pdf} already exists without its .docx; --force replaces it"
        return None if self.pdf else pdf_beside(target)

    def made_again(self, rows: VisitRows, folder: str, found: _VisitDocuments) -> list[DocumentJob]:
        """The visit's present documents to make again. --force remakes a changed visit whole:
        its forms and estimate share a quote number, and each previous version is kept in
        superseded/. A visit whose documents print as they did is left as it is. Without
        --force, each out-of-date or edited document is reported and the others stay listed."""
        stale = found.stale
        reprinted = self.prints_differently(rows, [job for job, _ in stale]) if stale else set()
        out_of_date = [(job, kept) for job, kept in stale if job.relative in reprinted]
        current = found.kept + [
            (job, kept.current(job)) for job, kept in stale if job.relative not in reprinted
        ]
        if self.force and (out_of_date or found.edited):
            return [
                job._replace(
                    replaces=replaced_at(self.output_dir / job.relative, self.checker.register)
                )
                for job, _found in [*current, *out_of_date, *found.edited]
            ]
        for job, kept in found.edited:
            why = f"{job.relative} already exists and {kept.reason}; --force replaces it"
            self.result.failures.append(RowFailure(job.row, (why,)))
        for job, kept in out_of_date:
            why = (
                f"{job.relative} is out of date: it was made from {kept.reason}, and would "
                "print differently now; --force makes it again and keeps this one in superseded/"
            )
            self.result.out_of_date.append(RowFailure(job.row, (why,)))
        by_row = {appointment.row: appointment for appointment in rows}
        for job, document in current:
            appointment = by_row[job.row]
            kept_document = replace(
                document, row=job.row, patient_ref=appointment.ref, visit=folder,
                patient=appointment.patient, dob=appointment.dob, skipped=True,
            )  # fmt: skip
            self.finished([kept_document])
        return []

    def present(self, job: DocumentJob) -> BatchDocument | _Kept:
        """A present document's record, when it was made from these very inputs and not
        changed since (from the manifest; for a document an interrupted run made but did not
        record, from the properties it carries). Otherwise what changed."""
        target = self.output_dir / job.relative
        recorded = self.previous.get(job.relative)
        template_now = self.checker.template(job.kind).checksum
        if recorded is not None:
            edited = recorded.sha256 != file_sha256(target)
            template_then = recorded.template_sha256
        else:
            check = verify_content(target)
            if not check.unchanged:
                return _Kept(None, "was changed after docgen made it", edited=True)
            edited = False
            recorded = BatchDocument(
                row=0, document=job.kind, patient_ref="", locale=check.properties["docgen.locale"],
                path=job.relative, sha256=file_sha256(target), template_sha256=template_now,
                price_list_sha256=check.properties["docgen.price-list-sha256"],
                inputs_sha256=check.properties.get("docgen.inputs-sha256", ""),
                generated=check.properties["docgen.generated"][:10],
            )  # fmt: skip
            template_then = None  # a document does not record its template's checksum
        price_list = self.checker.price_list
        if edited:
            return _Kept(recorded, "was changed after docgen made it", edited=True)
        if recorded.inputs_sha256 == job.inputs:
            return recorded
        if recorded.price_list_sha256 != price_list.checksum:
            return _Kept(recorded, f"an earlier version of {price_list.path.name}")
        if template_then and template_then != template_now:
            return _Kept(recorded, f"an earlier version of the template {job.kind}.docx")
        return _Kept(recorded, "other details of this row (or other translations)")

    def prints_differently(self, rows: VisitRows, stale: list[DocumentJob]) -> set[str]:
        """The documents among stale that would print otherwise if made now: each is made
        again with its own number, date and printed price list, and compared with the file."""
        by_row = {appointment.row: appointment for appointment in rows}
        fmt = self.checker.formatter(rows[0].locale)
        plans: dict[tuple[str, dt.date], dict[int, ConsentPlan]] = {}
        differ = set()
        for job in stale:
            target = self.output_dir / job.relative
            try:
                issued_as = Issued.read(target)
                key = (issued_as.visit, issued_as.date)
                if key not in plans:
                    plans[key] = self.checker.plan_visit(rows, issued_as)
                data = self.checker.render(
                    by_row[job.row], job.kind, plans[key][job.row], fmt, job.inputs,
                    _cites_estimate(rows), issued=issued_as,
                )  # fmt: skip
            except (DocgenError, _VisitRefused, ValueError):  # not as it was: made again
                differ.add(job.relative)
                continue
            if not same_print(data, target.read_bytes()):
                differ.add(job.relative)
        return differ

    def finished(self, items: list[BatchDocument | RowFailure], appointments: int = 0) -> None:
        """Documents made or kept, and rows refused: in the manifest and the counts."""
        result = self.result
        for item in items:
            if isinstance(item, RowFailure):
                result.failures.append(item)
                continue
            self.manifest.add(item)
            self.recorded_paths.add(item.path)
            if item.replaces and item.path in self.previous and not item.skipped:
                kept_as = superseded_path(Path(item.path), item.replaces).as_posix()
                if (self.output_dir / kept_as).exists():  # not one deleted before this run
                    self.manifest.add(replace(self.previous[item.path], path=kept_as, row=None))
                    self.recorded_paths.add(kept_as)
            if item.skipped:
                result.skipped += 1
            else:
                result.made += 1
            pdf_there = (self.output_dir / item.path).with_suffix(".pdf").exists()
            if self.pdf and not (item.skipped and pdf_there):
                result.to_convert.append(self.output_dir / item.path)
        self.advance(appointments)

    def advance(self, appointments: int) -> None:
        if self.progress and appointments:
            self.progress(appointments)

    def close(self) -> None:
        """Write the manifest out; documents of the last run that this run did not remake stay
        on disk, and listed, without a row: their row was one of an earlier file, which may be
        another patient's in this one."""
        for path, document in self.previous.items():
            if path in self.recorded_paths:
                continue
            if (self.output_dir / path).exists():
                self.manifest.add(replace(document, row=None))
            elif path in self.dropped:  # kept in superseded/ as its visit was made again
                kept_as = superseded_path(Path(path), self.dropped[path])
                if (self.output_dir / kept_as).exists():
                    self.manifest.add(replace(document, path=kept_as.as_posix(), row=None))
        os.sync()  # one flush for the whole batch rather than one per document
        self.manifest.close(keep=self.manifest.rows > 0)
        located_failures = (located(failure, self.columns) for failure in self.result.failures)
        self.result.failures = sorted(located_failures, key=lambda f: f.row)
        self.result.out_of_date.sort(key=lambda f: f.row)
