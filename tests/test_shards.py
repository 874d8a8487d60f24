"""Worker results through pipeline.shards: big frames travel as files, and come back equal."""
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import polars as pl

from pipeline import shards


def _big_frame(seed: int) -> pl.DataFrame:
    n = 60_000
    return pl.DataFrame({"id": [f"s{seed}-{i:06d}" for i in range(n)], "n": list(range(seed, seed + n)),
                         "names": [["a", None, f"b{i % 7}"] if i % 3 else None for i in range(n)],
                         "day": pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 1), eager=True).extend_constant(None, n - 1)})


def batch_result(seed: int) -> dict:
    """What a session batch hands back: several frames, big and small, and plain values."""
    return {"big": _big_frame(seed), "small": pl.DataFrame({"x": [seed]}), "empty": _big_frame(seed).clear(), "seed": seed}


def _frame_files() -> set[str]:
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    import tempfile
    root = base or tempfile.gettempdir()
    return {name for name in os.listdir(root) if name.startswith("cyberdialogue-frames-")}


def test_results_from_a_pool_equal_results_made_here():
    before = _frame_files()
    pooled = list(shards.run_sharded(batch_result, [1, 2, 3, 4], workers=2))
    assert [s for s, _ in pooled] == [1, 2, 3, 4]
    for seed, result in pooled:
        here = batch_result(seed)
        assert result["seed"] == seed
        for name in ("big", "small", "empty"):
            assert result[name].schema == here[name].schema
            assert result[name].equals(here[name]), name
    assert _frame_files() == before  # the pool's folder went with it


def test_a_big_frame_goes_as_a_file_and_the_file_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "_frame_folder", str(tmp_path))
    frame = _big_frame(5)
    message = ForkingPickler.dumps(frame)
    assert len(message) < 1000  # a file name, not the rows
    assert len(list(tmp_path.iterdir())) == 1
    assert pickle.loads(message).equals(frame)
    assert list(tmp_path.iterdir()) == []


def test_small_frames_and_frames_without_a_folder_go_in_the_message(tmp_path, monkeypatch):
    small = pl.DataFrame({"x": [1, 2, 3]})
    monkeypatch.setattr(shards, "_frame_folder", str(tmp_path))
    assert pickle.loads(ForkingPickler.dumps(small)).equals(small)
    assert list(tmp_path.iterdir()) == []
    big = _big_frame(1)
    for folder in (None, str(tmp_path / "missing")):  # none set (this process), or one that cannot be written
        monkeypatch.setattr(shards, "_frame_folder", folder)
        message = ForkingPickler.dumps(big)
        assert len(message) > shards.FRAME_FILE_BYTES // 2
        assert pickle.loads(message).equals(big)
    assert list(tmp_path.iterdir()) == []
