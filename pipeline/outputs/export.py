"""Writing the tables: Parquet files (zstd, sorted, byte-identical for the same input) and a DuckDB
database that holds the tables themselves, so it opens from any working directory and keeps working
after the output folder is moved or copied (views over relative Parquet paths would not).

Every file is written beside its destination and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from pipeline.files import temporary_beside, write_atomically
from pipeline.memory import give_back_free_pages

PARQUET_DIR = "parquet"
DATABASE_FILE = "cyberdialogue.duckdb"
# The writing connection's buffer, spilled past that (DuckDB's default: 80 % of the machine). At 256MB the
# two tables loaded at once kept evicting each other's blocks: 10.5 core-s at 100k documents against 8.0
# here, for about 250 MB more in this stage (~840 MB, still below the Parquet stage's ~1.65 GB).
DUCKDB_MEMORY = "512MB"


ROW_KEYS_DIR = ".rowkeys"    # per table: primary key + a hash of each row, for the next build's database delta
TABLES_FILE = "tables.json"  # per table: rows and a digest of its content


PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "write_statistics": True, "row_group_size": 50_000}
# A row group holds at most row_group_size rows and about this many bytes of values: the writer holds one
# row group converted to Arrow and its compressed pages, so a table of long texts (utterances, sessions)
# in groups of 100,000 rows held ~85 MB at once, and a wider corpus would hold more. The export's memory
# is then bounded whatever the corpus; at 50,000 rows and 16 MB (layout 4) the stage's peak at 50,000
# documents was ~20 MB lower than at 100,000 and 32 MB, for files 0.2 % larger and 0.2 s more.
ROW_GROUP_BYTES = 16 << 20
LAYOUT = 4  # 4: groups of at most 50,000 rows and 16 MB; 3: row groups cut by ROW_GROUP_BYTES; 2: written by
#             pyarrow with the schema's types (TIME in microseconds), nullability and descriptions


def _engine() -> dict:
    """What the bytes of a file depend on besides the data: a table written by another engine or
    with other options is never reused."""
    return {"polars": pl.__version__, "pyarrow": pa.__version__, "duckdb": duckdb.__version__,
            "parquet": PARQUET_OPTIONS, "row_group_bytes": ROW_GROUP_BYTES, "layout": LAYOUT}


def value_bytes(df: pl.DataFrame) -> int:
    """The bytes of a frame's values: texts by their length, lists by their items, 8 for any other value.
    Counted from the values alone, so that the same rows give the same row groups however the frame
    was put together (read back from a store, built on a worker or here)."""
    total = 0
    for name, dtype in df.schema.items():
        column = df.get_column(name)
        if dtype == pl.String:
            total += column.str.len_bytes().sum() or 0
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            total += column.explode(empty_as_null=False, keep_nulls=False).str.len_bytes().sum() or 0
        elif isinstance(dtype, pl.List):
            total += 8 * (column.list.len().sum() or 0)
        else:
            total += 8 * column.len()
    return int(total)


def row_width(df: pl.DataFrame) -> int:
    """The mean bytes of values in a row of `df` (value_bytes)."""
    return value_bytes(df) // df.height if df.height else 0


def row_group_rows(df: pl.DataFrame, width: int | None = None) -> int:
    """Rows per row group of `df`: at most PARQUET_OPTIONS' row_group_size, and about ROW_GROUP_BYTES of
    values at the table's mean row width (`width`: row_width(df), when at hand)."""
    if df.height == 0:
        return PARQUET_OPTIONS["row_group_size"]
    width = max(1, row_width(df) if width is None else width)
    return max(1, min(PARQUET_OPTIONS["row_group_size"], ROW_GROUP_BYTES // width))


def write_parquet(df: pl.DataFrame, path: str | os.PathLike, schema: pa.Schema, rows: int | None = None) -> None:
    """One table as Parquet with its schema: the types, non-null required columns and descriptions
    travel with the file, not only in this project's code."""
    # the cast also gives the fields their nullability and metadata; one chunk per column, so that the
    # pages do not depend on how the frame was put together (a stored session bucket read back, or built).
    # The chunks are joined by polars before the conversion (its string views: no text copied), so the
    # conversion's copy is the only one: joining the converted Arrow chunks would copy every text again.
    # A row group at a time: the same row groups and pages as the whole table written at once, with one
    # row group's copy in memory instead of the table's. `rows` per row group: row_group_rows(df) when None.
    if df.is_empty():
        pq.write_table(df.to_arrow().cast(schema), path, **PARQUET_OPTIONS)
        return
    rows = rows or row_group_rows(df)
    with pq.ParquetWriter(path, schema, **{k: v for k, v in PARQUET_OPTIONS.items() if k != "row_group_size"}) as writer:
        for start in range(0, df.height, rows):
            writer.write_table(_arrow_row_group(df.slice(start, rows), schema), row_group_size=rows)


def _arrow_row_group(df: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """Rows of a frame as one Arrow chunk per column, with the schema's types."""
    # the texts as polars' string views (no copy), then one copy in the schema's types: converted to
    # Arrow's plain strings first, they were copied twice (about 25 MB more at the peak at 50,000 documents)
    return df.rechunk().to_arrow(compat_level=pl.CompatLevel.newest()).cast(schema).combine_chunks()  # combine_chunks: a no-op on one chunk


def row_keys(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """The primary key of every row with a 64-bit hash of the whole row (same polars, same hash)."""
    return df.select(list(schemas.TABLES[name].primary_key)).with_columns(df.hash_rows(seed=0).alias("_row_hash"))


# Rows keyed and hashed at a time: a table's row keys go to their file a slice at a time, so the
# stage holds a slice's keys, not a table's (participants' were ~20 MB at 50,000 documents, and
# grow with the corpus).
KEY_ROWS = 100_000


def save_row_keys(name: str, df: pl.DataFrame, path: Path | None) -> str:
    """The digest of a table's content (its schema and every row's hash, in order), with its row_keys
    written to `path` (an Arrow IPC file, lz4) as they are made, when a path is given."""
    import hashlib

    digest = hashlib.sha256(repr(list(df.schema.items())).encode())
    writer = None
    try:
        for start in range(0, max(df.height, 1), KEY_ROWS):
            keys = row_keys(name, df.slice(start, KEY_ROWS))
            digest.update(keys.get_column("_row_hash").to_numpy().tobytes())
            if path is not None:
                batch = keys.to_arrow()
                if writer is None:
                    writer = pa.ipc.new_file(str(path), batch.schema,
                                             options=pa.ipc.IpcWriteOptions(compression="lz4"))
                writer.write_table(batch)
    finally:
        if writer is not None:
            writer.close()
    return digest.hexdigest()


def _previous_tables(previous: Path | None) -> dict:
    try:
        manifest = json.loads((previous / TABLES_FILE).read_text())
    except (OSError, TypeError, ValueError):
        return {}
    return manifest.get("tables", {}) if manifest.get("engine") == _engine() else {}


def write_parquet_tables(tables: dict[str, pl.DataFrame], out_dir: str | os.PathLike, released: bool = False,
                         previous: str | os.PathLike | None = None, track: bool = False) -> dict[str, Path]:
    """Write every table to out_dir/parquet/TABLE.parquet; returns the paths.

    track=True (builds) also writes out_dir/tables.json and the row keys a later build uses to update
    its database by delta. A table whose content is the same as in the `previous` build folder is
    linked to its file (and its row keys) there instead of written again (the bytes would be the same)."""
    target = Path(out_dir) / PARQUET_DIR
    target.mkdir(parents=True, exist_ok=True)
    keys_dir = Path(out_dir) / ROW_KEYS_DIR
    if track:
        keys_dir.mkdir(parents=True, exist_ok=True)
    previous = Path(previous) if previous else None
    before = _previous_tables(previous)
    arrow_schemas = {name: schemas.arrow_schema(name, released) for name in schemas.TABLES}
    frames = {name: tables[name].select(arrow_schemas[name].names) for name in schemas.TABLES}
    widths = {name: row_width(df) for name, df in frames.items()}
    group_rows = {name: row_group_rows(df, widths[name]) for name, df in frames.items()}
    cost = {name: _write_cost(df, group_rows[name], widths[name]) for name, df in frames.items()}
    budget = MemoryBudget(max(cost.values(), default=0) + CONCURRENT_WRITE_ALLOWANCE)

    deltas = {}  # table -> the future of _save_delta

    def write(name: str) -> dict:
        df = frames[name]
        path = target / f"{name}.parquet"
        keys_file = keys_dir / f"{name}.arrow"
        digest = None
        if track:
            made = []
            write_atomically(keys_file, lambda tmp: made.append(save_row_keys(name, df, tmp)))
            digest = made[0]
        elif before:  # a release neither reuses nor is reused
            digest = save_row_keys(name, df, None)
        reused = digest is not None and before.get(name, {}).get("digest") == digest
        if track and reused:  # the same rows: the previous build's file in its place, linked (else this one stays)
            _link_into_place(previous / ROW_KEYS_DIR / keys_file.name, keys_file)
        if track and not reused and name in before:  # queued behind the writes: done by a core left idle
            deltas[name] = pool.submit(_save_delta, previous, keys_dir, name, keys_file)
        if not (reused and _link_into_place(previous / PARQUET_DIR / path.name, path)):
            reused = False
            with budget.hold(cost[name]):
                write_atomically(path, lambda tmp: write_parquet(df, tmp, arrow_schemas[name], group_rows[name]))
            give_back_free_pages()  # what the write freed, before the next table's
        return {"rows": df.height, "digest": digest, "reused": reused}

    # As many tables at once as there are cores, the largest first (pyarrow writes and polars hashes without
    # the GIL): in a re-build the few changed tables are written side by side and the others only hashed.
    # The memory budget keeps the writes held at once to about what the largest one needs alone.
    order = sorted(schemas.TABLES, key=lambda name: cost[name], reverse=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = dict(zip(order, pool.map(write, order)))  # map re-raises a worker's error
        for name, saved in deltas.items():
            if saved.result():
                done[name]["delta"] = {"from": previous.name, "digest": before[name]["digest"]}
    manifest = {name: done[name] for name in schemas.TABLES}
    written = {name: target / f"{name}.parquet" for name in schemas.TABLES}
    if track:
        (Path(out_dir) / TABLES_FILE).write_text(json.dumps({"engine": _engine(), "tables": manifest}, indent=1) + "\n")
    return written


def _delta_files(keys_dir: Path, name: str) -> tuple[Path, Path]:
    """Where a table's changed_rows since the previous build wait for write_duckdb: the rows gone, the rows added."""
    return keys_dir / f"{name}.gone.arrow", keys_dir / f"{name}.added.arrow"


def _save_delta(previous: Path, keys_dir: Path, name: str, keys_file: Path) -> bool:
    """A changed table's changed_rows against the `previous` build's row keys, saved beside its own for
    write_duckdb (made here, while the Parquet files are written, it is not on the database stage's path);
    False when the previous row keys cannot be read: then write_duckdb finds out itself."""
    try:
        old = pl.read_ipc(previous / ROW_KEYS_DIR / f"{name}.arrow")
        keys = pl.read_ipc(keys_file)
        delta = changed_rows(old, keys, list(schemas.TABLES[name].primary_key))
        for frame, path in zip(delta, _delta_files(keys_dir, name)):
            write_atomically(path, lambda tmp, frame=frame: frame.write_ipc(tmp))
    except (OSError, pl.exceptions.PolarsError):
        return False
    return True


# Bytes other writes may hold beside the largest one's: none. The stage then holds about one row
# group's conversion at a time (smaller tables still go side by side within it): at 50,000 documents
# 40-60 MB less at its peak than with 64 MB allowed, for about 0.2 s.
CONCURRENT_WRITE_ALLOWANCE = 0


def _write_cost(df: pl.DataFrame, rows: int | None = None, width: int | None = None) -> int:
    """The memory a table's write holds at once, in estimated bytes: one row group (of `rows`, else
    row_group_rows) converted to Arrow: its values and, per text or list, its offset (8 bytes). The
    frame's own estimate left the offsets out: a narrow table's row group (participants: 16 columns)
    was costed at 15 MB and took 25 in Arrow, so two of them were let through side by side under a
    limit made for one."""
    if df.height == 0:
        return 0
    width = row_width(df) if width is None else width
    offsets = sum(1 for dtype in df.schema.dtypes() if dtype in (pl.String, pl.Binary) or isinstance(dtype, pl.List))
    return (width + 8 * offsets) * min(df.height, rows or row_group_rows(df, width))


class MemoryBudget:
    """Lets work run at once only while the bytes it holds together stay within `limit`; one piece of
    work always may run (however large), so nothing waits forever."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, amount: int):
        with self._changed:
            self._changed.wait_for(lambda: self.used == 0 or self.used + amount <= self.limit)
            self.used += amount
        try:
            yield
        finally:
            with self._changed:
                self.used -= amount
                self._changed.notify_all()


def _link_into_place(source: Path, destination: Path) -> bool:
    """`destination` as a hard link to `source` (same content, no bytes written); False if it cannot be linked."""
    tmp = temporary_beside(destination)
    try:
        if tmp.exists():
            tmp.unlink()
        os.link(source, tmp)
    except OSError:
        return False
    os.replace(tmp, destination)
    return True


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_duckdb(parquet_paths: dict[str, Path], database_path: str | os.PathLike, released: bool = False,
                 previous: str | os.PathLike | None = None) -> dict:
    """A DuckDB file with one table per Parquet file, with table and column comments from the schemas.

    With the `previous` build folder (its database, row keys and tables.json from the same engine
    versions), the previous database is copied and only the rows that changed are deleted and
    inserted; otherwise every table is created from its Parquet file. Returns what was done per table."""
    database_path = Path(database_path)
    database_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = database_path.with_name(database_path.name + f".tmp-{os.getpid()}")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        if leftover.exists():
            leftover.unlink()
    previous = Path(previous) if previous else None
    deltas = _deltas(previous, database_path.parent)
    if deltas is not None and not _take_copy(_copy_name(database_path, previous), tmp):
        shutil.copyfile(previous / DATABASE_FILE, tmp)
    _remove_copies(database_path)  # one made from another build, or not wanted: not left in the build folder
    files = {name: Path(parquet_paths[name]).resolve() for name in schemas.TABLES}
    # the tables stream from Parquet into the file: a bounded buffer spills instead of growing with the corpus
    con = duckdb.connect(str(tmp), config={"memory_limit": DUCKDB_MEMORY})
    try:
        if deltas is not None:
            done = {name: _apply_delta(con, name, files[name], *deltas[name]) if name in deltas else "unchanged"
                    for name in files}
        else:
            done = _create_tables(con, files, released)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, database_path)
    return done


def _deltas(previous: Path | None, build: Path) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]] | None:
    """Per table whose digest changed since the `previous` build, its rows gone and added (changed_rows);
    None when the previous database cannot be updated: then every table is created. Read before the database
    is touched, so that a missing or damaged row keys file only costs the full creation."""
    before = _previous_tables(previous)
    if not _updatable(previous, before):
        return None
    now = _previous_tables(build)
    if set(now) != set(before):
        return None
    changed = [name for name in schemas.TABLES if before[name]["digest"] != now[name]["digest"]]
    try:
        return {name: _saved_delta(previous, build, name, before[name], now[name])
                or changed_rows(pl.read_ipc(previous / ROW_KEYS_DIR / f"{name}.arrow"),
                                pl.read_ipc(build / ROW_KEYS_DIR / f"{name}.arrow"),
                                list(schemas.TABLES[name].primary_key))
                for name in changed}
    except (OSError, pl.exceptions.PolarsError):
        return None


def _saved_delta(previous: Path, build: Path, name: str, before: dict, now: dict) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The changed_rows the export saved for a table (_save_delta), if it made them against this very table of
    the `previous` build (its folder and digest); None when it did not, or they cannot be read."""
    if now.get("delta") != {"from": previous.name, "digest": before["digest"]}:
        return None
    try:
        gone, added = (pl.read_ipc(path) for path in _delta_files(build / ROW_KEYS_DIR, name))
    except (OSError, pl.exceptions.PolarsError):
        return None
    fits = gone.columns == list(schemas.TABLES[name].primary_key) and added.columns == ["file_row_number"]
    return (gone, added) if fits else None


def updatable(previous: Path | None) -> bool:
    """Whether a build can update the database of the `previous` build folder by delta rather than create one:
    it has every table's digest from the same engine versions, and a database."""
    return _updatable(previous, _previous_tables(previous))


def _updatable(previous: Path | None, before: dict) -> bool:
    """updatable(), given the previous build's tables.json as read (read once per caller)."""
    return bool(before and set(before) == set(schemas.TABLES) and (previous / DATABASE_FILE).is_file())


def _copy_name(database_path: Path, previous: Path) -> Path:
    """Where a whole copy of the `previous` build's database waits beside this build's (named after that build)."""
    return database_path.with_name(f".{database_path.name}.from-{previous.name}")


@contextmanager
def copying_previous_database(previous: Path | None, build: Path):
    """Copies the previous build's database into `build` in a thread while the caller works (writes the
    Parquet files: independent of the copy), for write_duckdb to update by delta instead of copying then.
    The copy is whole or absent: made under a temporary name and renamed when complete."""
    if previous is None or not updatable(previous):
        yield
        return
    copy = _copy_name(build / DATABASE_FILE, previous)
    thread = threading.Thread(target=_copy_whole, args=(previous / DATABASE_FILE, copy), name="copy-database")
    thread.start()
    try:
        yield
    except BaseException:
        thread.join()
        copy.unlink(missing_ok=True)  # a failed stage leaves no 262 MB copy behind
        raise
    thread.join()


def _copy_whole(source: Path, destination: Path) -> None:
    try:
        write_atomically(destination, lambda tmp: shutil.copyfile(source, tmp))
    except OSError:
        pass  # no copy waiting: write_duckdb copies the database itself


def _take_copy(copy: Path, destination: Path) -> bool:
    try:
        os.replace(copy, destination)
        return True
    except OSError:
        return False


def _remove_copies(database_path: Path) -> None:
    for copy in database_path.parent.glob(f".{database_path.name}.from-*"):
        copy.unlink(missing_ok=True)


def _parquet_source(file: Path) -> str:
    return f"read_parquet({_sql_string(str(file))})"


def _create_tables(con, files: dict[str, Path], released: bool) -> dict[str, str]:
    """Every table from its Parquet file.

    The empty tables with their comments and NOT NULL columns are declared first, one after the other
    in the schemas' order, so the catalog is built the same way whatever the timing (and the inserts
    check NOT NULL as they go, no scan afterwards). Then the rows are loaded by one
    single-threaded INSERT per table, as many tables at once as there are cores, largest first: an
    order-preserving insert run by several DuckDB threads costs more CPU than it saves on a few cores,
    and a table in one Parquet row group cannot be split at all. One thread per table reads its file
    in order, so every table keeps the rows in the order of its Parquet file."""
    for name, file in files.items():
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM {_parquet_source(file)} LIMIT 0')
        _describe_table(con, name, released)
    con.execute("SET threads = 1")  # per query: the parallelism comes from the tables loaded at once
    largest_first = sorted(files, key=lambda name: files[name].stat().st_size, reverse=True)
    # a cursor is a connection of its own to the same database: made here, used by one load each
    loads = [(con.cursor(), name, files[name]) for name in largest_first]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda load: _insert_rows(*load), loads))  # list(): re-raises a worker's error
    return dict.fromkeys(files, "created")


def _insert_rows(cursor, name: str, file: Path) -> None:
    with cursor:
        cursor.execute(f'INSERT INTO "{name}" SELECT * FROM {_parquet_source(file)}')


def _describe_table(con, name: str, released: bool) -> None:
    """The schema's table and column comments and NOT NULL columns on a created table."""
    con.execute(f'COMMENT ON TABLE "{name}" IS {_sql_string(schemas.TABLES[name].description)}')
    for column, text in schemas.column_descriptions(name, released).items():
        con.execute(f'COMMENT ON COLUMN "{name}"."{column}" IS {_sql_string(text)}')
    for column, may_be_null in schemas.column_nullable(name, released).items():
        if not may_be_null:
            con.execute(f'ALTER TABLE "{name}" ALTER COLUMN "{column}" SET NOT NULL')


def _apply_delta(con, name: str, file: Path, gone: pl.DataFrame, added: pl.DataFrame) -> str:
    """Delete the rows whose key or content changed since the previous build, insert the new ones."""
    key = list(schemas.TABLES[name].primary_key)
    con.register("gone_rows", gone.to_arrow())
    con.register("added_rows", added.to_arrow())
    match = " AND ".join(f't."{c}" IS NOT DISTINCT FROM g."{c}"' for c in key)
    con.execute(f'DELETE FROM "{name}" AS t USING gone_rows AS g WHERE {match}')
    con.execute(f'INSERT INTO "{name}" SELECT * EXCLUDE (file_row_number) FROM read_parquet({_sql_string(str(file))}, '
                "file_row_number = true) WHERE file_row_number IN (SELECT file_row_number FROM added_rows)")
    con.unregister("gone_rows")
    con.unregister("added_rows")
    return f"{gone.height} rows deleted, {added.height} inserted"


def changed_rows(old_keys: pl.DataFrame, new_keys: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The key of every old row that is not among the new rows, and the row number (`file_row_number`) of
    every new row that is not among the old; a row is the same when its key (nulls equal) and its row hash are.

    The rows are paired on the hash alone first (one integer column: a cheaper join than on the key's
    strings), then the pairs whose keys differ are dropped: the same rows as a join on key and hash."""
    old_keys = old_keys.with_row_index("old_row")
    new_keys = new_keys.with_row_index("file_row_number")
    same = (old_keys.join(new_keys, on="_row_hash", how="inner", suffix=" (new)")
            .filter(pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c} (new)")) for c in key)))
    gone = old_keys.filter(~pl.col("old_row").is_in(same["old_row"].implode())).select(key)
    added = new_keys.filter(~pl.col("file_row_number").is_in(same["file_row_number"].implode()))
    return gone, added.select("file_row_number")


def table_rows(build: str | os.PathLike) -> dict[str, int] | None:
    """Rows per table of a published build folder (from its tables.json, whatever engine wrote it)."""
    try:
        tables = json.loads((Path(build) / TABLES_FILE).read_text())["tables"]
        return {name: int(entry["rows"]) for name, entry in tables.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


CSV_DIR = "csv"


def csv_frame(df: pl.DataFrame) -> pl.DataFrame:
    """A table as CSV cells: lists as JSON arrays (["p;q", "r"] stays two items), nulls as empty cells."""
    lists = [c for c, dtype in df.schema.items() if isinstance(dtype, pl.List)]
    return df.with_columns(
        pl.when(pl.col(c).is_null()).then(None)
        .otherwise(pl.struct(pl.col(c).alias("v")).struct.json_encode().str.slice(len('{"v":')).str.head(-1))
        .alias(c)
        for c in lists)


def write_csv_tables(tables: dict[str, pl.DataFrame], out_dir: str | os.PathLike) -> dict[str, Path]:
    """Every table as out_dir/csv/TABLE.csv (UTF-8, header, RFC 4180 quoting, ISO dates and times)."""
    target = Path(out_dir) / CSV_DIR
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in schemas.TABLES:
        path = target / f"{name}.csv"
        csv_frame(tables[name]).write_csv(path, time_format="%H:%M:%S", date_format="%Y-%m-%d")
        written[name] = path
    return written
