"""A document made again goes to superseded/ with its PDF and its signed copy, and its row in
the register goes with it: `docgen records` says where each version is, and a scan of the
previous version is filed beside it there, never beside the version made in its place."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from test_batch import VISIT_HEADER, write_csv
from test_filing import as_pdf, scanned

from docgen.verify import issued_id

ANN = ["Ann Lee", "P-1", "1985-06-15", "REJUV", "FACE", "", "consent"]


def registered(run) -> dict[str, dict[str, str]]:
    """The register as `docgen records --csv` gives it, by document id."""
    listed = run("records", "--csv")
    assert listed.exit_code == 0, listed.output
    return {row["id"]: row for row in csv.DictReader(io.StringIO(listed.output))}


def scan_of(pdf: Path, scan: Path) -> Path:
    """The printed PDF as a scanner gives it back."""
    return as_pdf(scanned([pdf], scan.with_suffix("")), scan)


def test_a_batch_remake_takes_the_signed_copy_and_the_register_along_to_superseded(run, tmp_path):
    """Probe 4, HIGH 1: after batch --force the register still pointed at the old path, so the
    old version's scan was filed as the new version's consent-signed.pdf, and a copy signed
    before the remake stayed beside the new version."""
    day = write_csv(tmp_path / "day.csv", VISIT_HEADER, [ANN])
    assert run("batch", day, "-o", "out", "--jobs", "1", "--pdf").exit_code == 0
    folder = tmp_path / "out" / "P-1-Ann-Lee"
    old_form, old_record = issued_id(folder / "consent.docx"), issued_id(folder / "record.docx")
    scan_of(folder / "consent.pdf", tmp_path / "old-consent.pdf")  # signed, scanned later
    scan_of(folder / "record.pdf", tmp_path / "old-record.pdf")
    assert run("file", "old-record.pdf").exit_code == 0  # the record filed before the remake
    signed_record = (folder / "record-signed.pdf").read_bytes()

    write_csv(day, VISIT_HEADER, [[*ANN[:5], "4", "consent"]])
    forced = run("batch", day, "-o", "out", "--jobs", "1", "--pdf", "--force")
    assert forced.exit_code == 0, forced.output
    kept = folder / "superseded"
    assert (kept / f"record-{old_record}-signed.pdf").read_bytes() == signed_record
    assert not (folder / "record-signed.pdf").exists()  # never beside the new record

    filed = run("file", "old-consent.pdf")
    assert filed.exit_code == 0, filed.output
    assert f"filed as out/P-1-Ann-Lee/superseded/consent-{old_form}-signed.pdf" in filed.output
    assert not (folder / "consent-signed.pdf").exists()
    # said plainly: that version was replaced, and the one in force still needs signing
    new_form = issued_id(folder / "consent.docx")
    assert (
        f"{old_form} was replaced by {new_form}, the version in force: it is not signed yet"
        in filed.output
    )

    records = registered(run)
    for old_id, name in ((old_form, "consent"), (old_record, "record")):
        assert records[old_id]["path"] == str((kept / f"{name}-{old_id}.docx").resolve())
        assert records[old_id]["signed_copy"] == str(
            (kept / f"{name}-{old_id}-signed.pdf").resolve()
        )
    assert records[new_form]["path"] == str((folder / "consent.docx").resolve())
    assert records[new_form]["replaces"] == old_form and not records[new_form]["signed_at"]

    scan_of(folder / "consent.pdf", tmp_path / "new-consent.pdf")  # the new version's scan
    filed = run("file", "new-consent.pdf")
    assert filed.exit_code == 0, filed.output
    assert f"{new_form}: signed copy filed as out/P-1-Ann-Lee/consent-signed.pdf" in filed.output


def test_a_form_made_again_with_force_takes_its_signed_copy_and_register_row_along(run, tmp_path):
    """The same for `docgen consent --force` (and `visit`, and the desk: one writer)."""
    form = tmp_path / "ann" / "consent.docx"
    consent = ["consent", "--patient", "Ann Lee", "--treatment", "REJUV", "--area", "FACE",
               "--no-estimate", "--pdf", "-o", form]  # fmt: skip
    assert run(*consent).exit_code == 0
    old_id = issued_id(form)
    assert run("file", scan_of(form.with_suffix(".pdf"), tmp_path / "scan.pdf")).exit_code == 0
    signed = (tmp_path / "ann" / "consent-signed.pdf").read_bytes()

    again = run(*consent, "--force")
    assert again.exit_code == 0, again.output
    kept = tmp_path / "ann" / "superseded"
    assert (kept / f"consent-{old_id}-signed.pdf").read_bytes() == signed
    assert (kept / f"consent-{old_id}.pdf").is_file()
    assert not (tmp_path / "ann" / "consent-signed.pdf").exists()
    record = registered(run)[old_id]
    assert record["path"] == str((kept / f"consent-{old_id}.docx").resolve())
    assert record["signed_copy"] == str((kept / f"consent-{old_id}-signed.pdf").resolve())
