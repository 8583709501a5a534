"""The translations page: per served language, the texts its documents still need (missing,
or changed since they were translated), then apart and folded the desk's words and docgen's
messages, which are optional; each with its source and where it is used, a box to type the
translation, and Save. Saving goes through the same checks and atomic write as
`docgen i18n import`; the next document uses it."""

from __future__ import annotations

from babel import Locale
from flask import Flask, abort, redirect, render_template, request, url_for

from docgen.catalogues import catalogue_status
from docgen.exceptions import BuiltInWorkspaceError, DocgenError, LocaleError
from docgen.generate import load_workspace_prices
from docgen.i18n import DOCUMENTS, parse_locale
from docgen.limits import LONGEST_TRANSLATION
from docgen.translation_workbook import (
    CHANGED,
    MISSING,
    TRANSLATED,
    language_names,
    save_translations,
    texts_to_translate,
)
from docgen.web.common import (
    _,
    chosen_workbook,
    problems_of,
    request_number,
    served_languages,
)
from docgen.web.state import Desk

FAST = {"compiled": False}  # counts only: whether each .mo is current is the health page's
MOST_TEXTS = 10_000  # on one page: every text of the sample is about 500


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace
    page_locale = Locale.parse(app.jinja_env.globals["page_language"].replace("-", "_"))

    def _page(
        locale: str,
        languages,
        typed: dict | None = None,
        errors: dict | None = None,
        work: dict[str, int] | None = None,
    ):
        try:
            needed = [t for t in texts_to_translate(workspace, locale) if t.status != TRANSLATED]
            problems = []
        except LocaleError:  # the command line names the command that starts one
            needed = []
            problems = [
                _(
                    "docgen has no catalogue for this language yet: ask whoever set up docgen "
                    "to start one."
                )
            ]
        except DocgenError as error:
            needed, problems = [], problems_of(error)
        return render_template(
            "translations.html",
            languages=languages,
            work=work or {},
            locale=locale,
            texts=[text for text in needed if text.catalogue == DOCUMENTS],
            others=[text for text in needed if text.catalogue != DOCUMENTS],
            typed=typed or {},
            errors=errors or {},
            problems=problems,
            saved=request.args.get("saved"),
            missing=MISSING,
            languages_named=lambda codes: language_names(codes, page_locale),
            changed=CHANGED,
        )

    def _languages():
        try:
            price_list = load_workspace_prices(workspace, chosen_workbook(workspace, ""))
        except DocgenError:
            return []
        return served_languages(workspace, price_list)

    def _work(languages) -> dict[str, int]:
        """How many texts each served language's documents still need: missing, or to review."""
        try:
            statuses = {status.locale: status for status in catalogue_status(workspace, **FAST)}
        except DocgenError:  # the page itself then says what cannot be read
            return {}
        work = {}
        for code, _name in languages:
            locale = parse_locale(code)
            status = statuses.get(str(locale)) or statuses.get(locale.language)
            if status is not None:
                work[code] = len(status.missing) + len(status.fuzzy)
        return work

    @app.get("/translations")
    def translations():
        languages = _languages()
        codes = [code for code, _name in languages]
        work = _work(languages)
        first_with_work = next((code for code in codes if work.get(code)), None)
        locale = request.args.get("locale") or first_with_work or next(iter(codes), "")
        if locale and locale not in codes:
            abort(404)
        return _page(locale, languages, work=work)

    @app.post("/translations")
    def save_translation():
        languages = _languages()
        locale = request.form.get("locale", "")
        if locale not in [code for code, _name in languages]:
            abort(400)
        rows, typed = [], {}
        for number in range(request_number(request.form.get("count", "0"), MOST_TEXTS)):
            forms = request.form.getlist(f"translation-{number}")
            if any(len(form) > LONGEST_TRANSLATION for form in forms):
                abort(413)
            typed[number] = forms
            if not any(form.strip() for form in forms):
                continue  # left empty: stays missing
            for index, form in enumerate(forms):
                rows.append((number, {
                    "Context": request.form.get(f"context-{number}", ""),
                    "Source text": request.form.get(f"source-{number}", ""),
                    "Source plural": request.form.get(f"plural-{number}", ""),
                    "Plural form": f"{index + 1} of {len(forms)}",
                    "Translation": form.strip(),
                    "Status": TRANSLATED,  # typed or checked here: reviewed
                }))  # fmt: skip
        errors: dict[int, list[str]] = {}

        def report(number: int, _column: str, message: str, _found: str | None = None) -> None:
            errors.setdefault(number, []).append(message)

        if not rows:
            errors[-1] = [_("Type at least one translation, then save.")]
        else:  # on any problem, report() puts it under its text and nothing is written
            try:
                save_translations(workspace, locale, rows, report)
            except BuiltInWorkspaceError:  # the command line names its commands and options
                errors[-1] = [
                    _(
                        "Translations cannot be saved in docgen's built-in workspace, which is "
                        "replaced when docgen is upgraded. Ask whoever set up docgen to start "
                        "the desk in the clinic's own workspace."
                    )
                ]
            except DocgenError as error:  # the catalogue itself cannot be read or compiled
                errors[-1] = [str(problem) for problem in problems_of(error)]
        if errors:
            return _page(locale, languages, typed, errors), 422
        return redirect(url_for("translations", locale=locale, saved=1), 303)
