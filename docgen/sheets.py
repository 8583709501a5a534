"""Workbook sheets declared once — each column's header, how its cells are read, whether it is
required, its help text — and read from that declaration.

Sheets are found by name and columns by header (case-insensitive, any order, extra columns
ignored). No cell is trusted: every problem is collected with its file, sheet and cell, and all
of them are raised together in one WorkbookError. README's tables of a workbook's sheets are
written from the same declaration (`reference`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import openpyxl
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, list_currencies
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from docgen.exceptions import Message, Problem, WorkbookError
from docgen.i18n import N_, locale_as_written
from docgen.limits import (
    CONTROL_CHARACTERS,
    DIRECTION_MARKS,
    EXCEL_ROWS,
    LINE_BREAKS,
    LONGEST_TRANSLATION,
    MAX_WORKBOOK_BYTES,
    oversized_package,
    row_numbers,
)

MAX_NUMBER = Decimal(1_000_000_000)
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}

Record = TypeVar("Record")
# A sheet as read twice: its saved values, and its formulas (to name a formula never computed)
Worksheets = tuple[Worksheet, Worksheet]


def percent_shown(number_format: str, value: float) -> str | None:
    """How a cell's number format shows a % beside its value, in the section that applies to
    it (positive;negative;zero): "scaled" (20% stores 0.2), "label" (a % typed in quotes or
    after a backslash: 0.5% stores 0.5), or "" (none shown: a % after an underscore is room
    for it, after a star a fill, in brackets a currency); None where the sections depend on
    conditions ([<1]…), which docgen does not read."""
    tokens = re.findall(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]|.', number_format or "")
    sections: list[list[str]] = [[]]
    for token in tokens:
        if token == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    if any(re.match(r"\[[<>=]", token) for token in tokens):
        return None
    index = 1 if value < 0 else 2 if value == 0 else 0
    section = sections[index] if index < len(sections) and sections[index] else sections[0]
    if "%" in section:
        return "scaled"
    labelled = any(t[0] in '"\\' and "%" in t for t in section)
    return "label" if labelled else ""


def normalise_header(header: Any) -> str:
    return " ".join(str(header).replace("_", " ").replace("%", " ").split()).lower()


# --- the declaration -----------------------------------------------------------------------------


class ValueType(ABC):
    """How a cell is read: each reports a wrong cell to the reader and reads it as None."""

    blank: ClassVar[Any] = None  # what an optional column left blank reads as

    @abstractmethod
    def read(self, reader: SheetReader, cell: Cell) -> Any: ...

    @abstractmethod
    def describe(self) -> str:
        """The values a cell may hold, for README."""


@dataclass(frozen=True)
class Text(ValueType):
    blank: ClassVar[str] = ""

    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.text(cell)

    def describe(self) -> str:
        return "text"


@dataclass(frozen=True)
class Name(ValueType):
    """A name printed on a line or in a table's cell beside other values (an area's, beside
    its amount; a tax's, among the totals): a line break in it would print a line of its own
    ('Discount −£1,250.00 · Total to pay £0.00')."""

    longest: int = 120
    blank: ClassVar[str] = ""

    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.name(cell, self.longest)

    def describe(self) -> str:
        return f"text on one line, at most {self.longest} characters"


@dataclass(frozen=True)
class Code(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.code(cell)

    def describe(self) -> str:
        return "code"


@dataclass(frozen=True)
class Integer(ValueType):
    minimum: int
    maximum: int

    def read(self, reader: SheetReader, cell: Cell) -> int | None:
        return reader.integer(cell, self.minimum, self.maximum)

    def describe(self) -> str:
        return f"whole number, {self.minimum}–{self.maximum}"


@dataclass(frozen=True)
class Money(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> Decimal | None:
        return reader.money(cell)

    def describe(self) -> str:
        return "amount"


@dataclass(frozen=True)
class Percent(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> Decimal | None:
        return reader.percent(cell)

    def describe(self) -> str:
        return "percent (`20`, `20%` or a cell formatted as 20 %)"


@dataclass(frozen=True)
class Choice(ValueType):
    options: type[StrEnum]

    def read(self, reader: SheetReader, cell: Cell) -> StrEnum | None:
        return reader.choice(cell, self.options)

    def describe(self) -> str:
        *others, last = (f"`{option.value}`" for option in self.options)
        return f"{', '.join(others)} or {last}"


@dataclass(frozen=True)
class YesNo(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> bool | None:
        return reader.yes_no(cell)

    def describe(self) -> str:
        return "`yes` or `no`"


@dataclass(frozen=True)
class Date(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> dt.date | None:
        return reader.date(cell)

    def describe(self) -> str:
        return "date, such as 2026-01-31"


@dataclass(frozen=True)
class Currency(ValueType):
    """The currency of the sheets' money: amounts read after it have its decimal places."""

    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.currency_code(cell)

    def describe(self) -> str:
        return "ISO 4217 currency code"


@dataclass(frozen=True)
class LocaleName(ValueType):
    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.locale(cell)

    def describe(self) -> str:
        return "locale, such as `en_GB`"


@dataclass(frozen=True)
class Locales(ValueType):
    blank: ClassVar[tuple[str, ...]] = ()

    def read(self, reader: SheetReader, cell: Cell) -> tuple[str, ...]:
        return reader.locales(cell)

    def describe(self) -> str:
        return "locales, separated by commas"


@dataclass(frozen=True)
class Reference(ValueType):
    """A code of a row of another sheet."""

    sheet: str

    def read(self, reader: SheetReader, cell: Cell) -> str | None:
        return reader.reference(cell, self.sheet)

    def describe(self) -> str:
        return f"code from the {self.sheet} sheet"


@dataclass(frozen=True)
class Codes(ValueType):
    """Codes of rows of another sheet, separated by commas."""

    sheet: str
    unknown: str  # the message for codes the sheet lacks, with %(unknown)s and %(known)s
    none: str | None = None  # the message for a cell naming no code, if at least one is needed
    blank: ClassVar[tuple[str, ...]] = ()

    def read(self, reader: SheetReader, cell: Cell) -> tuple[str, ...] | None:
        return reader.codes(cell, self)

    def describe(self) -> str:
        return f"codes from the {self.sheet} sheet, separated by commas"


TEXT, CODE, MONEY, PERCENT, YES_NO, DATE = Text(), Code(), Money(), Percent(), YesNo(), Date()
NAME = Name()

CONTROL_IN_CELL = N_(
    "holds the invisible control character %(code)s, which would hide text or print it "
    "reversed: type the text again without it"
)


@dataclass(frozen=True)
class Column:
    """A column of a table sheet, or a setting of a settings sheet."""

    header: str  # as a workbook writes it; found whatever its case, spacing, '_' or '%'
    value: ValueType
    help: str  # one line, for README
    required: bool = False
    default: Any = None  # an optional column's value when blank or absent (None: the type's)
    field: str = ""  # the record's attribute, when it is not the header's words joined by '_'
    translated: bool = False  # a text patients read: translated like the workbook's others
    by_rule: bool = False  # read by the sheet's rules, when other cells allow (a course price)

    @cached_property
    def key(self) -> str:
        return normalise_header(self.header)

    @cached_property
    def name(self) -> str:
        """The attribute of the sheet's record this column fills."""
        return self.field or self.key.replace(" ", "_")

    @cached_property
    def if_blank(self) -> Any:
        return self.value.blank if self.default is None else self.default

    def read(self, reader: SheetReader, cell: Cell) -> Any:
        """The cell's value; None, reported by the reader, when it is wrong or required and
        blank."""
        return self.value.read(reader, cell)


@dataclass(frozen=True)
class Sheet:
    """A sheet of a workbook: its columns (or settings), each read and documented from here."""

    name: str
    help: str  # what the sheet holds, for README
    columns: tuple[Column, ...]
    required: bool = True  # False: a workbook may leave the sheet out
    settings: bool = False  # one setting a row: its name in column A, its value in column B
    duplicate: str = ""  # the message for a row whose key an earlier row has

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}

    @cached_property
    def read_columns(self) -> tuple[Column, ...]:
        """The columns read with every row: all but those the sheet's rules read."""
        return tuple(column for column in self.columns if not column.by_rule)


@dataclass
class Row:
    """One row of a table sheet (or a settings sheet's settings) as read."""

    values: dict[str, Any]  # by Column.name; None where a cell is wrong
    cells: dict[str, Cell]  # by Column.name, for the columns the sheet has
    complete: bool = True  # every cell read, and the rules between them kept


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Cell:
    """A cell value with the address needed to report it."""

    sheet: str
    row: int
    column: int
    value: Any
    formula: str | None = None
    number_format: str = "General"
    reported: bool = False  # a problem was already reported for this cell

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"


class SheetReader:
    """Reads declared sheets of one workbook, collecting every problem with its cell."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        # The keys of each sheet's rows, valid or not, so that one bad row does not also make
        # every row referring to it an error.
        self.defined: dict[str, dict[Hashable, int]] = {}
        self.unreadable: set[str] = set()  # sheets whose layout is broken: skip references to them
        self.currency = "EUR"  # until a Currency cell names the real one
        self.digits = 2
        # a direction mark only reorders left-to-right text ('020 7946111 0000' for a phone
        # number): refused in the workbook of a clinic writing left to right
        self.left_to_right = False

    # Problems -----------------------------------------------------------------------------------

    def problem(self, cell: Cell | None, message: str, sheet: str | None = None) -> None:
        self.problems.append(
            Problem(
                file=self.path.name,
                sheet=cell.sheet if cell else sheet,
                cell=cell.coordinate if cell else None,
                message=message,
            )
        )

    def bad(self, cell: Cell, expected: str) -> None:
        self.problems.append(
            Problem(
                file=self.path.name,
                sheet=cell.sheet,
                cell=cell.coordinate,
                message=f"found {cell.value!r}, expected {expected}",
                found=repr(cell.value),
                expected=expected,
            )
        )

    def empty(self, cell: Cell, expected: str = N_("is empty, expected a value")) -> None:
        """A required cell left blank, unless its formula was reported already."""
        if not cell.reported:
            self.problem(cell, Message(expected))

    # The workbook -------------------------------------------------------------------------------

    def open(self, sheets: Sequence[Sheet]) -> tuple[bytes, dict[str, Worksheets]]:
        """The workbook's bytes, and each declared sheet it has, by its declared name."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise WorkbookError(
                [Problem(self.path.name, f"cannot read: {error.strerror}")]
            ) from None
        too_big = oversized_package(self.path, MAX_WORKBOOK_BYTES, "a price list")
        if too_big:
            raise WorkbookError([Problem(self.path.name, too_big)])
        try:
            values = openpyxl.load_workbook(self.path, data_only=True)
            formulas = openpyxl.load_workbook(self.path, data_only=False)
        # openpyxl raises whatever its parsers meet in a damaged file (zip, XML, index errors);
        # for the user every one of them means the same thing.
        except Exception as error:
            raise WorkbookError(
                [
                    Problem(
                        self.path.name,
                        "is not an Excel workbook (.xlsx) that can be opened "
                        f"({type(error).__name__}: {error}); save it from Excel or LibreOffice "
                        "as 'Excel 2007-365 (.xlsx)'",
                    )
                ]
            ) from None

        found_sheets = {}
        for sheet in sheets:
            found = next(
                (n for n in values.sheetnames if n.strip().lower() == sheet.name.lower()), None
            )
            if found is None and not sheet.required:
                continue
            if found is None:
                message = N_("missing sheet '%(sheet)s' (sheets found: %(found)s)")
                names = ", ".join(values.sheetnames)
                self.problem(None, Message(message, sheet=sheet.name, found=names))
            elif values[found].sheet_state != "visible":
                message = N_(
                    "is hidden in the workbook, so an admin editing it cannot see it; unhide "
                    "it (Excel: right-click a sheet tab > Unhide) or delete it"
                )
                self.problem(None, Message(message), sheet=found)
            elif merged := [r for r in values[found].merged_cells.ranges if r.size["rows"] > 1]:
                message = N_(
                    "cells %(cells)s are merged, and a merged cell holds its value in its first "
                    "row only; unmerge them and type the value in each row"
                )
                cells = ", ".join(sorted(r.coord for r in merged))
                self.problem(None, Message(message, cells=cells), sheet=found)
            elif (last_row := max(row_numbers(values[found]), default=1)) > EXCEL_ROWS:
                beyond = (
                    f"has a row numbered {last_row}, past the last row a workbook can have "
                    f"({EXCEL_ROWS}): the file was not saved by Excel or LibreOffice; open it "
                    "in one and save it again"
                )
                self.problem(None, beyond, sheet=found)
            else:
                found_sheets[sheet.name] = (values[found], formulas[found])
        if self.problems:
            raise WorkbookError(self.problems)
        return data, found_sheets

    def cell(self, worksheets: Worksheets, row: int, col: int) -> Cell:
        values_ws, formulas_ws = worksheets
        value_cell = values_ws.cell(row=row, column=col)
        formula_value = formulas_ws.cell(row=row, column=col).value
        is_formula = isinstance(formula_value, str) and formula_value.startswith("=")
        return Cell(
            values_ws.title,
            row,
            col,
            value_cell.value,
            formula=formula_value if is_formula else None,
            number_format=value_cell.number_format or "General",
        )

    def check_formula(self, cell: Cell) -> None:
        if cell.formula and cell.value is None:
            message = N_(
                "formula %(formula)s has no saved value; open the workbook in Excel or "
                "LibreOffice and save it so the result is stored"
            )
            self.problem(cell, Message(message, formula=cell.formula))
            cell.reported = True

    # Sheets -------------------------------------------------------------------------------------

    def rows(self, sheet: Sheet, worksheets: Worksheets | None) -> Iterator[Row]:
        """A table sheet's rows, each read as the caller reaches it (so that each row's problems
        come together); none from a sheet the workbook leaves out or whose layout is broken."""
        for cells in self.table(sheet, worksheets) if worksheets else ():
            yield self.row(sheet, cells)

    def table(self, sheet: Sheet, worksheets: Worksheets) -> list[dict[str, Cell]]:
        """The cells of a table sheet's declared columns, row by row, by Column.name."""
        values_ws = worksheets[0]
        headers: dict[str, int] = {}
        for cell in values_ws[1]:
            if cell.value is None or not str(cell.value).strip():
                continue
            name = normalise_header(cell.value)
            if name in headers and name in sheet.by_key:
                first = values_ws.cell(row=1, column=headers[name]).coordinate
                message = N_("a second '%(name)s' column (the first is %(first)s); keep only one")
                self.problem(
                    Cell(values_ws.title, cell.row, cell.column, cell.value),
                    Message(message, name=name, first=first),
                )
            headers.setdefault(name, cell.column)
        missing = [c.key for c in sheet.columns if c.required and c.key not in headers]
        for name in missing:
            if headers:
                message = N_("missing column '%(name)s' in the header row (found: %(found)s)")
                found_headers = ", ".join(repr(h) for h in headers)
                missing_column = Message(message, name=name, found=found_headers)
            else:
                message = N_("missing column '%(name)s' in the header row (found: nothing)")
                missing_column = Message(message, name=name)
            self.problem(None, missing_column, sheet=values_ws.title)
        if missing:
            self.unreadable.add(sheet.name)
            return []
        declared = [(sheet.by_key[k].name, col) for k, col in headers.items() if k in sheet.by_key]
        rows = []
        for row in row_numbers(values_ws):
            if row == 1:
                continue
            cells = {name: self.cell(worksheets, row, col) for name, col in declared}
            if all(c.blank and not c.formula for c in cells.values()):
                continue
            for cell in cells.values():
                self.check_formula(cell)
            rows.append(cells)
        if not rows:
            message = N_("has a header row but no rows below it")
            self.problem(None, Message(message), sheet=values_ws.title)
            self.unreadable.add(sheet.name)
        return rows

    def row(self, sheet: Sheet, cells: dict[str, Cell]) -> Row:
        """Each declared column's value, read in the declaration's order (a Currency before
        the amounts in its currency)."""
        row = Row({}, cells)
        for column in sheet.read_columns:
            cell = cells.get(column.name)
            if cell is None or (not column.required and cell.blank):
                row.values[column.name] = column.if_blank
            else:
                row.values[column.name] = value = column.read(self, cell)
                if value is None:
                    row.complete = False
        return row

    def settings(self, sheet: Sheet, worksheets: Worksheets) -> Row | None:
        """A settings sheet's values, or None when a required setting is missing."""
        found: dict[str, Cell] = {}
        keys: dict[str, Cell] = {}
        for row in row_numbers(worksheets[0]):
            key = self.cell(worksheets, row, 1)
            name = "" if key.blank else normalise_header(key.value)
            if name in {"", "key", "setting"}:
                continue
            if name in keys:
                first = keys[name].coordinate
                message = N_("a second '%(name)s' setting (the first is %(first)s); keep one")
                self.problem(key, Message(message, name=name, first=first))
                continue
            if name not in sheet.by_key:
                # a misnamed setting would silently lose its value (a fee, a rounding rule)
                closest = difflib.get_close_matches(name, sheet.by_key, n=1, cutoff=0)
                message = N_("unknown setting '%(name)s'; the closest docgen knows is '%(known)s'")
                self.problem(key, Message(message, name=key.value, known=closest[0].capitalize()))
                continue
            keys[name] = key
            found[sheet.by_key[name].name] = value = self.cell(worksheets, row, 2)
            self.check_formula(value)
        missing = [c.key for c in sheet.columns if c.required and c.key not in keys]
        for name in missing:
            message = Message(N_("missing setting '%(key)s' in column A"), key=name)
            self.problem(None, message, sheet=worksheets[0].title)
        return None if missing else self.row(sheet, found)

    def records(
        self,
        sheet: Sheet,
        worksheets: Worksheets | None,
        record: Callable[..., Record],
        rules: Callable[[Row], None] | None = None,
    ) -> dict[str, Record]:
        """A table sheet's rows by their Code column, each made into a record once its rules
        between columns are kept; a code an earlier row has is a problem."""
        found: dict[str, Record] = {}
        for row in self.rows(sheet, worksheets):
            if rules:
                rules(row)
            code = row.values["code"]
            if code and self.unique(code, row.cells["code"], sheet) and row.complete:
                found[code] = record(**row.values)
        return found

    def unique(self, key: Hashable, cell: Cell, sheet: Sheet) -> bool:
        """Record a row's key as defined; report it when an earlier row has it."""
        seen = self.defined.setdefault(sheet.name, {})
        if key in seen:
            shown = key if isinstance(key, str) else " / ".join(key)  # (TREATMENT, AREA): T / A
            self.problem(cell, Message(sheet.duplicate, key=shown, row=seen[key]))
            return False
        seen[key] = cell.row
        return True

    # Values: each reports a problem and returns None on a wrong cell --------------------------

    def text(self, cell: Cell) -> str | None:
        if cell.blank:
            self.empty(cell)
            return None
        if isinstance(cell.value, dt.datetime | dt.date):
            return cell.value.isoformat()
        if isinstance(cell.value, float) and cell.value.is_integer():
            return str(int(cell.value))
        text = str(cell.value).strip()
        if control := CONTROL_CHARACTERS.search(text):
            code = f"U+{ord(control.group()):04X}"
            self.problem(cell, Message(CONTROL_IN_CELL, code=code))
            return None
        if self.left_to_right and (mark := next((c for c in text if c in DIRECTION_MARKS), "")):
            self.problem(cell, Message(CONTROL_IN_CELL, code=f"U+{ord(mark):04X}"))
            return None
        if len(text) > LONGEST_TRANSLATION:  # a text no page should carry: 14 pages of it
            message = N_("a text of at most %(most)s characters (this one has %(found)s)")
            self.problem(cell, Message(message, most=LONGEST_TRANSLATION, found=len(text)))
            return None
        return text

    def name(self, cell: Cell, longest: int) -> str | None:
        text = self.text(cell)
        if text is None:
            return None
        if not LINE_BREAKS.isdisjoint(text) or len(text) > longest:
            message = N_("a name on one line of at most %(most)s characters")
            self.bad(cell, Message(message, most=longest))
            return None
        return text

    def code(self, cell: Cell) -> str | None:
        value = self.text(cell)
        if value is None:
            return None
        if not value.replace("-", "").replace("_", "").isalnum() or " " in value:
            self.bad(cell, Message(N_("a code of letters, digits, '-' or '_' (no spaces)")))
            return None
        return value.upper()

    def number(self, cell: Cell) -> Decimal | None:
        if cell.blank:
            self.empty(cell, N_("is empty, expected a number"))
            return None
        value = cell.value
        if isinstance(value, bool | dt.date | dt.datetime | dt.time):
            self.bad(cell, Message(N_("a number")))
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.bad(cell, Message(N_("a number written with a decimal point, such as 250.50")))
            return None
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            self.bad(cell, Message(N_("a number below 1,000,000,000")))
            return None
        return number

    def money(self, cell: Cell) -> Decimal | None:
        amount = self.number(cell)
        if amount is None:
            return None
        if amount < 0:
            self.bad(cell, Message(N_("an amount of zero or more")))
            return None
        if amount.as_tuple().exponent < -self.digits:
            message = N_("an amount with at most %(digits)s decimal places")
            self.bad(cell, Message(message, digits=self.digits))
            return None
        return amount.quantize(Decimal(1).scaleb(-self.digits))

    def integer(self, cell: Cell, minimum: int, maximum: int) -> int | None:
        number = self.number(cell)
        if number is None:
            return None
        if number != number.to_integral_value() or not minimum <= number <= maximum:
            message = N_("a whole number from %(minimum)s to %(maximum)s")
            self.bad(cell, Message(message, minimum=minimum, maximum=maximum))
            return None
        return int(number)

    def percent(self, cell: Cell) -> Decimal | None:
        if isinstance(cell.value, str) and cell.value.strip().endswith("%"):
            cell.value = cell.value.strip()[:-1]
            number = self.number(cell)
        else:
            number = self.number(cell)
            shown = number is not None and percent_shown(cell.number_format, float(number))
            if shown is None:
                message = N_("a percentage in a format without conditions ([<1] …)")
                self.bad(cell, Message(message))
                return None
            if shown == "scaled":
                number *= 100  # a cell formatted as 20% stores 0.2
        if number is None:
            return None
        if not 0 <= number <= 100:
            self.bad(cell, Message(N_("a percentage between 0 and 100")))
            return None
        return (
            number.to_integral_value()
            if number == number.to_integral_value()
            else number.normalize()
        )

    def choice(self, cell: Cell, options: type[StrEnum]) -> Any:
        value = self.text(cell)
        if value is None:
            return None
        normalised = " ".join(value.replace("_", " ").split()).lower()
        try:
            return options(normalised)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in options)
            self.bad(cell, Message(N_("one of %(choices)s"), choices=choices))
            return None

    def yes_no(self, cell: Cell) -> bool | None:
        if isinstance(cell.value, bool):
            return cell.value
        value = self.text(cell)
        if value is None:
            return None
        if value.lower() not in _YES | _NO:
            self.bad(cell, Message(N_("yes or no")))
            return None
        return value.lower() in _YES

    def date(self, cell: Cell) -> dt.date | None:
        if cell.blank:
            self.empty(cell)
            return None
        if isinstance(cell.value, dt.datetime):
            return cell.value.date()
        if isinstance(cell.value, dt.date):
            return cell.value
        try:
            return dt.date.fromisoformat(str(cell.value).strip())
        except ValueError:
            self.bad(cell, Message(N_("a date such as 2026-01-31")))
            return None

    def currency_code(self, cell: Cell) -> str | None:
        currency = self.text(cell)
        if currency is None:
            return None
        currency = currency.upper()
        if currency not in list_currencies():
            self.bad(cell, Message(N_("an ISO 4217 currency code such as GBP, EUR or CHF")))
            return None
        self.currency = currency
        self.digits = get_currency_precision(currency)
        return currency

    def locale(self, cell: Cell) -> str | None:
        locale = self.text(cell)
        if locale is None:
            return None
        try:
            return str(Locale.parse(locale.replace("-", "_")))
        except (ValueError, UnknownLocaleError):
            self.bad(cell, Message(N_("a locale such as en_GB, fr_FR or de_CH")))
            return None

    def locales(self, cell: Cell) -> tuple[str, ...]:
        """A list of locales such as 'fr_CH, de_CH, en_GB', each as Babel names it."""
        found = []
        for part in re.split(r"[,;]", self.text(cell) or ""):
            if not part.strip():
                continue
            locale = locale_as_written(part)
            if locale is None:
                message = N_("a list of locales such as fr_CH, de_CH, en_GB (not '%(part)s')")
                self.bad(cell, Message(message, part=part.strip()))
                return ()
            found.append(str(locale))
        return tuple(dict.fromkeys(found))

    def reference(self, cell: Cell, sheet: str) -> str | None:
        """A code that must be defined on another sheet (unless that sheet is unreadable)."""
        code = self.code(cell)
        defined = self.defined.get(sheet, {})
        if code and sheet not in self.unreadable and code not in defined:
            message = N_("a code from the %(sheet)s sheet (%(codes)s)")
            self.bad(cell, Message(message, sheet=sheet, codes=", ".join(defined)))
            return None
        return code

    def codes(self, cell: Cell, codes: Codes) -> tuple[str, ...] | None:
        """A comma-separated list of codes defined on another sheet."""
        value = self.text(cell)
        if value is None:
            return None
        defined = self.defined.get(codes.sheet, {})
        found = tuple(c.strip().upper() for c in value.replace(";", ",").split(",") if c.strip())
        unknown = [c for c in found if c not in defined and codes.sheet not in self.unreadable]
        if codes.none and not found:
            self.bad(cell, Message(codes.none))
            return None
        if unknown:
            known = ", ".join(defined)
            self.bad(cell, Message(codes.unknown, unknown=", ".join(unknown), known=known))
            return None
        return found


# --- README --------------------------------------------------------------------------------------


def reference(sheet: Sheet) -> str:
    """The sheet as README describes it, in Markdown between two comment lines that mark it
    as written from the declaration: what it holds, then a table of its columns."""
    lines = [
        f"<!-- the {sheet.name} sheet as declared, written by tools/write_sheet_reference.py -->",
        f"**{sheet.name}**{'' if sheet.required else ' (optional)'} — {sheet.help}",
        "",
        f"| {'Setting' if sheet.settings else 'Column'} | Required | Value | |",
        "|---|---|---|---|",
    ]
    for column in sheet.columns:
        needed = "yes" if column.required else "no"
        if not column.required and column.default not in (None, "", 0):
            needed += f", default {_shown(column.default)}"
        value = column.value.describe() + (", translated" if column.translated else "")
        lines.append(f"| {column.header} | {needed} | {value} | {column.help} |")
    lines.append(f"<!-- end of the {sheet.name} sheet -->")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "`yes`" if value else "`no`"
    if isinstance(value, StrEnum):
        return f"`{value.value}`"
    return str(value)
