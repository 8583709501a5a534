"""docgen batch: every good row made, every bad row named, a manifest that matches the files,
and a second run that changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import docx
import openpyxl
import pytest
from babel import Locale
from click.testing import CliRunner
from conftest import clinic_row, docx_paragraphs, docx_text, pdf_text
from test_consent import table_rows

from docgen.appointments import read_appointments
from docgen.batch import run_batch
from docgen.cli import main
from docgen.exceptions import BatchError
from docgen.i18n import MESSAGES, load_translations
from docgen.manifest import read_manifest
from docgen.register import Register
from docgen.render import document_properties
from docgen.verify import issued_id
from docgen.workspace import Workspace

SAMPLE = Path(__file__).resolve().parent.parent / "appointments" / "example.csv"


def sample_rows() -> tuple[list[str], list[list[str]]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


@pytest.fixture
def fifty(tmp_path) -> Path:
    """50 appointments from the sample, each with its own reference; rows 13 and 40 are bad."""
    header, rows = sample_rows()
    many = []
    for index in range(50):
        row = list(rows[index % len(rows)])
        row[2] = f"REF-{index:03d}"
        many.append(row)
    many[11][5] = "FACE, EARS"  # file row 13: an unknown area
    many[38][1] = "1990-02-30"  # file row 40: a date that does not exist
    return write_csv(tmp_path / "tomorrow.csv", header, many)


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_fifty_rows_with_two_bad_ones(fifty, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["batch", str(fifty), "-o", "out", "--jobs", "2"])
    assert result.exit_code == 1
    assert "✗ 2 row(s) failed:" in result.output
    # each row names the cell its problem is in
    assert "row 13: cell F13: LIPO:" in result.output and "unknown area 'EARS'" in result.output
    assert "row 40: cell B40: the date of birth is not a day of the calendar: check its" in (
        result.output
    )
    _header, rows = sample_rows()
    kinds_per_row = [[kind.strip() for kind in r[9].split(",")] for r in rows]
    # a consent form comes with its treatment record
    documents_per_row = [len(kinds) + ("consent" in kinds) for kinds in kinds_per_row]
    made_rows = [i % len(rows) for i in range(50) if i not in (11, 38)]
    expected = sum(documents_per_row[i] for i in made_rows)
    assert f"{expected} document(s) made" in result.output

    records = manifest(tmp_path / "out")
    assert len(records) == expected
    forms = {r["row"] for r in records if r["document"] == "consent"}
    assert len(forms) == sum("consent" in kinds_per_row[i] for i in made_rows)
    assert {r["row"] for r in records if r["document"] == "treatment_record"} == forms
    assert {r["row"] for r in records}.isdisjoint({"13", "40"})
    for record in records:
        path = tmp_path / "out" / record["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
        assert record["patient_ref"].startswith("REF-")
        assert len(record["template_sha256"]) == len(record["price_list_sha256"]) == 64
    # the patient's name is in the document, exactly
    first = next(r for r in records if r["row"] == "2" and r["document"] == "consent")
    assert "Amélie Laurent-O'Brien" in docx_paragraphs(tmp_path / "out" / first["path"])
    arabic = next(r for r in records if r["locale"] == "ar")
    assert arabic["path"].startswith("REF-002-ليلى-حداد/")

    again = CliRunner().invoke(main, ["batch", str(fifty), "-o", "out", "--jobs", "2"])
    assert f"0 document(s) made, {expected} unchanged and skipped" in again.output
    assert manifest(tmp_path / "out") == records


def test_changed_row_is_out_of_date_until_force_and_its_previous_version_is_kept(tmp_path):
    header, rows = sample_rows()
    appointments = write_csv(tmp_path / "a.csv", header, rows[:2])
    workspace = Workspace.open()
    out = tmp_path / "out"
    first = run_batch(workspace, appointments, out, jobs=1)
    assert first.ok and first.made == 6
    jeanne = out / "LUM-004128-Jeanne-Martin"
    assert sorted(path.name for path in jeanne.iterdir()) == [
        "consent.docx", "estimate.docx", "record.docx"
    ]  # fmt: skip
    issued = {path.name: path.read_bytes() for path in jeanne.iterdir()}
    old_ids = {n: docx.Document(str(jeanne / n)).core_properties.identifier for n in issued}
    rows[1][6] = "4"  # Jeanne Martin now has 4 sessions
    write_csv(appointments, header, rows[:2])
    second = run_batch(workspace, appointments, out, jobs=1)
    assert second.ok and not second.failures  # out of date is not a failure
    assert [f.row for f in second.out_of_date] == [3, 3, 3]  # form, record and estimate
    assert second.out_of_date[0].reason == (
        "LUM-004128-Jeanne-Martin/consent.docx is out of date: it was made from other details "
        "of this row (or other translations), and would print differently now; --force makes "
        "it again and keeps this one in superseded/"
    )
    assert (second.made, second.skipped) == (0, 3)
    assert {path.name: path.read_bytes() for path in jeanne.iterdir()} == issued
    unchanged = out / "LUM-004127-Amélie-Laurent-O-Brien"
    before = {path.name: path.read_bytes() for path in unchanged.iterdir()}
    forced = run_batch(workspace, appointments, out, jobs=1, force=True)
    # only the changed row is made again; the other keeps its documents and quote number
    assert forced.ok and (forced.made, forced.skipped) == (3, 3)
    assert {path.name: path.read_bytes() for path in unchanged.iterdir()} == before
    text = "\n".join(docx_paragraphs(jeanne / "consent.docx"))
    assert "4" in text
    number = next(p for p in docx_paragraphs(jeanne / "estimate.docx") if p.startswith("Q-"))
    assert number in text and number != old_ids["estimate.docx"]  # the form cites the new one
    for name, data in issued.items():  # the previous versions, byte for byte, by their ids
        kept = jeanne / "superseded" / f"{Path(name).stem}-{old_ids[name]}.docx"
        assert kept.read_bytes() == data
    replaced = {d.path: d.replaces for d in read_manifest(out) if d.replaces}
    assert replaced == {
        "LUM-004128-Jeanne-Martin/consent.docx": old_ids["consent.docx"],
        "LUM-004128-Jeanne-Martin/record.docx": old_ids["record.docx"],
        "LUM-004128-Jeanne-Martin/estimate.docx": old_ids["estimate.docx"],
    }
    listed = {d.path for d in read_manifest(out)}
    assert f"LUM-004128-Jeanne-Martin/superseded/consent-{old_ids['consent.docx']}.docx" in listed
    assert f"LUM-004128-Jeanne-Martin/superseded/record-{old_ids['record.docx']}.docx" in listed
    assert number in "\n".join(docx_paragraphs(jeanne / "record.docx"))  # and so does its record
    result = CliRunner().invoke(main, ["verify", str(jeanne / "consent.docx")])
    assert result.exit_code == 0, result.output


def test_pdf_batch_makes_one_pdf_per_document(tmp_path):
    result = run_batch(Workspace.open(), SAMPLE, tmp_path / "out", jobs=2, pdf=True)
    assert result.ok
    assert len(result.pdfs) == result.made == 26  # 9 consent forms, 9 records, 8 estimates
    assert sum(d.document == "treatment_record" for d in result.documents()) == 9
    _header, rows = sample_rows()
    for document in result.documents():
        pdf = (tmp_path / "out" / document.path).with_suffix(".pdf")
        patient = rows[document.row - 2][0]
        assert pdf.read_bytes().startswith(b"%PDF")
        assert patient in pdf_text(pdf), (patient, pdf)


def test_xlsx_and_csv_read_the_same(tmp_path):
    from_xlsx, _ = read_appointments(SAMPLE.with_suffix(".xlsx"))
    from_csv, _ = read_appointments(SAMPLE)
    assert from_xlsx == from_csv
    assert from_csv[2].areas == ("FACE",) and from_csv[1].sessions == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"Name,Treatment\nAnn,REJUV\n", "missing column(s) patient, areas"),
        ("Patient,Treatment,Areas\nZoë,REJUV,FACE\n".encode("latin-1"), "is not UTF-8 text"),
        (b"Patient,Treatment,Areas\n", "has a header row but no appointments"),
    ],
)
def test_unusable_appointment_files(tmp_path, content, message):
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(BatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_appointments(path)
    result = CliRunner().invoke(main, ["batch", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "out").exists()


def test_rows_with_malformed_cells(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        ["Patient", "Treatment", "Areas", "Sessions", "Documents"],
        [["Ann", "REJUV", "FACE", "six", ""], ["Bob", "REJUV", "FACE", "", "invoice"]],
    )
    appointments, failures = read_appointments(path)
    assert appointments == []
    assert failures[0].row == 2 and "sessions 'six' is not a whole number" in failures[0].reason
    assert failures[1].row == 3 and "documents invoice unknown" in failures[1].reason


def test_the_same_treatment_twice_in_a_visit_refuses_the_visit(tmp_path):
    header, rows = sample_rows()
    path = write_csv(tmp_path / "a.csv", header, [rows[0], rows[0]])
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1)
    treatment = rows[0][header.index("Treatment")]
    column = "ABCDEFGHIJ"[header.index("Treatment")]
    assert [(f.row, f.reason) for f in result.failures] == [
        (2, "not made: this patient's visit has a row that cannot be made (row 3)"),
        (3, f"cell {column}3: {treatment} is already in this patient's visit (row 2): give all "
            "of its areas in one row"),
    ]  # fmt: skip
    assert result.made == 0


def test_a_failed_rerun_does_not_forget_documents(tmp_path, workspace, edit_workbook):
    header, rows = sample_rows()
    appointments = write_csv(tmp_path / "a.csv", header, rows[:3])
    original = workspace.pricing_dir / "london.xlsx"
    saved = tmp_path / "saved.xlsx"
    saved.write_bytes(original.read_bytes())
    assert run_batch(workspace, appointments, tmp_path / "out", jobs=1).made == 9
    original.write_bytes(edit_workbook({"Prices!C2": 251}).read_bytes())  # a price changes
    changed = run_batch(workspace, appointments, tmp_path / "out", jobs=1)
    # REJUV on the face: Amélie's estimate alone prints it (her form prints the course price)
    assert changed.ok and (changed.made, changed.skipped) == (0, 8)  # no record prints prices
    assert [stale.row for stale in changed.out_of_date] == [2]
    assert "is out of date: it was made from an earlier version of london.xlsx" in (
        changed.out_of_date[0].reason
    )  # what changed, so that the admin knows --force is what they want
    assert len(read_manifest(tmp_path / "out")) == 9  # the documents on disk stay listed
    original.write_bytes(saved.read_bytes())  # the price is put back
    again = run_batch(workspace, appointments, tmp_path / "out", jobs=1)
    assert again.ok and (again.made, again.skipped) == (0, 9)


def test_a_document_edited_after_the_batch_is_kept_back_and_said_so(tmp_path):
    header, rows = sample_rows()
    appointments = write_csv(tmp_path / "a.csv", header, rows[:1])
    assert run_batch(Workspace.open(), appointments, tmp_path / "out", jobs=1).ok
    form = tmp_path / "out" / "LUM-004127-Amélie-Laurent-O-Brien" / "consent.docx"
    edited = docx.Document(form)
    edited.add_paragraph("Signed on paper, see scan.")
    edited.save(form)
    again = run_batch(Workspace.open(), appointments, tmp_path / "out", jobs=1)
    (failure,) = again.failures
    assert failure.reason.endswith("consent.docx already exists and was changed after docgen "
                                   "made it; --force replaces it")  # fmt: skip
    assert "Signed on paper" in "\n".join(docx_paragraphs(form))


def test_documents_of_an_interrupted_run_are_recognised(tmp_path):
    first = run_batch(Workspace.open(), SAMPLE, tmp_path / "out", jobs=2)
    assert first.made == 26
    (tmp_path / "out" / "manifest.csv").unlink()  # as if the run stopped before writing it
    again = run_batch(Workspace.open(), SAMPLE, tmp_path / "out", jobs=2)
    assert again.ok and (again.made, again.skipped) == (0, 26)
    listed = read_manifest(tmp_path / "out")
    assert len(listed) == 26 and sum(d.document == "treatment_record" for d in listed) == 9


def test_rows_without_reference_keep_their_folder(tmp_path):
    header = ["Patient", "DOB", "Treatment", "Areas", "Documents"]
    ann = ["Ann Lee", "1980-01-01", "REJUV", "FACE", "consent"]
    bob = ["Bob Ray", "", "REJUV", "FACE", "consent"]
    path = write_csv(tmp_path / "a.csv", header, [ann, bob])
    assert run_batch(Workspace.open(), path, tmp_path / "out", jobs=1).made == 4
    for folder in ("1980-01-01-Ann-Lee", "Bob-Ray"):
        assert (tmp_path / "out" / folder / "consent.docx").is_file()
        assert (tmp_path / "out" / folder / "record.docx").is_file()
    carl = ["Carl Sun", "", "REJUV", "FACE", "consent"]
    write_csv(path, header, [carl, ann, bob, bob])  # a row inserted above, a row copied
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1)
    assert (result.made, result.skipped) == (2, 2)  # Carl's form and record; Ann's kept
    assert (tmp_path / "out" / "Carl-Sun" / "record.docx").is_file()
    assert [f.row for f in result.failures] == [4, 5]  # Bob's visit names REJUV twice
    assert (tmp_path / "out" / "Bob-Ray" / "consent.docx").is_file()  # the last run's, kept
    assert (tmp_path / "out" / "Bob-Ray" / "record.docx").is_file()


def test_a_pdf_left_without_its_docx_is_not_replaced(tmp_path):
    header, rows = sample_rows()
    path = write_csv(tmp_path / "a.csv", header, rows[:1])
    assert run_batch(Workspace.open(), path, tmp_path / "out", jobs=1, pdf=True).ok
    folder = tmp_path / "out" / "LUM-004127-Amélie-Laurent-O-Brien"
    (folder / "consent.docx").unlink()
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1, pdf=True)
    assert "consent.pdf already exists without its .docx" in result.failures[0].reason
    assert not (folder / "consent.docx").exists()


def test_a_document_is_never_left_beside_a_pdf_it_does_not_match(tmp_path):
    """The admin would print the old form; and a PDF there may be the signed copy, which
    docgen never removes. Made again without --pdf, a form's previous PDF goes to superseded/
    with its .docx."""
    header, rows = sample_rows()
    path = write_csv(tmp_path / "a.csv", header, rows[:2])
    out = tmp_path / "out"
    assert run_batch(Workspace.open(), path, out, jobs=1, pdf=True).ok
    folder = out / "LUM-004127-Amélie-Laurent-O-Brien"
    signed = (folder / "consent.pdf").read_bytes()
    form_id = docx.Document(str(folder / "consent.docx")).core_properties.identifier
    record_pdf = (folder / "record.pdf").read_bytes()
    record_id = docx.Document(str(folder / "record.docx")).core_properties.identifier
    rows[0][6] = rows[1][6] = "4"  # both rows changed: --force makes them again
    write_csv(path, header, rows[:2])
    result = run_batch(Workspace.open(), path, out, jobs=1, force=True)  # no --pdf
    assert result.ok and result.made == 6
    assert not (folder / "consent.pdf").exists()  # no PDF of the old form beside the new one
    assert (folder / "superseded" / f"consent-{form_id}.pdf").read_bytes() == signed
    assert not (folder / "record.pdf").exists()  # nor of the old treatment record
    assert (folder / "superseded" / f"record-{record_id}.pdf").read_bytes() == record_pdf
    again = run_batch(Workspace.open(), path, out, jobs=1, pdf=True)
    assert again.ok and again.made == 0 and len(again.pdfs) == 6
    (folder / "consent.docx").unlink()  # a PDF without its .docx
    result = run_batch(Workspace.open(), path, out, jobs=1)  # without --pdf too
    assert "consent.pdf is there and would not match" in result.failures[0].reason


def test_single_column_file_and_unwritable_output(tmp_path):
    single = tmp_path / "one.csv"
    single.write_text("Patient\nAnn\n")
    result = CliRunner().invoke(main, ["batch", str(single), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "missing column(s) treatment, areas" in result.output
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["batch", str(SAMPLE), "-o", str(tmp_path / "file" / "o")])
    assert result.exit_code == 1 and "cannot write to" in result.output
    assert "Traceback" not in result.output


def test_minors_need_allow_minor(tmp_path):
    header = ["Patient", "DOB", "Treatment", "Areas", "Documents", "Allow minor"]
    rows = [
        ["Teen One", "2010-05-01", "PAINR", "KNEES", "consent", ""],
        ["Teen Two", "2010-06-01", "PAINR", "KNEES", "consent", "yes"],
        ["Teen Three", "2010-07-01", "PAINR", "KNEES", "consent", "perhaps"],
    ]
    path = write_csv(tmp_path / "a.csv", header, rows)
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1, issued=dt.date(2026, 3, 2))
    assert result.made == 2  # Teen Two's consent form and treatment record
    assert sorted(p.name for p in (tmp_path / "out" / "2010-06-01-Teen-Two").iterdir()) == [
        "consent.docx", "record.docx"
    ]  # fmt: skip
    reasons = {f.row: f.reason for f in result.failures}
    assert "--allow-minor" in reasons[2] and "'perhaps' is not yes or no" in reasons[4]
    form = tmp_path / "out" / "2010-06-01-Teen-Two" / "consent.docx"
    assert "Parent or guardian" in docx_paragraphs(form)


def test_a_pasted_run_of_digits_as_sessions_fails_its_row_only(tmp_path):
    header, rows = sample_rows()
    rows = [list(rows[0]), list(rows[1])]
    rows[1][6] = "9" * 5000  # more digits than Python converts to a number
    path = write_csv(tmp_path / "tomorrow.csv", header, rows)
    appointments, failures = read_appointments(path)
    assert [a.row for a in appointments] == [2]
    (failure,) = failures
    assert failure.row == 3 and failure.reason.startswith("cell G3: sessions '999")


def test_row_problems_come_back_from_the_workers_translatable(workspace, tmp_path):
    """A worker sends a row's problems back as they were raised, so that the desk page can
    show them in the clinic's language; the CLI joins them in English."""
    appointments = tmp_path / "day.csv"
    appointments.write_text(
        "Patient,DOB,Treatment,Areas,Sessions,Documents\n"
        "Ana Souza,2090-01-01,REJUV,FACE,4,consent\n"
        "Hans Müller,1975-07-08,REJUV,FACE,lots,invoice\n",
        encoding="utf-8",
    )
    result = run_batch(workspace, appointments, tmp_path / "out", jobs=2)
    planned, read = result.failures
    assert planned.reason == "cell B2: the date of birth is in the future"
    assert read.reason == (
        "cell E3: sessions 'lots' is not a whole number from 1 to 9999; "
        "cell F3: documents invoice unknown; use consent and/or estimate"
    )
    german = load_translations(workspace.locales_dir, Locale.parse("de"), (MESSAGES,))
    assert [p.translated(german.gettext) for p in planned.problems + read.problems] == [
        german.gettext("cell %(cell)s: %(problem)s")
        % {"cell": "B2", "problem": "das Geburtsdatum liegt in der Zukunft"},
        "Zelle E3: die Anzahl der Sitzungen „lots“ ist keine ganze Zahl von 1 bis 9999",
        "Zelle F3: Dokumente invoice unbekannt; verwenden Sie consent und/oder estimate",
    ]


def test_a_consent_form_alone_cites_no_quote(tmp_path):
    header = ["Patient", "Ref", "Treatment", "Areas", "Documents"]
    rows = [["Ann Lee", "A-1", "REJUV", "FACE", "consent"],
            ["Bo Chen", "A-2", "REJUV", "FACE", "consent, estimate"]]  # fmt: skip
    appointments = write_csv(tmp_path / "day.csv", header, rows)
    result = run_batch(Workspace.open(), appointments, tmp_path / "out", jobs=1)
    assert result.ok
    made = {(d.row, d.document): tmp_path / "out" / d.path for d in result.documents()}
    assert "(estimate Q-" not in "\n".join(docx_paragraphs(made[2, "consent"]))
    number = next(
        p for p in docx_paragraphs(made[3, "estimate"]) if p.startswith("Q-")
    )  # the estimate's number, as printed in its header table
    assert f"(estimate {number}," in "\n".join(docx_paragraphs(made[3, "consent"]))


VISIT_HEADER = ["Patient", "Ref", "DOB", "Treatment", "Areas", "Sessions", "Documents"]


def test_rows_of_one_patient_in_any_order_are_one_visit(tmp_path):
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE, NECK", "", ""],
        ["Bob Ray", "P-2", "1970-01-01", "REJUV", "FACE", "", "consent, estimate"],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCALP", "4", ""],
    ])  # fmt: skip
    progress: list[int] = []
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1, progress=progress.append)
    assert result.ok and result.made == 8 and sum(progress) == 3
    ann = tmp_path / "out" / "P-1-Ann-Lee"
    assert sorted(p.name for p in ann.iterdir()) == [
        "consent-HAIR.docx", "consent-REJUV.docx", "estimate.docx", "record-HAIR.docx",
        "record-REJUV.docx",
    ]  # fmt: skip
    estimate = docx.Document(str(ann / "estimate.docx"))
    number = estimate.core_properties.identifier
    areas = [row.cells[1].text for row in estimate.tables[1].rows[1:]]
    assert areas == ["Face", "Neck", "Scalp"]  # one estimate, one deposit, for the visit
    for form in ("consent-REJUV.docx", "consent-HAIR.docx"):
        text = "\n".join(docx_paragraphs(ann / form))
        assert f"(estimate {number}," in text
    for record in ("record-REJUV.docx", "record-HAIR.docx"):
        assert f"Estimate number {number}" in docx_text(ann / record)
    visits = {(d.path, d.row, d.visit) for d in read_manifest(tmp_path / "out")}
    assert visits == {
        ("P-1-Ann-Lee/consent-REJUV.docx", 2, "P-1-Ann-Lee"),
        ("P-1-Ann-Lee/record-REJUV.docx", 2, "P-1-Ann-Lee"),
        ("P-1-Ann-Lee/consent-HAIR.docx", 4, "P-1-Ann-Lee"),
        ("P-1-Ann-Lee/record-HAIR.docx", 4, "P-1-Ann-Lee"),
        ("P-1-Ann-Lee/estimate.docx", 2, "P-1-Ann-Lee"),
        ("P-2-Bob-Ray/consent.docx", 3, "P-2-Bob-Ray"),
        ("P-2-Bob-Ray/record.docx", 3, "P-2-Bob-Ray"),
        ("P-2-Bob-Ray/estimate.docx", 3, "P-2-Bob-Ray"),
    }


def test_a_visit_with_a_bad_row_is_refused_whole_naming_the_row(tmp_path):
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCLAP", "", ""],
        ["Bob Ray", "P-2", "1970-01-01", "REJUV", "FACE", "", ""],
        ["Ann Lee", "P-1", "1985-06-15", "LIPO", "ABDO", "six", ""],
    ])  # fmt: skip
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1)
    reasons = {f.row: f.reason for f in result.failures}
    assert sorted(reasons) == [2, 3, 5]
    assert "sessions 'six' is not a whole number" in reasons[5]
    assert reasons[2] == "not made: this patient's visit has a row that cannot be made (row 5)"
    assert result.made == 3 and not (tmp_path / "out" / "P-1-Ann-Lee").exists()  # Bob's 3
    assert sorted(p.name for p in (tmp_path / "out" / "P-2-Bob-Ray").iterdir()) == [
        "consent.docx", "estimate.docx", "record.docx"
    ]  # fmt: skip
    fixed = write_csv(tmp_path / "fixed.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCLAP", "", ""],
    ])  # fmt: skip
    refused = run_batch(Workspace.open(), fixed, tmp_path / "out2", jobs=1)
    reasons = {f.row: f.reason for f in refused.failures}
    assert "unknown area 'SCLAP'" in reasons[3] and "(row 3)" in reasons[2]


def test_force_remakes_only_the_visit_that_changed(tmp_path):
    rows = [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCALP", "", ""],
        ["Bob Ray", "P-2", "1970-01-01", "REJUV", "FACE", "", ""],
    ]
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, rows)
    out = tmp_path / "out"
    assert run_batch(Workspace.open(), path, out, jobs=1, issued=dt.date(2026, 3, 2)).ok
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.docx")}
    rows[1][5] = "4"  # Ann's scalp: 4 sessions instead of the course
    write_csv(path, VISIT_HEADER, rows)
    kept_back = run_batch(Workspace.open(), path, out, jobs=1, issued=dt.date(2026, 3, 2))
    # the estimate and both forms (the visit's cost table), and the scalp's treatment record
    assert kept_back.ok and sorted(f.row for f in kept_back.out_of_date) == [2, 2, 3, 3]
    remade = run_batch(Workspace.open(), path, out, jobs=1, force=True,
                       issued=dt.date(2026, 3, 2))  # fmt: skip
    assert remade.ok and (remade.made, remade.skipped) == (5, 3)  # Ann's visit, all 5
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.docx")}
    for document, data in before.items():
        assert (after[document] == data) == document.parts[0].startswith("P-2"), document


def cited_estimates(folder: Path) -> set[str]:
    """The estimate numbers the forms and records in a patient's folder print."""
    return {document_properties(p)["docgen.visit"] for p in folder.glob("[cr]*.docx")}


def test_a_visit_whose_plan_changed_is_made_again_whole_or_not_at_all(geneva, tmp_path):
    """A treatment dropped from a visit: `--date … --force` made the estimate again, then
    refused the forms (their ids came from the row alone), which kept citing the old total
    beside it. Now nothing changes without --force; with it the whole visit is made again,
    every form cites the new estimate, and the earlier documents are kept in superseded/."""
    day, out = tmp_path / "day.csv", tmp_path / "out"
    rows = [
        ["Anne Rochat", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Anne Rochat", "P-1", "1985-06-15", "HAIR", "SCALP", "", ""],
        ["Bob Favre", "P-2", "1970-01-01", "REJUV", "FACE", "", ""],
    ]
    march = dt.date(2026, 3, 2)
    assert run_batch(geneva, write_csv(day, VISIT_HEADER, rows), out, jobs=1, issued=march).ok
    anne = out / next(d.visit for d in read_manifest(out) if d.patient == "Anne Rochat")
    before = {p: p.read_bytes() for p in out.rglob("*.docx")}
    first_estimate = issued_id(anne / "estimate.docx")

    write_csv(day, VISIT_HEADER, [rows[0], rows[2]])  # the scalp is no longer planned
    kept_back = run_batch(geneva, day, out, jobs=1, issued=march)
    assert kept_back.made == 0 and [f.row for f in kept_back.out_of_date] == [2]
    assert "made for another plan of this visit" in kept_back.out_of_date[0].problems[0]
    assert {p: p.read_bytes() for p in out.rglob("*.docx")} == before

    remade = run_batch(geneva, day, out, jobs=1, issued=march, force=True)
    assert remade.ok and remade.made == 3 and remade.failures == []
    assert sorted(p.name for p in anne.glob("*.docx")) == ["consent.docx", "estimate.docx",
                                                            "record.docx"]  # fmt: skip
    estimate = issued_id(anne / "estimate.docx")
    assert estimate != first_estimate and cited_estimates(anne) == {estimate}
    kept = sorted(p.name.split("-")[0] for p in (anne / "superseded").glob("*.docx"))
    assert kept == ["consent", "consent", "estimate", "record", "record"]
    register = Register.of(geneva)
    earlier_consent = next((anne / "superseded").glob("consent-REJUV-*.docx"))
    replaced_by = register.get(issued_id(earlier_consent)).replaced_by
    assert replaced_by == issued_id(anne / "consent.docx")
    listed = {d.path for d in read_manifest(out)}
    assert {p.relative_to(out).as_posix() for p in anne.rglob("*.docx")} <= listed
    bob = [p for p in before if "P-2" in p.parent.name]
    assert all(p.read_bytes() == before[p] for p in bob)
    # the scalp's form, no longer of the visit, is no longer current: its plan replaced it
    scalp_form = next((anne / "superseded").glob("consent-HAIR-*.docx"))
    assert register.get(issued_id(scalp_form)).replaced_by == estimate

    # made again unchanged: every document the manifest lists is the file there, byte for byte
    unchanged = run_batch(geneva, day, out, jobs=1, issued=march)
    assert unchanged.made == 0 and unchanged.skipped == 6  # Anne's 3 and Bob's 3
    for document in read_manifest(out):
        assert document.sha256 == hashlib.sha256((out / document.path).read_bytes()).hexdigest()


def test_a_visit_whose_estimate_is_missing_is_made_again_whole(geneva, tmp_path):
    """Without --date the estimate's number is random and issued: it cannot be made again
    alone. Said plainly without --force; with it the visit is made again, every form citing the
    new estimate."""
    rows = [
        ["Anne Rochat", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Anne Rochat", "P-1", "1985-06-15", "HAIR", "SCALP", "", ""],
    ]
    day, out = write_csv(tmp_path / "day.csv", VISIT_HEADER, rows), tmp_path / "out"
    assert run_batch(geneva, day, out, jobs=1).ok
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    (folder / "estimate.docx").unlink()
    kept_back = run_batch(geneva, day, out, jobs=1)
    assert kept_back.made == 0 and kept_back.failures == []
    assert "its estimate.docx is missing" in kept_back.out_of_date[0].problems[0]
    remade = run_batch(geneva, day, out, jobs=1, force=True)
    assert remade.ok and remade.made == 5
    assert cited_estimates(folder) == {issued_id(folder / "estimate.docx")}


def test_a_document_missing_from_a_visit_is_made_again_citing_its_estimate(geneva, tmp_path):
    """Without --date an estimate's number is random: the form made again for a visit whose
    estimate is there cites that estimate, not a new number no document carries."""
    rows = [
        ["Anne Rochat", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Anne Rochat", "P-1", "1985-06-15", "HAIR", "SCALP", "", ""],
    ]
    day, out = write_csv(tmp_path / "day.csv", VISIT_HEADER, rows), tmp_path / "out"
    assert run_batch(geneva, day, out, jobs=1).ok
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    (folder / "consent-HAIR.docx").unlink()
    again = run_batch(geneva, day, out, jobs=1)
    assert again.ok and (again.made, again.skipped) == (1, 4)
    estimate = issued_id(folder / "estimate.docx")
    assert cited_estimates(folder) == {estimate}
    assert estimate in docx_text(folder / "consent-HAIR.docx")


PATIENTS_HEADER = ["Patient", "Ref", "DOB", "Treatment", "Areas", "Documents"]


def estimate_areas(path: Path) -> list[str]:
    return [row.cells[1].text for row in docx.Document(str(path)).tables[1].rows[1:]]


def test_patients_whose_names_differ_only_in_punctuation_are_never_one_visit(tmp_path):
    """Grouped by the patient as typed, never by the folder name punctuation folds into: each
    gets a folder of their own, an estimate of their own treatment, and a form that names it."""
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, [
        ["Anne-Marie Dupont", "LUM-0041", "1980-01-01", "REJUV", "FACE", ""],
        ["Anne Marie Dupont", "LUM-0041", "1975-05-05", "HAIR", "SCALP", ""],
        ["ann lee", "P-7", "", "REJUV", "NECK", "consent"],
        ["Ann Lee", "P-7", "", "REJUV", "FACE", "consent"],
    ])  # fmt: skip
    out = tmp_path / "out"
    result = run_batch(Workspace.open(), path, out, jobs=1)
    assert result.ok and result.made == 10
    by_row = {d.row: d for d in read_manifest(out) if d.document != "treatment_record"}
    folders = {row: document.visit for row, document in by_row.items()}
    assert len(set(folders.values())) == 4  # four patients, four folders
    assert {by_row[2].patient, by_row[3].patient} == {"Anne-Marie Dupont", "Anne Marie Dupont"}
    for row, area in ((2, "Face"), (3, "Scalp")):
        folder = out / folders[row]
        assert sorted(p.name for p in folder.iterdir()) == [
            "consent.docx", "estimate.docx", "record.docx"
        ]  # fmt: skip
        assert by_row[row].patient in docx_text(folder / "record.docx")
        assert estimate_areas(folder / "estimate.docx") == [area]
        text = "\n".join(docx_paragraphs(folder / "consent.docx"))
        assert by_row[row].patient in text
    assert "Hair" not in "\n".join(docx_paragraphs(out / folders[2] / "consent.docx"))
    # the same patients in another order: the same folders, nothing made again
    write_csv(path, PATIENTS_HEADER, [
        ["Ann Lee", "P-7", "", "REJUV", "FACE", "consent"],
        ["Anne Marie Dupont", "LUM-0041", "1975-05-05", "HAIR", "SCALP", ""],
        ["ann lee", "P-7", "", "REJUV", "NECK", "consent"],
        ["Anne-Marie Dupont", "LUM-0041", "1980-01-01", "REJUV", "FACE", ""],
    ])  # fmt: skip
    again = run_batch(Workspace.open(), path, out, jobs=1)
    assert again.ok and (again.made, again.skipped) == (0, 10)
    moved = {(d.patient, d.visit) for d in read_manifest(out)}
    assert moved == {(d.patient, d.visit) for d in by_row.values()}


def test_a_patient_of_a_later_batch_never_gets_an_earlier_patients_folder(tmp_path):
    out = tmp_path / "out"
    monday = write_csv(tmp_path / "monday.csv", PATIENTS_HEADER, [
        ["Anne-Marie Dupont", "LUM-0041", "", "REJUV", "FACE", ""],
    ])  # fmt: skip
    assert run_batch(Workspace.open(), monday, out, jobs=1).made == 3
    assert (out / "LUM-0041-Anne-Marie-Dupont" / "estimate.docx").is_file()
    before = {p: p.read_bytes() for p in (out / "LUM-0041-Anne-Marie-Dupont").iterdir()}
    tuesday = write_csv(tmp_path / "tuesday.csv", PATIENTS_HEADER, [
        ["Anne Marie Dupont", "LUM-0041", "", "HAIR", "SCALP", ""],
    ])  # fmt: skip
    result = run_batch(Workspace.open(), tuesday, out, jobs=1, force=True)
    assert result.ok and result.made == 3
    assert {p: p.read_bytes() for p in (out / "LUM-0041-Anne-Marie-Dupont").iterdir()} == before
    (theirs,) = {d.visit for d in read_manifest(out) if d.patient == "Anne Marie Dupont"}
    assert theirs.startswith("LUM-0041-Anne-Marie-Dupont-")
    assert estimate_areas(out / theirs / "estimate.docx") == ["Scalp"]


def test_one_reference_with_two_dates_of_birth_is_refused(tmp_path):
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", ""],
        ["Ann Lee", "P-1", "1985-15-06", "HAIR", "SCALP", ""],
    ])  # fmt: skip
    result = run_batch(Workspace.open(), path, tmp_path / "out", jobs=1)
    reasons = {f.row: f.reason for f in result.failures}
    assert "another date of birth" in reasons[3] and "(row 3)" in reasons[2]
    assert result.made == 0


def test_a_swiss_batch_keeps_references_that_differ_in_punctuation_apart(geneva, tmp_path):
    path = write_csv(tmp_path / "jour.csv", PATIENTS_HEADER, [
        ["Anne-Marie Dupont", "LUM/0041", "1980-01-01", "REJUV", "FACE", "estimate"],
        ["Anne-Marie Dupont", "LUM-0041", "1980-01-01", "REJUV", "NECK", "estimate"],
    ])  # fmt: skip
    out = tmp_path / "sortie"
    result = run_batch(geneva, path, out, jobs=1)
    assert result.ok and result.made == 2
    by_row = {d.row: d for d in read_manifest(out)}
    assert by_row[2].visit != by_row[3].visit
    assert (by_row[2].patient_ref, by_row[3].patient_ref) == ("LUM/0041", "LUM-0041")
    assert estimate_areas(out / by_row[2].path) == ["Visage"]
    assert estimate_areas(out / by_row[3].path) == ["Cou"]


@pytest.mark.parametrize("clinic", ["london", "geneva"])
def test_a_change_no_document_prints_leaves_every_document_as_it_was(
    request, tmp_path, workspace, clinic
):
    """A price nobody in the batch is given, and a new price-list version: every document
    stays byte for byte, with its number; none is out of date."""
    workspace = request.getfixturevalue("geneva") if clinic == "geneva" else workspace
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCALP", "4", ""],
        ["Zoë Brun", "P-2", "1970-01-01", "REJUV", "NECK", "", ""],
    ])  # fmt: skip
    out = tmp_path / "out"
    assert run_batch(workspace, path, out, jobs=1).made == 8  # 3 forms, 3 records, 2 estimates
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.docx")}
    assert sum(path.name.startswith("record") for path in before) == 3
    workbook = openpyxl.load_workbook(workspace.workbook())
    prices = workbook["Prices"]
    deco = next(row for row in prices.iter_rows(min_row=2) if row[1].value == "DECO")
    deco[2].value += 10  # REJUV on the décolleté: in no visit
    workbook["Clinic"][f"B{clinic_row(workbook, 'Version')}"] = "2027.1"
    workbook.save(workspace.workbook())
    again = run_batch(workspace, path, out, jobs=1)
    assert again.ok and not again.out_of_date and (again.made, again.skipped) == (0, 8)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.docx")} == before
    assert not list(out.rglob("superseded"))


def test_a_line_break_typed_in_a_name_or_ref_refuses_its_row(tmp_path):
    """A Ref of 'A\\rB' was written raw into manifest.csv, and every re-run then failed; a
    line break in a name split it on the form. Such a row is refused, naming the field; the
    others are made, and a re-run reads back the manifest."""
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, [
        ["Ann Lee", "A\rB", "", "REJUV", "FACE", "consent"],
        ["Bob\nRay", "C-1", "", "REJUV", "FACE", "consent"],
        ["Cy Roe", "C-2", "", "REJUV", "FACE", "consent"],
    ])  # fmt: skip
    out = tmp_path / "out"
    result = run_batch(Workspace.open(), path, out, jobs=1)
    assert result.made == 2
    reasons = {failure.row: failure.reason for failure in result.failures}
    said = "cell B2: the patient reference holds an invisible control character (U+000D)"
    assert said in reasons[2]
    assert "cell A3: the patient's name holds an invisible control character (U+000A)" in reasons[3]
    assert {(d.patient, d.patient_ref) for d in read_manifest(out)} == {("Cy Roe", "C-2")}
    again = run_batch(Workspace.open(), path, out, jobs=1)
    assert (again.made, again.skipped) == (0, 2)


def test_a_second_batch_into_the_same_folder_is_refused_naming_the_first(tmp_path):
    """Two batches at once into one folder: the second tracebacked and the first's manifest
    listed only the second's documents."""
    rows = [[f"Patient {n}", f"R-{n:04d}", "", "REJUV", "FACE", "consent"] for n in range(300)]
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, rows)
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "docgen", "batch", str(path), "-o", str(out), "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lock = out / ".docgen-batch.lock"
    deadline = time.monotonic() + 60
    while f"process {first.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    with pytest.raises(BatchError, match=rf"another batch is writing to .*\(process {first.pid} "):
        run_batch(Workspace.open(), path, out, jobs=1)
    assert first.wait(timeout=300) == 0, first.stdout.read()
    assert len(read_manifest(out)) == 600  # the first's, whole: 300 forms and their records
    again = run_batch(Workspace.open(), path, out, jobs=1)  # the lock went with the first
    assert again.ok and again.skipped == 600


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_linked_patient_folder_is_refused_and_nothing_is_written_or_removed_there(run, tmp_path):
    """Issue 23 item 15: a patient's folder that is a symbolic link to another folder had the
    batch write that patient's documents there, and its cleanup removed a file there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".docgen-notes.docx").write_bytes(b"not docgen's")
    (elsewhere / "notes.txt").write_text("kept")
    before = _snapshot(elsewhere)
    out = tmp_path / "out"
    out.mkdir()
    (out / "P-1-Ann-Lee").symlink_to(elsewhere, target_is_directory=True)
    rows = [["Ann Lee", "P-1", "", "REJUV", "FACE", "consent"],
            ["Bob Ray", "P-2", "", "REJUV", "FACE", "consent"]]  # fmt: skip
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, rows)
    result = run("batch", path, "-o", out, "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert f"{out / 'P-1-Ann-Lee'} is a symbolic link" in result.output
    assert _snapshot(elsewhere) == before
    assert (out / "P-2-Bob-Ray" / "consent.docx").is_file()  # the other patient is made


@pytest.mark.parametrize("name", ["manifest.csv", ".manifest.csv.partial", ".docgen-batch.lock"])
def test_a_linked_manifest_or_lock_is_refused_and_its_target_kept(run, tmp_path, name):
    """Issue 23 item 15: docgen's own files in the output folder are opened without following
    a link; the lock and the manifest being written truncated the file a link named."""
    target = tmp_path / "precious.txt"
    target.write_text("the clinic's own file")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(target)
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, [["Ann Lee", "P-1", "", "REJUV",
                                                             "FACE", "consent"]])  # fmt: skip
    result = run("batch", path, "-o", out, "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert f"{out / name} is a symbolic link" in result.output
    assert "Traceback" not in result.output
    assert target.read_text() == "the clinic's own file"


def test_a_linked_superseded_folder_is_refused_and_the_document_stays(run, tmp_path):
    """Issue 23 item 15: --force moved the previous version through a linked superseded/
    into the folder it named."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = write_csv(tmp_path / "day.csv", PATIENTS_HEADER, [["Ann Lee", "P-1", "", "REJUV",
                                                             "FACE", "consent"]])  # fmt: skip
    out = tmp_path / "out"
    assert run("batch", path, "-o", out, "--jobs", "1").exit_code == 0
    folder = out / "P-1-Ann-Lee"
    made = (folder / "consent.docx").read_bytes()
    (folder / "superseded").symlink_to(elsewhere, target_is_directory=True)
    (folder / "consent.docx").write_bytes(made + b" ")  # edited: --force makes it again
    result = run("batch", path, "-o", out, "--jobs", "1", "--force")
    assert result.exit_code == 1, result.output
    assert f"{folder / 'superseded'} is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []
    assert (folder / "consent.docx").read_bytes() == made + b" "


def test_a_batch_makes_each_consent_forms_treatment_record_and_keeps_it_on_a_re_run(tmp_path):
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE, NECK", "4", ""],
        ["Ann Lee", "P-1", "1985-06-15", "HAIR", "SCALP", "5", ""],
        ["Bob Ray", "P-2", "1970-01-01", "REJUV", "FACE", "", "estimate"],
    ])  # fmt: skip
    out = tmp_path / "out"
    result = run_batch(Workspace.open(), path, out, jobs=2)
    assert result.ok and result.made == 6, result.failures
    ann = out / "P-1-Ann-Lee"
    records = {d.path: d for d in result.documents() if d.document == "treatment_record"}
    assert sorted(records) == ["P-1-Ann-Lee/record-HAIR.docx", "P-1-Ann-Lee/record-REJUV.docx"]
    rows = table_rows(ann / "record-HAIR.docx", "Session")
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5"] and rows[0][7] == "Scalp"
    assert "Ann Lee" in docx_text(ann / "record-REJUV.docx")
    assert not list((out / "P-2-Bob-Ray").glob("record*"))  # no consent form, no record
    again = run_batch(Workspace.open(), path, out, jobs=1)
    assert again.ok and again.made == 0 and again.skipped == 6


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_the_manifest_gives_each_document_the_row_of_this_runs_file_or_none(run, tmp_path):
    """Probe 4, HIGH 6: a re-run listed the documents it did not make with the rows of the
    file that made them: with Ann alone in row 2, Bob's documents were listed as row 2."""
    ann = ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", "consent"]
    bob = ["Bob Ray", "P-2", "1970-01-01", "HAIR", "SCALP", "", "consent"]
    out = tmp_path / "out"

    def rows() -> dict[str, str]:
        return {document["path"]: document["row"] for document in manifest(out)}

    first = write_csv(tmp_path / "monday.csv", VISIT_HEADER, [ann, bob])
    assert run("batch", first, "-o", out, "--jobs", "1").exit_code == 0
    swapped = write_xlsx(tmp_path / "tuesday.xlsx", VISIT_HEADER, [bob, ann])
    assert run("batch", swapped, "-o", out, "--jobs", "1").exit_code == 0  # kept, not made
    assert rows() == {
        "P-2-Bob-Ray/consent.docx": "2", "P-2-Bob-Ray/record.docx": "2",
        "P-1-Ann-Lee/consent.docx": "3", "P-1-Ann-Lee/record.docx": "3",
    }  # fmt: skip
    old_form = issued_id(out / "P-1-Ann-Lee" / "consent.docx")
    old_record = issued_id(out / "P-1-Ann-Lee" / "record.docx")
    alone = write_xlsx(tmp_path / "wednesday.xlsx", VISIT_HEADER, [[*ann[:5], "4", "consent"]])
    assert run("batch", alone, "-o", out, "--jobs", "1", "--force").exit_code == 0
    assert rows() == {
        "P-1-Ann-Lee/consent.docx": "2", "P-1-Ann-Lee/record.docx": "2",
        f"P-1-Ann-Lee/superseded/consent-{old_form}.docx": "",  # this run made it no more
        f"P-1-Ann-Lee/superseded/record-{old_record}.docx": "",
        "P-2-Bob-Ray/consent.docx": "", "P-2-Bob-Ray/record.docx": "",  # not in this file
    }  # fmt: skip
    again = run("batch", alone, "-o", out, "--jobs", "1")  # and read back as such
    assert again.exit_code == 0 and "2 unchanged and skipped" in again.output
    assert rows()["P-2-Bob-Ray/consent.docx"] == ""
    assert {d.row for d in read_manifest(out)} == {2, None}


def test_a_percentage_typed_in_excel_is_a_percentage(tmp_path):
    """Excel keeps a Discount typed 10% as 0.1 formatted '0%': it was read as £0.10 off."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["Patient", "Ref", "Treatment", "Areas", "Documents", "Discount", "Discount reason"]
    )
    sheet.append(["Ann Lee", "A1", "REJUV", "FACE", "estimate", 0.1, "Loyalty"])
    sheet["F2"].number_format = "0%"
    workbook.save(tmp_path / "day.xlsx")
    result = run_batch(Workspace.open(), tmp_path / "day.xlsx", tmp_path / "out", jobs=1)
    assert result.ok, result.failures
    estimate = docx_text(next((tmp_path / "out").glob("A1-*/estimate.docx")))
    assert "Discount 10% (Loyalty)" in estimate and "-£125.00" in estimate

    # a % typed into the format is its label: the cell shows, and holds, 0.5%
    sheet["F2"], sheet["F2"].number_format = 0.5, '0.0"%"'
    sheet["B2"] = "A2"
    workbook.save(tmp_path / "day.xlsx")
    result = run_batch(Workspace.open(), tmp_path / "day.xlsx", tmp_path / "out", jobs=1)
    assert result.ok, result.failures
    estimate = docx_text(next((tmp_path / "out").glob("A2-*/estimate.docx")))
    assert "Discount 0.5% (Loyalty)" in estimate and "-£6.25" in estimate


@pytest.mark.parametrize(
    ("header", "said"),
    [
        # the later column's cells were read: Rita's name on Quinn's reference and birth date
        (["Patient", "DOB", "Ref", "Treatment", "Areas", "patient"],
         "cells A1 and F1 both name the column Patient: keep one"),
        # 10 under 'Discount %' was taken as £10.00 off
        (["Patient", "DOB", "Ref", "Treatment", "Areas", "Discount %"],
         "cell F1 'Discount %': name the column Discount, and type a percentage"),
    ],
)  # fmt: skip
def test_a_column_read_two_ways_is_refused(tmp_path, header, said):
    last = "Rita Poe" if "patient" in header else "10"
    day = write_csv(
        tmp_path / "day.csv", header, [["Quinn Roe", "1980-01-01", "Q1", "REJUV", "FACE", last]]
    )
    with pytest.raises(BatchError) as refused:
        run_batch(Workspace.open(), day, tmp_path / "out", jobs=1)
    assert said in str(refused.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


def day_workbook(path: Path, rows: list[list]) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["Patient", "Ref", "Treatment", "Areas", "Sessions", "Discount", "Discount reason"]
    )
    for row in rows:
        sheet.append(row)
    return workbook


@pytest.mark.parametrize("case", ["merged", "formula", "hidden", "hidden row"])
def test_a_workbook_a_batch_would_read_otherwise_than_it_shows_is_refused(tmp_path, case):
    """Sessions '3' merged over Ann's and Bob's rows gave Bob a course of 6; formulas saved
    without their results (as openpyxl writes them) read blank, the discount gone; a hidden
    first sheet (November's) was made instead of the one on screen; Bob's row, hidden as a
    cancelled appointment, was made all the same."""
    workbook = day_workbook(tmp_path, [
        ["Ann Lee", "A1", "REJUV", "FACE", 3, "10%", "Loyalty"],
        ["Bob Ray", "B1", "REJUV", "FACE", None, None, None],
    ])  # fmt: skip
    sheet = workbook.active
    said = {
        "merged": "cells E2:E3 are merged",
        "formula": 'cell F2: formula =5*2&"%" has no saved value',
        "hidden": "its first sheet, 'Sheet', which a batch reads, is hidden",
        "hidden row": "day.xlsx, sheet 'Sheet': row 3 is hidden (by hand or by a filter)",
    }[case]
    if case == "merged":
        sheet.merge_cells("E2:E3")
    elif case == "formula":
        sheet["F2"] = '=5*2&"%"'
    elif case == "hidden row":
        sheet.row_dimensions[3].hidden = True
        sheet.row_dimensions[9].hidden = True  # holding nothing: not a problem
    else:
        workbook.create_sheet("December")
        sheet.sheet_state = "hidden"
    workbook.save(tmp_path / "day.xlsx")
    with pytest.raises(BatchError) as refused:
        run_batch(Workspace.open(), tmp_path / "day.xlsx", tmp_path / "out", jobs=1)
    assert said in str(refused.value) and "row 9" not in str(refused.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


@pytest.mark.parametrize(
    ("shown", "said"),
    [("0.0_%", "Discount (Loyalty)"), ("0.0;-0.0%", "Discount (Loyalty)"), ("0%", "Discount 50%")],
)
def test_a_discount_cell_reads_as_it_shows(tmp_path, shown, said):
    """Formats where % is room for a sign, a fill or another section's showed 0.5 and were
    read as 50 %."""
    workbook = day_workbook(tmp_path, [["Ann Lee", "A1", "REJUV", "FACE", 3, 0.5, "Loyalty"]])
    workbook.active["F2"].number_format = shown
    workbook.save(tmp_path / "day.xlsx")
    result = run_batch(Workspace.open(), tmp_path / "day.xlsx", tmp_path / "out", jobs=1)
    assert result.ok, result.failures
    assert said in docx_text(next((tmp_path / "out").glob("A1-*/estimate.docx")))
