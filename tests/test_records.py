"""Documents are records: reproducible with --date, traceable through their properties, and
verifiable years later with docgen verify."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from click.testing import CliRunner
from conftest import docx_text, finished_within, long_date

from docgen.batch import run_batch
from docgen.cli import main
from docgen.exceptions import WorkspaceError
from docgen.generate import create_consent, create_estimate
from docgen.register import Register
from docgen.render import content_checksum, read_custom_properties
from docgen.signing import create_key, key_id, read_key
from docgen.verify import issued_id, verify_document
from docgen.visit import Visit
from docgen.workspace import Workspace

ISSUED = dt.date(2026, 3, 2)


def test_same_inputs_and_date_give_identical_bytes(workspace, tmp_path, monkeypatch):
    for name in ("a", "b"):  # made again with another register, as on another computer
        monkeypatch.setenv("DOCGEN_REGISTER", str(tmp_path / f"register-{name}.sqlite"))
        create_consent(
            workspace,
            Visit.for_treatment("Zoë & <Ltd>", "REJUV", ["FACE"]),
            locale="ar",
            issued=ISSUED,
            output=tmp_path / f"consent-{name}.docx",
        )
        create_estimate(
            workspace, "Zoë", ["REJUV:FACE", "PAINR:KNEES:5"], issued=ISSUED,
            output=tmp_path / f"estimate-{name}.docx",
        )  # fmt: skip
    for kind in ("consent", "estimate"):
        first = (tmp_path / f"{kind}-a.docx").read_bytes()
        assert first == (tmp_path / f"{kind}-b.docx").read_bytes()
    other = create_estimate(workspace, "Zoë", ["REJUV:FACE"], issued=ISSUED, output=tmp_path / "o")
    assert (
        other.document_id
        != create_estimate(workspace, "Zoë", ["REJUV:FACE"], output=tmp_path / "p").document_id
    )  # without --date: a fresh id every time


def test_batches_are_reproducible(tmp_path, monkeypatch):
    sample = Workspace.open().root / "appointments" / "example.csv"
    for name in ("one", "two"):
        monkeypatch.setenv("DOCGEN_REGISTER", str(tmp_path / f"register-{name}.sqlite"))
        assert run_batch(Workspace.open(), sample, tmp_path / name, jobs=2, issued=ISSUED).ok
    monkeypatch.setenv("DOCGEN_REGISTER", str(tmp_path / "register-one.sqlite"))
    for document in run_batch(
        Workspace.open(), sample, tmp_path / "one", issued=ISSUED
    ).documents():
        assert (tmp_path / "one" / document.path).read_bytes() == (
            tmp_path / "two" / document.path
        ).read_bytes()


def test_a_document_made_again_with_date_elsewhere_is_refused_and_the_first_stands(run, tmp_path):
    """The same appointment made into a second folder with --date has the first's ids: it
    shared their rows, and remaking it there with --force marked the first folder's documents
    replaced and filed their rows under the second folder's superseded/."""
    day = tmp_path / "day.csv"
    day.write_text("Patient,DOB,Ref,Treatment,Areas,Sessions\nAnn Lee,1980-01-01,L1,REJUV,FACE,3\n")
    assert run("batch", day, "-o", "first", "--date", "2026-12-07").exit_code == 0
    again = run("batch", day, "-o", "second", "--date", "2026-12-07")
    assert again.exit_code == 1
    assert "this document was issued already, at " in again.output
    assert str((tmp_path / "first").resolve()) in again.output
    assert not list((tmp_path / "second").glob("*/*.docx"))
    single = ["consent", "--patient", "Di Fox", "--treatment", "REJUV", "--area", "FACE"]
    assert run(*single, "-o", "p/a.docx", "--date", "2026-12-07").exit_code == 0
    copied = run(*single, "-o", "q/a.docx", "--date", "2026-12-07")
    assert copied.exit_code == 1 and "issued already, at " in copied.output
    assert not (tmp_path / "q" / "a.docx").exists()

    shutil.copytree(tmp_path / "first", tmp_path / "copy")  # a folder copied by hand
    day.write_text(day.read_text().replace("FACE,3", "FACE,4"))
    assert run("batch", day, "-o", "copy", "--force", "--date", "2026-12-07").exit_code == 0
    register = Register.of(Workspace.open())
    first = list((tmp_path / "first").glob("*/*.docx"))
    assert len(first) == 3
    for made in first:
        checked = run("verify", made)
        assert checked.exit_code == 0 and "REPLACED" not in checked.output, checked.output
        row = register.get(issued_id(made))
        assert row.path == str(made.resolve()) and row.replaced_by == ""


def test_documents_record_their_properties(workspace, tmp_path, price_list):
    form = create_consent(
        workspace,
        Visit.for_treatment("Ann", "REJUV", ["FACE"]),
        locale="fr_FR",
        issued=ISSUED,
        output=tmp_path / "c.docx",
    )
    core = docx.Document(str(form.docx)).core_properties  # what Word shows in File › Properties
    assert core.identifier == form.document_id
    assert core.language == "fr_FR"
    template = docx.Document(str(workspace.templates_dir / "consent.docx")).core_properties
    assert core.version == template.version != ""  # the consent form's template's
    assert core.created == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    with zipfile.ZipFile(form.docx) as package:
        custom = read_custom_properties(package.read("docProps/custom.xml"))
    assert custom["docgen.document-id"] == form.document_id
    assert custom["docgen.template-version"] == template.version
    assert custom["docgen.price-list-sha256"] == price_list.checksum
    assert custom["docgen.generated"] == "2026-03-02T00:00:00Z"
    assert len(custom["docgen.content-sha256"]) == 64


def test_verify_finds_any_change(workspace, tmp_path):
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "c.docx"
    )
    assert verify_document(form.docx).unchanged
    edited = docx.Document(str(form.docx))
    for paragraph in edited.paragraphs:
        for run in paragraph.runs:
            run.text = run.text.replace("Ann Lee", "Anne Lee")
    for table in edited.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.text = run.text.replace("Ann Lee", "Anne Lee")
    edited.save(str(tmp_path / "edited.docx"))
    check = verify_document(tmp_path / "edited.docx")
    assert not check.unchanged and "CHANGED" in check.message

    plain = docx.Document()
    plain.add_paragraph("hello")
    plain.save(str(tmp_path / "plain.docx"))
    assert "not made by docgen" in verify_document(tmp_path / "plain.docx").message
    (tmp_path / "text.docx").write_text("not a zip")
    assert "cannot be read as a .docx" in verify_document(tmp_path / "text.docx").message
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.7")
    assert verify_document(tmp_path / "c.pdf").message == (
        "is a PDF, which carries no docgen checksum: verify c.docx, the Word document it was "
        "made from"
    )

    result = CliRunner().invoke(main, ["verify", str(form.docx), str(tmp_path / "edited.docx")])
    assert result.exit_code == 1
    assert f"✓ {form.docx} [{form.document_id}]: unchanged since" in result.output
    assert "✗ " in result.output and "edited.docx" in result.output


def test_verify_checks_the_batch_manifest(tmp_path):
    sample = Workspace.open().root / "appointments" / "example.csv"
    result = run_batch(Workspace.open(), sample, tmp_path / "out", jobs=1)
    path = tmp_path / "out" / result.documents()[0].path
    check = verify_document(path)
    assert check.unchanged and "batch manifest" in check.message
    manifest = tmp_path / "out" / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(result.documents()[0].sha256, "0" * 64))
    assert "differs from its batch manifest" in verify_document(path).message


def test_verify_sees_edited_properties(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("Jane Doe", "REJUV", ["FACE"]),
        issued=ISSUED,
        output=tmp_path / "a.docx",
    )
    edited = tmp_path / "b.docx"
    with zipfile.ZipFile(form.docx) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/custom.xml":
                data = data.replace(b"2026-03-02T00:00:00Z", b"2031-01-01T00:00:00Z")
            target.writestr(item, data)
    check = verify_document(edited)
    assert not check.unchanged and "CHANGED" in check.message


def test_batch_folders_and_files_are_private(tmp_path):
    sample = Workspace.open().root / "appointments" / "example.csv"
    result = run_batch(Workspace.open(), sample, tmp_path / "out", jobs=1)
    for document in result.documents():
        path = tmp_path / "out" / document.path
        assert path.parent.stat().st_mode & 0o777 == 0o700  # folder names are patients' names
        assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out" / "manifest.csv").stat().st_mode & 0o777 == 0o600


def forge(document: Path, forged: Path, old: str, new: str) -> None:
    """What anyone can do without the key: change the text, then recompute the checksum."""
    with zipfile.ZipFile(document) as package:
        members = {item.filename: package.read(item) for item in package.infolist()}
    members["word/document.xml"] = members["word/document.xml"].replace(old.encode(), new.encode())
    custom = members["docProps/custom.xml"]
    recorded = read_custom_properties(custom)["docgen.content-sha256"]
    members["docProps/custom.xml"] = custom.replace(recorded.encode(), b"0" * 64)
    checksum = content_checksum(members)
    members["docProps/custom.xml"] = custom.replace(recorded.encode(), checksum.encode())
    with zipfile.ZipFile(forged, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)


@pytest.fixture
def key(tmp_path, monkeypatch) -> bytes:
    path = tmp_path / "keys" / "signing.key"
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(path))
    create_key()
    return read_key()


def test_a_forged_amount_is_found_only_with_the_clinics_key(workspace, tmp_path, key):
    """£1,250.00 → £11,250.00 and a recomputed checksum gave '✓ unchanged'."""
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "c.docx"
    )
    assert "1,250.00" in docx_text(form.docx)
    with zipfile.ZipFile(form.docx) as package:
        assert key.hex() not in package.read("docProps/custom.xml").decode()
    signed = verify_document(form.docx, key)
    assert signed.unchanged, signed.message
    assert f"signed with the clinic's key {key_id(key)}" in signed.message

    forge(form.docx, tmp_path / "forged.docx", "1,250.00", "11,250.00")
    assert "11,250.00" in docx_text(tmp_path / "forged.docx")
    without_key = verify_document(tmp_path / "forged.docx")
    assert without_key.unchanged  # what a checksum alone can show: nothing against a forger
    assert "checksum only, its signature not checked: no signing key here" in without_key.message
    with_key = verify_document(tmp_path / "forged.docx", key)
    assert not with_key.unchanged
    assert with_key.message == "CHANGED: its signature does not match"


def test_an_unsigned_or_otherwise_signed_document_fails_with_the_key(
    workspace, tmp_path, key, monkeypatch
):
    visit = Visit.for_treatment("Ann Lee", "REJUV", ["FACE"])
    signed = create_consent(workspace, visit, output=tmp_path / "signed.docx")
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(tmp_path / "none.key"))
    unsigned = create_consent(workspace, visit, output=tmp_path / "unsigned.docx")
    message = verify_document(unsigned.docx, key).message
    assert message.startswith("carries no signature: its checksum alone does not show")
    assert "not signed: anyone who changes a document" in verify_document(unsigned.docx).message
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(tmp_path / "other.key"))
    other = read_key(create_key())
    check = verify_document(signed.docx, other)
    assert not check.unchanged
    assert (
        check.message
        == f"was signed with another key ({key_id(key)}), not this one ({key_id(other)})"
    )


def test_init_creates_the_key_outside_the_workspace_once(run, tmp_path, monkeypatch):
    path = tmp_path / "config" / "docgen" / "signing.key"
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(path))
    result = run("init", "clinic")
    assert result.exit_code == 0, result.output
    assert f"created the clinic's signing key {path}" in result.output
    assert path.stat().st_mode & 0o777 == 0o600
    first = path.read_bytes()
    assert not any(
        first.strip() in f.read_bytes() for f in (tmp_path / "clinic").rglob("*") if f.is_file()
    )
    again = run("init", "second")
    assert again.exit_code == 0 and "signing key" not in again.output
    assert path.read_bytes() == first  # never replaced: what it signed stays verifiable
    with pytest.raises(WorkspaceError, match="a signing key is never replaced"):
        create_key(path)

    made = run("--workspace", "clinic", "consent", "--patient", "Ann Lee", "--treatment",
               "REJUV", "--area", "FACE", "--no-estimate", "-o", "c.docx")  # fmt: skip
    assert made.exit_code == 0, made.output
    verified = run("verify", "c.docx")
    assert verified.exit_code == 0
    assert (
        "(signed with the clinic's key" in verified.output
        and "no signing key" not in verified.output
    )
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(tmp_path / "elsewhere.key"))
    unchecked = run("verify", "c.docx")
    assert unchecked.exit_code == 0
    assert "no signing key" in unchecked.output and "its signature not checked" in unchecked.output
    assert run("verify", "--key", str(path), "c.docx").exit_code == 0


def test_a_signature_of_any_text_is_refused_not_crashed_on(workspace, tmp_path, key):
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "c.docx"
    )
    signed = read_custom_properties(zipfile.ZipFile(form.docx).read("docProps/custom.xml"))
    forge(form.docx, tmp_path / "forged.docx", "", "")  # the same content, checksum again
    with zipfile.ZipFile(tmp_path / "forged.docx") as package:
        members = {item.filename: package.read(item) for item in package.infolist()}
    custom = members["docProps/custom.xml"].replace(
        signed["docgen.signature"].encode(), ("é" * 64).encode()
    )
    members["docProps/custom.xml"] = custom
    with zipfile.ZipFile(tmp_path / "odd.docx", "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    check = verify_document(tmp_path / "odd.docx", key)
    assert not check.unchanged
    assert check.message == "CHANGED: its signature does not match"


def test_a_key_others_can_read_or_a_link_to_one_is_used_with_a_warning_check_names_it(
    run, workspace, tmp_path, key, monkeypatch
):
    """A world-readable or symlinked signing key was used silently."""
    path = Path(os.environ["DOCGEN_KEY_FILE"])
    assert run("--workspace", workspace.root, "check").exit_code == 0
    path.chmod(0o644)
    made = run("--workspace", workspace.root, "consent", "--patient", "Ann Lee", "--treatment",
               "REJUV", "--area", "FACE", "--no-estimate", "-o", tmp_path / "c.docx")  # fmt: skip
    assert made.exit_code == 0, made.output
    readable = f"Warning: the signing key {path} can be read by other users of this computer"
    assert f"{readable} (mode 644): run chmod 600 {path}" in made.output
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    assert f"the signing key {path} can be read by other users" in checked.output

    path.chmod(0o600)
    link = tmp_path / "link.key"
    link.symlink_to(path)
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(link))
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    assert f"the signing key {link} is a symbolic link (to {path})" in checked.output
    verified = run("verify", tmp_path / "c.docx")
    assert verified.exit_code == 0, verified.output
    assert f"Warning: the signing key {link} is a symbolic link" in verified.output


def test_a_fifo_as_the_key_is_refused_not_waited_on(run, workspace, tmp_path, monkeypatch):
    """A FIFO given as the key file hung `verify` for ever."""
    made = run("--workspace", workspace.root, "consent", "--patient", "Ann Lee", "--treatment",
               "REJUV", "--area", "FACE", "--no-estimate", "-o", tmp_path / "c.docx")  # fmt: skip
    assert made.exit_code == 0, made.output
    fifo = tmp_path / "fifo.key"
    os.mkfifo(fifo)
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(fifo))
    with finished_within(20):
        verified = run("verify", "--key", fifo, tmp_path / "c.docx")
        checked = run("--workspace", workspace.root, "check")
    for result in (verified, checked):
        assert result.exit_code == 1
        assert f"the signing key {fifo} is not a file" in result.output


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_a_document_is_dated_the_clinics_day_not_utcs(tmp_path, zone):
    """Documents were dated by UTC's day: a Sydney clinic's morning estimate said yesterday,
    and `records --since` today left it out. These two zones are 26 hours apart: at any time,
    one of them is on another day than UTC."""
    env = {**os.environ, "TZ": zone}
    docgen = [sys.executable, "-m", "docgen"]
    made = tmp_path / "e.docx"
    subprocess.run(
        [*docgen, "estimate", "--patient", "Ann Lee", "--item", "REJUV:FACE", "-o", str(made)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    today = dt.datetime.now(ZoneInfo(zone)).date()
    assert long_date(today, "en_GB") in docx_text(made)
    listed = subprocess.run(
        [*docgen, "records", "--since", today.isoformat(), "--until", today.isoformat()],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert "Ann Lee" in listed.stdout
    assert today.isoformat() in listed.stdout  # the day it lists it by, not UTC's
