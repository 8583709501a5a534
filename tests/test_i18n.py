"""Documents in the patient's language: real catalogues compiled from the shipped .po files, the
real `pybabel` command, locale formatting by Babel, right-to-left Arabic."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import babel
import docx
import pyphen
import pytest
from babel import Locale
from babel.core import get_global
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_currency
from click.testing import CliRunner
from conftest import (
    docx_paragraphs,
    docx_text,
    finished_within,
    long_date,
    money,
    pdf_text,
    unbroken,
)
from docx.oxml.ns import qn

from docgen.catalogues import catalogue_status, compile_catalogues, po_path, update_catalogues
from docgen.check import check_workspace
from docgen.cli import main
from docgen.estimate import Discount
from docgen.exceptions import CatalogueFileError, LocaleError, UntranslatedError
from docgen.generate import (
    create_consent,
    create_estimate,
    create_patient_documents,
    create_price_sheet,
    create_price_sheets,
)
from docgen.i18n import catalogue_locales
from docgen.visit import Visit
from docgen.workspace import Workspace

REPOSITORY = Path(__file__).resolve().parent.parent
SHIPPED = ["ar", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ro", "ru", "tr", "uk", "zh"]
ISSUED = dt.date(2026, 3, 2)
PLAN = ("REJUV:FACE", "HAIR:SCALP:8", "PAINR:KNEES:5")


def catalogue(workspace: Workspace, language: str):
    with po_path(workspace, language).open("rb") as handle:
        return read_po(handle, locale=language)


def translated(workspace: Workspace, language: str, message: str, context=None) -> str:
    found = catalogue(workspace, language).get(message, context=context)
    assert found is not None and found.string and not found.fuzzy, message
    return found.string


def test_every_language_is_shipped(workspace):
    assert catalogue_locales(workspace.locales_dir) == SHIPPED


@pytest.mark.parametrize("locale", ["fr_FR", "de_DE", "en_GB", "ar", "pt_BR"])
def test_estimate_totals_are_written_by_babel(workspace, tmp_path, locale):
    document = create_estimate(
        workspace, "Ana", PLAN, locale=locale, output=tmp_path / "e.docx", issued=ISSUED
    )
    expected = format_currency(Decimal("3920.00"), "GBP", locale=locale)
    assert expected in docx_paragraphs(document.docx)


def test_french_consent_names_every_risk_in_french(workspace, tmp_path, price_list):
    form = create_consent(
        workspace,
        Visit.for_treatment("Jeanne Martin", "LIPO", ["ABDO", "FLANKS"]),
        locale="fr_FR",
        output=tmp_path / "c.docx",
        issued=ISSUED,
    )
    text = docx_text(form.docx)
    for code in price_list.treatments["LIPO"].risk_codes:
        risk = price_list.risks[code]
        assert translated(workspace, "fr", risk.name) in text, risk.name
        assert translated(workspace, "fr", risk.description) in text
        assert risk.description not in text
    for heading in ["Consent to mesotherapy treatment", "5. Risks and side effects"]:
        assert translated(workspace, "fr", heading) in text
        assert heading not in text
    assert long_date(ISSUED, "fr") in text  # the date in French
    # Babel's list formatting and French plural rules
    abdomen, flanks = (translated(workspace, "fr", a) for a in ("Abdomen", "Flanks"))
    assert f"{abdomen} et {flanks}" in text
    sessions = catalogue(workspace, "fr").get("%(count)s session").string[1] % {"count": "3"}
    assert sessions in text


def test_plural_rules_follow_the_language(workspace, tmp_path, edit_workbook):
    shutil.move(edit_workbook({"Treatments!E10": 1}), workspace.pricing_dir / "london.xlsx")
    fr = catalogue(workspace, "fr").get("%(count)s session").string
    one = create_consent(
        workspace,
        Visit.for_treatment("A", "PAINR", ["KNEES"], 1),
        locale="fr",
        output=tmp_path / "1.docx",
    )
    six = create_consent(
        workspace,
        Visit.for_treatment("A", "PAINR", ["KNEES"], 6),
        locale="fr",
        output=tmp_path / "6.docx",
    )
    assert fr[0] % {"count": "1"} in docx_paragraphs(one.docx)
    assert fr[1] % {"count": "6"} in docx_paragraphs(six.docx)


def test_text_falls_back_along_the_chain_and_a_fuzzy_entry_refuses_it(workspace, tmp_path):
    # fr_CA has its own catalogue with one entry; everything else comes from fr.
    quebec = catalogue(workspace, "fr")
    for message in list(quebec):
        if message.id and message.id != "Cost estimate":
            quebec.delete(message.id, context=message.context)
    quebec["Cost estimate"].string = "Soumission"
    quebec.locale = "fr_CA"
    path = po_path(workspace, "fr_CA")
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, quebec)
    # One French entry is made fuzzy: it must not be used, and is reported.
    french = catalogue(workspace, "fr")
    french["Treatment plan"].flags.add("fuzzy")
    with po_path(workspace, "fr").open("wb") as handle:
        write_po(handle, french)
    compile_catalogues(workspace)

    # a fuzzy entry is never used: the document would be half French, so it is not made
    with pytest.raises(UntranslatedError) as refused:
        create_estimate(workspace, "A", ["REJUV:FACE"], locale="fr-CA", output=tmp_path / "e.docx")
    assert refused.value.texts == ("'Treatment plan' (templates/estimate.docx)",)
    assert "no reviewed French (Canada) translation" in str(refused.value)
    assert "locales/fr_CA/LC_MESSAGES/docgen.po" in str(refused.value)
    assert not (tmp_path / "e.docx").exists()
    result = CliRunner().invoke(
        main,
        ["--workspace", str(workspace.root), "estimate", "--patient", "A", "--item",
         "REJUV:FACE", "--locale", "fr_CA", "-o", str(tmp_path / "cli.docx")],
    )  # fmt: skip
    assert result.exit_code == 1 and "'Treatment plan' (templates/estimate.docx)" in result.output
    assert not (tmp_path / "cli.docx").exists()

    french["Treatment plan"].flags.discard("fuzzy")  # reviewed
    with po_path(workspace, "fr").open("wb") as handle:
        write_po(handle, french)
    compile_catalogues(workspace)
    document = create_estimate(
        workspace, "A", ["REJUV:FACE"], locale="fr-CA", output=tmp_path / "e.docx"
    )
    paragraphs = docx_paragraphs(document.docx)
    assert "Soumission" in paragraphs  # fr_CA
    assert translated(workspace, "fr", "Valid until") in paragraphs  # fr
    assert translated(workspace, "fr", "Treatment plan") in paragraphs
    fr_ca = format_currency(Decimal("1250"), "GBP", locale="fr_CA")  # formatting from fr_CA
    assert fr_ca in docx_text(document.docx) and fr_ca != format_currency(1250, "GBP", locale="fr")


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("xx", "unknown locale 'xx'; available languages: ar, de, en, es, fr, it, ja, nl, pl, pt"),
        ("ko_KR", "docgen has no translation for Korean (South Korea) (ko_KR); available"),
    ],
)
def test_unknown_or_unsupported_locale(workspace, tmp_path, locale, message):
    with pytest.raises(LocaleError) as raised:
        create_estimate(workspace, "A", ["REJUV:FACE"], locale=locale, output=tmp_path / "e")
    assert message in str(raised.value)
    assert list(tmp_path.glob("e*")) == []


def test_pybabel_extract_finds_templates_workbook_and_code(tmp_path):
    pot = tmp_path / "docgen.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=REPOSITORY, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        template = read_po(handle)
    sources = {
        location.split(":")[0] if isinstance(location, str) else location[0]
        for message in template
        for location in message.locations
    }
    for source in [
        "templates/consent.docx", "templates/estimate.docx", "templates/price_sheet.docx",
        "pricing/london.xlsx", "docgen/documents.py",
    ]:  # fmt: skip
        assert source in sources, source
    assert template.get("Consent to mesotherapy treatment") is not None  # consent body
    assert template.get("Page", context="footer") is not None  # a footer
    assert template.get("Yes", context="tick box") is not None  # pgettext in a template
    assert template.get("Pain at the injection sites").auto_comments == ["Risks!B2"]
    assert template.get("%(count)s session").id == ("%(count)s session", "%(count)s sessions")


def test_every_shipped_language_is_complete_and_compiled(workspace):
    statuses = catalogue_status(workspace)
    assert [s.locale for s in statuses] == SHIPPED
    for status in statuses:
        assert status.complete, (status.locale, status.missing[:5], status.fuzzy[:5])
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^✓ \w+: ", result.output, re.M)) == len(SHIPPED)
    # the desk's words and docgen's messages, apart: shipped complete too
    assert len(re.findall(r"^✓ \w+ (desk|messages): ", result.output, re.M)) == 2 * len(SHIPPED)


def test_update_alone_leaves_the_compiled_catalogues_current(workspace):
    """Extracting and merging again changes only the catalogues' header dates: nothing for a
    document, so status does not ask for a compile (it did, for every language)."""
    runner = CliRunner()
    for command in ("extract", "update", "status"):
        result = runner.invoke(main, ["--workspace", str(workspace.root), "i18n", command])
        assert result.exit_code == 0, (command, result.output)
    assert "out of date" not in result.output
    assert "✗" not in result.output


def test_a_catalogue_compiled_by_another_babel_release_is_current(workspace):
    """The .mo header names the Babel release that wrote it; a document reads none of that,
    so a catalogue compiled by another release is not out of date."""
    (compiled,) = [
        path
        for path in compile_catalogues(workspace)
        if path.parts[-3] == "fr" and path.name == "docgen.mo"
    ]
    data = compiled.read_bytes()
    written_by = f"Generated-By: Babel {babel.__version__}".encode()
    assert written_by in data
    other = b"Generated-By: Babel " + b"9" * (len(written_by) - len(b"Generated-By: Babel "))
    compiled.write_bytes(data.replace(written_by, other))
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert result.exit_code == 0, result.output
    assert "out of date" not in result.output


def test_status_notices_a_changed_plural_rule_until_compiled(workspace):
    path = po_path(workspace, "fr")
    text = path.read_text(encoding="utf-8")
    rule = re.search(r'"Plural-Forms: [^"]*"', text).group(0)
    path.write_text(text.replace(rule, '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"'))
    runner = CliRunner()
    status = runner.invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert status.exit_code == 1 and "✗ fr: " in status.output and "out of date" in status.output
    runner.invoke(main, ["--workspace", str(workspace.root), "i18n", "compile"])
    status = runner.invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert status.exit_code == 0, status.output


def test_the_installed_built_in_workspace_is_not_changed(workspace, monkeypatch):
    """An upgrade of docgen replaces its built-in workspace: translations made there would
    be lost, so the commands that write catalogues say to make a workspace of one's own."""
    monkeypatch.setattr("docgen.workspace.INSTALLED_WORKSPACE", workspace.root)
    before = {p: p.stat().st_mtime_ns for p in workspace.locales_dir.rglob("*") if p.is_file()}
    runner = CliRunner()
    for command in (["extract"], ["update"], ["compile"], ["init", "nl"]):
        result = runner.invoke(main, ["--workspace", str(workspace.root), "i18n", *command])
        assert result.exit_code == 1, (command, result.output)
        assert "part of the installed docgen" in result.output
        assert "make your own with 'docgen init DIR'" in result.output
    after = {p: p.stat().st_mtime_ns for p in workspace.locales_dir.rglob("*") if p.is_file()}
    assert after == before
    status = runner.invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert status.exit_code == 0  # reading is fine


def test_status_reports_what_is_missing(workspace):
    french = catalogue(workspace, "fr")
    french["Witness"].string = ""
    with po_path(workspace, "fr").open("wb") as handle:
        write_po(handle, french)
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "i18n", "status"])
    assert result.exit_code == 1
    assert "✗ fr: " in result.output and "1 missing" in result.output
    assert "missing: Witness" in result.output
    assert ".mo out of date" in result.output


def test_arabic_documents_are_right_to_left(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("ليلى حداد", "REJUV", ["FACE"]),
        locale="ar",
        output=tmp_path / "c.docx",
        issued=ISSUED,
        pdf=True,
    )
    with zipfile.ZipFile(form.docx) as package:
        body = package.read("word/document.xml").decode()
        footers = [package.read(n).decode() for n in package.namelist() if "footer" in n]
    paragraphs = body.count("<w:p>") + body.count("<w:p ")
    assert body.count("<w:bidi/>") >= paragraphs
    assert body.count("<w:tbl>") == body.count("<w:bidiVisual/>")
    runs = re.findall(r"<w:r>.*?</w:r>", body)
    arabic = [run for run in runs if re.search("[\u0600-\u06ff]", run)]
    assert arabic and all("<w:rtl/>" in run for run in arabic)
    # left-to-right text (the clinic's English address) is kept in reading order
    assert "\u200e12 Wimpole Street, London W1G 9SX, United Kingdom\u200e" in body
    assert all("<w:bidi/>" in footer for footer in footers)
    text = docx_text(form.docx)
    assert translated(workspace, "ar", "Consent to mesotherapy treatment") in text
    cost = format_currency(Decimal("1250.00"), "GBP", locale="ar")
    assert cost in text  # amounts stay correct
    assert "ليلى حداد" in pdf_text(form.pdf)


def test_bilingual_consent_shows_both_languages(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("Jeanne", "REJUV", ["FACE"]),
        locale="fr_FR",
        bilingual=True,
        output=tmp_path / "c.docx",
    )
    paragraphs = docx_paragraphs(form.docx)
    french = translated(workspace, "fr", "Consent to mesotherapy treatment")
    assert f"{french}Consent to mesotherapy treatment" in paragraphs  # a line break between
    risk = translated(workspace, "fr", "Bruising")
    assert any(p == f"{risk}Bruising" for p in paragraphs)
    # the clinic's line is a run of its own, in its language, smaller and grey: told apart
    title = next(p for p in docx.Document(str(form.docx)).paragraphs if p.text.startswith(french))
    patient_run, clinic_run = (r for r in title.runs if r.text)
    assert (patient_run.text, clinic_run.text) == (
        f"{french}\n",
        "Consent to mesotherapy treatment",
    )
    language = clinic_run.element.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:val"))
    assert language == "en-GB"  # the sample clinic's locale
    assert clinic_run.font.size < (patient_run.font.size or title.style.font.size)
    assert clinic_run.font.color.rgb != patient_run.font.color.rgb


def test_price_sheet_in_every_language_at_once(workspace, tmp_path):
    """Every shipped language prints: its text extracts from the PDF (Chinese and Japanese
    came out as empty boxes), in fonts embedded in the file, East Asian text in its own."""
    documents = create_price_sheets(workspace, tmp_path / "sheets", pdf=True)
    names = sorted(d.docx.name for d in documents)
    assert names == [f"price-sheet-london-{code}.docx" for code in sorted([*SHIPPED, "en_GB"])]
    for document in documents:
        code = document.docx.stem.rsplit("-", 1)[1]
        texts = ["Price list", "Skin rejuvenation"]  # a template's text, the workbook's
        if code != "en_GB":
            texts = [translated(workspace, code, text) for text in texts]
        assert texts[0] in docx_paragraphs(document.docx)
        printed = extracted(pdf_text(document.pdf))
        for text in texts:
            assert extracted(text) in printed, (code, text)
        fonts = subprocess.run(
            ["pdffonts", str(document.pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), (code, fonts)
        if code in ("ja", "zh"):
            assert any("NotoSansCJK" in line for line in fonts), (code, fonts)


def extracted(text: str) -> str:
    """Text as pdftotext gives it back, to compare: without spaces, direction controls and
    combining marks (it may put Arabic's shadda elsewhere), and without lam and alef, whose
    ligature (لأ) it gives back in the opposite order (أل)."""
    text = re.sub(r"[\s\u202a-\u202e\u200e\u200f\u0644\u0627\u0623\u0625\u0622]", "", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def test_single_price_sheet_in_german(workspace, tmp_path):
    sheet = create_price_sheet(workspace, locale="de_DE", output=tmp_path / "s.docx")
    text = docx_text(sheet.docx)
    assert translated(workspace, "de", "Skin rejuvenation") in text
    assert money(1250, "GBP", "de_DE") in text


def test_documents_open_in_word(workspace, tmp_path):
    """The right-to-left edits keep the XML valid for Word's schema order."""
    form = create_consent(
        workspace, Visit.for_treatment("A", "REJUV", ["FACE"]), locale="ar", output=tmp_path / "c"
    )
    document = docx.Document(str(form.docx))
    assert document.paragraphs[0].text
    shutil.copy(form.docx, tmp_path / "copy.docx")


def test_an_untranslated_plural_falls_back_to_the_parent_language(workspace, tmp_path):
    """A regional catalogue with an empty plural must not answer in English before fr does."""
    quebec = catalogue(workspace, "fr")
    for message in list(quebec):
        if message.id and message.id != "Witness":
            message.string = ("", "") if isinstance(message.id, tuple) else ""
    quebec["Witness"].string = "Témoin (Québec)"
    quebec.locale = "fr_CA"
    path = po_path(workspace, "fr_CA")
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, quebec)
    compile_catalogues(workspace)
    form = create_consent(
        workspace,
        Visit.for_treatment("A", "REJUV", ["FACE"], 4),
        locale="fr_CA",
        output=tmp_path / "c",
    )
    paragraphs = docx_paragraphs(form.docx)
    assert "Témoin (Québec)" in paragraphs
    french = catalogue(workspace, "fr").get("%(count)s session").string[1] % {"count": "4"}
    assert french in paragraphs and "4 sessions" not in paragraphs


def test_i18n_init_refuses_an_unknown_language(workspace):
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "i18n", "init", "xx"])
    assert result.exit_code == 1 and "unknown locale 'xx'" in result.output
    assert "Traceback" not in result.output


def test_bilingual_lines_are_each_in_their_own_language(workspace, tmp_path):
    form = create_consent(
        workspace,
        Visit.for_treatment("Jeanne", "LIPO", ["ABDO", "FLANKS"]),
        locale="fr_FR",
        bilingual=True,
        output=tmp_path / "c.docx",
        issued=ISSUED,
    )
    paragraphs = docx_paragraphs(form.docx)
    _ = lambda message: translated(workspace, "fr", message)  # noqa: E731
    # lists, course lengths and yes/no are composed per language, not translated word by word
    assert f"{_('Abdomen')} et {_('Flanks')}Abdomen and Flanks" in paragraphs
    assert any(p.endswith("Usually 2 to 6 sessions, 4 weeks apart.") for p in paragraphs)
    assert f"{_('Yes')}Yes" in paragraphs  # an interpreter is needed, in both languages
    assert "Français (France) – French (France)" in paragraphs
    # each line of a sentence writes its amounts in its own language's form
    cost = next(p for p in paragraphs if money(2280, "GBP", "fr") in p)
    english = (
        "The estimated cost of the planned course is £2,280.00. A deposit of £456.00 "
        "is due when booking."
    )
    french, _, rest = cost.partition(english)  # two lines of one paragraph, French first
    assert french and not rest
    assert money(456, "GBP", "fr") in french and "£456.00" not in french


def test_bilingual_estimate_dates_each_line_in_its_own_language(workspace, tmp_path):
    """'Ce devis est valable jusqu'au 3. Februar 2027' mixed the patient's month into the
    clinic's line."""
    estimate = create_estimate(
        workspace, "Jeanne", ["LIPO:ABDO"], locale="de_DE", bilingual=True,
        output=tmp_path / "e.docx", issued=ISSUED,
    )  # fmt: skip
    valid_until = ISSUED + dt.timedelta(days=30)
    german_date = long_date(valid_until, "de_DE")
    english = f"This estimate is valid until {unbroken('1 April 2026')}."
    line = next(p for p in docx_paragraphs(estimate.docx) if english in p)
    german, _, rest = line.partition(english)
    assert german_date in german and german_date not in rest
    fee = next(p for p in docx_paragraphs(estimate.docx) if "£50.00" in p)
    assert fee.startswith(
        translated(workspace, "de", "An initial consultation costs %(fee)s.")
        % {"fee": money(50, "GBP", "de_DE")}
    )


def test_a_catalogue_that_is_no_file_or_far_too_large_is_named_not_read(workspace):
    """Twenty-seventh probe: a docgen.po linked to /dev/zero filled check's memory until it
    died (a named pipe would keep it waiting); a 300 MB one was read whole first."""
    french = workspace.locales_dir / "fr" / "LC_MESSAGES" / "docgen.po"
    french.unlink()
    french.symlink_to("/dev/zero")
    german = workspace.locales_dir / "de" / "LC_MESSAGES" / "desk.po"
    german.unlink()
    os.mkfifo(german)
    spanish = workspace.locales_dir / "es" / "LC_MESSAGES" / "docgen.po"
    with spanish.open("ab") as handle:
        handle.write(b"#" * 12_000_000 + b"\n")
    with finished_within(60):
        problems = [str(problem) for problem in check_workspace(workspace).problems]
    assert f"{french}: not a file, so not a catalogue docgen reads" in problems
    assert f"{german}: not a file, so not a catalogue docgen reads" in problems
    assert any(
        p.startswith(f"{spanish} is 12 MB, far more than a catalogue holds") for p in problems
    )
    with pytest.raises(CatalogueFileError):  # i18n status, the desk's health page
        catalogue_status(workspace)


def test_a_catalogue_folder_named_after_no_language_is_skipped_and_reported(workspace):
    stray = workspace.locales_dir / "french" / "LC_MESSAGES"
    stray.mkdir(parents=True)
    shutil.copy(workspace.locales_dir / "fr" / "LC_MESSAGES" / "docgen.po", stray)
    assert "french" not in [status.locale for status in catalogue_status(workspace)]
    assert all("french" not in str(path) for path in compile_catalogues(workspace))
    problems = [str(p) for p in check_workspace(workspace).problems]
    assert any(p.startswith("locales/french: not a language code") for p in problems)


def words_split_without_a_hyphen(document: Path, pdf: Path) -> list[str]:
    """Words of the .docx that the PDF breaks across two lines with no hyphen: a line ending
    in a fragment that is no word of the document, whose next line completes a word of it."""
    body = docx.Document(str(document))
    texts = [p.text for p in body.paragraphs]
    texts += [cell.text for table in body.tables for row in table.rows for cell in row.cells]
    words = set(re.findall(r"\w+", " ".join(texts)))
    lines = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    split = []
    for line, following in itertools.pairwise(lines):
        end, start = re.search(r"(\w+)$", line), re.match(r"(\w+)", following)
        if end and start and end[1] not in words and end[1] + start[1] in words:
            split.append(f"{end[1]}|{start[1]}")
    return split


def test_only_the_clinics_line_is_set_apart(workspace, tmp_path):
    """Two bilingual sentences in one paragraph: the patient's second sentence (when treatment
    may start) was printed grey, small and hyphenated as English, with the clinic's first."""
    visit = Visit.for_treatment("Jeanne", "LIPO", ["ABDO", "FLANKS"])
    alone = create_consent(workspace, visit, locale="en_GB", output=tmp_path / "en.docx",
                           issued=ISSUED)  # fmt: skip
    english = " ".join(docx_text(alone.docx).split())
    alone = create_consent(workspace, visit, locale="fr_FR", output=tmp_path / "fr-alone.docx",
                           issued=ISSUED)  # fmt: skip
    french = " ".join(docx_text(alone.docx).split())
    form = create_consent(workspace, visit, locale="fr_FR", bilingual=True,
                          output=tmp_path / "fr.docx", issued=ISSUED)  # fmt: skip
    runs = {"clinic": [], "patient": []}
    for run in docx.Document(str(form.docx)).element.body.iter(qn("w:r")):
        language = run.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        text = "".join(t.text or "" for t in run.iter(qn("w:t"))).strip()
        if text:
            runs["clinic" if language is not None else "patient"].append(" ".join(text.split()))
    # English, or (the interpreter's statement, absent from an English form) no French
    french_only = [t for t in runs["clinic"] if t not in english and t in french]
    assert runs["clinic"] and french_only == []
    wait = (
        translated(
            workspace,
            "fr",
            "So that you have time to think it over, treatment starts no earlier than %(date)s.",
        )
        .split("%(")[0]
        .strip()
    )
    assert any(wait in text for text in runs["patient"])
    assert not any(wait in text for text in runs["clinic"])
    # issue 28 item 6: a paragraph never mixes the languages ('Information given on 2 March
    # 2026. Afin que vous ayez le temps…'): each sentence, then its clinic's line, on its own
    given = translated(workspace, "fr", "Information given on %(date)s.").split("%(")[0].strip()
    [informed] = [p for p in docx_paragraphs(form.docx) if given in p]
    assert wait not in informed


def lines_of(paragraph) -> list[str]:
    """A paragraph's printed lines, as its line breaks cut it."""
    text = "".join("\n" if node.tag == qn("w:br") else node.text or ""
                   for node in paragraph.iter(qn("w:t"), qn("w:br")))  # fmt: skip
    return text.split("\n")


def test_a_label_and_its_sentence_print_the_patients_line_whole_then_the_clinics(
    workspace, tmp_path
):
    """Twenty-sixth probe: a bold label and its sentence, each with its clinic's line, printed
    "Young person's agreement: Le traitement m'a été expliqué…": the clinic's label and the
    patient's sentence on one line."""
    visit = Visit.for_treatment(
        "Minor Bi", "PAINR", ["KNEES"], date_of_birth="2011-04-12", allow_minor=True,
        interpreter="Karim Haddad",
    )  # fmt: skip
    form = create_consent(
        workspace, visit, locale="fr_FR", bilingual=True, output=tmp_path / "c.docx",
        issued=ISSUED,
    )  # fmt: skip
    _ = lambda message: translated(workspace, "fr", message)  # noqa: E731
    label, sentence = (
        "Young person's agreement:",
        ("The treatment has been explained to me, and I agree to have it."),
    )
    [paragraph] = [p for p in docx.Document(str(form.docx)).paragraphs if sentence in p.text]
    assert lines_of(paragraph._p) == [f"{_(label)} {_(sentence)}", f"{label} {sentence}"]
    relationship = "Relationship to the patient:"
    [paragraph] = [p for p in docx.Document(str(form.docx)).paragraphs if relationship in p.text]
    patient, clinic = lines_of(paragraph._p)  # what joins the two is on both, the blank once
    assert patient.startswith(f"{_('Parent or guardian')} — {_(relationship)} ___")
    assert clinic == f"Parent or guardian — {relationship}"


def hyphenation_points(locale: str) -> pyphen.Pyphen:
    """The patterns LibreOffice hyphenates a language with on this machine."""
    return pyphen.Pyphen(filename=f"/usr/share/hyphen/hyph_{locale}.dic")


def test_each_line_of_a_bilingual_form_is_hyphenated_in_its_own_language(workspace, tmp_path):
    """The English lines of a French form were hyphenated by French rules: 'brea-thing'."""
    visit = Visit.for_treatment("Jeanne", "REJUV", ["FACE", "NECK", "DECO"])
    words = {}
    for language, locale in (("en", "en_GB"), ("fr", "fr_FR")):
        alone = create_consent(
            workspace, visit, locale=locale, output=tmp_path / f"{language}.docx"
        )
        words[language] = set(re.findall(r"\w+", docx_text(alone.docx)))
    form = create_consent(
        workspace, visit, locale="fr_FR", bilingual=True, output=tmp_path / "c.docx", pdf=True
    )
    rules = {"en": hyphenation_points("en_GB"), "fr": hyphenation_points("fr")}
    broken = {"en": [], "fr": []}
    for line, following in itertools.pairwise(pdf_text(form.pdf).split("\n")):
        end, start = re.search(r"(\w+)-$", line), re.match(r"\s*(\w+)", following)
        for language, other in (("en", "fr"), ("fr", "en")):
            word = end and start and end[1] + start[1]
            if word in words[language] and word not in words[other]:
                broken[language].append((word, len(end[1])))
    assert broken["en"] and broken["fr"], broken  # both languages' lines are hyphenated
    for language, splits in broken.items():
        wrong = [f"{w[:at]}-{w[at:]}" for w, at in splits if at not in rules[language].positions(w)]
        assert wrong == [], language


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR", "es_ES"])
def test_long_words_are_hyphenated_in_the_documents_language(workspace, tmp_path, locale):
    """'Berührungsempfindlichk|eit' was printed in the German form's risks table."""
    form, record, estimate = create_patient_documents(
        workspace,
        Visit.for_treatment("Anna Müller", "REJUV", ["FACE", "NECK"], date_of_birth="1980-01-15"),
        locale=locale,
        output=f"{tmp_path}/",
        pdf=True,
    )
    for document in (form, record, estimate):
        assert words_split_without_a_hyphen(document.docx, document.pdf) == []
        styles = zipfile.ZipFile(document.docx).read("word/styles.xml").decode()
        tag = locale.replace("_", "-")
        assert f'<w:lang w:val="{tag}" w:eastAsia="{tag}" w:bidi="{tag}"/>' in styles
    for document in (form, record):
        settings = zipfile.ZipFile(document.docx).read("word/settings.xml").decode()
        assert "<w:autoHyphenation/>" in settings


@pytest.mark.parametrize("locale", ["es_ES", "de_CH"])
def test_every_page_number_prints_whole_when_the_footer_wraps(workspace, tmp_path, locale):
    """The Spanish footer is longer than a line: it printed 'Página 1 de' and '5' on two lines,
    then hyphenated 'Pági-na'."""
    documents = create_patient_documents(
        workspace,
        Visit.for_treatment(
            "Ana Pérez", "REJUV", ["FACE", "NECK", "DECO"], date_of_birth="1980-01-15"
        ),
        locale=locale,
        output=f"{tmp_path}/",
        pdf=True,
    )
    language = locale[:2]
    page, of = (translated(workspace, language, word, context="footer") for word in ("Page", "of"))
    for document in documents:
        pages = pdf_text(document.pdf).replace("\xa0", " ").split("\f")[:-1]
        for number, text in enumerate(pages, start=1):
            printed = f"{page} {number} {of} {len(pages)}"
            assert printed in text, (document.pdf.name, number)


def test_a_language_without_a_region_takes_its_likeliest_for_hyphenation(workspace, tmp_path):
    form = create_consent(
        workspace, Visit.for_treatment("A", "REJUV", ["FACE"]), locale="de", output=tmp_path / "c"
    )
    likely = Locale.parse(get_global("likely_subtags")["de"]).territory
    styles = zipfile.ZipFile(form.docx).read("word/styles.xml").decode()
    assert f'w:val="de-{likely}"' in styles


def test_a_translation_never_rewrites_the_estimate_it_is_printed_on(workspace, tmp_path):
    """A clinic's own {% trans %} block, translated (or imported) as Word XML that closes the
    paragraph and adds a 'TOTAL 0.00' of its own: the German estimate prints it as text, its
    totals are the estimate's, and verify vouches for that document."""
    template = docx.Document(str(workspace.template("estimate.docx")))
    template.add_paragraph("{% trans %}Thank you for your trust.{% endtrans %}")
    template.save(str(workspace.template("estimate.docx")))
    update_catalogues(workspace)
    german = catalogue(workspace, "de")
    hostile = "DANKE</w:t></w:r></w:p><w:p><w:r><w:t>TOTAL 0.00</w:t></w:r></w:p><w:p><w:r><w:t>"
    german["Thank you for your trust."].string = hostile
    german["Thank you for your trust."].flags.discard("fuzzy")
    with po_path(workspace, "de").open("wb") as handle:
        write_po(handle, german)
    compile_catalogues(workspace)
    output = tmp_path / "kostenvoranschlag.docx"
    document = create_estimate(workspace, "A", ["REJUV:FACE"], locale="de", output=output)
    paragraphs = docx_paragraphs(document.docx)
    assert hostile in paragraphs and "TOTAL 0.00" not in paragraphs
    english = create_estimate(workspace, "A", ["REJUV:FACE"], output=tmp_path / "e.docx")
    assert len(paragraphs) == len(docx_paragraphs(english.docx))
    verified = CliRunner().invoke(main, ["--workspace", str(workspace.root), "verify", str(output)])
    assert verified.exit_code == 0, verified.output


def test_a_plural_form_that_leaves_out_an_amount_is_refused(workspace, run):
    """A form without the course's sessions and price compiled, and `check` said ready: the
    estimate read 'Comprend des forfaits (prix selon devis)', its amounts gone."""
    french = catalogue(workspace, "fr")
    courses = next(m for m in french if isinstance(m.id, tuple) and "course of" in m.id[0])
    courses.string = (courses.string[0], "Comprend des forfaits (prix selon devis)")
    with po_path(workspace, "fr").open("wb") as handle:
        write_po(handle, french)
    compiled = po_path(workspace, "fr").with_suffix(".mo").read_bytes()

    for command in (["i18n", "compile"], ["check"]):
        result = run("--workspace", workspace.root, *command)
        assert result.exit_code == 1, command
        assert "leaves out %(price)s, %(sessions)s" in result.output, command
    assert po_path(workspace, "fr").with_suffix(".mo").read_bytes() == compiled


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("nplurals=2; plural=(n % 0);", "fails for 0"),
        ("nplurals=2; plural=(n + 1);", "gives form 2 for 1; the catalogue has 2"),
    ],
)
def test_a_plural_rule_that_cannot_choose_a_form_is_refused(workspace, run, rule, said):
    """'(n % 0)' compiled and `check` said ready; every French estimate then ended in a
    ZeroDivisionError."""
    path = po_path(workspace, "fr")
    text = path.read_text(encoding="utf-8")
    header = re.search(r'"Plural-Forms: [^"]*"', text).group(0)
    path.write_text(text.replace(header, f'"Plural-Forms: {rule}\\n"'), encoding="utf-8")
    for command in (["i18n", "compile"], ["check"]):
        result = run("--workspace", workspace.root, *command)
        assert result.exit_code == 1, command
        assert "locales/fr/LC_MESSAGES/docgen.po: the Plural-Forms rule" in result.output
        assert said in result.output, (command, result.output)


@pytest.mark.parametrize("written", ["zh_CN", "zh-CN", "ja_JP", "uk_UA", "pl-PL"])
def test_a_locale_babel_writes_with_its_script_is_accepted(workspace, tmp_path, written):
    """zh_CN was refused as a typo: Babel names it zh_Hans_CN."""
    form = create_consent(
        workspace,
        Visit.for_treatment("王 小明", "REJUV", ["FACE"]),
        locale=written,
        output=tmp_path / "c.docx",
    )
    language = written[:2]
    assert translated(workspace, language, "Consent to mesotherapy treatment") in docx_text(
        form.docx
    )


def test_the_pdf_title_is_in_the_documents_language(workspace, tmp_path):
    """A screen reader announced a Chinese form by its English title."""
    form = create_consent(
        workspace,
        Visit.for_treatment("王 小明", "REJUV", ["FACE"]),
        locale="zh",
        output=tmp_path / "c.docx",
        pdf=True,
    )
    title = translated(workspace, "zh", "Consent to mesotherapy treatment")
    assert docx.Document(str(form.docx)).core_properties.title == title
    info = subprocess.run(["pdfinfo", str(form.pdf)], capture_output=True, text=True, check=True)
    assert f"Title:           {title}" in info.stdout
    bilingual = create_estimate(
        workspace, "A", ["REJUV:FACE"], locale="fr", bilingual=True, output=tmp_path / "e.docx"
    )
    assert docx.Document(str(bilingual.docx)).core_properties.title == translated(
        workspace, "fr", "Cost estimate"
    )


@pytest.mark.parametrize("locale", ["es_ES", "pt_BR", "ru"])
def test_a_footer_is_one_line_in_the_longest_languages(workspace, tmp_path, locale):
    """Issue 28 item 3: a Spanish or Portuguese price sheet's footer wrapped, its price list's
    version ('2026.1') alone on a second line under every page."""
    sheet = create_price_sheet(workspace, locale=locale, output=tmp_path / "s.docx", pdf=True)
    layout = subprocess.run(
        ["pdftotext", "-layout", str(sheet.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = layout.split("\f")[:-1]
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        last = [line for line in page.splitlines() if line.strip()][-1]
        assert sheet.document_id in last and "2026.1" in last, (number, last)
        assert re.search(rf"\b{number}\D+{len(pages)}\s*$", last), (number, last)


def test_a_bilingual_estimates_discount_line_is_in_both_languages(workspace, tmp_path):
    """The discount's line was the patient's language alone, every other line with the
    clinic's under it."""
    document = create_estimate(
        workspace, "Anna", ["REJUV:FACE"], locale="de_DE", bilingual=True,
        discount=Discount.parse("10%", "Treue"), output=tmp_path / "e.docx",
    )  # fmt: skip
    german = translated(workspace, "de", "Discount %(percent)s (%(reason)s)").split("%(")[0]
    cells = [
        cell.text
        for table in docx.Document(str(document.docx)).tables
        for row in table.rows
        for cell in row.cells
    ]
    assert any(german in cell and "Discount 10% (Treue)" in cell for cell in cells), cells
