"""Build the Word templates in templates/ (estimate, price sheet, consent form, treatment record).

The committed .docx files are what docgen uses and what a clinic edits in Word; this script
records how the originals were laid out and rebuilds them after a deliberate design change.
Every piece of fixed text is marked for translation as {{ _("...") }}, one string per run.

    python tools/build_templates.py [OUTPUT_DIR]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

# A template's version is printed on every document made from it: raise it with any change.
TEMPLATE_VERSIONS = {  # each: its footer on one line in every language
    "estimate": "2.1",  # the totals, the deposit and the acceptance together, after the terms
    "price_sheet": "1.7",
    "consent": "2.6",  # no page half empty: signatures in two blocks, a page may end before them
    "treatment_record": "1.3",
}
HEADING_SPACE_BEFORE = 12  # points above a section heading
ACCENT = RGBColor(0x1F, 0x5F, 0x5B)
GREY = RGBColor(0x5F, 0x63, 0x68)
ACCENT_HEX = "1F5F5B"
LIGHT_HEX = "E8F1F0"
FONT = "Arial"


def _(text: str) -> str:
    """A translatable piece of fixed text, as the template's Jinja tag."""
    quote = '"' if "'" in text else "'"
    return "{{ _(" + quote + text + quote + ") }}"


def _p(context: str, text: str) -> str:
    """Translatable text with a context, for words whose translation depends on where they are."""
    return "{{ pgettext(" + repr(context) + ", " + repr(text) + ") }}"


def _format(text: str, **values: str) -> str:
    """Translatable text with named placeholders, e.g. 'Valid until %(date)s.'"""
    arguments = ", ".join(f"{key!r}: {value}" for key, value in values.items())
    quote = '"' if "'" in text else "'"
    return "{{ _(" + quote + text + quote + ") % {" + arguments + "} }}"


# --- document set-up -----------------------------------------------------------------------------


def new_document(title: str, version: str) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = Cm(1.6)
    section.bottom_margin = Cm(1.8)
    section.footer_distance = Cm(0.8)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.1
    headings = (("Heading 1", 17, 10), ("Heading 2", 12, HEADING_SPACE_BEFORE))
    for name, size, space_before in headings:
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = ACCENT
        style.paragraph_format.space_before = Pt(space_before)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
        rfonts = style.element.rPr.find(qn("w:rFonts"))
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rfonts.set(qn(attribute), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            rfonts.attrib.pop(qn(theme), None)
    # words too long for their line are hyphenated in the document's language (render sets
    # it), never broken without a hyphen
    settings = doc.settings.element
    hyphenation = OxmlElement("w:autoHyphenation")
    tab_stop = settings.find(qn("w:defaultTabStop"))
    if tab_stop is not None:
        tab_stop.addnext(hyphenation)
    else:
        settings.insert(0, hyphenation)
    properties = doc.core_properties
    properties.title = title
    properties.version = version
    properties.author = "docgen"
    properties.created = properties.modified = dt.datetime(2026, 1, 5, 9, 0)
    properties.revision = 1
    return doc


# A style is used where a part names it, or through a style based on it, linked or followed.
STYLE_REFERENCES = ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink")
STYLE_LINKS = ("basedOn", "link", "next")


def save(doc, path: Path) -> None:
    """Save the template with only the styles it uses. python-docx's blank document defines
    164 (table styles, list and heading variants), and LibreOffice reads each of them again for
    every document made from the template: a quarter of its time to make a consent form's PDF.
    Its copy of them for Word 2010 (stylesWithEffects.xml) and its picture of a blank page
    (the thumbnail) go too: every document carried them, a third of its size."""
    for relationships in (doc.part.rels, doc.part.package.rels):
        for relationship in list(relationships.values()):
            if relationship.reltype.endswith(("/stylesWithEffects", "/thumbnail")):
                relationships.pop(relationship.rId)
    styles = doc.styles.element
    by_id = {style.get(qn("w:styleId")): style for style in styles.iter(qn("w:style"))}
    used = {style_id for style_id, style in by_id.items() if style.get(qn("w:default")) == "1"}
    for part in doc.part.package.iter_parts():
        element = getattr(part, "element", None)
        if element is None or element is styles:
            continue
        for tag in STYLE_REFERENCES:
            used |= {reference.get(qn("w:val")) for reference in element.iter(qn(f"w:{tag}"))}
    pending = list(used)
    while pending:
        style = by_id.get(pending.pop())
        for tag in STYLE_LINKS:
            link = None if style is None else style.find(qn(f"w:{tag}"))
            if link is not None and link.get(qn("w:val")) not in used:
                used.add(link.get(qn("w:val")))
                pending.append(link.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in used:
            styles.remove(style)
    doc.save(path)


def paragraph(container, text: str = "", *, size: float | None = None, bold: bool = False,
              italic: bool = False, color: RGBColor | None = None, align=None,
              space_after: float | None = None, keep_with_next: bool = False):  # fmt: skip
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        run.italic = italic
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = color
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.keep_with_next = keep_with_next
    return p


def no_hyphenation(p) -> None:
    """Word and LibreOffice never hyphenate the paragraph: a number or an id cut by a hyphen
    ('Q-20261207-HM-WETW264T82') reads as another."""
    properties = p._p.get_or_add_pPr()
    properties.insert_element_before(
        OxmlElement("w:suppressAutoHyphens"),
        *(f"w:{name}" for name in (  # noqa: SIM905
            "kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
            "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
            "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId "
            "cnfStyle rPr sectPr pPrChange"
        ).split()),
    )  # fmt: skip


def add_run(p, text: str, **style):
    run = p.add_run(text)
    run.bold = style.get("bold", False)
    run.italic = style.get("italic", False)
    if "size" in style:
        run.font.size = Pt(style["size"])
    if "color" in style:
        run.font.color.rgb = style["color"]
    return run


def rule(p, color: str = ACCENT_HEX, size: int = 12, edge: str = "bottom") -> None:
    """A horizontal line above or below a paragraph."""
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single"), ("sz", str(size)), ("space", "4"), ("color", color)):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)
    p._p.get_or_add_pPr().append(borders)


def add_field(p, instruction: str, size: float = 9) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when printing."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None),
                       ("text", "1"), ("end", None)):  # fmt: skip
        run = p.add_run()
        run.font.size = Pt(size)
        run.font.color.rgb = GREY
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
            run._r.append(element)
        elif kind == "text":
            run.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)


def footer(doc, document_label: str, width: float = 17.0) -> None:
    """Document id, template version, language and price list on the left, "Page X of Y" on the
    right: two cells, so a long line (Spanish) wraps in its own cell and the page number stays
    whole. Its words carry the context "footer": they stay in one language on bilingual
    documents."""
    container = doc.sections[0].footer
    table = container.add_table(rows=1, cols=2, width=Cm(width))
    table.autofit = False
    set_table_borders(table, inside_horizontal=False, top=True)
    cell_margins(table, top=0.1, bottom=0, side=0)
    set_widths(table, [width - 2.8, 2.8])
    closing = container.paragraphs[0]  # a footer ends with a paragraph: kept, one point high
    closing.paragraph_format.space_after = Pt(0)
    closing.paragraph_format.line_spacing = Pt(1)
    closing._p.addprevious(table._tbl)
    # small enough that the line (with a 25-character id) fits once in every language: at 8
    # points, a Spanish or Portuguese price sheet's wrapped its price list's version
    small = {"size": 7, "color": GREY}
    identity, page = (cell.paragraphs[0] for cell in table.rows[0].cells)
    add_run(identity, _p("footer", document_label) + " {{ document.id }} · ", **small)
    add_run(identity, _p("footer", "Template") + " {{ document.template_version }} · ", **small)
    add_run(identity, "{{ document.locale }} · ", **small)
    add_run(identity, _p("footer", "Price list") + " {{ document.price_list }}", **small)
    # "end", not "right": the outer edge in a right-to-left document too, which mirroring
    # (that swaps left and right) leaves as it is
    justification = OxmlElement("w:jc")
    justification.set(qn("w:val"), "end")
    page._p.get_or_add_pPr().append(justification)
    add_run(page, _p("footer", "Page") + "\u00a0", **small)
    add_field(page, "PAGE")
    add_run(page, "\u00a0" + _p("footer", "of") + "\u00a0", **small)
    add_field(page, "NUMPAGES")
    for p in (identity, page):
        p.paragraph_format.space_after = Pt(0)
        no_hyphenation(p)


def clinic_header(doc, title: str) -> None:
    paragraph(doc, "{{ clinic.name }}", size=18, bold=True, color=ACCENT, space_after=2)
    paragraph(doc, "{{ clinic.address }}", size=9, color=GREY, space_after=0)
    paragraph(doc, "{{ clinic.contact }}", size=9, color=GREY, space_after=0)
    last = paragraph(doc, "{{ clinic.registration }}", size=9, color=GREY, space_after=10)
    rule(last)
    heading = doc.add_heading(level=1)
    heading.add_run(title)


# --- tables --------------------------------------------------------------------------------------


def set_cell_shading(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def set_table_borders(
    table,
    inside_horizontal: bool = True,
    bottom: bool = False,
    color: str = "BFBFBF",
    top: bool = False,
) -> None:
    """Horizontal rules only: between rows, and over the first row or under the last when
    top or bottom is set."""
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        visible = (
            (edge == "insideH" and inside_horizontal)
            or (edge == "bottom" and bottom)
            or (edge == "top" and top)
        )
        element.set(qn("w:val"), "single" if visible else "nil")
        if visible:
            element.set(qn("w:sz"), "4")
            element.set(qn("w:color"), color)
        borders.append(element)
    tbl_pr.append(borders)


def cell_margins(table, top: float = 0.08, bottom: float = 0.08, side: float = 0.15) -> None:
    margins = OxmlElement("w:tblCellMar")
    for edge, value in (("top", top), ("bottom", bottom), ("left", side), ("right", side)):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(int(value * 567)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def new_table(doc, widths_cm: list[float], rows: int = 1):
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for row in table.rows:
        no_split(row)
    set_table_borders(table)
    cell_margins(table)
    return table


def set_widths(table, widths_cm: list[float]) -> None:
    """Column widths, in the grid (LibreOffice reads it) and in every cell (Word reads those)."""
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_cm, strict=True):
        column.w = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def no_split(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def write_cell(cell, text: str, *, bold: bool = False, align=None, size: float | None = None,
               color: RGBColor | None = None, italic: bool = False):  # fmt: skip
    p = cell.paragraphs[0]
    add_run(p, text, bold=bold, italic=italic, **({"size": size} if size else {}),
            **({"color": color} if color else {}))  # fmt: skip
    p.paragraph_format.space_after = Pt(0)
    if align is not None:
        p.alignment = align
    return p


def keep_rows_together(table, with_next: bool = False) -> None:
    """Every row stays on the page of the next one, so a short table never splits; with_next
    keeps the last row with the paragraph after the table too."""
    rows = list(table.rows)
    if not with_next:  # up to the last row that prints: a {%tr endif %} row is not printed
        content = [i for i, row in enumerate(rows) if not row.cells[0].text.startswith("{%tr")]
        rows = rows[: content[-1]]
    for row in rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def may_go_on_over_the_page(table) -> None:
    """A long table may go on over the page, its header repeated there, and never leaves its
    header alone at the foot of a page: kept whole, it left half a page empty before it."""
    for cell in table.rows[0].cells:
        for p in cell.paragraphs:
            p.paragraph_format.keep_with_next = True


def header_row(table, labels: list[str], right_from: int) -> None:
    row = table.rows[0]
    repeat_header(row)
    for index, (cell, label) in enumerate(zip(row.cells, labels, strict=True)):
        set_cell_shading(cell, ACCENT_HEX)
        write_cell(
            cell, label, bold=True, size=9, color=RGBColor(0xFF, 0xFF, 0xFF),
            align=WD_ALIGN_PARAGRAPH.RIGHT if index >= right_from else None,
        )  # fmt: skip


def amount_row(
    table,
    label: str,
    amount: str,
    *,
    shaded: bool = False,
    label_style: dict | None = None,
    **amount_style,
) -> None:
    """A row of a totals table: its label in the first cell, the amount in the last."""
    row = table.add_row()
    no_split(row)
    if shaded:
        for cell in row.cells:
            set_cell_shading(cell, LIGHT_HEX)
    write_cell(row.cells[0], label, **(label_style or {}))
    write_cell(row.cells[-1], amount, **amount_style)


def looped_table(doc, widths: list[float], headers: list[str], right_from: int, loop: str,
                 cells: list[tuple[str, dict]]):  # fmt: skip
    """A table of a header row and one row per item of a {%tr for %} loop, each cell a tag
    with its style; returns the table and that row (to add to its cells)."""
    table = new_table(doc, widths)
    header_row(table, headers, right_from=right_from)
    loop_row(table, "{%tr for " + loop + " %}")
    row = table.add_row()
    no_split(row)
    for cell, (text, style) in zip(row.cells, cells, strict=True):
        write_cell(cell, text, **style)
    loop_row(table, "{%tr endfor %}")
    set_widths(table, widths)
    return table, row


def loop_row(table, tag: str) -> None:
    """A row holding only a docxtpl {%tr ... %} tag; docxtpl removes it when rendering."""
    row = table.add_row()
    no_split(row)
    row.cells[0].paragraphs[0].add_run(tag)


# --- estimate ------------------------------------------------------------------------------------


def build_estimate(path: Path) -> None:
    doc = new_document("Cost estimate", TEMPLATE_VERSIONS["estimate"])
    clinic_header(doc, _("Cost estimate"))

    widths = [3.4, 5.1, 3.4, 5.1]
    details = new_table(doc, widths, rows=3)
    set_table_borders(details, inside_horizontal=False)
    set_widths(details, widths)
    # the name and the number on a line of their own each: a number never breaks across lines
    for row, label, value in ((0, _("Patient"), "{{ patient.name }}"),
                              (1, _("Estimate number"), "{{ estimate.number }}")):  # fmt: skip
        write_cell(details.cell(row, 0), label, color=GREY)
        written = write_cell(details.cell(row, 1).merge(details.cell(row, 3)), value, bold=True)
    no_hyphenation(written)
    for column, label, value in (
        (0, _("Date"), "{{ estimate.date }}"),
        (2, _("Valid until"), "{{ estimate.valid_until }}"),
    ):
        write_cell(details.cell(2, column), label, color=GREY)
        no_hyphenation(write_cell(details.cell(2, column + 1), value, bold=True))

    doc.add_heading(_("Treatment plan"), level=2)
    widths = [6.6, 3.2, 1.8, 2.6, 2.8]
    lines = new_table(doc, widths)
    header_row(lines, [_("Treatment"), _("Area"), _("Sessions"), _("Per session"), _("Amount")], 2)
    loop_row(lines, "{%tr for line in lines %}")
    row = lines.add_row()
    no_split(row)
    first = row.cells[0]
    write_cell(first, "{{ line.treatment }}", bold=True)
    paragraph(first, "{{ line.insurance }}", size=9, italic=True, color=GREY, space_after=0)
    paragraph(first, "{%p if line.course_note %}", space_after=0)
    paragraph(first, "{{ line.course_note }}", size=9, color=ACCENT, space_after=0)
    paragraph(first, "{%p endif %}", space_after=0)
    write_cell(row.cells[1], "{{ line.area }}")
    right = WD_ALIGN_PARAGRAPH.RIGHT
    write_cell(row.cells[2], "{{ line.sessions }}", align=right)
    write_cell(row.cells[3], "{{ line.unit_price }}", align=right)
    write_cell(row.cells[4], "{{ line.amount }}", align=right)
    loop_row(lines, "{%tr endfor %}")
    set_widths(lines, widths)

    doc.add_heading(_("Health insurance"), level=2)
    paragraph(doc, "{%p for notice in notices %}", space_after=0)
    notice = doc.add_paragraph(style="List Bullet")
    notice.add_run("{{ notice }}")
    paragraph(doc, "{%p endfor %}", space_after=0)

    doc.add_heading(_("Terms"), level=2)
    paragraph(doc, _format(
        "This estimate is valid until %(date)s. Prices are per session unless a course is "
        "shown; a course is paid in full when it starts.", date="estimate.valid_until",
    ))  # fmt: skip
    paragraph(doc, _(
        "The number of sessions each person needs varies: your practitioner reviews the plan at "
        "every visit and will give you a new estimate before any change in cost."
    ))  # fmt: skip
    paragraph(doc, "{%p if estimate.payment_terms %}", space_after=0)
    paragraph(doc, "{{ estimate.payment_terms }}")
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, "{%p if estimate.consultation_taxes_added %}", space_after=0)
    paragraph(doc, _format(
        "An initial consultation costs %(fee)s, taxes included.", fee="estimate.consultation_fee"
    ))  # fmt: skip
    paragraph(doc, "{%p elif estimate.consultation_fee %}", space_after=0)
    paragraph(doc, _format(
        "An initial consultation costs %(fee)s.", fee="estimate.consultation_fee"
    ))  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)

    # the totals, the deposit and their acceptance last, kept on one page together
    paragraph(doc, space_after=4)
    totals = new_table(doc, [11.0, 6.0], rows=0)
    # a discount is taken off the treatments before tax: their total, then the discount
    loop_row(totals, "{%tr if estimate.discount %}")
    amount_row(totals, _("Total of the treatments"), "{{ estimate.listed }}",
               label_style={"align": right}, align=right)  # fmt: skip
    amount_row(totals, "{{ estimate.discount_label }}", "{{ estimate.discount }}",
               label_style={"align": right}, align=right)  # fmt: skip
    loop_row(totals, "{%tr endif %}")
    # the taxes are named as the workbook names them (VAT, or GST and QST): labels from docgen
    amount_row(totals, "{{ estimate.net_label }}", "{{ estimate.net }}",
               label_style={"align": right}, align=right)  # fmt: skip
    loop_row(totals, "{%tr for vat in vat_lines %}")
    row = totals.add_row()
    no_split(row)
    write_cell(row.cells[0], "{{ vat.label }}", align=right)
    write_cell(row.cells[1], "{{ vat.amount }}", align=right)
    loop_row(totals, "{%tr endfor %}")
    # prices including taxes that no net gives back to the cent: the cent left, stated
    loop_row(totals, "{%tr if estimate.tax_rounding %}")
    amount_row(totals, _("Rounding"), "{{ estimate.tax_rounding }}", label_style={"align": right},
               align=right)  # fmt: skip
    loop_row(totals, "{%tr endif %}")
    big = {"bold": True, "size": 12, "align": right}
    amount_row(totals, _("Total"), "{{ estimate.total }}", shaded=True, label_style=big, **big)
    # a currency paid to 5 centimes: the rounding on a line of its own, then what is paid
    loop_row(totals, "{%tr if estimate.rounding %}")
    amount_row(totals, _("Cash rounding"), "{{ estimate.rounding }}", label_style={"align": right},
               align=right)  # fmt: skip
    amount_row(totals, _("Total to pay"), "{{ estimate.to_pay }}", shaded=True, label_style=big,
               **big)  # fmt: skip
    loop_row(totals, "{%tr endif %}")
    # a clinic taking other means too: the exact total, and what cash pays on a line of its own
    loop_row(totals, "{%tr if estimate.in_cash %}")
    amount_row(totals, _("In cash"), "{{ estimate.in_cash }}", label_style={"align": right},
               align=right)  # fmt: skip
    loop_row(totals, "{%tr endif %}")
    row = totals.add_row()
    no_split(row)
    deposit = _format("Deposit due when booking (%(percent)s)", percent="estimate.deposit_percent")
    write_cell(row.cells[0], deposit, align=right)
    write_cell(row.cells[1], "{{ estimate.deposit }}", align=right)
    set_widths(totals, [11.0, 6.0])
    keep_rows_together(totals, with_next=True)  # the total, deposit and VAT note on one page
    paragraph(doc, "{{ estimate.vat_note }}", size=9, color=GREY, align=right, space_after=6,
              keep_with_next=True)  # fmt: skip

    doc.add_heading(_("Acceptance"), level=2)
    # a minor does not sign for money: whoever pays for the treatment accepts it
    paragraph(doc, "{%p if patient.minor %}", space_after=0)
    paragraph(doc, _format(
        "%(name)s is under 18: the person who pays for the treatment accepts this estimate.",
        name="patient.name",
    ), keep_with_next=True)  # fmt: skip
    paragraph(doc, _(
        "I have read this estimate, accept the treatment plan and its cost, and will pay it."
    ), keep_with_next=True)  # fmt: skip
    payer = paragraph(doc, keep_with_next=True)
    add_run(payer, _("Name and relationship to the patient:") + " ______________________________")
    paragraph(doc, "{%p else %}", space_after=0)
    paragraph(doc, _(
        "I have read this estimate and accept the treatment plan and its cost."
    ), keep_with_next=True)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)
    signatures = new_table(doc, [8.5, 8.5], rows=2)
    set_table_borders(signatures, inside_horizontal=False)
    for cell in signatures.rows[0].cells:
        p = write_cell(cell, "")
        p.paragraph_format.space_before = Pt(26)
        p.paragraph_format.keep_with_next = True  # the line stays with its caption
        rule(p, color="7F7F7F", size=6)
    payer_or_patient = (
        "{% if patient.minor %}" + _("Signature of the person paying") + "{% else %}"
        + _("Patient's signature") + "{% endif %}"
    )  # fmt: skip
    for cell, label in zip(signatures.rows[1].cells, (payer_or_patient, _("Date")), strict=True):
        write_cell(cell, label, size=9, color=GREY)
    set_widths(signatures, [8.5, 8.5])

    footer(doc, "Estimate")
    save(doc, path)


# --- price sheet ---------------------------------------------------------------------------------


def build_price_sheet(path: Path) -> None:
    doc = new_document("Price list", TEMPLATE_VERSIONS["price_sheet"])
    clinic_header(doc, _("Price list"))
    paragraph(doc, _format(
        "Prices valid from %(date)s. All prices in %(currency)s, per session unless a course is "
        "shown.", date="price_sheet.effective_date", currency="price_sheet.currency",
    ), space_after=2)  # fmt: skip
    paragraph(doc, "{{ price_sheet.vat_note }}", size=9, color=GREY, space_after=2)

    paragraph(doc, "{%p for treatment in treatments %}", space_after=0)
    doc.add_heading("{{ treatment.name }}", level=2)
    paragraph(doc, "{{ treatment.description }}", keep_with_next=True, space_after=1)
    facts = paragraph(doc, "{{ treatment.course }}", size=9, color=GREY, keep_with_next=True)
    add_run(facts, " · {{ treatment.insurance }} · ", size=9, color=GREY)
    add_run(facts, "{{ treatment.taxes }}", size=9, color=GREY)
    widths = [7.0, 4.0, 6.0]
    table = new_table(doc, widths)
    header_row(table, [_("Area"), _("Per session"), _("Course")], 1)
    loop_row(table, "{%tr for row in treatment.rows %}")
    row = table.add_row()
    no_split(row)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    write_cell(row.cells[0], "{{ row.area }}")
    write_cell(row.cells[1], "{{ row.per_session }}", align=right)
    write_cell(row.cells[2], "{{ row.course }}", align=right)
    loop_row(table, "{%tr endfor %}")
    set_widths(table, widths)
    for table_row in table.rows:
        for cell in table_row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    paragraph(doc, "", space_after=4)  # ends the keep-with-next chain: one treatment per block
    paragraph(doc, "{%p endfor %}", space_after=0)

    doc.add_heading(_("Good to know"), level=2)
    paragraph(doc, "{%p if price_sheet.consultation_fee %}", space_after=0)
    paragraph(doc, _format(
        "An initial consultation costs %(fee)s.", fee="price_sheet.consultation_fee"
    ))  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, _(
        "Your practitioner will confirm the number of sessions you need and give you a written "
        "estimate before treatment."
    ))  # fmt: skip
    paragraph(doc, "{%p for notice in price_sheet.notices %}", space_after=0)
    notice = doc.add_paragraph(style="List Bullet")
    notice.add_run("{{ notice }}")
    paragraph(doc, "{%p endfor %}", space_after=0)

    footer(doc, "Price sheet")
    save(doc, path)


# --- consent form --------------------------------------------------------------------------------

BOX = "☐"
BOX_FONT = "DejaVu Sans"  # has the ballot box; Word substitutes Segoe UI Symbol


def tick_box(cell, text: str = BOX) -> None:
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.font.size = Pt(13)
    run.font.name = BOX_FONT
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)


def writing_lines(doc, count: int, width: float = 17.0) -> None:
    """Ruled lines to write on by hand."""
    table = new_table(doc, [width], rows=count)
    set_table_borders(table, bottom=True, color="7F7F7F")
    for row in table.rows:
        row.cells[0].paragraphs[0].paragraph_format.space_before = Pt(12)
    keep_rows_together(table)


def end_of_block(doc) -> None:
    """An empty paragraph that ends a chain of keep-with-next: the block before it moves to the
    next page as a whole rather than splitting."""
    paragraph(doc, space_after=0).paragraph_format.line_spacing = 0.5


def section(doc, title: str):
    return doc.add_heading(title, level=2)


def keep_headings_with_their_text(doc) -> None:
    """Each section heading and the paragraph after it, in a borderless row that cannot split.
    LibreOffice moved a paragraph kept with the table after it to the next page, but left the
    heading kept with that paragraph at the foot of the page ("9. Photographs" alone at the
    bottom of page 4 of a French form, whatever the page's height within 3 cm); a row that
    cannot split moves whole, and keeps with the table after it."""
    body = doc.element.body
    for heading in list(body.iterchildren(qn("w:p"))):
        style = heading.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        text = heading.getnext()
        if style is None or style.get(qn("w:val")) != "Heading2" or text is None:
            continue
        words = "".join(t.text or "" for t in text.iter(qn("w:t")))
        if text.tag != qn("w:p") or not words or "{%" in words:
            continue
        holder = new_table(doc, [17])
        set_table_borders(holder, inside_horizontal=False)
        properties = holder._tbl.tblPr
        properties.remove(properties.find(qn("w:tblCellMar")))
        cell_margins(holder, top=0, bottom=0, side=0)
        set_widths(holder, [17])
        cell = holder.rows[0].cells[0]._tc
        cell.remove(cell.find(qn("w:p")))
        heading.addprevious(holder._tbl)
        cell.append(heading)
        cell.append(text)
        # The heading's space above becomes a paragraph of its own before the row: it stays at
        # the foot of the page the row leaves, as a heading's space does at the top of a page
        # (in a cell it would not), and it keeps a table just before from becoming one table
        # with the row (LibreOffice then drew that table without its borders).
        space = paragraph(doc, space_after=0)
        space.paragraph_format.line_spacing = Pt(HEADING_SPACE_BEFORE)
        holder._tbl.addprevious(space._p)
        heading.get_or_add_pPr().spacing_before = Pt(0)


def yes_no_table(
    doc, question_header: str, rows: list[str] | None = None, loop: str = "",
    conditional: dict[int, str] | None = None,
):  # fmt: skip
    """Questions with a Yes and a No box each; rows are fixed text or one looped row.
    conditional rows are wrapped in {%tr if %} so they print only when asked."""
    widths = [13.6, 1.7, 1.7]
    table = new_table(doc, widths)
    header_row(table, [question_header, _p("tick box", "Yes"), _p("tick box", "No")], right_from=3)
    for cell in table.rows[0].cells[1:]:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if loop:
        loop_row(table, "{%tr for " + loop + " %}")
    for index, text in enumerate(rows or []):
        if conditional and index in conditional:
            loop_row(table, "{%tr if " + conditional[index] + " %}")
        row = table.add_row()
        no_split(row)
        write_cell(row.cells[0], text)
        tick_box(row.cells[1])
        tick_box(row.cells[2])
        if conditional and index in conditional:
            loop_row(table, "{%tr endif %}")
    if loop:
        loop_row(table, "{%tr endfor %}")
    set_widths(table, widths)
    return table


def label_value_table(doc, pairs: list[tuple[str, str]], widths=(4.6, 12.4)):
    table = new_table(doc, list(widths), rows=len(pairs))
    set_table_borders(table, inside_horizontal=True)
    for row, (label, value) in zip(table.rows, pairs, strict=True):
        write_cell(row.cells[0], label, color=GREY)
        write_cell(row.cells[1], value, bold=True)
    set_widths(table, list(widths))
    keep_rows_together(table)
    return table


def signature_table(doc, rows: list[tuple[str, str]], conditional: dict[int, str] | None = None,
                    with_next: bool = True):  # fmt: skip
    """Role, printed name, signature and date, with room to sign; conditional rows are wrapped
    in {%tr if %} so they print only when needed."""
    widths = [3.4, 5.2, 5.4, 3.0]
    table = new_table(doc, widths)
    header_row(table, ["", _("Name"), _("Signature"), _("Date and time")], right_from=4)
    for index, (role, name) in enumerate(rows):
        if conditional and index in conditional:
            loop_row(table, "{%tr if " + conditional[index] + " %}")
        row = table.add_row()
        no_split(row)
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.space_before = Pt(26)
        write_cell(row.cells[0], role, bold=True)
        write_cell(row.cells[1], name)
        if conditional and index in conditional:
            loop_row(table, "{%tr endif %}")
    set_widths(table, widths)
    set_table_borders(table, bottom=True)
    keep_rows_together(table, with_next=with_next)
    return table


def copy_received(signatures) -> None:
    """The box ticked when the patient takes a copy, and the initials, as the last row of the
    last signatures: as paragraphs after them, LibreOffice printed them alone on a page."""
    row = signatures.add_row()
    no_split(row)
    cell = row.cells[0].merge(row.cells[-1])
    copy = cell.paragraphs[0]
    copy.paragraph_format.space_before = Pt(10)
    copy.paragraph_format.space_after = Pt(0)
    copy.paragraph_format.left_indent = Cm(0.6)  # the initials under the text, past the box
    copy.paragraph_format.first_line_indent = Cm(-0.6)
    box = copy.add_run(BOX + " ")
    box.font.name = BOX_FONT
    box.font.size = Pt(13)
    add_run(copy, _("The patient received a copy of this signed form."), bold=True)
    copy.add_run().add_break()  # a bilingual label takes two lines: the blank after both
    add_run(copy, _("Initials:") + " ____________")


def bullets(doc, texts: list[str], keep_with_next: bool = False) -> None:
    for text in texts:
        item = doc.add_paragraph(style="List Bullet")
        item.add_run(text)
        item.paragraph_format.keep_with_next = keep_with_next


def form_subtitle(doc) -> None:
    """The form's version, language and date, small and grey under its title."""
    subtitle = paragraph(doc, space_after=6)
    for text in (
        _p("subtitle", "Form version") + " {{ document.template_version }} · ",
        _p("subtitle", "Language:") + " {{ patient.language }} · ",
        _p("subtitle", "Date:") + " {{ document.date }}",
    ):
        add_run(subtitle, text, size=9, color=GREY)


def build_consent(path: Path) -> None:
    doc = new_document("Consent to mesotherapy treatment", TEMPLATE_VERSIONS["consent"])
    clinic_header(doc, _("Consent to mesotherapy treatment"))
    form_subtitle(doc)
    paragraph(doc, _(
        "Please read this form carefully, ask about anything that is not clear, and sign it only "
        "when you have had all the information you want. You may change your mind at any time."
    ))  # fmt: skip

    # a minor's form says so where it is first read, and who consents: by the clinic's law, a
    # minor old enough consents themself; a younger one's parent or guardian on their behalf
    paragraph(doc, "{%p if patient.guardian_consents %}", space_after=0)
    paragraph(doc, _(
        "This patient is under 18. A parent or guardian with parental responsibility gives "
        "consent on their behalf, and the young person is asked for their own agreement."
    ), bold=True, color=ACCENT)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, "{%p if patient.consents_self %}", space_after=0)
    paragraph(doc, _format(
        "This patient is under 18 and, at %(age)s or over, consents to the treatment themself. "
        "A parent or guardian may sign to say that they know of it.",
        age="patient.own_consent_age",
    ), bold=True, color=ACCENT)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)

    section(doc, _("1. Patient"))
    label_value_table(doc, [
        (_("Name"), "{{ patient.name }}"),
        (_("Date of birth"), "{{ patient.date_of_birth }}"),
        (_("Patient reference"), "{{ patient.reference }}"),
        (_("Language of this form"), "{{ patient.language }}"),
        (_("Patient's language"), "{{ patient.own_language }}"),
        (_("Interpreter needed"), "{{ patient.interpreter_needed }}"),
    ])  # fmt: skip

    section(doc, _("2. The procedure"))
    paragraph(doc, _(
        "Mesotherapy is a series of small injections into the middle layer of the skin (the "
        "dermis) or just beneath it."
    ), keep_with_next=True)  # fmt: skip
    label_value_table(doc, [
        (_("Treatment"), "{{ treatment.name }}"),
        (_("Body areas"), "{{ treatment.areas }}"),
        (_("Planned sessions"), "{{ treatment.sessions }}"),
        (_("Usual course"), "{{ treatment.usual_course }}"),
        (_("What may be injected"), "{{ treatment.ingredients }}"),
    ])  # fmt: skip
    paragraph(doc, "{%p if treatment.products %}", space_after=0)
    paragraph(doc, _("The products your practitioner plans to use:"), keep_with_next=True,
              space_after=2).paragraph_format.space_before = Pt(6)  # fmt: skip
    products, _row = looped_table(
        doc, [6.5, 4.5, 6.0], [_("Product"), _("Manufacturer"), _("Licensing")], 3,
        "product in treatment.products",
        [("{{ product.name }}", {"bold": True}), ("{{ product.manufacturer }}", {}),
         ("{{ product.licensing }}", {})],
    )  # fmt: skip
    keep_rows_together(products, with_next=True)
    paragraph(doc, "{%p if treatment.unlicensed_use %}", space_after=0)
    paragraph(doc, _(
        "Some of these products are used outside their licence or have none: no medicines "
        "regulator has assessed their safety and effectiveness for this use. Your practitioner "
        "has explained why they propose them."
    ), bold=True, keep_with_next=True)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, _(
        "There is no standard formulation for mesotherapy: the substances and doses are chosen by "
        "your practitioner for you. The formulation your practitioner will use:"
    ), keep_with_next=True, space_after=2)  # fmt: skip
    writing_lines(doc, 1)

    section(doc, _("3. Intended benefits"))
    paragraph(doc, "{{ treatment.description }}", keep_with_next=True)
    paragraph(doc, "{%p if treatment.evidence %}", space_after=0)
    evidence = paragraph(doc, keep_with_next=True)
    add_run(evidence, _("What the evidence shows:") + " ", bold=True)
    add_run(evidence, "{{ treatment.evidence }}")
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, _(
        "Results vary from person to person and cannot be guaranteed. Several sessions are "
        "usually needed before any change is seen, and results may not last."
    ), bold=True)  # fmt: skip
    # the discussion itself is the record a complaint tests: what the patient hoped for
    paragraph(doc, _("What you hope the treatment will achieve, in your own words:"),
              bold=True, keep_with_next=True, space_after=2)  # fmt: skip
    writing_lines(doc, 1)

    section(doc, _("4. Alternatives"))
    paragraph(doc, "{{ treatment.alternatives }}", keep_with_next=True)
    paragraph(doc, _(
        "You may also choose to have no treatment at all, now or at any later stage."
    ))  # fmt: skip

    section(doc, _("5. Risks and side effects"))
    paragraph(doc, _(
        "Like any treatment involving injections, mesotherapy can have side effects. Those known "
        "for this treatment, and how often they happen:"
    ), keep_with_next=True)  # fmt: skip
    widths = [4.6, 3.6, 8.8]

    def risk_table(header: str, rows: str) -> None:
        risks, row = looped_table(
            doc, widths, [header, _("How often"), _("What it means")], 3, "risk in " + rows,
            [("{{ risk.name }}", {"bold": True}), ("{{ risk.band }}", {}),
             ("{{ risk.description }}", {"size": 9})],
        )  # fmt: skip
        paragraph(row.cells[1], "{{ risk.odds }}", size=9, color=GREY, space_after=0)
        may_go_on_over_the_page(risks)

    risk_table(_("Side effect"), "common_risks")
    end_of_block(doc)
    # serious risks apart and always, however rare (Montgomery: material risks)
    paragraph(doc, "{%p if serious_risks %}", space_after=0)
    paragraph(doc, _("Rare but serious risks"), bold=True, color=ACCENT, keep_with_next=True)
    paragraph(doc, _(
        "These are rare, but they can cause lasting harm and need treatment at once. They are "
        "listed however rare they are, so that you know of them before you decide:"
    ), keep_with_next=True)  # fmt: skip
    risk_table(_("Serious risk"), "serious_risks")
    end_of_block(doc)
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, _("Risks discussed with you in particular (written by your practitioner):"),
              keep_with_next=True, space_after=2)  # fmt: skip
    writing_lines(doc, 2)
    end_of_block(doc)

    section(doc, _("6. Your health: contraindications"))
    paragraph(doc, _(
        "Some conditions make the treatment unsafe or need extra care. Please tick Yes or No for "
        "each statement; your practitioner will go through every Yes with you."
    ), keep_with_next=True)  # fmt: skip
    contraindications = yes_no_table(
        doc, _("Statement"), rows=["{{ item.name }}"], loop="item in contraindications"
    )
    # the question and its line to write on are the table's last row: as a paragraph and a
    # ruled line after the table, LibreOffice printed them apart from it, on the next page
    other = contraindications.add_row()
    no_split(other)
    cell = other.cells[0].merge(other.cells[2])
    write_cell(cell, _("Other medicines, supplements or conditions:"))
    line = cell.add_paragraph()
    line.paragraph_format.space_before = Pt(16)
    line.paragraph_format.space_after = Pt(0)
    rule(line, color="7F7F7F", size=4)
    may_go_on_over_the_page(contraindications)

    section(doc, _("7. Recovery and aftercare"))
    bullets(doc, [
        _("Most people go back to their normal activities straight away. Some need a day off "
          "because of swelling and pain at the injection sites."),
        _("For 12 hours: no make-up on the treated area; keep it clean and do not rub it."),
        _("For 24 to 48 hours: avoid hot baths, saunas, swimming pools, hard exercise and "
          "alcohol."),
        _("Protect the treated skin from the sun and use a high-protection sunscreen for two "
          "weeks."),
        _("Redness, swelling, small bumps and bruises usually settle within a few days; a cold "
          "compress helps."),
        _("Contact the clinic at once if the area becomes hot, more painful or more swollen after "
          "two days, or if you have a fever. Call the emergency services for a spreading rash or "
          "any difficulty breathing."),
    ])  # fmt: skip
    complications = paragraph(doc, _format(
        "For a problem after treatment, day or night, weekends included, call %(phone)s.",
        phone="clinic.complications_phone",
    ), bold=True)  # fmt: skip
    complications.paragraph_format.space_before = Pt(4)

    section(doc, _("8. Cost"))
    # the quote is cited only when the patient receives it with the form
    paragraph(doc, "{% if cost.estimate_number %}" + _format(
        "The estimated cost of the planned course is %(total)s (estimate %(number)s, valid until "
        "%(valid_until)s). A deposit of %(deposit)s is due when booking.",
        total="cost.to_pay", number="cost.estimate_number", valid_until="cost.valid_until",
        deposit="cost.deposit",
    ) + "{% else %}" + _format(
        "The estimated cost of the planned course is %(total)s. A deposit of %(deposit)s is due "
        "when booking.",
        total="cost.to_pay", deposit="cost.deposit",
    ) + "{% endif %}", keep_with_next=True)  # fmt: skip
    widths = [8.0, 3.5, 5.5]
    cost = new_table(doc, widths)
    header_row(cost, [_("Body area"), _("Sessions"), _("Amount")], right_from=1)
    loop_row(cost, "{%tr for line in cost.lines %}")
    row = cost.add_row()
    no_split(row)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    write_cell(row.cells[0], "{{ line.area }}")
    write_cell(row.cells[1], "{{ line.sessions }}", align=right)
    write_cell(row.cells[2], "{{ line.amount }}", align=right)
    loop_row(cost, "{%tr endfor %}")
    loop_row(cost, "{%tr if cost.discount %}")  # taken off before tax
    amount_row(cost, "{{ cost.discount_label }}", "{{ cost.discount }}", align=right)
    loop_row(cost, "{%tr endif %}")
    # prices excluding VAT: the VAT of each rate, so that the lines add up to the total
    loop_row(cost, "{%tr for vat in cost.added_vat %}")
    row = cost.add_row()
    no_split(row)
    write_cell(row.cells[0], "{{ vat.label }}")
    write_cell(row.cells[2], "{{ vat.amount }}", align=right)
    loop_row(cost, "{%tr endfor %}")
    bold = {"bold": True}
    amount_row(cost, _("Total"), "{{ cost.total }}", shaded=True, label_style=bold, bold=True,
               align=right)  # fmt: skip
    loop_row(cost, "{%tr if cost.rounding %}")
    amount_row(cost, _("Cash rounding"), "{{ cost.rounding }}", align=right)
    amount_row(cost, _("Total to pay"), "{{ cost.to_pay }}", shaded=True, label_style=bold,
               bold=True, align=right)  # fmt: skip
    loop_row(cost, "{%tr endif %}")
    loop_row(cost, "{%tr if cost.in_cash %}")
    amount_row(cost, _("In cash"), "{{ cost.in_cash }}", align=right)
    loop_row(cost, "{%tr endif %}")
    set_widths(cost, widths)
    keep_rows_together(cost, with_next=True)  # with the VAT and insurance notes below
    paragraph(doc, "{{ cost.vat_note }}", size=9, color=GREY, keep_with_next=True)
    paragraph(doc, "{%p for notice in cost.insurance_notices %}", space_after=0)
    paragraph(doc, "{{ notice }}", bold=True)
    paragraph(doc, "{%p endfor %}", space_after=0)
    terms = paragraph(doc)
    add_run(terms, _("Deposit, cancellation and refunds:") + " ", bold=True)
    add_run(terms, "{{ cost.payment_terms }}")

    section(doc, _("9. Photographs"))
    paragraph(doc, _(
        "Photographs help to follow your results. Each use below needs your separate consent; "
        "saying no does not affect your treatment, and you may withdraw consent at any time."
    ), keep_with_next=True)  # fmt: skip
    photos = yes_no_table(doc, _("I agree that photographs of me may be used"), rows=[
        _("in my confidential clinical record"),
        _("without my name, for teaching and training health professionals"),
        _("in the clinic's marketing: website, social media and brochures"),
    ], conditional={2: "not patient.minor"})  # fmt: skip
    keep_rows_together(photos)
    paragraph(doc, "{%p if patient.minor %}", space_after=0)
    paragraph(doc, _(
        "Photographs of a patient under 18 are never used in the clinic's marketing."
    ), size=9)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)

    section(doc, _("10. Your personal data"))
    paragraph(doc, _format(
        "%(controller)s keeps this form, your health information and your photographs in your "
        "confidential clinical record, to treat you safely and because the law requires it. Only "
        "the people caring for you, and those the law allows, may see them.",
        controller="privacy.controller",
    ), keep_with_next=True)  # fmt: skip
    paragraph(doc, _format(
        "Your record is kept for %(records)s after your last treatment, and your photographs "
        "for %(photographs)s; then they are destroyed.",
        records="privacy.records", photographs="privacy.photographs",
    ), keep_with_next=True)  # fmt: skip
    paragraph(doc, _format(
        "You may ask to see your data, to have it corrected or deleted, or to limit its use, and "
        "you may withdraw your consent to photographs at any time: ask %(contact)s. You may also "
        "complain to the data-protection authority: %(authority)s.",
        contact="privacy.contact", authority="privacy.authority",
    ))  # fmt: skip

    section(doc, _("11. Declaration and signatures"))
    paragraph(doc, "{%p if patient.guardian_consents %}", space_after=0)
    paragraph(doc, _(
        "For a patient under 18, the parent or guardian signs these statements."
    ), bold=True, keep_with_next=True)  # fmt: skip
    paragraph(doc, "{%p endif %}", space_after=0)
    bullets(doc, [
        _("I have read this form, or had it read to me, and I understand it."),
        _("My practitioner has explained the treatment, its intended benefits, its risks and the "
          "alternatives, including no treatment, and has answered my questions."),
        _("I understand that results vary and are not guaranteed."),
        _("I have answered the health questions truthfully and will tell the clinic about any "
          "change before each session."),
        _("I understand the estimated cost in section 8."),
        _("I know that I may withdraw my consent at any time, before or between sessions."),
        "{% if patient.guardian_consents %}" + _format(
            "I consent to the treatment described in this form on behalf of %(name)s, for whom I "
            "have parental responsibility.", name="patient.name",
        ) + "{% else %}" + _("I consent to the treatment described in this form.")
        + "{% endif %}",
    ], keep_with_next=True)  # fmt: skip
    # the statements may end a page: kept with all that follows, they left one half empty
    doc.paragraphs[-1].paragraph_format.keep_with_next = False
    # time to reflect: cosmetic treatment is never consented to and done in one rush
    # each sentence a paragraph of its own: on a bilingual form, each is followed by its line
    # in the clinic's language, never by the other sentence's
    informed = paragraph(doc, _format(
        "Information given on %(date)s.", date="reflection.informed_on"
    ), keep_with_next=True, space_after=2)  # fmt: skip
    informed.paragraph_format.space_before = Pt(6)
    paragraph(doc, "{%p if reflection.not_before %}", space_after=0)
    paragraph(doc, _format(
        "So that you have time to think it over, treatment starts no earlier than %(date)s.",
        date="reflection.not_before",
    ), keep_with_next=True, space_after=2)  # fmt: skip
    for choice in (
        _("I had this time to reflect before treatment."),
        _("I chose to start sooner; my practitioner has noted why."),
    ):
        line = paragraph(doc, space_after=2, keep_with_next=True)
        box = line.add_run(BOX + " ")
        box.font.name = BOX_FONT
        add_run(line, choice)
    sooner = paragraph(doc, space_after=2, keep_with_next=True)
    add_run(sooner, _("Why treatment starts sooner:") + " " + "_" * 45)
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(
        doc,
        _("The questions you asked, and the answers given:"),
        bold=True,
        keep_with_next=True,
        space_after=2,
    ).paragraph_format.space_before = Pt(6)
    # a page may end after the questions: a minor's form, its guardian's lines kept with the
    # signatures, left a page half empty before them
    writing_lines(doc, 2)
    paragraph(doc, "{%p if patient.guardian_consents %}", space_after=0)
    relationship = paragraph(doc, space_after=2, keep_with_next=True)
    relationship.paragraph_format.space_before = Pt(6)
    add_run(relationship, _("Parent or guardian") + " — ", bold=True)
    add_run(relationship, _("Relationship to the patient:") + " ______________________")
    responsibility = paragraph(doc, space_after=2, keep_with_next=True)
    box = responsibility.add_run(BOX + " ")
    box.font.name = BOX_FONT
    add_run(responsibility, _("I have parental responsibility for the patient."))
    agreement = paragraph(doc, space_after=2, keep_with_next=True)
    agreement.paragraph_format.space_before = Pt(6)
    add_run(agreement, _("Young person's agreement:") + " ", bold=True)
    add_run(agreement, _("The treatment has been explained to me, and I agree to have it."))
    reason = paragraph(doc, space_after=2, keep_with_next=True)
    reason.paragraph_format.space_before = Pt(6)
    add_run(reason, _("Clinical reason for treating a patient of this age:") + " ", bold=True)
    add_run(reason, "_" * 40)
    paragraph(doc, "_" * 80, space_after=2, keep_with_next=True)
    paragraph(doc, "{%p endif %}", space_after=0)
    paragraph(doc, "{%p if patient.consents_self %}", space_after=0)
    aware = paragraph(doc, space_after=2, keep_with_next=True)
    aware.paragraph_format.space_before = Pt(6)
    add_run(aware, _("Parent or guardian (optional):") + " ", bold=True)
    add_run(aware, _("I know that the patient is having this treatment."))
    paragraph(doc, "{%p endif %}", space_after=0)
    # the patient's signatures, then the practitioner's statement and signature: two blocks
    # that each keep together, one page may end between them (kept as one, they left half a
    # page empty before them)
    signature_table(
        doc,
        [(_("Patient"), "{{ patient.name }}"), (_("Parent or guardian"), ""), (_("Witness"), "")],
        conditional={1: "patient.minor"},
        with_next=False,
    )
    # the practitioner's own statement: a record shows who explained, not only who signed
    declaration = paragraph(doc, space_after=2, keep_with_next=True)
    declaration.paragraph_format.space_before = Pt(6)
    add_run(declaration, _("Practitioner's declaration:") + " ", bold=True)
    add_run(declaration, _(
        "I have explained the treatment, its intended benefits, its risks and the alternatives "
        "to the patient and answered their questions, and I believe they understood and are able "
        "to consent."
    ))  # fmt: skip
    for choice in (
        _("I will carry out this treatment myself."),
        _("Another practitioner will carry it out:") + " " + "_" * 35,
    ):
        line = paragraph(doc, space_after=2, keep_with_next=True)
        box = line.add_run(BOX + " ")
        box.font.name = BOX_FONT
        add_run(line, choice)
    signatures = signature_table(
        doc,
        [
            (
                _("Practitioner"),
                "{{ practitioner.name }}{% if practitioner.credentials %}\n"
                "{{ practitioner.credentials }}{% endif %}",
            ),
        ],
    )
    loop_row(signatures, "{%tr if not interpreter.required %}")
    copy_received(signatures)
    loop_row(signatures, "{%tr endif %}")

    paragraph(doc, "{%p if interpreter.required %}", space_after=0)
    section(doc, _("Interpreter's statement"))
    paragraph(doc, _format(
        "I have interpreted this form and the practitioner's explanations for the patient into "
        "%(language)s, accurately and completely, and the patient told me that they understood.",
        language="patient.own_language_in_sentence",
    ), keep_with_next=True)  # fmt: skip
    copy_received(signature_table(doc, [(_("Interpreter"), "{{ interpreter.name }}")]))
    paragraph(doc, "{%p endif %}", space_after=0)

    keep_headings_with_their_text(doc)
    footer(doc, "Consent form")
    save(doc, path)


# --- treatment record ----------------------------------------------------------------------------

LANDSCAPE_WIDTH = 25.7  # between the margins of a landscape A4 page


def build_treatment_record(path: Path) -> None:
    """One row per planned session, filled in by hand at each: on a landscape page, for room."""
    doc = new_document("Treatment record", TEMPLATE_VERSIONS["treatment_record"])
    page = doc.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21)
    clinic_header(doc, _("Treatment record"))
    form_subtitle(doc)
    paragraph(doc, _(
        "One row for each session, filled in at the session. With their initials, the patient "
        "confirms that the consent they gave still stands and that they have told the "
        "practitioner of any change in their health or medicines since."
    ))  # fmt: skip
    label_value_table(doc, [
        (_("Name"), "{{ patient.name }}"),
        (_("Date of birth"), "{{ patient.date_of_birth }}"),
        (_("Patient reference"), "{{ patient.reference }}"),
        (_("Treatment"), "{{ treatment.name }}"),
        (_("Body areas"), "{{ treatment.areas }}"),
        (_("Planned sessions"), "{{ treatment.sessions }}"),
        (_("Consent form issued on"), "{{ document.date }}{% if cost.estimate_number %} · "
         + _("Estimate number") + " {{ cost.estimate_number }}{% endif %}"),
        (_("Practitioner"), "{{ practitioner.name }}"),
    ], widths=(5.2, LANDSCAPE_WIDTH - 5.2))  # fmt: skip
    paragraph(doc, "{%p if treatment.products %}", space_after=0)
    paragraph(doc, _("The products your practitioner plans to use:"), keep_with_next=True,
              space_after=2).paragraph_format.space_before = Pt(6)  # fmt: skip
    products, _row = looped_table(
        doc, [9.0, 7.0, LANDSCAPE_WIDTH - 16.0], [_("Product"), _("Manufacturer"), _("Licensing")],
        3, "product in treatment.products",
        [("{{ product.name }}", {"bold": True}), ("{{ product.manufacturer }}", {}),
         ("{{ product.licensing }}", {})],
    )  # fmt: skip
    keep_rows_together(products, with_next=True)
    paragraph(doc, "{%p endif %}", space_after=0)

    section(doc, _("Sessions"))
    widths = [1.6, 2.4, 1.5, 4.0, 2.6, 2.2, 1.9, 4.0, 2.75, 2.75]
    sessions, row = looped_table(
        doc, widths,
        [_("Session"), _("Date"), _("Time"), _("Product"), _("Batch or lot"), _("Expiry date"),
         _("Dose"), _("Body areas"), _("Practitioner's initials"), _("Patient's initials")],
        10, "session in sessions",
        [("{{ session.number }}", {"bold": True}), *[("", {})] * 6,
         ("{{ session.areas }}", {"size": 9}), ("", {}), ("", {})],
    )  # fmt: skip
    for cell in row.cells:
        cell.paragraphs[0].paragraph_format.space_before = Pt(20)  # room to write
    for cell in sessions.rows[0].cells:
        cell.paragraphs[0].runs[0].font.size = Pt(8)
    set_table_borders(sessions, bottom=True, color="7F7F7F")

    section(doc, _("Notes: reactions, aftercare given, changes to the plan"))
    writing_lines(doc, 4, width=LANDSCAPE_WIDTH)

    keep_headings_with_their_text(doc)
    footer(doc, "Treatment record", width=LANDSCAPE_WIDTH)
    save(doc, path)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "templates"
    out.mkdir(parents=True, exist_ok=True)
    build_estimate(out / "estimate.docx")
    build_price_sheet(out / "price_sheet.docx")
    build_consent(out / "consent.docx")
    build_treatment_record(out / "treatment_record.docx")
