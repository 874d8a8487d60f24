"""The `cyberdialogue` command: build the dataset, query it with SQL, publish releases.

`build` runs the very asset graph of pipeline/definitions.py, in-process (no process per step).
Folders default to those of the project the working directory is in (pipeline/project.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from pipeline.project import Project, ProjectError, find_project

DAGSTER_YAML = """# The project's Dagster instance: run history, materializations, schedule and sensor state.
# `cyberdialogue build` records its runs here (unless DAGSTER_HOME names another instance), and so
# do `dg dev` and `dg launch` started in the project folder (its .env sets DAGSTER_HOME).
telemetry:
  enabled: false
"""




class CommandError(Exception):
    """A failure with a one-line reason for the user."""


@cache
def _project() -> Project:
    try:
        return find_project()
    except ProjectError as exc:
        raise CommandError(str(exc)) from None


def _dagster_instance():
    """The project's Dagster instance (DAGSTER_HOME when set), so that CLI builds show in the UI."""
    from pipeline.defs.event_log import with_kept_connections

    home = Path(os.environ.get("DAGSTER_HOME") or _project().dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    _unsynced_run_event_logs()
    return with_kept_connections(home)


def _unsynced_run_event_logs() -> None:
    """A run's own event log (history/runs/<run id>.db) is written without waiting for the disk: each
    of a build's ~300 events is one SQLite commit, and the waits alone cost seconds of a re-build.
    A power cut in a build can then lose that run's log. The cross-run index (history/runs/index.db,
    two or three commits per asset and check event, ~170 a build) waits for the disk only when it
    checkpoints, as SQLite advises for its write-ahead log: a power cut can lose its last commits
    (the latest materializations and check results), never its consistency. The run list and the
    schedules (runs.db, schedules.db) are written as before, and the dataset is not written through
    SQLite at all."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _event_log_sync_level):
        event.listen(Engine, "connect", _event_log_sync_level)


def _event_log_sync_level(connection, _record) -> None:
    import sqlite3

    if isinstance(connection, sqlite3.Connection):
        files = [Path(row[2]) for row in connection.execute("PRAGMA database_list") if row[2]]
        if not files or files[0].parent.name != "runs":
            return
        if files[0].stem != "index":
            connection.execute("PRAGMA synchronous=OFF")
        elif connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            # NORMAL is safe from corruption in WAL mode only; a rollback journal keeps FULL
            connection.execute("PRAGMA synchronous=NORMAL")


def _run_build(raw: Path | str, out: Path, verbose: bool, bounds: str | None = None, full: bool = False,
               allow_shrink: bool = False, engine: str = "local", parse_cache: str = "") -> dict:
    from pipeline import storage
    from pipeline.outputs.publish import OutputLocked, output_lock

    if not storage.folder_exists(raw):
        raise CommandError(f"raw folder not found: {raw}")
    if bounds is None and storage.is_url(raw):
        bounds = ""
    if bounds is None:
        reviewed = _project().bounds_for(raw)
        bounds = str(reviewed) if reviewed else ""
    if bounds and not Path(bounds).is_file():
        raise CommandError(f"bounds file not found: {bounds}")
    out.mkdir(parents=True, exist_ok=True)
    try:
        with output_lock(out):
            return _run_build_locked(raw, out, verbose, bounds, full, allow_shrink, engine, parse_cache)
    except OutputLocked as exc:
        raise CommandError(str(exc)) from None


def _run_build_locked(raw: Path | str, out: Path, verbose: bool, bounds: str, full: bool, allow_shrink: bool,
                      engine: str = "local", parse_cache: str = "") -> dict:
    from pipeline.memory import freeze_long_lived, no_gc

    started = time.perf_counter()
    # start-up (importing Dagster, polars, pandera..., the definitions, the instance) makes hundreds of
    # thousands of objects that live as long as the run and no garbage: the cycle collector's passes
    # meanwhile walked them again and again (about a quarter of the start-up's CPU). Frozen after,
    # they are out of its sight for the run too.
    with no_gc():
        from pipeline.definitions import build_definitions
        from pipeline.outputs.report import REPORT_FILE, make_report, write_report

        defs = build_definitions(raw if isinstance(raw, str) else str(raw.resolve()), str(out.resolve()), bounds,
                                 in_process=True, use_cache=not full, show_progress=sys.stderr.isatty(),
                                 allow_shrink=allow_shrink, engine=engine, parse_cache=parse_cache)
        job = defs.resolve_job_def("build")
        instance = _dagster_instance()
        freeze_long_lived()
    # Dagster's own log only with --verbose: a failure is reported below in one line, not as a stack trace
    level = "INFO" if verbose else "CRITICAL"
    with instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": level}}}},
        )
    seconds = time.perf_counter() - started
    report = {**make_report(raw, out, seconds, result.success, full, result.all_events),
              "engine": engine}
    if report["success"] and not report["failed_checks"]:
        # the build_report asset wrote the published build's report; the CLI adds the whole run's
        # wall time (start-up included) and the report step's own seconds
        report = {**json.loads((out / REPORT_FILE).read_text()), **report}
    write_report(out, report)
    return report


def _print_report(report: dict) -> None:
    """The summary of a successful build on stdout; warnings and failed checks on stderr."""
    if report["success"] and not report["failed_checks"]:
        print(f"build finished in {report['seconds']:.1f} s")
    if "documents" in report:
        print("documents by format: " + ", ".join(f"{k}={v}" for k, v in report["documents"]["by_format"].items()))
        print("documents by status: " + ", ".join(f"{k}={v}" for k, v in report["documents"]["by_status"].items()))
        print("rows: " + ", ".join(f"{k}={v}" for k, v in report["rows"].items()))
        print(f"duplicates: {report['rows'].get('duplicates', 0)} documents copy another")
        slow = sorted(report["stage_seconds"].items(), key=lambda kv: -kv[1])[:6]
        print("slowest stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in slow))
        for kind in ("documents", "records"):
            rejected = report["rejects"][kind]
            detail = "" if not rejected else " (" + "; ".join(f"{v}x {k}" for k, v in rejected.items()) + ")"
            print(f"rejected {kind}: {sum(rejected.values())}{detail}")
        print(f"database: {report['database']}")
    for warning in report["warnings"]:
        print(f"WARNING {warning['check']}: {warning['description']}", file=sys.stderr)
    for failure in report["failed_checks"]:
        print(f"CHECK FAILED {failure['check']}: {failure['description']}", file=sys.stderr)
        if failure["offending"]:
            print(failure["offending"], file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from pipeline import storage

    project = _project()
    out = args.out if storage.is_url(args.out) else Path(args.out) if args.out else project.out
    raw = args.raw if storage.is_url(args.raw) else Path(args.raw) if args.raw else project.raw
    if storage.is_url(out):  # built in a local folder, uploaded when it passed
        from pipeline.outputs.export import DATABASE_FILE, PARQUET_DIR
        from pipeline.outputs.report import REPORT_FILE

        # on a cluster the parse shards stay in object storage: the workers read and write them there
        remote_parses = storage.join(out, storage.REMOTE_PARSE_CACHE) if args.engine == "ray" else ""
        mirror = args.cache_mirror if args.cache_mirror is not None else os.environ.get(storage.MIRROR_ENV)
        with storage.staged_output(out, skip=storage.REMOTE_PARSE_CACHE if remote_parses else None,
                                   mirror=mirror or None) as (local_out, transfers):
            report = _run_build(raw, local_out, args.verbose, args.bounds, args.full, args.allow_shrink, args.engine,
                                remote_parses)
            if report["success"] and not report["failed_checks"]:
                tables = [f"{PARQUET_DIR}/{p.name}" for p in sorted((local_out / PARQUET_DIR).glob("*.parquet"))]
                storage.upload_output(local_out, out, tables + [DATABASE_FILE], transfers)
                report.update(out_dir=out, database=f"{out}/{DATABASE_FILE}", storage=transfers.as_dict())
                storage.write_text(out, REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")  # last
    else:
        report = _run_build(raw, out, args.verbose, args.bounds, args.full, args.allow_shrink, args.engine)
    _print_report(report)
    kept = f"; nothing published, {out} is as before"
    if report["failed_checks"]:
        first = report["failed_checks"][0]
        more = f" (and {len(report['failed_checks']) - 1} more)" if len(report["failed_checks"]) > 1 else ""
        raise CommandError(f"blocking check {first['check']} failed{more}: {first['description']}{kept}")
    if not report["success"]:
        reason = report["errors"][0] if report["errors"] else "a step did not run"
        raise CommandError(f"build failed in {', '.join(report['failed_steps']) or 'a step'}: {reason}{kept}")
    rejected = sum(sum(v.values()) for v in report.get("rejects", {}).values())
    if args.strict and rejected:
        raise CommandError(f"--strict: {rejected} rejected document(s) or record(s)")
    return 0


def format_cell(value, width: int = 0):
    """One value as printed by `sql`: lists and structs as JSON (["p;q", "r"] stays two items), cut to width."""
    text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (list, dict)) else value
    if isinstance(text, str) and width and len(text) > width:
        return text[: width - 1] + "…"
    return text


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb
    from tabulate import tabulate

    from pipeline.outputs.export import DATABASE_FILE

    database = Path(args.db) if args.db else Path(args.out or _project().out) / DATABASE_FILE
    if not database.exists():
        raise CommandError(f"no database at {database}: run 'cyberdialogue build' first")
    try:
        # read-only, and no file or network access: a query cannot write files (COPY ... TO) or read others
        con = duckdb.connect(str(database), read_only=True,
                             config={"enable_external_access": False, "lock_configuration": True})
    except duckdb.Error as exc:
        raise CommandError(f"cannot open {database}: {str(exc).splitlines()[0]}") from None
    try:
        statements = con.extract_statements(args.query)
        if len(statements) != 1:
            raise CommandError("no SQL statement in the query (it is empty or only comments)" if not statements
                               else f"give one SQL statement, not {len(statements)}")
        cursor = con.execute(statements[0])
        if cursor.description is None:
            return 0
        headers = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(args.max_rows + 1)
    except duckdb.Error as exc:
        raise CommandError(str(exc).strip().splitlines()[0]) from None
    finally:
        con.close()
    shown = rows[: args.max_rows]
    if args.format == "csv":  # every cell whole: CSV is for programs
        import csv
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[format_cell(v) for v in row] for row in shown])
    else:
        cells = [[format_cell(v, args.max_width) for v in row] for row in shown]
        # numbers right-aligned; text that looks like a number ("007", "1e3") printed as it is
        text_columns = [i for i in range(len(headers)) if any(isinstance(row[i], str) for row in cells)]
        print(tabulate(cells, headers=headers, tablefmt="psql", missingval="NULL", disable_numparse=text_columns))
    more = " (more not shown; raise --max-rows)" if len(rows) > args.max_rows else ""
    print(f"({len(shown)} row{'s' if len(shown) != 1 else ''}){more}", file=sys.stderr)
    return 0


def _releases_dir(args: argparse.Namespace):
    """The releases folder: a Path, or a UPath for a URL (both join with `/`)."""
    from pipeline import storage

    if args.releases:
        return storage.remote(args.releases) if storage.is_url(args.releases) else Path(args.releases)
    if args.out and storage.is_url(args.out):
        return storage.remote(storage.join(args.out, "releases"))
    return Path(args.out) / "releases" if args.out else _project().releases


@contextmanager
def _reaching(*locations):
    """Object-storage failures inside (when a location is a URL) as one line: exit 1, no stack trace."""
    from pipeline import storage

    try:
        with storage.reaching(*locations):
            yield
    except storage.StorageError as exc:
        raise CommandError(str(exc)) from None


def _add_release_folders(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--out", metavar="DIR", help=out_help)
    parser.add_argument("--releases", metavar="DIR", help="releases folder (default: OUT/releases), or an object-storage "
                                                          "URL such as s3://bucket/releases")


def cmd_release(args: argparse.Namespace) -> int:
    from pipeline.outputs.release import FIRST, ReleaseError, list_releases, publish_release

    releases = _releases_dir(args)
    if args.list:
        with _reaching(releases):
            _print_releases(releases, list_releases(releases))
        return 0
    if not args.version:
        raise CommandError("give a VERSION (e.g. 1.0.0) or --list")
    out = args.out or _project().out
    try:
        with _reaching(releases, out):
            result = publish_release(args.version, out, releases, allow_empty=args.allow_empty)
    except ReleaseError as exc:
        raise CommandError(str(exc)) from None
    kind = "first release" if result.level == FIRST else f"{result.level.upper()} change"
    if result.replaced:
        print(f"removed {result.replaced} object(s) an unfinished upload of {result.version} had left")
    print(f"released {result.version} ({kind}) at {result.path}")
    for name, size in result.files.items():
        print(f"  {size:>10}  {name}")
    return 0


def _print_releases(releases, versions: list[str]) -> None:
    if not versions:
        print(f"no releases in {releases}")
    for version in versions:
        manifest = json.loads((releases / version / "manifest.json").read_text())
        rows = manifest.get("row_counts", {})
        print(f"{version}  released {manifest.get('released_at')}  code {manifest.get('code_version')}  "
              f"sessions={rows.get('sessions')} people={rows.get('people')} arguments={rows.get('arguments')}")


def cmd_verify(args: argparse.Namespace) -> int:
    from pipeline import storage
    from pipeline.outputs.release import list_releases, verify_release

    releases = _releases_dir(args)
    path = releases / args.version
    with _reaching(releases):
        if not path.is_dir():
            raise CommandError(f"no release {args.version} in {releases}")
        if storage.is_url(releases) and args.version not in list_releases(releases):
            raise CommandError(f"{path} has no SHA256SUMS: an upload that did not finish, not a release "
                               f"(publishing {args.version} again replaces it)")
        problems = verify_release(path)
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    if problems:
        raise CommandError(f"release {args.version}: {len(problems)} file(s) do not match SHA256SUMS")
    print(f"release {args.version}: every checksum matches")
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from pipeline import storage
    from pipeline.outputs.site import SITE_DIR, build_site

    if args.release:
        data = _releases_dir(args) / args.release
        site = args.site or (storage.join(args.out, f"{SITE_DIR}-{args.release}") if storage.is_url(args.out)
                             else Path(args.out or _project().out) / f"{SITE_DIR}-{args.release}")
        if storage.is_url(data) or storage.is_url(site):
            with _reaching(data, site):
                return _site_of_release_at_url(data, site, args.release)
        manifest = data / "manifest.json"
        if not manifest.is_file():
            raise CommandError(f"no release {args.release} in {_releases_dir(args)}")
        released_at = json.loads(manifest.read_text()).get("released_at") or ""
        site = Path(site)
        version, date = args.release, released_at[:10] or None
    else:
        if storage.is_url(args.out):
            raise CommandError("the site of a build at a URL is not made here: give a local --out, or --release "
                               "VERSION (every release also has its site/)")
        data = Path(args.out) if args.out else _project().out
        site = Path(args.site) if args.site else data / SITE_DIR
        version = date = None
    try:
        result = build_site(data, site, version=version, date=date, released=bool(args.release))
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from None
    print(f"site: {result.pages} pages in {result.seconds:.1f} s at {result.path} (open {result.path / 'index.html'})")
    return 0


def _site_of_release_at_url(data, site, version: str) -> int:
    """The site of a release when the release or the site is at a URL. It is made in a temporary folder
    laid out as the default (OUT/site-VERSION beside OUT/releases/VERSION), so its links to the release's
    files work wherever the site sits beside the releases folder, from the release's tables (downloaded
    when at a URL), then uploaded (replacing an earlier site there) or copied to the site's folder."""
    import shutil
    import tempfile

    import schemas
    from pipeline import storage
    from pipeline.outputs.export import PARQUET_DIR
    from pipeline.outputs.release import SUMS
    from pipeline.outputs.site import SITE_DIR, build_site

    with tempfile.TemporaryDirectory(prefix="cyberdialogue-site-") as tmp:
        local_data, built = Path(tmp) / "releases" / version, Path(tmp) / f"{SITE_DIR}-{version}"
        local_data.parent.mkdir()
        if storage.is_url(data):
            if SUMS not in storage.list_files(data):
                raise CommandError(f"no release {version} at {data}")
            names = ["manifest.json"] + [f"{PARQUET_DIR}/{n}.parquet" for n in schemas.TABLES]
            storage.download_files(data, names, local_data)
        elif (Path(data) / "manifest.json").is_file():
            local_data.symlink_to(Path(data).resolve(), target_is_directory=True)
        else:
            raise CommandError(f"no release {version} in {Path(data).parent}")
        released_at = json.loads((local_data / "manifest.json").read_text()).get("released_at") or ""
        result = build_site(local_data, built, version=version, date=released_at[:10] or None, released=True)
        files = storage.local_files(built)
        if storage.is_url(site):
            stale = sorted(set(storage.list_files(site)) - set(files))
            storage.upload_files(built, site, files)
            storage.remove_files(site, stale)
        else:
            shutil.copytree(built, site, dirs_exist_ok=True)
    print(f"site: {result.pages} pages in {result.seconds:.1f} s at {site} (open {storage.join(site, 'index.html')})")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from devtools.generate import generate_corpus

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise CommandError(f"{out} is not empty; generate into a new folder")
    started = time.perf_counter()
    truth = generate_corpus(args.docs, out, args.seed)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {len(truth['documents'])} documents ({size / 1e6:.1f} MB, {truth['sessions']} sessions, "
          f"{len(truth['people'])} people) to {out} in {time.perf_counter() - started:.1f} s; "
          f"truth in {out.parent / (out.name + '.truth.json')}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from devtools import bench

    workdir = Path(args.workdir) if args.workdir else _project().out / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.engine == "ray":  # the build on Ray (s3 -> s3, S3 server on loopback) against the local engine
        from devtools import bench_cluster

        results = bench_cluster.bench_engines(sizes, workdir, args.seed, args.shard_size)
        bench_cluster.print_engines(results)
        args.what = "ray"
    elif args.what == "dedup":
        results = bench.bench_dedup(sizes, workdir, args.seed)
        bench.print_dedup(results)
    else:
        results = bench.bench_build(sizes, workdir, args.seed)
        bench.print_build(results)
    path = workdir / f"bench_{args.what}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyberdialogue",
        description="Build and query the cyberdialogue dataset of international cyber-policy sessions.",
        epilog="Folders default to those of the project: the nearest folder, from the working directory up, with a "
               "cyberdialogue.toml or a pyproject.toml with [tool.cyberdialogue] (its raw/, output/ and .dagster/, "
               "or the paths it sets); without one, the working directory.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="parse raw documents into validated Parquet tables and a DuckDB database",
                           description="Run the whole Dagster asset graph in-process: read every file under --raw "
                                       "(recursively), parse, de-duplicate, validate, and write --out/parquet/*.parquet "
                                       "and --out/cyberdialogue.duckdb. Prints a summary and writes --out/build_report.json "
                                       "(--out/failed_build_report.json for a build that was not published).")
    build.add_argument("--raw", metavar="DIR", help="folder of raw documents, searched recursively (default: the project's raw/); "
                                                    "or an object-storage URL such as s3://bucket/raw")
    build.add_argument("--out", metavar="DIR", help="output folder (default: the project's output/); or an object-storage URL "
                                                    "such as s3://bucket/out (built locally, uploaded when it passed)")
    build.add_argument("--strict", action="store_true", help="fail (exit 1) when any document or record was rejected")
    build.add_argument("--bounds", metavar="FILE", help="reviewed row-count bounds (YAML); default: the project file's "
                       "`bounds` when building the project's raw folder, none otherwise; '' for none")
    build.add_argument("--allow-shrink", action="store_true",
                       help="publish even when a table loses more than half its rows against the build it replaces, "
                            "or the raw folder has no readable document (refused otherwise: exit 1, output kept)")
    build.add_argument("--verbose", action="store_true", help="show the Dagster log of every step")
    build.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="where parsing runs: this machine's process pool (default) or Ray tasks on the cluster "
                            "RAY_ADDRESS names (a local Ray when unset); needs the `cluster` extra")
    build.add_argument("--full", action="store_true", help="ignore the caches of earlier builds (read, parse and build everything again; the caches are refreshed)")
    build.add_argument("--cache-mirror", metavar="DIR",
                       help="with an --out URL: a local folder that keeps the output's caches between builds, so that a "
                            "build downloads only the cache objects written since (default: $CYBERDIALOGUE_CACHE_MIRROR; "
                            "none: every cache object is downloaded)")
    build.set_defaults(func=cmd_build)
    sql = sub.add_parser("sql", help="run SQL on the built DuckDB database and print a table",
                         description="Run one SQL statement on --out/cyberdialogue.duckdb, read-only and without access to "
                                     "other files; tables are named as in DATASET.md. Lists print as JSON arrays. A query "
                                     "that fails (or is empty) exits 1 with a one-line reason.")
    sql.add_argument("query", help='the SQL, e.g. "SELECT * FROM sessions"')
    sql.add_argument("--out", metavar="DIR", help="output folder holding cyberdialogue.duckdb (default: the project's output/)")
    sql.add_argument("--db", metavar="FILE", help="a DuckDB file to query instead (e.g. a release's)")
    sql.add_argument("--max-rows", type=int, default=200, metavar="N", help="print at most N rows (default: 200)")
    sql.add_argument("--max-width", type=int, default=80, metavar="N", help="in a table, cut cells longer than N characters; 0 = never (default: 80; CSV cells are never cut)")
    sql.add_argument("--format", choices=("table", "csv"), default="table", help="output as an aligned table or CSV (default: table)")
    sql.set_defaults(func=cmd_sql)
    generate = sub.add_parser("generate", help="write a synthetic corpus that looks like the real one, with its truth",
                              description="Write about --docs documents of all four formats (with their variations, realistic "
                                          "sizes, recurring people under name variants, planted mirrors and reposts, a few "
                                          "malformed files) under --out, and OUT.truth.json beside it.")
    generate.add_argument("--docs", type=int, required=True, metavar="N", help="how many documents")
    generate.add_argument("--out", required=True, metavar="DIR", help="a new folder for the corpus")
    generate.add_argument("--seed", type=int, default=1, metavar="S", help="random seed: same seed, same corpus (default 1)")
    generate.set_defaults(func=cmd_generate)
    bench = sub.add_parser("bench", help="measure the build (or de-duplication) on generated corpora",
                           description="build: for each size, generate a corpus, run a full build and an incremental "
                                       "re-build after one changed document, and print per stage wall time, documents/s, "
                                       "MB/s and peak memory, de-duplication precision and recall, the README queries' "
                                       "latency, and two references (bare read-and-regex-scan; datasketch MinHashLSH). "
                                       "dedup: precision and recall on the labelled set, time and peak memory of the "
                                       "de-duplication stage. Results are also written as JSON. Measures; asserts nothing.")
    bench.add_argument("what", nargs="?", choices=("build", "dedup"), default="build", help="what to measure (default: build)")
    bench.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, comma-separated (default 1000,10000,100000)")
    bench.add_argument("--workdir", metavar="DIR",
                       help="where corpora, outputs and results go (default: the project's output/bench; corpora are reused)")
    bench.add_argument("--seed", type=int, default=1, metavar="S", help="corpus seed (default 1)")
    bench.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="ray: full builds on Ray from s3:// into s3:// (an S3 server on loopback) against local ones, "
                            "per stage, with start-up, per-task overhead, driver memory and S3 requests (the `cluster` extra)")
    bench.add_argument("--shard-size", type=int, default=2000, metavar="N", help="documents per parse shard on Ray (default 2000)")
    bench.set_defaults(func=cmd_bench)
    release = sub.add_parser("release", help="publish the current build as an immutable, versioned release",
                             description="Publish --out's current build as RELEASES/VERSION: Parquet tables, a DuckDB database, "
                                         "CSV copies, datapackage.json, croissant.json, DATA_DICTIONARY.md, a dataset card, a static website (site/), "
                                         "manifest.json, SHA256SUMS, and a diff against the previous release (diff.json, "
                                         "CHANGELOG.md). Refuses an existing version, a version not above the latest, a version "
                                         "lower than the changes require (MAJOR: column or table removed or retyped; MINOR: rows, "
                                         "columns or tables added; PATCH: corrections), and a release with no change. At a URL "
                                         "(s3://...) it is made locally and uploaded, SHA256SUMS last; a version folder "
                                         "without SHA256SUMS is an unfinished upload: not listed, replaced by the next publish.")
    release.add_argument("version", nargs="?", help="MAJOR.MINOR.PATCH, e.g. 1.0.0")
    release.add_argument("--list", action="store_true", help="list the published releases instead")
    release.add_argument("--allow-empty", action="store_true", help="publish even when no table changed since the latest release")
    _add_release_folders(release, "the build to publish (default: the project's output/), or its URL (s3://...)")
    release.set_defaults(func=cmd_release)
    site = sub.add_parser("site", help="write the static website of the current build (or of a release)",
                          description="Write a static website (plain HTML and CSS, no server, nothing fetched when viewed: it "
                                      "works from file://): an overview with row counts, sources, licence, downloads and "
                                      "charts, a page per session, per person and per table, and an offline search. "
                                      "Every release has one in its site/ folder.")
    site.add_argument("--out", metavar="DIR", help="output folder holding the build (default: the project's output/); "
                      "the site goes to DIR/site")
    site.add_argument("--release", metavar="VERSION", help="the site of this published release instead "
                      "(written to OUT/site-VERSION; its own copy is in the release's site/ folder)")
    site.add_argument("--releases", metavar="DIR", help="releases folder (default: OUT/releases), or its URL (s3://...)")
    site.add_argument("--site", metavar="DIR", help="write the site to DIR instead")
    site.set_defaults(func=cmd_site)
    verify = sub.add_parser("verify", help="re-check every checksum of a release",
                            description="Recompute the sha256 of every file of a release and compare with its SHA256SUMS; "
                                        "exit 1 and list every mismatch, missing or unlisted file. A release at a URL is downloaded "
                                        "into a temporary folder and checked there.")
    verify.add_argument("version", help="the release to check, e.g. 1.0.0")
    _add_release_folders(verify, "output folder (default: the project's output/), or its URL (s3://...)")
    verify.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"cyberdialogue {args.command}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an unforeseen condition: one line, the traceback with --verbose
        if getattr(args, "verbose", False):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"cyberdialogue {args.command}: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"cyberdialogue {args.command}: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The console entry point: main(), then exit without tearing down the heap object by object.

    After a large build the interpreter would spend seconds freeing millions of objects one at a
    time; exit handlers still run, output is flushed, and the operating system reclaims the rest."""
    import atexit

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
