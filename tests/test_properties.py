"""Property tests: any name, any valid price list, any locale."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest
from babel import Locale, localedata
from conftest import docx_paragraphs
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from docgen.check import SAMPLE_PROPERTIES
from docgen.documents import DocumentInfo, estimate_context
from docgen.estimate import Discount, PlanItem, plan_estimate
from docgen.exceptions import PlanError
from docgen.i18n import Formatter
from docgen.patient import name_problems
from docgen.pricing import (
    Area,
    Clinic,
    Course,
    Kind,
    Price,
    PriceList,
    Tax,
    Treatment,
    cash_rounding_step,
    round_money,
)
from docgen.render import DocumentTemplate
from docgen.workspace import Workspace

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
TEMPLATE = DocumentTemplate(Workspace.open().template("estimate.docx"))


Cash = Literal["exact", "in cash beside", "cash only"]


def price_list(
    currency: str,
    include_vat: bool,
    prices: list[tuple[Decimal, int, Decimal]],
    taxes: dict[Kind, tuple[Tax, ...]] | None = None,
    cash: Cash = "exact",
):
    clinic = Clinic(
        name="C", address="A", phone="", email="", registration="", currency=currency,
        locale="en_GB", vat_rates={Kind.COSMETIC: Decimal(20), Kind.THERAPEUTIC: Decimal(0)},
        prices_include_vat=include_vat, quote_validity_days=30, deposit_percent=Decimal(20),
        consultation_fee=Decimal(50), effective_date=None, price_list_version="", taxes=taxes,
        cash_rounding=None if cash == "exact" else cash_rounding_step(currency),
        cash_only=cash == "cash only",
    )  # fmt: skip
    treatments = {
        f"T{i}": Treatment(f"T{i}", f"T{i}", "d", kind, 1, 20, 7, "", "", ("R",), ())
        for i, kind in enumerate(Kind)
    }
    areas = {f"A{i}": Area(f"A{i}", f"Area {i}") for i in range(len(prices))}
    table = {}
    for i, (unit, course_sessions, discount) in enumerate(prices):
        treatment = f"T{i % 2}"
        course = None
        if course_sessions:
            course_price = round_money(unit * course_sessions * (100 - discount) / 100, currency)
            course = Course(course_sessions, course_price)
        table[(treatment, f"A{i}")] = Price(treatment, f"A{i}", unit, course)
    return PriceList(Path("p.xlsx"), "0" * 64, clinic, treatments, areas, table, {}, {})


money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    currency=st.sampled_from(["GBP", "EUR", "CHF", "JPY", "KWD"]),
    include_vat=st.booleans(),
    rows=st.lists(
        st.tuples(money, st.integers(0, 10), st.decimals(0, 50, places=1)), min_size=1, max_size=6
    ),
    sessions=st.lists(st.integers(1, 20), min_size=6, max_size=6),
)
def test_totals_are_the_sum_of_lines_rounded_once(currency, include_vat, rows, sessions):
    digits = 0 if currency == "JPY" else (3 if currency == "KWD" else 2)
    rows = [(round_money(unit, currency), course, discount) for unit, course, discount in rows]
    prices = price_list(currency, include_vat, rows)
    items = [PlanItem(t, a, sessions[i]) for i, (t, a) in enumerate(prices.prices)]
    estimate = plan_estimate(prices, items, issued=dt.date(2026, 3, 2), number="Q")
    quantum = Decimal(1).scaleb(-digits)
    for line in estimate.lines:
        assert line.amount == line.amount.quantize(quantum)
    listed = sum(line.amount for line in estimate.lines)
    assert estimate.total == listed + (0 if include_vat else estimate.vat)
    # the lines, each VAT and (prices including VAT that no net gives back to the cent) the
    # cent left over add up to the total
    assert estimate.net + estimate.vat + estimate.tax_rounding == estimate.total
    assert abs(estimate.tax_rounding) <= 2 * quantum * len(estimate.vat_lines)
    assert not estimate.tax_rounding or include_vat
    # every VAT line is arithmetic a patient can check on paper: its rate of its base
    for vat_line in estimate.vat_lines:
        assert vat_line.vat == vat_line.vat.quantize(quantum)
        assert vat_line.vat == round_money(vat_line.base * vat_line.rate / 100, currency)
        gross = sum(
            line.amount
            for line in estimate.lines
            if prices.clinic.taxes_on(line.treatment.kind)[0].rate == vat_line.rate
        )
        if include_vat:
            assert abs(vat_line.base + vat_line.vat - gross) <= 2 * quantum
        else:
            assert vat_line.base == gross
    assert estimate.deposit == round_money(estimate.total * Decimal(20) / 100, currency)


@st.composite
def taxes_of_a_kind(draw, kind: Kind) -> tuple[Tax, ...]:
    """Up to three taxes, rates to three decimals (Quebec's 9.975 %), some charged on top of
    an earlier one."""
    taxes: list[Tax] = []
    for index in range(draw(st.integers(0, 3))):
        rate = draw(st.decimals(0, 30, places=3, allow_nan=False))
        on_top_of = draw(st.sampled_from(["", *(tax.name for tax in taxes)]))
        taxes.append(Tax(f"{kind.value} {index}", rate, on_top_of))
    return tuple(taxes)


# price lists in currencies of 0, 2 and 3 decimals, each kind with up to three taxes, and a plan
PLANS_WITH_TAXES = {
    "currency": st.sampled_from(["GBP", "CAD", "CHF", "JPY", "KWD"]),
    "include": st.booleans(),
    "taxes": st.tuples(*(taxes_of_a_kind(kind) for kind in Kind)),
    "rows": st.lists(
        st.tuples(money, st.integers(0, 10), st.decimals(0, 50, places=1)), min_size=1, max_size=6
    ),
    "sessions": st.lists(st.integers(1, 20), min_size=6, max_size=6),
}


def taxed_plan(
    currency: str, include: bool, taxes: tuple, rows: list, sessions: list, cash: Cash = "exact"
) -> tuple[PriceList, list[PlanItem]]:
    """PLANS_WITH_TAXES' draw as a price list, and a plan of every price it has."""
    rows = [(round_money(unit, currency), course, discount) for unit, course, discount in rows]
    prices = price_list(currency, include, rows, dict(zip(Kind, taxes, strict=True)), cash)
    return prices, [PlanItem(t, a, sessions[i]) for i, (t, a) in enumerate(prices.prices)]


@settings(max_examples=150, deadline=None)
@given(**PLANS_WITH_TAXES)
def test_several_taxes_add_up_on_paper_and_the_sheet_agrees(
    currency, include, taxes, rows, sessions
):
    """Every tax line is its rate of its base, rounded once (prices before taxes) or its share
    of the gross (prices including them); the totals are sums of printed figures; and the
    price of an item on the sheet is what an estimate of that item alone asks."""
    prices, items = taxed_plan(currency, include, taxes, rows, sessions)
    estimate = plan_estimate(prices, items, issued=dt.date(2026, 3, 2), number="Q")
    listed = sum((line.amount for line in estimate.lines), Decimal(0))
    taxed = sum((line.vat for line in estimate.vat_lines), Decimal(0))
    assert estimate.net + taxed + estimate.tax_rounding == estimate.total
    assert estimate.total == (listed if include else listed + taxed)
    for kind, kind_taxes in zip(Kind, taxes, strict=True):
        gross = sum(
            (line.amount for line in estimate.lines if line.treatment.kind is kind), Decimal(0)
        )
        if not gross or not kind_taxes:
            continue
        mine = [v for v in estimate.vat_lines if v.name in {t.name for t in kind_taxes}]
        amounts = {v.name: v.vat for v in mine}
        for tax, line in zip(kind_taxes, mine, strict=True):
            on_top = amounts.get(tax.on_top_of, Decimal(0)) if tax.on_top_of else Decimal(0)
            assert line.vat == round_money(line.base * tax.rate / 100, currency)
            if not include:
                assert line.base == gross + on_top
    if not include:
        for (code, area), price in prices.prices.items():
            course = price.course.sessions if price.course else None
            kind = prices.treatments[code].kind
            sessions_alone = course or prices.treatments[code].sessions_min
            alone = plan_estimate(prices, [PlanItem(code, area, sessions_alone)], number="Q")
            if course:
                assert prices.with_vat(price.course.price, kind) == alone.total


@settings(max_examples=150, deadline=None)
@given(
    **PLANS_WITH_TAXES,
    percent=st.one_of(st.none(), st.decimals("0.001", 100, places=3, allow_nan=False)),
    share=st.decimals(0, 1, places=4, allow_nan=False),
    cash=st.sampled_from(["exact", "in cash beside", "cash only"]),
    consultation=st.booleans(),
)
def test_a_discount_is_taken_off_before_tax_and_every_line_still_adds_up(
    currency, include, taxes, rows, sessions, percent, share, cash, consultation
):
    """A percentage, or an amount (share of the lines' total), off the lines (the consultation
    too, when the patient has it): printed as one figure, shared between lines taxed
    differently, each tax then its rate of what is left; the lines' total less the discount,
    plus any taxes on top, is the total; what cash pays is its rounding of the total."""
    prices, items = taxed_plan(currency, include, taxes, rows, sessions, cash)
    listed = plan_estimate(prices, items, number="Q", consultation=consultation).listed
    amount = round_money(listed * share, currency)
    assume(percent is not None or amount > 0)
    discount = (
        Discount("loyalty", percent=percent)
        if percent is not None
        else Discount("loyalty", amount=amount)
    )
    expected = round_money(listed * percent / 100, currency) if percent is not None else amount
    if not expected:  # a discount that takes nothing off is refused, never printed as nothing
        with pytest.raises(PlanError, match="takes nothing off"):
            plan_estimate(prices, items, number="Q", discount=discount, consultation=consultation)
        return
    estimate = plan_estimate(
        prices, items, number="Q", discount=discount, consultation=consultation
    )
    assert estimate.listed == sum(line.amount for line in estimate.lines) + (
        Decimal(50) if consultation else 0
    )
    assert estimate.discounted == expected
    taxed = sum((line.vat for line in estimate.vat_lines), Decimal(0))
    assert estimate.net + taxed + estimate.tax_rounding == estimate.total
    left = listed - estimate.discounted
    assert estimate.total == (left if include else left + taxed)
    if not include:
        assert estimate.net == left
    for line in estimate.vat_lines:
        rate = next(t.rate for kind in taxes for t in kind if t.name == line.name)
        assert line.vat == round_money(line.base * rate / 100, currency)
    paid = prices.round_to_pay(estimate.total)
    if cash == "cash only":  # the total and deposit as cash pays them
        assert estimate.to_pay == paid and estimate.rounding == paid - estimate.total
        assert estimate.deposit == prices.round_to_pay(paid * Decimal(20) / 100)
    else:  # exact, and what cash pays on a line of its own where it differs
        assert estimate.to_pay == estimate.total and not estimate.rounding
        assert estimate.in_cash == (paid if paid != estimate.total else None)
        assert estimate.deposit == round_money(estimate.total * Decimal(20) / 100, currency)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=60))
def test_any_name_comes_out_exactly(tmp_path, name):
    assume(not name_problems(name))  # names docgen refuses are tested elsewhere
    prices = price_list("GBP", True, [(Decimal("250.00"), 0, Decimal(0))])
    estimate = plan_estimate(prices, [PlanItem("T0", "A0", 1)], number="Q")
    fmt = Formatter(Locale.parse("en_GB"), "GBP")
    context = estimate_context(
        estimate, fmt, patient=name, info=DocumentInfo("Q", "1.0", dt.date(2026, 3, 2))
    )
    path = tmp_path / "e.docx"
    path.write_bytes(TEMPLATE.render(context, SAMPLE_PROPERTIES))
    # docx_paragraphs joins a paragraph's text runs; a tab or line break in a name becomes
    # Word's own tab or break element, so those two are not part of the joined text.
    expected = XML_FORBIDDEN.sub("", name).replace("\r", "").replace("\t", "").replace("\n", "")
    assert expected in docx_paragraphs(path)


LOCALES = sorted(localedata.locale_identifiers())


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    amount=st.decimals(min_value=0, max_value=10**9 - 1, places=2, allow_nan=False),
    currency=st.sampled_from(["GBP", "EUR", "USD", "CHF", "JPY"]),
)
def test_every_locale_formats_every_amount(locale, amount, currency):
    fmt = Formatter(Locale.parse(locale), currency)
    assert fmt.money(amount)
    assert fmt.percent(Decimal("12.5"))
    assert fmt.date(dt.date(2026, 3, 2))
