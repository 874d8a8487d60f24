"""The parse store's cheaper layout and reads: shard objects in small lz4 row groups, read by key range.

Loaded parses must equal the parses stored, whichever row groups a batch's keys fall in, and objects
written in the former layout (256-row zstd groups) must read the same."""
from __future__ import annotations

import pickle

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline.incremental import parse_cache as pc
from pipeline.model.records import ParsedDocument, SessionRecord, Participant


def _document(i: int) -> ParsedDocument:
    return ParsedDocument(format="igf_proposal", title=f"Title {i}", url=f"https://x/{i}",
                          sessions=[SessionRecord(title=f"Session {i}", participants=[Participant(f"Ann Lee {i}")])],
                          problems=[] if i % 3 else ["partial"], notes=[f"note {i}"])


def _shard_frame(n: int) -> tuple[pl.DataFrame, dict[str, ParsedDocument]]:
    documents = {f"{i:04x}" + "ab" * 30: _document(i) for i in range(n)}
    keys = sorted(documents)
    frame = pl.DataFrame({
        "key": keys, "exact_key": [f"e{k}" for k in keys], "bands": [[i] for i in range(n)], "signature": [[i, i + 1] for i in range(n)],
        "session_keys": [[["a", "b"]] for _ in keys], "format": ["igf_proposal"] * n, "title": [f"t{k}" for k in keys],
        "url": [None] * n, "problems": [0] * n, "sessions": [1] * n,
        "summary": [pickle.dumps(k) for k in keys],
        "document": [pickle.dumps(documents[k], protocol=pickle.HIGHEST_PROTOCOL) for k in keys]},
        schema=pc.SHARD_COLUMNS)
    return frame, documents


@pytest.fixture
def stored(tmp_path):
    frame, documents = _shard_frame(100)
    pc._write_shard(pc.shard_object(str(tmp_path), "ab"), frame)
    return str(tmp_path), frame, documents


def test_shard_objects_are_small_lz4_row_groups(stored):
    cache_dir, frame, _ = stored
    meta = pq.ParquetFile(pc.shard_object(cache_dir, "ab")).metadata
    assert meta.num_rows == 100
    assert meta.num_row_groups == 7                         # 16 rows each, the last 4
    assert [meta.row_group(g).num_rows for g in range(7)] == [16] * 6 + [4]
    assert meta.row_group(0).column(0).compression == "LZ4"
    key_stats = meta.row_group(1).column(0).statistics
    assert (key_stats.min, key_stats.max) == (frame["key"][16], frame["key"][31])


@pytest.mark.parametrize("picked", [[0], [99], [5, 17, 63], [15, 16], list(range(0, 100, 7)), list(range(100))])
def test_kept_parses_load_the_stored_parses(stored, picked):
    cache_dir, frame, documents = stored
    keys = frame["key"].to_list()
    wanted = {f"doc{i}": ("ab", keys[i]) for i in picked} | {"copy": ("ab", keys[picked[0]])}  # a copy: same key
    loaded = pc.KeptParses(cache_dir, wanted).load()
    assert set(loaded) == set(wanted)
    for document_id, (_, key) in wanted.items():
        assert loaded[document_id] == documents[key]
    assert loaded["copy"] == documents[keys[picked[0]]]


def test_only_the_row_groups_holding_a_wanted_key_are_read(stored):
    cache_dir, frame, _ = stored
    keys = frame["key"].to_list()
    meta = pq.ParquetFile(pc.shard_object(cache_dir, "ab")).metadata
    assert pc._wanted_groups(meta, 0, sorted([keys[3], keys[40]])) == [0, 2]
    assert pc._wanted_groups(meta, 0, [keys[99]]) == [6]
    assert pc._wanted_groups(meta, 0, ["0000" + "ab" * 29 + "aa"]) == []   # before every group
    assert pc._wanted_groups(meta, 0, [keys[15] + "0"]) == []              # between two groups: none read
    assert pc._read_blobs(pc.shard_object(cache_dir, "ab"), "document", [keys[15] + "0"]) == []


def test_read_object_with_keys_is_the_filtered_frame(stored):
    cache_dir, frame, _ = stored
    keys = frame["key"].to_list()
    picked = [keys[i] for i in (1, 2, 30, 77, 99)]
    got = pc._read_object(pc.shard_object(cache_dir, "ab"), list(pc.SHARD_COLUMNS), list(reversed(picked)))
    assert got.cast(pc.SHARD_COLUMNS).equals(frame.filter(pl.col("key").is_in(picked)))
    whole = pc._read_object(pc.shard_object(cache_dir, "ab"), ["key", "summary"])
    assert whole.equals(frame.select("key", "summary"))


def test_objects_in_the_former_layout_read_the_same(tmp_path):
    """A cache written before this layout (256-row zstd groups) holds the same pickles: read as they are."""
    frame, documents = _shard_frame(300)
    (tmp_path / pc.SHARDS).mkdir()
    frame.write_parquet(pc.shard_object(str(tmp_path), "ab"), compression="zstd", row_group_size=256)
    assert pq.ParquetFile(pc.shard_object(str(tmp_path), "ab")).metadata.num_row_groups == 2
    keys = frame["key"].to_list()
    wanted = {f"doc{i}": ("ab", keys[i]) for i in (0, 255, 256, 299)}
    loaded = pc.KeptParses(str(tmp_path), wanted).load()
    assert {d: loaded[d] for d in wanted} == {d: documents[k] for d, (_, k) in wanted.items()}
    got = pc._read_object(pc.shard_object(str(tmp_path), "ab"), ["key", "document"], [keys[256]])
    assert got["key"].to_list() == [keys[256]] and pickle.loads(got["document"][0]) == documents[keys[256]]


def test_a_lost_object_or_key_says_build_again(stored, tmp_path):
    cache_dir, frame, _ = stored
    with pytest.raises(RuntimeError, match="lost .*build again with --full"):
        pc.KeptParses(cache_dir, {"d": ("cd", frame["key"][0])}).load()
    with pytest.raises(RuntimeError, match="lost .*build again with --full"):
        pc.KeptParses(cache_dir, {"d": ("ab", frame["key"][0] + "0")}).load()
    broken = pc.shard_object(cache_dir, "ef")
    with open(broken, "wb") as handle:
        handle.write(b"not parquet")
    with pytest.raises(RuntimeError, match="lost .*build again with --full"):
        pc.KeptParses(cache_dir, {"d": ("ef", frame["key"][0])}).load()


def test_parse_shard_writes_the_new_layout_and_copies_kept_parses(stored):
    """A shard run again copies its kept parses out of the objects holding them (read by key range)."""
    cache_dir, frame, documents = stored
    keys = frame["key"].to_list()
    rows = [{"document_id": f"d{i}", "path": "", "location": "", "sha256": "", "format": "igf_proposal",
             "parse_key": keys[i], "kept_in": "ab"} for i in (3, 50, 98)]
    result = pc.parse_shard(pc.ParseTask("00", pl.DataFrame(rows, schema=pc.TASK_COLUMNS), cache_dir))
    assert result.parsed == 0 and result.index["key"].to_list() == [keys[3], keys[50], keys[98]]
    meta = pq.ParquetFile(pc.shard_object(cache_dir, "00")).metadata
    assert meta.num_rows == 3 and meta.row_group(0).column(0).compression == "LZ4"
    loaded = pc.KeptParses(cache_dir, {f"d{i}": ("00", keys[i]) for i in (3, 50, 98)}).load()
    assert loaded == {f"d{i}": documents[keys[i]] for i in (3, 50, 98)}
