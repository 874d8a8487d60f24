"""The ingest stage as an asset: raw files -> one row each (pipeline.ingest)."""
from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.engine.resource import ComputeEngine
from pipeline.incremental.ingest_cache import read_raw_documents
from pipeline.defs.resources import BuildSettings, StageMeter, preview


def format_counts(df: pl.DataFrame) -> dict[str, int]:
    """Files per detected format, in order of first appearance: counted in the frame, not in 100k
    Python strings."""
    return dict(df.group_by("format", maintain_order=True).len().iter_rows())


@dg.asset(group_name="ingest", description="One row per raw file: sha256, size, decoded text, detected format.")
def raw_documents(context: dg.AssetExecutionContext, settings: BuildSettings, compute: ComputeEngine) -> pl.DataFrame:
    meter = StageMeter()
    engine = compute.open()
    # on a cluster the workers read the raw objects themselves; here the process pool does
    df = read_raw_documents(settings.raw_dir, cache_dir=Path(settings.out_dir) / ".cache", read_cache=settings.use_cache,
                            run_tasks=engine.runner() if engine.remote else None)
    formats = format_counts(df)
    context.log.info(f"read {df.height} raw files from {settings.raw_dir}: {formats}")
    context.add_output_metadata({
        "dagster/row_count": df.height, "formats": formats, "bytes": int(df.get_column("size_bytes").sum() or 0),
        **meter.stop(), "preview": preview(df.drop("location")),
    })
    return df
