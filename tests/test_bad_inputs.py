"""Every file in tests/data/bad/ is refused through the real command line: a clear error of one
paragraph naming the problem, no traceback, a non-zero exit, and no document written."""

from __future__ import annotations

import csv
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import clinic_row, finished_within

from docgen.cli import main
from docgen.exceptions import TemplateError, WorkbookError
from docgen.generate import create_consent
from docgen.i18n import load_translations, parse_locale
from docgen.limits import EXCEL_ROWS
from docgen.pricing import load_price_list
from docgen.translation_workbook import export_translations, import_translations
from docgen.visit import Visit

BAD = Path(__file__).resolve().parent / "data" / "bad"

WORKBOOKS = {
    "not-a-zip.xlsx": "london.xlsx: is not an Excel workbook (.xlsx) that can be opened",
    "empty.xlsx": "london.xlsx: is not an Excel workbook (.xlsx) that can be opened",
    "truncated.xlsx": "london.xlsx: is not an Excel workbook (.xlsx) that can be opened",
    "zip-not-workbook.xlsx": "london.xlsx: is not an Excel workbook (.xlsx) that can be opened",
    "entity-bomb.xlsx": "london.xlsx: is not an Excel workbook (.xlsx) that can be opened",
    "wrong-sheets.xlsx": "missing sheet 'Prices' (sheets found: Clinic, Treatments, Areas,",
    "merged-header.xlsx": "london.xlsx, sheet 'Prices': missing column 'area' in the header row",
    "formula-no-cache.xlsx": "london.xlsx, Prices!C5: formula =C4*1.1 has no saved value",
    "text-in-price.xlsx": "london.xlsx, Prices!C7: found 'two hundred', expected a number",
    "date-as-text.xlsx": "london.xlsx, Clinic!B15: found 'next Monday', expected a date",
    "hidden-sheet.xlsx": "london.xlsx, sheet 'Prices': is hidden in the workbook",
    "negative-price.xlsx": "london.xlsx, Prices!C3: found -180, expected an amount of zero",
    "unknown-currency.xlsx": "london.xlsx, Clinic!B7: found 'POUNDS', expected an ISO 4217",
    "duplicate-rows.xlsx": "london.xlsx, Prices!A3: duplicate price row for REJUV / FACE",
}
TEMPLATES = {
    "not-a-docx.docx": "template consent.docx: is not a Word document (.docx)",
    "unbalanced-tags.docx": "template consent.docx: has a broken tag",
    "split-braces.docx": "template consent.docx: has a broken tag",
    "unknown-variable.docx": "template consent.docx: uses a value docgen does not provide",
    "reach-python-class.docx": "template consent.docx: tried something unsafe and was stopped",
    "reach-python-globals.docx": "template consent.docx: tried something unsafe and was stopped",
    "endless-loop.docx": "loops run over more than 100000 items",
    "huge-text.docx": "tried something unsafe and was stopped: the template builds a text",
}
APPOINTMENTS = {
    "empty.csv": "empty.csv is empty: expected a header row and one row per patient",
    "header-only.csv": "header-only.csv has a header row but no appointments",
    "missing-columns.csv": "missing-columns.csv: missing column(s) patient, areas",
    "missing-columns.xlsx": "missing-columns.xlsx: missing column(s) treatment",
    "latin-1.csv": "latin-1.csv is not UTF-8 text",
    "binary.csv": "binary.csv is not UTF-8 text",
    "not-a-workbook.xlsx": "is neither a .csv file nor an Excel workbook that can be opened",
}


def test_the_corpus_is_complete():
    found = {path.name for path in BAD.rglob("*") if path.is_file()}
    assert found == set(WORKBOOKS) | set(TEMPLATES) | set(APPOINTMENTS)
    assert len(found) >= 25


def assert_refused(result, expected: str, output: Path) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert expected in message, message
    assert "\n\n" not in message  # one paragraph
    assert not any(output.rglob("*.docx")) if output.exists() else True


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    return invoke


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_bad_workbook(run, workspace, tmp_path, name):
    shutil.copy(BAD / "workbooks" / name, workspace.pricing_dir / "london.xlsx")
    out = tmp_path / "out"
    result = run("--workspace", workspace.root, "estimate", "--patient", "A",
                 "--item", "REJUV:FACE", "-o", out / "e.docx")  # fmt: skip
    assert_refused(result, WORKBOOKS[name], out)


def test_workbook_with_100000_rows(run, workspace, tmp_path):
    sample = workspace.pricing_dir / "london.xlsx"
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>T{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>FACE</t></is></c><c r="C{n}"><v>250</v></c></row>'
        for n in range(2, 100_002)
    )
    huge = tmp_path / "huge.xlsx"
    with (
        zipfile.ZipFile(sample) as original,
        zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/worksheets/sheet4.xml":  # Prices
                data = data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
            copy.writestr(item, data)
    shutil.copy(huge, sample)
    out = tmp_path / "out"
    result = run("--workspace", workspace.root, "estimate", "--patient", "A",
                 "--item", "REJUV:FACE", "-o", out / "e.docx")  # fmt: skip
    assert_refused(result, "far more than a price list holds", out)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_bad_template(run, workspace, tmp_path, name):
    shutil.copy(BAD / "templates" / name, workspace.template("consent.docx"))
    out = tmp_path / "out"
    result = run("--workspace", workspace.root, "consent", "--patient", "A",
                 "--treatment", "REJUV", "--area", "FACE", "-o", out / "c.docx")  # fmt: skip
    assert_refused(result, TEMPLATES[name], out)
    check = run("--workspace", workspace.root, "check")
    assert check.exit_code == 1 and "consent.docx" in check.output


@pytest.mark.parametrize("name", sorted(APPOINTMENTS))
def test_bad_appointments(run, tmp_path, name):
    out = tmp_path / "out"
    result = run("batch", BAD / "appointments" / name, "-o", out)
    assert_refused(result, APPOINTMENTS[name], out)
    assert not out.exists()


def test_template_that_unpacks_to_gigabytes(run, workspace, tmp_path):
    bomb = workspace.template("consent.docx")
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/padding.bin", b"\0" * 60_000_000)  # 60 MB of zeros: ~60 kB
        unpacked = sum(member.file_size for member in package.infolist())
    out = tmp_path / "out"
    result = run("--workspace", workspace.root, "consent", "--patient", "A",
                 "--treatment", "REJUV", "--area", "FACE", "-o", out / "c.docx")  # fmt: skip
    expected = f"consent.docx: unpacks to {unpacked / 1e6:.0f} MB, far more than a Word template"
    assert_refused(result, expected, out)


def test_the_desk_does_not_unpack_a_workbook_bomb_to_find_its_language(workspace, tmp_path):
    """The page's language is read from the Clinic sheet even of a workbook with wrong cells,
    but not from one that unpacks to far more than a price list: load_price_list refuses it."""
    from docgen.limits import MAX_WORKBOOK_BYTES
    from docgen.pricing import read_clinic_locale

    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(workspace.workbook().read_bytes())
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/media/padding.bin", b"\0" * (MAX_WORKBOOK_BYTES + 1_000_000))
    assert read_clinic_locale(workspace.workbook()) == "en_GB"
    assert read_clinic_locale(bomb) is None


def test_appointments_file_far_too_large(run, tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("w") as handle:
        handle.write("Patient,Treatment,Areas\n")
        handle.write("Ann Lee,REJUV,FACE\n" * 3_000_000)  # 57 MB
    result = run("batch", huge, "-o", tmp_path / "out")
    assert_refused(
        result, "huge.csv is 57 MB, far more than a list of appointments holds", tmp_path
    )


PRINTS_A_MEGABYTE_100000_TIMES = (
    "{% set s = 'x' * 999999 %}{% for i in range(100000) %}{{ s }}{% endfor %}"
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("{{ 1/0 }}", "failed while being filled in: ZeroDivisionError"),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "RecursionError"),
        ("{{ 'x'|center(300000000) }}", "the center filter is not available"),
        ("{{ '{:1000000000}'.format(1) }}", "str.format filter is not available"),
        ("{{ ((10**64)**64)**64 }}", "raises a number to too high a power"),
        ("{{ '%999999999s' % 'x' }}", "builds a text far too long"),
        ("{{ [0]|slice(1000000000)|list }}", "the slice filter is not available"),
        ("{{ [0]|batch(100000000, 0)|list }}", "the batch filter is not available"),
        ("{% for i in range(100) %}{{ 'x' * 999999 }}{% endfor %}", "far too long"),
        ("{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d('x') }}", "a text far too long"),
        ("{{ ('x' * 1000)|replace('x', 'y' * 900000) }}", "builds a text far too long"),
        # what a probe built past those bounds: a precision, a width from the values, + and ~
        # doubling a text, replacing the empty text, a loop printing, a number squared on
        ("{{ ('%.900000000d' % 1)|length }}", "builds a text far too long"),
        ("{{ ('%*d' % (900000000, 1))|length }}", "a width taken from its values"),
        ("{% set s = 'x' %}" + "{% set s = s + s %}" * 27 + "{{ s|length }}", "far too long"),
        ("{% set s = 'x' %}" + "{% set s = s ~ s %}" * 27 + "{{ s|length }}", "far too long"),
        ("{% set s = [1] %}" + "{% set s = s + s %}" * 27 + "{{ s|length }}", "far too long"),
        ("{{ 'ab'|replace('', 'y' * 900000)|length }}", "builds a text far too long"),
        (PRINTS_A_MEGABYTE_100000_TIMES, "writes a document far too long"),
        ("{% set n = 3 %}" + "{% set n = n * n %}" * 24 + "{{ n > 1 }}", "numbers far too large"),
        # and what a review built past those: a text's own methods, a list changed in place, a
        # format of several widths or a bracketed key, a join
        ("{{ 'a'.ljust(2000000)|length }}", "a text or number far too large"),
        ("{% set l = [] %}{{ l.append(1) }}", "attribute 'append' of 'list' object is unsafe"),
        ("{{ (('%600000s' * 3) % ((1,) * 3))|length }}", "builds a text far too long"),
        ("{{ ('%((a))2000000s' % {'(a)': 1})|length }}", "builds a text far too long"),
        ("{{ ('x' * 999999)|list|join('yy')|length }}", "builds a text far too long"),
    ],
)
def test_template_mistakes_are_template_errors(run, workspace, tmp_path, tag, expected):
    from test_documents import replace_in_template

    replace_in_template(workspace.template("consent.docx"), "{{ patient.name }}", tag)
    result = run("--workspace", workspace.root, "consent", "--patient", "A",
                 "--treatment", "REJUV", "--area", "FACE",
                 "-o", tmp_path / "out" / "c.docx")  # fmt: skip
    assert_refused(result, expected, tmp_path / "out")
    assert "template consent.docx" in result.output


def test_a_template_that_runs_too_long_is_stopped(run, workspace, tmp_path, monkeypatch):
    from test_documents import replace_in_template

    import docgen.render

    monkeypatch.setattr(docgen.render, "RENDER_SECONDS", 1)
    loops = "{% set s = 'x' * 999999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    replace_in_template(workspace.template("consent.docx"), "{{ patient.name }}", loops)
    result = run("--workspace", workspace.root, "consent", "--patient", "A",
                 "--treatment", "REJUV", "--area", "FACE",
                 "-o", tmp_path / "out" / "c.docx")  # fmt: skip
    assert_refused(result, "took more than 1 s to fill in and was stopped", tmp_path / "out")


@pytest.mark.parametrize(
    "endless",
    [
        "{% set s = 'x' * 999999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{{ ('x' * 100000)|select('in', [0] * 100000)|list|length }}",  # in a filter
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    ],
)
def test_a_template_that_runs_too_long_is_stopped_in_any_thread(
    workspace, tmp_path, monkeypatch, endless
):
    """The desk page renders in its server's threads, which no signal reaches: the time limit
    is checked at the template's loops and calls."""
    from test_documents import replace_in_template

    import docgen.render

    monkeypatch.setattr(docgen.render, "RENDER_SECONDS", 1)
    replace_in_template(workspace.template("consent.docx"), "{{ patient.name }}", endless)
    outcome = {}

    def make_form() -> None:
        started = time.monotonic()
        try:
            create_consent(
                workspace, Visit.for_treatment("A", "REJUV", ["FACE"]), output=tmp_path / "c.docx"
            )
        except TemplateError as error:
            outcome["error"], outcome["seconds"] = str(error), time.monotonic() - started

    thread = threading.Thread(target=make_form, daemon=True)  # never outlives a failed test
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the render was not stopped"
    assert "took more than 1 s to fill in and was stopped" in outcome["error"]
    assert outcome["seconds"] < 5
    assert not (tmp_path / "c.docx").exists()


def test_appointments_without_header_do_not_leak_patient_data(run, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("Jane Secret,1986-04-12,LUM-1,en_GB,REJUV,FACE\n")
    result = run("batch", path, "-o", tmp_path / "out")
    assert_refused(result, "missing column(s)", tmp_path)
    assert "secret" not in result.output.lower() and "1986" not in result.output


@pytest.mark.parametrize(
    ("dob", "sessions", "reason"),
    [
        ("１９８５-０６-１５", "", "not a date written as YYYY-MM-DD"),  # full-width digits
        ("١٩٨٥-٠٦-١٥", "", "not a date written as YYYY-MM-DD"),  # Arabic-Indic digits
        ("1985-06-15", "٣", "'٣' is not a whole number"),  # Arabic-Indic three
        ("1985-06-15", "３", "'３' is not a whole number"),  # full-width three
    ],
)
def test_digits_other_than_0_to_9_are_refused_with_the_right_reason(
    run, workspace, tmp_path, dob, sessions, reason
):
    """A date or a number typed in another script's digits is refused, saying what is wrong
    (a full-width date was once called 'not a day of the calendar')."""
    appointments = tmp_path / "day.csv"
    appointments.write_text(
        f"Patient,DOB,Treatment,Areas,Sessions\nAnn Lee,{dob},REJUV,FACE,{sessions}\n",
        encoding="utf-8",
    )
    result = run("--workspace", workspace.root, "batch", appointments, "-o", tmp_path / "out")
    assert result.exit_code == 1 and reason in result.output
    assert "day of the calendar" not in result.output


FAR_ROW = 100_000_000


def move_last_row_far_down(path: Path, sheet_index: int, to: int = FAR_ROW) -> None:
    """Give the last row of a workbook's sheet (as openpyxl wrote it) the number to, as a
    hand-edited 2 kB file can: nothing lies between it and the rows above."""
    member = f"xl/worksheets/sheet{sheet_index + 1}.xml"
    with zipfile.ZipFile(path) as package:
        members = {item: package.read(item) for item in package.infolist()}
    for item in members:
        if item.filename == member:
            xml = members[item].decode()
            last = max(map(int, re.findall(r'<row r="(\d+)"', xml)))
            xml = xml.replace(f'<row r="{last}"', f'<row r="{to}"')
            xml = re.sub(rf'( r="[A-Z]+){last}"', rf'\g<1>{to}"', xml)
            members[item] = re.sub(r'<dimension ref="[^"]*"/>', "", xml).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for item, data in members.items():
            package.writestr(item, data)


def test_a_row_far_down_an_appointments_workbook_is_read_as_the_row_it_is(run, tmp_path):
    """A 2 kB workbook with its second patient in row 100,000,000 took 74 s: the rows that
    exist are read, and that patient's documents are made and said to come from that row."""
    book = openpyxl.Workbook()
    book.active.append(["Patient", "Treatment", "Areas"])
    book.active.append(["Ann Lee", "REJUV", "FACE"])
    book.active.append(["Bob Roe", "HAIR", "SCALP"])
    appointments = tmp_path / "far.xlsx"
    book.save(appointments)
    move_last_row_far_down(appointments, 0)
    with finished_within(20):
        result = run("batch", appointments, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "manifest.csv").open(newline="") as handle:
        made = {(row["row"], row["patient"], row["document"]) for row in csv.DictReader(handle)}
    assert made == {
        ("2", "Ann Lee", "consent"), ("2", "Ann Lee", "treatment_record"),
        ("2", "Ann Lee", "estimate"), (str(FAR_ROW), "Bob Roe", "consent"),
        (str(FAR_ROW), "Bob Roe", "treatment_record"), (str(FAR_ROW), "Bob Roe", "estimate"),
    }  # fmt: skip


def test_a_price_far_down_the_prices_sheet_is_read_and_named_by_its_row(edit_workbook):
    """The sheets are read by the rows that exist: a price in Excel's last row is read, and
    named by it; a row past it, which no spreadsheet saves, is refused, not a traceback."""
    path = edit_workbook(name="last.xlsx")
    expected = load_price_list(path).prices
    sheet_index = openpyxl.load_workbook(path).sheetnames.index("Prices")
    move_last_row_far_down(path, sheet_index, EXCEL_ROWS)
    with finished_within(20):
        assert load_price_list(path).prices == expected
    wrong = edit_workbook(change=lambda wb: wb["Prices"].cell(wb["Prices"].max_row, 3, "abc"))
    move_last_row_far_down(wrong, sheet_index, EXCEL_ROWS)
    with finished_within(20), pytest.raises(WorkbookError) as refused:
        load_price_list(wrong)
    assert f"Prices!C{EXCEL_ROWS}: found 'abc'" in str(refused.value)

    move_last_row_far_down(path, sheet_index)
    with finished_within(20), pytest.raises(WorkbookError) as refused:
        load_price_list(path)
    assert (
        f"last.xlsx, sheet 'Prices': has a row numbered {FAR_ROW}, past the last row a "
        f"workbook can have ({EXCEL_ROWS})"
    ) in str(refused.value)


def test_a_translation_far_down_its_workbook_is_imported(geneva, tmp_path):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Translations"]
    last = sheet.max_row
    assert not sheet.cell(last, 5).value  # a text without plural forms
    source = sheet.cell(last, 4).value
    sheet.cell(last, 8).value = "Übersetzt ganz unten"  # the Translation column
    book.save(path)
    move_last_row_far_down(path, book.sheetnames.index("Translations"))
    with finished_within(20):
        import_translations(geneva, path)
    german = load_translations(geneva.locales_dir, parse_locale("de_CH"))
    assert german.gettext(source) == "Übersetzt ganz unten"


@pytest.mark.parametrize(
    ("setting", "cells"),
    [
        ("Phone", {"Treatments!B2": "\u202eSkin rejuvenation"}),
        ("Version", {"Risks!B2": "Pain\u2066 at the injection sites", "Areas!B3": "Neck\u2069"}),
    ],
)
def test_a_workbook_text_that_would_print_reversed_or_hidden_is_refused(
    edit_workbook, setting, cells
):
    """An override at the start of the Clinic's phone printed '1230 6497 02 44+' on every form,
    and the price list's version backwards in every footer; `check` said nothing."""

    def plant(wb) -> None:
        row = clinic_row(wb, setting)
        wb["Clinic"].cell(row, 2, "\u202e" + str(wb["Clinic"].cell(row, 2).value))
        for address, text in cells.items():
            sheet, cell = address.split("!")
            wb[sheet][cell] = text

    path = edit_workbook(change=plant)
    with pytest.raises(WorkbookError) as refused:
        load_price_list(path)
    said = str(refused.value)
    row = clinic_row(openpyxl.load_workbook(path), setting)
    for address, text in {f"Clinic!B{row}": "\u202e", **cells}.items():
        code = next(f"U+{ord(c):04X}" for c in text if c in "\u202e\u2066\u2069")
        assert f"edited.xlsx, {address}: holds the invisible control character {code}" in said
