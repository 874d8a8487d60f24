"""The static website of a build or a release: an overview with charts, a page per session, per
person and per table, and an offline search. Plain HTML and one stylesheet; nothing is fetched when
the pages are viewed, so the site works from file:// and from any static host.

The site is written beside its data (the Parquet files, the database, a release's datapackage and
checksums), and links to them relatively.

A build of the site renders only the files whose inputs changed since it was last written (their
fingerprints are kept beside it, see store.py) and writes only files whose bytes changed; the pages'
inputs are prepared as columns (pages.py), one row per page. When there are thousands of pages to
render, worker processes render and stage them in slices (render.py), one per core, while this one
makes the other files (the overview's charts, the lists, the search index).
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
from typing import Callable, Iterator

import polars as pl
import pyarrow.parquet as pq
from markupsafe import Markup

import schemas
from pipeline.outputs import export
from pipeline.outputs.docs import dataset_metadata
from pipeline.outputs.site import pages as columns
from pipeline.outputs.site.charts import Charts
from pipeline.outputs.site.render import PageSlice, Renderer, environment, render_in_pool, stage_pages
from pipeline.outputs.site.store import SiteWriter

SITE_DIR = "site"
STATIC_FILES = ("style.css", "search.js")

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


# Pages to render from which worker processes pay: starting them costs about half a second, in which
# this process renders some 2,000 session pages.
POOL_PAGES = 5000
SLICES_PER_WORKER = 8  # slices of each kind of page per worker, so that none waits long for another
# Pages whose rows are read and held at once: the memory a site's build takes stays about the same
# as the corpus grows (50,000 sessions' rows took some 460 MB when read at once).
PAGES_PER_BATCH = 4000

# what rendering depends on besides the package's own files
LIBRARIES = ("jinja2", "markupsafe", "polars", "duckdb", "vl-convert-python")


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
        site.make(writer.to_render(listing), writer)
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
    """Pages of one template: their fingerprints (path, key, fingerprint), the Renderer method that
    makes one from its row, and the function that makes the pages of some tables."""
    pages: columns.PageSet
    fingerprints: pl.DataFrame
    make: str  # e.g. "session_page"
    of: Callable[[columns.Tables], columns.PageSet]


def _row_counts(parquet: Path) -> dict[str, int]:
    """Rows per table, from each Parquet file's footer (a query per file costs some 20 times as much)."""
    return {name: pq.read_metadata(parquet / f"{name}.parquet").num_rows for name in schemas.TABLES}


def _charts(t: columns.Tables, kept: dict, code: int) -> Charts:
    """The charts, from the tables as already read: only the columns their queries name."""
    return Charts({"sessions": t.sessions.select("date", "event", "series"),
                   "participants": t.participants.select("person_id", "roles", "organization", "country"),
                   "documents": t.documents.select("format", "status"),
                   "people": t.people.select("person_id", "name"),
                   "agreement_pairs": t.pairs.select(columns.PAIR_COLUMNS)}, kept, code)


def _read_tables(parquet: Path, released: bool) -> columns.Tables:
    """What the site's files are fingerprinted and listed from: a build's tables by their row hashes
    (the row keys beside its Parquet files, see export.py), when they are there and are the tables'
    own; every row of every table otherwise (a release: its site is written whole)."""
    if not released:
        keys = {name: list(schemas.TABLES[name].primary_key) for name in columns.LINKED}
        hashed = columns.read_row_hashes(parquet, parquet.resolve().parent / export.ROW_KEYS_DIR, keys)
        if hashed is not None:
            return hashed
    return columns.read_tables(parquet)


def _workers(pages: int) -> int:
    """Worker processes to render this many pages in (0: render them in this process)."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 and pages >= POOL_PAGES else 0


class _SiteFiles(Renderer):
    """Every file of the site, with its fingerprint; renders those asked for."""

    def __init__(self, data_dir: Path, site_dir: Path, version: str | None, date: str | None, released: bool,
                 kept_charts: dict, compiled: Path | None):
        self.parquet = parquet = data_dir / export.PARQUET_DIR
        super().__init__({"dataset": dataset_metadata(), "version": version or "unreleased build"}, environment(compiled))
        self.compiled = compiled
        self.key = _site_key(self.common)
        self.tables = _read_tables(parquet, released)
        self.charts = _charts(self.tables, kept_charts, self.key)
        tables = _table_pages(_row_counts(parquet), data_dir, site_dir)
        overview = {"tables": tables, "date_label": "Released" if version else "Built",
                    "date": date or dt.datetime.now(dt.timezone.utc).date().isoformat(),
                    "downloads": _downloads(data_dir, site_dir, released)}
        self.files = [
            self._file("index.html", [overview, [(s.slug, s.title, s.sql, s.alt, s.key) for s in self.charts.specs]],
                       lambda: self.render("index.html", "index.html", charts=self.charts.drawn(), **overview)),
            self._file("tables.html", tables, lambda: self.render("tables.html", "tables.html", tables=tables)),
            *[self._file(f"tables/{t['name']}.html", t, lambda t=t: self.render("table.html", f"tables/{t['name']}.html", t=t))
              for t in tables],
            *self._lists(),
            *self._static(),
        ]
        self.pages = [self._pages(columns.session_pages, "session_page"), self._pages(columns.person_pages, "person_page")]

    def _file(self, path: str, inputs, make: Callable[[], str]) -> _File:
        return _File(path, _digest(self.key, path, inputs), make)

    def _pages(self, of: Callable[[columns.Tables], columns.PageSet], make: str) -> _Pages:
        pages = of(self.tables)
        return _Pages(pages, pages.fingerprints(self.key), make, of)

    def _pages_named(self, paths: set[str]) -> list[tuple[_Pages, str]]:
        """The template and key of each page named in `paths`, session pages first, in the tables' order."""
        wanted = pl.Series(list(paths), dtype=pl.String).implode()
        return [(group, key) for group in self.pages
                for key in group.fingerprints.filter(pl.col("path").is_in(wanted))[group.pages.key].to_list()]

    def _page_batches(self, pages: list[tuple[_Pages, str]]) -> Iterator[list[tuple[str, columns.PageRows]]]:
        """The rows of these pages, PAGES_PER_BATCH pages at a time: per batch, the Renderer method and
        the rows of each template with pages in it. When the tables were read by their row hashes, each
        batch reads only the rows its pages are made of, so the rows held do not grow with the site."""
        # every page, in one batch: every row is read, with no filter to apply
        whole = len(pages) == sum(group.fingerprints.height for group in self.pages) and len(pages) <= PAGES_PER_BATCH
        for start in range(0, len(pages), PAGES_PER_BATCH):
            batch = pages[start:start + PAGES_PER_BATCH]
            keys = {group.pages.key: [k for g, k in batch if g is group] for group in self.pages}
            groups = [group for group in self.pages if keys[group.pages.key]]
            page_sets = [group.pages for group in groups]  # every row was read already
            if self.tables.row_hashes:
                shown = columns.read_tables(self.parquet, None if whole else columns.Wanted(
                    sessions=keys["session_id"], people=keys["person_id"]))
                page_sets = [group.of(shown) for group in groups]
            yield [(group.make, pages.rows(keys[group.pages.key])) for group, pages in zip(groups, page_sets)]

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

    def make(self, paths: set[str], writer: SiteWriter) -> None:
        """Render the files named in `paths` and stage each; the pages in worker processes when there
        are enough of them, each staging its own (the order staged is the same either way), a batch of
        pages' rows read while the workers render the one before."""
        pages = self._pages_named(paths)
        workers = _workers(len(pages))
        if not workers:
            self._make_files(paths, writer)
            for batch in self._page_batches(pages):
                for make, rows in batch:
                    stage_pages(getattr(self, make), rows, writer.stage)
            return
        for template in ("session.html", "person.html"):
            self.env.get_template(template)  # compiled once, here, for the workers to load
        slices = workers * SLICES_PER_WORKER
        jobs = (PageSlice(part, make, self.common, self.compiled, writer.stager())
                for batch in self._page_batches(pages) for make, rows in batch for part in rows.slices(slices))
        # the slices of the batch being rendered and of the next: the workers never wait for a batch's read
        for staged in render_in_pool(jobs, workers, lambda: self._make_files(paths, writer), in_flight=2 * slices):
            writer.adopt(staged)

    def _make_files(self, paths: set[str], writer: SiteWriter) -> None:
        """Render and stage the files other than the pages."""
        for f in self.files:
            if f.path in paths:
                writer.stage(f.path, f.make())


def _search_index(sessions: pl.DataFrame, people: pl.DataFrame) -> str:
    """The search index: a JSON list of sessions (written as columns) and people."""
    entries = columns.search_entries(sessions) + [
        json.dumps({"k": "p", "t": p["name"], "v": " ".join(v for v in p["name_variants"] if v != p["name"]),
                    "u": f"people/{p['person_id']}.html"}, ensure_ascii=False, separators=(",", ":"), default=str)
        for p in people.iter_rows(named=True)]
    # a script, not a fetched .json: browsers refuse to fetch files from a file:// page
    return "window.CYBERDIALOGUE_SEARCH = [" + ",".join(entries) + "];\n"
