"""The same build on a two-node Ray cluster, from s3:// into s3://, on this machine: a Ray head and a
worker node (one CPU each) on 127.0.0.1 and an S3 server (moto) on loopback, both started here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.bench_cluster import S3Server, upload_folder
from devtools.generate import generate_corpus

BUCKET = "cyberdialogue-it"
DOCUMENTS = 300
SHARD_SIZE = 50  # 300 documents -> 16 shards by the first hex digit of their content hash


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    # its endpoint in the environment: the Ray nodes started below inherit it, as the build's workers must
    with S3Server(tmp_path_factory.mktemp("s3"), access_key="testing") as server:
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture(scope="module")
def ray_cluster(s3_server):
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        yield cluster, worker
    finally:
        cluster.shutdown()


def _build(raw: str, out: str, env: dict, *flags: str, tmp: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, **env, **({"TMPDIR": str(tmp)} if tmp else {})}
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build", "--raw", raw, "--out", out, "--bounds", "",
                             *flags], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> None:
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, (stdout[-2000:], stderr[-3000:])


def _remote(url: str):
    from pipeline.storage import remote

    return remote(url)


def _shard_objects() -> list:
    folder = _remote(f"s3://{BUCKET}/out/.cache/parse/shards")
    return [p for p in folder.iterdir() if p.name.endswith(".parquet")] if folder.exists() else []


def _report(url: str) -> dict:
    return json.loads((_remote(url) / "build_report.json").read_text())


def _parquet(url: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((_remote(url) / "parquet").glob("*.parquet"))}


@pytest.mark.slow
def test_ray_cluster_from_s3_into_s3_gives_the_local_tables(tmp_path, s3_server, ray_cluster):
    cluster, worker = ray_cluster
    raw = tmp_path / "raw"
    generate_corpus(DOCUMENTS, raw, seed=5)
    upload_folder(raw, f"s3://{BUCKET}/raw")
    local_out = tmp_path / "local_out"
    _finish(_build(str(raw), str(local_out), {}))
    local = {p.name: p.read_bytes() for p in sorted((local_out / "parquet").glob("*.parquet"))}
    assert len(local) >= 10 and "sessions.parquet" in local

    # on the cluster, from s3:// into s3://; the worker node is removed while shards are being parsed.
    # The tasks' large arguments and results go through a folder in s3 (the build after this one,
    # through Ray's object store)
    ray_env = {"RAY_ADDRESS": cluster.address, "CYBERDIALOGUE_SHARD_SIZE": str(SHARD_SIZE)}
    staging = tmp_path / "staging"
    staging.mkdir()
    build = _build(f"s3://{BUCKET}/raw", f"s3://{BUCKET}/out",
                   {**ray_env, "CYBERDIALOGUE_PAYLOADS": f"s3://{BUCKET}/payloads"}, "--engine", "ray", tmp=staging)
    parsed_at_removal = None
    deadline = time.monotonic() + 600
    while build.poll() is None and time.monotonic() < deadline:
        parsed = _shard_objects()  # the workers write one object a shard, in s3
        if parsed:
            parsed_at_removal = len(parsed)
            cluster.remove_node(worker)
            break
        time.sleep(0.05)
    _finish(build)
    assert parsed_at_removal is not None and parsed_at_removal < 16, "the worker was not removed mid-parse"
    report = _report(f"s3://{BUCKET}/out")
    assert report["engine"] == "ray" and report["parse"]["parse_shards_run"] == 16
    local_report = json.loads((local_out / "build_report.json").read_text())
    assert report["parse"]["parsed_now"] == local_report["parse"]["parsed_now"] > DOCUMENTS * 0.9
    assert _parquet(f"s3://{BUCKET}/out") == local  # byte for byte, every table
    # payloads went through s3 (written and read), and none is left (s3fs removes by a batch POST,
    # which names its keys in the body: not counted by prefix)
    payloads = s3_server.requests("payloads/")
    assert payloads["PUT"] > 0 and payloads["GET"] > 0
    assert [p for p in _remote(f"s3://{BUCKET}").rglob("*") if p.name.endswith(".payload")] == []
    from upath import UPath

    database = tmp_path / "downloaded.duckdb"  # written locally by the build, then uploaded: it opens and holds the tables
    database.write_bytes((_remote(f"s3://{BUCKET}/out") / "cyberdialogue.duckdb").read_bytes())
    import duckdb
    import polars as pl

    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == pl.read_parquet(local_out / "parquet" / "sessions.parquet").height > 0

    # one document changes: its shard alone is parsed again, with the caches the last build left in s3
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    target = sorted(p for p in raw.rglob("*.txt") if "isomer_event" in str(p))[0]
    text = target.read_bytes()
    assert b"Information is accurate" in text
    changed = text.replace(b"Information is accurate", b"Information is correct", 1) + b"\n"
    (UPath(f"s3://{BUCKET}/raw") / target.relative_to(raw).as_posix()).write_bytes(changed)
    _finish(_build(f"s3://{BUCKET}/raw", f"s3://{BUCKET}/out", ray_env, "--engine", "ray"))
    report = _report(f"s3://{BUCKET}/out")
    assert report["parse"]["parse_shards_run"] == 1 and report["parse"]["parsed_now"] == 1
    assert len(_shard_objects()) == 16  # the parse shards stayed in s3: the workers read and wrote them there
    target.write_bytes(changed)
    again = tmp_path / "local_again"
    _finish(_build(str(raw), str(again), {}))
    assert _parquet(f"s3://{BUCKET}/out") == {p.name: p.read_bytes() for p in sorted((again / "parquet").glob("*.parquet"))}
