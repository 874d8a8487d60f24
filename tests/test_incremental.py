"""Incremental assembly against a full one: after every kind of change a corpus sees (a document
edited so that people change affiliation or name, a mirror added, a canonical document removed, a
document broken), the tables built from the previous build's stores equal a build from nothing."""
from __future__ import annotations

import random
import shutil

import polars as pl
import pytest

import schemas
from devtools.generate import generate_corpus
from pipeline.incremental.ingest_cache import read_raw_documents
from pipeline.incremental.assembly_cache import build_tables
from pipeline.incremental.parse_cache import parse_raw_documents
from pipeline.stages import deduplicate
from tests.conftest import RAW, SEEDS


def _tables(folder, cache, read_cache: bool, report: dict | None = None, overrides=None) -> dict[str, pl.DataFrame]:
    raw = read_raw_documents(folder, cache_dir=cache)
    parsed = parse_raw_documents(raw, cache_dir=str(cache))
    duplicates, canonical = deduplicate(parsed)
    return build_tables(raw, parsed, duplicates, canonical, overrides, cache_dir=str(cache), read_cache=read_cache,
                        report=report)


def _edit(text: str, rng: random.Random, names: list[str], countries: list[str]) -> str:
    """Swap one person for another and one country for another, where the text has them; else
    change a word, so that the document always changes."""
    edited = text
    present = [n for n in names if n in text]
    if present:
        name = rng.choice(present)
        edited = edited.replace(name, rng.choice([n for n in names if n != name]))
    here = [c for c in countries if c in text]
    if here:
        country = rng.choice(here)
        edited = edited.replace(country, rng.choice([c for c in countries if c != country]))
    return edited if edited != text else text.replace("the ", "the revised ", 1) + "\nRevised.\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    truth = generate_corpus(240, folder / "raw", seed=11)
    return folder / "raw", truth


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_incremental_assembly_equals_a_full_one_after_each_change(corpus, tmp_path):
    source, truth = corpus
    raw = tmp_path / "raw"
    shutil.copytree(source, raw)
    cache = tmp_path / "cache"
    _tables(raw, cache, read_cache=True)
    rng = random.Random(5)
    names = sorted({v for variants in truth["people"].values() for v in variants})
    countries = ["Kenya", "Brazil", "Germany", "India", "Japan", "France", "Chile", "Ghana"]
    documents = truth["documents"]
    heads = sorted({m["duplicate_of"] for m in documents.values() if m["duplicate_of"]})
    plain = sorted(p for p, m in documents.items() if not m["duplicate_of"] and not m["malformed"])
    steps = [
        ("edit", rng.sample(plain, 3)),
        ("edit", [heads[0]]),                      # a canonical document: its copies change with it
        ("mirror", rng.sample(plain, 2)),
        ("remove", [heads[1]]),                    # its copies get another canonical document
        ("break", rng.sample(plain, 1)),
        ("edit", rng.sample(plain, 6)),
        ("restore", [heads[1]]),
    ]
    removed = {}
    for kind, paths in steps:
        for path in paths:
            file = raw / path
            if kind == "edit":
                file.write_text(_edit(file.read_text(encoding="utf-8"), rng, names, countries), encoding="utf-8")
            elif kind == "mirror":
                shutil.copy(file, file.with_name("mirror_" + file.name))
            elif kind == "remove":
                removed[path] = file.read_bytes()
                file.unlink()
            elif kind == "restore":
                file.write_bytes(removed[path])
            elif kind == "break":
                file.write_bytes(b"\xff\xfe\x00garbage" + file.read_bytes()[:50])
        report: dict = {}
        incremental = _tables(raw, cache, read_cache=True, report=report)
        full = _tables(raw, tmp_path / f"full-{kind}-{len(removed)}", read_cache=False)
        # it was incremental: a few documents planned again, a few sessions built again
        assert report["documents_planned"] <= 3 * len(paths) and report["sessions_built"] < report["sessions"] / 2, (kind, report)
        for name in schemas.TABLES:
            assert incremental[name].equals(full[name]), (kind, name)
    # a reviewed merge: planned again in full under the new overrides, and still equal to a full build
    people = full["people"].sort("session_count", "person_id", descending=[True, False])["person_id"].to_list()
    overrides = {"merge": [{"ids": people[:2]}]}
    report = {}
    merged = _tables(raw, cache, read_cache=True, report=report, overrides=overrides)
    assert report["documents_planned"] == full["documents"].height
    expected = _tables(raw, tmp_path / "full-merged", read_cache=False, overrides=overrides)
    assert merged["people"].height == full["people"].height - 1
    for name in schemas.TABLES:
        assert merged[name].equals(expected[name]), ("merge", name)


def test_a_file_rewritten_between_ingest_and_parse_never_files_its_parse_under_the_old_hash(tmp_path):
    """A sync still writing while a build starts: ingest hashes version A, then the file becomes B
    before the parse reads it. The parse of B must not be cached as A's, or A, once restored, would
    be served B's parse by every later build."""
    version_a = (RAW / SEEDS["sicw"]).read_text(encoding="utf-8")
    version_b = (RAW / SEEDS["igf"]).read_text(encoding="utf-8")  # another session altogether
    raw = tmp_path / "raw"
    raw.mkdir()
    target = raw / "page.md"
    target.write_text(version_a, encoding="utf-8")
    cache = tmp_path / "cache"
    ingested = read_raw_documents(raw, cache_dir=cache)
    target.write_text(version_b, encoding="utf-8")  # rewritten after ingest hashed it
    parse_raw_documents(ingested, cache_dir=str(cache), workers=1)
    target.write_text(version_a, encoding="utf-8")  # the sync settles back on A
    again = read_raw_documents(raw, cache_dir=cache)
    assert again["sha256"].to_list() == ingested["sha256"].to_list()
    (document_id,) = again["document_id"].to_list()
    cached = parse_raw_documents(again, cache_dir=str(cache), workers=1)[document_id].document
    fresh = parse_raw_documents(read_raw_documents(raw), workers=1)[document_id].document
    assert [s.title for s in cached.sessions] == [s.title for s in fresh.sessions]
    assert [s.title for s in cached.sessions] == ["Solidarity in Cyberspace: How To Assist Countries in Need"]
