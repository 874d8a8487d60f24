"""The pipeline's stages as plain functions over DataFrames and records; Dagster assets call these.

raw folder -> raw documents -> parsed documents -> duplicate clusters -> tables.
Parsing runs in shards (lists of rows) so that a shard can become a partition on a bigger executor.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.assemble import DocumentInput, assemble
from pipeline.dedup import DocumentView, DuplicateRow, Fingerprint, find_duplicates, fingerprints, session_keys
from pipeline.ingest import RawFile, load_document
from pipeline.parsers import parse_document
from pipeline.quarantine import quarantine
from pipeline.shards import run_sharded
from pipeline.records import DocumentSummary, ParsedDocument, summarize


@dataclass
class ParseTask:
    rows: list[dict]            # document_id, path, location, sha256, format, parser_version
    cache_dir: str              # where parses are kept by (sha256, format, parser version)
    read_cache: bool = True     # False: parse again (and refresh the cache)


@dataclass
class ParsedRecord:
    summary: DocumentSummary
    fingerprint: Fingerprint
    session_keys: tuple                 # for de-duplication (see dedup.session_keys)
    cache_file: str                     # the full ParsedDocument, pickled with its fingerprint
    from_cache: bool = False

    @property
    def document(self) -> ParsedDocument:
        with open(self.cache_file, "rb") as handle:
            return pickle.load(handle)[0]


def _cache_path(cache_dir: str, row: dict) -> Path:
    return Path(cache_dir) / row["sha256"][:2] / f"{row['sha256']}-{row['format']}-{row['parser_version']}.pickle"


def parse_shard(task: ParseTask) -> dict[str, ParsedRecord]:
    """Read, parse and fingerprint one shard of documents; a cached parse of the same bytes is reused.
    Every parse is written to the cache; only its summary travels back to the main process."""
    out: dict[str, ParsedRecord] = {}
    todo: list[tuple[dict, str]] = []
    for row in task.rows:
        if row["format"] == "unknown" or row["location"] is None:
            continue
        path = _cache_path(task.cache_dir, row)
        if task.read_cache:
            try:
                with open(path, "rb") as handle:
                    document, fingerprint = pickle.load(handle)
                out[row["document_id"]] = _record(document, fingerprint, path, True)
                continue
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
                pass  # not cached yet, or unreadable: parse again
        loaded = load_document(RawFile(row["path"], row["location"]))
        if loaded.text is not None:
            todo.append((row, loaded.text))
    for (row, text), fingerprint in zip(todo, fingerprints([text for _, text in todo])):
        document = parse_document(text, row["format"])
        path = _cache_path(task.cache_dir, row)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        with open(tmp, "wb") as handle:
            pickle.dump((document, fingerprint), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        out[row["document_id"]] = _record(document, fingerprint, path, False)
    return out


def _record(document: ParsedDocument, fingerprint: Fingerprint, path: Path, cached: bool) -> ParsedRecord:
    return ParsedRecord(summarize(document), fingerprint, session_keys(document), str(path), cached)


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500, workers: int | None = None,
                        progress=None, cache_dir: str | None = None, read_cache: bool = True) -> dict[str, ParsedRecord]:
    """Parse every readable document, in shards; shards run on `workers` processes (default: one per
    core) once the corpus is large enough for that to pay. `progress(done, total)` is called per shard."""
    if cache_dir is None:  # no cache asked for: parses still go to disk, in a folder of this process
        cache_dir = _scratch_cache()
    rows = raw.select("document_id", "path", "location", "sha256", "format", "parser_version").to_dicts()
    shards = [ParseTask(rows[i:i + shard_size], cache_dir, read_cache) for i in range(0, len(rows), shard_size)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    parsed: dict[str, ParsedRecord] = {}
    done = 0
    for shard, result in run_sharded(parse_shard, shards, workers if len(rows) >= 2000 else 1):
        parsed.update(result)
        done += len(shard.rows)
        if progress:
            progress(done, len(rows))
    return parsed


_SCRATCH: list = []


def _scratch_cache() -> str:
    import atexit
    import shutil
    import tempfile

    if not _SCRATCH:
        folder = tempfile.mkdtemp(prefix="cyberdialogue-parse-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


def dedup_views(parsed: dict[str, ParsedRecord]) -> list[DocumentView]:
    return [DocumentView(document_id, record.fingerprint, record.summary.format, len(record.summary.problems),
                         record.summary.url, record.session_keys) for document_id, record in parsed.items()]


def deduplicate(parsed: dict[str, ParsedRecord]) -> tuple[list[DuplicateRow], dict[str, str]]:
    return find_duplicates(dedup_views(parsed))


def load_overrides(path: str | None) -> dict:
    """The reviewed person overrides (merge / split by id); an empty file or no path means none."""
    import yaml

    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for entry in data.get("split") or []:
        if "person_id" not in entry or not isinstance(entry.get("sessions"), list):
            raise ValueError(f"{path}: a split entry needs person_id and a list of sessions: {entry}")
    return data


def build_tables(raw: pl.DataFrame, parsed: dict[str, ParsedRecord],
                 duplicates: list[DuplicateRow], canonical: dict[str, str], overrides: dict | None = None) -> dict[str, pl.DataFrame]:
    inputs = [
        DocumentInput(row["document_id"], row["path"], row["sha256"], row["size_bytes"], row["encoding"],
                      row["format"], row["parser_version"], row["problems"],
                      parsed[row["document_id"]].summary if row["document_id"] in parsed else None,
                      parsed[row["document_id"]].cache_file if row["document_id"] in parsed else None)
        for row in raw.drop("location").to_dicts()
    ]
    tables = assemble(inputs, duplicates, canonical, overrides)
    return quarantine(tables)
