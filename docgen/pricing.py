"""Load step: read a price-list workbook into validated, frozen domain objects.

Each sheet is declared once below — its columns, how each is read, whether it is required, its
help text — and read from that declaration (docgen.sheets); what remains here is the domain and
the rules between columns and sheets. Every problem is collected with its file, sheet and cell,
and all of them are raised together in one WorkbookError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

import openpyxl
from babel import Locale
from babel.core import UnknownLocaleError, get_global
from babel.numbers import get_currency_precision

from docgen.exceptions import Message, WorkbookError
from docgen.i18n import N_
from docgen.limits import MAX_WORKBOOK_BYTES, existing_rows, oversized_package
from docgen.sheets import (
    CODE,
    DATE,
    MONEY,
    NAME,
    PERCENT,
    TEXT,
    YES_NO,
    Choice,
    Codes,
    Column,
    Currency,
    Integer,
    LocaleName,
    Locales,
    Name,
    Reference,
    Row,
    Sheet,
    SheetReader,
    Worksheets,
    normalise_header,
)

ADULT_AGE = 18


class Kind(StrEnum):
    COSMETIC = "cosmetic"
    THERAPEUTIC = "therapeutic"


class TaxRounding(StrEnum):
    """How a tax is rounded to the currency's minor unit: half up, or down (as Japan commonly
    rounds consumption tax)."""

    HALF_UP = "half up"
    DOWN = "down"


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
class Tax:
    """A tax a kind of treatment carries, as the Taxes sheet names it (GST, TVQ, CGST); with
    no Taxes sheet, the Clinic sheet's VAT, whose name is docgen's own text (name "")."""

    name: str
    rate: Decimal  # percent
    on_top_of: str = ""  # the tax it is charged on, where a country compounds


@dataclass(frozen=True)
class TaxAmount:
    """One tax of a total: charged at its rate on its base, rounded once."""

    tax: Tax
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Taxed:
    """An amount's taxes: what they are charged on (net), each tax, and on prices including
    taxes the cent no net gives back exactly, if any (rounding)."""

    net: Decimal
    taxes: tuple[TaxAmount, ...]
    rounding: Decimal = Decimal(0)


@dataclass(frozen=True)
class Clinic:
    name: str
    address: str
    phone: str
    email: str
    registration: str
    currency: str
    locale: str
    vat_rates: Mapping[Kind, Decimal | None]  # percent, e.g. Decimal("20"); None: a Taxes sheet's
    prices_include_vat: bool
    quote_validity_days: int
    deposit_percent: Decimal
    consultation_fee: Decimal | None  # as the workbook lists prices: before tax, or with it
    effective_date: dt.date | None
    price_list_version: str
    # the locales documents are made in (empty: the clinic's and every catalogue's language)
    languages: tuple[str, ...] = ()
    staff_languages: tuple[str, ...] = ()  # languages the staff speak (empty: the clinic's)
    cash_rounding: Decimal | None = None  # cash is paid to it (0.05 CHF), or to the cent
    cash_only: bool = False  # totals and deposits are then rounded as cash is paid
    tax_rounding: TaxRounding = TaxRounding.HALF_UP
    consultation_kind: Kind = Kind.COSMETIC  # the taxes the consultation fee carries
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
    # the Taxes sheet's taxes of each kind, in order; None: no Taxes sheet (VAT, as vat_rates)
    taxes: Mapping[Kind, tuple[Tax, ...]] | None = None

    def taxes_on(self, kind: Kind) -> tuple[Tax, ...]:
        """The taxes a kind of treatment carries, in the order they are printed."""
        if self.taxes is None:
            return (Tax("", self.vat_rates[kind] or Decimal(0)),)
        return self.taxes.get(kind, ())

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

    @property
    def minor_unit(self) -> Decimal:
        """The currency's smallest amount: 0.01 for pounds, 1 for yen, 0.001 for dinars."""
        return Decimal(1).scaleb(-get_currency_precision(self.clinic.currency))

    @property
    def consultation_price(self) -> Decimal | None:
        """The consultation fee as a patient pays it, taxes included (Japan's law on showing
        prices allows no other figure), from a workbook whose prices include taxes or not."""
        fee = self.clinic.consultation_fee
        return None if fee is None else self.with_vat(fee, self.clinic.consultation_kind)

    def with_vat(self, amount: Decimal, kind: Kind) -> Decimal:
        """A listed price as a consumer pays it, taxes included, whatever the workbook states:
        what an estimate of that item alone asks (each tax computed and rounded on its own)."""
        if self.clinic.prices_include_vat:
            return amount
        taxed = self.tax_amounts(amount, self.clinic.taxes_on(kind))
        return amount + sum((t.amount for t in taxed.taxes), Decimal(0))

    def tax_amounts(self, listed: Decimal, taxes: tuple[Tax, ...]) -> Taxed:
        """The taxes of an amount as the workbook lists it (the total of lines carrying the
        same taxes), each charged on its base (a compounding tax's includes the tax it is
        charged on) and rounded once: every tax printed is its rate of the base printed.

        On prices including taxes, the net is the amount before taxes that, taxed so, gives
        the price back; where no amount to the cent does (a price of £0.03 at 20 %), the
        nearest one, and the cent left over is the rounding, printed on a line of its own."""
        if not self.clinic.prices_include_vat:
            return Taxed(listed, _charged(listed, taxes, self.round_tax))
        shares = _charged(Decimal(1), taxes, lambda exact: exact)  # of each unit before tax
        factor = 1 + sum((share.amount for share in shares), Decimal(0))
        nearest = self.round_money(listed / factor)
        for step in (0, -1, 1, -2, 2, -3, 3):
            net = nearest + step * self.minor_unit
            charged = _charged(net, taxes, self.round_tax)
            if net + sum((c.amount for c in charged), Decimal(0)) == listed:
                return Taxed(net, charged)
        charged = _charged(nearest, taxes, self.round_tax)
        left = listed - nearest - sum((c.amount for c in charged), Decimal(0))
        return Taxed(nearest, charged, left)

    def round_tax(self, amount: Decimal) -> Decimal:
        """A tax rounded to the currency's minor unit as the clinic's Tax rounding says."""
        if self.clinic.tax_rounding is TaxRounding.DOWN:
            return amount.quantize(self.minor_unit, rounding=ROUND_DOWN)
        return self.round_money(amount)

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


def _charged(
    base: Decimal, taxes: tuple[Tax, ...], rounded: Callable[[Decimal], Decimal]
) -> tuple[TaxAmount, ...]:
    """Each tax charged on base, in order, a compounding one on base and the tax before it."""
    charged: list[TaxAmount] = []
    for tax in taxes:
        tax_base = base + _tax_on(tax, charged)
        charged.append(TaxAmount(tax, tax_base, rounded(tax_base * tax.rate / 100)))
    return tuple(charged)


def _tax_on(tax: Tax, charged: Sequence[TaxAmount]) -> Decimal:
    """The amount of the tax this one is charged on top of; 0 for one charged on the price."""
    found = (c.amount for c in charged if tax.on_top_of and c.tax.name == tax.on_top_of)
    return next(found, Decimal(0))


def load_price_list(path: str | Path) -> PriceList:
    """Read and validate a workbook; raise WorkbookError listing every problem found."""
    return _PriceListReader(Path(path)).read()


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


# --- the workbook's sheets -----------------------------------------------------------------------

MAX_SESSIONS = 100
# A consent form asks for these settings; the loader leaves them optional so that estimates
# and price sheets can be made without them.
FOR_CONSENT = "needed for consent forms"

CLINIC = Sheet(
    "Clinic",
    "settings, one per row: name in column A, value in column B.",
    settings=True,
    columns=(
        Column("Name", NAME, "printed at the top of every document", required=True),
        Column("Address", TEXT, "printed in every document's header", required=True),
        Column("Phone", NAME, "printed in the header"),
        Column("Email", NAME, "printed in the header"),
        Column("Registration", NAME, "the regulator and registration number, in the header"),
        Column(
            "Currency", Currency(), "of every amount, which has at most its decimal places (2 "
            "for GBP, 0 for JPY)", required=True,
        ),
        Column(
            "Locale", LocaleName(), "the clinic's own language and region: the workbook's "
            "texts are written in it", required=True,
        ),
        Column(
            "VAT cosmetic", PERCENT, "VAT on cosmetic treatments; needed without a Taxes sheet, "
            "refused with one"
        ),
        Column(
            "VAT therapeutic", PERCENT, "VAT on therapeutic treatments; needed without a Taxes "
            "sheet",
        ),
        Column(
            "Prices include VAT", YES_NO, "`yes` if the Prices sheet's prices include VAT",
            required=True,
        ),
        Column(
            "Quote validity days", Integer(1, 3650), "how long an estimate stays valid",
            required=True,
        ),
        Column(
            "Deposit", PERCENT, "the part of an estimate's total paid when booking",
            required=True, field="deposit_percent",
        ),
        Column(
            "Consultation fee", MONEY, "printed on estimates and the price sheet, with its "
            "taxes, as listed prices are (before tax or with it)",
        ),
        Column(
            "Consultation kind", Choice(Kind), "the kind of treatment whose taxes the "
            "consultation fee carries", default=Kind.COSMETIC,
        ),
        Column("Effective date", DATE, "the day the prices apply from, on the price sheet"),
        Column(
            "Version", NAME, "the price list's version, printed on every document",
            field="price_list_version",
        ),
        Column(
            "Cash rounding", YES_NO, "`no` to state amounts to pay to the cent where CLDR "
            "rounds cash (0.05 CHF)", default=True,
        ),
        Column(
            "Cash only", YES_NO, "`yes` if the clinic takes only cash: totals and deposits are "
            "then rounded as cash is paid; otherwise they are exact, and the amount in cash is "
            "printed on a line of its own", default=False,
        ),
        Column(
            "Tax rounding", Choice(TaxRounding), "how each tax is rounded to the currency's "
            "minor unit", default=TaxRounding.HALF_UP,
        ),
        Column(
            "Complications phone", NAME, f"{FOR_CONSENT}: whom a patient calls about a "
            "complication, day or night, printed in the form's aftercare",
        ),
        Column(
            "Reflection days cosmetic", Integer(0, 90), "days between the information and a "
            "cosmetic treatment; the consent form prints the day treatment may start",
            default=0,
        ),
        Column(
            "Reflection days therapeutic", Integer(0, 90), "the same for a therapeutic "
            "treatment", default=0,
        ),
        Column(
            "Languages", Locales(), "the locales documents are made in, which the desk offers "
            "and `--all-locales` makes (default: the clinic's and every language with a "
            "catalogue)",
        ),
        Column(
            "Staff languages", Locales(), "the languages the staff speak (default: the "
            "clinic's): a patient reading another needs an interpreter",
        ),
        Column(
            "Minimum age cosmetic", Integer(0, 99), "no cosmetic treatment below this age, "
            "whatever a parent agrees", default=ADULT_AGE,
        ),
        Column(
            "Minimum age law", NAME, "the law (or the clinic's rule) that sets it, named when "
            "a treatment is refused",
        ),
        Column(
            "Own consent age", Integer(0, ADULT_AGE), "from this age a minor consents to "
            "treatment themself", default=ADULT_AGE,
        ),
        Column(
            "Data controller", NAME, f"{FOR_CONSENT}: who keeps the patients' records (UK "
            "GDPR, DSGVO, nDSG)",
        ),
        Column("Privacy contact", NAME, f"{FOR_CONSENT}: whom a patient asks about their data"),
        Column(
            "Data protection authority", NAME, f"{FOR_CONSENT}: where a patient may complain"
        ),
        Column(
            "Records retention years", Integer(1, 100), f"{FOR_CONSENT}: how long records are "
            "kept after the last treatment", default=0,
        ),
        Column(
            "Photographs retention years", Integer(1, 100), f"{FOR_CONSENT}: how long "
            "photographs are kept after the last treatment", default=0,
        ),
        Column(
            "Payment terms", TEXT, f"{FOR_CONSENT}, printed on estimates too: deposit, "
            "cancellation and refunds", translated=True,
        ),
    ),
)  # fmt: skip

# A treatment's risks, contraindications and products, as codes of the sheets that define them
RISK_CODES = Codes(
    "Risks",
    unknown=N_("risk codes from the Risks sheet (unknown: %(unknown)s; known: %(known)s)"),
    none=N_("at least one risk code from the Risks sheet"),
)
CONTRAINDICATION_CODES = Codes(
    "Contraindications",
    unknown=N_(
        "contraindication codes from the Contraindications sheet (unknown: %(unknown)s; "
        "known: %(known)s)"
    ),
)
PRODUCT_CODES = Codes(
    "Products",
    unknown=N_("product codes from the Products sheet (unknown: %(unknown)s; known: %(known)s)"),
)

TREATMENTS = Sheet(
    "Treatments",
    "one row per treatment.",
    duplicate=N_("duplicate treatment '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column("Code", CODE, "names it on the Prices sheet and in plans", required=True),
        Column("Name", NAME, "printed on every document", required=True, translated=True),
        Column(
            "Description", TEXT, "printed as the intended benefits", required=True,
            translated=True,
        ),
        Column(
            "Kind", Choice(Kind), "sets its VAT rate and insurance note; a cosmetic treatment "
            "has a minimum age", required=True,
        ),
        Column(
            "Sessions min", Integer(1, MAX_SESSIONS), "the fewest sessions of a course",
            required=True,
        ),
        Column(
            "Sessions max", Integer(1, MAX_SESSIONS), "the most sessions of a course, at "
            "least Sessions min", required=True,
        ),
        Column("Interval days", Integer(1, 365), "days between two sessions", required=True),
        Column("Ingredients", TEXT, "what may be injected", translated=True),
        Column("Alternatives", TEXT, "what the consent form offers instead", translated=True),
        Column("Risks", RISK_CODES, "its risks, at least one", required=True, field="risk_codes"),
        Column(
            "Contraindications", CONTRAINDICATION_CODES, "those it adds to the standard ones",
            field="contraindication_codes",
        ),
        Column(
            "Minimum age", Integer(0, 99), "raises the clinic's minimum age for it", default=0
        ),
        Column(
            "Alternatives for minors", TEXT, "the alternatives a minor's form offers; needed "
            "to treat a minor", translated=True,
        ),
        Column(
            "Evidence", TEXT, "required for a cosmetic treatment: what the evidence shows and "
            "how long results last, printed with the intended benefits under \"What the "
            "evidence shows:\"", translated=True,
        ),
        Column("Products", PRODUCT_CODES, "the products it may inject", field="product_codes"),
    ),
)  # fmt: skip

AREAS = Sheet(
    "Areas",
    "one row per body area.",
    duplicate=N_("duplicate area '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column("Code", CODE, "names it on the Prices sheet and in plans", required=True),
        Column("Name", NAME, "printed on every document", required=True, translated=True),
    ),
)

PRICES = Sheet(
    "Prices",
    "one row per treatment and area, each pair once: its price per session and, optionally, a "
    "course of sessions sold together.",
    duplicate=N_("duplicate price row for %(key)s (first defined in row %(row)s)"),
    columns=(
        Column(
            "Treatment", Reference("Treatments"), "the treatment", required=True,
            field="treatment_code",
        ),
        Column("Area", Reference("Areas"), "the body area", required=True, field="area_code"),
        Column(
            "Price per session", MONEY, "the price of one session", required=True,
            field="per_session",
        ),
        Column(
            "Course sessions", Integer(1, MAX_SESSIONS), "a course's sessions, at most the "
            "treatment's Sessions max",
        ),
        Column(
            "Course price", MONEY, "the whole course's price, or else a Course discount",
            by_rule=True,
        ),
        Column(
            "Course discount %", PERCENT, "percent off the course's sessions at the price per "
            "session, or else a Course price", by_rule=True,
        ),
    ),
)  # fmt: skip

RISKS = Sheet(
    "Risks",
    "one row per risk.",
    duplicate=N_("duplicate risk '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column("Code", CODE, "names it on the Treatments sheet", required=True),
        Column("Name", NAME, "printed on the consent form", required=True, translated=True),
        Column(
            "Description", TEXT, "printed with the name", required=True, translated=True
        ),
        Column(
            "Frequency", Choice(Frequency), "printed as odds: 'more than 1 in 10 people' … "
            "'up to 1 in 10,000 people'", required=True,
        ),
        Column(
            "Severity", Choice(Severity), "a serious risk is printed however rare it is",
            default=Severity.MILD,
        ),
    ),
)  # fmt: skip

CONTRAINDICATIONS = Sheet(
    "Contraindications",
    "one row per condition that may rule treatment out.",
    duplicate=N_("duplicate contraindication '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column("Code", CODE, "names it on the Treatments sheet", required=True),
        Column(
            "Name", NAME, "the statement the patient ticks yes or no: 'I am breastfeeding'",
            required=True, translated=True,
        ),
        Column(
            "Standard", YES_NO, "`yes`: asked on every consent form; `no`: only for the "
            "treatments that name it", required=True,
        ),
    ),
)  # fmt: skip

PRACTITIONERS = Sheet(
    "Practitioners",
    "one row per practitioner; the consent form prints their profession and registration "
    "under their name, and the desk offers the names.",
    required=False,
    duplicate=N_("duplicate practitioner '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column(
            "Name", NAME, "as forms name them, whatever its case and spacing", required=True
        ),
        Column("Profession", NAME, "printed under the name", required=True, translated=True),
        Column(
            "Registration body", NAME, "the register, such as General Medical Council; with "
            "Registration number, or neither",
        ),
        Column("Registration number", NAME, "the number on that register"),
    ),
)  # fmt: skip

PRODUCTS = Sheet(
    "Products",
    "one row per product a treatment may inject; the consent form says plainly when one is "
    "used off-label or has no licence.",
    required=False,
    duplicate=N_("duplicate product '%(key)s' (first defined in row %(row)s)"),
    columns=(
        Column("Code", CODE, "names it on the Treatments sheet", required=True),
        Column("Name", NAME, "printed on the consent form", required=True, translated=True),
        Column("Manufacturer", NAME, "printed with the name", required=True),
        Column(
            "Licensing", Choice(Licensing), "for the use the treatments make of it",
            required=True,
        ),
    ),
)  # fmt: skip

TAXES = Sheet(
    "Taxes",
    "one row per tax a kind of treatment carries, printed in this order, each computed on the "
    "total of its kind and rounded on its own (GST and QST in Quebec, CGST and SGST in India); "
    "without this sheet, the Clinic sheet's VAT settings.",
    required=False,
    columns=(
        Column("Kind", Choice(Kind), "the kind of treatment that carries it", required=True),
        Column(
            "Tax", Name(60), "its name as documents print it, translated like the workbook's "
            "other texts", required=True, field="name", translated=True,
        ),
        Column("Rate %", PERCENT, "its rate", required=True, field="rate"),
        Column(
            "On top of", TEXT, "the tax of an earlier row of the same kind it is charged on, "
            "where a country compounds taxes",
        ),
    ),
)  # fmt: skip

# In the order a workbook's missing sheets are named.
SHEETS = (
    CLINIC, TREATMENTS, AREAS, PRICES, RISKS, CONTRAINDICATIONS, PRACTITIONERS, PRODUCTS, TAXES
)  # fmt: skip


# --- the rules between columns and sheets --------------------------------------------------------


class _PriceListReader(SheetReader):
    def read(self) -> PriceList:
        with contextlib.suppress(ValueError, TypeError, UnknownLocaleError):  # reported by its cell
            locale = Locale.parse(read_clinic_locale(self.path) or "")
            self.left_to_right = locale.character_order == "left-to-right"
        data, sheets = self.open(SHEETS)
        # Clinic first, for its currency's decimal places; then every sheet after those its
        # codes refer to
        taxes = self.read_taxes(sheets.get("Taxes"))
        clinic = self.read_clinic(sheets["Clinic"], taxes)
        risks = self.records(RISKS, sheets["Risks"], Risk)
        contraindications = self.records(
            CONTRAINDICATIONS, sheets["Contraindications"], Contraindication
        )
        areas = self.records(AREAS, sheets["Areas"], Area)
        products = self.records(PRODUCTS, sheets.get("Products"), Product)
        treatments = self.read_treatments(sheets["Treatments"])
        prices = self.read_prices(sheets["Prices"], treatments)
        practitioners = self.read_practitioners(sheets.get("Practitioners"))
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

    def read_clinic(
        self, worksheets: Worksheets, taxes: dict[Kind, tuple[Tax, ...]] | None
    ) -> Clinic | None:
        row = self.settings(CLINIC, worksheets)
        if row is None:
            return None
        values = row.values
        values["vat_rates"] = {kind: values.pop(f"vat_{kind.value}") for kind in Kind}
        if taxes is not None:  # a rate left here would be silently ignored
            for kind, rate in values["vat_rates"].items():
                if rate is not None:
                    message = N_(
                        "the Taxes sheet sets the taxes, so this rate would be ignored: remove "
                        "it, or list the tax on the Taxes sheet"
                    )
                    self.problem(row.cells[f"vat_{kind.value}"], Message(message))
                    row.complete = False
        if taxes is None:
            for kind, rate in values["vat_rates"].items():  # the workbook's only taxes
                if rate is not None:
                    continue
                row.complete = False
                if cell := row.cells.get(f"vat_{kind.value}"):
                    if cell.blank:  # a wrong value was reported as it was read
                        self.empty(cell)
                else:
                    key = f"vat {kind.value}"
                    message = Message(N_("missing setting '%(key)s' in column A"), key=key)
                    self.problem(None, message, sheet=worksheets[0].title)
        if not row.complete:
            return None
        values["taxes"] = taxes
        values["reflection_days"] = {
            kind: values.pop(f"reflection_days_{kind.value}") for kind in Kind
        }
        rounded = values["cash_rounding"]
        values["cash_rounding"] = cash_rounding_step(values["currency"]) if rounded else None
        values["staff_languages"] = tuple(
            dict.fromkeys(Locale.parse(code).language for code in values["staff_languages"])
        )
        return Clinic(**values)

    def read_taxes(self, worksheets: Worksheets | None) -> dict[Kind, tuple[Tax, ...]] | None:
        """Each kind's taxes, in the sheet's order; None without a Taxes sheet."""
        if worksheets is None:
            return None
        taxes: dict[Kind, list[Tax]] = {kind: [] for kind in Kind}
        for row in self.rows(TAXES, worksheets):
            values, cells = row.values, row.cells
            kind, name, on_top_of = values["kind"], values["name"], values["on_top_of"]
            if kind is None or name is None or not row.complete:
                continue
            earlier = [tax.name for tax in taxes[kind]]
            if name in earlier:
                message = N_("a second %(name)s for %(kind)s treatments; keep one row")
                self.problem(cells["name"], Message(message, name=name, kind=kind.value))
                continue
            if on_top_of and on_top_of not in earlier:
                message = N_(
                    "the name of a tax on an earlier row for %(kind)s treatments (%(known)s)"
                )
                self.bad(
                    cells["on_top_of"],
                    Message(message, kind=kind.value, known=", ".join(earlier) or "none"),
                )
                continue
            taxes[kind].append(Tax(name, values["rate"], on_top_of or ""))
        return {kind: tuple(found) for kind, found in taxes.items()}

    def read_treatments(self, worksheets: Worksheets) -> dict[str, Treatment]:
        lacks_evidence = False  # a cosmetic treatment on a sheet with no Evidence column

        def rules(row: Row) -> None:
            nonlocal lacks_evidence
            values, cells = row.values, row.cells
            fewest, most = values["sessions_min"], values["sessions_max"]
            if fewest and most and fewest > most:
                self.bad(cells["sessions_max"], f"at least sessions min ({fewest})")
                row.complete = False
            # a cosmetic treatment's benefit is the patient's only reason to accept its risks
            if values["kind"] is Kind.COSMETIC and not values["evidence"]:
                if "evidence" in cells:
                    self.empty(cells["evidence"])
                else:
                    lacks_evidence = True
                row.complete = False

        treatments = self.records(TREATMENTS, worksheets, Treatment, rules)
        if lacks_evidence:  # said once, not row by row
            message = N_(
                "missing column 'evidence' in the header row: a cosmetic treatment's consent "
                "form says what the evidence shows and how long results last"
            )
            self.problem(None, Message(message), sheet=worksheets[0].title)
        return treatments

    def read_practitioners(self, worksheets: Worksheets | None) -> dict[str, Practitioner]:
        found: dict[str, Practitioner] = {}
        for row in self.rows(PRACTITIONERS, worksheets):
            values, cells = row.values, row.cells
            body, number = values["registration_body"], values["registration_number"]
            if bool(body) != bool(number):
                if body:
                    empty = cells.get("registration_number") or cells["registration_body"]
                    message = N_(
                        "has a registration body but no registration number: give both (e.g. "
                        "General Medical Council, 7654321) or neither"
                    )
                else:
                    empty = cells.get("registration_body") or cells["registration_number"]
                    message = N_(
                        "has a registration number but no registration body: give both (e.g. "
                        "General Medical Council, 7654321) or neither"
                    )
                self.problem(empty, Message(message))
                continue
            name = values["name"]
            key = practitioner_key(name or "")
            if name and self.unique(key, cells["name"], PRACTITIONERS) and row.complete:
                found[key] = Practitioner(**values)
        return found

    def read_prices(
        self, worksheets: Worksheets, treatments: Mapping[str, Treatment]
    ) -> dict[tuple[str, str], Price]:
        prices: dict[tuple[str, str], Price] = {}
        for row in self.rows(PRICES, worksheets):
            values, cells = row.values, row.cells
            treatment, area = values["treatment_code"], values["area_code"]
            course = self.course(row)
            longest = treatments[treatment].sessions_max if treatment in treatments else None
            if course and longest and course.sessions > longest:
                message = N_(
                    "a course of at most %(longest)s sessions, the most %(treatment)s allows "
                    "(Treatments sheet, sessions max)"
                )
                self.bad(
                    cells["course_sessions"],
                    Message(message, longest=longest, treatment=treatment),
                )
                course = False
            if (
                treatment
                and area
                and self.unique((treatment, area), cells["treatment_code"], PRICES)
                and row.complete
                and course is not False
            ):
                per_session = values["per_session"]
                prices[(treatment, area)] = Price(treatment, area, per_session, course or None)
        return prices

    def course(self, row: Row) -> Course | bool | None:
        """The row's course, None when it has none, False when its cells are invalid."""
        values, cells = row.values, row.cells
        sessions_cell = cells.get("course_sessions")
        price_cell = cells.get("course_price")
        given = [
            c for c in (price_cell, cells.get("course_discount")) if c is not None and not c.blank
        ]
        if sessions_cell is None or sessions_cell.blank:
            if given:
                message = N_("a course price or discount needs 'course sessions' too")
                self.problem(given[0], Message(message))
                return False
            return None
        sessions, per_session = values["course_sessions"], values["per_session"]
        if sessions is None:
            return False
        if len(given) != 1:
            message = N_("exactly one of 'course price' or 'course discount' for this course")
            self.bad(sessions_cell if not given else given[1], Message(message))
            return False
        if given[0] is price_cell:
            price = PRICES.by_key["course price"].read(self, price_cell)
        else:
            discount = PRICES.by_key["course discount"].read(self, given[0])
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
