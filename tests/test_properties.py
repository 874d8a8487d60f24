"""Property-based tests: no parser raises on arbitrary text, and whatever comes out either passes the
schemas or is in rejects with a reason."""
from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from pipeline.dedup import find_duplicates, view_of
from pipeline.ingest import RAW_SCHEMA
from pipeline.parsers import PARSERS, detect_format, parse_document
from pipeline.stages import build_tables
from pipeline.text import normalize_document_text, sha256_hex
from tests.conftest import RAW, SEEDS

# Lines of every real format, shuffled with noise, reach deep into each parser's branches.
SEED_LINES = sorted({line for name in SEEDS.values() for line in (RAW / name).read_text().split("\n") if len(line) < 400})
MARKERS = ["Speech speed", "Speech length", "Speech time", "Explanation", "Evidence", "Topics", "Agreed with",
           "Agreed on", "Disagreed with", "Disagreed on", "Speakers", "Arguments", "Summary", "Agreements",
           "Differences", "Similar viewpoints", "Session transcript", "Full session report", "---", "|**Speakers**| |",
           "| [Mr A B](/speakers/a/) | *X*<br>Y |", "Organizer 1: A B, Org", "Key Topics of Discussion", "Special Session 9",
           "– **A B**: Role/Title: Minister (Peru), Area of expertise: X", "GOAL 16: Peace", "<table><tr><td>", ">> A: b"]
documentish = st.lists(st.one_of(st.sampled_from(SEED_LINES), st.sampled_from(MARKERS), st.text(max_size=80)),
                       max_size=60).map("\n".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=3000), documentish))
def test_no_parser_raises_on_any_text(text):
    for _, parse, _ in PARSERS.values():
        parse(text)  # the registry's own wrapper would hide a crash; call each parser bare
    detect_format(text)


def _one_document_tables(text: str) -> dict[str, pl.DataFrame]:
    text = normalize_document_text(text)
    fmt = detect_format(text)
    raw = pl.DataFrame([{"document_id": "doc_" + sha256_hex(text)[:16], "path": "x.txt", "sha256": sha256_hex(text),
                         "size_bytes": len(text), "encoding": "utf-8", "format": fmt, "parser_version": "1",
                         "text": text, "problems": []}], schema=RAW_SCHEMA)
    parsed = {} if fmt == "unknown" else {raw["document_id"][0]: parse_document(text, fmt)}
    views = [view_of(d, text, p) for d, p in parsed.items()]
    duplicates, canonical = find_duplicates(views)
    return build_tables(raw, parsed, duplicates, canonical)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documentish)
def test_output_passes_the_schemas_or_is_rejected(text):
    tables = _one_document_tables(text)
    for name in schemas.TABLES:
        schemas.TABLES[name].model.validate(tables[name], lazy=True)
    assert tables["documents"].height == 1
    status = tables["documents"]["status"][0]
    if status == "rejected":
        assert tables["rejects"].filter(pl.col("table") == "documents").height == 1
    rejects = tables["rejects"]
    assert rejects.filter(pl.col("rule").str.len_chars() == 0).height == 0
