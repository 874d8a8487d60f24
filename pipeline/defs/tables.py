"""The assembly stage as a multi-asset: one asset per table (pipeline.transform.assembly, kept by pipeline.incremental.assembly_cache)."""
from pathlib import Path

import dagster as dg
import polars as pl

import schemas
from pipeline.engine.resource import ComputeEngine
from pipeline.incremental.assembly_cache import build_tables
from pipeline.incremental.parse_cache import ParsedDocuments
from pipeline.stages import load_overrides
from pipeline.defs.resources import BuildSettings, StageMeter, preview, column_schema


@dg.multi_asset(
    group_name="tables",
    outs={name: dg.AssetOut(description=info.description, metadata={"dagster/column_schema": column_schema(name)})
          for name, info in schemas.TABLES.items()},
    description="The dataset's tables, with sessions merged across documents and people matched across sessions.",
)
def dataset_tables(context: dg.AssetExecutionContext, settings: BuildSettings, compute: ComputeEngine,
                   raw_documents: pl.DataFrame, parsed_documents: ParsedDocuments, duplicate_clusters: dict):
    meter = StageMeter()
    engine = compute.open()

    overrides = load_overrides(settings.overrides_file)
    tables = build_tables(raw_documents, parsed_documents, duplicate_clusters["duplicates"],
                          duplicate_clusters["canonical"], overrides, cache_dir=str(Path(settings.out_dir) / ".cache"),
                          read_cache=settings.use_cache, report=(sessions := {}),
                          run_batches=engine.runner(),  # batches of sessions on the engine's workers
                          batch_sessions=engine.session_batch)
    context.log.info(f"sessions: {sessions.get('sessions_built')} built, {sessions.get('sessions_reused')} unchanged "
                     "since the previous build (taken from the session store)")
    context.log.info("rows: " + ", ".join(f"{n}={df.height}" for n, df in tables.items()))
    for name, df in tables.items():
        yield dg.Output(df, output_name=name, metadata={
            "dagster/row_count": df.height, "dagster/column_schema": column_schema(name), "preview": preview(df),
            **meter.stop(), **sessions})
