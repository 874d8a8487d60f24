"""Raw files are announced to the kernel ahead of reading them; reading itself is unchanged."""
import os

import pytest

from pipeline import ingest
from pipeline.ingest import RawFile, announce_reads, hash_shard, ingest_shard, read_ahead


@pytest.mark.parametrize("count", [0, 1, 5, 63, 64, 65, 128, 129, 200])
@pytest.mark.parametrize("ahead", [1, 3, 64])
def test_every_item_in_order_and_each_location_announced_once_before_it_is_read(monkeypatch, count, ahead):
    announced: list[str] = []
    seen_before_read: list[bool] = []
    monkeypatch.setattr(ingest, "announce_reads", lambda locations: announced.extend(locations))
    items = [f"/raw/{i}.txt" for i in range(count)]
    out = []
    for item in read_ahead(items, ahead=ahead):
        seen_before_read.append(item in announced)
        out.append(item)
    assert out == items
    assert announced == items  # once each, in order
    assert all(seen_before_read)


def test_location_is_taken_from_each_item(monkeypatch):
    announced = []
    monkeypatch.setattr(ingest, "announce_reads", lambda locations: announced.extend(locations))
    raws = [RawFile(f"{i}.txt", f"/raw/{i}.txt") for i in range(3)] + [RawFile("gone", None)]
    assert list(read_ahead(raws, lambda raw: raw.location)) == raws
    assert announced == ["/raw/0.txt", "/raw/1.txt", "/raw/2.txt", None]


def test_announcing_skips_what_it_cannot_open_and_never_blocks(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opened without O_NONBLOCK this would wait for a writer
    (tmp_path / "a.txt").write_text("hello")
    announce_reads([None, "s3://bucket/a.txt", str(tmp_path / "missing.txt"), str(fifo), str(tmp_path / "a.txt"),
                    str(tmp_path)])


def test_shards_read_the_same_with_and_without_announcing(tmp_path, monkeypatch):
    for i in range(150):
        (tmp_path / f"{i:03}.md").write_text(f"# Session {i}\n\nDate: 2024-0{1 + i % 9}-1{i % 10}\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    raws = [RawFile(p.name, str(p)) for p in sorted(tmp_path.iterdir())] + [RawFile("vanished.txt", str(tmp_path / "x"))]
    announced_rows, announced_hashes = ingest_shard(raws), hash_shard([r.location for r in raws])
    monkeypatch.setattr(ingest, "_ANNOUNCE", None)  # a system without posix_fadvise
    assert ingest_shard(raws).equals(announced_rows)
    assert hash_shard([r.location for r in raws]) == announced_hashes
    assert announced_rows.height == len(raws) == 152
    assert announced_hashes[-1] is None and announced_rows["problems"][-1][0].startswith("not readable")
