"""The patient documents page (home): the form, the estimate's live preview, making the
consent form and estimate, and downloading what was made. A visit with several treatments is
built here one treatment at a time ('Add this treatment to the visit'): one estimate for all of
them, and a consent form for each."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from babel import Locale
from babel.dates import get_date_format
from flask import Flask, abort, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict

from docgen.documents import TREATMENT_DOCUMENTS
from docgen.estimate import Discount, parse_sessions
from docgen.exceptions import DeskBusyError, DocgenError, OutputError
from docgen.generate import (
    DOCUMENT_KINDS,
    GeneratedDocument,
    check_patient_documents,
    create_patient_documents,
    estimate_preview,
    load_workspace_prices,
)
from docgen.i18n import N_, parse_locale
from docgen.output import make_private_folder, move_into_place
from docgen.pdf import libreoffice_available
from docgen.pricing import PriceList
from docgen.register import Register
from docgen.visit import PlannedTreatment, Visit
from docgen.web.common import (
    _,
    chosen_workbook,
    errors_by_field,
    made_within_limits,
    problems_of,
    request_number,
    sentence,
    served_languages,
)
from docgen.web.state import Desk

ISO_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAKING_PREFIX = ".docgen-making-"  # the folder of a request's documents until all are made
LONGEST_FIELD = 1000  # characters in a field of the patient form; the library's are tighter
FIELDS = ("patient", "dob", "ref", "locale", "treatment", "area", "sessions", "practitioner",
          "interpreter", "informed_on", "discount", "discount_reason", "visit")  # fmt: skip


def register(app: Flask, desk: Desk) -> None:
    workspace = desk.workspace

    dob_order = date_order(parse_locale(app.jinja_env.globals["page_language"].replace("-", "_")))

    def _values(source) -> dict:
        values = _form_values(source, dob_order)
        values["prices"] = chosen_workbook(workspace, values["prices"])
        return values

    def _overlong(source) -> dict[str, list[str]]:
        """An error for each field far longer than anything typed there, found before anything
        reads it: a name, a code or a reference pasted a hundred thousand times over."""
        return {
            name: [_("This is far too long (%(length)s characters).", length=len(value))]
            for name in (*FIELDS, "prices")
            for value in source.getlist(name)
            if len(value) > LONGEST_FIELD
        }

    @app.get("/")
    def home():
        if _overlong(request.args):
            abort(400)
        return _patient_page(_values(request.args), {})

    @app.post("/")
    def make_documents():
        overlong = _overlong(request.form)
        if overlong:  # nothing of it is read, nor shown again
            return _patient_page(_values(MultiDict()), overlong), 422
        values = _values(request.form)
        action = request.form.get("action", "")
        if action.startswith("remove-"):
            removed = request_number(action.removeprefix("remove-"), len(values["visit"]) - 1)
            gone = values["visit"].pop(removed)
            values["visit_change"] = ("removed", gone)
            action = "preview"
        if action not in ("preview", "refresh", "add", *_KINDS_BY_ACTION):
            abort(400)
        if action == "refresh":  # treatment or price list changed with script off
            return _patient_page({**values, "sessions": ""}, {})  # its usual course again
        errors, sessions = _sessions(values)
        for name in DATE_FIELDS:
            if values[f"{name}_errors"]:
                errors[name] = values[f"{name}_errors"]
        if action == "add":
            return _add_to_visit(values, errors, sessions)
        if action == "preview":
            if not values["visit"] and not values["area"]:
                return _patient_page(values, errors)
            preview, preview_errors = _preview(values, sessions)
            return _patient_page(values, {**preview_errors, **errors}, preview=preview)
        treatments = _visit(values)
        if values["area"] or not treatments:  # the treatment still chosen is the visit's last
            errors.update(_choice_errors(values))
            treatments.append(
                PlannedTreatment(values["treatment"], tuple(values["area"]), sessions)
            )
        discount = None
        try:
            discount = Discount.parse(values["discount"], values["discount_reason"])
        except DocgenError as error:
            errors.update(errors_by_field(error))
        visit = Visit(
            values["patient"], tuple(treatments), date_of_birth=values["dob"] or None,
            reference=values["ref"], practitioner=values["practitioner"],
            interpreter=values["interpreter"], allow_minor=values["allow_minor"],
            informed_on=values["informed_on"] or None, discount=discount,
            consultation=values["consultation"],
        )  # fmt: skip
        kinds = _KINDS_BY_ACTION[action]
        checked = dict(kinds=kinds, locale=values["locale"] or None, prices=values["prices"])
        if errors:  # the library's findings too, so that every problem shows at once
            try:
                check_patient_documents(workspace, visit, **checked)
            except DocgenError as error:
                errors = {**errors_by_field(error), **errors}
            return _patient_page(values, errors), 422
        pdf = libreoffice_available()
        # made in a folder of their own, and moved out once all are made: a worker stopped
        # after the first document leaves none behind
        try:
            make_private_folder(desk.output_dir)
            prefix = f"{MAKING_PREFIX}{os.getpid()}-"  # a server killed meanwhile: see app.py
            making = Path(tempfile.mkdtemp(prefix=prefix, dir=desk.output_dir))
        except OSError as error:
            problem = OutputError(f"cannot write in {desk.output_dir}: {error.strerror}")
            return _patient_page(values, errors_by_field(problem)), 422
        try:
            made = made_within_limits(
                create_patient_documents, desk, visit, **checked,
                bilingual=values["bilingual"], output=f"{making}{os.sep}", pdf=pdf,
            )  # fmt: skip
            register = Register.of(workspace)
            documents = [_moved(document, desk.output_dir, register) for document in made]
        except DocgenError as error:
            status = 503 if isinstance(error, DeskBusyError) else 422
            return _patient_page(values, errors_by_field(error)), status
        finally:
            shutil.rmtree(making, ignore_errors=True)
        made_id = desk.add_result(
            {"documents": [_document_links(desk, document) for document in documents], "pdf": pdf}
        )
        return redirect(url_for("documents_made", result_id=made_id), 303)

    @app.get("/made/<result_id>")
    def documents_made(result_id: str):
        """What one request made: Back and reload come here, and never make it again."""
        return render_template(
            "result.html", **desk.result(result_id), output_dir=desk.output_dir.resolve()
        )

    def _add_to_visit(values: dict, errors: dict, sessions: int | None):
        """The chosen treatment and areas become one of the visit's; the choice is cleared
        for the next treatment (back on 'Choose…'), and the estimate shows the whole visit."""
        errors.update(_choice_errors(values))
        if not errors:
            planned = PlannedTreatment(values["treatment"], tuple(values["area"]), sessions)
            preview, errors = _preview({**values, "area": []}, None, [*_visit(values), planned])
            if not errors:
                values = {**values, "treatment": "", "area": [], "sessions": "",
                          "visit": [*values["visit"], _spec(planned)],
                          "visit_change": ("added", _spec(planned))}  # fmt: skip
                return _patient_page(values, {}, preview=preview)
        return _patient_page(values, errors), 422

    @app.get("/preview")
    def preview_json():
        overlong = _overlong(request.args)
        if overlong:
            return jsonify(errors=overlong), 422
        values = _values(request.args)
        errors, sessions = _sessions(values)
        preview, preview_errors = _preview(values, sessions)
        errors = {**preview_errors, **errors}
        if errors:  # shown by the page's script as the page shows them
            said = {
                field: [sentence(message) for message in messages]
                for field, messages in errors.items()
            }
            return jsonify(errors=said), 422
        return jsonify(preview)

    def _preview(
        values: dict, sessions: int | None, visit: list[PlannedTreatment] | None = None
    ) -> tuple[dict | None, dict]:
        visit = _visit(values) if visit is None else visit
        if values["area"] or not visit:
            choice_errors = _choice_errors(values)
            if choice_errors:
                return None, choice_errors
        try:
            preview = estimate_preview(
                workspace, values["treatment"], values["area"], sessions=sessions,
                locale=values["locale"] or None, prices=values["prices"], visit=visit,
                discount=Discount.parse(values["discount"], values["discount_reason"]),
                consultation=values["consultation"],
            )  # fmt: skip
        except DocgenError as error:
            return None, errors_by_field(error)
        return {
            "lines": preview["lines"],
            "total": preview["estimate"]["to_pay"],  # with its cash rounding, as the patient pays
            "totals": preview["totals"],
            "deposit": preview["estimate"]["deposit"],
            "vat_note": preview["estimate"]["vat_note"],
            "notices": preview["notices"],
            "headings": preview["headings"],
            "language": preview["language"],
            "direction": preview["direction"],
        }, {}

    def _patient_page(values: dict, errors: dict, preview: dict | None = None):
        try:
            price_list = load_workspace_prices(workspace, values["prices"])
        except DocgenError as error:
            return render_template("unavailable.html", problems=problems_of(error)), 503
        treatments = _treatment_choices(price_list, desk.gettext)
        # what Add or Remove changed, said where the focus returns: at Treatment
        change, spec = values.get("visit_change") or ("", "")
        named = treatments.get(spec.split(":", 1)[0], {}).get("name", spec)
        visit_note = {
            "added": _("Added to the visit: %(treatment)s.", treatment=named),
            "removed": _("Removed from the visit: %(treatment)s.", treatment=named),
        }.get(change, "")
        in_visit = [
            {"spec": _spec(planned), "treatment": treatments.get(planned.treatment, {}),
             "areas": [desk.gettext(price_list.areas[a].name) if a in price_list.areas else a
                       for a in planned.areas], "sessions": planned.sessions}
            for planned in _visit(values)
        ]  # fmt: skip
        if not values["locale"]:
            values["locale"] = str(parse_locale(price_list.clinic.locale))
        return render_template(
            "patient.html",
            values=values,
            errors=errors,
            general_errors=errors.get("", []),
            treatments=treatments,
            chosen=treatments.get(values["treatment"]),
            practitioners=[p.name for p in price_list.practitioners.values()],
            visit=in_visit,
            languages=served_languages(workspace, price_list),
            workbooks=[path.stem for path in workspace.workbooks()],
            preview=preview,
            pdf=libreoffice_available(),
            visit_note=visit_note,
            script_labels=_script_labels(),
            dob_order=dob_order,
            dob_example=date_example(dob_order),
            informed_example=date_example(dob_order, str(dt.date.today().year)),
        )

    @app.get("/files/<file_id>")
    def download(file_id: str):
        path = desk.file(file_id)
        return send_file(
            path,
            as_attachment=path.suffix != ".pdf",
            download_name=path.name,
            max_age=0,
        )


_KINDS_BY_ACTION = {
    "consent": ("consent",),
    "estimate": ("estimate",),
    "both": DOCUMENT_KINDS,
}


DATE_PARTS = ("day", "month", "year")


def date_order(locale: Locale) -> list[str]:
    """Day, month and year in the order the locale writes a date (CLDR's short date format):
    day first in London and Geneva, month first in New York, year first in Tokyo."""
    pattern = get_date_format("short", locale=locale).pattern
    return sorted(
        DATE_PARTS, key=lambda part: pattern.find({"day": "d", "month": "M"}.get(part, "y"))
    )


def date_example(order: list[str], year: str = "1985") -> str:
    """15 June 1985 in figures, in the clinic's order: '15 6 1985', '6 15 1985'."""
    return " ".join({"day": "15", "month": "6", "year": year}[part] for part in order)


# The dates the page takes in three boxes, and what it says of each typed wrong.
DATE_FIELDS = {
    "dob": {
        "incomplete": N_(
            "The date of birth is not complete: give its day, month and year, or leave it empty."
        ),
        "figures": N_("Write the date of birth in figures, such as %(example)s."),
        "year": N_("Write the year of birth with four figures, such as 1985."),
        "unreal": N_("The date of birth is not a real date: check its day and month."),
    },
    "informed_on": {
        "incomplete": N_(
            "The date the information was given is not complete: give its day, month and "
            "year, or leave it empty for today."
        ),
        "figures": N_("Write the date the information was given in figures, such as %(example)s."),
        "year": N_("Write the year the information was given with four figures."),
        "unreal": N_(
            "The date the information was given is not a real date: check its day and month."
        ),
    },
}


def _typed_date(name: str, parts: dict[str, str], order: list[str]) -> tuple[str, list[str]]:
    """A date typed in three boxes as YYYY-MM-DD ('' for none), or what is wrong with it.
    Whatever the browser's language, a box is a day, a month or a year: never read the wrong
    way round."""
    said = DATE_FIELDS[name]
    typed = [parts[part] for part in DATE_PARTS]
    if not all(typed):
        return "", [_(said["incomplete"])]
    if not all(text.isascii() and text.isdigit() for text in typed):
        return "", [_(said["figures"], example=date_example(order))]
    day, month, year = typed
    if len(year) != 4:
        return "", [_(said["year"])]
    try:
        return dt.date(int(year), int(month), int(day)).isoformat(), []
    except (ValueError, OverflowError):  # 31/02, month 13, a phone number as the day
        return "", [_(said["unreal"])]


def _form_values(source, date_order: list[str]) -> dict:
    values: dict = {
        name: source.get(name, "").strip() for name in FIELDS if name not in ("area", "visit")
    }
    # the page's three boxes; a program may give a date as YYYY-MM-DD, as the command line does
    for name in DATE_FIELDS:
        parts = {
            part: source.get(f"{name}-{part}", "")[:LONGEST_FIELD].strip() for part in DATE_PARTS
        }
        values[f"{name}_errors"] = []
        if any(parts.values()):
            values[name], values[f"{name}_errors"] = _typed_date(name, parts, date_order)
        elif ISO_DATE.fullmatch(values[name]):
            parts = dict(zip(("year", "month", "day"), values[name].split("-"), strict=True))
        values[f"{name}_parts"] = parts
    values["prices"] = source.get("prices", "").strip()
    values["area"] = [a.strip() for a in source.getlist("area") if a.strip()]
    values["visit"] = [spec.strip() for spec in source.getlist("visit") if spec.strip()]
    values["allow_minor"] = source.get("allow_minor") == "yes"
    values["consultation"] = source.get("consultation") == "yes"
    values["bilingual"] = source.get("bilingual") == "yes"
    return values


def _visit(values: dict) -> list[PlannedTreatment]:
    """The treatments already added to the visit, as the page carries them in hidden fields;
    one that is not TREATMENT:AREA,AREA[:SESSIONS] was not written by the page."""
    try:
        return [PlannedTreatment.parse(spec) for spec in values["visit"]]
    except DocgenError:
        abort(400)


def _spec(planned: PlannedTreatment) -> str:
    spec = f"{planned.treatment}:{','.join(planned.areas)}"
    return f"{spec}:{planned.sessions}" if planned.sessions else spec


def _script_labels() -> dict[str, str]:
    """The page's words its script shows, as plain text (textContent, not HTML)."""
    return {
        "empty": _("Choose a treatment and at least one area to see the lines and the total."),
        "no_treatment": _("Choose a treatment to see its body areas."),
        "sessions_hint": _("Leave empty for the usual course."),
    }


def _choice_errors(values: dict) -> dict[str, list[str]]:
    """What the treatment being planned lacks: the treatment itself (the list starts on
    'Choose…'), or any body area."""
    errors = {}
    if not values["treatment"]:
        errors["treatment"] = [_("Choose a treatment.")]
    if not values["area"]:
        errors["area"] = [_("Choose at least one body area.")]
    return errors


def _sessions(values: dict) -> tuple[dict, int | None]:
    text = values["sessions"]
    if not text:
        return {}, None
    sessions = parse_sessions(text)
    if sessions is None:
        return {"sessions": [_("Sessions must be a whole number, such as 4.")]}, None
    return {}, sessions


def _treatment_choices(price_list: PriceList, gettext: Callable[[str], str]) -> dict[str, dict]:
    """Each treatment with its priced areas and session range (and the hint that says it),
    named in the page's language."""
    sessions_hint = gettext("Usually %(min)s to %(max)s. Leave empty for the usual course.")
    return {
        code: {
            "code": code,
            "name": gettext(treatment.name),
            "min": treatment.sessions_min,
            "max": treatment.sessions_max,
            "usual": price_list.usual_sessions(code),
            "sessions_hint": sessions_hint
            % {"min": treatment.sessions_min, "max": treatment.sessions_max},
            "areas": [
                {"code": area.code, "name": gettext(area.name)}
                for area in price_list.areas_priced_for(code)
            ],
        }
        for code, treatment in price_list.treatments.items()
    }


def _moved(document: GeneratedDocument, folder: Path, register: Register) -> GeneratedDocument:
    """The document (and its PDF) moved into folder, under the same name, and the register
    told where it now is."""
    moved = {}
    for kind in ("docx", "pdf"):
        path = getattr(document, kind)
        if path is not None:
            moved[kind] = folder / path.name
            move_into_place(path, moved[kind], force=False)
    register.moved(document.document_id, moved["docx"])
    return replace(document, **moved)


def _document_links(desk: Desk, document: GeneratedDocument) -> dict:
    prefix = document.document_id.split("-", 1)[0]
    kinds = {made.id_prefix: kind for kind, made in TREATMENT_DOCUMENTS.items()}
    kind = kinds.get(prefix, "estimate")
    return {
        "kind": kind,
        "name": document.docx.stem,
        "id": document.document_id,
        "docx": desk.issue(document.docx),
        "pdf": desk.issue(document.pdf) if document.pdf else None,
    }
