"""Operations: the content-hash sensor, the schedule, the parse cache, the generator and a benchmark smoke run."""
from __future__ import annotations

import json
import pytest
import shutil

import dagster as dg
import duckdb

import schemas
from pipeline.cli import main
from tests.conftest import RAW, SEEDS


def _evaluate(sensor, cursor, raw):
    from pipeline.defs.resources import BuildSettings

    settings = BuildSettings(raw_dir=str(raw), out_dir=str(raw.parent / "out"))
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    result = sensor(context)
    return result, context.cursor


def test_sensor_requests_a_build_on_add_change_remove(tmp_path):
    from pipeline.definitions import raw_folder_changed

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / SEEDS["igf"], raw / "a.txt")
    first, cursor = _evaluate(raw_folder_changed, None, raw)
    assert isinstance(first, dg.RunRequest)
    same, cursor = _evaluate(raw_folder_changed, cursor, raw)
    assert isinstance(same, dg.SkipReason)
    keys = [first.run_key]
    shutil.copy(RAW / SEEDS["concept"], raw / "b.txt")                     # added
    added, cursor = _evaluate(raw_folder_changed, cursor, raw)
    keys.append(added.run_key)
    stat = (raw / "b.txt").stat()
    (raw / "b.txt").write_text((raw / "b.txt").read_text().replace("Explore", "Find"))  # changed, same size class
    import os
    os.utime(raw / "b.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))       # modification time put back: content decides
    changed, cursor = _evaluate(raw_folder_changed, cursor, raw)
    keys.append(changed.run_key)
    (raw / "b.txt").unlink()                                                # removed: back to the first state
    removed, cursor = _evaluate(raw_folder_changed, cursor, raw)
    keys.append(removed.run_key)
    assert all(isinstance(r, dg.RunRequest) for r in (added, changed, removed))
    assert len(set(keys)) == 4  # the return to an earlier state still gets a run key of its own
    assert json.loads(cursor)["changes"] == 4


def test_schedule_and_sensor_are_in_the_code_location():
    from pipeline.definitions import defs

    assert defs.get_schedule_def("daily_build").cron_schedule == "0 3 * * *"
    assert defs.get_sensor_def("raw_folder_changed").job_name == "build"


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_incremental_build_matches_a_full_build(tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    out = tmp_path / "out"
    assert main(["build", "--raw", str(raw), "--out", str(out)]) == 0
    page = raw / SEEDS["concept"]
    page.write_text(page.read_text().replace("Explore more practical", "Explore practical"))
    capsys.readouterr()
    assert main(["build", "--raw", str(raw), "--out", str(out)]) == 0
    report = json.loads((out / "build_report.json").read_text())
    incremental = {n: (out / "parquet" / f"{n}.parquet").read_bytes() for n in schemas.TABLES}
    full_out = tmp_path / "full"
    assert main(["build", "--raw", str(raw), "--out", str(full_out), "--full"]) == 0
    for name in schemas.TABLES:
        assert incremental[name] == (full_out / "parquet" / f"{name}.parquet").read_bytes(), name
    assert report["success"] and "stage_seconds" in report and report["rows"]["sessions"] == 4
    # the database was updated by delta, not rebuilt: it holds exactly the rows of the Parquet files
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    for name in schemas.TABLES:
        parquet = f"read_parquet('{full_out / 'parquet' / f'{name}.parquet'}')"
        for a, b in ((f'"{name}"', parquet), (parquet, f'"{name}"')):
            assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0, name
    con.close()
    done = json.loads((out / "current" / "tables.json").read_text())["tables"]
    assert done["people"]["reused"] and not done["documents"]["reused"]  # unchanged files are linked, not rewritten


def test_the_cache_is_used_and_full_ignores_it(tmp_path):
    from pipeline.ingest import read_raw_documents
    from pipeline.incremental.parse_cache import parse_raw_documents

    raw = read_raw_documents(RAW)
    cache = tmp_path / "cache"
    first = parse_raw_documents(raw, cache_dir=str(cache))
    again = parse_raw_documents(raw, cache_dir=str(cache))
    fresh = parse_raw_documents(raw, cache_dir=str(cache), read_cache=False)
    assert not any(r.from_cache for r in first.values())
    assert all(r.from_cache for r in again.values()) and len(again) == 5
    assert not any(r.from_cache for r in fresh.values())
    assert again[next(iter(again))].document == first[next(iter(first))].document


def test_generator_writes_all_formats_with_truth(tmp_path):
    from devtools.generate import generate_corpus

    truth = generate_corpus(400, tmp_path / "corpus", seed=3)
    again = generate_corpus(400, tmp_path / "corpus2", seed=3)
    assert truth == again  # same seed, same corpus
    formats = {m["format"] for m in truth["documents"].values()}
    assert formats == {"isomer_event", "igf_proposal", "diplo_report", "concept_note"}
    assert len(truth["documents"]) == 400 and truth["sessions"] > 300
    assert any(m["duplicate_of"] for m in truth["documents"].values())
    assert any(len(v) > 1 for v in truth["people"].values())  # people recur under name variants
    sizes = {m["format"]: [] for m in truth["documents"].values()}
    for name, meta in truth["documents"].items():
        if not meta["malformed"] and not meta["duplicate_of"]:
            sizes[meta["format"]].append((tmp_path / "corpus" / name).stat().st_size)
    assert 30_000 <= min(sizes["diplo_report"]) and max(sizes["diplo_report"]) <= 160_000
    assert 2_000 <= min(sizes["isomer_event"]) and max(sizes["isomer_event"]) <= 10_500
    assert (tmp_path / "corpus.truth.json").exists()


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_benchmark_smoke(tmp_path, capsys):
    assert main(["bench", "build", "--sizes", "150", "--workdir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "full build:" in printed and "incremental re-build" in printed and "datasketch" in printed
    results = json.loads((tmp_path / "bench_build.json").read_text())
    entry = results["sizes"][0]
    assert entry["dedup"]["precision"] == 1.0 and entry["dedup"]["recall"] == 1.0
    assert entry["full_build"]["rows"]["documents"] == 150 and len(entry["queries"]) >= 5
    assert main(["bench", "dedup", "--sizes", "150", "--workdir", str(tmp_path)]) == 0
    assert "precision 1.00, recall 1.00" in capsys.readouterr().out


def test_the_ray_bench_prints_each_stage_with_the_drivers_peak_memory(capsys):
    """The Ray bench's table: seconds and the driver's peak memory per stage for both engines, so the
    stage that grows with the corpus shows; a stage without a figure prints a dash."""
    from devtools.bench_cluster import print_engines

    stage = {"local": 2.5, "ray": 11.25, "local_peak_rss_mb": 1452.4, "ray_peak_rss_mb": None,
             "local_peak_heap_mb": 801.2, "ray_peak_heap_mb": None}
    results = {"ray_tasks": {"startup_seconds": 4.3, "per_task_ms": 0.57, "tasks": 200}, "shard_size": 2000,
               "sizes": [{"documents": 1000, "stages": {"dataset_tables": stage},
                          "local": {"wall_seconds": 11.2, "driver_peak_rss_mb": 1452.4, "driver_peak_heap_mb": 801.2},
                          "ray": {"wall_seconds": 43.2, "driver_peak_rss_mb": 620.0, "engine_startup_seconds": 4.1,
                                  "parse_shards": 1, "s3_requests_total": 3, "s3_requests": {"GET": 2, "PUT": 1}}}]}
    print_engines(results)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "== 1000 documents =="
    assert lines[3].split() == ["stage", "local", "s", "ray", "s", "local", "MB", "ray", "MB", "local", "own", "ray", "own"]
    assert lines[4].split() == ["dataset_tables", "2.50", "11.25", "1,452", "-", "801", "-"]
    assert ("driver peak RSS: local 1452.4 MB, ray 620.0 MB; of it the driver's own (not file pages): "
            "local 801 MB, ray - MB") in lines[6]
    assert not any("process a stage ran its work in" in line for line in lines)  # no stage ran in one


def test_the_ray_bench_prints_the_memory_of_the_process_a_stage_ran_its_work_in(capsys):
    from devtools.bench_cluster import print_engines

    plain = {"local": 0.2, "ray": 0.3}
    database = {"local": 2.1, "ray": 2.9, "local_process_peak_heap_mb": 509.3, "ray_process_peak_heap_mb": 520.0}
    site = {"local": 6.9, "ray": 6.6, "local_process_peak_heap_mb": 556.1, "ray_process_peak_heap_mb": None}
    results = {"ray_tasks": {"startup_seconds": 2.4, "per_task_ms": 0.54, "tasks": 200}, "shard_size": 2000,
               "sizes": [{"documents": 50000, "stages": {"site": site, "duckdb_database": database, "parquet_files": plain},
                          "local": {"wall_seconds": 55.4, "driver_peak_rss_mb": 1182.6, "driver_peak_heap_mb": 551.0},
                          "ray": {"wall_seconds": 331.7, "driver_peak_rss_mb": 1359.5, "engine_startup_seconds": 0.0,
                                  "parse_shards": 256, "s3_requests_total": 3, "s3_requests": {"GET": 2, "PUT": 1}}}]}
    print_engines(results)
    out = capsys.readouterr().out
    assert ("own memory of the process a stage ran its work in, local / ray: site 556 / - MB; "
            "duckdb_database 509 / 520 MB") in out


def test_labelled_set_precision_and_recall():
    from devtools.bench import score_labelled

    scores = score_labelled()
    assert (scores["documents"]["precision"], scores["documents"]["recall"]) == (1.0, 1.0)
    assert (scores["people"]["precision"], scores["people"]["recall"]) == (1.0, 1.0)
    assert scores["documents"]["different_sessions_merged"] == []


def test_files_not_rewritten_since_they_were_hashed_are_not_read_again(tmp_path):
    import os
    import time

    import polars as pl

    from pipeline.incremental.ingest_cache import IDENTITY_SCHEMA, known_hashes
    from pipeline.ingest import list_raw_files

    page = tmp_path / "a.txt"
    page.write_text("hello")
    [raw] = list_raw_files(tmp_path)
    inode, size, mtime, ctime = raw.identity
    def identities(*row):
        return pl.DataFrame([("a.txt", *row)], schema=IDENTITY_SCHEMA, orient="row")
    recorded = identities(inode, size, mtime, ctime, ctime + 2_000_000_000, "sha-as-recorded")
    assert known_hashes([raw], recorded) == {"a.txt": "sha-as-recorded"}
    # hashed less than a second after its last change: timestamps are too coarse to trust, read again
    assert known_hashes([raw], identities(inode, size, mtime, ctime, ctime + 10, "x")) == {}
    # rewritten with the same size and its modification time put back: the change time tells
    time.sleep(0.05)
    page.write_text("jello")
    os.utime(page, ns=(mtime, mtime))
    [rewritten] = list_raw_files(tmp_path)
    assert rewritten.identity[:3] == raw.identity[:3] and known_hashes([rewritten], recorded) == {}


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_a_damaged_session_store_costs_only_a_rebuild_of_its_sessions(tmp_path):
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out)]) == 0
    first = {n: (out / "parquet" / f"{n}.parquet").read_bytes() for n in schemas.TABLES}
    damaged = sorted((out / ".cache").glob("assembly-*/bucket-*/utterances.arrow"))
    assert damaged
    for file in damaged:
        file.write_bytes(b"not an arrow file")
    assert main(["build", "--raw", str(RAW), "--out", str(out)]) == 0
    for name in schemas.TABLES:
        assert (out / "parquet" / f"{name}.parquet").read_bytes() == first[name], name


@pytest.mark.slow  # several builds: `pytest -m "not slow"` skips it
def test_the_sensor_reuses_the_build_hashes_and_still_sees_a_change(tmp_path):
    import time

    from pipeline.defs.automation import raw_folder_digest
    from pipeline.incremental.ingest_cache import known_hashes, load_file_identities
    from pipeline.ingest import list_raw_files

    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    time.sleep(1.1)  # older than the build by more than the racy window
    out = tmp_path / "out"
    assert main(["build", "--raw", str(raw), "--out", str(out)]) == 0
    cache = str(out / ".cache")
    assert len(known_hashes(list_raw_files(raw), load_file_identities(cache))) == len(SEEDS)  # not read again
    assert raw_folder_digest(str(raw), cache) == raw_folder_digest(str(raw))
    page = raw / SEEDS["concept"]
    page.write_text(page.read_text() + "\n")
    assert raw_folder_digest(str(raw), cache) == raw_folder_digest(str(raw))  # the changed file is read again


def test_the_ray_bench_counts_a_builds_requests_by_where_they_went(tmp_path):
    """Counted from the S3 server's log by object key or listed prefix, so that requests logged late
    still count with their build, and the corpus's upload (its PUTs under raw) does not."""
    from devtools.bench_cluster import S3Server

    log = tmp_path / "moto_server.log"
    log.write_text("\n".join([
        '127.0.0.1 - - [03/Dec/2026 16:10:49] "PUT /bucket HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:01] "PUT /bucket/raw_10/a/doc_1.txt HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:09] "GET /bucket?list-type=2&prefix=raw_10/&delimiter= HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:09] "GET /bucket/raw_10/a/doc_1.txt HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:09] \x1b[32m"GET /bucket/raw_10/a/doc_1.txt HTTP/1.1" 206 -\x1b[0m',
        '127.0.0.1 - - [03/Dec/2026 16:11:10] "HEAD /bucket/out_10/.cache/x.arrow HTTP/1.1" 404 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:10] "PUT /bucket/out_10/parquet/people.parquet HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:11] "GET /bucket?list-type=2&prefix=out_10%2F.cache%2F HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:12] "GET /bucket/raw_100/a/doc_1.txt HTTP/1.1" 200 -',
        '127.0.0.1 - - [03/Dec/2026 16:11:12] "PUT /bucket/out_100/parquet/people.parquet HTTP/1.1" 200 -']) + "\n")
    server = S3Server.__new__(S3Server)  # its log only: no server started
    with open(tmp_path / "server.out", "w") as server.handle:
        server.log, server.settle_seconds = log, 0.01  # a finished log
        assert server.build_requests("raw_10/", "out_10/") == {"GET": 4, "HEAD": 1, "PUT": 1}
        assert server.requests("raw_10/") == {"PUT": 1, "GET": 3}
        assert sum(server.requests().values()) == 10
