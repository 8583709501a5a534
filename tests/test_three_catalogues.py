"""What documents print, the desk page's words and docgen's messages are three catalogues: only
the first decides whether a document is made; the others fall back to English."""

from __future__ import annotations

import gettext
import html
import io
import re

import openpyxl
from babel.messages.pofile import read_po, write_po
from conftest import clinic_row, docx_text, set_clinic_locale, set_translations
from test_translation_workbook import consent, rows

from docgen.catalogues import CATALOGUES, catalogue_status, compile_catalogues, po_path
from docgen.i18n import DESK, DOCUMENTS, MESSAGES
from docgen.translation_workbook import export_translations, import_translations
from docgen.web import create_app
from docgen.workspace import Workspace


def read(workspace: Workspace, language: str, domain: str):
    with po_path(workspace, language, domain).open("rb") as handle:
        return read_po(handle, locale=language)


def write(workspace: Workspace, language: str, domain: str, catalog) -> None:
    with po_path(workspace, language, domain).open("wb") as handle:
        write_po(handle, catalog)


def forget(workspace: Workspace, language: str, domain: str, *texts: str) -> None:
    """As if the texts had never been translated into language."""
    set_translations(workspace, language, domain, dict.fromkeys(texts, ""))
    compile_catalogues(workspace)


def test_each_text_is_kept_in_the_catalogue_of_whoever_reads_it(workspace):
    documents, desk, messages = (read(workspace, "de", domain) for domain in CATALOGUES)
    assert documents.get("Consent to mesotherapy treatment") is not None  # a template's
    assert documents.get("Knees") is not None  # the workbook's
    assert desk.get("Batch") is not None and documents.get("Batch") is None
    assert messages.get("the date of birth is in the future") is not None
    assert documents.get("the date of birth is in the future") is None
    # a word a document prints and the desk shows too is translated once, with the documents'
    assert documents.get("Date of birth") is not None and desk.get("Date of birth") is None


def test_untranslated_desk_words_and_messages_never_stop_a_document(workspace, tmp_path, run):
    """German documents are made, `check` and `i18n status` succeed, while the German desk
    shows its untranslated words in English."""
    forget(workspace, "de", DESK, "Batch")
    forget(workspace, "de", MESSAGES, "the date of birth is in the future")

    status = run("--workspace", workspace.root, "i18n", "status")
    assert status.exit_code == 0, status.output
    assert re.search(r"^✓ de: \d+ translated, 0 fuzzy, 0 missing$", status.output, re.M)
    assert re.search(r"^✗ de desk: \d+ translated, 0 fuzzy, 1 missing$", status.output, re.M)
    assert re.search(r"^✗ de messages: \d+ translated, 0 fuzzy, 1 missing$", status.output, re.M)
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 0, checked.output
    made = consent(workspace, tmp_path, "de")
    assert "Einwilligung" in docx_text(made.docx)

    set_clinic_locale(workspace, "de_CH")
    page = create_app(workspace, tmp_path / "out").test_client().get("/").get_data(as_text=True)
    german = read(workspace, "de", DESK)
    assert ">Batch<" in page  # untranslated: in English
    assert html.escape(german.get("Records").string) in page  # the rest in German


def test_an_untranslated_document_text_still_stops_its_documents(workspace, run):
    forget(workspace, "de", DOCUMENTS, "Knees")
    status = run("--workspace", workspace.root, "i18n", "status")
    assert status.exit_code == 1
    assert "✗ de: " in status.output and "missing: Knees" in status.output
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1
    assert "documents in de would be refused: 1 text(s)" in checked.output


def test_update_splits_the_single_catalogue_of_an_earlier_docgen(workspace, run):
    """A workspace made by an earlier docgen keeps every text in docgen.po: update moves each
    translation to the catalogue its text belongs to, reviewed or not as it was."""
    documents = read(workspace, "de", DOCUMENTS)
    for domain in (DESK, MESSAGES):
        for message in read(workspace, "de", domain):
            if message.id:
                documents[message.id] = message
        po_path(workspace, "de", domain).unlink()
        po_path(workspace, "de", domain).with_suffix(".mo").unlink()
    documents["Records"].flags.add("fuzzy")
    write(workspace, "de", DOCUMENTS, documents)
    stapel = documents["Batch"].string

    assert run("--workspace", workspace.root, "i18n", "update").exit_code == 0
    assert run("--workspace", workspace.root, "i18n", "compile").exit_code == 0

    desk, after = read(workspace, "de", DESK), read(workspace, "de", DOCUMENTS)
    assert desk["Batch"].string == stapel and not desk["Batch"].fuzzy
    assert desk["Records"].fuzzy  # still to review
    assert after.get("Batch") is None  # moved, not left behind as unused
    assert not [m for m in after.obsolete.values() if desk.get(m.id, context=m.context)]
    assert read(workspace, "de", MESSAGES)["the date of birth is in the future"].string
    (status,) = [s for s in catalogue_status(workspace, DESK) if s.locale == "de"]
    assert status.missing == [] and status.fuzzy == ["Records"]


def test_the_export_lists_document_texts_and_with_all_the_others_after_them(workspace, tmp_path):
    documents_only = rows(export_translations(workspace, "de", tmp_path / "de.xlsx"))
    sources = {row["Source text"] for row in documents_only}
    assert "Knees" in sources and "Batch" not in sources
    assert "the date of birth is in the future" not in sources
    (status,) = [s for s in catalogue_status(workspace) if s.locale == "de"]
    assert len({(row["Context"], row["Source text"]) for row in documents_only}) == (
        status.translated
    )

    everything = rows(export_translations(workspace, "de", tmp_path / "all.xlsx", everything=True))
    order = [row["Source text"] for row in everything]
    assert order[: len(documents_only)] == [row["Source text"] for row in documents_only]
    assert "Batch" in order and "the date of birth is in the future" in order
    before = [po_path(workspace, "de", domain).read_bytes() for domain in CATALOGUES]
    result = import_translations(workspace, tmp_path / "all.xlsx")  # unchanged: clean
    assert (result.missing, result.changed) == (0, 0)
    after = [po_path(workspace, "de", domain).read_bytes() for domain in CATALOGUES]
    assert list(map(translations, after)) == list(map(translations, before))


def translations(po: bytes) -> dict:
    return {message.id: message.string for message in read_po(io.BytesIO(po)) if message.id}


def test_the_translations_page_puts_document_texts_first_and_the_others_folded(workspace, tmp_path):
    forget(workspace, "de", DOCUMENTS, "Knees")
    forget(workspace, "de", DESK, "Batch")
    client = create_app(workspace, tmp_path / "out").test_client()
    page = client.get("/translations?locale=de").get_data(as_text=True)
    assert page.index('value="Knees"') < page.index('<details id="desk-and-messages">')
    assert page.index('<details id="desk-and-messages">') < page.index('value="Batch"')
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    numbers = {
        source: number
        for number, source in re.findall(r'name="source-(\d+)" value="([^"]+)"', page)
    }
    saved = client.post("/translations", data={
        "csrf_token": token, "locale": "de", "count": "2",
        f"source-{numbers['Knees']}": "Knees", f"translation-{numbers['Knees']}": "Knie",
        f"source-{numbers['Batch']}": "Batch", f"translation-{numbers['Batch']}": "Stapel",
    })  # fmt: skip
    assert saved.status_code == 303
    assert read(workspace, "de", DOCUMENTS)["Knees"].string == "Knie"
    assert read(workspace, "de", DESK)["Batch"].string == "Stapel"
    assert all(status.complete for status in catalogue_status(workspace, DESK))


def test_the_desk_says_where_to_translate_a_refused_documents_texts(geneva, tmp_path):
    """A German form of the Geneva clinic, whose own texts have no German yet, is refused
    naming each text, and the desk leads to its Translations page, never to a command."""
    from test_web import patient_form  # the desk's patient form, as a receptionist fills it

    client = create_app(geneva, tmp_path / "out").test_client()
    refused = client.post("/", data=patient_form(client, locale="de_CH"))
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "'Rajeunissement de la peau' (pricing/geneva.xlsx, Treatments!B2)" in page
    french = read(geneva, "fr", DESK)
    where = french.get(
        "Translate them on the Translations page (in the menu), then make the documents again."
    )
    assert where.string and where.string in page
    assert "docgen i18n" not in page and "LC_MESSAGES" not in page
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_status_succeeds_when_every_language_the_clinic_serves_is_complete(geneva, run):
    """The Geneva clinic serves French: German documents lacking its workbook's texts are
    listed apart and do not fail `i18n status`, until the clinic serves German."""

    def serve(languages: str) -> None:
        path = geneva.pricing_dir / "geneva.xlsx"
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["Clinic"]
        try:
            row = clinic_row(workbook, "Languages")
        except KeyError:
            row = sheet.max_row + 1
        sheet.cell(row, 1, "Languages").offset(0, 1).value = languages
        workbook.save(path)

    serve("fr_CH")
    status = run("--workspace", geneva.root, "i18n", "status")
    assert status.exit_code == 0, status.output
    served, others = status.output.split("Languages the clinic does not serve")
    assert re.search(r"^✓ fr: ", served, re.M) and "de:" not in served
    assert re.search(r"^✗ de: \d+ translated, 0 fuzzy, 6 missing$", others, re.M)

    serve("fr_CH, de_CH")
    status = run("--workspace", geneva.root, "i18n", "status")
    assert status.exit_code == 1
    assert re.search(r"^✗ de: ", status.output.split("does not serve")[0], re.M)


def test_the_desk_never_names_a_command_for_a_language_docgen_lacks(workspace, tmp_path):
    """A clinic serving Swedish, for which the workspace has no catalogue: the Translations
    page and the preview said 'docgen i18n init'; they say it plainly."""
    workbook = openpyxl.load_workbook(workspace.workbook())
    sheet = workbook["Clinic"]
    sheet.cell(sheet.max_row + 1, 1, "Languages").offset(0, 1).value = "en_GB, sv_SE"
    workbook.save(workspace.workbook())
    client = create_app(workspace, tmp_path / "out").test_client()

    page = html.unescape(client.get("/translations?locale=sv_SE").get_data(as_text=True))
    assert (
        "Docgen has no catalogue for this language yet: ask whoever set up docgen to start one."
        in page
    )
    preview = client.get("/preview?treatment=REJUV&area=FACE&locale=ko").get_json()
    assert preview["errors"]["locale"] == ["Docgen has no translation for Korean."]
    for said in (page, str(preview)):
        assert "docgen i18n" not in said and "LC_MESSAGES" not in said


def test_a_desk_word_never_renames_what_documents_print(workspace, tmp_path):
    """A desk.po entry for 'Skin rejuvenation' showed another treatment on the desk than the
    consent form printed: the documents' translation of a text is the desk's too."""
    set_clinic_locale(workspace, "fr_FR")
    desk = read(workspace, "fr", DESK)
    desk.add("Skin rejuvenation", "Épilation laser")
    write(workspace, "fr", DESK, desk)
    compile_catalogues(workspace)
    page = create_app(workspace, tmp_path / "out").test_client().get("/").get_data(as_text=True)
    printed = read(workspace, "fr", DOCUMENTS)["Skin rejuvenation"].string
    assert html.escape(printed) in page and "Épilation laser" not in page


def test_the_translations_page_opens_on_the_first_language_with_work_and_counts_it(
    geneva, tmp_path
):
    """The page opened on the clinic's own French, which needs nothing; each language now
    says how many texts it needs, and the page opens on the first that needs any."""
    path = geneva.pricing_dir / "geneva.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Clinic"]
    sheet.cell(sheet.max_row + 1, 1, "Languages").offset(0, 1).value = "fr_CH, de_CH, it_CH"
    workbook.save(path)
    page = create_app(geneva, tmp_path / "out").test_client().get("/translations")
    page = html.unescape(page.get_data(as_text=True))
    options = dict(re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', page))
    french = read(geneva, "fr", DESK)
    (counted,) = [m for m in french if isinstance(m.id, tuple) and "to translate" in m.id[0]]
    form = gettext.c2py(french.plural_expr)(6)
    six = counted.string[form] % {"num": 6}  # the Geneva workbook's texts, untranslated
    assert options["de_CH"].endswith(six) and options["it_CH"].endswith(six)
    assert "·" not in options["fr_CH"]  # written in French: nothing to translate
    assert re.search(r'<option value="de_CH"[^>]* selected>', page)
    assert 'value="Visage"' in page  # German's texts, shown at once
