"""Where the heavy stages run: the compute seam.

An engine runs one stage function over a list of shards and yields (shard, result) in shard order:
`local` on this machine's process pool (the default), `ray` as Ray tasks on the cluster named by
RAY_ADDRESS (or a Ray started for the run). The stage functions are the same either way; only where
they run changes, so both engines give the same bytes in every table.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

ENGINES = ("local", "ray")


class Engine:
    name = "local"
    shard_size: int | None = None   # None: the stage cuts its shards as it always has
    startup_seconds = 0.0
    remote = False                  # tasks run on other machines: worth it even for a light stage
    session_batch: int | None = None   # sessions an assembly task builds (None: assembly's own default)

    def map(self, function: Callable, shards: list, workers: int | None = None) -> Iterator[tuple]:
        raise NotImplementedError

    def runner(self) -> Callable:
        """`run(function, tasks)`: the results of function(task) for each task, in task order, run
        here by the engine; what the stages take to spread their tasks."""
        def run(function: Callable, tasks: list) -> Iterator:
            return (result for _, result in self.map(function, tasks))
        return run


def open_engine(kind: str, address: str | None = None, shard_size: int = 2000, payloads: str | None = None) -> Engine:
    if kind == "local":
        from pipeline.engine.local import LocalEngine

        return LocalEngine()
    if kind == "ray":
        from pipeline.engine.ray import RayEngine

        return RayEngine(address, shard_size, payloads)
    raise ValueError(f"unknown engine {kind!r}: expected one of {', '.join(ENGINES)}")


def shard_digits(total: int, shard_size: int) -> int:
    """How many leading hex digits of a content key cut `total` documents into shards of about
    `shard_size`: a shard's members then depend on their content only, so after one document
    changes only its shard has work to do."""
    digits = 0
    while total > shard_size * 16 ** digits and digits < 8:
        digits += 1
    return digits
