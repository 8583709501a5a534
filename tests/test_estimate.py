"""Estimate arithmetic: courses, VAT by kind, half-up rounding once per line, currencies."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from docgen.estimate import PlanItem, new_document_id, plan_estimate
from docgen.exceptions import PlanError
from docgen.i18n import Formatter, parse_locale
from docgen.pricing import Kind, load_price_list, round_money

ISSUED = dt.date(2026, 3, 2)


def plan(price_list, *specs):
    return plan_estimate(
        price_list, [PlanItem.parse(s) for s in specs], issued=ISSUED, number="Q-1"
    )


def test_sample_plan_with_courses_and_both_kinds(price_list):
    estimate = plan(price_list, "REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")
    face, scalp, knees = estimate.lines
    # no sessions given: the course length; 6 sessions reach the 6-session course
    assert (face.sessions, face.courses, face.amount) == (6, 1, Decimal("1250.00"))
    # 8 sessions: one course of 6 (1,530.00) and 2 single sessions at 300.00
    assert (scalp.courses, scalp.single_sessions, scalp.amount) == (1, 2, Decimal("2130.00"))
    assert scalp.saving == Decimal("270.00")
    assert estimate.price_list.clinic.taxes_on(knees.treatment.kind)[0].rate == 0  # exempt
    # prices include VAT: the VAT in 1,250.00 + 2,130.00 is 3,380 × 20/120 = 563.333… → 563.33
    assert estimate.total == Decimal("3920.00")
    assert estimate.vat == Decimal("563.33")
    assert estimate.net == Decimal("3356.67")
    assert estimate.net + estimate.vat == estimate.total
    assert [(v.rate, v.base, v.vat) for v in estimate.vat_lines] == [
        (Decimal(20), Decimal("2816.67"), Decimal("563.33")),
        (Decimal(0), Decimal("540.00"), Decimal("0.00")),
    ]
    assert estimate.deposit == Decimal("784.00")  # 20 %
    assert estimate.valid_until == dt.date(2026, 4, 1)  # 30 days


def test_sessions_below_a_course_pay_the_session_price(price_list):
    (line,) = plan(price_list, "REJUV:FACE:3").lines
    assert (line.course, line.courses, line.amount) == (None, 0, Decimal("750.00"))


def test_two_whole_courses(price_list):
    (line,) = plan(price_list, "CELL:THIGHS:12").lines  # course of 8 at 15 % off = 1,768.00
    assert (line.courses, line.single_sessions, line.amount) == (1, 4, Decimal("2808.00"))
    (line,) = plan(price_list, "LIPO:ABDO:6").lines  # two courses of 3 at 1,200.00
    assert (line.courses, line.amount) == (2, Decimal("2400.00"))


def test_half_up_rounding_once_per_line(edit_workbook):
    path = edit_workbook(
        {
            "Clinic!B9": 15,  # VAT cosmetic
            "Clinic!B11": "no",  # prices exclude VAT
            "Treatments!E2": 1,  # REJUV may be a single session
            "Prices!C2": 10.30,  # REJUV:FACE
            "Prices!D2": None,
            "Prices!E2": None,
            "Prices!C3": 10.05,  # REJUV:NECK, course of 1 session at 50 % off = 5.025
            "Prices!D3": 1,
            "Prices!F3": 50,
        }
    )
    price_list = load_price_list(path)
    assert price_list.prices[("REJUV", "NECK")].course.price == Decimal("5.03")  # not 5.02
    estimate = plan(price_list, "REJUV:FACE:1")
    # 10.30 × 15 % = 1.545: half-up gives 1.55 where banker's rounding would give 1.54
    assert estimate.vat == Decimal("1.55")
    assert estimate.net == Decimal("10.30")
    assert estimate.total == Decimal("11.85")


def test_vat_exclusive_prices_add_vat_on_top(edit_workbook):
    price_list = load_price_list(edit_workbook({"Clinic!B11": "no"}))
    estimate = plan(price_list, "REJUV:FACE", "PAINR:KNEES:5")
    assert estimate.net == Decimal("1790.00")
    assert estimate.vat == Decimal("250.00")  # 20 % of 1,250.00; pain relief exempt
    assert estimate.total == Decimal("2040.00")


def test_totals_equal_the_sum_of_their_lines(price_list):
    specs = [f"{t}:{a}" for (t, a) in price_list.prices]
    estimate = plan(price_list, *specs)
    assert estimate.total == sum(line.amount for line in estimate.lines)
    assert estimate.vat == sum(v.vat for v in estimate.vat_lines)


PLAN_OF_FIVE = ("REJUV:FACE:3", "REJUV:EYES:5", "ACNE:FACE:6", "TIGHT:KNEES:4", "PAINR:WRIST:7")


def test_vat_is_stated_once_per_rate_as_an_invoice_states_it(price_list):
    """VAT taken out of each line and rounded there summed to £621.24 on £3,106.26, and 20 % of
    £3,106.26 is £621.25: the document's own arithmetic looked wrong."""
    estimate = plan(price_list, *PLAN_OF_FIVE)
    cosmetic, exempt = estimate.vat_lines
    gross = sum(line.amount for line in estimate.lines if line.treatment.kind is Kind.COSMETIC)
    assert cosmetic.rate == 20 and cosmetic.vat == (gross / 6).quantize(Decimal("0.01"))
    assert cosmetic.base + cosmetic.vat == gross
    assert abs(cosmetic.base * Decimal("0.2") - cosmetic.vat) < Decimal("0.01")
    assert exempt.vat == 0 and estimate.net + estimate.vat == estimate.total


def test_vat_on_prices_without_it_is_exact_to_the_cent(edit_workbook):
    price_list = load_price_list(edit_workbook({"Clinic!B11": "no", "Clinic!B9": 8.1}))
    estimate = plan(price_list, *PLAN_OF_FIVE)
    cosmetic = estimate.vat_lines[0]
    assert cosmetic.vat == (cosmetic.base * Decimal("0.081")).quantize(Decimal("0.01"))
    assert estimate.total == estimate.net + cosmetic.vat


@pytest.mark.parametrize(
    ("currency", "locale"),
    [("GBP", "en_GB"), ("EUR", "fr_FR"), ("EUR", "de_DE"), ("CHF", "de_CH"), ("USD", "en_US")],
)
def test_currencies_are_written_by_babel(edit_workbook, currency, locale):
    price_list = load_price_list(edit_workbook({"Clinic!B7": currency, "Clinic!B8": locale}))
    estimate = plan(price_list, "REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")
    fmt = Formatter(parse_locale(locale), currency)
    assert estimate.total == Decimal("3920")
    assert fmt.money(estimate.total) == format_currency(Decimal("3920"), currency, locale=locale)


def test_english_amounts_keep_their_familiar_form(edit_workbook):
    """Literal checks where CLDR has long been settled: the sign before the amount, a comma
    for thousands, a point for pence."""
    estimate = plan(load_price_list(edit_workbook()), "REJUV:FACE", "HAIR:SCALP:8")
    assert Formatter(parse_locale("en_GB"), "GBP").money(estimate.total) == "£3,380.00"
    assert Formatter(parse_locale("en_US"), "USD").money(estimate.total) == "$3,380.00"


def test_currency_without_minor_units(edit_workbook):
    price_list = load_price_list(
        edit_workbook(
            {
                "Clinic!B7": "JPY",
                "Prices!C6": 160,
                "Prices!C2": 33333,
                "Prices!D2": None,
                "Prices!E2": None,
            }
        )
    )
    estimate = plan(price_list, "REJUV:FACE:5")
    (line,) = estimate.lines
    assert line.amount == Decimal("166665")
    assert estimate.vat == Decimal("27778")  # 166,665 / 6 = 27,777.5 → half-up to whole yen
    assert Formatter(parse_locale("ja_JP"), "JPY").money(line.amount) == "￥166,665"


def test_every_plan_problem_is_reported_at_once(price_list):
    with pytest.raises(PlanError) as raised:
        plan(price_list, "REJU:FACE", "HAIR:FACE", "HAIR:SCALP:30", "CELL:THIGH")
    problems = raised.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("REJU:FACE: unknown treatment 'REJU' (did you mean REJUV?)")
    assert "HAIR:FACE: Hair loss has no price for Face" in problems[1]
    assert "priced areas for HAIR: SCALP" in problems[1]
    assert "30 sessions is outside the usual course for Hair loss (4 to 10)" in problems[2]
    assert "unknown area 'THIGH' (did you mean THIGHS?)" in problems[3]


@pytest.mark.parametrize("spec", ["REJUV", "REJUV:FACE:six", "REJUV:FACE:0", ":FACE", "A:B:1:2"])
def test_malformed_items(spec):
    with pytest.raises(PlanError, match=r"TREATMENT:AREA|sessions must be"):
        PlanItem.parse(spec)


def test_items_are_case_insensitive():
    assert PlanItem.parse(" rejuv : face : 4 ") == PlanItem("REJUV", "FACE", 4)


@pytest.fixture
def geneva_prices(edit_workbook):
    """CHF, prices excluding VAT, VAT 8.1 %, a deposit of 30 %: a Geneva clinic's settings."""
    return edit_workbook(
        {"Clinic!B7": "CHF", "Clinic!B8": "fr_CH", "Clinic!B9": 8.1, "Clinic!B11": "no",
         "Clinic!B13": 30}
    )  # fmt: skip


def test_swiss_totals_are_exact_with_what_cash_pays_beside_them(geneva_prices):
    """Only cash is paid to 5 centimes: a card pays CHF 3,956.46. The total and deposit are
    exact, and the amount in cash is stated beside them."""
    price_list = load_price_list(geneva_prices)
    assert price_list.clinic.cash_rounding == Decimal("0.05")  # CLDR's cash rounding for CHF
    estimate = plan(price_list, *PLAN_OF_FIVE)
    assert estimate.rounding == 0 and estimate.to_pay == estimate.total
    assert estimate.total == estimate.net + estimate.vat
    five_centimes = Decimal("0.05")
    assert estimate.in_cash % five_centimes == 0 and estimate.in_cash != estimate.total
    assert abs(estimate.in_cash - estimate.total) <= Decimal("0.025")
    assert estimate.deposit == round_money(estimate.total * Decimal("0.30"), "CHF")


def test_a_clinic_taking_cash_only_rounds_its_totals_as_cash_is_paid(edit_workbook):
    """A total of CHF 3,956.46 and a deposit of CHF 1,186.94 cannot be paid in cash."""
    path = edit_workbook(
        {"Clinic!B7": "CHF", "Clinic!B8": "fr_CH", "Clinic!B9": 8.1, "Clinic!B11": "no",
         "Clinic!B13": 30, "Clinic!A30": "Cash only", "Clinic!B30": "yes"}
    )  # fmt: skip
    price_list = load_price_list(path)
    assert price_list.clinic.cash_only
    estimate = plan(price_list, *PLAN_OF_FIVE)
    five_centimes = Decimal("0.05")
    assert estimate.to_pay % five_centimes == 0 and estimate.deposit % five_centimes == 0
    assert estimate.to_pay == estimate.total + estimate.rounding and estimate.in_cash is None
    assert abs(estimate.rounding) <= Decimal("0.025")
    assert estimate.total == estimate.net + estimate.vat  # the rounding is not hidden in VAT
    unrounded = estimate.to_pay * Decimal("0.30")
    assert abs(estimate.deposit - unrounded) <= Decimal("0.025")


def test_a_tax_rounded_down_as_japan_rounds_it(edit_workbook):
    """Three sessions at ¥3,335: ¥10,005, whose 10 % is ¥1,000.5: ¥1,000 rounded down (¥1,001
    half up); one session's ¥333.5 is ¥333."""
    path = edit_workbook(
        {"Clinic!B7": "JPY", "Clinic!B8": "ja_JP", "Clinic!B9": 10, "Clinic!B11": "no",
         "Clinic!A30": "Tax rounding", "Clinic!B30": "down", "Prices!C3": 3335, "Prices!C6": 162}
    )  # fmt: skip
    down = load_price_list(path)
    estimate = plan_estimate(down, ["REJUV:NECK:3"])
    assert [v.vat for v in estimate.vat_lines] == [Decimal(1000)]
    assert down.with_vat(Decimal(3335), estimate.lines[0].treatment.kind) == Decimal(3668)


def test_cash_rounding_can_be_turned_off_and_is_off_where_cldr_has_none(edit_workbook):
    off = edit_workbook(
        {"Clinic!B7": "CHF", "Clinic!A30": "Cash rounding", "Clinic!B30": "no"}, name="off.xlsx"
    )
    assert load_price_list(off).clinic.cash_rounding is None
    pounds = load_price_list(edit_workbook())
    assert pounds.clinic.cash_rounding is None
    estimate = plan(pounds, *PLAN_OF_FIVE)
    assert estimate.rounding == 0 and estimate.to_pay == estimate.total


def test_a_busy_day_never_draws_one_id_twice():
    """24 random bits gave even odds of a duplicate on a 5,000-estimate day; 200,000 draws of
    one day, random or from distinct seeds, give none."""
    issued = dt.date(2026, 12, 7)
    random_ids = {new_document_id(issued) for _ in range(200_000)}
    seeded_ids = {new_document_id(issued, "C", f"patient {n}") for n in range(200_000)}
    assert len(random_ids) == len(seeded_ids) == 200_000
    assert all(re.fullmatch(r"C-20261207-[0-9A-HJKMNP-TV-Z]{12}", id_) for id_ in seeded_ids)
