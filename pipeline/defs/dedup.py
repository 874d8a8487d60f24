"""The de-duplication stage as an asset: duplicate clusters and canonical documents (pipeline.transform.dedup)."""
from collections import Counter

import dagster as dg
import polars as pl

from pipeline.engine.resource import ComputeEngine
from pipeline.incremental.parse_cache import ParsedDocuments
from pipeline.stages import deduplicate
from pipeline.defs.resources import StageMeter, preview


@dg.asset(group_name="dedup", description="Exact, near and mirror duplicate clusters, and the canonical document of each.")
def duplicate_clusters(context: dg.AssetExecutionContext, compute: ComputeEngine, parsed_documents: ParsedDocuments) -> dict:
    meter = StageMeter()
    engine = compute.open()
    # on a cluster the LSH bands and the pair confirmations are tasks; here the stage takes a second
    rows, canonical = deduplicate(parsed_documents, engine.runner() if engine.remote else None)
    methods = dict(Counter(r.method for r in rows))
    context.log.info(f"{len(rows)} duplicate documents: {methods}")
    sample = [r.__dict__ for r in rows[:5]]
    context.add_output_metadata({"dagster/row_count": len(rows), "methods": methods,
                                 "preview": preview(pl.DataFrame(sample)) if sample else "no duplicates",
                                 **meter.stop()})
    return {"duplicates": rows, "canonical": canonical}
