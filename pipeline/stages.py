"""The pipeline's stages as plain functions over DataFrames and records; Dagster assets call these.

raw folder -> raw documents -> parsed documents -> duplicate clusters -> tables.
Parsing runs in shards (lists of rows) so that a shard can become a partition on a bigger executor.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import polars as pl

import schemas
from pipeline.assemble import DocumentInput, assemble
from pipeline.dedup import DuplicateRow, find_duplicates, view_of
from pipeline.parsers import parse_document
from pipeline.quarantine import quarantine
from pipeline.records import ParsedDocument


def parse_shard(rows: list[dict]) -> dict[str, ParsedDocument]:
    """Parse one shard of raw-document rows (each with document_id, format, text)."""
    out: dict[str, ParsedDocument] = {}
    for row in rows:
        if row["text"] is None or row["format"] == "unknown":
            continue
        out[row["document_id"]] = parse_document(row["text"], row["format"])
    return out


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500, workers: int | None = None,
                        progress=None) -> dict[str, ParsedDocument]:
    """Parse every readable document, in shards; shards run on `workers` processes (default: one per
    core) once the corpus is large enough for that to pay. `progress(done, total)` is called per shard."""
    rows = raw.select("document_id", "format", "text").to_dicts()
    shards = [rows[i:i + shard_size] for i in range(0, len(rows), shard_size)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    parsed: dict[str, ParsedDocument] = {}
    done = 0
    for shard, result in run_sharded(parse_shard, shards, workers if len(rows) >= 2000 else 1):
        parsed.update(result)
        done += len(shard)
        if progress:
            progress(done, len(rows))
    return parsed


def run_sharded(function, shards: list, workers: int):
    """Yield (shard, function(shard)) in order, on a process pool when workers > 1.

    Shards are the unit a bigger executor would partition on; here they share two cores. If worker
    processes cannot start (e.g. an interactive __main__), the shards run in this process."""
    if workers > 1 and len(shards) > 1:
        try:
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                yield from zip(shards, pool.map(function, shards))
            return
        except BrokenProcessPool:
            pass
    for shard in shards:
        yield shard, function(shard)


def deduplicate(raw: pl.DataFrame, parsed: dict[str, ParsedDocument]) -> tuple[list[DuplicateRow], dict[str, str]]:
    views = [view_of(row["document_id"], row["text"], parsed[row["document_id"]])
             for row in raw.select("document_id", "text").to_dicts() if row["document_id"] in parsed]
    return find_duplicates(views)


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


def build_tables(raw: pl.DataFrame, parsed: dict[str, ParsedDocument],
                 duplicates: list[DuplicateRow], canonical: dict[str, str], overrides: dict | None = None) -> dict[str, pl.DataFrame]:
    inputs = [
        DocumentInput(row["document_id"], row["path"], row["sha256"], row["size_bytes"], row["encoding"],
                      row["format"], row["parser_version"], row["problems"], parsed.get(row["document_id"]))
        for row in raw.drop("text").to_dicts()
    ]
    rows = assemble(inputs, duplicates, canonical, overrides)
    tables = {name: schemas.frame(name, rows.get(name, [])) for name in schemas.TABLES}
    return quarantine(tables)
