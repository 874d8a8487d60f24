"""Where things go: folders follow the working directory or the project file above it, the project's
Dagster instance is shared by the CLI and `dg`, the code location runs in one process, and the
README says all of it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.project import PACKAGE_SCHEMAS, ProjectError, find_project
from tests.conftest import PROJECT_ROOT, RAW, SEEDS

TOOLS = Path(sys.executable).parent
README = (PROJECT_ROOT / "README.md").read_text()


def _run(*args, cwd, env=None, tool=None):
    """A command of this environment run in `cwd`, as a user would (no DAGSTER_HOME unless given)."""
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    environment.update(PWD=str(cwd), PYTHONPATH=str(PROJECT_ROOT), **(env or {}))
    command = [str(TOOLS / tool), *args] if tool else [sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment)


def _seeds(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in SEEDS.values():
        shutil.copy(RAW / name, folder / name)
    return folder


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_without_a_project_file_the_working_directory_holds_everything(tmp_path):
    work = tmp_path / "work"
    _seeds(work / "raw")
    checkout = sorted(p.name for p in (PROJECT_ROOT / "output").iterdir())
    dagster_home = tmp_path / "dagster_home"
    env = {"DAGSTER_HOME": str(dagster_home)}
    dagster_home.mkdir()
    assert _run("build", cwd=work, env=env).returncode == 0
    assert (work / "output" / "parquet" / "sessions.parquet").exists()
    released = _run("release", "1.0.0", cwd=work, env=env)
    assert released.returncode == 0, released.stderr
    assert (work / "output" / "releases" / "1.0.0" / "SHA256SUMS").exists()
    assert _run("verify", "1.0.0", cwd=work, env=env).returncode == 0
    answer = _run("sql", "SELECT count(*) AS n FROM sessions", "--format", "csv", cwd=work, env=env)
    assert answer.stdout.splitlines() == ["n", "4"]
    assert sorted(p.name for p in (PROJECT_ROOT / "output").iterdir()) == checkout  # the code's folder untouched


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_a_project_file_found_upward_sets_the_folders(tmp_path):
    project = tmp_path / "project"
    _seeds(project / "documents")
    (project / "cyberdialogue.toml").write_text('raw = "documents"\nout = "build"\nreleases = "published"\n'
                                                'dagster_home = "state/dagster"\n')
    deep = project / "notes" / "deeper"
    deep.mkdir(parents=True)
    found = find_project(deep)
    assert (found.root, found.raw, found.out) == (project.resolve(), (project / "documents").resolve(), (project / "build").resolve())
    assert found.bounds is None and found.overrides == PACKAGE_SCHEMAS / "person_overrides.yaml"
    assert _run("build", cwd=deep).returncode == 0
    assert (project / "build" / "parquet" / "sessions.parquet").exists() and not (deep / "output").exists()
    assert (project / "state" / "dagster" / "dagster.yaml").exists()  # the project's Dagster instance
    assert _run("release", "1.0.0", cwd=deep).returncode == 0
    assert (project / "published" / "1.0.0" / "croissant.json").exists()
    # a pyproject.toml with [tool.cyberdialogue] is a project file too; one without it is not
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[tool.cyberdialogue]\nout = "elsewhere"\n')
    assert find_project(tmp_path / "other").out == (tmp_path / "other" / "elsewhere").resolve()
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_project(tmp_path / "plain").root == (tmp_path / "plain").resolve()
    # a typo is a clear one-line error, not a silent default
    (project / "cyberdialogue.toml").write_text('rawdir = "documents"\n')
    with pytest.raises(ProjectError, match="unknown key"):
        find_project(deep)
    failed = _run("build", cwd=deep)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1 and "unknown key(s) rawdir" in failed.stderr


def test_this_checkout_is_a_project():
    project = find_project(PROJECT_ROOT / "pipeline" / "sources")
    assert project.root == PROJECT_ROOT and project.raw == RAW and project.out == PROJECT_ROOT / "output"
    assert project.bounds == PROJECT_ROOT / "schemas" / "row_bounds.yaml"
    assert project.dagster_home == PROJECT_ROOT / ".dagster"
    assert project.bounds_for(RAW) == project.bounds and project.bounds_for(PROJECT_ROOT / "tests") is None


def _project_copy(tmp_path: Path) -> Path:
    """This checkout's project settings (pyproject.toml, .env, .dagster/dagster.yaml) with the seeds, elsewhere."""
    project = tmp_path / "project"
    _seeds(project / "raw")
    (project / ".dagster").mkdir()
    shutil.copy(PROJECT_ROOT / ".dagster" / "dagster.yaml", project / ".dagster" / "dagster.yaml")
    shutil.copy(PROJECT_ROOT / ".env", project / ".env")
    # the reviewed files in a folder of another name: a folder named schemas/ would shadow the package in `dg`
    (project / "reviewed").mkdir()
    for name in ("row_bounds.yaml", "person_overrides.yaml"):
        shutil.copy(PROJECT_ROOT / "schemas" / name, project / "reviewed" / name)
    (project / "pyproject.toml").write_text((PROJECT_ROOT / "pyproject.toml").read_text().replace('"schemas/', '"reviewed/'))
    return project


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_cli_builds_and_dg_runs_share_the_project_instance(tmp_path):
    import dagster as dg

    project = _project_copy(tmp_path)
    built = _run("build", cwd=project)
    assert built.returncode == 0, built.stderr
    launched = _run("launch", "--job", "build", cwd=project, tool="dg")
    assert launched.returncode == 0, launched.stderr[-2000:]
    assert "superseded" not in launched.stderr.lower() and "Warning" not in launched.stderr
    with dg.DagsterInstance.from_config(str(project / ".dagster")) as instance:
        runs = instance.get_runs()
        assert [r.job_name for r in runs] == ["build", "build"] and all(r.is_success for r in runs)
        assert instance.get_latest_materialization_event(dg.AssetKey("sessions")) is not None
    assert not list(project.glob(".tmp_dagster_home_*"))


def test_the_instance_folder_is_ignored_by_git_but_its_settings_are_not():
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=PROJECT_ROOT).returncode == 0
    assert ignored(".dagster/history/runs.db") and ignored(".dagster/storage/x") and not ignored(".dagster/dagster.yaml")
    assert "/.dagster/*" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert "DAGSTER_HOME=${PWD}/.dagster" in (PROJECT_ROOT / ".env").read_text().splitlines()


def test_the_code_location_runs_in_process_by_default():
    from pipeline.definitions import build_definitions

    defs = build_definitions()
    assert defs.get_job_def("build").executor_def.name == "in_process"
    assert defs.get_implicit_global_asset_job_def().executor_def.name == "in_process"
    script = ("from pipeline.definitions import defs; "
              "print(defs.get_job_def('build').executor_def.name, defs.get_implicit_global_asset_job_def().executor_def.name)")
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                           env={**os.environ, "CYBERDIALOGUE_EXECUTOR": "multiprocess"})
    assert other.stdout.split() == ["multiprocess", "multiprocess"], other.stderr


def _synopsis() -> str:
    return re.search(r"## The command line\n\n```text\n(.*?)```", README, re.S).group(1)


def test_the_readme_synopsis_names_every_command_and_option():
    from pipeline.cli import make_parser

    synopsis = _synopsis()
    parser = make_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    for name, sub in commands.items():
        line = next((l for l in synopsis.splitlines() if l.startswith(f"cyberdialogue {name}")), None)
        assert line is not None, f"no synopsis line for {name}"
        options = {s for a in sub._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
        missing = {o for o in options if o not in " ".join(l for l in synopsis.splitlines() if l.startswith(f"cyberdialogue {name}"))}
        assert not missing, (name, missing)


def test_the_readme_states_what_changed():
    assert re.search(r"the whole suite takes about \d+ minutes", README)
    assert ".venv/bin/dagster asset materialize" not in README and ".venv/bin/dg launch --job build" in README
    assert ".venv/bin/dg dev" in README and "CYBERDIALOGUE_EXECUTOR=multiprocess" in README
    for phrase in ("--allow-shrink", "--allow-empty", "cyberdialogue.toml", "croissant.json", "CC BY 4.0",
                   "schemas/dataset.yaml", "frictionless validate", "TIME"):
        assert phrase in README, phrase


def test_readme_and_dictionary_agree_on_how_ids_are_made():
    import schemas

    identity = re.search(r"## Identity\n(.*?)\n\n\*\*", README, re.S).group(1)
    rows = dict(re.findall(r"^\| `(\w+_id)` \| (.+) \|$", identity, re.M))
    assert set(rows) == {"document_id", "session_id", "person_id", "argument_id", "agreement_id"}
    tables = {"document_id": "documents", "session_id": "sessions", "person_id": "people", "argument_id": "arguments",
              "agreement_id": "agreements"}
    for column, rule in rows.items():
        description = schemas.column_descriptions(tables[column])[column]
        assert "first 16 hex digits of sha256" in rule and "first 16 hex digits of sha256" in description, column


def test_only_a_runs_own_event_log_is_written_without_fsync(tmp_path):
    import sqlalchemy

    from pipeline.cli import _unsynced_run_event_logs

    _unsynced_run_event_logs()
    _unsynced_run_event_logs()  # registered once, however often the CLI opens the instance
    (tmp_path / "history" / "runs").mkdir(parents=True)
    (tmp_path / "schedules").mkdir()

    def synchronous(path) -> int:
        engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar()

    assert synchronous(tmp_path / "history" / "runs" / "0a15a325-919a-48aa-89f5-81a43ccbf2f7.db") == 0  # OFF
    for kept in ("history/runs/index.db", "history/runs.db", "schedules/schedules.db"):
        assert synchronous(tmp_path / kept) == 2  # FULL, SQLite's default
    # the index in write-ahead-log mode (as Dagster makes it) waits for the disk at checkpoints only
    for name in ("history/runs/index.db", "history/runs.db"):
        engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / name}", poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    assert synchronous(tmp_path / "history" / "runs" / "index.db") == 1  # NORMAL
    assert synchronous(tmp_path / "history" / "runs.db") == 2


def test_a_cli_instance_writes_its_index_with_a_write_ahead_log_synced_at_checkpoints(tmp_path, monkeypatch):
    """The levels above hold for the files a CLI instance really writes: Dagster makes the index in
    WAL mode, so from the next opening on it is written with synchronous=NORMAL."""
    import dagster as dg

    from pipeline import cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))

    @dg.asset
    def one() -> int:
        return 1

    levels = []
    for _ in range(2):
        with cli._dagster_instance() as instance:
            result = dg.materialize([one], instance=instance)
            assert result.success
            with instance.event_log_storage.index_connection() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                levels.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())
            with instance.event_log_storage.run_connection(result.run_id) as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 0
    assert levels[-1] == 1  # NORMAL
    with cli._dagster_instance() as instance:  # both runs recorded
        assert len(instance.get_runs()) == 2
