"""Running the build on its own: a daily schedule and a sensor on the raw folder's content.

The sensor hashes the content of every raw file (never trusting modification times; a file the last
build hashed and that was not rewritten since keeps that build's hash) and requests a build when
the set of (path, sha256) changes. Its run key carries a counter of changes, so a folder
that goes back to an earlier state still gets a build (Dagster never runs a run key twice).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from pipeline.defs.resources import BuildSettings
from pipeline.incremental.ingest_cache import known_hashes, load_file_identities
from pipeline.ingest import list_raw_files, read_ahead, read_bytes
from pipeline.model.text import sha256_hex

DEFAULT_CRON = os.environ.get("CYBERDIALOGUE_SCHEDULE", "0 3 * * *")  # daily, 03:00
SENSOR_INTERVAL = int(os.environ.get("CYBERDIALOGUE_SENSOR_SECONDS", "60"))


def raw_folder_digest(root: str, cache_dir: str | None = None) -> tuple[str, int]:
    """sha256 over every (path, content sha256) of the raw folder, and the number of files.

    With the build's cache folder, a local file whose inode, size and times are those the last
    build recorded when it hashed the file keeps that hash (pipeline.incremental.ingest_cache.known_hashes); every
    other file is read and hashed, so a change of content is always seen."""
    digest = hashlib.sha256()
    files = list_raw_files(root)
    known = known_hashes(files, load_file_identities(cache_dir)) if cache_dir else {}
    # the files to read announced ahead (pipeline.ingest.read_ahead); those with a known hash are not read
    for raw in read_ahead(files, lambda raw: None if raw.path in known else raw.location):
        if raw.location is None:
            content = "unreadable:" + "; ".join(raw.problems)
        elif raw.path in known:
            content = known[raw.path]
        else:
            try:
                content = sha256_hex(read_bytes(raw.location))
            except OSError as exc:
                content = f"unreadable:{exc}"
        digest.update(f"{raw.path}\0{content}\n".encode())
    return digest.hexdigest(), len(files)


def build_automation(build_job: dg.UnresolvedAssetJobDefinition):
    schedule = dg.ScheduleDefinition(
        name="daily_build", job=build_job, cron_schedule=DEFAULT_CRON,
        description=f"Rebuild the dataset from the raw folder on a schedule (cron '{DEFAULT_CRON}', "
                    "set CYBERDIALOGUE_SCHEDULE to change it).")

    @dg.sensor(name="raw_folder_changed", job=build_job, minimum_interval_seconds=SENSOR_INTERVAL,
               description="Requests a build when a raw file is added, changed or removed (by content hash).")
    def raw_folder_changed(context: dg.SensorEvaluationContext, settings: BuildSettings):
        digest, count = raw_folder_digest(settings.raw_dir, str(Path(settings.out_dir) / ".cache"))
        state = json.loads(context.cursor) if context.cursor else {"digest": None, "changes": 0}
        if digest == state["digest"]:
            return dg.SkipReason(f"raw folder unchanged ({count} files)")
        state = {"digest": digest, "changes": state["changes"] + 1}
        context.update_cursor(json.dumps(state))
        return dg.RunRequest(run_key=f"raw-{state['changes']}-{digest[:16]}",
                             tags={"cyberdialogue/raw_digest": digest, "cyberdialogue/raw_files": str(count)})

    return schedule, raw_folder_changed
