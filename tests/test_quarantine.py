"""A record that breaks a rule goes to rejects and the build goes on; a table that breaks as a whole
stops the export through its blocking check, naming the rule."""
from __future__ import annotations

import duckdb
from pathlib import Path

import polars as pl

import pipeline.defs.tables
import pipeline.sources.common as sources_common
import pytest
from pipeline.cli import main
from tests.conftest import RAW


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_bad_record_is_quarantined_and_the_build_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sources_common, "utc_offset", lambda text: "GMT+8")  # breaks sessions.utc_offset
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out), "--bounds", ""]) == 0
    printed = capsys.readouterr().out
    assert "rejected records: 15" in printed and "sessions: utc_offset" in printed
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    rejects = con.execute('SELECT "table", rule, offending_values FROM rejects ORDER BY "table"').fetchall()
    sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    con.close()
    assert sessions == 3
    tables = [r[0] for r in rejects]
    assert tables.count("sessions") == 1 and tables.count("participants") == 12 and tables.count("conflicts") == 2
    assert any("GMT+8" in r[2] and "str_matches" in r[1] for r in rejects)
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "strict"), "--strict", "--bounds", ""]) == 1
    assert "--strict: 15 rejected" in capsys.readouterr().err


def test_a_table_failing_as_a_whole_stops_the_export(tmp_path, monkeypatch, capsys):
    real = pipeline.defs.tables.build_tables

    def broken(*args, **kwargs):
        tables = real(*args, **kwargs)
        tables["people"] = tables["people"].with_columns(pl.col("session_count").cast(pl.Utf8))
        return tables
    monkeypatch.setattr(pipeline.defs.tables, "build_tables", broken)
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "CHECK FAILED people.schema" in err and "session_count" in err
    assert "blocking check people.schema failed" in err and "Traceback" not in err
    assert not (out / "parquet").exists()


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_row_count_bounds_fail_below_minimum_and_warn_above_maximum(tmp_path, capsys):
    bounds = tmp_path / "bounds.yaml"
    bounds.write_text("documents_by_format:\n  diplo_report: {min: 2}\n  isomer_event: {max: 1}\ntables:\n  sessions: {min: 1, max: 3}\n")
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "out"), "--bounds", str(bounds)]) == 1
    err = capsys.readouterr().err
    assert "CHECK FAILED documents.row_count_minimum: documents_by_format.diplo_report = 1, expected >= 2" in err
    assert "WARNING documents.row_count_maximum" in err and "tables.sessions = 4, expected <= 3" in err
    bounds.write_text("tables:\n  sessions: {min: 1, max: 3}\n")
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "out"), "--bounds", str(bounds)]) == 0
    assert "WARNING documents.row_count_maximum" in capsys.readouterr().err


def test_the_reviewed_bounds_hold_for_raw(tmp_path):
    from pipeline.project import find_project

    project = find_project(Path(__file__).resolve().parents[1])  # this checkout's, wherever the tests run from
    assert project.bounds is not None and project.bounds_for(project.raw) == project.bounds
    assert main(["build", "--raw", str(project.raw), "--out", str(tmp_path / "out"), "--bounds", str(project.bounds)]) == 0


def test_a_quarantined_person_leaves_the_id_lists_that_named_them():
    from pipeline.transform.quarantine import quarantine
    from tests.test_identity import _build

    tables = _build(RAW)
    agreement = tables["agreements"].filter(pl.col("person_ids").list.len() > 0).row(0, named=True)
    gone = agreement["person_ids"][0]
    people = tables["people"].with_columns(
        pl.when(pl.col("person_id") == gone).then(-1).otherwise(pl.col("session_count")).cast(pl.Int32).alias("session_count"))
    after = quarantine({**tables, "people": people})
    assert gone not in after["people"]["person_id"].to_list()
    kept = after["agreements"].filter(pl.col("agreement_id") == agreement["agreement_id"]).row(0, named=True)
    assert kept["person_ids"] == [p for p in agreement["person_ids"] if p != gone]
    removed = after["rejects"].filter(pl.col("rule") == "person_ids: reference to a quarantined people row removed")
    assert removed.height >= 1 and all(gone in v for v in removed["offending_values"].to_list())
    assert gone not in after["participants"]["person_id"].to_list()
