"""The loader on the sample workbook and on every kind of broken workbook."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import clinic_row

from docgen.exceptions import WorkbookError
from docgen.pricing import Course, Frequency, Kind, load_price_list

DESIGN_SIDE_EFFECTS = [
    "pain", "sensitivity", "nausea", "itching", "swelling", "redness", "bruising", "bumps",
    "dark patches", "infection", "rash", "scar",
]  # fmt: skip


def problems_of(path: Path) -> list[str]:
    with pytest.raises(WorkbookError) as raised:
        load_price_list(path)
    return [str(p) for p in raised.value.problems]


def only_problem(path: Path) -> str:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# --- the sample ----------------------------------------------------------------------------------


def test_sample_clinic_settings(price_list):
    clinic = price_list.clinic
    assert clinic.name == "Lumière Aesthetic Clinic"
    assert clinic.currency == "GBP"
    assert clinic.locale == "en_GB"
    assert clinic.vat_rates == {Kind.COSMETIC: Decimal(20), Kind.THERAPEUTIC: Decimal(0)}
    assert clinic.prices_include_vat is True
    assert clinic.quote_validity_days == 30
    assert clinic.deposit_percent == Decimal(20)
    assert clinic.consultation_fee == Decimal("50.00")


def test_sample_catalogue_is_complete(price_list):
    assert len(price_list.treatments) >= 8
    assert len(price_list.areas) >= 10
    assert len(price_list.prices) >= 30
    assert sum(1 for p in price_list.prices.values() if p.course) >= 30
    assert price_list.treatments["PAINR"].kind is Kind.THERAPEUTIC
    names = " ".join(r.name.lower() for r in price_list.risks.values())
    for side_effect in DESIGN_SIDE_EFFECTS:
        assert side_effect in names, side_effect
    assert {r.frequency for r in price_list.risks.values()} == set(Frequency)
    for treatment in price_list.treatments.values():
        assert set(treatment.risk_codes) <= set(price_list.risks)


def test_money_is_decimal_and_courses_are_computed(price_list):
    eyes = price_list.prices[("REJUV", "EYES")]
    assert eyes.per_session == Decimal("162.50")
    assert isinstance(eyes.per_session, Decimal)
    # 4 sessions at 162.50 with 10 % off
    assert eyes.course == Course(4, Decimal("585.00"))
    assert price_list.prices[("REJUV", "FACE")].course == Course(6, Decimal("1250.00"))
    assert price_list.prices[("TIGHT", "KNEES")].course is None


def test_checksum_is_the_files_sha256(price_list, sample_workbook):
    import hashlib

    assert price_list.checksum == hashlib.sha256(sample_workbook.read_bytes()).hexdigest()


def test_headers_are_found_in_any_order_and_case(edit_workbook):
    def shuffle(wb):
        ws = wb["Areas"]
        ws["A1"], ws["B1"] = "NAME", "  code "
        for row in ws.iter_rows(min_row=2):
            row[0].value, row[1].value = row[1].value, row[0].value
        ws["C1"] = "Notes for staff"  # extra columns are ignored
        ws["C2"] = "anything"

    loaded = load_price_list(edit_workbook(change=shuffle))
    assert loaded.areas["FACE"].name == "Face"


# --- broken workbooks: each names the cell ------------------------------------------------------


def test_missing_sheet(edit_workbook):
    path = edit_workbook(change=lambda wb: wb.remove(wb["Risks"]))
    assert "missing sheet 'Risks'" in only_problem(path)


def test_missing_column(edit_workbook):
    path = edit_workbook({"Prices!C1": "Cost"})
    problem = only_problem(path)
    assert "Prices" in problem and "missing column 'price per session'" in problem


def test_empty_required_cell(edit_workbook):
    path = edit_workbook({"Treatments!B4": None})
    assert only_problem(path) == "edited.xlsx, Treatments!B4: is empty, expected a value"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "two hundred",
            "found 'two hundred', expected a number written with a decimal point, such as 250.50",
        ),
        # a decimal comma is refused, never read as a thousands separator (12,50 ≠ 1250)
        ("12,50", "found '12,50', expected a number written with a decimal point, such as 250.50"),
        (1e30, "found 1e+30, expected a number below 1,000,000,000"),
        (-5, "found -5, expected an amount of zero or more"),
        (250.125, "found 250.125, expected an amount with at most 2 decimal places"),
    ],
)
def test_bad_price(edit_workbook, value, expected):
    path = edit_workbook({"Prices!C7": value})
    assert only_problem(path) == f"edited.xlsx, Prices!C7: {expected}"


def test_unknown_currency(edit_workbook):
    path = edit_workbook({"Clinic!B7": "GBX"})
    problem = only_problem(path)
    assert problem.startswith("edited.xlsx, Clinic!B7: found 'GBX', expected an ISO 4217")


def test_zero_decimal_currency_rejects_pence(edit_workbook):
    path = edit_workbook({"Clinic!B7": "JPY", "Prices!C6": 162.5})
    assert "Prices!C6: found 162.5, expected an amount with at most 0 decimal places" in (
        only_problem(path)
    )


def test_price_row_naming_unknown_treatment_and_area(edit_workbook):
    path = edit_workbook({"Prices!A9": "BOTOX", "Prices!B10": "EARS"})
    problems = problems_of(path)
    assert len(problems) == 2
    assert problems[0].startswith("edited.xlsx, Prices!A9: found 'BOTOX', expected a code from")
    assert problems[1].startswith("edited.xlsx, Prices!B10: found 'EARS', expected a code from")


def test_duplicate_treatment_and_area(edit_workbook):
    path = edit_workbook({"Prices!A3": "REJUV", "Prices!B3": "FACE"})
    assert only_problem(path) == (
        "edited.xlsx, Prices!A3: duplicate price row for REJUV / FACE (first defined in row 2)"
    )


def test_sessions_min_above_max(edit_workbook):
    path = edit_workbook({"Treatments!E2": 8, "Treatments!F2": 4})
    assert only_problem(path) == (
        "edited.xlsx, Treatments!F2: found 4, expected at least sessions min (8)"
    )


def test_course_of_zero_sessions(edit_workbook):
    path = edit_workbook({"Prices!D2": 0})
    assert only_problem(path) == (
        "edited.xlsx, Prices!D2: found 0, expected a whole number from 1 to 100"
    )


def test_course_dearer_than_single_sessions(edit_workbook):
    path = edit_workbook({"Prices!E2": 2000})
    assert "Prices!E2: found 2000, expected a course price no higher than 6 sessions" in (
        only_problem(path)
    )


def test_formula_without_cached_value(edit_workbook):
    # openpyxl writes formulas without a computed result, as a script or a web export would
    path = edit_workbook({"Prices!C5": "=C4*1.1"})
    problem = only_problem(path)
    assert problem.startswith("edited.xlsx, Prices!C5: formula =C4*1.1 has no saved value")


def test_unknown_risk_code(edit_workbook):
    path = edit_workbook({"Treatments!J3": "PAIN, HEADACHE"})
    assert only_problem(path).startswith(
        "edited.xlsx, Treatments!J3: found 'PAIN, HEADACHE', expected risk codes from the Risks "
        "sheet (unknown: HEADACHE;"
    )


def test_treatment_without_risks(edit_workbook):
    path = edit_workbook({"Treatments!J3": " , "})
    assert only_problem(path) == (
        "edited.xlsx, Treatments!J3: found ' , ', expected at least one risk code from the "
        "Risks sheet"
    )
    path = edit_workbook({"Treatments!J4": None})
    assert only_problem(path) == "edited.xlsx, Treatments!J4: is empty, expected a value"


def test_unknown_contraindication_code(edit_workbook):
    path = edit_workbook({"Treatments!K5": "DIABETES, GOUT"})
    assert only_problem(path).startswith(
        "edited.xlsx, Treatments!K5: found 'DIABETES, GOUT', expected contraindication codes "
        "from the Contraindications sheet (unknown: GOUT;"
    )


def test_standard_contraindications_come_first(price_list):
    lipo = price_list.treatments["LIPO"]
    codes = [c.code for c in price_list.contraindications_for(lipo)]
    assert codes[:7] == ["PREG", "BREAST", "ANTICOAG", "ALLERGY", "AUTOIMM", "SKININF", "KELOID"]
    assert codes[7:] == ["DIABETES", "LIVER", "HEART", "CANCER"]


def test_bad_frequency_band(edit_workbook):
    path = edit_workbook({"Risks!D5": "sometimes"})
    assert only_problem(path).startswith(
        "edited.xlsx, Risks!D5: found 'sometimes', expected one of"
    )


def test_every_problem_is_reported_at_once(edit_workbook):
    path = edit_workbook(
        {"Clinic!B7": "XYZ", "Treatments!B4": None, "Prices!C7": "abc", "Risks!D5": "often"}
    )
    problems = problems_of(path)
    cells = [p.split(": ")[0] for p in problems]
    assert cells == [
        "edited.xlsx, Clinic!B7",
        "edited.xlsx, Risks!D5",
        "edited.xlsx, Treatments!B4",
        "edited.xlsx, Prices!C7",
    ]


def test_vat_rate_as_formatted_percentage(edit_workbook):
    def percent(wb):
        row = clinic_row(wb, "VAT cosmetic")
        wb["Clinic"].cell(row=row, column=2, value=0.2).number_format = "0%"

    assert load_price_list(edit_workbook(change=percent)).clinic.vat_rates[Kind.COSMETIC] == 20


@pytest.mark.parametrize("label", ['0.0"%"', "0.0\\%"])
def test_a_percent_sign_written_into_a_format_is_a_label_not_a_percentage(edit_workbook, label):
    """A cell showing 0.5% with the % typed into its format ('0.0"%"') holds 0.5: it was read
    as 50 %, and every estimate and the price sheet silently took half a course off."""

    def labelled(wb):
        row = clinic_row(wb, "VAT cosmetic")
        wb["Clinic"].cell(row=row, column=2, value=20).number_format = label

    assert load_price_list(edit_workbook(change=labelled)).clinic.vat_rates[Kind.COSMETIC] == 20


def test_not_a_workbook(tmp_path):
    path = tmp_path / "prices.xlsx"
    path.write_text("name,price\nface,250\n")
    problem = only_problem(path)
    assert problem.startswith("prices.xlsx: is not an Excel workbook (.xlsx) that can be opened")


def test_truncated_workbook(tmp_path, sample_workbook):
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(sample_workbook.read_bytes()[:3000])
    assert "is not an Excel workbook" in only_problem(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "is not an Excel workbook" in only_problem(path)


def test_sample_workbook_is_pleasant_to_edit(sample_workbook):
    import openpyxl

    workbook = openpyxl.load_workbook(sample_workbook)
    assert workbook.sheetnames == [
        "Clinic", "Treatments", "Areas", "Prices", "Products", "Risks", "Contraindications",
        "Practitioners",
    ]  # fmt: skip
    for sheet in workbook:
        assert sheet.freeze_panes == "A2", sheet.title
        header = sheet[1]
        assert all(cell.font.bold for cell in header if cell.value), sheet.title
        assert header[0].fill.fgColor.rgb.endswith("1F5F5B"), sheet.title
        assert all(sheet.column_dimensions[cell.column_letter].width >= 10 for cell in header), (
            sheet.title
        )


def test_vat_with_decimal_comma_is_refused(edit_workbook):
    path = edit_workbook({"Clinic!B9": "8,1"})
    assert only_problem(path).startswith("edited.xlsx, Clinic!B9: found '8,1', expected a number")


def test_duplicate_column(edit_workbook):
    path = edit_workbook({"Prices!G1": "Price per session", "Prices!G2": 1})
    assert only_problem(path) == (
        "edited.xlsx, Prices!G1: a second 'price per session' column (the first is C1); "
        "keep only one"
    )


def test_duplicate_clinic_setting(edit_workbook):
    path = edit_workbook({"Clinic!A30": "Currency", "Clinic!B30": "EUR"})
    assert only_problem(path) == (
        "edited.xlsx, Clinic!A30: a second 'currency' setting (the first is A7); keep one"
    )


def test_a_misnamed_setting_is_a_problem_not_a_silence(edit_workbook):
    """'Consultation fee' renamed 'Frais de consultation' made the fee vanish from every
    estimate while check said the workspace was ready."""
    path = edit_workbook(
        {"Clinic!A14": "Frais de consultation", "Clinic!A30": "Arrondi 0.05", "Clinic!B30": "oui"}
    )
    with pytest.raises(WorkbookError) as raised:
        load_price_list(path)
    problems = [str(p) for p in raised.value.problems]
    assert problems == [
        "edited.xlsx, Clinic!A14: unknown setting 'Frais de consultation'; the closest docgen "
        "knows is 'Consultation fee'",
        "edited.xlsx, Clinic!A30: unknown setting 'Arrondi 0.05'; the closest docgen knows is "
        "'Tax rounding'",
    ]


def test_clinic_formula_without_cached_value(edit_workbook):
    path = edit_workbook({"Clinic!B14": "=25*2"})
    assert only_problem(path).startswith(
        "edited.xlsx, Clinic!B14: formula =25*2 has no saved value"
    )


def test_blank_consultation_fee_is_none(edit_workbook):
    assert load_price_list(edit_workbook({"Clinic!B14": None})).clinic.consultation_fee is None


def test_sheet_with_no_rows(edit_workbook):
    path = edit_workbook(change=lambda wb: wb["Prices"].delete_rows(2, 100))
    assert (
        only_problem(path) == "edited.xlsx, sheet 'Prices': has a header row but no rows below it"
    )


def test_course_longer_than_the_treatment_allows(edit_workbook):
    path = edit_workbook({"Prices!D2": 12, "Prices!E2": 2000})
    assert only_problem(path) == (
        "edited.xlsx, Prices!D2: found 12, expected a course of at most 6 sessions, the most "
        "REJUV allows (Treatments sheet, sessions max)"
    )


def test_broken_sheet_layout_is_one_problem_not_dozens(edit_workbook):
    path = edit_workbook(change=lambda wb: wb["Areas"].insert_rows(1))  # a title row above
    problems = problems_of(path)
    assert len(problems) == 2, problems
    assert all("sheet 'Areas': missing column" in p for p in problems)


def test_damaged_xml_inside_the_workbook(tmp_path, sample_workbook):
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(sample_workbook) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert "damaged.xlsx: is not an Excel workbook" in only_problem(path)


def test_a_cosmetic_treatment_needs_what_the_evidence_shows(edit_workbook):
    """Column N is Evidence: required for a cosmetic treatment (row 2, REJUV), not for a
    therapeutic one (row 10, PAINR)."""
    path = edit_workbook({"Treatments!N2": None, "Treatments!N10": None})
    assert only_problem(path) == "edited.xlsx, Treatments!N2: is empty, expected a value"
    path = edit_workbook(change=lambda wb: wb["Treatments"].delete_cols(14))
    assert only_problem(path) == (
        "edited.xlsx, sheet 'Treatments': missing column 'evidence' in the header row: a "
        "cosmetic treatment's consent form says what the evidence shows and how long results last"
    )


def test_products_are_read_and_each_wrong_cell_named(edit_workbook, price_list):
    """Column O of Treatments names products (codes of the Products sheet)."""
    assert price_list.treatments["LIPO"].product_codes == ("DCA", "PPC")
    lipolysis = price_list.products["DCA"]
    assert (lipolysis.name, lipolysis.licensing) == ("Lipo-DC", "off-label")

    def wrong(wb):
        wb["Treatments"]["O3"] = "VITA, BOTOX"
        wb["Products"]["D2"] = "approved"
        wb["Products"]["A4"] = "VITA"

    with pytest.raises(WorkbookError) as refused:
        load_price_list(edit_workbook(change=wrong))
    problems = str(refused.value)
    assert (
        "Products!D2: found 'approved', expected one of 'licensed for this use', 'off-label', "
        "'unlicensed', 'medical device'"
    ) in problems
    assert "Products!A4: duplicate product 'VITA' (first defined in row 3)" in problems
    assert "Treatments!O3: found 'VITA, BOTOX', expected product codes from the Products sheet" in (
        problems
    )


def test_cells_merged_across_rows_are_refused(edit_workbook):
    """Course sessions and discount merged over NECK and DECO: the sheet showed them on both
    rows, docgen read them on the first only, and check said ready."""

    def merged(wb):
        wb["Prices"].merge_cells("D3:D4")

    refused = only_problem(edit_workbook(change=merged))
    assert "sheet 'Prices': cells D3:D4 are merged" in refused
    assert "unmerge them and type the value in each row" in refused


def test_a_percentage_whose_format_has_conditions_is_refused(edit_workbook):
    def conditional(wb):
        row = clinic_row(wb, "VAT cosmetic")
        wb["Clinic"].cell(row=row, column=2, value=0.5).number_format = "[<1]0.0;0.0%"

    refused = only_problem(edit_workbook(change=conditional))
    assert "expected a percentage in a format without conditions" in refused
