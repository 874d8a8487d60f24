"""A good published build is never replaced by a collapsed one without being asked, and a failed build
says why in one line, without stack traces or a success line."""
from __future__ import annotations

import json
import pytest
import os
import shutil
import subprocess
import sys

import duckdb
import polars as pl

import schemas
from pipeline.transform.checks import check_shrink
from pipeline.cli import main
from tests.conftest import PROJECT_ROOT, RAW, SEEDS


def _published(out):
    parquet = {n: (out / "parquet" / f"{n}.parquet").read_bytes() for n in schemas.TABLES}
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    con.close()
    return parquet, sessions


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_an_empty_or_wrong_raw_folder_does_not_replace_a_good_build(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out)]) == 0
    before = _published(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    capsys.readouterr()
    assert main(["build", "--raw", str(empty), "--out", str(out), "--strict"]) == 1
    printed = capsys.readouterr()
    reason = printed.err.strip().splitlines()[-1]
    assert reason.startswith("cyberdialogue build: blocking check parquet_files.shrink failed: not published")
    for part in ("no readable document", "raw folder 0 of 0 files readable", "sessions 4 -> 0", "participants 28 -> 0",
                 "people 28 -> 0", "--allow-shrink", f"{out} is as before"):
        assert part in reason, part
    assert "build finished" not in printed.out
    assert _published(out) == before  # the previous output, byte for byte
    assert json.loads((out / "build_report.json").read_text())["rows"]["sessions"] == 4  # its report too
    assert json.loads((out / "failed_build_report.json").read_text())["failed_checks"][0]["check"] == "parquet_files.shrink"

    # a wrong folder that still reads: only the IGF proposal, most tables lose more than half their rows
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    shutil.copy(RAW / SEEDS["igf"], wrong / SEEDS["igf"])
    assert main(["build", "--raw", str(wrong), "--out", str(out)]) == 1
    reason = capsys.readouterr().err.strip().splitlines()[-1]
    assert "more than half of a table's rows lost" in reason
    assert "sessions 4 -> 1" in reason and "participants 28 -> 7" in reason and "utterances 18 -> 0" in reason
    assert "documents 5 -> 1" in reason and "duplicates" not in reason  # copies may come and go
    assert _published(out) == before


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_allow_shrink_publishes_on_purpose(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out)]) == 0
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    shutil.copy(RAW / SEEDS["igf"], wrong / SEEDS["igf"])
    assert main(["build", "--raw", str(wrong), "--out", str(out), "--allow-shrink"]) == 0
    assert _published(out)[1] == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["build", "--raw", str(empty), "--out", str(tmp_path / "first")]) == 1  # nothing readable: refused
    assert "0 of 0 files readable" in capsys.readouterr().err
    assert not (tmp_path / "first" / "parquet").exists()


def test_the_shrink_rule():
    documents = pl.DataFrame({"status": ["parsed", "rejected"]})
    previous = {"sessions": 10, "people": 10, "duplicates": 3, "rejects": 40, "conflicts": 2, "person_candidates": 5}
    fine = check_shrink(previous, documents, {"sessions": 5, "people": 6, "duplicates": 0, "rejects": 0, "conflicts": 0,
                                              "person_candidates": 0})
    assert fine.passed  # exactly half kept; the relations and review queues may empty
    lost = check_shrink(previous, documents, {"sessions": 4, "people": 10})
    assert not lost.passed and lost.message.startswith("not published") and "sessions 10 -> 4" in lost.message
    assert check_shrink(previous, documents, {"sessions": 4, "people": 10}, allowed=True).passed
    unreadable = check_shrink(None, documents.filter(pl.col("status") == "rejected"), {"sessions": 0})
    assert not unreadable.passed and "raw folder 0 of 1 files readable" in unreadable.message
    assert check_shrink(None, documents, {"sessions": 0}).passed  # a first build has nothing to shrink from


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_a_failed_build_says_why_in_one_line(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("split:\n  - {person_id: per_0000000000000000}\n")
    failed = _cli("build", "--raw", str(RAW), "--out", str(tmp_path / "out"), env={"CYBERDIALOGUE_OVERRIDES": str(overrides)})
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.strip().splitlines() == [
        f"cyberdialogue build: build failed in dataset_tables: ValueError: {overrides}: a split entry needs person_id "
        f"and a list of sessions: {{'person_id': 'per_0000000000000000'}}; nothing published, {tmp_path / 'out'} is as before"]
    # a failed check: the rule and the offending rows, then the one-line reason; no stack trace, no success line
    bounds = tmp_path / "bounds.yaml"
    bounds.write_text("tables:\n  sessions: {min: 5}\n")
    failed = _cli("build", "--raw", str(RAW), "--out", str(tmp_path / "out"), "--bounds", str(bounds))
    assert failed.returncode == 1 and "build finished" not in failed.stdout
    lines = failed.stderr.strip().splitlines()
    assert lines[0] == "CHECK FAILED documents.row_count_minimum: tables.sessions = 4, expected >= 5"
    assert any("| tables.sessions |" in line and ">= 5" in line for line in lines[1:-1])  # the offending row
    assert lines[-1].startswith("cyberdialogue build: blocking check documents.row_count_minimum failed: tables.sessions = 4")
    assert "Traceback" not in failed.stderr and "dagster - ERROR" not in failed.stderr
    assert not (tmp_path / "out" / "parquet").exists()
