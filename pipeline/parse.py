"""The parse stage: texts in, parses out, each with the fingerprints de-duplication compares.

Pure: no files, no cache (pipeline.incremental.parse_cache wraps it: it reads the texts, replays the
parses it kept, and stores the new ones).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.model.records import ParsedDocument
from pipeline.sources import parse_document
from pipeline.transform.fingerprint import fingerprints, session_keys


@dataclass
class ParseOutput:
    document: ParsedDocument
    exact_key: str                      # the normalised text's hash: exact copies share it
    signature: np.ndarray               # MinHash signature (NUM_PERM uint64)
    session_keys: list[tuple]           # what names each stated session, for near-duplicate checks


def parse_texts(items: list[tuple[str, str]]) -> list[ParseOutput]:
    """Each (text, format) parsed by the parser of its format, and fingerprinted."""
    out = []
    for (text, fmt), fingerprint in zip(items, fingerprints([text for text, _ in items])):
        document = parse_document(text, fmt)
        out.append(ParseOutput(document, fingerprint.exact_key, fingerprint.signature, session_keys(document)))
    return out
