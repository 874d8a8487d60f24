"""The Ray engine: each shard is one Ray task running the same stage function.

The cluster is the one RAY_ADDRESS (or the resource's address) names; with neither, a Ray is started
on this machine for the run. Tasks are retried when their node dies (a worker removed mid-stage costs
its tasks a second run elsewhere, not the build). Object-storage settings of the driver's environment
(AWS_* and FSSPEC_*) go to the workers with the job's runtime environment, so that they read the same
`s3://` raw folder the driver listed.
"""
from __future__ import annotations

import os
import time
from collections import deque

from pipeline.engine import Engine

# a task whose node is lost runs again elsewhere; an exception inside the stage function is not retried
TASK_RETRIES = 5
FORWARDED = ("AWS_", "FSSPEC_", "BOTO_")
# tasks out at once per CPU of the cluster: one running and the next ready on every CPU, with a spare
# for a task slower than its neighbours (results are taken in order)
TASKS_PER_CPU = 3
_NONE = object()


def storage_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED)}


class RayEngine(Engine):
    name = "ray"
    remote = True

    def __init__(self, address: str | None = None, shard_size: int = 2000):
        import ray

        self.shard_size = shard_size
        started = time.perf_counter()
        if not ray.is_initialized():
            # "local" starts a Ray for this run: without it Ray would join whatever cluster this machine ran last
            address = address or os.environ.get("RAY_ADDRESS") or "local"
            options = {"include_dashboard": False} if address == "local" else {}
            ray.init(address=address, runtime_env={"env_vars": storage_environment()}, log_to_driver=False,
                     logging_level="ERROR", **options)
        self.startup_seconds = time.perf_counter() - started
        self.tasks = 0

    def map(self, function, shards: list, workers: int | None = None):
        """One task per shard, results fetched in shard order, one at a time. At most TASKS_PER_CPU
        tasks per CPU of the cluster are out at once (the next is submitted as a result is taken):
        a task's arguments go into the object store when it is submitted, so submitting a stage's
        every task at once held all its inputs there together (the session batches' are about 0.5 KB
        a document: gigabytes at 10 M documents, spilled to disk once the store is full)."""
        import ray

        remote = ray.remote(max_retries=TASK_RETRIES, retry_exceptions=False)(function)
        waiting = iter(shards)
        out: deque = deque()

        def submit() -> None:
            shard = next(waiting, _NONE)
            if shard is not _NONE:
                out.append((shard, remote.remote(shard)))
                self.tasks += 1

        for _ in range(self.tasks_at_once()):
            submit()
        while out:
            # the reference goes as its result is taken: the object store frees the result instead of
            # keeping every result of the stage pinned (and mapped into this process) until the last
            shard, ref = out.popleft()
            result = ray.get(ref)
            del ref
            submit()
            yield shard, result

    def tasks_at_once(self) -> int:
        """How many tasks may be out at once: TASKS_PER_CPU per CPU the cluster has now (a cluster
        that grows takes more from the next stage on)."""
        import ray

        return max(2, int(ray.cluster_resources().get("CPU", 1)) * TASKS_PER_CPU)
