"""The ingest stage, wrapped: a file whose bytes were read before is not decoded again, and a local
file not rewritten since it was hashed (or an object not written since: same ETag, size and time) is
not even read.

Kept under <out>/.cache/: per raw sha256 what reading it gave (encoding, detected format, reading
problems, text key), in a file named after a digest of the reading code; and each listed file's
identity (inode, size, times; an object's: pipeline.ingest.object_identity) when it was hashed.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.files import mapped_frame, write_atomically
from pipeline.incremental.caches import source_digest
from pipeline.ingest import (IDENTITY_COLUMNS, INGEST_SCHEMA, READ_SCHEMA, FilesToRead, RawFile, hash_files, list_raw,
                             read_files, with_document_ids)

# Reading depends on the decoding and format detection code: other code, another file.
INGEST_CODE = ("pipeline/ingest.py", "pipeline/model/text.py", "pipeline/sources", "pipeline/model/vocabulary.py")


def _ingest_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"ingest-{source_digest(*INGEST_CODE)}.parquet"


# A re-build after a few changes has a few rows to add to caches of 100k rows: they go to a small
# delta file beside the whole one (each row of the delta replaces the whole file's row of its key),
# so that one changed file does not rewrite 20 MB. The whole file is written again, with this build's
# rows only, once the rows the delta holds or the build no longer confirms pass this share of it.
DELTA_SHARE = 0.1


def _delta_file(path: Path) -> Path:
    return path.with_name(f"{path.stem}.delta.parquet")


def _read_with_delta(path: Path, schema: dict, key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A cache file's rows with those of its delta in place (one row per key), and the delta alone;
    raises OSError or PolarsError when one of them cannot be read (a missing delta is an empty one)."""
    whole = pl.read_parquet(path).cast(schema)
    try:
        delta = pl.read_parquet(_delta_file(path)).cast(schema)
    except FileNotFoundError:
        return whole, pl.DataFrame(schema=schema)
    return pl.concat([_without_keys(whole, delta[key]), delta]), delta


def _without_keys(rows: pl.DataFrame, keys: pl.Series) -> pl.DataFrame:
    """`rows` but those of `keys` (few: a set of them probed, not a join over every row)."""
    return rows.filter(~pl.col(keys.name).is_in(keys.implode()))


def _write_delta(path: Path, delta: pl.DataFrame, rows: pl.DataFrame, key: str) -> None:
    """`rows` added to the delta of `path` (replacing its rows of the same keys)."""
    merged = pl.concat([_without_keys(delta, rows[key]), rows]).sort(key)
    write_atomically(_delta_file(path), lambda tmp: merged.write_parquet(tmp, compression="lz4"))


def _write_whole(path: Path, rows: pl.DataFrame) -> None:
    """The whole file, its delta gone first (a delta left over would replace newer rows)."""
    _delta_file(path).unlink(missing_ok=True)
    write_atomically(path, lambda tmp: rows.write_parquet(tmp, compression="lz4"))


class IngestCache:
    """What reading gave per raw sha256 (INGEST_SCHEMA), as loaded: `rows` (None: no cache), of which
    `delta` came from the delta file."""

    def __init__(self, cache_dir: str | os.PathLike, read: bool = True):
        self.path = _ingest_file(cache_dir)
        self.rows, self.delta = None, pl.DataFrame(schema=INGEST_SCHEMA)
        if read:
            try:
                self.rows, self.delta = _read_with_delta(self.path, INGEST_SCHEMA, "sha256")
            except (OSError, pl.exceptions.PolarsError):
                pass

    def save(self, rows: pl.DataFrame, fresh: pl.DataFrame | None = None) -> None:
        """Keep what reading gave for every file with text (a file without text is read again next
        time): the rows of the files decoded now (`fresh`, of `rows`: their content is new to the
        cache) in its delta, or this build's rows whole (see DELTA_SHARE)."""
        new = _with_text(rows if fresh is None else fresh)
        whole = 0 if self.rows is None else self.rows.height - self.delta.height
        if fresh is not None and whole and self.delta.height + new.height <= DELTA_SHARE * whole:
            _write_delta(self.path, self.delta, new, "sha256")
            return
        _write_whole(self.path, _with_text(rows).sort("sha256"))
        for other in self.path.parent.glob("ingest-*.parquet"):  # those of other reading code
            if other.name not in (self.path.name, _delta_file(self.path).name):
                other.unlink(missing_ok=True)


def _with_text(rows: pl.DataFrame) -> pl.DataFrame:
    """What reading gave (INGEST_SCHEMA), one row per sha256, of the files with text."""
    return rows.filter(pl.col("content_key").is_not_null()).select(list(INGEST_SCHEMA)).unique("sha256")


def load_ingest_cache(cache_dir: str | os.PathLike) -> pl.DataFrame | None:
    """One row per raw sha256 read before: what reading it gave (see INGEST_SCHEMA)."""
    return IngestCache(cache_dir).rows


def save_ingest_cache(cache_dir: str | os.PathLike, rows: pl.DataFrame) -> None:
    """Keep what reading gave for every file with text, the whole file (see IngestCache.save)."""
    IngestCache(cache_dir, read=False).save(rows)


def _identities_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / "file-identities.parquet"


IDENTITY_SCHEMA = {"path": pl.String, **{c: pl.Int64 for c in IDENTITY_COLUMNS}, "recorded_ns": pl.Int64,
                   "sha256": pl.String}


def identity_frame(files: list) -> pl.DataFrame:
    """path and identity (inode, size, mtime ns, ctime ns) of the listed files that have one."""
    listed = [f for f in files if f.identity]
    values = np.array([f.identity for f in listed], dtype=np.int64).reshape(-1, len(IDENTITY_COLUMNS))
    return pl.DataFrame({"path": pl.Series([f.path for f in listed], dtype=pl.String),
                         **{c: values[:, i] for i, c in enumerate(IDENTITY_COLUMNS)}})


def listed_identities(readable: pl.DataFrame) -> pl.DataFrame:
    """identity_frame of a listing's readable files (RawListing.readable): the local ones, and the
    objects whose listing gave one (see pipeline.ingest.object_identity)."""
    return readable.filter(pl.col(IDENTITY_COLUMNS[0]).is_not_null()).select("path", *IDENTITY_COLUMNS)


class FileIdentities:
    """Per path: the identity it had, when that was recorded (ns) and its sha256 (IDENTITY_SCHEMA), as
    loaded (`rows`; none without a cache_dir or with read=False), of which `delta` came from the delta file."""

    def __init__(self, cache_dir: str | os.PathLike, read: bool = True):
        self.path = _identities_file(cache_dir)
        self.rows, self.delta = pl.DataFrame(schema=IDENTITY_SCHEMA), pl.DataFrame(schema=IDENTITY_SCHEMA)
        if read:
            try:
                self.rows, self.delta = _read_with_delta(self.path, IDENTITY_SCHEMA, "path")
            except (OSError, pl.exceptions.PolarsError):
                pass

    def save(self, listing: pl.DataFrame, hashes: pl.DataFrame, started_ns: int, kept: pl.DataFrame | None,
             read_now: pl.Series | None = None) -> None:
        """Record each listed file's identity (`listing`: see identity_frame) with its hash (`hashes`:
        path, sha256). `kept` (path, sha256) are the files whose recorded rows this build took as they
        are (see recorded_hashes; None: none), `read_now` the paths of the others: when few recorded
        rows were not taken, only those files' rows go to the delta (see DELTA_SHARE); else the whole
        file is written (see save_file_identities)."""
        whole = self.rows.height - self.delta.height
        unconfirmed = self.rows.height - (kept.height if kept is not None else 0)
        if kept is None or read_now is None or not whole or unconfirmed + self.delta.height > DELTA_SHARE * whole:
            _write_whole(self.path, _recorded(listing, hashes, started_ns, self.rows))
            return
        few = read_now.rename("path").implode()
        rows = _recorded(*(frame.filter(pl.col("path").is_in(few)) for frame in (listing, hashes)), started_ns,
                         self.rows.filter(pl.col("path").is_in(few)))
        _write_delta(self.path, self.delta, rows, "path")


def load_file_identities(cache_dir: str | os.PathLike) -> pl.DataFrame:
    """Per path: the identity it had, when that was recorded (ns) and its sha256 (IDENTITY_SCHEMA)."""
    return FileIdentities(cache_dir).rows


def _recorded(listing: pl.DataFrame, hashes: pl.DataFrame, started_ns: int, previous: pl.DataFrame) -> pl.DataFrame:
    """The identity rows of the files of `hashes` (path, sha256) in `listing`. `started_ns` is when
    hashing began: a file changed after that moment has a later change time and is hashed again
    next time. A file recorded before with the same identity and hash keeps its recording time."""
    return (listing.join(hashes.filter(pl.col("sha256").is_not_null()), on="path", how="inner")
            .join(previous.select("path", *IDENTITY_COLUMNS, "sha256", "recorded_ns"),
                  on=["path", *IDENTITY_COLUMNS, "sha256"], how="left")
            .with_columns(pl.col("recorded_ns").fill_null(started_ns))
            .select(list(IDENTITY_SCHEMA)).sort("path"))


def save_file_identities(cache_dir: str | os.PathLike, listing: pl.DataFrame, hashes: pl.DataFrame, started_ns: int,
                         previous: pl.DataFrame) -> None:
    """Record each listed file's identity (`listing`: see identity_frame) with its hash (`hashes`:
    path, sha256), the whole file (see _recorded)."""
    _write_whole(_identities_file(cache_dir), _recorded(listing, hashes, started_ns, previous))


def recorded_hashes(listing: pl.DataFrame, identities: pl.DataFrame) -> pl.DataFrame:
    """path, sha256 of the files of `listing` (see identity_frame) whose inode, size, modification and
    change times (ns) are exactly those recorded when they were last hashed (`identities`, see
    load_file_identities): their bytes were not rewritten, so they are not read again (the way git's
    index avoids re-hashing). A program can set a modification time back but not a change time; a
    file whose change time is less than a second before its hashing began is hashed again
    (timestamps are coarser than their nanoseconds), as git does with racy entries."""
    return (listing.join(identities, on=["path", *IDENTITY_COLUMNS], how="inner")
            .filter(pl.col("ctime_ns") < pl.col("recorded_ns") - 1_000_000_000)
            .select("path", "sha256"))


def known_hashes(files: list[RawFile], identities: pl.DataFrame, listing: pl.DataFrame | None = None) -> dict[str, str]:
    """path -> sha256 of the files not rewritten since they were hashed (see recorded_hashes).
    (`listing`: identity_frame(files), when at hand.)"""
    same = recorded_hashes(identity_frame(files) if listing is None else listing, identities)
    return dict(zip(same.get_column("path").to_list(), same.get_column("sha256").to_list()))


def read_raw_documents(root: str | os.PathLike, workers: int | None = None, shard_size: int = 500,
                       cache_dir: str | os.PathLike | None = None, read_cache: bool = True,
                       run_tasks=None) -> pl.DataFrame:
    """pipeline.ingest.read_raw_documents, with what earlier builds read: with a cache_dir, files
    whose bytes were read before (same sha256) are only hashed, not decoded again, and files (or
    objects) not rewritten since they were hashed are not read at all (recorded_hashes); read_cache=False reads
    every file again and refreshes the cache. `run_tasks` runs the reading and hashing shards."""
    started_ns = time.time_ns()  # before any file is read (see recorded_hashes)
    listing = list_raw(root)
    cache = IngestCache(cache_dir, read=read_cache) if cache_dir else None
    identities = FileIdentities(cache_dir, read=read_cache) if cache_dir else None
    readable, identified = listing.readable, listed_identities(listing.readable)
    parts, todo, kept, read_now = [], readable, None, pl.Series("path", [], dtype=pl.String)
    if cache is not None and cache.rows is not None and cache.rows.height:
        # take the recorded hash of a file not rewritten since; hash the others, decode only new content
        kept = recorded_hashes(identified, identities.rows)
        hashed, read_now, todo = _hashes(readable, kept, workers, run_tasks, read_whole_below=shard_size)
        # one join: a file whose hash the cache holds takes its row (a cached row always has a
        # content_key), the others are read (in path order, as `readable`)
        joined = hashed.join(cache.rows, on="sha256", how="left")
        parts.append(joined.filter(pl.col("content_key").is_not_null()))
        todo = pl.concat([todo, joined.filter(pl.col("content_key").is_null()).select("path", "location")]).sort("path")
    # each shard's rows kept over a memory map as they come, not in the heap until the last is in
    hold = (lambda frame: mapped_frame(frame, cache_dir)) if cache_dir else None
    fresh = read_files(FilesToRead(todo, listing.unreadable), workers, shard_size, run_tasks, hold)
    parts.append(fresh)
    rows = pl.concat([p.select(list(READ_SCHEMA)) for p in parts])
    if cache is not None:
        read_now = pl.concat([read_now, fresh["path"]])
        # the cache takes the content it lacks: a file read whole whose bytes it knew adds nothing
        new = fresh if cache.rows is None else fresh.join(cache.rows.select("sha256"), on="sha256", how="anti")
        _save_caches(cache, identities, rows, new, kept, read_now, identified, started_ns)
        # the rows stay in a file beside the cache for the rest of the build, over a memory map
        return mapped_frame(with_document_ids(rows), cache_dir)
    return with_document_ids(rows)


def _hashes(readable: pl.DataFrame, recorded: pl.DataFrame, workers: int | None, run_tasks,
            read_whole_below: int = 0) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """path, location, sha256 of the readable files to look up in the ingest cache: the recorded hash
    of a file not rewritten since, else its bytes hashed now (None when it cannot be read now); the
    paths of those hashed now; and (path, location) of the files to read whole instead of hashing.
    Fewer than `read_whole_below` files not recorded (a re-build after a few edits) are read whole at
    once: an edited file's content is new, and hashing it first would read it twice (two GETs of an
    object). More (a copied or touched folder, mostly known content) are hashed, and only new content
    is read whole."""
    hashed = readable.select("path", "location").join(recorded, on="path", how="left")
    unread = hashed.filter(pl.col("sha256").is_null())
    known = hashed.filter(pl.col("sha256").is_not_null())
    if unread.height < read_whole_below:
        return known, unread["path"], unread.select("path", "location")
    rehashed = pl.Series("sha256", hash_files(unread["location"].to_list(), workers, run_tasks), dtype=pl.String)
    return pl.concat([known, unread.with_columns(rehashed)]), unread["path"], unread.clear().select("path", "location")


def _save_caches(cache: IngestCache, identities: FileIdentities, rows: pl.DataFrame, fresh: pl.DataFrame,
                 kept: pl.DataFrame | None, read_now: pl.Series, listing: pl.DataFrame, started_ns: int) -> None:
    """What was decoded, by sha256; and each file's identity unless no file was decoded and each
    listed and each recorded file's recorded identity was taken as it is (`kept`: see recorded_hashes);
    `fresh` are the rows of the files decoded now, `read_now` the paths of all those read now."""
    decoded = fresh.height > 0
    if decoded:
        cache.save(rows, fresh)
    if decoded or kept is None or not kept.height == listing.height == identities.rows.height:
        identities.save(listing, rows.select("path", "sha256"), started_ns, kept, read_now)


source_digest(*INGEST_CODE)
