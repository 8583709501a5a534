"""Render step: fill a Word template with a context, safely.

Templates are files anyone at the clinic can edit, so they run in Jinja's sandbox, with
autoescaping (a patient called `Zoë & <Sons>` must not break the XML) and strict undefined
variables (a misspelt variable is an error, never a silent blank)."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import gettext as gettext_module
import hashlib
import io
import itertools
import math
import re
import signal
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.ext import InternationalizationExtension
from jinja2.filters import make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from lxml import etree
from markupsafe import Markup, escape

from docgen.exceptions import TemplateError, TemplateTimeoutError
from docgen.i18n import (
    CLINIC_LINE,
    CLINIC_LINE_END,
    LINE_MARKS,
    SOURCE_LANGUAGE,
    BilingualText,
    InLineValue,
    without_doubled_periods,
    writing_script,
)
from docgen.limits import MAX_TEMPLATE_BYTES, oversized_package
from docgen.signing import key_id, read_key, signature

TRANSLATION_CALLABLES = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})

# Characters XML 1.0 cannot hold; Word refuses a document containing any of them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What xml_safe rewrites: those, carriage returns, and the marks of a bilingual text's lines
_XML_UNSAFE = re.compile(f"{_XML_FORBIDDEN.pattern}|\r|{LINE_MARKS.pattern}")


def xml_safe(value: Any) -> Any:
    """Remove characters XML forbids from every string in a (nested) context, and write line
    ends as XML reads them back (a carriage return would silently become a line feed)."""
    if isinstance(value, InLineValue):
        return InLineValue(xml_safe(str(value)), xml_safe(value.clinic))
    if isinstance(value, BilingualText):
        return BilingualText(xml_safe(value.patient), xml_safe(value.clinic))
    if isinstance(value, str):
        if not _XML_UNSAFE.search(value):  # most are: one look instead of four rewrites
            return value
        value = LINE_MARKS.sub("", _XML_FORBIDDEN.sub("", value))
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, Mapping):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(item) for item in value]
    return value


MAX_LOOP_ITEMS = 100_000  # over all range() calls of one document


class TemplateTimeout(Exception):
    """A template took longer than RENDER_SECONDS to fill in."""


RENDER_SECONDS = 20


@contextlib.contextmanager
def _signal_backstop(seconds: int):
    """In a program's main thread, also stop the render by SIGALRM: it interrupts even work
    that no check of the sandbox sees. Other threads rely on those checks alone."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not in_main_thread:
        yield
        return

    def expire(_signum, _frame):
        raise TemplateTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CheckedLoops(CodeGenerator):
    """Compiles every {% for %} loop of a template to take its items through the environment's
    checked_items, so that a render can be stopped between any two iterations: in any thread,
    which a signal cannot do (the desk page renders in its server's threads)."""

    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("checked_items"), [loop.iter], [], None, None
            )
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        """Every ~ goes through checked_text: doubling a text with ~ in a loop of sets would
        fill the memory."""
        self.write("environment.checked_text(")
        super().visit_Concat(node, frame)
        self.write(")")


def translation_markup(translated: str, *sources: str) -> Markup:
    """A {% trans %} block's text as XML: the template's own text as it wrote it, a
    translation escaped (each line of a bilingual one on its own)."""
    if isinstance(translated, BilingualText):
        patient = translation_markup(translated.patient, *sources)
        return (
            patient
            + Markup("\n" + CLINIC_LINE)
            + translation_markup(translated.clinic, *sources)
            + Markup(CLINIC_LINE_END)
        )
    return Markup(translated) if translated in sources else escape(translated)


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, bounded for a hostile template: range() over a whole document, what a
    template builds (with *, % or as an argument), and the time a render takes: checked at
    every loop iteration, call, and item a filter goes through, in any thread."""

    code_generator_class = _CheckedLoops

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals["range"] = self._range
        for unneeded in ("lipsum", "cycler", "joiner", "dict", "namespace"):
            self.globals.pop(unneeded, None)
        for name in ("center", "indent", "wordwrap", "truncate", "format", "slice", "batch"):
            self.filters[name] = _refused_filter(name)
        for name in _ITERATING_FILTERS:
            self.filters[name] = self._checked_filter(self.filters[name])
        self.filters["replace"] = self._bounded_replace(self.filters["replace"])
        self.filters["join"] = self._bounded_join(self.filters["join"])
        self.loop_items = 0
        self.built = 0  # characters or items built with * in this render
        self.deadline: float | None = None  # time.monotonic() by which a render must end

    def start_render(self) -> None:
        self.loop_items = 0
        self.built = 0
        self.deadline = time.monotonic() + RENDER_SECONDS

    def _check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TemplateTimeout

    translation_markup = staticmethod(translation_markup)

    def checked_items(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self._check_time()
            yield item

    def _checked_filter(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """The filter, taking the items it goes through one by one via checked_items (its
        value comes after the context or environment that Jinja passes some filters)."""
        position = 1 if hasattr(original, "jinja_pass_arg") else 0

        @functools.wraps(original)  # keeps jinja_pass_arg
        def checked(*args: Any, **kwargs: Any) -> Any:
            if len(args) > position and not isinstance(args[position], Undefined):
                args = (*args[:position], self.checked_items(args[position]), *args[position + 1 :])
            result = original(*args, **kwargs)
            return self.checked_text(result) if isinstance(result, str) else result  # join

        return checked

    def _bounded_replace(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """replace multiplies a text as * does: bound what it would build, before building it
        (an empty old text is found between every two characters)."""

        @functools.wraps(original)  # keeps jinja_pass_arg
        def bounded(eval_ctx: Any, text: Any, old: Any, new: Any, count: Any = None) -> Any:
            if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
                growth = text.count(old) * max(len(new) - len(old), 0)
                self._check_length(len(text) + growth)
            return original(eval_ctx, text, old, new, count)

        return bounded

    def _bounded_join(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """join builds its items and as many separators: bound their length before joining
        (a list of a million letters joined with a long separator would take gigabytes)."""

        @functools.wraps(original)  # keeps jinja_pass_arg
        def bounded(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
            if isinstance(value, Undefined):
                return original(eval_ctx, value, d, attribute)
            items = list(value)
            if attribute is not None:
                items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
            separators = len(str(d)) * max(len(items) - 1, 0)
            self._check_length(separators + sum(len(str(item)) for item in items))
            return original(eval_ctx, items, d)

        return bounded

    def checked_text(self, text: Any) -> Any:
        """The text (or list), if it is not far too long."""
        self._check_length(len(text))
        return text

    def _check_length(self, length: int) -> None:
        """Refuse a text or list of this length, built or about to be."""
        if length > self.MAX_BUILT_LENGTH:
            raise SecurityError("the template builds a text far too long")

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        """What a template, a macro or a {% set %} block writes, refused once it grows far too
        long: a loop printing a long text many times would fill the memory."""
        kept, length = [], 0
        for piece in pieces:
            length += len(piece)
            if length > self.MAX_WRITTEN_LENGTH:
                raise SecurityError("the template writes a document far too long")
            kept.append(piece)
        return "".join(kept)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call of a template is also a point where a render that has run too long stops
        (a macro calling itself twice runs for ever without a loop); and no call takes a text
        far too long (one doubling it at each call would fill the memory first)."""
        self._check_time()
        for value in (*args, *kwargs.values()):
            if isinstance(value, str):
                self.checked_text(value)
            # 'a'.ljust(10**9), zfill, center: a text's methods take the length to build
            if isinstance(value, int) and value > self.MAX_BUILT_LENGTH:
                raise SecurityError("the template asks for a text or number far too large")
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(result, str | list | tuple):  # join, translate
            self.checked_text(result)
        return result

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    MAX_BUILT_LENGTH = 1_000_000  # over all the * of one render, and for one %, + or argument
    MAX_WRITTEN_LENGTH = 50_000_000  # a template's whole XML, filled in, is a few hundred kB

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """'x' * 10**9, '%999999999s' % x and 10**10**10 would exhaust memory or time: bound
        what they build."""
        if (
            operator == "**"
            and isinstance(left, int | float)
            and isinstance(right, int | float)
            and math.log10(abs(left) + 2) * abs(right) > 1000
        ):
            raise SecurityError("the template raises a number to too high a power")
        if operator == "%" and isinstance(left, str):
            if _WIDTH_FROM_VALUES.search(left):
                raise SecurityError("the template formats with a width taken from its values")
            # every number in the format, as if each were a width: '%600000s' * 3 builds their
            # sum, and a key may hold brackets, '%((a))2000000s'
            self._check_length(sum(map(int, re.findall(r"\d+", left))))
            if isinstance(right, Mapping):
                left = without_doubled_periods(left, right)
        if operator == "+" and isinstance(left, str | list | tuple) and hasattr(right, "__len__"):
            self._check_length(len(left) + len(right))
        integers = isinstance(left, int) and isinstance(right, int)
        if operator == "*" and integers and left.bit_length() + right.bit_length() > 10_000:
            raise SecurityError("the template multiplies numbers far too large")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                    size = len(sequence)
                    if not isinstance(sequence, str):  # a list of texts: the texts too
                        size += sum(len(item) for item in sequence if isinstance(item, str))
                    self.built += size * max(count, 0)
                    if self.built > self.MAX_BUILT_LENGTH:
                        raise SecurityError("the template builds a text or list far too long")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Any:
        """str.format takes widths like {:1000000000}: templates use % with names instead."""
        if super().wrap_str_format(value) is None:  # not a str.format method
            return None
        return _refused_filter("str.format")

    def _range(self, *args: int) -> range:
        items = range(*args)
        self.loop_items += len(items)
        if self.loop_items > MAX_LOOP_ITEMS:
            raise SecurityError(f"the template's loops run over more than {MAX_LOOP_ITEMS} items")
        return items


# Filters that go through every item of their value, each item then checked for time.
_ITERATING_FILTERS = (
    "select", "reject", "selectattr", "rejectattr", "map", "join", "sum", "list", "unique",
    "sort", "groupby", "min", "max",
)  # fmt: skip
_WIDTH_FROM_VALUES = re.compile(r"%[^a-zA-Z%]*\*")  # '%*d', '%.*f'


def _refused_filter(name: str):
    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise SecurityError(f"the {name} filter is not available in docgen templates")

    return refuse


class _TextTranslations(InternationalizationExtension):
    """{% trans %} blocks whose translations are text. Jinja marks what a block's gettext
    returns as safe XML; a catalogue's translation is escaped here instead (an imported
    'DANKE</w:t></w:r></w:p>…' must not add paragraphs). The block's own text, which the
    template wrote, Word's runs included, stays the template's XML."""

    def _make_node(self, *args: Any, **kwargs: Any) -> nodes.Output:
        output = super()._make_node(*args, **kwargs)
        (expression,) = output.nodes
        marked = expression.left if isinstance(expression, nodes.Mod) else expression
        assert isinstance(marked, nodes.MarkSafeIfAutoescape)  # old-style gettext
        call = marked.expr
        sources = [arg for arg in call.args if isinstance(arg, nodes.Const)]
        marked.expr = nodes.Call(
            nodes.EnvironmentAttribute("translation_markup"), [call, *sources], [], None, None
        )
        return output


def make_environment() -> SandboxedEnvironment:
    env = _BoundedEnvironment(
        autoescape=True, undefined=StrictUndefined, extensions=[_TextTranslations]
    )
    env.install_null_translations(newstyle=False)  # type: ignore[attr-defined]
    return env


@dataclass(frozen=True)
class DocumentProperties:
    """What a document records about itself in its package properties, to be traced years later:
    Word shows them under File › Properties, and `docgen verify` checks the content checksum."""

    document_id: str
    template_version: str
    locale: str
    price_list_checksum: str
    generated: dt.datetime
    inputs_checksum: str = ""  # what a batch made the document from, to recognise it later
    visit: str = ""  # the estimate of the patient's visit: the documents given together
    price_list: str = ""  # the price list's name and version, as printed
    replaces: str = ""  # the document this one was made again in place of


CUSTOM_PROPERTIES = "docProps/custom.xml"
CONTENT_CHECKSUM = "docgen.content-sha256"
PRICE_LIST = "docgen.price-list"
REPLACES = "docgen.replaces"
SIGNATURE = "docgen.signature"  # HMAC-SHA256 of the content checksum with the clinic's key
SIGNING_KEY = "docgen.signing-key"  # which key: its id, never the key
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_RELATIONSHIP = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "custom": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}


UNSET_CHECKSUM = "0" * 64


def same_print(first: bytes, second: bytes) -> bool:
    """Whether two .docx files print the same: every member but their properties (ids,
    checksums, when and from what they were made) is identical."""
    return _printed_members(first) == _printed_members(second)


def _printed_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {
            name: package.read(name)
            for name in package.namelist()
            if not name.startswith("docProps/")
        }


def content_checksum(
    members: Mapping[str, bytes], known_digests: Mapping[str, str] | None = None
) -> str:
    """SHA-256 over every package member, the custom properties included with this checksum's
    own value and the signature made from it blanked, so that any change to text, layout or
    properties shows.
    known_digests: the SHA-256 of members not passed in members (a template's unchanged ones,
    hashed once rather than for every document)."""
    known_digests = known_digests or {}
    lines = []
    for name in sorted({*members, *known_digests}):
        if name not in members:
            lines.append(f"{name}\0{known_digests[name]}\n")
            continue
        data = members[name]
        if name == CUSTOM_PROPERTIES:
            recorded = read_custom_properties(data)
            for value in (recorded.get(CONTENT_CHECKSUM), recorded.get(SIGNATURE)):
                data = data.replace(value.encode(), UNSET_CHECKSUM.encode()) if value else data
        lines.append(f"{name}\0{hashlib.sha256(data).hexdigest()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _core_properties_xml(title: str, properties: DocumentProperties) -> bytes:
    root = etree.Element(
        f"{{{_NS['cp']}}}coreProperties", nsmap={k: _NS[k] for k in ("cp", "dc", "dcterms", "xsi")}
    )
    stamp = properties.generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag, text in (
        ("dc:title", title),
        ("dc:creator", "docgen"),
        ("dc:identifier", properties.document_id),
        ("dc:language", properties.locale),
        ("cp:version", properties.template_version),
        ("dcterms:created", stamp),
        ("dcterms:modified", stamp),
    ):
        prefix, name = tag.split(":")
        element = etree.SubElement(root, f"{{{_NS[prefix]}}}{name}")
        element.text = text
        if prefix == "dcterms":
            element.set(f"{{{_NS['xsi']}}}type", "dcterms:W3CDTF")
    return serialize_part_xml(root)


def _custom_properties_xml(
    properties: DocumentProperties, checksum: str, signer: str = "", signed: str = ""
) -> bytes:
    root = etree.Element(
        f"{{{_NS['custom']}}}Properties", nsmap={None: _NS["custom"], "vt": _NS["vt"]}
    )
    values = {
        "docgen.document-id": properties.document_id,
        "docgen.template-version": properties.template_version,
        "docgen.locale": properties.locale,
        "docgen.price-list-sha256": properties.price_list_checksum,
        "docgen.generated": properties.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        CONTENT_CHECKSUM: checksum,
    }
    if properties.inputs_checksum:
        values["docgen.inputs-sha256"] = properties.inputs_checksum
    if properties.visit:
        values["docgen.visit"] = properties.visit
    if properties.price_list:
        values[PRICE_LIST] = properties.price_list
    if properties.replaces:
        values[REPLACES] = properties.replaces
    if signer:
        values[SIGNING_KEY], values[SIGNATURE] = signer, signed
    for pid, (name, value) in enumerate(values.items(), start=2):
        element = etree.SubElement(
            root,
            f"{{{_NS['custom']}}}property",
            fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
            pid=str(pid),
            name=name,
        )
        etree.SubElement(element, f"{{{_NS['vt']}}}lpwstr").text = value
    return serialize_part_xml(root)


def document_properties(document: Path | bytes) -> dict[str, str]:
    """The docgen properties a .docx (a file, or its bytes) carries, read without checking
    them (verify does that); {} for a file that has none."""
    source = io.BytesIO(document) if isinstance(document, bytes) else document
    try:
        with zipfile.ZipFile(source) as package:
            return read_custom_properties(package.read(CUSTOM_PROPERTIES))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return {}


def read_custom_properties(data: bytes) -> dict[str, str]:
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    return {
        element.get("name"): element.findtext(f"{{{_NS['vt']}}}lpwstr") or ""
        for element in root.iter(f"{{{_NS['custom']}}}property")
    }


def _declare_custom_properties(name: str, data: bytes) -> bytes:
    """[Content_Types].xml and _rels/.rels, extended to know docProps/custom.xml."""
    root = etree.fromstring(data)
    if name == "[Content_Types].xml":
        namespace = root.nsmap[None]
        if not any(o.get("PartName") == "/" + CUSTOM_PROPERTIES for o in root):
            etree.SubElement(
                root, f"{{{namespace}}}Override", PartName="/" + CUSTOM_PROPERTIES,
                ContentType=_CUSTOM_TYPE,
            )  # fmt: skip
    else:
        namespace = root.nsmap[None]
        if not any(r.get("Type") == _CUSTOM_RELATIONSHIP for r in root):
            ids = {r.get("Id") for r in root}
            new_id = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
            etree.SubElement(
                root, f"{{{namespace}}}Relationship", Id=new_id, Type=_CUSTOM_RELATIONSHIP,
                Target=CUSTOM_PROPERTIES,
            )  # fmt: skip
    return serialize_part_xml(root)


def template_language(name: str, declared: str | None) -> str:
    """The language a template's fixed texts are written in: its Language property (Word:
    File › Properties), such as fr or fr-CH, for a clinic that rewrote it in its own; English
    when it has none."""
    if not declared or not declared.strip():
        return SOURCE_LANGUAGE
    try:
        return Locale.parse(declared.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        raise TemplateError(
            name,
            f"its Language property {declared!r} names no language: write a code such as fr "
            "or fr-CH (File › Properties), or leave it empty for English",
        ) from None


class Translator(Protocol):
    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...
    def pgettext(self, context: str, message: str) -> str: ...
    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str: ...


def translation_callables(translations: Translator) -> dict[str, Any]:
    return {
        "_": translations.gettext,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "pgettext": translations.pgettext,
        "npgettext": translations.npgettext,
    }


@dataclass(frozen=True)
class _Prepared:
    parts: list[tuple[str, str, Template, bool]]  # (member, kind, compiled Jinja, laid out)
    package: bytes  # the members no document rewrites, compressed
    digests: dict[str, str]  # their SHA-256, for the content checksum
    styles: Any  # word/styles.xml, whose default language each document sets to its own
    by_language: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)

    @functools.cached_property
    def sizes(self) -> dict[str, int]:
        return _style_sizes(self.styles)

    def package_in(self, language: str) -> tuple[bytes, dict[str, str]]:
        """The kept members and the styles for documents in one language, compressed once
        (the styles are as large as a document's text), and the SHA-256 of each member."""
        if language not in self.by_language:
            styles = self._styles_in(language)
            package = io.BytesIO(self.package)
            with zipfile.ZipFile(package, "a") as target:
                target.writestr(_member(STYLES), styles, compresslevel=FAST_COMPRESSION)
            digests = {**self.digests, STYLES: hashlib.sha256(styles).hexdigest()}
            self.by_language[language] = (package.getvalue(), digests)
        return self.by_language[language]

    def _styles_in(self, language: str) -> bytes:
        """The styles with the document's language as the default of every text: LibreOffice
        and Word hyphenate by it ('Berührungs-empfindlichkeit', never 'Berührungsempfindlichk|
        eit'), and spell-check by it."""
        styles = copy.deepcopy(self.styles)
        defaults = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
        if defaults is not None:
            lang = defaults.find(f"{_W}lang")
            if lang is None:
                lang = etree.SubElement(defaults, f"{_W}lang")
            lang.set(f"{_W}val", language)
            lang.set(f"{_W}eastAsia", language)
            lang.set(f"{_W}bidi", language)  # the language of right-to-left text too
        if font := east_asian_font(language):
            for fonts in styles.iter(f"{_W}rFonts"):
                fonts.set(f"{_W}eastAsia", font)
                fonts.attrib.pop(f"{_W}eastAsiaTheme", None)
        return serialize_part_xml(styles)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
STYLES = "word/styles.xml"

# The font of each East Asian script's text: Noto's, which Debian packages (fonts-noto-cjk) and
# LibreOffice finds; one per script, because Japanese and Chinese draw the same characters
# differently. The templates' Arial has none of them: Chinese printed as empty boxes.
EAST_ASIAN_FONTS = {
    "Jpan": "Noto Sans CJK JP",
    "Hans": "Noto Sans CJK SC",
    "Hant": "Noto Sans CJK TC",
    "Kore": "Noto Sans CJK KR",
}


@functools.lru_cache(maxsize=64)
def east_asian_font(language: str) -> str | None:
    """The font for a language tag's East Asian text (zh-CN → Noto Sans CJK SC), from the
    script CLDR's likely subtags give it; None for a language not written in one."""
    return EAST_ASIAN_FONTS.get(writing_script(language) or "")


@functools.lru_cache(maxsize=64)  # once per locale, not per document
def language_tag(locale: str) -> str:
    """The language tag Word and LibreOffice read, with a region: de_CH → de-CH, and for a
    language without one its likeliest (CLDR's likely subtags, through Babel): de → de-DE."""
    parsed = Locale.parse(locale)
    territory = parsed.territory
    if not territory:
        likely = get_global("likely_subtags").get(parsed.language, "")
        territory = Locale.parse(likely).territory if likely else None
    return f"{parsed.language}-{territory}" if territory else parsed.language


def _tagged_parts(document: DocxTemplate, mirrored: bool) -> list[tuple[str, str, str, bool]]:
    """(member, kind, XML, laid out) for every part that may hold template tags: the body,
    headers, footers and footnotes. mirrored lays the body, headers and footers out right to
    left now (laid out), except a part with {% trans %} blocks: a block's text, Word's runs
    included, is its catalogue key, which laying it out would change. Such a part is laid
    out once filled in."""
    elements = [("word/document.xml", "body", document.docx.element.body)]
    for uri in (document.HEADER_URI, document.FOOTER_URI):
        for _key, part in document.get_headers_footers(uri):
            elements.append((part.partname.lstrip("/"), "part", parse_xml(part.blob)))
    parts = []
    for member, kind, element in elements:
        xml = etree.tostring(element, encoding="unicode")  # as docxtpl's get_xml, get_part_xml
        laid_out = mirrored and not _TRANSLATION_BLOCK.search(document.patch_xml(xml))
        if laid_out:
            _mirror_layout(element)
            xml = etree.tostring(element, encoding="unicode")
        parts.append((member, kind, xml, laid_out))
    for part in document.docx.part.package.parts:
        if part.content_type == FOOTNOTES_CONTENT_TYPE:
            parts.append((part.partname.lstrip("/"), "footnotes", part.blob.decode(), False))
    return parts


_TRANSLATION_BLOCK = re.compile(r"\{%-?\s*trans\b")


def _kept_members(document: DocxTemplate, rewritten: set[str]) -> tuple[bytes, dict[str, str]]:
    """The package as docxtpl would save it, without the members each document rewrites (and
    declaring docgen's custom properties), and the SHA-256 of each member it keeps."""
    saved = io.BytesIO()
    document.docx.save(saved)
    rewritten = rewritten | {"docProps/core.xml", CUSTOM_PROPERTIES}
    package = io.BytesIO()
    digests = {}
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename in rewritten:
                continue
            data = source.read(item)
            if item.filename in ("[Content_Types].xml", "_rels/.rels"):
                data = _declare_custom_properties(item.filename, data)
            target.writestr(_member(item.filename), data)
            digests[item.filename] = hashlib.sha256(data).hexdigest()
    return package.getvalue(), digests


# What python-docx raises on a damaged package, reading it as far as it can: truncated XML is
# a syntax error, a [Content_Types].xml without its entries an AttributeError deep inside it.
DAMAGED_PACKAGE = (etree.XMLSyntaxError, AttributeError)


def damaged_template(name: str, error: Exception) -> TemplateError:
    return TemplateError(
        name,
        f"is damaged: a part of it cannot be read ({type(error).__name__}: {error}); open it in "
        "Word and save it again",
    )


class DocumentTemplate:
    """A Word template prepared once and rendered for any number of documents.

    Preparing does the work docxtpl repeats for every document: re-joining the tags Word splits
    across runs, compiling the Jinja of the body, headers, footers and footnotes, and
    compressing the package members a document never changes. Rendering then only runs the
    compiled templates and the same docxtpl steps that follow (listing, tables, drawing ids),
    so a document is the one plain docxtpl renders from the same template and context.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = self.path.name
        try:
            self._data = self.path.read_bytes()
        except OSError as error:
            raise TemplateError(self.name, f"cannot read it: {error.strerror}") from None
        self.checksum = hashlib.sha256(self._data).hexdigest()
        too_big = oversized_package(self.path, MAX_TEMPLATE_BYTES, "a Word template")
        if too_big:
            raise TemplateError(self.name, too_big)
        try:
            self._docxtpl = DocxTemplate(io.BytesIO(self._data))
            self._docxtpl.render_init()
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise TemplateError(
                self.name, f"is not a Word document (.docx) that can be opened ({error})"
            ) from None
        except DAMAGED_PACKAGE as error:
            raise damaged_template(self.name, error) from None
        self.version = self._docxtpl.docx.core_properties.version or "unversioned"
        self.language = template_language(self.name, self._docxtpl.docx.core_properties.language)
        self.title = self._docxtpl.docx.core_properties.title or self.path.stem
        self._environment = make_environment()
        self._by_direction: dict[bool, _Prepared] = {}
        self._document_ends: tuple[bytes, bytes] | None = None

    def variables(self) -> set[str]:
        """Top-level variables the template uses, other than the translation functions."""
        try:
            found = DocxTemplate(io.BytesIO(self._data)).get_undeclared_template_variables(
                make_environment()
            )
        except TemplateSyntaxError as error:
            raise TemplateError(self.name, _syntax_message(error)) from None
        return found - TRANSLATION_CALLABLES

    # Preparing, once per writing direction ------------------------------------------------

    def _prepared(self, right_to_left: bool) -> _Prepared:
        """The template prepared for one writing direction: the compiled Jinja of every part that
        holds tags, and the rest of the package saved as docxtpl saves it.

        For right to left, the template's own layout is mirrored here, once: its tables,
        paragraphs, alignment and run properties, styles and numbering. Each render is left
        only the direction of each text, which is known once the text is filled in."""
        if right_to_left not in self._by_direction:
            document = DocxTemplate(io.BytesIO(self._data))
            document.init_docx()
            parts = []
            for member, kind, xml, laid_out in _tagged_parts(document, mirrored=right_to_left):
                try:
                    template = self._environment.from_string(document.patch_xml(xml))
                except TemplateSyntaxError as error:
                    raise TemplateError(self.name, _syntax_message(error)) from None
                parts.append((member, kind, template, laid_out))
            if right_to_left:
                _mirror_layout(document.docx.styles.element)
                # bullets and numbers: their levels' paragraph properties live in numbering.xml
                _mirror_layout(document.docx.part.numbering_part.element)
            rewritten = {member for member, *_ in parts} | {STYLES}
            package, digests = _kept_members(document, rewritten)
            styles = copy.deepcopy(document.docx.styles.element)
            self._by_direction[right_to_left] = _Prepared(parts, package, digests, styles)
        return self._by_direction[right_to_left]

    def _document_xml(self, body) -> bytes:
        """word/document.xml with this body, as python-docx serializes it once docxtpl has put
        the body in the document. Moving the body into the document element makes lxml
        reconcile every namespace of every node, the slowest step of a render; when the body
        declares only the document's own namespaces, splicing its serialization gives the
        same bytes."""
        document = self._docxtpl.docx.element
        inner = etree.tostring(body, encoding="UTF-8")
        inner = inner[inner.index(b">") + 1 : -len(b"</w:body>")]
        if b"xmlns" in inner or not body.nsmap.items() <= document.nsmap.items():
            document.replace(document.body, body)
            return serialize_part_xml(document)
        if self._document_ends is None:
            document.replace(document.body, OxmlElement("w:body"))
            serialized = serialize_part_xml(document)
            start = serialized.index(b"<w:body/>")
            self._document_ends = (serialized[:start], serialized[start + len(b"<w:body/>") :])
        head, tail = self._document_ends
        return head + b"<w:body>" + inner + b"</w:body>" + tail

    def _parsed(self, xml: str, member: str, body: bool):
        """A filled-in part, refused unless it is well-formed XML: a document Word cannot
        open, or that a parser would silently repair, is never written or signed."""
        try:
            data = xml.encode("utf-8")
            return etree.fromstring(data, parser=_BODY_PARSER) if body else parse_xml(data)
        except etree.XMLSyntaxError as error:
            raise TemplateError(
                self.name,
                f"filled in, its {member} is not well-formed XML ({error.msg}); check its "
                "{% … %} tags (docgen wrote nothing)",
            ) from None

    def prepare(self) -> None:
        """Do the once-per-template work now (before worker processes are forked)."""
        self._prepared(right_to_left=False)

    # Rendering, per document ---------------------------------------------------------------

    def _title_in(self, translations: Translator | None) -> str:
        """The template's title (the PDF's, which a screen reader announces) in the document's
        language where docgen has it: the heading it repeats is translated for the document,
        so a Chinese form is not titled in English."""
        find = getattr(translations, "translation_of", None)  # gettext's have none
        return (find(self.title) if find else None) or self.title

    def render(
        self,
        context: Mapping[str, Any],
        properties: DocumentProperties,
        translations: Translator | None = None,
        right_to_left: bool = False,
    ) -> bytes:
        """Render to the bytes of a .docx file that records its properties and a checksum of its
        content; right_to_left mirrors it for Arabic or Hebrew."""
        full_context = xml_safe(dict(context))
        if hasattr(translations, "for_source"):  # docgen's: told the template's own language
            translations = translations.for_source(self.language)
        full_context.update(
            translation_callables(translations or gettext_module.NullTranslations())
        )
        clinic_locale = getattr(translations, "clinic_locale", None)  # a bilingual document's
        clinic_language = language_tag(clinic_locale) if clinic_locale else None
        tpl = self._docxtpl
        tpl.docx_ids_index = 1000  # docxtpl numbers drawings from here for every document
        self._environment.start_render()
        prepared = self._prepared(right_to_left)
        members = {}
        for member, kind, template, laid_out in prepared.parts:
            try:
                with _signal_backstop(RENDER_SECONDS):
                    xml = template.render(full_context)
            except UndefinedError as error:
                raise TemplateError(
                    self.name,
                    f"uses a value docgen does not provide ({error}); check the spelling of "
                    "the {{ … }} tags against the variables listed in README",
                ) from None
            except SecurityError as error:
                raise TemplateError(
                    self.name, f"tried something unsafe and was stopped: {error}"
                ) from None
            except TemplateTimeout:
                raise TemplateTimeoutError(
                    self.name, f"took more than {RENDER_SECONDS} s to fill in and was stopped"
                ) from None
            except (ArithmeticError, TypeError, ValueError, RecursionError, MemoryError) as error:
                # a template is a file anyone can edit: its own mistakes are its own errors
                raise TemplateError(
                    self.name, f"failed while being filled in: {type(error).__name__}: {error}"
                ) from None
            if "{_" in xml or "_}" in xml:
                xml = _UNESCAPED_TAGS.sub(_unescape_tag, xml)
            if _LISTING_TEXT.search(xml):  # otherwise docxtpl's listing pass changes nothing
                xml = tpl.resolve_listing(xml)
            element = self._parsed(xml, member, body=kind == "body")
            marked = CLINIC_LINE in xml
            if marked:
                _set_clinic_lines(element, clinic_language, prepared.sizes)
            if kind == "footnotes":
                members[member] = serialize_part_xml(element) if marked else xml.encode()
                continue
            if kind == "body":
                body = element
                if _tables_need_fixing(body):
                    body = tpl.fix_tables(xml)
                tpl.fix_docpr_ids(body)
                if right_to_left:
                    _mirror_filled_in(body, laid_out)
                members[member] = self._document_xml(body)
                continue
            if right_to_left:
                _mirror_filled_in(element, laid_out)
            members[member] = serialize_part_xml(element)
        package_bytes, digests = prepared.package_in(language_tag(properties.locale))
        members["docProps/core.xml"] = _core_properties_xml(
            self._title_in(translations), properties
        )
        key = read_key()
        signer = key_id(key) if key else ""
        members[CUSTOM_PROPERTIES] = _custom_properties_xml(
            properties, UNSET_CHECKSUM, signer, UNSET_CHECKSUM
        )
        checksum = content_checksum(members, digests)
        signed = signature(key, checksum) if key else ""
        members[CUSTOM_PROPERTIES] = _custom_properties_xml(properties, checksum, signer, signed)
        package = io.BytesIO(package_bytes)
        with zipfile.ZipFile(package, "a") as target:
            for member, data in members.items():
                # the level must be given here: a ZipInfo ignores the archive's compresslevel
                target.writestr(_member(member), data, compresslevel=FAST_COMPRESSION)
        return package.getvalue()


FAST_COMPRESSION = 1  # a few KB larger than zlib's default level, and four times as fast
_LISTING_TEXT = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\n\a\f]")
FOOTNOTES_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
)
_UNESCAPED_TAGS = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")


_BODY_PARSER = etree.XMLParser(resolve_entities=False)  # as fix_tables parses, not recovering


_NAMESPACES = {"w": _W[1:-1]}
_GRID_COLUMNS = etree.XPath("count(w:tblGrid/w:gridCol)", namespaces=_NAMESPACES)
_ROW_TOO_WIDE = etree.XPath("boolean(w:tr[count(w:tc) > $columns])", namespaces=_NAMESPACES)
_ROW_AS_WIDE = etree.XPath(  # a row whose cells, merged ones by their span, fill the grid
    "boolean(w:tr[count(w:tc) - count(w:tc/w:tcPr/w:gridSpan)"
    " + sum(w:tc/w:tcPr/w:gridSpan/@w:val) >= $columns])",
    namespaces=_NAMESPACES,
)


def _tables_need_fixing(body) -> bool:
    """Whether docxtpl's fix_tables would change anything: a row with more cells than its
    table's grid has columns (cells made by a loop), or a grid wider than its widest row
    (cells a loop left out), merged cells counted by their span. A merged cell alone, as the
    consent form's last row has, changes nothing, and fix_tables parses the whole part again.
    Asked in XPath, in lxml's C: in Python, it took a twentieth of a batch's time."""
    for table in body.iter(_W + "tbl"):
        columns = _GRID_COLUMNS(table)
        if _ROW_TOO_WIDE(table, columns=columns) or not _ROW_AS_WIDE(table, columns=columns):
            return True
    return False


def _unescape_tag(match: re.Match) -> str:
    return match.group(0).replace("_", "")


def _member(name: str) -> zipfile.ZipInfo:
    """A package member with a fixed timestamp: the same document gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _syntax_message(error: TemplateSyntaxError) -> str:
    near = " ".join(line.strip() for line in getattr(error, "docx_context", []) if line.strip())
    return f"has a broken tag: {error.message}" + (f", near: {near[:200]}" if near else "")


# Child order that Word requires inside paragraph, run and table properties (ECMA-376 §17).
_PPR_ORDER = tuple(
    (  # noqa: SIM905
        "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
        "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
        "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
        "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
        "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
    ).split()
)
_RPR_ORDER = tuple(
    (  # noqa: SIM905
        "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
        "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
        "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
    ).split()
)
_TBLPR_ORDER = tuple(
    (  # noqa: SIM905
        "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
        "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
        "tblDescription"
    ).split()
)
# Right-to-left runs are drawn with the complex-script size, weight and slant.
_COMPLEX_SCRIPT_TWINS = {"sz": "szCs", "b": "bCs", "i": "iCs"}


_RIGHT_TO_LEFT_CLASSES = frozenset({"R", "AL"})
_LEFT_TO_RIGHT_CLASSES = frozenset({"L", "EN", "AN"})


def _properties(element, name: str):
    """The element's <w:name> properties child (pPr, rPr, tblPr), made if missing."""
    found = element.find(_W + name)
    if found is None:
        found = etree.Element(_W + name)
        element.insert(0, found)
    return found


@functools.cache
def _later_children(name: str, order: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_W + tag for tag in order[order.index(name) + 1 :])


def _set_child(properties, name: str, order: tuple[str, ...], attributes: dict | None = None):
    """Add <w:name> in the position Word's schema requires, unless it is already there."""
    if properties.find(_W + name) is not None:
        return
    child = etree.Element(_W + name, attributes or {})
    later = _later_children(name, order)
    for index, existing in enumerate(properties):
        if existing.tag in later:
            properties.insert(index, child)
            return
    properties.append(child)


@functools.lru_cache(maxsize=8192)  # the same texts come back in every document
def _direction(text: str) -> str | None:
    """'rtl' if the text has right-to-left letters, else 'ltr' if it has left-to-right letters
    or digits, else None (spaces, punctuation)."""
    classes = {unicodedata.bidirectional(ch) for ch in text}
    if classes & _RIGHT_TO_LEFT_CLASSES:
        return "rtl"
    return "ltr" if classes & _LEFT_TO_RIGHT_CLASSES else None


def _style_sizes(styles) -> dict[str, int]:
    """The font size, in half points, of each style id, through the styles it is based on;
    under "" that of a paragraph without a style."""
    by_id = {style.get(_W + "styleId"): style for style in styles.iter(_W + "style")}
    default = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}sz")
    default_size = int(default.get(_W + "val")) if default is not None else 20

    def size(style_id: str, seen: frozenset = frozenset()) -> int:
        style = by_id.get(style_id)
        if style is None or style_id in seen:
            return default_size
        own = style.find(f"{_W}rPr/{_W}sz")
        if own is not None:
            return int(own.get(_W + "val"))
        based_on = style.find(_W + "basedOn")
        if based_on is None:
            return default_size
        return size(based_on.get(_W + "val"), seen | {style_id})

    sizes = {style_id: size(style_id) for style_id in by_id}
    normal = next(
        (
            i
            for i, s in by_id.items()
            if s.get(_W + "type") == "paragraph" and s.get(_W + "default") in ("1", "true")
        ),
        None,
    )
    sizes[""] = sizes[normal] if normal else default_size
    return sizes


CLINIC_LINE_COLOUR = "595959"  # dark grey: apart from the patient's black, and legible
CLINIC_LINE_SCALE = 0.85


def _run_size(run, sizes: dict[str, int]) -> int:
    properties = run.find(_W + "rPr")
    for path in ("sz", "rStyle"):
        found = properties.find(_W + path) if properties is not None else None
        if found is not None:
            value = found.get(_W + "val")
            return int(value) if path == "sz" else sizes.get(value, sizes[""])
    paragraph_style = run.find(f"../{_W}pPr/{_W}pStyle")
    return (
        sizes.get(paragraph_style.get(_W + "val"), sizes[""])
        if paragraph_style is not None
        else sizes[""]
    )


def _set_clinic_lines(root, language: str | None, sizes: dict[str, int]) -> None:
    """Give each clinic's line of a bilingual text a run of its own, set in the clinic's
    language (LibreOffice and Word hyphenate a run by its language: an English line under a
    French one is not cut by French rules) and printed smaller and grey, so that the patient's
    line and the clinic's are told apart at a glance; the patient's text around it keeps the
    run's own properties."""
    clinic_runs = set()
    for run in [r for r in root.iter(_W + "r") if _marked(r)]:
        properties = run.find(_W + "rPr")
        size = round(_run_size(run, sizes) * CLINIC_LINE_SCALE)
        styles = {False: properties, True: _clinic_properties(properties, size, language)}
        for clinic, piece in reversed(_runs_by_line(run, styles)):
            run.addnext(piece)
            if clinic:
                clinic_runs.add(piece)
        run.getparent().remove(run)
    for parent in {run.getparent() for run in clinic_runs}:
        _patient_line_then_clinics(parent, clinic_runs)


def _patient_line_then_clinics(parent, clinic_runs: set) -> None:
    """A paragraph of several bilingual texts (a bold label, then its sentence) printed text by
    text read "Young person's agreement: Le traitement m'a été expliqué…", the clinic's label
    and the patient's sentence on one line: the patient's line is printed whole, then the
    clinic's. What joins two texts (" — ", ": ") is on both lines; a blank to fill in only on
    the patient's. A paragraph whose texts the template already puts on lines of their own (a
    line break between them) is left as it is."""
    runs = [child for child in parent if child.tag == _W + "r"]
    clinics = [run for run in runs if run in clinic_runs]
    if len(clinics) < 2:
        return
    gaps = [runs[runs.index(a) + 1 : runs.index(b)] for a, b in itertools.pairwise(clinics)]
    plain = [[run for run in gap if run not in clinic_runs] for gap in gaps]
    if any(run.find(_W + "br") is not None for gap in plain for run in gap[:-1]):
        return
    joins = [
        [copy.deepcopy(run) for run in gap if not re.search(r"\w", "".join(run.itertext()))]
        for gap in plain
    ]
    for clinic in clinics:  # the patient's text before it ends with the break to its line
        before = clinic.getprevious()
        if before is not None and len(before) and before[-1].tag == _W + "br":
            before.remove(before[-1])
    for clinic in clinics:
        parent.remove(clinic)
    line_break = etree.Element(_W + "r")
    etree.SubElement(line_break, _W + "br")
    clinic_line = [line_break]
    for clinic, join in zip(clinics, [*joins, []], strict=True):
        clinic_line += [clinic, *(_with_properties_of(run, clinic) for run in join)]
    last = [run for run in parent if run.tag == _W + "r"][-1]
    for run in reversed(clinic_line):
        last.addnext(run)


def _with_properties_of(run, model):
    """run's text, set as model is (the clinic's line's size, colour and language)."""
    properties = model.find(_W + "rPr")
    own = run.find(_W + "rPr")
    if own is not None:
        run.remove(own)
    if properties is not None:
        run.insert(0, copy.deepcopy(properties))
    return run


def _runs_by_line(run, styles: dict) -> list[tuple[bool, Any]]:
    """The run's content cut at the marks into runs, each with the properties of its line:
    styles[True] for the clinic's, styles[False] for the rest; with whether it is the
    clinic's."""
    pieces: list[tuple[bool, Any]] = []

    def current(clinic: bool):
        if not pieces or pieces[-1][0] != clinic:
            piece = etree.Element(_W + "r")
            if styles[clinic] is not None:
                piece.append(copy.deepcopy(styles[clinic]))
            pieces.append((clinic, piece))
        return pieces[-1][1]

    clinic = False
    for child in [c for c in run if c.tag != _W + "rPr"]:
        if child.tag != _W + "t":
            current(clinic).append(child)
            continue
        for part in re.split(f"([{CLINIC_LINE}{CLINIC_LINE_END}])", child.text or ""):
            if part in (CLINIC_LINE, CLINIC_LINE_END):
                clinic = part == CLINIC_LINE
            elif part:
                text = etree.SubElement(current(clinic), _W + "t")
                text.text = part
                text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return pieces


def _marked(run) -> bool:
    return any(LINE_MARKS.search(t.text or "") for t in run.iter(_W + "t"))


def _clinic_properties(properties, size: int, language: str | None):
    """A run's properties for the clinic's line: smaller, grey (white on a fill stays white),
    and in the clinic's language."""
    clinic = copy.deepcopy(properties) if properties is not None else etree.Element(_W + "rPr")
    settings = {"sz": {"val": size}, "szCs": {"val": size}}
    colour = clinic.find(_W + "color")
    if colour is None or colour.get(_W + "val") in ("auto", "000000"):
        settings["color"] = {"val": CLINIC_LINE_COLOUR}
    if language:
        settings["lang"] = {"val": language, "eastAsia": language, "bidi": language}
    for name, attributes in settings.items():
        if (existing := clinic.find(_W + name)) is not None:
            clinic.remove(existing)
        _set_child(clinic, name, _RPR_ORDER, {_W + k: str(v) for k, v in attributes.items()})
    return clinic


def _mirror_layout(root) -> None:
    """Lay a part out right to left: tables, paragraphs and alignment; run properties for every
    run, with the complex-script twins of size, bold and italic that right-to-left text is
    drawn with."""
    for table in root.iter(_W + "tbl"):
        _set_child(_properties(table, "tblPr"), "bidiVisual", _TBLPR_ORDER)
    for paragraph in root.iter(_W + "p"):
        _properties(paragraph, "pPr")
    for properties in root.iter(_W + "pPr"):
        _set_child(properties, "bidi", _PPR_ORDER)
    for justification in root.iter(_W + "jc", _W + "lvlJc"):  # paragraphs; list labels
        value = justification.get(_W + "val")
        justification.set(_W + "val", {"left": "right", "right": "left"}.get(value, value))
    for run in root.iter(_W + "r"):
        _properties(run, "rPr")
    for properties in root.iter(_W + "rPr"):
        for name, twin in _COMPLEX_SCRIPT_TWINS.items():
            value = properties.find(_W + name)
            if value is not None:
                _set_child(properties, twin, _RPR_ORDER, dict(value.attrib))


def _mirror_filled_in(root, laid_out: bool) -> None:
    if not laid_out:
        _mirror_layout(root)
    _mirror_text(root)


_UNMARKED_PARAGRAPHS = etree.XPath(".//w:p[not(w:pPr/w:bidi)]", namespaces={"w": _W[1:-1]})


def _mirror_text(root) -> None:
    """Mark each run of a filled-in, laid-out part by the direction of its text; and as right to
    left the paragraphs docxtpl adds while filling in (a page break, written \\f)."""
    for paragraph in _UNMARKED_PARAGRAPHS(root):
        _set_child(_properties(paragraph, "pPr"), "bidi", _PPR_ORDER)
    for run in root.iter(_W + "r"):
        properties = _properties(run, "rPr")  # runs docxtpl adds when filling in (tabs) have none
        right_to_left = False
        for text in run.findall(_W + "t"):  # a bilingual run holds one <w:t> per language
            direction = _direction(text.text or "")
            if direction == "rtl":
                right_to_left = True
            elif direction == "ltr":
                # Left-to-right text in a right-to-left paragraph (an English address, a phone
                # number): left-to-right marks keep its words and digit groups in order.
                text.text = "\u200e" + text.text + "\u200e"
        if right_to_left:
            _set_child(properties, "rtl", _RPR_ORDER)
