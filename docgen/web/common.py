"""What every page of the desk shares: its words in the clinic's language, problems shown
per input or per cell, the choice of workbook and language, error pages and zips."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from babel import Locale
from flask import abort, current_app, render_template

from docgen.consent import NO_AREA
from docgen.exceptions import (
    MAX_LISTED,
    DocgenError,
    FieldProblem,
    LocaleError,
    Problem,
    ProblemsError,
    UnavailableLanguageError,
    UntranslatedError,
    translated,
)
from docgen.generate import GeneratedDocument, document_locales
from docgen.i18n import N_, language_label
from docgen.patient import MINOR_NEEDS_GUARDIAN
from docgen.pdf import convert_to_pdf
from docgen.pricing import PriceList
from docgen.processes import run_limited
from docgen.register import Register
from docgen.visit import NO_TREATMENT, TREATMENT_TWICE
from docgen.workspace import Workspace

if TYPE_CHECKING:
    from docgen.web.state import Desk

# Bounds of the worker that makes a page's documents: a patient's take well under a second.
DOCUMENTS_CPU_SECONDS = 30
DOCUMENTS_MEMORY_BYTES = 2 * 2**30


def made_within_limits(
    function: Callable[..., list[GeneratedDocument]],
    desk: Desk,
    /,
    *args,
    pdf: bool,
    **kwargs,
) -> list[GeneratedDocument]:
    """function's documents for the desk's workspace, in one of the desk's turns (pages are
    answered meanwhile): made by a worker the operating system bounds, so that no template
    can stop the desk (run_limited); then their PDFs, here, under LibreOffice's own time limit
    and with the LibreOffice the server keeps warm. All or nothing, in the register too."""
    workspace = desk.workspace
    work = (function.__name__, *sorted((k, repr(v)) for k, v in kwargs.items() if k != "output"))
    with desk.document_turn(work):
        documents = run_limited(
            function, workspace, *args, pdf=False, cpu_seconds=DOCUMENTS_CPU_SECONDS,
            memory_bytes=DOCUMENTS_MEMORY_BYTES, **kwargs,
        )  # fmt: skip
        if not pdf:
            return documents
        try:
            pdfs = convert_to_pdf(
                [document.docx for document in documents], register=Register.of(workspace)
            )
        except DocgenError:
            for document in documents:
                document.docx.unlink(missing_ok=True)
            Register.of(workspace).withdraw([document.document_id for document in documents])
            raise
    return [replace(document, pdf=made) for document, made in zip(documents, pdfs, strict=True)]


def chosen_workbook(workspace: Workspace, name: str) -> str | None:
    """The price list a request names: one of the workspace's workbooks (never a path),
    or the first when it names none."""
    workbooks = [path.stem for path in workspace.workbooks()]
    if not name:
        return workbooks[0] if workbooks else None
    if name not in workbooks:
        abort(400)
    return name


def request_number(text: str, most: int) -> int:
    """A whole number a request carries (a count, a page, a row), from 0 to most; anything
    else (letters, other scripts' digits, 5,000 digits, more than most) is a bad request."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)) or int(text) > most:
        abort(400)
    return int(text)


def served_languages(workspace: Workspace, price_list: PriceList) -> list[tuple[str, str]]:
    """The locales the clinic serves, each with its name in itself, for a choice of language."""
    return [(code, language_label(code)) for code in document_locales(workspace, price_list)]


# What the library says with a command-line option (--allow-minor, --area, --treatment), said
# on the desk with the desk's own controls; the command line goes on naming the option.
PATIENT_FORM_WORDING = {
    MINOR_NEEDS_GUARDIAN: N_(
        "the patient is %(age)s, under %(adult)s: a minor's consent form is made only when a "
        "parent or guardian signs it too; if one does, tick “The patient is under 18 and a "
        "parent or guardian signs too”"
    ),
    NO_AREA: N_("Choose at least one body area."),
    NO_TREATMENT: N_("Choose a treatment."),
    TREATMENT_TWICE: N_(
        "%(code)s is in the visit twice: remove it from the visit, then add it once with all "
        "of its areas"
    ),
}
APPOINTMENTS_FILE_WORDING = {
    MINOR_NEEDS_GUARDIAN: N_(
        "the patient is %(age)s, under %(adult)s: a minor's consent form is made only when a "
        "parent or guardian signs it too; if one does, write yes in the row's Allow minor column"
    ),
    NO_AREA: N_("no body area given: name at least one in the Areas column"),
}


def errors_by_field(error: DocgenError) -> dict[str, list[str]]:
    """Each problem under the input it is about ('' for the form as a whole), in the page's
    language and the patient form's words."""
    if isinstance(error, UntranslatedError):
        return {"locale": untranslated_on_the_desk(error)}
    if isinstance(error, UnavailableLanguageError):  # not the command that adds a language
        language = Locale.parse(error.locale).get_display_name(_page_locale())
        return {"locale": [_("docgen has no translation for %(language)s.", language=language)]}
    if isinstance(error, LocaleError):
        return {"locale": [str(error)]}
    problems = error.problems if isinstance(error, ProblemsError) else (str(error),)
    errors: dict[str, list[str]] = {}
    gettext = current_app.extensions["docgen"].gettext
    for problem in problems:
        field = problem.field if isinstance(problem, FieldProblem) else ""
        message = str(translated(problem, gettext, PATIENT_FORM_WORDING))
        errors.setdefault(field, []).append(message)
    return errors


def _page_locale() -> str:
    return current_app.jinja_env.globals["page_language"].replace("-", "_")


def untranslated_on_the_desk(error: UntranslatedError) -> list[str]:
    """The refusal of a document not all of whose text is translated, in the page's words: where
    to translate it on the desk, not the commands that do it."""
    language = Locale.parse(error.locale).get_display_name(_page_locale())
    return [
        _(
            "Not made: %(count)s text(s) have no reviewed translation into %(language)s, and "
            "a patient document is made only when all of it is in the patient's language:",
            count=len(error.texts),
            language=language,
        ),
        *error.texts[:MAX_LISTED],
        _("Translate them on the Translations page (in the menu), then make the documents again."),
    ]


def problems_of(error: DocgenError) -> list[Problem | str]:
    return list(error.problems) if isinstance(error, ProblemsError) else [str(error)]


def problem_row(problem: Problem | str, gettext: Callable[[str], str]) -> dict:
    if isinstance(problem, Problem):
        expected = problem.expected or ("" if problem.found else problem.message)
        return {
            "file": problem.file,
            "sheet": problem.sheet or "",
            "cell": problem.cell or "",
            "found": problem.found or "",
            "expected": translated(expected, gettext),
        }
    file, _, message = str(problem).partition(": ")
    return {"file": file, "sheet": "", "cell": "", "found": "", "expected": message or file}


_WORD_MARKS = str.maketrans("", "", "'’-")  # within a word: l'âge, e-mail


def sentence(message: object) -> str:
    """A message as the desk shows it, beginning with a capital letter ('the date of birth is
    in the future' → 'The date …'); unless its first word is a file name, a code or a value
    (london.xlsx, REJUV:FACE), which stays as it is written."""
    text = message if isinstance(message, str) else str(message)  # Markup stays Markup
    words = text.split(maxsplit=1)
    first = words[0].rstrip(":;,.!?…") if words else ""
    capital = text[:1].upper()
    if text[:1].islower() and len(capital) == 1 and first.translate(_WORD_MARKS).isalpha():
        return capital + text[1:]
    return text


def write_zip(target: BinaryIO, members: Iterable[tuple[str, Path]]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in members:
            archive.write(path, name)


def _(message: str, **values: object) -> str:
    """The page's own words in the clinic's language (extracted into the catalogues)."""
    text = current_app.extensions["docgen"].gettext(message)
    return text % values if values else text


def error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status
