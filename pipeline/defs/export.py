"""Export as assets: Parquet files, the shrink guard, the DuckDB database published atomically, the build report."""
import json
import time
from pathlib import Path

import dagster as dg
import polars as pl

import schemas
from pipeline.transform import checks
from pipeline.outputs import export
from pipeline.outputs import publish
from pipeline.outputs import report as report_of_run
from pipeline.shards import run_alone
from pipeline.defs.resources import BuildSettings, StageMeter, preview
from pipeline.defs.validate import check_result


@dg.asset(group_name="export", ins={name: dg.AssetIn(name) for name in schemas.TABLES},
          description="TABLE.parquet for every table (zstd, sorted by key), written into this run's build folder; "
                      "published as output/parquet/ together with the database by duckdb_database.")
def parquet_files(context: dg.AssetExecutionContext, settings: BuildSettings, **tables: pl.DataFrame) -> dict:
    meter = StageMeter()
    with publish.output_lock(settings.out_dir):
        staging = publish.build_dir(settings.out_dir, context.run_id)
        previous = publish.current_build(settings.out_dir) if settings.use_cache else None
        with export.copying_previous_database(previous, staging):  # for duckdb_database, at the same time
            paths = export.write_parquet_tables(tables, staging, previous=previous, track=True)
    sizes = {name: path.stat().st_size for name, path in paths.items()}
    reused = json.loads((staging / export.TABLES_FILE).read_text())["tables"]
    files = pl.DataFrame({"table": list(paths), "rows": [tables[n].height for n in paths], "bytes": [sizes[n] for n in paths],
                          "unchanged": [reused[n]["reused"] for n in paths]})
    context.log.info(f"wrote {len(paths)} Parquet files; unchanged since the previous build (linked): "
                     + (", ".join(n for n in paths if reused[n]["reused"]) or "none"))
    context.add_output_metadata({"dagster/row_count": sum(df.height for df in tables.values()),
                                 "folder": str(staging / export.PARQUET_DIR), "bytes": sum(sizes.values()),
                                 "preview": preview(files, rows=len(paths)), **meter.stop()})
    return {name: str(path) for name, path in paths.items()}


@dg.asset_check(asset="parquet_files", name="shrink", blocking=True,
                description="The staged build is not published when its raw folder has no readable document, or when a "
                            "table loses more than half its rows against the build it would replace (unless allow_shrink / "
                            "--allow-shrink); the previous output stays in place.")
def shrink_guard(settings: BuildSettings, parquet_files: dict) -> dg.AssetCheckResult:
    staged = Path(next(iter(parquet_files.values()))).parent.parent
    current = publish.current_build(settings.out_dir)
    previous = export.table_rows(current) if current else None
    status = pl.read_parquet(parquet_files["documents"], columns=["status"])
    outcome = checks.check_shrink(previous, status, export.table_rows(staged) or {}, allowed=settings.allow_shrink)
    result = check_result([outcome])
    return dg.AssetCheckResult(passed=outcome.passed, severity=result.severity, description=result.description,
                               metadata={**result.metadata, "previous_build": str(current) if current else "(none)"})


@dg.asset(group_name="export", description="cyberdialogue.duckdb with every table by name, self-contained; then the build "
                                           "(Parquet files and database together) is published atomically as output/.")
def duckdb_database(context: dg.AssetExecutionContext, settings: BuildSettings, parquet_files: dict) -> str:
    meter = StageMeter()
    with publish.output_lock(settings.out_dir):
        build = Path(next(iter(parquet_files.values()))).parent.parent
        previous = publish.current_build(settings.out_dir) if settings.use_cache else None
        if previous is not None and previous.resolve() == build.resolve():
            previous = None
        # in a process of its own: DuckDB's buffer (up to DUCKDB_MEMORY) is never the driver's
        done, process_peak = run_alone(export.write_duckdb, {n: Path(p) for n, p in parquet_files.items()},
                                       build / export.DATABASE_FILE, previous=previous)
        path = build / export.DATABASE_FILE
        publish.make_current(settings.out_dir, build)
        publish.prune_builds(settings.out_dir)
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    counts = con.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name").fetchall()
    con.close()
    context.log.info("database: " + "; ".join(f"{n} {d}" for n, d in done.items()))
    context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size, "tables": len(parquet_files),
                                 "update": dg.MetadataValue.json(done), **meter.stop(), "process_peak_heap_mb": process_peak,
                                 "dagster/row_count": sum(c[1] for c in counts),
                                 "preview": preview(pl.DataFrame(counts, schema=["table", "estimated_rows"], orient="row"), rows=len(counts))})
    return str(Path(settings.out_dir) / export.DATABASE_FILE)


@dg.asset(group_name="export", deps=[duckdb_database],
          description="build_report.json in the output folder: documents by format and status, rows per table, "
                      "rejects, failed and warning checks, seconds and peak memory per stage. Every successful "
                      "build writes it, however it was started.")
def build_report(context: dg.AssetExecutionContext, settings: BuildSettings) -> None:
    run = context.instance.get_run_stats(context.run_id)
    events = [entry.dagster_event for entry in context.instance.all_logs(context.run_id) if entry.is_dagster_event]
    out = Path(settings.out_dir)
    seconds = time.time() - run.start_time if run.start_time else 0.0
    report = {**report_of_run.make_report(settings.raw_dir, settings.out_dir, seconds, True, not settings.use_cache, events),
              **report_of_run.published_summary(out / export.PARQUET_DIR, out / export.DATABASE_FILE)}
    path = report_of_run.write_report(out, report)
    context.add_output_metadata({"path": str(path), "documents": dg.MetadataValue.json(report["documents"]),
                                 "rows": dg.MetadataValue.json(report["rows"]),
                                 "rejects": dg.MetadataValue.json(report["rejects"])})


export_checks = [shrink_guard]


@dg.asset(group_name="export", deps=[duckdb_database],
          description="The static website of the published build (output/site/): overview with charts, a page per "
                      "session, person and table, offline search. Same as `cyberdialogue site`.")
def site(context: dg.AssetExecutionContext, settings: BuildSettings) -> str:
    from pipeline.outputs.site import SITE_DIR, build_site

    meter = StageMeter()
    # pages whose inputs did not change are not rendered again (--full renders every page)
    # in a process of its own (it reads the published files, nothing the driver holds), which starts its render pool
    result, process_peak = run_alone(build_site, settings.out_dir, Path(settings.out_dir) / SITE_DIR, reuse=settings.use_cache)
    context.log.info(f"site: {result.pages} pages at {result.path}, {result.written} files written")
    context.add_output_metadata({"path": str(result.path / "index.html"), "pages": result.pages,
                                 "written": result.written, **meter.stop(), "process_peak_heap_mb": process_peak})
    return str(result.path)
