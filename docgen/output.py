"""Writing documents: safe file names, atomic writes, and never overwriting without --force."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from docgen.exceptions import OutputError, OutputExistsError

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)
}
_UNSAFE = re.compile(r"[^\w\-]+")


def safe_filename_part(text: str, fallback: str = "patient", max_length: int = 60) -> str:
    """A file-name fragment that is valid on Windows, macOS and Linux.

    Letters of any script are kept (a name in Arabic stays Arabic); everything else becomes '-'.
    """
    text = unicodedata.normalize("NFC", text)
    part = _UNSAFE.sub("-", text).strip("-_.")[:max_length].strip("-_.")
    if not part or part.upper() in _WINDOWS_RESERVED:
        return fallback
    return part


def ensure_can_write(path: Path, force: bool) -> None:
    """Fail before any work is done when the target cannot or may not be written."""
    refuse_links(path, path.parent)
    if path.is_dir():
        raise OutputError(f"{path} is a folder, not a file name")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"cannot write {path}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK):
                raise OutputError(f"cannot write {path}: no permission to write in {folder}")
            break
    if path.exists() and not force:
        raise OutputExistsError(str(path))


def pdf_beside(document: Path) -> str | None:
    """Why document may not be written without its PDF: a PDF of its name is there, which
    would no longer match it. docgen never removes it (it may be a signed copy)."""
    companion = document.with_suffix(".pdf")
    if not companion.exists():
        return None
    return (
        f"{companion} is there and would not match a new {document.name}: add --pdf to make "
        "it again from the new document, or move it away (it may be a signed copy)"
    )


def ensure_can_write_with_pdf(document: Path, pdf: bool, force: bool) -> None:
    """ensure_can_write for a .docx and, with pdf, the PDF made beside it; without pdf, a PDF
    of its name there is a reason not to write it (pdf_beside)."""
    ensure_can_write(document, force)
    if pdf:
        ensure_can_write(document.with_suffix(".pdf"), force)
    elif problem := pdf_beside(document):
        raise OutputError(problem)


SUPERSEDED = "superseded"


def superseded_path(path: Path, document_id: str) -> Path:
    """Where a document made again keeps its previous version: superseded/ beside it, named
    with that version's id (consent.docx → superseded/consent-C-20261125-5G2V7GHX1SZY.docx)."""
    name = f"{path.stem}-{safe_filename_part(document_id, fallback='previous')}{path.suffix}"
    return path.parent / SUPERSEDED / name


def signed_copy_path(document: Path) -> Path:
    """Where `docgen file` keeps a document's signed copy: <document>-signed.pdf beside it."""
    return document.with_name(f"{document.stem}{SIGNED_SUFFIX}.pdf")


SIGNED_SUFFIX = "-signed"  # ends a signed copy's name, so that no document may be named so


def move_to_superseded(
    path: Path, document_id: str, within: Path | None = None
) -> Iterator[tuple[Path, Path]]:
    """Move a document about to be made again, its PDF and its signed copy to superseded/:
    nothing docgen issued is destroyed, and a signed copy never stays beside the version made
    in its place. Yields each file (from, to) once it is moved, for the register to follow
    (Register.supersede, which every writer calls). Never over another file there, nor
    through a link (refuse_links, from within: default, the document's folder)."""
    kept = superseded_path(path, document_id)
    companions = [
        (path, kept),
        (path.with_suffix(".pdf"), kept.with_suffix(".pdf")),
        (signed_copy_path(path), signed_copy_path(kept)),
    ]
    for current, target in companions:
        if not current.exists():
            continue
        for checked in (current, target):
            refuse_links(checked, within or path.parent)
        try:
            make_private_folder(target.parent)
            move_into_place(current, target, force=False)
        except OSError as error:
            raise OutputError(f"cannot keep {current} in {SUPERSEDED}/: {error.strerror}") from None
        yield current, target


TEMPORARY_PREFIX = ".docgen-"  # a document being written, renamed into place when whole


def make_private_folder(folder: Path) -> None:
    """Make a folder and any missing parents readable by their owner only: the names of the
    documents below tell who is treated. (mkdir(parents=True) gives parents the default mode.)
    A file where one of them goes is a NotADirectoryError that names it."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        if candidate.exists():  # mkdir would say only "File exists", and not which
            message = f"{candidate} is a file, not a folder"
            raise NotADirectoryError(errno.ENOTDIR, message, str(candidate))
        missing.append(candidate)
    for candidate in reversed(missing):
        candidate.mkdir(mode=0o700, exist_ok=True)


def write_atomically(
    path: Path, data: bytes, force: bool, durable: bool = True, within: Path | None = None
) -> Path:
    """Write via a temporary file in the same folder, so a reader never sees half a document.
    Documents hold patient data: like the temporary file, they are readable by their owner only.

    durable flushes it to disk before the rename; a batch instead syncs once at its end.
    Never through a link (refuse_links, from within: default, the document's folder)."""
    refuse_links(path, within or path.parent)
    try:
        make_private_folder(path.parent)
        fd, temporary = tempfile.mkstemp(
            prefix=TEMPORARY_PREFIX, suffix=path.suffix, dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        move_into_place(Path(temporary), path, force)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def move_into_place(source: Path, path: Path, force: bool) -> None:
    """Rename source to path; without force this fails rather than replace an existing file.
    Never onto a symbolic link (refuse_links)."""
    refuse_links(path, path.parent)
    if force:
        os.replace(source, path)
        return
    try:
        os.link(source, path)  # atomic, and refuses to replace an existing file
    except FileExistsError:
        raise OutputExistsError(str(path)) from None
    except OSError:  # file systems without hard links
        if path.exists():
            raise OutputExistsError(str(path)) from None
        os.replace(source, path)
    else:
        source.unlink()


def refuse_links(path: Path, within: Path) -> None:
    """OutputError when path, or a folder between within and it, is a symbolic link. docgen
    makes none: one planted in an output folder (a patient's folder, superseded/, a document,
    the manifest) would have docgen write, move or remove files elsewhere. within itself may be
    a link: it is the folder the admin chose."""
    current = within
    for part in path.relative_to(within).parts:
        current = current / part
        if current.is_symlink():
            raise OutputError(_link_message(current))


def open_private(path: Path, flags: int) -> int:
    """os.open for a file docgen keeps in an output folder (its lock, a manifest being
    written): created readable by its owner only, and never opened through a symbolic link."""
    try:
        return os.open(path, flags | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP or path.is_symlink():
            raise OutputError(_link_message(path)) from None
        raise OutputError(f"cannot write {path}: {error.strerror}") from None


def _link_message(link: Path) -> str:
    return (
        f"{link} is a symbolic link: docgen never writes, moves or removes files through a "
        "link in its output folder. Remove the link, or write to another folder"
    )


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell a spreadsheet shows as text and never runs as a formula (OWASP's CSV
    injection guidance): one that starts like a formula, or with the quote that marks this,
    gets a leading quote. A patient reference of =HYPERLINK(…) would otherwise open a link."""
    text = str(value)
    return "'" + text if text.startswith((*_FORMULA_STARTS, "'")) else text


def csv_value(cell: str) -> str:
    """The value csv_safe wrote."""
    return cell[1:] if cell.startswith("'") else cell
