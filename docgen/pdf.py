"""Convert step: .docx to .pdf with LibreOffice, many files per start of LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from docgen.exceptions import PdfError
from docgen.output import move_into_place

INSTALL_HELP = (
    "LibreOffice is needed to make PDFs and was not found. "
    "Install it, then run the command again:\n"
    "  Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui\n"
    "  Fedora:        sudo dnf install libreoffice-writer\n"
    "  macOS:         brew install --cask libreoffice\n"
    "  Windows:       https://www.libreoffice.org/download/\n"
    "or set DOCGEN_SOFFICE to the full path of its 'soffice' program. "
    "Nothing was written; without --pdf, docgen writes the .docx alone."
)

_KNOWN_LOCATIONS = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str:
    """The LibreOffice program to run, or PdfError saying how to install it."""
    configured = os.environ.get("DOCGEN_SOFFICE")
    if configured:
        if Path(configured).is_file():
            return configured
        raise PdfError(
            f"DOCGEN_SOFFICE is set to {configured!r}, which is not a file.\n" + INSTALL_HELP
        )
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for location in _KNOWN_LOCATIONS:
        if Path(location).is_file():
            return location
    raise PdfError(INSTALL_HELP)


def libreoffice_available() -> bool:
    try:
        find_soffice()
    except PdfError:
        return False
    return True


def convert_to_pdf(
    documents: Sequence[Path], *, force: bool = False, timeout: int = 600
) -> list[Path]:
    """Write a PDF beside each .docx, starting LibreOffice once per folder; return the PDFs."""
    soffice = find_soffice()
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for document in documents:
        by_folder[document.parent].append(document)
    written = []
    for folder, group in by_folder.items():
        with (
            tempfile.TemporaryDirectory(prefix=".docgen-pdf-", dir=folder) as staging,
            tempfile.TemporaryDirectory(prefix="docgen-lo-profile-") as profile,
        ):
            command = [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf:writer_pdf_Export",
                "--outdir",
                staging,
                *[str(d) for d in group],
            ]
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise PdfError(
                    f"LibreOffice did not finish converting within {timeout} s"
                ) from None
            for document in group:
                produced = Path(staging) / (document.stem + ".pdf")
                if not produced.is_file() or produced.stat().st_size == 0:
                    raise PdfError(
                        f"LibreOffice could not convert {document} to PDF "
                        f"(exit {result.returncode}): {(result.stderr or result.stdout).strip()}"
                    )
                target = document.with_suffix(".pdf")
                move_into_place(produced, target, force)
                written.append(target)
    return written
