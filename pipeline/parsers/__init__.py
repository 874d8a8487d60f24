"""One module per source format; each turns a document's text into a ParsedDocument.

To add a source: write `pipeline/parsers/<format>.py` with `looks_like(text) -> int` and
`parse_<format>(text) -> ParsedDocument`, then list it in PARSERS below.
The format is always detected from the content, never from the file name.
"""
from __future__ import annotations

from collections.abc import Callable

from pipeline.parsers import concept_note, diplo_report, igf_proposal, isomer_event
from pipeline.records import ParsedDocument

# Bump a parser's version whenever its output for the same text may change: cached parses are keyed by it.
PARSERS: dict[str, tuple[Callable[[str], int], Callable[[str], ParsedDocument], str]] = {
    isomer_event.FORMAT: (isomer_event.looks_like, isomer_event.parse_isomer_event, "1"),
    igf_proposal.FORMAT: (igf_proposal.looks_like, igf_proposal.parse_igf_proposal, "1"),
    diplo_report.FORMAT: (diplo_report.looks_like, diplo_report.parse_diplo_report, "1"),
    concept_note.FORMAT: (concept_note.looks_like, concept_note.parse_concept_note, "1"),
}
FORMATS = tuple(PARSERS) + ("unknown",)
MIN_SCORE = 3


def detect_format(text: str) -> str:
    """The format whose detector scores highest (at least MIN_SCORE), else "unknown"."""
    scores = {name: detect(text) for name, (detect, _, _) in PARSERS.items()}
    best = max(scores, key=lambda name: (scores[name], name))
    return best if scores[best] >= MIN_SCORE else "unknown"


def parser_version(fmt: str) -> str:
    return PARSERS[fmt][2] if fmt in PARSERS else "0"


def parse_document(text: str, fmt: str | None = None) -> ParsedDocument:
    """Parse `text` with the parser of its detected format. Never raises: a parser crash is a problem."""
    fmt = fmt or detect_format(text)
    if fmt not in PARSERS:
        return ParsedDocument(format="unknown", problems=["format not recognised from the content"])
    try:
        return PARSERS[fmt][1](text)
    except Exception as exc:  # a parser bug must not stop the corpus: the document is rejected with the reason
        return ParsedDocument(format=fmt, problems=[f"parser error: {type(exc).__name__}: {exc}"[:300]], sessions=[])
