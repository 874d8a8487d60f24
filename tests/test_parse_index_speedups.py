"""The parse index's cheaper layout and the stage's fewer copies: an index file in a former layout
(Parquet: 256-row zstd groups, or 4096-row lz4 groups) reads the same and is written again as
uncompressed Arrow IPC; the shard tasks, the one-row-per-key index and the document frame are those
of the plain work."""
from __future__ import annotations

import os
import shutil

import polars as pl
import pytest

from pipeline.incremental import parse_cache as pc
from pipeline.incremental.ingest_cache import read_raw_documents
from tests.conftest import RAW, SEEDS


def _index_rows(keys: list[str], shard: str = "") -> pl.DataFrame:
    n = len(keys)
    return pl.DataFrame({"key": keys, "exact_key": [f"e{k}" for k in keys], "bands": [[i, i + 1] for i in range(n)],
                         "session_keys": [[["a", k]] for k in keys], "format": ["igf_proposal"] * n,
                         "title": [f"t{k}" for k in keys], "url": [None] * n, "problems": [0] * n, "sessions": [1] * n,
                         "shard": [shard] * n}, schema=pc.PARSE_COLUMNS)


def _is_arrow(path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(6) == b"ARROW1"


@pytest.mark.parametrize("former", [{"compression": "zstd", "row_group_size": 256},
                                    {"compression": "lz4", "row_group_size": 4096}])
def test_an_index_file_in_a_former_layout_reads_the_same_and_is_written_again(tmp_path, former):
    rows = _index_rows([f"{d}{i:03d}" for d in "3a" for i in range(300)])
    index = pc.ParseIndex(tmp_path)
    for digit in "3a":  # as the former code wrote them
        rows.filter(pl.col("key").str.starts_with(digit)).write_parquet(index._former_file(digit), **former)
    assert index.load_columns().equals(rows) and index.former == {"3", "a"}
    index.save(rows, {"3"})
    assert index.former == set()
    assert all(_is_arrow(index._columns_file(d)) for d in "3a")
    assert not any(os.path.exists(index._former_file(d)) for d in "3a")
    again = pc.ParseIndex(tmp_path)
    assert again.load_columns().equals(rows) and again.former == set()


def _seeds_parsed(tmp_path):
    """The seeds parsed once into a cache of their own: (documents, cache folder, the parse, its index)."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    cache = str(tmp_path / "parse")
    documents = read_raw_documents(raw, workers=1)
    first = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    return documents, cache, first, pc.ParseIndex(cache)


def test_a_build_with_nothing_to_parse_moves_the_index_to_the_new_layout(tmp_path):
    documents, cache, first, index = _seeds_parsed(tmp_path)
    digits = [d for d in "0123456789abcdef" if os.path.exists(index._columns_file(d))]
    assert digits and all(_is_arrow(index._columns_file(d)) for d in digits)
    for digit in digits:  # put back in the former layout
        pl.read_ipc(index._columns_file(digit)).write_parquet(index._former_file(digit), compression="zstd",
                                                              row_group_size=256)
        os.remove(index._columns_file(digit))
    again = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    assert again.shards_run == 0 and all(_is_arrow(index._columns_file(d)) for d in digits)
    assert not any(os.path.exists(index._former_file(d)) for d in digits)
    assert again.frame.drop("from_cache").equals(first.frame.drop("from_cache"))
    assert again.frame["from_cache"].all() and len(again) == len(SEEDS)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "offsets"])
def test_a_damaged_index_file_only_runs_its_shards_again(tmp_path, damage):
    documents, cache, first, index = _seeds_parsed(tmp_path)
    digit = next(d for d in "0123456789abcdef" if os.path.exists(index._columns_file(d)))
    path = index._columns_file(digit)
    # a copy: the index is a memory map of the file this test damages in place (a build only renames)
    before = pl.DataFrame(index.load_columns().sort("key").to_dict(as_series=False), schema=index.load_columns().schema)
    data = bytearray(open(path, "rb").read())
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = b"\xff\xfe\x00garbage" + data[:50]
    else:  # the footer intact, the buffers overwritten: offsets that point past their data
        data[len(data) // 3:len(data) // 3 + 64] = b"\xff" * 64
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    again = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    assert again.shards_run >= 1
    assert again.frame.drop("from_cache").equals(first.frame.drop("from_cache"))
    assert pc.ParseIndex(cache).load_columns().sort("key").equals(before)  # the damaged file made again
    third = pc.parse_raw_documents(documents, cache_dir=cache, workers=1)
    assert third.shards_run == 0 and third.frame.drop("from_cache").equals(first.frame.drop("from_cache"))


def _plain_shard_tasks(documents, known, digits, cache_dir):
    """_shard_tasks as it was: every document sorted before the stale shards are picked."""
    wanted = (documents.unique("parse_key", keep="first", maintain_order=True)
              .join(known.select(pl.col("key").alias("parse_key"), pl.col("shard").alias("kept_in")), on="parse_key", how="left")
              .with_columns(pl.col("parse_key").str.slice(0, digits).alias("_shard"))
              .sort("parse_key"))
    stale = wanted.filter(pl.col("kept_in").is_null() | (pl.col("kept_in") != pl.col("_shard")))["_shard"].unique()
    todo = wanted.filter(pl.col("_shard").is_in(stale.implode()))
    columns = ["document_id", "path", "location", "sha256", "format", "parse_key", "kept_in"]
    return [(shard[0], part.select(columns).to_dicts(), cache_dir)
            for shard, part in todo.partition_by("_shard", as_dict=True, maintain_order=True).items()]


def _plain(tasks: list) -> list[tuple]:
    """Tasks as (shard, a dict per document, cache folder)."""
    return [(task.shard, task.rows.to_dicts(), task.cache_dir) for task in tasks]


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
    assert got and _plain(got) == _plain_shard_tasks(documents, known, digits, "c")
    assert all(task.rows.schema == pc.TASK_COLUMNS for task in got)
    everything = _index_rows(keys).with_columns(pl.col("key").str.slice(0, digits).alias("shard"))
    assert pc._shard_tasks(documents, everything, digits, "c") == [] == _plain_shard_tasks(documents, everything, digits, "c")


def _plain_frame(documents, known, rewritten, used):
    """The document frame as the former code made it: the updated index filtered, then joined whole."""
    if rewritten is not None:
        shards = rewritten["shard"].unique().implode()
        stays = ~pl.col("shard").is_in(shards) & ~pl.col("key").is_in(rewritten["key"].implode()) & pl.col("key").is_in(used.implode())
        known = pl.concat([known.filter(stays), rewritten.filter(pl.col("key").is_in(used.implode()))])
    unique = known.unique("key", keep="last") if known["key"].is_duplicated().any() else known
    joined = documents.join(unique, left_on="parse_key", right_on="key", how="inner", maintain_order="left")
    return joined.drop(pc.FINGERPRINT_COLUMNS), known  # the fingerprints are read from the index files


@pytest.mark.parametrize("case", ["nothing run", "one shard run", "a key moved shard", "a damaged duplicate", "a key gone"])
def test_the_document_frame_and_the_index_written_are_those_of_the_plain_work(tmp_path, case):
    keys = [f"{a}{b}{i}" for a in "0f3" for b in "9c" for i in range(4)]
    known = _index_rows(keys).with_columns(pl.col("key").str.slice(0, 2).alias("shard"))
    rewritten = None
    if case != "nothing run":
        # the shard "0c" run again: one of its keys and a new key, and (moved) a key kept before in "f9"
        moved = ["f90"] if case == "a key moved shard" else []
        rewritten = _index_rows(["0c0", "0c9", *moved], shard="0c").with_columns(pl.lit("x").alias("title"))
    if case == "a damaged duplicate":
        known = pl.concat([known, _index_rows(["391"], shard="39").with_columns(pl.lit("dup").alias("title"))])
    used_keys = [k for k in keys + ["0c9"] if not (case == "a key gone" and k == "f31")]
    documents = pl.DataFrame({"document_id": [f"d{i:03d}" for i in range(len(used_keys))], "parse_key": used_keys[::-1]})
    index = pc.ParseIndex(tmp_path)
    index.save(known, set("0123456789abcdef"))
    written = {d: pc.ParseIndex(tmp_path)._load_digit(d) for d in "0123456789abcdef"}
    got = pc._with_index_columns(documents, index, known, rewritten)
    expected, updated = _plain_frame(documents, known, rewritten, documents["parse_key"])
    assert got.equals(expected)
    after = pc.ParseIndex(tmp_path).load_columns().sort("key")
    assert after.equals(updated.unique("key", keep="last").sort("key")) or rewritten is None
    if rewritten is None:
        assert after.equals(known.sort("key")) or case == "a damaged duplicate"
    else:  # only the files whose rows changed were written
        changed = {"0", "f"} | ({"3"} if case == "a damaged duplicate" else set())  # (its duplicate goes)
        unchanged = [d for d in "0123456789abcdef" if d not in changed and written[d] is not None]
        assert all(pc.ParseIndex(tmp_path)._load_digit(d).equals(written[d]) for d in unchanged)


def test_the_parsed_documents_order_their_frame_by_document():
    frame = pl.DataFrame({"document_id": ["d2", "d1", "d3"], "parse_key": ["b2", "a1", "c3"], "shard": ["", "", ""],
                          "from_cache": [True, False, True]})
    parsed = pc.ParsedDocuments(frame, pc.SummaryStore("unused", {}))
    assert parsed.frame.equals(frame.sort("document_id")) and list(parsed) == ["d1", "d2", "d3"]
    in_order = frame.sort("document_id")
    assert pc.ParsedDocuments(in_order, pc.SummaryStore("unused", {})).frame.equals(in_order)


def test_an_index_in_object_storage_reads_the_same_over_a_local_map_and_leaves_no_file(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(pc, "_scratch_cache", lambda: str(scratch))
    rows = _index_rows([f"{d}{i:03d}" for d in "05f" for i in range(200)])
    index = pc.ParseIndex("memory://index-in-storage/parse")
    index.save(rows, set("05f"))
    loaded = pc.ParseIndex("memory://index-in-storage/parse").load_columns()
    assert loaded.equals(rows) and loaded.height == 600
    # each digit's file was fetched into the scratch folder and mapped from there; its name is gone
    assert list(scratch.iterdir()) == []
    mapped = set(open("/proc/self/maps").read().split()) if os.path.exists("/proc/self/maps") else None
    if mapped is not None:
        assert any(".index-" in name and str(scratch) in name for name in mapped)


def test_a_damaged_index_object_reads_as_none_and_leaves_no_file(tmp_path, monkeypatch):
    from upath import UPath

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(pc, "_scratch_cache", lambda: str(scratch))
    index = pc.ParseIndex("memory://index-damaged/parse")
    index.save(_index_rows(["a001", "a002"]), {"a"})
    target = UPath(index._columns_file("a"))
    target.write_bytes(target.read_bytes()[:-40])
    assert index._load_digit("a") is None and list(scratch.iterdir()) == []
