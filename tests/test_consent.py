"""Consent forms, read back from the .docx and the PDF as a practitioner would check them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import docx
import openpyxl
import pytest
from babel import Locale
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import (
    HOSTILE_NAME,
    clinic_row,
    docx_footer,
    docx_paragraphs,
    docx_text,
    headings_ending_a_page,
    long_date,
    outline_titles,
    page_fill,
    pdf_text,
    unbroken,
)

from docgen.batch import run_batch
from docgen.cli import main
from docgen.exceptions import PlanError, WorkbookError
from docgen.generate import create_consent, create_estimate, create_patient_documents
from docgen.patient import Patient
from docgen.pdf import convert_to_pdf, warm_libreoffice
from docgen.pricing import Frequency, Severity, load_price_list
from docgen.register import find_records
from docgen.visit import PlannedTreatment, Visit

ISSUED = dt.date(2026, 3, 2)
SECTIONS = [
    "Consent to mesotherapy treatment",
    "1. Patient",
    "2. The procedure",
    "3. Intended benefits",
    "4. Alternatives",
    "5. Risks and side effects",
    "6. Your health: contraindications",
    "7. Recovery and aftercare",
    "8. Cost",
    "9. Photographs",
    "10. Your personal data",
    "11. Declaration and signatures",
]


VISIT_DETAILS = (
    "date_of_birth", "reference", "practitioner", "interpreter", "patient_language", "allow_minor"
)  # fmt: skip


def consent(workspace, tmp_path, name="consent.docx", **options):
    arguments = dict(
        patient=HOSTILE_NAME, treatment="LIPO", areas=["ABDO", "FLANKS"],
        date_of_birth="1985-06-01", reference="P-77", practitioner="Dr Sarah Whitfield",
        output=tmp_path / "out" / name, issued=ISSUED,
    )  # fmt: skip
    arguments.update(options)
    details = {name: arguments.pop(name) for name in VISIT_DETAILS if name in arguments}
    visit = Visit.for_treatment(
        arguments.pop("patient"), arguments.pop("treatment"), arguments.pop("areas"), **details
    )
    return create_consent(workspace, visit, **arguments)


def in_language(workspace, language: str):
    """gettext for a shipped language, read from its .po file; English returns the source."""
    if language == "en":
        return lambda message: message
    with (workspace.locales_dir / language / "LC_MESSAGES" / "docgen.po").open("rb") as handle:
        catalog = read_po(handle)
    return lambda message: catalog.get(message).string


def table_rows(path, first_header: str) -> list[list[str]]:
    """The data rows of the table whose first header cell is first_header."""
    for table in docx.Document(str(path)).tables:
        if table.rows[0].cells[0].text == first_header:
            return [[cell.text for cell in row.cells] for row in table.rows[1:]]
    raise AssertionError(f"no table headed {first_header!r}")


@pytest.fixture
def form(workspace, tmp_path):
    return consent(workspace, tmp_path, pdf=True)


def test_every_section_is_there(form, workspace):
    version = docx.Document(str(workspace.templates_dir / "consent.docx")).core_properties.version
    paragraphs = docx_paragraphs(form.docx)
    for heading in SECTIONS:
        assert heading in paragraphs, heading
    text = docx_text(form.docx)
    for expected in [
        "Localised fat reduction",
        f"Form version {version}",
        "Language: English (United Kingdom)",
        unbroken("1 June 1985"),  # date of birth
        "P-77",
        "Abdomen and Flanks",  # the areas, joined by Babel's list formatting
        "3 sessions",
        "Usually 2 to 6 sessions, 4 weeks apart.",
        "Phosphatidylcholine (lecithin) and deoxycholate",
        "There is no standard formulation for mesotherapy",
        "Injections that break down small, stubborn fat deposits",
        "Results vary from person to person and cannot be guaranteed.",
        "Diet and exercise, cryolipolysis (fat freezing) or liposuction.",
        "You may also choose to have no treatment at all",
        "Some need a day off because of swelling and pain at the injection sites.",
        "Cosmetic treatment is not covered by health insurance",
        "in my confidential clinical record",
        "without my name, for teaching and training health professionals",
        "in the clinic's marketing: website, social media and brochures",
        "Dr Sarah Whitfield",
        "Witness",
        "The patient received a copy of this signed form.",
    ]:
        assert expected in text, expected
    footer = docx_footer(form.docx)
    assert form.document_id in footer and f"Template {version}" in footer
    assert " · en_GB · " in footer
    assert form.document_id.startswith("C-20260302-")


BANDS = {"very common": "Very common", "common": "Common", "uncommon": "Uncommon",
         "rare": "Rare", "very rare": "Very rare"}  # fmt: skip


def test_mild_and_serious_risks_apart_each_most_frequent_first(form, price_list):
    lipo = price_list.treatments["LIPO"]
    risks = [price_list.risks[code] for code in lipo.risk_codes]
    order = list(Frequency)
    for header, severity in (("Side effect", Severity.MILD), ("Serious risk", Severity.SERIOUS)):
        rows = table_rows(form.docx, header)
        wanted = sorted(
            (risk for risk in risks if risk.severity is severity),
            key=lambda risk: order.index(risk.frequency),
        )
        assert wanted and [row[0] for row in rows] == [risk.name for risk in wanted]
        for row, risk in zip(rows, wanted, strict=True):
            assert row[1].startswith(BANDS[risk.frequency.value] + "\n"), row
            assert row[2] == risk.description
    serious = [row[0] for row in table_rows(form.docx, "Serious risk")]
    for name in ("Skin necrosis", "Infection with atypical mycobacteria", "Granulomas",
                 "Lipoatrophy", "Anaphylaxis"):  # fmt: skip
        assert name in serious
    assert serious[-1] == "Anaphylaxis"  # very rare, and still listed
    paragraphs = docx_paragraphs(form.docx)
    discussed = paragraphs.index(
        "Risks discussed with you in particular (written by your practitioner):"
    )
    assert paragraphs[discussed + 1 : discussed + 3] == ["", ""]  # two ruled lines to write on


def test_a_workbook_without_severities_lists_every_risk_as_before(
    workspace, edit_workbook, tmp_path
):
    def drop_severity(workbook):
        workbook["Risks"].delete_cols(5)  # an older workbook: no Severity column

    shutil.copy(edit_workbook(change=drop_severity), workspace.workbook())
    form = consent(workspace, tmp_path)
    rows = table_rows(form.docx, "Side effect")
    assert "Skin necrosis" in [row[0] for row in rows]
    assert "Rare but serious risks" not in docx_paragraphs(form.docx)


def test_contraindications_are_a_yes_no_checklist(form, price_list):
    *rows, other = table_rows(form.docx, "Statement")
    assert other[0] == "Other medicines, supplements or conditions:\n"  # and a line to write on
    statements = [row[0] for row in rows]
    wanted = [c.name for c in price_list.contraindications_for(price_list.treatments["LIPO"])]
    assert statements == wanted
    for term in ["pregnant", "breastfeeding", "blood thinners", "allergies", "autoimmune",
                 "skin infection", "keloid", "diabetes", "liver"]:  # fmt: skip
        assert any(term in s for s in statements), term
    assert all(row[1] == "☐" and row[2] == "☐" for row in rows)


def test_photography_consent_is_three_separate_choices(form):
    rows = table_rows(form.docx, "I agree that photographs of me may be used")
    assert len(rows) == 3
    assert all(row[1:] == ["☐", "☐"] for row in rows)


def test_on_prices_without_vat_the_cost_table_adds_up_on_paper(workspace, edit_workbook, tmp_path):
    """Face £1,250.00 + Neck £918.00 with 'Total £2,601.60' under them and no VAT line: the
    form's own arithmetic did not add up."""
    shutil.copy(edit_workbook({"Clinic!B11": "no"}), workspace.workbook())
    form = consent(workspace, tmp_path, treatment="REJUV", areas=["FACE", "NECK"])
    rows = table_rows(form.docx, "Body area")
    face, neck, vat, total = rows
    assert [face[0], neck[0], total[0]] == ["Face", "Neck", "Total"]
    assert vat[0] == "VAT 20% on £2,168.00" and vat[2] == "£433.60"

    def amount(text: str) -> Decimal:
        return Decimal(text.lstrip("£").replace(",", ""))

    assert amount(face[2]) + amount(neck[2]) == Decimal("2168.00")
    assert amount(face[2]) + amount(neck[2]) + amount(vat[2]) == amount(total[2])


def test_cost_equals_the_estimate_for_the_same_plan(form, workspace, tmp_path):
    estimate = create_estimate(
        workspace, "Same Patient", ["LIPO:ABDO", "LIPO:FLANKS"],
        output=tmp_path / "estimate.docx", issued=ISSUED,
    )  # fmt: skip
    estimate_total = table_rows(estimate.docx, "Subtotal excluding VAT")
    total_row = next(row for row in estimate_total if row[0] == "Total")
    cost_rows = table_rows(form.docx, "Body area")
    assert cost_rows[-1] == ["Total", "", total_row[1]]
    assert total_row[1] == "£2,280.00"
    assert cost_rows[:-1] == [["Abdomen", "3", "£1,200.00"], ["Flanks", "3", "£1,080.00"]]
    assert "A deposit of £456.00 is due when booking." in docx_text(form.docx)


def test_pdf_prints_every_section_on_two_to_five_pages(form):
    text = pdf_text(form.pdf)
    pages = text.count("\f")
    assert 2 <= pages <= 5  # the serious risks apart made it grow a page
    squashed = " ".join(text.split())
    for heading in SECTIONS:
        assert heading in squashed, heading
    assert HOSTILE_NAME in text
    assert squashed.count("☐") >= 2 * 11 + 2 * 3 + 1  # health, photographs, copy
    assert f"Page {pages} of {pages}" in text
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize(
    ("options", "staff", "shown", "reads"),
    [
        ({}, None, False, "English"),
        ({"interpreter": "Karim Haddad"}, None, True, "English"),
        ({"locale": "fr_FR"}, None, True, None),  # the patient reads another language
        ({"locale": "en_US"}, None, False, "English"),  # same language, another region
        ({"locale": "fr_FR"}, "en_GB, fr_CH", False, None),  # the staff speak French too
        # an English form for a Polish patient: the interpreter translates it into Polish
        ({"patient_language": "pl"}, None, True, "Polish"),
        ({"patient_language": "pl"}, "en, pl", False, "Polish"),
        # a Polish form for a Ukrainian patient: 'na język: ukraiński', never 'Ukraiński'
        (
            {"locale": "pl_PL", "patient_language": "uk"},
            None,
            True,
            Locale("uk").get_display_name("pl_PL"),
        ),
    ],
)
def test_interpreter_statement_exactly_when_needed(
    workspace, edit_workbook, tmp_path, options, staff, shown, reads
):
    if staff:
        shutil.copy(
            edit_workbook({"Clinic!A30": "Staff languages", "Clinic!B30": staff}),
            workspace.workbook(),
        )
    form = consent(workspace, tmp_path, **options)
    language = options.get("locale", "en")[:2]
    _ = in_language(workspace, language)
    in_sentence = reads or Locale(language).get_display_name(options["locale"])
    reads = in_sentence[:1].upper() + in_sentence[1:]  # on a line of its own
    text = docx_text(form.docx)
    patient_details = dict(table_rows(form.docx, _("Name")))  # rows after the name
    assert patient_details[_("Patient's language")] == reads
    assert patient_details[_("Interpreter needed")] == (_("Yes") if shown else _("No"))
    assert (_("Interpreter's statement") in text) is shown
    if shown:
        statement = _(
            "I have interpreted this form and the practitioner's explanations for the patient "
            "into %(language)s, accurately and completely, and the patient told me that they "
            "understood."
        ) % {"language": in_sentence}  # as the language writes it mid-sentence: 'français'
        assert statement in docx_paragraphs(form.docx)
    if options.get("interpreter"):
        assert options["interpreter"] in docx_paragraphs(form.docx)


def test_names_come_out_exactly(workspace, tmp_path):
    for index, name in enumerate(["محمد عبد الله", "Zoë & <Ltd> \"VIP\" 'x'", "Ана 👩🏽‍⚕️"]):
        form = consent(workspace, tmp_path, name=f"{index}.docx", patient=name,
                       interpreter=name, practitioner=name)  # fmt: skip
        assert docx_paragraphs(form.docx).count(name) >= 3  # patient row, signatures


def test_minor_needs_allow_minor_and_then_a_guardian_signs(workspace, tmp_path):
    minor = dict(treatment="PAINR", areas=["KNEES"], date_of_birth="2009-06-01")
    with pytest.raises(PlanError, match=r"the patient is 16, under 18: .*--allow-minor"):
        consent(workspace, tmp_path, **minor)
    assert not (tmp_path / "out").exists()
    form = consent(workspace, tmp_path, allow_minor=True, **minor)
    assert "Parent or guardian" in docx_paragraphs(form.docx)
    adult = consent(workspace, tmp_path, name="adult.docx")
    assert "Parent or guardian" not in docx_paragraphs(adult.docx)


# A 14-year-old's form in London, where a patient consents for themself from 16.
GUARDIAN_CONSENTS = [
    "This patient is under 18. A parent or guardian with parental responsibility gives consent "
    "on their behalf, and the young person is asked for their own agreement.",
    "For a patient under 18, the parent or guardian signs these statements.",
    "I consent to the treatment described in this form on behalf of Amira Haddad, for whom I "
    "have parental responsibility.",
    "Relationship to the patient:",
    "I have parental responsibility for the patient.",
    "Young person's agreement: The treatment has been explained to me, and I agree to have it.",
    "Clinical reason for treating a patient of this age:",
    "Photographs of a patient under 18 are never used in the clinic's marketing.",
]
MARKETING = "in the clinic's marketing: website, social media and brochures"
OWN_CONSENT = (
    "This patient is under 18 and, at 16 or over, consents to the treatment themself. A parent "
    "or guardian may sign to say that they know of it."
)
MINOR = dict(treatment="PAINR", areas=["KNEES"], allow_minor=True, patient="Amira Haddad")


def test_a_minors_form_is_a_different_form_where_it_matters(workspace, tmp_path):
    minor = consent(workspace, tmp_path, date_of_birth="2012-01-15", pdf=True, **MINOR)
    adult = consent(workspace, tmp_path, name="adult.docx", pdf=True)
    minor_text, adult_text = docx_text(minor.docx), docx_text(adult.docx)
    for statement in GUARDIAN_CONSENTS:
        assert statement in minor_text, statement
        assert statement.split(":")[0] not in adult_text, statement
    assert OWN_CONSENT not in minor_text
    assert MARKETING not in minor_text and MARKETING in adult_text
    assert "I consent to the treatment described in this form." in adult_text
    assert "I consent to the treatment described in this form." not in minor_text
    # flagged on the first page, where it is read first
    first_page = " ".join(subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(minor.pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout.split())  # fmt: skip
    assert "This patient is under 18." in first_page
    assert "{%" not in pdf_text(minor.pdf) and "{{" not in pdf_text(minor.pdf)


def test_a_minor_old_enough_consents_themself_and_is_offered_only_lawful_alternatives(
    workspace, tmp_path
):
    """At 16 in England a competent young person consents for themself: the form said a
    parent consents 'on their behalf'; and it offered alternatives the law forbids minors."""
    form = consent(workspace, tmp_path, date_of_birth="2009-06-01", pdf=True, **MINOR)
    text = " ".join(pdf_text(form.pdf).split())
    assert OWN_CONSENT in text
    assert "I consent to the treatment described in this form." in text
    assert "on behalf of" not in text and "Young person's agreement" not in text
    assert "Clinical reason" not in text
    assert (
        "Parent or guardian (optional): I know that the patient is having this treatment." in text
    )
    price_list = load_price_list(workspace.pricing_dir / "london.xlsx")
    painr = price_list.treatments["PAINR"]
    assert painr.alternatives_for_minors in text and painr.alternatives not in text
    assert MARKETING not in text


@pytest.mark.parametrize(
    ("treatment", "area", "born", "rule"),
    [
        ("REJUV", "FACE", "2009-06-01", "Botulinum Toxin and Cosmetic Fillers (Children) Act 2021"),
        ("LIPO", "ABDO", "2014-01-15", "Botulinum Toxin and Cosmetic Fillers (Children) Act 2021"),
        ("PAINR", "KNEES", "2015-01-15", "the minimum age the Treatments sheet gives PAINR"),
    ],
)
def test_below_the_laws_minimum_age_nothing_is_made_whatever_allow_minor_says(
    run, workspace, tmp_path, treatment, area, born, rule
):
    """--allow-minor made a cosmetic hyaluronic-acid form for a 16- and a 12-year-old."""
    age = Patient("x", dt.date.fromisoformat(born)).age_on(dt.date.today())
    minimum = 12 if treatment == "PAINR" else 18
    result = run("--workspace", workspace.root, "visit", "--patient", "Amira Haddad",
                 "--dob", born, "--treatment", f"{treatment}:{area}", "--allow-minor",
                 "-o", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert (
        f"the patient is {age}: {treatment} is never given to anyone under {minimum} ({rule}), "
        "whatever a parent or guardian agrees"
    ) in said
    assert not (tmp_path / "out").exists()
    without_the_flag = run("--workspace", workspace.root, "visit", "--patient", "Amira Haddad",
                           "--dob", born, "--treatment", f"{treatment}:{area}",
                           "-o", tmp_path / "out")  # fmt: skip
    assert "is never given to anyone under" in without_the_flag.output
    assert "--allow-minor" not in without_the_flag.output  # it would change nothing


def test_a_minors_estimate_is_accepted_by_whoever_pays(workspace, tmp_path):
    visit = Visit.for_treatment(
        "Amira Haddad", "PAINR", ["KNEES"], date_of_birth="2012-01-15", allow_minor=True
    )
    made = create_patient_documents(workspace, visit, output=tmp_path / "out", pdf=True)
    estimate = next(document for document in made if document.docx.name.startswith("estimate"))
    text = " ".join(pdf_text(estimate.pdf).split())
    assert "Amira Haddad is under 18: the person who pays for the treatment accepts this" in text
    assert "accept the treatment plan and its cost, and will pay it." in text
    assert "Name and relationship to the patient:" in text
    assert "Signature of the person paying" in text and "Patient's signature" not in text
    adult = create_estimate(workspace, "Ann Lee", ["PAINR:KNEES"], output=tmp_path / "a.docx")
    adult_text = docx_text(adult.docx)
    assert "Patient's signature" in adult_text and "person paying" not in adult_text


def test_every_bad_detail_is_reported_at_once(workspace, tmp_path):
    with pytest.raises(PlanError) as raised:
        consent(workspace, tmp_path, treatment="LIPOO", date_of_birth="1990-02-30")
    problems = raised.value.problems
    assert problems[0] == "the date of birth is not a day of the calendar: check its month and day"
    with pytest.raises(PlanError, match="the date of birth is not a date written as YYYY-MM-DD"):
        consent(workspace, tmp_path, date_of_birth="1986-W15-6")
    assert problems[1].startswith("unknown treatment 'LIPOO' (did you mean LIPO?); known")
    assert "REJUV, HAIR, CELL, LIPO" in problems[1]

    with pytest.raises(PlanError) as raised:
        consent(workspace, tmp_path, areas=["ABDO", "FACE", "EARS"], date_of_birth="2031-01-01")
    problems = raised.value.problems
    assert problems[0] == "the date of birth is in the future"
    assert "LIPO:FACE: Localised fat reduction has no price for Face" in problems[1]
    assert "priced areas for LIPO: ABDO, FLANKS, THIGHS, ARMS, BACK, NECK, KNEES" in problems[1]
    assert "LIPO:EARS: unknown area 'EARS'" in problems[2]
    assert not (tmp_path / "out").exists()


def test_consent_command(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = [
        "consent", "--patient", "Ann Lee", "--dob", "1979-11-30", "--ref", "A-1",
        "--treatment", "painr", "--area", "knees", "--sessions", "4", "--practitioner", "Dr Roe",
    ]  # fmt: skip
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    (written,) = tmp_path.glob("consent-Ann-Lee-C-*.docx")
    text = docx_text(written)
    assert "4 sessions" in text and "Pain relief" in text
    assert "may be partly reimbursed" in text  # therapeutic notice, not the cosmetic one
    assert "not covered by health insurance" not in text

    bad = runner.invoke(main, [*args[:3], "--dob", "30/11/1979", *args[5:], "-o", "x.docx"])
    assert bad.exit_code == 1
    assert "the date of birth is not a date written as YYYY-MM-DD" in bad.output
    assert "30/11/1979" not in bad.output  # patient data stays out of messages
    assert not (tmp_path / "x.docx").exists()


def test_consent_with_the_estimate_it_cites(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [
        "--workspace", str(workspace.root), "consent", "--patient", "Ann Lee", "--treatment",
        "LIPO", "--area", "ABDO", "--area", "FLANKS", "--estimate", "-o", "forms/",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    (form,) = (tmp_path / "forms").glob("consent-*.docx")
    (estimate,) = (tmp_path / "forms").glob("estimate-*.docx")
    number = estimate.stem.split("-", 3)[-1]  # estimate-Ann-Lee-Q-...
    number = estimate.stem[estimate.stem.index("Q-") :]
    assert number in docx_text(form)  # the form cites the estimate that exists
    total = next(r for r in table_rows(estimate, "Subtotal excluding VAT") if r[0] == "Total")[1]
    assert table_rows(form, "Body area")[-1][-1] == total == "£2,280.00"


def test_the_form_cites_only_a_quote_the_patient_receives(workspace, tmp_path, monkeypatch):
    """Without --estimate the form cited 'estimate Q-20261205-BH95Y66N9RRH', a quote the patient
    never received. The estimate is now written with the form unless the admin says not to,
    and then no quote number is cited."""
    monkeypatch.chdir(tmp_path)
    base = ["--workspace", str(workspace.root), "consent", "--patient", "Ann Lee",
            "--treatment", "REJUV", "--area", "FACE"]  # fmt: skip
    result = CliRunner().invoke(main, [*base, "-o", "both/"])
    assert result.exit_code == 0, result.output
    (form,) = (tmp_path / "both").glob("consent-*.docx")
    (estimate,) = (tmp_path / "both").glob("estimate-*.docx")
    number = estimate.stem[estimate.stem.index("Q-") :]
    assert f"(estimate {number}, valid until" in docx_text(form)

    alone = CliRunner().invoke(main, [*base, "--no-estimate", "-o", "alone/"])
    assert alone.exit_code == 0, alone.output
    (form,) = (tmp_path / "alone").glob("consent-*.docx")
    made = sorted(path.name[:7] for path in (tmp_path / "alone").iterdir())
    assert made == ["consent", "record-"]
    text = docx_text(form)
    assert "The estimated cost of the planned course is £1,250.00. A deposit of" in text
    assert "Q-" not in text and "(estimate" not in text
    library = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "l.docx"
    )
    assert library.estimate_number == "" and "Q-" not in docx_text(library.docx)


def test_the_form_says_whom_to_call_about_a_complication_day_or_night(
    workspace, edit_workbook, tmp_path
):
    form = consent(workspace, tmp_path)
    assert (
        "For a problem after treatment, day or night, weekends included, call "
        "+44\u00a020\u00a07946\u00a00999." in docx_paragraphs(form.docx)
    )
    shutil.copy(edit_workbook({"Clinic!A17": None, "Clinic!B17": None}), workspace.workbook())
    with pytest.raises(PlanError, match="has no 'Complications phone'"):
        consent(workspace, tmp_path, name="without.docx")
    assert not (tmp_path / "out" / "without.docx").exists()
    estimate = create_estimate(workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "e.docx")
    assert estimate.docx.is_file()  # only a consent form needs it


def test_the_form_gives_time_to_reflect_before_a_cosmetic_treatment(workspace, tmp_path):
    """The sample clinic gives 7 days for cosmetic treatment and none for pain relief."""
    form = consent(workspace, tmp_path)  # LIPO: cosmetic, information given on 2 March 2026
    paragraphs = docx_paragraphs(form.docx)
    assert f"Information given on {unbroken('2 March 2026')}." in paragraphs
    said = (
        "So that you have time to think it over, treatment starts no earlier than "
        f"{unbroken('9 March 2026')}."
    )
    assert said in paragraphs
    assert "☐ I had this time to reflect before treatment." in paragraphs
    assert "☐ I chose to start sooner; my practitioner has noted why." in paragraphs
    pain = consent(workspace, tmp_path, name="pain.docx", treatment="PAINR", areas=["KNEES"])
    paragraphs = docx_paragraphs(pain.docx)
    assert f"Information given on {unbroken('2 March 2026')}." in paragraphs
    assert not any("I had this time to reflect" in p for p in paragraphs)


def practitioner_row(document_path) -> str:
    rows = [row for table in docx.Document(str(document_path)).tables for row in table.rows]
    (row,) = [row for row in rows if row.cells and row.cells[0].text == "Practitioner"]
    return row.cells[1].text


def test_a_practitioner_on_the_sheet_signs_with_profession_registration_and_declaration(
    workspace, tmp_path
):
    form = create_consent(
        workspace,
        Visit.for_treatment("Ann Lee", "REJUV", ["FACE"], practitioner="dr  sarah WHITFIELD"),
        output=tmp_path / "c.docx",
        pdf=True,
    )
    assert practitioner_row(form.docx) == (
        "Dr Sarah Whitfield\nMedical doctor · General Medical Council 7654321"
    )
    text = docx_text(form.docx)
    assert "Practitioner's declaration: I have explained the treatment" in text
    printed = re.sub(r"-\n\s*", "", pdf_text(form.pdf))  # a word hyphenated at a line end
    assert "General Medical Council 7654321" in " ".join(printed.split())


def test_a_name_not_on_the_sheet_is_printed_as_given(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("Ann Lee", "REJUV", ["FACE"], practitioner="Dr Locum Jones"),
        output=tmp_path / "c.docx",
    )
    assert practitioner_row(form.docx) == "Dr Locum Jones"


def test_the_profession_is_translated_with_the_form(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("Anna", "REJUV", ["FACE"], practitioner="Emma Clarke"),
        locale="de_DE",
        output=tmp_path / "c.docx",
    )
    with (workspace.locales_dir / "de" / "LC_MESSAGES" / "docgen.po").open("rb") as handle:
        nurse = read_po(handle, locale="de").get("Nurse prescriber").string
    assert f"{nurse} · Nursing and Midwifery Council 12A3456E" in docx_text(form.docx)


def test_a_practitioners_sheet_with_half_a_registration_or_a_name_twice_names_each_cell(
    edit_workbook,
):
    path = edit_workbook({
        "Practitioners!D2": None,  # Dr Whitfield: a body but no number
        "Practitioners!A4": "Emma  CLARKE", "Practitioners!B4": "Nurse",
    })  # fmt: skip
    with pytest.raises(WorkbookError) as error:
        load_price_list(path)
    message = str(error.value)
    assert "Practitioners!D2: has a registration body but no registration number" in message
    assert "Practitioners!A4: duplicate practitioner 'emma clarke' (first defined in row 3)" in (
        message
    )


@pytest.mark.parametrize(
    ("clinic", "locale", "treatment", "areas", "born"),
    [
        ("london", "en_GB", "REJUV", ["FACE"], "1980-01-01"),
        ("london", "en_GB", "PAINR", ["KNEES"], "2009-01-01"),  # a minor: the guardian's lines
        ("london", "fr", "REJUV", ["FACE", "NECK", "DECO"], "1980-01-01"),
        ("london", "de_CH", "REJUV", ["FACE"], "1980-01-01"),  # the interpreter's statement
        ("london", "ar", "REJUV", ["FACE"], "1980-01-01"),
        ("geneva", "fr_CH", "REJUV", ["FACE"], "1980-01-01"),  # the clinic's own language
        ("bilingual", "fr_FR", "PAINR", ["KNEES"], "2011-04-12"),  # a minor, every line twice
    ],
)
def test_no_page_but_the_last_is_under_two_thirds_full_nor_ends_with_a_heading(
    request, clinic, locale, treatment, areas, born, tmp_path
):
    """'9. Photographies' was printed alone at the foot of page 4 of a French form; keeping
    every heading with its text then left pages 2 and 4 of the English form half empty."""
    workspace = request.getfixturevalue("geneva" if clinic == "geneva" else "workspace")
    _ = in_language(workspace, locale[:2])
    visit = Visit.for_treatment(
        "Jean Dupont", treatment, areas, date_of_birth=born, practitioner="Dr Sarah Whitfield",
        allow_minor=born > "2008",
    )  # fmt: skip
    form = create_consent(
        workspace, visit, locale=locale, output=tmp_path / "c.docx", issued=ISSUED, pdf=True,
        bilingual=clinic == "bilingual",
    )  # fmt: skip
    fill = page_fill(form.pdf)
    assert all(full >= 2 / 3 for full in fill[:-1]), [f"{full:.0%}" for full in fill]
    headings = outline_titles(form.pdf)  # a bilingual heading's title has its two lines
    assert all(any(title.startswith(_(s)) for title in headings) for s in SECTIONS[1:])
    assert headings_ending_a_page(form.pdf) == []


def test_a_geneva_clinic_applies_its_own_rule_on_minors_in_french(geneva, tmp_path):
    """A clinic outside England sets its own minimum age (16, its charter) and age of own
    consent: a 16-year-old has her cosmetic form in French, consenting herself and offered
    what the clinic allows minors; at 15 nothing is made, the charter named."""
    path = geneva.pricing_dir / "geneva.xlsx"
    book = openpyxl.load_workbook(path)
    charter = "Charte de la clinique pour les patients mineurs"
    authority = "Préposé fédéral à la protection des données et à la transparence (PFPDT)"
    for key, value in {
        "Minimum age cosmetic": 16, "Minimum age law": charter,
        # Swiss law (nDSG, and Geneva's 20 years for medical records)
        "Data controller": "Clinique Lumière SA", "Data protection authority": authority,
        "Records retention years": 20, "Privacy contact": "donnees@clinique-lumiere.example",
    }.items():  # fmt: skip
        book["Clinic"].cell(clinic_row(book, key), 2, value)
    book["Treatments"]["M2"] = "Soins à base de rétinol, ou aucun traitement"
    book.save(path)
    catalogue = in_language(geneva, "fr")

    def french(message: str) -> str:  # as the PDF's text reads, spaces folded
        return " ".join(catalogue(message).split())

    issued = dt.date(2026, 12, 7)
    details = dict(allow_minor=True, patient_language="fr_CH")

    fifteen = Visit.for_treatment("Léa Muller", "REJUV", ["FACE"], date_of_birth="2011-06-01",
                                  **details)  # fmt: skip
    with pytest.raises(PlanError) as refused:
        create_patient_documents(
            geneva, fifteen, locale="fr_CH", output=tmp_path / "a", issued=issued
        )
    assert (
        f"the patient is 15: REJUV is never given to anyone under 16 ({charter}), whatever a "
        "parent or guardian agrees"
    ) in refused.value.problems
    assert not (tmp_path / "a").exists()

    sixteen = Visit.for_treatment("Léa Muller", "REJUV", ["FACE"], date_of_birth="2010-06-01",
                                  **details)  # fmt: skip
    made = create_patient_documents(
        geneva, sixteen, locale="fr_CH", output=tmp_path / "b", issued=issued, pdf=True
    )
    form, record, estimate = (" ".join(pdf_text(document.pdf).split()) for document in made)
    assert made[1].document_id.startswith("R-") and "Léa Muller" in record
    own_consent = french(OWN_CONSENT.replace("16", "%(age)s")) % {"age": "16"}
    assert own_consent in form and "Soins à base de rétinol, ou aucun traitement" in form
    assert "peelings" not in form
    assert french("I consent to the treatment described in this form.") in form
    kept = french(
        "Your record is kept for %(records)s after your last treatment, and your photographs "
        "for %(photographs)s; then they are destroyed."
    )
    written = " ".join(docx_text(made[0].docx).split())  # not hyphenated, as the PDF is
    assert kept % {"records": "20 ans", "photographs": "8 ans"} in written
    assert "Clinique Lumière SA" in written and authority in written
    assert "donnees@clinique-lumiere.example" in written
    payer = french(
        "%(name)s is under 18: the person who pays for the treatment accepts this estimate."
    )
    assert payer % {"name": "Léa Muller"} in estimate
    assert french("Signature of the person paying") in estimate


def test_the_form_records_the_discussion_the_money_terms_and_the_privacy_notice(
    workspace, tmp_path
):
    """A form read as the record a complaint tests: the patient's goals, the questions asked,
    why treatment starts sooner, who treats, the time of signing; every kind's insurance note
    and the refund terms beside the cost; who keeps the data, how long and whom to ask."""
    visit = Visit(
        "Ann Lee", (PlannedTreatment("REJUV", ("FACE",)), PlannedTreatment("PAINR", ("KNEES",))),
        date_of_birth="1985-06-01",
    )  # fmt: skip
    made = create_patient_documents(workspace, visit, output=tmp_path / "out", pdf=True,
                                    issued=ISSUED)  # fmt: skip
    clinic = load_price_list(workspace.pricing_dir / "london.xlsx").clinic
    # the .docx's text: the PDF's hyphenates the long paragraphs
    estimate = " ".join(docx_text(next(d.docx for d in made if "estimate" in d.docx.name)).split())
    assert clinic.payment_terms in estimate
    for form in (d for d in made if "consent" in d.docx.name):
        text = " ".join(docx_text(form.docx).split())
        for wording in (
            "What you hope the treatment will achieve, in your own words:",
            "The questions you asked, and the answers given:",
            "I will carry out this treatment myself.",
            "Another practitioner will carry it out:",
            "Date and time",
            "Cosmetic treatment is not covered by health insurance",  # both kinds are in the
            "Therapeutic treatment may be partly reimbursed",  # visit's cost table
            f"Deposit, cancellation and refunds: {clinic.payment_terms}",
            f"{clinic.data_controller} keeps this form, your health information and your "
            "photographs in your confidential clinical record",
            "Your record is kept for 8 years after your last treatment, and your photographs "
            "for 8 years; then they are destroyed.",
            f"ask {clinic.privacy_contact}.",
            f"complain to the data-protection authority: {clinic.data_protection_authority}.",
        ):
            assert wording in text, (form.docx.name, wording)
        # a reflection period only before cosmetic treatment: the reason to start sooner too
        assert ("Why treatment starts sooner:" in text) == ("-REJUV-" in form.docx.name)


def test_without_its_privacy_and_payment_settings_no_consent_form_is_made(run, workspace, tmp_path):
    path = workspace.pricing_dir / "london.xlsx"
    book = openpyxl.load_workbook(path)
    for key in ("Privacy contact", "Records retention years", "Payment terms"):
        book["Clinic"].delete_rows(clinic_row(book, key))
    book.save(path)
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    said = " ".join(checked.output.split())
    assert (
        "the Clinic sheet of london.xlsx has no 'Privacy contact', 'Records retention years': a "
        "consent form tells the patient who keeps their record and photographs"
    ) in said
    assert "the Clinic sheet of london.xlsx has no 'Payment terms'" in said
    made = run("--workspace", workspace.root, "consent", "--patient", "Ann Lee", "--treatment",
               "REJUV", "--area", "FACE", "-o", tmp_path / "out" / "c.docx")  # fmt: skip
    assert made.exit_code == 1 and "'Privacy contact'" in made.output
    assert not (tmp_path / "out").exists()


def test_the_information_date_is_recorded_and_the_reflection_counts_from_it(
    run, workspace, tmp_path
):
    """'Information given on' was the form's date, printed rather than recorded."""
    common = ["--workspace", workspace.root, "consent", "--patient", "Ann Lee", "--treatment",
              "REJUV", "--area", "FACE", "--no-estimate", "--date", "2026-12-07"]  # fmt: skip
    made = run(*common, "--informed-on", "2026-12-01", "-o", tmp_path / "c.docx")
    assert made.exit_code == 0, made.output
    text = " ".join(docx_text(tmp_path / "c.docx").split())
    assert "Information given on 1 December 2026." in text  # spaces folded, no-break too
    assert "treatment starts no earlier than 8 December 2026." in text
    for informed_on, said in (
        ("2026-12-08", "the date the information was given is after the form's date"),
        ("2025-11-30", "the information was given more than a year before the form's date"),
        ("01/12/2026", "the date the information was given is not a date written as YYYY-MM-DD"),
    ):
        refused = run(*common, "--informed-on", informed_on, "-o", tmp_path / "r.docx")
        assert refused.exit_code == 1 and said in refused.output, refused.output
        assert not (tmp_path / "r.docx").exists()


def test_a_batch_takes_the_information_date_from_its_column(tmp_path, workspace):
    appointments = tmp_path / "day.csv"
    appointments.write_text(
        "Patient,DOB,Treatment,Areas,Documents,Informed on\n"
        "Ann Lee,1980-01-02,REJUV,FACE,consent,2026-11-30\n"
        "Bo Chan,1981-02-03,REJUV,FACE,consent,2026-12-31\n",
        encoding="utf-8",
    )
    result = run_batch(workspace, appointments, tmp_path / "out", jobs=1,
                       issued=dt.date(2026, 12, 7))  # fmt: skip
    assert result.made == 2  # Ann Lee's consent form and its treatment record
    (failure,) = result.failures
    assert failure.row == 3
    assert "cell F3: the date the information was given is after the form's date" in (
        failure.reason
    )
    form = tmp_path / "out" / "1980-01-02-Ann-Lee" / "consent.docx"
    assert f"Information given on {unbroken('30 November 2026')}." in docx_text(form)
    assert sorted(p.name for p in form.parent.iterdir()) == ["consent.docx", "record.docx"]
    assert not (tmp_path / "out" / "1981-02-03-Bo-Chan").exists()


def test_the_form_says_what_the_evidence_shows_and_names_lipolysis_own_risks(workspace, tmp_path):
    """Nothing said mesotherapy's evidence is limited or how long results last; 'the mesoderm'
    is an embryonic layer; the fat-reduction form lacked numbness, hardening and nodules."""
    price_list = load_price_list(workspace.pricing_dir / "london.xlsx")
    lipo = consent(workspace, tmp_path, name="lipo.docx")  # LIPO: ABDO, FLANKS
    rejuv = consent(workspace, tmp_path, name="rejuv.docx", treatment="REJUV", areas=["FACE"])
    for made, code in ((lipo, "LIPO"), (rejuv, "REJUV")):
        text = " ".join(docx_text(made.docx).split())
        assert f"What the evidence shows: {price_list.treatments[code].evidence}" in text
        assert "(the dermis) or just beneath it" in text and "mesoderm" not in text
        lipolysis_risks = ("Numbness", "Hardening", "Lumps (nodules)")
        assert all((risk in text) == (code == "LIPO") for risk in lipolysis_risks)
    french = consent(workspace, tmp_path, name="fr.docx", treatment="REJUV", areas=["FACE"],
                     locale="fr")  # fmt: skip
    evidence = in_language(workspace, "fr")(price_list.treatments["REJUV"].evidence)
    assert evidence and " ".join(evidence.split()) in " ".join(docx_text(french.docx).split())


def test_the_form_names_the_planned_products_and_says_plainly_which_are_unlicensed(
    workspace, tmp_path
):
    """Nothing recorded the products, and off-label or unlicensed use (deoxycholate,
    calcitonin in the sample) was never disclosed."""
    rejuv = consent(workspace, tmp_path, name="rejuv.docx", treatment="REJUV", areas=["FACE"])
    assert table_rows(rejuv.docx, "Product") == [
        ["Hydra-Meso HA", "Example MedTech Ltd", "a medical device"],
        ["Vita-Meso Complex", "Example Pharma Ltd", "not licensed as a medicine"],
    ]
    lipo = consent(workspace, tmp_path, name="lipo.docx")
    assert [row[2] for row in table_rows(lipo.docx, "Product")] == [
        "a licensed medicine used outside its licence (off-label)", "not licensed as a medicine",
    ]  # fmt: skip
    plainly = "Some of these products are used outside their licence or have none"
    assert plainly in docx_text(rejuv.docx) and plainly in docx_text(lipo.docx)
    french = consent(workspace, tmp_path, name="fr.docx", locale="fr")
    gettext = in_language(workspace, "fr")
    off_label = gettext("a licensed medicine used outside its licence (off-label)")
    assert table_rows(french.docx, gettext("Product"))[0][2] == off_label


def test_a_workbook_without_products_prints_no_products_table(workspace, tmp_path):
    path = workspace.pricing_dir / "london.xlsx"
    book = openpyxl.load_workbook(path)
    del book["Products"]
    book["Treatments"].delete_cols(15)
    book.save(path)
    form = consent(workspace, tmp_path)
    text = docx_text(form.docx)
    assert "The products your practitioner plans to use:" not in text
    assert "Some of these products" not in text and "{%" not in text


def test_each_consent_form_comes_with_its_treatment_record_one_row_per_session(workspace, tmp_path):
    """Nothing recorded what was injected at each session: product, batch or lot, expiry,
    dose, areas, and the initials of the practitioner and of the patient, whose consent
    still stands. A record goes with every consent form, in the register too."""
    result = CliRunner().invoke(main, [
        "--workspace", str(workspace.root), "visit", "--patient", HOSTILE_NAME,
        "--dob", "1985-06-15", "--treatment", "REJUV:FACE,NECK:4", "--treatment", "HAIR:SCALP:5",
        "--practitioner", "Dr Sarah Whitfield", "--pdf", "-o", f"{tmp_path / 'ann'}/",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "ann"
    (estimate,) = out.glob("estimate-*.docx")
    number = estimate.stem[estimate.stem.index("Q-") :]
    columns = ["Session", "Date", "Time", "Product", "Batch or lot", "Expiry date", "Dose",
               "Body areas", "Practitioner's initials", "Patient's initials"]  # fmt: skip
    for code, sessions, areas in (("REJUV", 4, "Face and Neck"), ("HAIR", 5, "Scalp")):
        (record,) = out.glob(f"record-*-{code}-R-*.docx")
        (table,) = [t for t in docx.Document(str(record)).tables if t.cell(0, 0).text == "Session"]
        assert [cell.text for cell in table.rows[0].cells] == columns
        assert table_rows(record, "Session") == [
            [str(session), "", "", "", "", "", "", areas, "", ""]
            for session in range(1, sessions + 1)
        ]
        text = docx_text(record)
        assert HOSTILE_NAME in text and unbroken("15 June 1985") in text
        assert f"Estimate number {number}" in text and "Dr Sarah Whitfield" in text
        printed = pdf_text(record.with_suffix(".pdf"))
        assert "Treatment record" in printed and "Batch or lot" in printed and "{" not in printed
    assert table_rows(next(out.glob("record-*-REJUV-*.docx")), "Product")[0][0] == "Hydra-Meso HA"
    records = find_records(workspace, kind="treatment_record")
    assert sorted(record.treatment for record in records) == ["HAIR", "REJUV"]
    assert {(r.patient, r.date_of_birth, r.quote) for r in records} == {
        (HOSTILE_NAME, "1985-06-15", number)
    }


def test_a_geneva_clinics_treatment_record_is_in_the_patients_french(geneva, tmp_path):
    visit = Visit.for_treatment("Zoé Favre", "REJUV", ["FACE"], date_of_birth="1985-06-15")
    documents = create_patient_documents(
        geneva, visit, locale="fr_CH", output=f"{tmp_path / 'zoe'}/", issued=ISSUED
    )
    (record,) = [document for document in documents if document.document_id.startswith("R-")]
    gettext = in_language(geneva, "fr")
    assert table_rows(record.docx, gettext("Session"))[0][0::7] == ["1", "Visage"]
    text = docx_text(record.docx)
    for english in ("Treatment record", "Batch or lot", "Expiry date", "Patient's initials"):
        assert gettext(english) in text and english not in text
    assert long_date(ISSUED, "fr_CH") in text


def test_swiss_german_documents_are_spelled_without_sharp_s(workspace, tmp_path):
    """de_CH documents printed 'Gesäß' and 'Stoßwellen': Swiss German has no ß. A name typed
    with one keeps it."""
    visit = Visit.for_treatment("Johann Strauß", "LIPO", ["ABDO", "FLANKS"],
                                date_of_birth="1980-01-01")  # fmt: skip
    texts = {}
    for locale in ("de_DE", "de_CH"):
        made = create_consent(workspace, visit, locale=locale, output=tmp_path / f"{locale}.docx")
        texts[locale] = docx_text(made.docx).replace("Johann Strauß", "")
    german_words = set(re.findall(r"\w*ß\w*", texts["de_DE"]))
    assert german_words  # the German form has words with ß to spell otherwise
    assert "ß" not in texts["de_CH"]
    assert all(word.replace("ß", "ss") in texts["de_CH"] for word in german_words)
    assert "Johann Strauß" in docx_text(tmp_path / "de_CH.docx")


def test_a_pdf_is_tagged_for_screen_readers_with_each_section_in_its_outline(form, tmp_path):
    """Made by `soffice --convert-to` and by the LibreOffice the desk keeps running alike."""
    kept_running = tmp_path / "warm" / form.docx.name
    kept_running.parent.mkdir()
    shutil.copy(form.docx, kept_running)
    with warm_libreoffice() as warm:
        assert warm
        (warm_pdf,) = convert_to_pdf([kept_running])
    for pdf in (form.pdf, warm_pdf):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), pdf
        structure = subprocess.run(
            ["pdfinfo", "-struct", str(pdf)], capture_output=True, text=True
        ).stdout
        assert "H1" in structure and "H2" in structure and "Table" in structure
        titles = outline_titles(pdf)
        assert {"1. Patient", "5. Risks and side effects", "8. Cost"} <= set(titles), titles
