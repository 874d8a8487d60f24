"""The asset graph as a reviewer sees it: a snapshot of asset keys, groups, checks and jobs (an
accidental change shows in review), and the build report written by the graph itself."""
from __future__ import annotations

import json
from pathlib import Path

from pipeline.definitions import build_definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def asset_graph() -> dict:
    """Asset keys with their group and upstream assets, asset checks (blocking or not), jobs."""
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {"group": node.group_name,
                                        "upstream": sorted(k.to_user_string() for k in node.parent_keys)}
    checks = {}
    for check_key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(check_key)
        checks[f"{check_key.asset_key.to_user_string()}.{check_key.name}"] = {"blocking": spec.blocking}
    jobs = sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__"))
    return {"assets": assets, "checks": checks, "jobs": jobs}


def test_the_asset_graph_matches_its_snapshot():
    """On purpose? Refresh the snapshot: python -c 'from tests.test_graph import write_snapshot; write_snapshot()'."""
    assert asset_graph() == json.loads(SNAPSHOT.read_text())


def write_snapshot() -> None:
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(asset_graph(), indent=2) + "\n")


def test_a_build_started_outside_the_cli_writes_its_report(seed_build):
    """The report is an asset: a run of the job (as the schedule, the sensor or the UI start it) writes it."""
    _, out = seed_build
    report = json.loads((out / "build_report.json").read_text())
    assert report["success"] is True and report["failed_checks"] == []
    assert report["documents"]["by_status"] == {"duplicate": 1, "parsed": 4}
    assert report["rows"]["sessions"] == 4 and report["rows"]["agreements"] == 11
    assert {"raw_documents", "parsed_documents", "dataset_tables", "duckdb_database"} <= set(report["stage_seconds"])
    # the database is written in a process of its own, whose peak is reported beside the driver's (the site's
    # too, when it was written before the report)
    assert {"duckdb_database"} <= set(report["stage_process_peak_heap_mb"]) <= {"duckdb_database", "site"}
    assert report["stage_process_peak_heap_mb"]["duckdb_database"] > 1
