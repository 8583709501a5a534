"""The command line through click's runner: options, workspaces, messages, exit codes."""

from __future__ import annotations

import shutil

import pytest
from conftest import docx_paragraphs, docx_text, money

from docgen.i18n import available_locales
from docgen.workspace import Workspace


def test_estimate_from_the_built_in_workspace(run, tmp_path):
    result = run(
        "estimate", "--patient", "Ann Lee", "--item", "REJUV:FACE", "--item", "painr:knees:5",
        "-o", "ann.docx",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "wrote ann.docx\n"
    text = docx_text(tmp_path / "ann.docx")
    assert "Ann Lee" in text and "£1,790.00" in text


def test_estimate_with_pdf_and_locale(run, tmp_path):
    result = run(
        "estimate", "--patient", "Hans", "--item", "HAIR:SCALP", "--locale", "de_DE", "--pdf",
        "-o", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pdfs = list(tmp_path.glob("estimate-Hans-Q-*.pdf"))
    assert len(pdfs) == 1
    assert money(1530, "GBP", "de_DE") in docx_text(pdfs[0].with_suffix(".docx"))


def test_plan_errors_are_listed_with_exit_1(run, tmp_path):
    result = run("estimate", "--patient", "A", "--item", "REJU:FACE", "--item", "HAIR:FACE")
    assert result.exit_code == 1
    assert "2 problems in the treatment plan" in result.output
    assert "did you mean REJUV?" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("date", ["9999-12-10", "0001-01-01", "1999-12-31"])
@pytest.mark.parametrize("command", ["estimate", "batch"])
def test_an_issue_date_no_clinic_could_issue_on_is_refused(run, tmp_path, command, date):
    (tmp_path / "day.csv").write_text("Patient,Treatment,Areas\nAnn Lee,REJUV,FACE\n")
    if command == "estimate":
        args = ["estimate", "--patient", "Ann Lee", "--item", "REJUV:FACE", "-o", "out/"]
    else:
        args = ["batch", "day.csv", "-o", "out/"]
    result = run(*args, "--date", date)
    assert result.exit_code == 1, result.output
    assert f"Issue date {date}: expected a date from 2000-01-01 to " in result.output
    assert not any((tmp_path / "out").glob("**/*.docx"))


def test_unknown_locale(run):
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "--locale", "xx_YY")
    assert result.exit_code == 1
    available = ", ".join(available_locales(Workspace.open().locales_dir))
    assert available.startswith("ar, de, en, es, fr, it, ja, nl, pl, pt, ro, ru, tr, uk, zh")
    assert f"unknown locale 'xx_YY'; available languages: {available}" in result.output


def test_refuses_to_overwrite_then_force(run, tmp_path):
    args = ["estimate", "--patient", "Ann", "--item", "REJUV:FACE", "-o", "e.docx"]
    assert run(*args).exit_code == 0
    second = run(*args)
    assert second.exit_code == 1
    assert "e.docx already exists" in second.output and "--force" in second.output
    assert run(*args, "--force").exit_code == 0


def test_price_sheet(run, tmp_path):
    result = run("price-sheet", "--locale", "en_GB")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "price-sheet-london-en_GB.docx").is_file()
    assert "Skin rejuvenation" in docx_text(tmp_path / "price-sheet-london-en_GB.docx")


def test_check_passes_on_the_sample(run):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "checked pricing/london.xlsx" in result.output
    assert "checked templates/estimate.docx" in result.output
    assert "checked templates/consent.docx" in result.output
    assert "checked templates/price_sheet.docx" in result.output
    assert "✓ workspace is ready" in result.output


def test_check_lists_every_problem(run, workspace, edit_workbook):
    broken = edit_workbook({"Prices!C7": "abc", "Clinic!B7": "XYZ"})
    shutil.move(broken, workspace.pricing_dir / "london.xlsx")
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "london.xlsx, Prices!C7: found 'abc', expected a number" in result.output
    assert "london.xlsx, Clinic!B7: found 'XYZ'" in result.output
    assert "✗ 2 problem(s)" in result.output


def test_check_verifies_every_treatments_risks(run, workspace, edit_workbook):
    broken = edit_workbook({"Treatments!J3": "PAIN, HEADACHE", "Treatments!J4": None})
    shutil.move(broken, workspace.pricing_dir / "london.xlsx")
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "london.xlsx, Treatments!J3: found 'PAIN, HEADACHE', expected risk codes" in (
        result.output
    )
    assert "london.xlsx, Treatments!J4: is empty, expected a value" in result.output


def test_check_finds_a_template_variable_docgen_lacks(run, workspace):
    from test_documents import replace_in_template

    replace_in_template(workspace.template("estimate.docx"), "patient.name", "patient_name")
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "templates/estimate.docx: uses patient_name, which docgen does not provide" in (
        result.output
    )


def test_check_finds_a_misspelt_attribute(run, workspace):
    from test_documents import replace_in_template

    replace_in_template(workspace.template("estimate.docx"), "clinic.contact", "clinic.contcat")
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "template estimate.docx: uses a value docgen does not provide" in result.output
    assert "contcat" in result.output


def test_check_refuses_a_template_that_would_build_a_text_far_too_long(run, workspace):
    """'%.900000000d' % 1 builds 900 million characters: check said ✓."""
    from test_documents import replace_in_template

    hostile = "{{ ('%.900000000d' % 1)|length }}"
    replace_in_template(workspace.template("estimate.docx"), "{{ patient.name }}", hostile)
    result = run("--workspace", workspace.root, "check")
    assert result.exit_code == 1
    assert "template estimate.docx: tried something unsafe and was stopped" in result.output
    assert "builds a text far too long" in result.output


def test_init_copies_a_workspace_that_then_works(run, tmp_path):
    result = run("init", "myclinic")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "myclinic" / "pricing" / "london.xlsx").is_file()
    assert (tmp_path / "myclinic" / "templates" / "estimate.docx").is_file()
    assert run("--workspace", "myclinic", "check").exit_code == 0
    again = run("init", "myclinic")
    assert again.exit_code == 1 and "not empty" in again.output


def test_workspace_from_environment(run, workspace, monkeypatch, edit_workbook):
    renamed = edit_workbook({"Clinic!B2": "Clinique du Lac"})
    shutil.move(renamed, workspace.pricing_dir / "london.xlsx")
    monkeypatch.setenv("DOCGEN_WORKSPACE", str(workspace.root))
    assert run("estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", "e.docx").exit_code == 0
    assert "Clinique du Lac" in docx_paragraphs("e.docx")


def test_several_workbooks_need_prices(run, workspace, edit_workbook):
    # a Geneva clinic whose workbook is written in English (tests/test_languages.py: in French)
    geneva = edit_workbook({"Clinic!B7": "CHF", "Clinic!B8": "en_CH"}, name="geneva.xlsx")
    shutil.move(geneva, workspace.pricing_dir / "geneva.xlsx")
    args = ["--workspace", workspace.root, "estimate", "--patient", "A", "--item", "REJUV:FACE"]
    ambiguous = run(*args)
    assert ambiguous.exit_code == 1
    assert "several workbooks (geneva, london); choose one with --prices" in ambiguous.output
    assert run(*args, "--prices", "geneva", "-o", "g.docx").exit_code == 0
    assert money(1250, "CHF", "en_CH") in docx_text("g.docx")
    missing = run(*args, "--prices", "paris")
    assert "no workbook 'paris'" in missing.output and "geneva, london" in missing.output


def test_workspace_that_is_not_one(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("--workspace", "empty", "check")
    assert result.exit_code == 1
    assert "has no templates or pricing folder" in result.output


def test_demo_writes_sample_documents(run, tmp_path):
    result = run("demo", "--no-pdf", "-o", "out")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "consent-ar.docx", "consent.docx", "estimate-fr.docx", "estimate.docx", "price-sheet.docx",
        "record.docx",
    ]  # fmt: skip
    again = run("demo", "--no-pdf", "-o", "out")
    assert again.exit_code == 1 and "already exists" in again.output


def test_built_in_workspace_is_found(run):
    assert (Workspace.open().pricing_dir / "london.xlsx").is_file()


@pytest.mark.parametrize("locale", ["", "en_ZZ", "xx"])
def test_locale_typos_are_refused(run, locale):
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "--locale", locale)
    assert result.exit_code == 1
    assert f"unknown locale {locale!r}" in result.output


def test_every_bad_item_at_once(run, tmp_path):
    result = run(
        "estimate", "--patient", "A", "--item", "REJUV:FACE:0", "--item", "FOO:BAR",
        "--item", "X", "--item", "REJUV:FACE:²", "--item", "HAIR:SCALP", "--item", "hair:scalp",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "'REJUV:FACE:0': sessions must be a whole number from 1 to 9999" in result.output
    assert "'X' is not TREATMENT:AREA or TREATMENT:AREA:SESSIONS" in result.output
    assert "'REJUV:FACE:²': sessions must be" in result.output
    assert "FOO:BAR: unknown treatment 'FOO'" in result.output
    assert "HAIR:SCALP is in the plan twice" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "the patient's name is empty or has no letters"),
        ("\x00\x1f\u200b", "the patient's name is empty or has no letters"),
        ("A" * 201, "the patient's name is 201 characters long; at most 200"),
        # letters that show nothing: a blank inside the name, or two words run together
        ("Ann\u3164Lee", "the patient's name holds an invisible control character (U+3164)"),
        ("Ann\u115fLee", "the patient's name holds an invisible control character (U+115F)"),
        ("Ann\u034fLee", "the patient's name holds an invisible control character (U+034F)"),
        # the marks of a bilingual text's clinic line: dropped, they printed "AnnBob Smith"
        ("Ann\ufdd0Bob\ufdd1 Smith", "holds an invisible control character (U+FDD0)"),
    ],
)
def test_unprintable_patient_names(run, tmp_path, name, message):
    result = run("estimate", "--patient", name, "--item", "REJUV:FACE")
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "written"),
    [
        ("quote v1.2", "quote v1.2.docx"),
        ("Dr.Smith", "Dr.Smith.docx"),
        ("newdir/", "newdir/estimate-A-Q-"),
    ],
)
def test_output_names_are_kept(run, tmp_path, output, written):
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", output)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {written}")


def test_a_pdf_name_asks_for_pdf_and_a_pdf_beside_is_never_left_unmatched(run, tmp_path):
    args = ["estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", "ann.pdf"]
    refused = run(*args)
    assert refused.exit_code == 1 and "add --pdf to get ann.pdf (and ann.docx)" in refused.output
    assert list(tmp_path.iterdir()) == []
    made = run(*args, "--pdf")
    assert made.output == "wrote ann.docx\nwrote ann.pdf\n"
    pdf = (tmp_path / "ann.pdf").read_bytes()
    # replaced without --pdf, the PDF would no longer be of this document: refused, and the
    # PDF (it may be the signed copy) kept
    again = run("estimate", "--patient", "A", "--item", "REJUV:NECK", "-o", "ann.docx", "--force")
    assert again.exit_code == 1
    assert "ann.pdf is there and would not match a new ann.docx: add --pdf" in again.output
    assert (tmp_path / "ann.pdf").read_bytes() == pdf and "A" in docx_text(tmp_path / "ann.docx")
    forced = run("estimate", "--patient", "A", "--item", "REJUV:NECK", "-o", "ann.docx",
                 "--force", "--pdf")  # fmt: skip
    assert forced.exit_code == 0 and (tmp_path / "ann.pdf").read_bytes() != pdf


def test_an_output_folder_named_like_a_pdf_is_a_folder(run, tmp_path):
    (tmp_path / "out.pdf").mkdir()
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", "out.pdf/")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote out.pdf/estimate-A-Q-")


def test_output_that_cannot_be_written(run, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", "notes.txt/e.docx")
    assert result.exit_code == 1
    assert "notes.txt is a file, not a folder" in result.output
    result = run("estimate", "--patient", "A", "--item", "REJUV:FACE", "-o", "/proc/e.docx")
    assert result.exit_code == 1 and "cannot write /proc/e.docx" in result.output


def test_failed_pdf_leaves_nothing_behind(run, tmp_path, monkeypatch):
    broken = tmp_path / "soffice"
    broken.write_text("#!/bin/sh\necho 'conversion failed' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("DOCGEN_SOFFICE", str(broken))
    args = ["estimate", "--patient", "A", "--item", "REJUV:FACE", "--pdf", "-o", "out/a.docx"]
    result = run(*args)
    assert result.exit_code == 1
    assert "LibreOffice could not convert" in result.output and "exit 3" in result.output
    assert list((tmp_path / "out").iterdir()) == []
    assert run(*args).exit_code == 1  # fails the same way: not "already exists"
    assert "already exists" not in run(*args).output


def test_demo_is_all_or_nothing(run, workspace):
    from test_documents import replace_in_template

    replace_in_template(workspace.template("price_sheet.docx"), "clinic.name", "clinic.nmae")
    result = run("--workspace", workspace.root, "demo", "--no-pdf", "-o", "out")
    assert result.exit_code == 1 and "nmae" in result.output
    assert list((workspace.root.parent / "out").iterdir()) == []


def test_price_sheets_for_every_workbook_and_language(run, workspace, edit_workbook, tmp_path):
    # a Geneva clinic whose workbook is written in English (tests/test_languages.py: in French)
    geneva = edit_workbook({"Clinic!B7": "CHF", "Clinic!B8": "en_CH"}, name="geneva.xlsx")
    shutil.move(geneva, workspace.pricing_dir / "geneva.xlsx")
    result = run("--workspace", workspace.root, "price-sheet", "--all-locales", "--all-prices",
                 "-o", "sheets")  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "sheets").iterdir())
    languages = available_locales(workspace.locales_dir)
    assert len(names) == 2 * len(languages)  # 2 workbooks x every language, English too
    assert "price-sheet-geneva-en_CH.docx" in names and "price-sheet-london-en_GB.docx" in names
    assert money(1250, "CHF", "fr") in docx_text(tmp_path / "sheets" / "price-sheet-geneva-fr.docx")
