"""Plan step: price a treatment plan against a price list.

Every line is rounded once, half-up, to the currency's digits. Each tax is computed once on the
total of the lines that carry it, as an invoice states it, and rounded once: every printed "VAT
r% on B: V" (or "GST 5 % on B", "QST 9.975 % on B") is arithmetic a patient can check, and totals
are exact sums of rounded figures.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from docgen.exceptions import FieldProblem, PlanError
from docgen.i18n import N_
from docgen.patient import hidden_character
from docgen.pricing import Area, Course, Kind, PriceList, Tax, Taxed, Treatment


@dataclass(frozen=True)
class PlanItem:
    """One requested line: a treatment on an area, optionally with a number of sessions."""

    treatment: str
    area: str
    sessions: int | None = None

    @classmethod
    def parse(cls, spec: str) -> PlanItem:
        """Parse `TREATMENT:AREA[:SESSIONS]`, e.g. `REJUV:FACE:6`."""
        parts = [p.strip() for p in spec.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise PlanError([f"{spec!r} is not TREATMENT:AREA or TREATMENT:AREA:SESSIONS"])
        sessions = None
        if len(parts) == 3:
            sessions = parse_sessions(parts[2])
            if sessions is None:
                raise PlanError(
                    [f"{spec!r}: sessions must be a whole number from 1 to {MOST_SESSIONS}"]
                )
        return cls(parts[0].upper(), parts[1].upper(), sessions)


MOST_SESSIONS = 9999  # as typed; a treatment's own range (Treatments sheet) is far smaller


def parse_sessions(text: str) -> int | None:
    """A number of sessions as typed (a command line, a batch cell, a form): a whole number from
    1 to MOST_SESSIONS, else None. Four digits at most, so a pasted string of digits is not a
    number Python refuses to convert."""
    if not re.fullmatch("[0-9]{1,4}", text) or int(text) < 1:
        return None
    return int(text)


def plan_items(treatment: str, areas: Iterable[str], sessions: int | None) -> list[PlanItem]:
    """The lines for one treatment on several areas, as a consent form plans them."""
    code = treatment.strip().upper()
    return [PlanItem(code, area.strip().upper(), sessions) for area in areas]


@dataclass(frozen=True)
class Discount:
    """A visit's discount, applied before tax: a percentage of its treatments, or an amount
    off them; printed with its reason."""

    reason: str
    percent: Decimal | None = None
    amount: Decimal | None = None

    @classmethod
    def parse(cls, text: str | None, reason: str | None) -> Discount | None:
        """'10%' or '50' (an amount in the clinic's currency) with its reason, as typed on the
        command line, in a batch's cells or on the desk; None for no discount. PlanError names
        what is wrong: a discount needs a reason, and a reason a discount."""
        text, reason = (text or "").strip(), (reason or "").strip()
        if not text and not reason:
            return None
        if not text:
            message = N_("a discount reason needs a discount, such as %(percent)s or %(amount)s")
            raise PlanError([FieldProblem("discount", message, percent="10%", amount="50")])
        if not reason:
            message = N_("the discount %(value)s needs its reason, printed beside it")
            raise PlanError([FieldProblem("discount_reason", message, value=text)])
        if len(reason) > LONGEST_REASON or hidden_character(reason):
            message = N_(
                "the discount reason must be one line of at most %(longest)s characters, "
                "with no invisible characters"
            )
            raise PlanError([FieldProblem("discount_reason", message, longest=LONGEST_REASON)])
        percent = text.endswith("%")
        number = text.removesuffix("%").strip()
        if re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", number):
            message = N_(
                "discount %(value)s could be read two ways (a thousand, or one with three "
                "decimals): type it without a thousands separator, such as 1000 or 1.5"
            )
            raise PlanError([FieldProblem("discount", message, value=text)])
        number = number.replace(",", ".")
        value = Decimal(number) if re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,4})?", number) else None
        if value is None or value <= 0 or (percent and value > 100):
            message = N_(
                "discount %(value)s is not a percentage from 0 to 100 %% (10%%) or an amount "
                "above 0 (50)"
            )
            raise PlanError([FieldProblem("discount", message, value=text)])
        if percent:
            return cls(reason, percent=value)
        return cls(reason, amount=value)


LONGEST_REASON = 120  # printed on one line of the totals, beside the amount


@dataclass(frozen=True)
class EstimateLine:
    treatment: Treatment
    area: Area
    sessions: int
    unit_price: Decimal
    course: Course | None  # the course applied, when the sessions reach one
    courses: int  # how many whole courses the sessions contain
    amount: Decimal  # as listed: VAT-inclusive when the clinic's prices include VAT

    @property
    def single_sessions(self) -> int:
        """Sessions charged at the per-session price, beyond the whole courses."""
        return self.sessions - self.courses * (self.course.sessions if self.course else 0)

    @property
    def saving(self) -> Decimal:
        return self.unit_price * self.sessions - self.amount


@dataclass(frozen=True)
class VatLine:
    """One tax of the lines that carry it: base × rate, rounded once; on prices including
    taxes, the base is the net that gives their gross back (PriceList.tax_amounts)."""

    rate: Decimal
    base: Decimal  # what it is charged on: the lines before tax, and any tax it compounds on
    vat: Decimal
    name: str = ""  # the Taxes sheet's name for it; "" for the Clinic sheet's VAT


@dataclass(frozen=True)
class Estimate:
    price_list: PriceList
    number: str
    issued: dt.date
    valid_until: dt.date
    lines: tuple[EstimateLine, ...]
    net: Decimal  # total excluding VAT
    vat_lines: tuple[VatLine, ...]
    total: Decimal  # net + VAT, to the cent
    deposit: Decimal
    rounding: Decimal = Decimal(0)  # to the cash rounding (CHF: 5 centimes) if cash only, or 0
    # on prices including taxes, the cent no net gives back exactly (PriceList.tax_amounts)
    tax_rounding: Decimal = Decimal(0)
    in_cash: Decimal | None = None  # the total paid in cash, when it differs from the total
    discount: Discount | None = None
    discounted: Decimal = Decimal(0)  # taken off the lines' total (listed), before tax
    consultation: Decimal | None = None  # the initial consultation's fee, a line of its own

    @property
    def listed(self) -> Decimal:
        """The lines' total, the consultation's too, as the workbook lists prices (before
        tax, or with it)."""
        treatments = sum((line.amount for line in self.lines), Decimal(0))
        return treatments + (self.consultation or Decimal(0))

    @property
    def to_pay(self) -> Decimal:
        """What the patient pays: the total with its cash rounding."""
        return self.total + self.rounding

    @property
    def vat(self) -> Decimal:
        return sum((v.vat for v in self.vat_lines), Decimal(0))

    @property
    def kinds(self) -> set[Kind]:
        return {line.treatment.kind for line in self.lines}


# Crockford's base 32: no I, L, O or U, so an id read out over the phone is not misheard.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 60 bits after the date: 5,000 documents a day for 40 years have odds of about 1 in 6 million
# of ever drawing one id twice (the register refuses a second document with an id anyway).
_ID_CHARACTERS = 12


def new_document_id(issued: dt.date, prefix: str = "Q", seed: str | None = None) -> str:
    """A sortable id such as Q-20260302-7K3M9XQ2HT4P (Q: quote, C: consent form): random, or, for
    a reproducible document, derived from a seed describing its inputs."""
    source = hashlib.sha256(seed.encode()).digest() if seed is not None else secrets.token_bytes(8)
    bits = int.from_bytes(source[:8], "big") >> (64 - 5 * _ID_CHARACTERS)
    suffix = "".join(
        _ID_ALPHABET[(bits >> (5 * place)) & 31] for place in reversed(range(_ID_CHARACTERS))
    )
    return f"{prefix}-{issued:%Y%m%d}-{suffix}"


def plan_estimate(
    price_list: PriceList,
    items: Iterable[PlanItem | str],
    *,
    issued: dt.date | None = None,
    number: str | None = None,
    translated_names: TranslatedNames | None = None,
    discount: Discount | None = None,
    consultation: bool = False,
) -> Estimate:
    """Price every item (a PlanItem or 'TREATMENT:AREA[:SESSIONS]'); raise PlanError listing
    every item that cannot be parsed or priced. translated_names: the patient's language's
    names of treatments and areas, for the hint at a code typed as the patient calls it.
    discount: taken off the lines' total before tax, shared between lines taxed differently
    in proportion to them. consultation: the patient has the initial consultation too, a line
    at the clinic's Consultation fee, taxed as its Consultation kind."""
    problems: list[str] = []
    parsed: list[PlanItem] = []
    for item in items:
        try:
            parsed.append(item if isinstance(item, PlanItem) else PlanItem.parse(item))
        except PlanError as error:
            problems.extend(error.problems)
    if not parsed and not problems:
        problems.append("the plan is empty: give at least one TREATMENT:AREA item")
    seen = set()
    lines = []
    for item in parsed:
        if (item.treatment, item.area) in seen:
            label = f"{item.treatment}:{item.area}"
            problems.append(FieldProblem("area", N_("%(label)s is in the plan twice"), label=label))
            continue
        seen.add((item.treatment, item.area))
        line = _price_line(price_list, item, problems, translated_names)
        if line is not None:
            lines.append(line)
    fee = price_list.clinic.consultation_fee if consultation else None
    if consultation and fee is None:
        message = N_(
            "the patient has the initial consultation, but %(workbook)s gives no Consultation "
            "fee on its Clinic sheet"
        )
        problems.append(FieldProblem("consultation", message, workbook=price_list.path.name))
    listed = sum((line.amount for line in lines), fee or Decimal(0))
    discounted = _discounted(price_list, listed, discount, problems) if lines else Decimal(0)
    if problems:
        raise PlanError(problems)

    issued = issued or dt.date.today()
    clinic = price_list.clinic
    charged = [(clinic.taxes_on(line.treatment.kind), line.amount) for line in lines]
    if fee is not None:
        charged.append((clinic.taxes_on(clinic.consultation_kind), fee))
    taxed = _taxed(price_list, charged, discounted)
    vat_lines = tuple(
        VatLine(part.tax.rate, part.base, part.amount, part.tax.name)
        for group in taxed
        for part in group.taxes
    )
    net = sum((group.net for group in taxed), Decimal(0))
    tax_rounding = sum((group.rounding for group in taxed), Decimal(0))
    total = net + sum((v.vat for v in vat_lines), Decimal(0)) + tax_rounding
    cash = price_list.round_to_pay(total)
    if clinic.cash_only:  # the total and the deposit are rounded as cash is paid
        rounding, in_cash = cash - total, None
        deposit = price_list.round_to_pay(cash * clinic.deposit_percent / 100)
    else:  # exact, and what cash pays beside it
        rounding, in_cash = Decimal(0), cash if cash != total else None
        deposit = price_list.round_money(total * clinic.deposit_percent / 100)
    return Estimate(
        price_list=price_list,
        number=number or new_document_id(issued),
        issued=issued,
        valid_until=issued + dt.timedelta(days=clinic.quote_validity_days),
        lines=tuple(lines),
        net=net,
        vat_lines=vat_lines,
        total=total,
        deposit=deposit,
        rounding=rounding,
        in_cash=in_cash,
        tax_rounding=tax_rounding,
        discount=discount,
        discounted=discounted,
        consultation=fee,
    )


def _discounted(
    price_list: PriceList, listed: Decimal, discount: Discount | None, problems: list[str]
) -> Decimal:
    """What the discount takes off the lines' total, rounded once; a problem when it is more
    than the total (a price below nothing)."""
    if discount is None:
        return Decimal(0)
    if discount.percent is not None:
        taken = price_list.round_money(listed * discount.percent / 100)
        if not taken:
            message = N_("the discount %(percent)s%% takes nothing off %(total)s: give more")
            problems.append(
                FieldProblem("discount", message, percent=str(discount.percent), total=str(listed))
            )
        return taken
    amount = discount.amount or Decimal(0)
    if amount != price_list.round_money(amount) or amount > listed:
        message = N_(
            "the discount %(amount)s is not an amount to the cent from above 0 to the "
            "treatments' total, %(total)s"
        )
        problems.append(FieldProblem("discount", message, amount=str(amount), total=str(listed)))
        return Decimal(0)
    return price_list.round_money(amount)


def _taxed(
    price_list: PriceList,
    charged: Sequence[tuple[tuple[Tax, ...], Decimal]],
    discounted: Decimal = Decimal(0),
) -> list[Taxed]:
    """The taxes of each group of lines (charged: each line's taxes and amount) that carry the
    same taxes, on the group's total less its share of the discount: the highest taxed first,
    each group's taxes in the order the workbook gives them."""
    listed: dict[tuple[Tax, ...], Decimal] = {}
    for taxes, amount in charged:
        listed[taxes] = listed.get(taxes, Decimal(0)) + amount
    by_rate = sorted(listed, key=lambda taxes: sum(tax.rate for tax in taxes), reverse=True)
    shares = _shares(price_list, discounted, [listed[taxes] for taxes in by_rate])
    return [
        price_list.tax_amounts(listed[taxes] - share, taxes)
        for taxes, share in zip(by_rate, shares, strict=True)
    ]


def _shares(price_list: PriceList, amount: Decimal, totals: Sequence[Decimal]) -> list[Decimal]:
    """amount shared in proportion to totals, each share to the currency's minor unit, adding
    up to amount exactly: each rounded down, the units left to the largest remainders."""
    whole = sum(totals, Decimal(0))
    if not amount or not whole:
        return [Decimal(0)] * len(totals)
    unit = price_list.minor_unit
    exact = [amount * total / whole for total in totals]
    shares = [(share / unit).to_integral_value(ROUND_DOWN) * unit for share in exact]
    left = int((amount - sum(shares, Decimal(0))) / unit)
    for index in sorted(range(len(totals)), key=lambda i: shares[i] - exact[i])[:left]:
        shares[index] += unit
    return shares


TranslatedNames = Callable[[str], str | None]


def closest(
    given: str, named: Mapping[str, Treatment | Area], translated: TranslatedNames | None = None
) -> str:
    """' (did you mean THIGHS?)' when a known code is close to what was typed, or ' (did you
    mean KNEES, Genou?)' when a name is, in the workbook's language or (translated: a name's
    translation, if any) the patient's: an admin may type the area as either calls it."""
    codes = {code.upper(): code for code in named}
    names: dict[str, tuple[str, str]] = {}
    for code, item in named.items():
        for name in (item.name, translated and translated(item.name)):
            if name:
                names.setdefault(name.upper(), (code, name))
    typed = given.strip().upper()
    match = difflib.get_close_matches(typed, [*codes, *names], n=1, cutoff=0.5)
    if not match:
        return ""
    if match[0] in codes:
        return f" (did you mean {codes[match[0]]}?)"
    code, name = names[match[0]]
    return f" (did you mean {code}, {name}?)"


def _price_line(
    price_list: PriceList, item: PlanItem, problems: list[str], translated: TranslatedNames | None
) -> EstimateLine | None:
    treatment = price_list.treatments.get(item.treatment)
    area = price_list.areas.get(item.area)
    label = f"{item.treatment}:{item.area}"
    if treatment is None:
        hint = closest(item.treatment, price_list.treatments, translated)
        problems.append(
            FieldProblem(
                "treatment",
                N_("%(label)s: unknown treatment %(code)s%(hint)s; known treatments: %(known)s"),
                label=label,
                code=repr(item.treatment),
                hint=hint,
                known=", ".join(price_list.treatments),
            )
        )
    if area is None:
        problems.append(
            FieldProblem(
                "area",
                N_("%(label)s: unknown area %(code)s%(hint)s; known areas: %(known)s"),
                label=label,
                code=repr(item.area),
                hint=closest(item.area, price_list.areas, translated),
                known=", ".join(price_list.areas),
            )
        )
    if treatment is None or area is None:
        return None
    price = price_list.prices.get((treatment.code, area.code))
    if price is None:
        priced = ", ".join(a.code for a in price_list.areas_priced_for(treatment.code))
        problems.append(
            FieldProblem(
                "area",
                N_(
                    "%(label)s: %(treatment)s has no price for %(area)s in %(workbook)s; "
                    "priced areas for %(code)s: %(priced)s"
                ),
                label=label,
                treatment=treatment.name,
                area=area.name,
                workbook=price_list.path.name,
                code=treatment.code,
                priced=priced or "none",
            )
        )
        return None
    course = price.course
    sessions = item.sessions or (course.sessions if course else treatment.sessions_min)
    if not treatment.sessions_min <= sessions <= treatment.sessions_max:
        problems.append(
            FieldProblem(
                "sessions",
                N_(
                    "%(label)s: %(sessions)s sessions is outside the usual course for "
                    "%(treatment)s (%(min)s to %(max)s)"
                ),
                label=label,
                sessions=sessions,
                treatment=treatment.name,
                min=treatment.sessions_min,
                max=treatment.sessions_max,
            )
        )
        return None

    courses = sessions // course.sessions if course else 0
    amount = price_list.round_money(
        courses * (course.price if course else 0)
        + (sessions - courses * (course.sessions if course else 0)) * price.per_session
    )
    return EstimateLine(
        treatment=treatment,
        area=area,
        sessions=sessions,
        unit_price=price.per_session,
        course=course if courses else None,
        courses=courses,
        amount=amount,
    )
