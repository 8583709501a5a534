"""`docgen check`: validate a whole workspace — every workbook, and every template against the
values docgen gives it — and report every problem at once."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale

from docgen.catalogues import (
    CATALOGUES,
    catalogue_problems,
    document_texts,
    po_path,
    read_catalogue,
    text_languages,
    untranslated_texts,
)
from docgen.consent import plan_consent
from docgen.documents import (
    DocumentInfo,
    consent_context,
    estimate_context,
    price_sheet_context,
    treatment_record_context,
)
from docgen.estimate import PlanItem, plan_estimate
from docgen.exceptions import (
    CatalogueFileError,
    CompiledCatalogueError,
    DocgenError,
    LocaleError,
    PdfError,
    Problem,
    TemplateError,
    WorkbookError,
)
from docgen.generate import document_locales, formatter_for
from docgen.i18n import (
    Formatter,
    catalogue_locales,
    compiled_catalogue_problem,
    misnamed_catalogue_folders,
    parse_locale,
    writing_script,
)
from docgen.pdf import find_soffice
from docgen.pricing import PriceList, load_price_list
from docgen.render import DocumentProperties, DocumentTemplate
from docgen.signing import key_problems
from docgen.visit import Visit
from docgen.workspace import TEMPLATE_NAMES, Workspace


@dataclass
class CheckReport:
    checked: list[str] = field(default_factory=list)
    problems: list[Problem | str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # documents are made, but worse

    @property
    def ok(self) -> bool:
        return not self.problems


SAMPLE_PROPERTIES = DocumentProperties(
    "CHECK", "check", "en", "0" * 64, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
)


def sample_contexts(price_list: PriceList) -> dict[str, dict]:
    """A realistic context for each template, built by the same code as real documents."""
    fmt = Formatter(parse_locale(price_list.clinic.locale), price_list.clinic.currency)
    info = DocumentInfo("CHECK", "check", dt.date.today())
    one_price_per_kind = {}
    for treatment_code, area_code in price_list.prices:
        kind = price_list.treatments[treatment_code].kind
        one_price_per_kind.setdefault(kind, PlanItem(treatment_code, area_code))
    estimate = plan_estimate(price_list, one_price_per_kind.values(), number="CHECK")
    first = next(iter(one_price_per_kind.values()))
    check_visit = Visit.for_treatment(
        "Check Patient", first.treatment, [first.area], date_of_birth="1980-01-01",
        interpreter="Check Interpreter", allow_minor=True,
    )  # fmt: skip
    consent = plan_consent(price_list, check_visit)
    return {
        "estimate.docx": estimate_context(estimate, fmt, patient="Check Patient", info=info),
        "consent.docx": consent_context(consent, fmt, info=info),
        "treatment_record.docx": treatment_record_context(consent, fmt, info=info),
        "price_sheet.docx": price_sheet_context(price_list, fmt, info=info),
    }


def _untranslated(workspace: Workspace, price_lists: list[PriceList]) -> list[str]:
    """For every language a clinic serves, what its documents would be refused for."""
    problems = []
    try:
        template = document_texts(workspace)
    except DocgenError:
        return []  # a damaged template: the template checks below name it
    languages = text_languages(workspace)
    for price_list in price_lists:
        for code in document_locales(workspace, price_list):
            try:
                locale = parse_locale(code, workspace.locales_dir)
            except DocgenError as error:
                problems.append(f"pricing/{price_list.path.name}: Languages: {error}")
                continue
            try:
                missing = untranslated_texts(workspace, price_list, locale, template, languages)
                formatter_for(workspace, price_list, code)
            except CompiledCatalogueError:
                continue  # named with the catalogues below
            except LocaleError as error:
                problems.append(f"pricing/{price_list.path.name}: {error}")
            if missing:
                shown = "; ".join(repr(text[:60]) for text in missing[:3])
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                problems.append(
                    f"pricing/{price_list.path.name}: documents in {code} would be refused: "
                    f"{len(missing)} text(s) have no reviewed translation ({shown}{more}); "
                    f"see 'docgen i18n status'"
                )
    return problems


# Scripts whose long words LibreOffice breaks with a hyphen, given the language's patterns
# (Arabic and East Asian text is not hyphenated)
HYPHENATED_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})
# Where LibreOffice finds hyphenation patterns: the system's (Debian's hyphen-* packages), and
# the dictionaries bundled with an installation from libreoffice.org
HYPHENATION_FOLDERS = (Path("/usr/share/hyphen"), Path("/usr/share/myspell/dicts"))


def hyphenation_patterns(language: str) -> list[Path]:
    """The hyphenation pattern files LibreOffice would use for language ('pl')."""
    folders = list(HYPHENATION_FOLDERS)
    with contextlib.suppress(PdfError):
        program = Path(find_soffice()).resolve().parent
        folders.append(program.parent / "share" / "extensions")
    return [
        found
        for folder in folders
        for found in folder.glob(f"**/hyph_{language}*.dic")
        if folder.is_dir()
    ]


def unhyphenated_languages(workspace: Workspace, price_lists: list[PriceList]) -> list[str]:
    """A warning for each language the clinic serves whose long words LibreOffice cannot
    hyphenate on this machine (no patterns installed: Polish and Ukrainian had none, silently):
    its documents are made, with long words wrapped whole."""
    languages = set()
    for price_list in price_lists:
        for code in document_locales(workspace, price_list):
            with contextlib.suppress(DocgenError):
                languages.add(parse_locale(code, workspace.locales_dir).language)
    return [
        f"documents in {Locale.parse(language).get_display_name('en')} ({language}) are not "
        "hyphenated: LibreOffice finds no hyphenation patterns for it on this machine; "
        f"install them (Debian and Ubuntu: the package hyphen-{language}, where there is one)"
        for language in sorted(languages)
        if writing_script(language) in HYPHENATED_SCRIPTS and not hyphenation_patterns(language)
    ]


def check_workspace(workspace: Workspace) -> CheckReport:
    report = CheckReport()
    report.problems.extend(key_problems())
    price_lists = []
    workbooks = workspace.workbooks()
    if not workbooks:
        report.problems.append(f"no price-list workbook (.xlsx) in {workspace.pricing_dir}")
    for path in workbooks:
        report.checked.append(f"pricing/{path.name}")
        try:
            price_lists.append(load_price_list(path))
        except WorkbookError as error:
            report.problems.extend(error.problems)

    if price_lists:
        report.problems.extend(_untranslated(workspace, price_lists))
        report.warnings.extend(unhyphenated_languages(workspace, price_lists))

    for code in catalogue_locales(workspace.locales_dir):
        for path in (po_path(workspace, code, domain) for domain in CATALOGUES):
            shown = (
                path.relative_to(workspace.root) if path.is_relative_to(workspace.root) else path
            )
            try:
                catalogue = read_catalogue(path, code)
            except CatalogueFileError as error:
                report.problems.append(str(error))
                continue
            report.problems.extend(catalogue_problems(catalogue, shown))
            compiled = path.with_suffix(".mo")
            if problem := compiled_catalogue_problem(compiled, code):
                report.problems.append(f"{shown.with_suffix('.mo')}: {problem}")

    for code in misnamed_catalogue_folders(workspace.locales_dir):
        report.problems.append(
            f"locales/{code}: not a language code (such as fr, pt_BR), so docgen ignores "
            "this catalogue; rename the folder"
        )

    contexts = {}
    if price_lists:
        try:
            contexts = sample_contexts(price_lists[0])
        except DocgenError as error:
            report.problems.append(f"pricing/{price_lists[0].path.name}: {error}")
    for name in TEMPLATE_NAMES:
        report.checked.append(f"templates/{name}")
        path = workspace.templates_dir / name
        if not path.is_file():
            report.problems.append(f"templates/{name}: missing")
            continue
        try:
            template = DocumentTemplate(path)
            unknown = template.variables() - set(contexts.get(name, {}))
            if unknown and contexts:
                known = ", ".join(sorted(contexts[name]))
                report.problems.append(
                    f"templates/{name}: uses {', '.join(sorted(unknown))}, which docgen does not "
                    f"provide (available: {known})"
                )
            elif name in contexts:
                # a real render finds misspelt attributes such as line.totl
                template.render(contexts[name], SAMPLE_PROPERTIES)
        except TemplateError as error:
            report.problems.append(str(error))
        except DocgenError as error:
            report.problems.append(f"templates/{name}: {error}")
    return report
