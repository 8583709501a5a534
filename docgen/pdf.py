"""Convert step: .docx to .pdf with LibreOffice, many files per start of LibreOffice."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from docgen.exceptions import PdfError
from docgen.filing import stamp_codes
from docgen.i18n import locale_as_written
from docgen.libreoffice_worker import PDF_FILTER_DATA
from docgen.output import move_into_place
from docgen.register import Register
from docgen.render import document_properties

INSTALL_HELP = (
    "LibreOffice is needed to make PDFs and was not found. "
    "Install it, then run the command again:\n"
    "  Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui\n"
    "  Fedora:        sudo dnf install libreoffice-writer\n"
    "  macOS:         brew install --cask libreoffice\n"
    "  Windows:       https://www.libreoffice.org/download/\n"
    "or set DOCGEN_SOFFICE to the full path of its 'soffice' program. "
    "Nothing was written; without --pdf, docgen writes the .docx alone."
)

_KNOWN_LOCATIONS = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str:
    """The LibreOffice program to run, or PdfError saying how to install it."""
    configured = os.environ.get("DOCGEN_SOFFICE")
    if configured:
        if Path(configured).is_file():
            return configured
        raise PdfError(
            f"DOCGEN_SOFFICE is set to {configured!r}, which is not a file.\n" + INSTALL_HELP
        )
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for location in _KNOWN_LOCATIONS:
        if Path(location).is_file():
            return location
    raise PdfError(INSTALL_HELP)


def libreoffice_available() -> bool:
    try:
        find_soffice()
    except PdfError:
        return False
    return True


# LibreOffice 7.4 converts only the first 246 files one command names, and still exits 0.
FILES_PER_RUN = 200
WAIT_STEP = 0.2  # seconds between looks for PDFs to stamp while LibreOffice works


# Folders of a conversion, named with the process id of the docgen that made them: a killed
# one leaves them behind, and the next batch or desk removes them (processes.remove_orphaned_work)
STAGING_PREFIX = ".docgen-pdf-"  # in the documents' folder: links to them, and their PDFs
PROFILE_PREFIX = "docgen-lo-"  # LibreOffice's profile, in the temporary folder
_WORKER = Path(__file__).with_name("libreoffice_worker.py")
_FILTER_OPTIONS = json.dumps(  # LibreOffice's JSON form of filter options (7.4 and later)
    {name: {"type": "boolean", "value": str(on).lower()} for name, on in PDF_FILTER_DATA.items()}
)


def _own(prefix: str) -> str:
    return f"{prefix}{os.getpid()}-"


def convert_to_pdf(
    documents: Sequence[Path],
    *,
    force: bool = False,
    jobs: int = 1,
    timeout: int = 600,
    work_dir: Path | None = None,
    register: Register | None = None,
) -> list[Path]:
    """Write a PDF beside each .docx and return the PDFs; the register, if given, keeps how
    many pages each document's PDF has (a scan filed back must have as many).

    Inside `warm_libreoffice()`, the LibreOffice kept running there converts them. Otherwise
    LibreOffice starts once per job and FILES_PER_RUN documents, never once per document: the
    documents are split between `jobs` LibreOffice processes with their own profiles. A
    LibreOffice that takes more than `timeout` seconds for one run is stopped. The work is
    done in a STAGING_PREFIX folder in work_dir (default: the first document's folder), on the
    documents' file system: a batch passes its output folder, never a patient's."""
    if not documents:
        return []
    soffice = find_soffice()
    with _staging(documents, work_dir or documents[0].parent) as (staged, out):
        properties = {
            name: document_properties(document)
            for name, document in zip(staged, documents, strict=True)
        }
        codes = _Codes(
            {
                out / (name.stem + ".pdf"): found.get("docgen.document-id", "")
                for name, found in properties.items()
            }
        )
        if _warm is not None:
            for name, document in zip(staged, documents, strict=True):
                _warm.convert(name, out / (name.stem + ".pdf"), shown_as=document)
        else:
            shown_as = dict(zip(staged, documents, strict=True))
            languages = {name: _language(found) for name, found in properties.items()}
            lanes = _lanes(staged, languages, jobs, hyphenation_patterns(soffice))
            with contextlib.ExitStack() as stack:
                prefix = _own(PROFILE_PREFIX)
                profiles = [
                    Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
                    for _ in lanes
                ]
                for first in range(0, max(map(len, lanes)), FILES_PER_RUN):
                    runs = [
                        (lane[first : first + FILES_PER_RUN], profile)
                        for lane, profile in zip(lanes, profiles, strict=True)
                        if lane[first : first + FILES_PER_RUN]
                    ]
                    _run_cold(soffice, runs, out, timeout, shown_as, codes.stamp_made)
        codes.stamp_made(finished=True)
        return _place(staged, documents, out, force, register, codes.stamped)


def _lanes(
    documents: list[Path], languages: dict[Path, str], jobs: int, patterns: dict[str, int]
) -> list[list[Path]]:
    """The documents shared between jobs LibreOffice processes so that they finish together,
    with as few of them as can be meeting each language.

    A process's work is counted in bytes: those of its documents, and a fifth of those of the
    hyphenation patterns (patterns: their size by language) of each language it meets, which
    it reads once a start (one per FILES_PER_RUN documents). Dealt in turn, a batch's consent
    forms all went to one process and their shorter treatment records to the other, idle for a
    third of the run; and every process read German's patterns. So a language whose work fits
    in one process's even share goes whole to the process with least to do so far, the one
    with most work first. A language too large for one fills a process up to its share, then
    the next; the language with most bytes of documents comes last and fills the gaps."""
    if not documents:
        return [[]]
    sizes = {document: document.stat().st_size for document in documents}
    lanes: list[list[Path]] = [[] for _ in range(min(jobs, len(documents)) or 1)]
    loads = [0] * len(lanes)
    met: list[set[str]] = [set() for _ in lanes]
    by_language: dict[str, list[Path]] = {}
    for document in documents:
        by_language.setdefault(languages.get(document, ""), []).append(document)

    def documents_bytes(language: str) -> int:
        return sum(map(sizes.__getitem__, by_language[language]))

    def work(language: str) -> int:
        return _reading(patterns, language) + documents_bytes(language)

    def cheapest(language: str) -> int:
        """The lane where the language's next document adds least."""
        return min(
            range(len(lanes)),
            key=lambda lane: (
                loads[lane] + (0 if language in met[lane] else _reading(patterns, language))
            ),
        )

    def give(lane: int, language: str, given: list[Path]) -> None:
        lanes[lane] += given
        loads[lane] += sum(map(sizes.__getitem__, given))
        if language not in met[lane]:
            loads[lane] += _reading(patterns, language)
            met[lane].add(language)

    share = sum(map(work, by_language)) / len(lanes)
    # the language with most bytes of documents (of those, the quickest to read) is spread last
    largest = max(by_language, key=lambda language: (documents_bytes(language), -work(language)))
    whole = [
        language for language in by_language if language != largest and work(language) <= share
    ]
    for language in sorted(whole, key=work, reverse=True):
        give(cheapest(language), language, by_language[language])
    spread = sorted(set(by_language) - set(whole) - {largest}, key=work, reverse=True)
    for language in [*spread, largest]:
        lane = None
        for document in sorted(by_language[language], key=sizes.__getitem__, reverse=True):
            if lane is None or loads[lane] + sizes[document] > share:
                lane = cheapest(language)
            give(lane, language, [document])
    return lanes


# A LibreOffice reads a language's hyphenation patterns in about the time it takes to make
# PDFs of a fifth of their size in .docx: German's 1.1 MB as long as ten 23 kB consent forms
# (its lane of a 50-form batch ended 1.7 s after the other's, each form taking 0.165 s).
PATTERN_BYTES_PER_DOCUMENT_BYTE = 5


def _reading(patterns: dict[str, int], language: str) -> int:
    """What reading a language's hyphenation patterns costs a LibreOffice, in document bytes."""
    return patterns.get(language, 0) // PATTERN_BYTES_PER_DOCUMENT_BYTE


@functools.lru_cache(maxsize=4)
def hyphenation_patterns(soffice: str) -> dict[str, int]:
    """The size in bytes of the hyphenation patterns LibreOffice reads for each language (de:
    the largest of German's), from where it finds them: the system's folder (Linux) and the
    dictionaries installed with it (Windows, macOS)."""
    installed = Path(soffice).resolve().parent.parent
    folders = [
        Path("/usr/share/hyphen"),
        *installed.glob("share/extensions/*"),
        *installed.glob("Resources/extensions/*"),
    ]
    sizes: dict[str, int] = {}
    for folder in folders:
        for patterns in folder.glob("hyph_*.dic"):
            language = re.split(r"[_.-]", patterns.name.removeprefix("hyph_"))[0]
            with contextlib.suppress(OSError):
                sizes[language] = max(sizes.get(language, 0), patterns.stat().st_size)
    return sizes


def _language(properties: dict[str, str]) -> str:
    """The language a document docgen made is in (de for de_CH), or '' for another."""
    locale = locale_as_written(properties.get("docgen.locale", ""))
    return locale.language if locale else ""


class _Codes:
    """Each page's code stamped on the PDFs in the staging folder, each as soon as LibreOffice
    has written it whole (_written): stamped while the others are still being made, rather
    than all after them."""

    def __init__(self, document_ids: dict[Path, str]):  # each PDF to be made: its document's id
        self._waiting = {
            pdf: document_id
            for pdf, document_id in document_ids.items()
            if document_id  # a document docgen made: a code on every page, to file it back
        }
        self.stamped: dict[Path, tuple[str, int]] = {}  # the PDF's document id and pages

    def stamp_made(self, finished: bool = False) -> None:
        """Stamp the PDFs written whole; finished: LibreOffice has ended, and a lock file it
        left no longer says it is writing."""
        for pdf, document_id in list(self._waiting.items()):
            if _whole(pdf) if finished else _written(pdf):
                self.stamped[pdf] = (document_id, stamp_codes(pdf, document_id))
                del self._waiting[pdf]


def _run_cold(
    soffice: str,
    runs: list[tuple[list[Path], Path]],
    out: Path,
    timeout: int,
    shown_as: dict[Path, Path],
    while_waiting: Callable[[], None],
) -> None:
    """One LibreOffice per (documents, profile), side by side; PdfError unless every document
    got its PDF. Each runs in a process group of its own, stopped whole on any way out, and
    by libreoffice_worker.py's run when docgen is killed. while_waiting is called every
    WAIT_STEP seconds until they are done."""
    running = []
    try:
        for names, profile in runs:
            command = [
                sys.executable,
                str(_WORKER),
                "--run",
                str(os.getpid()),
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                f"pdf:writer_pdf_Export:{_FILTER_OPTIONS}",
                "--outdir",
                str(out),
                *[str(name) for name in names],
            ]
            running.append(
                subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                    errors="replace",
                    start_new_session=True,
                )
            )
        complaints = []
        deadline = time.monotonic() + timeout
        for process in running:
            while True:
                try:  # retried after a timeout, communicate loses nothing of the output
                    _, errors = process.communicate(timeout=WAIT_STEP)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise PdfError(
                            f"LibreOffice did not finish converting {len(runs[0][0])} documents "
                            f"within {timeout} s; it was stopped"
                        ) from None
                    while_waiting()
            if process.returncode or errors.strip():
                complaints.append(f"exit {process.returncode}: {_last_words(errors)}")
    finally:
        for process in running:
            stop_process_group(process)
    missing = [
        shown_as[name]
        for names, _ in runs
        for name in names
        if not _made(out / (name.stem + ".pdf"))
    ]
    if missing:
        shown = ", ".join(map(str, missing[:3])) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        said = f" (LibreOffice said: {'; '.join(complaints)})" if complaints else ""
        raise PdfError(f"LibreOffice could not convert {shown} to PDF{said}")


def _made(pdf: Path) -> bool:
    return pdf.is_file() and pdf.stat().st_size > 0


def _written(pdf: Path) -> bool:
    """Whether a running LibreOffice has finished writing a PDF. It creates the file and then
    copies into it what it wrote under another name, holding a lock file (.~lock.NAME#)
    meanwhile: a PDF stamped half copied ended a batch ('EOF marker not found')."""
    return not pdf.with_name(f".~lock.{pdf.name}#").exists() and _whole(pdf)


def _whole(pdf: Path) -> bool:
    """Whether a PDF is there whole: it ends in %%EOF (LibreOffice writes no later updates)."""
    try:
        with pdf.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 32))
            return b"%%EOF" in handle.read()
    except OSError:
        return False


def _last_words(output: str, most: int = 300) -> str:
    """The end of what a program printed, on one line and short: the error is usually there,
    and a message quoting all of it would bury it."""
    text = " ".join(output.split())
    return text if len(text) <= most else "…" + text[-most:]


def stop_process_group(process: subprocess.Popen) -> None:
    """Kill a process started with start_new_session=True and everything it started (soffice
    runs soffice.bin, which would otherwise keep running and hold its profile)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.contextmanager
def _staging(documents: Sequence[Path], work_dir: Path) -> Iterator[tuple[list[Path], Path]]:
    """The documents linked into one private folder under plain unique names (many are called
    consent.docx, and a path may hold any character), and the folder for the PDFs."""
    with tempfile.TemporaryDirectory(prefix=_own(STAGING_PREFIX), dir=work_dir) as staging:
        staged = []
        for index, document in enumerate(documents):
            name = Path(staging) / f"{index:06d}.docx"
            try:
                os.link(document, name)
            except OSError:  # another file system, or no hard links
                shutil.copyfile(document, name)
            staged.append(name)
        out = Path(staging) / "out"
        out.mkdir()
        yield staged, out


def _place(
    staged: list[Path],
    documents: Sequence[Path],
    out: Path,
    force: bool,
    register: Register | None,
    stamped: dict[Path, tuple[str, int]],
) -> list[Path]:
    """Move each PDF made (and stamped) in the staging folder next to its .docx."""
    written = []
    for name, document in zip(staged, documents, strict=True):
        target = document.with_suffix(".pdf")
        produced = out / (name.stem + ".pdf")
        if not _whole(produced):  # LibreOffice answered ok but wrote nothing, or half
            raise PdfError(f"LibreOffice could not convert {document} to PDF")
        produced.chmod(0o600)  # patient data: readable by its owner only, like the .docx
        move_into_place(produced, target, force)
        if register and produced in stamped:
            register.record_pages(*stamped[produced])
        written.append(target)
    return written


def find_uno_python(soffice: str) -> str | None:
    """A Python that can talk to LibreOffice (has its `uno` module): DOCGEN_UNO_PYTHON, the one
    bundled with LibreOffice (Windows, macOS), or the system's (Debian's python3-uno)."""
    program = Path(soffice).resolve().parent
    candidates = [
        os.environ.get("DOCGEN_UNO_PYTHON"),
        str(program / "python.exe"),
        str(program / "python"),
        shutil.which("python3"),
        "/usr/bin/python3",
    ]
    for candidate in dict.fromkeys(c for c in candidates if c and Path(c).is_file()):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return candidate
    return None


class WarmLibreOffice:
    """One LibreOffice kept running, fed documents one at a time through its UNO bridge by
    libreoffice_worker.py. A conversion takes a tenth of a second instead of a cold start's
    one or two seconds. Thread-safe: conversions take turns."""

    def __init__(self, soffice: str, python: str, timeout: float = 60):
        self._command = [soffice, python]
        self._timeout = timeout
        self._lock = threading.Lock()
        self._profile: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None
        self._replies: queue.Queue[str] = queue.Queue()
        with self._lock:
            self._start()

    def _start(self) -> None:
        soffice, python = self._command
        # a profile of its own each start: one a killed LibreOffice left may be locked
        self._profile = tempfile.TemporaryDirectory(prefix=_own(PROFILE_PREFIX))
        self._process = subprocess.Popen(
            [python, str(_WORKER), soffice, Path(self._profile.name).as_uri()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # Ctrl-C reaches docgen, which stops LibreOffice in turn
        )
        self._replies = queue.Queue()
        threading.Thread(
            target=self._read, args=(self._process.stdout, self._replies), daemon=True
        ).start()
        reply = self._reply()
        if reply != "ready":
            self._stop(graceful=False)
            raise PdfError(f"LibreOffice could not be started for docgen: {reply[6:]}")

    @staticmethod
    def _read(stream, replies: queue.Queue) -> None:
        for line in stream:
            replies.put(line.rstrip("\n"))
        replies.put("error LibreOffice stopped")

    def _reply(self) -> str:
        try:
            return self._replies.get(timeout=self._timeout)
        except queue.Empty:
            return f"error LibreOffice did not answer within {self._timeout:.0f} s"

    def convert(self, document: Path, pdf: Path, shown_as: Path | None = None) -> None:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()  # it stopped (crashed, or was killed): start a new one
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(f"{document.resolve()}\t{pdf.resolve()}\n")
            self._process.stdin.flush()
            reply = self._reply()
            if reply != "ok":
                # stuck or in an unknown state: stopped now, the next conversion starts afresh
                self._stop(graceful=False)
                raise PdfError(
                    f"LibreOffice could not convert {shown_as or document} to PDF: {reply[6:]}"
                )

    def _stop(self, graceful: bool = True) -> None:
        """End of input asks the worker to close LibreOffice; whatever is left of its process
        group after that (or at once, when not graceful) is killed."""
        process, self._process = self._process, None
        profile, self._profile = self._profile, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            if graceful:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)
            stop_process_group(process)
        if profile is not None:
            profile.cleanup()

    def close(self) -> None:
        with self._lock:
            self._stop()


_warm: WarmLibreOffice | None = None


@contextlib.contextmanager
def warm_libreoffice() -> Iterator[bool]:
    """Keep one LibreOffice running for every convert_to_pdf() inside the block (a server
    answering many requests), and stop it at the end. Yields whether it could: without
    LibreOffice's Python bridge, or without LibreOffice, conversions start LibreOffice cold."""
    global _warm
    if _warm is not None:
        yield True
        return
    try:
        soffice = find_soffice()
    except PdfError:
        yield False
        return
    python = find_uno_python(soffice)
    if python is None:
        yield False
        return
    _warm = WarmLibreOffice(soffice, python)
    try:
        yield True
    finally:
        warm, _warm = _warm, None
        warm.close()
