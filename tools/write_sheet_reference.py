"""Write README's table of each price-list sheet from the sheet's declaration in docgen/pricing.py.

    python tools/write_sheet_reference.py

Each sheet's block in README, from its first comment line to its last, is replaced by what the
declaration says; the prose between blocks is left alone. Run it after adding or changing a
column: tests/test_readme.py fails while README and the declaration disagree.
"""

from __future__ import annotations

from pathlib import Path

from docgen.pricing import SHEETS
from docgen.sheets import reference

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for sheet in SHEETS:
        block = reference(sheet)
        first, *_, last = block.splitlines()  # the same whatever the sheet's columns
        start = text.find(first)
        if start < 0:
            raise SystemExit(
                f"README.md has no block for the {sheet.name} sheet; paste this where it "
                f"belongs, then run this again:\n\n{block}"
            )
        end = text.index(last, start) + len(last)
        text = text[:start] + block + text[end:]
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
