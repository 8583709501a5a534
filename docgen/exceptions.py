"""Every error docgen raises on purpose; the CLI turns each into a message and exit code 1."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


class DocgenError(Exception):
    """Base class: raised for any problem the user can fix (bad input, missing file, ...)."""

    def __reduce__(self):
        # the desk's limited worker sends its errors back pickled; rebuilt from their message
        # and attributes, whatever their __init__ takes
        return _rebuilt_error, (type(self), self.args, self.__dict__)


def _rebuilt_error(kind: type[DocgenError], args: tuple, state: dict) -> DocgenError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the file allows; for a
    wrong value, also the value found and what was expected (both are in the message too)."""

    file: str
    message: str  # a Message where a page can translate it; so may expected be
    sheet: str | None = None
    cell: str | None = None
    found: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f", {self.sheet}!{self.cell}" if self.cell else f", sheet {self.sheet!r}"
        return f"{where}: {self.message}"


class Message(str):
    """A message that a page can show in its own language: it reads as its English text, and
    carries its catalogue msgid and values for translating."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Message:
        message = super().__new__(cls, msgid % values if values else msgid)
        message.msgid, message.values = msgid, values
        return message

    def translated(
        self, gettext: Callable[[str], str], wording: Mapping[str, str] | None = None
    ) -> str:
        """The message in another language, with any Message among its values translated
        too. wording: a page's own words for some msgids, with the same values (a form names
        its box where the command line names its option). As it is when its translation is
        broken."""
        wording = wording or {}
        values = {
            name: value.translated(gettext, wording) if isinstance(value, Message) else value
            for name, value in self.values.items()
        }
        msgid = wording.get(self.msgid, self.msgid)
        for text in (gettext(msgid), msgid):
            try:
                return text % values if values else text
            except (KeyError, ValueError, TypeError):
                continue
        return str(self)

    def __reduce__(self):
        # a batch's workers send their rows' problems back pickled, still translatable
        return _message, (self.msgid, self.values)


class FieldProblem(Message):
    """A problem with one input of a document request — patient, dob, treatment, area,
    sessions or locale, the CLI's option names — so that a form can show it next to that
    input, in the form's language. Everywhere else it is the plain message it reads as."""

    field: str

    def __new__(cls, field: str, msgid: str, **values: object) -> FieldProblem:
        problem = super().__new__(cls, msgid, **values)
        problem.field = field
        return problem

    def __reduce__(self):
        return _field_problem, (self.field, self.msgid, self.values)


def _message(msgid: str, values: dict[str, object]) -> Message:
    return Message(msgid, **values)


def _field_problem(field: str, msgid: str, values: dict[str, object]) -> FieldProblem:
    return FieldProblem(field, msgid, **values)


def translated(
    message: str, gettext: Callable[[str], str], wording: Mapping[str, str] | None = None
) -> str:
    """A message in a page's language (and words: Message.translated): a Message
    translated, other text as it is."""
    return message.translated(gettext, wording) if isinstance(message, Message) else message


MAX_LISTED = 50  # problems printed; a wrong file can have thousands


class ProblemsError(DocgenError):
    """Base for errors that carry every problem found, so that all are reported at once."""

    headline = "problems found"

    def __init__(self, problems: Iterable[Problem | str], headline: str | None = None):
        self.problems = tuple(problems)
        headline = headline or self.headline
        lines = [f"{len(self.problems)} {headline}:"] if len(self.problems) > 1 else []
        shown = self.problems[:MAX_LISTED]
        lines += [f"  - {p}" if len(self.problems) > 1 else str(p) for p in shown]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  … and {len(self.problems) - MAX_LISTED} more")
        super().__init__("\n".join(lines))


class WorkbookError(ProblemsError):
    """Raised when a price-list workbook cannot be read or holds invalid cells."""

    headline = "problems in the price list"


class PlanError(ProblemsError):
    """Raised when a requested document names unknown codes, impossible sessions or impossible
    patient details (a date of birth in the future, a minor without --allow-minor)."""

    headline = "problems in the treatment plan"


class WorkspaceError(DocgenError):
    """Raised when a workspace folder, template or workbook cannot be found."""


class BuiltInWorkspaceError(WorkspaceError):
    """Raised instead of changing the built-in workspace, which is part of the installed
    docgen and is replaced when docgen is upgraded."""


class TemplateError(DocgenError):
    """Raised when a Word template is unreadable, unsafe, or uses a variable docgen lacks."""

    def __init__(self, template: str, message: str):
        self.template = template
        super().__init__(f"template {template}: {message}")


class TemplateTimeoutError(TemplateError):
    """Raised when a template took longer than docgen allows to fill in (a loop without end)."""


class LocaleError(DocgenError):
    """Raised when a locale is not a language and region docgen can format for."""


class CompiledCatalogueError(DocgenError):
    """Raised for a compiled catalogue (.mo) holding a translation no document may print: one
    compiled by another tool than docgen's, which checks them."""


class CatalogueFileError(DocgenError):
    """Raised for a translation catalogue that is not a file of a catalogue's size."""


class UnavailableLanguageError(LocaleError):
    """Raised for a locale whose language the workspace has no catalogue for."""

    def __init__(self, message: str, locale: str):
        super().__init__(message)
        self.locale = locale  # 'ko_KR'


class OutputExistsError(DocgenError):
    """Raised before writing when a document already exists and --force was not given."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(
            f"{path} already exists; signed documents are records, so docgen does not "
            "overwrite them. Choose another file with -o, or pass --force to replace it."
        )


class IssueDateError(DocgenError):
    """Raised when an issue date given (--date) is not one a clinic could issue a document on."""


class OutputError(DocgenError):
    """Raised when a document cannot be written where it was asked for (no such folder, a file
    in the way, no permission)."""


class PdfError(DocgenError):
    """Raised when LibreOffice is missing or fails to convert a document to PDF."""


class UntranslatedError(DocgenError):
    """Raised instead of writing a patient document some of whose text has no reviewed
    translation into the document's language: a patient signs only what they can read."""

    def __init__(self, locale: str, language: str, catalogue: str, texts: Iterable[str]):
        self.locale = locale  # 'de_CH'
        self.texts = tuple(texts)
        shown = self.texts[:MAX_LISTED]
        lines = [
            f"not made: {len(self.texts)} text(s) have no reviewed {language} translation, and "
            "a patient document is made only when all of it is in the patient's language:",
            *(f"  - {text}" for text in shown),
        ]
        if len(self.texts) > MAX_LISTED:
            lines.append(f"  … and {len(self.texts) - MAX_LISTED} more")
        lines.append(
            f"Translate them in {catalogue} ('docgen i18n update' adds new texts there), then "
            "run 'docgen i18n compile'."
        )
        super().__init__("\n".join(lines))


class RegisterError(DocgenError):
    """Raised when the register of issued documents cannot be opened or written (a full
    disk): no document can then be issued."""


class DuplicateIdError(RegisterError):
    """Raised when a document would get an id the register already gave another one."""


class FilingError(DocgenError):
    """Raised when a scan cannot be read to be filed (not found, not a PDF or an image)."""


class BatchError(DocgenError):
    """Raised when the appointments file as a whole cannot be used (unreadable, no rows,
    missing columns); problems with single rows are reported per row instead."""


class WorkerStoppedError(DocgenError):
    """Raised when work done in a bounded worker process (the desk's documents) went over its
    processor time, memory or wall-clock limit and was stopped."""


class DeskBusyError(DocgenError):
    """Raised when the desk is already making as many patients' documents as it may at once,
    and none finished in time: nothing was made, and the form can be sent again."""


class KeyExposedWarning(UserWarning):
    """Warned when the signing key is used though others could read or replace it (a file
    others can read, a symbolic link): its signatures prove less."""
