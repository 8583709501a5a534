"""README's quick-start command, run for real: a fresh virtual environment, a plain
(non-editable) `pip install .` of a copy of the repository, then `docgen demo`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

from babel.messages.pofile import read_po
from conftest import money, pdf_text
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from docgen.generate import DEMO_PATIENT

REPOSITORY = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "docgen-demo",
    ".hypothesis",
)


def plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def quick_start_commands() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_has_exactly_two_quick_start_commands():
    install, tests = quick_start_commands()
    assert install.startswith("pip install . && docgen demo")
    assert tests.startswith("pip install") and "pytest" in tests


def test_quick_start_in_a_fresh_environment(tmp_path):
    project = tmp_path / "docgen"
    shutil.copytree(REPOSITORY, project, ignore=IGNORED)
    environment = tmp_path / "env"
    venv.create(environment, with_pip=True)
    bin_dir = environment / ("Scripts" if sys.platform == "win32" else "bin")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(environment),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("DOCGEN_WORKSPACE", None)
    env.pop("PYTHONPATH", None)

    install_command = quick_start_commands()[0]
    result = subprocess.run(
        ["bash", "-c", install_command],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    demo = project / "docgen-demo"
    assert sorted(p.name for p in demo.iterdir()) == [
        "consent-ar.docx", "consent-ar.pdf", "consent.docx", "consent.pdf",
        "estimate-fr.docx", "estimate-fr.pdf", "estimate.docx", "estimate.pdf",
        "price-sheet.docx", "price-sheet.pdf", "record.docx", "record.pdf",
    ]  # fmt: skip
    assert "warning" not in result.stderr  # every text translated
    assert f"wrote {Path('docgen-demo') / 'estimate.pdf'}" in result.stdout
    estimate = pdf_text(demo / "estimate.pdf")
    assert DEMO_PATIENT in estimate and "£3,920.00" in estimate
    # pdftotext writes Babel's narrow no-break spaces as plain spaces
    french = " ".join(pdf_text(demo / "estimate-fr.pdf").split())
    assert plain_spaces(money(3920, "GBP", "fr")) in french and "Cost estimate" in french
    # the totals stay together on one page, the deposit with the total (they were split)
    pages = pdf_text(demo / "estimate-fr.pdf").split("\f")
    (totals,) = [page for page in pages if "Acompte" in page]
    assert "Sous-total HT" in totals and "TVA 20" in totals
    total = re.escape(plain_spaces(money(3920, "GBP", "fr")))
    assert re.search(rf"^ +Total +{total}", plain_spaces(totals), re.MULTILINE)
    with (project / "locales/fr/LC_MESSAGES/docgen.po").open("rb") as handle:
        assert read_po(handle).get("Cost estimate").string in french
    assert "ليلى حداد" in pdf_text(demo / "consent-ar.pdf")
    assert "Skin rejuvenation" in pdf_text(demo / "price-sheet.pdf")
    assert "Consent to mesotherapy treatment" in pdf_text(demo / "consent.pdf")
    assert "Treatment record" in pdf_text(demo / "record.pdf")

    # The installed package carries its own workspace: it works from any folder.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import docgen.workspace as w; print(w.Workspace.open().root)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert str(environment) in located.stdout
    check = subprocess.run(
        [str(bin_dir / "docgen"), "check"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "✓ workspace is ready" in check.stdout


def test_constraints_pin_every_dependency_inside_its_declared_range():
    """constraints.txt, written by tools/freeze_versions.py after a green run, is what README
    offers a clinic that wants its install frozen: it must pin every declared dependency, and
    each pin must be one pyproject.toml allows."""
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [
        Requirement(text)
        for text in (*project["project"]["dependencies"],
                     *project["project"]["optional-dependencies"]["test"])
    ]  # fmt: skip
    lines = (REPOSITORY / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# The exact versions of docgen's last green test run")
    pins = {
        canonicalize_name(name): Version(version)
        for name, _, version in (line.partition("==") for line in lines)
        if version
    }
    assert "docgen" not in pins
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not in constraints.txt"
        assert requirement.specifier.contains(pinned), (str(requirement), str(pinned))
