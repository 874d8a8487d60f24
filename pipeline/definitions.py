"""The Dagster code location: `dagster dev -m pipeline.definitions` (see README)."""
from __future__ import annotations

import dagster as dg

from pipeline.assets import BuildSettings, StageIOManager, all_assets, table_checks


def build_definitions(raw_dir: str | None = None, out_dir: str | None = None) -> dg.Definitions:
    """The one definition of the pipeline; the CLI passes its own folders, `dagster dev` uses the defaults."""
    settings = BuildSettings(**{k: v for k, v in (("raw_dir", raw_dir), ("out_dir", out_dir)) if v})
    return dg.Definitions(
        assets=all_assets,
        asset_checks=table_checks,
        resources={"settings": settings, "io_manager": StageIOManager(settings=settings)},
    )


defs = build_definitions()
