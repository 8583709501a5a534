"""Bounds on what an input file may make docgen do: files anyone at the clinic can edit or email
in are read only when their size is that of the thing they claim to be."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel import Locale
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.worksheet import Worksheet

from docgen.exceptions import CatalogueFileError

MAX_WORKBOOK_BYTES = 10_000_000  # unpacked; a price list unpacks to a few hundred kB
MAX_TEMPLATE_BYTES = 50_000_000  # unpacked; a template with pictures is a few MB
MAX_APPOINTMENTS_BYTES = 50_000_000  # a day's appointments are kilobytes
MAX_CATALOGUE_BYTES = 10_000_000  # a language's catalogue, every text of docgen and a clinic's
EXCEL_ROWS = 1_048_576  # the last row Excel and LibreOffice Calc have
LONGEST_TRANSLATION = 5000  # characters: the longest text of a workbook cell is far shorter

# Characters no printed text may hold: controls XML or paper cannot show (a tab and a line break
# are text), and the bidirectional embeddings, overrides and isolates that show an amount or a
# date reversed ("1 041,67 £" as "£ 76,140 1", a phone number backwards)
CONTROL_CHARACTERS = re.compile(  # with the noncharacters docgen alone writes (i18n.CLINIC_LINE)
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]"
)
# What starts a line of its own, or jumps along one: in a text printed on one line (a tax's name,
# a label among an estimate's totals) it would print a line the text does not have
LINE_BREAKS = frozenset("\n\r\t\u2028\u2029")
# Marks that set the direction of the text around them: Arabic or Hebrew may need them; in
# left-to-right text they only reorder it ("1'041,67 CHF" as "041,67'1 CHF")
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")


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


def catalogue_bytes(path: Path) -> bytes:
    """A translation catalogue's bytes (.po or .mo), read only if it is a file of at most
    MAX_CATALOGUE_BYTES: one linked to /dev/zero filled the memory of `docgen check`, and a
    named pipe would keep it waiting for ever."""
    if not path.is_file():
        raise CatalogueFileError(f"{path}: not a file, so not a catalogue docgen reads")
    if too_big := oversized_file(path, MAX_CATALOGUE_BYTES, "a catalogue"):
        raise CatalogueFileError(f"{path} {too_big}")
    return path.read_bytes()


def oversized_file(path: Path, limit: int, what: str) -> str | None:
    size = path.stat().st_size
    if size > limit:
        return f"is {size / 1e6:.0f} MB, far more than {what} holds (at most {limit / 1e6:.0f} MB)"
    return None


def existing_rows(
    sheet: ReadOnlyWorksheet, max_col: int | None = None, values_only: bool = True
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Each row a read-only sheet's file holds, as (row number, values, or cells with their
    number formats), through openpyxl's own parser. iter_rows pads the gaps between rows with
    empty ones: a 2 kB workbook with a cell in row 100,000,000 took a hundred million empty
    rows, minutes, to read."""
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=sheet.parent.data_only,
            epoch=sheet.parent.epoch,
            date_formats=sheet.parent._date_formats,
        )
        for number, cells in parser.parse():
            yield number, tuple(sheet._get_row(cells, max_col=max_col, values_only=values_only))


def row_numbers(sheet: Worksheet) -> list[int]:
    """The numbers of the rows a fully loaded sheet holds cells in, in order: the rows that
    exist, however far down the last one is (max_row counts the ones between)."""
    return sorted({row for row, _column in sheet._cells})


def unusable_translation(text: str, language: str, source: str = "") -> str | None:
    """Why a typed or imported translation into language of source can never be printed as it
    reads, or None: far too long (a 200,000-character one made a 22-page estimate), a control
    character no document holds, a direction mark in a left-to-right language, or a line break
    or tab in the translation of a text on one line (a tax's name, 'Total': it printed a line
    of its own among an estimate's totals)."""
    if not LINE_BREAKS.isdisjoint(text) and LINE_BREAKS.isdisjoint(source):
        return "breaks a line the text it translates does not: keep it on one line"
    if len(text) > LONGEST_TRANSLATION:
        return f"is {len(text)} characters long; at most {LONGEST_TRANSLATION}"
    if control := CONTROL_CHARACTERS.search(text):
        return f"holds the control character U+{ord(control.group()):04X}: type it again"
    mark = next((ch for ch in text if ch in DIRECTION_MARKS), None)
    if mark and (not language or Locale.parse(language).character_order == "left-to-right"):
        return f"holds the direction mark U+{ord(mark):04X}: type it again"
    return None


_PLACEHOLDER = re.compile(r"%\(([^)]+)\)")


_FORMATTING = re.compile(r"%\([^)]+\)[sd]|%%")  # what % stands for when a text is filled in


def placeholder_problem(source: str, translated: str, plural: bool = False) -> str | None:
    """Why translated cannot be filled in where source is, or None: every placeholder kept (a
    plural's forms may leave out the count, 'une séance'), none added, no stray %."""
    names, found = set(_PLACEHOLDER.findall(source)), set(_PLACEHOLDER.findall(translated))
    lost = names - found - ({"count"} if plural else set())
    if lost:
        return "leaves out " + ", ".join(f"%({name})s" for name in sorted(lost))
    if unknown := found - names:
        shown = ", ".join(f"%({name})s" for name in sorted(unknown))
        return f"has {shown}, which the text it translates does not"
    if _FORMATTING.sub("", translated).count("%") != _FORMATTING.sub("", source).count("%"):
        return "has a % sign the text it translates does not: write it as %%"
    return None


def translation_problem(
    source: str, translation: str, language: str, *, plural: bool = False
) -> str | None:
    """Why a translation may not be printed where source is, or None: the one check every
    translation passes wherever it comes from (typed on the desk, imported, compiled by docgen
    or by another tool). It reads after "translation of 'Total' "."""
    return unusable_translation(translation, language, source) or placeholder_problem(
        source, translation, plural=plural
    )
