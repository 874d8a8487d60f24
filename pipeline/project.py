"""Where a project's folders are: relative to the working directory, or to the nearest folder above
it that holds a project file (as dbt finds dbt_project.yml and Dagster its pyproject.toml).

A project file is `cyberdialogue.toml`, or a `pyproject.toml` with a `[tool.cyberdialogue]` table.
Every key is optional; paths are relative to the folder of the project file:

    raw = "raw"                 # the raw documents
    out = "output"              # the build (and out/releases, out/bench)
    releases = "output/releases"
    bounds = "row_bounds.yaml"  # reviewed row-count bounds, applied when building `raw` (default: none)
    overrides = "person_overrides.yaml"  # reviewed merges and splits of people (default: the packaged, empty one)
    dagster_home = ".dagster"   # Dagster's instance: run history, schedule and sensor state

Without a project file the folder is the working directory itself. Nothing defaults to the folder
the code is installed in.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_FILE = "cyberdialogue.toml"
PACKAGE_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"  # package data: the reviewed defaults
KEYS = ("raw", "out", "releases", "bounds", "overrides", "dagster_home")


class ProjectError(Exception):
    """A project file that cannot be read, with the reason."""


@dataclass(frozen=True)
class Project:
    root: Path                  # the folder of the project file, or the working directory
    config_file: Path | None    # None: no project file was found
    raw: Path
    out: Path
    releases: Path
    bounds: Path | None         # None: no reviewed bounds
    overrides: Path
    dagster_home: Path

    def bounds_for(self, raw: str | os.PathLike) -> Path | None:
        """The reviewed bounds apply to the project's own raw folder only."""
        return self.bounds if Path(raw).resolve() == self.raw.resolve() else None


def _project_table(folder: Path) -> tuple[Path, dict] | None:
    own = folder / PROJECT_FILE
    if own.is_file():
        return own, _read_toml(own)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("cyberdialogue")
        if isinstance(table, dict):
            return pyproject, table
    return None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"{path}: {exc}") from None


def find_project(start: str | os.PathLike | None = None) -> Project:
    """The project that `start` (default: the working directory) is in."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        found = _project_table(folder)
        if found:
            return _project(folder, *found)
    return _project(here, None, {})


def _project(root: Path, config_file: Path | None, table: dict) -> Project:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ProjectError(f"{config_file}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")

    def path(key: str, default: str | None) -> Path | None:
        value = table.get(key, default)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ProjectError(f"{config_file}: {key} must be a path (a string)")
        return (root / os.path.expanduser(value)).resolve()

    out = path("out", "output")
    return Project(root=root, config_file=config_file, raw=path("raw", "raw"), out=out,
                   releases=path("releases", None) or out / "releases", bounds=path("bounds", None),
                   overrides=path("overrides", None) or PACKAGE_SCHEMAS / "person_overrides.yaml",
                   dagster_home=path("dagster_home", ".dagster"))
