"""The Python API behind every command: load → plan → context → render → convert, then write.

Each function checks everything it can (inputs, target files, LibreOffice) before it writes
anything, so a failed command leaves no document behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from babel import Locale

from docgen.catalogues import untranslated_error
from docgen.consent import age_problems, plan_consent
from docgen.documents import (
    TREATMENT_DOCUMENTS,
    DocumentInfo,
    bilingual_context,
    bilingual_language_name,
    estimate_context,
    price_sheet_context,
    totals_rows,
)
from docgen.estimate import (
    Discount,
    Estimate,
    PlanItem,
    TranslatedNames,
    new_document_id,
    plan_estimate,
    plan_items,
)
from docgen.exceptions import (
    DocgenError,
    FieldProblem,
    IssueDateError,
    LocaleError,
    OutputError,
    PlanError,
)
from docgen.i18n import (
    BilingualTranslations,
    Formatter,
    available_locales,
    html_language,
    load_translations,
    parse_locale,
)
from docgen.output import (
    SIGNED_SUFFIX,
    SUPERSEDED,
    ensure_can_write_with_pdf,
    safe_filename_part,
    write_atomically,
)
from docgen.patient import Patient as Person
from docgen.patient import name_problems, parse_date_of_birth
from docgen.pdf import convert_to_pdf, find_soffice, libreoffice_available
from docgen.pricing import ADULT_AGE, PriceList, load_price_list
from docgen.register import Patient, Register, record_of
from docgen.render import DocumentTemplate
from docgen.verify import replaced_at, verify_content
from docgen.visit import PlannedTreatment, Visit
from docgen.workspace import Workspace


@dataclass(frozen=True)
class GeneratedDocument:
    docx: Path
    pdf: Path | None
    document_id: str
    estimate_number: str = ""  # the quote a consent form's cost refers to


def load_workspace_prices(workspace: Workspace, prices: str | None = None) -> PriceList:
    """The workbook's price list, read again only when the file changes (a server reads it on
    every request; a price list is immutable once read)."""
    path = workspace.workbook(prices)
    stat = path.stat()
    return _load_price_list(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_price_list(path: Path, _mtime_ns: int, _size: int) -> PriceList:
    return load_price_list(path)


def formatter_for(workspace: Workspace, price_list: PriceList, locale: str | None) -> Formatter:
    """Formatting for the document's locale (default: the clinic's), text from the workspace's
    catalogues."""
    clinic_locale = parse_locale(price_list.clinic.locale, workspace.locales_dir)
    chosen = clinic_locale if locale is None else parse_locale(locale, workspace.locales_dir)
    translations = load_translations(workspace.locales_dir, chosen)
    fmt = Formatter(chosen, price_list.clinic.currency, translations, clinic_locale.language)
    if alike := names_printed_alike(price_list, fmt):
        raise LocaleError("; ".join(alike))
    return fmt


def names_printed_alike(price_list: PriceList, fmt: Formatter) -> list[str]:
    """Where fmt's translations print two treatments, areas or taxes of the workbook with one
    name: a translation of 'TVQ' reading 'TPS' labelled Quebec's tax as the federal one, and
    'Neck' translated 'Visage' priced two lines of one estimate 'Visage'."""
    taxes = price_list.clinic.taxes or {}
    named = {
        "treatments": {treatment.name for treatment in price_list.treatments.values()},
        "areas": {area.name for area in price_list.areas.values()},
        "taxes": {tax.name for kind_taxes in taxes.values() for tax in kind_taxes},
    }
    own_language = fmt.locale.language == fmt.source_language
    alike = []
    for what, names in named.items():
        printed: dict[str, list[tuple[str, str]]] = {}
        for name in sorted(names):
            text = name if own_language else fmt.translations.translation_of(name) or name
            printed.setdefault(_as_read(text), []).append((name, text))
        alike += [
            f"documents in {fmt.locale} would print the {what} "
            f"{', '.join(repr(name) for name, _text in sources)} all as {sources[0][1]!r}, "
            "which a patient cannot tell apart: correct their translations ('docgen i18n "
            "status' lists them)"
            for sources in printed.values()
            if len(sources) > 1
        ]
    return alike


def _as_read(text: str) -> str:
    """A name as a reader tells it from another: whatever its Unicode form, spaces or case."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _languages(
    workspace: Workspace, prices: str | None, locale: str | None, bilingual: bool
) -> tuple[PriceList, Formatter, Formatter | None]:
    """The price list, the document's formatting, and for a bilingual document in another
    language than the clinic's, the clinic's formatting too."""
    price_list = load_workspace_prices(workspace, prices)
    fmt = formatter_for(workspace, price_list, locale)
    clinic = formatter_for(workspace, price_list, None) if bilingual else None
    if clinic is not None and clinic.locale.language == fmt.locale.language:
        clinic = None
    return price_list, fmt, clinic


def document_locales(workspace: Workspace, price_list: PriceList) -> list[str]:
    """The locales documents are made in: the clinic's Languages setting (fr_CH, de_CH, …),
    or without one, one per language with a catalogue and the source language, the clinic's
    own language in the clinic's locale (en_GB, not en)."""
    if price_list.clinic.languages:
        return list(price_list.clinic.languages)
    clinic_locale = parse_locale(price_list.clinic.locale)
    return [
        str(clinic_locale) if clinic_locale.language == language else language
        for language in available_locales(workspace.locales_dir)
    ]


def served_languages(workspace: Workspace) -> set[str]:
    """The languages ('fr', 'de') of every locale a workbook of the workspace makes documents
    in (document_locales); a workbook that cannot be read serves none (check reports it)."""
    languages = set()
    for path in workspace.workbooks():
        with contextlib.suppress(DocgenError):
            price_list = load_workspace_prices(workspace, path.stem)
            languages |= {Locale.parse(c).language for c in document_locales(workspace, price_list)}
    return languages


def _bilingual(
    context: dict, clinic_context: dict, fmt: Formatter, clinic: Formatter
) -> tuple[dict, BilingualTranslations]:
    merged = bilingual_context(context, clinic_context)
    if "language" in merged.get("patient", {}):
        merged["patient"]["language"] = bilingual_language_name(fmt, clinic)
    return merged, BilingualTranslations(fmt.translations, clinic.translations, str(clinic.locale))


def _target(output: str | Path | None, default_name: str) -> Path:
    """The .docx to write: -o FILE, -o FOLDER (existing, or ending in a separator), or the
    default name in the current folder. 'quote v1.2' becomes 'quote v1.2.docx'."""
    if output is None:
        return Path(default_name)
    path = Path(str(output)).expanduser()
    if _names_a_folder(output):
        return path / default_name
    if path.suffix.lower() == ".pdf":
        return path.with_suffix(".docx")
    return path if path.suffix.lower() == ".docx" else path.with_name(path.name + ".docx")


def as_folder(output: str | Path | None) -> str:
    """-o as a folder, whether or not it ends in a separator (default: the current one)."""
    return f"{Path(output or '.')}{os.sep}"


def _names_a_folder(output: str | Path) -> bool:
    text = str(output)
    return Path(text).expanduser().is_dir() or text.endswith(("/", os.sep))


# a document's validity, deposit dates and cooling-off periods all lie within a few years of it
EARLIEST_ISSUE = dt.date(2000, 1, 1)
LATEST_ISSUE_AHEAD = dt.timedelta(days=365)


def when_issued(issued: dt.date | None) -> tuple[dt.date, dt.datetime | None, bool]:
    """(issue date, generation time, reproducible). A date given (--date) makes a document
    reproducible: generated at that date's midnight, with ids derived from its inputs, so the
    same inputs give a byte-identical file. Otherwise it is stamped now, with random ids, and
    dated the clinic's day: the computer's own, not UTC's (Sydney's morning is UTC's
    yesterday)."""
    if issued is not None:
        latest = dt.date.today() + LATEST_ISSUE_AHEAD
        if not EARLIEST_ISSUE <= issued <= latest:
            raise IssueDateError(
                f"Issue date {issued.isoformat()}: expected a date from "
                f"{EARLIEST_ISSUE.isoformat()} to {latest.isoformat()} (a year from today)."
            )
        return issued, None, True
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return now.astimezone().date(), now, False


def reproducible_seed(reproducible: bool, *inputs: object) -> str | None:
    return json.dumps(inputs, sort_keys=True, default=str) if reproducible else None


def _kind_named(kind: str, treatment: str) -> str:
    return kind.replace("_", " ") + (f" for {treatment}" if treatment else "")


def _replaceable(
    target: Path, register: Register, patient: Patient, kind: str, treatment: str, force: bool
) -> str:
    """The id of the document at target that the one about to be written there replaces ("" if
    none); OutputError when it may not be replaced: docgen cannot tell whose it is, it is
    another patient's, or of another kind or treatment (a visit's signed REJUV form replaced by
    a HAIR one left its REJUV record and estimate without it), it was replaced already, forms
    in force cite it, or the new one is made out to the patient less fully."""
    if force and target.is_file() and (carried := verify_content(target).document_id):
        known = register.get(carried)
        if known is None or known.path != str(target.resolve()):
            raise OutputError(
                f"{target} is docgen's document {carried}, which this workspace's register "
                "does not have there (its folder moved, or another workspace made it): docgen "
                "cannot tell whose it is, and never replaces it; write elsewhere, or move it away"
            )
        replaces = carried  # what replaced_at would find, its file read again
    else:
        replaces = replaced_at(target, register) if force or not target.exists() else ""
    if replaces and (earlier := register.get(replaces)) and not patient.is_patient_of(earlier):
        raise OutputError(
            f"{target} is another patient's document ({replaces}); docgen never puts one "
            "patient's document in place of another's: write this one elsewhere"
        )
    if replaces and earlier and (earlier.kind, earlier.treatment) != (kind, treatment):
        raise OutputError(
            f"{target} is {replaces}, of kind {_kind_named(earlier.kind, earlier.treatment)}: a "
            "document is only ever replaced by one of its kind and treatment, never by a new "
            f"{_kind_named(kind, treatment)}; write this one elsewhere"
        )
    if replaces and replaces in target.name:
        raise OutputError(
            f"{target} is named after {replaces}, the document it would replace: the new one "
            "has an id of its own, and its file (then its signed copy) would carry the old "
            "one's; give a folder (-o FOLDER/) and docgen names it after its own id"
        )
    if replaces and earlier and earlier.replaced_by:
        raise OutputError(
            f"{target} is {replaces}, replaced already by {earlier.replaced_by}: what replaced "
            "a document is never rewritten; make the document in force again instead"
        )
    if replaces and (citing := register.citing(replaces)):
        raise OutputError(
            f"{target} is the estimate that {', '.join(r.id for r in citing)} cite(s), in "
            "force: made again alone, they would cite an estimate no longer beside them; make "
            "the visit's documents again together (docgen consent or visit with --force, or "
            "batch --force)"
        )
    if replaces and earlier and (left_out := patient.leaves_out(earlier)):
        raise OutputError(
            f"{target} is {replaces}, made out to {earlier.patient} with a "
            f"{' and a '.join(left_out)}: its replacement must give them too, or the register "
            "could no longer tell that the two are one patient's"
        )
    return replaces


def _write(
    workspace: Workspace,
    template: DocumentTemplate,
    context: dict,
    fmt: Formatter,
    info: DocumentInfo,
    price_list: PriceList,
    target: Path,
    pdf: bool,
    force: bool,
    translations: BilingualTranslations | None = None,
    *,
    kind: str,
    patient: Patient = Patient(),  # noqa: B008 (frozen, empty)
    treatment: str = "",
) -> GeneratedDocument:
    """Render and write one document, with its row in the register. With force, a document
    already there is kept in superseded/ beside it, with its PDF and signed copy, its row
    following it (Register.supersede), and the new one records that it replaces it."""
    document_id = info.document_id
    translations = translations or fmt.translations
    register = Register.of(workspace)
    replaces = _replaceable(target, register, patient, kind, treatment, force)
    data = template.render(
        context,
        replace(info, replaces=replaces).properties(price_list, fmt),
        translations,
        right_to_left=fmt.right_to_left,
    )
    if translations.missing:
        raise untranslated_error(workspace, fmt.locale, translations.missing)
    record = record_of(
        data, target, kind=kind, template=template.name, template_sha256=template.checksum,
        price_list=price_list.path, patient=patient, treatment=treatment,
        quote=info.visit if kind in TREATMENT_DOCUMENTS else "",
    )  # fmt: skip
    with register.issuing(record):
        if replaces:
            register.supersede(target, replaces)
        write_atomically(target, data, force)
    if not pdf:
        return GeneratedDocument(target, None, document_id)
    try:
        pdf_path = convert_to_pdf([target], force=force, register=register)[0]
    except Exception:
        target.unlink(missing_ok=True)  # all or nothing: no .docx without the PDF asked for
        register.withdraw([document_id])
        raise
    return GeneratedDocument(target, pdf_path, document_id)


def _plan_patient_estimate(
    price_list: PriceList,
    patient: str,
    items: Sequence[PlanItem | str],
    issued: dt.date | None = None,
    number: str | None = None,
    translated_names: TranslatedNames | None = None,
    date_of_birth: str | dt.date | None = None,
    discount: Discount | None = None,
    consultation: bool = False,
) -> tuple[Estimate, bool]:
    """The estimate for a patient's plan, and whether the patient is a minor (then whoever
    pays accepts it); PlanError lists every problem: the name's, and with a date of birth,
    each treatment the patient is too young for."""
    problems = name_problems(patient)
    born = parse_date_of_birth(date_of_birth, problems)
    estimate = None
    try:
        estimate = plan_estimate(
            price_list, items, issued=issued, number=number, translated_names=translated_names,
            discount=discount, consultation=consultation,
        )  # fmt: skip
    except PlanError as error:
        problems.extend(error.problems)
    age = Person(patient, born).plausible_age_on(issued or dt.date.today())
    if estimate is not None:
        treatments = dict.fromkeys(line.treatment for line in estimate.lines)
        problems.extend(age_problems(price_list, treatments, age))
    if problems:
        raise PlanError(problems)
    assert estimate is not None
    return estimate, age is not None and age < ADULT_AGE


def _prepare_target(output: str | Path | None, default_name: str, pdf: bool, force: bool) -> Path:
    target = _target(output, default_name)
    if target.stem.casefold().endswith(SIGNED_SUFFIX):  # whatever its case: Windows, macOS
        raise OutputError(
            f"{target}: a name ending in {SIGNED_SUFFIX} is kept for a document's signed copy "
            "(docgen file files it beside its document): choose another name"
        )
    if any(part.casefold() == SUPERSEDED for part in target.parent.parts):
        raise OutputError(
            f"{target}: {SUPERSEDED}/ keeps the versions documents replaced, as they were; "
            "docgen writes nothing there: choose another folder"
        )
    names_a_file = output is not None and not _names_a_folder(output)
    if names_a_file and Path(str(output)).suffix.lower() == ".pdf" and not pdf:
        raise OutputError(
            f"{output}: docgen writes a Word document, and with --pdf its PDF beside it; "
            f"add --pdf to get {target.with_suffix('.pdf')} (and {target})"
        )
    ensure_can_write_with_pdf(target, pdf, force)
    if pdf:
        find_soffice()
    return target


def create_estimate(
    workspace: Workspace,
    patient: str,
    items: Sequence[PlanItem | str],
    *,
    locale: str | None = None,
    bilingual: bool = False,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
    number: str | None = None,
    date_of_birth: str | dt.date | None = None,
    reference: str = "",
    discount: Discount | None = None,
    consultation: bool = False,
) -> GeneratedDocument:
    """Write a cost estimate for a patient's treatment plan (and its PDF when pdf=True).
    number: the quote number a consent form already cites (default: a new one).
    date_of_birth, reference: the patient's, for the register (an estimate prints neither).
    discount: taken off the treatments before tax, printed with its reason. consultation: the
    patient has the initial consultation too, a line of the estimate."""
    price_list, fmt, clinic = _languages(workspace, prices, locale, bilingual)
    issued, generated, reproducible = when_issued(issued)
    seed = reproducible_seed(
        reproducible, patient, list(map(str, items)), str(fmt.locale), bilingual,
        price_list.checksum, discount, consultation,
    )  # fmt: skip
    number = number or new_document_id(issued, "Q", seed)
    estimate, minor = _plan_patient_estimate(
        price_list, patient, items, issued, number, fmt.translations.translation_of,
        date_of_birth, discount, consultation,
    )  # fmt: skip
    template = DocumentTemplate(workspace.template("estimate.docx"))
    default_name = f"estimate-{safe_filename_part(patient)}-{estimate.number}.docx"
    target = _prepare_target(output, default_name, pdf, force)
    info = DocumentInfo(estimate.number, template.version, issued, generated, estimate.number)
    context = estimate_context(estimate, fmt, patient=patient, info=info, minor=minor)
    translations = None
    if clinic is not None:
        clinic_context = estimate_context(estimate, clinic, patient=patient, info=info, minor=minor)
        context, translations = _bilingual(context, clinic_context, fmt, clinic)
    return _write(
        workspace, template, context, fmt, info, price_list, target, pdf, force, translations,
        kind="estimate", patient=Patient(patient, str(date_of_birth or ""), reference),
    )  # fmt: skip


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
    template = DocumentTemplate(workspace.template("price_sheet.docx"))
    return _price_sheet(workspace, price_list, template, locale, output, pdf, force, issued)


def _price_sheet(
    workspace: Workspace,
    price_list: PriceList,
    template: DocumentTemplate,
    locale: str | None,
    output: str | Path | None,
    pdf: bool,
    force: bool,
    issued: dt.date | None,
) -> GeneratedDocument:
    fmt = formatter_for(workspace, price_list, locale)
    issued, generated, reproducible = when_issued(issued)
    seed = reproducible_seed(reproducible, price_list.checksum, str(fmt.locale))
    prefix = f"PS-{safe_filename_part(price_list.name)}-{fmt.locale}"
    document_id = new_document_id(issued, prefix, seed)
    target = _prepare_target(output, f"price-sheet-{price_list.name}-{fmt.locale}.docx", pdf, force)
    info = DocumentInfo(document_id, template.version, issued, generated)
    context = price_sheet_context(price_list, fmt, info=info)
    return _write(
        workspace, template, context, fmt, info, price_list, target, pdf, force,
        kind="price_sheet",
    )  # fmt: skip


def create_consent(
    workspace: Workspace,
    visit: Visit,
    *,
    treatment: str | None = None,
    cite_estimate: bool = False,
    estimate_number: str | None = None,
    locale: str | None = None,
    bilingual: bool = False,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> GeneratedDocument:
    """Write the consent form for one of the visit's treatments (treatment: its code; default:
    the visit's only one). Its cost section is the visit's estimate; with several treatments,
    its file name names the treatment. cite_estimate: the form names the quote its cost comes
    from (its estimate_number), for a patient who receives that estimate too
    (create_patient_documents writes both); estimate_number: that quote's number, when another
    form of the visit already cites it (default: a new one)."""
    return _treatment_document(
        "consent", workspace, visit, treatment=treatment, cite_estimate=cite_estimate,
        estimate_number=estimate_number, locale=locale, bilingual=bilingual, prices=prices,
        output=output, pdf=pdf, force=force, issued=issued,
    )  # fmt: skip


def create_treatment_record(
    workspace: Workspace, visit: Visit, **options: Any
) -> GeneratedDocument:
    """Write the treatment record that goes with the consent form for one of the visit's
    treatments (create_consent's keyword arguments): one row per planned session, for the
    date, time, product, batch or lot, expiry, dose and areas, and the practitioner's and
    patient's initials, filled in at each session."""
    return _treatment_document("treatment_record", workspace, visit, **options)


def _treatment_document(
    kind: str,
    workspace: Workspace,
    visit: Visit,
    *,
    treatment: str | None = None,
    cite_estimate: bool = False,
    estimate_number: str | None = None,
    locale: str | None = None,
    bilingual: bool = False,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> GeneratedDocument:
    """A document of TREATMENT_DOCUMENTS for one of the visit's treatments."""
    made = TREATMENT_DOCUMENTS[kind]
    price_list, fmt, clinic = _languages(workspace, prices, locale, bilingual)
    issued, generated, reproducible = when_issued(issued)
    seed = reproducible_seed(reproducible, visit, str(fmt.locale), bilingual, price_list.checksum)
    plan = plan_consent(
        price_list,
        visit,
        treatment,
        issued=issued,
        number=estimate_number or new_document_id(issued, "Q", seed),
        translated_names=fmt.translations.translation_of,
    )
    several = len(visit.treatments) > 1
    template = DocumentTemplate(workspace.template(made.template))
    form_seed = f"{seed}{plan.treatment.code}" if seed and several else seed
    document_id = new_document_id(issued, made.id_prefix, form_seed)
    for_treatment = f"-{safe_filename_part(plan.treatment.code)}" if several else ""
    patient_part = safe_filename_part(visit.patient)
    name = f"{made.file_prefix}-{patient_part}{for_treatment}-{document_id}.docx"
    target = _prepare_target(output, name, pdf, force)
    cited = plan.estimate.number if cite_estimate else ""
    info = DocumentInfo(document_id, template.version, issued, generated, cited)
    reads = parse_locale(visit.patient_language) if visit.patient_language else fmt.locale
    details = dict(patient_language=reads, cite_estimate=cite_estimate)
    context = made.context(plan, fmt, info=info, **details)
    translations = None
    if clinic is not None:
        clinic_context = made.context(plan, clinic, info=info, **details)
        context, translations = _bilingual(context, clinic_context, fmt, clinic)
    written = _write(
        workspace, template, context, fmt, info, price_list, target, pdf, force, translations,
        kind=kind, treatment=plan.treatment.code,
        patient=Patient(visit.patient, str(visit.date_of_birth or ""), visit.reference),
    )  # fmt: skip
    return replace(written, estimate_number=cited)


DOCUMENT_KINDS = ("consent", "estimate")


def estimate_preview(
    workspace: Workspace,
    treatment: str,
    areas: Sequence[str],
    *,
    sessions: int | None = None,
    locale: str | None = None,
    prices: str | None = None,
    visit: Sequence[PlannedTreatment] = (),
    discount: Discount | None = None,
    consultation: bool = False,
) -> dict:
    """What the estimate for this plan will print — lines, totals (as `totals`: each row of
    its totals table), notices, the headings of its lines' columns (`headings`), formatted in
    the patient's language — to show before anything is written, marked with that language
    (`language`, as a web page's lang writes it) and its direction (`direction`: ltr or rtl).
    visit: treatments already in the patient's visit, priced before this one (no areas: the
    visit's alone); discount, consultation: the visit's. Raises PlanError like
    create_estimate."""
    price_list = load_workspace_prices(workspace, prices)
    fmt = formatter_for(workspace, price_list, locale)
    items = [item for planned in visit for item in planned.items]
    items += plan_items(treatment, areas, sessions) if areas else []
    estimate = plan_estimate(price_list, items, discount=discount, consultation=consultation)
    info = DocumentInfo(estimate.number, "", estimate.issued)
    context = estimate_context(estimate, fmt, patient="", info=info)
    headings = {  # the estimate template's own, from the patient's catalogue
        "treatment": fmt.gettext("Treatment"),
        "area": fmt.gettext("Area"),
        "sessions": fmt.gettext("Sessions"),
        "amount": fmt.gettext("Amount"),
    }
    return {
        **context,
        "totals": totals_rows(estimate, fmt),
        "headings": headings,
        "language": html_language(fmt.locale),
        "direction": fmt.locale.text_direction,
    }


def check_patient_documents(
    workspace: Workspace,
    visit: Visit,
    *,
    kinds: Sequence[str] = DOCUMENT_KINDS,
    locale: str | None = None,
    prices: str | None = None,
    issued: dt.date | None = None,
) -> None:
    """Raise PlanError with every problem create_patient_documents would find in this visit,
    writing nothing; issued: the documents' date (a patient's age is taken on it)."""
    unknown = [kind for kind in kinds if kind not in DOCUMENT_KINDS]
    if unknown or not kinds:
        raise PlanError([f"documents must be one or both of {', '.join(DOCUMENT_KINDS)}"])
    price_list = load_workspace_prices(workspace, prices)
    problems: list[str] = []

    def collect(error: PlanError) -> None:
        problems.extend(problem for problem in error.problems if problem not in problems)

    translated_names = None  # unknown codes are matched against names in the patient's language
    try:
        translated_names = formatter_for(workspace, price_list, locale).translations.translation_of
    except LocaleError as error:
        problems.append(FieldProblem("locale", str(error)))
    try:
        visit.check()
    except PlanError as error:
        collect(error)
    if "consent" in kinds:
        for planned in dict.fromkeys(p.treatment.strip().upper() for p in visit.treatments):
            try:
                plan_consent(
                    price_list, visit, planned, issued=issued, translated_names=translated_names
                )
            except PlanError as error:
                collect(error)
    elif visit.treatments:
        try:
            _plan_patient_estimate(
                price_list, visit.patient, visit.items, issued, None, translated_names,
                visit.date_of_birth, visit.discount, visit.consultation,
            )  # fmt: skip
        except PlanError as error:
            collect(error)
    if problems:
        raise PlanError(problems, headline="problems with the patient's documents")


def create_patient_documents(
    workspace: Workspace,
    visit: Visit,
    *,
    kinds: Sequence[str] = DOCUMENT_KINDS,
    locale: str | None = None,
    bilingual: bool = False,
    prices: str | None = None,
    output: str | Path | None = None,
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> list[GeneratedDocument]:
    """A visit's documents, as `docgen consent` and `docgen visit` write them: a consent form
    per treatment, each citing the visit's one estimate and with its treatment record, and
    that estimate beside them (kinds:
    one or both of DOCUMENT_KINDS). A visit of several treatments goes into the output folder.
    Every problem of every document is found before anything is written; all or nothing: if a
    later document fails, those already written are removed again."""
    check_patient_documents(
        workspace, visit, kinds=kinds, locale=locale, prices=prices, issued=issued
    )
    if len(visit.treatments) > 1:
        output = as_folder(output)
    common = dict(locale=locale, bilingual=bilingual, prices=prices, pdf=pdf, force=force)
    documents: list[GeneratedDocument] = []
    number = None
    try:
        if "consent" in kinds:
            for planned in visit.treatments:
                consent = create_consent(
                    workspace, visit, treatment=planned.treatment,
                    cite_estimate="estimate" in kinds, estimate_number=number, output=output,
                    issued=issued, **common,
                )  # fmt: skip
                documents.append(consent)
                number = consent.estimate_number or None
                output = f"{consent.docx.parent}{os.sep}"
                documents.append(create_treatment_record(
                    workspace, visit, treatment=planned.treatment,
                    cite_estimate="estimate" in kinds, estimate_number=number, output=output,
                    issued=issued, **common,
                ))  # fmt: skip
        if "estimate" in kinds:
            documents.append(create_estimate(
                workspace, visit.patient, visit.items, output=output, issued=issued,
                number=number, date_of_birth=visit.date_of_birth, reference=visit.reference,
                discount=visit.discount, consultation=visit.consultation, **common,
            ))  # fmt: skip
    except Exception:
        _remove(workspace, documents)
        raise
    return documents


def _remove(workspace: Workspace, documents: list[GeneratedDocument]) -> None:
    """All or nothing: the documents of a set already written, when a later one fails, and
    their rows in the register."""
    for document in documents:
        document.docx.unlink(missing_ok=True)
        if document.pdf:
            document.pdf.unlink(missing_ok=True)
    Register.of(workspace).withdraw([document.document_id for document in documents])


def _write_set(
    workspace: Workspace,
    targets: list[Path],
    make: Callable[[], Iterable[GeneratedDocument]],
    pdf: bool,
    force: bool,
) -> list[GeneratedDocument]:
    """Write several documents as one: every target is checked first, the PDFs are made in one
    LibreOffice run, and if anything fails every document of the set written so far is
    removed again, with its row in the register (documents there before are left alone)."""
    for target in targets:
        ensure_can_write_with_pdf(target, pdf, force)
    if pdf:
        find_soffice()
    documents: list[GeneratedDocument] = []
    try:
        documents.extend(make())
        if pdf:
            pdfs = convert_to_pdf(
                [d.docx for d in documents], force=force, register=Register.of(workspace)
            )
            documents = [replace(d, pdf=p) for d, p in zip(documents, pdfs, strict=True)]
    except Exception:
        _remove(workspace, documents)
        raise
    return documents


def create_price_sheets(
    workspace: Workspace,
    output_dir: str | Path,
    *,
    all_locales: bool = True,
    all_prices: bool = False,
    prices: str | None = None,
    locales: Sequence[str] = (),
    pdf: bool = False,
    force: bool = False,
    issued: dt.date | None = None,
) -> list[GeneratedDocument]:
    """Price sheets for several workbooks and languages at once, the PDFs in one LibreOffice run.

    locales: the languages wanted; otherwise with all_locales every language the clinic serves
    (document_locales), otherwise the clinic's.
    all_prices: every workbook in pricing/ (one per clinic location or currency)."""
    workbooks = [p.stem for p in workspace.workbooks()] if all_prices else [prices]
    template = DocumentTemplate(workspace.template("price_sheet.docx"))  # read once, for all
    jobs = []
    for workbook in workbooks:
        price_list = load_workspace_prices(workspace, workbook)  # read once, for its languages
        if locales:
            chosen = [str(parse_locale(locale, workspace.locales_dir)) for locale in locales]
        elif all_locales:
            chosen = document_locales(workspace, price_list)
        else:
            chosen = [str(parse_locale(price_list.clinic.locale))]
        jobs += [(price_list, locale) for locale in dict.fromkeys(chosen)]
    output_dir = Path(output_dir)
    targets = [output_dir / f"price-sheet-{p.name}-{locale}.docx" for p, locale in jobs]

    def make() -> Iterator[GeneratedDocument]:
        for (price_list, locale), target in zip(jobs, targets, strict=True):
            yield _price_sheet(
                workspace, price_list, template, locale, target, False, force, issued
            )

    return _write_set(workspace, targets, make, pdf, force)


DEMO_PATIENT = "Amélie Laurent-O'Brien"
DEMO_PLAN = ("REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")


def run_demo(
    output_dir: str | Path,
    *,
    workspace: Workspace | None = None,
    pdf: bool | None = None,
    force: bool = False,
) -> list[GeneratedDocument]:
    """Generate sample documents from the workspace: an estimate in the clinic's language, a
    bilingual French one, consent forms in English (with its treatment record) and Arabic,
    and the price sheet. PDFs are made when LibreOffice is installed."""
    workspace = workspace or Workspace.open()
    output_dir = Path(output_dir)
    names = ("estimate", "estimate-fr", "consent", "record", "consent-ar", "price-sheet")
    targets = [output_dir / f"{name}.docx" for name in names]

    def make() -> Iterator[GeneratedDocument]:
        def demo_visit(patient: str, **details) -> Visit:
            return Visit.for_treatment(
                patient, "REJUV", ["FACE", "NECK"], date_of_birth="1986-04-12",
                reference="LUM-004127", practitioner="Dr Sarah Whitfield", **details,
            )  # fmt: skip

        yield create_estimate(workspace, DEMO_PATIENT, DEMO_PLAN, output=targets[0], force=force)
        yield create_estimate(
            workspace, DEMO_PATIENT, DEMO_PLAN, locale="fr_FR", bilingual=True,
            output=targets[1], force=force,
        )  # fmt: skip
        yield create_consent(workspace, demo_visit(DEMO_PATIENT), output=targets[2], force=force)
        yield create_treatment_record(
            workspace, demo_visit(DEMO_PATIENT), output=targets[3], force=force
        )
        yield create_consent(
            workspace, demo_visit("ليلى حداد", interpreter="Karim Haddad"), locale="ar",
            output=targets[4], force=force,
        )  # fmt: skip
        yield create_price_sheet(workspace, output=targets[5], force=force)

    pdf = libreoffice_available() if pdf is None else pdf
    return _write_set(workspace, targets, make, pdf, force)
