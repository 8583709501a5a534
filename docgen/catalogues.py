"""`docgen i18n`: the gettext workflow for a workspace, on Babel's catalogue machinery.

extract  templates + workbook + docgen's own text → locales/docgen.pot (what documents print),
         desk.pot (the desk page's words) and messages.pot (docgen's messages)
init     a new language's locales/<lang>/LC_MESSAGES/docgen.po, desk.po and messages.po
update   merge each .pot into its .po files (changed text becomes fuzzy)
compile  .po → .mo, without fuzzy entries, refusing broken placeholders and translations no
         document can print (control characters, far too long)
status   per language: translated, fuzzy and missing, against a fresh extraction
"""

from __future__ import annotations

import copy
import functools
import gettext
import io
from dataclasses import dataclass, field
from pathlib import Path

import docx
from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from docgen.exceptions import DocgenError, LocaleError, UntranslatedError
from docgen.i18n import (
    DESK,
    DOCUMENTS,
    MESSAGES,
    SOURCE_LANGUAGE,
    catalogue_locales,
    load_translations,
    plural_rule_problem,
)
from docgen.limits import catalogue_bytes, translation_problem, unusable_translation
from docgen.pricing import PriceList, load_price_list
from docgen.render import template_language
from docgen.workspace import PACKAGE_DIR, Workspace

WORKSPACE_METHODS = [("templates/**.docx", "docx"), ("pricing/**.xlsx", "xlsx")]

# Three catalogues, three audiences. Only the documents' ever stops a document; the desk's
# words and docgen's messages fall back to English.
CATALOGUES = (DOCUMENTS, DESK, MESSAGES)
# docgen's modules whose texts documents print (the rest of docgen's own text is messages)
DOCUMENT_MODULES = frozenset({"docgen/documents.py", "docgen/generate.py"})


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


def template_path(workspace: Workspace, domain: str = DOCUMENTS) -> Path:
    return workspace.locales_dir / f"{domain}.pot"


def po_path(workspace: Workspace, locale: str, domain: str = DOCUMENTS) -> Path:
    return workspace.locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def catalogue_of(message: Message) -> str:
    """The catalogue a text belongs to: the documents' if any document prints it (a word the
    desk shares with a document is translated once, for both), else the desk's, else docgen's
    messages."""
    files = [filename for filename, _line in message.locations]
    if any(not name.startswith("docgen/") or name in DOCUMENT_MODULES for name in files):
        return DOCUMENTS
    if any(name.startswith("docgen/web/") for name in files):
        return DESK
    return MESSAGES


def extract_catalogues(workspace: Workspace) -> dict[str, Catalog]:
    """extract_messages, each text in the one catalogue it belongs to (catalogue_of)."""
    catalogues = {
        domain: Catalog(project="docgen", domain=domain, fuzzy=False) for domain in CATALOGUES
    }
    for message in extract_messages(workspace):
        if message.id:
            catalogues[catalogue_of(message)][message.id] = message
    return catalogues


def document_texts(workspace: Workspace) -> Catalog:
    """The texts documents print: the only ones whose translation decides whether a document
    is made."""
    return extract_catalogues(workspace)[DOCUMENTS]


def extract_messages(workspace: Workspace) -> Catalog:
    """Every translatable string: the workspace's templates and workbooks, and docgen's own
    text (notices, plurals, frequency bands, the desk's words, messages) from its source."""
    catalog = Catalog(project="docgen", domain=DOCUMENTS, fuzzy=False)
    found = [
        *(("", *text) for text in _workspace_texts(workspace.root, _text_files(workspace))),
        *(("docgen/", *text) for text in _package_texts()),
    ]
    for prefix, filename, lineno, message, comments, context in found:
        msgid = message if isinstance(message, str) else tuple(message)
        catalog.add(
            msgid,
            locations=[(prefix + filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def _extracted(directory: Path, methods: list[tuple[str, str]]) -> list[tuple]:
    return list(extract_from_dir(str(directory), methods, keywords=DEFAULT_KEYWORDS))


def _text_files(workspace: Workspace) -> tuple[tuple[str, int], ...]:
    """The workspace's templates and workbooks, each with when it last changed."""
    return tuple(
        sorted(
            (str(path), path.stat().st_mtime_ns)
            for pattern in ("templates/*.docx", "pricing/*.xlsx")
            for path in workspace.root.glob(pattern)
        )
    )


@functools.lru_cache(maxsize=8)
def _workspace_texts(root: Path, files: tuple[tuple[str, int], ...]) -> tuple[tuple, ...]:
    """The texts of a workspace's templates and workbooks: read again only when one of them
    (files, with when each changed) changes."""
    return tuple(_extracted(root, WORKSPACE_METHODS))


@functools.cache
def _package_texts() -> tuple[tuple, ...]:
    """docgen's own texts, from its source: read once per process (it does not change while
    docgen runs), not on every Translations page (a second and a half of tokenizing)."""
    methods = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    return tuple(_extracted(PACKAGE_DIR, methods))


def text_sources(workspace: Workspace) -> dict[str, str]:
    """Where each text of the workspace's templates and workbooks is written: 'pricing/
    geneva.xlsx, Areas!B3' or 'templates/consent.docx'. Read again only when a file changes."""
    return dict(_text_sources(workspace.root, _text_files(workspace)))


@functools.lru_cache(maxsize=8)
def _text_sources(root: Path, files: tuple) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for filename, _lineno, message, comments, _context in _workspace_texts(root, files):
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
    return UntranslatedError(str(locale), locale.get_display_name("en"), catalogue, shown)


def untranslated_texts(
    workspace: Workspace,
    price_list: PriceList,
    locale: Locale,
    template: Catalog | None = None,
    languages: dict[str, str] | None = None,
) -> list[str]:
    """The texts a patient document in locale, made from this price list, would be refused
    for: the workbook's, the templates' and docgen's own document texts (never the desk's
    words or docgen's messages) with no reviewed translation into locale's language.
    template and languages: document_texts and text_languages already made."""
    translations = load_translations(workspace.locales_dir, locale)
    workbook = extraction_location(price_list.path)
    languages = text_languages(workspace) if languages is None else languages
    for message in template or document_texts(workspace):
        used = {
            filename
            for filename, _line in message.locations
            if filename == workbook
            or (not filename.endswith(".xlsx") and not filename.startswith("docgen/web/"))
        }
        if not message.id or not used:
            continue
        written = {languages.get(filename, SOURCE_LANGUAGE) for filename in used}
        view = translations.for_source(written.pop() if len(written) == 1 else SOURCE_LANGUAGE)
        if isinstance(message.id, tuple):
            singular, plural = message.id
            if message.context:
                view.npgettext(message.context, singular, plural, 1)
            else:
                view.ngettext(singular, plural, 1)
        elif message.context:
            view.pgettext(message.context, message.id)
        else:
            view.gettext(message.id)
    return sorted(translations.missing)


def write_catalogue_templates(workspace: Workspace) -> list[Path]:
    workspace.ensure_editable("docgen i18n extract")
    written = []
    for domain, catalog in extract_catalogues(workspace).items():
        path = template_path(workspace, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100)
        written.append(path)
    return written


def init_locale(workspace: Workspace, locale: str) -> list[Path]:
    """A new language's three catalogues, every text still to translate."""
    workspace.ensure_editable("'docgen i18n init'")
    try:
        parsed = Locale.parse(locale.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise LocaleError(
            f"unknown locale {locale!r}; write a code such as nl, nl_BE or pt_BR"
        ) from None
    if (path := po_path(workspace, str(parsed))).exists():
        raise DocgenError(f"{path} already exists; use 'docgen i18n update' to refresh it")
    written = []
    for domain, template in extract_catalogues(workspace).items():
        catalog = Catalog(locale=parsed, project="docgen", domain=domain)
        catalog.update(template)
        written.append(_write_catalogue(po_path(workspace, str(parsed), domain), catalog))
    return written


def _write_catalogue(path: Path, catalog: Catalog) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # entries no longer used stay as #~ comments, for a translator to reuse
        write_po(handle, catalog, width=100, include_previous=True)
    return path


def read_catalogue(path: Path, locale: str) -> Catalog:
    """A .po file. A desk or messages catalogue not made yet reads as an empty one, with the
    documents' header: the same plural rule, whichever CLDR release the installed Babel has."""
    if not path.exists() and path.stem != DOCUMENTS:
        catalog = Catalog(locale=locale, project="docgen", domain=path.stem, fuzzy=False)
        documents = path.with_name(f"{DOCUMENTS}.po")
        if documents.is_file():
            catalog.mime_headers = read_catalogue(documents, locale).mime_headers
        return catalog
    return read_po(io.BytesIO(catalogue_bytes(path)), locale=locale, domain=path.stem)


def update_catalogues(workspace: Workspace) -> list[Path]:
    workspace.ensure_editable("docgen i18n update")
    templates = extract_catalogues(workspace)
    updated = []
    for locale in catalogue_locales(workspace.locales_dir):
        catalogs = {
            domain: read_catalogue(po_path(workspace, locale, domain), locale)
            for domain in CATALOGUES
        }
        # a text that moved from one catalogue to another (the desk's words were once kept
        # with the documents') takes its translation along, reviewed or not as it was
        translated = {
            (message.id, message.context): message
            for catalog in catalogs.values()
            for message in [*catalog, *catalog.obsolete.values()]
            if has_translation(message)
        }
        for domain, catalog in catalogs.items():
            merge_template(catalog, templates[domain])
            for message in catalog:
                moved = translated.get((message.id, message.context))
                if moved is not None and not has_translation(message):
                    message.string = moved.string
                    if moved.fuzzy:
                        message.flags.add("fuzzy")
            for key, message in list(catalog.obsolete.items()):
                if any(templates[other].get(message.id, message.context) for other in CATALOGUES):
                    del catalog.obsolete[key]  # kept in the catalogue it moved to
            updated.append(_write_catalogue(po_path(workspace, locale, domain), catalog))
    return updated


def merge_template(catalog: Catalog, template: Catalog) -> None:
    """Bring a catalogue up to date with a fresh extraction: new texts empty (or translated as
    before, when the same text was used once), texts no longer used kept as obsolete, a text
    reworded in place marked as changed. No guesses by
    similarity: Babel's fuzzy matching once offered 'Seite' (page) for 'Visage', which an
    admin clearing the flag prints."""
    translated = [message for message in catalog if has_translation(message)]
    translated_at = {spot: message for message in translated for spot in _spots(message)}
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
    unused = {(m.id, m.context): key for key, m in catalog.obsolete.items() if has_translation(m)}
    for message in catalog:
        if not message.id:
            continue
        if not has_translation(message) and (message.id, message.context) in unused:
            _reuse_translation(message, catalog, unused[message.id, message.context])
        if not has_translation(message):
            _keep_reworded_translation(message, translated_at, catalog)
        if not message.fuzzy:
            forget_earlier_wording(message)


CHANGED_FROM = "changed from: "


def forget_earlier_wording(message: Message) -> None:
    """Reviewed since: the earlier wording no longer matters."""
    message.user_comments = [c for c in message.user_comments if not c.startswith(CHANGED_FROM)]


def earlier_wording(message: Message) -> str | None:
    """The wording a fuzzy entry's translation was made for. Kept as a translator comment:
    Babel writes the standard '#| msgid' line, but does not read it back."""
    for comment in message.user_comments:
        if comment.startswith(CHANGED_FROM):
            return comment[len(CHANGED_FROM) :]
    return None


def _reuse_translation(message: Message, catalog: Catalog, key: object) -> None:
    """The very same text used again (a workbook put back, a cell restored): its translation
    is taken back from the unused entries, reviewed or not as it was. Not a guess: same text."""
    earlier = catalog.obsolete.pop(key)
    message.string = earlier.string
    if earlier.fuzzy:
        message.flags.add("fuzzy")


def has_translation(message: Message) -> bool:
    """Every form of the message translated (a plural needs all of them)."""
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return bool(message.id) and all(strings)


def _spots(message: Message) -> set[tuple[str, object]]:
    """Where in the workspace's files a text is written: a workbook's cell, a template's n-th
    text. docgen's own text is not the clinic's to reword and has no spot."""
    spots: set[tuple[str, object]] = set()
    for filename, place in message.locations:
        if filename.endswith(".xlsx"):
            spots |= {(filename, cell) for cell in message.auto_comments if "!" in cell}
        elif filename.endswith(".docx"):
            spots.add((filename, place))
    return spots


def _keep_reworded_translation(
    message: Message, translated_at: dict[tuple[str, object], Message], catalog: Catalog
) -> None:
    """A text reworded in place (same cell, same place in a template) keeps the translation
    of its earlier wording, marked fuzzy: 'changed: check it', never printed until reviewed.
    Only when the earlier wording is gone: a text merely moved is not a rewording."""
    for spot in sorted(_spots(message), key=str):
        earlier = translated_at.get(spot)
        if (
            earlier is not None
            and type(earlier.id) is type(message.id)
            and catalog.get(earlier.id, context=earlier.context) is None
        ):
            message.string = earlier.string
            message.flags.add("fuzzy")
            message.previous_id = [earlier.id] if isinstance(earlier.id, str) else list(earlier.id)
            message.user_comments.append(CHANGED_FROM + message.previous_id[0])
            return


def catalogue_problems(catalog: Catalog, path: Path | str) -> list[str]:
    """Everything in a catalogue no document or page could print: each found by `check`, and
    refused by `compile` and import before a document needs it."""
    errors = [
        f"{path}: {message.id!r}: {'; '.join(str(e) for e in problems)}"
        for message, problems in catalog.check()
    ]
    language = str(catalog.locale or "")
    errors += [
        f"{path}, line {message.lineno}: translation of {source_of(message)!r} {problem}"
        for message in catalog
        if (problem := message_problem(message, language))
    ]
    try:
        choose = gettext.c2py(catalog.plural_expr)
    except ValueError as error:
        errors.append(
            f"{path}: the Plural-Forms rule {catalog.plural_expr!r} cannot be read: {error}"
        )
    else:
        if problem := plural_rule_problem(choose, catalog.num_plurals, catalog.plural_expr):
            errors.append(f"{path}: {problem}")
    return errors


def compiled_catalogue(catalog: Catalog, path: Path) -> bytes:
    if errors := catalogue_problems(catalog, path):
        raise LocaleError("translations no document can print:\n  " + "\n  ".join(errors))
    # Babel writes a plural entry with an empty form as its English msgid, which would then
    # shadow the parent language's translation (fr_CA -> fr): leave such entries out.
    for message in list(catalog):
        if message.id and isinstance(message.string, tuple) and not all(message.string):
            catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is never used on a document
    return buffer.getvalue()


def source_of(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def message_problem(message: Message, language: str) -> str | None:
    """Why a catalogue entry's translation may not be printed (translation_problem), or None;
    each of a plural's forms against its plural, which has every value. A fuzzy entry is
    never printed on a document, but the desk may show it: it is checked for what no page
    holds, though its placeholders may still be its earlier source's."""
    if not message.id or not message.string:
        return None
    if isinstance(message.id, tuple):
        forms = [(message.id[1], form, True) for form in filter(None, message.string)]
    else:
        forms = [(message.id, message.string, False)]
    for source, form, plural in forms:
        if message.fuzzy:
            problem = unusable_translation(form, language, source)
        else:
            problem = translation_problem(source, form, language, plural=plural)
        if problem:
            return problem
    return None


def compile_catalogues(workspace: Workspace) -> list[Path]:
    workspace.ensure_editable("docgen i18n compile")
    written = []
    for locale in catalogue_locales(workspace.locales_dir):
        for domain in CATALOGUES:
            path = po_path(workspace, locale, domain)
            if path.is_file():
                data = compiled_catalogue(read_catalogue(path, locale), path)
                target = path.with_suffix(".mo")
                target.write_bytes(data)
                written.append(target)
    return written


def _what_documents_read(data: bytes) -> tuple[dict, str | None]:
    """A compiled catalogue's translations and its plural rule: all a document reads from it.
    The rest of the header (dates, the version of the tool that wrote it) changes with every
    update or Babel release and never makes a catalogue stale."""
    compiled = Translations(io.BytesIO(data))
    translations = {key: text for key, text in compiled._catalog.items() if key != ""}
    return translations, compiled._info.get("plural-forms")


def extraction_location(workbook: Path) -> str:
    """How extraction names a workbook in a message's locations: 'pricing/geneva.xlsx'."""
    return f"{workbook.parent.name}/{workbook.name}"


def text_languages(workspace: Workspace) -> dict[str, str]:
    """{'pricing/geneva.xlsx': 'fr', 'templates/consent.docx': 'fr'}: the language each file's
    texts are written in. A workbook's is its Clinic sheet's locale's; a template's, its
    Language property, if it has one (else English, like docgen's own). A file that cannot be
    read is left out (check reports it)."""
    languages = {}
    for path in workspace.workbooks():
        try:
            locale = Locale.parse(load_price_list(path).clinic.locale)
        except (DocgenError, ValueError, TypeError, UnknownLocaleError):
            continue
        languages[extraction_location(path)] = locale.language
    for path in sorted(workspace.templates_dir.glob("*.docx")):
        try:
            declared = docx.Document(str(path)).core_properties.language
            language = template_language(path.name, declared)
        except Exception:
            continue
        if language != SOURCE_LANGUAGE:
            languages[extraction_location(path)] = language
    return languages


def written_in(message: Message, languages: dict[str, str]) -> set[str]:
    """The languages a message's text is written in where it is used (text_languages), or
    English (docgen's own text and templates that declare no language)."""
    return {languages.get(filename, SOURCE_LANGUAGE) for filename, _line in message.locations}


def catalogue_status(
    workspace: Workspace, domain: str = DOCUMENTS, compiled: bool = True
) -> list[LocaleStatus]:
    """Per language: the texts of one catalogue (by default what documents print) translated,
    fuzzy and missing among those its language needs (a text is never translated into the
    language it is written in). With compiled, whether its .mo is up to date too (which
    compiles it in memory: the slow part)."""
    template = extract_catalogues(workspace)[domain]
    languages = text_languages(workspace)
    statuses = []
    for locale in catalogue_locales(workspace.locales_dir):
        path = po_path(workspace, locale, domain)
        catalog = read_catalogue(path, locale)
        language = Locale.parse(locale).language
        translated, fuzzy, missing = 0, [], []
        for message in template:
            if not message.id or written_in(message, languages) == {language}:
                continue
            label = message.id if isinstance(message.id, str) else message.id[0]
            found = catalog.get(message.id, context=message.context)
            if found is None or not has_translation(found):
                missing.append(label)
            elif found.fuzzy:
                fuzzy.append(label)
            else:
                translated += 1
        compiled_path = path.with_suffix(".mo")
        current = not compiled or (
            compiled_path.is_file()
            and _what_documents_read(catalogue_bytes(compiled_path))
            == _what_documents_read(compiled_catalogue(catalog, path))
        )
        statuses.append(LocaleStatus(locale, translated, fuzzy, missing, current))
    return statuses
