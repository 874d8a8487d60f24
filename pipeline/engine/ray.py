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

from pipeline.engine import Engine

# a task whose node is lost runs again elsewhere; an exception inside the stage function is not retried
TASK_RETRIES = 5
FORWARDED = ("AWS_", "FSSPEC_", "BOTO_")


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
        """One task per shard, all submitted at once; results fetched in shard order, one at a time,
        so the driver holds one shard's result beside what it keeps."""
        import ray

        remote = ray.remote(max_retries=TASK_RETRIES, retry_exceptions=False)(function)
        refs = [remote.remote(shard) for shard in shards]
        self.tasks += len(refs)
        for i, shard in enumerate(shards):
            # the reference goes as its result is taken: the object store frees the result instead of
            # keeping every result of the stage pinned (and mapped into this process) until the last
            ref, refs[i] = refs[i], None
            yield shard, ray.get(ref)
