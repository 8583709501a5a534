"""Load step: read a price-list workbook into validated, frozen domain objects.

Sheets are found by name and columns by header (case-insensitive, any order, extra columns
ignored). No cell is trusted: every problem is collected with its file, sheet and cell, and all
of them are raised together in one WorkbookError.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import openpyxl
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_currency_precision, list_currencies

from docgen.exceptions import Message, Problem, WorkbookError
from docgen.i18n import N_
from docgen.limits import (
    EXCEL_ROWS,
    MAX_WORKBOOK_BYTES,
    existing_rows,
    oversized_package,
    row_numbers,
)

ADULT_AGE = 18


class Kind(StrEnum):
    COSMETIC = "cosmetic"
    THERAPEUTIC = "therapeutic"


class Frequency(StrEnum):
    """Frequency bands used in patient information leaflets, most frequent first."""

    VERY_COMMON = "very common"
    COMMON = "common"
    UNCOMMON = "uncommon"
    RARE = "rare"
    VERY_RARE = "very rare"


class Severity(StrEnum):
    """A serious risk (necrosis, anaphylaxis) is material to a decision however rare it is
    (Montgomery): the consent form lists serious risks apart from mild effects, always."""

    MILD = "mild"
    SERIOUS = "serious"


@dataclass(frozen=True)
class Clinic:
    name: str
    address: str
    phone: str
    email: str
    registration: str
    currency: str
    locale: str
    vat_rates: Mapping[Kind, Decimal]  # percent, e.g. Decimal("20")
    prices_include_vat: bool
    quote_validity_days: int
    deposit_percent: Decimal
    consultation_fee: Decimal | None
    effective_date: dt.date | None
    price_list_version: str
    # the locales documents are made in (empty: the clinic's and every catalogue's language)
    languages: tuple[str, ...] = ()
    staff_languages: tuple[str, ...] = ()  # languages the staff speak (empty: the clinic's)
    cash_rounding: Decimal | None = None  # amounts to pay are rounded to it (0.05 CHF), or not
    complications_phone: str = ""  # whom a patient calls about a complication, at any hour
    # days between the information and the treatment, per kind (0: none required)
    reflection_days: Mapping[Kind, int] = field(default_factory=dict)
    # the clinic's law on minors: the youngest a patient of a cosmetic treatment may be (with
    # the law's name, for refusals), and the age from which a minor consents for themself
    minimum_age_cosmetic: int = ADULT_AGE
    minimum_age_law: str = ""
    own_consent_age: int = ADULT_AGE
    # the data-protection notice of a consent form: who keeps the record, how long, whom to ask
    data_controller: str = ""
    privacy_contact: str = ""
    data_protection_authority: str = ""
    records_retention_years: int = 0  # 0: not given
    photographs_retention_years: int = 0
    payment_terms: str = ""  # deposit, cancellation and refunds, in the clinic's own words

    @property
    def spoken(self) -> tuple[str, ...]:
        """The languages the staff speak: a patient reading another needs an interpreter."""
        return self.staff_languages or (Locale.parse(self.locale).language,)


@dataclass(frozen=True)
class Treatment:
    code: str
    name: str
    description: str
    kind: Kind
    sessions_min: int
    sessions_max: int
    interval_days: int
    ingredients: str
    alternatives: str
    risk_codes: tuple[str, ...]
    contraindication_codes: tuple[str, ...]  # beyond the standard ones every form lists
    minimum_age: int = 0  # raises the clinic's minimum for this treatment
    alternatives_for_minors: str = ""  # those a patient under 18 may have, by law
    # what the evidence shows and how long results last: required for a cosmetic treatment,
    # whose benefit is the patient's only reason to accept its risks
    evidence: str = ""
    product_codes: tuple[str, ...] = ()  # from the Products sheet: what may be injected


class Licensing(StrEnum):
    """What a product is, for the use a treatment makes of it: a patient is told plainly when
    a medicine is used outside its licence, or has none (mesotherapy often does both)."""

    LICENSED = "licensed for this use"
    OFF_LABEL = "off-label"
    UNLICENSED = "unlicensed"
    MEDICAL_DEVICE = "medical device"


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    manufacturer: str
    licensing: Licensing


@dataclass(frozen=True)
class Area:
    code: str
    name: str


@dataclass(frozen=True)
class Course:
    """A package of `sessions` sessions sold together for `price`."""

    sessions: int
    price: Decimal


@dataclass(frozen=True)
class Price:
    treatment_code: str
    area_code: str
    per_session: Decimal
    course: Course | None


@dataclass(frozen=True)
class Risk:
    code: str
    name: str
    description: str
    frequency: Frequency
    severity: Severity = Severity.MILD


@dataclass(frozen=True)
class Contraindication:
    """A condition that may rule treatment out, asked on the consent form as a yes/no question.

    Standard ones are asked on every form; others only for treatments that name them."""

    code: str
    name: str
    standard: bool


@dataclass(frozen=True)
class Practitioner:
    """Who treats and takes consent, as the form names them above their signature."""

    name: str
    profession: str  # in the workbook's language, translated like its other texts
    registration_body: str = ""  # 'General Medical Council'
    registration_number: str = ""

    @property
    def registration(self) -> str:
        return f"{self.registration_body} {self.registration_number}".strip()


def practitioner_key(name: str) -> str:
    """A name as typed at the desk or on the command line matches its row whatever its case
    and spacing: 'dr  sarah whitfield' is Dr Sarah Whitfield."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class PriceList:
    """Everything one workbook says about a clinic, its treatments and their prices."""

    path: Path
    checksum: str  # SHA-256 of the workbook file
    clinic: Clinic
    treatments: Mapping[str, Treatment]
    areas: Mapping[str, Area]
    prices: Mapping[tuple[str, str], Price]
    risks: Mapping[str, Risk]
    contraindications: Mapping[str, Contraindication]
    practitioners: Mapping[str, Practitioner] = field(default_factory=dict)  # by practitioner_key
    products: Mapping[str, Product] = field(default_factory=dict)

    def practitioner(self, name: str) -> Practitioner | None:
        """The Practitioners sheet's row for a name; None for a name not on it (a locum's,
        written by hand on the form)."""
        return self.practitioners.get(practitioner_key(name))

    @property
    def name(self) -> str:
        return self.path.stem

    def round_money(self, amount: Decimal) -> Decimal:
        return round_money(amount, self.clinic.currency)

    def with_vat(self, amount: Decimal, kind: Kind) -> Decimal:
        """A listed price as a consumer pays it, VAT included, whatever the workbook states."""
        if self.clinic.prices_include_vat:
            return amount
        return self.round_money(amount * (100 + self.clinic.vat_rates[kind]) / 100)

    def round_to_pay(self, amount: Decimal) -> Decimal:
        """An amount to pay, rounded half-up to the clinic's cash rounding (5 centimes), if any."""
        step = self.clinic.cash_rounding
        if step is None:
            return self.round_money(amount)
        return self.round_money((amount / step).quantize(Decimal(1), ROUND_HALF_UP) * step)

    def areas_priced_for(self, treatment_code: str) -> list[Area]:
        return [self.areas[a] for (t, a) in self.prices if t == treatment_code]

    def usual_sessions(self, treatment_code: str) -> int:
        """The sessions a plan gets when none are given: the course most of the treatment's
        prices offer, else its shortest course."""
        courses = Counter(
            price.course.sessions
            for (t, _a), price in self.prices.items()
            if t == treatment_code and price.course
        )
        if courses:
            return courses.most_common(1)[0][0]
        return self.treatments[treatment_code].sessions_min

    def contraindications_for(self, treatment: Treatment) -> list[Contraindication]:
        """The standard contraindications, then those the treatment adds."""
        standard = [c for c in self.contraindications.values() if c.standard]
        extra = [self.contraindications[code] for code in treatment.contraindication_codes]
        return standard + [c for c in extra if not c.standard]


def cash_rounding_step(currency: str) -> Decimal | None:
    """The smallest amount a patient pays in cash, from CLDR's currency data through Babel
    (0.05 CHF, 0.50 DKK, 1 SEK), when it is coarser than the currency's minor unit."""
    fractions = get_global("currency_fractions")
    digits, rounding, cash_digits, cash_rounding = fractions.get(currency, fractions["DEFAULT"])
    step = Decimal(cash_rounding or 1).scaleb(-cash_digits)
    return step if step > Decimal(rounding or 1).scaleb(-digits) else None


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (2 places for EUR, none for JPY)."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def load_price_list(path: str | Path) -> PriceList:
    """Read and validate a workbook; raise WorkbookError listing every problem found."""
    return _WorkbookReader(Path(path)).read()


def read_clinic_locale(path: str | Path) -> str | None:
    """The locale on a workbook's Clinic sheet, read even when other cells are wrong (a page
    listing what to fix speaks the clinic's language); None when there is none to read."""
    if oversized_package(Path(path), MAX_WORKBOOK_BYTES, "a price list"):
        return None  # load_price_list says so; unpacking it here could fill the memory
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # an unreadable workbook: its problems are reported by load_price_list
        return None
    try:
        sheet = next((s for s in workbook.worksheets if s.title.strip().lower() == "clinic"), None)
        for _, (key, value, *_) in existing_rows(sheet, max_col=2) if sheet else ():
            if key is not None and normalise_header(key) == "locale" and value:
                return str(value).strip()
        return None
    finally:
        workbook.close()


# --- reading -------------------------------------------------------------------------------------

SHEETS = ("Clinic", "Treatments", "Areas", "Prices", "Risks", "Contraindications")
OPTIONAL_SHEETS = ("Practitioners", "Products")

CLINIC_KEYS = {
    "name": True,
    "address": True,
    "phone": False,
    "email": False,
    "registration": False,
    "currency": True,
    "locale": True,
    "vat cosmetic": True,
    "vat therapeutic": True,
    "prices include vat": True,
    "quote validity days": True,
    "deposit": True,
    "consultation fee": False,
    "effective date": False,
    "version": False,
    "languages": False,
    "staff languages": False,
    "cash rounding": False,
    "complications phone": False,
    "reflection days cosmetic": False,
    "reflection days therapeutic": False,
    "minimum age cosmetic": False,
    "minimum age law": False,
    "own consent age": False,
    "data controller": False,
    "privacy contact": False,
    "data protection authority": False,
    "records retention years": False,
    "photographs retention years": False,
    "payment terms": False,
}
# Settings whose value is a text patients read, translated like the workbook's other texts.
TRANSLATABLE_SETTINGS = ("payment terms",)

MAX_NUMBER = Decimal(1_000_000_000)
MAX_SESSIONS = 100
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def normalise_header(header: Any) -> str:
    return " ".join(str(header).replace("_", " ").replace("%", " ").split()).lower()


@dataclass
class _Cell:
    """A cell value with the address needed to report it."""

    sheet: str
    coordinate: str
    value: Any
    formula: str | None = None
    number_format: str = "General"
    reported: bool = False  # a problem was already reported for this cell

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


_DUPLICATE = {  # what was defined twice: a message for each, as languages word them differently
    "risk": N_("duplicate risk '%(key)s' (first defined in row %(row)s)"),
    "contraindication": N_("duplicate contraindication '%(key)s' (first defined in row %(row)s)"),
    "area": N_("duplicate area '%(key)s' (first defined in row %(row)s)"),
    "practitioner": N_("duplicate practitioner '%(key)s' (first defined in row %(row)s)"),
    "treatment": N_("duplicate treatment '%(key)s' (first defined in row %(row)s)"),
    "product": N_("duplicate product '%(key)s' (first defined in row %(row)s)"),
    "price row for": N_("duplicate price row for %(key)s (first defined in row %(row)s)"),
}
_UNKNOWN_CODES = {
    "product": N_("product codes from the Products sheet (unknown: %(unknown)s; known: %(known)s)"),
    "risk": N_("risk codes from the Risks sheet (unknown: %(unknown)s; known: %(known)s)"),
    "contraindication": N_(
        "contraindication codes from the Contraindications sheet (unknown: %(unknown)s; "
        "known: %(known)s)"
    ),
}


class _WorkbookReader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        # Codes defined on each sheet, valid or not, so that one bad row does not also make
        # every row referring to it an error.
        self.defined: dict[str, dict[Any, str]] = {}
        self.unreadable: set[str] = set()  # sheets whose layout is broken: skip references to them
        self.currency = "EUR"  # until the Clinic sheet names the real one
        self.digits = 2

    # Problems -----------------------------------------------------------------------------------

    def problem(self, cell: _Cell | None, message: str, sheet: str | None = None) -> None:
        self.problems.append(
            Problem(
                file=self.path.name,
                sheet=cell.sheet if cell else sheet,
                cell=cell.coordinate if cell else None,
                message=message,
            )
        )

    def bad(self, cell: _Cell, expected: str) -> None:
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

    # Entry --------------------------------------------------------------------------------------

    def read(self) -> PriceList:
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

        sheets = {}
        for wanted in (*SHEETS, *OPTIONAL_SHEETS):
            found = next(
                (n for n in values.sheetnames if n.strip().lower() == wanted.lower()), None
            )
            if found is None and wanted in OPTIONAL_SHEETS:
                continue
            if found is None:
                message = N_("missing sheet '%(sheet)s' (sheets found: %(found)s)")
                found_sheets = ", ".join(values.sheetnames)
                self.problem(None, Message(message, sheet=wanted, found=found_sheets))
            elif values[found].sheet_state != "visible":
                message = N_(
                    "is hidden in the workbook, so an admin editing it cannot see it; unhide "
                    "it (Excel: right-click a sheet tab > Unhide) or delete it"
                )
                self.problem(None, Message(message), sheet=found)
            elif (last_row := max(row_numbers(values[found]), default=1)) > EXCEL_ROWS:
                beyond = (
                    f"has a row numbered {last_row}, past the last row a workbook can have "
                    f"({EXCEL_ROWS}): the file was not saved by Excel or LibreOffice; open it "
                    "in one and save it again"
                )
                self.problem(None, beyond, sheet=found)
            else:
                sheets[wanted] = (values[found], formulas[found])
        if self.problems:
            raise WorkbookError(self.problems)

        clinic = self.read_clinic(*sheets["Clinic"])
        risks = self.read_risks(*sheets["Risks"])
        contraindications = self.read_contraindications(*sheets["Contraindications"])
        areas = self.read_areas(*sheets["Areas"])
        products = self.read_products(*sheets["Products"]) if "Products" in sheets else {}
        treatments = self.read_treatments(*sheets["Treatments"])
        prices = self.read_prices(*sheets["Prices"], treatments)
        practitioners = (
            self.read_practitioners(*sheets["Practitioners"]) if "Practitioners" in sheets else {}
        )
        if self.problems:
            raise WorkbookError(self.problems)
        assert clinic is not None
        return PriceList(
            path=self.path,
            checksum=hashlib.sha256(data).hexdigest(),
            clinic=clinic,
            treatments=treatments,
            areas=areas,
            prices=prices,
            risks=risks,
            contraindications=contraindications,
            practitioners=practitioners,
            products=products,
        )

    # Sheet access -------------------------------------------------------------------------------

    def cells(self, values_ws, formulas_ws, row: int, col: int) -> _Cell:
        value_cell = values_ws.cell(row=row, column=col)
        formula_value = formulas_ws.cell(row=row, column=col).value
        is_formula = isinstance(formula_value, str) and formula_value.startswith("=")
        return _Cell(
            values_ws.title,
            value_cell.coordinate,
            value_cell.value,
            formula=formula_value if is_formula else None,
            number_format=value_cell.number_format or "General",
        )

    def table(
        self, values_ws, formulas_ws, columns: dict[str, bool]
    ) -> list[dict[str, _Cell]] | None:
        """Rows of a sheet as {column: cell}; columns maps header -> required."""
        headers: dict[str, int] = {}
        for cell in values_ws[1]:
            if cell.value is None or not str(cell.value).strip():
                continue
            name = normalise_header(cell.value)
            if name in headers and name in columns:
                first = values_ws.cell(row=1, column=headers[name]).coordinate
                message = N_("a second '%(name)s' column (the first is %(first)s); keep only one")
                self.problem(
                    _Cell(values_ws.title, cell.coordinate, cell.value),
                    Message(message, name=name, first=first),
                )
            headers.setdefault(name, cell.column)
        missing = [name for name, required in columns.items() if required and name not in headers]
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
            self.unreadable.add(values_ws.title)
            return None
        rows = []
        for row in row_numbers(values_ws):
            if row == 1:
                continue
            record = {
                name: self.cells(values_ws, formulas_ws, row, col)
                for name, col in headers.items()
                if name in columns
            }
            if all(c.blank and not c.formula for c in record.values()):
                continue
            for cell in record.values():
                self.check_formula(cell)
            rows.append(record)
        if not rows:
            message = N_("has a header row but no rows below it")
            self.problem(None, Message(message), sheet=values_ws.title)
            self.unreadable.add(values_ws.title)
        return rows

    def check_formula(self, cell: _Cell) -> None:
        if cell.formula and cell.value is None:
            message = N_(
                "formula %(formula)s has no saved value; open the workbook in Excel or "
                "LibreOffice and save it so the result is stored"
            )
            self.problem(cell, Message(message, formula=cell.formula))
            cell.reported = True

    # Value parsers: each reports a problem and returns None on a bad cell ---------------------

    def text(self, cell: _Cell | None, required: bool = True) -> str | None:
        if cell is None or cell.blank:
            if required and cell is not None and not cell.reported:
                self.problem(cell, Message(N_("is empty, expected a value")))
            return None if required else ""
        if isinstance(cell.value, dt.datetime | dt.date):
            return cell.value.isoformat()
        if isinstance(cell.value, float) and cell.value.is_integer():
            return str(int(cell.value))
        return str(cell.value).strip()

    def locales(self, cell: _Cell) -> tuple[str, ...]:
        """A list of locales such as 'fr_CH, de_CH, en_GB', each as Babel names it."""
        found = []
        for part in re.split(r"[,;]", self.text(cell) or ""):
            wanted = part.strip().replace("-", "_")
            if not wanted:
                continue
            try:
                locale = Locale.parse(wanted)
            except (ValueError, UnknownLocaleError):
                locale = None
            if locale is None or str(locale).lower() != wanted.lower():
                message = N_("a list of locales such as fr_CH, de_CH, en_GB (not '%(part)s')")
                self.bad(cell, Message(message, part=part.strip()))
                return ()
            found.append(str(locale))
        return tuple(dict.fromkeys(found))

    def code(self, cell: _Cell) -> str | None:
        value = self.text(cell)
        if value is None:
            return None
        if not value.replace("-", "").replace("_", "").isalnum() or " " in value:
            self.bad(cell, Message(N_("a code of letters, digits, '-' or '_' (no spaces)")))
            return None
        return value.upper()

    def number(self, cell: _Cell, required: bool = True) -> Decimal | None:
        if cell.blank:
            if required and not cell.reported:
                self.problem(cell, Message(N_("is empty, expected a number")))
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

    def money(self, cell: _Cell, required: bool = True) -> Decimal | None:
        amount = self.number(cell, required)
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

    def integer(self, cell: _Cell, minimum: int, maximum: int, required: bool = True) -> int | None:
        number = self.number(cell, required)
        if number is None:
            return None
        if number != number.to_integral_value() or not minimum <= number <= maximum:
            message = N_("a whole number from %(minimum)s to %(maximum)s")
            self.bad(cell, Message(message, minimum=minimum, maximum=maximum))
            return None
        return int(number)

    def reflection(self, cell: _Cell) -> int | None:
        return self.integer(cell, 0, 90)

    def percent(self, cell: _Cell) -> Decimal | None:
        if isinstance(cell.value, str) and cell.value.strip().endswith("%"):
            cell.value = cell.value.strip()[:-1]
            number = self.number(cell)
        else:
            number = self.number(cell)
            if number is not None and "%" in cell.number_format:
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

    def choice(self, cell: _Cell, enum: type[StrEnum]) -> Any:
        value = self.text(cell)
        if value is None:
            return None
        normalised = " ".join(value.replace("_", " ").split()).lower()
        try:
            return enum(normalised)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in enum)
            self.bad(cell, Message(N_("one of %(choices)s"), choices=choices))
            return None

    def yes_no(self, cell: _Cell) -> bool | None:
        if isinstance(cell.value, bool):
            return cell.value
        value = self.text(cell)
        if value is None:
            return None
        if value.lower() not in _YES | _NO:
            self.bad(cell, Message(N_("yes or no")))
            return None
        return value.lower() in _YES

    def date(self, cell: _Cell) -> dt.date | None:
        if cell.blank:
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

    # Sheets -------------------------------------------------------------------------------------

    def read_clinic(self, values_ws, formulas_ws) -> Clinic | None:
        found: dict[str, _Cell] = {}
        for row in row_numbers(values_ws):
            key = self.cells(values_ws, formulas_ws, row, 1)
            name = "" if key.blank else normalise_header(key.value)
            if name in {"", "key", "setting"}:
                continue
            if name in found:
                first = found[name].coordinate.replace("B", "A")
                message = N_("a second '%(name)s' setting (the first is %(first)s); keep one")
                self.problem(key, Message(message, name=name, first=first))
                continue
            if name not in CLINIC_KEYS:
                # a misnamed setting would silently lose its value (a fee, a rounding rule)
                closest = difflib.get_close_matches(name, CLINIC_KEYS, n=1, cutoff=0)
                message = N_("unknown setting '%(name)s'; the closest docgen knows is '%(known)s'")
                self.problem(key, Message(message, name=key.value, known=closest[0].capitalize()))
                continue
            found[name] = self.cells(values_ws, formulas_ws, row, 2)
            self.check_formula(found[name])
        for key, required in CLINIC_KEYS.items():
            if required and key not in found:
                message = Message(N_("missing setting '%(key)s' in column A"), key=key)
                self.problem(None, message, sheet=values_ws.title)
        if any(required and key not in found for key, required in CLINIC_KEYS.items()):
            return None

        def optional(key: str, read: Callable[[_Cell], Any], default: Any) -> Any:
            return read(found[key]) if key in found and not found[key].blank else default

        currency = self.text(found["currency"])
        if currency is not None:
            currency = currency.upper()
            if currency not in list_currencies():
                message = N_("an ISO 4217 currency code such as GBP, EUR or CHF")
                self.bad(found["currency"], Message(message))
                currency = None
            else:
                self.currency = currency
                self.digits = get_currency_precision(currency)
        locale = self.text(found["locale"])
        if locale is not None:
            try:
                locale = str(Locale.parse(locale.replace("-", "_")))
            except (ValueError, UnknownLocaleError):
                self.bad(found["locale"], Message(N_("a locale such as en_GB, fr_FR or de_CH")))
                locale = None
        values = dict(
            name=self.text(found["name"]),
            address=self.text(found["address"]),
            phone=optional("phone", self.text, ""),
            email=optional("email", self.text, ""),
            registration=optional("registration", self.text, ""),
            currency=currency,
            locale=locale,
            vat_cosmetic=self.percent(found["vat cosmetic"]),
            vat_therapeutic=self.percent(found["vat therapeutic"]),
            prices_include_vat=self.yes_no(found["prices include vat"]),
            quote_validity_days=self.integer(found["quote validity days"], 1, 3650),
            deposit_percent=self.percent(found["deposit"]),
            consultation_fee=optional("consultation fee", self.money, None),
            effective_date=optional("effective date", self.date, None),
            price_list_version=optional("version", self.text, ""),
            cash_rounding=(
                cash_rounding_step(currency)
                if currency and optional("cash rounding", self.yes_no, True)
                else None
            ),
            complications_phone=optional("complications phone", self.text, ""),
            reflection_days={
                kind: optional(f"reflection days {kind.value}", self.reflection, 0) for kind in Kind
            },
            languages=optional("languages", self.locales, ()),
            minimum_age_cosmetic=optional(
                "minimum age cosmetic", lambda cell: self.integer(cell, 0, 99), ADULT_AGE
            ),
            minimum_age_law=optional("minimum age law", self.text, ""),
            own_consent_age=optional(
                "own consent age", lambda cell: self.integer(cell, 0, ADULT_AGE), ADULT_AGE
            ),
            data_controller=optional("data controller", self.text, ""),
            privacy_contact=optional("privacy contact", self.text, ""),
            data_protection_authority=optional("data protection authority", self.text, ""),
            records_retention_years=optional(
                "records retention years", lambda cell: self.integer(cell, 1, 100), 0
            ),
            photographs_retention_years=optional(
                "photographs retention years", lambda cell: self.integer(cell, 1, 100), 0
            ),
            payment_terms=optional("payment terms", self.text, ""),
            staff_languages=tuple(
                dict.fromkeys(
                    Locale.parse(code).language
                    for code in optional("staff languages", self.locales, ())
                )
            ),
        )
        optional_settings = {"effective_date", "consultation_fee", "cash_rounding"}
        if any(v is None for k, v in values.items() if k not in optional_settings):
            return None
        return Clinic(
            vat_rates={
                Kind.COSMETIC: values.pop("vat_cosmetic"),
                Kind.THERAPEUTIC: values.pop("vat_therapeutic"),
            },
            **values,
        )

    def unique(self, key: Any, cell: _Cell, what: str) -> bool:
        """Record a code as defined; report it when it was defined before."""
        seen = self.defined.setdefault(what, {})
        if key in seen:
            message = _DUPLICATE[what]
            shown = key if isinstance(key, str) else " / ".join(key)  # price rows: TREATMENT / AREA
            self.problem(cell, Message(message, key=shown, row=seen[key]))
            return False
        seen[key] = cell.coordinate.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return True

    def read_risks(self, values_ws, formulas_ws) -> dict[str, Risk]:
        columns = {
            "code": True, "name": True, "description": True, "frequency": True, "severity": False,
        }  # fmt: skip
        risks: dict[str, Risk] = {}
        for row in self.table(values_ws, formulas_ws, columns) or []:
            code = self.code(row["code"])
            severity = row.get("severity")
            fields = (
                self.text(row["name"]),
                self.text(row["description"]),
                self.choice(row["frequency"], Frequency),
                Severity.MILD
                if severity is None or severity.blank
                else self.choice(severity, Severity),
            )
            if code and self.unique(code, row["code"], "risk") and None not in fields:
                risks[code] = Risk(code, *fields)
        return risks

    def read_contraindications(self, values_ws, formulas_ws) -> dict[str, Contraindication]:
        columns = {"code": True, "name": True, "standard": True}
        found: dict[str, Contraindication] = {}
        for row in self.table(values_ws, formulas_ws, columns) or []:
            code = self.code(row["code"])
            name = self.text(row["name"])
            standard = self.yes_no(row["standard"])
            valid = code and self.unique(code, row["code"], "contraindication")
            if valid and name and standard is not None:
                found[code] = Contraindication(code, name, standard)
        return found

    def read_practitioners(self, values_ws, formulas_ws) -> dict[str, Practitioner]:
        columns = {
            "name": True, "profession": True, "registration body": False,
            "registration number": False,
        }  # fmt: skip
        found: dict[str, Practitioner] = {}
        for row in self.table(values_ws, formulas_ws, columns) or []:
            name, profession = self.text(row["name"]), self.text(row["profession"])
            body = self.text(row.get("registration body"), required=False) or ""
            number = self.text(row.get("registration number"), required=False) or ""
            if bool(body) != bool(number):
                if body:
                    empty = row.get("registration number") or row["registration body"]
                    message = N_(
                        "has a registration body but no registration number: give both (e.g. "
                        "General Medical Council, 7654321) or neither"
                    )
                else:
                    empty = row.get("registration body") or row["registration number"]
                    message = N_(
                        "has a registration number but no registration body: give both (e.g. "
                        "General Medical Council, 7654321) or neither"
                    )
                self.problem(empty, Message(message))
                continue
            key = practitioner_key(name or "")
            if name and self.unique(key, row["name"], "practitioner") and profession:
                found[key] = Practitioner(name, profession, body, number)
        return found

    def read_products(self, values_ws, formulas_ws) -> dict[str, Product]:
        columns = {"code": True, "name": True, "manufacturer": True, "licensing": True}
        products: dict[str, Product] = {}
        for row in self.table(values_ws, formulas_ws, columns) or []:
            code = self.code(row["code"])
            fields = (
                self.text(row["name"]),
                self.text(row["manufacturer"]),
                self.choice(row["licensing"], Licensing),
            )
            if code and self.unique(code, row["code"], "product") and None not in fields:
                products[code] = Product(code, *fields)
        return products

    def read_areas(self, values_ws, formulas_ws) -> dict[str, Area]:
        areas: dict[str, Area] = {}
        for row in self.table(values_ws, formulas_ws, {"code": True, "name": True}) or []:
            code = self.code(row["code"])
            name = self.text(row["name"])
            if code and self.unique(code, row["code"], "area") and name:
                areas[code] = Area(code, name)
        return areas

    def read_treatments(self, values_ws, formulas_ws) -> dict[str, Treatment]:
        columns = {
            "code": True,
            "name": True,
            "description": True,
            "kind": True,
            "sessions min": True,
            "sessions max": True,
            "interval days": True,
            "ingredients": False,
            "alternatives": False,
            "risks": True,
            "contraindications": False,
            "minimum age": False,
            "alternatives for minors": False,
            "evidence": False,
            "products": False,
        }
        treatments: dict[str, Treatment] = {}
        rows = self.table(values_ws, formulas_ws, columns) or []
        # what the evidence shows is required for a cosmetic treatment; a sheet without the
        # column is said once, not row by row
        lacks_evidence = bool(rows) and "evidence" not in rows[0]
        cosmetic_without_evidence = False
        for row in rows:
            code = self.code(row["code"])
            sessions_min = self.integer(row["sessions min"], 1, MAX_SESSIONS)
            sessions_max = self.integer(row["sessions max"], 1, MAX_SESSIONS)
            if sessions_min and sessions_max and sessions_min > sessions_max:
                self.bad(row["sessions max"], f"at least sessions min ({sessions_min})")
                sessions_max = None
            risk_codes = self.codes(row["risks"], "risk", "Risks")
            contraindication_codes = self.codes(
                row.get("contraindications"), "contraindication", "Contraindications"
            )
            age = row.get("minimum age")
            kind = self.choice(row["kind"], Kind)
            fields = dict(
                name=self.text(row["name"]),
                description=self.text(row["description"]),
                kind=kind,
                sessions_min=sessions_min,
                sessions_max=sessions_max,
                interval_days=self.integer(row["interval days"], 1, 365),
                ingredients=self.text(row.get("ingredients"), required=False),
                alternatives=self.text(row.get("alternatives"), required=False),
                risk_codes=risk_codes,
                contraindication_codes=contraindication_codes,
                minimum_age=0 if age is None or age.blank else self.integer(age, 0, 99),
                alternatives_for_minors=self.text(
                    row.get("alternatives for minors"), required=False
                ),
                evidence=None
                if lacks_evidence and kind is Kind.COSMETIC
                else self.text(row.get("evidence"), required=kind is Kind.COSMETIC),
                product_codes=self.codes(row.get("products"), "product", "Products"),
            )
            cosmetic_without_evidence |= lacks_evidence and kind is Kind.COSMETIC
            if code and self.unique(code, row["code"], "treatment") and None not in fields.values():
                treatments[code] = Treatment(code=code, **fields)
        if cosmetic_without_evidence:
            message = N_(
                "missing column 'evidence' in the header row: a cosmetic treatment's consent "
                "form says what the evidence shows and how long results last"
            )
            self.problem(None, Message(message), sheet=values_ws.title)
        return treatments

    def reference(self, cell: _Cell, what: str, sheet: str) -> str | None:
        """A code that must be defined on another sheet (unless that sheet is unreadable)."""
        code = self.code(cell)
        defined = self.defined.get(what, {})
        if code and sheet not in self.unreadable and code not in defined:
            message = N_("a code from the %(sheet)s sheet (%(codes)s)")
            self.bad(cell, Message(message, sheet=sheet, codes=", ".join(defined)))
            return None
        return code

    def codes(self, cell: _Cell | None, what: str, sheet: str) -> tuple[str, ...] | None:
        """A comma-separated list of codes defined on another sheet; risks need at least one."""
        required = what == "risk"
        value = self.text(cell, required=required)
        if value is None:
            return None
        defined = self.defined.get(what, {})
        codes = tuple(c.strip().upper() for c in value.replace(";", ",").split(",") if c.strip())
        unknown = [c for c in codes if c not in defined and sheet not in self.unreadable]
        if required and not codes:
            self.bad(cell, Message(N_("at least one risk code from the Risks sheet")))
            return None
        if unknown:
            message = _UNKNOWN_CODES[what]
            self.bad(cell, Message(message, unknown=", ".join(unknown), known=", ".join(defined)))
            return None
        return codes

    def read_prices(
        self, values_ws, formulas_ws, treatments: Mapping[str, Treatment]
    ) -> dict[tuple[str, str], Price]:
        columns = {
            "treatment": True,
            "area": True,
            "price per session": True,
            "course sessions": False,
            "course price": False,
            "course discount": False,
        }
        prices: dict[tuple[str, str], Price] = {}
        for row in self.table(values_ws, formulas_ws, columns) or []:
            treatment = self.reference(row["treatment"], "treatment", "Treatments")
            area = self.reference(row["area"], "area", "Areas")
            per_session = self.money(row["price per session"])
            course = self.course(row, per_session)
            longest = treatments[treatment].sessions_max if treatment in treatments else None
            if course and longest and course.sessions > longest:
                message = N_(
                    "a course of at most %(longest)s sessions, the most %(treatment)s allows "
                    "(Treatments sheet, sessions max)"
                )
                self.bad(
                    row["course sessions"], Message(message, longest=longest, treatment=treatment)
                )
                course = False
            if (
                treatment
                and area
                and self.unique((treatment, area), row["treatment"], "price row for")
                and per_session is not None
                and course is not False
            ):
                prices[(treatment, area)] = Price(treatment, area, per_session, course or None)
        return prices

    def course(self, row: dict[str, _Cell], per_session: Decimal | None) -> Course | bool | None:
        """The row's course, None when it has none, False when its cells are invalid."""
        sessions_cell = row.get("course sessions")
        price_cell = row.get("course price")
        discount_cell = row.get("course discount")
        given = [c for c in (price_cell, discount_cell) if c is not None and not c.blank]
        if sessions_cell is None or sessions_cell.blank:
            if given:
                message = N_("a course price or discount needs 'course sessions' too")
                self.problem(given[0], Message(message))
                return False
            return None
        sessions = self.integer(sessions_cell, 1, MAX_SESSIONS)
        if sessions is None:
            return False
        if len(given) != 1:
            message = N_("exactly one of 'course price' or 'course discount' for this course")
            self.bad(sessions_cell if not given else given[1], Message(message))
            return False
        if given[0] is price_cell:
            price = self.money(price_cell)
        else:
            discount = self.percent(discount_cell)
            if discount is None or per_session is None:
                return False
            price = round_money(per_session * sessions * (100 - discount) / 100, self.currency)
        if price is None or per_session is None:
            return False
        if price > per_session * sessions:
            message = N_(
                "a course price no higher than %(sessions)s sessions at %(price)s (%(total)s)"
            )
            total = per_session * sessions
            self.bad(given[0], Message(message, sessions=sessions, price=per_session, total=total))
            return False
        return Course(sessions, price)
