"""Documents are records: reproducible with --date, traceable through their properties, and
verifiable years later with docgen verify."""

from __future__ import annotations

import datetime as dt
import zipfile

import docx
from click.testing import CliRunner

from docgen.batch import run_batch
from docgen.cli import main
from docgen.generate import create_consent, create_estimate
from docgen.render import read_custom_properties
from docgen.verify import verify_document
from docgen.visit import Visit
from docgen.workspace import Workspace

ISSUED = dt.date(2026, 3, 2)


def test_same_inputs_and_date_give_identical_bytes(workspace, tmp_path):
    for name in ("a", "b"):
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


def test_batches_are_reproducible(tmp_path):
    sample = Workspace.open().root / "appointments" / "example.csv"
    for name in ("one", "two"):
        assert run_batch(Workspace.open(), sample, tmp_path / name, jobs=2, issued=ISSUED).ok
    for document in run_batch(
        Workspace.open(), sample, tmp_path / "one", issued=ISSUED
    ).documents():
        assert (tmp_path / "one" / document.path).read_bytes() == (
            tmp_path / "two" / document.path
        ).read_bytes()


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
