"""The `docgen` command: parses options, calls the library, prints. Nothing else lives here."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click
from babel import Locale

from docgen import __version__
from docgen.appointments import count_appointments
from docgen.batch import run_batch
from docgen.catalogues import (
    LocaleStatus,
    catalogue_status,
    compile_catalogues,
    init_locale,
    update_catalogues,
    write_catalogue_templates,
)
from docgen.check import check_workspace
from docgen.estimate import Discount
from docgen.exceptions import DocgenError
from docgen.filing import file_scan
from docgen.generate import (
    GeneratedDocument,
    as_folder,
    create_estimate,
    create_patient_documents,
    create_price_sheet,
    create_price_sheets,
    run_demo,
    served_languages,
)
from docgen.i18n import DESK, MESSAGES
from docgen.register import Register, find_records, records_csv
from docgen.signing import create_key, default_key_path, read_key
from docgen.translation_workbook import export_translations, import_translations
from docgen.verify import verify_document
from docgen.visit import PlannedTreatment, Visit
from docgen.workspace import Workspace, init_workspace


class DocgenGroup(click.Group):
    """Turns every DocgenError into a clear message on stderr and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DocgenError as error:
            raise click.ClickException(str(error)) from None


def report(documents: list[GeneratedDocument]) -> None:
    for document in documents:
        click.echo(f"wrote {document.docx}")
        if document.pdf:
            click.echo(f"wrote {document.pdf}")


workspace_option = click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DOCGEN_WORKSPACE",
    help="Workspace folder (templates/, pricing/). Default: the one shipped with docgen.",
)
prices_option = click.option(
    "--prices", metavar="NAME", help="Which workbook in pricing/ (needed when there are several)."
)
locale_option = click.option(
    "--locale", metavar="LOCALE", help="Language and region, e.g. en_GB, fr_FR, de-DE, pt_BR."
)
bilingual_option = click.option(
    "--bilingual", is_flag=True, help="Also print the clinic's language under every text."
)
pdf_option = click.option("--pdf", is_flag=True, help="Also write a PDF (needs LibreOffice).")
output_option = click.option(
    "-o", "--output", type=click.Path(), help="Output .docx file, or folder ending in /."
)
force_option = click.option("--force", is_flag=True, help="Replace documents that already exist.")
date_option = click.option(
    "--date", "issued", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
    help="Issue date; the same inputs and date give a byte-identical document.",
)  # fmt: skip


@click.group(cls=DocgenGroup)
@workspace_option
@click.version_option(__version__, prog_name="docgen")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """Printable patient documents for aesthetic clinics: consent forms, cost estimates and
    price sheets, in the patient's language, from an Excel price list and Word templates."""
    ctx.obj = workspace
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, *_args: object, **_kwargs: object) -> None:
    """A warning as a line of its own, not Python's file and line of code."""
    click.echo(f"Warning: {message}", err=True)


def open_workspace() -> Workspace:
    return Workspace.open(click.get_current_context().find_root().obj)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Copy the built-in templates and sample price list into a new workspace DIRECTORY, and
    create the clinic's signing key if this computer has none."""
    workspace = init_workspace(directory)
    click.echo(f"created workspace {workspace.root}")
    if read_key() is None:
        key = create_key()
        click.echo(
            f"created the clinic's signing key {key}: documents are signed with it, and "
            "'docgen verify' proves with it that docgen made them unchanged. Keep a copy "
            "somewhere safe, never in the workspace or beside the documents."
        )
    click.echo(f"edit {workspace.pricing_dir} and {workspace.templates_dir}, then run:")
    click.echo(f"  docgen --workspace {directory} check")


@main.command()
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), default="docgen-demo",
    show_default=True, help="Folder for the sample documents.",
)  # fmt: skip
@click.option(
    "--pdf/--no-pdf", default=None, help="PDF too (default: when LibreOffice is installed)."
)
@force_option
def demo(output: Path, pdf: bool | None, force: bool) -> None:
    """Generate sample documents from the workspace to see what docgen makes."""
    documents = run_demo(output, workspace=open_workspace(), pdf=pdf, force=force)
    report(documents)
    if pdf is None and not any(d.pdf for d in documents):
        click.echo("(no PDFs: LibreOffice is not installed; the .docx files open in Word)")


@main.command()
def check() -> None:
    """Validate the workspace's workbooks and templates; exit 1 listing every problem."""
    result = check_workspace(open_workspace())
    for item in result.checked:
        click.echo(f"checked {item}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.ok:
        click.echo("✓ workspace is ready: no problems found")
        return
    click.echo(f"✗ {len(result.problems)} problem(s):", err=True)
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


def _options(*options):
    """A decorator applying options in the order they are listed (as --help lists them)."""

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


# Who the consent forms are for, and who is there: `consent` and `visit` take the same.
patient_options = _options(
    click.option("--patient", required=True, help="The patient's full name, exactly as printed."),
    click.option("--dob", metavar="YYYY-MM-DD", help="Date of birth."),
    click.option("--ref", default="", metavar="ID", help="The clinic's patient reference."),
)
appointment_options = _options(
    click.option("--practitioner", default="", metavar="NAME", help="Who treats the patient."),
    click.option("--interpreter", default="", metavar="NAME", help="Interpreter, if present."),
    click.option(
        "--patient-language",
        metavar="LOCALE",
        help="The language the patient reads, when the forms are in another (default: theirs).",
    ),
    click.option("--allow-minor", is_flag=True, help="A patient under 18 (a guardian signs)."),
    click.option(
        "--informed-on",
        metavar="YYYY-MM-DD",
        help="When the practitioner gave the information (default: the forms' date).",
    ),
)


# The options every patient document takes: workbook, language, output and date.
document_options = _options(
    prices_option,
    locale_option,
    bilingual_option,
    pdf_option,
    output_option,
    force_option,
    date_option,
)


discount_options = _options(
    click.option(
        "--discount", metavar="10%|AMOUNT",
        help="Take a percentage or an amount off the estimate's lines, before tax.",
    ),
    click.option(
        "--discount-reason", metavar="TEXT", help="Why, printed beside the discount (needed)."
    ),
    click.option(
        "--consultation", is_flag=True,
        help="The patient has the initial consultation too: a line at the clinic's fee.",
    ),
)  # fmt: skip


@main.command()
@click.option("--patient", required=True, help="The patient's full name, exactly as printed.")
@click.option(
    "--item", "items", required=True, multiple=True, metavar="TREATMENT:AREA[:SESSIONS]",
    help="A line of the plan, e.g. REJUV:FACE or REJUV:FACE:6. Repeat for several lines.",
)  # fmt: skip
@discount_options
@document_options
def estimate(
    patient, items, discount, discount_reason, consultation, prices, locale, bilingual, pdf,
    output, force, issued,
) -> None:  # fmt: skip
    """Write a cost estimate for a patient's treatment plan."""
    document = create_estimate(
        open_workspace(), patient, items, locale=locale, bilingual=bilingual, prices=prices,
        output=output, pdf=pdf, force=force, issued=issued and issued.date(),
        discount=Discount.parse(discount, discount_reason), consultation=consultation,
    )  # fmt: skip
    report([document])


@main.command()
@patient_options
@click.option("--treatment", required=True, metavar="CODE", help="Treatment code, e.g. REJUV.")
@click.option(
    "--area", "areas", required=True, multiple=True, metavar="CODE",
    help="Body area code, e.g. FACE. Repeat for several areas.",
)  # fmt: skip
@click.option(
    "--sessions", type=click.IntRange(min=1), help="Sessions per area (default: a course)."
)
@appointment_options
@click.option(
    "--estimate/--no-estimate", "with_estimate", default=True, show_default=True,
    help="Also write the estimate the form cites; without it, the form cites no quote number.",
)  # fmt: skip
@discount_options
@document_options
def consent(
    patient, dob, ref, treatment, areas, sessions, practitioner, interpreter, patient_language,
    allow_minor, informed_on, with_estimate, discount, discount_reason, consultation, prices,
    locale, bilingual, pdf, output, force, issued,
) -> None:  # fmt: skip
    """Write a consent form for one treatment on one or more body areas."""
    planned = Visit.for_treatment(
        patient, treatment, areas, sessions, date_of_birth=dob, reference=ref,
        practitioner=practitioner, interpreter=interpreter, patient_language=patient_language,
        allow_minor=allow_minor, informed_on=informed_on,
        discount=Discount.parse(discount, discount_reason), consultation=consultation,
    )  # fmt: skip
    documents = create_patient_documents(
        open_workspace(), planned, locale=locale, bilingual=bilingual, prices=prices,
        output=output, pdf=pdf, force=force, issued=issued and issued.date(),
        kinds=("consent", "estimate") if with_estimate else ("consent",),
    )  # fmt: skip
    report(documents)


@main.command()
@patient_options
@click.option(
    "--treatment", "treatments", required=True, multiple=True,
    metavar="TREATMENT:AREA,AREA[:SESSIONS]",
    help="A treatment of the visit with its areas, e.g. REJUV:FACE,NECK or HAIR:SCALP:6. "
    "Repeat for each treatment.",
)  # fmt: skip
@appointment_options
@discount_options
@document_options
def visit(
    patient, dob, ref, treatments, practitioner, interpreter, patient_language, allow_minor,
    informed_on, discount, discount_reason, consultation, prices, locale, bilingual, pdf,
    output, force, issued,
) -> None:  # fmt: skip
    """Write a visit's documents: one estimate, and a consent form per treatment citing it."""
    planned = Visit(
        patient, tuple(PlannedTreatment.parse(spec) for spec in treatments),
        date_of_birth=dob, reference=ref, practitioner=practitioner, interpreter=interpreter,
        patient_language=patient_language, allow_minor=allow_minor, informed_on=informed_on,
        discount=Discount.parse(discount, discount_reason), consultation=consultation,
    )  # fmt: skip
    documents = create_patient_documents(
        open_workspace(), planned, locale=locale, bilingual=bilingual, prices=prices,
        output=as_folder(output), pdf=pdf, force=force, issued=issued and issued.date(),
    )  # fmt: skip
    report(documents)


@main.command("price-sheet")
@prices_option
@locale_option
@click.option(
    "--all-locales",
    is_flag=True,
    help="One sheet per language the clinic serves (its Languages setting), into the -o folder.",
)
@click.option(
    "--all-prices", is_flag=True, help="One sheet per workbook in pricing/, into the -o folder."
)
@pdf_option
@output_option
@force_option
@date_option
def price_sheet(prices, locale, all_locales, all_prices, pdf, output, force, issued) -> None:
    """Write the clinic's price list: every treatment and area, per session and per course."""
    workspace = open_workspace()
    if all_locales or all_prices:
        if locale or (prices and all_prices):
            raise click.UsageError("--all-locales/--all-prices choose the locales and workbooks")
        documents = create_price_sheets(
            workspace, output or ".", all_locales=all_locales, all_prices=all_prices,
            prices=prices, pdf=pdf, force=force, issued=issued and issued.date(),
        )  # fmt: skip
        report(documents)
        return
    document = create_price_sheet(
        workspace, locale=locale, prices=prices, output=output, pdf=pdf, force=force,
        issued=issued and issued.date(),
    )  # fmt: skip
    report([document])


@main.group()
def i18n() -> None:
    """Translations: extract, init, update, compile and status of the gettext catalogues."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Write locales/docgen.pot (what documents print), desk.pot and messages.pot from the
    templates, the workbooks and docgen's own text."""
    for path in write_catalogue_templates(open_workspace()):
        click.echo(f"wrote {path}")


@i18n.command("init")
@click.argument("locale")
def i18n_init(locale: str) -> None:
    """Start a catalogue for a new language, e.g. 'docgen i18n init nl'."""
    for path in init_locale(open_workspace(), locale):
        click.echo(f"wrote {path}")


@i18n.command("update")
def i18n_update() -> None:
    """Merge new and changed text into every language's .po file."""
    for path in update_catalogues(open_workspace()):
        click.echo(f"updated {path}")


@i18n.command("compile")
def i18n_compile() -> None:
    """Compile every .po into the .mo docgen reads (fuzzy entries are left out)."""
    for path in compile_catalogues(open_workspace()):
        click.echo(f"compiled {path}")


@i18n.command("export")
@click.argument("locale")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write (default: translations-LOCALE.xlsx).",
)  # fmt: skip
@click.option(
    "--all", "everything", is_flag=True,
    help="Also the desk page's words and docgen's messages, after the documents' texts.",
)  # fmt: skip
@force_option
def i18n_export(locale: str, output: Path | None, force: bool, everything: bool) -> None:
    """Write LOCALE's texts to a workbook a translator fills in, e.g. 'export de_CH -o de.xlsx':
    the texts its documents print (and with --all the desk's words and docgen's messages)."""
    path = export_translations(
        open_workspace(), locale, output or f"translations-{locale}.xlsx", force, everything
    )
    click.echo(f"wrote {path}: fill in its Translation column, then 'docgen i18n import {path}'")


@i18n.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def i18n_import(workbook: Path) -> None:
    """Bring a translation workbook back into its catalogue, and compile it."""
    result = import_translations(open_workspace(), workbook)
    click.echo(
        f"imported {workbook} into {', '.join(map(str, result.catalogues))}, compiled; texts "
        f"documents print: {result.translated} translated, {result.changed} changed (kept out "
        f"of documents until checked), {result.missing} missing"
    )


@i18n.command("status")
@click.option(
    "--all", "show_all", is_flag=True,
    help="List every missing text, not only 10, the desk's and messages' too.",
)  # fmt: skip
def i18n_status(show_all: bool) -> None:
    """Per language the clinic serves, the texts documents print: translated, fuzzy and
    missing; exit 1 if any is incomplete. Then, apart, the other languages docgen has, and the
    desk's words and docgen's messages, which are optional."""
    workspace = open_workspace()
    served = served_languages(workspace)
    statuses = catalogue_status(workspace)
    needed = [s for s in statuses if Locale.parse(s.locale).language in served]
    for status in needed:
        _echo_status(status, status.locale, show_all or None)
    if others := [status for status in statuses if status not in needed]:
        click.echo("Languages the clinic does not serve (its workbooks' Languages setting):")
        for status in others:
            _echo_status(status, status.locale, show_all)
    click.echo(
        "The desk's words and docgen's messages (optional: untranslated ones show in English):"
    )
    for domain, name in ((DESK, "desk"), (MESSAGES, "messages")):
        for status in catalogue_status(workspace, domain):
            _echo_status(status, f"{status.locale} {name}", show_all)
    if not all(status.complete for status in needed):
        raise SystemExit(1)


def _echo_status(status: LocaleStatus, label: str, details: bool | None) -> None:
    """One catalogue's line; its missing and fuzzy texts: all of them (details), the first 10
    (None), or none (False)."""
    mark = "✓" if status.complete else "✗"
    compiled = "" if status.compiled else ", .mo out of date: run 'docgen i18n compile'"
    click.echo(
        f"{mark} {label}: {status.translated} translated, {len(status.fuzzy)} fuzzy, "
        f"{len(status.missing)} missing{compiled}"
    )
    if details is False:
        return
    for kind, messages in (("missing", status.missing), ("fuzzy", status.fuzzy)):
        shown = messages if details else messages[:10]
        for message in shown:
            click.echo(f"    {kind}: {message}")
        if len(messages) > len(shown):
            click.echo(f"    … and {len(messages) - len(shown)} more (--all lists them)")


@main.command()
@click.argument("appointments", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), default="batch",
    show_default=True, help="Folder for the documents and the manifest.",
)  # fmt: skip
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@prices_option
@pdf_option
@force_option
@date_option
def batch(appointments, output, jobs, prices, pdf, force, issued) -> None:
    """Make the documents of every appointment in APPOINTMENTS (.xlsx or .csv)."""
    workspace = open_workspace()
    with click.progressbar(
        length=count_appointments(appointments), label="appointments",
        hidden=not sys.stdout.isatty(),  # no bar, and no stray label, in logs and pipes
    ) as bar:  # fmt: skip
        result = run_batch(
            workspace, appointments, output, prices=prices, jobs=jobs, pdf=pdf, force=force,
            issued=issued and issued.date(), progress=bar.update,
        )  # fmt: skip
    manifest = result.manifest if result.manifest.exists() else "none (nothing was made)"
    click.echo(
        f"{result.made} document(s) made, {result.skipped} unchanged and skipped, "
        f"{len(result.out_of_date)} out of date, {len(result.pdfs)} PDF(s); manifest: {manifest}"
    )
    if result.out_of_date:
        click.echo(
            f"{len(result.out_of_date)} document(s) out of date, kept as they are until --force "
            "makes them again (each previous version is then kept in superseded/):"
        )
        for stale in result.out_of_date:
            click.echo(f"  row {stale.row}: {stale.reason}")
    if result.failures:
        click.echo(f"✗ {result.failed_rows} row(s) failed:", err=True)
        for failure in result.failures:
            click.echo(f"  row {failure.row}: {failure.reason}", err=True)
        raise SystemExit(1)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True,
    help="Listen on another address to serve other computers; then every request needs the "
    "access token printed at start.",
)  # fmt: skip
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Folder for the documents (as the other commands write them).",
)  # fmt: skip
def serve(port: int, host: str, open_browser: bool, output: Path) -> None:
    """Start the desk page: patient documents, price sheets, batches and workspace health in a
    web browser, on this computer only unless --host is given."""
    from docgen.web.server import serve as run_server  # Flask loads only for this command

    run_server(
        open_workspace(), output, host=host, port=port, open_browser=open_browser,
        announce=lambda line: click.echo(line),
    )  # fmt: skip


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The clinic's signing key (default: the one docgen init created, if any).",
)  # fmt: skip
def verify(files: tuple[Path, ...], key_file: Path | None) -> None:
    """Check that documents are unchanged since docgen generated them; exit 1 if any is not.
    With the clinic's signing key, a document must also carry that key's signature."""
    key = read_key(key_file)
    if key is None:
        click.echo(
            f"no signing key ({default_key_path()}): checking checksums only, which anyone "
            "who changes a document can recompute"
        )
    register = Register.existing(open_workspace())
    results = [verify_document(path, key, register) for path in files]
    for result in results:
        mark = "✓" if result.unchanged else "✗"
        label = f" [{result.document_id}]" if result.document_id else ""
        visit = result.properties.get("docgen.visit", "")
        of_visit = f", of the visit of estimate {visit}" if visit else ""
        click.echo(f"{mark} {result.path}{label}: {result.message}{of_visit}")
    if not all(result.unchanged for result in results):
        raise SystemExit(1)


@main.command("file")
@click.argument("scans", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a signed copy filed before.")
def file_command(scans: tuple[Path, ...], force: bool) -> None:
    """File scans of signed documents (PDF or images) back to their records, by the code on
    each page."""
    workspace = open_workspace()
    problems, signed_before = [], False
    for scan in scans:
        result = file_scan(workspace, scan, force=force)
        for document_id, copy in result.filed.items():
            shown = copy.relative_to(Path.cwd()) if copy.is_relative_to(Path.cwd()) else copy
            click.echo(f"✓ {document_id}: signed copy filed as {shown}")
            if document_id in result.replaced:
                in_force, signed = result.replaced[document_id]
                said = "its signed copy is filed" if signed else "it is not signed yet"
                click.echo(
                    f"  {document_id} was replaced by {in_force}, the version in force: {said}"
                )
        problems += [f"{scan.name}: {problem}" for problem in result.problems]
        signed_before = signed_before or bool(result.signed_before)
    if problems:
        click.echo(f"✗ {len(problems)} problem(s); the documents named were not filed:", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        if signed_before:
            click.echo("docgen file --force replaces a signed copy filed before.", err=True)
        raise SystemExit(1)


@main.command()
@click.option("--patient", default="", help="Part of the patient's name (any case).")
@click.option("--ref", "reference", default="", help="The patient's reference, exactly.")
@click.option(
    "--kind", type=click.Choice(["consent", "treatment_record", "estimate", "price_sheet"])
)
@click.option("--template-version", default="", help="e.g. 2026.2")
@click.option("--price-list-version", default="", help="As printed: e.g. 'london 2026.1'.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD")
@click.option("--csv", "as_csv", is_flag=True, help="Every column, as CSV on standard output.")
def records(
    patient, reference, kind, template_version, price_list_version, since, until, as_csv
) -> None:
    """List the documents docgen issued from this workspace, from its register."""
    found = find_records(
        open_workspace(), patient=patient, reference=reference, kind=kind or "",
        template_version=template_version, price_list_version=price_list_version,
        since=since and since.date(), until=until and until.date(),
    )  # fmt: skip
    if as_csv:
        click.echo(records_csv(found), nl=False)
        return
    rows = [
        (r.id, r.kind, r.written_on.isoformat(), r.patient, r.reference, r.template_version,
         r.price_list_version, r.locale, r.signed_at[:10],
         f"replaced by {r.replaced_by}" if r.replaced_by else "")
        for r in found
    ]  # fmt: skip
    header = (
        "id", "kind", "written", "patient", "ref", "template", "price list", "language", "signed",
        "",
    )  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} document(s)")
