"""The session store on disk: frames written uncompressed and read back as memory maps, only the
changed buckets written, and plan frames that did not change linked into the new plan rather than
written again; whatever is read or kept, an incremental build equals a build from nothing."""
from __future__ import annotations

import datetime as dt
import random
import shutil

import polars as pl
import pytest

import schemas
from devtools.generate import generate_corpus
from pipeline.incremental import assembly_cache
from pipeline.files import read_mapped_frame as read_stored_frame
from pipeline.transform.assembly.store import BUCKETS, merge_stored, session_bucket, split_by_bucket
from pipeline.transform.plan import replace_rows
from tests.test_incremental import _tables


def _variety(rows: int, seed: int) -> pl.DataFrame:
    """A frame with every kind of column the store holds (nulls included), sorted by session."""
    rng = random.Random(seed)
    sessions = sorted(f"ses_{rng.choice(BUCKETS)}{rng.randrange(10**6):06d}" for _ in range(rows))
    return pl.DataFrame({
        "session_id": sessions,
        "n": [rng.randrange(100) if rng.random() > 0.2 else None for _ in range(rows)],
        "flag": [rng.random() > 0.5 for _ in range(rows)],
        "date": [dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(900)) for _ in range(rows)],
        "start": [dt.time(rng.randrange(24), rng.randrange(60)) if rng.random() > 0.3 else None for _ in range(rows)],
        "tags": [[f"t{rng.randrange(9)}" for _ in range(rng.randrange(4))] for _ in range(rows)],
        "text": ["x" * rng.randrange(40) + "é" for _ in range(rows)],
    }, schema_overrides={"start": pl.Time})


@pytest.mark.parametrize("compression", ["uncompressed", "lz4"])
def test_a_stored_frame_reads_back_as_it_was_written(tmp_path, compression):
    for seed, rows in [(1, 0), (2, 1), (3, 500)]:
        df = _variety(rows, seed)
        path = tmp_path / f"{seed}.arrow"
        df.write_ipc(path, compression=compression)
        back = read_stored_frame(path)
        assert back.schema == df.schema and back.equals(df)
    # several chunks in, as many record batches out: still the same rows
    two = pl.concat([_variety(50, 4), _variety(70, 5)], rechunk=False)
    two.write_ipc(tmp_path / "two.arrow", compression=compression)
    assert read_stored_frame(tmp_path / "two.arrow").equals(two)


def test_a_damaged_stored_frame_raises_what_the_load_guards_against(tmp_path):
    good = tmp_path / "good.arrow"
    _variety(300, 6).write_ipc(good, compression="uncompressed")
    damaged = {"garbage": b"not an arrow file", "truncated": good.read_bytes()[:-200],
               "headless": good.read_bytes()[100:], "empty": b""}
    for name, data in damaged.items():
        (tmp_path / f"{name}.arrow").write_bytes(data)
        with pytest.raises((OSError, ValueError)):
            read_stored_frame(tmp_path / f"{name}.arrow")
    with pytest.raises(OSError):
        read_stored_frame(tmp_path / "missing.arrow")


def test_split_by_bucket_of_some_buckets_gives_their_rows_in_order():
    rng = random.Random(8)
    for seed in range(6):
        df = _variety(400, seed)
        shuffled = df.sample(fraction=1.0, shuffle=True, seed=seed)
        for frame in (df, shuffled):
            for only in ({"3"}, {"0", "f"}, set(rng.sample(BUCKETS, 5)), None):
                split = split_by_bucket(frame, only)
                for bucket in only or BUCKETS:
                    expected = frame.filter(session_bucket() == bucket)
                    assert split.get(bucket, frame.clear()).equals(expected), (seed, bucket)


def test_merging_into_stored_frames_or_lazy_ones_gives_the_same_table():
    stored = _variety(600, 9).with_columns(person_id=pl.lit("p"), name=pl.col("text"), count=pl.col("n").fill_null(0))
    stored = stored.select("session_id", "person_id", "name", "count").sort("session_id", "person_id", "name")
    buckets = split_by_bucket(stored)
    dropped = stored["session_id"].gather([5, 300]).to_list()
    fresh_rows = stored.filter(pl.col("session_id").is_in(pl.Series(dropped).implode())).with_columns(name=pl.lit("new"))

    def merged(frames):
        fresh = {b: [part] for b, part in split_by_bucket(fresh_rows).items()}
        return merge_stored("_names", fresh, frames, dropped, {d[4:5] for d in dropped})

    eager, lazy = merged(buckets), merged({b: f.lazy() for b, f in buckets.items()})
    expected = pl.concat([stored.filter(~pl.col("session_id").is_in(pl.Series(dropped).implode())), fresh_rows]).sort(
        "session_id", "person_id", "name", maintain_order=True)
    assert eager.equals(expected) and lazy.equals(expected)
    # the unchanged buckets are the table's chunks as they were stored, not a copy of them
    assert eager.n_chunks() == len(buckets)


def test_replace_rows_keeps_the_very_frame_when_nothing_it_replaces_changed():
    rng = random.Random(10)
    old = pl.DataFrame({"key": [f"k{i % 40:02d}" for i in range(200)], "seq": [i // 40 for i in range(200)],
                        "value": [rng.randrange(5) for _ in range(200)]}).sort("key", "seq")
    for trial in range(20):
        keys = pl.Series(sorted(rng.sample(old["key"].unique().to_list(), rng.randrange(1, 6))), dtype=pl.String)
        replaced = pl.col("key").is_in(keys.implode())
        new = old.filter(replaced).sample(fraction=1.0, shuffle=True, seed=trial)  # same rows, any order
        if trial % 2:  # a value changed, a row gone, a row added
            new = new.with_columns(value=pl.when(pl.col("seq") == 0).then(9).otherwise("value")).slice(1)
            new = pl.concat([new, pl.DataFrame({"key": [keys[0]], "seq": [99], "value": [1]})])
        result = replace_rows(old, replaced, new, ["key", "seq"])
        expected = pl.concat([old.filter(~replaced), new]).sort("key", "seq")
        assert result.equals(expected)
        assert (result is old) == (trial % 2 == 0)


def _plan_file(cache, name: str):
    return assembly_cache._assembly_dir(cache) / "plan" / f"{name}.arrow"


def test_a_plan_frame_that_did_not_change_is_linked_and_the_build_still_equals_a_full_one(tmp_path):
    raw = tmp_path / "raw"
    truth = generate_corpus(60, raw, seed=3)
    cache = tmp_path / "cache"
    _tables(raw, cache, read_cache=True)
    files = sorted(p for p in raw.rglob("*.txt"))
    names = sorted({v for variants in truth["people"].values() for v in variants})
    # first a line added at the end (the document changes, its names do not), then a name swapped
    page = files[7]
    named = next(p for p in files if sum(n in p.read_text(encoding="utf-8") for n in names) >= 2)
    for step, (path, edit) in enumerate([(page, lambda t: t + "\nRevised.\n"),
                                         (named, lambda t: t.replace(next(n for n in names if n in t), "Zed Quorum"))]):
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        before = {n: (_plan_file(cache, n).stat().st_ino, read_stored_frame(_plan_file(cache, n)))
                  for n in ("participations", "documents")}
        report: dict = {}
        incremental = _tables(raw, cache, read_cache=True, report=report)
        assert report["documents_planned"] == 1
        for name, (inode, frame) in before.items():
            same = read_stored_frame(_plan_file(cache, name)).equals(frame)
            assert same == (name == "participations" and step == 0), (step, name)
            assert (_plan_file(cache, name).stat().st_ino == inode) == same, (step, name)  # linked iff unchanged
        full = _tables(raw, tmp_path / f"full{step}", read_cache=False)
        assert read_stored_frame(_plan_file(cache, "participations")).equals(
            read_stored_frame(_plan_file(tmp_path / f"full{step}", "participations")))
        for name in schemas.TABLES:
            assert incremental[name].equals(full[name]), (step, name)


def test_a_kept_plan_frame_whose_file_is_gone_is_written(tmp_path):
    folder = tmp_path / "plan"
    folder.mkdir()
    frames = {"documents": _variety(30, 11), "notes": _variety(5, 12)}
    assembly_cache._save_plan(folder, frames, "k")
    (folder / "notes.arrow").unlink()
    assembly_cache._save_plan(folder, frames, "k", kept=frozenset({"documents", "notes"}))
    plan, key = assembly_cache._load_plan(folder)
    assert key == "k" and all(plan[n].equals(frames[n]) for n in frames)


def test_a_store_is_read_back_whole_and_a_build_without_changes_equals_a_full_one(tmp_path):
    raw = tmp_path / "raw"
    generate_corpus(40, raw, seed=4)
    cache = tmp_path / "cache"
    first = _tables(raw, cache, read_cache=True)
    folder = assembly_cache._assembly_dir(cache)
    assert all(p.read_bytes()[:6] == b"ARROW1" for p in folder.rglob("*.arrow"))
    report: dict = {}
    again = _tables(raw, cache, read_cache=True, report=report)
    assert report["sessions_built"] == 0 and report["documents_planned"] == 0
    for name in schemas.TABLES:
        assert again[name].equals(first[name]), name
    shutil.rmtree(folder / "bucket-0", ignore_errors=True)  # a bucket lost: its sessions built again
    (folder / "plan" / "documents.arrow").write_bytes(b"damaged")  # the plan unreadable: planned in full
    report = {}
    third = _tables(raw, cache, read_cache=True, report=report)
    assert report["documents_planned"] == first["documents"].height
    for name in schemas.TABLES:
        assert third[name].equals(first[name]), name
