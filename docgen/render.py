"""Render step: fill a Word template with a context, safely.

Templates are files anyone at the clinic can edit, so they run in Jinja's sandbox, with
autoescaping (a patient called `Zoë & <Sons>` must not break the XML) and strict undefined
variables (a misspelt variable is an error, never a silent blank)."""

from __future__ import annotations

import gettext as gettext_module
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from docgen.exceptions import TemplateError

TRANSLATION_CALLABLES = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})

# Characters XML 1.0 cannot hold; Word refuses a document containing any of them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value: Any) -> Any:
    """Remove characters XML forbids from every string in a (nested) context."""
    if isinstance(value, str):
        return _XML_FORBIDDEN.sub("", value)
    if isinstance(value, Mapping):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(item) for item in value]
    return value


def make_environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=True, undefined=StrictUndefined, extensions=["jinja2.ext.i18n"]
    )
    env.install_null_translations(newstyle=False)  # type: ignore[attr-defined]
    return env


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


class DocumentTemplate:
    """A Word template read once and rendered for any number of documents."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = self.path.name
        try:
            self._data = self.path.read_bytes()
        except OSError as error:
            raise TemplateError(self.name, f"cannot read it: {error.strerror}") from None
        self.checksum = hashlib.sha256(self._data).hexdigest()
        try:
            template = DocxTemplate(io.BytesIO(self._data))
            template.init_docx()
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise TemplateError(
                self.name, f"is not a Word document (.docx) that can be opened ({error})"
            ) from None
        self.version = template.docx.core_properties.version or "unversioned"

    def variables(self) -> set[str]:
        """Top-level variables the template uses, other than the translation functions."""
        try:
            found = DocxTemplate(io.BytesIO(self._data)).get_undeclared_template_variables(
                make_environment()
            )
        except TemplateSyntaxError as error:
            raise TemplateError(self.name, _syntax_message(error)) from None
        return found - TRANSLATION_CALLABLES

    def render(
        self,
        context: Mapping[str, Any],
        translations: Translator | None = None,
        right_to_left: bool = False,
    ) -> bytes:
        """Render to the bytes of a .docx file; right_to_left mirrors it for Arabic or Hebrew."""
        full_context = xml_safe(dict(context))
        full_context.update(
            translation_callables(translations or gettext_module.NullTranslations())
        )
        template = DocxTemplate(io.BytesIO(self._data))
        try:
            template.render(full_context, make_environment(), autoescape=True)
        except UndefinedError as error:
            raise TemplateError(
                self.name,
                f"uses a value docgen does not provide ({error}); check the spelling of the "
                "{{ … }} tags against the variables listed in README",
            ) from None
        except SecurityError as error:
            raise TemplateError(
                self.name, f"tried something unsafe and was stopped: {error}"
            ) from None
        except TemplateSyntaxError as error:
            raise TemplateError(self.name, _syntax_message(error)) from None
        if right_to_left:
            mirror_right_to_left(template.docx)
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()


def _syntax_message(error: TemplateSyntaxError) -> str:
    near = " ".join(line.strip() for line in getattr(error, "docx_context", []) if line.strip())
    return f"has a broken tag: {error.message}" + (f", near: {near[:200]}" if near else "")


# Child order that Word requires inside paragraph, run and table properties (ECMA-376 §17).
_PPR_ORDER = (  # noqa: SIM905
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()
_RPR_ORDER = (  # noqa: SIM905
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
_TBLPR_ORDER = (  # noqa: SIM905
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription"
).split()
# Right-to-left runs are drawn with the complex-script size, weight and slant.
_COMPLEX_SCRIPT_TWINS = {"sz": "szCs", "b": "bCs", "i": "iCs"}


def _properties(element, name: str):
    found = element.find(qn(f"w:{name}"))
    if found is None:
        found = OxmlElement(f"w:{name}")
        element.insert(0, found)
    return found


def _set_child(properties, name: str, order: list[str], attributes: dict | None = None) -> None:
    """Add <w:name> in the position Word's schema requires, unless it is already there."""
    if properties.find(qn(f"w:{name}")) is not None:
        return
    child = OxmlElement(f"w:{name}")
    child.attrib.update(attributes or {})
    later = {qn(f"w:{tag}") for tag in order[order.index(name) + 1 :]}
    for index, existing in enumerate(properties):
        if existing.tag in later:
            properties.insert(index, child)
            return
    properties.append(child)


def _mirror(root) -> None:
    for paragraph in root.iter(qn("w:p")):
        _properties(paragraph, "pPr")
    for run in root.iter(qn("w:r")):
        _properties(run, "rPr")
    for table in root.iter(qn("w:tbl")):
        _set_child(_properties(table, "tblPr"), "bidiVisual", _TBLPR_ORDER)
    for properties in root.iter(qn("w:pPr")):
        _set_child(properties, "bidi", _PPR_ORDER)
        justification = properties.find(qn("w:jc"))
        if justification is not None:
            value = justification.get(qn("w:val"))
            justification.set(qn("w:val"), {"left": "right", "right": "left"}.get(value, value))
    for run in root.iter(qn("w:r")):
        texts = list(run.iter(qn("w:t")))
        classes = {unicodedata.bidirectional(ch) for t in texts for ch in (t.text or "")}
        if classes & {"R", "AL"}:
            _set_child(run.find(qn("w:rPr")), "rtl", _RPR_ORDER)
        elif classes & {"L", "EN", "AN"}:
            # Left-to-right text in a right-to-left paragraph (an English address, a phone
            # number): left-to-right marks keep its words and digit groups in reading order.
            texts[0].text = "\u200e" + texts[0].text
            texts[-1].text = texts[-1].text + "\u200e"
    for properties in root.iter(qn("w:rPr")):
        for name, twin in _COMPLEX_SCRIPT_TWINS.items():
            value = properties.find(qn(f"w:{name}"))
            if value is not None:
                _set_child(properties, twin, _RPR_ORDER, dict(value.attrib))


def mirror_right_to_left(document) -> None:
    """Make a rendered document right-to-left: every paragraph bidi (and its alignment mirrored),
    every table's columns mirrored, every run of right-to-left text marked rtl and every run
    drawn with the complex-script size and weight — in the body, headers, footers and styles."""
    roots = [document.element.body, document.styles.element]
    for relationship in document.part.rels.values():
        if relationship.reltype in (RT.HEADER, RT.FOOTER):
            roots.append(relationship.target_part.element)
    for root in roots:
        _mirror(root)
