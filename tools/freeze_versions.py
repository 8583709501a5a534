"""Run README's test command in a new virtual environment and record the versions it used.

    python tools/freeze_versions.py            newest releases pyproject.toml allows; when the
                                               suite passes, write constraints.txt from them
    python tools/freeze_versions.py --lowest   every dependency at its declared lower bound, to
                                               show the ranges' floors work; writes nothing

Both test the committed HEAD in a fresh clone, as a new user gets it. constraints.txt lets a
clinic freeze its install at the last green run: `pip install -c constraints.txt .`
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
CONSTRAINTS = REPOSITORY / "constraints.txt"
CONSTRAINTS_TEST = "test_constraints_pin_every_dependency_inside_its_declared_range"


def declared_requirements() -> list[str]:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def lower_bounds() -> list[str]:
    """'babel>=2.14' → 'babel==2.14': each declared floor as a pin."""
    pins = []
    for requirement in declared_requirements():
        name, _, rest = requirement.partition(">=")
        pins.append(f"{name.strip()}=={rest.split(',')[0].strip()}")
    return pins


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lowest", action="store_true", help="test the declared lower bounds")
    lowest = parser.parse_args().lowest

    with tempfile.TemporaryDirectory(prefix="docgen-freeze-") as work:
        clone = Path(work) / "docgen"
        subprocess.run(["git", "clone", "-q", str(REPOSITORY), str(clone)], check=True)
        venv.EnvBuilder(with_pip=True).create(clone / ".venv")
        env = {**os.environ, "VIRTUAL_ENV": str(clone / ".venv")}
        env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
        env.pop("DOCGEN_WORKSPACE", None)
        install = ["pip", "install", "-q", "--upgrade", ".[test]"]
        if lowest:
            (clone / "lowest.txt").write_text("\n".join(lower_bounds()) + "\n")
            install += ["-c", "lowest.txt"]
        for command in (["python", "-m", "pip", "install", "-q", "--upgrade", "pip"], install):
            step = run(command, clone, env)
            if step.returncode:
                print(step.stdout[-3000:], step.stderr[-3000:], sep="\n")
                return step.returncode
        frozen = run(["pip", "freeze", "--exclude", "docgen"], clone, env).stdout
        print("versions:", " ".join(frozen.split()), flush=True)
        # every test but the one that checks constraints.txt, the file this run writes: a new
        # dependency could never be frozen otherwise
        checks_this_file = "tests/test_quickstart.py::" + CONSTRAINTS_TEST
        tests = run(
            ["pytest", "-q", "-p", "no:cacheprovider", "--deselect", checks_this_file], clone, env
        )
        print(tests.stdout[-2000:])
        if tests.returncode:
            print("the suite failed: constraints.txt is unchanged")
            return tests.returncode

    if not lowest:
        python = ".".join(map(str, sys.version_info[:3]))
        CONSTRAINTS.write_text(
            "# The exact versions of docgen's last green test run (README's test command in a new\n"
            f"# virtual environment, Python {python}, {dt.date.today().isoformat()}).\n"
            "# Written by tools/freeze_versions.py; do not edit by hand.\n"
            "# Install with them: pip install -c constraints.txt .\n" + frozen,
            encoding="utf-8",
        )
        print(f"wrote {CONSTRAINTS.relative_to(REPOSITORY)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
