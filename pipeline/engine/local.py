"""The local engine: this machine's process pool (pipeline.shards), as every build before Ray."""
from __future__ import annotations

import os

from pipeline.engine import Engine
from pipeline.shards import run_sharded


class LocalEngine(Engine):
    name = "local"

    def map(self, function, shards: list, workers: int | None = None):
        yield from run_sharded(function, shards, workers if workers is not None else (os.cpu_count() or 1))
