"""A clinic whose workbook is not in English: a Geneva clinic writing its treatments in French
(fr_CH, CHF). Its own texts are never "translated" into French, every other language needs them
translated, and a document with any text the patient cannot read is refused, naming the text,
where it is written and the catalogue to translate it in."""

from __future__ import annotations

import csv
import gettext as gettext_module
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_percent
from click.testing import CliRunner
from conftest import FRENCH, GERMAN, docx_text, money, pdf_text, set_translations

from docgen.catalogues import catalogue_status, compile_catalogues, po_path, update_catalogues
from docgen.cli import main
from docgen.exceptions import TemplateError, UntranslatedError
from docgen.generate import (
    create_consent,
    create_estimate,
    create_patient_documents,
    create_price_sheet,
    estimate_preview,
)
from docgen.manifest import read_manifest
from docgen.visit import Visit
from docgen.web import create_app
from docgen.workspace import Workspace, init_workspace


def consent(workspace, tmp_path, locale, name="form.docx"):
    return create_consent(
        workspace,
        Visit.for_treatment("Léa Muller", "REJUV", ["FACE", "NECK"]),
        locale=locale,
        output=tmp_path / name,
    )


def test_the_clinics_own_language_needs_no_translation_of_its_own_texts(geneva, tmp_path):
    text = docx_text(consent(geneva, tmp_path, "fr_CH").docx)
    assert "Rajeunissement de la peau" in text and "Visage et Cou" in text
    with po_path(geneva, "fr").open("rb") as handle:
        french = read_po(handle)
    title = french.get("Consent to mesotherapy treatment").string
    assert title and title in text  # the template's English, translated
    assert "Consent to mesotherapy treatment" not in text


def test_another_language_is_refused_naming_each_french_text_and_its_cell(geneva, tmp_path):
    with pytest.raises(UntranslatedError) as refused:
        consent(geneva, tmp_path, "de_CH")
    texts = refused.value.texts
    assert "'Visage' (pricing/geneva.xlsx, Areas!B2)" in texts
    assert "'Rajeunissement de la peau' (pricing/geneva.xlsx, Treatments!B2)" in texts
    assert len(texts) == len(FRENCH)  # the workbook's other texts have German translations
    message = str(refused.value)
    assert "no reviewed German (Switzerland) translation" in message
    assert "locales/de/LC_MESSAGES/docgen.po" in message
    assert list(tmp_path.glob("*.docx")) == []


def test_english_is_a_language_like_any_other_for_a_french_clinic(geneva, tmp_path):
    with pytest.raises(UntranslatedError) as refused:
        consent(geneva, tmp_path, "en_GB")
    assert "'Cou' (pricing/geneva.xlsx, Areas!B3)" in refused.value.texts
    assert "make it with 'docgen i18n init en'" in str(refused.value)


def translate_into_german(workspace: Workspace) -> None:
    """What an admin does: the French texts translated in the German catalogue, compiled."""
    path = po_path(workspace, "de")
    with path.open("rb") as handle:
        german = read_po(handle, locale="de")
    for source, translation in GERMAN.items():
        german[source].string = translation
    with path.open("wb") as handle:
        write_po(handle, german)
    compile_catalogues(workspace)


def test_translated_by_the_admin_the_german_form_has_no_french_left(geneva, tmp_path):
    translate_into_german(geneva)
    text = docx_text(consent(geneva, tmp_path, "de_CH").docx)
    assert "Hautverjüngung" in text and "Gesicht und Hals" in text
    for french in FRENCH.values():
        assert french not in text
    face = Visit.for_treatment("Léa Muller", "REJUV", ["FACE"])
    (estimate,) = create_patient_documents(
        geneva, face, kinds=("estimate",), locale="de_CH", output=f"{tmp_path}/"
    )
    assert money(1250, "CHF", "de_CH") in docx_text(estimate.docx)


def test_status_counts_only_what_each_language_needs(geneva):
    statuses = {status.locale: status for status in catalogue_status(geneva)}
    assert statuses["fr"].complete  # the French texts are not "missing" in French
    assert sorted(statuses["de"].missing) == sorted(FRENCH.values())
    assert not statuses["de"].complete


def test_update_makes_no_guesses_by_similarity(geneva):
    with po_path(geneva, "de").open("rb") as handle:
        german = read_po(handle, locale="de")
    for text in FRENCH.values():
        assert german[text].string == "" and not german[text].fuzzy


def test_a_batch_refuses_the_row_it_cannot_write_in_the_patients_language(geneva, tmp_path):
    appointments = tmp_path / "day.csv"
    with appointments.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [["Patient", "Ref", "Locale", "Treatment", "Areas", "Documents"],
             ["Léa Muller", "G-1", "fr_CH", "REJUV", "FACE, NECK", "consent, estimate"],
             ["Jonas Meier", "G-2", "de_CH", "REJUV", "FACE", "consent"],
             ["Ana Souza", "G-3", "pt", "HAIR", "SCALP", "estimate"]]
        )  # fmt: skip
    result = CliRunner().invoke(
        main,
        ["--workspace", str(geneva.root), "batch", str(appointments), "-o", str(tmp_path / "out"),
         "--jobs", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "row 3" in result.output and "'Visage' (pricing/geneva.xlsx, Areas!B2)" in result.output
    made = {(d.row, d.document) for d in read_manifest(tmp_path / "out")}
    assert made == {(2, "consent"), (2, "treatment_record"), (2, "estimate"), (4, "estimate")}


def served(edit_workbook, workspace, languages: str) -> None:
    """The sample clinic with a Languages setting."""
    edited = edit_workbook({"Clinic!A30": "Languages", "Clinic!B30": languages})
    shutil.copy(edited, workspace.workbook())


def test_the_languages_a_clinic_serves_are_the_ones_it_gets(workspace, edit_workbook, tmp_path):
    served(edit_workbook, workspace, "en_GB, fr_CH, de_CH")
    result = CliRunner().invoke(
        main,
        ["--workspace", str(workspace.root), "price-sheet", "--all-locales", "-o",
         str(tmp_path / "sheets")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in (tmp_path / "sheets").iterdir())
    assert names == [f"price-sheet-london-{code}.docx" for code in ("de_CH", "en_GB", "fr_CH")]
    swiss = docx_text(tmp_path / "sheets" / "price-sheet-london-de_CH.docx")
    assert money(1250, "GBP", "de_CH") in swiss

    page = create_app(workspace, tmp_path).test_client().get("/").get_data(as_text=True)
    select = re.search(r'<select id="locale".*?</select>', page, re.DOTALL).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == ["en_GB", "fr_CH", "de_CH"]


def test_a_wrong_language_setting_names_its_cell(workspace, edit_workbook, tmp_path):
    served(edit_workbook, workspace, "fr_CH, german")
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "check"])
    assert result.exit_code == 1
    assert "Clinic!B30" in result.output
    assert "a list of locales such as fr_CH, de_CH, en_GB (not 'german')" in result.output


def test_a_batch_row_names_a_patient_language_that_is_no_language(tmp_path):
    appointments = tmp_path / "day.csv"
    with appointments.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [["Patient", "Treatment", "Areas", "Patient language", "Documents"],
             ["Jan Kowalski", "REJUV", "FACE", "pl", "consent"],
             ["Ana Souza", "REJUV", "FACE", "portuguese", "consent"]]
        )  # fmt: skip
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(appointments), "-o", str(out)])
    assert result.exit_code == 1
    assert "cell D3: patient language 'portuguese' is not a language code" in result.output
    made, record = sorted(read_manifest(out), key=lambda d: d.document)
    assert (made.document, record.document) == ("consent", "treatment_record")
    assert made.patient == record.patient == "Jan Kowalski"
    text = docx_text(out / made.path)
    assert "Polish" in text and "into Polish" in text  # the interpreter translates it


def test_a_swiss_estimate_and_form_show_what_cash_pays_and_agree(geneva, tmp_path):
    """Only cash is paid to 5 centimes: the estimate and the form state the exact total, and
    what cash pays on a line of its own."""
    path = geneva.workbook()
    workbook = openpyxl.load_workbook(path)
    workbook["Clinic"]["B9"], workbook["Clinic"]["B11"] = 8.1, "no"  # VAT 8.1 % on top
    workbook.save(path)
    form, record, estimate = create_patient_documents(
        geneva,
        Visit.for_treatment("Léa Muller", "REJUV", ["FACE", "NECK"]),
        locale="fr_CH",
        output=f"{tmp_path}/",
    )
    # 2,168.00 + 8.1 % VAT (175.61) = 2,343.61, paid in cash as 2,343.60
    total, in_cash = (money(a, "CHF", "fr_CH") for a in ("2343.61", "2343.60"))
    rows = {row.cells[0].text: row.cells[-1].text for t in docx.Document(estimate.docx).tables
            for row in t.rows}  # fmt: skip
    with po_path(geneva, "fr").open("rb") as handle:
        french = read_po(handle)
    _ = lambda message: french.get(message).string  # noqa: E731
    assert rows[_("Total")] == total and rows[_("In cash")] == in_cash
    assert _("Cash rounding") not in rows and _("Total to pay") not in rows
    deposit = _("Deposit due when booking (%(percent)s)") % {
        "percent": format_percent(Decimal("0.2"), locale="fr_CH")
    }
    assert rows[deposit] == money("468.72", "CHF", "fr_CH")  # 20 % of 2,343.61
    form_text = docx_text(form.docx)
    assert total in form_text and in_cash in form_text
    assert record.estimate_number == estimate.document_id in docx_text(record.docx)
    preview = estimate_preview(geneva, "REJUV", ["FACE", "NECK"], locale="fr_CH")
    assert preview["estimate"]["to_pay"] == total
    # the desk's preview prints the estimate's totals rows, so it adds up as the paper does
    (totals,) = [t for t in docx.Document(estimate.docx).tables
                 if t.rows[0].cells[0].text == _("Subtotal excluding VAT")]  # fmt: skip
    printed = [(row.cells[0].text, row.cells[-1].text) for row in totals.rows]
    desk = create_app(geneva, tmp_path).test_client()
    shown = desk.get("/preview?treatment=REJUV&area=FACE&area=NECK&locale=fr_CH").get_json()
    # subtotal, VAT 8.1 %, total, in cash; then the deposit rows
    assert [(row["label"], row["amount"]) for row in shown["totals"]] == printed[:4]
    assert shown["totals"][-1]["amount"] == in_cash


def test_an_area_typed_as_the_clinic_names_it_is_suggested_by_its_code(geneva):
    path = geneva.workbook()
    workbook = openpyxl.load_workbook(path)
    areas = workbook["Areas"]
    (knees,) = [row for row in areas.iter_rows(min_row=2) if row[0].value == "KNEES"]
    knees[1].value = "Genou"
    workbook.save(path)
    result = CliRunner().invoke(
        main, ["--workspace", str(geneva.root), "estimate", "--patient", "A", "--item",
               "PAINR:GENOU"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unknown area 'GENOU' (did you mean KNEES, Genou?)" in result.output


def test_an_area_typed_as_the_patient_names_it_is_suggested_by_its_code(workspace, tmp_path):
    """A German patient's admin types 'KNIE': the patient's language's name is matched too."""
    with po_path(workspace, "de").open("rb") as handle:
        knees = read_po(handle, locale="de").get("Knees").string
    typed = knees.upper()
    runner = CliRunner()
    estimate = runner.invoke(
        main, ["--workspace", str(workspace.root), "estimate", "--patient", "A", "--locale",
               "de_CH", "--item", f"PAINR:{typed}", "-o", str(tmp_path / "e.docx")],
    )  # fmt: skip
    assert estimate.exit_code == 1
    assert f"unknown area '{typed}' (did you mean KNEES, {knees}?)" in estimate.output
    consent = runner.invoke(
        main, ["--workspace", str(workspace.root), "consent", "--patient", "A", "--locale",
               "de_CH", "--treatment", "PAINR", "--area", typed, "-o", str(tmp_path / "c.docx")],
    )  # fmt: skip
    assert f"(did you mean KNEES, {knees}?)" in consent.output
    appointments = tmp_path / "day.csv"
    appointments.write_text(
        f"Patient,Locale,Treatment,Areas,Documents\nJonas Meier,de_CH,PAINR,{typed},estimate\n",
        encoding="utf-8",
    )
    batch = runner.invoke(
        main, ["--workspace", str(workspace.root), "batch", str(appointments), "-o",
               str(tmp_path / "out"), "--jobs", "1"],
    )  # fmt: skip
    assert "row 2" in batch.output and f"(did you mean KNEES, {knees}?)" in batch.output
    assert not list(tmp_path.glob("*.docx"))


def test_check_names_each_served_language_whose_documents_would_be_refused(geneva):
    path = geneva.workbook()
    workbook = openpyxl.load_workbook(path)
    workbook["Clinic"]["A30"], workbook["Clinic"]["B30"] = "Languages", "fr_CH, de_CH"
    workbook.save(path)
    result = CliRunner().invoke(main, ["--workspace", str(geneva.root), "check"])
    assert result.exit_code == 1
    assert (
        "pricing/geneva.xlsx: documents in de_CH would be refused: 6 text(s) have no reviewed "
        "translation ('Acide hyaluronique" in result.output
    )
    assert "'Cou'" in result.output and "and 3 more" in result.output
    assert "documents in fr_CH" not in result.output  # the clinic's own language needs none
    translate_into_german(geneva)
    result = CliRunner().invoke(main, ["--workspace", str(geneva.root), "check"])
    assert result.exit_code == 0, result.output


def rewrite_consent_title_in_french(workspace: Workspace, language: str = "fr-CH") -> str:
    """What a Geneva clinic does in Word: the title rewritten in French, and the template's
    Language property (File › Properties) saying so."""
    path = workspace.templates_dir / "consent.docx"
    document = docx.Document(str(path))
    title = "Consentement au traitement par mésothérapie"
    paragraph = next(p for p in document.paragraphs
                     if "_('Consent to mesotherapy treatment')" in p.text)  # fmt: skip
    for run in paragraph.runs:
        run.text = run.text.replace("Consent to mesotherapy treatment", title)
    document.core_properties.language = language
    document.save(str(path))
    return title


def test_a_template_written_in_french_is_french_texts_for_every_language(geneva, tmp_path, run):
    translate_into_german(geneva)
    title = rewrite_consent_title_in_french(geneva)
    update_catalogues(geneva)
    compile_catalogues(geneva)

    # French documents print the clinic's own words; the French catalogue does not need them
    assert title in docx_text(consent(geneva, tmp_path, "fr_CH", "fr.docx").docx)
    statuses = {status.locale: status for status in catalogue_status(geneva)}
    # rewritten in place: German keeps the old title's translation, to be checked
    assert statuses["fr"].complete and statuses["de"].fuzzy == [title]
    # German needs it translated, and says where it is written
    with pytest.raises(UntranslatedError) as refused:
        consent(geneva, tmp_path, "de_CH", "de.docx")
    assert list(refused.value.texts) == [f"{title!r} (templates/consent.docx)"]
    check = run("--workspace", geneva.root, "check")
    assert check.exit_code == 1 and title in check.output

    exported = tmp_path / "de.xlsx"
    run("--workspace", geneva.root, "i18n", "export", "de_CH", "-o", exported)
    book = openpyxl.load_workbook(exported)
    (row,) = [r for r in book["Translations"].iter_rows(min_row=2) if r[3].value == title]
    assert row[2].value == "French" and row[0].value.startswith("templates/consent.docx")
    assert (row[8].value, row[9].value) == ("changed: check it", "Consent to mesotherapy treatment")
    row[7].value, row[8].value = "Einwilligung in eine Mesotherapie-Behandlung", "translated"
    book.save(exported)
    assert run("--workspace", geneva.root, "i18n", "import", exported).exit_code == 0
    german = docx_text(consent(geneva, tmp_path, "de_CH", "de.docx").docx)
    assert "Einwilligung in eine Mesotherapie-Behandlung" in german and title not in german

    # English is a language like any other: no English catalogue, no English form
    with pytest.raises(UntranslatedError, match="docgen i18n init en"):
        consent(geneva, tmp_path, "en_GB", "en.docx")


def test_a_template_language_that_names_no_language_is_refused_clearly(workspace, tmp_path):
    rewrite_consent_title_in_french(workspace, language="français")
    with pytest.raises(TemplateError, match="Language property 'français' names no language"):
        create_consent(
            workspace, Visit.for_treatment("A", "REJUV", ["FACE"]), output=tmp_path / "c.docx"
        )


def test_a_french_and_an_english_workbook_in_one_workspace_each_keep_their_language(
    geneva, tmp_path
):
    """geneva.xlsx in French beside london.xlsx in English: each workbook's texts have their
    own source language, in the same catalogues."""
    london = init_workspace(tmp_path / "sample").pricing_dir / "london.xlsx"
    shutil.copy(london, geneva.pricing_dir / "london.xlsx")
    update_catalogues(geneva)
    compile_catalogues(geneva)

    def form(prices: str, locale: str):
        return create_consent(
            geneva,
            Visit.for_treatment("Léa Muller", "REJUV", ["FACE"]),
            locale=locale,
            prices=prices,
            output=tmp_path / f"{prices}-{locale}.docx",
        )

    assert "Rajeunissement de la peau" in docx_text(form("geneva", "fr_CH").docx)
    assert "Skin rejuvenation" in docx_text(form("london", "en_GB").docx)
    with po_path(geneva, "de").open("rb") as handle:
        german = read_po(handle, locale="de")
    assert german.get("Skin rejuvenation").string in docx_text(form("london", "de_CH").docx)
    with pytest.raises(UntranslatedError) as refused:
        form("geneva", "de_CH")
    assert "'Visage' (pricing/geneva.xlsx, Areas!B2)" in refused.value.texts
    with pytest.raises(UntranslatedError):  # English needs the French texts translated
        form("geneva", "en_GB")


def test_check_warns_of_a_served_language_libreoffice_cannot_hyphenate(
    workspace, tmp_path, run, monkeypatch
):
    """Polish and Ukrainian documents were made without hyphenation, silently: `check` names
    each served language with no patterns on the machine, and still says the workspace is
    ready (its documents are made, long words wrapped whole)."""
    workbook = openpyxl.load_workbook(workspace.workbook())
    sheet = workbook["Clinic"]
    sheet.cell(sheet.max_row + 1, 1, "Languages")
    sheet.cell(sheet.max_row, 2, "en_GB, pl_PL, uk_UA, ar, zh_CN")
    workbook.save(workspace.workbook())
    patterns = tmp_path / "hyphen"
    patterns.mkdir()
    for name in ("hyph_en_GB.dic", "hyph_uk_UA.dic"):
        shutil.copy(Path("/usr/share/hyphen") / name, patterns / name)
    monkeypatch.setattr("docgen.check.HYPHENATION_FOLDERS", (patterns,))
    monkeypatch.setenv("DOCGEN_SOFFICE", str(tmp_path / "nowhere"))  # no bundled dictionaries

    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 0, result.output
    assert "✓ workspace is ready" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: documents in Polish (pl) are not hyphenated: LibreOffice finds no "
        "hyphenation patterns for it on this machine; install them (Debian and Ubuntu: the "
        "package hyphen-pl, where there is one)"
    ]  # Arabic and Chinese are not hyphenated; English and Ukrainian have their patterns


@pytest.mark.parametrize(
    ("clinic", "locale", "punctuation"),
    [("geneva", "fr_CH", "\u00a0: "), ("workspace", "ja_JP", "："), ("workspace", "de_DE", ": ")],
)
def test_a_price_and_its_label_are_punctuated_as_the_language_writes_them(
    request, tmp_path, clinic, locale, punctuation
):
    """'6 séances: 1 494,62 $' had English punctuation in every language; French sets a
    no-break space before the colon, Japanese a full-width colon: '6回：￥61,111'."""
    workspace = request.getfixturevalue(clinic)
    sheet = create_price_sheet(workspace, locale=locale, output=tmp_path / "sheet.docx")
    courses = [
        row.cells[2].text
        for table in docx.Document(str(sheet.docx)).tables
        for row in table.rows[1:]
        if len(row.cells) > 2 and row.cells[2].text != "—"
    ]
    assert courses and all(punctuation in course for course in courses), courses
    if punctuation == ": ":
        assert all("\u00a0:" not in course and "：" not in course for course in courses)


# The Geneva clinic's French texts, as its Polish and Japanese translators wrote them
POLISH = {
    "Rajeunissement de la peau": "Odmładzanie skóry",
    "Micro-injections qui hydratent la peau et lui rendent son éclat.": (
        "Mikroiniekcje, które nawilżają skórę i przywracają jej blask."
    ),
    "Acide hyaluronique non réticulé, vitamines et acides aminés": (
        "Nieusieciowany kwas hialuronowy, witaminy i aminokwasy"
    ),
    "Soins à base de rétinol, peelings, ou aucun traitement": (
        "Pielęgnacja z retinolem, peelingi lub brak leczenia"
    ),
    "Visage": "Twarz",
    "Cou": "Szyja",
}
JAPANESE = {
    "Rajeunissement de la peau": "肌の若返り",
    "Micro-injections qui hydratent la peau et lui rendent son éclat.": (
        "肌を保湿し、輝きを取り戻すマイクロ注入です。"
    ),
    "Acide hyaluronique non réticulé, vitamines et acides aminés": (
        "非架橋ヒアルロン酸、ビタミン、アミノ酸"
    ),
    "Soins à base de rétinol, peelings, ou aucun traitement": (
        "レチノールによるケア、ピーリング、または治療を行わないこと"
    ),
    "Visage": "顔",
    "Cou": "首",
}


def test_a_geneva_clinic_serves_polish_and_japanese_patients(geneva, tmp_path):
    """A clinic writing in French serves a language of three plural forms and an East Asian
    one: it translates only its own texts; each estimate counts sessions by its language's
    rule, and the Japanese one prints in its own font."""
    workbook = openpyxl.load_workbook(geneva.workbook())
    sheet = workbook["Clinic"]
    sheet.cell(sheet.max_row + 1, 1, "Languages").offset(0, 1).value = "fr_CH, pl_PL, ja_JP"
    workbook.save(geneva.workbook())
    update_catalogues(geneva)
    for language, strings in (("pl", POLISH), ("ja", JAPANESE)):
        set_translations(geneva, language, "docgen", strings)
    compile_catalogues(geneva)
    for locale, strings in (("pl_PL", POLISH), ("ja_JP", JAPANESE)):
        with po_path(geneva, locale[:2]).open("rb") as handle:
            catalogue = read_po(handle, locale=locale[:2])
        form_of = gettext_module.c2py(catalogue.plural_expr)  # the catalogue's own rule
        sessions = catalogue.get("%(count)s session").string
        document = create_estimate(
            geneva, "Zofia Wiśniewska", ["REJUV:FACE:5", "REJUV:NECK:3"], locale=locale,
            output=tmp_path / f"{locale}.docx", pdf=True,
        )  # fmt: skip
        printed = " ".join(pdf_text(document.pdf).split())
        for text in ("Rajeunissement de la peau", "Visage", "Cou"):
            assert strings[text] in printed, (locale, text)
        assert "Rajeunissement" not in printed and "Visage" not in printed
        for count in (5, 3):  # '5 sesji', '3 sesje': two forms of Polish's three
            form = create_consent(
                geneva, Visit.for_treatment("Zofia Wiśniewska", "REJUV", ["FACE"], count),
                locale=locale, output=tmp_path / f"{locale}-{count}.docx",
            )  # fmt: skip
            counted = sessions[form_of(count)] % {"count": count}
            assert counted in docx_text(form.docx), (locale, count)
        fonts = subprocess.run(
            ["pdffonts", str(document.pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert ("NotoSansCJK" in fonts) == (locale == "ja_JP")
    assert {form_of(5), form_of(3)} == {0}  # Japanese has one form
