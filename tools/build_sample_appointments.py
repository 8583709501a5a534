"""Build appointments/example.xlsx and appointments/example.csv: tomorrow's list at the sample
clinic, one row per appointment, in the format `docgen batch` reads.

    python tools/build_sample_appointments.py [OUTPUT_DIR]
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HEADERS = [
    "Patient", "DOB", "Ref", "Locale", "Treatment", "Areas", "Sessions", "Practitioner",
    "Interpreter", "Documents",
]  # fmt: skip
ROWS = [
    ("Amélie Laurent-O'Brien", "1986-04-12", "LUM-004127", "en_GB", "REJUV", "FACE, NECK", "",
     "Dr Sarah Whitfield", "", "consent, estimate"),
    ("Jeanne Martin", "1979-11-30", "LUM-004128", "fr_FR", "LIPO", "ABDO, FLANKS", "3",
     "Dr Sarah Whitfield", "", "consent, estimate"),
    ("ليلى حداد", "1990-03-04", "LUM-004129", "ar", "PIGM", "FACE", "6", "Dr Omar Aziz",
     "Karim Haddad", "consent, estimate"),
    ("Hans Müller", "1968-07-21", "LUM-004130", "de_DE", "PAINR", "KNEES", "5", "Dr Omar Aziz",
     "", "consent, estimate"),
    ("Lucía Fernández", "1995-01-09", "LUM-004131", "es_ES", "HAIR", "SCALP", "6",
     "Dr Sarah Whitfield", "", "consent"),
    ("Giulia Rossi", "1988-09-15", "LUM-004132", "it_IT", "CELL", "THIGHS, BUTT", "8",
     "Dr Omar Aziz", "", "consent, estimate"),
    ("João Silva", "1983-05-02", "LUM-004133", "pt_BR", "STRIA", "ABDO", "", "Dr Omar Aziz", "",
     "estimate"),
    ("Zoë O'Brien & Sons", "1975-12-24", "LUM-004134", "", "TIGHT", "FACE, NECK", "4",
     "Dr Sarah Whitfield", "", "consent, estimate"),
    ("Priya Sharma", "2001-02-28", "LUM-004135", "en_GB", "ACNE", "FACE", "", "Dr Omar Aziz", "",
     "consent"),
    ("Marc Dubois", "1970-08-08", "LUM-004136", "fr_CA", "PAINR", "BACK", "", "Dr Omar Aziz", "",
     "consent, estimate"),
]  # fmt: skip


def build(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Appointments"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F5F5B")
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", [26, 12, 13, 8, 11, 16, 9, 20, 16, 20], strict=True):
        sheet.column_dimensions[column].width = width
    workbook.properties.created = workbook.properties.modified = dt.datetime(2026, 1, 5, 9, 0)
    workbook.save(folder / "example.xlsx")
    with (folder / "example.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(ROWS)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "appointments")
