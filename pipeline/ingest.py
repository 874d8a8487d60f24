"""Reading the raw folder: one record per file, with its bytes' hash, decoded text and detected format.

Paths go through UPath so that the raw root can be a local folder or object storage alike.
Unreadable files, symlink loops and undecodable bytes become records with a reason, never a crash.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

import polars as pl
from upath import UPath

from pipeline.parsers import detect_format, parser_version
from pipeline.shards import run_sharded
from pipeline.text import decode_bytes, normalize_document_text, sha256_hex

# Hidden files and editor leftovers are not documents.
SKIPPED_NAMES = (".", "~")
MAX_BYTES = 64 * 1024 * 1024  # larger files are rejected: no real session page is near this size


@dataclass
class RawFile:
    path: str                    # relative to the raw root, '/' separators
    location: str | None         # where to read it (local path or URL); None when it cannot be read
    problems: list[str] = field(default_factory=list)


def list_raw_files(root: str | os.PathLike) -> list[RawFile]:
    """Every regular file below `root`, recursively, sorted by relative path; links are followed once."""
    base = UPath(root)
    if not base.exists():
        raise FileNotFoundError(f"raw folder not found: {root}")
    found: list[RawFile] = []
    if base.protocol in ("", "file"):
        _walk_local(str(base.path), "", found, set())
    else:  # object storage: no links, no permissions to worry about
        for entry in base.rglob("*"):
            if entry.is_file() and not entry.name.startswith(SKIPPED_NAMES):
                found.append(RawFile(str(entry.relative_to(base)), str(entry)))
    return sorted(found, key=lambda f: f.path)


def read_bytes(location: str) -> bytes:
    if "://" in location:
        return UPath(location).read_bytes()
    with open(location, "rb") as handle:
        return handle.read()


def _walk_local(directory: str, prefix: str, out: list[RawFile], seen: set[tuple[int, int]]) -> None:
    try:
        info = os.stat(directory)
    except OSError as exc:
        out.append(RawFile(prefix.rstrip("/") or ".", None, [f"folder not readable: {exc.strerror}"]))
        return
    if (info.st_dev, info.st_ino) in seen:
        out.append(RawFile(prefix.rstrip("/"), None, ["symlink loop: folder already visited"]))
        return
    seen = seen | {(info.st_dev, info.st_ino)}
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        out.append(RawFile(prefix.rstrip("/") or ".", None, [f"folder not readable: {exc.strerror}"]))
        return
    for name in names:
        if name.startswith(SKIPPED_NAMES):
            continue
        full = os.path.join(directory, name)
        rel = prefix + name
        try:
            st = os.stat(full)
        except OSError as exc:
            out.append(RawFile(rel, None, [f"not readable: {exc.strerror or exc}"]))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk_local(full, rel + "/", out, seen)
        elif not stat.S_ISREG(st.st_mode):
            kind = "named pipe" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "device or special file"
            out.append(RawFile(rel, None, [f"not a regular file ({kind}); not read"]))
        elif st.st_size > MAX_BYTES:
            out.append(RawFile(rel, None, [f"file too large: {st.st_size} bytes (limit {MAX_BYTES})"]))
        else:
            out.append(RawFile(rel, full))


@dataclass
class LoadedDocument:
    sha256: str
    size: int
    text: str | None
    encoding: str | None
    problems: list[str]


def load_document(raw: RawFile) -> LoadedDocument:
    """Read, decode and normalise one raw file; never raises (a failure is a problem)."""
    problems = list(raw.problems)
    if raw.location is None:
        return LoadedDocument(sha256_hex(b""), 0, None, None, problems)
    try:
        data = read_bytes(raw.location)
    except OSError as exc:
        return LoadedDocument(sha256_hex(b""), 0, None, None, problems + [f"not readable: {exc.strerror or exc}"])
    decoded = decode_bytes(data)
    problems += decoded.problems
    text = None
    if decoded.text is not None:
        text = normalize_document_text(decoded.text)
        if "\x00" in decoded.text:
            problems.append("NUL bytes removed")
        if not text.strip():
            problems.append("no text")
            text = None
    return LoadedDocument(sha256_hex(data), len(data), text, decoded.encoding, problems)


RAW_SCHEMA = {
    "document_id": pl.String, "path": pl.String, "location": pl.String, "sha256": pl.String, "size_bytes": pl.Int64,
    "encoding": pl.String, "format": pl.String, "parser_version": pl.String, "problems": pl.List(pl.String),
}


def ingest_shard(raws: list[RawFile]) -> list[dict]:
    """One row per file: hashes, encoding, detected format, reading problems (the text itself is not kept)."""
    rows = []
    for raw in raws:
        loaded = load_document(raw)
        fmt = detect_format(loaded.text) if loaded.text else "unknown"
        content_key = sha256_hex(loaded.text) if loaded.text else sha256_hex(raw.path)
        rows.append({"path": raw.path, "location": raw.location, "sha256": loaded.sha256, "size_bytes": loaded.size,
                     "encoding": loaded.encoding, "format": fmt, "parser_version": parser_version(fmt),
                     "problems": loaded.problems, "content_key": content_key})
    return rows


def read_raw_documents(root: str | os.PathLike, workers: int | None = None, shard_size: int = 500) -> pl.DataFrame:
    """One row per raw file (no text: parsing reads the file again, so memory does not grow with the corpus)."""
    files = list_raw_files(root)
    shards = [files[i:i + shard_size] for i in range(0, len(files), shard_size)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    rows = [row for _, result in run_sharded(ingest_shard, shards, workers if len(files) >= 2000 else 1) for row in result]
    # Content decides the id, so renaming or moving a file keeps it; identical copies are numbered in path order.
    counts: dict[str, int] = {}
    for row in rows:
        n = counts[row["content_key"]] = counts.get(row["content_key"], 0) + 1
        base = f"doc_{row.pop('content_key')[:16]}"
        row["document_id"] = base if n == 1 else f"{base}-{n}"
    return pl.DataFrame(rows, schema=RAW_SCHEMA).sort("document_id")
