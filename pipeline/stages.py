"""The stages after parsing, as plain functions over frames and records; Dagster assets call them
(through pipeline.incremental where a stage's output is kept for the next build).

raw documents (pipeline.ingest) -> parses (pipeline.parse) -> duplicate clusters -> tables.
"""
from __future__ import annotations

import numpy as np
import polars as pl

import schemas
from pipeline.transform import checks
from pipeline.transform.agreement_pairs import NAME as AGREEMENT_PAIRS, agreement_pairs
from pipeline.transform.assembly import AssemblyResult, assemble
from pipeline.transform.assembly.store import BUCKETS, RowsInMemory, StoredSessions
from pipeline.transform.dedup import BANDS, VIEW_COLUMNS, DocumentViews, DuplicateRow, find_duplicates
from pipeline.transform.quarantine import quarantine


def dedup_views(parsed) -> DocumentViews:
    """What de-duplication compares, from the parses' frame (one row per document: document_id,
    format, problems, url) and their fingerprint columns (parsed.fingerprints(): exact_key, bands,
    session_keys); the columns stay columns, and the signatures of the documents compared are read
    from the parses (parsed.signatures(ids))."""
    frame = parsed.frame  # sorted by document_id
    fingerprints = parsed.fingerprints()  # in its order
    ids = frame["document_id"].to_list()
    bands = fingerprints["bands"].list.to_array(BANDS).to_numpy().reshape(frame.height, BANDS)
    columns = pl.concat([frame.select([c for c in VIEW_COLUMNS if c not in fingerprints.columns]),
                         fingerprints.select([c for c in VIEW_COLUMNS if c in fingerprints.columns])], how="horizontal")
    return DocumentViews(ids, columns.select(list(VIEW_COLUMNS)).cast(VIEW_COLUMNS), np.ascontiguousarray(bands.T),
                         lambda positions: parsed.signatures([ids[i] for i in positions]))


def deduplicate(parsed, run_tasks=None) -> tuple[list[DuplicateRow], dict[str, str]]:
    """Duplicate rows and document_id -> canonical id of the copies (any other document is its own);
    `run_tasks(function, tasks)` runs the LSH and confirmation tasks elsewhere (default: here)."""
    return find_duplicates(dedup_views(parsed), run_tasks)


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


def assemble_tables(raw: pl.DataFrame, parsed, duplicates: list[DuplicateRow], canonical: dict[str, str],
                    overrides: dict | None = None, previous: StoredSessions | None = None,
                    run_batches=None, rows: RowsInMemory | None = None, batch_sessions: int | None = None) -> AssemblyResult:
    """The dataset's tables after quarantine, from the raw documents, their parses (document_id ->
    record with .key and .summary, and .loader(ids) reading their full parses) and the duplicate clusters; the sessions of `previous`
    whose inputs did not change are reused. `stored` in the result is what a later build can reuse.
    `run_batches(function, batches)` runs the batches of sessions to build (default: here), of
    `batch_sessions` sessions each (default: assembly's BATCH_SESSIONS); `rows`
    keeps the session tables' rows as they are built (default: in memory, see RowsInMemory)."""
    result = assemble(raw, parsed, duplicates, canonical, overrides, previous, run_batches, rows, batch_sessions)
    tables = quarantine(result.tables, result.unvetted)
    # the stored rows of a table that passed its model need not be validated again by a later build
    passed = frozenset(name for name, df in result.stored.tables.items()
                       if name in schemas.TABLES and checks.passed_before("schema", name, [df]))
    result.stored.vetted = dict.fromkeys(BUCKETS, passed)
    # derived from the agreements that passed quarantine, so every id in it resolves
    tables[AGREEMENT_PAIRS] = agreement_pairs(tables["agreements"])
    result.tables = tables
    return result
