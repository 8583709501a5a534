"""The clinic's workspace: a folder of Word templates and price-list workbooks."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import BuiltInWorkspaceError, WorkspaceError

TEMPLATE_NAMES = ("estimate.docx", "consent.docx", "treatment_record.docx", "price_sheet.docx")
WORKSPACE_FOLDERS = ("templates", "pricing")
# locales: without it, documents are in the source language only; appointments: examples
OPTIONAL_FOLDERS = ("locales", "appointments")


PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_WORKSPACE = PACKAGE_DIR / "default_workspace"


def default_workspace_root() -> Path:
    """The workspace shipped with docgen: inside the installed package, or the source checkout."""
    return INSTALLED_WORKSPACE if INSTALLED_WORKSPACE.is_dir() else PACKAGE_DIR.parent


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def open(cls, root: str | Path | None = None) -> Workspace:
        """Open a workspace folder (the built-in one when root is None) and check its layout."""
        path = Path(root).expanduser() if root is not None else default_workspace_root()
        if not path.is_dir():
            raise WorkspaceError(f"workspace {path} is not a folder")
        missing = [name for name in WORKSPACE_FOLDERS if not (path / name).is_dir()]
        if missing:
            raise WorkspaceError(
                f"workspace {path} has no {' or '.join(missing)} folder; "
                "create one with 'docgen init DIR'"
            )
        return cls(path.resolve())

    def ensure_editable(self, action: str) -> None:
        """Refuse to change the copy of the built-in workspace inside the installed package:
        a reinstall or upgrade of docgen would silently undo the change."""
        if self.root == INSTALLED_WORKSPACE.resolve():
            raise BuiltInWorkspaceError(
                f"{action} would change the built-in workspace, which is part of the installed "
                "docgen and is replaced when docgen is upgraded; make your own with "
                "'docgen init DIR', then use 'docgen --workspace DIR …' (or DOCGEN_WORKSPACE)"
            )

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def pricing_dir(self) -> Path:
        return self.root / "pricing"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    def template(self, name: str) -> Path:
        path = self.templates_dir / name
        if not path.is_file():
            raise WorkspaceError(f"template {name} not found in {self.templates_dir}")
        return path

    def workbooks(self) -> list[Path]:
        """Every price-list workbook, ignoring the lock files Excel and LibreOffice leave."""
        return sorted(
            p
            for p in self.pricing_dir.glob("*.xlsx")
            if not p.name.startswith(("~$", ".~lock", "."))
        )

    def workbook(self, name: str | None = None) -> Path:
        """The workbook called name (with or without .xlsx), or the only one when name is None."""
        available = self.workbooks()
        names = ", ".join(p.stem for p in available) or "none"
        if name is None:
            if len(available) == 1:
                return available[0]
            if not available:
                raise WorkspaceError(f"no price-list workbook (.xlsx) in {self.pricing_dir}")
            raise WorkspaceError(
                f"{self.pricing_dir} holds several workbooks ({names}); choose one with --prices"
            )
        wanted = name.removesuffix(".xlsx").lower()
        for path in available:
            if path.stem.lower() == wanted:
                return path
        raise WorkspaceError(f"no workbook {name!r} in {self.pricing_dir} (available: {names})")


def init_workspace(destination: str | Path) -> Workspace:
    """Copy the built-in templates and price list into a new folder for a clinic to edit."""
    destination = Path(destination).expanduser()
    if destination.exists() and any(destination.iterdir()):
        raise WorkspaceError(f"{destination} already exists and is not empty; choose a new folder")
    source = Workspace.open()
    destination.mkdir(parents=True, exist_ok=True)
    for folder in WORKSPACE_FOLDERS + OPTIONAL_FOLDERS:
        if not (source.root / folder).is_dir():
            continue
        shutil.copytree(
            source.root / folder,
            destination / folder,
            ignore=shutil.ignore_patterns("~$*", ".~lock*", "__pycache__"),
        )
    return Workspace.open(destination)
