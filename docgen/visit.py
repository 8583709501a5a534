"""A visit: one patient's plan for one day, with one or more treatments. It gets one estimate
(every line, VAT per rate, one total, one deposit) and one consent form per treatment, each
citing the visit's estimate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from docgen.estimate import Discount, PlanItem, parse_sessions, plan_items
from docgen.exceptions import FieldProblem, PlanError
from docgen.i18n import N_

# What the command line says of a visit's treatments; a page may say it in its own words
# (Message.translated)
NO_TREATMENT = N_("a visit needs at least one treatment: give --treatment TREATMENT:AREA")
TREATMENT_TWICE = N_(
    "%(code)s is in the visit twice: give all of its areas in one --treatment, "
    "e.g. %(code)s:FACE,NECK"
)


@dataclass(frozen=True)
class PlannedTreatment:
    """One treatment of a visit: its code, its areas, and sessions per area (None: a course)."""

    treatment: str
    areas: tuple[str, ...]
    sessions: int | None = None

    @classmethod
    def parse(cls, spec: str) -> PlannedTreatment:
        """'REJUV:FACE,NECK' or 'REJUV:FACE,NECK:6' (6 sessions per area)."""
        parts = [part.strip() for part in spec.split(":")]
        listed = parts[1].split(",") if len(parts) > 1 else []
        areas = tuple(area.strip().upper() for area in listed if area.strip())
        sessions = parse_sessions(parts[2]) if len(parts) == 3 else None
        wrong_sessions = len(parts) == 3 and sessions is None
        if len(parts) not in (2, 3) or not parts[0] or not areas or wrong_sessions:
            message = N_(
                "%(spec)s: write a treatment as TREATMENT:AREA,AREA or "
                "TREATMENT:AREA,AREA:SESSIONS, e.g. REJUV:FACE,NECK:6"
            )
            raise PlanError([FieldProblem("treatment", message, spec=repr(spec))])
        return cls(parts[0].upper(), areas, sessions)

    @property
    def items(self) -> list[PlanItem]:
        return plan_items(self.treatment, self.areas, self.sessions)


@dataclass(frozen=True)
class Visit:
    """What the CLI, a batch and the desk build, and the library takes, for one patient's day."""

    patient: str
    treatments: tuple[PlannedTreatment, ...]
    date_of_birth: str | dt.date | None = None
    reference: str = ""
    practitioner: str = ""
    interpreter: str = ""
    patient_language: str | None = None
    allow_minor: bool = False
    # when the practitioner gave the information (default: the forms' date): the reflection
    # period runs from it
    informed_on: str | dt.date | None = None
    discount: Discount | None = None  # on the visit's estimate, before tax
    consultation: bool = False  # the patient has the initial consultation: a line of its own

    @classmethod
    def for_treatment(
        cls,
        patient: str,
        treatment: str,
        areas: Sequence[str],
        sessions: int | None = None,
        **details,
    ) -> Visit:
        """A visit for one treatment, as `docgen consent` plans it; details: the other fields."""
        return cls(patient, (PlannedTreatment(treatment, tuple(areas), sessions),), **details)

    def planned(self, treatment: str | None = None) -> PlannedTreatment:
        """One of the visit's treatments, by its code; without one, the visit's only one."""
        if treatment is None:
            if len(self.treatments) != 1:
                raise ValueError(f"name which of the visit's {len(self.treatments)} treatments")
            return self.treatments[0]
        code = treatment.strip().upper()
        for planned in self.treatments:
            if planned.treatment.strip().upper() == code:
                return planned
        raise ValueError(f"{treatment!r} is not one of the visit's treatments")

    @property
    def items(self) -> list[PlanItem]:
        """Every line of the visit's estimate, treatment after treatment."""
        return [item for planned in self.treatments for item in planned.items]

    def check(self) -> None:
        """A visit has at least one treatment, and no treatment twice (its areas go together)."""
        problems: list[str] = []
        if not self.treatments:
            problems.append(FieldProblem("treatment", NO_TREATMENT))
        codes = [planned.treatment.strip().upper() for planned in self.treatments]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            problems.append(FieldProblem("treatment", TREATMENT_TWICE, code=code))
        if problems:
            raise PlanError(problems)
