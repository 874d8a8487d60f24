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
from pipeline.text import decode_bytes, normalize_document_text, sha256_hex

# Hidden files and editor leftovers are not documents.
SKIPPED_NAMES = (".", "~")
MAX_BYTES = 64 * 1024 * 1024  # larger files are rejected: no real session page is near this size


@dataclass
class RawFile:
    path: str
    data: bytes | None
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
                found.append(RawFile(str(entry.relative_to(base)), entry.read_bytes()))
    return sorted(found, key=lambda f: f.path)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
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
            mode = os.stat(full).st_mode
        except OSError as exc:
            out.append(RawFile(rel, None, [f"not readable: {exc.strerror or exc}"]))
            continue
        if stat.S_ISDIR(mode):
            _walk_local(full, rel + "/", out, seen)
        elif not stat.S_ISREG(mode):
            kind = "named pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device or special file"
            out.append(RawFile(rel, None, [f"not a regular file ({kind}); not read"]))
        else:
            size = os.stat(full).st_size
            if size > MAX_BYTES:
                out.append(RawFile(rel, None, [f"file too large: {size} bytes (limit {MAX_BYTES})"]))
                continue
            try:
                out.append(RawFile(rel, read_bytes(full)))
            except OSError as exc:
                out.append(RawFile(rel, None, [f"not readable: {exc.strerror or exc}"]))


RAW_SCHEMA = {
    "document_id": pl.String, "path": pl.String, "sha256": pl.String, "size_bytes": pl.Int64,
    "encoding": pl.String, "format": pl.String, "parser_version": pl.String, "text": pl.String,
    "problems": pl.List(pl.String),
}


def read_raw_documents(root: str | os.PathLike) -> pl.DataFrame:
    """One row per raw file: ids, hashes, decoded normalised text, detected format, decoding problems."""
    rows = []
    for raw in list_raw_files(root):
        data = raw.data
        problems = list(raw.problems)
        text = encoding = None
        if data is not None:
            decoded = decode_bytes(data)
            problems += decoded.problems
            encoding = decoded.encoding
            if decoded.text is not None:
                text = normalize_document_text(decoded.text)
                if "\x00" in decoded.text:
                    problems.append("NUL bytes removed")
                if not text.strip():
                    problems.append("no text")
                    text = None
        fmt = detect_format(text) if text else "unknown"
        content_key = sha256_hex(text) if text else sha256_hex(data or raw.path.encode())
        rows.append({
            "path": raw.path, "sha256": sha256_hex(data) if data is not None else sha256_hex(b""),
            "size_bytes": len(data) if data is not None else 0, "encoding": encoding, "format": fmt,
            "parser_version": parser_version(fmt), "text": text, "problems": problems, "content_key": content_key,
        })
    # Content decides the id, so renaming or moving a file keeps it; identical copies are numbered in path order.
    counts: dict[str, int] = {}
    for row in rows:
        n = counts[row["content_key"]] = counts.get(row["content_key"], 0) + 1
        base = f"doc_{row.pop('content_key')[:16]}"
        row["document_id"] = base if n == 1 else f"{base}-{n}"
    return pl.DataFrame(rows, schema=RAW_SCHEMA).sort("document_id")
