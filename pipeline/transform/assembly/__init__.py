"""From parsed documents to the dataset's tables: sessions merged across documents, people matched
across sessions, speakers linked to people, arguments linked to agreements, conflicts recorded.

Which sessions exist and who each name is are planned first (pipeline.transform.plan); then each
session's rows are built from one `SessionContext` by small pieces: `sessions` (fields, conflicts,
quality flags), `identity` (participants, speakers, the people table), `links` (utterances,
arguments, agreements, items), `documents` (document rows). `store` merges the rows of the sessions
built now into those a previous build kept. Pure: records and frames in, frames out.
"""
from __future__ import annotations

import itertools
import json
import operator
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import polars as pl

import schemas
from pipeline.memory import no_gc
from pipeline.model.ids import stable_id
from pipeline.model.records import ParsedDocument
from pipeline.model.text import sha256_hex
from pipeline.transform.assembly.context import PersonIdentity, SessionContext
from pipeline.transform.assembly.documents import DESCRIBE_COLUMNS, DocumentInput, describe_documents, document_table_rows
from pipeline.transform.assembly.identity import people_rows
from pipeline.transform.assembly.sessions import build_session
from pipeline.transform.assembly.store import (INPUT_COLUMNS, SESSION_NAMES, SESSION_REJECTS, SESSION_TABLES, FreshRows,
                                               RowsInMemory, StoredSessions, merge_frames, merge_stored, table_frame,
                                               unvetted_rows)
from pipeline.transform.dedup import DuplicateRow
from pipeline.transform.plan import DescribedDocuments, Plan, Planner, SessionBuild, plan_input_column, replace_rows


@dataclass
class AssemblyResult:
    tables: dict[str, pl.DataFrame]     # every table, sorted by primary key, before quarantine
    stored: StoredSessions              # what the next build needs to reuse this one's sessions
    changed: set[str] | None            # the sessions built or dropped (None: all of them)
    stats: dict[str, int]               # sessions, sessions_built, sessions_reused, documents_planned
    # per session table, the rows not known to pass its model: its other rows are those of stored buckets
    # that passed it in the build that stored them (quarantine validates these only); a table not here
    # is validated whole
    unvetted: dict[str, pl.DataFrame] = field(default_factory=dict)


@dataclass
class SessionBatch:
    """Sessions built together, with all that building them reads (it travels to a worker whole)."""
    builds: list[SessionBuild]
    documents: object                   # .load() -> document_id -> ParsedDocument, for the batch's documents
    identity: PersonIdentity            # who each name of these sessions is
    formats: dict[str, str]             # document_id -> format, for the batch's documents


def build_session_batch(batch: SessionBatch) -> dict[str, pl.DataFrame]:
    """The SESSION_TABLES rows of a batch of sessions, as frames."""
    rows: dict[str, list[dict]] = defaultdict(list)
    with no_gc():
        loaded: dict[str, ParsedDocument] = batch.documents.load()
        # in session order, so that each table's rows come out ordered by session (a session's rows
        # are made together): the driver then slices them into buckets instead of partitioning them
        for build in sorted(batch.builds, key=operator.attrgetter("session_id")):
            records = [(d, loaded[d].sessions[i]) for d, i in build.contributions]
            build_session(SessionContext(build.session_id, records, batch.identity, batch.formats, rows))
        rows[SESSION_NAMES] = [{"session_id": sid, "person_id": pid, "name": name, "count": n}
                               for (sid, pid, name), n in batch.identity.name_counts.items()]
        frames = {name: table_frame(name, rows[name], sort=False) for name in SESSION_TABLES if rows.get(name)}
        # the rows and parses go while the collector is still off: freed by their counts, they are
        # not walked once more by the collection that re-enabling it sets off
        del rows, loaded
        return frames


@dataclass
class SessionBatchTask:
    """A batch of sessions to build as columns, made by the driver: it travels to a worker, which
    makes its SessionBatch there (the driver holds no SessionBuild or person dict per session)."""
    contributions: pl.DataFrame         # session_id, document_id, index, format: each session's documents, in order
    documents: object                   # .load() -> document_id -> ParsedDocument, for the batch's documents
    people: pl.DataFrame                # key, session_id, person_id: who each name of these sessions is
    merge_into: dict[str, str]          # the reviewed merges

    def batch(self) -> SessionBatch:
        builds: dict[str, SessionBuild] = {}
        for sid, document_id, index in self.contributions.select("session_id", "document_id", "index").iter_rows():
            build = builds.get(sid)
            if build is None:
                build = builds[sid] = SessionBuild(sid)
            build.contributions.append((document_id, index))
        person_of = {(key, sid): pid for key, sid, pid in self.people.select("key", "session_id", "person_id").iter_rows()}
        formats = dict(self.contributions.select("document_id", "format").iter_rows())
        return SessionBatch(list(builds.values()), self.documents, PersonIdentity(person_of, self.merge_into), formats)


def build_session_batch_task(task: SessionBatchTask) -> dict[str, pl.DataFrame]:
    return build_session_batch(task.batch())


# Sessions a batch task builds, unless the engine says otherwise (Engine.session_batch)
BATCH_SESSIONS = 2000
# Sessions whose input hashes are made at a time (DatasetBuilder._fresh_inputs)
INPUT_SESSIONS = 10_000


def _rows_between(frame: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    """The rows of `frame` (sorted by session_id) whose session is from `first` to `last`: a slice."""
    column = frame["session_id"]
    start = column.search_sorted(first, side="left")
    return frame.slice(start, column.search_sorted(last, side="right") - start)


def batch_slices(batches: pl.Series) -> dict[int, tuple[int, int]]:
    """batch -> (first row, rows) of a column of batch numbers sorted ascending, in batch order."""
    runs = batches.rle()
    lengths = runs.struct.field("len")
    starts = lengths.cum_sum() - lengths
    return dict(zip(runs.struct.field("value").to_list(), zip(starts.to_list(), lengths.to_list())))


def _same_frames(frames: dict[str, pl.DataFrame], before: dict[str, pl.DataFrame] | None) -> frozenset[str]:
    """The names of `frames` that are the very frames of `before` (planned against it and left as they were)."""
    return frozenset(name for name, frame in frames.items() if before is not None and frame is before.get(name))


class DatasetBuilder:
    """`raw` is the raw documents frame (see pipeline.ingest); `parsed` maps a document id to its
    parse record (.key, .summary) for every document that was parsed, `parsed.loader(ids)` reads
    their full parses (here or on a worker), and `parsed.release_after_planning()`, where it exists,
    lets go of what only planning read (summaries, fingerprints) once planning is done. `rows`
    keeps the session tables' rows as they are built and merged (see store.RowsInMemory)."""

    def __init__(self, raw: pl.DataFrame, parsed: Mapping, duplicates: list[DuplicateRow], canonical: dict[str, str],
                 overrides: dict | None = None, rows: RowsInMemory | None = None):
        self.raw = raw.sort("document_id")
        self.parsed = parsed
        self.duplicates = duplicates
        self.canonical = canonical
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.frames: dict[str, list] = defaultdict(list)
        self.held = rows or RowsInMemory()
        self.fresh = FreshRows(self.held)            # the session tables' rows built now
        self.overrides = overrides or {}
        self.run_batches = None                      # runs tasks elsewhere (see build)
        merge_into = {}
        for entry in self.overrides.get("merge") or []:
            entry_ids = entry.get("ids", []) if isinstance(entry, dict) else entry
            for pid in entry_ids[1:]:
                merge_into[pid] = entry_ids[0]
        self.identity = PersonIdentity(merge_into=merge_into)
        self.person_notes: list[dict] = []
        self.people: pl.DataFrame | None = None       # who each name is in the sessions to build (Plan.people)
        self.planned_against: dict[str, pl.DataFrame] | None = None   # the previous plan's frames, if planned against
        self.merge_digest = stable_id("merge", *sorted(f"{a}>{b}" for a, b in merge_into.items()))
        # a plan made under other reviewed overrides is not planned against
        self.plan_key = stable_id("plan", json.dumps(self.overrides, sort_keys=True, default=str))

    # -- planning --------------------------------------------------------------------------------
    def _describe(self, ids: set[str] | None) -> DescribedDocuments:
        """The documents of `ids` (all when None) that are in this build, described for planning:
        where their parses are kept, a shard object per task on the engine's workers, when `parsed`
        keeps them so (`parsed.describe_tasks(frame, canonical)` gives a function, its tasks and the
        documents without a parse); the others here."""
        frame = self.raw if ids is None else self.raw.filter(pl.col("document_id").is_in(pl.Series(sorted(ids), dtype=pl.String).implode()))
        frame = frame.select(DESCRIBE_COLUMNS)
        tasks_of = getattr(self.parsed, "describe_tasks", None)
        if tasks_of is None:
            return describe_documents(self._inputs(frame), self.canonical)
        describe_task, tasks, unparsed = tasks_of(frame, self.canonical)
        no_parse = [DocumentInput(*row, None) for row in unparsed.iter_rows()]  # nothing to read
        # each task's statements kept as the rows are (self.held) as they come: planning reads them in slices
        described = DescribedDocuments.concat([self._held_statements(part) for part in itertools.chain(
            [describe_documents(no_parse, self.canonical)], self._run(describe_task, tasks, len(tasks) > 1))])
        described.documents = self.held.hold(described.documents)
        return described

    def _held_statements(self, described: DescribedDocuments) -> DescribedDocuments:
        described.statements = self.held.hold(described.statements) if described.statements.height else described.statements
        return described

    def _run(self, function, tasks: list, elsewhere: bool):
        """function(task) for each task, in order: on the engine's workers when `elsewhere` and there
        are any (run_batches), else here."""
        return self.run_batches(function, tasks) if elsewhere and self.run_batches else map(function, tasks)

    def _inputs(self, frame: pl.DataFrame) -> list[DocumentInput]:
        """The documents of `frame` (DESCRIBE_COLUMNS) with their summaries, as `parsed` gives them."""
        inputs = []
        for row in frame.iter_rows():
            record = self.parsed.get(row[0])
            inputs.append(DocumentInput(*row, record.summary if record is not None else None))
        return inputs

    def _plan_documents(self) -> pl.DataFrame:
        """Every document's id, canonical id, is_copy and plan input (see pipeline.transform.plan)."""
        # only the copies: every other document is its own canonical (the coalesce below)
        copies = [(d, head) for d, head in self.canonical.items() if head != d]
        canonical = pl.DataFrame(copies, schema={"document_id": pl.String, "canonical": pl.String}, orient="row")
        parsed = pl.Series(list(self.parsed), dtype=pl.String)
        return (self.raw.join(canonical, on="document_id", how="left")
                .with_columns(canonical=pl.coalesce("canonical", "document_id"))
                .select("document_id", "canonical", (pl.col("canonical") != pl.col("document_id")).alias("is_copy"),
                        plan_input_column(pl.col("canonical"), pl.col("document_id").is_in(parsed.implode())).alias("plan_input"))
                .sort("document_id"))

    def _plan(self, previous: StoredSessions | None):
        """The plan of every session (or, given the previous store, of what changed) and the document rows."""
        planner = Planner(self._plan_documents(), self._describe, self.overrides, self.identity.merge_into, self.run_batches)
        plan = planner.plan_changes(previous.plan, previous.inputs["session_id"]) if previous else planner.plan_all()
        self.planned_against = previous.plan if previous else None
        # the plan's rows (per document, participation and contribution) are kept as the rows built are
        # (self.held: files over memory maps, when a store is kept); a frame kept from the previous plan
        # stays the very frame it was (see _same_frames)
        plan.frames = {name: frame if frame is (self.planned_against or {}).get(name) else self.held.hold(frame)
                       for name, frame in plan.frames.items()}
        plan.to_build, plan.people = self.held.hold(plan.to_build), self.held.hold(plan.people)
        self.people, self.person_notes = plan.people, plan.notes
        self._document_frames(plan.described, previous.plan if previous else None)
        # what only planning read goes (the session batches read full parses)
        release = getattr(self.parsed, "release_after_planning", None)
        if release is not None:
            release()
        return plan

    def _parse_keys(self, document_ids: pl.Series) -> pl.Series:
        keys_of = getattr(self.parsed, "parse_keys", None)
        if keys_of is not None:
            return keys_of(document_ids)
        return pl.Series([self.parsed[d].key for d in document_ids.to_list()], dtype=pl.String)

    def _fresh_inputs(self, plan: Plan) -> pl.DataFrame:
        """A hash of everything the rows of each session planned again are built from: its documents
        (id, parsed content, position), the people its names were given, and the reviewed merges
        (INPUT_COLUMNS, sorted by session); the text hashed is made of the plan's columns,
        INPUT_SESSIONS sessions at a time (the texts of every session at once were ~45 MB at 50,000
        documents)."""
        to_build = plan.to_build   # sorted by session (Planner._contributions)
        people = self.held.hold(plan.people.select("session_id", "key", "person_id").sort("session_id", "key"))
        sessions = to_build["session_id"].unique(maintain_order=True)
        parts = [pl.DataFrame(schema=INPUT_COLUMNS)]
        for start in range(0, sessions.len(), INPUT_SESSIONS):
            first, last = sessions[start], sessions[min(start + INPUT_SESSIONS, sessions.len()) - 1]
            parts.append(self._inputs_of(_rows_between(to_build, first, last), _rows_between(people, first, last)))
        return pl.concat(parts)

    def _inputs_of(self, to_build: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
        """_fresh_inputs of the sessions of `to_build` (their people: `people`, sorted by session and key)."""
        documents = (to_build.with_columns(parse_key=self._parse_keys(to_build["document_id"]))
                     .select("session_id", pl.concat_str([pl.col("document_id"), pl.col("parse_key"),
                                                          pl.col("index").cast(pl.String)], separator="\x1e").alias("part"))
                     .group_by("session_id", maintain_order=True).agg("part"))
        people = (people.select("session_id", pl.concat_str([pl.col("key"), pl.col("person_id")], separator="\x1e").alias("person"))
                  .group_by("session_id", maintain_order=True).agg("person"))
        texts = documents.join(people, on="session_id", how="left", maintain_order="left").select(
            "session_id", pl.concat_list([pl.col("session_id"), pl.lit(self.merge_digest), pl.col("part"),
                                          pl.col("person").fill_null(pl.lit([], dtype=pl.List(pl.String)))]).list.join("\x1f").alias("text"))
        hashes = pl.Series("input_hash", [sha256_hex(text)[:32] for text in texts["text"].to_list()], dtype=pl.String)
        return texts.select("session_id").with_columns(hashes)

    def _session_inputs(self, plan: Plan, previous: StoredSessions | None) -> pl.DataFrame:
        """Every session's input hash (INPUT_COLUMNS, sorted by session): those not planned again as
        `previous` holds them, the others hashed now. Columns, not a dict: a dict of every session's
        id and hash cost ~0.2 KB a session."""
        fresh = self._fresh_inputs(plan)
        if previous is None:
            return fresh
        kept = previous.inputs.filter(pl.col("session_id").is_in(plan.sessions.implode())
                                      & ~pl.col("session_id").is_in(fresh["session_id"].implode()))
        return pl.concat([kept, fresh]).sort("session_id")

    # -- rows ------------------------------------------------------------------------------------
    def _document_frames(self, described: DescribedDocuments, previous: dict[str, pl.DataFrame] | None) -> None:
        """The documents rows and document rejects: made for the documents `described`, the others as
        `previous` made them."""
        rows = document_table_rows(described.documents, self.raw)
        rejects = merge_frames("rejects", [described.rejects])
        if previous is not None:
            keep = pl.col("document_id").is_in(self.raw["document_id"].implode()) & ~pl.col("document_id").is_in(
                described.documents["document_id"].implode())
            rows = pl.concat([previous["document_rows"].filter(keep), rows]).sort("document_id")
            rejects = replace_rows(previous["document_rejects"], ~keep, rejects, ["document_id"])  # a reject per document
        self.frames["documents"].append(self.held.hold(rows))
        self.frames["rejects"].append(rejects)
        self.document_rejects = rejects

    def _session_tasks(self, todo: pl.DataFrame, batch_sessions: int) -> Iterator[SessionBatchTask]:
        """The sessions to build (`todo`: Plan.to_build's rows of them) in batches of up to
        `batch_sessions`, those whose first document shares a locality (its parse is stored with
        theirs: `parsed.localities`) side by side, so that a batch reads few stores. Which sessions
        share a batch does not change a row (tests/test_assembly.py). Each task is made as it is
        taken, from slices of the rows sorted by batch once (kept as the rows built are): the
        driver holds the tasks out on the workers, not every batch's."""
        if todo.is_empty():
            return
        firsts = todo.group_by("session_id", maintain_order=True).agg(pl.col("document_id").first())
        localities = getattr(self.parsed, "localities", None)
        if localities is not None:
            firsts = firsts.with_columns(locality=localities(firsts["document_id"])).sort("locality", maintain_order=True)
        batch_of = firsts.with_row_index("_n").select("session_id", (pl.col("_n") // batch_sessions).alias("_batch"))
        del firsts
        contributions = self.held.hold(
            todo.join(batch_of, on="session_id", maintain_order="left")
            .join(self.raw.select("document_id", "format"), on="document_id", how="left", maintain_order="left")
            .select("_batch", "session_id", "document_id", "index", "format").sort("_batch", maintain_order=True))
        people = self.held.hold(self.people.join(batch_of, on="session_id", maintain_order="left")
                                .sort("_batch", maintain_order=True))
        del batch_of
        batches = batch_slices(contributions["_batch"])
        people_in = batch_slices(people["_batch"])
        contributions, people = contributions.drop("_batch"), people.drop("_batch")
        for batch, (start, length) in batches.items():
            part = contributions.slice(start, length)
            people_start, people_length = people_in.get(batch, (0, 0))
            yield SessionBatchTask(part, self.parsed.loader(part["document_id"].unique().sort()),
                                   people.slice(people_start, people_length), self.identity.merge_into)

    def _build_sessions(self, todo: pl.DataFrame, sessions: int, batch_sessions: int) -> None:
        """The rows of the `sessions` sessions to build (see _session_tasks; a batch's full parses in
        memory at a time), on the engine's workers or a cluster (run_batches) unless they are few,
        taken in batch order."""
        tasks = self._session_tasks(todo, batch_sessions)
        # a few sessions are quicker built here
        for frames in self._run(build_session_batch_task, tasks, sessions > batch_sessions):
            for name, frame in frames.items():
                self.fresh.add(name, frame)

    def _flush(self, names) -> None:
        """Rows so far -> Arrow-backed frames; memory then holds columns, not Python dicts."""
        for name in names:
            if self.rows.get(name):
                self.frames[name].append(table_frame(name, self.rows[name]))
                self.rows[name] = []

    def _tables(self, stored: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """Every table: the per-session ones as stored, people, duplicates and rejects added."""
        people, candidates = people_rows(stored[SESSION_NAMES], self.person_notes)
        self.rows["people"].extend(people)
        self.rows["person_candidates"].extend(candidates)
        for dup in self.duplicates:
            self.rows["duplicates"].append(dup.__dict__.copy())
        self.frames["rejects"].append(stored[SESSION_REJECTS].drop("session_id"))
        self._flush(schemas.TABLES)
        return {name: stored[name] if name in stored else merge_frames(name, self.frames.get(name, []))
                for name in schemas.TABLES}

    def _unvetted(self, stored: dict[str, pl.DataFrame], previous: StoredSessions | None) -> dict[str, pl.DataFrame]:
        """The rows of each session table not known to pass its model (see AssemblyResult.unvetted):
        those of the buckets holding a row built now, or not vetted when stored. (A bucket that only
        lost sessions holds some of the rows it was vetted with: a rule of one row or of distinct
        keys that held for them holds for fewer.)"""
        if previous is None:
            return {}
        unvetted = {}
        for name in stored:
            if name in schemas.TABLES:
                rows = unvetted_rows(name, stored[name], self.fresh.buckets[name], previous.vetted)
                if rows is not None:
                    unvetted[name] = rows
        return unvetted

    def build(self, previous: StoredSessions | None = None, batch_sessions: int = BATCH_SESSIONS,
              run_batches=None) -> AssemblyResult:
        """Sessions whose inputs hash as in `previous` take their rows from it instead of being built again."""
        reusable = previous is not None and previous.plan is not None and previous.plan_key == self.plan_key
        self.run_batches = run_batches
        plan = self._plan(previous if reusable else None)
        inputs = self._session_inputs(plan, previous if reusable else None)
        old = previous.inputs if previous else pl.DataFrame(schema=INPUT_COLUMNS)
        planned = plan.to_build.select(pl.col("session_id").unique(maintain_order=True))  # sorted
        compared = (planned.join(inputs, on="session_id", how="left", maintain_order="left")
                    .join(old.rename({"input_hash": "old"}), on="session_id", how="left", maintain_order="left"))
        rehashed = compared.filter(pl.col("input_hash").ne_missing(pl.col("old")))   # new, or of another input
        todo_ids = rehashed["session_id"]
        # the sessions gone, and those hashed again to another input (the others kept their hash)
        gone = old.filter(~pl.col("session_id").is_in(inputs["session_id"].implode()))["session_id"]
        dropped = gone.to_list() + rehashed.filter(pl.col("old").is_not_null())["session_id"].to_list()
        todo = plan.to_build if todo_ids.len() == planned.height else plan.to_build.filter(
            pl.col("session_id").is_in(todo_ids.implode()))
        self._build_sessions(todo, todo_ids.len(), batch_sessions)
        changed_buckets = {sid[4:5] for sid in dropped} | set(todo_ids.str.slice(4, 1).unique().to_list())
        stored = {name: merge_stored(name, self.fresh.take(name), previous.tables.get(name) if previous else None,
                                     dropped, changed_buckets, self.held) for name in SESSION_TABLES}
        tables = self._tables(stored)
        unvetted = self._unvetted(stored, previous)
        stats = {"sessions": inputs.height, "sessions_built": todo_ids.len(), "sessions_reused": inputs.height - todo_ids.len(),
                 "documents_planned": plan.described.documents.height}
        plan_frames = {**plan.frames, "document_rows": tables["documents"], "document_rejects": self.document_rejects}
        kept = _same_frames(plan_frames, self.planned_against)
        changed = set(todo_ids.to_list()) | set(dropped) if previous is not None else None
        return AssemblyResult(tables, StoredSessions(inputs, stored, plan_frames, self.plan_key, kept), changed, stats,
                              unvetted)


def assemble(raw: pl.DataFrame, parsed: Mapping, duplicates: list[DuplicateRow], canonical: dict[str, str],
             overrides: dict | None = None, previous: StoredSessions | None = None, run_batches=None,
             rows: RowsInMemory | None = None, batch_sessions: int | None = None) -> AssemblyResult:
    """The dataset's tables (sorted by primary key, before quarantine) from the parsed documents,
    reusing the sessions of `previous` whose inputs did not change. `run_batches(function, batches)`
    (default: here, one after the other) runs the batches of sessions to build, of `batch_sessions`
    sessions each (default BATCH_SESSIONS); `rows` keeps the session tables' rows (default: in memory)."""
    with no_gc():  # millions of small objects and no cycles among them
        return DatasetBuilder(raw, parsed, duplicates, canonical, overrides, rows).build(
            previous, batch_sessions or BATCH_SESSIONS, run_batches)
