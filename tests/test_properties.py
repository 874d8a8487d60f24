"""Property-based tests: no parser raises on arbitrary text, and whatever comes out either passes the
schemas or is in rejects with a reason."""
from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
import tempfile
import pytest
from pathlib import Path

from pipeline.ingest import read_raw_documents
from pipeline.document import read_document
from pipeline.sources import GENERIC, SOURCES, detect_format
from pipeline.incremental.assembly_cache import build_tables
from pipeline.incremental.parse_cache import parse_raw_documents
from pipeline.stages import deduplicate
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
    doc = read_document(text)
    for source in list(SOURCES.values()) + [GENERIC]:
        source.parse(doc)  # the registry's own wrapper would hide a crash; call each family bare
    detect_format(text)


def _one_document_tables(text: str, folder) -> dict[str, pl.DataFrame]:
    (folder / "doc.txt").write_bytes(text.encode("utf-8", errors="surrogatepass"))
    raw = read_raw_documents(folder)
    parsed = parse_raw_documents(raw)
    duplicates, canonical = deduplicate(parsed)
    return build_tables(raw, parsed, duplicates, canonical)


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documentish)
def test_output_passes_the_schemas_or_is_rejected(text):
    with tempfile.TemporaryDirectory() as folder:
        tables = _one_document_tables(text, Path(folder))
    for name in schemas.TABLES:
        schemas.TABLES[name].model.validate(tables[name], lazy=True)
    assert tables["documents"].height == 1
    status = tables["documents"]["status"][0]
    if status == "rejected":
        assert tables["rejects"].filter(pl.col("table") == "documents").height == 1
    rejects = tables["rejects"]
    assert rejects.filter(pl.col("rule").str.len_chars() == 0).height == 0


participation = st.tuples(st.sampled_from([None, "brazil", "kenya"]),
                          st.frozensets(st.sampled_from(["telecom", "authority", "ministry", "icann"]), max_size=2))


@given(st.lists(participation, max_size=12))
def test_the_one_group_shortcut_groups_as_the_full_algorithm(affiliations):
    from pipeline.transform.plan import Participation, split_by_affiliation

    parts = [Participation(f"ses_{i:04d}", "Ana Silva", country, tokens) for i, (country, tokens) in enumerate(affiliations)]
    as_sets = lambda groups: sorted(sorted(p.session_id for p in g) for g in groups)
    assert as_sets(split_by_affiliation(parts)) == as_sets(split_by_affiliation(parts, shortcut=False))
