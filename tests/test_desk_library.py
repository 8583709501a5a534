"""The library functions the desk page stands on: warm LibreOffice, a patient's documents as a
set, the estimate preview, and problems that name the input they are about."""

from __future__ import annotations

import time

import pytest
from conftest import docx_text, pdf_text

from docgen.exceptions import (
    FieldProblem,
    OutputExistsError,
    PdfError,
    PlanError,
    WorkbookError,
)
from docgen.generate import create_patient_documents, document_locales, estimate_preview
from docgen.i18n import available_locales
from docgen.pdf import convert_to_pdf, warm_libreoffice
from docgen.pricing import load_price_list
from docgen.visit import Visit


def test_warm_libreoffice_converts_many_documents_with_one_start(workspace, tmp_path):
    with warm_libreoffice() as warm:
        assert warm
        first = create_patient_documents(
            workspace,
            Visit.for_treatment("Zoë O'Brien", "REJUV", ["FACE"]),
            output=f"{tmp_path}/",
            pdf=True,
        )
        started = time.monotonic()
        second = create_patient_documents(
            workspace,
            Visit.for_treatment("Ana Souza", "REJUV", ["NECK"]),
            locale="pt",
            output=f"{tmp_path}/",
            pdf=True,
        )
        warm_seconds = time.monotonic() - started
    assert "Zoë O'Brien" in pdf_text(first[0].pdf)
    assert [d.docx.name.split("-")[0] for d in second] == ["consent", "record", "estimate"]
    assert "Ana Souza" in pdf_text(second[1].pdf) and "Ana Souza" in pdf_text(second[-1].pdf)
    assert warm_seconds < 10  # three documents, no cold start (a cold start alone takes ~1-2 s)
    with pytest.raises(OutputExistsError), warm_libreoffice():
        convert_to_pdf([first[0].docx])


def test_warm_libreoffice_reports_a_document_it_cannot_open(tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a package")
    with warm_libreoffice(), pytest.raises(PdfError, match=r"broken\.docx"):
        convert_to_pdf([broken])
    assert not broken.with_suffix(".pdf").exists()


def test_patient_documents_share_the_quote_number(workspace, tmp_path):
    consent, record, estimate = create_patient_documents(
        workspace,
        Visit.for_treatment("Zoë O'Brien", "REJUV", ["FACE", "NECK"], date_of_birth="1990-02-03"),
        output=f"{tmp_path}/",
    )
    number = consent.estimate_number
    assert number and number == estimate.document_id == record.estimate_number
    assert number in docx_text(consent.docx) and number in docx_text(estimate.docx)
    assert record.docx.name.startswith("record-") and number in docx_text(record.docx)
    only = create_patient_documents(
        workspace,
        Visit.for_treatment("Zoë O'Brien", "REJUV", ["FACE"]),
        kinds=("estimate",),
        output=f"{tmp_path}/",
    )
    assert [d.docx.name.split("-")[0] for d in only] == ["estimate"]


def test_problems_name_the_input_they_are_about(workspace, tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    with pytest.raises(PlanError) as raised:
        create_patient_documents(
            workspace,
            Visit.for_treatment("  ", "REJUV", ["FACE", "KNEES"], 40, date_of_birth="2090-01-01"),
            output=f"{output}/",
        )
    fields = {getattr(p, "field", None): str(p) for p in raised.value.problems}
    assert set(fields) == {"patient", "dob", "area", "sessions"}
    assert fields["dob"] == "the date of birth is in the future"
    assert "KNEES" in fields["area"]
    assert all(isinstance(p, FieldProblem) for p in raised.value.problems)
    assert list(output.iterdir()) == []


def test_estimate_preview_is_what_the_estimate_prints(workspace, tmp_path):
    preview = estimate_preview(workspace, "REJUV", ["FACE", "NECK"], locale="fr")
    (estimate,) = create_patient_documents(
        workspace,
        Visit.for_treatment("Zoë", "REJUV", ["FACE", "NECK"]),
        kinds=("estimate",),
        locale="fr",
        output=f"{tmp_path}/",
    )
    text = docx_text(estimate.docx)
    assert preview["estimate"]["total"] in text
    assert "\u202f€" not in preview["estimate"]["total"]  # GBP clinic: pounds, French style
    assert [line["area"] for line in preview["lines"]] == ["Visage", "Cou"]


def test_document_locales_name_the_clinic_language_with_its_region(workspace):
    price_list = load_price_list(workspace.workbook(None))
    available = available_locales(workspace.locales_dir)  # ar, de, en, es …
    assert "en" in available and len(available) == 15
    expected = ["en_GB" if code == "en" else code for code in available]
    assert document_locales(workspace, price_list) == expected


def test_a_wrong_cell_says_what_was_found_and_expected(edit_workbook):
    path = edit_workbook({"Prices!C3": "abc"})
    with pytest.raises(WorkbookError) as raised:
        load_price_list(path)
    (problem,) = raised.value.problems
    assert (problem.sheet, problem.cell, problem.found) == ("Prices", "C3", "'abc'")
    assert problem.expected and problem.expected in str(problem)
