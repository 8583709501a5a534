"""The price sheets page: every served language's sheet of a workbook, as one zip."""

from __future__ import annotations

import datetime as dt
import io
import tempfile

from flask import Flask, render_template, request, send_file

from docgen.exceptions import DocgenError, Problem
from docgen.generate import create_price_sheets, load_workspace_prices
from docgen.pdf import libreoffice_available
from docgen.web.common import (
    _,
    chosen_workbook,
    made_within_limits,
    problems_of,
    served_languages,
    write_zip,
)
from docgen.web.state import Desk


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    @app.route("/price-sheets", methods=["GET", "POST"])
    def price_sheets():
        workbooks = [path.stem for path in workspace.workbooks()]
        workbook = chosen_workbook(workspace, request.form.get("prices", "")) or ""
        chosen_locales = request.form.getlist("locale")
        problems: list[Problem | str] = []
        languages: list[tuple[str, str]] = []
        try:
            price_list = load_workspace_prices(workspace, workbook or None)
            languages = served_languages(workspace, price_list)
        except DocgenError as error:
            problems = problems_of(error)
        if request.method == "POST" and not problems:
            if not chosen_locales:
                problems = [_("Choose at least one language.")]
            else:
                try:
                    return _price_sheets_zip(workbook, chosen_locales)
                except DocgenError as error:
                    problems = problems_of(error)
        return render_template(
            "price_sheets.html",
            workbooks=workbooks,
            chosen_workbook=workbook,
            languages=languages,
            chosen_locales=chosen_locales or [code for code, _name in languages],
            problems=problems,
            pdf=libreoffice_available(),
        ), (422 if problems and request.method == "POST" else 200)

    def _price_sheets_zip(workbook: str, locales: list[str]):
        with tempfile.TemporaryDirectory(prefix="docgen-sheets-") as folder:
            documents = made_within_limits(
                create_price_sheets, desk, folder, prices=workbook, locales=locales,
                pdf=libreoffice_available(),
            )  # fmt: skip
            files = [p for d in documents for p in (d.docx, d.pdf) if p]
            data = io.BytesIO()  # a few sheets: small enough to hold
            write_zip(data, ((path.name, path) for path in files))
            data.seek(0)
        name = f"price-sheets-{workbook}-{dt.date.today():%Y-%m-%d}.zip"
        return send_file(data, as_attachment=True, download_name=name, mimetype="application/zip")
