"""Assembly keeps the session tables' rows in files, not in the building process's heap: the frames
it hands back read those files through memory maps, the store links the merged files instead of
writing them again, and the tables are those an assembly in memory gives."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from devtools.generate import generate_corpus
from pipeline.incremental.assembly_cache import RowFiles, _assembly_dir, build_tables
from pipeline.incremental.ingest_cache import read_raw_documents
from pipeline.incremental.parse_cache import parse_raw_documents
from pipeline.stages import deduplicate


def _status_mb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def _mapped_files() -> dict[int, str]:
    """inode -> path of every file this process maps (Linux /proc/self/maps)."""
    mapped = {}
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[4] != "0":
            mapped[int(fields[4])] = fields[5]
    return mapped


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory maps (Linux)")
def test_tables_are_read_from_the_files_the_store_links_and_equal_an_assembly_in_memory(tmp_path):
    generate_corpus(120, tmp_path / "raw", seed=4)
    cache = tmp_path / "cache"
    raw = read_raw_documents(tmp_path / "raw", cache_dir=cache)
    parsed = parse_raw_documents(raw, cache_dir=str(cache))
    duplicates, canonical = deduplicate(parsed)
    kept = build_tables(raw, parsed, duplicates, canonical, cache_dir=str(cache), read_cache=False)
    in_memory = build_tables(raw, parsed, duplicates, canonical)

    assert set(kept) == set(in_memory)
    for name, frame in kept.items():
        assert frame.schema == in_memory[name].schema, name
        assert frame.equals(in_memory[name]), name
    assert kept["utterances"].height > 100 and kept["sessions"].height > 50

    store = _assembly_dir(cache)
    assert not list(store.glob(".rows-*"))  # the row files' names are gone with the build ...
    mapped = _mapped_files()
    rows_folder = f"/.rows-{os.getpid()}/"
    # ... and the session tables are read through maps of them: each stored bucket of the sessions and
    # utterances is one of those very files, linked into the store, not written a second time
    for name in ("sessions", "utterances", "participants"):
        stored = sorted(store.glob(f"bucket-*/{name}.arrow"))
        with_rows = [p for p in stored if pl.read_ipc(p).height]
        assert with_rows, name
        for path in with_rows:
            inode = path.stat().st_ino
            assert inode in mapped and rows_folder in mapped[inode], (name, path)
    # a table not ordered by session (arguments) is one merged file, split by bucket for the store
    assert any(rows_folder + "arguments-all.arrow" in path for path in mapped.values())


def test_held_rows_read_back_as_they_were_written_and_their_files_go(tmp_path):
    frame = pl.DataFrame({"session_id": ["ses_0a", "ses_1b", None], "seq": [1, 2, 3],
                          "names": [["a", "b"], [], None], "day": [dt.date(2024, 5, 1), None, dt.date(2023, 1, 2)]},
                         schema={"session_id": pl.String, "seq": pl.Int32, "names": pl.List(pl.String), "day": pl.Date})
    rows = RowFiles(tmp_path / "assembly" / ".rows-1")
    batch = rows.hold(frame)
    merged = rows.hold(frame.head(2), "utterances", "0")
    whole = rows.hold(frame, "arguments")
    assert batch.equals(frame) and batch.schema == frame.schema
    assert merged.equals(frame.head(2)) and whole.equals(frame)
    # a batch's file loses its name at once; a merged bucket's stays for the store to link, until close
    assert sorted(p.name for p in rows.folder.iterdir()) == ["arguments-all.arrow", "utterances-0.arrow"]
    assert rows.merged == {("utterances", "0"): rows.folder / "utterances-0.arrow",
                           ("arguments", None): rows.folder / "arguments-all.arrow"}
    rows.close()
    assert not rows.folder.exists() and rows.merged == {}
    # the frames still read: a mapped file stays readable once its name is gone
    assert batch.equals(frame) and merged["seq"].to_list() == [1, 2] and whole["names"].to_list()[0] == ["a", "b"]


def test_row_files_of_a_killed_build_are_removed_and_a_live_ones_kept(tmp_path):
    folder = tmp_path / "assembly"
    dead = folder / ".rows-999999999"   # no such process
    live = folder / f".rows-{os.getppid()}"
    for path in (dead, live):
        path.mkdir(parents=True)
        (path / "batch-0.arrow").write_bytes(b"x")
    RowFiles(folder / f".rows-{os.getpid()}").close()
    assert not dead.exists() and live.exists()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_stage_meter_tells_the_processs_own_memory_from_mapped_file_pages(tmp_path):
    import mmap
    import time

    from pipeline.defs.resources import StageMeter

    size = 96 * 2**20
    path = tmp_path / "pages"
    with open(path, "wb") as handle:
        handle.truncate(size)
    meter = StageMeter()
    with open(path, "r+b") as handle, mmap.mmap(handle.fileno(), size) as pages:
        for offset in range(0, size, mmap.PAGESIZE):  # every page of the file resident, in this process
            pages[offset] = 1
        time.sleep(0.1)
        mapped = meter.stop()
        if _status_mb("RssShmem") >= 90:
            pytest.skip("the temporary folder is in memory (tmpfs): its files' pages are not file-backed")
    meter = StageMeter()
    held = bytearray(size)
    for offset in range(0, size, mmap.PAGESIZE):
        held[offset] = 1
    time.sleep(0.1)
    own = meter.stop()
    del held
    assert mapped["peak_rss_mb"] - mapped["peak_heap_mb"] >= 90          # the file's pages: resident, not own
    assert own["peak_heap_mb"] >= mapped["peak_heap_mb"] + 90            # the bytearray: own memory
    assert set(own) == {"seconds", "peak_rss_mb", "peak_heap_mb"}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory maps (Linux)")
def test_a_mapped_frame_reads_a_file_whose_name_is_gone_and_falls_back_to_the_frame(tmp_path):
    from pipeline.files import mapped_frame

    frame = pl.DataFrame({"id": ["a", "b"], "words": [["x"], []], "n": [1, None]})
    mapped = mapped_frame(frame, tmp_path / "frames")
    assert mapped.equals(frame) and mapped.schema == frame.schema and mapped is not frame
    assert list((tmp_path / "frames").iterdir()) == []  # its file's name went at once ...
    assert any(str(tmp_path / "frames" / ".frame-") in path for path in _mapped_files().values())  # ... mapped still
    (tmp_path / "a file").write_text("x")
    assert mapped_frame(frame, tmp_path / "a file") is frame  # no folder there: the frame itself


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the process's memory maps (Linux)")
def test_the_stages_rows_per_document_and_the_plan_are_kept_in_mapped_files(tmp_path):
    from pipeline.transform.assembly import DatasetBuilder

    generate_corpus(60, tmp_path / "raw", seed=5)
    cache = tmp_path / "cache"
    before = set(_mapped_files())
    raw = read_raw_documents(tmp_path / "raw", cache_dir=cache)
    parsed = parse_raw_documents(raw, cache_dir=str(cache))
    frames = [path for inode, path in _mapped_files().items() if inode not in before and "/.frame-" in path]
    assert len(frames) == 2 and all(path.startswith(str(cache)) for path in frames), frames  # raw rows, parses
    assert raw.equals(read_raw_documents(tmp_path / "raw")) and 50 < parsed.frame.height <= raw.height
    duplicates, canonical = deduplicate(parsed)
    rows = RowFiles(tmp_path / "rows")
    builder = DatasetBuilder(raw, parsed, duplicates, canonical, rows=rows)
    plan = builder._plan(None)
    mapped = {path for path in _mapped_files().values() if str(rows.folder) in path}
    # the plan's frames, its contributions and people, the described documents: files of the row folder
    assert len(mapped) >= 6 and plan.people.height and plan.frames["participations"].height
    in_memory = DatasetBuilder(raw, parsed, duplicates, canonical)._plan(None)
    assert plan.to_build.equals(in_memory.to_build) and plan.people.equals(in_memory.people)
    assert all(plan.frames[name].equals(in_memory.frames[name]) for name in plan.frames)
    rows.close()
