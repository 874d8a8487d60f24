"""The Dagster code location: `dg dev` in the project folder (see README)."""
from __future__ import annotations

import os

import dagster as dg

from pipeline.defs import (BuildSettings, ReleasingMemoryIOManager, StageIOManager, all_assets, export_checks,
                           input_readers, release_dataset, table_checks)
from pipeline.defs.automation import build_automation
from pipeline.engine.resource import ComputeEngine
from pipeline.memory import give_back_large_blocks

# Everything but the release: what `cyberdialogue build`, the schedule and the sensor run.
build_job = dg.define_asset_job("build", selection=dg.AssetSelection.all(),
                                description="Read raw/, parse, de-duplicate, validate, export Parquet and DuckDB.")
daily_build, raw_folder_changed = build_automation(build_job)

# Every step of a run in one process by default: a process per step costs seconds each (135 s for the
# graph against 5 s). CYBERDIALOGUE_EXECUTOR=multiprocess runs steps in processes of their own.
EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}


def executor_from_environment() -> dg.ExecutorDefinition:
    name = os.environ.get("CYBERDIALOGUE_EXECUTOR", "in_process")
    if name not in EXECUTORS:
        raise ValueError(f"CYBERDIALOGUE_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")
    return EXECUTORS[name]


def build_definitions(raw_dir: str | None = None, out_dir: str | None = None, bounds_file: str | None = None,
                      in_process: bool = False, **settings_overrides) -> dg.Definitions:
    """The one definition of the pipeline; the CLI passes its own folders, `dagster dev` uses the defaults.

    Another raw folder than the default gets no row-count bounds unless `bounds_file` names some.
    `in_process` keeps intermediate values in memory (the CLI's single-process run); otherwise they are
    pickled under <out>/.stages/ so that each step can run in its own process. `engine` ("local" or
    "ray", see pipeline.engine) is where the heavy stages run.
    """
    # the process that runs the graph returns large freed blocks to the system at once (the workers keep
    # glibc's default, which costs them nothing: docs/performance.md)
    give_back_large_blocks()
    overrides = {k: v for k, v in (("raw_dir", raw_dir), ("out_dir", out_dir)) if v}
    if raw_dir is not None or bounds_file is not None:
        overrides["bounds_file"] = bounds_file or ""
    engine = settings_overrides.pop("engine", None)
    overrides.update(settings_overrides)
    settings = BuildSettings(**overrides)
    checks = table_checks + export_checks
    io_manager = (ReleasingMemoryIOManager(input_readers([*all_assets, *checks])) if in_process
                  else StageIOManager(settings=settings))
    return dg.Definitions(
        assets=all_assets,
        asset_checks=checks,
        jobs=[build_job, release_dataset],
        schedules=[daily_build],
        sensors=[raw_folder_changed],
        resources={"settings": settings, "io_manager": io_manager,
                   "compute": ComputeEngine(kind=engine) if engine else ComputeEngine()},
        executor=executor_from_environment(),
    )


defs = build_definitions()
