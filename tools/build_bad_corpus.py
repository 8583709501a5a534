"""Build tests/data/bad/: broken and hostile inputs, each of which docgen must refuse with a clear
one-paragraph error, a non-zero exit and no output (tests/test_bad_inputs.py runs them all).

    python tools/build_bad_corpus.py
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_WORKBOOK = ROOT / "pricing" / "london.xlsx"
SAMPLE_TEMPLATE = ROOT / "templates" / "consent.docx"
OUT = ROOT / "tests" / "data" / "bad"

BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def entity_bomb(data: bytes) -> bytes:
    """The workbook index with a billion-laughs entity standing in for a sheet name."""
    if data.startswith(b"<?xml"):
        data = data.split(b"?>", 1)[1]
    return BOMB.encode() + data.replace(b'name="Clinic"', b'name="&lol9;"')


def edited_workbook(name: str, change) -> None:
    workbook = openpyxl.load_workbook(SAMPLE_WORKBOOK)
    change(workbook)
    workbook.save(OUT / "workbooks" / name)


def rewritten_member(source: Path, target: Path, member: str, rewrite) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            copy.writestr(item, rewrite(data) if item.filename == member else data)


def edited_template(name: str, old: str, new: str) -> None:
    document = docx.Document(str(SAMPLE_TEMPLATE))
    for text in document.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
    ):
        if text.text and old in text.text:
            text.text = text.text.replace(old, new)
            break
    else:
        raise ValueError(old)
    document.save(str(OUT / "templates" / name))


def build() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    for folder in ("workbooks", "templates", "appointments"):
        (OUT / folder).mkdir(parents=True)
    workbooks = OUT / "workbooks"

    (workbooks / "not-a-zip.xlsx").write_text("Treatment;Area;Price\nREJUV;FACE;250\n")
    (workbooks / "empty.xlsx").write_bytes(b"")
    (workbooks / "truncated.xlsx").write_bytes(SAMPLE_WORKBOOK.read_bytes()[:4000])
    with zipfile.ZipFile(workbooks / "zip-not-workbook.xlsx", "w") as archive:
        archive.writestr("notes.txt", "prices are in the other file")
    rewritten_member(
        SAMPLE_WORKBOOK, workbooks / "entity-bomb.xlsx", "xl/workbook.xml", entity_bomb
    )
    edited_workbook("wrong-sheets.xlsx", lambda wb: setattr(wb["Prices"], "title", "Tarifs"))
    edited_workbook("merged-header.xlsx", lambda wb: wb["Prices"].merge_cells("A1:B1"))
    edited_workbook("formula-no-cache.xlsx", lambda wb: wb["Prices"].cell(5, 3, "=C4*1.1"))
    edited_workbook("text-in-price.xlsx", lambda wb: wb["Prices"].cell(7, 3, "two hundred"))
    edited_workbook("date-as-text.xlsx", lambda wb: wb["Clinic"].cell(15, 2, "next Monday"))
    edited_workbook("hidden-sheet.xlsx", lambda wb: setattr(wb["Prices"], "sheet_state", "hidden"))
    edited_workbook("negative-price.xlsx", lambda wb: wb["Prices"].cell(3, 3, -180))
    edited_workbook("unknown-currency.xlsx", lambda wb: wb["Clinic"].cell(7, 2, "POUNDS"))

    def duplicate(wb) -> None:
        wb["Prices"].cell(3, 1, "REJUV")
        wb["Prices"].cell(3, 2, "FACE")

    edited_workbook("duplicate-rows.xlsx", duplicate)

    templates = OUT / "templates"
    (templates / "not-a-docx.docx").write_text("{{ patient.name }}")
    edited_template("unbalanced-tags.docx", "{{ patient.name }}", "{% if patient.name %}")
    edited_template("split-braces.docx", "{{ patient.name }}", "{{ patient.name }x}")
    edited_template("unknown-variable.docx", "{{ patient.name }}", "{{ patient.nmae }}")
    edited_template(
        "reach-python-class.docx", "{{ patient.name }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    )  # fmt: skip
    edited_template(
        "reach-python-globals.docx", "{{ patient.name }}", "{{ self.__init__.__globals__ }}"
    )
    edited_template("huge-text.docx", "{{ patient.name }}", "{{ 'x' * 10**9 }}")
    edited_template(
        "endless-loop.docx", "{{ patient.name }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    )  # fmt: skip

    appointments = OUT / "appointments"
    (appointments / "empty.csv").write_bytes(b"")
    (appointments / "header-only.csv").write_text("Patient,Treatment,Areas\n")
    (appointments / "missing-columns.csv").write_text("Name,Treatment\nAnn Lee,REJUV\n")
    (appointments / "latin-1.csv").write_bytes(
        "Patient,Treatment,Areas\nZoë Müller,REJUV,FACE\n".encode("latin-1")
    )
    (appointments / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (appointments / "not-a-workbook.xlsx").write_text("Patient,Treatment,Areas\nAnn,REJUV,FACE\n")
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["Patient", "Areas"])
    workbook.active.append(["Ann Lee", "FACE"])
    workbook.save(buffer)
    (appointments / "missing-columns.xlsx").write_bytes(buffer.getvalue())


if __name__ == "__main__":
    build()
