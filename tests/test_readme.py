"""README's command lines, run as written and in README's order, the way a clinic admin follows
them: in a clone of the repository (README's paths start there), with a workspace of their own
made by `docgen init ~/clinic` and exported as DOCGEN_WORKSPACE, as README says. Where README
shows what a command prints, the command must print that, ids and times aside; where the
output shows a failure (an `Error:` or a ✗), the command must fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
from conftest import money, pdf_text
from PIL import Image
from test_filing import as_pdf, scanned

from docgen.generate import create_estimate
from docgen.i18n import catalogue_locales
from docgen.pricing import SHEETS
from docgen.sheets import reference
from docgen.workspace import Workspace

REPOSITORY = Path(__file__).resolve().parent.parent
# installing is what test_quickstart runs; the server and the benchmark do not end by themselves
NOT_RUN_HERE = ("pip install", "docgen serve", "python benchmarks/")
# what differs from run to run: document ids and generation times
# ids, times and the signing key's id: they differ from run to run
VARYING = r"[QCR]-\d{8}-[0-9A-Z]{12}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|key [0-9a-f]{16}"


@dataclass(frozen=True)
class Example:
    commands: tuple[str, ...]  # one block's command lines, run one after the other
    shown: tuple[str, ...]  # what README shows them printing; empty if README shows nothing


def readme_examples() -> list[Example]:
    """Every ```sh block of README, and every `$ ` line of its output blocks, with the output
    block that follows it."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^ *```(\w*)\n(.*?)^ *```", readme, re.MULTILINE | re.DOTALL)
    examples = []
    for index, (language, text) in enumerate(blocks):
        if language == "sh":
            following = blocks[index + 1] if index + 1 < len(blocks) else ("sh", "")
            shown = following[1] if following[0] == "" else ""
            commands = text.replace("\\\n", " ").splitlines()
        elif language == "" and text.startswith("$ "):
            command, _, shown = text.partition("\n")
            commands = [command[2:]]
        else:
            continue
        commands = tuple(c.strip() for c in commands if not c.startswith(NOT_RUN_HERE))
        if commands:
            examples.append(Example(commands, _lines(shown)))
    return examples


def monday_scan(clone: Path) -> None:
    """README's scan of signed forms, from the batch's PDFs as a scanner gives them back:
    Jeanne Martin's form, pages in reverse; Amélie's without its page 2; a page with no code."""
    folder = clone / "scans"
    folder.mkdir()
    forms = clone / "tomorrow"
    jeanne = scanned([forms / "LUM-004128-Jeanne-Martin" / "consent.pdf"], folder / "a")
    amelie = scanned([forms / "LUM-004127-Amélie-Laurent-O-Brien" / "consent.pdf"], folder / "b")
    del amelie[1]
    blank = Image.new("L", jeanne[0].size, 255)
    as_pdf([*reversed(jeanne), *amelie, blank], folder / "monday.pdf")


def _lines(text: str) -> tuple[str, ...]:
    # the progress bar is drawn only on a terminal; "…" stands for lines left out
    return tuple(
        line.strip()
        for line in text.splitlines()
        if line.strip() and line.strip() != "…" and not line.startswith("appointments  [")
    )


def _pattern(line: str) -> re.Pattern:
    literal = [re.escape(part) for part in re.split(VARYING, line)]
    return re.compile(f"(?:{VARYING})".join(literal))


def admin(tmp_path: Path) -> tuple[Path, Path, Callable[..., subprocess.CompletedProcess]]:
    """A home folder, a clone of the repository (its sample appointments), and a way to run
    a command there as the admin's shell would, with ~/clinic as their workspace."""
    home, clone = tmp_path / "home", tmp_path / "clone"
    home.mkdir()
    shutil.copytree(REPOSITORY / "appointments", clone / "appointments")
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPOSITORY),  # this checkout's docgen, whichever copy is installed
        "DOCGEN_WORKSPACE": str(home / "clinic"),
        "LC_ALL": "C.UTF-8",
    }

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            command if len(command) > 1 else ["bash", "-c", *command], cwd=clone, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    return home, clone, run


def test_readme_commands_work_as_written(tmp_path):
    examples = readme_examples()
    commands = [command for example in examples for command in example.commands]
    assert "docgen init ~/clinic" in commands and any("docgen batch" in c for c in commands)
    home, clone, run = admin(tmp_path)

    # README's order has `check` on ~/clinic before `init` makes it: a reader makes it first.
    made = run("docgen init ~/clinic")
    assert made.returncode == 0, made.stderr
    # the folder of signed documents that README's `verify` example reads: one altered since
    (clone / "signed").mkdir()
    signed = create_estimate(
        Workspace.open(home / "clinic"), "Ann Lee", ["REJUV:FACE"], output=clone / "signed"
    ).docx
    altered = docx.Document(signed)
    altered.paragraphs[0].add_run(" (amended)")
    altered.save(signed)

    for example in examples:
        if example.commands == ("docgen init ~/clinic",):
            continue
        if example.commands[0].startswith("docgen file"):
            monday_scan(clone)
        fails = any(line.startswith(("Error:", "✗")) for line in example.shown)
        printed = ""
        for command in example.commands:
            result = run(command)
            printed += result.stdout + result.stderr
            assert (result.returncode != 0) == fails, (command, printed[-2000:])
        for line in example.shown:
            assert _pattern(line).search(printed), (example.commands, line, printed[-2000:])

    # what the admin then opens
    # README's estimate, and the one `docgen consent` writes with the form it cites
    estimates = [pdf_text(path) for path in clone.glob("estimate-Amélie-Laurent-Q-*.pdf")]
    assert len(estimates) == 2 and all("Amélie Laurent" in text for text in estimates)
    assert sum("Knees" in text for text in estimates) == 1
    consent = pdf_text(next(clone.glob("consent-Amélie-Laurent-C-*.pdf")))
    assert "LUM-004127" in consent and "Dr Sarah Whitfield" in consent
    assert "Skin rejuvenation" in pdf_text(clone / "price-sheet.pdf")
    assert sorted(p.name for p in (clone / "sheets").glob("*.pdf")) == [
        f"price-sheet-london-{language}.pdf"
        for language in ("ar", "de", "en_GB", "es", "fr", "it", "ja", "nl", "pl", "pt", "ro",
                         "ru", "tr", "uk", "zh")
    ]  # fmt: skip
    assert "sv" in catalogue_locales(home / "clinic" / "locales")  # README's i18n init line
    assert "Jeanne Martin" in pdf_text(clone / "tomorrow/LUM-004128-Jeanne-Martin/consent.pdf")
    assert len(list((clone / "docgen-demo").glob("*.pdf"))) == 6  # with the treatment record
    assert "Jeanne Martin" in pdf_text(clone / "tomorrow/LUM-004128-Jeanne-Martin/record.pdf")


def test_readme_python_api_runs_as_written(tmp_path):
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    _home, clone, run = admin(tmp_path)
    assert run("docgen init ~/clinic").returncode == 0
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr[-3000:]
    estimate, batch, problems, records, french_total = result.stdout.splitlines()
    docx_path, pdf_path = (clone / name for name in estimate.split())
    assert "Ann Lee" in pdf_text(pdf_path) and docx_path.is_file()
    assert batch == "26 []" and problems == "[]"  # 9 consent forms come with 9 records
    assert "'consent', 'Jeanne Martin')" in records and "'estimate', 'Jeanne Martin')" in records
    assert "'treatment_record', 'Jeanne Martin')" in records
    assert french_total == money(2168, "GBP", "fr")
    # create_consent's form, then the desk's: a form, its treatment record, the estimate it cites
    assert len(list(clone.glob("consent-Ann-Lee-C-*.docx"))) == 2
    assert len(list(clone.glob("record-Ann-Lee-R-*.docx"))) == 1
    assert len(list(clone.glob("estimate-Ann-Lee-Q-*.docx"))) == 2


def test_readme_describes_every_sheet_as_declared():
    """README's table of each workbook sheet is the one its declaration writes, so that every
    column and setting docgen reads is documented with its help; after a column is added,
    tools/write_sheet_reference.py brings README up to date."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The price-list workbook", 1)[1].split("\n## ", 1)[0]
    for sheet in SHEETS:
        assert reference(sheet) in section, (
            f"README's {sheet.name} table is not its declaration's: run "
            "python tools/write_sheet_reference.py"
        )
