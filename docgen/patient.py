"""The patient a document is for, checked once at the border."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from docgen.exceptions import FieldProblem
from docgen.render import xml_safe

ADULT_AGE = 18
OLDEST_PLAUSIBLE_AGE = 120
LONGEST_NAME = 200


@dataclass(frozen=True)
class Patient:
    name: str
    date_of_birth: dt.date | None = None
    reference: str = ""

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def name_problems(name: str) -> list[str]:
    """Why a patient's name cannot be printed, if it cannot: it needs a letter or digit that
    survives on paper, and must fit on the page."""
    printable = xml_safe(name)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in printable):
        return [FieldProblem("the patient's name is empty or has no letters", "patient")]
    if len(printable) > LONGEST_NAME:
        return [
            FieldProblem(
                f"the patient's name is {len(printable)} characters long; at most {LONGEST_NAME}",
                "patient",
            )
        ]
    return []


def parse_date_of_birth(value: str | dt.date | None, problems: list[str]) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        # The value is not repeated: messages may end up in logs, and a date of birth is
        # patient data. The row or the command line shows where it is.
        message = "the date of birth is not a date written as YYYY-MM-DD"
        problems.append(FieldProblem(message, "dob"))
        return None


def check_patient(patient: Patient, today: dt.date, allow_minor: bool, problems: list[str]) -> bool:
    """Add a problem for anything impossible about the patient; return whether they are a minor."""
    problems.extend(name_problems(patient.name))
    age = patient.age_on(today)
    if age is None:
        return False
    if patient.date_of_birth > today:
        problems.append(FieldProblem("the date of birth is in the future", "dob"))
    elif age > OLDEST_PLAUSIBLE_AGE:
        problems.append(FieldProblem(f"the date of birth would make the patient {age}", "dob"))
    elif age < ADULT_AGE and not allow_minor:
        problems.append(
            FieldProblem(
                f"the patient is {age}, under {ADULT_AGE}: a minor's consent form needs "
                "--allow-minor (in a batch: yes in an Allow minor column; on the desk page: "
                "the minor box), and a parent or guardian signs it too",
                "dob",
            )
        )
    return age < ADULT_AGE
