from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_currency
from click.testing import CliRunner, Result
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfReader

from docgen.catalogues import compile_catalogues, po_path, update_catalogues
from docgen.cli import main
from docgen.pricing import PriceList, load_price_list
from docgen.workspace import Workspace, init_workspace


@contextlib.contextmanager
def finished_within(seconds: int):
    """Stop the work with TimeoutError if it has not ended after seconds (it took minutes)."""

    def stop(*_):
        raise TimeoutError(f"still working after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


HOSTILE_NAME = 'Zoë O\'Brien & Sons <Ltd> "VIP" 😀'


def docx_paragraphs(path: Path) -> list[str]:
    """Every paragraph's text, body (tables included) then footers, as a reader sees them."""
    document = docx.Document(str(path))
    parts = [document.element.body]
    parts += [section.footer._element for section in document.sections]
    return [
        "".join(t.text or "" for t in p.iter(qn("w:t")))
        for part in parts
        for p in part.iter(qn("w:p"))
    ]


def docx_footer(path: Path) -> str:
    """The text of the first section's footer, its cells joined by spaces."""
    footer = docx.Document(str(path)).sections[0].footer._element
    cells = ("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in footer.iter(qn("w:p")))
    return " ".join(cells)


def docx_text(path: Path) -> str:
    return "\n".join(docx_paragraphs(path))


def long_date(day: dt.date, locale: str) -> str:
    """A date as documents print it: Babel's long form, whole on one line (no-break spaces)."""
    return format_date(day, format="long", locale=locale).replace(" ", "\xa0")


def unbroken(text: str) -> str:
    """Text as documents print a date or phone number written with spaces: no-break ones."""
    return text.replace(" ", "\xa0")


def money(amount: str | int, currency: str, locale: str) -> str:
    """An amount as Babel's CLDR writes it. Tests ask Babel for a currency pattern or grouping
    sign instead of copying one CLDR release's output, which changes between Babel releases."""
    return format_currency(Decimal(amount), currency, locale=locale)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two colours, each #rrggbb or as a browser computes it
    (rgb(r, g, b) or rgba(r, g, b, a), opaque), from their relative luminance."""

    def luminance(colour: str) -> float:
        if colour.startswith("#"):
            channels = [int(colour[index : index + 2], 16) for index in (1, 3, 5)]
        else:
            channels = [int(part) for part in re.findall(r"[\d.]+", colour)[:3]]
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (channel / 255 for channel in channels)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


MARGINS_CM = {"top": 1.6, "bottom": 1.8, "side": 2.0}  # the templates'; footer and code outside


def printed_down_to(pdf: Path, dpi: int = 40) -> list[tuple[float, float]]:
    """Each page's height and how far down its printing goes between the templates' margins,
    both in points from the top of the page: ruled lines to write on count, as they print."""
    pages = []
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(pdf), f"{folder}/page"],
                       check=True)  # fmt: skip
        for image_path in sorted(Path(folder).iterdir(), key=lambda p: int(p.stem.split("-")[1])):
            with Image.open(image_path) as image:
                pixels, (width, height) = image.load(), image.size
                side = round(MARGINS_CM["side"] / 2.54 * dpi)
                top = round(MARGINS_CM["top"] / 2.54 * dpi)
                bottom = height - round(MARGINS_CM["bottom"] / 2.54 * dpi)
                inked = (
                    y for y in range(bottom - 1, top, -1)
                    if any(pixels[x, y] < 200 for x in range(side, width - side))
                )  # fmt: skip
                pages.append((height * 72 / dpi, next(inked, top) * 72 / dpi))
    return pages


def page_fill(pdf: Path) -> list[float]:
    """How full each page is: the share of the space between the margins its printing uses."""
    top, bottom = MARGINS_CM["top"] * 72 / 2.54, MARGINS_CM["bottom"] * 72 / 2.54
    return [(lowest - top) / (height - top - bottom) for height, lowest in printed_down_to(pdf)]


def headings_ending_a_page(pdf: Path, line: float = 26) -> list[str]:
    """The section headings of the PDF's outline with nothing printed under them on their page
    (nothing at least a line of text below the heading's top)."""
    reader = PdfReader(str(pdf))
    pages = printed_down_to(pdf)
    ending = []
    for entry in outline_entries(reader.outline):
        height, lowest = pages[reader.get_destination_page_number(entry)]
        if lowest - (height - float(entry.top)) < line:
            ending.append(entry.title)
    return ending


def outline_entries(outline: list) -> list:
    """Every entry of a PDF's outline, its sections' under their heading's too."""
    return [
        entry
        for item in outline
        for entry in (outline_entries(item) if isinstance(item, list) else [item])
    ]


def outline_titles(pdf: Path) -> list[str]:
    return [entry.title for entry in outline_entries(PdfReader(str(pdf)).outline)]


def processes() -> dict[int, tuple[int, str]]:
    """Every live process: its parent and its program's name (zombies are dead already)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat:
            name, rest = stat.split(" (", 1)[1].rsplit(")", 1)
            state, parent = rest.split()[:2]
            if state != "Z":
                found[int(entry.name)] = (int(parent), name)
    return found


def descendants(root: int) -> dict[int, str]:
    table = processes()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent]
        found.update((pid, table[pid][1]) for pid in children)
        frontier += children
    return found


@pytest.fixture(autouse=True)
def no_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test signs with, or creates, the signing key of the computer it runs on."""
    monkeypatch.setenv("DOCGEN_KEY_FILE", str(tmp_path / "no-signing-key"))


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's user data folder: the built-in workspace's register is kept there."""
    monkeypatch.delenv("DOCGEN_REGISTER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The docgen command as an admin runs it, in tmp_path, with no workspace set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOCGEN_WORKSPACE", raising=False)
    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A private copy of the built-in workspace that a test may edit."""
    return init_workspace(tmp_path / "clinic")


@pytest.fixture
def sample_workbook(workspace: Workspace) -> Path:
    return workspace.workbook()


@pytest.fixture
def price_list(sample_workbook: Path) -> PriceList:
    return load_price_list(sample_workbook)


EditWorkbook = Callable[..., Path]


@pytest.fixture
def edit_workbook(sample_workbook: Path, tmp_path: Path) -> EditWorkbook:
    """Copy the sample workbook, apply edits {"Sheet!A1": value} or a function, save, return it."""

    def edit(cells: dict[str, object] | None = None, change=None, name: str = "edited.xlsx"):
        path = tmp_path / name
        shutil.copy(sample_workbook, path)
        wb = openpyxl.load_workbook(path)
        for address, value in (cells or {}).items():
            sheet, cell = address.split("!")
            wb[sheet][cell] = value
        if change:
            change(wb)
        wb.save(path)
        return path

    return edit


def set_clinic_locale(workspace: Workspace, locale: str) -> None:
    """The clinic of the workspace's workbook works in locale: its desk speaks it."""
    workbook = openpyxl.load_workbook(workspace.workbook())
    workbook["Clinic"][f"B{clinic_row(workbook, 'Locale')}"] = locale
    workbook.save(workspace.workbook())


def set_translations(workspace: Workspace, language: str, domain: str, strings: dict) -> Path:
    """Translations typed into language's catalogue of domain by hand (not compiled); its .po."""
    path = po_path(workspace, language, domain)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    for message, string in strings.items():
        catalog[message].string = string
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def clinic_row(wb, key: str) -> int:
    """The row of a setting on the Clinic sheet."""
    for row in wb["Clinic"].iter_rows(min_row=1):
        if str(row[0].value).lower() == key.lower():
            return row[0].row
    raise KeyError(key)


# The texts of one treatment and two areas, as the Geneva clinic writes them.
FRENCH = {
    "Treatments!B2": "Rajeunissement de la peau",
    "Treatments!C2": "Micro-injections qui hydratent la peau et lui rendent son éclat.",
    "Treatments!H2": "Acide hyaluronique non réticulé, vitamines et acides aminés",
    "Treatments!I2": "Soins à base de rétinol, peelings, ou aucun traitement",
    "Areas!B2": "Visage",
    "Areas!B3": "Cou",
}
GERMAN = {
    "Rajeunissement de la peau": "Hautverjüngung",
    "Micro-injections qui hydratent la peau et lui rendent son éclat.": (
        "Mikroinjektionen, die die Haut mit Feuchtigkeit versorgen und ihr Strahlkraft geben."
    ),
    "Acide hyaluronique non réticulé, vitamines et acides aminés": (
        "Nicht vernetzte Hyaluronsäure, Vitamine und Aminosäuren"
    ),
    "Soins à base de rétinol, peelings, ou aucun traitement": (
        "Pflege mit Retinol, Peelings oder keine Behandlung"
    ),
    "Visage": "Gesicht",
    "Cou": "Hals",
}


@pytest.fixture(scope="session")
def built_geneva(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace turned into a Geneva clinic's: geneva.xlsx, in French, fr_CH, CHF;
    its catalogues brought up to date with the workbook, as README's workflow does. Built once
    per test process (updating and compiling every catalogue takes seconds); each test gets a
    copy of its own."""
    workspace = init_workspace(tmp_path_factory.mktemp("geneva") / "clinic")
    path = workspace.pricing_dir / "geneva.xlsx"
    shutil.move(workspace.pricing_dir / "london.xlsx", path)
    workbook = openpyxl.load_workbook(path)
    for address, text in {**FRENCH, "Clinic!B7": "CHF", "Clinic!B8": "fr_CH"}.items():
        sheet, cell = address.split("!")
        workbook[sheet][cell] = text
    workbook.save(path)
    update_catalogues(workspace)
    compile_catalogues(workspace)
    return workspace.root


def copied_into(workspace: Workspace, built: Path) -> Workspace:
    """The test's own workspace made a copy of a workspace built once."""
    shutil.rmtree(workspace.root)
    shutil.copytree(built, workspace.root)
    return workspace


@pytest.fixture
def geneva(workspace: Workspace, built_geneva: Path) -> Workspace:
    """A Geneva clinic's workspace (built_geneva), the test's own to edit."""
    return copied_into(workspace, built_geneva)
