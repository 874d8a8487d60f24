"""The documents table: one row per raw file, with what became of it (parsed, partial, duplicate,
rejected) and why, and a reject row for each rejected document."""
from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

import schemas
from pipeline.model.records import DocumentSummary
from pipeline.transform.plan import DESCRIBED_SCHEMAS, DescribedDocuments, own_session_ids


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


# What a document's description reads of its raw row: DocumentInput's fields but its summary
DESCRIBE_COLUMNS = ["document_id", "path", "sha256", "size_bytes", "encoding", "format", "parser_version", "problems"]


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


def describe_documents(docs: list[DocumentInput], canonical: dict[str, str]) -> DescribedDocuments:
    """What planning and the documents table read of `docs` (sorted by id), as frames: each one's
    status, title, address and problems, the sessions it states as its own, the names of people its
    sessions list, and a reject row for each rejected one. Made where the parses are (a worker
    describes a parse shard), so that the driver receives columns, not summaries."""
    made: dict[str, list] = {name: [] for name in DESCRIBED_SCHEMAS["documents"]}
    statements: list[tuple] = []
    rejects = []
    for doc in docs:
        status = document_status(doc, canonical)
        problems = _problems(doc, status)
        parsed = doc.summary
        head = canonical.get(doc.document_id, doc.document_id)
        made["document_id"].append(doc.document_id)
        made["status"].append(status)
        made["canonical_document_id"].append(head)
        made["title"].append(parsed.title if parsed else None)
        made["url"].append(parsed.url if parsed else None)
        made["problems"].append(problems)
        made["session_ids"].append([] if status == "rejected" else own_session_ids(parsed, head))
        if status == "rejected":
            rejects.append(_reject(doc, problems))
            continue
        for index, stub in enumerate(parsed.sessions):
            for position, (name, key, country, country_key, organization, org_tokens) in enumerate(stub.participants):
                if key is None:  # not a person
                    continue
                statements.append((doc.document_id, index, position, name, key, country, country_key, organization,
                                   sorted(org_tokens)))
    columns = DESCRIBED_SCHEMAS["statements"]
    stated = dict(zip(columns, map(list, zip(*statements)))) if statements else {name: [] for name in columns}
    return DescribedDocuments(schemas.columns_frame(made, DESCRIBED_SCHEMAS["documents"]),
                              # by name key (in their order within a key): a range of keys is a slice
                              schemas.columns_frame(stated, columns).sort("key", maintain_order=True),
                              schemas.frame("rejects", rejects, sort=False))


def document_table_rows(described: pl.DataFrame, raw: pl.DataFrame) -> pl.DataFrame:
    """The documents table's rows of the documents `described` (describe_documents), in its order;
    the raw document's own columns are taken from `raw` (the raw documents frame) as columns."""
    schema = schemas.columns("documents")
    return (described.drop("session_ids").join(raw.select(RAW_COLUMNS), on="document_id", how="left", maintain_order="left")
            .select(list(schema)).cast(schema))
