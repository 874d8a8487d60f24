"""The documents table: one row per raw file, with what became of it (parsed, partial, duplicate,
rejected) and why, and a reject row for each rejected document."""
from __future__ import annotations

import json
from dataclasses import dataclass

from pipeline.model.records import DocumentSummary


@dataclass
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


def document_rows(doc: DocumentInput, canonical: dict[str, str]) -> tuple[dict, dict | None]:
    """The document's row, and its reject row when it is rejected."""
    status = document_status(doc, canonical)
    parsed = doc.summary
    problems = list(doc.raw_problems) + (list(parsed.problems) + list(parsed.notes) if parsed else [])
    if status == "rejected" and parsed is None and doc.format == "unknown" and doc.encoding and "no text" not in problems:
        problems.insert(0, "format not recognised from the content")
    elif status == "rejected" and not problems:
        problems.append("no session could be read from the document")
    row = {"document_id": doc.document_id, "path": doc.path, "sha256": doc.sha256, "size_bytes": doc.size_bytes,
           "encoding": doc.encoding, "format": doc.format, "parser_version": doc.parser_version, "status": status,
           "canonical_document_id": canonical.get(doc.document_id, doc.document_id),
           "title": parsed.title if parsed else None, "url": parsed.url if parsed else None, "problems": problems}
    if status != "rejected":
        return row, None
    return row, {"document_id": doc.document_id, "path": doc.path, "table": "documents",
                 "rule": problems[0] if problems else "rejected",
                 "offending_values": json.dumps({"format": doc.format, "problems": problems}, ensure_ascii=False)}
