"""The export's cheaper re-build: tables written several at once within a memory budget, unchanged tables'
row keys linked like their Parquet files, and the previous database copied while the Parquet files are written.

Every file must hold the bytes the plain one-at-a-time writing gives, and the database the rows a plain
update gives, whether the copy made beforehand is there, stale or missing."""
from __future__ import annotations

import os
import shutil
import threading
import time

import duckdb
import polars as pl
import pytest

import schemas
from pipeline.outputs import export


@pytest.fixture(scope="module")
def seed_tables(seed_build):
    _, out = seed_build
    return {name: pl.read_parquet(out / "parquet" / f"{name}.parquet") for name in schemas.TABLES}


def _changed(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables with one utterance gone and another one's text changed."""
    utterances = tables["utterances"]
    return {**tables, "utterances": utterances.slice(1).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("changed text")).otherwise(pl.col("text")).alias("text"))}


@pytest.mark.parametrize("budget", [0, 2**40])  # one write at a time, or every write at once
def test_tables_written_at_once_hold_the_bytes_of_one_at_a_time(seed_tables, tmp_path, monkeypatch, budget):
    monkeypatch.setattr(export, "CONCURRENT_WRITE_ALLOWANCE", budget)
    paths = export.write_parquet_tables(seed_tables, tmp_path / "build", track=True)
    for name, df in seed_tables.items():
        schema = schemas.arrow_schema(name)
        export.write_parquet(df.select(schema.names), tmp_path / f"{name}.plain.parquet", schema)
        assert paths[name].read_bytes() == (tmp_path / f"{name}.plain.parquet").read_bytes(), name
        keys = pl.read_ipc(tmp_path / "build" / export.ROW_KEYS_DIR / f"{name}.arrow")
        assert keys.equals(export.row_keys(name, df.select(schema.names))), name
    assert not [p.name for p in (tmp_path / "build").rglob("*.tmp-*")]


def test_an_unchanged_tables_file_and_row_keys_are_linked_and_a_changed_ones_written(seed_tables, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export.write_parquet_tables(seed_tables, first, track=True)
    export.write_parquet_tables(_changed(seed_tables), second, previous=first, track=True)
    manifest = export._previous_tables(second)
    for name in schemas.TABLES:
        for folder, suffix in ((export.PARQUET_DIR, "parquet"), (export.ROW_KEYS_DIR, "arrow")):
            same_inode = os.path.samefile(first / folder / f"{name}.{suffix}", second / folder / f"{name}.{suffix}")
            assert same_inode == (name != "utterances") == manifest[name]["reused"], (name, folder)
    keys = pl.read_ipc(second / export.ROW_KEYS_DIR / "utterances.arrow")
    assert keys.height == seed_tables["utterances"].height - 1


def test_a_missing_previous_row_keys_file_is_written_instead_of_linked(seed_tables, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export.write_parquet_tables(seed_tables, first, track=True)
    (first / export.ROW_KEYS_DIR / "people.arrow").unlink()
    export.write_parquet_tables(seed_tables, second, previous=first, track=True)
    people = seed_tables["people"].select(schemas.arrow_schema("people").names)
    assert pl.read_ipc(second / export.ROW_KEYS_DIR / "people.arrow").equals(export.row_keys("people", people))
    assert export._previous_tables(second)["people"]["reused"]  # the Parquet file itself was still linked


def test_the_memory_budget_runs_work_together_only_within_its_limit():
    budget = export.MemoryBudget(limit=10)
    running, most = [], []

    def work(amount):
        with budget.hold(amount):
            running.append(amount)
            most.append(sum(running))
            time.sleep(0.05)
            running.remove(amount)

    for amounts, expected in (([6, 6], 6), ([4, 6], 10), ([25, 3], 25)):  # 25: alone, above the limit
        most.clear()
        threads = [threading.Thread(target=work, args=(a,)) for a in amounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert max(most) == expected and budget.used == 0, amounts


def test_row_groups_hold_about_row_group_bytes_of_values(monkeypatch, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr(export, "ROW_GROUP_BYTES", 1000)
    narrow = pl.DataFrame({"n": list(range(300))})                         # 8 bytes a row
    wide = pl.DataFrame({"n": list(range(300)), "text": ["x" * 92] * 300,   # 100 bytes a row
                         "words": [["ab", "cd"]] * 300, "none": [None] * 300}, schema_overrides={"none": pl.String})
    assert export.value_bytes(narrow) == 2400 and export.value_bytes(wide) == 300 * (8 + 92 + 4 + 0)
    assert export.row_group_rows(narrow) == 125 and export.row_group_rows(wide) == 1000 // 104
    monkeypatch.setitem(export.PARQUET_OPTIONS, "row_group_size", 100)
    assert export.row_group_rows(narrow) == 100 and export.row_group_rows(wide.clear()) == 100
    # the same rows in other chunks: the same row groups, the same bytes
    schema = pa.schema([("n", pa.int64()), ("text", pa.string()), ("words", pa.list_(pa.string())), ("none", pa.string())])
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.parquet"
    export.write_parquet(wide, whole, schema)
    export.write_parquet(pl.concat([wide.slice(0, 7), wide.slice(7, 200), wide.slice(207)], rechunk=False), chunked, schema)
    meta = pq.ParquetFile(whole).metadata
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == [9] * 33 + [3]
    assert whole.read_bytes() == chunked.read_bytes()


def test_the_write_cost_is_one_row_group(monkeypatch):
    df = pl.DataFrame({"a": list(range(1000))})
    monkeypatch.setitem(export.PARQUET_OPTIONS, "row_group_size", 100)
    assert export._write_cost(df) == df.estimated_size() // 10
    assert export._write_cost(df.head(50)) == df.head(50).estimated_size()
    assert export._write_cost(df.clear()) == 0


@pytest.fixture(scope="module")
def builds(seed_tables, tmp_path_factory):
    """A first build with its database, and a second one's Parquet files (one table changed) without one."""
    root = tmp_path_factory.mktemp("builds")
    first, second = root / "first", root / "second"
    paths = export.write_parquet_tables(seed_tables, first, track=True)
    export.write_duckdb(paths, first / export.DATABASE_FILE)
    paths = export.write_parquet_tables(_changed(seed_tables), second, previous=first, track=True)
    return first, second, paths


def _rows(database) -> dict[str, list]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in schemas.TABLES}


def _update(builds, tmp_path, prepare) -> tuple[dict, dict, list]:
    """write_duckdb into a copy of the second build after prepare(previous, build); what it did, the rows, the
    files left beside the database."""
    first, second, paths = builds
    build = tmp_path / "second"
    build.mkdir(parents=True)
    (build / export.TABLES_FILE).write_bytes((second / export.TABLES_FILE).read_bytes())
    os.symlink(second / export.ROW_KEYS_DIR, build / export.ROW_KEYS_DIR)
    prepare(first, build)
    done = export.write_duckdb(paths, build / export.DATABASE_FILE, previous=first)
    return done, _rows(build / export.DATABASE_FILE), sorted(p.name for p in build.iterdir())


def _copy_beforehand(previous, build):
    with export.copying_previous_database(previous, build):
        pass
    assert (build / f".{export.DATABASE_FILE}.from-{previous.name}").read_bytes() == \
        (previous / export.DATABASE_FILE).read_bytes()


def _stale_copy(previous, build):
    (build / f".{export.DATABASE_FILE}.from-another-build").write_bytes(b"not a database")


@pytest.mark.parametrize("prepare", [_copy_beforehand, _stale_copy, lambda previous, build: None])
def test_the_update_by_delta_gives_the_same_database_with_or_without_the_copy_made_beforehand(builds, tmp_path, prepare):
    done, rows, files = _update(builds, tmp_path, prepare)
    plain_done, plain_rows, _ = _update(builds, tmp_path / "plain", lambda previous, build: None)
    assert done == plain_done and done["utterances"] == "2 rows deleted, 1 inserted"
    assert rows == plain_rows
    assert files == sorted([export.DATABASE_FILE, export.ROW_KEYS_DIR, export.TABLES_FILE])  # no copy left behind
    assert (builds[0] / export.DATABASE_FILE).is_file()  # the previous build's database stays where it was


def test_the_copy_made_beforehand_becomes_the_database(builds, tmp_path):
    copied = {}

    def prepare(previous, build):
        _copy_beforehand(previous, build)
        copied["inode"] = (build / f".{export.DATABASE_FILE}.from-{previous.name}").stat().st_ino

    _update(builds, tmp_path, prepare)
    assert (tmp_path / "second" / export.DATABASE_FILE).stat().st_ino == copied["inode"]  # renamed, not copied again


@pytest.mark.parametrize("damage", ["missing", "truncated", "another table's"])
def test_a_missing_or_damaged_row_keys_file_costs_the_full_creation_only(builds, tmp_path, damage):
    first, second, paths = builds
    previous = tmp_path / "previous"
    shutil.copytree(first, previous)
    keys = previous / export.ROW_KEYS_DIR / "utterances.arrow"
    if damage == "missing":
        keys.unlink()
    elif damage == "truncated":
        keys.write_bytes(keys.read_bytes()[:100])
    else:
        shutil.copy(previous / export.ROW_KEYS_DIR / "people.arrow", keys)
    build = tmp_path / "build"
    shutil.copytree(second, build)
    done = export.write_duckdb(paths, build / export.DATABASE_FILE, previous=previous)
    assert set(done.values()) == {"created"}
    _, plain_rows, _ = _update(builds, tmp_path / "plain", lambda previous, build: None)
    assert _rows(build / export.DATABASE_FILE) == plain_rows


def test_no_copy_is_made_when_the_previous_build_cannot_be_updated(builds, tmp_path):
    first, _, _ = builds
    for previous in (None, tmp_path / "empty"):
        with export.copying_previous_database(previous, tmp_path):
            pass
        assert not list(tmp_path.glob(".*.from-*"))


def test_a_stage_that_fails_while_the_copy_is_made_leaves_no_copy(builds, tmp_path):
    first, _, _ = builds
    with pytest.raises(RuntimeError):
        with export.copying_previous_database(first, tmp_path):
            raise RuntimeError("the Parquet writing failed")
    assert list(tmp_path.iterdir()) == []


def _plain_changed_rows(old_keys, new_keys, key):
    new_keys = new_keys.with_row_index("file_row_number")
    gone = old_keys.join(new_keys, on=[*key, "_row_hash"], how="anti", nulls_equal=True).select(key)
    added = new_keys.join(old_keys, on=[*key, "_row_hash"], how="anti", nulls_equal=True).select("file_row_number")
    return gone, added


def _keys(rows):
    return pl.DataFrame(rows, schema={"a": pl.String, "b": pl.Int64, "_row_hash": pl.UInt64}, orient="row")


OLD_KEYS = _keys([("x", 1, 10), ("x", 2, 20), (None, 3, 30), ("y", None, 40), ("z", 5, 50), ("w", 6, 60)])
CHANGES = {
    "none": OLD_KEYS,
    "content changed": _keys([("x", 1, 10), ("x", 2, 21), (None, 3, 30), ("y", None, 40), ("z", 5, 50), ("w", 6, 60)]),
    "removed and added": _keys([("v", 0, 5), ("x", 1, 10), (None, 3, 30), ("y", None, 40), ("z", 5, 51), ("w", 6, 60)]),
    "null keys changed": _keys([("x", 1, 10), ("x", 2, 20), (None, 4, 30), ("y", 0, 40), ("z", 5, 50), ("w", 6, 60)]),
    # hashes shared by rows of other keys (a collision) or moved between rows: the keys decide
    "hashes swapped": _keys([("x", 1, 20), ("x", 2, 10), (None, 3, 30), ("y", None, 40), ("z", 5, 50), ("w", 6, 50)]),
    "hash repeated": _keys([("x", 1, 10), ("x", 2, 10), (None, 3, 10), ("y", None, 40), ("z", 5, 50), ("w", 6, 60)]),
    "empty": OLD_KEYS.clear(),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_changed_rows_are_those_of_a_join_on_key_and_hash(change):
    new_keys = CHANGES[change]
    for old, new in ((OLD_KEYS, new_keys), (new_keys, OLD_KEYS)):
        gone, added = export.changed_rows(old, new, ["a", "b"])
        plain_gone, plain_added = _plain_changed_rows(old, new, ["a", "b"])
        assert gone.equals(plain_gone) and added.equals(plain_added), change
    if change == "hashes swapped":
        assert gone.height == 3 and added.height == 3


def _whole_digest(name: str, df: pl.DataFrame) -> str:
    """A table's digest from its row keys made at once (what save_row_keys makes a slice at a time)."""
    import hashlib

    digest = hashlib.sha256(repr(list(df.schema.items())).encode())
    digest.update(export.row_keys(name, df).get_column("_row_hash").to_numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("key_rows", [1, 3, 100_000])
def test_row_keys_made_a_slice_at_a_time_are_those_of_the_whole_table(seed_tables, tmp_path, monkeypatch, key_rows):
    monkeypatch.setattr(export, "KEY_ROWS", key_rows)
    for name in ("participants", "utterances", "speaker_labels"):  # speaker_labels: no rows
        df = seed_tables[name].select(schemas.arrow_schema(name).names)
        chunked = pl.concat([df.slice(0, 2), df.slice(2)], rechunk=False) if df.height > 2 else df
        path = tmp_path / f"{name}-{key_rows}.arrow"
        assert export.save_row_keys(name, chunked, path) == _whole_digest(name, df), name
        assert export.save_row_keys(name, chunked, None) == _whole_digest(name, df), name
        assert pl.read_ipc(path).equals(export.row_keys(name, df)), name


def test_a_tables_write_is_costed_by_its_row_group_in_arrow(seed_tables):
    import pyarrow as pa

    # per value, its bytes, and 8 for a text's offset
    narrow = pl.DataFrame({"a": ["x" * 10] * 1000, "b": list(range(1000))})
    assert export._write_cost(narrow, rows=100) == 100 * (10 + 8 + 8)
    assert export._write_cost(narrow.clear()) == 0
    # within a fifth of what the row group takes in Arrow, for the seed's widest and narrowest tables
    for name in ("participants", "sessions", "utterances"):
        schema = schemas.arrow_schema(name)
        df = seed_tables[name].select(schema.names)
        converted = export._arrow_row_group(df, schema)
        assert isinstance(converted, pa.Table)
        assert 0.8 < export._write_cost(df, rows=df.height) / converted.nbytes < 1.25, name
