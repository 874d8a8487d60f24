"""The static website of a build or a release: an overview with charts, a page per session, per
person and per table, and an offline search. Plain HTML and one stylesheet; nothing is fetched when
the pages are viewed, so the site works from file:// and from any static host.

The site is written beside its data (the Parquet files, the database, a release's datapackage and
checksums), and links to them relatively.

A build of the site renders only the files whose inputs changed since it was last written (their
fingerprints are kept beside it, see store.py) and writes only files whose bytes changed; the pages'
inputs are prepared as columns (pages.py), one row per page.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Callable

import polars as pl
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

import schemas
from pipeline.outputs import export
from pipeline.outputs.docs import dataset_metadata
from pipeline.outputs.site import pages as columns
from pipeline.outputs.site.charts import Charts
from pipeline.outputs.site.store import SiteWriter

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
    pages: int       # HTML pages in the site
    seconds: float
    written: int = 0  # files written by this build (the others were unchanged)


# what rendering depends on besides the package's own files
LIBRARIES = ("jinja2", "markupsafe", "polars", "duckdb", "vl-convert-python")


class _Environment(Environment):
    def getattr(self, obj, attribute: str):
        """`row.field` looks the key up first in the dicts the pages are made of (Jinja tries the
        attribute first, and an AttributeError a field costs more than the rest of rendering it)."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def person_link(root: str, person_id: str | None, name: str | None) -> Markup:
    """A person's name, linked to their page when they have one (a function, not a macro: it is called
    a hundred thousand times)."""
    if person_id:
        return Markup(f'<a href="{escape(root)}people/{escape(person_id)}.html">{escape(name)}</a>')
    return escape(name)


def session_link(root: str, session_id: str, title: str) -> Markup:
    return Markup(f'<a href="{escape(root)}sessions/{escape(session_id)}.html">{escape(title)}</a>')


def _environment(compiled: Path | None) -> Environment:
    """The templates' environment; `compiled`, a folder that keeps them compiled from one build to the next."""
    # StrictUndefined: a page's row holds only the fields its template shows; a field the template
    # names and the row lacks is an error, not an empty string
    env = _Environment(loader=PackageLoader("pipeline.outputs.site", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, auto_reload=False,
                       bytecode_cache=FileSystemBytecodeCache(str(compiled)) if compiled else None)
    env.globals.update(person=person_link, session=session_link)
    return env


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


def _digest(*inputs) -> int:
    """A 64-bit fingerprint of JSON-able inputs."""
    text = json.dumps(inputs, sort_keys=True, default=str, ensure_ascii=False)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _site_key(common: dict) -> int:
    """What every page depends on besides its own inputs: this package's code, templates and static
    files, the libraries that render, and the dataset's description and release."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions = {name: metadata.version(name) for name in LIBRARIES}
    return _digest(digest.hexdigest(), versions, sys.version, common)


def build_site(data_dir: str | os.PathLike, site_dir: str | os.PathLike | None = None, version: str | None = None,
               date: str | None = None, released: bool = False, reuse: bool = True) -> SiteResult:
    """Write the site of the data in data_dir (its parquet/ folder) into site_dir (default data_dir/site).

    Only files whose inputs changed since the site was last written are rendered (all of them with
    reuse=False), and only those whose bytes changed are written; they are staged first and committed
    so that the site is never left half-written (store.py). `version` and `date` are the release's; a
    build's site says "unreleased build" and the day it was made. A release's site (released=True) is
    written whole and keeps no state."""
    started = time.perf_counter()
    data_dir = Path(data_dir)
    site_dir = Path(site_dir) if site_dir else data_dir / SITE_DIR
    parquet = data_dir / export.PARQUET_DIR
    missing = [n for n in schemas.TABLES if not (parquet / f"{n}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"no complete build in {data_dir}: {', '.join(missing)} missing (run 'cyberdialogue build')")
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    with SiteWriter(site_dir, keep_state=not released, reuse=reuse) as writer:
        site = _SiteFiles(data_dir, site_dir, version, date, released, writer.previous_charts(), writer.compiled)
        listing = site.listing()
        site.make(writer.to_render(listing), writer.stage)
        writer.commit(listing, site.charts.state())
    pages = listing.filter(pl.col("path").str.ends_with(".html")).height
    return SiteResult(site_dir, pages, round(time.perf_counter() - started, 3), len(writer.staged))


@dataclass(frozen=True)
class _File:
    """One file of the site: the fingerprint of what it is made of, and how to make it."""
    path: str
    fingerprint: int
    make: Callable[[], str]


@dataclass(frozen=True)
class _Pages:
    """Pages of one template: their fingerprints (path, key, fingerprint) and how to make one from its row."""
    pages: columns.PageSet
    fingerprints: pl.DataFrame
    make: Callable[[dict], str]


def _row_counts(parquet: Path) -> dict[str, int]:
    return {name: pl.scan_parquet(parquet / f"{name}.parquet").select(pl.len()).collect().item() for name in schemas.TABLES}


def _charts(t: columns.Tables, kept: dict, code: int) -> Charts:
    """The charts, from the tables as already read: only the columns their queries name."""
    return Charts({"sessions": t.sessions.select("date", "event", "series"),
                   "participants": t.participants.select("person_id", "roles", "organization", "country"),
                   "documents": t.documents.select("format", "status"),
                   "people": t.people.select("person_id", "name"), "agreement_pairs": t.pairs}, kept, code)


class _SiteFiles:
    """Every file of the site, with its fingerprint; renders those asked for."""

    def __init__(self, data_dir: Path, site_dir: Path, version: str | None, date: str | None, released: bool,
                 kept_charts: dict, compiled: Path | None):
        parquet = data_dir / export.PARQUET_DIR
        self.common = {"dataset": dataset_metadata(), "version": version or "unreleased build"}
        self.key = _site_key(self.common)
        self.env = _environment(compiled)
        self.tables = columns.read_tables(parquet)
        self.charts = _charts(self.tables, kept_charts, self.key)
        tables = _table_pages(_row_counts(parquet), data_dir, site_dir)
        overview = {"tables": tables, "date_label": "Released" if version else "Built",
                    "date": date or dt.datetime.now(dt.timezone.utc).date().isoformat(),
                    "downloads": _downloads(data_dir, site_dir, released)}
        self.files = [
            self._file("index.html", [overview, [(s.slug, s.title, s.sql, s.alt, s.key()) for s in self.charts.specs]],
                       lambda: self.render("index.html", "index.html", charts=self.charts.drawn(), **overview)),
            self._file("tables.html", tables, lambda: self.render("tables.html", "tables.html", tables=tables)),
            *[self._file(f"tables/{t['name']}.html", t, lambda t=t: self.render("table.html", f"tables/{t['name']}.html", t=t))
              for t in tables],
            *self._lists(),
            *self._static(),
        ]
        self.pages = [
            self._pages(columns.session_pages(self.tables), self._session_page),
            self._pages(columns.person_pages(self.tables), self._person_page),
        ]

    def render(self, template: str, path: str, **context) -> str:
        return self.env.get_template(template).render(root="../" * path.count("/"), **self.common, **context)

    def _file(self, path: str, inputs, make: Callable[[], str]) -> _File:
        return _File(path, _digest(self.key, path, inputs), make)

    def _pages(self, pages: columns.PageSet, make: Callable[[dict], str]) -> _Pages:
        return _Pages(pages, pages.fingerprints(self.key), make)

    def _lists(self) -> list[_File]:
        t = self.tables
        listed = [columns.frame_digest(frame) for frame in columns.session_list_sources(t)]
        in_order = functools.cache(lambda: columns.session_list(t))  # made once, for either file
        return [
            self._file("sessions.html", listed, lambda: self._sessions_list(in_order())),
            self._file("people.html", columns.frame_digest(t.people),
                       lambda: self.render("people.html", "people.html", people=t.people.to_dicts())),
            self._file("search.html", None, lambda: self.render("search.html", "search.html")),
            self._file("search-index.js", [listed, columns.frame_digest(t.people)],
                       lambda: _search_index(in_order(), t.people)),
        ]

    def _sessions_list(self, sessions: pl.DataFrame) -> str:
        return self.render("sessions.html", "sessions.html", count=sessions.height,
                           rows=Markup(columns.session_rows_html(sessions, root="")))

    def _static(self) -> list[_File]:
        static = resources.files("pipeline.outputs.site") / "static"
        texts = {name: (static / name).read_text(encoding="utf-8") for name in STATIC_FILES}
        return [self._file(name, text, lambda text=text: text) for name, text in texts.items()]

    def listing(self) -> pl.DataFrame:
        """Path and fingerprint of every file of the site."""
        single = pl.DataFrame({"path": [f.path for f in self.files], "fingerprint": [f.fingerprint for f in self.files]},
                              schema={"path": pl.String, "fingerprint": pl.UInt64})
        return pl.concat([single, *[p.fingerprints.select("path", "fingerprint") for p in self.pages]])

    def make(self, paths: set[str], stage: Callable[[str, str], None]) -> None:
        """Render the files named in `paths` and stage each."""
        for f in self.files:
            if f.path in paths:
                stage(f.path, f.make())
        wanted = pl.Series(list(paths), dtype=pl.String).implode()
        for group in self.pages:
            keys = group.fingerprints.filter(pl.col("path").is_in(wanted))[group.pages.key].to_list()
            for row in group.pages.rows(keys):
                stage(row["path"], group.make(row))

    def _session_page(self, s: dict) -> str:
        lists = {name: s.pop(name) for name in ("documents", "participants", "arguments", "agreements", "conflicts")}
        return self.render("session.html", s["path"], s=s, heading=s["heading"], **lists)

    def _person_page(self, p: dict) -> str:
        sessions, arguments, related = (p.pop(name) for name in ("sessions", "arguments", "pairs"))
        return self.render("person.html", p["path"], p=p, sessions=sessions, arguments=arguments,
                           relations=[("Agreed with", [r for r in related if r["kind"] not in DIFFERENCES]),
                                      ("Disagreed or differed with", [r for r in related if r["kind"] in DIFFERENCES])])


def _search_index(sessions: pl.DataFrame, people: pl.DataFrame) -> str:
    """The search index: a JSON list of sessions (written as columns) and people."""
    entries = columns.search_entries(sessions) + [
        json.dumps({"k": "p", "t": p["name"], "v": " ".join(v for v in p["name_variants"] if v != p["name"]),
                    "u": f"people/{p['person_id']}.html"}, ensure_ascii=False, separators=(",", ":"), default=str)
        for p in people.iter_rows(named=True)]
    # a script, not a fetched .json: browsers refuse to fetch files from a file:// page
    return "window.CYBERDIALOGUE_SEARCH = [" + ",".join(entries) + "];\n"
