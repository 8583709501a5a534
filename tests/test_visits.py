"""A visit: one patient's plan for one day with several treatments gets one estimate (every
line, VAT per rate, one total, one deposit) and a consent form per treatment citing it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import docx
import openpyxl
import pytest
from babel.messages.pofile import read_po
from babel.numbers import parse_decimal
from conftest import docx_paragraphs, docx_text

from docgen.exceptions import PlanError
from docgen.generate import create_patient_documents
from docgen.visit import PlannedTreatment, Visit

ISSUED = dt.date(2026, 3, 2)


def visit(*specs: str, **details) -> Visit:
    return Visit(
        details.pop("patient", "Ann Lee"), tuple(PlannedTreatment.parse(s) for s in specs),
        **{"date_of_birth": "1985-06-15", **details},
    )  # fmt: skip


def rows(path) -> dict[str, str]:
    return {row.cells[0].text: row.cells[-1].text for table in docx.Document(str(path)).tables
            for row in table.rows}  # fmt: skip


def test_a_visit_gets_one_estimate_and_a_form_per_treatment_citing_it(workspace, tmp_path):
    documents = create_patient_documents(
        workspace, visit("REJUV:FACE,NECK", "PAINR:KNEES:4"), output=tmp_path, issued=ISSUED
    )
    rejuv, rejuv_record, painr, painr_record, estimate = documents
    assert "-REJUV-" in rejuv.docx.name and "-PAINR-" in painr.docx.name
    assert rejuv_record.docx.name.startswith("record-Ann-Lee-REJUV-R-")
    assert painr_record.docx.name.startswith("record-Ann-Lee-PAINR-R-")
    assert estimate.docx.name.startswith("estimate-Ann-Lee-Q-")
    number = estimate.document_id
    assert rejuv.estimate_number == painr.estimate_number == number
    assert rejuv_record.estimate_number == painr_record.estimate_number == number

    totals = rows(estimate.docx)
    lines = docx.Document(str(estimate.docx)).tables[1].rows[1:]
    assert [row.cells[1].text for row in lines] == ["Face", "Neck", "Knees"]  # one estimate
    # VAT once per rate: 20 % of the cosmetic lines, none on the therapeutic one
    assert totals["VAT 20% on £1,806.67"] == "£361.33"
    assert totals["Exempt from VAT: £480.00"] == "£0.00"
    assert totals["Total"] == "£2,648.00" and len([k for k in totals if "Deposit" in k]) == 1
    for form, treatment, areas in ((rejuv, "Skin rejuvenation", "Face and Neck"),
                                   (painr, "Pain relief", "Knees")):  # fmt: skip
        text = docx_text(form.docx)
        assert f"(estimate {number}," in text and "£2,648.00" in text
        paragraphs = docx_paragraphs(form.docx)
        assert treatment in paragraphs and areas in paragraphs
        # the cost table is the visit's: each line says which treatment it is for
        cost = rows(form.docx)
        assert cost["Skin rejuvenation: Face"] == "£1,250.00"
        assert cost["Pain relief: Knees"] == "£480.00"
    assert "Pain relief" not in docx_paragraphs(rejuv.docx)[:40]  # section 2 is its own
    for record, treatment in ((rejuv_record, "Skin rejuvenation"), (painr_record, "Pain relief")):
        paragraphs = docx_paragraphs(record.docx)
        assert "Treatment record" in paragraphs and treatment in paragraphs
        assert f"Estimate number {number}" in docx_text(record.docx)


def test_every_problem_of_every_treatment_is_reported_and_nothing_is_written(workspace, tmp_path):
    bad = visit("REJUV:FACE,KNEES", "HAIR:SCLAP", date_of_birth="1985-02-30")
    with pytest.raises(PlanError) as refused:
        create_patient_documents(workspace, bad, output=tmp_path / "out", issued=ISSUED)
    message = str(refused.value)
    assert "REJUV:KNEES" in message and "HAIR:SCLAP: unknown area 'SCLAP'" in message
    # the patient's details once, not once per form
    assert message.count("the date of birth is not a day of the calendar") == 1
    assert not (tmp_path / "out").exists()


def test_a_treatment_twice_or_written_wrongly_is_refused(workspace, tmp_path):
    with pytest.raises(PlanError, match="REJUV is in the visit twice"):
        create_patient_documents(workspace, visit("REJUV:FACE", "REJUV:NECK"), output=tmp_path)
    twice = (PlannedTreatment("rejuv", ("FACE",)), PlannedTreatment(" REJUV", ("NECK",)))
    with pytest.raises(PlanError, match="REJUV is in the visit twice"):
        Visit("Ann Lee", twice).check()  # however the code is written
    with pytest.raises(PlanError, match="write a treatment as TREATMENT:AREA,AREA"):
        PlannedTreatment.parse("REJUV")
    with pytest.raises(PlanError, match="'REJUV:FACE:six'"):
        PlannedTreatment.parse("REJUV:FACE:six")


def test_the_visit_command(workspace, tmp_path, run):
    result = run(
        "--workspace", workspace.root, "visit", "--patient", "Zoë O'Brien & <Sons>", "--dob",
        "1985-06-15", "--treatment", "REJUV:FACE,NECK:6", "--treatment", "HAIR:SCALP",
        "-o", f"{tmp_path}/out/", "--pdf",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == 10 and sum(name.endswith(".pdf") for name in written) == 5
    assert sum(name.startswith("record-") for name in written) == 4  # a record per form
    again = run(
        "--workspace", workspace.root, "visit", "--patient", "Zoë O'Brien & <Sons>", "--dob",
        "1985-06-15", "--treatment", "REJUV:FACE,NECK:6", "--treatment", "HAIR:SCALP",
        "-o", f"{tmp_path}/out/", "--date", "2026-03-02",
    )  # fmt: skip
    assert again.exit_code == 0  # new ids: nothing overwritten
    assert len(list((tmp_path / "out").iterdir())) == 15


def test_a_swiss_visit_pays_to_five_centimes_on_every_document(geneva, tmp_path):
    path = geneva.workbook()
    book = openpyxl.load_workbook(path)
    book["Clinic"]["B9"], book["Clinic"]["B11"] = 8.1, "no"  # VAT 8.1 % on top
    book.save(path)
    *documents, estimate = create_patient_documents(
        geneva,
        visit("REJUV:FACE,NECK", "HAIR:SCALP", patient="Léa Muller"),
        locale="fr_CH",
        output=tmp_path,
        issued=ISSUED,
    )
    forms = documents[::2]  # each consent form is followed by its treatment record
    assert [form.document_id[:2] for form in documents] == ["C-", "R-", "C-", "R-"]
    with (geneva.locales_dir / "fr" / "LC_MESSAGES" / "docgen.po").open("rb") as handle:
        french = read_po(handle, locale="fr")
    printed = rows(estimate.docx)

    def amount(label: str) -> Decimal:
        text = printed[french.get(label).string if label in french else label]
        return parse_decimal(re.sub(r"[^\d',.-]", "", text), locale="fr_CH")

    vat = next(label for label in printed if label.startswith("TVA"))
    total = amount("Subtotal excluding VAT") + amount(vat)
    assert amount("Total") == total
    in_cash = amount("In cash")
    assert in_cash % Decimal("0.05") == 0 and abs(in_cash - total) < Decimal("0.025")
    for label in ("Total", "In cash"):  # every form of the visit states the same amounts
        for form in forms:
            assert printed[french.get(label).string] in docx_text(form.docx)


def test_verify_names_the_visit_each_document_belongs_to(workspace, tmp_path, run):
    *forms, estimate = create_patient_documents(
        workspace, visit("REJUV:FACE", "HAIR:SCALP"), output=tmp_path, issued=ISSUED
    )
    result = run("verify", *(document.docx for document in (*forms, estimate)))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("✓")]
    assert len(lines) == 5  # two forms, their two treatment records and the estimate
    assert all(line.endswith(f", of the visit of estimate {estimate.document_id}")
               for line in lines)  # fmt: skip


def test_a_form_is_for_one_named_treatment_of_the_visit(workspace, tmp_path):
    both = visit("REJUV:FACE", "HAIR:SCALP")
    assert both.planned("hair ").areas == ("SCALP",)
    with pytest.raises(ValueError, match="name which of the visit's 2 treatments"):
        both.planned()
    with pytest.raises(ValueError, match="'PAINR' is not one of the visit's treatments"):
        both.planned("PAINR")
    forms = create_patient_documents(workspace, both, kinds=("consent",), output=tmp_path)
    assert [form.document_id[:2] for form in forms] == ["C-", "R-", "C-", "R-"]  # with records
    assert [form.estimate_number for form in forms] == ["", "", "", ""]  # no quote it lacks
    for form in forms:
        assert "Q-" not in docx_text(form.docx)


def test_a_patient_of_age_on_the_documents_date_needs_no_guardian(workspace, tmp_path):
    """The check before writing took the patient's age today, not on the documents' date."""
    today = dt.date.today()
    born = today.replace(year=today.year - 18) + dt.timedelta(days=10)  # 18 in ten days
    adult = Visit.for_treatment("Ann Lee", "REJUV", ["FACE"], date_of_birth=born)
    documents = create_patient_documents(
        workspace, adult, output=tmp_path, issued=today + dt.timedelta(days=20)
    )
    assert [document.document_id[:2] for document in documents] == ["C-", "R-", "Q-"]
    with pytest.raises(PlanError, match="under 18"):
        create_patient_documents(workspace, adult, output=tmp_path / "today", issued=today)
