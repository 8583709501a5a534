"""Signed copies filed back: every printed page carries a QR code with its document's id and its
page number, and a scan of signed forms is filed to their records by reading those codes.

The codes are drawn into each page of the PDF docgen makes (qrcode gives the matrix, pypdf adds
it as vector squares, 14 mm in the right margin above the footer, where nothing else is printed:
no text moves). A scan — a PDF or images, pages in any order, several forms at once — is made
into page images by poppler's pdftoppm, and each page's code read by zxing-cpp. A form whose
pages are all there is stored beside its document as <document>-signed.pdf, its pages in order,
and the register marks it signed; a missing page, a page without a code, or a page of a
document the register does not know is reported by its page of the scan. How many pages a form
has is what was printed (the register's count, or its PDF's), never what a code says: pages whose
codes claim another total, or two pages claiming the same page, stop that form.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
import zxingcpp
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from docgen.exceptions import FilingError, OutputExistsError
from docgen.output import signed_copy_path, write_atomically
from docgen.register import Record, Register, file_sha256
from docgen.workspace import Workspace

POINTS_PER_MM = 72 / 25.4
CODE_SIZE_MM = 14
CODE_ABOVE_EDGE_MM = 20  # its foot: above the footer, which sits in the bottom margin
SIDE_MARGIN_MM = 20  # the templates' right margin (1134 twips), where the code is centred
SCAN_DPI = 200
_CODE = re.compile(r"docgen:([A-Za-z0-9_.-]+):(\d+)/(\d+)")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def page_code(document_id: str, page: int, pages: int) -> str:
    return f"docgen:{document_id}:{page}/{pages}"


def stamp_codes(pdf: Path, document_id: str) -> int:
    """Draw each page's code (document id, page, pages) on the PDF, in place: a content stream
    added after the page's own, which is wrapped in q … Q so that nothing it leaves set (a
    transformation, a colour) moves or colours the code. Written as an incremental update
    (the file as LibreOffice wrote it, then each page again with its code): copying a tagged
    PDF's thousand objects took a third of the time a batch spent on PDFs. Returns the number
    of pages."""
    original = pdf.read_bytes()
    reader = PdfReader(io.BytesIO(original))
    pages = len(reader.pages)
    update = _IncrementalUpdate(original, int(reader.trailer["/Size"]))
    size = CODE_SIZE_MM * POINTS_PER_MM
    for number, page in enumerate(reader.pages, start=1):
        left = float(page.mediabox.width) - (SIDE_MARGIN_MM * POINTS_PER_MM + size) / 2
        save = update.add_stream(b"q")
        code = update.add_stream(
            b"Q\n" + _squares(page_code(document_id, number, pages), left, size)
        )
        own = page.raw_get("/Contents")
        own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
        stamped = DictionaryObject({NameObject(key): page.raw_get(key) for key in page})
        stamped[NameObject("/Contents")] = ArrayObject([save, *own, code])
        update.replace(page.indirect_reference, stamped)
    write_atomically(pdf, update.written(reader.trailer), force=True, durable=False)
    return pages


class _IncrementalUpdate:
    """Objects added to, or written again after, a PDF with a classic cross-reference table, as
    PDF's incremental updates append them: the file's own bytes are left as they are."""

    def __init__(self, original: bytes, size: int):
        self.original = original if original.endswith(b"\n") else original + b"\n"
        self.body = io.BytesIO()
        self.offsets: dict[int, int] = {}
        self.size = size

    def add_stream(self, data: bytes) -> IndirectObject:
        number = self.size
        self.size += 1
        self._write(number, b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        return IndirectObject(number, 0, None)

    def replace(self, reference: IndirectObject, value: DictionaryObject) -> None:
        written = io.BytesIO()
        value.write_to_stream(written)
        self._write(reference.idnum, written.getvalue(), reference.generation)

    def _write(self, number: int, body: bytes, generation: int = 0) -> None:
        self.offsets[number] = len(self.original) + self.body.tell()
        self.body.write(b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n")

    def written(self, trailer: DictionaryObject) -> bytes:
        previous = int(re.findall(rb"startxref\s+(\d+)", self.original)[-1])
        xref = len(self.original) + self.body.tell()
        table = [b"xref\n0 1\n0000000000 65535 f\r\n"]  # the free list's head, as readers expect
        for number in sorted(self.offsets):
            table.append(b"%d 1\n%010d 00000 n\r\n" % (number, self.offsets[number]))
        updated = DictionaryObject(
            {
                NameObject(key): trailer.raw_get(key)
                for key in ("/Root", "/Info", "/ID")
                if key in trailer
            }
        )
        updated[NameObject("/Size")] = NumberObject(self.size)
        updated[NameObject("/Prev")] = NumberObject(previous)
        written = io.BytesIO()
        updated.write_to_stream(written)
        ending = b"trailer\n" + written.getvalue() + b"\nstartxref\n%d\n%%%%EOF\n" % xref
        return self.original + self.body.getvalue() + b"".join(table) + ending


def _squares(text: str, left: float, size: float) -> bytes:
    """PDF drawing operators for the code's dark modules, as filled squares."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    bottom = CODE_ABOVE_EDGE_MM * POINTS_PER_MM
    operators = ["q 0 g"]
    for row, modules in enumerate(matrix):
        y = bottom + (len(matrix) - 1 - row) * module
        operators += [
            f"{left + column * module:.2f} {y:.2f} {module:.3f} {module:.3f} re"
            for column, dark in enumerate(modules)
            if dark
        ]
    operators.append("f Q")
    return "\n".join(operators).encode()


@dataclass(frozen=True)
class ScannedPage:
    number: int  # in the scan, from 1
    document_id: str = ""
    page: int = 0
    pages: int = 0
    # every code read on the page, when they name more than one page (a 2-up print or scan)
    codes: tuple[str, ...] = ()
    # its code is not where, nor the size, docgen prints it: a page reduced, or one of several
    # pages printed or scanned to a sheet (whose other code may be unreadable)
    out_of_place: bool = False


@dataclass
class FilingResult:
    filed: dict[str, Path] = field(default_factory=dict)  # document id → its signed copy
    problems: list[str] = field(default_factory=list)
    signed_before: list[str] = field(default_factory=list)  # ids kept as filed before
    # a document filed although it was replaced: its id → the id in force, and whether that one
    # has a signed copy (the patient may still have to sign it)
    replaced: dict[str, tuple[str, bool]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_scan(scan: Path) -> list[ScannedPage]:
    """Each page of the scan, with the docgen code read on it (if any)."""
    found = []
    with tempfile.TemporaryDirectory(prefix="docgen-scan-") as folder:
        for number, image in enumerate(_page_images(scan, Path(folder)), start=1):
            found.append(_scanned_page(number, image))
    return found


def _scanned_page(number: int, image: Image.Image) -> ScannedPage:
    results = _codes_read(image)
    if results and abs(results[0][0].orientation) > 45:  # scanned on its side or upside down
        image = image.rotate(results[0][0].orientation, expand=True)
        results = _codes_read(image)
    if not results:
        return ScannedPage(number)
    if len(found := sorted({code.group() for _result, code in results})) > 1:
        return ScannedPage(number, codes=tuple(found))
    result, code = results[0]
    document_id, page, pages = code.groups()
    return ScannedPage(
        number, document_id, int(page), int(pages), out_of_place=not _where_printed(result, image)
    )


def _codes_read(image: Image.Image) -> list[tuple[zxingcpp.Result, re.Match]]:
    return [
        (result, match)
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        if (match := _CODE.fullmatch(result.text))
    ]


def _where_printed(result: zxingcpp.Result, image: Image.Image) -> bool:
    """Whether the code is where and as large as docgen prints it, measured in millimetres of
    the page scanned at its own size (its short side A4's 210 mm): a page reduced to share a
    sheet with another (2-up), whose code alone could be read, is not one page of a document."""
    corners = result.position
    points = [corners.top_left, corners.top_right, corners.bottom_right, corners.bottom_left]
    mm = min(image.size) / 210
    size = ((points[0].x - points[1].x) ** 2 + (points[0].y - points[1].y) ** 2) ** 0.5 / mm
    from_right = (image.width - sum(p.x for p in points) / 4) / mm
    from_bottom = (image.height - sum(p.y for p in points) / 4) / mm
    centre_from_right = SIDE_MARGIN_MM / 2
    centre_from_bottom = CODE_ABOVE_EDGE_MM + CODE_SIZE_MM / 2
    return (
        abs(size - CODE_SIZE_MM) <= CODE_SIZE_MM * 0.2
        and abs(from_right - centre_from_right) <= PLACE_TOLERANCE_MM
        and abs(from_bottom - centre_from_bottom) <= PLACE_TOLERANCE_MM
    )


PLACE_TOLERANCE_MM = 10  # a page fed askew, or printed with the printer's own margins


# A scan's pages are paper: drawing a 5-metre page of a 683-byte PDF at SCAN_DPI took 99 s and
# 3 GB. Pages up to A3 with room to spare, and a day's forms at most.
LARGEST_PAGE_CM = 50
MOST_SCAN_PAGES = 1000
MOST_IMAGE_PIXELS = int(LARGEST_PAGE_CM / 2.54 * 2 * SCAN_DPI) ** 2  # such a page at 2 x SCAN_DPI


def _check_pdf_pages(scan: Path) -> None:
    """Refuse a scanned PDF whose pages are larger than paper, or too many, before drawing."""
    try:
        pages = PdfReader(scan).pages
        count = len(pages)
        if count > MOST_SCAN_PAGES:
            raise FilingError(
                f"{scan.name} has {count} pages; at most {MOST_SCAN_PAGES}: file it in parts"
            )
        for number, page in enumerate(pages, start=1):
            width, height = (float(side) * 2.54 / 72 for side in page.mediabox[2:])
            if max(abs(width), abs(height)) > LARGEST_PAGE_CM:
                raise FilingError(
                    f"{scan.name}, page {number} is {abs(width):.0f} x {abs(height):.0f} cm: "
                    f"not a scanned page (at most {LARGEST_PAGE_CM} cm a side)"
                )
    except (PdfReadError, ValueError, TypeError, KeyError) as error:
        raise FilingError(f"{scan.name} is not a PDF that can be read ({error})") from None


def _pdftoppm() -> str:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise FilingError(
            "reading a scanned PDF needs poppler's pdftoppm: apt-get install poppler-utils "
            "(macOS: brew install poppler)"
        )
    return pdftoppm


def _page_images(scan: Path, folder: Path) -> list[Image.Image]:
    if scan.suffix.lower() == ".pdf":
        _check_pdf_pages(scan)
        pdftoppm = _pdftoppm()
        try:
            subprocess.run(
                [pdftoppm, "-r", str(SCAN_DPI), "-gray", "-png", str(scan), str(folder / "page")],
                check=True, capture_output=True, timeout=600,
            )  # fmt: skip
        except subprocess.CalledProcessError as error:
            said = error.stderr.decode(errors="replace").strip()[:200]
            raise FilingError(f"{scan.name} is not a PDF that can be read ({said})") from None
        # pdftoppm numbers pages with as many digits as the last one needs: sort by number
        pages = sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [Image.open(page) for page in pages]
    try:
        image = Image.open(scan)
        if getattr(image, "n_frames", 1) > MOST_SCAN_PAGES:
            raise FilingError(f"{scan.name} has over {MOST_SCAN_PAGES} pages: file it in parts")
        frames = []
        for index in range(getattr(image, "n_frames", 1)):  # a multi-page TIFF
            image.seek(index)
            if image.width * image.height > MOST_IMAGE_PIXELS:
                raise FilingError(
                    f"{scan.name}, page {index + 1} is {image.width} x {image.height} pixels: "
                    f"more than a page scanned at {2 * SCAN_DPI} dpi"
                )
            frames.append(image.convert("L"))
        return frames
    except (OSError, Image.DecompressionBombError):
        raise FilingError(f"{scan.name} is neither a PDF nor an image that can be read") from None


def file_scan(workspace: Workspace, scan: str | Path, *, force: bool = False) -> FilingResult:
    """File a scan of signed documents: each document whose pages are all in it is stored as
    <document>-signed.pdf beside it, its pages in order, and marked signed in the register.
    Every page that cannot be filed is reported by its page of the scan."""
    scan = Path(scan)
    if not scan.is_file():
        raise FilingError(f"{scan} not found")
    if scan.suffix.lower() not in (".pdf", *IMAGE_SUFFIXES):
        raise FilingError(f"{scan.name}: expected a scan as .pdf, .png, .jpg or .tif")
    register = Register.existing(workspace)
    result = FilingResult()
    problems: list[tuple[int, str]] = []  # by the first page of the scan each is about
    by_document: dict[str, list[ScannedPage]] = defaultdict(list)
    for page in read_scan(scan):
        if page.codes:
            said = (
                f"page {page.number} of the scan holds the pages of several documents "
                f"({', '.join(page.codes)}); a signed copy is filed from pages of its document "
                "alone: scan each page on a sheet of its own"
            )
            problems.append((page.number, said))
        elif page.out_of_place:
            said = (
                f"page {page.number} of the scan: the code of {page.document_id} is not where "
                f"docgen prints it ({CODE_SIZE_MM} mm, at the bottom right of the page): a page "
                "printed or scanned reduced, or several to a sheet, is not filed; scan each "
                "page at its own size"
            )
            problems.append((page.number, said))
        elif not page.document_id:
            problems.append((page.number, f"page {page.number} of the scan: no docgen code found"))
        else:
            by_document[page.document_id].append(page)
    for document_id, pages in by_document.items():
        record = register.get(document_id) if register else None
        numbers = ", ".join(str(page.number) for page in pages)
        if record is None:
            message = f"page(s) {numbers} of the scan: {document_id} is not in the register"
            problems.append((pages[0].number, message))
            continue
        try:
            total = issued_pages(register, record)
        except FilingError as error:
            message = f"{document_id} (page(s) {numbers} of the scan): {error}; not filed"
            problems.append((pages[0].number, message))
            continue
        ordered, wrong = _in_order(document_id, pages, total)
        if wrong:
            problems += wrong
            continue
        if file_sha256(Path(record.path)) != record.sha256:
            message = (
                f"{document_id}: the file at {record.path}, where the register has it, is not "
                "this document (moved, replaced or edited): its signed copy would be filed "
                "beside another; put the document back where docgen wrote it, then file the "
                "scan again"
            )
            problems.append((pages[0].number, message))
            continue
        target = signed_copy_path(Path(record.path))
        if target.exists() and record.signed_copy != str(target.resolve()):
            message = (
                f"{document_id}: {target} is not its signed copy (the register has none "
                "there) but another file, perhaps another document: docgen never replaces "
                "it; move it away and file the scan again"
            )
            problems.append((pages[0].number, message))
            continue
        try:
            _write_pages(scan, ordered, target, force)
        except OutputExistsError as error:  # its message offers -o, which filing has not
            message = f"{document_id}: {error.path} already exists (a signed copy filed before)"
            problems.append((pages[0].number, message))
            result.signed_before.append(document_id)
            continue
        except PdfReadError as error:
            message = f"{document_id}: its pages cannot be copied out of {scan.name} ({error})"
            problems.append((pages[0].number, message))
            continue
        register.signed(document_id, target)
        result.filed[document_id] = target
        if record.replaced_by:
            in_force = register.get(record.replaced_by)
            result.replaced[document_id] = (
                record.replaced_by,
                bool(in_force and in_force.signed_at),
            )
    result.problems = [message for _page, message in sorted(problems)]
    return result


def issued_pages(register: Register, record: Record) -> int:
    """How many pages the document was printed with: as the register keeps it, or, for one
    printed before the register kept it, as its PDF beside it has (then kept). A FilingError
    says why it cannot be told."""
    if record.pages:
        return record.pages
    pdf = Path(record.path).with_suffix(".pdf")
    unknown = "the register does not say how many pages it has, and"
    if not pdf.is_file():
        raise FilingError(f"{unknown} its PDF {pdf} is not there to count them")
    try:
        pages = len(PdfReader(pdf).pages)
        first = _first_page_of(pdf)
    except (PdfReadError, ValueError, TypeError, KeyError, subprocess.CalledProcessError):
        raise FilingError(f"{unknown} its PDF {pdf} cannot be read to count them") from None
    if first != ScannedPage(1, record.id, 1, pages):  # another document's, or made again
        raise FilingError(f"{unknown} {pdf} is not the PDF it was printed from")
    register.record_pages(record.id, pages)
    return pages


def _first_page_of(pdf: Path) -> ScannedPage:
    with tempfile.TemporaryDirectory(prefix="docgen-scan-") as folder:
        subprocess.run(
            [_pdftoppm(), "-r", str(SCAN_DPI), "-gray", "-png", "-f", "1", "-l", "1", str(pdf),
             str(Path(folder) / "page")],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        (image,) = Path(folder).glob("page-*.png")
        return _scanned_page(1, Image.open(image))


def _in_order(
    document_id: str, pages: Sequence[ScannedPage], total: int
) -> tuple[list[int], list[tuple[int, str]]]:
    """The pages of the scan that make up the document, in its order; or, if they do not, every
    reason why, each with the first page of the scan it is about."""
    problems = []
    claimed_totals: dict[int, list[int]] = defaultdict(list)
    for page in pages:
        if page.pages != total:
            claimed_totals[page.pages].append(page.number)
    for claimed, numbers in claimed_totals.items():
        verb = "says" if len(numbers) == 1 else "say"
        message = (
            f"{_scan_pages(numbers)} of the scan {verb} {document_id} has "
            f"{_counted(claimed, 'page')}, but it has {total}; not filed"
        )
        problems.append((numbers[0], message))
    agreeing = [page for page in pages if page.pages == total]
    for page in agreeing:
        if not 1 <= page.page <= total:
            message = (
                f"page {page.number} of the scan says it is page {page.page} of {document_id}, "
                f"which has {total}; not filed"
            )
            problems.append((page.number, message))
    by_page: dict[int, list[int]] = defaultdict(list)
    for page in agreeing:
        by_page[page.page].append(page.number)
    for page_number, numbers in by_page.items():
        if len(numbers) > 1:  # which is the signed one is for the admin to tell, not docgen
            both = "both" if len(numbers) == 2 else "all"
            message = (
                f"{_scan_pages(numbers)} of the scan {both} say they are page {page_number} of "
                f"{document_id}; not filed"
            )
            problems.append((numbers[0], message))
    missing = [n for n in range(1, total + 1) if n not in by_page]
    if agreeing and missing:  # none agreeing: said above, every page is missing
        numbers = ", ".join(str(page.number) for page in pages)
        message = (
            f"{document_id} (page(s) {numbers} of the scan): page(s) "
            f"{', '.join(map(str, missing))} of {total} missing; not filed"
        )
        problems.append((pages[0].number, message))
    if problems:
        return [], problems
    return [by_page[n][0] for n in range(1, total + 1)], []


def _scan_pages(numbers: Sequence[int]) -> str:
    """'page 5', 'pages 5 and 6', 'pages 2, 5 and 6'."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    return f"pages {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _write_pages(scan: Path, numbers: Sequence[int], target: Path, force: bool) -> None:
    """The scan's pages (numbered from 1), in this order, as one PDF at target."""
    data = io.BytesIO()
    if scan.suffix.lower() == ".pdf":
        reader = PdfReader(scan)
        writer = PdfWriter()
        for number in numbers:
            writer.add_page(_copyable(reader.pages[number - 1]))
        writer.write(data)
    else:
        image = Image.open(scan)
        frames = []
        for number in numbers:
            image.seek(number - 1)
            frames.append(image.convert("RGB"))
        frames[0].save(data, "PDF", save_all=True, append_images=frames[1:], resolution=SCAN_DPI)
    write_atomically(target, data.getvalue(), force)


def _copyable(page: PageObject) -> PageObject:
    """The page, its content streams joined into one when any is written inside its /Contents
    array rather than referred to (docgen's own PDFs were, before it drew codes right): pypdf
    cannot copy such a page."""
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject) and any(isinstance(p, StreamObject) for p in contents):
        page[NameObject("/Contents")] = page.get_contents()
    return page
