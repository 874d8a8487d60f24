"""The documents table: one row per raw file, with what became of it (parsed, partial, duplicate,
rejected) and why, and a reject row for each rejected document."""
from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

import schemas
from pipeline.model.records import DocumentSummary


@dataclass(slots=True)  # one per document of the build, held while planning
class DocumentInput:
    document_id: str
    path: str
    sha256: str
    size_bytes: int
    encoding: str | None
    format: str
    parser_version: str
    raw_problems: list[str]
    summary: DocumentSummary | None   # None when the file could not be decoded or recognised


def document_status(doc: DocumentInput, canonical: dict[str, str]) -> str:
    parsed = doc.summary
    if parsed is None or doc.format == "unknown" or not parsed.sessions:
        return "rejected"
    if canonical.get(doc.document_id, doc.document_id) != doc.document_id:
        return "duplicate"
    return "partial" if (doc.raw_problems or parsed.problems) else "parsed"


def _problems(doc: DocumentInput, status: str) -> list[str]:
    """What is wrong with a document: as read, as parsed, and why a rejected one was."""
    parsed = doc.summary
    problems = list(doc.raw_problems) + (list(parsed.problems) + list(parsed.notes) if parsed else [])
    if status == "rejected" and parsed is None and doc.format == "unknown" and doc.encoding and "no text" not in problems:
        problems.insert(0, "format not recognised from the content")
    elif status == "rejected" and not problems:
        problems.append("no session could be read from the document")
    return problems


def _reject(doc: DocumentInput, problems: list[str]) -> dict:
    return {"document_id": doc.document_id, "path": doc.path, "table": "documents",
            "rule": problems[0] if problems else "rejected",
            "offending_values": json.dumps({"format": doc.format, "problems": problems}, ensure_ascii=False)}


def document_rows(doc: DocumentInput, canonical: dict[str, str]) -> tuple[dict, dict | None]:
    """The document's row, and its reject row when it is rejected."""
    status = document_status(doc, canonical)
    parsed = doc.summary
    problems = _problems(doc, status)
    row = {"document_id": doc.document_id, "path": doc.path, "sha256": doc.sha256, "size_bytes": doc.size_bytes,
           "encoding": doc.encoding, "format": doc.format, "parser_version": doc.parser_version, "status": status,
           "canonical_document_id": canonical.get(doc.document_id, doc.document_id),
           "title": parsed.title if parsed else None, "url": parsed.url if parsed else None, "problems": problems}
    return row, (_reject(doc, problems) if status == "rejected" else None)


# The documents table's columns that are the raw document's own (pipeline.ingest), as they are there
RAW_COLUMNS = ("document_id", "path", "sha256", "size_bytes", "encoding", "format", "parser_version")


def documents_frame(docs: list[DocumentInput], canonical: dict[str, str], raw: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    """The rows of `docs` (sorted by id), as document_rows makes them, and their reject rows; the
    raw document's own columns are taken from `raw` (the raw documents frame) as columns, not
    converted from Python values again."""
    made: dict[str, list] = {"document_id": [], "status": [], "canonical_document_id": [], "title": [], "url": [],
                             "problems": []}
    rejects = []
    for doc in docs:
        status = document_status(doc, canonical)
        problems = _problems(doc, status)
        parsed = doc.summary
        made["document_id"].append(doc.document_id)
        made["status"].append(status)
        made["canonical_document_id"].append(canonical.get(doc.document_id, doc.document_id))
        made["title"].append(parsed.title if parsed else None)
        made["url"].append(parsed.url if parsed else None)
        made["problems"].append(problems)
        if status == "rejected":
            rejects.append(_reject(doc, problems))
    schema = schemas.columns("documents")
    rows = schemas.columns_frame(made, {c: schema[c] for c in made}).join(
        raw.select(RAW_COLUMNS), on="document_id", how="left", maintain_order="left")
    return rows.select(list(schema)).cast(schema), rejects
