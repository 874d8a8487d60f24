"""The raw listing as columns, the copy-numbered ids and the columnar ingest cache give what the plain
work gives: every file with the identity os.stat reports, the ids of document_id_column, and the rows
of an uncached read, after edits a cached read must see."""
from __future__ import annotations

import os
import shutil
import time

import polars as pl
import pytest

from pipeline import ingest
from pipeline.incremental import ingest_cache
from pipeline.model.ids import document_id_column
from tests.conftest import RAW, SEEDS


def _folder(tmp_path):
    raw = tmp_path / "raw"
    (raw / "b" / "deep").mkdir(parents=True)
    for i, name in enumerate(SEEDS.values()):
        shutil.copy(RAW / name, raw / ("b/deep" if i % 2 else "") / name)
    (raw / "a_copy.txt").write_bytes((RAW / SEEDS["igf"]).read_bytes())   # an identical copy
    (raw / "big.txt").write_bytes(b"x" * 1_000_001)
    (raw / ".hidden").write_text("not a document")
    os.symlink(".", raw / "b" / "loop")
    os.symlink("gone.txt", raw / "dangling.txt")
    os.mkfifo(raw / "pipe.txt")
    return raw


def test_the_listing_holds_every_file_with_its_stat(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_BYTES", 1_000_000)
    raw = _folder(tmp_path)
    listing = ingest.list_raw(raw)
    readable = listing.readable
    assert readable.schema == pl.Schema(ingest.LISTED_SCHEMA)
    assert readable["path"].to_list() == sorted(readable["path"].to_list())
    for row in readable.iter_rows(named=True):
        info = os.stat(raw / row["path"])
        assert row["location"] == str(raw / row["path"])
        assert (row["inode"], row["size"], row["mtime_ns"], row["ctime_ns"]) == (
            info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    assert {f.path: f.problems[0].split(":")[0] for f in listing.unreadable} == {
        "big.txt": "file too large", "b/loop": "symlink loop", "dangling.txt": "not readable",
        "pipe.txt": "not a regular file (named pipe); not read"}
    files = ingest.list_raw_files(raw)
    assert [f.path for f in files] == sorted(readable["path"].to_list() + [f.path for f in listing.unreadable])
    by_path = {f.path: f for f in files}
    assert all(f.identity is None and f.location is None for f in listing.unreadable)
    assert all(by_path[p].identity == tuple(r) for p, *r in readable.select("path", *ingest.IDENTITY_COLUMNS).rows())


@pytest.mark.parametrize("keys", [
    ["k1", "k2", "k3"],                                     # no copies
    ["k1", "k2", "k1", "k3", "k1", "k2"],                   # copies interleaved
    ["k1"] * 12 + ["k2"],                                   # copy 10 and on: '-10' sorts before '-2'
    ["k2", "k1", "k1", "k2", "k2", "k3", "k4", "k4"],
    [],
])
def test_document_ids_number_each_copy_in_frame_order(keys):
    frame = pl.DataFrame({"content_key": [f"{k}{'0' * 20}" for k in keys]}, schema={"content_key": pl.String})
    seen: dict[str, int] = {}
    expected = []
    for key in frame["content_key"].to_list():  # the rule, one row at a time
        seen[key] = seen.get(key, 0) + 1
        expected.append(f"doc_{key[:16]}" + (f"-{seen[key]}" if seen[key] > 1 else ""))
    assert frame.select(document_id_column())["document_id"].to_list() == expected


def _plain(raw) -> pl.DataFrame:
    return ingest.read_raw_documents(raw, workers=1)


def test_a_cached_read_gives_the_rows_of_a_plain_read_after_each_change(tmp_path, monkeypatch):
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    hashed = []  # the files hashed or read whole
    real = ingest_cache.hash_files
    monkeypatch.setattr(ingest_cache, "hash_files", lambda locations, *a: hashed.extend(locations) or real(locations, *a))
    real_read = ingest_cache.read_files  # a few changed files are read whole instead of hashed first
    monkeypatch.setattr(ingest_cache, "read_files",
                        lambda files, *a: hashed.extend(f.location for f in files if f.location) or real_read(files, *a))
    time.sleep(1.1)  # the files older than the racy second before hashing begins
    first = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    assert first.equals(_plain(raw))
    hashed.clear()  # (the first read read every file whole)
    again = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)  # all from the cache, nothing read
    assert again.equals(first) and hashed == []
    page = raw / SEEDS["sicw"]
    before = os.stat(page)
    page.write_bytes(page.read_bytes().replace(b"a", b"e", 1))           # same size, mtime set back
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    (raw / "new.txt").write_bytes((RAW / SEEDS["concept"]).read_bytes() + b"\nMore.\n")
    (raw / "a_copy.txt").unlink()
    edited = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    assert edited.equals(_plain(raw))
    assert sorted(hashed) == sorted([str(raw / "new.txt"), str(page)])  # the edited page: its change time
    assert edited.filter(pl.col("path") == SEEDS["sicw"])["sha256"].item() != \
        first.filter(pl.col("path") == SEEDS["sicw"])["sha256"].item()


def test_recorded_hashes_are_known_hashes(tmp_path):
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    identities = ingest_cache.load_file_identities(cache)
    files = ingest.list_raw_files(raw)
    listing = ingest_cache.listed_identities(ingest.list_raw(raw).readable)
    assert listing.equals(ingest_cache.identity_frame(files))
    recorded = ingest_cache.recorded_hashes(listing, identities)
    assert dict(recorded.iter_rows()) == ingest_cache.known_hashes(files, identities)


def test_format_counts_are_a_counter_of_the_formats():
    from collections import Counter

    from pipeline.defs.ingest import format_counts

    formats = ["igf_proposal", "unknown", "igf_proposal", "diplo_report", "unknown", "igf_proposal"]
    frame = pl.DataFrame({"format": formats})
    assert list(format_counts(frame).items()) == list(Counter(formats).items())
    assert format_counts(frame.clear()) == {}


@pytest.mark.parametrize("chunk", [ingest.LISTING_ROWS, 1, 2])   # the rows made into columns every `chunk` objects
def test_object_storage_is_listed_without_identities(monkeypatch, chunk):
    import fsspec

    monkeypatch.setattr(ingest, "LISTING_ROWS", chunk)
    memory = fsspec.filesystem("memory")
    for name in ("raw-listing/b/x.txt", "raw-listing/a.txt", "raw-listing/.hidden"):
        memory.pipe(f"/{name}", (RAW / SEEDS["concept"]).read_bytes())
    try:
        files = ingest.list_raw_files("memory://raw-listing")
        assert [(f.path, f.location, f.identity) for f in files] == [
            ("a.txt", "memory://raw-listing/a.txt", None), ("b/x.txt", "memory://raw-listing/b/x.txt", None)]
        assert ingest.list_raw("memory://raw-listing").readable.select(ingest.IDENTITY_COLUMNS).null_count().row(0) == (2,) * 4
    finally:
        memory.rm("/raw-listing", recursive=True)


def test_files_to_read_are_every_file_in_path_order_made_a_shard_at_a_time(tmp_path):
    listing = ingest.list_raw(_folder(tmp_path))
    assert listing.unreadable  # the dangling link, the loop, the pipe
    files = ingest.FilesToRead(listing.readable, listing.unreadable)
    whole = [(f.path, f.location, f.problems) for f in listing.files()]
    assert len(files) == len(whole) and [(f.path, f.location, f.problems) for f in files] == whole
    for size in (1, 2, 3, len(whole), len(whole) + 5):
        shards = list(files.shards(size))
        assert [len(s) for s in shards[:-1]] == [size] * (len(shards) - 1) and 0 < len(shards[-1]) <= size
        assert [(f.path, f.location, f.problems) for shard in shards for f in shard] == whole
    made = files.shards(2)
    assert [f.path for f in next(made)] == [p for p, _, _ in whole[:2]]  # a generator: one shard made when taken
    assert list(ingest.FilesToRead(listing.readable.clear()).shards(3)) == []


def test_reading_files_to_read_gives_the_rows_of_reading_their_raw_files_each_shard_held_as_it_comes(tmp_path):
    listing = ingest.list_raw(_folder(tmp_path))
    plain = ingest.read_files(listing.files(), workers=1, shard_size=2)
    held = []
    rows = ingest.read_files(ingest.FilesToRead(listing.readable, listing.unreadable), workers=1, shard_size=2,
                             hold=lambda frame: held.append(frame.height) or frame)
    assert rows.equals(plain) and rows.height == len(listing.files())
    assert held == [2] * (rows.height // 2) + ([rows.height % 2] if rows.height % 2 else [])
    assert ingest.read_files(ingest.FilesToRead(listing.readable.clear()), workers=1).is_empty()
