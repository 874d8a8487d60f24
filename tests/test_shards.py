"""Worker results through pipeline.shards: big frames travel as files, and come back equal."""
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import polars as pl
import pytest

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
    import tempfile
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("cyberdialogue-frames-")}


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


def _square(n: int) -> int:
    return n * n


def test_shards_made_as_they_are_submitted_are_drawn_a_window_ahead():
    drawn = []

    def made():
        for n in range(40):
            drawn.append(n)
            yield n

    results = shards.run_sharded(_square, made(), workers=2)
    assert next(results) == (0, 0)
    # the window, and the one submitted as the first result was taken
    assert len(drawn) == 2 * shards.TASKS_PER_WORKER + 1
    assert list(results) == [(n, n * n) for n in range(1, 40)]
    assert list(shards.run_sharded(_square, iter([3]), workers=2)) == [(3, 9)]
    assert list(shards.run_sharded(_square, iter([]), workers=2)) == []


def test_shards_out_when_the_pool_breaks_run_here_in_order(monkeypatch):
    from contextlib import AbstractContextManager
    from concurrent.futures.process import BrokenProcessPool

    class Broken(AbstractContextManager):
        """A pool whose workers never start: the first tasks fail when asked, the later ones at once."""
        def __init__(self, *args, **kwargs):
            pass

        def __exit__(self, *exc):
            return False

        def submit(self, function, shard):
            if shard >= 2:
                raise BrokenProcessPool("no worker")
            from concurrent.futures import Future
            future = Future()
            future.set_exception(BrokenProcessPool("no worker"))
            return future

    monkeypatch.setattr(shards, "ProcessPoolExecutor", Broken)
    assert list(shards.run_sharded(_square, iter(range(6)), workers=2)) == [(n, n * n) for n in range(6)]


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


def _pid_and_list(n: int, *, fill: str = "x") -> tuple[int, list[str]]:
    return os.getpid(), [fill] * n


def _fails(message: str):
    raise FileNotFoundError(message)


def test_work_run_alone_runs_in_another_process_and_says_its_memory_peak():
    (pid, items), peak = shards.run_alone(_pid_and_list, 3, fill="y")
    assert pid != os.getpid()
    assert items == ["y", "y", "y"]
    if os.path.exists("/proc/self/status"):
        assert peak is not None and peak > 1  # MB of a Python process of its own


def test_an_error_of_work_run_alone_reaches_the_caller_as_it_was_raised():
    import pytest

    with pytest.raises(FileNotFoundError, match="no complete build"):
        shards.run_alone(_fails, "no complete build in /x")


def test_work_run_alone_runs_here_when_no_process_can_start(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise BrokenProcessPool("cannot start")

    monkeypatch.setattr(shards, "ProcessPoolExecutor", NoPool)
    (pid, items), peak = shards.run_alone(_pid_and_list, 2)
    assert (pid, items, peak) == (os.getpid(), ["x", "x"], None)


@pytest.mark.parametrize("variable, value, ours, theirs", [
    # polars' jemalloc gives freed pages back at once
    ("_RJEM_MALLOC_CONF", "os.environ['_RJEM_MALLOC_CONF']", "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0",
     "dirty_decay_ms:5000"),
    # pyarrow takes the system allocator, which gives large blocks back
    ("ARROW_DEFAULT_MEMORY_POOL", "pyarrow.default_memory_pool().backend_name", "system", "mimalloc"),
])
def test_the_allocators_give_memory_back_unless_the_user_said_otherwise(variable, value, ours, theirs):
    import subprocess
    import sys

    code = f"import pipeline, os, pyarrow; print({value})"
    env = {k: v for k, v in os.environ.items() if k != variable}
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert got.strip() == ours
    kept = subprocess.run([sys.executable, "-c", code], env={**env, variable: theirs},
                          capture_output=True, text=True, check=True).stdout
    assert kept.strip() == theirs


@pytest.mark.parametrize("called, kept_mb", [(True, range(0, 8)), (False, range(30, 50))])
def test_the_driver_gives_large_blocks_back_to_the_system(called, kept_mb):
    """Blocks of 1 MB and more, freed, leave the process's own memory; without the setting glibc
    (here and in CI) keeps them once it has freed a larger block."""
    import subprocess
    import sys

    code = f"""
import numpy as np
from pipeline.memory import give_back_large_blocks, own_memory_bytes
if {called}:
    assert give_back_large_blocks()
big = np.ones((30 << 20) // 8)
del big  # glibc's default: blocks up to 30 MB now come from its heap, and stay there when freed
before = own_memory_bytes()
blocks = [np.ones((2 << 20) // 8) for _ in range(20)]  # 40 MB
del blocks
print((own_memory_bytes() - before) >> 20)
"""
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(kept) in kept_mb


def test_free_pages_freed_by_threads_go_back_when_asked():
    """Blocks under the large-block threshold freed among blocks still in use stay resident in their
    glibc arena until the allocator is asked to give back its free pages (give_back_free_pages), as
    the export does after each table."""
    import subprocess
    import sys

    code = """
import threading
from pipeline.memory import give_back_free_pages, own_memory_bytes
kept = []
def churn():
    blocks = [bytearray(64 << 10) for _ in range(1200)]  # 75 MB in blocks under the 1 MB threshold
    kept.extend(blocks[::2])                             # every other one stays: the freed ones are holes
    del blocks
before = own_memory_bytes()
thread = threading.Thread(target=churn)
thread.start()
thread.join()
held = own_memory_bytes() - before
assert give_back_free_pages()
print(held >> 20, (own_memory_bytes() - before) >> 20)
"""
    held, after = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout.split())
    assert held >= 70 and after <= held - 25, (held, after)  # most of the 37 MB of holes went back
