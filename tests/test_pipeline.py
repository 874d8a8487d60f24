"""The Dagster graph, the outputs and the command line, end to end."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import polars as pl
import pytest

import schemas
from tests.conftest import PROJECT_ROOT, RAW, SEEDS, run_build


def test_definitions_load():
    from pipeline.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"raw_documents", "parsed_documents", "duplicate_clusters", "parquet_files", "duckdb_database", "site"} <= keys
    site = repo.asset_graph.get(dg.AssetKey("site"))
    assert {k.to_user_string() for k in site.parent_keys} == {"duckdb_database"}  # the site follows the export
    assert set(schemas.TABLES) <= keys
    check_keys = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_graph.asset_check_keys}
    assert all((name, "schema") in check_keys for name in schemas.TABLES)
    assert ("participants", "references") in check_keys


def test_every_check_passed_on_the_seeds(seed_build):
    result, _ = seed_build
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert len(evaluations) >= len(schemas.TABLES)
    assert [f"{e.asset_key.to_user_string()}.{e.check_name}" for e in evaluations if not e.passed] == []


def test_parquet_files_match_schemas(seed_build):
    _, out = seed_build
    for name in schemas.TABLES:
        df = pl.read_parquet(out / "parquet" / f"{name}.parquet")
        assert df.schema == pl.Schema(schemas.columns(name)), name
        key = list(schemas.TABLES[name].primary_key)
        assert df.equals(df.sort(key, nulls_last=True, maintain_order=True)), f"{name} not sorted by {key}"


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_builds_are_byte_identical_whatever_the_file_order(seed_build, tmp_path):
    _, first_out = seed_build
    raw = tmp_path / "raw"
    (raw / "nested" / "deeper").mkdir(parents=True)
    # other names, other folders, CRLF line endings: same content, same bytes out
    for i, (key, name) in enumerate(sorted(SEEDS.items(), reverse=True)):
        data = (RAW / name).read_bytes().replace(b"\n", b"\r\n") if key == "concept" else (RAW / name).read_bytes()
        folder = raw / "nested" / "deeper" if i % 2 else raw
        (folder / f"z{i}_{key}.md").write_bytes(data)
    result = run_build(raw, tmp_path / "out")
    assert result.success
    for name in schemas.TABLES:
        a = pl.read_parquet(first_out / "parquet" / f"{name}.parquet")
        b = pl.read_parquet(tmp_path / "out" / "parquet" / f"{name}.parquet")
        if name == "documents":  # paths and raw hashes differ by construction; every id is the same
            a, b = a.drop("path", "sha256", "size_bytes"), b.drop("path", "sha256", "size_bytes")
            assert a.equals(b)
            continue
        assert (first_out / "parquet" / f"{name}.parquet").read_bytes() == (tmp_path / "out" / "parquet" / f"{name}.parquet").read_bytes(), name


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_rebuild_same_input_same_bytes(seed_build, tmp_path):
    _, first_out = seed_build
    result = run_build(RAW, tmp_path / "again")
    assert result.success
    for name in schemas.TABLES:
        assert (first_out / "parquet" / f"{name}.parquet").read_bytes() == (tmp_path / "again" / "parquet" / f"{name}.parquet").read_bytes(), name


def test_duckdb_opens_after_the_output_folder_moves(seed_build, tmp_path):
    _, out = seed_build
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(out, moved)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    script = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
              "print(c.execute('SELECT count(*) FROM sessions').fetchone()[0], "
              "c.execute('SELECT count(*) FROM participants').fetchone()[0])")
    out_text = subprocess.run([sys.executable, "-c", script, str(moved / "cyberdialogue.duckdb")], cwd=elsewhere,
                              capture_output=True, text=True, check=True).stdout.split()
    assert out_text == ["4", "28"]
    con = duckdb.connect(str(moved / "cyberdialogue.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'people' AND column_name = 'person_id'").fetchone()[0]
    con.close()
    assert tables == set(schemas.TABLES)
    assert "sha256" in comment


def _cli(*args, cwd=PROJECT_ROOT):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_cli_build_and_sql(tmp_path):
    out = tmp_path / "out"
    built = _cli("build", "--raw", str(RAW), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert "documents by status: duplicate=1, parsed=4" in built.stdout
    assert (out / "build_report.json").exists()
    answer = _cli("sql", "SELECT name FROM people WHERE name LIKE 'Yuan%'", "--out", str(out))
    assert answer.returncode == 0, answer.stderr
    assert "Yuan XU" in answer.stdout
    bad = _cli("sql", "SELECT * FROM no_such_table", "--out", str(out))
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "no_such_table" in bad.stderr
    missing = _cli("build", "--raw", str(tmp_path / "nope"), "--out", str(out))
    assert missing.returncode == 1 and "raw folder not found" in missing.stderr


def test_cli_help_explains_every_command():
    top = _cli("--help")
    assert top.returncode == 0 and "build" in top.stdout and "sql" in top.stdout
    build = _cli("build", "--help")
    assert all(flag in build.stdout for flag in ("--raw", "--out", "--strict"))
    sql = _cli("sql", "--help")
    assert all(flag in sql.stdout for flag in ("--out", "--db", "--max-rows", "--format"))


def test_readme_queries_run(seed_build):
    """Every ```sql block of the README runs on the seed build and returns rows."""
    import re

    _, out = seed_build
    readme = (PROJECT_ROOT / "README.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", readme, re.S)
    assert len(queries) >= 5
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    for sql in queries:
        assert con.execute(sql).fetchall(), sql
    con.close()


def test_parquet_files_carry_types_descriptions_and_required_columns(seed_build):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, out = seed_build
    sessions = pq.read_schema(out / "parquet" / "sessions.parquet")
    assert sessions.field("start_time").type == pa.time64("us") and sessions.field("end_time").type == pa.time64("us")
    assert not sessions.field("session_id").nullable and sessions.field("title").nullable
    assert not sessions.field("document_ids").nullable
    assert sessions.field("session_id").metadata[b"description"].decode() == schemas.column_descriptions("sessions")["session_id"]
    assert sessions.metadata[b"description"].decode() == schemas.TABLES["sessions"].description
    for name in schemas.TABLES:  # every table, every column: nullability and description as in the schema
        schema = pq.read_schema(out / "parquet" / f"{name}.parquet")
        nullable = schemas.column_nullable(name)
        descriptions = schemas.column_descriptions(name)
        assert {f.name: f.nullable for f in schema} == nullable, name
        assert {f.name: f.metadata[b"description"].decode() for f in schema} == descriptions, name
    # the Parquet footer itself says REQUIRED, for readers that never look at the Arrow schema
    footer = pq.ParquetFile(out / "parquet" / "people.parquet").schema
    assert footer.column(0).max_definition_level == 0 and footer.column(1).max_definition_level == 0


def test_times_are_plain_time_in_duckdb(db):
    types = dict(db.execute("SELECT column_name, data_type FROM duckdb_columns() "
                            "WHERE table_name = 'sessions' AND column_name IN ('start_time', 'end_time')").fetchall())
    assert types == {"start_time": "TIME", "end_time": "TIME"}
    row = db.execute("SELECT start_time > TIME '12:00', date + start_time, date_diff('minute', start_time, end_time), "
                     "end_time - INTERVAL 30 MINUTE FROM sessions WHERE date = DATE '2024-10-15'").fetchone()
    assert row == (True, dt.datetime(2024, 10, 15, 16, 0), 90, dt.time(17, 0))
    nullable = dict(db.execute("SELECT column_name, is_nullable FROM duckdb_columns() WHERE table_name = 'sessions'").fetchall())
    assert nullable["session_id"] is False and nullable["title"] is True


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_sql_cannot_touch_files_and_answers_bad_queries_in_one_line(seed_build, tmp_path):
    _, out = seed_build
    target = tmp_path / "x.csv"
    for query, phrase in [(f"COPY sessions TO '{target}'", "Permission Error"),
                          (f"SELECT * FROM read_parquet('{out / 'parquet' / 'sessions.parquet'}')", "Permission Error"),
                          (f"ATTACH '{tmp_path / 'other.duckdb'}' AS other", "Permission Error"),
                          ("SET enable_external_access = true", "locked"),
                          ("", "no SQL statement"), ("   ", "no SQL statement"),
                          ("-- only a comment", "no SQL statement"), ("/* a comment */", "no SQL statement"),
                          ("SELECT 1; SELECT 2", "give one SQL statement, not 2"),
                          ("SELEC nothing", "Parser Error"), ("SELECT * FROM no_such_table", "no_such_table"),
                          ("DELETE FROM sessions", "read-only")]:
        answer = _cli("sql", query, "--out", str(out))
        assert answer.returncode == 1, (query, answer.stdout)
        assert len(answer.stderr.strip().splitlines()) == 1 and phrase in answer.stderr, (query, answer.stderr)
        assert answer.stderr.startswith("cyberdialogue sql: ") and "Traceback" not in answer.stderr
    assert not target.exists() and not (tmp_path / "other.duckdb").exists()
    assert _cli("sql", "SELECT count(*) FROM sessions -- a trailing comment", "--out", str(out)).returncode == 0


def test_lists_print_unambiguously(seed_build):
    from pipeline.cli import format_cell

    _, out = seed_build
    assert format_cell(["p;q", "r"]) == '["p;q", "r"]' and format_cell(["p", "q; r"]) == '["p", "q; r"]'
    query = "SELECT ['p;q', 'r'] AS items, roles FROM participants WHERE name = 'Yuan XU'"
    table = _cli("sql", query, "--out", str(out))
    assert table.returncode == 0 and '["p;q", "r"]' in table.stdout and '["listed", "organizer"]' in table.stdout
    as_csv = _cli("sql", query, "--out", str(out), "--format", "csv", "--max-width", "5")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["items", "roles"]
    assert [json.loads(cell) for cell in rows[1]] == [["p;q", "r"], ["listed", "organizer"]]  # whole cells, JSON


def test_roles_are_sorted(seed_build, q):
    for table in ("participants", "speaker_labels"):
        lists = [r[0] for r in q(f"SELECT roles FROM {table}")]
        assert lists and all(roles == sorted(set(roles)) for roles in lists), table
    assert q("SELECT roles FROM participants WHERE name = 'Yuan XU'")[0][0] == ["listed", "organizer"]
    assert "(sorted)" in schemas.column_descriptions("participants")["roles"]
