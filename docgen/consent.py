"""Plan step for consent forms: validate the patient and the procedure, and price the planned
course with the same code as the estimate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from docgen.estimate import Estimate, EstimateLine, TranslatedNames, closest, plan_estimate
from docgen.exceptions import FieldProblem, Message, PlanError
from docgen.i18n import N_
from docgen.patient import Patient, check_patient, parse_date_of_birth, text_problems
from docgen.pricing import Area, Contraindication, Kind, PriceList, Risk, Treatment
from docgen.visit import Visit

# What the command line says of a consent form without areas; a page may say it in its own
# words (Message.translated)
NO_AREA = N_("no body area given: name at least one with --area")


@dataclass(frozen=True)
class ConsentPlan:
    patient: Patient
    minor: bool
    treatment: Treatment
    areas: tuple[Area, ...]
    risks: tuple[Risk, ...]
    contraindications: tuple[Contraindication, ...]
    estimate: Estimate  # the planned course, priced exactly as `docgen estimate` prices it
    practitioner: str
    interpreter: str
    lines: tuple[EstimateLine, ...] = ()  # this treatment's lines of the estimate
    consents_self: bool = False  # a minor old enough, by the clinic's law, to consent alone
    informed_on: dt.date | None = None  # when the information was given (None: the form's date)

    def __post_init__(self) -> None:
        if not self.lines:  # one treatment: the whole estimate is its own
            object.__setattr__(self, "lines", self.estimate.lines)


def plan_consent(
    price_list: PriceList,
    visit: Visit,
    treatment: str | None = None,
    *,
    issued: dt.date | None = None,
    number: str | None = None,
    translated_names: TranslatedNames | None = None,
) -> ConsentPlan:
    """Validate everything the form for one of the visit's treatments needs (treatment: its
    code; default: the visit's only one); raise PlanError listing every problem at once. The
    form's cost section is the visit's estimate, of every treatment; its own lines are this
    treatment's. translated_names: as plan_estimate's."""
    planned = visit.planned(treatment)
    issued = issued or dt.date.today()
    problems: list[str] = []
    person = Patient(
        visit.patient,
        parse_date_of_birth(visit.date_of_birth, problems),
        visit.reference.strip(),
    )
    age = person.plausible_age_on(issued)
    visit_treatments = [
        price_list.treatments[code]
        for code in dict.fromkeys(t.treatment.strip().upper() for t in visit.treatments)
        if code in price_list.treatments
    ]
    too_young = age_problems(price_list, visit_treatments, age)
    # below a treatment's minimum age, --allow-minor is beside the point: that is said instead
    minor = check_patient(person, issued, visit.allow_minor or bool(too_young), problems)
    problems.extend(too_young)
    informed_on = parse_informed_on(visit.informed_on, issued, problems)
    practitioner, interpreter = visit.practitioner.strip(), visit.interpreter.strip()
    problems.extend(text_problems(practitioner=practitioner, interpreter=interpreter))

    if not price_list.clinic.complications_phone:
        message = N_(
            "the Clinic sheet of %(workbook)s has no 'Complications phone': a consent form "
            "tells the patient whom to call about a complication, day or night"
        )
        problems.append(Message(message, workbook=price_list.path.name))
    problems.extend(missing_form_settings(price_list))
    code = planned.treatment.strip().upper()
    chosen = price_list.treatments.get(code)
    if chosen is None:
        problems.append(
            FieldProblem(
                "treatment",
                N_("unknown treatment %(code)s%(hint)s; known treatments: %(known)s"),
                code=repr(planned.treatment),
                hint=closest(code, price_list.treatments, translated_names),
                known=", ".join(price_list.treatments),
            )
        )
    if minor and chosen is not None and chosen.alternatives and not chosen.alternatives_for_minors:
        message = N_(
            "%(code)s has Alternatives but no 'Alternatives for minors' on the Treatments sheet "
            "of %(workbook)s: a minor's form offers only the alternatives the law allows at "
            "their age; write them there"
        )
        problems.append(Message(message, code=chosen.code, workbook=price_list.path.name))
    if not planned.areas:
        problems.append(FieldProblem("area", NO_AREA))
    own = estimate = None
    if chosen is not None and planned.areas:
        priced = dict(issued=issued, number=number, translated_names=translated_names)
        try:
            several = len(visit.treatments) > 1
            whole = dict(discount=visit.discount, consultation=visit.consultation)
            own = plan_estimate(price_list, planned.items, **priced, **({} if several else whole))
            estimate = plan_estimate(price_list, visit.items, **priced, **whole) if several else own
        except PlanError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise PlanError(problems, headline="problems with the consent form's details")
    assert chosen is not None and own is not None and estimate is not None
    return ConsentPlan(
        patient=person,
        minor=minor,
        treatment=chosen,
        areas=tuple(line.area for line in own.lines),
        risks=tuple(price_list.risks[c] for c in chosen.risk_codes),
        contraindications=tuple(price_list.contraindications_for(chosen)),
        estimate=estimate,
        practitioner=practitioner,
        interpreter=interpreter,
        lines=own.lines,
        consents_self=minor and age is not None and age >= price_list.clinic.own_consent_age,
        informed_on=informed_on,
    )


# Information given longer ago than this is given again before a consent form is signed.
LONGEST_SINCE_INFORMED = dt.timedelta(days=365)


def parse_informed_on(
    value: str | dt.date | None, issued: dt.date, problems: list[str]
) -> dt.date | None:
    """The day the information was given, as typed (YYYY-MM-DD): never after the form's date,
    nor more than a year before it; None when not given."""
    if value is None or value == "":
        return None
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value.strip())
    except ValueError:
        message = N_("the date the information was given is not a date written as YYYY-MM-DD")
        problems.append(FieldProblem("informed_on", message))
        return None
    if day > issued:
        message = N_("the date the information was given is after the form's date")
        problems.append(FieldProblem("informed_on", message))
    elif issued - day > LONGEST_SINCE_INFORMED:
        message = N_(
            "the information was given more than a year before the form's date: give it again "
            "and date the form then"
        )
        problems.append(FieldProblem("informed_on", message))
    return day


def missing_form_settings(price_list: PriceList) -> list[Message]:
    """What the Clinic sheet lacks that every consent form states: the data-protection notice
    (UK GDPR art. 13, DSGVO, Swiss nDSG) and the deposit, cancellation and refund terms."""
    clinic = price_list.clinic
    privacy = {
        "Data controller": clinic.data_controller,
        "Privacy contact": clinic.privacy_contact,
        "Data protection authority": clinic.data_protection_authority,
        "Records retention years": clinic.records_retention_years,
        "Photographs retention years": clinic.photographs_retention_years,
    }
    problems = []
    if missing := [f"'{setting}'" for setting, value in privacy.items() if not value]:
        message = N_(
            "the Clinic sheet of %(workbook)s has no %(settings)s: a consent form tells the "
            "patient who keeps their record and photographs, for how long, and whom to ask"
        )
        problems.append(
            Message(message, workbook=price_list.path.name, settings=", ".join(missing))
        )
    if not clinic.payment_terms:
        message = N_(
            "the Clinic sheet of %(workbook)s has no 'Payment terms': a consent form states "
            "the deposit, cancellation and refund terms of the treatment it consents to"
        )
        problems.append(Message(message, workbook=price_list.path.name))
    return problems


def age_problems(
    price_list: PriceList, treatments: Iterable[Treatment], age: int | None
) -> list[FieldProblem]:
    """Each treatment the patient is too young for, whatever a parent or guardian agrees (and
    whatever --allow-minor says), named with the rule that forbids it: the clinic's minimum age
    for cosmetic treatment (its law), or the treatment's own, whichever is higher."""
    if age is None:
        return []
    clinic = price_list.clinic
    problems = []
    for treatment in treatments:
        cosmetic = clinic.minimum_age_cosmetic if treatment.kind is Kind.COSMETIC else 0
        if age >= max(cosmetic, treatment.minimum_age):
            continue
        if cosmetic >= treatment.minimum_age:
            minimum = cosmetic
            rule: str = clinic.minimum_age_law or Message(
                N_("the clinic's minimum age for cosmetic treatment, on its Clinic sheet")
            )
        else:
            minimum = treatment.minimum_age
            rule = Message(
                N_("the minimum age the Treatments sheet gives %(code)s"), code=treatment.code
            )
        message = N_(
            "the patient is %(age)s: %(treatment)s is never given to anyone under %(minimum)s "
            "(%(rule)s), whatever a parent or guardian agrees"
        )
        problems.append(
            FieldProblem(
                "dob", message, age=age, treatment=treatment.code, minimum=minimum, rule=rule
            )
        )
    return problems
