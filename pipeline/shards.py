"""Running a function over shards of work, on a process pool when that pays.

Shards are the unit a bigger executor would partition on; here they share the machine's cores.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler

import polars as pl

from pipeline.files import read_mapped_frame
from pipeline.memory import OwnMemoryPeak

# What the workers run. The fork server imports them once and every worker is forked from it with them
# loaded: a pool then starts in milliseconds, where each worker importing them itself cost 1-2 s per
# stage. Names only (nothing is imported here); a module missing from the list is imported by the
# worker that needs it, as before.
WORKER_MODULES = ("pipeline.ingest", "pipeline.incremental.parse_cache", "pipeline.transform.dedup",
                  "pipeline.transform.assembly", "pipeline.outputs.site.render",
                  # loaded on first use by the parsers (a re-build rarely needs them), by workers often
                  "probablepeople", "ftfy", "charset_normalizer", "markdown_it")

# A worker's result frames of at least this size go back as Arrow IPC files in the pool's folder, not
# in the pickled message: a pickled frame is serialised, pushed through a pipe and deserialised, several
# times the cost of writing the file and reading it back (at 100k documents the session batches' frames
# cost ~10 s of worker CPU and ~8 s of this process's). Smaller frames are cheaper in the message.
FRAME_FILE_BYTES = 1 << 20
_frame_folder: str | None = None   # set in a worker while it runs a pool's tasks
_frame_numbers = itertools.count()


def worker_context():
    """The multiprocessing context of every pool: forkserver (a fork of this process would copy its
    threads' locks), with WORKER_MODULES preloaded. The preload counts when the server starts, once
    per process; `__main__` stays first, as in multiprocessing's default."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", *WORKER_MODULES])
    return ctx


def _frame_from_file(path: str) -> pl.DataFrame:
    """The frame a worker left in `path`, over a memory map of the file, and the file's name
    removed: its pages stay the frame's until the frame goes."""
    frame = read_mapped_frame(path)
    try:
        os.unlink(path)
    except OSError:  # a system that cannot remove a mapped file: the pool's folder goes at its end
        pass
    return frame


def _reduce_frame(frame: pl.DataFrame):
    """How a worker pickles a frame: big ones as a file (read back and removed by the receiver); any
    frame the file cannot hold (no folder, a full disk, a column IPC cannot store) as before."""
    if _frame_folder is not None and frame.estimated_size() >= FRAME_FILE_BYTES:
        path = os.path.join(_frame_folder, f"{os.getpid()}-{next(_frame_numbers)}.arrow")
        try:
            frame.write_ipc(path, compression="uncompressed")
            return _frame_from_file, (path,)
        except Exception:  # noqa: BLE001 - any failure only means the slower way
            if os.path.exists(path):
                os.unlink(path)
    return frame.__reduce_ex__(5)


ForkingPickler.register(pl.DataFrame, _reduce_frame)


class _WithFrameFolder:
    """`function` run in a worker whose result frames go back through `folder` (see _reduce_frame)."""

    def __init__(self, function, folder: str):
        self.function, self.folder = function, folder

    def __call__(self, shard):
        global _frame_folder
        _frame_folder = self.folder  # stays set while the result is pickled, after this returns
        return self.function(shard)


def _frames_folder() -> str:
    """A folder for one pool's result frames, in the system's temporary folder. Not /dev/shm: there a
    result's pages were shared memory, which the kernel cannot drop, counted in this process from the
    first read until the frame went (at 50,000 documents the people tasks' results held ~35 MB after
    planning had kept them elsewhere); a file's pages are the page cache's, dropped under pressure."""
    return tempfile.mkdtemp(prefix="cyberdialogue-frames-")


_NONE = object()

# Tasks a pool holds at once per worker (the next is submitted as a result is taken): a stage's tasks
# may then be made as they are submitted, and only these are held, not every task of the stage.
TASKS_PER_WORKER = 3


def run_sharded(function, shards: Iterable, workers: int):
    """Yield (shard, function(shard)) in order, on a process pool when workers > 1, with at most
    TASKS_PER_WORKER tasks per worker out at once: `shards` may be an iterator that makes them. If
    worker processes cannot start (e.g. an interactive __main__), the rest of the shards run in this
    process."""
    waiting = iter(shards)
    first = list(itertools.islice(waiting, 2))
    waiting = itertools.chain(first, waiting)
    out: deque = deque()   # [shard, future] of the tasks submitted, in order
    if workers > 1 and len(first) > 1:
        folder = _frames_folder()
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
                task = _WithFrameFolder(function, folder)

                def submit() -> None:
                    shard = next(waiting, _NONE)
                    if shard is not _NONE:
                        out.append([shard, None])   # kept before it is submitted: a broken pool runs it here
                        out[-1][1] = pool.submit(task, shard)

                for _ in range(workers * TASKS_PER_WORKER):
                    submit()
                while out:
                    shard, future = out[0]
                    result = future.result()
                    out.popleft()
                    submit()
                    yield shard, result
            return
        except BrokenProcessPool:
            pass
        finally:  # what a result never read (a pool stopped early) left behind
            shutil.rmtree(folder, ignore_errors=True)
    for shard in itertools.chain([shard for shard, _ in out], waiting):
        yield shard, function(shard)


def _measured(function, args: tuple, kwargs: dict):
    """function(*args, **kwargs) with the peak of its process's own memory (MB) beside its result."""
    meter = OwnMemoryPeak()
    result = function(*args, **kwargs)
    return result, meter.stop()


def run_alone(function, *args, **kwargs):
    """(function(*args, **kwargs), the peak of its process's own memory in MB), run in a process of its
    own: work that needs nothing this process holds but much memory of its own while it runs (writing
    the database, the site) then leaves this process as it found it, whatever the corpus's size. Where
    no process can start, it runs here (peak None: this process's own meter counts it)."""
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=worker_context()) as pool:
            return pool.submit(_measured, function, args, kwargs).result()
    except BrokenProcessPool:
        return function(*args, **kwargs), None
