"""The Dagster resource that names the engine of a run (a module of its own: Ray workers import the
stage functions, not Dagster)."""
from __future__ import annotations

import os

import dagster as dg

from pipeline.engine import Engine, open_engine


class ComputeEngine(dg.ConfigurableResource):
    """Which engine the heavy assets use (CYBERDIALOGUE_ENGINE, default local), and for Ray where
    the cluster is and how many documents a parse shard aims at."""
    kind: str = os.environ.get("CYBERDIALOGUE_ENGINE", "local")
    # a Ray cluster address ("ray://host:10001", "host:6379", "auto"); empty: RAY_ADDRESS, else a local Ray
    address: str = ""
    # documents per parse shard on Ray; shards are cut by content-hash prefix so an unchanged one is reused
    shard_size: int = int(os.environ.get("CYBERDIALOGUE_SHARD_SIZE", "2000"))
    # on Ray, a folder the driver and every worker reach (a bucket prefix: "s3://bucket/payloads") for
    # the tasks' large arguments and results, kept out of Ray's object store; empty: a local folder
    # when Ray is started for the run (every worker is on this machine), else the object store
    payloads: str = os.environ.get("CYBERDIALOGUE_PAYLOADS", "")

    def open(self) -> "Engine":
        return open_engine(self.kind, self.address or None, self.shard_size, self.payloads or None)
