"""A parse shard parses with the cycle collector out of the way, and gives it back."""
import gc

import polars as pl

from pipeline.incremental import parse_cache
from pipeline.incremental.parse_cache import SHARD_COLUMNS, TASK_COLUMNS, ParseTask, parse_shard


def test_the_collector_is_off_while_parsing_and_back_after(monkeypatch, tmp_path):
    seen = []

    def fake_rows(task):
        seen.append(gc.isenabled())
        return pl.DataFrame(schema=SHARD_COLUMNS)

    monkeypatch.setattr(parse_cache, "_parsed_rows", fake_rows)
    assert gc.isenabled()
    result = parse_shard(ParseTask("ab", pl.DataFrame(schema=TASK_COLUMNS), str(tmp_path)))
    assert seen == [False] and gc.isenabled()
    assert result.parsed == 0 and result.index.height == 0


def test_the_collector_comes_back_when_parsing_fails(monkeypatch, tmp_path):
    def failing(task):
        raise OSError("disk gone")

    monkeypatch.setattr(parse_cache, "_parsed_rows", failing)
    try:
        parse_shard(ParseTask("ab", pl.DataFrame(schema=TASK_COLUMNS), str(tmp_path)))
    except OSError:
        pass
    assert gc.isenabled()


def test_a_real_shard_parses_the_same_with_the_collector_on(tmp_path):
    doc = tmp_path / "a.md"
    doc.write_text("# Workshop on cyber norms\n\nDate: 12 May 2024\n\nModerator: Jane Doe (ACME)\n")
    from pipeline.ingest import RawFile, ingest_shard

    row = ingest_shard([RawFile("a.md", str(doc))]).row(0, named=True)
    task_row = {"document_id": "doc_1", "path": "a.md", "location": str(doc), "sha256": row["sha256"],
                "format": row["format"], "parse_key": f"{row['sha256']}-{row['format']}-1-x", "kept_in": None}
    first = parse_shard(ParseTask("", pl.DataFrame([task_row], schema=TASK_COLUMNS), str(tmp_path / "c1")))
    gc.disable()  # the plain form: whatever the collector's state, the same rows
    try:
        rows = parse_cache._parsed_rows(ParseTask("", pl.DataFrame([task_row], schema=TASK_COLUMNS), str(tmp_path / "c2")))
    finally:
        gc.enable()
    assert first.parsed == 1
    assert first.index["exact_key"].to_list() == rows["exact_key"].to_list()
    assert first.index["title"].to_list() == rows["title"].to_list() != [None]
