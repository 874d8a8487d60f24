"""What a build keeps for the next one, under <out>/.cache/, so that a re-build only redoes the work
its changed inputs need:

- ingest: raw sha256 -> encoding, detected format, reading problems, text key (no decoding again),
  and each local file's identity (inode, size, times) when it was hashed (no reading again);
- parse (parse_cache.py): the full parse of each (sha256, format, parser version, parsing code),
  plus an index of their summaries;
- assembly (assembly_cache.py): each session's rows with a hash of everything they were built from.

A cache that the code it depends on no longer matches is ignored (its name carries a digest of
that code), so an upgrade costs one slower build, never a stale table.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

_PIPELINE = Path(__file__).resolve().parent.parent  # pipeline/


@lru_cache(maxsize=None)
def source_digest(*relative: str) -> str:
    """sha256 (16 hex digits) over the named source files or folders of the project (pipeline/, schemas/).

    Cached for the life of the process, and taken when the module that names the code is imported
    (each calls it at its end), so that it describes the code that is running even if the files change."""
    digest = hashlib.sha256()
    for name in relative:
        path = _PIPELINE.parent / name
        files = sorted(path.rglob("*.py")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(_PIPELINE.parent)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def write_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


# -- ingest ----------------------------------------------------------------------------------------

INGEST_CODE = ("pipeline/ingest.py", "pipeline/model/text.py", "pipeline/sources", "pipeline/model/vocabulary.py")
INGEST_SCHEMA = {"sha256": pl.String, "size_bytes": pl.Int64, "encoding": pl.String, "format": pl.String,
                 "problems": pl.List(pl.String), "content_key": pl.String}


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


IDENTITY_COLUMNS = ["inode", "size", "mtime_ns", "ctime_ns"]
IDENTITY_SCHEMA = {"path": pl.String, **{c: pl.Int64 for c in IDENTITY_COLUMNS}, "recorded_ns": pl.Int64,
                   "sha256": pl.String}


def identity_frame(files: list) -> pl.DataFrame:
    """path and identity (inode, size, mtime ns, ctime ns) of the listed local files that have one."""
    listed = [f for f in files if f.identity]
    values = np.array([f.identity for f in listed], dtype=np.int64).reshape(-1, len(IDENTITY_COLUMNS))
    return pl.DataFrame({"path": pl.Series([f.path for f in listed], dtype=pl.String),
                         **{c: values[:, i] for i, c in enumerate(IDENTITY_COLUMNS)}})


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


source_digest(*INGEST_CODE)
