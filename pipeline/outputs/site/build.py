"""The static website of a build or a release: an overview with charts, a page per session, per
person and per table, and an offline search. Plain HTML and one stylesheet; nothing is fetched when
the pages are viewed, so the site works from file:// and from any static host.

The site is written beside its data (the Parquet files, the database, a release's datapackage and
checksums), and links to them relatively.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

import schemas
from pipeline.outputs import export
from pipeline.outputs.docs import dataset_metadata
from pipeline.outputs.site.charts import draw_charts

SITE_DIR = "site"
STATIC_FILES = ("style.css", "search.js")
DIFFERENCES = ("disagreement", "unexpected_difference")

# What a release publishes beside its site, in the order the overview lists them (path, label, note).
DOWNLOADS = [
    (export.DATABASE_FILE, "DuckDB database", "every table, with column comments"),
    ("datapackage.json", "Data Package descriptor", "frictionless datapackage over the Parquet and CSV files"),
    ("croissant.json", "Croissant metadata", "for ML tools"),
    ("DATA_DICTIONARY.md", "Data dictionary", "every column, its type and meaning"),
    ("SHA256SUMS", "Checksums", "sha256 of every file of the release"),
    ("manifest.json", "Release manifest", "version, date, row counts and build report"),
    ("CHANGELOG.md", "Changelog", "what changed since the previous release"),
]


@dataclass(frozen=True)
class SiteResult:
    path: Path
    pages: int
    seconds: float


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("pipeline.outputs.site", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def _heading(session: dict) -> str:
    """A session's title, or what names it best when it has none."""
    return session.get("title") or session.get("session_format") or session.get("series") or f"Untitled session {session['session_id']}"


def _by(frame: pl.DataFrame, key: str) -> dict[str, list[dict]]:
    """Rows grouped by one column, each group in the frame's order."""
    groups: dict[str, list[dict]] = {}
    for row in frame.iter_rows(named=True):
        groups.setdefault(row[key], []).append(row)
    return groups


def _downloads(data_dir: Path, site_dir: Path, released: bool) -> list[dict]:
    """Links to the data beside the site: every file a release has (they are written with it), or,
    for a build, those that exist."""
    links = []

    def add(path: Path, label: str, note: str) -> None:
        if released or path.exists():
            links.append({"href": os.path.relpath(path, site_dir).replace(os.sep, "/"), "label": label, "note": note})

    for name in schemas.TABLES:
        add(data_dir / export.PARQUET_DIR / f"{name}.parquet", f"{name}.parquet", "Parquet")
    for name, label, note in DOWNLOADS:
        add(data_dir / name, label, note)
    return links


def _table_pages(rows: dict[str, int], data_dir: Path, site_dir: Path) -> list[dict]:
    pages = []
    for name, info in schemas.TABLES.items():
        nullable = schemas.column_nullable(name)
        descriptions = schemas.column_descriptions(name)
        parquet = data_dir / export.PARQUET_DIR / f"{name}.parquet"
        pages.append({
            "name": name, "description": info.description, "rows": rows.get(name, 0),
            "primary_key": list(info.primary_key), "foreign_keys": list(info.foreign_keys),
            "download": os.path.relpath(parquet, site_dir / "tables").replace(os.sep, "/") if parquet.exists() else None,
            "columns": [{"name": c, "type": str(dtype), "nullable": nullable[c], "description": descriptions[c]}
                        for c, dtype in schemas.columns(name).items()],
        })
    return pages


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def build_site(data_dir: str | os.PathLike, site_dir: str | os.PathLike | None = None, version: str | None = None,
               date: str | None = None, released: bool = False) -> SiteResult:
    """Write the site of the data in data_dir (its parquet/ folder) into site_dir (default data_dir/site).

    The site is written into a new folder and put in place when complete; an earlier site there is
    replaced. `version` and `date` are the release's; a build's site says "unreleased build" and
    the day it was made."""
    import time

    started = time.perf_counter()
    data_dir = Path(data_dir)
    site_dir = Path(site_dir) if site_dir else data_dir / SITE_DIR
    parquet = data_dir / export.PARQUET_DIR
    missing = [n for n in schemas.TABLES if not (parquet / f"{n}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"no complete build in {data_dir}: {', '.join(missing)} missing (run 'cyberdialogue build')")
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = site_dir.with_name(f".{site_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        pages = _render(data_dir, staging, site_dir, version, date, released)
        old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
        if site_dir.exists():
            os.rename(site_dir, old)
        os.rename(staging, site_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SiteResult(site_dir, pages, round(time.perf_counter() - started, 3))


class _Pages:
    """Renders templates into the site folder, each page with the relative root it needs for its links."""

    def __init__(self, out: Path, common: dict):
        self.out, self.common, self.env, self.count = out, common, _environment(), 0

    def page(self, template: str, path: str, **context) -> None:
        depth = path.count("/")
        _write(self.out / path, self.env.get_template(template).render(root="../" * depth, **self.common, **context))
        self.count += 1


class _SiteData:
    """The published tables the pages show, read once."""

    def __init__(self, parquet: Path):
        def read(name: str, columns: list[str] | None = None) -> pl.DataFrame:
            return pl.read_parquet(parquet / f"{name}.parquet", columns=columns)
        self.sessions = read("sessions").sort(["date", "start_time", "title", "session_id"], nulls_last=True).to_dicts()
        for s in self.sessions:
            s["heading"] = _heading(s)
        self.by_session = {s["session_id"]: s for s in self.sessions}
        self.headings = {s["session_id"]: s["heading"] for s in self.sessions}
        self.people = read("people", ["person_id", "name", "name_variants", "session_count"]).sort(["name", "person_id"])
        self.names = dict(zip(self.people["person_id"].to_list(), self.people["name"].to_list()))
        self.documents = {d["document_id"]: d for d in read("documents", ["document_id", "path", "format", "status", "url"]).iter_rows(named=True)}
        self.participants = read("participants", ["session_id", "person_id", "name", "roles", "position", "organization", "country"])
        self.arguments = read("arguments", ["argument_id", "session_id", "person_id", "speaker", "text", "topics"])
        self.agreements = read("agreements", ["agreement_id", "session_id", "kind", "statement", "person_ids"])
        self.conflicts = read("conflicts")
        self.pairs = read("agreement_pairs")
        self.statements = dict(zip(self.agreements["agreement_id"].to_list(), self.agreements["statement"].to_list()))


def _render(data_dir: Path, out: Path, final: Path, version: str | None, date: str | None, released: bool) -> int:
    parquet = data_dir / export.PARQUET_DIR
    con = duckdb.connect()
    for name in schemas.TABLES:
        path = str((parquet / f"{name}.parquet").resolve()).replace("'", "''")
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet(\'{path}\')')
    rows = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in schemas.TABLES}
    charts = draw_charts(con)
    con.close()
    data = _SiteData(parquet)
    pages = _Pages(out, {"dataset": dataset_metadata(), "version": version or "unreleased build"})
    tables = _table_pages(rows, data_dir, final)
    pages.page("index.html", "index.html", tables=tables, charts=charts,
               date_label="Released" if version else "Built",
               date=date or dt.datetime.now(dt.timezone.utc).date().isoformat(),
               downloads=_downloads(data_dir, final, released))
    pages.page("tables.html", "tables.html", tables=tables)
    (out / "tables").mkdir()
    for t in tables:
        pages.page("table.html", f"tables/{t['name']}.html", t=t)
    _session_pages(pages, data)
    _person_pages(pages, data)
    _search(pages, data)
    return pages.count


def _session_pages(pages: _Pages, data: _SiteData) -> None:
    participants_by_session = _by(data.participants, "session_id")
    counts = {sid: len(rows_) for sid, rows_ in participants_by_session.items()}
    pages.page("sessions.html", "sessions.html",
               sessions=[s | {"participants": counts.get(s["session_id"], 0)} for s in data.sessions])
    pages.page("people.html", "people.html", people=data.people.to_dicts())
    arguments_by_session = _by(data.arguments, "session_id")
    agreements_by_session = _by(data.agreements, "session_id")
    conflicts_by_session = _by(data.conflicts, "session_id")
    (pages.out / "sessions").mkdir()
    for s in data.sessions:
        sid = s["session_id"]
        pages.page("session.html", f"sessions/{sid}.html", s=s, heading=s["heading"],
                   documents=[data.documents[d] for d in s["document_ids"] if d in data.documents],
                   participants=participants_by_session.get(sid, []),
                   arguments=arguments_by_session.get(sid, []),
                   agreements=[g | {"people": [(p, data.names.get(p, p)) for p in g["person_ids"]]}
                               for g in agreements_by_session.get(sid, [])],
                   conflicts=conflicts_by_session.get(sid, []))


def _person_pages(pages: _Pages, data: _SiteData) -> None:
    taking_part = _by(data.participants, "person_id")
    arguments_by_person = _by(data.arguments.filter(pl.col("person_id").is_not_null()), "person_id")
    pairs_by_person = _by(data.pairs, "person_id")
    (pages.out / "people").mkdir()
    for p in data.people.iter_rows(named=True):
        pid = p["person_id"]
        sessions_of = [data.by_session[r["session_id"]] | {k: r[k] for k in ("roles", "organization", "country")}
                       for r in taking_part.get(pid, []) if r["session_id"] in data.by_session]
        related = [r | {"name": data.names.get(r["other_person_id"], r["other_person_id"]),
                        "statement": data.statements.get(r["agreement_id"], "")}
                   for r in pairs_by_person.get(pid, [])]
        pages.page("person.html", f"people/{pid}.html", p=p, sessions=sessions_of, headings=data.headings,
                   arguments=arguments_by_person.get(pid, []),
                   relations=[("Agreed with", [r for r in related if r["kind"] not in DIFFERENCES]),
                              ("Disagreed or differed with", [r for r in related if r["kind"] in DIFFERENCES])])


def _search(pages: _Pages, data: _SiteData) -> None:
    pages.page("search.html", "search.html")
    index = ([{"k": "s", "t": s["heading"], "u": f"sessions/{s['session_id']}.html",
               "d": " · ".join(str(x) for x in (s["date"], s["series"] or s["event"]) if x)} for s in data.sessions]
             + [{"k": "p", "t": p["name"], "v": " ".join(v for v in p["name_variants"] if v != p["name"]),
                 "u": f"people/{p['person_id']}.html"} for p in data.people.iter_rows(named=True)])
    # a script, not a fetched .json: browsers refuse to fetch files from a file:// page
    _write(pages.out / "search-index.js", "window.CYBERDIALOGUE_SEARCH = "
           + json.dumps(index, ensure_ascii=False, separators=(",", ":"), default=str) + ";\n")
    static = resources.files("pipeline.outputs.site") / "static"
    for name in STATIC_FILES:
        _write(pages.out / name, (static / name).read_text(encoding="utf-8"))
