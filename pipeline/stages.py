"""The pipeline's stages as plain functions over DataFrames and records; Dagster assets call these.

raw folder -> raw documents -> parsed documents -> duplicate clusters -> tables.
Parsing runs in shards (lists of rows) so that a shard can become a partition on a bigger executor.
"""
from __future__ import annotations

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


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500) -> dict[str, ParsedDocument]:
    rows = raw.select("document_id", "format", "text").to_dicts()
    parsed: dict[str, ParsedDocument] = {}
    for start in range(0, len(rows), shard_size):
        parsed.update(parse_shard(rows[start:start + shard_size]))
    return parsed


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
