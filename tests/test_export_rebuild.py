"""The export stages of an incremental re-build: the shared atomic writer, and the faster ways of
writing and linking the tables compared with the plain ones."""
from __future__ import annotations

import json
import shutil

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

import schemas
from pipeline.files import temporary_beside, write_atomically
from pipeline.outputs import export
from pipeline.outputs.site import build as site_build
from pipeline.outputs.site import build_site, charts
from tests.test_site import DAY, site_files, small_tables, whole_site, write_tables


def test_write_atomically_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "deeper" / "file.txt"
    write_atomically(target, lambda tmp: tmp.write_text("one"))
    write_atomically(target, lambda tmp: tmp.write_text("two"))
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_write_atomically_keeps_the_old_file_when_the_write_fails(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_text() == "old"
    assert not temporary_beside(target).exists()
    assert ".tmp-" in temporary_beside(target).name  # what uploads of a cache leave out (storage.py)


# -- the tables written as Parquet ------------------------------------------------------------------




@pytest.fixture(scope="module")
def seed_tables(seed_build):
    _, out = seed_build
    return {name: pl.read_parquet(out / "parquet" / f"{name}.parquet") for name in schemas.TABLES}


def _in_chunks(df: pl.DataFrame, pieces: int) -> pl.DataFrame:
    """The frame as `pieces` chunks with buffers of their own, as a table put together from session buckets is."""
    bounds = [df.height * i // pieces for i in range(pieces + 1)]
    return pl.concat([df[start:end].rechunk() for start, end in zip(bounds, bounds[1:])], rechunk=False)


@pytest.mark.parametrize("pieces", [1, 3, 16])
@pytest.mark.parametrize("row_group", [7, 100_000])
def test_a_frame_in_chunks_is_written_as_the_whole_table_at_once(seed_tables, tmp_path, monkeypatch, pieces, row_group):
    monkeypatch.setitem(export.PARQUET_OPTIONS, "row_group_size", row_group)
    for name in ("sessions", "participants", "utterances", "documents"):
        schema = schemas.arrow_schema(name)
        df = pl.concat([seed_tables[name].select(schema.names)] * 20)  # rows enough for several row groups
        chunked = _in_chunks(df, pieces)
        assert chunked.n_chunks() == pieces
        export.write_parquet(chunked, tmp_path / "chunked.parquet", schema)
        pq.write_table(df.to_arrow().cast(schema).combine_chunks(), tmp_path / "plain.parquet", **export.PARQUET_OPTIONS)
        assert (tmp_path / "chunked.parquet").read_bytes() == (tmp_path / "plain.parquet").read_bytes(), (name, pieces)


# -- the database's delta, made while the Parquet files are written ---------------------------------

def _changed(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """One session's title changed and one participant gone."""
    sessions, participants = tables["sessions"], tables["participants"]
    return {**tables, "participants": participants.slice(1),
            "sessions": sessions.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("A new title"))
                                              .otherwise(pl.col("title")).alias("title"))}


@pytest.fixture(scope="module")
def two_builds(seed_tables, tmp_path_factory):
    root = tmp_path_factory.mktemp("two_builds")
    first, second = root / "first", root / "second"
    export.write_duckdb(export.write_parquet_tables(seed_tables, first, track=True), first / export.DATABASE_FILE)
    paths = export.write_parquet_tables(_changed(seed_tables), second, previous=first, track=True)
    return first, second, paths


def _computed(first, second, name):
    return export.changed_rows(pl.read_ipc(first / export.ROW_KEYS_DIR / f"{name}.arrow"),
                               pl.read_ipc(second / export.ROW_KEYS_DIR / f"{name}.arrow"),
                               list(schemas.TABLES[name].primary_key))


def test_the_changed_tables_delta_is_saved_with_the_build_it_was_made_against(two_builds):
    first, second, _ = two_builds
    manifest, before = export._previous_tables(second), export._previous_tables(first)
    changed = sorted(name for name in schemas.TABLES if not manifest[name]["reused"])
    assert changed == ["participants", "sessions"]
    for name in schemas.TABLES:
        files = export._delta_files(second / export.ROW_KEYS_DIR, name)
        if name not in changed:
            assert "delta" not in manifest[name] and not any(path.exists() for path in files)
            continue
        assert manifest[name]["delta"] == {"from": first.name, "digest": before[name]["digest"]}
        gone, added = (pl.read_ipc(path) for path in files)
        plain_gone, plain_added = _computed(first, second, name)
        assert gone.equals(plain_gone) and added.equals(plain_added), name
    sessions_gone, sessions_added = (pl.read_ipc(p) for p in export._delta_files(second / export.ROW_KEYS_DIR, "sessions"))
    assert sessions_gone.height == 1 and sessions_added["file_row_number"].to_list() == [2]
    assert pl.read_ipc(export._delta_files(second / export.ROW_KEYS_DIR, "participants")[0]).height == 1


def _copy(build, to):
    shutil.copytree(build, to, symlinks=True)
    return to


def _deltas_as_lists(deltas):
    return {name: (gone.rows(), added.rows()) for name, (gone, added) in deltas.items()}


def test_a_saved_delta_is_used_only_against_its_own_previous_build(two_builds, tmp_path):
    first, second, _ = two_builds
    computed = {name: _computed(first, second, name) for name in ("participants", "sessions")}
    build = _copy(second, tmp_path / "build")
    gone, added = export._delta_files(build / export.ROW_KEYS_DIR, "sessions")
    pl.read_ipc(gone).clear().write_ipc(gone)  # a delta that says nothing changed: used only where it was made
    pl.read_ipc(added).clear().write_ipc(added)
    assert _deltas_as_lists(export._deltas(first, build))["sessions"] == ([], [])
    other = _copy(first, tmp_path / "other")  # the same tables in another folder: the delta is made again
    assert _deltas_as_lists(export._deltas(other, build)) == _deltas_as_lists(computed)


@pytest.mark.parametrize("damage", ["missing", "truncated", "another table's"])
def test_a_missing_or_damaged_saved_delta_is_made_again(two_builds, tmp_path, damage):
    first, second, _ = two_builds
    build = _copy(second, tmp_path / "build")
    gone, _ = export._delta_files(build / export.ROW_KEYS_DIR, "participants")
    if damage == "missing":
        gone.unlink()
    elif damage == "truncated":
        gone.write_bytes(gone.read_bytes()[:50])
    else:
        shutil.copy(export._delta_files(build / export.ROW_KEYS_DIR, "sessions")[0], gone)
    expected = {name: _computed(first, second, name) for name in ("participants", "sessions")}
    assert _deltas_as_lists(export._deltas(first, build)) == _deltas_as_lists(expected)


def test_the_database_updated_by_the_saved_delta_holds_the_new_tables(two_builds, tmp_path):
    first, second, paths = two_builds
    build = _copy(second, tmp_path / "build")
    done = export.write_duckdb(paths, build / export.DATABASE_FILE, previous=first)
    assert done["sessions"] == "1 rows deleted, 1 inserted" and done["participants"] == "1 rows deleted, 0 inserted"
    created = export.write_duckdb(paths, tmp_path / "created" / export.DATABASE_FILE)
    assert set(created.values()) == {"created"}
    def rows(path):
        with duckdb.connect(str(path), read_only=True) as con:
            return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in schemas.TABLES}

    assert rows(build / export.DATABASE_FILE) == rows(tmp_path / "created" / export.DATABASE_FILE)


# -- the site ---------------------------------------------------------------------------------------


def test_row_counts_come_from_the_parquet_footers(seed_build):
    _, out = seed_build
    counts = site_build._row_counts(out / "parquet")
    assert counts == {name: pl.scan_parquet(out / "parquet" / f"{name}.parquet").select(pl.len()).collect().item()
                      for name in schemas.TABLES}
    assert counts["sessions"] > 0


@pytest.mark.parametrize("change, queried", [
    (lambda rows: rows["documents"][0].update(status="partial"), {"documents"}),
    (lambda rows: rows["participants"][0].update(organization="Org"), {"organizations", "countries", "roles"}),
    (lambda rows: rows["sessions"][0].update(description="Rewritten."), None),  # no chart reads it
    (lambda rows: rows["people"][0].update(name="Ann Lee-Wu"), {"agreement-network"}),
])
@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_only_the_charts_whose_tables_changed_are_queried_again(small, monkeypatch, change, queried):
    build_site(small, date=DAY)
    calls = []
    plain = charts.chart_specs
    monkeypatch.setattr(charts, "chart_specs", lambda con, slugs=None: calls.append(slugs) or plain(con, slugs))
    rows = small_tables()
    change(rows)
    write_tables(small, rows)
    build_site(small, date=DAY)
    assert calls == ([queried] if queried else [])
    monkeypatch.undo()
    assert site_files(small / "site") == whole_site(small)  # the same bytes as every chart queried


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_a_kept_chart_state_of_another_form_queries_every_chart(small):
    build_site(small, date=DAY)
    state = small / ".site.state" / "charts.json"
    kept = json.loads(state.read_text())
    assert set(kept["inputs"]) == set(charts.CHARTS)
    kept["inputs"] = "an older form"
    kept["specs"][0] = {"slug": "sessions-per-year", "unknown": 1}
    state.write_text(json.dumps(kept))
    build_site(small, date=DAY)
    assert site_files(small / "site") == whole_site(small)


@pytest.mark.parametrize("listed", [
    ["a.html", "b.html", "c.html"],            # the same files in the same order
    ["c.html", "a.html", "b.html"],            # the same files, another order
    ["a.html", "c.html"],                      # one gone
    ["a.html", "b.html", "c.html", "d.html"],  # one added
    [],
])
def test_the_files_no_longer_listed_are_those_a_lookup_finds(listed):
    from pipeline.outputs.site.store import not_listed

    present = pl.Series("path", ["a.html", "b.html", "c.html"], pl.String)
    listed = pl.Series("path", listed, pl.String)
    assert not_listed(present, listed).to_list() == [p for p in present if p not in set(listed)]


def test_a_chart_key_is_made_once_and_is_that_of_its_spec():
    spec = charts.ChartSpec("x", "X", "SELECT 1", "alt", {"data": {"values": [{"a": 1}]}})
    assert spec.key == spec.key and len(spec.key) == 32
    assert spec.key != charts.ChartSpec("x", "X", "SELECT 1", "alt", {"data": {"values": [{"a": 2}]}}).key
