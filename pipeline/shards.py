"""Running a function over shards of work, on a process pool when that pays.

Shards are the unit a bigger executor would partition on; here they share the machine's cores.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool


def run_sharded(function, shards: list, workers: int):
    """Yield (shard, function(shard)) in order, on a process pool when workers > 1. If worker
    processes cannot start (e.g. an interactive __main__), the rest of the shards run in this process."""
    done = 0
    if workers > 1 and len(shards) > 1:
        try:
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                for shard, result in zip(shards, pool.map(function, shards)):
                    done += 1
                    yield shard, result
            return
        except BrokenProcessPool:
            pass
    for shard in shards[done:]:
        yield shard, function(shard)
