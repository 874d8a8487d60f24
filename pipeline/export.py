"""Writing the tables: Parquet files (zstd, sorted, byte-identical for the same input) and a DuckDB
database that holds the tables themselves, so it opens from any working directory and keeps working
after the output folder is moved or copied (views over relative Parquet paths would not).

Every file is written beside its destination and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

import schemas

PARQUET_DIR = "parquet"
DATABASE_FILE = "cyberdialogue.duckdb"


def write_parquet_tables(tables: dict[str, pl.DataFrame], out_dir: str | os.PathLike,
                         columns_of=schemas.columns) -> dict[str, Path]:
    """Write every table to out_dir/parquet/TABLE.parquet; returns the paths."""
    target = Path(out_dir) / PARQUET_DIR
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in schemas.TABLES:
        df = tables[name].select(list(columns_of(name)))
        path = target / f"{name}.parquet"
        tmp = path.with_suffix(f".parquet.tmp-{os.getpid()}")
        df.write_parquet(tmp, compression="zstd", compression_level=9, statistics=True, row_group_size=100_000)
        os.replace(tmp, path)
        written[name] = path
    return written


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_duckdb(parquet_paths: dict[str, Path], database_path: str | os.PathLike, released: bool = False) -> Path:
    """A DuckDB file with one table per Parquet file, with table and column comments from the schemas."""
    database_path = Path(database_path)
    database_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = database_path.with_name(database_path.name + f".tmp-{os.getpid()}")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        if leftover.exists():
            leftover.unlink()
    con = duckdb.connect(str(tmp))
    try:
        for name, info in schemas.TABLES.items():
            source = Path(parquet_paths[name]).resolve()
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet({_sql_string(str(source))})')
            con.execute(f'COMMENT ON TABLE "{name}" IS {_sql_string(info.description)}')
            for column, text in schemas.column_descriptions(name, released).items():
                con.execute(f'COMMENT ON COLUMN "{name}"."{column}" IS {_sql_string(text)}')
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, database_path)
    return database_path
