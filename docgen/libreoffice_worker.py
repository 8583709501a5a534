"""Keeps one LibreOffice running and converts .docx files to PDF on request.

This file is run as a script by a Python that has LibreOffice's `uno` module (Debian's
python3-uno, or the Python bundled with LibreOffice on Windows and macOS), not by docgen's own
interpreter, so it imports nothing from docgen. Protocol, one line each way per document:
stdin `<docx path>\\t<pdf path>`, stdout `ok` or `error <message>`; end of input stops it and
LibreOffice with it.

usage: python libreoffice_worker.py SOFFICE PROFILE_URL

With --run, it runs one LibreOffice command instead (soffice --convert-to …) and ends it with
docgen in the same way; any Python can run it so.

usage: python libreoffice_worker.py --run DOCGEN_PID SOFFICE ARGUMENTS…
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

# The PDF export's options, here and for `soffice --convert-to` (docgen.pdf): tagged, so that a
# screen reader reads the headings, paragraphs and tables as such (the headings are in the
# outline, LibreOffice's default).
PDF_FILTER_DATA = {"UseTaggedPDF": True}


def end_with_docgen(docgen: int | None = None) -> None:
    """docgen closes this worker's input to stop it; if docgen is killed instead (kill -9),
    Linux sends SIGTERM, and the worker ends LibreOffice with it: its whole process group,
    which docgen started as a session of its own. docgen: its process id, when given, to end
    at once if it was killed before this was set."""
    if sys.platform.startswith("linux"):
        import ctypes

        signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        if docgen is not None and os.getppid() != docgen:
            os.killpg(0, signal.SIGKILL)


def run(docgen: int, command: list[str]) -> int:
    """One LibreOffice command, ended with docgen. A signal to LibreOffice's launcher alone
    would not do: soffice.bin, which it starts, would go on converting patients' documents."""
    end_with_docgen(docgen)
    return subprocess.run(command, stdin=subprocess.DEVNULL, check=False).returncode


def main(soffice: str, profile_url: str) -> int:
    end_with_docgen()
    # only this interpreter has LibreOffice's modules
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    def properties(**values):
        result = []
        for name, value in values.items():
            item = PropertyValue()
            item.Name, item.Value = name, value
            result.append(item)
        return tuple(result)

    # typed, or LibreOffice takes it for a list of anything and ignores it
    filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", properties(**PDF_FILTER_DATA))
    pipe = f"docgen-{uuid.uuid4().hex}"
    office = subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if office.poll() is not None or time.monotonic() > deadline:
                    print(f"error LibreOffice did not start (exit {office.poll()})", flush=True)
                    return 1
                time.sleep(0.1)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        print("ready", flush=True)
        for line in sys.stdin:
            source, _, target = line.rstrip("\n").partition("\t")
            try:
                document = desktop.loadComponentFromURL(
                    uno.systemPathToFileUrl(source), "_blank", 0, properties(Hidden=True)
                )
                if document is None:
                    raise RuntimeError("LibreOffice could not open the document")
                try:
                    document.storeToURL(
                        uno.systemPathToFileUrl(target),
                        properties(FilterName="writer_pdf_Export", FilterData=filter_data),
                    )
                finally:
                    document.close(True)
                print("ok", flush=True)
            except Exception as error:  # reported to docgen, which raises PdfError
                message = " ".join(str(error).split()) or type(error).__name__
                print(f"error {message}", flush=True)
        with contextlib.suppress(Exception):  # LibreOffice closes the bridge as it exits
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--run":
        sys.exit(run(int(sys.argv[2]), sys.argv[3:]))
    sys.exit(main(sys.argv[1], sys.argv[2]))
