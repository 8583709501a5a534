"""The patient a document is for, checked once at the border."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from docgen.exceptions import FieldProblem
from docgen.i18n import N_
from docgen.limits import CONTROL_CHARACTERS, DIRECTION_MARKS
from docgen.pricing import ADULT_AGE
from docgen.render import xml_safe

OLDEST_PLAUSIBLE_AGE = 120
# Every text typed for a document has a bound: it must fit where the form prints it, and a
# field pasted full by mistake (or on purpose) must not make a hundred-page document.
LONGEST_TEXT = {"patient": 200, "ref": 64, "practitioner": 200, "interpreter": 200}
_TOO_LONG = {
    "patient": N_("the patient's name is %(length)s characters long; at most %(longest)s"),
    "ref": N_("the patient reference is %(length)s characters long; at most %(longest)s"),
    "practitioner": N_(
        "the practitioner's name is %(length)s characters long; at most %(longest)s"
    ),
    "interpreter": N_("the interpreter's name is %(length)s characters long; at most %(longest)s"),
}
# A name or a reference is one line: a line break split a name in two on the form, and a
# carriage return rewrote the register's listing in a terminal (beside CONTROL_CHARACTERS,
# which every printed text refuses)
_LINE_BREAKS = re.compile("[\t\n\r]")
# Invisible characters that change nothing on paper but what the text is: a zero-width space
# made "LUM-1" another reference than the one typed. Joiners are kept: emoji and some scripts
# are written with them.
_JOINERS = frozenset("\u200c\u200d")
_HIDDEN_IN = {
    "patient": N_("the patient's name holds an invisible control character (%(code)s)"),
    "ref": N_("the patient reference holds an invisible control character (%(code)s)"),
    "practitioner": N_("the practitioner's name holds an invisible control character (%(code)s)"),
    "interpreter": N_("the interpreter's name holds an invisible control character (%(code)s)"),
}
# What the command line (and a batch, and the desk) say of a minor without the parent's or
# guardian's signature; a page may say it in its own words (Message.translated)
MINOR_NEEDS_GUARDIAN = N_(
    "the patient is %(age)s, under %(adult)s: a minor's consent form needs "
    "--allow-minor (in a batch: yes in an Allow minor column; on the desk page: the "
    "under-18 box), and a parent or guardian signs it too"
)


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

    def plausible_age_on(self, day: dt.date) -> int | None:
        """The age on day, when the date of birth can be a living patient's (check_patient
        refuses the others); else None."""
        age = self.age_on(day)
        return age if age is not None and 0 <= age <= OLDEST_PLAUSIBLE_AGE else None


def name_problems(name: str) -> list[str]:
    """Why a patient's name cannot be printed, if it cannot: it needs a letter or digit that
    survives on paper, and must fit on the page."""
    if not any(unicodedata.category(ch)[0] in "LN" for ch in xml_safe(name)):
        return [FieldProblem("patient", N_("the patient's name is empty or has no letters"))]
    return text_problems(patient=name)


def text_problems(**texts: str) -> list[str]:
    """A problem for each text longer than its field allows or holding an invisible control
    character (fields: LONGEST_TEXT's keys). Tabs and line ends are left to the caller."""
    problems = []
    for field, text in texts.items():
        if len(text) > LONGEST_TEXT[field]:
            problems.append(
                FieldProblem(field, _TOO_LONG[field], length=len(text), longest=LONGEST_TEXT[field])
            )
        elif hidden := hidden_character(text):
            code = f"U+{ord(hidden):04X}"
            problems.append(FieldProblem(field, _HIDDEN_IN[field], code=code))
    return problems


def hidden_character(text: str) -> str | None:
    """The first character of text that would change or hide what paper shows, or None: a
    control, a bidirectional override or isolate, a direction mark in a text without
    right-to-left letters, an invisible format character or a line or paragraph separator."""
    if found := CONTROL_CHARACTERS.search(text) or _LINE_BREAKS.search(text):
        return found.group()
    # a direction mark in a text without right-to-left letters only reorders it ("12-34
    # 56-78/90" printed as "56-78/90 34-12")
    right_to_left = any(
        unicodedata.bidirectional(ch) in ("R", "AL") and ch not in DIRECTION_MARKS for ch in text
    )
    for ch in text:
        if ch in DIRECTION_MARKS:
            if not right_to_left:
                return ch
        elif ch in _BLANK_LETTERS or (
            unicodedata.category(ch) in ("Cf", "Zl", "Zp") and ch not in _JOINERS
        ):
            return ch
    return None


# Letters and marks Unicode says show nothing (Default_Ignorable, not format characters): a
# Hangul filler printed a blank inside a name; a grapheme joiner made "AnnLee" of "Ann Lee"
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def parse_date_of_birth(value: str | dt.date | None, problems: list[str]) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    # The value is not repeated in these messages: they may end up in logs, and a date of
    # birth is patient data. The row or the command line shows where it is.
    # ASCII digits: \d would take full-width '１９８５' and then call the date impossible
    if not re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        problems.append(
            FieldProblem("dob", N_("the date of birth is not a date written as YYYY-MM-DD"))
        )
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 1990-02-30
        message = N_("the date of birth is not a day of the calendar: check its month and day")
        problems.append(FieldProblem("dob", message))
        return None


def check_patient(patient: Patient, today: dt.date, allow_minor: bool, problems: list[str]) -> bool:
    """Add a problem for anything impossible about the patient; return whether they are a minor."""
    problems.extend(name_problems(patient.name))
    problems.extend(text_problems(ref=patient.reference))
    age = patient.age_on(today)
    if age is None:
        return False
    if patient.date_of_birth > today:
        problems.append(FieldProblem("dob", N_("the date of birth is in the future")))
    elif age > OLDEST_PLAUSIBLE_AGE:
        message = N_("the date of birth would make the patient %(age)s")
        problems.append(FieldProblem("dob", message, age=age))
    elif age < ADULT_AGE and not allow_minor:
        problems.append(FieldProblem("dob", MINOR_NEEDS_GUARDIAN, age=age, adult=ADULT_AGE))
    return 0 <= age < ADULT_AGE


def same_typing(name: str) -> str:
    """The name as every keyboard types it: an é typed as one character or as e and a
    combining accent (NFD, as macOS gives file names) is the same letter, the same patient."""
    return unicodedata.normalize("NFC", name)


def search_key(name: str) -> str:
    """A name as a search compares it: same_typing, and without case in every script (ZOÉ
    finds Zoé, which SQLite's ASCII-only lower() missed)."""
    return same_typing(same_typing(name).casefold())
