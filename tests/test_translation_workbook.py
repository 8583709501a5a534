"""The admin's round trip: `docgen i18n export` writes a language's texts to a workbook, a
translator fills it in (in Excel or LibreOffice), `docgen i18n import` brings it back, and the
next document uses it. Nothing is imported while any cell is wrong."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from conftest import (
    FRENCH,
    GERMAN,
    docx_text,
    long_date,
    money,
    set_clinic_locale,
    set_translations,
)

from docgen.catalogues import (
    CATALOGUES,
    catalogue_status,
    compile_catalogues,
    compiled_catalogue,
    po_path,
    update_catalogues,
)
from docgen.exceptions import LocaleError, UntranslatedError
from docgen.generate import create_consent
from docgen.i18n import DESK, MESSAGES, load_translations
from docgen.translation_workbook import (
    EXAMPLE_AMOUNT,
    EXAMPLE_DAY,
    export_translations,
    import_translations,
)
from docgen.visit import Visit
from docgen.web import create_app
from docgen.workspace import Workspace

COLUMNS = ["Where used", "Context", "Source language", "Source text", "Source plural",
           "Placeholders", "Plural form", "Translation", "Status", "Changed from"]  # fmt: skip
SOURCE, TRANSLATION, STATUS = (COLUMNS.index(c) for c in ("Source text", "Translation", "Status"))


def rows(path: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)["Translations"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) | {"row": n} for n, row in
            enumerate(values[1:], start=2)]  # fmt: skip


def fill(path: Path, translations: dict[str, str], status: str | None = None) -> None:
    """What a translator does in a spreadsheet: type translations in the Translation column."""
    book = openpyxl.load_workbook(path)
    sheet = book["Translations"]
    for row in sheet.iter_rows(min_row=2):
        if row[SOURCE].value in translations:
            row[TRANSLATION].value = translations[row[SOURCE].value]
            row[TRANSLATION].data_type = "s"
            if status:
                row[STATUS].value = status
    book.save(path)


def catalogue_strings(workspace: Workspace, language: str) -> dict:
    with po_path(workspace, language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {(m.context, m.id): (m.string, m.fuzzy) for m in catalog if m.id}


def consent(workspace: Workspace, tmp_path: Path, locale: str):
    return create_consent(
        workspace,
        Visit.for_treatment("Léa Muller", "REJUV", ["FACE", "NECK"]),
        locale=locale,
        output=tmp_path / f"{locale}.docx",
    )


def test_export_lists_what_german_needs_with_where_each_text_is_used(geneva, tmp_path):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    exported = {row["Source text"]: row for row in rows(path)}
    face = exported["Visage"]
    assert face["Where used"] == "pricing/geneva.xlsx, Areas!B2"
    assert face["Source language"] == "French"
    assert face["Status"] == "missing" and not face["Translation"]
    title = exported["Consent to mesotherapy treatment"]
    assert title["Source language"] == "English" and title["Status"] == "translated"
    assert title["Where used"].startswith("templates/consent.docx")
    missing = {row["Source text"] for row in exported.values() if row["Status"] == "missing"}
    assert missing == set(FRENCH.values())


def test_export_shows_each_date_and_amount_placeholder_as_the_language_prints_it(geneva, tmp_path):
    """A translator words a sentence around what fills it in: the Geneva clinic's francs and a
    Swiss German date, not '%(fee)s'."""
    exported = {
        r["Source text"]: r
        for r in rows(export_translations(geneva, "de_CH", tmp_path / "de.xlsx"))
    }
    fee = exported["An initial consultation costs %(fee)s."]["Placeholders"]
    assert fee == f"%(fee)s = {money(EXAMPLE_AMOUNT, 'CHF', 'de_CH')}"
    informed = exported["Information given on %(date)s."]["Placeholders"]
    assert informed == f"%(date)s = {long_date(EXAMPLE_DAY, 'de_CH')}"
    assert not exported["Visage"]["Placeholders"]


def test_an_export_from_before_the_placeholders_column_still_imports(geneva, tmp_path, run):
    """Its cells are named by its own columns' letters."""
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, GERMAN | {"Information given on %(date)s.": "Ohne Platzhalter"})
    book = openpyxl.load_workbook(path)
    book["Translations"].delete_cols(COLUMNS.index("Placeholders") + 1)
    book.save(path)
    row = next(r["row"] for r in rows_of(path) if r[3] == "Information given on %(date)s.")
    result = run("--workspace", geneva.root, "i18n", "import", path)
    assert result.exit_code == 1
    assert f"de.xlsx, Translations!G{row}: translation of" in result.output
    book = openpyxl.load_workbook(path)
    book["Translations"].cell(row, 7).value = "Informiert am %(date)s."  # G: its Translation
    book.save(path)
    assert run("--workspace", geneva.root, "i18n", "import", path).exit_code == 0
    assert "Informiert am" in docx_text(consent(geneva, tmp_path, "de_CH").docx)


def test_a_workbook_whose_language_was_changed_by_hand_is_not_imported(workspace, tmp_path, run):
    """Twenty-seventh probe: a French export whose Language cell was set to de_DE was imported
    into the German catalogue: every German document would have printed French."""
    path = export_translations(workspace, "fr_FR", tmp_path / "fr.xlsx")
    book = openpyxl.load_workbook(path)
    book["About"]["B1"] = "de_DE"
    book.save(path)
    german = (workspace.locales_dir / "de" / "LC_MESSAGES" / "docgen.po").read_bytes()
    result = run("--workspace", workspace.root, "i18n", "import", path)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "fr.xlsx, About!B1: the Language cell says de_DE, whose texts are kept in " in said
    assert "but this workbook was exported from locales/fr/LC_MESSAGES/docgen.po" in said
    assert (workspace.locales_dir / "de" / "LC_MESSAGES" / "docgen.po").read_bytes() == german


def rows_of(path: Path) -> list[dict]:
    """A workbook's rows by position, whatever its columns."""
    values = openpyxl.load_workbook(path)["Translations"].iter_rows(min_row=2, values_only=True)
    return [dict(enumerate(row)) | {"row": n} for n, row in enumerate(values, start=2)]


def test_the_round_trip_makes_the_german_form_and_status_complete(geneva, tmp_path, run):
    result = run("--workspace", geneva.root, "i18n", "export", "de_CH", "-o", tmp_path / "de.xlsx")
    assert result.exit_code == 0, result.output
    fill(tmp_path / "de.xlsx", GERMAN)
    result = run("--workspace", geneva.root, "i18n", "import", tmp_path / "de.xlsx")
    assert result.exit_code == 0, result.output
    assert "0 missing" in result.output and "compiled" in result.output
    text = docx_text(consent(geneva, tmp_path, "de_CH").docx)
    assert "Hautverjüngung" in text and "Gesicht und Hals" in text
    assert {s.locale: s for s in catalogue_status(geneva)}["de"].complete


def test_every_wrong_cell_is_reported_and_nothing_is_written(geneva, tmp_path, run):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    # the second of a plural text's two forms emptied: named by its own cell (H268, not the
    # first form's H267)
    plural = next(r for r in rows(path) if r["Source plural"] and r["Plural form"][:1] == "2")
    fill(path, {"Visage": "Gesicht", "Cou": "Hals"})
    book = openpyxl.load_workbook(path)
    sheet = book["Translations"]
    sheet.cell(plural["row"], TRANSLATION + 1).value = ""
    placeholder = next(
        row for row in rows(path) if "%(" in row["Source text"] and not row["Source plural"]
    )
    sheet.cell(placeholder["row"], TRANSLATION + 1).value = "Ohne Platzhalter"
    sheet.append(["", "", "French", "Épaule", "", "", "", "Schulter", "missing"])
    book.save(path)
    catalogue = po_path(geneva, "de")
    before = catalogue.read_bytes(), catalogue.with_suffix(".mo").read_bytes()

    result = run("--workspace", geneva.root, "i18n", "import", path)

    assert result.exit_code == 1
    assert f"de.xlsx, Translations!H{plural['row']}: " in result.output
    assert "needs every plural form translated, or none; form 2 of 2 is empty" in result.output
    assert f"de.xlsx, Translations!H{placeholder['row']}: translation of" in result.output
    assert "leaves out %(" in result.output
    assert f"de.xlsx, Translations!D{sheet.max_row}: 'Épaule' is not a text" in result.output
    assert "3 problems in the translation workbook" in result.output
    assert (catalogue.read_bytes(), catalogue.with_suffix(".mo").read_bytes()) == before


def test_a_row_left_changed_check_it_stays_off_documents(geneva, tmp_path):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, GERMAN)
    fill(path, {"Visage": "Seite"}, status="changed: check it")
    result = import_translations(geneva, path)
    assert result.changed == 1 and result.missing == 0
    assert catalogue_strings(geneva, "de")[(None, "Visage")] == ("Seite", True)
    with pytest.raises(UntranslatedError) as refused:
        consent(geneva, tmp_path, "de_CH")
    assert list(refused.value.texts) == ["'Visage' (pricing/geneva.xlsx, Areas!B2)"]


def resave_in_libreoffice(path: Path, folder: Path) -> Path:
    """Open and save the workbook in LibreOffice Calc, as a translator using it would."""
    folder.mkdir()
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder), str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return folder / path.name


@pytest.mark.parametrize("language", ["ar", "de"])
def test_a_workbook_saved_by_libreoffice_changes_nothing(workspace, tmp_path, language):
    """Arabic has six plural forms; texts start with '%', hold quotes, '&' and line breaks."""
    before = catalogue_strings(workspace, language)
    path = export_translations(workspace, language, tmp_path / f"{language}.xlsx")
    resaved = resave_in_libreoffice(path, tmp_path / "resaved")
    import_translations(workspace, resaved)
    assert catalogue_strings(workspace, language) == before


def test_text_that_looks_like_a_formula_stays_text_through_libreoffice(geneva, tmp_path):
    typed = {"Visage": "=Gesicht & <Hals>", "Cou": "+Hals \"zweite\" Zeile 'x'"}
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, {**GERMAN, **typed})
    import_translations(geneva, resave_in_libreoffice(path, tmp_path / "resaved"))
    strings = catalogue_strings(geneva, "de")
    assert strings[(None, "Visage")] == (typed["Visage"], False)
    assert strings[(None, "Cou")] == (typed["Cou"], False)


def reword(workspace: Workspace, cell: str, text: str) -> None:
    path = workspace.pricing_dir / "geneva.xlsx"
    book = openpyxl.load_workbook(path)
    sheet, address = cell.split("!")
    book[sheet][address] = text
    book.save(path)


def test_a_text_reworded_in_its_cell_keeps_its_translation_as_changed_check_it(geneva, tmp_path):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, GERMAN)
    import_translations(geneva, path)
    reword(geneva, "Areas!B2", "Visage et front")
    update_catalogues(geneva)

    assert catalogue_strings(geneva, "de")[(None, "Visage et front")] == ("Gesicht", True)
    row = next(r for r in rows(export_translations(geneva, "de_CH", tmp_path / "again.xlsx"))
               if r["Source text"] == "Visage et front")  # fmt: skip
    assert (row["Status"], row["Translation"], row["Changed from"]) == (
        "changed: check it",
        "Gesicht",
        "Visage",
    )
    compile_catalogues(geneva)
    with pytest.raises(UntranslatedError):  # never printed until checked
        consent(geneva, tmp_path, "de_CH")


def test_a_text_moved_or_added_is_not_given_a_guess(geneva, tmp_path):
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, GERMAN)
    import_translations(geneva, path)
    reword(geneva, "Areas!B2", "Cou")  # Visage's cell now holds a text translated elsewhere
    reword(geneva, "Areas!B3", "Tempes")  # Cou's cell: a new text; Cou is still in use
    update_catalogues(geneva)
    strings = catalogue_strings(geneva, "de")
    assert strings[(None, "Tempes")] == ("", False)
    assert strings[(None, "Cou")] == ("Hals", False)


def test_a_template_text_reworded_in_place_is_changed_check_it(workspace):
    document = docx.Document(workspace.templates_dir / "estimate.docx")
    accept = "I have read this estimate and accept the treatment plan and its cost."
    paragraph = next(p for p in document.paragraphs if accept in p.text)
    paragraph.runs[0].text = paragraph.runs[0].text.replace("its cost", "its total cost")
    document.save(workspace.templates_dir / "estimate.docx")
    french = catalogue_strings(workspace, "fr")[(None, accept)][0]
    update_catalogues(workspace)  # the shipped catalogue, made before, knows each text's place
    reworded = accept.replace("its cost", "its total cost")
    assert catalogue_strings(workspace, "fr")[(None, reworded)] == (french, True)


def page_fields(page: str, number: int) -> dict:
    values = dict(re.findall(rf'name="((?:context|source|plural)-{number})" value="([^"]*)"', page))
    return {name: html.unescape(value) for name, value in values.items()}


def test_the_desk_translations_page_lists_missing_texts_and_saves_them(geneva, tmp_path):
    client = create_app(geneva, tmp_path).test_client()
    page = client.get("/translations?locale=de").get_data(as_text=True)
    french = read_po(po_path(geneva, "fr", DESK).open("rb"), locale="fr")
    written = french.get("Written in %(language)s · used in %(where)s").string
    # the page speaks the clinic's language, and names languages in it
    french_name = Locale("fr").get_display_name("fr_CH")
    assert written % {"language": french_name, "where": "pricing/geneva.xlsx, Areas!B2"} in page
    sources = [page_fields(page, n).get(f"source-{n}") for n in range(len(GERMAN))]
    assert sorted(sources) == sorted(GERMAN)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "locale": "de", "count": str(len(sources))}
    for number, source in enumerate(sources):
        form |= page_fields(page, number) | {f"translation-{number}": GERMAN[source]}

    without_token = client.post("/translations", data={k: v for k, v in form.items()
                                                       if k != "csrf_token"})  # fmt: skip
    assert without_token.status_code == 400
    saved = client.post("/translations", data=form)

    assert saved.status_code == 303
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    done = french.get("Every text of these documents is in this language.").string
    assert done in html.unescape(after) and 'name="source-0"' not in after
    text = docx_text(consent(geneva, tmp_path, "de_CH").docx)
    assert "Hautverjüngung" in text and "Gesicht und Hals" in text


def first_text_typed(workspace: Workspace, output: Path, translation: str):
    """The desk, and its German Translations page's form with the first text typed in."""
    client = create_app(workspace, output).test_client()
    page = client.get("/translations?locale=de").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "locale": "de", "count": "1", **page_fields(page, 0),
            "translation-0": translation}  # fmt: skip
    return client, form


def test_the_desk_refuses_a_translation_that_drops_a_placeholder(workspace, tmp_path):
    """The check `i18n import` makes, under the text it is about; nothing is written."""
    german = po_path(workspace, "de")
    with german.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    source = "An initial consultation costs %(fee)s."
    catalog[source].string = ""  # as if never translated
    with german.open("wb") as handle:
        write_po(handle, catalog)
    compile_catalogues(workspace)
    before = german.read_bytes()
    client, form = first_text_typed(workspace, tmp_path, "Die Erstberatung ist kostenpflichtig.")
    assert form["source-0"] == source
    refused = client.post("/translations", data=form)
    assert refused.status_code == 422
    assert "leaves out %(fee)s" in html.unescape(refused.get_data(as_text=True))
    assert german.read_bytes() == before


def test_a_translation_no_document_can_print_is_refused_naming_its_cell(geneva, tmp_path, run):
    """A 200,000-character translation made a 22-page estimate (a workbook cell holds 32,767:
    the import is bounded as the desk page is)."""
    path = export_translations(geneva, "de_CH", tmp_path / "de.xlsx")
    fill(path, {"Visage": "Gesicht" * 4_000, "Cou": "Hals"})
    by_source = {row["Source text"]: row["row"] for row in rows(path)}
    catalogue = po_path(geneva, "de")
    before = catalogue.read_bytes(), catalogue.with_suffix(".mo").read_bytes()
    result = run("--workspace", geneva.root, "i18n", "import", path)
    assert result.exit_code == 1
    assert (
        f"de.xlsx, Translations!H{by_source['Visage']}: translation of 'Visage' is 28000 "
        "characters long; at most 5000"
    ) in result.output
    assert (catalogue.read_bytes(), catalogue.with_suffix(".mo").read_bytes()) == before


def test_the_desk_refuses_a_control_character_in_a_translation(geneva, tmp_path):
    """The desk saved U+0002; every later document and batch ended in an lxml traceback."""
    german = po_path(geneva, "de")
    before = german.read_bytes()
    client, form = first_text_typed(geneva, tmp_path, "Ges\x02icht")
    refused = client.post("/translations", data=form)
    assert refused.status_code == 422
    said = html.unescape(refused.get_data(as_text=True))
    assert f"Translation of {form['source-0']!r} holds the control character U+0002" in said
    assert german.read_bytes() == before
    # said plainly, in the clinic's French: in the title, and in a summary whose problem
    # leads to its box
    with po_path(geneva, "fr", DESK).open("rb") as handle:
        french = read_po(handle, locale="fr")
    title = f"{french.get('Error:').string} {french.get('Translations').string}"
    assert f"<title>{title} · docgen</title>" in said
    nothing_saved = (
        "Nothing was saved. Correct the translations marked below: everything you typed is "
        "still here."
    )
    assert french.get(nothing_saved).string in said
    assert '<li><a href="#translation-0-0">' in said


@pytest.mark.parametrize("language", ["ar", "de", "es", "fr", "it", "pt"])
def test_an_unchanged_export_imports_cleanly_in_every_shipped_language(
    workspace, tmp_path, language
):
    """The plural forms are the catalogue's own (its header's rule), not the installed Babel's:
    with CLDR 45, French, Spanish, Italian and Portuguese gained a third form their catalogues'
    headers do not have, and an untouched export came back 'needs every plural form'."""
    before = catalogue_strings(workspace, language)
    path = export_translations(workspace, language, tmp_path / f"{language}.xlsx")
    plural_rows = [row for row in rows(path) if row["Source plural"]]
    with po_path(workspace, language).open("rb") as handle:
        header_forms = read_po(handle, locale=language).num_plurals
    assert plural_rows and len(plural_rows) % header_forms == 0
    assert {row["Plural form"].split(":")[0] for row in plural_rows} == {
        f"{n} of {header_forms}" for n in range(1, header_forms + 1)
    }
    result = import_translations(workspace, path)
    assert result.missing == 0 and result.changed == 0
    assert catalogue_strings(workspace, language) == before


def test_check_and_compile_find_a_control_character_typed_into_a_catalogue(workspace, run):
    """`check` said ready while a catalogue held U+0002, which ended every French consent in an
    lxml traceback: it names the file and line now, and `i18n compile` refuses the file."""
    french = po_path(workspace, "fr")
    with french.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    message = next(m for m in catalog if m.id == "Consent to mesotherapy treatment")
    message.string = "Consentement\x02 au traitement"
    with french.open("wb") as handle:
        write_po(handle, catalog)
    compiled = french.with_suffix(".mo").read_bytes()
    with french.open("rb") as handle:
        line = next(m for m in read_po(handle, locale="fr") if m.id == message.id).lineno

    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    assert (
        f"locales/fr/LC_MESSAGES/docgen.po, line {line}: translation of "
        "'Consent to mesotherapy treatment' holds the control character U+0002"
    ) in checked.output
    compiling = run("--workspace", workspace.root, "i18n", "compile")
    assert compiling.exit_code == 1
    assert "holds the control character U+0002" in compiling.output
    assert french.with_suffix(".mo").read_bytes() == compiled


def test_each_translation_box_is_named_after_its_text_and_the_health_page_leads_there(
    geneva, tmp_path
):
    """Every box was called just 'Translation'; 'Incomplete' on the health page led nowhere."""
    client = create_app(geneva, tmp_path / "out").test_client()
    page = html.unescape(client.get("/translations", query_string={"locale": "de"}).get_data(
        as_text=True
    ))  # fmt: skip
    boxes = re.findall(r'<textarea id="translation-(\d+)-0"[^>]*aria-labelledby="([^"]+)"', page)
    assert boxes
    for number, names in boxes:
        assert names.split() == [f"label-{number}-0", f"source-{number}"]
    source = re.search(r'<p class="source" id="source-0">(.*?)</p>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", source).split(maxsplit=1)[1]  # its status, then its text
    health = html.unescape(client.get("/health").get_data(as_text=True))
    with po_path(geneva, "fr", DESK).open("rb") as handle:
        incomplete = read_po(handle, locale="fr").get("Incomplete").string
    assert f'<a class="bad" href="/translations">{incomplete}</a>' in health


@pytest.mark.parametrize(
    ("source", "translation", "said"),
    [
        # an override showed "1 041,67 £" as "£ 76,140 1" on a signed estimate
        ("VAT %(rate)s on %(base)s", "TVA %(rate)s sur \u202e%(base)s",
         "holds the control character U+202E"),
        ("Records", "Dossiers\u2067", "holds the control character U+2067"),
        # in a left-to-right language a mark showed "1'041,67 CHF" as "041,67'1 CHF"
        ("VAT %(rate)s on %(base)s", "TVA %(rate)s sur \u200f%(base)s",
         "holds the direction mark U+200F"),
        # a % that no placeholder explains: every desk page failed, documents printed '{}'
        ("Records", "Dossiers 100%", "has a % sign the text it translates does not"),
        ("VAT %(rate)s on %(base)s", "TVA 100 % sur %(base)s %(rate)s",
         "has a % sign the text it translates does not"),
        ("Records", "Dossiers %(x)s", "has %(x)s, which the text it translates does not"),
        # a line of its own among an estimate's totals, beside the tax's amount
        ("In cash", "En espèces\nTotal à payer 0,00 $",
         "breaks a line the text it translates does not: keep it on one line"),
        ("Total", "Total\t0,00 £", "breaks a line the text it translates does not"),
        ("Rounding", "Arrondi\u2028Total 0,00 £", "breaks a line the text it translates does not"),
    ],
)  # fmt: skip
def test_a_translation_that_would_print_otherwise_is_refused_naming_its_cell(
    workspace, tmp_path, run, source, translation, said
):
    path = export_translations(workspace, "fr", tmp_path / "fr.xlsx", everything=True)
    fill(path, {source: translation})
    row = {entry["Source text"]: entry["row"] for entry in rows(path)}[source]
    catalogues = [po_path(workspace, "fr", domain) for domain in CATALOGUES]
    before = [catalogue.read_bytes() for catalogue in catalogues]
    result = run("--workspace", workspace.root, "i18n", "import", path)
    assert result.exit_code == 1
    assert f"fr.xlsx, Translations!H{row}: " in result.output and said in result.output
    assert [catalogue.read_bytes() for catalogue in catalogues] == before


def test_the_desk_shows_a_word_whose_translation_cannot_be_filled_in_in_english(
    workspace, tmp_path
):
    """'Akten 100%' typed into the catalogue by hand made every desk page a 500, the error
    page too: the word is shown in English, and `compile` refuses the catalogue."""
    set_clinic_locale(workspace, "de_CH")
    german = set_translations(workspace, "de", DESK, {"Records": "Akten 100%"})
    with german.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    with german.with_suffix(".mo").open("wb") as handle:  # as msgfmt or an older docgen would
        write_mo(handle, catalog)
    client = create_app(workspace, tmp_path).test_client()
    for page in ("/", "/translations", "/health", "/records"):
        response = client.get(page)
        assert response.status_code == 200, page
        text = response.get_data(as_text=True)
        assert ">Records<" in text and "Akten" not in text
        assert catalog.get("Batch").string in text  # the other words are in German
    with pytest.raises(LocaleError, match="has a % sign the text it translates does not"):
        compiled_catalogue(catalog, german)


def test_the_desk_says_plainly_why_the_built_in_workspace_keeps_no_translation(
    geneva, tmp_path, monkeypatch
):
    """An upgrade replaces the built-in workspace: the desk said so with the command line's
    'docgen init DIR' and '--workspace DIR'."""
    monkeypatch.setattr("docgen.workspace.INSTALLED_WORKSPACE", geneva.root)
    german = po_path(geneva, "de")
    before = german.read_bytes()
    client, form = first_text_typed(geneva, tmp_path, "Hautverjüngung")
    refused = client.post("/translations", data=form)
    assert refused.status_code == 422
    said = html.unescape(refused.get_data(as_text=True))
    assert "docgen init" not in said and "--workspace" not in said
    french = load_translations(geneva.locales_dir, Locale.parse("fr"), (DESK, MESSAGES))
    plainly = french.gettext(
        "Translations cannot be saved in docgen's built-in workspace, which is replaced when "
        "docgen is upgraded. Ask whoever set up docgen to start the desk in the clinic's own "
        "workspace."
    )
    assert plainly.startswith("Les traductions") and plainly in said  # the Geneva desk's French
    assert german.read_bytes() == before


def test_check_finds_a_line_break_typed_into_a_one_line_translation(workspace, run):
    """A catalogue edited by hand: `check` names it before any estimate prints it."""
    set_translations(workspace, "fr", "docgen", {"Rounding": "Arrondi\nTotal 0,00 £"})
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "translation of 'Rounding' breaks a line the text it translates does not" in (
        result.output
    )


def test_a_catalogue_compiled_by_another_tool_is_checked_before_it_prints(workspace, run):
    """Poedit and msgfmt write the .mo as they save, without docgen's checks: a 'Total'
    translated with a line break printed a fake 'Total à payer' line, and check said ready."""
    po = set_translations(workspace, "fr", "docgen", {"Total": "Total\nTotal à payer 0,00 £GB"})
    pybabel = Path(sys.executable).with_name("pybabel")
    compiled = po.with_suffix(".mo")
    subprocess.run(
        [str(pybabel), "compile", "-i", str(po), "-o", str(compiled), "-l", "fr"],
        check=True, capture_output=True,
    )  # fmt: skip
    estimate = run("--workspace", workspace.root, "estimate", "--patient", "Ann Lee",
                   "--item", "REJUV:FACE", "--locale", "fr_FR", "-o", "e.docx")  # fmt: skip
    assert estimate.exit_code == 1 and not Path("e.docx").exists()
    said = "docgen.mo: its translation of 'Total' breaks a line the text it translates does not"
    assert said in estimate.output and "docgen i18n compile" in estimate.output
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    assert f"locales/fr/LC_MESSAGES/{said.split(': ', 1)[0]}" in checked.output


@pytest.mark.parametrize(
    ("message", "translation", "said"),
    [
        # a fixed amount and quote number in place of the estimate's own
        ("An initial consultation costs %(fee)s.", "La consultation coûte 0,00 £GB.",
         "leaves out %(fee)s"),
        ("Total", "Total\u2028TOTAL À PAYER 0,00 £GB", "breaks a line"),
    ],
)  # fmt: skip
def test_a_compiled_catalogue_is_checked_entry_by_entry_as_it_prints(
    workspace, run, message, translation, said
):
    """A .mo made by another tool from a .po later put back: its entries are what prints."""
    po = po_path(workspace, "fr")
    clean = po.read_bytes()
    set_translations(workspace, "fr", "docgen", {message: translation})
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "compile", "-i", str(po), "-o", str(po.with_suffix(".mo")), "-l", "fr"],
        check=True, capture_output=True,
    )  # fmt: skip
    po.write_bytes(clean)
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1 and said in checked.output
    form = run("--workspace", workspace.root, "estimate", "--patient", "Ann Lee",
               "--item", "REJUV:FACE", "--locale", "fr_FR", "-o", "e.docx")  # fmt: skip
    assert form.exit_code == 1 and said in form.output and not Path("e.docx").exists()
