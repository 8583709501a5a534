"""Context step: turn priced domain objects into the plain, fully formatted and translated values a
template prints. Templates only place these strings; they do no arithmetic and no formatting.

Text written here is marked for translation: fmt.gettext("…") is found by Babel's Python
extractor, N_("…") marks text that is translated later, where it is used. Text from the workbook
(treatment, area, risk and contraindication names) goes through fmt.text: it is written in the
clinic's language, and translated only into other languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import get_plus_sign_symbol

from docgen.consent import ConsentPlan
from docgen.estimate import Estimate, EstimateLine, VatLine
from docgen.i18n import (
    N_,
    BilingualText,
    Formatter,
    InLineValue,
    native_language_name,
    unbroken,
)
from docgen.pricing import (
    Clinic,
    Frequency,
    Kind,
    Licensing,
    PriceList,
    Risk,
    Severity,
    Tax,
    Treatment,
)
from docgen.render import DocumentProperties

INSURANCE_NOTICES = {
    Kind.COSMETIC: N_(
        "Cosmetic treatment is not covered by health insurance: the patient pays the full amount."
    ),
    Kind.THERAPEUTIC: N_(
        "Therapeutic treatment may be partly reimbursed by some health insurers: please ask your "
        "insurer before treatment."
    ),
}
LICENSING = {
    Licensing.LICENSED: N_("a medicine licensed for this use"),
    Licensing.OFF_LABEL: N_("a licensed medicine used outside its licence (off-label)"),
    Licensing.UNLICENSED: N_("not licensed as a medicine"),
    Licensing.MEDICAL_DEVICE: N_("a medical device"),
}
UNLICENSED_USE = {Licensing.OFF_LABEL, Licensing.UNLICENSED}
SHORT_INSURANCE_NOTICES = {
    Kind.COSMETIC: N_("Cosmetic: not covered by health insurance"),
    Kind.THERAPEUTIC: N_("Therapeutic: may be partly reimbursed, ask your insurer"),
}
VAT_RATE_NOTES = {
    Kind.COSMETIC: N_("Cosmetic treatments: VAT at %(rate)s."),
    Kind.THERAPEUTIC: N_("Therapeutic treatments: VAT at %(rate)s."),
}
VAT_EXEMPT_NOTES = {
    Kind.COSMETIC: N_("Cosmetic treatments are exempt from VAT."),
    Kind.THERAPEUTIC: N_("Therapeutic treatments are exempt from VAT."),
}
# The same, for a clinic whose Taxes sheet names its taxes (GST and QST, CGST and SGST)
TAXES_NOTES = {
    Kind.COSMETIC: N_("Cosmetic treatments: %(taxes)s."),
    Kind.THERAPEUTIC: N_("Therapeutic treatments: %(taxes)s."),
}
UNTAXED_NOTES = {
    Kind.COSMETIC: N_("Cosmetic treatments: no tax."),
    Kind.THERAPEUTIC: N_("Therapeutic treatments: no tax."),
}
# The bands of patient information leaflets, with how many people each may affect.
FREQUENCY_TEXT = {
    Frequency.VERY_COMMON: (N_("Very common"), N_("more than 1 in 10 people")),
    Frequency.COMMON: (N_("Common"), N_("up to 1 in 10 people")),
    Frequency.UNCOMMON: (N_("Uncommon"), N_("up to 1 in 100 people")),
    Frequency.RARE: (N_("Rare"), N_("up to 1 in 1,000 people")),
    Frequency.VERY_RARE: (N_("Very rare"), N_("up to 1 in 10,000 people")),
}
FILL_IN = "_" * 30  # a line to write on by hand


@dataclass(frozen=True)
class DocumentInfo:
    """What identifies a generated document, printed in its footer for traceability."""

    document_id: str
    template_version: str
    issued: dt.date
    generated: dt.datetime | None = None  # default: midnight (UTC) of the issue date
    visit: str = ""  # the number of the estimate of the visit the document belongs to
    price_list: str = ""  # the price list and version printed (default: the one priced from)
    replaces: str = ""  # the id of the document this one was made again in place of

    def price_list_label(self, price_list: PriceList) -> str:
        version = price_list.clinic.price_list_version
        return self.price_list or f"{price_list.name} {version}".strip()

    def properties(
        self, price_list: PriceList, fmt: Formatter, inputs_checksum: str = ""
    ) -> DocumentProperties:
        return DocumentProperties(
            document_id=self.document_id,
            template_version=self.template_version,
            locale=str(fmt.locale),
            price_list_checksum=price_list.checksum,
            generated=self.generated or dt.datetime.combine(self.issued, dt.time(), dt.UTC),
            inputs_checksum=inputs_checksum,
            visit=self.visit,
            price_list=self.price_list_label(price_list),
            replaces=self.replaces,
        )


def clinic_context(clinic: Clinic) -> dict[str, str]:
    """The clinic's details; a phone number is dialled whole: it never breaks across lines."""
    phone = unbroken(clinic.phone)
    return {
        "name": clinic.name,
        "address": clinic.address,
        "phone": phone,
        "email": clinic.email,
        "contact": " · ".join(part for part in (phone, clinic.email) if part),
        "registration": clinic.registration,
        "complications_phone": unbroken(clinic.complications_phone),
    }


def document_context(info: DocumentInfo, price_list: PriceList, fmt: Formatter) -> dict[str, Any]:
    return {
        "id": info.document_id,
        "template_version": info.template_version,
        "locale": str(fmt.locale),
        "right_to_left": fmt.right_to_left,
        "date": fmt.date(info.issued),
        "price_list": info.price_list_label(price_list),
        "price_list_checksum": price_list.checksum[:12],
    }


def vat_note(price_list: PriceList, fmt: Formatter, shown_with_vat: bool = False) -> str:
    """How taxes apply to the prices shown: as the workbook states them, or (shown_with_vat, a
    price sheet for consumers) with taxes included whatever the workbook's convention."""
    clinic = price_list.clinic
    if clinic.taxes is not None:
        return _taxes_note(price_list, fmt, shown_with_vat)
    if clinic.prices_include_vat:
        parts = [fmt.gettext("Prices include VAT.")]
    elif shown_with_vat:
        parts = [fmt.gettext("Prices include VAT, added here to the price list's prices.")]
    else:
        parts = [fmt.gettext("Prices exclude VAT.")]
    for kind in Kind:
        rate = clinic.taxes_on(kind)[0].rate
        if rate == 0:
            parts.append(fmt.gettext(VAT_EXEMPT_NOTES[kind]))
        else:
            parts.append(fmt.gettext(VAT_RATE_NOTES[kind], rate=fmt.percent(rate)))
    return " ".join(parts)


def _taxes_note(price_list: PriceList, fmt: Formatter, shown_with_taxes: bool) -> str:
    clinic = price_list.clinic
    if clinic.prices_include_vat:
        parts = [fmt.gettext("Prices include taxes.")]
    elif shown_with_taxes:
        parts = [fmt.gettext("Prices include taxes, added here to the price list's prices.")]
    else:
        parts = [fmt.gettext("Prices exclude taxes.")]
    for kind in Kind:
        if taxes := clinic.taxes_on(kind):
            parts.append(fmt.gettext(TAXES_NOTES[kind], taxes=fmt.list(
                [tax_and_rate(tax, fmt) for tax in taxes]
            )))  # fmt: skip
        else:
            parts.append(fmt.gettext(UNTAXED_NOTES[kind]))
    return " ".join(parts)


def tax_and_rate(tax: Tax, fmt: Formatter) -> str:
    """'VAT 20 %', 'TPS 5 %': a tax as the document's language names it, with its rate."""
    rate = fmt.percent(tax.rate)
    if not tax.name:
        return fmt.gettext("VAT %(rate)s", rate=rate)
    return fmt.gettext("%(tax)s %(rate)s", tax=fmt.text(tax.name), rate=rate)


def taxes_label(taxes: tuple[Tax, ...], fmt: Formatter) -> str:
    """The taxes a kind of treatment carries, as the price sheet prints them beside it: 'VAT
    20 %', 'Exempt from VAT', 'TPS 5 % · TVQ 9,975 %', 'No tax'."""
    if not taxes:
        return fmt.gettext("No tax")
    if not taxes[0].name and taxes[0].rate == 0:
        return fmt.gettext("Exempt from VAT")
    return " · ".join(tax_and_rate(tax, fmt) for tax in taxes)


def net_label(price_list: PriceList, fmt: Formatter) -> str:
    """The label of an estimate's total before its taxes."""
    if price_list.clinic.taxes is None:
        return fmt.gettext("Subtotal excluding VAT")
    return fmt.gettext("Subtotal before taxes")


def consultation_lines(estimate: Estimate, fmt: Formatter) -> list[dict[str, str]]:
    """The initial consultation as a line of the estimate's table, when the patient has it."""
    if estimate.consultation is None:
        return []
    clinic = estimate.price_list.clinic
    fee, name = fmt.money(estimate.consultation), fmt.gettext("Initial consultation")
    return [
        {
            "treatment": name,
            "area": "",
            "sessions": fmt.decimal(1),
            "unit_price": fee,
            "amount": fee,
            "vat_rate": taxes_label(clinic.taxes_on(clinic.consultation_kind), fmt),
            "insurance": "",
            "course_note": "",
        }
    ]


def discount_context(estimate: Estimate, fmt: Formatter) -> dict[str, str]:
    """A discount's line, taken off the treatments before tax: 'Discount 10 % (loyalty)',
    '−£179.00'; blank without one. Its reason is printed as the clinic typed it."""
    discount = estimate.discount
    if discount is None:
        return {"discount_label": "", "discount": ""}
    if discount.percent is not None:
        label = fmt.gettext(
            "Discount %(percent)s (%(reason)s)",
            percent=fmt.percent(discount.percent),
            reason=discount.reason,
        )
    else:
        label = fmt.gettext("Discount (%(reason)s)", reason=discount.reason)
    return {"discount_label": label, "discount": signed_money(-estimate.discounted, fmt)}


def tax_line_label(line: VatLine, fmt: Formatter) -> str:
    """A tax line of an estimate's totals: 'VAT 20 % on £1,250.00', 'TPS 5 % sur 1 250,00 $',
    'Exempt from VAT: £300.00'."""
    base, rate = fmt.money(line.base), fmt.percent(line.rate)
    if line.name:
        return fmt.gettext(
            "%(tax)s %(rate)s on %(base)s", tax=fmt.text(line.name), rate=rate, base=base
        )
    if line.rate == 0:
        return fmt.gettext("Exempt from VAT: %(base)s", base=base)
    return fmt.gettext("VAT %(rate)s on %(base)s", rate=rate, base=base)


def labelled(label: str, value: str, fmt: Formatter) -> str:
    """'6 sessions: £1,250.00' with the language's own punctuation: '6 séances : 1 250,00 £',
    '6回：￥61,111'."""
    # TRANSLATORS: a label and its value ("6 sessions: £1,250.00"), punctuated as your
    # language writes it: French puts a no-break space before the colon, Chinese and Japanese
    # use a full-width colon without a space.
    return fmt.gettext("%(label)s: %(value)s", label=label, value=value)


def sessions_text(sessions: int, fmt: Formatter) -> str:
    return fmt.ngettext(
        "%(count)s session", "%(count)s sessions", sessions, count=fmt.decimal(sessions)
    )


def course_note(line: EstimateLine, fmt: Formatter) -> str:
    if line.course is None:
        return ""
    course = line.course
    sessions = sessions_text(course.sessions, fmt)
    price = fmt.money(course.price)
    if line.courses == 1:
        note = fmt.gettext(
            "Includes a course of %(sessions)s at %(price)s", sessions=sessions, price=price
        )
    else:
        note = fmt.ngettext(
            "Includes %(count)s course of %(sessions)s at %(price)s each",
            "Includes %(count)s courses of %(sessions)s at %(price)s each",
            line.courses,
            count=fmt.decimal(line.courses),
            sessions=sessions,
            price=price,
        )
    if line.single_sessions:
        note += " + " + fmt.gettext(
            "%(sessions)s at %(price)s",
            sessions=sessions_text(line.single_sessions, fmt),
            price=fmt.money(line.unit_price),
        )
    if line.saving > 0:
        note += " " + fmt.gettext("(you save %(amount)s)", amount=fmt.money(line.saving))
    return note


def money_or_blank(amount: Decimal | None, fmt: Formatter) -> str:
    return "" if amount is None else fmt.money(amount)


def signed_money(amount: Decimal, fmt: Formatter) -> str:
    """An adjustment with its sign either way: '+0,02 CHF', '-0,02 CHF'; '' for none."""
    if not amount:
        return ""
    plus = get_plus_sign_symbol(fmt.locale) if amount > 0 else ""
    return plus + fmt.money(amount)


def usual_course(treatment: Treatment, fmt: Formatter) -> str:
    return fmt.gettext(
        "Usually %(min)s to %(max)s sessions, %(interval)s apart.",
        min=fmt.decimal(treatment.sessions_min),
        max=fmt.decimal(treatment.sessions_max),
        interval=fmt.duration(treatment.interval_days),
    )


def estimate_context(
    estimate: Estimate, fmt: Formatter, *, patient: str, info: DocumentInfo, minor: bool = False
) -> dict[str, Any]:
    """The estimate's values, written for fmt. minor: the patient is under 18, so whoever
    pays for the treatment accepts the estimate, not the patient."""
    price_list = estimate.price_list
    clinic = price_list.clinic
    return {
        "clinic": clinic_context(clinic),
        "document": document_context(info, price_list, fmt),
        "patient": {"name": patient, "minor": minor},
        "estimate": {
            "number": estimate.number,
            "date": fmt.date(estimate.issued),
            "valid_until": fmt.date(estimate.valid_until),
            **discount_context(estimate, fmt),
            "listed": fmt.money(estimate.listed),
            "net_label": net_label(price_list, fmt),
            "net": fmt.money(estimate.net),
            "vat": fmt.money(estimate.vat),
            "total": fmt.money(estimate.total),
            "rounding": signed_money(estimate.rounding, fmt),
            "tax_rounding": signed_money(estimate.tax_rounding, fmt),
            "to_pay": fmt.money(estimate.to_pay),
            "in_cash": money_or_blank(estimate.in_cash, fmt),
            "deposit": fmt.money(estimate.deposit),
            "deposit_percent": fmt.percent(clinic.deposit_percent),
            "vat_note": vat_note(price_list, fmt),
            "consultation_fee": money_or_blank(price_list.consultation_price, fmt),
            # the estimate's prices are before tax, the fee's with it: say so
            "consultation_taxes_added": price_list.consultation_price != clinic.consultation_fee,
            "payment_terms": fmt.text(clinic.payment_terms) if clinic.payment_terms else "",
        },
        "lines": [
            {
                "treatment": fmt.text(line.treatment.name),
                "area": fmt.text(line.area.name),
                "sessions": fmt.decimal(line.sessions),
                "unit_price": fmt.money(line.unit_price),
                "amount": fmt.money(line.amount),
                "vat_rate": taxes_label(clinic.taxes_on(line.treatment.kind), fmt),
                "insurance": fmt.gettext(SHORT_INSURANCE_NOTICES[line.treatment.kind]),
                "course_note": course_note(line, fmt),
            }
            for line in estimate.lines
        ]
        + consultation_lines(estimate, fmt),
        "vat_lines": [
            {
                "label": tax_line_label(v, fmt),
                "rate": fmt.percent(v.rate),
                "exempt": v.rate == 0,
                "base": fmt.money(v.base),
                "amount": fmt.money(v.vat),
            }
            for v in estimate.vat_lines
        ],
        "notices": [fmt.gettext(INSURANCE_NOTICES[k]) for k in Kind if k in estimate.kinds],
    }


def totals_rows(estimate: Estimate, fmt: Formatter) -> list[dict[str, str]]:
    """The estimate's totals as its table prints them, each a label and an amount: subtotal,
    each tax, total, and in a currency whose cash is paid to 5 centimes, what cash pays (or,
    for a clinic taking cash only, the rounding and what is paid).
    The desk shows these, so that its preview adds up exactly as the document does."""
    rows = []
    if estimate.discount:
        discount = discount_context(estimate, fmt)
        rows.append(
            {"label": fmt.gettext("Total of the treatments"), "amount": fmt.money(estimate.listed)}
        )
        rows.append({"label": discount["discount_label"], "amount": discount["discount"]})
    rows.append({"label": net_label(estimate.price_list, fmt), "amount": fmt.money(estimate.net)})
    for vat in estimate.vat_lines:
        rows.append({"label": tax_line_label(vat, fmt), "amount": fmt.money(vat.vat)})
    if estimate.tax_rounding:
        rows.append(
            {"label": fmt.gettext("Rounding"), "amount": signed_money(estimate.tax_rounding, fmt)}
        )
    rows.append({"label": fmt.gettext("Total"), "amount": fmt.money(estimate.total)})
    if estimate.rounding:
        rows.append(
            {"label": fmt.gettext("Cash rounding"), "amount": signed_money(estimate.rounding, fmt)}
        )
        rows.append({"label": fmt.gettext("Total to pay"), "amount": fmt.money(estimate.to_pay)})
    if estimate.in_cash is not None:
        rows.append({"label": fmt.gettext("In cash"), "amount": fmt.money(estimate.in_cash)})
    return rows


def price_sheet_context(price_list: PriceList, fmt: Formatter, *, info: DocumentInfo) -> dict:
    clinic = price_list.clinic
    treatments = []
    for treatment in price_list.treatments.values():
        rows = [
            {
                "area": fmt.text(price_list.areas[price.area_code].name),
                # what a consumer pays: prices shown to consumers include VAT
                "per_session": fmt.money(price_list.with_vat(price.per_session, treatment.kind)),
                "course": (
                    labelled(
                        sessions_text(price.course.sessions, fmt),
                        fmt.money(price_list.with_vat(price.course.price, treatment.kind)),
                        fmt,
                    )
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
                "name": fmt.text(treatment.name),
                "description": fmt.text(treatment.description),
                "course": usual_course(treatment, fmt),
                "insurance": fmt.gettext(SHORT_INSURANCE_NOTICES[treatment.kind]),
                "vat_rate": fmt.percent(clinic.taxes_on(treatment.kind)[0].rate)
                if clinic.taxes is None
                else taxes_label(clinic.taxes_on(treatment.kind), fmt),
                "vat_exempt": clinic.taxes is None and clinic.taxes_on(treatment.kind)[0].rate == 0,
                "taxes": taxes_label(clinic.taxes_on(treatment.kind), fmt),
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
            "vat_note": vat_note(price_list, fmt, shown_with_vat=True),
            "consultation_fee": money_or_blank(price_list.consultation_price, fmt),
            "notices": [fmt.gettext(INSURANCE_NOTICES[kind]) for kind in Kind],
        },
        "treatments": treatments,
    }


# Texts printed on their own (a cell, a paragraph) that a bilingual document shows in both
# languages. Other values (amounts, dates) are placed inside a sentence: each line of it
# takes them in its own language's form.
BILINGUAL_KEYS = frozenset({
    "treatment", "area", "areas", "insurance", "course_note", "notices", "vat_note", "name",
    "description", "sessions", "usual_course", "ingredients", "alternatives", "band", "odds",
    "insurance_notice", "interpreter_needed", "credentials", "evidence", "payment_terms",
    "licensing", "discount_label",
})  # fmt: skip


def bilingual_context(patient: Any, clinic: Any, key: str | None = None) -> Any:
    """The patient's context with, on a new line under each translated text, the clinic's."""
    if isinstance(patient, dict):
        return {k: bilingual_context(v, clinic[k], k) for k, v in patient.items()}
    if isinstance(patient, list):
        return [bilingual_context(p, c, key) for p, c in zip(patient, clinic, strict=True)]
    if isinstance(patient, str) and patient != clinic:
        if key in BILINGUAL_KEYS:
            return BilingualText(patient, clinic)
        return InLineValue(patient, clinic)
    return patient


def bilingual_language_name(fmt: Formatter, clinic: Formatter) -> str:
    """'Français (France) – French (France)': the language named for both readers."""
    return f"{language_name(fmt)} – {fmt.locale.get_display_name(clinic.locale)}"


def risk_rows(risks: list[Risk], fmt: Formatter) -> list[dict[str, str]]:
    """Risks as the form lists them, most frequent first (the workbook's order within a band)."""
    bands = list(Frequency)
    return [
        {
            "name": fmt.text(risk.name),
            "band": fmt.gettext(FREQUENCY_TEXT[risk.frequency][0]),
            "odds": fmt.gettext(FREQUENCY_TEXT[risk.frequency][1]),
            "description": fmt.text(risk.description),
        }
        for risk in sorted(risks, key=lambda risk: bands.index(risk.frequency))
    ]


def locale_name(locale: Locale, written_in: Locale) -> str:
    """A language, without its region, as another writes it on a line of its own (a table's
    cell): 'Polish' in English, 'Polonais' in French."""
    name = language_in_sentence(locale, written_in)
    return name[:1].upper() + name[1:]


def language_in_sentence(locale: Locale, written_in: Locale) -> str:
    """A language, without its region, as another writes it inside a sentence: CLDR's own
    spelling, lower case where the language writes it so ('na język: ukraiński', 'en
    polonais'), a capital where it does ('ins Polnische' is 'Polnisch', 'into Polish')."""
    return Locale(locale.language).get_display_name(written_in) or locale.language


def language_name(fmt: Formatter) -> str:
    """The document's language, written in that language: 'English', 'français', 'العربية'."""
    return native_language_name(fmt.locale)


def cost_line_label(line: EstimateLine, estimate: Estimate, fmt: Formatter) -> str:
    """A line of the form's cost table: its area, and on a visit's estimate with several
    treatments, its treatment too ('Skin rejuvenation: Face')."""
    area = fmt.text(line.area.name)
    if len({other.treatment.code for other in estimate.lines}) == 1:
        return area
    return labelled(fmt.text(line.treatment.name), area, fmt)


def practitioner_context(plan: ConsentPlan, fmt: Formatter) -> dict[str, str]:
    """The practitioner as the form names them: from the Practitioners sheet, their profession
    (in the form's language) and registration too; any other name as given."""
    found = plan.estimate.price_list.practitioner(plan.practitioner) if plan.practitioner else None
    if found is None:
        return {"name": plan.practitioner, "profession": "", "registration": "", "credentials": ""}
    profession = fmt.text(found.profession)
    return {
        "name": found.name,
        "profession": profession,
        "registration": found.registration,
        "credentials": " · ".join(part for part in (profession, found.registration) if part),
    }


def privacy_context(clinic: Clinic, fmt: Formatter) -> dict[str, str]:
    """Who keeps the patient's record and photographs, how long, and whom to ask."""
    return {
        "controller": clinic.data_controller,
        "contact": clinic.privacy_contact,
        "authority": clinic.data_protection_authority,
        "records": years_text(clinic.records_retention_years, fmt),
        "photographs": years_text(clinic.photographs_retention_years, fmt),
    }


def years_text(years: int, fmt: Formatter) -> str:
    return fmt.ngettext("%(count)s year", "%(count)s years", years, count=fmt.decimal(years))


def consent_context(
    plan: ConsentPlan,
    fmt: Formatter,
    *,
    info: DocumentInfo,
    patient_language: Locale | None = None,
    cite_estimate: bool = True,
) -> dict[str, Any]:
    """The consent form's values, written for fmt. patient_language (default: the form's) is
    the language the patient reads: the form names it, and an interpreter is needed when the
    staff do not speak it (the clinic's Staff languages) or one is named. cite_estimate: the
    patient receives the estimate with the form, whose number the form then cites."""
    estimate = plan.estimate
    price_list = estimate.price_list
    treatment = plan.treatment
    patient = plan.patient
    lines = plan.lines  # this treatment's; a visit's estimate has other treatments' too
    if len({line.sessions for line in lines}) == 1:
        planned = sessions_text(lines[0].sessions, fmt)
    else:
        planned = "; ".join(
            labelled(fmt.text(line.area.name), sessions_text(line.sessions, fmt), fmt)
            for line in lines
        )
    reads = patient_language or fmt.locale
    reflection = price_list.clinic.reflection_days.get(treatment.kind, 0)
    informed_on = plan.informed_on or estimate.issued
    products = [price_list.products[code] for code in treatment.product_codes]
    needs_interpreter = bool(plan.interpreter) or reads.language not in price_list.clinic.spoken
    return {
        "clinic": clinic_context(price_list.clinic),
        "document": document_context(info, price_list, fmt),
        "patient": {
            "name": patient.name,
            "date_of_birth": fmt.date(patient.date_of_birth) if patient.date_of_birth else FILL_IN,
            "reference": patient.reference or FILL_IN,
            "language": language_name(fmt),
            "own_language": locale_name(reads, fmt.locale),
            "own_language_in_sentence": language_in_sentence(reads, fmt.locale),
            "interpreter_needed": fmt.gettext("Yes") if needs_interpreter else fmt.gettext("No"),
            "minor": plan.minor,
            # under the clinic's age of own consent: a parent or guardian consents for them
            "guardian_consents": plan.minor and not plan.consents_self,
            "consents_self": plan.minor and plan.consents_self,
            "own_consent_age": fmt.decimal(price_list.clinic.own_consent_age),
        },
        "treatment": {
            "name": fmt.text(treatment.name),
            "description": fmt.text(treatment.description),
            "areas": fmt.list([fmt.text(area.name) for area in plan.areas]),
            "sessions": planned,
            "usual_course": usual_course(treatment, fmt),
            "evidence": fmt.text(treatment.evidence) if treatment.evidence else "",
            "products": [
                {
                    "name": fmt.text(product.name),
                    "manufacturer": product.manufacturer,
                    "licensing": fmt.gettext(LICENSING[product.licensing]),
                }
                for product in products
            ],
            # a medicine used outside its licence, or without one, is said plainly
            "unlicensed_use": any(p.licensing in UNLICENSED_USE for p in products),
            "ingredients": fmt.text(treatment.ingredients) if treatment.ingredients else FILL_IN,
            # a minor is offered only what the law allows at their age (no fillers under 18)
            "alternatives": fmt.text(
                treatment.alternatives_for_minors if plan.minor else treatment.alternatives
            ),
        },
        # mild effects and serious risks apart, each most frequent first; serious ones always
        "common_risks": risk_rows([r for r in plan.risks if r.severity is Severity.MILD], fmt),
        "serious_risks": risk_rows([r for r in plan.risks if r.severity is Severity.SERIOUS], fmt),
        "contraindications": [{"name": fmt.text(c.name)} for c in plan.contraindications],
        "cost": {
            **discount_context(estimate, fmt),
            "estimate_number": estimate.number if cite_estimate else "",
            "valid_until": fmt.date(estimate.valid_until),
            "total": fmt.money(estimate.total),
            "rounding": signed_money(estimate.rounding, fmt),
            "to_pay": fmt.money(estimate.to_pay),
            "in_cash": money_or_blank(estimate.in_cash, fmt),
            "deposit": fmt.money(estimate.deposit),
            "vat_note": vat_note(price_list, fmt),
            # the note of every kind the cost table lists, not only this treatment's
            "insurance_notices": [
                fmt.gettext(INSURANCE_NOTICES[kind]) for kind in Kind if kind in estimate.kinds
            ],
            "payment_terms": fmt.text(price_list.clinic.payment_terms),
            # on prices excluding VAT the lines add up to the total only with the VAT added
            "added_vat": [
                {
                    "label": tax_line_label(v, fmt),
                    "rate": fmt.percent(v.rate),
                    "base": fmt.money(v.base),
                    "amount": fmt.money(v.vat),
                }
                for v in estimate.vat_lines
                if v.vat and not price_list.clinic.prices_include_vat
            ],
            "lines": [
                {
                    "area": cost_line_label(line, estimate, fmt),
                    "sessions": fmt.decimal(line.sessions),
                    "amount": fmt.money(line.amount),
                }
                for line in estimate.lines
            ]
            + [  # a consent form's cost table names each line in its area column
                {"area": line["treatment"], "sessions": line["sessions"], "amount": line["amount"]}
                for line in consultation_lines(estimate, fmt)
            ],
        },
        "reflection": {
            "informed_on": fmt.date(informed_on),
            "not_before": fmt.date(informed_on + dt.timedelta(days=reflection))
            if reflection
            else "",
        },
        "privacy": privacy_context(price_list.clinic, fmt),
        # blank names are written by hand in the signature table
        "practitioner": practitioner_context(plan, fmt),
        "interpreter": {"required": needs_interpreter, "name": plan.interpreter},
    }


def treatment_record_context(
    plan: ConsentPlan,
    fmt: Formatter,
    *,
    info: DocumentInfo,
    patient_language: Locale | None = None,
    cite_estimate: bool = True,
) -> dict[str, Any]:
    """The treatment record's values: the consent form's (the record goes with it), and one
    row per planned session with the areas planned for it (an area's course may be shorter)."""
    context = consent_context(
        plan, fmt, info=info, patient_language=patient_language, cite_estimate=cite_estimate
    )
    practitioner = context["practitioner"]
    context["practitioner"] = {**practitioner, "name": practitioner["name"] or FILL_IN}
    course = max(line.sessions for line in plan.lines)
    planned = [(line.sessions, fmt.text(line.area.name)) for line in plan.lines]
    context["sessions"] = [
        {"number": fmt.decimal(number), "areas": fmt.list([a for n, a in planned if n >= number])}
        for number in range(1, course + 1)
    ]
    return context


@dataclass(frozen=True)
class TreatmentDocumentKind:
    """A document made for one treatment of a visit, from its consent plan: its template, the
    letter its ids start with, its file names' start, and its values."""

    template: str
    id_prefix: str
    file_prefix: str
    context: Callable[..., dict[str, Any]]


# the treatment record goes with every consent form: made with it, everywhere
TREATMENT_DOCUMENTS = {
    "consent": TreatmentDocumentKind("consent.docx", "C", "consent", consent_context),
    "treatment_record": TreatmentDocumentKind(
        "treatment_record.docx", "R", "record", treatment_record_context
    ),
}
