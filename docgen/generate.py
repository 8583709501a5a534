"""The Python API behind every command: load → plan → context → render → convert, then write.

Each function checks everything it can (inputs, target files, LibreOffice) before it writes
anything, so a failed command leaves no document behind."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docgen.consent import plan_consent
from docgen.documents import (
    DocumentInfo,
    consent_context,
    estimate_context,
    price_sheet_context,
)
from docgen.estimate import PlanItem, new_document_id, plan_estimate
from docgen.exceptions import PlanError
from docgen.i18n import Formatter, parse_locale
from docgen.output import ensure_can_write, safe_filename_part, write_atomically
from docgen.patient import name_problems
from docgen.pdf import convert_to_pdf, find_soffice, libreoffice_available
from docgen.pricing import PriceList, load_price_list
from docgen.render import DocumentTemplate
from docgen.workspace import Workspace


@dataclass(frozen=True)
class GeneratedDocument:
    docx: Path
    pdf: Path | None
    document_id: str

    @property
    def printable(self) -> Path:
        return self.pdf or self.docx


def load_workspace_prices(workspace: Workspace, prices: str | None = None) -> PriceList:
    return load_price_list(workspace.workbook(prices))


def formatter_for(price_list: PriceList, locale: str | None) -> Formatter:
    chosen = price_list.clinic.locale if locale is None else locale
    return Formatter(parse_locale(chosen), price_list.clinic.currency)


def _target(output: str | Path | None, default_name: str) -> Path:
    """The .docx to write: -o FILE, -o FOLDER (existing, or ending in a separator), or the
    default name in the current folder. 'quote v1.2' becomes 'quote v1.2.docx'."""
    if output is None:
        return Path(default_name)
    text = str(output)
    path = Path(text).expanduser()
    if path.is_dir() or text.endswith(("/", os.sep)):
        return path / default_name
    if path.suffix.lower() == ".pdf":
        return path.with_suffix(".docx")
    return path if path.suffix.lower() == ".docx" else path.with_name(path.name + ".docx")


def _write(
    template: DocumentTemplate,
    context: dict,
    target: Path,
    document_id: str,
    pdf: bool,
    force: bool,
) -> GeneratedDocument:
    data = template.render(context)
    write_atomically(target, data, force)
    if not pdf:
        return GeneratedDocument(target, None, document_id)
    try:
        pdf_path = convert_to_pdf([target], force=force)[0]
    except Exception:
        target.unlink(missing_ok=True)  # all or nothing: no .docx without the PDF asked for
        raise
    return GeneratedDocument(target, pdf_path, document_id)


def _prepare_target(output: str | Path | None, default_name: str, pdf: bool, force: bool) -> Path:
    target = _target(output, default_name)
    ensure_can_write(target, force)
    if pdf:
        find_soffice()
        ensure_can_write(target.with_suffix(".pdf"), force)
    return target


def create_estimate(
    workspace: Workspace,
    patient: str,
    items: Sequence[PlanItem | str],
    *,
    locale: str | None = None,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> GeneratedDocument:
    """Write a cost estimate for a patient's treatment plan (and its PDF when pdf=True)."""
    price_list = load_workspace_prices(workspace, prices)
    fmt = formatter_for(price_list, locale)
    issued = issued or dt.date.today()
    problems = name_problems(patient)
    try:
        estimate = plan_estimate(price_list, items, issued=issued)
    except PlanError as error:
        problems.extend(error.problems)
    if problems:
        raise PlanError(problems)
    template = DocumentTemplate(workspace.template("estimate.docx"))
    default_name = f"estimate-{safe_filename_part(patient)}-{estimate.number}.docx"
    target = _prepare_target(output, default_name, pdf, force)
    info = DocumentInfo(estimate.number, template.version, issued)
    context = estimate_context(estimate, fmt, patient=patient, info=info)
    return _write(template, context, target, estimate.number, pdf, force)


def create_price_sheet(
    workspace: Workspace,
    *,
    locale: str | None = None,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> GeneratedDocument:
    """Write the clinic's whole price list as a printable sheet."""
    price_list = load_workspace_prices(workspace, prices)
    fmt = formatter_for(price_list, locale)
    issued = issued or dt.date.today()
    template = DocumentTemplate(workspace.template("price_sheet.docx"))
    document_id = f"PS-{safe_filename_part(price_list.name)}-{issued:%Y%m%d}-{fmt.locale}"
    target = _prepare_target(output, f"price-sheet-{price_list.name}-{fmt.locale}.docx", pdf, force)
    info = DocumentInfo(document_id, template.version, issued)
    context = price_sheet_context(price_list, fmt, info=info)
    return _write(template, context, target, document_id, pdf, force)


def create_consent(
    workspace: Workspace,
    patient: str,
    treatment: str,
    areas: Sequence[str],
    *,
    date_of_birth: str | dt.date | None = None,
    reference: str = "",
    sessions: int | None = None,
    practitioner: str = "",
    interpreter: str = "",
    allow_minor: bool = False,
    locale: str | None = None,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> GeneratedDocument:
    """Write a consent form for one treatment on one or more body areas."""
    price_list = load_workspace_prices(workspace, prices)
    fmt = formatter_for(price_list, locale)
    issued = issued or dt.date.today()
    plan = plan_consent(
        price_list,
        patient=patient,
        treatment=treatment,
        areas=areas,
        date_of_birth=date_of_birth,
        reference=reference,
        sessions=sessions,
        practitioner=practitioner,
        interpreter=interpreter,
        allow_minor=allow_minor,
        issued=issued,
    )
    template = DocumentTemplate(workspace.template("consent.docx"))
    document_id = new_document_id(issued, prefix="C")
    default_name = f"consent-{safe_filename_part(patient)}-{document_id}.docx"
    target = _prepare_target(output, default_name, pdf, force)
    info = DocumentInfo(document_id, template.version, issued)
    context = consent_context(plan, fmt, info=info, clinic_locale=price_list.clinic.locale)
    return _write(template, context, target, document_id, pdf, force)


DEMO_PATIENT = "Amélie Laurent-O'Brien"
DEMO_PLAN = ("REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")


def run_demo(
    output_dir: str | Path,
    *,
    workspace: Workspace | None = None,
    pdf: bool | None = None,
    force: bool = False,
) -> list[GeneratedDocument]:
    """Generate sample documents from the workspace: an estimate in the clinic's language and in
    French formatting, a consent form and the price sheet. PDFs are made when LibreOffice is
    installed."""
    workspace = workspace or Workspace.open()
    output_dir = Path(output_dir)
    if pdf is None:
        pdf = libreoffice_available()
    names = ("estimate", "estimate-fr_FR", "consent", "price-sheet")
    targets = [output_dir / f"{name}.docx" for name in names]
    for target in targets:
        ensure_can_write(target, force)
        if pdf:
            ensure_can_write(target.with_suffix(".pdf"), force)
    try:
        documents = _demo_documents(workspace, targets, force)
        if not pdf:
            return documents
        pdfs = convert_to_pdf([d.docx for d in documents], force=force)
    except Exception:
        for target in targets:  # all or nothing
            target.unlink(missing_ok=True)
            target.with_suffix(".pdf").unlink(missing_ok=True)
        raise
    return [
        GeneratedDocument(d.docx, p, d.document_id) for d, p in zip(documents, pdfs, strict=True)
    ]


def _demo_documents(
    workspace: Workspace, targets: list[Path], force: bool
) -> list[GeneratedDocument]:
    return [
        create_estimate(workspace, DEMO_PATIENT, DEMO_PLAN, output=targets[0], force=force),
        create_estimate(
            workspace, DEMO_PATIENT, DEMO_PLAN, locale="fr_FR", output=targets[1], force=force
        ),
        create_consent(
            workspace,
            DEMO_PATIENT,
            "REJUV",
            ["FACE", "NECK"],
            date_of_birth="1986-04-12",
            reference="LUM-004127",
            practitioner="Dr Sarah Whitfield",
            output=targets[2],
            force=force,
        ),
        create_price_sheet(workspace, output=targets[3], force=force),
    ]
