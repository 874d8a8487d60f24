"""Running a function over shards of work, on a process pool when that pays.

Shards are the unit a bigger executor would partition on; here they share the machine's cores.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

# What the workers run. The fork server imports them once and every worker is forked from it with them
# loaded: a pool then starts in milliseconds, where each worker importing them itself cost 1-2 s per
# stage. Names only (nothing is imported here); a module missing from the list is imported by the
# worker that needs it, as before.
WORKER_MODULES = ("pipeline.ingest", "pipeline.incremental.parse_cache", "pipeline.transform.dedup",
                  "pipeline.transform.assembly", "pipeline.outputs.site.render")


def worker_context():
    """The multiprocessing context of every pool: forkserver (a fork of this process would copy its
    threads' locks), with WORKER_MODULES preloaded. The preload counts when the server starts, once
    per process; `__main__` stays first, as in multiprocessing's default."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", *WORKER_MODULES])
    return ctx


def run_sharded(function, shards: list, workers: int):
    """Yield (shard, function(shard)) in order, on a process pool when workers > 1. If worker
    processes cannot start (e.g. an interactive __main__), the rest of the shards run in this process."""
    done = 0
    if workers > 1 and len(shards) > 1:
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
                for shard, result in zip(shards, pool.map(function, shards)):
                    done += 1
                    yield shard, result
            return
        except BrokenProcessPool:
            pass
    for shard in shards[done:]:
        yield shard, function(shard)
