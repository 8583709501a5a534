"""The workspace health page: `docgen check` and each language's translation status."""

from __future__ import annotations

from flask import Flask, render_template

from docgen.i18n import language_label
from docgen.pdf import libreoffice_available
from docgen.web.common import problem_row
from docgen.web.state import Desk


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    @app.get("/health")
    def health():
        report, statuses, translation_problems = desk.health()
        rows = [problem_row(problem, desk.gettext) for problem in report.problems]
        return render_template(
            "health.html",
            report=report,
            rows=rows,
            statuses=[(language_label(status.locale), status) for status in statuses],
            translation_problems=translation_problems,
            pdf=libreoffice_available(),
            workspace=workspace.root,
        )
