"""Bounds on what an input file may make docgen do: files anyone at the clinic can edit or email
in are read only when their size is that of the thing they claim to be."""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_WORKBOOK_BYTES = 10_000_000  # unpacked; a price list unpacks to a few hundred kB
MAX_TEMPLATE_BYTES = 50_000_000  # unpacked; a template with pictures is a few MB
MAX_APPOINTMENTS_BYTES = 50_000_000  # a day's appointments are kilobytes
LONGEST_TRANSLATION = 5000  # characters: the longest text of a workbook cell is far shorter


def oversized_package(path: Path, limit: int, what: str) -> str | None:
    """Why a zip package (.xlsx, .docx) is too large to open, judged from its directory before
    anything is unpacked; None when it is not, or is not a zip at all (its reader says so)."""
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(item.file_size for item in package.infolist())
    except (OSError, zipfile.BadZipFile):
        return None
    if unpacked > limit:
        return (
            f"unpacks to {unpacked / 1e6:.0f} MB, far more than {what} holds (at most "
            f"{limit / 1e6:.0f} MB); is it the right file?"
        )
    return None


def oversized_file(path: Path, limit: int, what: str) -> str | None:
    size = path.stat().st_size
    if size > limit:
        return f"is {size / 1e6:.0f} MB, far more than {what} holds (at most {limit / 1e6:.0f} MB)"
    return None
