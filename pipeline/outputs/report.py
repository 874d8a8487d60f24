"""The build report (build_report.json): what a run did, from its Dagster events and the tables it
published. The `build_report` asset writes it at the end of every successful build however started
(CLI, schedule, sensor, UI); the CLI writes failed_build_report.json for a build that was not published.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl

from pipeline.files import write_atomically

REPORT_FILE = "build_report.json"                # the published build's
FAILED_REPORT_FILE = "failed_build_report.json"  # the last build that was not published, if it was the last


def _innermost_reason(error) -> str:
    """The first line of the error that started it all (Dagster wraps a step's exception)."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0]


# What the parse stage says of its engine and shards (see pipeline/defs/parse.py).
PARSE_FIELDS = ("engine", "parse_shards_run", "engine_startup_seconds", "parsed_now")


def run_outcome(events) -> dict:
    """Checks that failed or warned, failed steps and why, seconds and peak memory per step, and what
    the parse stage said of its engine and shards, from a run's Dagster events (DagsterEvent objects)."""
    failed_checks, warnings, peaks, heap_peaks, alone_peaks, parse = [], [], {}, {}, {}, {}
    for event in events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                offending = evaluation.metadata.get("offending")
                target = warnings if evaluation.severity.value == "WARN" else failed_checks
                target.append({
                    "check": f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}",
                    "description": evaluation.description,
                    "offending": offending.value if offending is not None else None,
                })
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            for field, kept in (("peak_rss_mb", peaks), ("peak_heap_mb", heap_peaks), ("process_peak_heap_mb", alone_peaks)):
                value = metadata.get(field)
                if value is not None and value.value is not None:
                    kept[event.step_key] = max(kept.get(event.step_key, 0), value.value)
            if event.step_key == "parsed_documents":
                parse = {k: metadata[k].value for k in PARSE_FIELDS if k in metadata}
    failures = [e for e in events if e.event_type_value == "STEP_FAILURE"]
    return {
        "stage_seconds": {e.step_key: round(e.event_specific_data.duration_ms / 1000, 3)
                          for e in events if e.event_type_value == "STEP_SUCCESS"},
        "stage_peak_rss_mb": peaks,
        "stage_peak_heap_mb": heap_peaks,   # the process's own memory, without pages shared with files
        "stage_process_peak_heap_mb": alone_peaks,  # the same, of the process a stage ran its work in (shards.run_alone)
        "failed_checks": failed_checks,
        "warnings": warnings,
        "failed_steps": [e.step_key for e in failures],
        "errors": [_innermost_reason(e.event_specific_data.error) for e in failures if e.event_specific_data.error],
        "parse": parse,
    }


def published_summary(parquet: Path, database: Path) -> dict:
    """Documents by format and status, rows per table and rejects by rule, from the published Parquet files."""
    documents = pl.read_parquet(parquet / "documents.parquet", columns=["format", "status"])
    rejects = pl.read_parquet(parquet / "rejects.parquet", columns=["table", "rule"])
    whole = rejects.filter(pl.col("table") == "documents")
    records = rejects.filter(pl.col("table") != "documents")
    return {
        "documents": {"by_format": dict(sorted(Counter(documents["format"].to_list()).items())),
                      "by_status": dict(sorted(Counter(documents["status"].to_list()).items()))},
        "rows": {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item() for p in sorted(parquet.glob("*.parquet"))},
        "rejects": {"documents": dict(sorted(Counter(whole["rule"].to_list()).items())),
                    "records": dict(sorted(Counter(f"{t}: {r}" for t, r in zip(records["table"], records["rule"])).items()))},
        "database": str(database),
    }


def make_report(raw: str, out: str, seconds: float, success: bool, full: bool, events) -> dict:
    return {"raw_dir": str(raw), "out_dir": str(out), "seconds": round(seconds, 3), "success": success,
            "full": full, **run_outcome(events)}


def write_report(out: Path, report: dict) -> Path:
    """build_report.json for a published build (and the stale failure report goes), else
    failed_build_report.json: a failed build leaves the published build's report as it is."""
    name = REPORT_FILE if report["success"] and not report["failed_checks"] else FAILED_REPORT_FILE
    write_atomically(out / name, lambda tmp: tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n"))
    if name == REPORT_FILE:
        (out / FAILED_REPORT_FILE).unlink(missing_ok=True)
    return out / name
