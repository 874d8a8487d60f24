"""write_duckdb: a full database is loaded several tables at once, yet holds what a table-by-table load
held: every row in its Parquet file's order, the schemas' comments and NOT NULL columns, the same
catalog run after run. An update by delta from the previous build gives the same rows."""
from __future__ import annotations

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

import schemas
from pipeline.outputs import export

SHUFFLED = "utterances"  # the table written out of key order, in many row groups


@pytest.fixture(scope="module")
def seed_tables(seed_build):
    _, out = seed_build
    return {name: pl.read_parquet(out / "parquet" / f"{name}.parquet") for name in schemas.TABLES}


@pytest.fixture
def parquet_paths(seed_tables, tmp_path):
    """The seed tables as Parquet files; one of them shuffled and in row groups of 4 rows, so that its
    file order is neither the key order nor one row group."""
    paths = export.write_parquet_tables(seed_tables, tmp_path / "build")
    shuffled = seed_tables[SHUFFLED].sample(fraction=1.0, shuffle=True, seed=1)
    pq.write_table(shuffled.to_arrow().cast(schemas.arrow_schema(SHUFFLED)), paths[SHUFFLED], row_group_size=4)
    return paths


def _catalog(con) -> dict[str, list]:
    return {
        "tables": con.execute("SELECT table_name, comment FROM duckdb_tables() ORDER BY table_name").fetchall(),
        "columns": con.execute("SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns() "
                               "WHERE NOT internal ORDER BY table_name, column_index").fetchall(),
    }


def test_every_table_holds_the_rows_of_its_parquet_file_in_file_order(parquet_paths, seed_tables, tmp_path):
    assert seed_tables[SHUFFLED].height > 3 * 4
    done = export.write_duckdb(parquet_paths, tmp_path / "db" / export.DATABASE_FILE)
    assert done == dict.fromkeys(schemas.TABLES, "created")
    with duckdb.connect(str(tmp_path / "db" / export.DATABASE_FILE), read_only=True) as con:
        for name, path in parquet_paths.items():
            in_database = con.sql(f'SELECT * FROM "{name}"').pl()
            in_file = pl.read_parquet(path)
            assert in_database.schema == in_file.schema, name
            assert in_database.equals(in_file), name
        first_keys = con.execute(f'SELECT session_id, seq FROM "{SHUFFLED}" LIMIT 5').fetchall()
    assert first_keys == pl.read_parquet(parquet_paths[SHUFFLED]).select("session_id", "seq").head(5).rows()
    assert first_keys != seed_tables[SHUFFLED].select("session_id", "seq").head(5).rows()  # not the key order


def test_every_table_has_the_schemas_comments_and_not_null_columns(parquet_paths, tmp_path):
    catalogs = []
    for run in ("first", "second"):
        export.write_duckdb(parquet_paths, tmp_path / run / export.DATABASE_FILE, released=False)
        with duckdb.connect(str(tmp_path / run / export.DATABASE_FILE), read_only=True) as con:
            catalogs.append(_catalog(con))
    assert catalogs[0] == catalogs[1]
    tables, columns = catalogs[0]["tables"], catalogs[0]["columns"]
    assert tables == sorted((name, info.description) for name, info in schemas.TABLES.items())
    assert [(table, column, nullable, comment) for table, column, _, nullable, comment in columns] == [
        (name, column, schemas.column_nullable(name)[column], comment)
        for name in sorted(schemas.TABLES) for column, comment in schemas.column_descriptions(name).items()]
    assert ("utterances", "seq", "INTEGER", False, schemas.column_descriptions("utterances")["seq"]) in columns


def test_a_failed_table_load_raises_and_publishes_no_database(parquet_paths, seed_tables, tmp_path):
    name = "sessions"
    required = next(column for column, nullable in schemas.column_nullable(name).items() if not nullable)
    broken = seed_tables[name].with_columns(pl.lit(None, dtype=seed_tables[name].schema[required]).alias(required))
    broken.write_parquet(parquet_paths[name])  # a null where the schema requires a value
    target = tmp_path / "db" / export.DATABASE_FILE
    with pytest.raises(duckdb.ConstraintException, match=required):
        export.write_duckdb(parquet_paths, target)
    assert not target.exists()


def test_an_update_by_delta_holds_the_rows_of_the_new_parquet_files(seed_tables, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    paths = export.write_parquet_tables(seed_tables, first, track=True)
    assert set(export.write_duckdb(paths, first / export.DATABASE_FILE).values()) == {"created"}
    utterances = seed_tables["utterances"]
    changed = {**seed_tables, "utterances": utterances.slice(1).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("changed text")).otherwise(pl.col("text")).alias("text"))}
    paths = export.write_parquet_tables(changed, second, previous=first, track=True)
    done = export.write_duckdb(paths, second / export.DATABASE_FILE, previous=first)
    assert done == {**dict.fromkeys(schemas.TABLES, "unchanged"), "utterances": "2 rows deleted, 1 inserted"}
    with duckdb.connect(str(second / export.DATABASE_FILE), read_only=True) as con:
        for name, df in changed.items():
            key = list(schemas.TABLES[name].primary_key)
            in_database = con.sql(f'SELECT * FROM "{name}"').pl().sort(key, nulls_last=True)
            assert in_database.equals(df.sort(key, nulls_last=True)), name
