"""One folder per source family; each reads the document model and returns a ParsedDocument.

A family folder holds `__init__.py` with FORMAT, VERSION, `looks_like(text) -> int` (a cheap score
on the decoded text) and a parse function from a Document; list it in SOURCES below. The format is
always detected from the content, never from a file name. A readable text that no family
recognises is `generic` and read by the agenda engine; a text that states no session is rejected.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.document import Document, read_document
from pipeline.model.records import ParsedDocument
from pipeline.sources import concept_note, diplo_report, generic, igf_proposal, isomer_event


@dataclass(frozen=True)
class Source:
    format: str
    version: str        # bump when the family's output for the same text may change: parses are cached by it
    looks_like: Callable[[str], int]
    parse: Callable[[Document], ParsedDocument | None]


SOURCES: dict[str, Source] = {s.format: s for s in (
    Source(isomer_event.FORMAT, isomer_event.VERSION, isomer_event.looks_like, isomer_event.parse_isomer_event),
    Source(igf_proposal.FORMAT, igf_proposal.VERSION, igf_proposal.looks_like, igf_proposal.parse_igf_proposal),
    Source(diplo_report.FORMAT, diplo_report.VERSION, diplo_report.looks_like, diplo_report.parse_diplo_report),
    Source(concept_note.FORMAT, concept_note.VERSION, concept_note.looks_like, concept_note.parse_concept_note),
)}
GENERIC = Source(generic.FORMAT, generic.VERSION, generic.looks_like, generic.parse_generic)
FORMATS = tuple(SOURCES) + (GENERIC.format, "unknown")
MIN_SCORE = 3
NO_SESSION = "no session stated in the text"


def detect_format(text: str) -> str:
    """The family whose detector scores highest (at least MIN_SCORE), else generic."""
    scores = {name: source.looks_like(text) for name, source in SOURCES.items()}
    best = max(scores, key=lambda name: (scores[name], name))
    return best if scores[best] >= MIN_SCORE else GENERIC.format


def parser_version(fmt: str) -> str:
    source = SOURCES.get(fmt) or (GENERIC if fmt == GENERIC.format else None)
    return f"{source.version}.{GENERIC.version}" if source else "0"


def parse_document(text: str, fmt: str | None = None) -> ParsedDocument:
    """Read `text` into the document model and parse it with its family, falling back to generic
    extraction. Never raises: a parser crash is a problem on the document."""
    fmt = fmt or detect_format(text)
    try:
        doc = read_document(text)
        result = SOURCES[fmt].parse(doc) if fmt in SOURCES else None
        if result is None or not result.sessions:
            result = generic.parse_generic(doc, fmt if fmt in SOURCES else GENERIC.format)
        if not result.sessions:
            result.problems.insert(0, NO_SESSION)
        return result
    except Exception as exc:  # a parser bug must not stop the corpus: the document is rejected with the reason
        return ParsedDocument(format=fmt, problems=[f"parser error: {type(exc).__name__}: {exc}"[:300]], sessions=[])
