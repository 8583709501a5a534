"""Generated documents, read back as a user would: the .docx with python-docx, the PDF with
pdftotext (real LibreOffice)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from conftest import (
    HOSTILE_NAME,
    docx_footer,
    docx_paragraphs,
    docx_text,
    long_date,
    money,
    pdf_text,
    unbroken,
)
from docx.oxml.ns import qn

from docgen.estimate import plan_estimate
from docgen.exceptions import OutputExistsError, PdfError, PlanError, TemplateError
from docgen.generate import (
    create_estimate,
    create_patient_documents,
    create_price_sheet,
    formatter_for,
)
from docgen.pricing import load_price_list
from docgen.render import DocumentTemplate, read_custom_properties
from docgen.visit import Visit

ISSUED = dt.date(2026, 3, 2)
PLAN = ("REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")


@pytest.fixture
def estimate_docx(workspace, tmp_path):
    return create_estimate(
        workspace, HOSTILE_NAME, PLAN, output=tmp_path / "estimate.docx", issued=ISSUED
    )


def test_estimate_shows_every_figure(estimate_docx):
    text = docx_text(estimate_docx.docx)
    paragraphs = docx_paragraphs(estimate_docx.docx)
    assert HOSTILE_NAME in paragraphs  # exactly as typed, in a paragraph of its own
    for expected in [
        "Lumière Aesthetic Clinic",
        "Cost estimate",
        estimate_docx.document_id,
        unbroken("2 March 2026"),  # date, long form for en_GB
        unbroken("1 April 2026"),  # valid until: 30 days later
        "Skin rejuvenation", "Face", "£250.00", "£1,250.00",
        "Hair loss", "Scalp", "£300.00", "£2,130.00",
        "Pain relief", "Knees", "£120.00", "£540.00",
        "Includes a course of 6 sessions at £1,530.00 + 2 sessions at £300.00 (you save £270.00)",
        "£3,356.67",  # subtotal excluding VAT
        "VAT 20% on £2,816.67", "£563.33",
        "Exempt from VAT: £540.00",
        "£3,920.00",  # total
        "Deposit due when booking (20%)", "£784.00",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "Total" in paragraphs and "£3,920.00" in paragraphs


def test_insurance_notice_by_kind(estimate_docx, workspace, tmp_path):
    text = docx_text(estimate_docx.docx)
    assert text.count("Cosmetic: not covered by health insurance") == 2
    assert text.count("Therapeutic: may be partly reimbursed, ask your insurer") == 1
    assert "Cosmetic treatment is not covered by health insurance: the patient pays" in text
    assert "Therapeutic treatment may be partly reimbursed" in text

    cosmetic_only = create_estimate(
        workspace, "A", ["REJUV:FACE"], output=tmp_path / "c.docx", issued=ISSUED
    )
    assert "may be partly reimbursed" not in docx_text(cosmetic_only.docx)


def test_no_template_tags_left(estimate_docx, workspace, tmp_path):
    sheet = create_price_sheet(workspace, output=tmp_path / "sheet.docx", issued=ISSUED)
    for path in (estimate_docx.docx, sheet.docx):
        text = docx_text(path)
        assert not re.search(r"\{[{%#]|[}%#]\}", text), path


def test_footer_traces_the_document(estimate_docx, workspace):
    footer = docx_footer(estimate_docx.docx)
    template = docx.Document(str(workspace.templates_dir / "estimate.docx")).core_properties
    assert estimate_docx.document_id in footer
    assert f"Template {template.version}" in footer
    assert " · en_GB · " in footer
    assert "Price list london 2026.1" in footer


def test_formatting_follows_the_locale(workspace, tmp_path):
    document = create_estimate(
        workspace, "Jeanne", PLAN, locale="fr-FR", output=tmp_path / "fr.docx", issued=ISSUED
    )
    text = docx_text(document.docx)
    assert money(3920, "GBP", "fr_FR") in text
    assert long_date(ISSUED, "fr_FR") in text
    assert "fr_FR" in docx_footer(document.docx)


def test_price_sheet_lists_every_price(workspace, tmp_path, price_list):
    document = create_price_sheet(workspace, output=tmp_path / "sheet.docx", issued=ISSUED)
    text = docx_text(document.docx)
    for treatment in price_list.treatments.values():
        assert treatment.name in text
        assert treatment.description in text
    for area in price_list.areas.values():
        assert area.name in text
    assert "6 sessions: £1,250.00" in text  # REJUV:FACE course
    assert "4 sessions: £585.00" in text  # REJUV:EYES, 10 % off 162.50 × 4
    assert f"Prices valid from {unbroken('5 January 2026')}" in text
    assert "Usually 3 to 6 sessions, 2 weeks apart." in text
    assert "An initial consultation costs £50.00" in text
    table_rows = sum(len(t.rows) - 1 for t in docx.Document(str(document.docx)).tables)
    assert table_rows == len(price_list.prices)


def test_a_price_sheet_shows_what_the_patient_pays_whatever_the_workbook_states(
    workspace, edit_workbook, tmp_path
):
    """A workbook with prices excluding VAT printed them so on the sheet; prices shown to
    consumers include VAT (Swiss, EU and UK price indication rules)."""
    shutil.copy(edit_workbook({"Clinic!B11": "no"}), workspace.workbook())
    text = docx_text(create_price_sheet(workspace, output=tmp_path / "s.docx").docx)
    assert "6 sessions: £1,500.00" in text  # REJUV:FACE course, 1,250.00 + 20 % VAT
    assert "£300.00" in text and "£250.00" not in text  # a session, 250.00 + 20 %
    assert "5 sessions: £540.00" in text  # pain relief: exempt, as listed
    assert "Prices include VAT, added here to the price list's prices." in text


def test_a_name_with_a_control_character_is_refused_not_printed_otherwise(workspace, tmp_path):
    """Removed silently, "Ann\x00a Lee" printed as "Anna Lee": not the name typed."""
    with pytest.raises(PlanError, match=r"invisible control character \(U\+0000\)"):
        create_estimate(workspace, "Ann\x00a\x0b Lee\x1f", ["REJUV:FACE"], output=tmp_path / "e")
    assert not list(tmp_path.glob("e*"))


@pytest.mark.parametrize(
    "name",
    ['Zoë O\'Brien & Sons <Ltd> "VIP"', "محمد عبد الله", "José Nuñez 😀👩🏽‍⚕️", "A & B <&amp;>"],
)
def test_names_come_out_exactly(workspace, tmp_path, name):
    document = create_estimate(workspace, name, ["REJUV:FACE"], output=tmp_path / "e.docx")
    assert name in docx_paragraphs(document.docx)


def test_never_overwrites_without_force(workspace, tmp_path):
    target = tmp_path / "out" / "estimate.docx"
    first = create_estimate(workspace, "Ann", ["REJUV:FACE"], output=target)
    before = target.read_bytes()
    with pytest.raises(OutputExistsError, match="--force"):
        create_estimate(workspace, "Bob", ["REJUV:FACE"], output=target)
    assert target.read_bytes() == before
    # made again for the same patient (never another's: test_register)
    second = create_estimate(workspace, "Ann", ["REJUV:NECK"], output=target, force=True)
    assert "Neck" in docx_paragraphs(second.docx)
    assert first.document_id != second.document_id
    # no temporary files; Ann's estimate, replaced, is kept by its id
    assert sorted(p.name for p in target.parent.iterdir()) == ["estimate.docx", "superseded"]
    kept = target.parent / "superseded" / f"estimate-{first.document_id}.docx"
    assert kept.read_bytes() == before
    with zipfile.ZipFile(second.docx) as package:
        recorded = read_custom_properties(package.read("docProps/custom.xml"))
    assert recorded["docgen.replaces"] == first.document_id


def test_default_file_name_is_safe_everywhere(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    document = create_estimate(workspace, 'CON: a/b\\c*?"<>|', ["REJUV:FACE"])
    assert document.docx.resolve().parent == tmp_path
    assert re.fullmatch(r"estimate-CON-a-b-c-Q-\d{8}-[0-9A-Z]{12}\.docx", document.docx.name)
    arabic = create_estimate(workspace, "محمد", ["REJUV:FACE"])
    assert arabic.docx.name.startswith("estimate-محمد-")


# --- templates that are wrong or hostile ----------------------------------------------------


def replace_in_template(path: Path, old: str, new: str) -> None:
    """Edit the text of one Word run, as a clinic admin would in Word."""
    document = docx.Document(str(path))
    for text in document.element.body.iter(qn("w:t")):
        if text.text and old in text.text:
            text.text = text.text.replace(old, new)
            document.save(str(path))
            return
    raise AssertionError(f"{old!r} not in {path}")


def test_missing_variable_is_an_error_naming_it(workspace, tmp_path):
    replace_in_template(workspace.template("estimate.docx"), "clinic.address", "clinic.adress")
    with pytest.raises(TemplateError) as raised:
        create_estimate(workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "e.docx")
    assert "estimate.docx" in str(raised.value) and "adress" in str(raised.value)
    assert not (tmp_path / "e.docx").exists()


def test_template_cannot_reach_python_internals(workspace, tmp_path):
    replace_in_template(
        workspace.template("estimate.docx"),
        "{{ clinic.address }}",
        "{{ clinic.__class__.__mro__[1].__subclasses__() }}",
    )
    with pytest.raises(TemplateError, match=r"estimate\.docx"):
        create_estimate(workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "e.docx")
    assert not (tmp_path / "e.docx").exists()


def test_template_that_is_not_a_word_file(tmp_path):
    path = tmp_path / "estimate.docx"
    path.write_text("not a docx")
    with pytest.raises(TemplateError, match=r"estimate\.docx: is not a Word document"):
        DocumentTemplate(path)


# --- PDF through real LibreOffice -----------------------------------------------------------


def test_pdf_estimate_reads_back(workspace, tmp_path):
    out = tmp_path / "out"
    document = create_estimate(
        workspace, HOSTILE_NAME, PLAN, output=out / "estimate.docx", pdf=True, issued=ISSUED
    )
    assert document.pdf == out / "estimate.pdf"
    assert document.pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(document.pdf)
    assert 'Zoë O\'Brien & Sons <Ltd> "VIP"' in text
    assert "£3,920.00" in text
    assert "£784.00" in text
    pages = text.count("\f")
    assert 1 <= pages <= 2
    assert f"Page {pages} of {pages}" in text  # fields computed by LibreOffice
    assert sorted(p.name for p in out.iterdir()) == ["estimate.docx", "estimate.pdf"]


def test_missing_libreoffice_says_how_to_install_and_writes_nothing(
    workspace, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("DOCGEN_SOFFICE", raising=False)
    assert shutil.which("soffice") is None
    with pytest.raises(PdfError, match="apt-get install libreoffice-writer-nogui"):
        create_estimate(workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "e.docx", pdf=True)
    assert not (tmp_path / "e.docx").exists()


def test_documents_are_readable_by_their_owner_only(workspace, tmp_path):
    document = create_estimate(
        workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "out" / "e.docx", pdf=True
    )
    assert document.docx.stat().st_mode & 0o777 == 0o600
    assert document.pdf.stat().st_mode & 0o777 == 0o600


def test_no_consultation_fee_means_no_consultation_sentence(workspace, tmp_path, edit_workbook):
    shutil.move(edit_workbook({"Clinic!B14": None}), workspace.pricing_dir / "london.xlsx")
    estimate = create_estimate(workspace, "A", ["REJUV:FACE"], output=tmp_path / "e.docx")
    sheet = create_price_sheet(workspace, output=tmp_path / "s.docx")
    for document in (estimate, sheet):
        assert "consultation" not in docx_text(document.docx)


def test_an_estimate_number_is_never_cut_across_lines(workspace, tmp_path):
    """'Q-20261207-HM-' | 'WETW264T82': the number's cell was narrower than the number, and
    LibreOffice hyphenated it. It has a line of its own, never hyphenated, in every language."""
    for locale in ("en_GB", "fr_FR", "de_CH", "ar"):
        document = create_estimate(
            workspace, "Léa Muller", ["REJUV:FACE", "REJUV:NECK"], locale=locale,
            output=tmp_path / f"{locale}.docx", pdf=True,
        )  # fmt: skip
        number = document.document_id
        pages = pdf_text(document.pdf).split("\f")[:-1]
        assert number in pages[0], locale
        assert all(number in page for page in pages), locale  # each page's footer


def test_the_totals_the_deposit_and_their_acceptance_share_a_page(workspace, tmp_path):
    """Issue 28 item 2: a visit's estimate, and a Swiss German one, put the acceptance alone on
    page 2, away from the total and the deposit it accepts."""
    prices = load_price_list(workspace.workbook())
    plan = ["REJUV:FACE", "REJUV:NECK", "HAIR:SCALP", "PAINR:KNEES"]
    estimate = plan_estimate(prices, plan)
    for locale in ("en_GB", "fr_CH", "de_CH"):  # Arabic reads back from a PDF reordered
        fmt = formatter_for(workspace, prices, locale)
        accepted = fmt.gettext(
            "I have read this estimate and accept the treatment plan and its cost."
        )
        document = create_estimate(
            workspace, "Anne-Marie Dupont-Lefèvre", plan, locale=locale,
            output=tmp_path / f"{locale}.docx", pdf=True,
        )  # fmt: skip
        pages = [" ".join(page.split()) for page in pdf_text(document.pdf).split("\f")[:-1]]
        # the deposit's figures (under 1,000: no grouping), whichever way RTL text is read back
        deposit = format_decimal(estimate.deposit, format="0.00", locale=fmt.locale)
        assert estimate.deposit < 1000
        [page] = [page for page in pages if deposit in page]
        assert fmt.gettext("Total") in page, locale
        assert " ".join(accepted.split())[:20] in page, (locale, page[-400:])


def broken_across_lines(value: str, pdf: Path) -> bool:
    """Whether the PDF ends a line with the start of value and goes on with the rest."""
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.splitlines()]  # fmt: skip
    words = value.split()
    return any(
        line.endswith(" ".join(words[:cut])) and after.startswith(" ".join(words[cut:]))
        for line, after in itertools.pairwise(lines)
        for cut in range(1, len(words))
    )


@pytest.mark.parametrize("locale", ["en_GB", "fr_CH", "de_CH", "ar"])
def test_dates_and_phone_numbers_never_break_across_lines(workspace, tmp_path, locale):
    """Issue 28 item 4: a phone number or a date at a line's end went on over the next one
    ("+44" | "20 7946 0999" on an Arabic form): their spaces are no-break spaces, on every
    document of a visit, and no PDF breaks one (Arabic reads back from a PDF reordered: its
    .docx is checked)."""
    prices = load_price_list(workspace.workbook())
    fmt = formatter_for(workspace, prices, locale)
    issued, born = dt.date(2026, 3, 2), dt.date(1980, 11, 23)
    visit = Visit.for_treatment(
        "Anne-Marie Dupont-Lefèvre", "REJUV", ["FACE", "NECK"], date_of_birth=born.isoformat(),
        practitioner="Dr Sarah Whitfield",
    )  # fmt: skip
    made = create_patient_documents(
        workspace, visit, locale=locale, output=tmp_path / "visit", issued=issued, pdf=True
    )
    dates = [format_date(day, format="long", locale=fmt.locale) for day in (issued, born)]
    phones = [prices.clinic.phone, prices.clinic.complications_phone]
    whole = {text: unbroken(text) for text in dates + phones if " " in text}
    assert len(whole) == 4
    form, record, estimate = made
    printed = {form: dates + phones, record: dates, estimate: dates[:1] + phones[:1]}
    for document, texts in printed.items():
        text = docx_text(document.docx)
        for value in texts:
            assert whole[value] in text and value not in text, (document.docx.name, value)
            if not fmt.right_to_left:
                assert not broken_across_lines(value, document.pdf), (document.pdf.name, value)
