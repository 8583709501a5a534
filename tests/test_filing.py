"""Signed copies filed back: every page of a PDF docgen makes carries a code with its document
and page; a scan made from those PDFs (real LibreOffice PDFs, turned into page images by
pdftoppm, as a scanner would) is filed to the register, pages in any order, several forms at
once, a missing page or an unknown one named by its page of the scan."""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import qrcode
from click.testing import CliRunner
from conftest import pdf_text
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, IndirectObject, NameObject

from docgen.cli import main
from docgen.filing import ScannedPage, file_scan, read_scan
from docgen.generate import create_patient_documents
from docgen.pdf import find_soffice
from docgen.register import Register, find_records
from docgen.visit import Visit
from docgen.workspace import Workspace, init_workspace


def scanned(pdfs: list[Path], folder: Path) -> list[Image.Image]:
    """Each page of the PDFs as a scanner gives it back: a grey image at 150 dpi."""
    folder.mkdir(exist_ok=True)
    images = []
    for index, pdf in enumerate(pdfs):
        prefix = folder / f"scan{index}"
        subprocess.run(
            ["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(prefix)], check=True
        )
        pages = sorted(folder.glob(f"scan{index}-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        images += [Image.open(page).convert("L") for page in pages]
    return images


def as_pdf(images: list[Image.Image], path: Path) -> Path:
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return path


@pytest.fixture
def visit_pdfs(geneva: Workspace, tmp_path: Path):
    """A Geneva patient's consent form, its treatment record and estimate, as PDFs printed for
    signing."""
    visit = Visit.for_treatment(
        "Anne-Marie Dupont", "REJUV", ["FACE", "NECK"], date_of_birth="1980-02-03",
        reference="LUM/0041",
    )  # fmt: skip
    made = create_patient_documents(geneva, visit, output=tmp_path / "printed/", pdf=True)
    form, record, estimate = made
    assert record.document_id.startswith("R-") and record.pdf.is_file()
    return geneva, form, record, estimate


def test_every_printed_page_carries_its_code_and_moves_no_text(visit_pdfs, tmp_path):
    _geneva, form, _record, _estimate = visit_pdfs
    pages = read_scan(form.pdf)
    total = len(PdfReader(form.pdf).pages)
    assert total > 1
    assert [(p.document_id, p.page, p.pages) for p in pages] == [
        (form.document_id, n, total) for n in range(1, total + 1)
    ]
    # the same form converted by LibreOffice alone: the same pages, the same text in place
    plain = tmp_path / "plain"
    subprocess.run(
        [find_soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(plain), str(form.docx)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    unstamped = plain / form.pdf.name
    assert len(PdfReader(unstamped).pages) == total
    layout = ["pdftotext", "-layout"]
    stamped_text = subprocess.run([*layout, str(form.pdf), "-"], capture_output=True, text=True)
    plain_text = subprocess.run([*layout, str(unstamped), "-"], capture_output=True, text=True)
    assert stamped_text.stdout == plain_text.stdout
    assert read_scan(unstamped) == [ScannedPage(n) for n in range(1, total + 1)]


def test_a_page_holding_two_documents_pages_is_never_filed(visit_pdfs, tmp_path):
    """Two one-page documents printed or scanned 2-up on one sheet: the page was filed as the
    first code's, so one signed copy held the other document (another patient's) too."""
    geneva, _form, record, estimate = visit_pdfs
    halves = [scanned([pdf], tmp_path / pdf.stem)[0] for pdf in (estimate.pdf, record.pdf)]
    left, right = (half.resize((half.width * 3 // 4, half.height * 3 // 4)) for half in halves)
    sheet = Image.new("L", (left.width + right.width, max(left.height, right.height)), 255)
    sheet.paste(left, (0, 0))
    sheet.paste(right, (left.width, 0))
    scan = as_pdf([sheet], tmp_path / "two-up.pdf")
    result = CliRunner().invoke(main, ["--workspace", str(geneva.root), "file", str(scan)])
    assert result.exit_code == 1, result.output
    assert "page 1 of the scan holds the pages of several documents" in result.output
    assert estimate.document_id in result.output and record.document_id in result.output
    assert not list(tmp_path.glob("printed/*-signed.pdf"))
    assert not any(r.signed_at for r in find_records(geneva, reference="LUM/0041"))

    # the same sheet with the right-hand page's code unreadable (signed over, folded): the one
    # code read is the left-hand page's, in the middle of the sheet and reduced
    width, height = right.size
    ImageDraw.Draw(sheet).rectangle(
        [left.width + width * 0.8, height * 0.8, left.width + width, height], fill=255
    )
    one_code = as_pdf([sheet], tmp_path / "one-code.pdf")
    result = CliRunner().invoke(main, ["--workspace", str(geneva.root), "file", str(one_code)])
    assert result.exit_code == 1, result.output
    said = f"page 1 of the scan: the code of {estimate.document_id} is not where docgen prints it"
    assert said in result.output
    assert not list(tmp_path.glob("printed/*-signed.pdf"))


def test_a_page_scanned_upside_down_is_filed(visit_pdfs, tmp_path):
    geneva, _form, _record, estimate = visit_pdfs
    pages = [page.rotate(180) for page in scanned([estimate.pdf], tmp_path / "e")]
    result = file_scan(geneva, as_pdf(pages, tmp_path / "upside-down.pdf"))
    assert result.ok, result.problems
    assert estimate.document_id in result.filed


def test_a_shuffled_scan_of_two_forms_is_filed_and_a_missing_page_named(visit_pdfs, tmp_path):
    geneva, form, record, estimate = visit_pdfs
    images = scanned([form.pdf, record.pdf, estimate.pdf], tmp_path)
    form_pages = len(PdfReader(form.pdf).pages)
    random.Random(7).shuffle(images)
    scan = as_pdf(images, tmp_path / "scan.pdf")
    result = CliRunner().invoke(main, ["--workspace", str(geneva.root), "file", str(scan)])
    assert result.exit_code == 0, result.output
    assert f"✓ {form.document_id}: signed copy filed as" in result.output
    assert f"✓ {record.document_id}: signed copy filed as" in result.output
    signed = form.docx.with_name(form.docx.stem + "-signed.pdf")
    assert len(PdfReader(signed).pages) == form_pages
    assert [(p.document_id, p.page) for p in read_scan(signed)] == [
        (form.document_id, n) for n in range(1, form_pages + 1)
    ]  # back in their order
    records = {r.id: r for r in find_records(geneva, reference="LUM/0041")}
    assert records[form.document_id].signed_copy == str(signed.resolve())
    assert records[form.document_id].signed_at and records[estimate.document_id].signed_at
    assert records[record.document_id].signed_at

    # the form again with its second page missing, and a page of a form printed elsewhere
    (tmp_path / "again").mkdir()
    missing = scanned([form.pdf], tmp_path / "again")
    del missing[1]
    blank = Image.new("L", missing[0].size, 255)
    scan = as_pdf([*missing, blank], tmp_path / "incomplete.pdf")
    result = file_scan(geneva, scan, force=True)
    assert not result.filed
    assert result.problems == [
        f"{form.document_id} (page(s) {', '.join(map(str, range(1, form_pages)))} of the scan): "
        f"page(s) 2 of {form_pages} missing; not filed",
        f"page {form_pages} of the scan: no docgen code found",
    ]


def test_a_scan_of_another_workspaces_form_is_not_filed(visit_pdfs, tmp_path):
    _geneva, form, _record, _estimate = visit_pdfs
    scan = as_pdf(scanned([form.pdf], tmp_path), tmp_path / "scan.pdf")
    london = init_workspace(tmp_path / "london")
    result = CliRunner().invoke(main, ["--workspace", str(london.root), "file", str(scan)])
    assert result.exit_code == 1
    assert f"page(s) 1, 2, 3, 4, 5 of the scan: {form.document_id} is not in the register" in (
        result.output
    )


def test_a_scanned_image_is_filed_too(visit_pdfs, tmp_path):
    """A scanner that writes a multi-page TIFF, pages in reverse."""
    geneva, _form, _record, estimate = visit_pdfs
    images = list(reversed(scanned([estimate.pdf], tmp_path)))
    scan = tmp_path / "scan.tif"
    images[0].save(scan, save_all=True, append_images=images[1:])
    result = file_scan(geneva, scan)
    assert result.ok and set(result.filed) == {estimate.document_id}
    pages = len(PdfReader(estimate.pdf).pages)
    assert [p.page for p in read_scan(result.filed[estimate.document_id])] == list(
        range(1, pages + 1)
    )
    again = file_scan(geneva, scan)  # filed already: never replaced without --force
    assert not again.filed and "already exists" in again.problems[0]


def test_a_scan_larger_than_paper_is_refused_before_it_is_drawn(run, tmp_path):
    """A 683-byte PDF of three 5-metre pages took 99 s and 3 GB to draw, then a traceback; an
    image of more pixels than a page at twice the scan's resolution is refused too."""
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=14400, height=14400)
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        writer.write(handle)
    started = time.monotonic()
    result = run("file", huge)
    assert result.exit_code == 1 and time.monotonic() - started < 10
    assert "huge.pdf, page 1 is 508 x 508 cm: not a scanned page" in result.output
    poster = tmp_path / "poster.png"
    Image.new("1", (9000, 9000), 1).save(poster)
    result = run("file", poster)
    assert result.exit_code == 1 and "poster.png, page 1 is 9000 x 9000 pixels" in result.output


def signed_copy_of(document: Path) -> Path:
    return document.with_name(document.stem + "-signed.pdf")


def test_a_pdf_docgen_made_is_filed_as_it_is(visit_pdfs, run, tmp_path):
    """A form signed on a tablet comes back as docgen's own PDF, not a scan: pypdf could not
    copy its pages (their own content stream was written inside the page, where a PDF allows
    only references to streams) and docgen stopped with a traceback."""
    geneva, form, _record, _estimate = visit_pdfs
    pages = PdfReader(form.pdf).pages
    assert all(isinstance(part, IndirectObject) for page in pages for part in page["/Contents"])
    tablet = tmp_path / "tablet.pdf"
    shutil.copy(form.pdf, tablet)
    result = run("--workspace", geneva.root, "file", tablet)
    assert result.exit_code == 0, result.output
    signed = signed_copy_of(form.docx)
    assert pdf_text(signed) == pdf_text(form.pdf)
    (row,) = [r for r in find_records(geneva, reference="LUM/0041") if r.id == form.document_id]
    assert row.signed_copy == str(signed.resolve())

    # one printed before this was mended, its pages' own content written inside them
    writer = PdfWriter(clone_from=form.pdf)
    for page in writer.pages:
        page[NameObject("/Contents")] = ArrayObject(c.get_object() for c in page["/Contents"])
    printed_before = tmp_path / "printed-before.pdf"
    with printed_before.open("wb") as handle:
        writer.write(handle)
    result = run("--workspace", geneva.root, "file", "--force", printed_before)
    assert result.exit_code == 0, result.output
    assert pdf_text(signed) == pdf_text(form.pdf)


def test_a_file_where_a_signed_copy_goes_is_never_replaced(visit_pdfs, run, tmp_path):
    """Bob's printed form, saved by hand as ann-signed.pdf, was replaced by Ann's signed scan
    with --force, and nothing of it was kept."""
    geneva, _form, record, estimate = visit_pdfs
    in_the_way = signed_copy_of(estimate.docx)
    shutil.copy(record.pdf, in_the_way)
    before = in_the_way.read_bytes()
    scan = as_pdf(scanned([estimate.pdf], tmp_path), tmp_path / "scan.pdf")
    result = run("--workspace", geneva.root, "file", "--force", scan)
    assert result.exit_code == 1
    assert f"{in_the_way} is not its signed copy" in result.output
    assert in_the_way.read_bytes() == before


def test_filing_again_names_the_option_that_replaces_a_signed_copy(visit_pdfs, run, tmp_path):
    geneva, _form, _record, estimate = visit_pdfs
    scan = as_pdf(scanned([estimate.pdf], tmp_path), tmp_path / "scan.pdf")
    assert run("--workspace", geneva.root, "file", scan).exit_code == 0
    again = run("--workspace", geneva.root, "file", scan)
    assert again.exit_code == 1
    signed = signed_copy_of(estimate.docx)
    assert f"{estimate.document_id}: {signed} already exists" in again.output
    assert "docgen file --force replaces a signed copy filed before" in again.output
    assert " -o" not in again.output
    assert "--force" in run("file", "--help").output


def coded_as(image: Image.Image, code: str, dpi: int = 150) -> Image.Image:
    """The page with its own code whited out and another drawn in its place, as a page printed
    for another document, or a forged one, would be scanned."""
    forged = image.convert("RGB")
    width, height = forged.size
    mm = dpi / 25.4
    ImageDraw.Draw(forged).rectangle(
        [width - 25 * mm, height - 50 * mm, width, height - 5 * mm], fill="white"
    )
    side = round(14 * mm)  # as docgen draws it: 14 mm, 3 mm from the edge, 20 mm above it
    drawn = qrcode.make(code, border=0, box_size=4).resize((side, side), Image.NEAREST)
    forged.paste(drawn.convert("RGB"), (round(width - 17 * mm), round(height - 34 * mm)))
    return forged.convert("L")


def test_a_page_claiming_another_page_total_is_refused(visit_pdfs, run, tmp_path):
    """Another document's signature page, coded as page 1 of 1 of the consent form, was filed
    as its whole signed copy: the form's pages are counted from what was issued."""
    geneva, form, record, _estimate = visit_pdfs
    form_pages = len(PdfReader(form.pdf).pages)
    record_pages = scanned([record.pdf], tmp_path / "record")
    alone = as_pdf(
        [coded_as(record_pages[-1], f"docgen:{form.document_id}:1/1")], tmp_path / "a.pdf"
    )
    result = run("--workspace", geneva.root, "file", alone)
    assert result.exit_code == 1
    assert (
        f"a.pdf: page 1 of the scan says {form.document_id} has 1 page, but it has "
        f"{form_pages}; not filed"
    ) in result.output
    assert not signed_copy_of(form.docx).exists()

    # all the form's pages, and one more that claims the form has a page more
    pages = scanned([form.pdf], tmp_path / "form")
    extra = coded_as(record_pages[-1], f"docgen:{form.document_id}:2/{form_pages + 1}")
    scan = as_pdf([*pages, extra], tmp_path / "extra.pdf")
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 1
    assert (
        f"page {form_pages + 1} of the scan says {form.document_id} has {form_pages + 1} pages, "
        f"but it has {form_pages}; not filed"
    ) in result.output
    assert not signed_copy_of(form.docx).exists()
    (row,) = [r for r in find_records(geneva, reference="LUM/0041") if r.id == form.document_id]
    assert row.signed_at == "" and row.signed_copy == ""


def test_a_register_from_before_page_counts_counts_the_issued_pdf(visit_pdfs, run, tmp_path):
    """A register made before docgen kept page counts: the form's own PDF, beside it, says how
    many pages it has, and the register keeps that; without that PDF the form is not filed,
    and the admin is told why."""
    geneva, form, record, estimate = visit_pdfs
    with sqlite3.connect(geneva.root / "records" / "register.sqlite") as register:
        register.execute("ALTER TABLE documents DROP COLUMN pages")
    form_pages = len(PdfReader(form.pdf).pages)
    scan = as_pdf(scanned([form.pdf], tmp_path / "form"), tmp_path / "form.pdf")
    printed = form.pdf.rename(tmp_path / "put-away.pdf")
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 1
    on_pages = f"{form.document_id} (page(s) {', '.join(map(str, range(1, form_pages + 1)))}"
    assert (
        f"form.pdf: {on_pages} of the scan): the register does not say how many pages it has, "
        f"and its PDF {form.pdf.resolve()} is not there to count them; not filed"
    ) in result.output
    shutil.copy(estimate.pdf, form.pdf)  # another document's PDF in its place
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 1
    assert f"and {form.pdf.resolve()} is not the PDF it was printed from; not filed" in (
        result.output
    )
    assert not signed_copy_of(form.docx).exists()

    printed.replace(form.pdf)
    code = f"docgen:{form.document_id}:1/1"
    forged = coded_as(scanned([record.pdf], tmp_path / "record")[-1], code)
    result = run("--workspace", geneva.root, "file", as_pdf([forged], tmp_path / "a.pdf"))
    assert result.exit_code == 1
    assert f"{form.document_id} has 1 page, but it has {form_pages}; not filed" in result.output
    assert not signed_copy_of(form.docx).exists()

    form.pdf.unlink()  # counted once: the register keeps it
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 0, result.output
    assert len(PdfReader(signed_copy_of(form.docx)).pages) == form_pages
    (row,) = [r for r in find_records(geneva, reference="LUM/0041") if r.id == form.document_id]
    assert row.pages == form_pages and row.signed_copy == str(signed_copy_of(form.docx).resolve())


def test_two_pages_claiming_the_same_page_are_named_and_not_filed(visit_pdfs, run, tmp_path):
    """The form's pages 1-4, another document's page coded as its last page, then its real last
    page: the first in the scan used to win. Nothing of the form is filed; the estimate in
    the same scan is."""
    geneva, form, record, estimate = visit_pdfs
    pages = scanned([form.pdf], tmp_path / "form")
    last = len(pages)
    forged = coded_as(
        scanned([record.pdf], tmp_path / "record")[-1], f"docgen:{form.document_id}:{last}/{last}"
    )
    estimate_pages = scanned([estimate.pdf], tmp_path / "estimate")
    scan = as_pdf([*pages[:-1], forged, pages[-1], *estimate_pages], tmp_path / "scan.pdf")
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 1
    assert (
        f"scan.pdf: pages {last} and {last + 1} of the scan both say they are page {last} of "
        f"{form.document_id}; not filed"
    ) in result.output
    assert f"✓ {estimate.document_id}: signed copy filed as" in result.output
    assert f"✓ {form.document_id}" not in result.output
    assert not signed_copy_of(form.docx).exists()
    assert len(PdfReader(signed_copy_of(estimate.docx)).pages) == len(estimate_pages)
    rows = {r.id: r for r in find_records(geneva, reference="LUM/0041")}
    assert rows[form.document_id].signed_at == "" and rows[estimate.document_id].signed_at

    # a page scanned twice, unsigned then signed, is no better: the admin picks one
    twice = as_pdf([*pages[:2], pages[1], *pages[2:]], tmp_path / "twice.pdf")
    result = run("--workspace", geneva.root, "file", twice)
    assert result.exit_code == 1
    assert (
        f"twice.pdf: pages 2 and 3 of the scan both say they are page 2 of {form.document_id}; "
        "not filed"
    ) in result.output
    assert not signed_copy_of(form.docx).exists()


@pytest.mark.parametrize("how", ["another patient's form copied over it", "moved away"])
def test_a_signed_copy_is_filed_only_beside_the_document_the_register_has_there(
    visit_pdfs, run, tmp_path, how
):
    """Twenty-sixth probe: with two patients' folders swapped (or Bob's form copied over Ann's),
    Ann's signed scan was filed among Bob's documents; with her folder moved away, filing made
    a folder again for her signed copy alone."""
    geneva, form, _record, _estimate = visit_pdfs
    scan = as_pdf(scanned([form.pdf], tmp_path / "pages"), tmp_path / "scan.pdf")
    if how == "moved away":
        (tmp_path / "moved").mkdir()
        for printed in (form.docx, form.pdf):
            printed.rename(tmp_path / "moved" / printed.name)
    else:
        bob = Visit.for_treatment("Bob Roe", "HAIR", ["SCALP"], date_of_birth="1970-01-01")
        other = create_patient_documents(geneva, bob, output=tmp_path / "bob/")[0]
        shutil.copy(other.docx, form.docx)
    result = run("--workspace", geneva.root, "file", scan)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"{form.document_id}: the file at {form.docx.resolve()}" in said
    assert "is not this document (moved, replaced or edited)" in said
    assert not signed_copy_of(form.docx).exists()
    assert not Register.of(geneva).get(form.document_id).signed_at
