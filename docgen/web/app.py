"""The desk's application factory: its configuration, the page's language, and its pages."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from babel import Locale
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup, escape

from docgen import __version__
from docgen.batch import BATCH_LOCK, clear_killed_batch
from docgen.exceptions import DocgenError
from docgen.generate import load_workspace_prices
from docgen.i18n import (
    DESK,
    DOCUMENTS,
    MESSAGES,
    html_language,
    load_translations,
    parse_locale,
)
from docgen.limits import MAX_APPOINTMENTS_BYTES, placeholder_problem
from docgen.pdf import PROFILE_PREFIX
from docgen.pricing import read_clinic_locale
from docgen.processes import remove_orphaned_work
from docgen.register import Register
from docgen.web import batch, health, patient, price_sheets, records, security, translations
from docgen.web.batch import BATCH_PREFIX, UPLOAD_PREFIX
from docgen.web.common import sentence
from docgen.web.patient import MAKING_PREFIX
from docgen.web.state import Desk
from docgen.workspace import Workspace


def create_app(
    workspace: Workspace | None = None,
    output_dir: str | Path = ".",
    *,
    token: str | None = None,
) -> Flask:
    """The desk web application. output_dir: where documents are written, as the CLI writes
    them there. token: when set, every request must carry it (serving beyond this computer)."""
    workspace = workspace or Workspace.open()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=MAX_APPOINTMENTS_BYTES + 1_000_000,
        WTF_CSRF_TIME_LIMIT=None,  # a form may stay open all day at the desk
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    # Absolute: Flask would look for a relative path to send inside the installed package.
    desk = Desk(workspace, Path(output_dir).resolve(), token)
    _remove_what_killed_desks_left(desk.output_dir)
    Register.of(workspace).connection()  # made once, before requests write to it at once
    app.extensions["docgen"] = desk
    desk.gettext = _install_page_language(app, workspace)
    app.jinja_env.filters["sentence"] = sentence  # each message shown, with its capital letter
    for page in (security, patient, price_sheets, batch, records, health, translations):
        page.register(app, desk)
    # after the routes' own checks: a request without the access token is told it needs the
    # link (403), not that its form is stale (400)
    CSRFProtect(app)
    return app


def _remove_what_killed_desks_left(output_dir: Path) -> None:
    """A desk killed (kill -9, a power cut) leaves patients' details behind: uploads, a
    visit's documents half made, and of a batch, links to its documents, their PDFs, its
    manifest half written, LibreOffice's profiles. Those of desks and batches still running
    stay."""
    for prefix in (UPLOAD_PREFIX, PROFILE_PREFIX):
        remove_orphaned_work(Path(tempfile.gettempdir()), prefix)
    remove_orphaned_work(output_dir, MAKING_PREFIX)
    for lock in output_dir.glob(f"{BATCH_PREFIX}*/{BATCH_LOCK}"):
        if not lock.parent.is_symlink():
            clear_killed_batch(lock.parent)


def _clinic_locale(workspace: Workspace) -> Locale:
    """The locale of the clinic's (first) workbook. When the workbook has wrong cells, the
    health page lists them in the language its Clinic sheet names, if that can be read."""
    workbooks = workspace.workbooks()
    if not workbooks:
        return Locale("en")
    try:
        code = load_workspace_prices(workspace, workbooks[0].stem).clinic.locale
    except DocgenError:
        code = read_clinic_locale(workbooks[0]) or "en"
    try:
        return parse_locale(code)
    except DocgenError:
        return Locale("en")


def _install_page_language(app: Flask, workspace: Workspace) -> Callable[[str], str]:
    """The page's own words and docgen's messages in the clinic's language, from their own
    catalogues and the documents' (a word they share is translated once); English where a
    text has no translation yet."""
    clinic_locale = _clinic_locale(workspace)
    domains = (DOCUMENTS, DESK, MESSAGES)  # a desk.po entry never renames what documents print
    translations = load_translations(workspace.locales_dir, clinic_locale, domains)
    app.jinja_env.add_extension("jinja2.ext.i18n")

    # Jinja marks what gettext returns as safe HTML: a translation is text, escaped here like
    # any other value (markup a page needs lives in its template, never in a translation)
    # and every word is filled in (newstyle): one that cannot be is shown in English, never
    # a page that fails for a '%' in a translation
    def page_text(message: str) -> Markup:
        translated = translations.gettext(message)
        return escape(message if placeholder_problem(message, translated) else translated)

    def page_plural(singular: str, plural: str, n: int) -> Markup:
        translated = translations.ngettext(singular, plural, n)
        source = singular if n == 1 else plural
        usable = not placeholder_problem(source, translated, plural=True)
        return escape(translated if usable else source)

    app.jinja_env.install_gettext_callables(page_text, page_plural, newstyle=True)
    app.jinja_env.globals.update(
        page_language=html_language(clinic_locale),
        page_direction=clinic_locale.text_direction,
        version=__version__,
    )
    return translations.gettext
