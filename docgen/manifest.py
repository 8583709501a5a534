"""The batch's manifest: what each document was made from, written row by row as documents
are made and put in place when the batch ends, and read back by the next run."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from docgen.appointments import PatientIdentity, patient_identity
from docgen.exceptions import OutputError
from docgen.output import csv_safe, csv_value, make_private_folder, open_private, refuse_links
from docgen.verify import MANIFEST

PARTIAL_MANIFEST = f".{MANIFEST}.partial"  # the manifest being written, until the batch ends

MANIFEST_FIELDS = [
    "row", "document", "patient_ref", "locale", "path", "sha256", "template_sha256",
    "price_list_sha256", "inputs_sha256", "generated", "visit", "patient", "dob", "replaces",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchDocument:
    row: int | None  # of this run's appointments file; None: listed from an earlier run
    document: str
    patient_ref: str
    locale: str
    path: str  # relative to the batch's output folder
    sha256: str
    template_sha256: str
    price_list_sha256: str
    inputs_sha256: str
    generated: str
    visit: str = ""  # the patient's visit: the folder its documents are in
    patient: str = ""  # the name and date of birth as the row gave them (with patient_ref,
    dob: str = ""  # who the visit's folder belongs to; empty in manifests before docgen 0.1)
    replaces: str = ""  # the id of the document this one was made again in place of
    skipped: bool = False

    @property
    def identity(self) -> PatientIdentity | None:
        """Whose document this is, or None for a manifest that did not record it."""
        if not self.patient:
            return None
        return patient_identity(self.patient, self.patient_ref, self.dob)


def read_manifest(output_dir: str | Path) -> list[BatchDocument]:
    """The documents a batch's manifest records, in its order."""
    path = Path(output_dir) / MANIFEST
    refuse_links(path, Path(output_dir))
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        documents = []
        for record in csv.DictReader(handle):
            values = {
                name: csv_value(value) for name, value in record.items() if name in MANIFEST_FIELDS
            }
            row = int(values["row"]) if values["row"] else None
            documents.append(BatchDocument(**{**values, "row": row}))
        return documents


class Manifest:
    """The manifest, written row by row as documents are made (so a batch of any size holds
    none of them in memory) and put in place when the batch ends."""

    def __init__(self, output_dir: Path):
        self.path = output_dir / MANIFEST
        self.partial = output_dir / PARTIAL_MANIFEST
        try:
            make_private_folder(output_dir)
        except OSError as error:
            raise OutputError(f"cannot write to {output_dir}: {error.strerror}") from None
        descriptor = open_private(self.partial, os.O_WRONLY | os.O_TRUNC)
        self.handle = open(descriptor, "w", newline="", encoding="utf-8")  # noqa: SIM115
        # every cell quoted: a line break typed in a cell (a Ref of 'A\rB') stays in its cell
        self.writer = csv.DictWriter(
            self.handle, fieldnames=MANIFEST_FIELDS, lineterminator="\n", quoting=csv.QUOTE_ALL
        )
        self.writer.writeheader()
        self.rows = 0
        self.failed = ""  # why the manifest could not be written (a full disk)

    def add(self, document: BatchDocument) -> None:
        if self.failed:  # the batch is stopping: what it still lists cannot be written either
            return
        try:
            values = {name: getattr(document, name) for name in MANIFEST_FIELDS}
            self.writer.writerow({n: "" if v is None else csv_safe(v) for n, v in values.items()})
        except OSError as error:
            self.failed = error.strerror or str(error)
            raise OutputError(self._cannot_write()) from None
        self.rows += 1

    def close(self, keep: bool) -> None:
        """Put the manifest in place; one that could not be written whole (a full disk) is
        removed, and the last run's manifest stays as it was."""
        try:
            self.handle.close()
        except OSError as error:
            self.failed = self.failed or error.strerror or str(error)
        if self.failed:
            self.partial.unlink(missing_ok=True)
            raise OutputError(self._cannot_write())
        if keep:
            self.partial.chmod(0o600)
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)

    def _cannot_write(self) -> str:
        return (
            f"cannot write {self.path}: {self.failed}. The documents made so far are whole and "
            "record what they were made from: make room, then run the batch again, which keeps "
            "them and makes the rest"
        )
