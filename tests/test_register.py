"""The register: every document docgen issues has its row in the workspace's SQLite file, written
with the file or not at all, by the CLI, a batch and the desk's library alike, at the same time;
`docgen records` asks it, and `docgen verify` says what it knows."""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from test_batch import VISIT_HEADER, write_csv
from test_records import forge
from test_web import patient_form

from docgen.batch import run_batch
from docgen.cli import main
from docgen.exceptions import DuplicateIdError
from docgen.generate import create_estimate, create_patient_documents
from docgen.manifest import read_manifest
from docgen.output import move_to_superseded
from docgen.register import (
    Patient,
    Record,
    Register,
    find_records,
    record_of,
    register_path,
)
from docgen.verify import issued_id
from docgen.visit import PlannedTreatment, Visit
from docgen.web import create_app
from docgen.workspace import Workspace

HOSTILE = 'Zoë <O\'Brien> & "Sons" أحمد 😀'


def rows_of(workspace: Workspace) -> list[tuple]:
    """Every row as SQLite itself reads the file."""
    with sqlite3.connect(register_path(workspace)) as connection:
        return connection.execute(
            "SELECT id, kind, patient, date_of_birth, reference, treatment, quote, locale, "
            "path, sha256, state, replaces, replaced_by FROM documents ORDER BY id"
        ).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_swiss_visit_is_registered_as_written(geneva, tmp_path):
    visit = Visit(
        HOSTILE, (PlannedTreatment("REJUV", ("FACE",)), PlannedTreatment("REJUV", ("NECK",))),
        date_of_birth="1980-02-03", reference="LUM/0041",
    )  # fmt: skip
    with pytest.raises(Exception, match="REJUV"):  # the same treatment twice: nothing written
        create_patient_documents(geneva, visit, output=tmp_path / "v/")
    assert not register_path(geneva).exists() or rows_of(geneva) == []
    visit = Visit.for_treatment(
        HOSTILE, "REJUV", ["FACE", "NECK"], date_of_birth="1980-02-03", reference="LUM/0041"
    )
    form, record, estimate = create_patient_documents(geneva, visit, output=tmp_path / "v/")
    assert register_path(geneva) == geneva.root / "records" / "register.sqlite"
    assert register_path(geneva).stat().st_mode & 0o777 == 0o600
    rows = {row[0]: row for row in rows_of(geneva)}
    assert set(rows) == {form.document_id, record.document_id, estimate.document_id}
    consent = rows[form.document_id]
    assert consent[1:8] == (
        "consent", HOSTILE, "1980-02-03", "LUM/0041", "REJUV", estimate.document_id, "fr_CH"
    )  # fmt: skip
    assert consent[8:11] == (str(form.docx.resolve()), sha256(form.docx), "issued")
    treatment_record = rows[record.document_id]  # as its consent form is
    assert treatment_record[1:8] == ("treatment_record", *consent[2:8])
    assert treatment_record[8:11] == (str(record.docx.resolve()), sha256(record.docx), "issued")
    assert rows[estimate.document_id][1:5] == ("estimate", HOSTILE, "1980-02-03", "LUM/0041")

    listed = CliRunner().invoke(
        main, ["--workspace", str(geneva.root), "records", "--ref", "LUM/0041", "--csv"]
    )
    assert listed.exit_code == 0, listed.output
    found = list(csv.DictReader(io.StringIO(listed.output)))
    assert {row["id"] for row in found} == set(rows)
    assert {row["patient"] for row in found} == {HOSTILE}  # exactly as typed
    assert {row["price_list"] for row in found} == {"geneva.xlsx"}
    table = CliRunner().invoke(
        main, ["--workspace", str(geneva.root), "records", "--patient", "zoë"]
    )
    assert form.document_id in table.output and record.document_id in table.output
    assert "3 document(s)" in table.output
    verified = CliRunner().invoke(main, ["--workspace", str(geneva.root), "verify", str(form.docx)])
    assert verified.exit_code == 0 and "in the register since" in verified.output
    assert "a copy" not in verified.output
    # a copy passes, named as one (twenty-fifth probe: one under another document's name
    # passed as if it were that document)
    copy = shutil.copy(form.docx, tmp_path / f"{record.document_id}.docx")
    verified = CliRunner().invoke(main, ["--workspace", str(geneva.root), "verify", str(copy)])
    assert verified.exit_code == 0
    said = " ".join(verified.output.split())
    assert f"a copy: the register has it at {form.docx.resolve()}" in said


def test_a_name_typed_with_a_combining_accent_is_one_patient_and_found_in_any_case(
    geneva, tmp_path
):
    """'Zoé Blanc' typed with é as one character (NFC) or as e and a combining accent (NFD,
    as macOS and some forms give it) split one visit in two, and `records --patient ZOÉ`
    found none of her documents."""
    composed = "Zoé Blanc"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        [composed, "", "1980-01-01", "REJUV", "FACE", "", ""],
        [decomposed, "", "1980-01-01", "HAIR", "SCALP", "", ""],
    ])  # fmt: skip
    out = tmp_path / "out"
    assert run_batch(geneva, path, out, jobs=1).made == 5
    assert len({document.visit for document in read_manifest(out)}) == 1  # one visit
    for typed in ("zoé", unicodedata.normalize("NFD", "zoé"), "ZOÉ", "BLANC"):
        listed = CliRunner().invoke(
            main, ["--workspace", str(geneva.root), "records", "--patient", typed, "--csv"]
        )
        assert len(list(csv.DictReader(io.StringIO(listed.output)))) == 5, typed


def test_a_batch_registers_every_document_and_what_replaced_what(tmp_path, workspace):
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", ""],
        ["Bob Ray", "P-2", "1970-01-01", "HAIR", "SCALP", "", "consent"],
    ])  # fmt: skip
    out = tmp_path / "out"
    assert run_batch(workspace, path, out, jobs=2).made == 5
    first = {row[0]: row for row in rows_of(workspace)}
    assert sorted(row[1] for row in first.values()) == [
        "consent", "consent", "estimate", "treatment_record", "treatment_record"
    ]  # fmt: skip
    assert all(row[10] == "issued" for row in first.values())
    ann_form = out / "P-1-Ann-Lee" / "consent.docx"
    old_id = docx.Document(str(ann_form)).core_properties.identifier
    assert first[old_id][8] == str(ann_form.resolve()) and first[old_id][9] == sha256(ann_form)

    write_csv(path, VISIT_HEADER, [
        ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "4", ""],
        ["Bob Ray", "P-2", "1970-01-01", "HAIR", "SCALP", "", "consent"],
    ])  # fmt: skip
    # Ann Lee's consent form, its treatment record (a row per session) and her estimate
    assert run_batch(workspace, path, out, jobs=2, force=True).made == 3
    rows = {row[0]: row for row in rows_of(workspace)}
    new_id = docx.Document(str(ann_form)).core_properties.identifier
    assert rows[new_id][11] == old_id and rows[old_id][12] == new_id
    ann_record = out / "P-1-Ann-Lee" / "record.docx"
    new_record_id = docx.Document(str(ann_record)).core_properties.identifier
    assert rows[new_record_id][1] == "treatment_record" and rows[new_record_id][11]
    assert rows[rows[new_record_id][11]][12] == new_record_id
    assert len(rows) == 8  # nothing issued is forgotten
    superseded = out / "P-1-Ann-Lee" / "superseded" / f"consent-{old_id}.docx"
    said = CliRunner().invoke(main, ["--workspace", str(workspace.root), "verify", str(superseded)])
    assert said.exit_code == 0 and f"REPLACED by {new_id}" in said.output
    history = find_records(workspace, reference="P-1", kind="consent")
    assert {record.id: record.replaced_by for record in history} == {old_id: new_id, new_id: ""}


def test_a_file_other_than_the_one_registered_fails_verify(workspace, tmp_path):
    estimate = create_estimate(workspace, "Ann Lee", ["REJUV:FACE"], output=tmp_path / "e.docx")
    forge(estimate.docx, tmp_path / "forged.docx", "1,250.00", "11,250.00")
    result = CliRunner().invoke(
        main, ["--workspace", str(workspace.root), "verify", str(tmp_path / "forged.docx")]
    )
    assert result.exit_code == 1
    assert "NOT the file the register recorded on" in result.output


def test_a_desk_request_and_a_batch_write_to_the_register_at_once(workspace, tmp_path):
    """The desk (its application, as a browser posts to it) makes a patient's documents while
    a batch of 200 runs in another process: every document of both has its row."""
    rows = [[f"Patient {n}", f"R-{n:03d}", "", "REJUV", "FACE", "", ""] for n in range(200)]
    path = write_csv(tmp_path / "day.csv", VISIT_HEADER, rows)
    desk_output = tmp_path / "desk"
    client = create_app(workspace, desk_output).test_client()
    batch = subprocess.Popen(
        [sys.executable, "-m", "docgen", "--workspace", str(workspace.root), "batch", str(path),
         "-o", str(tmp_path / "out"), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    requests = 0
    while batch.poll() is None or requests < 2:  # the desk's requests, while the batch runs
        form = patient_form(client, ref=f"DESK-{requests}", patient=f"Desk {requests}")
        assert client.post("/", data=form).status_code == 303
        requests += 1
    assert batch.wait() == 0, batch.stdout.read()
    registered = rows_of(workspace)
    files = [*(tmp_path / "out").rglob("*.docx"), *desk_output.glob("*.docx")]
    # each patient's consent form, its treatment record and the estimate
    assert len(registered) == len(files) == 600 + 3 * requests
    assert sum(row[1] == "treatment_record" for row in registered) == 200 + requests
    assert {row[9] for row in registered} == {sha256(file) for file in files}
    assert all(row[10] == "issued" for row in registered)


def _write_and_die(register_file: str, record_values: dict, target: str, land: bool) -> None:
    """A writer killed between landing its file and marking its row issued (land), or before
    its file landed."""
    register = Register(Path(register_file))
    with register.issuing(Record(**record_values)):
        if land:
            Path(target).write_bytes(Path(target + ".data").read_bytes())
        os._exit(9)


def test_a_writer_killed_halfway_leaves_no_row_without_its_file(workspace, tmp_path):
    register = Register.of(workspace)
    made = create_estimate(workspace, "Ann Lee", ["REJUV:FACE"], output=tmp_path / "e.docx")
    data = made.docx.read_bytes()
    context = multiprocessing.get_context("fork")
    for land, name in ((True, "landed.docx"), (False, "lost.docx")):
        target = tmp_path / name
        (tmp_path / f"{name}.data").write_bytes(data)
        record = record_of(
            data, target, kind="estimate", template="estimate.docx", template_sha256="t",
            price_list=workspace.workbook(), patient=Patient("Ann Lee"),
        )  # fmt: skip
        values = {**record.__dict__, "id": f"Q-KILLED-{name}"}
        writer = context.Process(
            target=_write_and_die, args=(str(register.path), values, str(target), land)
        )
        writer.start()
        writer.join()
        assert writer.exitcode == 9
        states = {row[0]: row[10] for row in rows_of(workspace)}
        assert states[f"Q-KILLED-{name}"] == "writing"  # as the killed writer left it
    # the second writer, opening the register, finished what the first left: its file landed
    assert states["Q-KILLED-landed.docx"] == "issued"
    reopened = Register(register.path)  # the next one removes the row whose file never landed
    assert reopened.get("Q-KILLED-landed.docx") is not None
    states = {row[0]: row[10] for row in rows_of(workspace)}
    assert states == {made.document_id: "issued", "Q-KILLED-landed.docx": "issued"}


def _supersede_and_die(register_file: str, record_values: dict, target: str) -> None:
    """A writer making a document again, killed once the previous version's files are in
    superseded/ but before its row followed them."""
    register = Register(Path(register_file))
    with register.issuing(Record(**record_values)):
        list(move_to_superseded(Path(target), record_values["replaces"]))
        os._exit(9)


def test_a_writer_killed_while_superseding_leaves_the_row_where_the_files_are(workspace, tmp_path):
    register = Register.of(workspace)
    made = create_estimate(workspace, "Ann Lee", ["REJUV:FACE"], output=tmp_path / "e.docx")
    signed = tmp_path / "e-signed.pdf"
    signed.write_bytes(b"%PDF- the signed copy")
    register.signed(made.document_id, signed)
    data = made.docx.read_bytes()
    record = record_of(
        data, made.docx, kind="estimate", template="estimate.docx", template_sha256="t",
        price_list=workspace.workbook(), patient=Patient("Ann Lee"),
    )  # fmt: skip
    values = {**record.__dict__, "id": "Q-REMADE", "replaces": made.document_id}
    writer = multiprocessing.get_context("fork").Process(
        target=_supersede_and_die, args=(str(register.path), values, str(made.docx))
    )
    writer.start()
    writer.join()
    assert writer.exitcode == 9
    kept = tmp_path / "superseded" / f"e-{made.document_id}.docx"
    assert kept.is_file() and not made.docx.exists()
    reopened = Register(register.path)  # the next writer finishes what the killed one left
    previous = reopened.get(made.document_id)
    assert previous is not None and previous.path == str(kept.resolve())
    assert previous.signed_copy == str(kept.with_name(f"e-{made.document_id}-signed.pdf"))
    assert reopened.get("Q-REMADE") is None  # its file never landed


def test_an_id_is_never_given_to_two_documents(workspace, tmp_path):
    made = create_estimate(workspace, "Ann Lee", ["REJUV:FACE"], output=tmp_path / "a.docx")
    with pytest.raises(
        DuplicateIdError, match=f"{made.document_id}: the register already holds another document"
    ):
        create_estimate(
            workspace, "Bob Ray", ["REJUV:FACE"], output=tmp_path / "b.docx",
            number=made.document_id,
        )  # fmt: skip
    assert not (tmp_path / "b.docx").exists()
    assert [row[0] for row in rows_of(workspace)] == [made.document_id]


def test_a_form_forced_onto_another_patients_file_is_refused(workspace, tmp_path, run):
    """Twelfth probe: Bob's consent written with --force onto Ann's file name moved hers to
    superseded/ and recorded it as 'replaced by' Bob's: her record led to his document."""
    target = tmp_path / "o" / "a.docx"
    ann = ["consent", "--patient", "Ann Roe", "--treatment", "REJUV", "--area", "FACE",
           "--no-estimate", "-o", target]  # fmt: skip
    assert run("--workspace", workspace.root, *ann).exit_code == 0
    written = target.read_bytes()
    bob = ["consent", "--patient", "Bob Poe", "--treatment", "HAIR", "--area", "SCALP",
           "--no-estimate", "-o", target, "--force"]  # fmt: skip
    refused = run("--workspace", workspace.root, *bob)
    assert refused.exit_code == 1 and "another patient's document" in refused.output
    assert target.read_bytes() == written and not (target.parent / "superseded").exists()
    assert all(not record.replaced_by for record in find_records(workspace))


def test_a_document_deleted_from_its_place_is_replaced_there_never_shared(workspace, tmp_path):
    """Twelfth probe: a batch made Bob's deleted consent again at its path, and both register
    rows named that one file, so the old form's signed scan was filed beside the new one."""
    day = write_csv(tmp_path / "day.csv", VISIT_HEADER, [
        ["Bob Poe", "LUM-2", "1970-01-01", "HAIR", "SCALP", "", "consent"],
    ])  # fmt: skip
    out = tmp_path / "out"
    assert run_batch(workspace, day, out, jobs=1).ok
    (form,) = out.glob("*/consent.docx")
    old_id = issued_id(form)
    form.unlink()
    again = run_batch(workspace, day, out, jobs=1)
    assert again.ok and again.made == 1
    new_id = issued_id(form)
    register = Register.of(workspace)
    old, new = register.get(old_id), register.get(new_id)
    assert old.replaced_by == new_id and new.replaces == old_id
    assert old.path != new.path and "superseded" in old.path


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("y/ann-signed.docx", "a name ending in -signed is kept for a document's signed copy"),
        # one name on Windows and macOS, whose file systems ignore case
        ("y/ann-SIGNED.docx", "a name ending in -signed is kept for a document's signed copy"),
        # a version kept there was made 'again', its register row rewritten
        ("y/superseded/ann.docx", "superseded/ keeps the versions documents replaced"),
    ],
)
def test_a_document_is_never_written_where_records_are_kept(run, tmp_path, output, said):
    """Bob's form written as y/ann-signed.docx with --pdf replaced Ann's signed copy beside
    Ann's form; its name is kept for signed copies, and superseded/ for replaced versions."""
    result = run(
        "consent", "--patient", "Bob Roe", "--treatment", "LIPO", "--area", "ABDO",
        "--no-estimate", "-o", output,
    )  # fmt: skip
    assert result.exit_code == 1
    assert said in result.output
    assert not (tmp_path / "y").exists() or not list((tmp_path / "y").rglob("*.docx"))


def test_an_estimate_that_forms_in_force_cite_is_never_made_again_alone(run, tmp_path):
    """An estimate made alone with --force in place of a visit's left its consent form
    citing a quote no longer beside it."""
    (tmp_path / "day.csv").write_text(
        "Patient,DOB,Ref,Treatment,Areas,Sessions\nDan Ho,1980-01-01,D1,REJUV,FACE,3\n"
    )
    assert run("batch", "day.csv", "-o", "out").exit_code == 0
    [estimate] = (tmp_path / "out").glob("D1-*/estimate.docx")
    before = estimate.read_bytes()
    again = run(
        "estimate", "--patient", "Dan Ho", "--item", "REJUV:FACE:5", "-o", estimate, "--force"
    )
    assert again.exit_code == 1
    assert (
        "is the estimate that C-" in again.output and "make the visit's documents" in again.output
    )
    assert estimate.read_bytes() == before


@pytest.mark.parametrize("how", ["folder renamed", "another workspace"])
def test_force_never_replaces_a_document_the_register_does_not_have_there(
    run, tmp_path, workspace, how
):
    """Ann's form in a folder renamed by hand, or made by another workspace, was replaced by
    Bob's with --force: the register could not say whose it was, so nothing was checked, and
    Ann's signed scan was then filed beside Bob's form."""
    ann = ["consent", "--patient", "Ann Lee", "--dob", "1980-01-01", "--ref", "A1",
           "--treatment", "REJUV", "--area", "FACE", "--no-estimate"]  # fmt: skip
    assert run(*ann, "-o", "out/ann/consent.docx").exit_code == 0
    if how == "folder renamed":
        (tmp_path / "out" / "ann").rename(tmp_path / "out" / "ann-lee")
        target, bob = tmp_path / "out" / "ann-lee" / "consent.docx", []
    else:
        target, bob = tmp_path / "out" / "ann" / "consent.docx", ["--workspace", workspace.root]
    before = target.read_bytes()
    result = run(
        *bob, "consent", "--patient", "Bob Roe", "--dob", "1970-02-02", "--ref", "B1",
        "--treatment", "REJUV", "--area", "NECK", "--no-estimate", "-o", target, "--force",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "cannot tell whose it is, and never replaces it" in result.output
    assert target.read_bytes() == before
    assert not (target.parent / "superseded").exists()


@pytest.mark.parametrize(
    ("made_again", "said"),
    [
        (["estimate", "--patient", "Dan Ho", "--item", "LIPO:ABDO:2",
          "-o", "{folder}/consent.docx"],
         "of kind consent for REJUV: a document is only ever replaced by one of its kind and "
         "treatment, never by a new estimate;"),
        (["consent", "--patient", "Dan Ho", "--dob", "1980-01-01", "--ref", "D1", "--treatment",
          "LIPO", "--area", "ABDO", "--no-estimate", "-o", "{folder}/record.docx"],
         "of kind treatment record for REJUV: a document is only ever replaced by one of its "
         "kind and treatment, never by a new consent for LIPO;"),
        # the same kind for another treatment: the visit's record and estimate left without it
        (["consent", "--patient", "Dan Ho", "--dob", "1980-01-01", "--ref", "D1", "--treatment",
          "HAIR", "--area", "SCALP", "--no-estimate", "-o", "{folder}/consent.docx"],
         "of kind consent for REJUV: a document is only ever replaced by one of its kind and "
         "treatment, never by a new consent for HAIR;"),
        # the same kind, made out to the patient without the reference the first one gave
        (["consent", "--patient", "Dan Ho", "--treatment", "REJUV", "--area", "FACE",
          "--no-estimate", "-o", "{folder}/consent.docx"],
         "made out to Dan Ho with a date of birth and a reference: its replacement must give"),
    ],
)  # fmt: skip
def test_force_replaces_a_document_only_with_one_of_its_kind_made_out_as_fully(
    run, tmp_path, made_again, said
):
    """Twenty-second probe: an estimate written with --force over a visit's signed consent form
    put the form, its PDF and signed copy in superseded/, leaving the visit with no form; made
    out to the patient without the visit's reference, a later batch no longer knew the folder
    as his and made him a second visit, two forms in force."""
    (tmp_path / "day.csv").write_text(
        "Patient,DOB,Ref,Treatment,Areas,Sessions\nDan Ho,1980-01-01,D1,REJUV,FACE,3\n"
    )
    assert run("batch", "day.csv", "-o", "out").exit_code == 0
    [folder] = (tmp_path / "out").glob("D1-*")
    before = {path.name: path.read_bytes() for path in folder.glob("*.docx")}
    arguments = [str(a).format(folder=folder) for a in made_again]
    result = run(*arguments, "--force")
    assert result.exit_code == 1
    assert said in " ".join(result.output.split())
    assert {path.name: path.read_bytes() for path in folder.glob("*.docx")} == before
    assert not (folder / "superseded").exists()
    again = run("batch", "day.csv", "-o", "out")
    assert again.exit_code == 0 and len(list((tmp_path / "out").glob("D1-*"))) == 1


def test_a_document_is_never_written_under_the_name_of_the_one_it_replaces(run, tmp_path):
    """Twenty-third probe: a form made again with -o naming the old form's file carried the
    old id in its name, and its signed copy was filed as the replaced form's."""
    ann = ["consent", "--patient", "Ann Lee", "--dob", "1980-01-01", "--ref", "A1",
           "--treatment", "REJUV", "--area", "FACE", "--no-estimate"]  # fmt: skip
    assert run(*ann, "-o", "out/").exit_code == 0
    [form] = (tmp_path / "out").glob("consent-*.docx")
    before = form.read_bytes()
    again = run(*ann, "-o", form, "--force")
    assert again.exit_code == 1
    assert f"is named after {issued_id(form)}, the document it would replace" in " ".join(
        again.output.split()
    )
    assert form.read_bytes() == before and not (form.parent / "superseded").exists()
