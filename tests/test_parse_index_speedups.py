"""The parse index's cheaper layout and the stage's fewer copies: an index file in the former layout
(256-row zstd groups) reads the same and is written again in lz4; the shard tasks, the one-row-per-key
index and the document frame are those of the plain work."""
from __future__ import annotations

import shutil

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline.incremental import parse_cache as pc
from pipeline.incremental.ingest_cache import read_raw_documents
from tests.conftest import RAW, SEEDS


def _index_rows(keys: list[str], shard: str = "") -> pl.DataFrame:
    n = len(keys)
    return pl.DataFrame({"key": keys, "exact_key": [f"e{k}" for k in keys], "signature": [[i, i + 1] for i in range(n)],
                         "session_keys": [[["a", k]] for k in keys], "format": ["igf_proposal"] * n,
                         "title": [f"t{k}" for k in keys], "url": [None] * n, "problems": [0] * n, "sessions": [1] * n,
                         "shard": [shard] * n}, schema=pc.PARSE_COLUMNS)


def _compression(path) -> str:
    return pq.ParquetFile(path).metadata.row_group(0).column(0).compression


def test_an_index_file_in_the_former_layout_reads_the_same_and_is_written_again(tmp_path):
    rows = _index_rows([f"{d}{i:03d}" for d in "3a" for i in range(300)])
    index = pc.ParseIndex(tmp_path)
    for digit in "3a":  # as the former code wrote them
        rows.filter(pl.col("key").str.starts_with(digit)).write_parquet(index._columns_file(digit), compression="zstd",
                                                                          row_group_size=256)
    assert index.load_columns().equals(rows) and index.former == {"3", "a"}
    index.save(rows, {"3"})
    assert index.former == set()
    assert {_compression(index._columns_file(d)) for d in "3a"} == {"LZ4"}
    again = pc.ParseIndex(tmp_path)
    assert again.load_columns().equals(rows) and again.former == set()
    assert pq.ParquetFile(index._columns_file("3")).metadata.num_row_groups == 1


def test_a_build_with_nothing_to_parse_moves_the_index_to_the_new_layout(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    cache = str(tmp_path / "parse")
    documents = read_raw_documents(raw, workers=1)
    first = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    index = pc.ParseIndex(cache)
    files = [index._columns_file(d) for d in "0123456789abcdef" if (tmp_path / "parse" / f"columns-{d}.parquet").exists()]
    assert files and {_compression(f) for f in files} == {"LZ4"}
    for file in files:  # put back in the former layout
        pl.read_parquet(file).write_parquet(file, compression="zstd", row_group_size=256)
    again = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    assert again.shards_run == 0 and {_compression(f) for f in files} == {"LZ4"}
    assert again.frame.drop("from_cache").equals(first.frame.drop("from_cache"))
    assert again.frame["from_cache"].all() and len(again) == len(SEEDS)


def _plain_shard_tasks(documents, known, digits, cache_dir):
    """_shard_tasks as it was: every document sorted before the stale shards are picked."""
    wanted = (documents.unique("parse_key", keep="first", maintain_order=True)
              .join(known.select(pl.col("key").alias("parse_key"), pl.col("shard").alias("kept_in")), on="parse_key", how="left")
              .with_columns(pl.col("parse_key").str.slice(0, digits).alias("_shard"))
              .sort("parse_key"))
    stale = wanted.filter(pl.col("kept_in").is_null() | (pl.col("kept_in") != pl.col("_shard")))["_shard"].unique()
    todo = wanted.filter(pl.col("_shard").is_in(stale.implode()))
    columns = ["document_id", "path", "location", "sha256", "format", "parse_key", "kept_in"]
    return [pc.ParseTask(shard[0], part.select(columns).to_dicts(), cache_dir)
            for shard, part in todo.partition_by("_shard", as_dict=True, maintain_order=True).items()]


@pytest.mark.parametrize("digits", [1, 2])
def test_shard_tasks_are_those_of_the_plain_work(digits):
    keys = [f"{a}{b}{i}" for a in "0f3" for b in "9c" for i in range(4)]
    documents = pl.DataFrame({"document_id": [f"doc_{i:03d}" for i in range(len(keys) + 3)],
                              "parse_key": keys + keys[:3],   # three copies
                              "path": "p", "location": "l", "sha256": "s", "format": "f"})
    documents = documents.sample(fraction=1.0, shuffle=True, seed=3).sort("document_id")
    kept = keys[::2]                                    # half are kept, some in another shard than their own
    known = _index_rows(kept).with_columns(pl.col("key").str.slice(0, digits).alias("shard"))
    known = known.with_columns(pl.when(pl.col("key").str.starts_with("f")).then(pl.lit("f")).otherwise("shard").alias("shard"))
    got = pc._shard_tasks(documents, known, digits, "c")
    assert got and got == _plain_shard_tasks(documents, known, digits, "c")
    everything = _index_rows(keys).with_columns(pl.col("key").str.slice(0, digits).alias("shard"))
    assert pc._shard_tasks(documents, everything, digits, "c") == [] == _plain_shard_tasks(documents, everything, digits, "c")


def test_one_row_per_key_and_the_frame_in_document_order():
    rows = _index_rows(["a1", "b2", "c3"])
    assert pc._unique_keys(rows) is rows
    doubled = pl.concat([rows, _index_rows(["b2"], shard="new")])
    unique = pc._unique_keys(doubled).sort("key")
    assert unique.equals(doubled.unique("key", keep="last").sort("key")) and unique["shard"].to_list() == ["", "new", ""]
    frame = pl.DataFrame({"document_id": ["d2", "d1", "d3"], "parse_key": ["b2", "a1", "c3"], "shard": ["", "", ""],
                          "from_cache": [True, False, True]})
    parsed = pc.ParsedDocuments(frame, pc.SummaryStore("unused", {}))
    assert parsed.frame.equals(frame.sort("document_id")) and list(parsed) == ["d1", "d2", "d3"]
    in_order = frame.sort("document_id")
    assert pc.ParsedDocuments(in_order, pc.SummaryStore("unused", {})).frame.equals(in_order)
