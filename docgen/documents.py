"""Context step: turn priced domain objects into the plain, fully formatted values a template
prints. Templates only place these strings; they do no arithmetic and no formatting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta

from docgen.consent import ConsentPlan
from docgen.estimate import Estimate, EstimateLine
from docgen.i18n import Formatter
from docgen.pricing import Clinic, Frequency, Kind, PriceList, Treatment

INSURANCE_NOTICES = {
    Kind.COSMETIC: (
        "Cosmetic treatment is not covered by health insurance: the patient pays the full amount."
    ),
    Kind.THERAPEUTIC: (
        "Therapeutic treatment may be partly reimbursed by some health insurers: please ask your "
        "insurer before treatment."
    ),
}
SHORT_INSURANCE_NOTICES = {
    Kind.COSMETIC: "Cosmetic: not covered by health insurance",
    Kind.THERAPEUTIC: "Therapeutic: may be partly reimbursed, ask your insurer",
}

# The bands of patient information leaflets, with how many people each may affect.
FREQUENCY_TEXT = {
    Frequency.VERY_COMMON: ("Very common", "more than 1 in 10 people"),
    Frequency.COMMON: ("Common", "up to 1 in 10 people"),
    Frequency.UNCOMMON: ("Uncommon", "up to 1 in 100 people"),
    Frequency.RARE: ("Rare", "up to 1 in 1,000 people"),
}
FILL_IN = "_" * 30  # a line to write on by hand


@dataclass(frozen=True)
class DocumentInfo:
    """What identifies a generated document, printed in its footer for traceability."""

    document_id: str
    template_version: str
    issued: dt.date


def clinic_context(clinic: Clinic) -> dict[str, str]:
    contact = " · ".join(part for part in (clinic.phone, clinic.email) if part)
    return {
        "name": clinic.name,
        "address": clinic.address,
        "phone": clinic.phone,
        "email": clinic.email,
        "contact": contact,
        "registration": clinic.registration,
    }


def document_context(info: DocumentInfo, price_list: PriceList, fmt: Formatter) -> dict[str, str]:
    version = price_list.clinic.price_list_version
    return {
        "id": info.document_id,
        "template_version": info.template_version,
        "locale": str(fmt.locale),
        "date": fmt.date(info.issued),
        "price_list": f"{price_list.name} {version}".strip(),
        "price_list_checksum": price_list.checksum[:12],
    }


def vat_note(price_list: PriceList, fmt: Formatter) -> str:
    rates = price_list.clinic.vat_rates
    included = "include" if price_list.clinic.prices_include_vat else "exclude"
    parts = []
    for kind in Kind:
        rate = rates[kind]
        parts.append(
            f"{kind.value} treatments are exempt"
            if rate == 0
            else f"{kind.value} treatments at {fmt.percent(rate)}"
        )
    return f"Prices {included} VAT: {'; '.join(parts)}."


def course_note(line: EstimateLine, fmt: Formatter) -> str:
    if line.course is None:
        return ""
    course = line.course
    courses = "a course" if line.courses == 1 else f"{line.courses} courses"
    note = f"Includes {courses} of {course.sessions} sessions at {fmt.money(course.price)}"
    if line.single_sessions:
        extra = "session" if line.single_sessions == 1 else "sessions"
        note += f" + {line.single_sessions} {extra} at {fmt.money(line.unit_price)}"
    if line.saving > 0:
        note += f" (you save {fmt.money(line.saving)})"
    return note


def money_or_blank(amount: Decimal | None, fmt: Formatter) -> str:
    return "" if amount is None else fmt.money(amount)


def usual_course(treatment: Treatment, fmt: Formatter) -> str:
    interval = format_timedelta(
        dt.timedelta(days=treatment.interval_days), threshold=2, locale=fmt.locale
    )
    return (
        f"Usually {treatment.sessions_min} to {treatment.sessions_max} sessions, {interval} apart."
    )


def sessions_text(sessions: int) -> str:
    return f"{sessions} session" if sessions == 1 else f"{sessions} sessions"


def estimate_context(
    estimate: Estimate, fmt: Formatter, *, patient: str, info: DocumentInfo
) -> dict[str, Any]:
    price_list = estimate.price_list
    clinic = price_list.clinic
    return {
        "clinic": clinic_context(clinic),
        "document": document_context(info, price_list, fmt),
        "patient": {"name": patient},
        "estimate": {
            "number": estimate.number,
            "date": fmt.date(estimate.issued),
            "valid_until": fmt.date(estimate.valid_until),
            "net": fmt.money(estimate.net),
            "vat": fmt.money(estimate.vat),
            "total": fmt.money(estimate.total),
            "deposit": fmt.money(estimate.deposit),
            "deposit_percent": fmt.percent(clinic.deposit_percent),
            "vat_note": vat_note(price_list, fmt),
            "consultation_fee": money_or_blank(clinic.consultation_fee, fmt),
        },
        "lines": [
            {
                "treatment": line.treatment.name,
                "area": line.area.name,
                "sessions": fmt.decimal(line.sessions),
                "unit_price": fmt.money(line.unit_price),
                "amount": fmt.money(line.amount),
                "vat_rate": fmt.percent(line.vat_rate),
                "insurance": SHORT_INSURANCE_NOTICES[line.treatment.kind],
                "course_note": course_note(line, fmt),
            }
            for line in estimate.lines
        ],
        "vat_lines": [
            {
                "rate": fmt.percent(v.rate),
                "exempt": v.rate == 0,
                "base": fmt.money(v.base),
                "amount": fmt.money(v.vat),
            }
            for v in estimate.vat_lines
        ],
        "notices": [INSURANCE_NOTICES[kind] for kind in Kind if kind in estimate.kinds],
    }


def price_sheet_context(price_list: PriceList, fmt: Formatter, *, info: DocumentInfo) -> dict:
    clinic = price_list.clinic
    treatments = []
    for treatment in price_list.treatments.values():
        rows = [
            {
                "area": price_list.areas[price.area_code].name,
                "per_session": fmt.money(price.per_session),
                "course": (
                    f"{sessions_text(price.course.sessions)}: {fmt.money(price.course.price)}"
                    if price.course
                    else "—"
                ),
            }
            for (code, _area), price in price_list.prices.items()
            if code == treatment.code
        ]
        if not rows:
            continue
        treatments.append(
            {
                "name": treatment.name,
                "description": treatment.description,
                "course": usual_course(treatment, fmt),
                "insurance": SHORT_INSURANCE_NOTICES[treatment.kind],
                "vat_rate": fmt.percent(clinic.vat_rates[treatment.kind]),
                "vat_exempt": clinic.vat_rates[treatment.kind] == 0,
                "rows": rows,
            }
        )
    effective = clinic.effective_date or info.issued
    return {
        "clinic": clinic_context(clinic),
        "document": document_context(info, price_list, fmt),
        "price_sheet": {
            "effective_date": fmt.date(effective),
            "currency": clinic.currency,
            "vat_note": vat_note(price_list, fmt),
            "consultation_fee": money_or_blank(clinic.consultation_fee, fmt),
            "notices": [INSURANCE_NOTICES[kind] for kind in Kind],
        },
        "treatments": treatments,
    }


def language_name(fmt: Formatter) -> str:
    """The document's language, written in that language: 'English', 'français', 'العربية'."""
    name = fmt.locale.get_display_name(fmt.locale) or str(fmt.locale)
    return name[:1].upper() + name[1:]


def consent_context(
    plan: ConsentPlan, fmt: Formatter, *, info: DocumentInfo, clinic_locale: str
) -> dict[str, Any]:
    estimate = plan.estimate
    price_list = estimate.price_list
    treatment = plan.treatment
    patient = plan.patient
    lines = estimate.lines
    if len({line.sessions for line in lines}) == 1:
        planned = sessions_text(lines[0].sessions)
    else:
        planned = "; ".join(f"{line.area.name}: {sessions_text(line.sessions)}" for line in lines)
    needs_interpreter = bool(plan.interpreter) or (
        fmt.locale.language != clinic_locale.split("_")[0]
    )
    return {
        "clinic": clinic_context(price_list.clinic),
        "document": document_context(info, price_list, fmt),
        "patient": {
            "name": patient.name,
            "date_of_birth": fmt.date(patient.date_of_birth) if patient.date_of_birth else FILL_IN,
            "reference": patient.reference or FILL_IN,
            "language": language_name(fmt),
            "interpreter_needed": "Yes" if needs_interpreter else "No",
            "minor": plan.minor,
        },
        "treatment": {
            "name": treatment.name,
            "description": treatment.description,
            "areas": fmt.list([area.name for area in plan.areas]),
            "sessions": planned,
            "usual_course": usual_course(treatment, fmt),
            "ingredients": treatment.ingredients or FILL_IN,
            "alternatives": treatment.alternatives,
        },
        "risks": [
            {
                "name": risk.name,
                "band": FREQUENCY_TEXT[risk.frequency][0],
                "odds": FREQUENCY_TEXT[risk.frequency][1],
                "description": risk.description,
            }
            for risk in plan.risks
        ],
        "contraindications": [{"name": item.name} for item in plan.contraindications],
        "cost": {
            "estimate_number": estimate.number,
            "valid_until": fmt.date(estimate.valid_until),
            "total": fmt.money(estimate.total),
            "deposit": fmt.money(estimate.deposit),
            "vat_note": vat_note(price_list, fmt),
            "insurance_notice": INSURANCE_NOTICES[treatment.kind],
            "lines": [
                {
                    "area": line.area.name,
                    "sessions": fmt.decimal(line.sessions),
                    "amount": fmt.money(line.amount),
                }
                for line in lines
            ],
        },
        # blank names are written by hand in the signature table
        "practitioner": {"name": plan.practitioner},
        "interpreter": {"required": needs_interpreter, "name": plan.interpreter},
    }
