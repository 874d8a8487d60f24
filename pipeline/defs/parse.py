"""The parse stage as an asset: each readable document parsed by its family (pipeline.parse, kept by pipeline.incremental.parse_cache)."""
from pathlib import Path

import dagster as dg
import polars as pl
from tqdm import tqdm

from pipeline.engine.resource import ComputeEngine
from pipeline.incremental.parse_cache import ParsedDocuments, parse_raw_documents
from pipeline.defs.resources import BuildSettings, StageMeter, preview


@dg.asset(group_name="parse", description="Each readable document parsed by the parser of its detected format.")
def parsed_documents(context: dg.AssetExecutionContext, settings: BuildSettings, compute: ComputeEngine,
                     raw_documents: pl.DataFrame) -> ParsedDocuments:
    meter = StageMeter()
    engine = compute.open()
    bar = tqdm(unit="doc", desc="parse", disable=not settings.show_progress, leave=False, smoothing=0.1, dynamic_ncols=True)
    last = [0]

    def progress(done: int, total: int) -> None:  # over the documents not in the cache
        if bar.total != total:
            bar.total = total
        bar.update(done - last[0])
        last[0] = done
        if done == total or done // 5000 != (done - 500) // 5000:
            context.log.info(f"parsed {done}/{total} documents")
    cache_dir = settings.parse_cache or str(Path(settings.out_dir) / ".cache" / "parse")
    parsed = parse_raw_documents(raw_documents, progress=progress,
                                 cache_dir=cache_dir, read_cache=settings.use_cache, engine=engine)
    bar.close()
    frame = parsed.frame
    problems, sessions, cached = (int(frame[c].sum()) for c in ("problems", "sessions", "from_cache"))
    context.log.info(f"parsed {len(parsed)} documents ({cached} from the cache): {sessions} session records, {problems} problems")
    sample = frame.head(5).select("document_id", "format", "title", "sessions", "problems",
                                  pl.col("from_cache").alias("cached")).to_dicts()
    context.add_output_metadata({"dagster/row_count": len(parsed), "session_records": sessions, "problems": problems,
                                 "from_cache": cached, "parsed_now": len(parsed) - cached,
                                 "engine": engine.name, "parse_shards_run": parsed.shards_run,
                                 "engine_startup_seconds": round(engine.startup_seconds, 3),
                                 "preview": preview(pl.DataFrame(sample)) if sample else "no documents",
                                 **meter.stop()})
    return parsed
