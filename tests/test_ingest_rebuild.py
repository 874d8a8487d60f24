"""The ingest caches' delta files: a re-build after a few changes adds their rows to a small delta file
instead of writing 100k rows again; a cached read still gives the rows of a plain read after each
change, whether the rows went to the delta or the whole file was written again, and a damaged or
stale delta only costs reading again."""
from __future__ import annotations

import os
import shutil
import time

import polars as pl
import pytest

from pipeline import ingest
from pipeline.incremental import ingest_cache
from tests.conftest import RAW, SEEDS


def _folder(tmp_path):
    raw = tmp_path / "raw"
    (raw / "b").mkdir(parents=True)
    for i, name in enumerate(SEEDS.values()):
        shutil.copy(RAW / name, raw / ("b" if i % 2 else "") / name)
    for i in range(80):  # enough files that one change stays within the delta's share
        (raw / f"copy_{i:02d}.txt").write_bytes((RAW / SEEDS["igf"]).read_bytes() + f"\nNote {i}.\n".encode())
    return raw


def _plain(raw) -> pl.DataFrame:
    return ingest.read_raw_documents(raw, workers=1)


def _files(cache):
    return sorted(p.name for p in cache.iterdir() if p.suffix == ".parquet")


def _edit(raw, name: str, text: bytes) -> None:
    path = raw / name
    path.write_bytes(path.read_bytes() + text)


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
@pytest.mark.parametrize("share", [ingest_cache.DELTA_SHARE, 0.0])   # 0: the whole files every time
def test_a_cached_read_gives_a_plain_read_after_each_change_with_or_without_the_delta(tmp_path, monkeypatch, share):
    monkeypatch.setattr(ingest_cache, "DELTA_SHARE", share)
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    hashed = []  # the files hashed or read whole
    real, real_read = ingest_cache.hash_files, ingest_cache.read_files
    monkeypatch.setattr(ingest_cache, "hash_files", lambda locations, *a: hashed.extend(locations) or real(locations, *a))
    monkeypatch.setattr(ingest_cache, "read_files",
                        lambda files, *a: hashed.extend(f.location for f in files if f.location) or real_read(files, *a))
    time.sleep(1.1)  # the files older than the racy second before hashing begins
    assert ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache).equals(_plain(raw))
    whole = {name: os.stat(cache / name).st_mtime_ns for name in _files(cache)}
    assert not any(".delta." in name for name in whole)
    steps = [("edit", "copy_03.txt"), ("edit", "copy_07.txt"), ("new", "copy_99.txt"), ("remove", "copy_11.txt"),
             ("edit", "copy_03.txt"), ("restore", "copy_03.txt")]
    original = (raw / "copy_03.txt").read_bytes()
    touched: set[str] = set()
    for step, name in steps:
        if step == "edit":
            _edit(raw, name, f"\nEdited at {step} {len(hashed)}.\n".encode())
        elif step == "new":
            (raw / name).write_bytes((RAW / SEEDS["concept"]).read_bytes() + b"\nNew.\n")
        elif step == "remove":
            (raw / name).unlink()
        else:
            (raw / name).write_bytes(original)
        hashed.clear()
        got = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
        assert got.equals(_plain(raw)), step
        touched.add(str(raw / name))
        # the changed file, and no other but one changed within the racy second
        assert set(hashed) <= touched and (step == "remove" or str(raw / name) in hashed), step
        deltas = [n for n in _files(cache) if ".delta." in n]
        if share:  # the whole files stay as they were, the changes are in the deltas
            assert deltas and all(os.stat(cache / n).st_mtime_ns == t for n, t in whole.items()), step
        else:
            assert deltas == [], step
    hashed.clear()
    assert ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache).equals(_plain(raw))
    assert set(hashed) <= touched  # nothing changed: only files recorded within the racy second are hashed


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_the_whole_files_are_written_again_once_the_delta_passes_its_share(tmp_path, monkeypatch):
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    time.sleep(1.1)
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    identities = ingest_cache._identities_file(cache)
    delta = ingest_cache._delta_file(identities)
    share = ingest_cache.DELTA_SHARE * ingest_cache.load_file_identities(cache).height
    edits = 0
    while edits == 0 or delta.exists():
        assert edits <= share + 1
        _edit(raw, f"copy_{edits:02d}.txt", b"\nAgain.\n")
        edits += 1
        ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
        if edits == 1:
            assert delta.exists() and pl.read_parquet(delta)["path"].to_list() == ["copy_00.txt"]
    assert edits > 1  # (the ingest cache's delta has its own share: its rows are not confirmed each build)
    assert ingest_cache.load_file_identities(cache).sort("path").drop("recorded_ns").equals(
        pl.read_parquet(identities).sort("path").drop("recorded_ns"))
    assert ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache).equals(_plain(raw))


def test_a_delta_row_replaces_the_whole_files_row_of_its_key(tmp_path):
    path = tmp_path / "cache.parquet"
    schema = {"path": pl.String, "n": pl.Int64}
    pl.DataFrame({"path": ["a", "b", "c"], "n": [1, 2, 3]}, schema=schema).write_parquet(path)
    assert ingest_cache._read_with_delta(path, schema, "path")[1].height == 0
    ingest_cache._write_delta(path, pl.DataFrame(schema=schema), pl.DataFrame({"path": ["b", "d"], "n": [20, 40]}), "path")
    rows, delta = ingest_cache._read_with_delta(path, schema, "path")
    assert dict(rows.iter_rows()) == {"a": 1, "b": 20, "c": 3, "d": 40} and rows.height == 4
    ingest_cache._write_delta(path, delta, pl.DataFrame({"path": ["d"], "n": [400]}), "path")
    assert dict(ingest_cache._read_with_delta(path, schema, "path")[0].iter_rows()) == {"a": 1, "b": 20, "c": 3, "d": 400}
    ingest_cache._write_whole(path, pl.DataFrame({"path": ["a"], "n": [7]}, schema=schema))
    assert not ingest_cache._delta_file(path).exists()
    assert dict(ingest_cache._read_with_delta(path, schema, "path")[0].iter_rows()) == {"a": 7}


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
@pytest.mark.parametrize("which", ["identities", "ingest"])
def test_a_damaged_delta_only_costs_reading_again(tmp_path, which):
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    time.sleep(1.1)
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    _edit(raw, "copy_05.txt", b"\nChanged.\n")
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    whole = ingest_cache._identities_file(cache) if which == "identities" else ingest_cache._ingest_file(cache)
    delta = ingest_cache._delta_file(whole)
    assert delta.exists()
    delta.write_bytes(b"\xff\xfe\x00garbage" + delta.read_bytes()[:40])
    assert ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache).equals(_plain(raw))
    assert ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache).equals(_plain(raw))


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_a_stale_delta_row_never_gives_an_old_hash(tmp_path):
    """A delta left over by a build killed while writing the whole file again holds a file's older
    identity and hash: its identity is not the file's now, so the file is hashed again."""
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    time.sleep(1.1)
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    identities = ingest_cache._identities_file(cache)
    old = pl.read_parquet(identities).filter(pl.col("path") == "copy_02.txt")
    _edit(raw, "copy_02.txt", b"\nRewritten.\n")
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    ingest_cache._write_delta(identities, pl.DataFrame(schema=ingest_cache.IDENTITY_SCHEMA), old, "path")
    got = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    assert got.equals(_plain(raw))
    assert got.filter(pl.col("path") == "copy_02.txt")["sha256"].item() != old["sha256"].item()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("copies", [0, 1, 5, 40])
def test_document_ids_numbered_over_the_copies_only_are_those_of_the_whole_frame(seed, copies):
    import random

    from pipeline.model.ids import document_id_column

    rng = random.Random(seed)
    keys = [f"{rng.getrandbits(64):016x}{'0' * 48}" for _ in range(60)]
    keys += [rng.choice(keys) for _ in range(copies)]   # some contents two, three, ... times
    rng.shuffle(keys)
    rows = pl.DataFrame({"content_key": keys}, schema={"content_key": pl.String})
    got = ingest._document_ids(rows)
    assert got.to_list() == rows.select(document_id_column("content_key"))["document_id"].to_list()
    assert got.name == "document_id" and got.is_duplicated().sum() == 0


def _reads(monkeypatch) -> list[str]:
    """The raw files read from now on (each call of pipeline.ingest.read_bytes, in this process)."""
    read, real = [], ingest.read_bytes
    monkeypatch.setattr(ingest, "read_bytes", lambda location: read.append(location) or real(location))
    return read


def test_a_few_edited_files_are_each_read_once_and_many_are_hashed_first(tmp_path, monkeypatch):
    """Hashing an edited file and then decoding its new content read it twice (two GETs of an object);
    a few edited files are read whole at once. Past a shard of them (a copied or touched folder, mostly
    known content) they are hashed first, and only new content is read again."""
    raw, cache = _folder(tmp_path), tmp_path / "cache"
    time.sleep(1.1)  # the files older than the racy second before hashing begins
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    _edit(raw, "copy_03.txt", b"\nEdited.\n")
    _edit(raw, "copy_04.txt", b"\nEdited too.\n")
    read = _reads(monkeypatch)
    got = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    assert sorted(read) == [str(raw / "copy_03.txt"), str(raw / "copy_04.txt")]
    assert got.equals(_plain(raw))

    # the same files again with a shard of one: hashed first; the edited one decoded (read again),
    # the one whose content is as before (a touch) not
    time.sleep(1.1)
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    _edit(raw, "copy_05.txt", b"\nEdited as well.\n")
    os.utime(raw / "copy_06.txt")
    read.clear()
    got = ingest_cache.read_raw_documents(raw, workers=1, shard_size=1, cache_dir=cache)
    # (a file edited within a second before a build's hashing began stays "racy", read each build)
    edited = {str(raw / f"copy_0{i}.txt") for i in (3, 4)}
    assert read.count(str(raw / "copy_05.txt")) == 2 and read.count(str(raw / "copy_06.txt")) == 1
    assert set(read) - edited == {str(raw / "copy_05.txt"), str(raw / "copy_06.txt")}
    assert got.equals(_plain(raw))
    # read whole, known content adds nothing to the ingest cache: no delta is written for a touch
    time.sleep(1.1)
    ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    delta = ingest_cache._delta_file(ingest_cache._ingest_file(cache))
    before = delta.read_bytes() if delta.exists() else None
    os.utime(raw / "copy_07.txt")
    read.clear()
    got = ingest_cache.read_raw_documents(raw, workers=1, cache_dir=cache)
    assert read.count(str(raw / "copy_07.txt")) == 1 and set(read) - edited - {str(raw / f"copy_0{i}.txt") for i in (5, 6)} == {str(raw / "copy_07.txt")}
    assert got.equals(_plain(raw))
    assert (delta.read_bytes() if delta.exists() else None) == before
