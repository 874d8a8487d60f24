"""The session tables as frames: their private companions, their sort order, and how the rows of
the sessions built now merge into the rows a previous build kept (`StoredSessions`).

Sessions live in 16 buckets by the first hex digit of their id, so that a build that changed a few
sessions sorts only their buckets again. Plain frames in, plain frames out: where stored sessions
come from (a cache on disk, object storage, nowhere) is not this module's business.
"""
from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import polars as pl

import schemas

# Kept per session besides the tables: every written form of a person's name (people are built from
# them), and the rejects a session's rows produced.
SESSION_NAMES, SESSION_REJECTS = "_names", "_rejects"
SESSION_TABLES = [n for n in schemas.TABLES if "session_id" in schemas.columns(n) and not schemas.TABLES[n].derived] + [
    SESSION_NAMES, SESSION_REJECTS]
_PRIVATE_COLUMNS = {
    SESSION_NAMES: {"session_id": pl.String, "person_id": pl.String, "name": pl.String, "count": pl.Int64},
    SESSION_REJECTS: {"session_id": pl.String, **schemas.columns("rejects")},
}

BUCKETS = "0123456789abcdef"


# A session's input hash: what its rows were built from (a session whose inputs hash the same is not built again)
INPUT_COLUMNS = {"session_id": pl.String, "input_hash": pl.String}


@dataclass
class StoredSessions:
    """Every session's rows as a build assembled them (before quarantine), and the hash of the
    inputs each session was built from: a session whose inputs hash the same is not built again."""
    inputs: pl.DataFrame                # INPUT_COLUMNS, one row per session, sorted by session_id
    # SESSION_TABLES: whole, as a build made them, or as loaded, table -> bucket -> rows (each bucket
    # sorted as its table is)
    tables: dict[str, pl.DataFrame | dict[str, pl.DataFrame | pl.LazyFrame]]
    plan: dict[str, pl.DataFrame] | None = None     # the plan's frames (see pipeline.transform.plan), None if unreadable
    plan_key: str | None = None                     # what the plan was made under (the reviewed overrides)
    # the plan's frames that are those of the store they were planned against (the very frames read
    # from it), which saving may keep as they are instead of writing them again
    plan_kept: frozenset[str] = frozenset()
    # bucket -> the tables whose rows in that bucket passed their model (before quarantine) in the build
    # that stored them: those rows are not validated again while the bucket holds them
    vetted: dict[str, frozenset[str]] = field(default_factory=dict)


def session_bucket(column: str = "session_id") -> pl.Expr:
    return pl.col(column).str.slice(4, 1)  # "ses_<hex>"


def split_by_bucket(df: pl.DataFrame, only: set[str] | None = None) -> dict[str, pl.DataFrame]:
    """The rows of each bucket (at least of those in `only`), in order (buckets in order of first
    appearance). A table sorted by session is sliced, not copied; of another, a few buckets are
    filtered out rather than the whole table split."""
    if df.is_empty():
        return {}
    runs = _bucket_runs(df.get_column("session_id"))
    if runs is not None:
        return {bucket: df.slice(start, end - start) for bucket, (start, end) in runs.items()
                if only is None or bucket in only}
    if only is not None and len(only) <= 2:
        return {bucket: df.filter(session_bucket() == bucket) for bucket in sorted(only)}
    return {key[0]: part for key, part in
            df.with_columns(session_bucket().alias("_bucket")).partition_by("_bucket", as_dict=True, include_key=False,
                                                                           maintain_order=True).items()}


def _bucket_runs(ids: pl.Series) -> dict[str, tuple[int, int]] | None:
    """Each bucket's (start, end) rows when the ids are sorted and each bucket is one run of them:
    the first and the last id of a run are in its bucket, so every id between them is. None otherwise."""
    if ids.null_count() or not ids.is_sorted():
        return None
    bounds = ids.search_sorted(pl.Series([f"ses_{b}" for b in BUCKETS[1:]], dtype=pl.String), side="left").to_list()
    runs = {b: (start, end) for b, start, end in zip(BUCKETS, [0, *bounds], [*bounds, len(ids)]) if end > start}
    if any(not (ids[start].startswith(f"ses_{b}") and ids[end - 1].startswith(f"ses_{b}")) for b, (start, end) in runs.items()):
        return None
    return runs


def sort_key(name: str) -> list[str]:
    """Primary key, then session: rows that tie on a key come from one session, in the order it made them."""
    if name == SESSION_NAMES:
        return ["session_id", "person_id", "name"]
    if name == SESSION_REJECTS:
        return ["session_id"]
    key = list(schemas.TABLES[name].primary_key)
    return key + ["session_id"] if "session_id" in schemas.columns(name) and "session_id" not in key else key


@cache
def _columns_of(name: str) -> tuple[dict[str, pl.DataType], operator.itemgetter]:
    """A session table's columns and types, and what picks their values out of a row (in that order)."""
    cols = _PRIVATE_COLUMNS[name] if name in _PRIVATE_COLUMNS else schemas.columns(name)
    return cols, operator.itemgetter(*cols)


def _columns(name: str, rows: list[dict]) -> dict[str, tuple] | None:
    """The rows' values column by column, transposed in C (one tuple per row, then zip) rather than
    by a lookup per cell; None when a row lacks a column (the caller then reads it as null)."""
    cols, pick = _columns_of(name)
    if len(cols) < 2:  # itemgetter of one key gives the value, not a tuple
        return None
    try:
        return dict(zip(cols, zip(*map(pick, rows))))
    except KeyError:
        return None


def table_frame(name: str, rows: list[dict], sort: bool = True) -> pl.DataFrame:
    """A session table's rows as a frame, sorted by primary key unless sort=False (a piece that
    merge_frames or merge_stored sorts with the others: a stable sort by the same key first gives
    the same order). Private tables are never sorted here."""
    values = _columns(name, rows) if rows else None
    if values is None:
        if name in _PRIVATE_COLUMNS:
            return schemas.columns_frame({c: [row.get(c) for row in rows] for c in _PRIVATE_COLUMNS[name]},
                                         _PRIVATE_COLUMNS[name])
        return schemas.frame(name, rows, sort)
    frame = schemas.columns_frame(values, _columns_of(name)[0])
    if sort and name not in _PRIVATE_COLUMNS:  # as schemas.frame sorts
        return frame.sort(list(schemas.TABLES[name].primary_key), nulls_last=True, maintain_order=True)
    return frame


def merge_frames(name: str, frames: list[pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:
    if not frames:
        return table_frame(name, [])
    # the pieces side by side without a copy, then one sorted copy (a lazy concat would copy twice)
    pieces = [f.collect() if isinstance(f, pl.LazyFrame) else f for f in frames]
    return pl.concat(pieces, rechunk=False).sort(sort_key(name), nulls_last=True, maintain_order=True)


class RowsInMemory:
    """Where assembly keeps the rows it builds and merges: in this process's memory (the default).
    pipeline.incremental.assembly_cache.RowFiles keeps them in files instead and hands back frames
    over memory maps of those files, so that the tables do not grow the building process's heap."""

    def hold(self, frame: pl.DataFrame, name: str | None = None, bucket: str | None = None) -> pl.DataFrame:
        """`frame` itself, or the same rows held elsewhere. With a `name`, the frame is that session
        table's merged rows of `bucket` (None: of every bucket), as a store of sessions keeps them."""
        return frame

    @property
    def merged(self) -> dict:
        """(table, bucket) -> the file holding its merged rows: none here."""
        return {}

    def emptied(self) -> RowsInMemory:
        """A keeper of the same kind holding nothing (for an assembly started again)."""
        return self

    def close(self) -> None:
        """Let go of what was kept (the frames handed back stay readable)."""


# Pieces of one level a bucket of FreshRows holds before they are joined into one piece of the next
PIECES_PER_LEVEL = 16


class FreshRows:
    """The rows of the sessions built now, per table, as the batches hand them over. A table ordered
    by session first keeps them per bucket (split as they arrive), so that merging sorts one bucket
    at a time and lets its pieces go: a sixteenth of the table is held twice, not the whole table.
    Each batch's frame is held by `rows` (RowsInMemory by default) before it is split.

    A piece is a frame object of its own (a few KB of column headers, whatever its rows): a bucket's
    pieces are joined PIECES_PER_LEVEL at a time as they come, and those joined pieces likewise, so
    that a bucket holds a number of pieces that grows with the logarithm of the batches, not with
    them (at 50,000 documents the driver grew 42 MB while 95 batches of 500 sessions came in, 3 MB
    with their pieces joined). Joined in the order they came, they sort as they would have apart."""

    def __init__(self, rows: RowsInMemory | None = None):
        # table -> bucket -> [(level, piece)], in the order the rows came
        self._pieces: dict[str, dict[str, list[tuple[int, pl.DataFrame]]]] = defaultdict(lambda: defaultdict(list))
        self.buckets: dict[str, set] = defaultdict(set)  # table -> the buckets its rows built now fall in
        self.rows = rows or RowsInMemory()

    def add(self, name: str, frame: pl.DataFrame) -> None:
        frame = self.rows.hold(frame)
        if sort_key(name)[0] != "session_id":
            self._append(self._pieces[name][""], frame)
            self.buckets[name].update(frame.select(session_bucket().unique()).to_series().to_list())
            return
        for bucket, part in split_by_bucket(frame).items():
            self._append(self._pieces[name][bucket], part)
            self.buckets[name].add(bucket)

    def _append(self, pieces: list[tuple[int, pl.DataFrame]], piece: pl.DataFrame) -> None:
        pieces.append((0, piece))
        level = 0
        while len(pieces) >= PIECES_PER_LEVEL and all(n == level for n, _ in pieces[-PIECES_PER_LEVEL:]):
            joined = self.rows.hold(pl.concat([frame for _, frame in pieces[-PIECES_PER_LEVEL:]], rechunk=True))
            del pieces[-PIECES_PER_LEVEL:]
            level += 1
            pieces.append((level, joined))

    def take(self, name: str) -> dict[str, list[pl.DataFrame]]:
        """A table's pieces by bucket ("" for a table not ordered by session), in the order their rows
        came, handed over once."""
        return {bucket: [frame for _, frame in pieces] for bucket, pieces in self._pieces.pop(name, {}).items()}


def merge_stored(name: str, fresh: dict[str, list[pl.DataFrame]],
                 buckets: dict[str, pl.DataFrame | pl.LazyFrame] | None, dropped: list[str],
                 changed_buckets: set[str], rows: RowsInMemory | None = None) -> pl.DataFrame:
    """A session table: the rows of the sessions just built (FreshRows.take), merged into the stored
    rows of the others. A table ordered by session first is ordered bucket by bucket (session ids are
    "ses_" and hex, and a bucket is the first hex digit), so it is sorted a bucket at a time, and a
    stored bucket without changes is taken as it is: its chunks become the table's, not copied.
    Each bucket merged now (the whole table, for one not ordered by session) is held by `rows`."""
    rows = rows or RowsInMemory()
    buckets = {b: f.collect() if isinstance(f, pl.LazyFrame) else f for b, f in (buckets or {}).items()}
    kept = ~pl.col("session_id").is_in(pl.Series(dropped, dtype=pl.String).implode())
    key = sort_key(name)
    if key[0] != "session_id":
        old = [pl.concat(list(buckets.values()), rechunk=False).filter(kept)] if buckets else []
        return rows.hold(merge_frames(name, old + [f for pieces in fresh.values() for f in pieces]), name)
    parts: list[pl.DataFrame] = []
    for bucket in BUCKETS:
        old = buckets.get(bucket)
        if old is not None and bucket not in changed_buckets:
            parts.append(old)
            continue
        pieces = ([old.filter(kept)] if old is not None else []) + fresh.pop(bucket, [])
        if pieces:  # the bucket's pieces go as soon as it is sorted
            parts.append(rows.hold(merge_frames(name, pieces), name, bucket))
            del pieces
    if not parts:
        return table_frame(name, [])
    return pl.concat(parts, rechunk=False)


def unvetted_rows(name: str, table: pl.DataFrame, fresh_buckets: set[str],
                  vetted: dict[str, frozenset[str]]) -> pl.DataFrame | None:
    """The rows of a session table not known to pass the table's model: all but those of the stored
    buckets that passed it when they were stored (StoredSessions.vetted) and took no row built since
    (`fresh_buckets`: where the rows built now fall). None when fewer than half the buckets are such
    (the table is then validated whole). The table is the concatenation of its buckets, so it has
    their columns and types."""
    trusted = [b for b in BUCKETS if b not in fresh_buckets and name in vetted.get(b, ())]
    if 2 * len(trusted) <= len(BUCKETS):
        return None
    if len(trusted) == len(BUCKETS) and not fresh_buckets:  # every row a stored one, of a vetted bucket
        return table.clear()
    runs = _bucket_runs(table.get_column("session_id"))
    if runs is None:  # not ordered by session: every row whose bucket is not trusted (or that has none)
        return table.filter(pl.col("session_id").is_null() | ~session_bucket().is_in(trusted))
    parts = [table.slice(start, end - start) for bucket, (start, end) in runs.items() if bucket not in trusted]
    return pl.concat(parts, rechunk=False) if parts else table.clear()
