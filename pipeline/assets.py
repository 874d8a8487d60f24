"""The Dagster asset graph. Assets only wire the stages of pipeline.stages together and report
what they made; every rule lives in the stage functions and the schemas.

raw_documents -> parsed_documents -> duplicate_clusters -> {one asset per table} -> parquet_files -> duckdb_database
"""

import json
import os
import pickle
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
from tabulate import tabulate
from tqdm import tqdm

import schemas
from pipeline import checks, export, publish
from pipeline.engine.resource import ComputeEngine
from pipeline.ingest import read_raw_documents
from pipeline.project import find_project
from pipeline.stages import ParsedDocuments, build_tables, deduplicate, load_overrides, parse_raw_documents

# The folders of the project the code location runs in (pipeline/project.py); CYBERDIALOGUE_* override them.
_PROJECT = find_project()
_RAW = os.environ.get("CYBERDIALOGUE_RAW", str(_PROJECT.raw))


class BuildSettings(dg.ConfigurableResource):
    """Where the raw documents are and where the build writes (defaults: the project's raw/ and output/)."""
    raw_dir: str = _RAW
    out_dir: str = os.environ.get("CYBERDIALOGUE_OUT", str(_PROJECT.out))
    # reviewed row-count bounds (the project file's `bounds`, for its own raw folder only); empty: no bounds
    bounds_file: str = os.environ.get("CYBERDIALOGUE_BOUNDS", str(_PROJECT.bounds_for(_RAW) or ""))
    # reviewed merge / split decisions about people, applied on every run
    overrides_file: str = os.environ.get("CYBERDIALOGUE_OVERRIDES", str(_PROJECT.overrides))
    # publish a build that loses more than half of a table's rows against the current one, or has
    # no readable document (the `shrink` check blocks it otherwise)
    allow_shrink: bool = os.environ.get("CYBERDIALOGUE_ALLOW_SHRINK", "").lower() in ("1", "true", "yes")
    # what earlier builds read, parsed and assembled is reused from <out_dir>/.cache (pipeline/caches.py);
    # False reads, parses and builds everything again (and refreshes the caches)
    use_cache: bool = True
    show_progress: bool = False   # a progress bar on the terminal (the CLI turns it on)


class StageIOManager(dg.ConfigurableIOManager):
    """Keeps each asset's value between steps as a pickle under <out_dir>/.stages/ (polars frames pickle natively)."""
    settings: dg.ResourceDependency[BuildSettings]

    def _path(self, context) -> Path:
        return Path(self.settings.out_dir) / ".stages" / ("__".join(context.asset_key.path) + ".pickle")

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        with open(tmp, "wb") as handle:
            pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def load_input(self, context: dg.InputContext):
        with open(self._path(context), "rb") as handle:
            return pickle.load(handle)


class _StageMeter:
    """Wall time and peak resident memory of one stage, from its creation to stop() (this process only;
    worker processes are not counted)."""

    def __init__(self):
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # reset the peak, so that it is this stage's
        except OSError:
            pass
        self.started = time.perf_counter()

    def stop(self) -> dict:
        peak_mb = None
        try:
            with open("/proc/self/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak_mb = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return {"seconds": round(time.perf_counter() - self.started, 3), "peak_rss_mb": peak_mb}


def _preview(df: pl.DataFrame, rows: int = 5) -> dg.MetadataValue:
    shown = df.head(rows).to_dicts()
    cells = [[(str(v)[:60] + "…") if v is not None and len(str(v)) > 60 else v for v in row.values()] for row in shown]
    return dg.MetadataValue.md(tabulate(cells, headers=df.columns, tablefmt="github"))


def _column_schema(name: str) -> dg.TableSchema:
    descriptions = schemas.column_descriptions(name)
    return dg.TableSchema(columns=[
        dg.TableColumn(name=col, type=str(dtype), description=descriptions.get(col) or None)
        for col, dtype in schemas.columns(name).items()
    ])


@dg.asset(group_name="ingest", description="One row per raw file: sha256, size, decoded text, detected format.")
def raw_documents(context: dg.AssetExecutionContext, settings: BuildSettings) -> pl.DataFrame:
    meter = _StageMeter()
    df = read_raw_documents(settings.raw_dir, cache_dir=Path(settings.out_dir) / ".cache", read_cache=settings.use_cache)
    formats = dict(Counter(df.get_column("format").to_list()))
    context.log.info(f"read {df.height} raw files from {settings.raw_dir}: {formats}")
    context.add_output_metadata({
        "dagster/row_count": df.height, "formats": formats, "bytes": int(df.get_column("size_bytes").sum() or 0),
        **meter.stop(), "preview": _preview(df.drop("location")),
    })
    return df


@dg.asset(group_name="parse", description="Each readable document parsed by the parser of its detected format.")
def parsed_documents(context: dg.AssetExecutionContext, settings: BuildSettings, compute: ComputeEngine,
                     raw_documents: pl.DataFrame) -> ParsedDocuments:
    meter = _StageMeter()
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
    cache_dir = str(Path(settings.out_dir) / ".cache" / "parse")
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
                                 "preview": _preview(pl.DataFrame(sample)) if sample else "no documents",
                                 **meter.stop()})
    return parsed


@dg.asset(group_name="dedup", description="Exact, near and mirror duplicate clusters, and the canonical document of each.")
def duplicate_clusters(context: dg.AssetExecutionContext, parsed_documents: ParsedDocuments) -> dict:
    meter = _StageMeter()
    rows, canonical = deduplicate(parsed_documents)
    methods = dict(Counter(r.method for r in rows))
    context.log.info(f"{len(rows)} duplicate documents: {methods}")
    sample = [r.__dict__ for r in rows[:5]]
    context.add_output_metadata({"dagster/row_count": len(rows), "methods": methods,
                                 "preview": _preview(pl.DataFrame(sample)) if sample else "no duplicates",
                                 **meter.stop()})
    return {"duplicates": rows, "canonical": canonical}


@dg.multi_asset(
    group_name="tables",
    outs={name: dg.AssetOut(description=info.description, metadata={"dagster/column_schema": _column_schema(name)})
          for name, info in schemas.TABLES.items()},
    description="The dataset's tables, with sessions merged across documents and people matched across sessions.",
)
def dataset_tables(context: dg.AssetExecutionContext, settings: BuildSettings, raw_documents: pl.DataFrame,
                   parsed_documents: ParsedDocuments, duplicate_clusters: dict):
    meter = _StageMeter()
    overrides = load_overrides(settings.overrides_file)
    tables = build_tables(raw_documents, parsed_documents, duplicate_clusters["duplicates"],
                          duplicate_clusters["canonical"], overrides, cache_dir=str(Path(settings.out_dir) / ".cache"),
                          read_cache=settings.use_cache, report=(sessions := {}))
    context.log.info(f"sessions: {sessions.get('sessions_built')} built, {sessions.get('sessions_reused')} unchanged "
                     "since the previous build (taken from the session store)")
    context.log.info("rows: " + ", ".join(f"{n}={df.height}" for n, df in tables.items()))
    for name, df in tables.items():
        yield dg.Output(df, output_name=name, metadata={
            "dagster/row_count": df.height, "dagster/column_schema": _column_schema(name), "preview": _preview(df),
            **meter.stop(), **sessions})


def _check_result(outcomes: list[checks.CheckOutcome]) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.passed]
    failures = [f | {"rule": o.rule} for o in failed for f in o.failures][:50]
    metadata = {"rules": "; ".join(o.message for o in outcomes)}
    if failures:
        metadata["offending"] = dg.MetadataValue.md(tabulate(failures, headers="keys", tablefmt="github"))
    return dg.AssetCheckResult(passed=not failed, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
                               description="; ".join(o.message for o in failed) or None)


def _schema_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=name, name="schema", blocking=True,
                    description=f"Pandera model {schemas.TABLES[name].model.__name__}: columns, types, nullability, allowed values, keys; no required column entirely null.")
    def _check(table: pl.DataFrame) -> dg.AssetCheckResult:
        return _check_result([checks.validate_schema(name, table), checks.check_required_columns_filled(name, table)])
    return _check


def _reference_check(name: str) -> dg.AssetChecksDefinition:
    """One check node per table: a blocking check that spans several tables would wait on itself."""
    others = schemas.referenced_tables(name)

    @dg.multi_asset_check(
        name=f"{name}_references",
        specs=[dg.AssetCheckSpec("references", asset=name, blocking=True, additional_deps=others,
                                 description=f"Every id {name} references exists in: {', '.join(others)}.")],
        ins={n: dg.AssetIn(n) for n in [name, *others]},
    )
    def _check(**tables: pl.DataFrame):
        result = _check_result([checks.check_foreign_keys(name, tables[name], tables)])
        yield dg.AssetCheckResult(asset_key=name, check_name="references", passed=result.passed,
                                  severity=result.severity, metadata=result.metadata, description=result.description)
    return _check


reference_checks = [_reference_check(n) for n in schemas.TABLES if schemas.referenced_tables(n)]


@dg.asset_check(asset="documents", name="coverage", blocking=True,
                additional_ins={"raw_documents": dg.AssetIn("raw_documents"), "rejects": dg.AssetIn("rejects")},
                description="Every raw file is a documents row; every document is parsed, partial, a duplicate, or rejected with a reason in rejects.")
def documents_coverage(documents: pl.DataFrame, raw_documents: pl.DataFrame, rejects: pl.DataFrame) -> dg.AssetCheckResult:
    return _check_result([checks.check_document_coverage(raw_documents, documents, rejects)])


_COUNTED = ["sessions", "people", "participants", "arguments", "agreements", "utterances"]


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("row_count_minimum", asset="documents", blocking=True, additional_deps=_COUNTED,
                             description="Reviewed bounds file: a build below a minimum fails."),
           dg.AssetCheckSpec("row_count_maximum", asset="documents", additional_deps=_COUNTED,
                             description="Reviewed bounds file: a build above a maximum warns.")],
    ins={"documents": dg.AssetIn("documents"), **{n: dg.AssetIn(n) for n in _COUNTED}},
)
def row_count_bounds(settings: BuildSettings, documents: pl.DataFrame, **tables: pl.DataFrame):
    bounds = checks.load_bounds(settings.bounds_file)
    below, above = checks.check_row_bounds(bounds, documents, {n: df.height for n, df in tables.items()})
    source = {"bounds_file": settings.bounds_file or "(none)"}
    for name, outcome, severity in (("row_count_minimum", below, dg.AssetCheckSeverity.ERROR),
                                    ("row_count_maximum", above, dg.AssetCheckSeverity.WARN)):
        result = _check_result([outcome])
        yield dg.AssetCheckResult(asset_key="documents", check_name=name, passed=outcome.passed, severity=severity,
                                  metadata={**result.metadata, **source}, description=result.description)


table_checks = [_schema_check(n) for n in schemas.TABLES] + reference_checks + [documents_coverage, row_count_bounds]


@dg.asset(group_name="export", ins={name: dg.AssetIn(name) for name in schemas.TABLES},
          description="TABLE.parquet for every table (zstd, sorted by key), written into this run's build folder; "
                      "published as output/parquet/ together with the database by duckdb_database.")
def parquet_files(context: dg.AssetExecutionContext, settings: BuildSettings, **tables: pl.DataFrame) -> dict:
    meter = _StageMeter()
    with publish.output_lock(settings.out_dir):
        staging = publish.build_dir(settings.out_dir, context.run_id)
        previous = publish.current_build(settings.out_dir) if settings.use_cache else None
        paths = export.write_parquet_tables(tables, staging, previous=previous, track=True)
    sizes = {name: path.stat().st_size for name, path in paths.items()}
    reused = json.loads((staging / export.TABLES_FILE).read_text())["tables"]
    files = pl.DataFrame({"table": list(paths), "rows": [tables[n].height for n in paths], "bytes": [sizes[n] for n in paths],
                          "unchanged": [reused[n]["reused"] for n in paths]})
    context.log.info(f"wrote {len(paths)} Parquet files; unchanged since the previous build (linked): "
                     + (", ".join(n for n in paths if reused[n]["reused"]) or "none"))
    context.add_output_metadata({"dagster/row_count": sum(df.height for df in tables.values()),
                                 "folder": str(staging / export.PARQUET_DIR), "bytes": sum(sizes.values()),
                                 "preview": _preview(files, rows=len(paths)), **meter.stop()})
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
    result = _check_result([outcome])
    return dg.AssetCheckResult(passed=outcome.passed, severity=result.severity, description=result.description,
                               metadata={**result.metadata, "previous_build": str(current) if current else "(none)"})


@dg.asset(group_name="export", description="cyberdialogue.duckdb with every table by name, self-contained; then the build "
                                           "(Parquet files and database together) is published atomically as output/.")
def duckdb_database(context: dg.AssetExecutionContext, settings: BuildSettings, parquet_files: dict) -> str:
    meter = _StageMeter()
    with publish.output_lock(settings.out_dir):
        build = Path(next(iter(parquet_files.values()))).parent.parent
        previous = publish.current_build(settings.out_dir) if settings.use_cache else None
        if previous is not None and previous.resolve() == build.resolve():
            previous = None
        done = export.write_duckdb({n: Path(p) for n, p in parquet_files.items()}, build / export.DATABASE_FILE,
                                   previous=previous)
        path = build / export.DATABASE_FILE
        publish.make_current(settings.out_dir, build)
        publish.prune_builds(settings.out_dir)
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    counts = con.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name").fetchall()
    con.close()
    context.log.info("database: " + "; ".join(f"{n} {d}" for n, d in done.items()))
    context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size, "tables": len(parquet_files),
                                 "update": dg.MetadataValue.json(done), **meter.stop(),
                                 "dagster/row_count": sum(c[1] for c in counts),
                                 "preview": _preview(pl.DataFrame(counts, schema=["table", "estimated_rows"], orient="row"), rows=len(counts))})
    return str(Path(settings.out_dir) / export.DATABASE_FILE)


class ReleaseConfig(dg.Config):
    version: str
    releases_dir: str = ""  # default: the project's releases folder for its output folder, else <out_dir>/releases
    allow_empty: bool = False  # publish even when no table changed since the latest release


@dg.op(description="Publish the current build as an immutable release (same as `cyberdialogue release VERSION`).")
def publish_release_op(context: dg.OpExecutionContext, config: ReleaseConfig, settings: BuildSettings) -> None:
    from pipeline.release import FIRST, publish_release

    releases = config.releases_dir or (str(_PROJECT.releases) if Path(settings.out_dir) == _PROJECT.out else None)
    result = publish_release(config.version, settings.out_dir, releases, allow_empty=config.allow_empty)
    kind = "first release" if result.level == FIRST else f"{result.level.upper()} change"
    context.log.info(f"released {result.version} ({kind}) at {result.path}: "
                     + ", ".join(f"{name} {size} B" for name, size in result.files.items()))


@dg.job(description="Publish the current build of the output folder as a release; give the version in the run config.")
def release_dataset():
    publish_release_op()


all_assets = [raw_documents, parsed_documents, duplicate_clusters, dataset_tables, parquet_files, duckdb_database]
export_checks = [shrink_guard]
