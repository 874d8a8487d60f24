"""The Ray engine: each shard is one Ray task running the same stage function.

The cluster is the one RAY_ADDRESS (or the resource's address) names; with neither, a Ray is started
on this machine for the run. Tasks are retried when their node dies (a worker removed mid-stage costs
its tasks a second run elsewhere, not the build). Object-storage settings of the driver's environment
(AWS_* and FSSPEC_*) go to the workers with the job's runtime environment, so that they read the same
`s3://` raw folder the driver listed.
"""
from __future__ import annotations

import atexit
import io
import os
import pickle
import tempfile
import time
from collections import deque
from pathlib import Path

import polars as pl

from pipeline.engine import Engine
from pipeline.engine.transfer import PayloadFolder
from pipeline.files import mapped_file_frame
from pipeline.shards import FRAME_FILE_BYTES

# a task whose node is lost runs again elsewhere; an exception inside the stage function is not retried
TASK_RETRIES = 5
FORWARDED = ("AWS_", "FSSPEC_", "BOTO_")
# tasks out at once per CPU of the cluster: one running and the next ready on every CPU, with a spare
# for a task slower than its neighbours (results are taken in order)
TASKS_PER_CPU = 3
_NONE = object()
# this process's ray.init, once it ran: (whether it started the Ray it runs on: address "local", its seconds)
_STARTED: list[tuple[bool, float]] = []


def storage_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED)}


def frame_to_arrow(frame: pl.DataFrame) -> pickle.PickleBuffer:
    """How a frame travels between Ray processes: as an Arrow IPC file in one out-of-band buffer, which
    the object store holds and the receiver reads without unpickling it (frame_from_arrow)."""
    sink = io.BytesIO()
    frame.write_ipc(sink, compression="uncompressed", compat_level=pl.CompatLevel.newest())
    return pickle.PickleBuffer(sink.getbuffer())


def frame_from_arrow(data) -> pl.DataFrame:
    """The frame frame_to_arrow sent, out of the object store's buffer at once (so that the store may
    reuse its pages): a frame of FRAME_FILE_BYTES or more as a local temporary file over a memory map,
    as the local pool's results come (pipeline.shards); a smaller one copied into the heap. Unpickled,
    every result was copied into the heap (at 10,000 documents the driver's heap grew ~60 MB while it
    took the session batches' results); read in place, it kept the store's pages pinned and touched
    by this process for as long as the rows lived."""
    view = memoryview(data)
    if view.nbytes >= FRAME_FILE_BYTES:
        frame = mapped_file_frame(lambda path: Path(path).write_bytes(view), tempfile.gettempdir())
        if frame is not None:
            return frame
    return pl.read_ipc(io.BytesIO(view))  # small, or no room for the file


def send_frames_as_arrow() -> None:
    """This process's Ray sends frames by frame_to_arrow (the driver its tasks, a worker its results)."""
    import ray

    ray.util.register_serializer(pl.DataFrame, serializer=frame_to_arrow, deserializer=frame_from_arrow)


def run_sending_frames_as_arrow(function, shard, payloads: PayloadFolder | None = None):
    """function(shard) on a worker whose frames go back by frame_to_arrow; with `payloads`, a shard
    that came as a file is read from it, and a large result goes back as a file (see
    pipeline.engine.transfer)."""
    send_frames_as_arrow()
    if payloads is None:
        return function(shard)
    return payloads.pack(function(payloads.unpack(shard)))


class RayEngine(Engine):
    name = "ray"
    remote = True
    payloads: PayloadFolder | None = None   # where large task payloads go as files (None: Ray's object store)

    @property
    def session_batch(self) -> int | None:
        """Through the object store a batch's rows are pages the driver maps (shared memory counted in
        it for the rest of the run): with TASKS_PER_CPU batches out, the pages it touched followed the
        batch's size (73 MB at 10,000 documents with batches of 2,000 sessions, 39 MB with 500), so
        batches are smaller there. Through payload files, assembly's own size: four times fewer
        batches, each reading its parse shards' footers once (the tables stage at 50,000 documents
        took 47-54 s with batches of 500 against 32 s with 2,000)."""
        return 500 if self.payloads is None else None

    def __init__(self, address: str | None = None, shard_size: int = 2000, payloads: str | None = None):
        import ray

        self.shard_size = shard_size
        if not ray.is_initialized():
            started = time.perf_counter()
            # "local" starts a Ray for this run: without it Ray would join whatever cluster this machine ran last
            address = address or os.environ.get("RAY_ADDRESS") or "local"
            options = {"include_dashboard": False} if address == "local" else {}
            ray.init(address=address, runtime_env={"env_vars": storage_environment()}, log_to_driver=False,
                     logging_level="ERROR", **options)
            _STARTED.append((address == "local", time.perf_counter() - started))
        started_here, seconds = _STARTED[0] if _STARTED else (False, 0.0)
        # what starting Ray cost this process, whichever stage opened the engine first (the raw stage
        # does; the parse stage reports it)
        self.startup_seconds = seconds
        self.tasks = 0
        # the payloads' folder: the one named, else a local one when every worker is on this machine
        # (a Ray started here); a cluster elsewhere without one named uses the object store
        if payloads or started_here:
            self.payloads = PayloadFolder.for_run(payloads or None)
            atexit.register(self.payloads.remove)

    def map(self, function, shards: list, workers: int | None = None):
        """One task per shard, results fetched in shard order, one at a time. At most TASKS_PER_CPU
        tasks per CPU of the cluster are out at once (the next is submitted as a result is taken):
        a task's arguments go into the object store when it is submitted, so submitting a stage's
        every task at once held all its inputs there together (the session batches' are about 0.5 KB
        a document: gigabytes at 10 M documents, spilled to disk once the store is full)."""
        import ray

        send_frames_as_arrow()  # the tasks' frames
        remote = ray.remote(max_retries=TASK_RETRIES, retry_exceptions=False)(run_sending_frames_as_arrow)
        waiting = iter(shards)
        out: deque = deque()

        payloads = self.payloads

        def submit() -> None:
            shard = next(waiting, _NONE)
            if shard is not _NONE:
                if payloads is None:
                    out.append((shard, None, remote.remote(function, shard)))
                else:
                    sent = payloads.pack(shard)
                    out.append((shard, sent, remote.remote(function, sent, payloads)))
                self.tasks += 1

        for _ in range(self.tasks_at_once()):
            submit()
        while out:
            # the reference goes as its result is taken: the object store frees the result instead of
            # keeping every result of the stage pinned (and mapped into this process) until the last
            shard, sent, ref = out.popleft()
            result = ray.get(ref)
            del ref
            if payloads is not None:
                # the task's arguments stay until its result is in: a task run again reads them
                result = payloads.unpack(result, remove=True)
                payloads.discard(sent)
            submit()
            yield shard, result

    def tasks_at_once(self) -> int:
        """How many tasks may be out at once: TASKS_PER_CPU per CPU the cluster has now (a cluster
        that grows takes more from the next stage on)."""
        import ray

        return max(2, int(ray.cluster_resources().get("CPU", 1)) * TASKS_PER_CPU)
