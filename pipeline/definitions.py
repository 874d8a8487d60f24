"""The Dagster code location: `dagster dev -m pipeline.definitions` (see README)."""
from __future__ import annotations

import dagster as dg

from pipeline.assets import BuildSettings, StageIOManager, all_assets, release_dataset, table_checks


def build_definitions(raw_dir: str | None = None, out_dir: str | None = None, bounds_file: str | None = None) -> dg.Definitions:
    """The one definition of the pipeline; the CLI passes its own folders, `dagster dev` uses the defaults.

    Another raw folder than the default gets no row-count bounds unless `bounds_file` names some.
    """
    overrides = {k: v for k, v in (("raw_dir", raw_dir), ("out_dir", out_dir)) if v}
    if raw_dir is not None or bounds_file is not None:
        overrides["bounds_file"] = bounds_file or ""
    settings = BuildSettings(**overrides)
    return dg.Definitions(
        assets=all_assets,
        asset_checks=table_checks,
        jobs=[release_dataset],
        resources={"settings": settings, "io_manager": StageIOManager(settings=settings)},
    )


defs = build_definitions()
