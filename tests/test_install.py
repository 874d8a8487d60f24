"""A regular install: the package built as a wheel, installed in a fresh virtual environment, run
from a folder of the user's own, far from the source checkout."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, RAW, SEEDS


def _run(command, cwd, env=None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_builds_and_releases_from_another_folder(tmp_path):
    # the sources as a clean tree (no caches, no egg-info, no output), then a wheel of them
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    for package in ("pipeline", "schemas"):
        shutil.copytree(PROJECT_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source)], cwd=tmp_path)
    [wheel] = list((tmp_path / "dist").glob("cyberdialogue-*.whl"))

    # a fresh environment with only the wheel and its pinned dependencies
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    _run([str(venv / "bin" / "pip"), "install", "-q", "-c", str(PROJECT_ROOT / "requirements.lock"), str(wheel)], cwd=tmp_path)

    # the user's folder: raw/ with the seeds, nothing else; no project file, no PYTHONPATH, no DAGSTER_HOME
    work = tmp_path / "work"
    (work / "raw").mkdir(parents=True)
    for name in SEEDS.values():
        shutil.copy(RAW / name, work / "raw" / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DAGSTER_HOME", "VIRTUAL_ENV")}
    env["PWD"] = str(work)
    command = str(venv / "bin" / "cyberdialogue")
    built = _run([command, "build", "--raw", "raw", "--out", "output"], cwd=work, env=env)
    assert "build finished" in built.stdout and "rows: " in built.stdout
    report = json.loads((work / "output" / "build_report.json").read_text())
    assert report["rows"]["sessions"] == 4 and report["rows"]["participants"] == 28
    assert (work / ".dagster" / "dagster.yaml").exists()  # the run is recorded in the folder's own instance

    # defaults are the working directory's too, and a release is complete
    _run([command, "build"], cwd=work, env=env)
    released = _run([command, "release", "1.0.0"], cwd=work, env=env)
    assert "(first release)" in released.stdout
    release = work / "output" / "releases" / "1.0.0"
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["code_version"] == "cyberdialogue 0.1.0" and manifest["row_counts"]["people"] == 28
    assert {"datapackage.json", "croissant.json", "README.md"} <= {p.name for p in release.iterdir()}
    answer = _run([command, "sql", "SELECT count(*) AS n FROM sessions", "--format", "csv"], cwd=work, env=env)
    assert answer.stdout.splitlines() == ["n", "4"]

    # it ran the installed package, and wrote nothing beside it
    where = _run([str(venv / "bin" / "python"), "-c", "import pipeline, schemas; print(pipeline.__file__); print(schemas.__file__)"],
                 cwd=work, env=env).stdout.split()
    assert all(path.startswith(str(venv)) for path in where)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    assert {p.name for p in (site / "schemas").glob("*.yaml")} == {"row_bounds.yaml", "person_overrides.yaml", "dataset.yaml"}
    assert not (site / "output").exists() and not (site / "raw").exists()


def _pins(path) -> dict[str, str]:
    lines = (PROJECT_ROOT / path).read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {name.lower().replace("_", "-"): version for name, version in pins}


def test_the_build_lock_pins_every_dependency_and_no_test_tool():
    """requirements.lock is what a build needs (the README's first command installs only it), the extras'
    lock what the tests and the cluster add: no package in both, the project's own pins the same in the lock."""
    import tomllib

    build, extras = _pins("requirements.lock"), _pins("requirements-extras.lock")
    assert not set(build) & set(extras)
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = requirement.split("==")
        assert build[name.split("[")[0].lower()] == version
    for requirement in [r for extra in project["optional-dependencies"].values() for r in extra]:
        name, version = requirement.split("==")
        assert extras.get(name.split("[")[0].lower()) == version, requirement
    # pandera loads these whenever they are installed: a build's environment would pay for them
    assert {"pandas", "hypothesis", "pytest", "ray"} <= set(extras)
