"""Render step: fill a Word template with a context, safely.

Templates are files anyone at the clinic can edit, so they run in Jinja's sandbox, with
autoescaping (a patient called `Zoë & <Sons>` must not break the XML) and strict undefined
variables (a misspelt variable is an error, never a silent blank)."""

from __future__ import annotations

import gettext as gettext_module
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
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


def translation_callables(translations: gettext_module.NullTranslations) -> dict[str, Any]:
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
        translations: gettext_module.NullTranslations | None = None,
    ) -> bytes:
        """Render to the bytes of a .docx file."""
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
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()


def _syntax_message(error: TemplateSyntaxError) -> str:
    near = " ".join(line.strip() for line in getattr(error, "docx_context", []) if line.strip())
    return f"has a broken tag: {error.message}" + (f", near: {near[:200]}" if near else "")
