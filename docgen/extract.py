"""Babel extraction methods for docgen's own file types, registered as the `docx` and `xlsx`
entries of Babel's `babel.extractors` entry-point group, so that plain
`pybabel extract -F babel.cfg -o docgen.pot .` finds every translatable string.

- `.docx` templates: body, headers and footers, after docxtpl re-joins the runs Word splits a
  tag into; the Jinja source is then read by Jinja's own Babel extractor, so `_()`, `gettext`,
  `ngettext` and `pgettext` calls are found exactly as they are rendered.
- `.xlsx` price lists: the workbook's translatable columns (treatment, area, risk and
  contraindication names and descriptions), each with its cell as a comment for translators.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import openpyxl
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from jinja2.ext import babel_extract
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from docgen.exceptions import TemplateError
from docgen.limits import existing_rows
from docgen.pricing import SHEETS
from docgen.render import DAMAGED_PACKAGE, damaged_template
from docgen.sheets import normalise_header

Extracted = Iterator[tuple[int, str | None, Any, list[str]]]


def extract_docx(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Extracted:
    name = Path(getattr(fileobj, "name", "template.docx")).name
    try:
        template = DocxTemplate(io.BytesIO(fileobj.read()))
        template.init_docx()
    except (*DAMAGED_PACKAGE, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise damaged_template(name, error) from None
    parts = [("body", template.patch_xml(template.get_xml()))]
    for kind, uri in (("header", template.HEADER_URI), ("footer", template.FOOTER_URI)):
        for _key, part in template.get_headers_footers(uri):
            parts.append((kind, template.patch_xml(template.get_part_xml(part))))
    jinja_options = {"extensions": "jinja2.ext.i18n", "silent": "false", **options}
    # A Word part is one long line of XML: a text's place is its order in the template (the
    # 12th text), so that a text reworded in place is found at its place again.
    place = 0
    for part, xml in parts:
        try:
            for _lineno, funcname, message, comments in babel_extract(
                io.BytesIO(xml.encode("utf-8")), keywords, comment_tags, jinja_options
            ):
                place += 1
                yield place, funcname, message, [*comments, f"Word template, {part}"]
        except TemplateSyntaxError as error:
            raise TemplateError(name, f"has a broken tag in its {part}: {error.message}") from None


def extract_xlsx(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Extracted:
    workbook = openpyxl.load_workbook(io.BytesIO(fileobj.read()), read_only=True, data_only=True)
    sheets = {name.strip().lower(): name for name in workbook.sheetnames}
    # the tables' texts first, then the settings', as the catalogues have always listed them
    for declared in sorted(SHEETS, key=lambda sheet: sheet.settings):
        translated = [column.key for column in declared.columns if column.translated]
        if translated and declared.name.lower() in sheets:
            sheet = workbook[sheets[declared.name.lower()]]
            texts = _setting_texts if declared.settings else _column_texts
            yield from texts(sheet, translated)
    workbook.close()


def _column_texts(sheet: ReadOnlyWorksheet, columns: list[str]) -> Extracted:
    rows = existing_rows(sheet)
    _, header = next(rows, (1, ()))
    positions = {
        normalise_header(value): index for index, value in enumerate(header) if value is not None
    }
    for number, values in rows:
        for column in columns:
            index = positions.get(column)
            if index is None or index >= len(values):
                continue
            value = values[index]
            if isinstance(value, str) and value.strip():
                place = f"{sheet.title}!{get_column_letter(index + 1)}{number}"
                yield number, None, value.strip(), [place]


def _setting_texts(sheet: ReadOnlyWorksheet, settings: list[str]) -> Extracted:
    """The values of the settings patients read: key in column A, value in column B."""
    for number, (key, value, *_) in existing_rows(sheet, max_col=2):
        setting = normalise_header(key) if key is not None else ""
        if setting in settings and isinstance(value, str) and value.strip():
            yield number, None, value.strip(), [f"{sheet.title}!B{number}"]
