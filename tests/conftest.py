"""Shared fixtures: the seed documents and one in-process build of them (the whole Dagster graph)."""
from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RAW = PROJECT_ROOT / "raw"
SEEDS = {
    "sicw": "000_f120bb8921e20eab.txt",
    "sicw_archive": "001_b7d4588d317b3132.txt",
    "igf": "002_0a4cf74c8544ded3.txt",
    "diplo": "003_6775f7a9c617e30c.txt",
    "concept": "004_504c6bbff94b77a4.txt",
}


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory):
    """The CLI records its builds in a Dagster instance: the tests' own, never the developer's .dagster/."""
    import os

    import dagster as dg

    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)):  # create its storage once, before builds run in parallel
        pass
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = before


@pytest.fixture(scope="session")
def seed_text():
    return lambda key: (RAW / SEEDS[key]).read_text(encoding="utf-8")


def run_build(raw: Path, out: Path):
    """Materialize every asset and check of pipeline/definitions.py in-process."""
    import dagster as dg

    from pipeline.definitions import build_definitions

    defs = build_definitions(str(raw), str(out))
    job = defs.resolve_job_def("build")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
                                  run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """One build of raw/ into a temporary output folder; returns (result, out_dir)."""
    raw = tmp_path_factory.mktemp("raw")
    for name in SEEDS.values():
        shutil.copy(RAW / name, raw / name)
    out = tmp_path_factory.mktemp("out")
    result = run_build(raw, out)
    assert result.success, "the seed build failed"
    return result, out


@pytest.fixture(scope="session")
def db(seed_build):
    _, out = seed_build
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def q(db):
    def query(sql: str, *params):
        return db.execute(sql, list(params)).fetchall()
    return query


# a release's variant repeats every site test on the path a build does not take: CI runs it, a quick run does not
@pytest.fixture(params=[pytest.param("rows", marks=pytest.mark.slow), "row keys"])
def small(tmp_path, request):
    """The site tests' small dataset, as a release has it (Parquet files) or as a build does (with row keys)."""
    from pipeline.outputs import export
    from tests.test_site import small_tables, write_tables

    data = tmp_path / "data"
    if request.param == "row keys":
        (data / export.ROW_KEYS_DIR).mkdir(parents=True)
    write_tables(data, small_tables())
    return data


@contextlib.contextmanager
def s3_bucket(folder: Path, bucket: str):
    """An S3 server (moto) on loopback with one bucket, its endpoint and keys in the environment:
    (server, boto3 client). Skips the test when the `cluster` extra is not installed."""
    pytest.importorskip("s3fs")
    if not (Path(sys.executable).parent / "moto_server").exists():
        pytest.skip("moto_server is not installed (the `cluster` extra)")
    import boto3
    import s3fs

    from devtools.bench_cluster import S3Server

    s3fs.S3FileSystem.clear_instance_cache()  # one made for another test's server would talk to it
    with S3Server(folder, access_key="testing") as server:
        client = boto3.client("s3")
        client.create_bucket(Bucket=bucket)
        yield server, client
    s3fs.S3FileSystem.clear_instance_cache()
