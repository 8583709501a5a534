"""Reading an appointments file (.xlsx or .csv): one Appointment per well-formed row, or the
reasons a row is not (its cells named), read as the batch goes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from string import ascii_uppercase
from xml.etree import ElementTree

import openpyxl
from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from docgen.estimate import MOST_SESSIONS, Discount, parse_sessions
from docgen.exceptions import BatchError, DocgenError, FieldProblem, Message, PlanError
from docgen.generate import DOCUMENT_KINDS
from docgen.i18n import N_, is_locale_code
from docgen.limits import MAX_APPOINTMENTS_BYTES, existing_rows, oversized_file, oversized_package
from docgen.output import safe_filename_part
from docgen.patient import LONGEST_TEXT, same_typing, text_problems
from docgen.pricing import normalise_header
from docgen.sheets import percent_shown
from docgen.visit import Visit

COLUMNS = {  # header → required
    "patient": True,
    "dob": False,
    "ref": False,
    "locale": False,
    "treatment": True,
    "areas": True,
    "sessions": False,
    "practitioner": False,
    "interpreter": False,
    "patient language": False,
    "documents": False,
    "allow minor": False,
    "informed on": False,
    "discount": False,
    "discount reason": False,
    "consultation": False,
}


YES = ("yes", "y", "true", "1")
YES_NO = ("", *YES, "no", "n", "false", "0")


@dataclass(frozen=True)
class Appointment:
    row: int
    patient: str
    treatment: str
    areas: tuple[str, ...]
    dob: str = ""
    ref: str = ""
    locale: str = ""
    sessions: int | None = None
    practitioner: str = ""
    interpreter: str = ""
    patient_language: str = ""  # when it is not the documents' language
    documents: tuple[str, ...] = DOCUMENT_KINDS
    allow_minor: bool = False  # a patient under 18, with a parent or guardian signing
    informed_on: str = ""  # when the information was given, if not on the documents' date
    discount: Discount | None = None  # on the visit's estimate (one row gives it, or each)
    consultation: bool = False  # the visit's estimate has the initial consultation (any row)

    @property
    def identity(self) -> PatientIdentity:
        """Who this row is for, exactly as typed: the rows of one identity are one visit."""
        return patient_identity(self.patient, self.ref, self.dob)

    @property
    def visit(self) -> Visit:
        """This row alone as a visit: what a consent form for its treatment is planned from.
        Without its discount, which a batch takes off the whole visit's estimate."""
        return Visit.for_treatment(
            self.patient, self.treatment, self.areas, self.sessions,
            date_of_birth=self.dob or None, reference=self.ref, practitioner=self.practitioner,
            interpreter=self.interpreter, patient_language=self.patient_language or None,
            allow_minor=self.allow_minor, informed_on=self.informed_on or None,
        )  # fmt: skip


PatientIdentity = tuple[str, ...]


def patient_identity(patient: str, ref: str, dob: str) -> PatientIdentity:
    """A patient as README's rule tells them apart, from the cells exactly as typed: the
    same reference and name, or, without a reference, the same name and date of birth.
    "Anne-Marie Dupont" and "Anne Marie Dupont", or LUM/0041 and LUM-0041, are two patients."""
    patient = same_typing(patient)
    if ref:
        return ("ref", ref, patient)
    if dob:
        return ("dob", dob, patient)
    return ("name", patient)


def _base_folder(identity: PatientIdentity) -> str:
    """The readable folder name of a patient: reference (or date of birth) and name, made
    safe for every file system. Safe names fold punctuation, so two patients may share one."""
    name = "-".join(identity[1:])
    return safe_filename_part(name, fallback="patient", max_length=80)


def _distinct_folder(identity: PatientIdentity, digits: int = 8) -> str:
    """The readable name followed by hex digits of the identity as typed."""
    digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:digits]
    return f"{_base_folder(identity)}-{digest}"


def visit_folders(
    identities: Iterable[PatientIdentity],
    recorded: Mapping[str, PatientIdentity | None] | None = None,
) -> dict[PatientIdentity, str]:
    """The output folder of each patient of a batch, never shared by two patients.

    recorded: the folders already in the output folder, each with its patient, or None where
    no one can tell whose it is (a folder whose manifest a killed run never wrote, an older
    manifest, documents of more than one patient): such a folder is never given to anyone.
    A patient keeps the folder recorded for them. Otherwise a patient gets the readable name
    alone when no one else of this batch has it and no folder is there by that name, and the
    readable name followed by a digest of the identity when someone has; a longer digest in
    the unlikely case that another patient's name reads as that (a name chosen to). The same
    patient always gets the same folder, whatever the order of the rows. Names are compared
    as a case-insensitive file system compares them."""
    recorded = recorded or {}
    known = {owner: folder for folder, owner in recorded.items() if owner}
    folders: dict[PatientIdentity, str] = {}
    sharing: dict[str, list[PatientIdentity]] = defaultdict(list)
    for identity in dict.fromkeys(identities):
        if identity in known:
            folders[identity] = known[identity]
        else:
            sharing[_base_folder(identity).casefold()].append(identity)
    claimed = {folder.casefold() for folder in [*recorded, *folders.values()]}
    choices: dict[PatientIdentity, list[str]] = {}
    for base, patients in sharing.items():
        alone = len(patients) == 1 and base not in claimed
        for identity in patients:
            readable = [_base_folder(identity)] if alone else []
            choices[identity] = readable + [_distinct_folder(identity, n) for n in (8, 16, 64)]
    first_choices = Counter(names[0].casefold() for names in choices.values())
    for identity in sorted(choices):
        names = choices[identity]
        folders[identity] = next(
            name
            for name in names
            if name.casefold() not in claimed
            and first_choices[name.casefold()] == (name == names[0])  # no one else's first
        )
        claimed.add(folders[identity].casefold())
    return folders


@dataclass(frozen=True)
class RowFailure:
    row: int
    problems: tuple[str, ...]  # plain messages, or FieldProblems that a page can translate
    identity: PatientIdentity = ()  # the patient whose visit the row belongs to

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)


Record = tuple[int, dict[str, str], dict[str, str]]  # row, {header: text}, {header: column}


def _records(path: Path) -> Iterator[Record]:
    """(row number, {normalised header: text}, {header: column letter}) for every non-blank
    row of a .xlsx or .csv; the letters are the same dict for every row."""
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise BatchError(
                f"{path.name} is not UTF-8 text (byte {error.start}); save it as "
                "'CSV UTF-8' from Excel or LibreOffice"
            ) from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:  # a single column, or too little text to tell: plain commas
            dialect = csv.excel
        rows = enumerate(csv.reader(io.StringIO(text), dialect), start=1)
        yield from _rows(path, ((number, [cell.strip() for cell in row]) for number, row in rows))
    else:
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises whatever its parsers meet
            raise BatchError(
                f"{path.name} is neither a .csv file nor an Excel workbook that can be opened "
                f"({type(error).__name__})"
            ) from None
        try:
            first = workbook.worksheets[0]
            if problems := _workbook_problems(path, first):
                raise BatchError(f"{path.name}, sheet {first.title!r}: " + "; ".join(problems))
            values = (
                (number, [_cell_text(cell) for cell in row])
                for number, row in existing_rows(workbook.worksheets[0], values_only=False)
            )
            yield from _rows(path, values)
        finally:
            workbook.close()


def _workbook_problems(path: Path, sheet: ReadOnlyWorksheet) -> list[str]:
    """What would have a batch read another day than the one an admin sees, found before a
    row is read: the first sheet hidden, a row holding values hidden (by hand or by a filter:
    a cancelled appointment hidden from view would still be made), cells merged across rows
    (a merged cell holds its value in its first row only: the other patients' rows read
    blank, a course instead of their sessions), and formulas never calculated (openpyxl and
    some exports save none of their values: each would read blank)."""
    if sheet.sheet_state != "visible":
        return [
            f"its first sheet, {sheet.title!r}, which a batch reads, is hidden; unhide it, or "
            "move the day's appointments to the first sheet"
        ]
    problems = []
    with sheet._get_source() as source:
        for _event, element in ElementTree.iterparse(source):
            if element.tag.endswith("}mergeCell"):
                first, _, last = element.get("ref", "").partition(":")
                if last and first.lstrip(ascii_uppercase) != last.lstrip(ascii_uppercase):
                    problems.append(
                        f"cells {element.get('ref')} are merged, and a merged cell holds its "
                        "value in its first row only; unmerge them and type the value in each row"
                    )
            elif element.tag.endswith("}row"):
                holds_values = any(cell.tag.endswith("}c") and len(cell) for cell in element)
                if element.get("hidden") in ("1", "true") and holds_values:
                    problems.append(
                        f"row {element.get('r')} is hidden (by hand or by a filter), and a batch "
                        "reads every row, shown or not; delete it if it is not for this day, or "
                        "show it"
                    )
                element.clear()
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        written = existing_rows(formulas[sheet.title], values_only=False)
        calculated = existing_rows(sheet, values_only=False)
        for (_, cells), (_, values) in zip(written, calculated, strict=False):
            problems += [
                f"cell {cell.coordinate}: formula {cell.value} has no saved value; open the "
                "file in Excel or LibreOffice and save it, so that its results are stored"
                for cell, value in zip(cells, values, strict=False)
                if isinstance(cell.value, str)
                and cell.value.startswith("=")
                and value.value is None
            ]
    finally:
        formulas.close()
    return problems


def _rows(path: Path, values: Iterator[tuple[int, list[str]]]) -> Iterator[Record]:
    """The records of numbered rows, the first of which names the columns."""
    _, header = next(values, (1, None))
    if not header or not any(header):
        raise BatchError(f"{path.name} is empty: expected a header row and one row per patient")
    headers = [normalise_header(h) for h in header]
    missing = [name for name, required in COLUMNS.items() if required and name not in headers]
    if missing:
        # The cells found are not repeated: without a header row they would be a patient's.
        raise BatchError(
            f"{path.name}: missing column(s) {', '.join(missing)} in the first row, which must "
            "name the columns (Patient, Treatment, Areas, …)"
        )
    if problems := _header_problems(header, headers):
        raise BatchError(f"{path.name}: " + "; ".join(problems))
    columns = {h: get_column_letter(i) for i, h in enumerate(headers, start=1) if h in COLUMNS}
    for number, row in values:
        if any(row):
            record = {h: v for h, v in zip(headers, row, strict=False) if h in COLUMNS}
            yield number, record, columns


def _header_problems(header: list[str], headers: list[str]) -> list[str]:
    """A column docgen reads named twice (the last one's cells were read, silently: another
    patient's name), or named with a % sign ('Discount %' read 10 as an amount)."""
    problems, first = [], {}
    for index, (typed, name) in enumerate(zip(header, headers, strict=True), start=1):
        if name not in COLUMNS:
            continue
        cell = f"{get_column_letter(index)}1"
        if "%" in str(typed):
            problems.append(
                f"cell {cell} {typed!r}: name the column {name.capitalize()}, and type a "
                "percentage in its cells with its % sign (10%)"
            )
        if name in first:
            problems.append(
                f"cells {first[name]} and {cell} both name the column {name.capitalize()}: keep one"
            )
        first.setdefault(name, cell)
    return problems


def _cell_text(cell: ReadOnlyCell | EmptyCell) -> str:
    """A cell as it reads on screen where it matters: a date as YYYY-MM-DD, a whole number
    without '.0', and a percentage with its % sign."""
    value = cell.value
    if value is None:
        return ""
    number_format = getattr(cell, "number_format", "")
    if isinstance(value, int | float) and "%" in number_format:  # as shown: 10% is kept as 0.1
        shown = percent_shown(number_format, value)
        if shown is None:  # read two ways: refused wherever a figure is expected
            return f"{value} (a cell formatted {number_format})"
        if shown:
            scale = 100 if shown == "scaled" else 1
            return f"{(Decimal(repr(value)) * scale).normalize():f}%"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


def read_appointments(path: str | Path) -> tuple[list[Appointment], list[RowFailure]]:
    """The appointments of a .xlsx (first sheet) or .csv file, and the rows that are not
    even well-formed (sessions that are not a number, an unknown document kind)."""
    appointments, failures = [], []
    for item in iter_appointments(path):
        (failures if isinstance(item, RowFailure) else appointments).append(item)
    return appointments, failures


def iter_appointments(path: str | Path) -> Iterator[Appointment | RowFailure]:
    """One appointment, or the reason its row is not well-formed, per row, read as needed."""
    try:
        yield from _appointments(Path(path))
    except BatchError:
        raise
    except Exception as error:  # csv and openpyxl raise many kinds on a damaged file
        raise BatchError(
            f"{Path(path).name} could not be read to the end ({type(error).__name__}); save it "
            "again from Excel or LibreOffice"
        ) from None


def _appointments(path: Path) -> Iterator[Appointment | RowFailure]:
    if not path.is_file():
        raise BatchError(f"{path} not found")
    too_big = oversized_file(path, MAX_APPOINTMENTS_BYTES, "a list of appointments") or (
        oversized_package(path, MAX_APPOINTMENTS_BYTES, "a list of appointments")
    )
    if too_big:
        raise BatchError(f"{path.name} {too_big}")
    empty = True
    for row, record, columns in _records(path):
        empty = False
        problems = []
        sessions = record.get("sessions", "")
        if sessions and parse_sessions(sessions) is None:
            message = N_(
                "cell %(cell)s: sessions '%(value)s' is not a whole number from 1 to %(most)s"
            )
            cell = f"{columns['sessions']}{row}"
            problems.append(
                FieldProblem("sessions", message, cell=cell, value=sessions, most=MOST_SESSIONS)
            )
        documents = tuple(d.lower() for d in _split(record.get("documents", "")))
        unknown = [d for d in documents if d not in DOCUMENT_KINDS]
        if unknown:
            message = N_(
                "cell %(cell)s: documents %(unknown)s unknown; use consent and/or estimate"
            )
            cell = f"{columns['documents']}{row}"
            problems.append(
                FieldProblem("documents", message, cell=cell, unknown=", ".join(unknown))
            )
        patient_language = record.get("patient language", "").strip().replace("-", "_")
        if patient_language and not is_locale_code(patient_language):
            message = N_(
                "cell %(cell)s: patient language '%(value)s' is not a language code such as pl "
                "or pt_BR"
            )
            cell = f"{columns['patient language']}{row}"
            problems.append(
                FieldProblem("patient_language", message, cell=cell, value=patient_language)
            )
        allow_minor = record.get("allow minor", "").strip().lower()
        if allow_minor not in YES_NO:
            message = N_("cell %(cell)s: allow minor '%(value)s' is not yes or no")
            cell = f"{columns['allow minor']}{row}"
            problems.append(FieldProblem("allow_minor", message, cell=cell, value=allow_minor))
        consultation = record.get("consultation", "").strip().lower()
        if consultation not in YES_NO:
            message = N_("cell %(cell)s: consultation '%(value)s' is not yes or no")
            cell = f"{columns['consultation']}{row}"
            problems.append(FieldProblem("consultation", message, cell=cell, value=consultation))
        discount = None
        try:
            discount = Discount.parse(record.get("discount"), record.get("discount reason"))
        except PlanError as error:
            problems.extend(error.problems)
        problems.extend(
            text_problems(
                **{
                    field: record.get(field, "").strip()
                    for field in LONGEST_TEXT
                    if field != "patient"
                }
            )
        )
        if problems:
            identity = patient_identity(
                record.get("patient", ""), record.get("ref", ""), record.get("dob", "")
            )
            yield RowFailure(row, tuple(problems), identity)
            continue
        yield Appointment(
            row=row,
            patient=record.get("patient", ""),
            treatment=record.get("treatment", ""),
            areas=_split(record.get("areas", "")),
            dob=record.get("dob", ""),
            ref=record.get("ref", ""),
            locale=record.get("locale", ""),
            sessions=parse_sessions(sessions),
            practitioner=record.get("practitioner", ""),
            interpreter=record.get("interpreter", ""),
            patient_language=patient_language,
            documents=documents or DOCUMENT_KINDS,
            allow_minor=allow_minor in YES,
            informed_on=record.get("informed on", ""),
            discount=discount,
            consultation=consultation in YES,
        )
    if empty:
        raise BatchError(f"{path.name} has a header row but no appointments")


def count_appointments(appointments_file: str | Path) -> int:
    """How many appointments a batch holds (for a progress bar); 0 if it cannot be read."""
    try:
        return sum(1 for item in iter_appointments(appointments_file))
    except DocgenError:
        return 0


# The column of a file that each input a problem is about (FieldProblem.field) comes from.
FIELD_COLUMNS = {
    "patient": "patient", "dob": "dob", "ref": "ref", "locale": "locale",
    "treatment": "treatment", "area": "areas", "sessions": "sessions",
    "informed_on": "informed on", "discount": "discount", "discount_reason": "discount reason",
    "consultation": "consultation",
}  # fmt: skip


def located(failure: RowFailure, columns: dict[str, str]) -> RowFailure:
    """A row's problems with the cell each is about, where the file has that column."""

    def locate(problem: str) -> str:
        header = FIELD_COLUMNS.get(getattr(problem, "field", ""))
        if header not in columns or "cell" in getattr(problem, "values", {}):
            return problem  # about no column, or naming its cell already
        cell = f"{columns[header]}{failure.row}"
        return Message(N_("cell %(cell)s: %(problem)s"), cell=cell, problem=problem)

    return replace(failure, problems=tuple(map(locate, failure.problems)))


def column_letters(path: Path) -> dict[str, str]:
    """{header: column letter} of an appointments file already read once without error."""
    records = _records(path)
    try:
        return next(records, (0, {}, {}))[2]
    finally:
        records.close()  # closes the workbook now (an open file cannot be removed on Windows)
