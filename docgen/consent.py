"""Plan step for consent forms: validate the patient and the procedure, and price the planned
course with the same code as the estimate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from docgen.estimate import (
    Estimate,
    EstimateLine,
    TranslatedNames,
    closest,
    plan_estimate,
    plan_items,
)
from docgen.exceptions import FieldProblem, Message, PlanError
from docgen.i18n import N_
from docgen.patient import Patient, check_patient, parse_date_of_birth, text_problems
from docgen.pricing import Area, Contraindication, PriceList, Risk, Treatment


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

    def __post_init__(self) -> None:
        if not self.lines:  # one treatment: the whole estimate is its own
            object.__setattr__(self, "lines", self.estimate.lines)


def plan_consent(
    price_list: PriceList,
    *,
    patient: str,
    treatment: str,
    areas: Sequence[str],
    date_of_birth: str | dt.date | None = None,
    reference: str = "",
    sessions: int | None = None,
    practitioner: str = "",
    interpreter: str = "",
    allow_minor: bool = False,
    issued: dt.date | None = None,
    number: str | None = None,
    translated_names: TranslatedNames | None = None,
    visit_estimate: Estimate | None = None,
) -> ConsentPlan:
    """Validate everything the form needs; raise PlanError listing every problem at once.
    translated_names: as plan_estimate's. visit_estimate: the estimate of a visit with several
    treatments, which the form's cost section shows and cites (its own lines are this
    treatment's)."""
    issued = issued or dt.date.today()
    problems: list[str] = []
    person = Patient(patient, parse_date_of_birth(date_of_birth, problems), reference.strip())
    minor = check_patient(person, issued, allow_minor, problems)
    problems.extend(
        text_problems(practitioner=practitioner.strip(), interpreter=interpreter.strip())
    )

    if not price_list.clinic.complications_phone:
        message = N_(
            "the Clinic sheet of %(workbook)s has no 'Complications phone': a consent form "
            "tells the patient whom to call about a complication, day or night"
        )
        problems.append(Message(message, workbook=price_list.path.name))
    code = treatment.strip().upper()
    chosen = price_list.treatments.get(code)
    if chosen is None:
        problems.append(
            FieldProblem(
                "treatment",
                N_("unknown treatment %(code)s%(hint)s; known treatments: %(known)s"),
                code=repr(treatment),
                hint=closest(code, price_list.treatments, translated_names),
                known=", ".join(price_list.treatments),
            )
        )
    if not areas:
        message = N_("no body area given: name at least one with --area")
        problems.append(FieldProblem("area", message))
    estimate = None
    if chosen is not None and areas:
        items = plan_items(code, areas, sessions)
        try:
            estimate = plan_estimate(
                price_list, items, issued=issued, number=number, translated_names=translated_names
            )
        except PlanError as error:
            problems.extend(error.problems)
    if problems:
        raise PlanError(problems, headline="problems with the consent form's details")
    assert chosen is not None and estimate is not None
    return ConsentPlan(
        patient=person,
        minor=minor,
        treatment=chosen,
        areas=tuple(line.area for line in estimate.lines),
        risks=tuple(price_list.risks[c] for c in chosen.risk_codes),
        contraindications=tuple(price_list.contraindications_for(chosen)),
        estimate=visit_estimate or estimate,
        practitioner=practitioner.strip(),
        interpreter=interpreter.strip(),
        lines=estimate.lines,
    )
