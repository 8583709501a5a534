"""Locales, translations and formatting.

Every number, amount, date and list is written by Babel (CLDR). Text comes from standard gettext
catalogues in the workspace's `locales/<lang>/LC_MESSAGES/docgen.mo`, compiled from `.po` files
without their fuzzy entries. Every text has a source language: docgen's own and the templates'
text is English, a workbook's text is in the language of its Clinic sheet's locale. A text is
never translated into its own language; in any other, a text with no reviewed translation is
recorded, so that the document is refused rather than printed half translated.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.core import parse_locale as parse_locale_code
from babel.dates import format_date, format_timedelta
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol
from babel.support import Translations

from docgen.exceptions import CompiledCatalogueError, LocaleError, UnavailableLanguageError
from docgen.limits import catalogue_bytes, translation_problem

SOURCE_LANGUAGE = "en"
# the catalogues' domains: what documents print, the desk page's words, docgen's messages
DOCUMENTS, DESK, MESSAGES = "docgen", "desk", "messages"
# Words inside a line (the footer, the form's subtitle) stay in the patient's language on
# bilingual documents: doubling them would break the line apart.
ONE_LANGUAGE_CONTEXTS = frozenset({"footer", "subtitle"})


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is used."""
    return message


def _catalogue_folders(locales_dir: Path) -> list[str]:
    if not locales_dir.is_dir():
        return []
    return sorted(
        path.parent.parent.name for path in locales_dir.glob(f"*/LC_MESSAGES/{DOCUMENTS}.po")
    )


def catalogue_locales(locales_dir: Path) -> list[str]:
    """The locales that have a catalogue (.po) in a workspace, e.g. ['ar', 'de', 'fr']. A
    folder that names no locale is left out of everything (`docgen check` reports it)."""
    return [code for code in _catalogue_folders(locales_dir) if is_locale_code(code)]


def misnamed_catalogue_folders(locales_dir: Path) -> list[str]:
    """Folders under locales/ holding a catalogue but named after no locale, e.g. 'french'."""
    return [code for code in _catalogue_folders(locales_dir) if not is_locale_code(code)]


def is_locale_code(code: str) -> bool:
    try:
        Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


@functools.lru_cache(maxsize=64)
def writing_script(language: str) -> str | None:
    """The script a locale or language tag is written in (ja-JP → Jpan, sr_Latn → Latn, ru →
    Cyrl): its own, or CLDR's likeliest; None for a language CLDR does not know."""
    code, territory, script, *_ = parse_locale_code(language.replace("-", "_"))
    likely = get_global("likely_subtags")
    for key in (f"{code}_{territory}", code):
        if script is None and key in likely:
            script = parse_locale_code(likely[key])[2]
    return script


def available_locales(locales_dir: Path) -> list[str]:
    """The languages docgen can write: the source language and every catalogue."""
    return sorted({SOURCE_LANGUAGE, *catalogue_locales(locales_dir)})


def native_language_name(locale: Locale) -> str:
    """A language written in itself: 'Français', 'العربية', 'English (United Kingdom)'."""
    name = locale.get_display_name(locale) or str(locale)
    return name[:1].upper() + name[1:]


def html_language(locale: Locale) -> str:
    """The locale as a web page's lang attribute writes it (BCP 47): fr_CH → fr-CH, ar → ar."""
    return str(locale).replace("_", "-")


def language_label(code: str) -> str:
    """native_language_name for a locale code such as 'fr' or 'en_GB'."""
    return native_language_name(Locale.parse(code))


def locale_as_written(value: str) -> Locale | None:
    """The locale value names ('fr', 'fr-CA', 'zh_CN'), or None for one CLDR does not know. Babel
    maps an unknown region to a likely one (en_ZZ → en_US): a typo must not pass. It also adds
    the script a region writes (zh_CN → zh_Hans_CN), which is the same locale."""
    wanted = value.strip().replace("-", "_")
    try:
        locale = Locale.parse(wanted)
        language, territory, script, variant, *_ = parse_locale_code(wanted)
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    same = (
        locale.language == language.lower()
        and (locale.territory or "") == (territory or "").upper()
        and (script is None or locale.script == script.title())
        and (locale.variant or "") == (variant or "").upper()
    )
    return locale if same else None


def parse_locale(value: str, locales_dir: Path | None = None) -> Locale:
    """Accept `fr`, `fr_FR`, `fr-CA` or `pt_BR`. With locales_dir, the language must also be
    one docgen can write (the source language or one with a catalogue)."""
    locale = locale_as_written(value)
    available = available_locales(locales_dir) if locales_dir is not None else None
    if locale is None:
        languages = f"available languages: {', '.join(available)}; " if available else ""
        raise LocaleError(
            f"unknown locale {value!r}; {languages}write a language code with an optional "
            "region, such as fr, fr_FR, fr-CA or pt_BR"
        )
    if available is not None and locale.language not in {
        Locale.parse(a).language for a in available
    }:
        raise UnavailableLanguageError(
            f"docgen has no translation for {locale.get_display_name('en')} ({locale}); "
            f"available languages: {', '.join(available)}. Add one with 'docgen i18n init'.",
            str(locale),
        )
    return locale


class DocumentTranslations:
    """Gettext for one document: looks a message up along the fallback chain (fr_CA → fr),
    falls back to the source text, and records every message it could not translate."""

    def __init__(
        self,
        catalogues: Sequence[Translations] = (),
        language: str = SOURCE_LANGUAGE,
        swiss_spelling: bool = False,
    ):
        self.catalogues = list(catalogues)
        self.language = language
        self.missing: set[str] = set()
        self.source = SOURCE_LANGUAGE  # the language of the texts asked for
        # Swiss German is written without ß: a German translation is spelled with ss there
        self.swiss_spelling = swiss_spelling
        self._known: dict[str, str | None] = {}  # shared by for_source's views

    def _found(self, key) -> str | None:
        """key's translation along the fallback chain; remembered, as a batch asks every
        document for the same texts."""
        if key not in self._known:
            found = next((text for c in self.catalogues if (text := c._catalog.get(key))), None)
            self._known[key] = found and self._spelled(found)
        return self._known[key]

    def _spelled(self, translated: str) -> str:
        """As the document's region spells it."""
        return translated.replace("ß", "ss") if self.swiss_spelling else translated

    def for_source(self, source: str) -> DocumentTranslations:
        """The same translations, for texts written in source (a template written in French):
        one in that language is itself, one missing is recorded with the others."""
        view = copy.copy(self)
        view.source = source
        return view

    def _lookup(self, key, fallback: str, record: str, source: str | None = None) -> str:
        if key is not None and (found := self._found(key)):
            return found
        if self.language != (source or self.source) and record.strip():
            self.missing.add(record)
        return fallback

    def gettext(self, message: str) -> str:
        return self._lookup(message, message, message)

    def translation_of(self, message: str) -> str | None:
        """message's reviewed translation, or None; nothing is recorded as missing."""
        return self._found(message)

    def text_from(self, source: str, message: str) -> str:
        """A text written in the source language (a workbook's): itself in that language,
        otherwise its reviewed translation."""
        if self.language == source:
            return message
        return self._lookup(message, message, message, source)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._plural(singular, singular, plural, n)

    def _plural(self, key: str, singular: str, plural: str, n: int) -> str:
        """A plural's form for n, each catalogue choosing it by its own rule."""
        for catalogue in self.catalogues:
            found = catalogue._catalog.get((key, catalogue.plural(n)))
            if found:
                return self._spelled(found)
        return self._lookup(None, singular if n == 1 else plural, singular)

    def pgettext(self, context: str, message: str) -> str:
        return self._lookup(f"{context}\x04{message}", message, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._plural(f"{context}\x04{singular}", singular, plural, n)


class InLineValue(str):
    """A value placed inside a sentence of a bilingual document (an amount, a date): it reads
    as the patient's form, and carries the clinic's for the clinic's line."""

    clinic: str

    def __new__(cls, patient: str, clinic: str) -> InLineValue:
        value = super().__new__(cls, patient)
        value.clinic = clinic
        return value


# Start and end the clinic's line of a bilingual text, so that rendering can set that line in
# the clinic's language (hyphenated by its rules) and print it apart, and only that line.
# Noncharacters: docgen alone writes them, and takes them out of every other text.
CLINIC_LINE, CLINIC_LINE_END = "\ufdd0", "\ufdd1"
LINE_MARKS = re.compile("[\ufdd0\ufdd1]")


def bilingual_lines(patient: str, clinic: str) -> str:
    """The patient's line, then the clinic's, marked as such."""
    patient, clinic = LINE_MARKS.sub("", patient), LINE_MARKS.sub("", clinic)
    return f"{patient}\n{CLINIC_LINE}{clinic}{CLINIC_LINE_END}"


class BilingualText(str):
    """A text in the patient's language and, on a new line, in the clinic's. Filled in with
    `%`, each line takes its values in its own language's form: "valable jusqu'au 3 février
    2027" over "valid until 3 February 2027"."""

    patient: str
    clinic: str

    def __new__(cls, patient: str, clinic: str) -> BilingualText:
        text = super().__new__(cls, bilingual_lines(patient, clinic))
        text.patient, text.clinic = patient, clinic
        return text

    def __mod__(self, values: object) -> str:
        return bilingual_lines(
            self.patient % _forms(values, "patient"), self.clinic % _forms(values, "clinic")
        )


def _forms(values: object, line: str) -> object:
    """The values as one line of a bilingual text takes them: each bilingual value (an
    InLineValue, a BilingualText) in that line's language."""
    if isinstance(values, dict):
        return {key: _forms(value, line) for key, value in values.items()}
    if isinstance(values, tuple):
        return tuple(_forms(value, line) for value in values)
    if line == "patient":
        return values.patient if isinstance(values, BilingualText) else values
    return getattr(values, "clinic", values)


class BilingualTranslations:
    """Each text in the patient's language, then on a new line in the clinic's language, so the
    practitioner can read what the patient signs."""

    def __init__(
        self, patient: DocumentTranslations, clinic: DocumentTranslations, clinic_locale: str
    ):
        self.patient = patient
        self.clinic = clinic
        self.clinic_locale = clinic_locale  # the language the clinic's lines are set in

    @property
    def missing(self) -> set[str]:
        return self.patient.missing | self.clinic.missing

    def for_source(self, source: str) -> BilingualTranslations:
        patient, clinic = self.patient.for_source(source), self.clinic.for_source(source)
        return BilingualTranslations(patient, clinic, self.clinic_locale)

    def _both(self, method: str, *args) -> str:
        first = getattr(self.patient, method)(*args)
        second = getattr(self.clinic, method)(*args)
        return first if first == second else BilingualText(first, second)

    def gettext(self, message: str) -> str:
        return self._both("gettext", message)

    def translation_of(self, message: str) -> str | None:
        """The patient's: a text that stands for the whole document (its title) is theirs."""
        return self.patient.translation_of(message)

    def text_from(self, source: str, message: str) -> str:
        return self._both("text_from", source, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._both("ngettext", singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        if context in ONE_LANGUAGE_CONTEXTS:
            return self.patient.pgettext(context, message)
        return self._both("pgettext", context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._both("npgettext", context, singular, plural, n)


def plural_rule_problem(choose: Callable[[int], int], forms: int, rule: str) -> str | None:
    """Why a catalogue's plural rule cannot choose one of its forms for every count a document
    or page prints, or None: '(n % 0)' compiled, then ended every estimate in a
    ZeroDivisionError."""
    for count in range(LARGEST_COUNT_CHECKED + 1):
        try:
            form = choose(count)
        except ArithmeticError as error:
            return f"the Plural-Forms rule {rule!r} fails for {count}: {error}"
        if not 0 <= form < forms:
            return (
                f"the Plural-Forms rule {rule!r} gives form {form} for {count}; "
                f"the catalogue has {forms} (nplurals)"
            )
    return None


LARGEST_COUNT_CHECKED = 10_000  # sessions, years, rows: what a document or page counts


@dataclass(frozen=True)
class _CompiledCheck:
    """What checking a compiled catalogue found: why none of it may be printed (its plural
    rule), and each entry no page may print, with why."""

    rule_problem: str | None
    unprintable: Mapping[object, str]

    def problem(self) -> str | None:
        return self.rule_problem or next(iter(self.unprintable.values()), None)


@functools.lru_cache(maxsize=64)
def _compiled_check(data: bytes, language: str) -> _CompiledCheck:
    """The check of a compiled catalogue's bytes, as docgen's compile checks a .po (a .mo saved
    by Poedit, msgfmt or pybabel is not), on the very entries gettext prints from. Kept by
    content: a catalogue is read whole on every load anyway, and one swapped in place is never
    trusted on its date; only its check, 10,001 plural counts, is not made again."""
    translations = Translations(io.BytesIO(data))
    unprintable = {}
    for key, string in translations._catalog.items():
        message, plural = (key[0], True) if isinstance(key, tuple) else (key, False)
        if not message or not string:
            continue  # the header
        source = message.rpartition("\x04")[2]  # without its context
        if why := translation_problem(source, string, language, plural=plural):
            unprintable[key] = f"its translation of {source!r} {why}"
    header = translations._info.get("plural-forms", "")
    declared = re.search(r"nplurals\s*=\s*(\d+)", header)
    rule = header.partition("plural=")[2].rstrip("; ") or "n != 1"
    forms = int(declared[1]) if declared else 2
    return _CompiledCheck(plural_rule_problem(translations.plural, forms, rule), unprintable)


def compiled_catalogue_problem(compiled: Path, language: str) -> str | None:
    """Why a compiled catalogue must not be printed from (any of its domains), saying how to
    make it again; None when it may (or there is none)."""
    if not compiled.is_file():
        return None
    problem = _compiled_check(catalogue_bytes(compiled), language).problem()
    return problem and _how_to_correct(problem)


def _how_to_correct(problem: str) -> str:
    return (
        f"{problem}; correct it in the .po beside it and compile the catalogues with "
        "'docgen i18n compile', which checks every translation"
    )


def _checked_translations(compiled: Path, domain: str, language: str) -> Translations:
    """The compiled catalogue, checked as it will print every time it is loaded. A document
    refuses a catalogue with any entry it may not print; the desk's words and docgen's
    messages show such an entry in English, as they show one not translated."""
    data = catalogue_bytes(compiled)
    check = _compiled_check(data, language)
    if check.rule_problem or (check.unprintable and domain == DOCUMENTS):
        raise CompiledCatalogueError(f"{compiled}: {_how_to_correct(check.problem())}")
    translations = Translations(io.BytesIO(data), domain=domain)
    for key in check.unprintable:
        del translations._catalog[key]
    return translations


def load_translations(
    locales_dir: Path, locale: Locale, domains: Sequence[str] = (DOCUMENTS,)
) -> DocumentTranslations:
    """The compiled catalogues of domains for locale and its parents (fr_CA, then fr): by
    default the documents', the only ones a document reads."""
    names = [str(locale)]
    while "_" in names[-1]:
        names.append(names[-1].rsplit("_", 1)[0])
    catalogues = []
    for name in names:
        for domain in domains:
            compiled = locales_dir / name / "LC_MESSAGES" / f"{domain}.mo"
            if compiled.is_file():
                catalogues.append(_checked_translations(compiled, domain, name))
    swiss = locale.language == "de" and locale.territory in ("CH", "LI")
    return DocumentTranslations(catalogues, locale.language, swiss_spelling=swiss)


# A batch formats the same prices for every patient: each once per language in each of its
# processes. Keyed by the number's text, which keeps its exponent (equal Decimals 1.5 and
# 1.50 are not the same key).
@functools.lru_cache(maxsize=4096)
def _money(amount: str, currency: str, locale: Locale) -> str:
    formatted = format_currency(Decimal(amount), currency, locale=locale)
    return currency_spaced(formatted, get_currency_symbol(currency, locale=locale))


@functools.lru_cache(maxsize=4096)
def _decimal(number: str, locale: Locale) -> str:
    return format_decimal(Decimal(number), locale=locale)


@dataclass(frozen=True)
class Formatter:
    """Writes text, values and plurals the way the document's locale writes them."""

    locale: Locale
    currency: str
    translations: DocumentTranslations | BilingualTranslations = field(
        default_factory=DocumentTranslations
    )
    source_language: str = SOURCE_LANGUAGE  # the workbook's texts' language

    @property
    def missing(self) -> set[str]:
        """The texts this document needed that have no reviewed translation."""
        return self.translations.missing

    @property
    def right_to_left(self) -> bool:
        return self.locale.character_order == "right-to-left"

    def gettext(self, message: str, **values: object) -> str:
        return _interpolate(self.translations.gettext(message), message, values)

    def text(self, message: str) -> str:
        """A workbook's text (a treatment's name, a risk's description) in this language."""
        return self.translations.text_from(self.source_language, message)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        source = singular if n == 1 else plural
        return _interpolate(self.translations.ngettext(singular, plural, n), source, values)

    def money(self, amount: Decimal) -> str:
        return _money(str(amount), self.currency, self.locale)

    def decimal(self, number: Decimal | int) -> str:
        return _decimal(str(number), self.locale)

    def percent(self, percent: Decimal) -> str:
        return format_percent(percent / 100, locale=self.locale, decimal_quantization=False)

    def date(self, day: dt.date) -> str:
        """The long date, as documents print it: whole on one line."""
        return unbroken(format_date(day, format="long", locale=self.locale))

    def duration(self, days: int) -> str:
        return format_timedelta(dt.timedelta(days=days), threshold=2, locale=self.locale)

    def list(self, items: Sequence[str]) -> str:
        return format_list(list(items), locale=self.locale)


def unbroken(text: str) -> str:
    """Text that never breaks across lines (a date, a phone number): its spaces no-break."""
    return text.replace(" ", "\u00a0")


def currency_spaced(formatted: str, symbol: str) -> str:
    """An amount with CLDR's currency spacing, which Babel does not apply: a no-break space
    between a symbol that ends (or starts) with a letter and the digit beside it, "PLN 3,500.00"
    for "PLN3,500.00"; "£3,500.00" stays as it is. These are the rules of CLDR's root locale
    (currencyMatch [[:^S:]&[:^Z:]], surroundingMatch [:digit:], insertBetween U+00A0), which
    no locale docgen formats for changes."""
    at = formatted.find(symbol)
    if not symbol or at < 0:
        return formatted
    end = at + len(symbol)
    if end < len(formatted) and _spaced_from(symbol[-1]) and formatted[end].isdigit():
        formatted = f"{formatted[:end]}\u00a0{formatted[end:]}"
    if at > 0 and _spaced_from(symbol[0]) and formatted[at - 1].isdigit():
        formatted = f"{formatted[:at]}\u00a0{formatted[at:]}"
    return formatted


def _spaced_from(character: str) -> bool:
    """Neither a symbol (£, $, €) nor a space: a letter, as in PLN or CHF."""
    return unicodedata.category(character)[0] not in "SZ"


def without_doubled_periods(text: str, values: Mapping[str, object]) -> str:
    """text with the period after each placeholder whose value ends with one left out: a
    Ukrainian date ends with 'р.', and 'Valid until %(date)s.' printed 'р..'."""
    for name, value in values.items():
        if isinstance(value, str) and value.endswith("."):
            text = text.replace(f"%({name})s.", f"%({name})s")
    return text


def _interpolate(text: str, source: str, values: dict[str, object]) -> str:
    """Fill %(name)s placeholders; a translation with broken placeholders falls back to the
    source text rather than failing a patient's document."""
    if not values:
        return text
    try:
        return without_doubled_periods(text, values) % values
    except (KeyError, ValueError, TypeError):
        return without_doubled_periods(source, values) % values
