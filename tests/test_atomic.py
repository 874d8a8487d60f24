"""A killed build leaves the previous output complete; two builds on one folder do not corrupt it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import polars as pl
import pytest

import schemas
from pipeline.outputs.publish import output_lock
from tests.conftest import PROJECT_ROOT, RAW, SEEDS


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


@pytest.fixture()
def bigger_raw(tmp_path):
    """The seeds plus a long report, so that a build runs long enough to be killed in every stage."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEEDS.values():
        shutil.copy(RAW / name, raw / name)
    turns = "".join(f"Ann Lee: Turn number {i} of a long day.\n" for i in range(10_000))
    (raw / "long.txt").write_text("Long day\n3 Feb 2025 10:00h - 11:00h\nSummary\nS.\nSpeakers\n"
                                  "– **Ann Lee**: Role/Title: Chair, Area of expertise: X\nFull session report\nR.\nSession transcript\n" + turns)
    return raw


def test_sigkill_at_any_point_leaves_the_previous_output(bigger_raw, tmp_path):
    out = tmp_path / "out"
    first = _cli_process("build", "--raw", str(RAW), "--out", str(out))
    assert first.wait(timeout=120) == 0, first.stderr.read()
    before = _snapshot(out)
    started = time.perf_counter()
    full = _cli_process("build", "--raw", str(bigger_raw), "--out", str(out / "probe"))
    assert full.wait(timeout=300) == 0
    duration = time.perf_counter() - started
    new = _snapshot(out / "probe")
    assert new[0]["utterances"] == 18 + 10_000
    states = {str(before), str(new)}
    for fraction in (0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97):
        build = _cli_process("build", "--raw", str(bigger_raw), "--out", str(out))
        time.sleep(duration * fraction)
        build.send_signal(signal.SIGKILL)
        build.wait()
        after = _snapshot(out)  # complete and readable, whatever stage the kill hit
        assert str(after) in states, (fraction, after)
    finished = _cli_process("build", "--raw", str(bigger_raw), "--out", str(out))
    assert finished.wait(timeout=300) == 0, finished.stderr.read()
    assert _snapshot(out) == new


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


def test_two_builds_started_at_once_leave_a_complete_output(tmp_path):
    out = tmp_path / "out"
    builds = [_cli_process("build", "--raw", str(RAW), "--out", str(out)) for _ in range(2)]
    codes = sorted(b.wait(timeout=120) for b in builds)
    assert codes[0] == 0 and codes[1] in (0, 1)
    parquet, database = _snapshot(out)
    assert parquet == database and parquet["sessions"] == 4
