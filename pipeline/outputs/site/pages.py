"""The site's pages as columns, prepared with polars.

A session page or a person page is one row of a base frame (the session, the person) and the rows of
a few part frames that share its key (its participants, its arguments...), in the order the page lists
them. A page's fingerprint is the hash of those rows, so every page's is computed at once from flat
columns, and only the pages whose fingerprint changed are assembled into Python dicts and rendered.
What is made from other columns (a session's heading, when it was) is made only for the pages
rendered; fingerprints hash the columns it is made from.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl
from markupsafe import escape

SESSION_ORDER = ["date", "start_time", "title", "session_id"]
# what Jinja's autoescape (markupsafe) replaces
ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
ESCAPED_CHARACTERS = "[" + "".join(ESCAPES) + "]"  # a regular expression


ROW = "_row_hash"  # in tables read by their row hashes: a 64-bit hash of the whole row (the export's row keys)

# The columns the site reads of each table besides what its pages show: what links pages and rows, and
# what the lists and the charts show. With a hash of each row for the rest, they fingerprint every page.
LINKED = {
    "sessions": ["session_id", "title", "series", "event", "date", "start_time", "end_time", "utc_offset",
                 "session_format", "document_ids"],
    "documents": ["document_id", "format", "status"],
    "participants": ["session_id", "person_id", "roles", "organization", "country"],
    "arguments": ["session_id", "person_id"],
    "agreements": ["agreement_id", "session_id", "person_ids"],
    "conflicts": ["session_id"],
    "agreement_pairs": ["person_id", "other_person_id", "session_id", "agreement_id", "kind"],
}
PAIR_COLUMNS = LINKED["agreement_pairs"]


@dataclass(frozen=True)
class Tables:
    """The published tables the pages show, read once. With `row_hashes`, each has only its LINKED
    columns and ROW (see read_row_hashes): enough to fingerprint the pages, the lists and the charts,
    not to render a page."""
    sessions: pl.DataFrame
    people: pl.DataFrame
    documents: pl.DataFrame
    participants: pl.DataFrame
    arguments: pl.DataFrame
    agreements: pl.DataFrame
    conflicts: pl.DataFrame
    pairs: pl.DataFrame
    row_hashes: bool = False

    def shown(self, frame: pl.DataFrame, key: str, columns: list[str], kept: tuple[str, ...] = ()) -> pl.DataFrame:
        """The key and the columns a page shows of `frame`'s rows, in order; with row hashes, the key, ROW
        (which stands for every column of the table the row is from) and the `kept` columns (made from
        other tables, or linking the row to another page)."""
        return frame.select(key, ROW, *kept) if self.row_hashes else frame.select(key, *columns)


@dataclass(frozen=True)
class Wanted:
    """The pages to render: session pages and person pages, by key."""
    sessions: list[str]
    people: list[str]


def _people(parquet: Path) -> pl.DataFrame:
    return pl.read_parquet(parquet / "people.parquet", columns=["person_id", "name", "name_variants", "session_count"]
                           ).sort(["name", "person_id"])


def read_tables(parquet: Path, wanted: Wanted | None = None) -> Tables:
    """Every row of the tables, or (`wanted`) the rows those pages show or are made from: the pages'
    rows are then the same as from every row (PageSet.rows), the other pages' are not. Of a session
    that only a person's page names, only what names it (heading and when) is read: a prolific
    person's page names thousands of sessions, whose descriptions would be read for nothing."""
    def read(name: str, columns: list[str] | None = None, rows: pl.Expr | None = None) -> pl.DataFrame:
        frame = pl.scan_parquet(parquet / f"{name}.parquet")
        frame = frame.select(columns) if columns else frame
        return (frame.filter(rows) if rows is not None else frame).collect()

    of_sessions = of_people = None
    if wanted is not None:
        of_sessions = pl.col("session_id").is_in(pl.Series(wanted.sessions, dtype=pl.String).implode())
        of_people = pl.col("person_id").is_in(pl.Series(wanted.people, dtype=pl.String).implode())
    on_pages = None if wanted is None else of_sessions | of_people
    participants = read("participants", ["session_id", "person_id", "name", "roles", "position", "organization", "country"],
                        on_pages)
    arguments = read("arguments", ["argument_id", "session_id", "person_id", "speaker", "text", "topics"], on_pages)
    pairs = read("agreement_pairs", None, of_people)
    sessions = read("sessions", None, of_sessions)
    if wanted is not None:  # and of the sessions the people's pages name, what names them
        named = _sessions_named(participants.filter(of_people), arguments.filter(of_people), pairs) & ~of_sessions
        sessions = pl.concat([sessions, read("sessions", _sources(heading(), when()), named)], how="diagonal")
    return Tables(
        sessions=sessions,
        people=_people(parquet),
        documents=read("documents", ["document_id", "path", "format", "status", "url"], None if wanted is None else
                       pl.col("document_id").is_in(sessions.filter(of_sessions)["document_ids"].explode().implode())),
        participants=participants,
        arguments=arguments,
        agreements=read("agreements", ["agreement_id", "session_id", "kind", "statement", "person_ids"],
                        None if wanted is None else of_sessions | pl.col("agreement_id").is_in(pairs["agreement_id"].implode())),
        conflicts=read("conflicts", None, of_sessions),
        pairs=pairs,
    )


def _sessions_named(*rows: pl.DataFrame) -> pl.Expr:
    """The sessions these rows name."""
    return pl.col("session_id").is_in(pl.concat([frame["session_id"] for frame in rows]).implode())


def read_row_hashes(parquet: Path, row_keys: Path, primary_keys: dict[str, list[str]]) -> Tables | None:
    """The tables' LINKED columns with a hash of each whole row, from the row keys the export wrote
    beside the Parquet files (row_keys/TABLE.arrow: the primary key and ROW of every row, in the file's
    order): the long texts are not read to fingerprint the pages. None when a table has no row keys
    or they are not its rows (read otherwise, damaged, or of another build)."""
    frames = {}
    for name, columns in LINKED.items():
        key = primary_keys[name]
        try:
            hashes = pl.read_ipc(row_keys / f"{name}.arrow")
            frame = pl.read_parquet(parquet / f"{name}.parquet", columns=list(dict.fromkeys([*key, *columns])))
        except (OSError, pl.exceptions.PolarsError):
            return None
        if hashes.columns != [*key, ROW] or not hashes.select(key).equals(frame.select(key)):
            return None
        frames[name] = frame.select(columns).with_columns(hashes[ROW])
    return Tables(sessions=frames["sessions"], people=_people(parquet), documents=frames["documents"],
                  participants=frames["participants"], arguments=frames["arguments"], agreements=frames["agreements"],
                  conflicts=frames["conflicts"], pairs=frames["agreement_pairs"], row_hashes=True)


def _sources(*exprs: pl.Expr) -> list[str]:
    """The columns these expressions read."""
    return sorted({name for expr in exprs for name in expr.meta.root_names()})


def frame_digest(frame: pl.DataFrame) -> str:
    """A fingerprint of a whole frame, its rows in order."""
    return hashlib.blake2b(frame.hash_rows().to_numpy().tobytes(), digest_size=16).hexdigest()


def _text(column: str) -> pl.Expr:
    """The column where it has text; null where it is null or "" (what Python's `or` passes over)."""
    return pl.when(pl.col(column) != "").then(pl.col(column))


def escaped(text: pl.Expr) -> pl.Expr:
    """Text as HTML, escaped as the templates escape it. Only texts that have a character to escape are
    rewritten: finding none costs a fifteenth of copying the text (some 190 MB of descriptions at 100k)."""
    return (pl.when(text.str.contains(ESCAPED_CHARACTERS)).then(text.str.replace_many(list(ESCAPES), list(ESCAPES.values())))
            .otherwise(text))


def paragraphs(column: str) -> pl.Expr:
    """COLUMN_html: the text's paragraphs (split at blank lines), each in a <p>, as render.paragraphs writes
    them; null where the text is null or "" (a page shows none)."""
    text = escaped(_text(column)).str.replace_all("\n\n", "</p><p>", literal=True)
    return pl.concat_str(pl.lit("<p>"), text, pl.lit("</p>")).alias(f"{column}_html")


def page_root(path: str) -> str:
    """The way from a page at `path` (relative to the site) up to the site's folder, as Renderer.render makes it."""
    return "../" * path.count("/")


def or_empty(column: str) -> pl.Expr:
    """`{{ column or "" }}` of a text column."""
    return escaped(pl.col(column)).fill_null("")


def joined(column: str) -> pl.Expr:
    """`{{ column | join(", ") }}` of a list of texts (an item that is None is written "None", as str() writes it)."""
    return escaped(pl.col(column).list.eval(pl.element().fill_null("None")).list.join(", ")).fill_null("")


def link(root: str, folder: str, key: str, text: str, always: bool = False) -> pl.Expr:
    """A page's link, as render.py's person_link (`always`: session_link) writes it: the text linked to
    ROOT/FOLDER/KEY.html, or without a link where the key is null or "" (None written "None")."""
    label = escaped(pl.col(text)).fill_null("None")
    linked = pl.concat_str(pl.lit(f'<a href="{escape(root)}{folder}/'), escaped(pl.col(key)).fill_null("None"),
                           pl.lit('.html">'), label, pl.lit("</a>"))
    return linked if always else pl.when(pl.col(key).is_not_null() & (pl.col(key) != "")).then(linked).otherwise(label)


def participant_rows(root: str) -> pl.Expr:
    """A session page's row for each participant, as its template's loop wrote it: the linked name, roles,
    position, organization and country."""
    return pl.concat_str(
        pl.lit('<tr class="participant"><td>'), link(root, "people", "person_id", "name"), pl.lit("</td><td>"),
        joined("roles"), pl.lit("</td><td>"), or_empty("position"), pl.lit("</td><td>"), or_empty("organization"),
        pl.lit("</td><td>"), or_empty("country"), pl.lit("</td></tr>\n"))


def person_session_rows(root: str) -> pl.Expr:
    """A person page's row for each session they took part in, as its template's loop wrote it: the linked
    heading, when (HTML already), and their roles, organization and country there."""
    return pl.concat_str(
        pl.lit("<tr><td>"), link(root, "sessions", "session_id", "heading", always=True), pl.lit("</td><td>"),
        pl.col("when"), pl.lit("</td><td>"), joined("roles"), pl.lit("</td><td>"), or_empty("organization"),
        pl.lit("</td><td>"), or_empty("country"), pl.lit("</td></tr>\n"))


def session_argument_rows(root: str) -> pl.Expr:
    """A session page's item for each argument, as its template's loop wrote it: the linked speaker, the
    text, and its topics where it has some."""
    topics = pl.when(pl.col("topics").list.len() > 0).then(pl.concat_str(pl.lit('<p class="topics">'), joined("topics"),
                                                                          pl.lit("</p>")))
    return pl.concat_str(
        pl.lit('<li class="argument"><p><strong>'), link(root, "people", "person_id", "speaker"), pl.lit("</strong>: "),
        escaped(pl.col("text")).fill_null("None"), pl.lit("</p>"), topics.fill_null(""), pl.lit("</li>\n"))


def person_argument_rows(root: str) -> pl.Expr:
    """A person page's item for each of their arguments, as its template's loop wrote it: the text and
    the linked heading of its session."""
    return pl.concat_str(
        pl.lit("<li>"), escaped(pl.col("text")).fill_null("None"), pl.lit(" <small>("),
        link(root, "sessions", "session_id", "heading", always=True), pl.lit(")</small></li>\n"))


def heading() -> pl.Expr:
    """A session's title, or what names it best when it has none."""
    return pl.coalesce(_text("title"), _text("session_format"), _text("series"),
                       pl.format("Untitled session {}", "session_id")).alias("heading")


def when() -> pl.Expr:
    """When a session was, as HTML: its date (or "undated"), then its start and end time and UTC offset."""
    date = pl.col("date").cast(pl.String)
    day = pl.when(pl.col("date").is_not_null()).then(pl.format('<time datetime="{}">{}</time>', date, date))
    end = pl.when(pl.col("end_time").is_not_null()).then(pl.lit("–") + pl.col("end_time").dt.strftime("%H:%M"))
    offset = pl.when(_text("utc_offset").is_not_null()).then(pl.format(" (UTC{})", escaped(pl.col("utc_offset"))))
    hours = pl.when(pl.col("start_time").is_not_null()).then(pl.concat_str(
        pl.lit(" "), pl.col("start_time").dt.strftime("%H:%M"), end.fill_null(""), offset.fill_null("")))
    return pl.concat_str(day.fill_null("undated"), hours.fill_null("")).alias("when")


def _last(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per key, the last one, as a dict built from the rows would keep."""
    return frame.unique(subset=key, keep="last", maintain_order=True)


def _named(ids: pl.Expr, people: pl.DataFrame) -> pl.Expr:
    """A person's name for each id; the id itself where it names no one in the people table."""
    names = _last(people, "person_id")
    return ids.replace(names["person_id"], names["name"])


@dataclass(frozen=True)
class Part:
    """Rows a page lists: `rows` has the page's key and what each row shows, in the page's order; the
    columns `from_session` make from the row's session (by session_id; "" where the session is not in
    the site) are added to the rows rendered, and hashed as the columns they are made from.

    With `html` (each row's HTML, given the page's root), the page gets the rows written as columns,
    NAME_html (joined) and NAME_count, instead of their list: a template loop over the hundreds of
    thousands of rows of the site's longest lists takes seconds, polars a fraction of one."""
    rows: pl.DataFrame
    from_session: tuple[pl.Expr, ...] = ()
    html: Callable[[str], pl.Expr] | None = None


@dataclass(frozen=True)
class PageSet:
    """The pages of one template: one per row of `base` (with the columns `derived` makes from it), each
    with the rows of every part that have its key, as a list named after the part (key left out)."""
    key: str
    path: str  # the page's path, "{}" standing for its key
    base: pl.DataFrame
    parts: dict[str, Part]
    sessions: pl.DataFrame
    derived: tuple[pl.Expr, ...] = ()
    unshown: tuple[str, ...] = ()  # columns of `base` that only `derived` shows: left out of the rows rendered

    def fingerprints(self, site_key: int) -> pl.DataFrame:
        """path, key and fingerprint of every page: a hash of its base row, its parts' rows, and `site_key`."""
        hashes = self.base.select(self.key, pl.lit(site_key, pl.UInt64).alias("site_key"),
                                  self.base.hash_rows().alias("row"))
        for name, part in self.parts.items():
            rows = part.rows
            if part.from_session:
                sources = self.sessions.select(_sources(*part.from_session))
                made_from = pl.DataFrame({"session_id": self.sessions["session_id"], "session": sources.hash_rows()})
                rows = rows.join(made_from, on="session_id", how="left", maintain_order="left")
            hashed = (rows.select(self.key).with_columns(rows.drop(self.key).hash_rows().alias(name))
                      .group_by(self.key, maintain_order=True).agg(pl.col(name)).with_columns(pl.col(name).hash()))
            hashes = hashes.join(hashed, on=self.key, how="left", maintain_order="left")
        return pl.DataFrame({"path": self.base.select(pl.format(self.path, self.key))[:, 0], self.key: hashes[self.key],
                             "fingerprint": hashes.drop(self.key).hash_rows()})

    def rows(self, keys: list[str]) -> PageRows:
        """The pages of these keys: the base row, a list per part, and "path"."""
        wanted = pl.Series(keys, dtype=pl.String).implode()
        frame = self.base.filter(pl.col(self.key).is_in(wanted)).with_columns(*self.derived).drop(self.unshown)
        for name, part in self.parts.items():
            rows = part.rows.filter(pl.col(self.key).is_in(wanted))
            if part.from_session:
                sessions = self.sessions.filter(pl.col("session_id").is_in(rows["session_id"].implode()))
                rows = (rows.join(sessions.select("session_id", *part.from_session), on="session_id", how="left",
                                  maintain_order="left")
                        .with_columns(pl.col([e.meta.output_name() for e in part.from_session]).fill_null("")))
            frame = self._listed(frame, name, part, rows)
        return PageRows(frame, self.key, self.path, tuple(name for name, part in self.parts.items() if part.html is None))

    def _listed(self, frame: pl.DataFrame, name: str, part: Part, rows: pl.DataFrame) -> pl.DataFrame:
        """`frame` with the part's rows of each page: a list of them, or (Part.html) their HTML and count."""
        if part.html is None:
            lists = rows.group_by(self.key, maintain_order=True).agg(pl.struct(pl.exclude(self.key)).alias(name))
            return frame.join(lists, on=self.key, how="left", maintain_order="left")
        html, count = f"{name}_html", f"{name}_count"
        written = (rows.select(self.key, part.html(page_root(self.path)).alias(html))
                   .group_by(self.key, maintain_order=True).agg(pl.col(html).str.join(""), pl.len().alias(count)))
        return (frame.join(written, on=self.key, how="left", maintain_order="left")
                .with_columns(pl.col(html).fill_null(""), pl.col(count).fill_null(0)))


@dataclass(frozen=True)
class PageRows:
    """Pages ready to render, one row each (a PageSet's, with a list column per part). Made in this
    process, they can be sent in slices to others: a slice pickles as only its rows."""
    frame: pl.DataFrame
    key: str
    path: str  # the page's path, "{}" standing for its key
    parts: tuple[str, ...]

    def __len__(self) -> int:
        return self.frame.height

    def __iter__(self) -> Iterator[dict]:
        """Each page as a dict: the base row, a list per part ([] where it has none), and "path"."""
        for row in self.frame.iter_rows(named=True):  # each row a new dict: completed in place
            for name in self.parts:
                row[name] = row[name] or []
            row["path"] = self.path.format(row[self.key])
            yield row

    def __getstate__(self) -> dict:
        """Pickled (for a worker process) as Arrow IPC with plain strings: polars' own pickle of a slice
        keeps whole the buffers its strings are views into, so that a slice weighed as much as all the rows."""
        ipc = io.BytesIO()
        self.frame.write_ipc(ipc, compat_level=pl.CompatLevel.oldest())
        return {"frame": ipc.getvalue(), "key": self.key, "path": self.path, "parts": self.parts}

    def __setstate__(self, state: dict) -> None:
        for name, value in (state | {"frame": pl.read_ipc(io.BytesIO(state["frame"]))}).items():
            object.__setattr__(self, name, value)  # a frozen dataclass

    def slices(self, count: int) -> list[PageRows]:
        """The pages in `count` slices of (nearly) the same number, in order; none empty."""
        size = -(-self.frame.height // max(count, 1))
        return [PageRows(self.frame.slice(start, size), self.key, self.path, self.parts)
                for start in range(0, self.frame.height, max(size, 1))]


def session_pages(t: Tables) -> PageSet:
    """A page per session: the session with its heading and when it was; its documents, participants,
    arguments, agreements (with the names of the people in each) and conflicts."""
    documents = (t.sessions.select("session_id", pl.col("document_ids").alias("document_id")).explode("document_id")
                 .join(_last(t.documents, "document_id"), on="document_id", how="inner", maintain_order="left"))
    agreements = t.agreements.with_columns(people=pl.col("person_ids").list.eval(
        pl.struct(pl.element().alias("person_id"), _named(pl.element(), t.people).alias("name"))))
    return PageSet("session_id", "sessions/{}.html", t.sessions, {
        "documents": Part(t.shown(documents, "session_id", ["document_id", "path", "format", "status", "url"])),
        "participants": Part(t.shown(t.participants, "session_id", ["person_id", "name", "roles", "position",
                                                                    "organization", "country"]), html=participant_rows),
        "arguments": Part(t.shown(t.arguments, "session_id", ["person_id", "speaker", "text", "topics"]),
                          html=session_argument_rows),
        "agreements": Part(t.shown(agreements, "session_id", ["kind", "statement", "people"], kept=("people",))),
        "conflicts": Part(t.shown(t.conflicts, "session_id", ["field", "document_id", "value"])),
    }, t.sessions, derived=(heading(), when(), paragraphs("description"), paragraphs("summary")),
       unshown=("title", "date", "start_time", "end_time", "utc_offset", "document_ids", "description", "summary"))


def person_pages(t: Tables) -> PageSet:
    """A page per person: the person; the sessions they took part in (heading, when, and their roles,
    organization and country there), their arguments and their agreement pairs, each with its session's heading."""
    in_site = t.sessions["session_id"].implode()
    statements = _last(t.agreements, "agreement_id")
    # with row hashes, an agreement's statement is stood for by its row's hash
    said, unsaid = (statements[ROW], None) if t.row_hashes else (statements["statement"], "")
    pairs = t.pairs.with_columns(
        name=_named(pl.col("other_person_id"), t.people),
        statement=pl.col("agreement_id").replace_strict(statements["agreement_id"], said, default=unsaid))
    return PageSet("person_id", "people/{}.html", t.people, {
        "sessions": Part(t.shown(t.participants.filter(pl.col("session_id").is_in(in_site)), "person_id",
                                 ["session_id", "roles", "organization", "country"], kept=("session_id",)),
                         (heading(), when()), html=person_session_rows),
        "arguments": Part(t.shown(t.arguments.filter(pl.col("person_id").is_not_null()), "person_id",
                                  ["session_id", "text"], kept=("session_id",)), (heading(),), html=person_argument_rows),
        "pairs": Part(t.shown(pairs, "person_id", ["other_person_id", "name", "kind", "statement", "session_id"],
                              kept=("name", "statement", "session_id")), (heading(),)),
    }, t.sessions)


def _list_columns() -> list[pl.Expr]:
    return [pl.col("session_id"), heading(), pl.col("series"), pl.col("event"), when(), pl.col("date")]


def session_list_sources(t: Tables) -> list[pl.DataFrame]:
    """What the sessions list and the search index are made from, in the tables' order (their order is
    made from it too): to fingerprint them without making them. Participants are counted from their
    session_id column."""
    return [t.sessions.select(_sources(*_list_columns(), *map(pl.col, SESSION_ORDER))), t.participants.select("session_id")]


def session_list(t: Tables) -> pl.DataFrame:
    """The sessions in the site's order (date, time, title): what sessions.html and the search index say of each."""
    counts = t.participants.group_by("session_id").agg(pl.len().alias("participants"))
    return (t.sessions.select(_sources(*_list_columns(), *map(pl.col, SESSION_ORDER)))
            .sort(SESSION_ORDER, nulls_last=True).select(_list_columns())
            .join(counts, on="session_id", how="left", maintain_order="left")
            .with_columns(pl.col("participants").fill_null(0)))


def session_rows_html(sessions: pl.DataFrame, root: str) -> str:
    """The rows of sessions.html, written as columns: with 100,000 sessions a template loop takes seconds.
    Each row reads as the template would write it: when, the linked heading, series · event, participants."""
    series, event = _text("series"), _text("event")
    row = pl.concat_str(
        pl.lit("<tr><td>"), pl.col("when"), pl.lit(f'</td><td><a href="{root}sessions/'), escaped(pl.col("session_id")),
        pl.lit('.html">'), escaped(pl.col("heading")), pl.lit("</a></td><td>"), escaped(series).fill_null(""),
        pl.when(series.is_not_null() & event.is_not_null()).then(pl.lit(" · ")).otherwise(pl.lit("")),
        escaped(event).fill_null(""), pl.lit('</td><td class="num">'), pl.col("participants").cast(pl.String),
        pl.lit("</td></tr>\n"))
    return sessions.select(row.str.join("")).item() if sessions.height else ""


def search_entries(sessions: pl.DataFrame) -> list[str]:
    """Each session's entry of the search index, as JSON (the text json.dumps writes, with no spaces):
    its heading, page, and date and series (or event)."""
    detail = pl.concat_str(pl.col("date").cast(pl.String), pl.coalesce(_text("series"), _text("event")),
                           separator=" · ", ignore_nulls=True)
    entry = pl.struct(pl.lit("s").alias("k"), pl.col("heading").alias("t"),
                      pl.format("sessions/{}.html", "session_id").alias("u"), detail.alias("d"))
    return sessions.select(entry.struct.json_encode())[:, 0].to_list()
