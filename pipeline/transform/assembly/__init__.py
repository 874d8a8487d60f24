"""From parsed documents to the dataset's tables: sessions merged across documents, people matched
across sessions, speakers linked to people, arguments linked to agreements, conflicts recorded.

Which sessions exist and who each name is are planned first (pipeline.transform.plan); then each
session's rows are built from one `SessionContext` by small pieces: `sessions` (fields, conflicts,
quality flags), `identity` (participants, speakers, the people table), `links` (utterances,
arguments, agreements, items), `documents` (document rows). `store` merges the rows of the sessions
built now into those a previous build kept. Pure: records and frames in, frames out.
"""
from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

import schemas
from pipeline.memory import no_gc
from pipeline.model.ids import stable_id
from pipeline.model.records import ParsedDocument
from pipeline.model.text import sha256_hex
from pipeline.transform.assembly.context import PersonIdentity, SessionContext
from pipeline.transform.assembly.documents import DocumentInput, document_status, documents_frame
from pipeline.transform.assembly.identity import people_rows
from pipeline.transform.assembly.sessions import build_session
from pipeline.transform.assembly.store import (SESSION_NAMES, SESSION_REJECTS, SESSION_TABLES, FreshRows, RowsInMemory,
                                               StoredSessions, merge_frames, merge_stored, table_frame, unvetted_rows)
from pipeline.transform.dedup import DuplicateRow
from pipeline.transform.plan import Plan, PlanDocument, Planner, SessionBuild, plan_input_column, replace_rows


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


def _batches_by_locality(todo: list[SessionBuild], parsed, batch_sessions: int) -> list[list[SessionBuild]]:
    """Batches of up to `batch_sessions` sessions, those whose first document shares a locality (its
    parse is stored with theirs: `parsed.locality`) side by side, so that a batch reads few stores.
    Which sessions share a batch does not change a row (tests/test_assembly.py)."""
    locality = getattr(parsed, "locality", None)
    if locality is not None:
        todo = sorted(todo, key=lambda b: locality(b.contributions[0][0]))  # stable: session order within
    return [todo[i:i + batch_sessions] for i in range(0, len(todo), batch_sessions)]


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
        self.inputs: dict[str, DocumentInput] = {}   # the documents looked at in this build
        self.parse_keys: dict[str, str] = {}         # their parse keys, read with their summaries
        self.frames: dict[str, list] = defaultdict(list)
        self.held = rows or RowsInMemory()
        self.fresh = FreshRows(self.held)            # the session tables' rows built now
        self.overrides = overrides or {}
        merge_into = {}
        for entry in self.overrides.get("merge") or []:
            entry_ids = entry.get("ids", []) if isinstance(entry, dict) else entry
            for pid in entry_ids[1:]:
                merge_into[pid] = entry_ids[0]
        self.identity = PersonIdentity(merge_into=merge_into)
        self.person_notes: list[dict] = []
        self.session_person_keys: dict[str, set[str]] = {}   # session -> name keys it lists
        self.planned_against: dict[str, pl.DataFrame] | None = None   # the previous plan's frames, if planned against
        self.merge_digest = stable_id("merge", *sorted(f"{a}>{b}" for a, b in merge_into.items()))
        # a plan made under other reviewed overrides is not planned against
        self.plan_key = stable_id("plan", json.dumps(self.overrides, sort_keys=True, default=str))

    # -- planning --------------------------------------------------------------------------------
    def _describe(self, ids: set[str] | None) -> dict[str, PlanDocument]:
        """The documents of `ids` (all when None) that are in this build, as planning sees them."""
        frame = self.raw if ids is None else self.raw.filter(pl.col("document_id").is_in(pl.Series(sorted(ids), dtype=pl.String)))
        columns = ["document_id", "path", "sha256", "size_bytes", "encoding", "format", "parser_version", "problems"]
        described = {}
        for row in zip(*(frame.get_column(c).to_list() for c in columns)):
            record = self.parsed.get(row[0])
            doc = self.inputs[row[0]] = DocumentInput(*row, record.summary if record else None)
            if record is not None:
                self.parse_keys[row[0]] = record.key
            described[row[0]] = PlanDocument(row[0], document_status(doc, self.canonical), doc.summary)
        return described

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
        planner = Planner(self._plan_documents(), self._describe, self._summary_of, self.canonical,
                          self.overrides, self.identity.merged)
        plan = planner.plan_changes(previous.plan, set(previous.inputs)) if previous else planner.plan_all()
        self.planned_against = previous.plan if previous else None
        self.identity.person_of, self.session_person_keys, self.person_notes = plan.person_of, plan.session_keys, plan.notes
        self._document_frames(plan.documents, previous.plan if previous else None)
        # the summaries were for planning and document rows; the session batches read full parses
        self.inputs.clear()
        release = getattr(self.parsed, "release_after_planning", None)
        if release is not None:
            release()
        return plan

    def _summary_of(self, document_id: str):
        """A document's summary: as described for planning, else from its parse."""
        doc = self.inputs.get(document_id)
        return doc.summary if doc is not None else self.parsed[document_id].summary

    def _parse_key(self, document_id: str) -> str:
        key = self.parse_keys.get(document_id)
        return key if key is not None else self.parsed[document_id].key

    def session_input(self, build: SessionBuild) -> str:
        """A hash of everything a session's rows are built from: its documents (id, parsed content,
        position), the people its names were given, and the reviewed merges."""
        sid = build.session_id
        documents = [f"{d}\x1e{self._parse_key(d)}\x1e{i}" for d, i in build.contributions]
        people = [f"{k}\x1e{self.identity.person_of.get((k, sid))}" for k in sorted(self.session_person_keys.get(sid, ()))]
        return sha256_hex("\x1f".join([sid, self.merge_digest, *documents, *people]))[:32]

    def _session_inputs(self, plan: Plan, previous: StoredSessions | None) -> dict[str, str]:
        """Every session's input hash, sorted by session: those not planned again as `previous` holds
        them, the others hashed now."""
        fresh = {sid: self.session_input(build) for sid, build in plan.to_build.items()}
        if previous is None:
            return dict(sorted(fresh.items()))
        # in the store's order (sorted), a session hashed again in its place: sorted again only when a
        # session is new (or the store's order is not sorted), not every time
        inputs = dict(previous.inputs)  # copied, and changed in place, by set and dict operations
        for sid in inputs.keys() - plan.sessions:
            del inputs[sid]
        new = fresh.keys() - inputs.keys()
        inputs.update(fresh)
        keys = list(inputs)
        if new or not all(map(operator.lt, keys, keys[1:])):
            return {sid: inputs[sid] for sid in sorted(keys)}
        return inputs

    # -- rows ------------------------------------------------------------------------------------
    def _document_frames(self, ids: list[str], previous: dict[str, pl.DataFrame] | None) -> None:
        """The documents rows and document rejects: made for `ids`, the others as `previous` made them."""
        rows, made_rejects = documents_frame([self.inputs[d] for d in ids], self.canonical, self.raw)
        rejects = schemas.frame("rejects", made_rejects)
        if previous is not None:
            keep = pl.col("document_id").is_in(self.raw["document_id"].implode()) & ~pl.col("document_id").is_in(
                pl.Series(ids, dtype=pl.String).implode())
            rows = pl.concat([previous["document_rows"].filter(keep), rows]).sort("document_id")
            rejects = replace_rows(previous["document_rejects"], ~keep, rejects, ["document_id"])  # a reject per document
        self.frames["documents"].append(rows)
        self.frames["rejects"].append(rejects)
        self.document_rejects = rejects

    def _formats(self, ids: set[str]) -> dict[str, str]:
        """document_id -> format, for the documents `ids` (a re-build looks up a few, not 100k)."""
        wanted = self.raw.filter(pl.col("document_id").is_in(pl.Series(list(ids), dtype=pl.String).implode()))
        return dict(zip(wanted["document_id"].to_list(), wanted["format"].to_list()))

    def _build_sessions(self, todo: list[SessionBuild], batch_sessions: int, run_batches=None) -> None:
        """The rows of the sessions to build, in batches of consecutive sessions (a batch's full
        parses in memory at a time); `run_batches(function, batches)` may run them elsewhere (on
        worker processes or a cluster), yielding results in batch order."""
        batches = _batches_by_locality(todo, self.parsed, batch_sessions)
        formats = self._formats({d for b in todo for d, _ in b.contributions})
        tasks = [SessionBatch(batch, self.parsed.loader(sorted({d for b in batch for d, _ in b.contributions})),
                              PersonIdentity(people, self.identity.merge_into),
                              {d: formats[d] for b in batch for d, _ in b.contributions})
                 for batch, people in zip(batches, self._people_by_batch(batches))]
        elsewhere = run_batches and len(todo) > batch_sessions  # a few sessions are quicker built here
        results = run_batches(build_session_batch, tasks) if elsewhere else map(build_session_batch, tasks)
        for frames in results:
            for name, frame in frames.items():
                self.fresh.add(name, frame)

    def _people_by_batch(self, batches: list[list[SessionBuild]]) -> list[dict[tuple[str, str], str]]:
        """Each batch's part of who each name is (PersonIdentity.person_of), in one pass over it."""
        batch_of = {b.session_id: i for i, batch in enumerate(batches) for b in batch}
        parts: list[dict[tuple[str, str], str]] = [{} for _ in batches]
        for name_session, pid in self.identity.person_of.items():
            i = batch_of.get(name_session[1])
            if i is not None:
                parts[i][name_session] = pid
        return parts

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

    def build(self, previous: StoredSessions | None = None, batch_sessions: int = 2000, run_batches=None) -> AssemblyResult:
        """Sessions whose inputs hash as in `previous` take their rows from it instead of being built again."""
        reusable = previous is not None and previous.plan is not None and previous.plan_key == self.plan_key
        plan = self._plan(previous if reusable else None)
        inputs = self._session_inputs(plan, previous if reusable else None)
        old = previous.inputs if previous else {}
        todo = [build for sid, build in sorted(plan.to_build.items()) if old.get(sid) != inputs[sid]]
        # the sessions gone, and those hashed again to another input (the others kept their hash)
        dropped = sorted(old.keys() - inputs.keys()) + [sid for sid in sorted(plan.to_build)
                                                         if sid in old and old[sid] != inputs[sid]]
        self._build_sessions(todo, batch_sessions, run_batches)
        changed_buckets = {sid[4:5] for sid in dropped} | {b.session_id[4:5] for b in todo}
        stored = {name: merge_stored(name, self.fresh.take(name), previous.tables.get(name) if previous else None,
                                     dropped, changed_buckets, self.held) for name in SESSION_TABLES}
        tables = self._tables(stored)
        unvetted = self._unvetted(stored, previous)
        stats = {"sessions": len(inputs), "sessions_built": len(todo), "sessions_reused": len(inputs) - len(todo),
                 "documents_planned": len(plan.documents)}
        plan_frames = {**plan.frames, "document_rows": tables["documents"], "document_rejects": self.document_rejects}
        kept = _same_frames(plan_frames, self.planned_against)
        changed = {b.session_id for b in todo} | set(dropped) if previous is not None else None
        return AssemblyResult(tables, StoredSessions(inputs, stored, plan_frames, self.plan_key, kept), changed, stats,
                              unvetted)


def assemble(raw: pl.DataFrame, parsed: Mapping, duplicates: list[DuplicateRow], canonical: dict[str, str],
             overrides: dict | None = None, previous: StoredSessions | None = None, run_batches=None,
             rows: RowsInMemory | None = None) -> AssemblyResult:
    """The dataset's tables (sorted by primary key, before quarantine) from the parsed documents,
    reusing the sessions of `previous` whose inputs did not change. `run_batches(function, batches)`
    (default: here, one after the other) runs the batches of sessions to build; `rows` keeps the
    session tables' rows (default: in memory)."""
    with no_gc():  # millions of small objects and no cycles among them
        return DatasetBuilder(raw, parsed, duplicates, canonical, overrides, rows).build(previous, run_batches=run_batches)
