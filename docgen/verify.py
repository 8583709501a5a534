"""`docgen verify`: is a document still the one docgen generated?

Every document carries, in its custom properties, a SHA-256 over all its package members
(text, layout, properties). Verifying recomputes it; a document from a batch is also checked
against the batch's manifest (the SHA-256 of the whole file), found next to it or one folder up.
Anyone can recompute a checksum after changing a document, so that proves only that nothing
changed by accident. Proof that docgen made it, unchanged, is the signature a clinic's key adds
(docgen.signing): verify checks it with that key, and without one says that it did not.
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docgen.register import Register, file_sha256
from docgen.render import (
    CONTENT_CHECKSUM,
    CUSTOM_PROPERTIES,
    SIGNATURE,
    SIGNING_KEY,
    content_checksum,
    read_custom_properties,
)
from docgen.signing import key_id, signature_matches

MANIFEST = "manifest.csv"
# unpacked, all members together: a docgen document is a few hundred kB, its pictures included;
# 60 members of 49 MB each once made verify hold 2.96 GB
MAX_DOCUMENT_BYTES = 50_000_000


@dataclass(frozen=True)
class Verification:
    path: Path
    unchanged: bool
    message: str
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def document_id(self) -> str:
        return self.properties.get("docgen.document-id", "")


def verify_content(path: str | Path, key: bytes | None = None) -> Verification:
    """Recompute the document's content checksum and compare it with the one it records; with
    the clinic's key, also check the signature that key made of it."""
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        return Verification(
            path, False,
            f"is a PDF, which carries no docgen checksum: verify {path.with_suffix('.docx').name}, "
            "the Word document it was made from",
        )  # fmt: skip
    try:
        with zipfile.ZipFile(path) as package:
            members = [i for i in package.infolist() if not i.is_dir()]
            unpacked = sum(i.file_size for i in members)
            if unpacked > MAX_DOCUMENT_BYTES:
                return Verification(
                    path, False,
                    f"unpacks to {unpacked / 1e6:.0f} MB, far more than a docgen document holds "
                    f"(at most {MAX_DOCUMENT_BYTES / 1e6:.0f} MB): not one docgen made",
                )  # fmt: skip
            if len({i.filename for i in members}) != len(members):
                return Verification(path, False, "holds two parts of the same name: altered")
            data = {i.filename: package.read(i) for i in members}
    except (OSError, zipfile.BadZipFile) as error:
        return Verification(path, False, f"cannot be read as a .docx ({error})")
    if CUSTOM_PROPERTIES not in data:
        return Verification(path, False, "has no docgen properties: not made by docgen")
    try:
        properties = read_custom_properties(data[CUSTOM_PROPERTIES])
    except Exception:  # lxml raises several kinds for a damaged part
        return Verification(path, False, "has damaged docgen properties")
    if not properties.get(CONTENT_CHECKSUM):
        return Verification(path, False, "has no content checksum", properties)
    checksum = content_checksum(data)
    if checksum != properties[CONTENT_CHECKSUM]:
        return Verification(path, False, "CHANGED since docgen generated it", properties)
    generated = properties.get("docgen.generated", "")
    recorded, signer = properties.get(SIGNATURE, ""), properties.get(SIGNING_KEY, "")
    if key is None:
        unchecked = (
            "its signature not checked: no signing key here"
            if recorded
            else "not signed: anyone who changes a document can recompute its checksum"
        )
        message = f"unchanged since {generated} (content checksum only, {unchecked}"
        return Verification(path, True, message, properties)
    if not recorded:
        message = (
            "carries no signature: its checksum alone does not show that docgen made it "
            "unchanged, as anyone can recompute one"
        )
        return Verification(path, False, message, properties)
    if signer != key_id(key):
        message = f"was signed with another key ({signer}), not this one ({key_id(key)})"
        return Verification(path, False, message, properties)
    if not signature_matches(key, checksum, recorded):
        return Verification(path, False, "CHANGED: its signature does not match", properties)
    message = f"unchanged since {generated} (signed with the clinic's key {signer}"
    return Verification(path, True, message, properties)


def issued_id(path: Path) -> str:
    """The id a document carries, or for one without (altered), the start of its SHA-256."""
    found = verify_content(path).document_id
    return found or file_sha256(path)[:12]


def replaced_at(path: Path, register: Register) -> str:
    """The id of the document that one made at path replaces: the one there, or the one the
    register has in force there though its file has gone; '' for none, and for a copy of a
    document the register has elsewhere (made into two folders with --date, or copied by
    hand): that document stands where it is, and nothing made here replaces it."""
    if not path.is_file():
        earlier = register.in_force_at(path)
        return earlier.id if earlier else ""
    document_id = issued_id(path)
    issued = register.get(document_id)
    return "" if issued and issued.path != str(path.resolve()) else document_id


def _manifest_entry(path: Path) -> dict[str, str] | None:
    """The document's record in a batch manifest next to it or one folder up; a manifest that
    cannot be read is no evidence either way."""
    for folder in (path.parent, path.parent.parent):
        manifest = folder / MANIFEST
        if not manifest.is_file():
            continue
        try:
            relative = path.absolute().relative_to(folder.absolute()).as_posix()
            with manifest.open(newline="", encoding="utf-8") as handle:
                for record in csv.DictReader(handle):
                    if record.get("path") == relative:
                        return record
        except (ValueError, UnicodeDecodeError, csv.Error, OSError):
            continue
    return None


def verify_document(
    path: str | Path, key: bytes | None = None, register: Register | None = None
) -> Verification:
    """verify_content, and for a batch document the whole file against the batch manifest;
    with the workspace's register, what it says of the document (unknown, recorded, replaced),
    and a file other than the one it recorded fails."""
    result = verify_content(path, key)
    if not result.unchanged:
        return result
    sha256 = file_sha256(result.path)
    entry = _manifest_entry(result.path)
    if entry is not None and entry["sha256"] != sha256:
        return Verification(
            result.path, False, "differs from its batch manifest", result.properties
        )
    message = result.message + (" and its batch manifest)" if entry is not None else ")")
    if register is not None:
        agrees, said = register.status(result.document_id, sha256, result.path)
        if not agrees:
            return Verification(result.path, False, said, result.properties)
        message += f"; {said}"
    return Verification(result.path, True, message, result.properties)
