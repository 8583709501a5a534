"""The prepared renderer gives the document plain docxtpl renders from the same template and
context, however many documents it renders."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import tracemalloc
import unicodedata
import zipfile
from decimal import Decimal

import docx
import pytest
from babel import Locale
from babel.core import get_global
from babel.dates import format_date
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.numbers import format_currency, get_currency_symbol
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from docgen.check import SAMPLE_PROPERTIES, sample_contexts
from docgen.exceptions import TemplateError
from docgen.extract import extract_docx
from docgen.i18n import Formatter
from docgen.render import (
    DocumentTemplate,
    _mirror_layout,
    _mirror_text,
    make_environment,
    translation_callables,
    xml_safe,
)
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


def in_document_language(member: str, data: bytes) -> bytes:
    """A plain docxtpl member as docgen writes it: the styles' default language set to the
    document's (SAMPLE_PROPERTIES' 'en', with its likeliest region in CLDR)."""
    tag = "en-" + Locale.parse(get_global("likely_subtags")["en"]).territory
    if member != "word/styles.xml":
        return data
    root = parse_xml(data)
    lang = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    for attribute in ("val", "eastAsia", "bidi"):
        lang.set(f"{W}{attribute}", tag)
    return serialize_part_xml(root)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


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
                assert prepared[member] == in_document_language(member, plain[member]), member
        assert b"Zo\xc3\xab &amp; &lt;Other&gt; Clinic" in prepared["word/document.xml"] or (
            current is not other
        )


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_a_shipped_template_defines_no_style_it_does_not_use(workspace, name):
    """LibreOffice reads every style a document defines, used or not, for each document: the
    164 of python-docx's blank document (table styles, list and heading variants) took a
    quarter of its time to make a consent form's PDF. A style is used where a part of the
    template names it, or through a used style based on it, linked to it or followed by it;
    and no second copy of the styles (stylesWithEffects.xml, for Word 2010) rides along."""
    parts = members(workspace.template(name).read_bytes())
    assert "word/stylesWithEffects.xml" not in parts and "docProps/thumbnail.jpeg" not in parts
    styles = parse_xml(parts["word/styles.xml"])
    defined = {style.get(f"{W}styleId"): style for style in styles.iter(f"{W}style")}
    used = {key for key, style in defined.items() if style.get(f"{W}default") == "1"} | {
        reference.get(f"{W}val")
        for member, data in parts.items()
        if member.startswith("word/") and member.endswith(".xml") and member != "word/styles.xml"
        for tag in ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink")
        for reference in parse_xml(data).iter(f"{W}{tag}")
    }
    pending = list(used)
    while pending:
        style = defined.get(pending.pop())
        for tag in ("basedOn", "link", "next") if style is not None else ():
            link = style.find(f"{W}{tag}")
            if link is not None and link.get(f"{W}val") not in used:
                used.add(link.get(f"{W}val"))
                pending.append(link.get(f"{W}val"))
    assert {"Normal", "Heading1", "ListBullet"} <= set(defined)
    assert set(defined) <= used, set(defined) - used


def mirrored_after_filling_in(member: str, data: bytes) -> bytes:
    """A member of a plain docxtpl document, laid out right to left once it is filled in."""
    root = parse_xml(data)
    if member in ("word/styles.xml", "word/numbering.xml"):
        _mirror_layout(root)
    elif member == "word/document.xml" or member.startswith(("word/header", "word/footer")):
        _mirror_layout(root)
        _mirror_text(root)
    else:
        return data
    return serialize_part_xml(root)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_right_to_left_rendering_equals_plain_docxtpl_mirrored(workspace, price_list, name):
    """The layout is mirrored once, in the template; the text's direction after filling in. The
    document is the one got by mirroring a plain docxtpl document after filling it in, with
    Arabic and English text, a tab and a line break (docxtpl adds runs for those)."""
    context = sample_contexts(price_list)[name]
    clinic = {**context["clinic"], "name": "عيادة Zoë & <Sons>\tLondon\nSW1"}
    arabic = {**context, "clinic": clinic}
    template = DocumentTemplate(workspace.template(name))
    for current in (arabic, context):
        prepared = members(template.render(current, SAMPLE_PROPERTIES, right_to_left=True))
        plain = members(plain_docxtpl(workspace.template(name), current))
        for member in plain:
            if member.startswith("word/"):
                expected = mirrored_after_filling_in(
                    member, in_document_language(member, plain[member])
                )
                assert prepared[member] == expected, member
        if current is arabic:
            document = prepared["word/document.xml"].decode()
            assert "<w:bidi/>" in document and "<w:bidiVisual/>" in document
            assert "<w:rtl/>" in document
            # the clinic's name after its tab and line break: English kept in order
            line_break = '</w:t><w:br/><w:t xml:space="preserve">'
            assert f"\u200eLondon\u200e{line_break}\u200eSW1\u200e" in document


class Catalogue:
    """Translations from a dict, as gettext gives them."""

    def __init__(self, translations: dict[str, str]):
        self.translations = translations

    def gettext(self, message: str) -> str:
        return self.translations.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.ngettext(singular, plural, n)


def split_trans_block(tmp_path, ending: str = " described above."):
    """A consent template whose {% trans %} block holds three of Word's runs, one bold."""
    document = docx.Document()
    paragraph = document.add_paragraph("{% trans %}I consent to the ")
    paragraph.add_run("treatment").bold = True
    paragraph.add_run(ending + "{% endtrans %}")
    path = tmp_path / "consent.docx"
    document.save(path)
    return path


def test_a_trans_block_split_over_runs_is_translated_right_to_left(tmp_path):
    """A {% trans %} block's text, Word's runs included, is its catalogue key: a part holding
    one is laid out right to left only once filled in, so the key still matches."""
    path = split_trans_block(tmp_path)
    with path.open("rb") as handle:
        (key,) = [message for _line, _function, message, _comments in extract_docx(
            handle, DEFAULT_KEYWORDS, [], {}
        )]  # fmt: skip
    arabic = Catalogue({key: "أوافق على العلاج الموصوف أعلاه."})
    filled = DocumentTemplate(path).render({}, SAMPLE_PROPERTIES, arabic, right_to_left=True)
    body = members(filled)["word/document.xml"].decode()
    assert "أوافق على العلاج الموصوف أعلاه." in body and "I consent" not in body
    assert body.count("<w:bidi/>") == body.count("<w:p>") + body.count("<w:p ")


def test_a_page_break_written_in_a_template_is_right_to_left(tmp_path):
    """docxtpl makes a new paragraph for a \\f; mirroring afterwards marks it right to left."""
    document = docx.Document()
    document.add_paragraph("{{ clinic }}{{ '\\f' }}Page two")
    path = tmp_path / "sheet.docx"
    document.save(path)
    context = {"clinic": "عيادة"}
    filled = DocumentTemplate(path).render(context, SAMPLE_PROPERTIES, right_to_left=True)
    plain = members(plain_docxtpl(path, context))["word/document.xml"]
    body = members(filled)["word/document.xml"]
    assert body == mirrored_after_filling_in("word/document.xml", plain)
    paragraphs = body.count(b"<w:p>") + body.count(b"<w:p ")
    assert body.count(b'<w:br w:type="page"/>') == 1 and body.count(b"<w:bidi/>") == paragraphs


@pytest.mark.parametrize("columns", [["Face", "Neck", "Hands", "Eyes", "Scalp"], ["Face"]])
def test_a_clinics_column_loop_table_has_the_grid_docxtpl_gives_it(tmp_path, columns):
    """A clinic's template may make a table's cells with a column loop: more cells than its
    grid has columns, or fewer, and docxtpl's fix_tables widens or narrows the grid."""
    document = docx.Document()
    table = document.add_table(rows=2, cols=4)
    rows = [("Area", "{{ area }}"), ("Sessions", "6")]
    for row, (label, value) in zip(table.rows, rows, strict=True):
        texts = [label, "{%tc for area in areas %}", value, "{%tc endfor %}"]
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    path = tmp_path / "columns.docx"
    document.save(path)
    context = {"areas": columns}
    filled = members(DocumentTemplate(path).render(context, SAMPLE_PROPERTIES))
    plain = members(plain_docxtpl(path, context))["word/document.xml"]
    grid = parse_xml(filled["word/document.xml"]).findall(".//" + qn("w:gridCol"))
    assert len(grid) == 1 + len(columns)
    assert [dict(g.attrib) for g in grid] == [
        dict(g.attrib) for g in parse_xml(plain).findall(".//" + qn("w:gridCol"))
    ]


@pytest.mark.parametrize(
    "source",
    [
        "{{ items|join(', ') }}",
        "{{ rows|map(attribute='name')|join('/') }}",
        "{{ rows|join(', ', attribute='name') }} {{ numbers|join }}",
        "{{ rows|selectattr('price', 'gt', 100)|map(attribute='name')|list }}",
        "{{ rows|rejectattr('price', 'gt', 100)|list|length }}",
        "{{ numbers|select('odd')|list }} {{ numbers|reject('odd')|sum }}",
        "{{ numbers|sort(reverse=true)|first }} {{ numbers|min }} {{ numbers|max }}",
        "{{ items|unique|list }} {{ 'abc'|list }}",
        "{% for group in rows|groupby('kind') %}{{ group.grouper }}={{ group.list|length }};"
        "{% endfor %}",
        "{% for n in numbers %}{{ loop.index }}/{{ loop.length }}{% if loop.last %}!{% endif %}"
        "{% else %}none{% endfor %}",
        "{% for row in rows recursive %}{{ row.name }}{% endfor %}",
        "{{ items|join|replace('b', 'B') }} {{ 'a-b'|replace('-', ', ', 1) }}",
    ],
)
def test_bounded_filters_and_loops_give_jinjas_results(source):
    """Loops and the filters that go through their items are checked for time as they go;
    what they give is what Jinja's own sandbox gives."""
    context = {
        "items": ["b", "a", "b"],
        "numbers": [3, 1, 2, 5],
        "rows": [
            {"name": "Face", "price": 250, "kind": "cosmetic"},
            {"name": "Knees", "price": 90, "kind": "therapeutic"},
            {"name": "Neck", "price": 180, "kind": "cosmetic"},
        ],
    }
    plain = SandboxedEnvironment(autoescape=True).from_string(source).render(context)
    bounded = make_environment()
    bounded.start_render()
    assert bounded.from_string(source).render(context) == plain


def test_a_join_far_too_long_is_refused_before_it_is_built():
    """Half a million letters joined with 1,000 characters would be half a gigabyte: refused at the
    price of the list alone."""
    bounded = make_environment()
    bounded.start_render()
    template = bounded.from_string("{{ ('x' * 500000)|list|join('y' * 1000) }}")
    tracemalloc.start()
    try:
        with pytest.raises(SecurityError, match="far too long"):
            template.render({})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000


def test_rendering_is_reproducible(workspace, price_list):
    context = sample_contexts(price_list)["consent.docx"]
    template = DocumentTemplate(workspace.template("consent.docx"))
    first = template.render(context, SAMPLE_PROPERTIES)
    assert first == template.render(context, SAMPLE_PROPERTIES)


INJECTED = "DANKE</w:t></w:r></w:p><w:p><w:r><w:t>TOTAL 0.00</w:t></w:r></w:p><w:p><w:r><w:t>"


def trans_template(tmp_path, *paragraphs: str):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "estimate.docx"
    document.save(path)
    return path


@pytest.mark.parametrize(
    "source",
    [
        "{% trans %}Thank you{% endtrans %}",
        "{% trans name=patient %}Thank you, {{ name }}{% endtrans %}",
        "{{ _('Thank you') }}",
        "{% trans count=2 %}Thank you{% pluralize %}Thank you all{% endtrans %}",
    ],
)
def test_a_translation_is_text_however_the_template_asks_for_it(tmp_path, source):
    """An imported translation that closes the paragraph and opens one of its own is printed
    as the text it is: the document keeps its one paragraph, and no 'TOTAL 0.00' appears."""
    path = trans_template(tmp_path, source)
    with path.open("rb") as handle:
        (key,) = {message if isinstance(message, str) else message[0] for _line, _function,
                  message, _comments in extract_docx(handle, DEFAULT_KEYWORDS, [], {})}  # fmt: skip
    translated = INJECTED + ("%(name)s" if "name" in source else "")
    catalogue = Catalogue({key: translated, "Thank you all": translated})
    filled = DocumentTemplate(path).render(
        {"patient": "Zoë <& Sons>"}, SAMPLE_PROPERTIES, catalogue
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(filled)).paragraphs]
    expected = INJECTED + ("Zoë <& Sons>" if "name" in source else "")
    assert paragraphs == [expected]


def test_a_trans_block_untranslated_keeps_the_templates_own_runs(tmp_path):
    path = split_trans_block(tmp_path, " described above & below.")
    filled = DocumentTemplate(path).render({}, SAMPLE_PROPERTIES, Catalogue({}))
    (paragraph,) = docx.Document(io.BytesIO(filled)).paragraphs
    assert paragraph.text == "I consent to the treatment described above & below."
    assert [run.bold for run in paragraph.runs if run.text == "treatment"] == [True]


def test_a_document_whose_xml_is_broken_is_refused_not_repaired(tmp_path):
    """An {% if %} opened in a paragraph and closed in a table cell cuts the XML apart when
    false; a recovering parser would have written half a document."""
    document = docx.Document()
    document.add_paragraph("Before {% if show %}shown")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "cell{% endif %} after"
    document.add_paragraph("Total: 100.00")
    path = tmp_path / "estimate.docx"
    document.save(path)
    template = DocumentTemplate(path)
    assert template.render({"show": True}, SAMPLE_PROPERTIES)
    with pytest.raises(TemplateError, match="not well-formed XML"):
        template.render({"show": False}, SAMPLE_PROPERTIES)


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_a_value_that_ends_with_a_period_is_never_followed_by_another(language):
    """Ukrainian long dates end with 'р.': 'Valid until %(date)s.' printed '6 січня 2027 р..'
    on every consent, estimate and price sheet."""
    day = format_date(dt.date(2027, 1, 6), "long", locale=language)
    for value in (day, "Dr Amaka Obi Jr."):
        expected = f"Valid until {value}" + ("" if value.endswith(".") else ".")
        template = make_environment().from_string("{{ 'Valid until %(date)s.' % {'date': v} }}")
        assert template.render(v=value) == expected
        formatter = Formatter(Locale.parse(language), "UAH")
        assert formatter.gettext("Valid until %(date)s.", date=value) == expected


@pytest.mark.parametrize(
    ("locale", "currency"),
    [("en_GB", "PLN"), ("en_GB", "CHF"), ("en_US", "AED"), ("en_GB", "GBP"), ("en_US", "USD"),
     ("fr_FR", "GBP"), ("de_CH", "CHF"), ("ja_JP", "JPY"), ("nl_NL", "EUR"), ("ar", "GBP")],
)  # fmt: skip
def test_a_letter_currency_symbol_never_touches_its_digits(locale, currency):
    """English documents printed 'PLN3,500.00': Babel does not apply CLDR's currency spacing."""
    printed = Formatter(Locale.parse(locale), currency).money(Decimal("3500"))
    babel = format_currency(Decimal("3500"), currency, locale=locale)
    assert printed.replace("\u00a0", "") == babel.replace("\u00a0", "")  # spacing alone added
    symbol = get_currency_symbol(currency, locale=locale)
    at = printed.index(symbol)
    after, before = printed[at + len(symbol) :][:1], printed[:at][-1:]
    letter = {edge: unicodedata.category(symbol[edge])[0] not in "SZ" for edge in (0, -1)}
    assert not (letter[-1] and after.isdigit()) and not (letter[0] and before.isdigit())
    if symbol.isalpha():  # PLN, CHF, AED: a space between it and the amount, whichever side
        assert "\u00a0" in (after, before) or " " in (after, before)
