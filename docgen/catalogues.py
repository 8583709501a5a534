"""`docgen i18n`: the gettext workflow for a workspace, on Babel's catalogue machinery.

extract  templates + workbook + docgen's own text → locales/docgen.pot
init     a new language's locales/<lang>/LC_MESSAGES/docgen.po
update   merge the .pot into every .po (changed text becomes fuzzy)
compile  .po → .mo, without fuzzy entries, refusing broken placeholders
status   per language: translated, fuzzy and missing, against a fresh extraction
"""

from __future__ import annotations

import copy
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from docgen.exceptions import DocgenError, LocaleError, UntranslatedError
from docgen.i18n import DOMAIN, SOURCE_LANGUAGE, catalogue_locales, load_translations
from docgen.pricing import PriceList, load_price_list
from docgen.workspace import PACKAGE_DIR, Workspace

WORKSPACE_METHODS = [("templates/**.docx", "docx"), ("pricing/**.xlsx", "xlsx")]


@dataclass(frozen=True)
class LocaleStatus:
    locale: str
    translated: int
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    compiled: bool = True  # the .mo holds exactly the .po's reviewed translations

    @property
    def complete(self) -> bool:
        return not self.fuzzy and not self.missing and self.compiled


def template_path(workspace: Workspace) -> Path:
    return workspace.locales_dir / f"{DOMAIN}.pot"


def po_path(workspace: Workspace, locale: str) -> Path:
    return workspace.locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract_messages(workspace: Workspace) -> Catalog:
    """Every translatable string: the workspace's templates and workbooks, and docgen's own
    text (notices, plurals, frequency bands) from its Python source."""
    catalog = Catalog(project="docgen", domain=DOMAIN, fuzzy=False)
    sources = [
        (workspace.root, WORKSPACE_METHODS, ""),
        (PACKAGE_DIR, [("**.py", "python"), ("web/templates/**.html", "jinja2")], "docgen/"),
    ]
    for directory, methods, prefix in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(directory), methods, keywords=DEFAULT_KEYWORDS
        ):
            msgid = message if isinstance(message, str) else tuple(message)
            catalog.add(
                msgid,
                locations=[(prefix + filename, lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def text_sources(workspace: Workspace) -> dict[str, str]:
    """Where each text of the workspace's templates and workbooks is written: 'pricing/
    geneva.xlsx, Areas!B3' or 'templates/consent.docx'. Read again only when a file changes."""
    files = sorted(
        (str(path), path.stat().st_mtime_ns)
        for pattern in ("templates/*.docx", "pricing/*.xlsx")
        for path in workspace.root.glob(pattern)
    )
    return dict(_text_sources(workspace.root, tuple(files)))


@functools.lru_cache(maxsize=8)
def _text_sources(root: Path, _files: tuple) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for filename, _lineno, message, comments, _context in extract_from_dir(
        str(root), WORKSPACE_METHODS, keywords=DEFAULT_KEYWORDS
    ):
        text = message if isinstance(message, str) else message[0]
        cells = [c for c in comments if "!" in c and filename.endswith(".xlsx")]
        found.setdefault(text, ", ".join([filename, *cells]))
    return tuple(found.items())


def untranslated_error(workspace: Workspace, locale: Locale, texts: set[str]) -> UntranslatedError:
    """The refusal of a document whose texts have no reviewed translation into locale's
    language: each text with where it is written, and the catalogue to translate it in."""
    sources = text_sources(workspace)
    own = "docgen's own text"
    shown = [f"{text!r} ({sources.get(text, own)})" for text in sorted(texts)]
    regional = po_path(workspace, str(locale))
    path = regional if regional.is_file() else po_path(workspace, locale.language)
    catalogue = str(path.relative_to(workspace.root))
    if not path.is_file():
        catalogue += f" (make it with 'docgen i18n init {locale.language}')"
    return UntranslatedError(locale.get_display_name("en"), catalogue, shown)


def untranslated_texts(
    workspace: Workspace, price_list: PriceList, locale: Locale, template: Catalog | None = None
) -> list[str]:
    """The texts a patient document in locale, made from this price list, would be refused
    for: the workbook's, the templates' and docgen's own document texts (not the desk's) with
    no reviewed translation into locale's language. template: an extraction already made."""
    translations = load_translations(workspace.locales_dir, locale)
    workbook = extraction_location(price_list.path)
    source = Locale.parse(price_list.clinic.locale).language
    for message in template or extract_messages(workspace):
        files = {filename for filename, _line in message.locations}
        if not message.id or not (
            workbook in files
            or any(f.startswith(("templates/", "docgen/")) and "/web/" not in f for f in files)
        ):
            continue
        if workbook in files and not (files - {workbook}):
            translations.text_from(source, message.id)
        elif isinstance(message.id, tuple):
            singular, plural = message.id
            if message.context:
                translations.npgettext(message.context, singular, plural, 1)
            else:
                translations.ngettext(singular, plural, 1)
        elif message.context:
            translations.pgettext(message.context, message.id)
        else:
            translations.gettext(message.id)
    return sorted(translations.missing)


def write_catalogue_template(workspace: Workspace) -> Path:
    workspace.ensure_editable("docgen i18n extract")
    path = template_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, extract_messages(workspace), width=100)
    return path


def init_locale(workspace: Workspace, locale: str) -> Path:
    workspace.ensure_editable("'docgen i18n init'")
    try:
        parsed = Locale.parse(locale.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise LocaleError(
            f"unknown locale {locale!r}; write a code such as nl, nl_BE or pt_BR"
        ) from None
    path = po_path(workspace, str(parsed))
    if path.exists():
        raise DocgenError(f"{path} already exists; use 'docgen i18n update' to refresh it")
    catalog = Catalog(locale=parsed, project="docgen", domain=DOMAIN)
    catalog.update(extract_messages(workspace))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return path


def _read(path: Path, locale: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def update_catalogues(workspace: Workspace) -> list[Path]:
    workspace.ensure_editable("docgen i18n update")
    template = extract_messages(workspace)
    updated = []
    for locale in catalogue_locales(workspace.locales_dir):
        path = po_path(workspace, locale)
        catalog = _read(path, locale)
        # update() adopts the template's messages. No guesses by similarity: a fuzzy match
        # once offered 'Seite' (page) for 'Visage', which an admin clearing the flag prints.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        with path.open("wb") as handle:
            # entries no longer used stay as #~ comments, for a translator to reuse
            write_po(handle, catalog, width=100)
        updated.append(path)
    return updated


def _compiled_bytes(catalog: Catalog, path: Path) -> bytes:
    errors = [
        f"{path}: {message.id!r}: {'; '.join(str(e) for e in problems)}"
        for message, problems in catalog.check()
    ]
    if errors:
        raise LocaleError("translations with broken placeholders:\n  " + "\n  ".join(errors))
    # Babel writes a plural entry with an empty form as its English msgid, which would then
    # shadow the parent language's translation (fr_CA -> fr): leave such entries out.
    for message in list(catalog):
        if message.id and isinstance(message.string, tuple) and not all(message.string):
            catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is never used on a document
    return buffer.getvalue()


def compile_catalogues(workspace: Workspace) -> list[Path]:
    workspace.ensure_editable("docgen i18n compile")
    written = []
    for locale in catalogue_locales(workspace.locales_dir):
        path = po_path(workspace, locale)
        data = _compiled_bytes(_read(path, locale), path)
        target = path.with_suffix(".mo")
        target.write_bytes(data)
        written.append(target)
    return written


def _what_documents_read(data: bytes) -> tuple[dict, str | None]:
    """A compiled catalogue's translations and its plural rule: all a document reads from it.
    The rest of the header (dates, the version of the tool that wrote it) changes with every
    update or Babel release and never makes a catalogue stale."""
    compiled = Translations(io.BytesIO(data), domain=DOMAIN)
    translations = {key: text for key, text in compiled._catalog.items() if key != ""}
    return translations, compiled._info.get("plural-forms")


def extraction_location(workbook: Path) -> str:
    """How extraction names a workbook in a message's locations: 'pricing/geneva.xlsx'."""
    return f"{workbook.parent.name}/{workbook.name}"


def workbook_languages(workspace: Workspace) -> dict[str, str]:
    """{'pricing/geneva.xlsx': 'fr'}: the language each workbook's texts are written in, its
    Clinic sheet's locale's. A workbook that cannot be read is left out (check reports it)."""
    languages = {}
    for path in workspace.workbooks():
        try:
            locale = Locale.parse(load_price_list(path).clinic.locale)
        except (DocgenError, ValueError, TypeError, UnknownLocaleError):
            continue
        languages[extraction_location(path)] = locale.language
    return languages


def written_in(message: Message, workbooks: dict[str, str]) -> set[str]:
    """The languages a message's text is written in where it is used: a workbook's, or
    English (docgen's and the templates' own text)."""
    return {workbooks.get(filename, SOURCE_LANGUAGE) for filename, _line in message.locations}


def catalogue_status(workspace: Workspace) -> list[LocaleStatus]:
    """Per catalogue: the texts translated, fuzzy and missing among those its language needs
    (a text is never translated into the language it is written in)."""
    template = extract_messages(workspace)
    workbooks = workbook_languages(workspace)
    statuses = []
    for locale in catalogue_locales(workspace.locales_dir):
        path = po_path(workspace, locale)
        catalog = _read(path, locale)
        language = Locale.parse(locale).language
        translated, fuzzy, missing = 0, [], []
        for message in template:
            if not message.id or written_in(message, workbooks) == {language}:
                continue
            label = message.id if isinstance(message.id, str) else message.id[0]
            found = catalog.get(message.id, context=message.context)
            strings = found.string if found else None
            filled = all(strings) if isinstance(strings, tuple | list) else bool(strings)
            if not filled:
                missing.append(label)
            elif found.fuzzy:
                fuzzy.append(label)
            else:
                translated += 1
        compiled_path = path.with_suffix(".mo")
        compiled = compiled_path.is_file() and _what_documents_read(
            compiled_path.read_bytes()
        ) == _what_documents_read(_compiled_bytes(catalog, path))
        statuses.append(LocaleStatus(locale, translated, fuzzy, missing, compiled))
    return statuses
