"""One folder per source family; each reads the document model and returns a ParsedDocument.

A family is a folder `pipeline/sources/<format>/` holding `source.yaml` (format, version, title,
publisher, url, licence, row bounds) and `__init__.py` with `looks_like(text) -> int` (a cheap score
on the decoded text) and `parse_<format>(doc: Document) -> ParsedDocument | None`. Nothing else is
registered anywhere: the registry, the schemas' format list, the data dictionary and the dataset
card all read the folders. The format is
always detected from the content, never from a file name. A readable text that no family
recognises is `generic` and read by the agenda engine; a text that states no session is rejected.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.document import Document, read_document
from pipeline.model.records import ParsedDocument


@dataclass(frozen=True)
class Source:
    format: str
    version: str        # bump when the family's output for the same text may change: parses are cached by it
    looks_like: Callable[[str], int]
    parse: Callable[[Document], ParsedDocument | None]
    meta: dict = field(default_factory=dict, compare=False)  # the rest of source.yaml: title, publisher, url, licence, row_bounds


def load_source(folder: Path) -> Source:
    """A family folder: source.yaml says what it is, its module gives looks_like and parse_<format>."""
    with open(folder / "source.yaml", encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    if meta.get("format") != folder.name:
        raise ValueError(f"{folder / 'source.yaml'}: format {meta.get('format')!r} is not the folder's name {folder.name!r}")
    module = importlib.import_module(f"{__name__}.{folder.name}")
    return Source(meta["format"], str(meta["version"]), module.looks_like, getattr(module, f"parse_{folder.name}"), meta)


# Every folder beside this file with a source.yaml is a family; `fallback: true` marks the one read
# when no family recognises a text.
_FAMILIES = [load_source(yaml_file.parent) for yaml_file in sorted(Path(__file__).parent.glob("*/source.yaml"))]
SOURCES: dict[str, Source] = {s.format: s for s in _FAMILIES if not s.meta.get("fallback")}
(GENERIC,) = [s for s in _FAMILIES if s.meta.get("fallback")]
FORMATS = tuple(SOURCES) + (GENERIC.format, "unknown")
MIN_SCORE = 3
NO_SESSION = "no session stated in the text"


def detect_format(text: str) -> str:
    """The family whose detector scores highest (at least MIN_SCORE), else generic."""
    score, best = max((source.looks_like(text), name) for name, source in SOURCES.items())  # a tie: the last name
    return best if score >= MIN_SCORE else GENERIC.format


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
            result = GENERIC.parse(doc, fmt if fmt in SOURCES else GENERIC.format)
        if not result.sessions:
            result.problems.insert(0, NO_SESSION)
        return result
    except Exception as exc:  # a parser bug must not stop the corpus: the document is rejected with the reason
        return ParsedDocument(format=fmt, problems=[f"parser error: {type(exc).__name__}: {exc}"[:300]], sessions=[])
