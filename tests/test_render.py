"""The prepared renderer gives the document plain docxtpl renders from the same template and
context, however many documents it renders."""

from __future__ import annotations

import gettext
import io
import zipfile

import pytest
from docxtpl import DocxTemplate

from docgen.check import SAMPLE_PROPERTIES, sample_contexts
from docgen.render import DocumentTemplate, make_environment, translation_callables, xml_safe
from docgen.workspace import TEMPLATE_NAMES


def plain_docxtpl(path, context) -> bytes:
    template = DocxTemplate(str(path))
    full = xml_safe(dict(context))
    full.update(translation_callables(gettext.NullTranslations()))
    template.render(full, make_environment(), autoescape=True)
    saved = io.BytesIO()
    template.save(saved)
    return saved.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_prepared_rendering_equals_plain_docxtpl(workspace, price_list, name):
    context = sample_contexts(price_list)[name]
    other = {**context, "clinic": {**context["clinic"], "name": "Zoë & <Other> Clinic"}}
    template = DocumentTemplate(workspace.template(name))
    for current in (context, other, context):  # nothing leaks from one document to the next
        prepared = members(template.render(current, SAMPLE_PROPERTIES))
        plain = members(plain_docxtpl(workspace.template(name), current))
        # docgen adds its properties (docProps/custom.xml, declared in the two package indexes)
        assert sorted(prepared) == sorted([*plain, "docProps/custom.xml"])
        for member in plain:
            if member.startswith("word/"):
                assert prepared[member] == plain[member], member
        assert b"Zo\xc3\xab &amp; &lt;Other&gt; Clinic" in prepared["word/document.xml"] or (
            current is not other
        )


def test_rendering_is_reproducible(workspace, price_list):
    context = sample_contexts(price_list)["consent.docx"]
    template = DocumentTemplate(workspace.template("consent.docx"))
    first = template.render(context, SAMPLE_PROPERTIES)
    assert first == template.render(context, SAMPLE_PROPERTIES)
