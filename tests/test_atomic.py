"""A build that fails at any stage boundary leaves the previous output complete; two builds on one
folder do not corrupt it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import polars as pl
import pytest

import schemas
from pipeline.outputs.publish import output_lock
from tests.conftest import PROJECT_ROOT, RAW


def _cli_process(*args):
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})


def _snapshot(out):
    """Row counts of every Parquet table and of every DuckDB table; raises if anything is unreadable."""
    parquet = {n: pl.read_parquet(out / "parquet" / f"{n}.parquet").height for n in schemas.TABLES}
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    try:
        database = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in schemas.TABLES}
    finally:
        con.close()
    return parquet, database


# A function each stage calls, where the stage begins or ends its work: a failure injected there
# stands for a crash (or a kill) at that stage boundary.
STAGE_BOUNDARIES = {
    "ingest": ("pipeline.defs.ingest", "read_raw_documents"),
    "parse": ("pipeline.defs.parse", "parse_raw_documents"),
    "dedup": ("pipeline.defs.dedup", "deduplicate"),
    "assembly": ("pipeline.defs.tables", "build_tables"),
    "parquet": ("pipeline.outputs.export", "write_parquet_tables"),
    "duckdb": ("pipeline.outputs.export", "write_duckdb"),
    "publish": ("pipeline.outputs.publish", "make_current"),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """An output folder with a published build of the seeds, and a raw folder with one more document."""
    from tests.conftest import run_build

    root = tmp_path_factory.mktemp("faults")
    out = root / "out"
    assert run_build(RAW, out).success
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    (raw / "extra.txt").write_text("Extra day\n3 Feb 2025 10:00h - 11:00h\nSummary\nS.\nSpeakers\n"
                                   "– **Ann Lee**: Role/Title: Chair, Area of expertise: X\nFull session report\nR.\n"
                                   "Session transcript\nAnn Lee: One turn.\nFollow-up questions\nWhat next?\n")
    return raw, out


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
@pytest.mark.parametrize("stage", sorted(STAGE_BOUNDARIES))
def test_a_build_that_fails_at_any_stage_boundary_leaves_the_previous_output(published, stage, monkeypatch):
    import importlib

    from tests.conftest import run_build

    raw, out = published
    before = _snapshot(out)
    module_name, function = STAGE_BOUNDARIES[stage]

    def crash(*args, **kwargs):
        raise RuntimeError(f"injected failure at {stage}")
    monkeypatch.setattr(importlib.import_module(module_name), function, crash)
    result = run_build(raw, out)
    assert not result.success
    assert _snapshot(out) == before  # complete, readable and unchanged
    monkeypatch.undo()
    assert run_build(raw, out).success  # the next build is not hindered by the failed one
    assert _snapshot(out)[0]["sessions"] == before[0]["sessions"] + 1
    assert run_build(RAW, out).success  # back to the seeds for the next stage's test
    assert _snapshot(out) == before


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_a_second_build_on_the_same_folder_is_refused_clearly(tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        second = _cli_process("build", "--raw", str(RAW), "--out", str(out))
        assert second.wait(timeout=120) == 1
        message = second.stderr.read()
    assert "another build is writing to" in message and len(message.strip().splitlines()) == 1
    assert not (out / "parquet").exists()
    third = _cli_process("build", "--raw", str(RAW), "--out", str(out))
    assert third.wait(timeout=120) == 0


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_two_builds_started_at_once_leave_a_complete_output(tmp_path):
    out = tmp_path / "out"
    builds = [_cli_process("build", "--raw", str(RAW), "--out", str(out)) for _ in range(2)]
    codes = sorted(b.wait(timeout=120) for b in builds)
    assert codes[0] == 0 and codes[1] in (0, 1)
    parquet, database = _snapshot(out)
    assert parquet == database and parquet["sessions"] == 4
