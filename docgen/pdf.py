"""Convert step: .docx to .pdf with LibreOffice, many files per start of LibreOffice."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
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
    documents: Sequence[Path], *, force: bool = False, jobs: int = 1, timeout: int = 1800
) -> list[Path]:
    """Write a PDF beside each .docx and return the PDFs.

    LibreOffice starts once per job, never once per document: the documents are linked into
    one staging folder under unique names (many are called consent.docx), split between `jobs`
    LibreOffice processes with their own profiles, and each PDF is moved next to its .docx."""
    if not documents:
        return []
    soffice = find_soffice()
    staging_parent = documents[0].parent
    with tempfile.TemporaryDirectory(prefix=".docgen-pdf-", dir=staging_parent) as staging:
        staged = []
        for index, document in enumerate(documents):
            name = Path(staging) / f"{index:06d}.docx"
            try:
                os.link(document, name)
            except OSError:  # another file system, or no hard links
                shutil.copyfile(document, name)
            staged.append(name)
        groups = [staged[i::jobs] for i in range(max(1, min(jobs, len(staged))))]
        with contextlib.ExitStack() as stack:
            running = []
            for group in groups:
                profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="docgen-lo-"))
                command = [
                    soffice,
                    f"-env:UserInstallation={Path(profile).as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf:writer_pdf_Export",
                    "--outdir",
                    str(Path(staging) / "out"),
                    *[str(name) for name in group],
                ]
                running.append(
                    subprocess.Popen(
                        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    )
                )
            outputs = []
            for process in running:
                try:
                    outputs.append(process.communicate(timeout=timeout))
                except subprocess.TimeoutExpired:
                    for other in running:
                        other.kill()
                    raise PdfError(
                        f"LibreOffice did not finish converting within {timeout} s"
                    ) from None
        written = []
        for name, document in zip(staged, documents, strict=True):
            produced = Path(staging) / "out" / (name.stem + ".pdf")
            if not produced.is_file() or produced.stat().st_size == 0:
                detail = " ".join(out.strip() + " " + err.strip() for out, err in outputs)
                codes = ", ".join(str(process.returncode) for process in running)
                raise PdfError(
                    f"LibreOffice could not convert {document} to PDF (exit {codes}): "
                    f"{detail.strip()}"
                )
            target = document.with_suffix(".pdf")
            produced.chmod(0o600)  # patient data: readable by its owner only, like the .docx
            move_into_place(produced, target, force)
            written.append(target)
    return written
