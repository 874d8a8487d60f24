"""The ingest stage, wrapped: a file whose bytes were read before is not decoded again, and a local
file not rewritten since it was hashed is not even read.

Kept under <out>/.cache/: per raw sha256 what reading it gave (encoding, detected format, reading
problems, text key), in a file named after a digest of the reading code; and each local file's
identity (inode, size, times) when it was hashed.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.files import write_atomically
from pipeline.incremental.caches import source_digest
from pipeline.ingest import (IDENTITY_COLUMNS, INGEST_SCHEMA, LISTING_SCHEMA, RawFile, hash_files, list_raw, read_files,
                             with_document_ids)

# Reading depends on the decoding and format detection code: other code, another file.
INGEST_CODE = ("pipeline/ingest.py", "pipeline/model/text.py", "pipeline/sources", "pipeline/model/vocabulary.py")


def _ingest_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"ingest-{source_digest(*INGEST_CODE)}.parquet"


def load_ingest_cache(cache_dir: str | os.PathLike) -> pl.DataFrame | None:
    """One row per raw sha256 read before: what reading it gave (see INGEST_SCHEMA)."""
    try:
        return pl.read_parquet(_ingest_file(cache_dir)).cast(INGEST_SCHEMA)
    except (OSError, pl.exceptions.PolarsError):
        return None


def save_ingest_cache(cache_dir: str | os.PathLike, rows: pl.DataFrame) -> None:
    """Keep what reading gave for every file with text (a file without text is read again next time)."""
    path = _ingest_file(cache_dir)
    df = rows.filter(pl.col("content_key").is_not_null()).select(list(INGEST_SCHEMA)).unique("sha256").sort("sha256")
    write_atomically(path, lambda tmp: df.write_parquet(tmp, compression="lz4"))
    for other in Path(cache_dir).glob("ingest-*.parquet"):
        if other != path:
            other.unlink(missing_ok=True)


def _identities_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / "file-identities.parquet"


IDENTITY_SCHEMA = {"path": pl.String, **{c: pl.Int64 for c in IDENTITY_COLUMNS}, "recorded_ns": pl.Int64,
                   "sha256": pl.String}


def identity_frame(files: list) -> pl.DataFrame:
    """path and identity (inode, size, mtime ns, ctime ns) of the listed local files that have one."""
    listed = [f for f in files if f.identity]
    values = np.array([f.identity for f in listed], dtype=np.int64).reshape(-1, len(IDENTITY_COLUMNS))
    return pl.DataFrame({"path": pl.Series([f.path for f in listed], dtype=pl.String),
                         **{c: values[:, i] for i, c in enumerate(IDENTITY_COLUMNS)}})


def local_identities(readable: pl.DataFrame) -> pl.DataFrame:
    """identity_frame of a listing's readable files (RawListing.readable): the local ones."""
    return readable.filter(pl.col(IDENTITY_COLUMNS[0]).is_not_null()).select("path", *IDENTITY_COLUMNS)


def load_file_identities(cache_dir: str | os.PathLike) -> pl.DataFrame:
    """Per path: the identity it had, when that was recorded (ns) and its sha256 (IDENTITY_SCHEMA)."""
    try:
        return pl.read_parquet(_identities_file(cache_dir)).cast(IDENTITY_SCHEMA)
    except (OSError, pl.exceptions.PolarsError):
        return pl.DataFrame(schema=IDENTITY_SCHEMA)


def save_file_identities(cache_dir: str | os.PathLike, listing: pl.DataFrame, hashes: pl.DataFrame, started_ns: int,
                         previous: pl.DataFrame) -> None:
    """Record each local file's identity (`listing`: see identity_frame) with its hash (`hashes`:
    path, sha256). `started_ns` is when
    hashing began: a file changed after that moment has a later change time and is hashed again
    next time. A file recorded before with the same identity and hash keeps its recording time."""
    df = (listing.join(hashes.filter(pl.col("sha256").is_not_null()), on="path", how="inner")
          .join(previous.select("path", *IDENTITY_COLUMNS, "sha256", "recorded_ns"),
                on=["path", *IDENTITY_COLUMNS, "sha256"], how="left")
          .with_columns(pl.col("recorded_ns").fill_null(started_ns))
          .select(list(IDENTITY_SCHEMA)).sort("path"))
    write_atomically(_identities_file(cache_dir), lambda tmp: df.write_parquet(tmp, compression="lz4"))


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
    whose bytes were read before (same sha256) are only hashed, not decoded again, and local files
    not rewritten since they were hashed are not read at all (recorded_hashes); read_cache=False reads
    every file again and refreshes the cache. `run_tasks` runs the reading and hashing shards."""
    started_ns = time.time_ns()  # before any file is read (see recorded_hashes)
    listing = list_raw(root)
    known = load_ingest_cache(cache_dir) if cache_dir and read_cache else None
    identities = load_file_identities(cache_dir) if cache_dir and read_cache else pl.DataFrame(schema=IDENTITY_SCHEMA)
    readable, local = listing.readable, local_identities(listing.readable)
    parts, todo, rehashed = [], readable, 0
    if known is not None and known.height:  # hash every file (or take its recorded hash), decode only new content
        hashed, rehashed = _hashes(readable, recorded_hashes(local, identities), workers, run_tasks)
        parts.append(hashed.join(known, on="sha256", how="inner"))
        todo = readable.join(parts[0].select("path"), on="path", how="anti", maintain_order="left")
    fresh = read_files(_with_unreadable(todo, listing.unreadable), workers, shard_size, run_tasks)
    parts.append(pl.DataFrame(fresh, schema={**LISTING_SCHEMA, **INGEST_SCHEMA}))
    rows = pl.concat([p.select(list(LISTING_SCHEMA) + list(INGEST_SCHEMA)) for p in parts])
    if cache_dir:
        _save_caches(cache_dir, rows, bool(fresh), rehashed, readable.height, identities, local, started_ns)
    return with_document_ids(rows)


def _hashes(readable: pl.DataFrame, recorded: pl.DataFrame, workers: int | None, run_tasks) -> tuple[pl.DataFrame, int]:
    """path, location, sha256 of every readable file: the recorded hash of a file not rewritten since,
    else its bytes hashed now (None when it cannot be read now); and how many were hashed now."""
    hashed = readable.select("path", "location").join(recorded, on="path", how="left")
    unread = hashed.filter(pl.col("sha256").is_null())
    rehashed = pl.Series("sha256", hash_files(unread["location"].to_list(), workers, run_tasks), dtype=pl.String)
    return pl.concat([hashed.filter(pl.col("sha256").is_not_null()), unread.with_columns(rehashed)]), unread.height


def _with_unreadable(readable: pl.DataFrame, unreadable: list[RawFile]) -> list[RawFile]:
    """The files to read: `readable` rows (sorted by path) and the unreadable ones (whose reading
    says why), in path order."""
    files = [RawFile(path, location) for path, location in zip(readable["path"].to_list(), readable["location"].to_list())]
    return sorted(files + unreadable, key=lambda f: f.path) if unreadable else files


def _save_caches(cache_dir, rows: pl.DataFrame, decoded: bool, rehashed: int, readable: int,
                 identities: pl.DataFrame, listing: pl.DataFrame, started_ns: int) -> None:
    """What was decoded, by sha256; and each file's identity when files were read or the listing changed."""
    if decoded:
        save_ingest_cache(cache_dir, rows)
    if decoded or rehashed or readable != identities.height:
        save_file_identities(cache_dir, listing, rows.select("path", "sha256"), started_ns, identities)


source_digest(*INGEST_CODE)
