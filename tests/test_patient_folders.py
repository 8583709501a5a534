"""A batch never gives one patient's folder to another: not after a run killed before its
manifest, not from a manifest that does not say whose a folder is, not to a name chosen to
read as another patient's folder."""

from __future__ import annotations

import csv
import shutil

from conftest import docx_text
from test_batch import write_csv

from docgen.appointments import patient_identity, visit_folders
from docgen.batch import run_batch
from docgen.manifest import read_manifest
from docgen.register import find_records
from docgen.verify import MANIFEST
from docgen.workspace import Workspace

HEADER = ["Patient", "DOB", "Ref", "Treatment", "Areas"]
ANNE_MARIE = ["Anne Marie Dupont", "1981-02-02", "LUM-0041", "HAIR", "SCALP"]
HYPHENATED = ["Anne-Marie Dupont", "1980-01-01", "LUM-0041", "REJUV", "FACE"]


def edit_manifest(out, **cells: str) -> None:
    """Every row of out's manifest with these cells, as an admin editing it by hand would."""
    with (out / MANIFEST).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (out / MANIFEST).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **cells} for row in rows)


def forms_in(folder) -> dict[str, str]:
    return {path.name: docx_text(path) for path in folder.glob("consent*.docx")}


def test_a_folder_whose_manifest_was_never_written_stays_its_patients(tmp_path):
    """A batch killed before its manifest left Anne Marie's folder; the next batch gave it to
    Anne-Marie, moved Anne Marie's consent into Anne-Marie's superseded/, and the register
    said Anne-Marie's form replaced hers."""
    out = tmp_path / "out"
    first = run_batch(Workspace.open(), write_csv(tmp_path / "a.csv", HEADER, [ANNE_MARIE]), out)
    assert first.ok
    (out / MANIFEST).unlink()  # as a run killed before writing it leaves the folder
    (folder,) = [path for path in out.iterdir() if path.is_dir()]
    theirs = forms_in(folder)
    for force in (False, True):
        second = run_batch(
            Workspace.open(), write_csv(tmp_path / "b.csv", HEADER, [HYPHENATED]), out,
            force=force,
        )  # fmt: skip
        assert second.ok and second.out_of_date == []
        assert forms_in(folder) == theirs and not (folder / "superseded").exists()
    (hers,) = [d for d in read_manifest(out) if d.patient == "Anne-Marie Dupont" and
               d.document == "consent"]  # fmt: skip
    assert hers.visit != folder.name and hers.visit.startswith("LUM-0041-Anne-Marie-Dupont-")
    assert "Anne-Marie Dupont" in docx_text(out / hers.path)
    assert not [r for r in find_records(Workspace.open()) if r.replaced_by or r.replaces]


def test_a_folder_no_one_can_tell_the_owner_of_is_given_to_no_one(tmp_path):
    """An older manifest without the patient's columns, and no register row for its folder."""
    out = tmp_path / "out"
    run_batch(Workspace.open(), write_csv(tmp_path / "a.csv", HEADER, [ANNE_MARIE]), out)
    edit_manifest(out, patient="", dob="")
    shutil.rmtree(tmp_path / "data")  # the register (own_data_folder), as an older docgen had none
    (folder,) = [path for path in out.iterdir() if path.is_dir()]
    theirs = forms_in(folder)
    second = run_batch(
        Workspace.open(), write_csv(tmp_path / "b.csv", HEADER, [HYPHENATED]), out, force=True
    )
    assert second.ok and forms_in(folder) == theirs


def test_a_name_that_reads_as_another_patients_folder_gets_one_of_its_own(tmp_path):
    """'Ann Lee' and 'Ann-Lee' of LUM-1 get digest folders; 'Ann Lee dbb646c7' read as the
    first one's, and with --force overwrote her documents."""
    ann, hyphen = ("ref", "LUM-1", "Ann Lee"), ("ref", "LUM-1", "Ann-Lee")
    digest_folder = visit_folders([ann, hyphen])[ann]
    crafted = digest_folder.removeprefix("LUM-1-").replace("-", " ")
    rows = [[name, "", "LUM-1", "REJUV", "FACE"] for name in ("Ann Lee", "Ann-Lee", crafted)]
    out = tmp_path / "out"
    result = run_batch(Workspace.open(), write_csv(tmp_path / "day.csv", HEADER, rows), out,
                       force=True)  # fmt: skip
    assert result.ok
    documents = read_manifest(out)
    assert len({d.path for d in documents}) == len(documents)
    owners = {d.visit: d.patient for d in documents}
    assert sorted(owners.values()) == sorted(["Ann Lee", "Ann-Lee", crafted])
    for folder, patient in owners.items():
        assert all(patient in text for text in forms_in(out / folder).values())
    folders = visit_folders([patient_identity(name, "LUM-1", "") for name, *_ in rows])
    assert len(set(folders.values())) == 3


def test_a_manifest_edited_to_give_a_folder_to_another_patient_is_not_believed(tmp_path):
    """Sorting one column of manifest.csv in a spreadsheet made Ann's folder Bob's: with
    --force, Bob's forms replaced hers. The register knows whose documents are there."""
    out = tmp_path / "out"
    ann = ["Ann Lee", "1980-01-01", "R1", "REJUV", "FACE"]
    bob = ["Bob Stone", "1970-02-02", "R2", "REJUV", "FACE"]
    run_batch(Workspace.open(), write_csv(tmp_path / "a.csv", HEADER, [ann]), out)
    edit_manifest(out, patient_ref="R2", patient="Bob Stone", dob="1970-02-02")
    (folder,) = [path for path in out.iterdir() if path.is_dir()]
    hers = forms_in(folder)
    second = run_batch(
        Workspace.open(), write_csv(tmp_path / "b.csv", HEADER, [bob]), out, force=True
    )
    assert second.ok and forms_in(folder) == hers and not (folder / "superseded").exists()
    assert not [r for r in find_records(Workspace.open()) if r.replaced_by or r.replaces]
    bobs = {d.visit for d in read_manifest(out) if d.patient == "Bob Stone"} - {folder.name}
    (bob_folder,) = bobs
    assert all("Bob Stone" in text for text in forms_in(out / bob_folder).values())


def test_a_patient_folder_replaced_by_a_file_is_named_as_a_file(run, tmp_path):
    """Probe 4, LOW 12: a file where a patient's folder was gave 'cannot write …/consent.docx:
    File exists', naming neither the folder nor what was wrong with it."""
    ann = ["Ann Lee", "1980-01-01", "R1", "REJUV", "FACE"]
    bob = ["Bob Stone", "1970-02-02", "R2", "REJUV", "FACE"]
    day = write_csv(tmp_path / "day.csv", HEADER, [ann, bob])
    assert run("batch", day, "-o", "out", "--jobs", "1").exit_code == 0
    folder = tmp_path / "out" / "R1-Ann-Lee"
    shutil.rmtree(folder)
    folder.write_text("the admin's notes")
    for force in ((), ("--force",)):
        result = run("batch", day, "-o", "out", "--jobs", "1", *force)
        assert result.exit_code == 1
        assert (
            "row 2: consent: cannot write out/R1-Ann-Lee/consent.docx: out/R1-Ann-Lee is a "
            "file, not a folder"
        ) in result.output
        assert "File exists" not in result.output
        assert folder.read_text() == "the admin's notes"
        assert (tmp_path / "out" / "R2-Bob-Stone" / "consent.docx").is_file()
