"""Context step: turn priced domain objects into the plain, fully formatted values a template
prints. Templates only place these strings; they do no arithmetic and no formatting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.dates import format_timedelta

from docgen.estimate import Estimate, EstimateLine
from docgen.i18n import Formatter
from docgen.pricing import Clinic, Kind, PriceList

INSURANCE_NOTICES = {
    Kind.COSMETIC: (
        "Cosmetic treatment is not covered by health insurance: the patient pays the full amount."
    ),
    Kind.THERAPEUTIC: (
        "Therapeutic treatment may be partly reimbursed by some health insurers: please ask your "
        "insurer before treatment and keep this estimate for your claim."
    ),
}
SHORT_INSURANCE_NOTICES = {
    Kind.COSMETIC: "Cosmetic: not covered by health insurance",
    Kind.THERAPEUTIC: "Therapeutic: may be partly reimbursed, ask your insurer",
}


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
    return f"Prices {included} VAT: {fmt.list(parts)}."


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
            "consultation_fee": fmt.money(clinic.consultation_fee),
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
            {"rate": fmt.percent(v.rate), "base": fmt.money(v.base), "amount": fmt.money(v.vat)}
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
        interval = format_timedelta(
            dt.timedelta(days=treatment.interval_days), threshold=2, locale=fmt.locale
        )
        treatments.append(
            {
                "name": treatment.name,
                "description": treatment.description,
                "course": (
                    f"Usually {treatment.sessions_min} to {treatment.sessions_max} sessions, "
                    f"{interval} apart."
                ),
                "insurance": SHORT_INSURANCE_NOTICES[treatment.kind],
                "vat_rate": fmt.percent(clinic.vat_rates[treatment.kind]),
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
            "consultation_fee": fmt.money(clinic.consultation_fee),
            "notices": [INSURANCE_NOTICES[kind] for kind in Kind],
        },
        "treatments": treatments,
    }
