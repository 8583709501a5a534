"""`docgen i18n export` and `import`: one language's texts as a workbook a translator fills in.

The catalogues stay the storage. A workbook is only a way to edit one: export writes, per text
the language needs, where it is used, its source, its translation and status; import checks
every filled cell, then writes the catalogue and its compiled form, so the next document uses
them. A row marked "changed: check it" stays out of documents until its status is changed.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gettext
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import openpyxl
from babel import Locale
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.pofile import read_po, write_po
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from docgen.catalogues import (
    CATALOGUES,
    compiled_catalogue,
    earlier_wording,
    extract_catalogues,
    forget_earlier_wording,
    has_translation,
    merge_template,
    message_problem,
    po_path,
    read_catalogue,
    text_languages,
    written_in,
)
from docgen.documents import sessions_text
from docgen.exceptions import DocgenError, LocaleError, Problem, ProblemsError
from docgen.generate import formatter_for, load_workspace_prices
from docgen.i18n import DOCUMENTS, Formatter, load_translations, parse_locale
from docgen.limits import existing_rows, oversized_package, unusable_translation
from docgen.output import ensure_can_write, write_atomically
from docgen.workspace import Workspace

SHEET = "Translations"
ABOUT_SHEET = "About"
COLUMNS = (
    "Where used", "Context", "Source language", "Source text", "Source plural", "Placeholders",
    "Plural form", "Translation", "Status", "Changed from",
)  # fmt: skip
OPTIONAL_COLUMNS = ("Where used", "Source language", "Placeholders", "Changed from")
TRANSLATED, MISSING, CHANGED = "translated", "missing", "changed: check it"
MAX_TRANSLATION_WORKBOOK_BYTES = 20_000_000


class TranslationWorkbookError(ProblemsError):
    """A translation workbook that cannot be imported: every cell at fault, nothing written."""

    headline = "problems in the translation workbook"


@dataclass(frozen=True)
class ImportResult:
    catalogues: tuple[Path, ...]  # the .po files written, each compiled next to it
    translated: int  # of the texts documents print
    changed: int  # kept out of documents: still "changed: check it"
    missing: int


def catalogue_for(workspace: Workspace, locale: Locale) -> Path:
    """The catalogue a locale's texts are kept in: de_CH's own, else its language's (de)."""
    for name in (str(locale), locale.language):
        if po_path(workspace, name).is_file():
            return po_path(workspace, name)
    raise LocaleError(
        f"the workspace has no catalogue for {locale.get_display_name('en')}; start one with "
        f"'docgen i18n init {locale.language}'"
    )


def _catalogues(workspace: Workspace, locale: Locale) -> dict[str, tuple[Path, Catalog]]:
    """locale's three catalogues (catalogue_for's folder), each with its path."""
    folder = catalogue_for(workspace, locale).parent
    code = folder.parent.name
    paths = {domain: folder / f"{domain}.po" for domain in CATALOGUES}
    return {domain: (path, read_catalogue(path, code)) for domain, path in paths.items()}


def _needed_messages(
    workspace: Workspace, catalogs: dict[str, Catalog]
) -> list[tuple[str, Message]]:
    """The texts the catalogues' language needs (not those written in it), documents' first,
    each with its catalogue and current translation: every catalogue brought up to date with
    a fresh extraction, as update does."""
    templates = extract_catalogues(workspace)
    languages = text_languages(workspace)
    needed = []
    for domain, catalog in catalogs.items():
        merge_template(catalog, templates[domain])
        language = catalog.locale.language
        needed += [
            (domain, catalog.get(message.id, context=message.context))
            for message in templates[domain]
            if message.id and written_in(message, languages) != {language}
        ]
    return needed


def _where_used(message: Message) -> str:
    places = []
    for filename, _line in message.locations:
        if filename.startswith("docgen/web/"):
            place = "the desk"
        elif filename.startswith("docgen/"):
            place = "docgen"
        else:
            place = filename
        if place not in places:
            places.append(place)
    cells = [comment for comment in message.auto_comments if "!" in comment]
    return ", ".join(places + cells)


def language_names(codes: tuple[str, ...], locale: Locale | str = "en") -> str:
    """'French, English': languages named in locale's language."""
    return ", ".join(Locale.parse(code).get_display_name(locale) for code in codes)


def _plural_forms(catalog: Catalog) -> list[str]:
    """Each gettext plural form labelled by the numbers it is for: '1 of 2: for 1', '2 of 2:
    for 0, 2, 3 …' (Arabic has six forms, whose order only these numbers explain). The rule is
    the catalogue's own, from its header: the one its .mo is read with, whichever CLDR release
    the installed Babel carries."""
    count = catalog.num_plurals
    choose = gettext.c2py(catalog.plural_expr)
    examples: list[list[int]] = [[] for _ in range(count)]
    for n in range(1000):
        if len(examples[choose(n)]) < 3:
            examples[choose(n)].append(n)
    return [
        f"{index + 1} of {count}: for "
        + ", ".join(map(str, numbers))
        + (" …" if len(numbers) == 3 else "")
        for index, numbers in enumerate(examples)
    ]


def _status(message: Message) -> str:
    if not has_translation(message):
        return MISSING
    return CHANGED if message.fuzzy else TRANSLATED


@dataclass(frozen=True)
class TextToTranslate:
    """One text a language needs, as a translator sees it."""

    catalogue: str  # DOCUMENTS, DESK or MESSAGES
    where: str  # 'pricing/geneva.xlsx, Areas!B2', 'templates/consent.docx', 'docgen'
    context: str
    source_languages: tuple[str, ...]  # language codes: 'fr'
    source: str
    plural: str  # the source's plural, for a text with plural forms
    examples: str  # what each date or amount placeholder prints: '%(date)s = 6 janvier 2027'
    forms: tuple[str, ...]  # each plural form's label ('1 of 2: for 1'); () for a plain text
    translations: tuple[str, ...]  # one per form, or the one translation
    status: str  # TRANSLATED, MISSING or CHANGED
    earlier: str  # for CHANGED: the wording the translation was made for


EXAMPLE_DAY = dt.date(2027, 1, 6)
EXAMPLE_AMOUNT = Decimal("1250.00")

# What docgen puts in the date and amount placeholders of its texts, as the translator's language
# prints it: a sentence is worded around "6 janvier 2027" or "1 250,00 €", not around a name.
PLACEHOLDER_EXAMPLES: dict[str, Callable[[Formatter], str]] = {
    **dict.fromkeys(("date", "valid_until"), lambda fmt: fmt.date(EXAMPLE_DAY)),
    **dict.fromkeys(
        ("price", "total", "deposit", "base", "fee", "amount"),
        lambda fmt: fmt.money(EXAMPLE_AMOUNT) if fmt.currency else "",
    ),
    **dict.fromkeys(("rate", "percent"), lambda fmt: fmt.percent(Decimal(20))),
    "interval": lambda fmt: fmt.duration(28),
    "sessions": lambda fmt: sessions_text(6, fmt),
}


def _example_formatter(workspace: Workspace, locale: str) -> Formatter:
    """Formatting in locale, with the currency of the workspace's first workbook that reads
    (none: no amount is shown), and the language's translations as they stand."""
    parsed = parse_locale(locale)
    for path in workspace.workbooks():
        with contextlib.suppress(DocgenError):
            return formatter_for(workspace, load_workspace_prices(workspace, path.stem), locale)
    return Formatter(parsed, "", load_translations(workspace.locales_dir, parsed))


def placeholder_examples(message: Message, fmt: Formatter) -> str:
    """One line per date or amount placeholder of a text: '%(date)s = 6 janvier 2027'."""
    sources = message.id if isinstance(message.id, tuple) else (message.id,)
    names = dict.fromkeys(name for text in sources for name, *_ in PYTHON_FORMAT.findall(text))
    lines = []
    for name in names:
        if name in PLACEHOLDER_EXAMPLES and (example := PLACEHOLDER_EXAMPLES[name](fmt)):
            lines.append(f"%({name})s = {example}")
    return "\n".join(lines)


def texts_to_translate(
    workspace: Workspace, locale: str, catalogues: tuple[str, ...] = CATALOGUES
) -> list[TextToTranslate]:
    """Every text locale's documents need and, with the other catalogues, the desk's words and
    docgen's messages: with its translation and status, documents' texts first."""
    found = _catalogues(workspace, parse_locale(locale))
    catalogs = {domain: found[domain][1] for domain in catalogues}
    languages = text_languages(workspace)
    forms = tuple(_plural_forms(found[DOCUMENTS][1]))
    fmt = _example_formatter(workspace, locale)
    texts = []
    for domain, message in _needed_messages(workspace, catalogs):
        status = _status(message)
        plural = isinstance(message.id, tuple)
        strings = tuple(message.string) if plural else (message.string or "",)
        texts.append(
            TextToTranslate(
                catalogue=domain,
                where=_where_used(message),
                context=message.context or "",
                source_languages=tuple(sorted(written_in(message, languages))),
                source=message.id[0] if plural else message.id,
                plural=message.id[1] if plural else "",
                examples=placeholder_examples(message, fmt),
                forms=forms if plural else (),
                translations=strings + ("",) * (len(forms) - len(strings)) if plural else strings,
                status=status,
                earlier=(earlier_wording(message) or "") if status == CHANGED else "",
            )
        )
    return texts


def export_translations(
    workspace: Workspace,
    locale: str,
    output: str | Path,
    force: bool = False,
    everything: bool = False,
) -> Path:
    """Write the workbook for locale's texts: one row per text (per plural form), the texts
    documents print, and with everything the desk's words and docgen's messages after them."""
    parsed = parse_locale(locale)
    path = Path(output)
    ensure_can_write(path, force)
    catalogue = catalogue_for(workspace, parsed)
    catalogues = CATALOGUES if everything else (DOCUMENTS,)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for text in texts_to_translate(workspace, locale, catalogues):
        source_language = language_names(text.source_languages)
        common = (
            text.where, text.context, source_language, text.source, text.plural, text.examples
        )  # fmt: skip
        for form, translation in zip(text.forms or ("",), text.translations, strict=True):
            sheet.append((*common, form, translation, text.status, text.earlier))
    _lay_out(sheet)
    about = book.create_sheet(ABOUT_SHEET)
    for row in (
        ("Language", str(parsed)),
        ("Catalogue", str(catalogue.relative_to(workspace.root))),
        ("Exported", dt.date.today().isoformat()),
        ("How to", f"Type each text's translation in the {SHEET} sheet's Translation column. "
         f"A row marked '{CHANGED}' has a translation of an earlier wording: correct it if "
         f"needed and set its status to '{TRANSLATED}'. Then: docgen i18n import {path.name}"),
    ):  # fmt: skip
        about.append(row)
    about.column_dimensions["B"].width = 100
    _as_text(about)
    buffer = io.BytesIO()
    book.save(buffer)
    return write_atomically(path, buffer.getvalue(), force=force)


def _as_text(sheet) -> None:
    """Every cell a text: a source text starting with '=' must not become a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def _lay_out(sheet) -> None:
    widths = {"Where used": 28, "Context": 10, "Source language": 12, "Source text": 50,
              "Source plural": 24, "Placeholders": 28, "Plural form": 14, "Translation": 50,
              "Status": 16, "Changed from": 40}  # fmt: skip
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[name]
        sheet.cell(1, index).font = Font(bold=True)
        sheet.cell(1, index).fill = PatternFill("solid", fgColor="DDE6F0")
    wrapped = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrapped
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    status = get_column_letter(COLUMNS.index("Status") + 1)
    choices = DataValidation(type="list", formula1=f'"{TRANSLATED},{MISSING},{CHANGED}"')
    choices.add(f"{status}2:{status}{max(sheet.max_row, 2)}")
    sheet.add_data_validation(choices)
    _as_text(sheet)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def import_translations(workspace: Workspace, workbook: str | Path) -> ImportResult:
    """Bring a filled-in translation workbook back into its catalogue and compile it. Every
    cell at fault is reported at once (a text docgen does not have, broken placeholders, a
    plural with some forms empty) and then nothing is written."""
    workspace.ensure_editable("docgen i18n import")
    path = Path(workbook)
    name = path.name
    if too_big := oversized_package(path, MAX_TRANSLATION_WORKBOOK_BYTES, "a workbook"):
        raise TranslationWorkbookError([Problem(name, too_big)])
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is no workbook
        raise TranslationWorkbookError(
            [Problem(name, f"not a workbook docgen can read ({type(error).__name__})")]
        ) from None
    try:
        rows, about, column = _read_rows(book, name)
    finally:
        book.close()
    locale = about.language
    if about.catalogue and (mismatch := _another_languages(workspace, locale, about.catalogue)):
        problem = Problem(name, mismatch, ABOUT_SHEET, about.language_cell, locale)
        raise TranslationWorkbookError([problem])
    problems: list[Problem] = []

    def report(number: int, column_name: str, text: str, found: str | None = None) -> None:
        problems.append(Problem(name, text, SHEET, f"{column[column_name]}{number}", found))

    result = save_translations(workspace, locale, rows, report)
    if result is None:
        raise TranslationWorkbookError(problems)
    return result


Report = Callable[[int, str, str, "str | None"], None]


# Characters no document can hold (XML 1.0 refuses them): a tab and a line break are text
def save_translations(
    workspace: Workspace, locale: str, rows: list[tuple[int, dict[str, str]]], report: Report
) -> ImportResult | None:
    """Write translations into locale's catalogues (each text into the one it is kept in) and
    compile them, each file atomically. rows: numbered dicts with the workbook's columns
    (Context, Source text, Source plural, Plural form, Translation, Status). Every problem is
    passed to report(number, column, message, found); when there is any, nothing is written
    and None is returned."""
    workspace.ensure_editable("docgen i18n import")
    found = _catalogues(workspace, parse_locale(locale))
    catalogs = {domain: catalog for domain, (_path, catalog) in found.items()}
    needed = _needed_messages(workspace, catalogs)
    messages = {(m.context or "", m.id): m for _domain, m in needed}
    catalog = catalogs[DOCUMENTS]
    plural_count = catalog.num_plurals

    grouped: dict[tuple, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        key_id = (
            (row["Source text"], row["Source plural"])
            if row["Source plural"]
            else row["Source text"]
        )
        grouped.setdefault((row["Context"], key_id), []).append((number, row))
    reported: list[str] = []

    def problem(number: int, column_name: str, text: str, found: str | None = None) -> None:
        reported.append(text)
        report(number, column_name, text, found)

    unusable_rows = set()
    for number, row in rows:
        if unusable := unusable_translation(row["Translation"], locale, row["Source text"]):
            problem(number, "Translation", f"translation of {row['Source text']!r} {unusable}")
            unusable_rows.add(number)
    for key, group in grouped.items():
        number, first = group[0]
        message = messages.get(key)
        if message is None:
            unknown = (
                f"{first['Source text']!r} is not a text this workspace needs in this language "
                "(changed since the export?): export again and copy the translation over"
            )
            problem(number, "Source text", unknown, first["Source text"])
            continue
        if unusable_rows.intersection(row_number for row_number, _row in group):
            continue  # its cell is named already
        if isinstance(message.id, tuple):
            strings = _plural_forms_of(group, plural_count, problem)
            if strings is None:
                continue
            translation: str | tuple[str, ...] = strings
        else:
            translation = first["Translation"]
        candidate = copy.copy(message)
        candidate.string = translation
        candidate.flags = set(message.flags) - {"fuzzy"}
        errors = [*candidate.check(catalog), *filter(None, [message_problem(candidate, locale)])]
        if errors:
            broken = f"translation of {first['Source text']!r}: " + "; ".join(map(str, errors))
            problem(number, "Translation", broken, first["Translation"])
            continue
        message.string = translation
        changed = first["Status"].strip().lower() == CHANGED
        message.flags.discard("fuzzy")
        if changed and any(translation if isinstance(translation, tuple) else [translation]):
            message.flags.add("fuzzy")
        else:
            forget_earlier_wording(message)
    if reported:
        return None

    files = {}
    for path, edited in found.values():
        buffer = io.BytesIO()
        write_po(buffer, edited, width=100, include_previous=True)
        # compiled from the .po as written, as 'i18n compile' reads it (a text just added by
        # the merge is held in memory with an empty plural form, which the compiler refuses)
        written = read_po(io.BytesIO(buffer.getvalue()), locale=edited.locale, domain=path.stem)
        files[path] = (buffer.getvalue(), compiled_catalogue(written, path))
    for path, (text, compiled) in files.items():
        write_atomically(path, text, force=True)
        write_atomically(path.with_suffix(".mo"), compiled, force=True)
    statuses = [_status(m) for domain, m in needed if domain == DOCUMENTS]
    return ImportResult(
        tuple(files),
        statuses.count(TRANSLATED),
        statuses.count(CHANGED),
        statuses.count(MISSING),
    )


def _plural_forms_of(
    group: list[tuple[int, dict[str, str]]], count: int, problem: Callable[..., None]
) -> tuple[str, ...] | None:
    """A plural text's forms, from its rows (one per form); None when a row names no form of
    the export, or some forms are translated and others not (each reported)."""
    strings = [""] * count
    rows_of = [group[0][0]] * count  # a form without a row of its own: named at the first
    wrong = False
    for number, row in group:
        index = _form_index(row["Plural form"], count)
        if index is None:
            wrong_form = (
                f"{row['Plural form']!r} is not one of the {count} plural forms written in the "
                "export"
            )
            problem(number, "Plural form", wrong_form, row["Plural form"])
            wrong = True
            continue
        strings[index], rows_of[index] = row["Translation"], number
    if any(strings) and not all(strings):
        source = group[0][1]["Source text"]
        for index in (i for i, text in enumerate(strings) if not text):
            empty = (
                f"{source!r} needs every plural form translated, or none; form {index + 1} of "
                f"{count} is empty"
            )
            problem(rows_of[index], "Translation", empty)  # the cell to fill in
        return None
    return None if wrong else tuple(strings)


def _form_index(label: str, count: int) -> int | None:
    number = label.split(" of ", 1)[0].strip()
    if number.isdigit() and 1 <= int(number) <= count:
        return int(number) - 1
    return None


def _another_languages(workspace: Workspace, locale: str, exported_from: str) -> str | None:
    """Why a workbook whose Language names another language than the catalogue it was
    exported from is not imported: French translations were written into the German
    catalogue when its Language cell was changed by hand."""
    try:
        into = catalogue_for(workspace, parse_locale(locale)).relative_to(workspace.root)
    except DocgenError:  # no such language: said with the rest, as before
        return None
    if Path(exported_from) == into:
        return None
    return (
        f"the Language cell says {locale}, whose texts are kept in {into}, but this workbook "
        f"was exported from {exported_from} (its Catalogue row): its translations are that "
        f"language's; export the workbook for {locale} instead"
    )


@dataclass(frozen=True)
class _About:
    """What a workbook's About sheet says: its language (and the cell saying so), and the
    catalogue it was exported from."""

    language: str = ""
    language_cell: str = "B1"
    catalogue: str = ""


def _read_rows(book, name: str) -> tuple[list[tuple[int, dict[str, str]]], _About, dict[str, str]]:
    """The filled-in rows (numbered, by column name), the About sheet's language and
    catalogue, and each column's letter (a workbook exported by an earlier docgen has fewer
    columns)."""
    problems = []
    sheets = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
    about = _About()
    if ABOUT_SHEET.lower() in sheets:
        for number, (key, value, *_) in existing_rows(sheets[ABOUT_SHEET.lower()], max_col=2):
            said = _text(value).strip() if value else ""
            if _text(key).strip().lower() == "language" and said:
                about = replace(about, language=said, language_cell=f"B{number}")
            if _text(key).strip().lower() == "catalogue" and said:
                about = replace(about, catalogue=said)
    if not about.language:
        problems.append(Problem(name, "no Language row: is this a workbook 'docgen i18n export' "
                                "wrote?", ABOUT_SHEET))  # fmt: skip
    sheet = sheets.get(SHEET.lower())
    if sheet is None:
        problems.append(Problem(name, f"no sheet named {SHEET!r}"))
        raise TranslationWorkbookError(problems)
    values = existing_rows(sheet)
    header = [_text(cell).strip().lower() for cell in next(values, (1, ()))[1]]
    positions = {}
    for column in COLUMNS:
        if column.lower() in header:
            positions[column] = header.index(column.lower())
        elif column not in OPTIONAL_COLUMNS:
            problems.append(Problem(name, f"no column {column!r} in row 1", SHEET))
    if problems:
        raise TranslationWorkbookError(problems)
    rows = []
    for number, cells in values:
        row = {c: _text(cells[i]) if i < len(cells) else "" for c, i in positions.items()}
        if row["Source text"]:
            rows.append((number, row))
    return rows, about, {c: get_column_letter(i + 1) for c, i in positions.items()}
