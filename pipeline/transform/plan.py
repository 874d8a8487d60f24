"""Before any row is built: which sessions exist and which documents state them, and which person
each name of each session is.

Planned in full (`plan_all`), or against the previous build's plan (`plan_changes`): then only the
documents whose plan inputs changed are looked at again, with the sessions they state and the
names those sessions list, and everything else is taken from the previous plan. Both give the same
plan (tests/test_incremental.py); the second costs what changed, not what the corpus holds.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from operator import itemgetter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import polars as pl

from pipeline.model.records import DocumentSummary
from pipeline.model import ids

# What a plan keeps for the next build, one frame each.
PLAN_SCHEMAS = {
    # every document: what its plan read (see plan_input_column) and the sessions it states, in order
    "documents": {"document_id": pl.String,
                  "plan_input": pl.Struct({"path": pl.String, "sha256": pl.String, "size_bytes": pl.Int64,
                                           "encoding": pl.String, "format": pl.String, "parser_version": pl.String,
                                           "problems": pl.String, "canonical": pl.String,
                                           "parsed": pl.Boolean}),
                  "is_copy": pl.Boolean, "session_ids": pl.List(pl.String)},
    # every (name key, session): the affiliation it was matched on, and the person it was given
    "participations": {"key": pl.String, "session_id": pl.String, "name": pl.String, "country": pl.String,
                       "country_label": pl.String, "org_tokens": pl.List(pl.String), "organization": pl.String,
                       "person_id": pl.String},
    # review notes on names split by affiliation, per name key, before the reviewed merges
    "notes": {"key": pl.String, "seq": pl.Int64, "person_id": pl.String, "other_person_id": pl.String,
              "reason": pl.String},
}


@dataclass
class SessionBuild:
    session_id: str
    contributions: list[tuple[str, int]] = field(default_factory=list)  # (document_id, session index in it)


@dataclass(slots=True)  # hundreds of thousands of them: slots make them smaller and quicker to make and read
class Participation:
    session_id: str
    name: str
    country: str | None = None
    org_tokens: frozenset = frozenset()
    organization: str | None = None
    country_label: str | None = None     # as written, for the review note
    person_id: str | None = None         # the person it is given (Planner._people)


# What planning reads of each document, made where its parse is kept (on the workers, a parse shard
# at a time: pipeline.transform.assembly.documents.describe_documents): the driver holds frames, not
# one summary per document.
DESCRIBED_SCHEMAS = {
    # every document described: what the documents table says of it, and the sessions it states as its
    # own (a copy may take its canonical document's instead: Planner._assign_ids)
    "documents": {"document_id": pl.String, "status": pl.String, "canonical_document_id": pl.String,
                  "title": pl.String, "url": pl.String, "problems": pl.List(pl.String),
                  "session_ids": pl.List(pl.String)},
    # every name of a person listed by a session of a described document, in its place
    "statements": {"document_id": pl.String, "index": pl.Int64, "position": pl.Int64, "name": pl.String,
                   "key": pl.String, "country": pl.String, "country_key": pl.String, "organization": pl.String,
                   "org_tokens": pl.List(pl.String)},
}


@dataclass
class DescribedDocuments:
    documents: pl.DataFrame             # DESCRIBED_SCHEMAS["documents"], sorted by document_id
    statements: pl.DataFrame            # DESCRIBED_SCHEMAS["statements"], sorted by key (within each part)
    rejects: pl.DataFrame               # the rejects rows of the rejected ones (schemas.TABLES["rejects"])
    parts: list[pl.DataFrame] = field(default_factory=list)  # `statements` as described, a frame per task

    @classmethod
    def concat(cls, parts: list["DescribedDocuments"]) -> "DescribedDocuments":
        """The descriptions of `parts` together; their statements stay the frames they were (not copied
        into one), each sorted by key, so that a range of keys is a slice of each."""
        statements = [frame for p in parts for frame in (p.parts or [p.statements]) if frame.height]
        empty = pl.DataFrame(schema=DESCRIBED_SCHEMAS["statements"])
        return cls(pl.concat([p.documents for p in parts]).sort("document_id"),
                   pl.concat(statements, rechunk=False) if statements else empty,
                   pl.concat([p.rejects for p in parts]), statements)

    def statement_parts(self) -> list[pl.DataFrame]:
        """The statements as frames sorted by key."""
        return self.parts or ([self.statements] if self.statements.height else [])


def own_session_ids(summary: DocumentSummary, document_id: str) -> list[str]:
    """The ids of the sessions a document states (`document_id`: its canonical document, for the
    sessions that have nothing of their own)."""
    used: list[str] = []
    for index, record in enumerate(summary.sessions):
        session_id = ids.session_id(record, summary, document_id, index)
        if session_id in used:  # one page, two sessions with one title and date
            session_id = ids.repeated_session_id(session_id, index)
        used.append(session_id)
    return used


@dataclass
class Plan:
    frames: dict[str, pl.DataFrame]              # PLAN_SCHEMAS: what the next build plans against
    sessions: pl.Series                          # every session of this build, sorted
    # the sessions whose inputs may have changed (all, in full): the documents stating each, in the order
    # they contribute (session_id, document_id, index: the session's place in the document, is_copy)
    to_build: pl.DataFrame
    people: pl.DataFrame                         # key, session_id, person_id: who each name is, in those sessions
    notes: list[dict]                            # review notes, after the reviewed merges
    described: DescribedDocuments                # the documents looked at again (all, in full)


def plan_input_column(canonical: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """Everything planning reads of a document, as one struct over the raw documents' columns: its
    parse (sha256, format, parser version; the parsing code is in the store's name), how it was
    read, its canonical document and whether its parse is at hand. Compared field by field (a plan
    input differs when any of them does): no string is built for each of 100k documents. Its fields
    are scalars (the problems joined): comparing structs with a list field is several times slower."""
    return pl.struct(pl.col("path"), pl.col("sha256"), pl.col("size_bytes"), pl.col("encoding"), pl.col("format"),
                     pl.col("parser_version"), pl.col("problems").list.join("\x1e"), canonical.alias("canonical"),
                     parsed.alias("parsed"))


def replace_rows(old: pl.DataFrame, replaced: pl.Expr, new: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """`old` (sorted by `order`, unique on it) with its `replaced` rows replaced by `new`, sorted by
    `order`. `old` itself when `new` holds the very rows it replaces, as after most changes (a page
    edited without touching its names): the same frame, neither copied nor sorted again."""
    new = new.sort(order, maintain_order=True)
    if old.filter(replaced).equals(new):
        return old
    return pl.concat([old.filter(~replaced), new]).sort(order, maintain_order=True)


def _one_group(informed: list[Participation]) -> bool:
    """The common case, decided without building groups: at most one country, the participations
    without a country share an organization word, and (when both kinds exist) one participation
    with the country has that word too, so everything is connected."""
    countries = {p.country for p in informed if p.country}
    if len(countries) > 1:
        return False
    without = [p.org_tokens for p in informed if not p.country]
    if not without:
        return True
    shared = frozenset.intersection(*without)
    if not shared:
        return False
    return len(without) == len(informed) or any(p.country and p.org_tokens & shared for p in informed)


class _AffiliationGroups:
    """Union-find over participations: groups with their countries, indexed by country and by
    organization word."""

    def __init__(self):
        self.parent: list[int] = []
        self.countries: list[set] = []
        self.members: list[list[Participation]] = []
        self.by_country: dict[str, set[int]] = defaultdict(set)
        self.by_token: dict[str, set[int]] = defaultdict(set)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def compatible(self, p: Participation) -> list[int]:
        """The groups p shares a country or an organization word with, whose countries do not exclude p's."""
        candidates = {self.find(g) for g in self.by_country.get(p.country, ())} if p.country else set()
        for token in p.org_tokens:
            candidates |= {self.find(g) for g in self.by_token.get(token, ())}
        countries = self.countries
        return sorted(g for g in candidates if not (p.country and countries[g] and p.country not in countries[g]))

    def join(self, groups: list[int]) -> int:
        """The first group, with the others merged into it (never two groups of different countries)."""
        root = groups[0]
        countries, members = self.countries, self.members
        for other in groups[1:]:
            if countries[root] and countries[other] and countries[root] != countries[other]:
                continue  # do not bridge two groups of different countries
            self.parent[other] = root
            countries[root] |= countries[other]
            members[root] += members[other]
            members[other] = []
        return root

    def new_group(self) -> int:
        root = len(self.parent)
        self.parent.append(root)
        self.countries.append(set())
        self.members.append([])
        return root

    def add(self, p: Participation) -> None:
        groups = self.compatible(p)
        root = self.join(groups) if groups else self.new_group()
        self.members[root].append(p)
        if p.country:
            self.countries[root].add(p.country)
            self.by_country[p.country].add(root)
        for token in p.org_tokens:
            self.by_token[token].add(root)

    def groups(self) -> list[list[Participation]]:
        result = [g for i, g in enumerate(self.members) if g and self.find(i) == i]
        return sorted(result, key=lambda g: min(p.session_id for p in g))


def split_by_affiliation(parts: list[Participation], shortcut: bool = True) -> list[list[Participation]]:
    """One name, several humans? A participation joins the groups it shares a country or an
    organization word with, unless its country differs from theirs; those without any affiliation
    join the single group when there is one, else form their own. Linear in the participations.
    (`shortcut=False` skips the one-group test, for the tests that compare both ways.)"""
    informed = sorted((p for p in parts if p.country or p.org_tokens), key=lambda p: p.session_id)
    bare = [p for p in parts if not (p.country or p.org_tokens)]
    if shortcut and informed and _one_group(informed):
        return [informed + bare]
    groups = _AffiliationGroups()
    for p in informed:
        groups.add(p)
    result = groups.groups()
    if bare:
        if len(result) <= 1:
            result = [(result[0] if result else []) + bare]
        else:
            result.append(bare)
    return result


def _split_notes(key: str, groups: list[list[Participation]], person_ids: list[str]) -> list[dict]:
    """A review note for each two people one name was split into."""
    def describe(group: list[Participation]) -> str:
        return "; ".join(sorted({f"{p.organization or '?'} ({p.country_label or '?'})" for p in group}))
    notes = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            a, b = sorted((person_ids[i], person_ids[j]))
            notes.append({"key": key, "seq": len(notes), "person_id": a, "other_person_id": b, "reason":
                f"same name '{groups[i][0].name}' but conflicting affiliations: {describe(groups[i])} vs {describe(groups[j])}; not merged"})
    return notes




@dataclass
class PeopleTask:
    """Some name keys' participations (PLAN_SCHEMAS["participations"] but person_id, sorted by key and
    session), with what the reviewed overrides say; small, so it travels to a worker."""
    participations: pl.DataFrame
    merge_into: dict[str, str]                   # person id -> the id a reviewed merge gives it
    splits: dict[tuple[str, str], str]           # (person id, session) -> the id a reviewed split gives it


def _give_people(key: str, parts: list[Participation], merge_into: dict[str, str],
                 splits: dict[tuple[str, str], str]) -> list[dict]:
    """One name key's participations (sessions ascending) each given its person: one person per name,
    unless affiliations conflict; the reviewed merges and splits on top. Returns the review notes on
    the name split by affiliation (before the merges)."""
    groups = split_by_affiliation(parts) if len(parts) > 1 else [parts]  # one participation: one group
    notes = []
    if len(groups) == 1:
        group_ids = [ids.person_id(key)]
    else:
        group_ids = [ids.person_id(key, *sorted({p.country or "" for p in g}),
                                   *sorted(set().union(*(p.org_tokens for p in g)))) for g in groups]
        notes = _split_notes(key, groups, group_ids)
    for pid, group in zip(group_ids, groups):
        person = merge_into.get(pid, pid)
        for part in group:
            part.person_id = splits.get((person, part.session_id), person) if splits else person
    return notes


def people_of_names(task: PeopleTask) -> tuple[pl.Series, pl.DataFrame]:
    """The person of each of the task's participations, in their order (see _give_people), and the
    review notes (PLAN_SCHEMAS["notes"]). Only the ids go back: the participations are the caller's."""
    frame = task.participations
    columns = ("key", "session_id", "name", "country", "country_label", "org_tokens", "organization")
    rows = zip(*(frame.get_column(c).to_list() for c in columns))
    person_ids: list[str] = []
    notes: list[dict] = []
    for key, of_key in groupby(rows, key=itemgetter(0)):  # the frame is sorted by key
        parts = [Participation(sid, name, country, frozenset(tokens), organization, label)
                 for _, sid, name, country, label, tokens, organization in of_key]
        notes.extend(_give_people(key, parts, task.merge_into, task.splits))
        person_ids.extend(p.person_id for p in parts)
    return pl.Series("person_id", person_ids, dtype=pl.String), pl.DataFrame(notes, schema=PLAN_SCHEMAS["notes"])


def with_people(participations: pl.DataFrame, person_ids: pl.Series) -> pl.DataFrame:
    """participations_of's rows with their person (people_of_names), as PLAN_SCHEMAS["participations"]."""
    return participations.with_columns(person_id=person_ids).select(list(PLAN_SCHEMAS["participations"]))


def placed_statements(documents: pl.DataFrame, statements: pl.DataFrame) -> pl.DataFrame:
    """`statements` with the session each one is in (session_id: null for a statement of no document
    of `documents`, or of a session its document does not state) and _order, the order its session
    takes statements in (canonical documents first, then by id; then their place on the page).
    `documents` is the plan's documents frame (document_id sorted, session_ids, is_copy), or any
    part of it holding the statements' documents. Each statement finds its document by binary search
    and its session by its place in the documents' session ids laid end to end; no column is copied."""
    ids = documents["document_id"]
    if ids.is_empty() or statements.is_empty():
        return statements.with_columns(session_id=pl.lit(None, dtype=pl.String), _order=pl.lit(0, dtype=pl.Int64))
    doc_ids = statements["document_id"]
    rows = ids.search_sorted(doc_ids).clip(0, ids.len() - 1)
    lengths = documents["session_ids"].list.len().fill_null(0).cast(pl.Int64)
    flat = documents["session_ids"].explode(empty_as_null=False, keep_nulls=False)
    index = statements["index"]
    stated = (ids.gather(rows) == doc_ids) & (index >= 0) & (index < lengths.gather(rows))
    at = pl.select(pl.when(stated).then((lengths.cum_sum() - lengths).gather(rows) + index)).to_series()
    # rows below 2^42 documents, places on a page below 2^20
    order = documents["is_copy"].gather(rows).cast(pl.Int64) * (1 << 62) + rows.cast(pl.Int64) * (1 << 20) + statements["position"]
    return statements.with_columns(session_id=flat.gather(at), _order=order)


def first_statements(placed: pl.DataFrame, sessions: pl.Series | None = None) -> pl.DataFrame:
    """Per (name key, session) of the `placed` statements (placed_statements), of `sessions` (all when
    None): the name as first stated, and the first affiliation stated, in the session's order. The
    first country written is kept with its key; the first organization with words of its own, else
    the last one written without (as the people it is compared to take it). Sorted by key and
    session, PLAN_SCHEMAS["participations"] but person_id.

    The grouping is done on integers (each key and session by its place among the sorted distinct
    ones, each statement by its rank in the order), and the texts of the statements chosen are
    gathered once, in the output's order: a group_by on the two texts and a sort of every statement
    with its texts held about 20 MB more, alone on the statements of 50,000 documents
    (docs/performance.md)."""
    schema = {c: t for c, t in PLAN_SCHEMAS["participations"].items() if c != "person_id"}
    session_id = placed["session_id"]
    stated = session_id.is_not_null() & placed["key"].is_not_null()
    if sessions is not None:
        stated = stated & session_id.is_in(sessions.implode()).fill_null(False)
    picked = stated.arg_true()
    if picked.is_empty():
        return pl.DataFrame(schema=schema)
    keys, session_id = placed["key"].gather(picked), session_id.gather(picked)
    key_names, session_names = keys.unique().sort(), session_id.unique().sort()
    group = ((key_names.search_sorted(keys).to_numpy().astype(np.uint64) << np.uint64(32))
             | session_names.search_sorted(session_id).to_numpy().astype(np.uint64))
    order = placed["_order"].gather(picked).to_numpy()
    by_group = np.lexsort((order, group))  # by (key, session), each group's statements in order
    group = group[by_group]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    nth = np.arange(len(by_group), dtype=np.int64)  # a statement's place in by_group

    def chosen(flags: pl.Series | None, last: bool = False) -> pl.Series:
        """The statement each group takes: its first one (of those with `flags`), or its last."""
        if flags is None:
            return picked.gather(by_group[starts])
        flagged = flags.gather(picked).fill_null(False).to_numpy()[by_group]
        if last:
            place = np.maximum.reduceat(np.where(flagged, nth, -1), starts)
        else:
            place = np.minimum.reduceat(np.where(flagged, nth, len(nth)), starts)
        found = (place >= 0) & (place < len(nth))  # else none of the group's has them
        statement = picked.to_numpy()[by_group[np.where(found, place, 0)]]
        return pl.select(pl.when(pl.Series(found)).then(pl.Series(statement))).to_series()

    has_country = placed["country"].fill_null("") != ""
    has_org = placed["organization"].fill_null("") != ""
    worded = has_org & (placed["org_tokens"].list.len() > 0)
    first, with_country, with_words = chosen(None), chosen(has_country), chosen(worded)
    grouped = group[starts]
    return pl.DataFrame({
        "key": key_names.gather(pl.Series(grouped >> np.uint64(32))),
        "session_id": session_names.gather(pl.Series(grouped & np.uint64(0xFFFFFFFF))),
        "name": placed["name"].gather(first),
        "country": placed["country_key"].gather(with_country),
        "country_label": placed["country"].gather(with_country),
        "org_tokens": placed["org_tokens"].gather(with_words),
        "organization": placed["organization"].gather(with_words),
        "_last_organization": placed["organization"].gather(chosen(has_org, last=True)),
    }).with_columns(pl.col("org_tokens").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                    pl.coalesce("organization", "_last_organization")).select(list(schema)).cast(schema)


def participations_of(documents: pl.DataFrame, statements: pl.DataFrame, sessions: pl.Series | None = None) -> pl.DataFrame:
    """Per (name key, session) that `documents` (the plan's documents frame: document_id sorted,
    session_ids, is_copy) states, of `sessions` (all when None): first_statements of the statements
    placed in their sessions (placed_statements)."""
    return first_statements(placed_statements(documents, statements), sessions)


@dataclass
class NamesTask:
    """The statements of a range of name keys (slices of frames sorted by key, placed_statements'
    columns), with what the reviewed overrides say: a key's all in one task."""
    statements: list[pl.DataFrame]
    merge_into: dict[str, str]
    splits: dict[tuple[str, str], str]


def people_of_statements(task: NamesTask) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The participations of the task's statements (first_statements) with their person
    (PLAN_SCHEMAS["participations"], sorted by key and session), and the review notes."""
    participations = first_statements(pl.concat(task.statements))
    person_ids, notes = people_of_names(PeopleTask(participations, task.merge_into, task.splits))
    return with_people(participations, person_ids), notes


def key_ranges(keys: list[pl.Series], tasks: int) -> list[tuple[str | None, str | None]]:
    """About `tasks` ranges [low, high) of name keys (None: open) cutting the sorted `keys` into
    parts of about equal size: the cuts are quantiles of a sample of each."""
    if tasks <= 1:
        return [(None, None)]
    samples = [k.gather(np.linspace(0, k.len() - 1, min(k.len(), 8 * tasks)).astype(np.int64)) for k in keys if k.len()]
    if not samples:
        return [(None, None)]
    sample = pl.concat(samples).sort()
    cuts = sample.gather((np.arange(1, tasks) * sample.len()) // tasks).unique().sort().to_list()
    bounds = [None, *cuts, None]
    return list(zip(bounds, bounds[1:]))


def _no_people() -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(schema=PLAN_SCHEMAS["participations"]), pl.DataFrame(schema=PLAN_SCHEMAS["notes"])


class Planner:
    """`documents` is every document's id, plan input, canonical id and is_copy (sorted by id);
    `describe(ids)` describes those documents (all of them when None) where their parses are;
    `run(function, tasks)` runs tasks, in order (on the engine's workers; default: here)."""

    # participations per people task (a name key's all in one): the participations of more than one
    # task are matched on the workers, where the Python objects made for them come and go
    ROWS_PER_TASK = 20_000

    def __init__(self, documents: pl.DataFrame, describe: Callable[[set[str] | None], DescribedDocuments],
                 overrides: dict, merge_into: dict[str, str], run: Callable | None = None):
        self.documents = documents
        self.describe = describe
        self.merge_into = merge_into
        self.run = run
        self.splits = {}
        for entry in overrides.get("split", []) or []:
            for sid in entry.get("sessions", []):
                self.splits[(entry["person_id"], sid)] = ids.split_person_id(entry["person_id"], entry["sessions"])

    def merged(self, pid: str) -> str:
        return self.merge_into.get(pid, pid)

    # -- sessions --------------------------------------------------------------------------------
    def _assign_ids(self, described: pl.DataFrame, stored: pl.DataFrame | None) -> pl.DataFrame:
        """document_id, session_ids of the `described` documents: a copy states the sessions of its
        canonical document, even with a changed title, when it states as many (the canonical's as
        described now, else as `stored`, the previous plan's documents)."""
        own = described.select("document_id", "session_ids")
        docs = (self.documents.select("document_id", "canonical", "is_copy").join(own, on="document_id", how="inner")
                .join(own.rename({"document_id": "canonical", "session_ids": "head_ids"}), on="canonical", how="left"))
        if stored is not None:
            before = stored.select(pl.col("document_id").alias("canonical"), pl.col("session_ids").alias("stored_ids"))
            docs = docs.join(before, on="canonical", how="left").with_columns(head_ids=pl.coalesce("head_ids", "stored_ids"))
        heads = pl.col("head_ids").list.len()
        inherit = pl.col("is_copy") & (heads > 0) & (heads == pl.col("session_ids").list.len())
        return docs.select("document_id", pl.when(inherit).then("head_ids").otherwise("session_ids").alias("session_ids"))

    @staticmethod
    def _contributions(exploded: pl.DataFrame) -> pl.DataFrame:
        """Each session's documents in the order they contribute: canonical documents first, then by id."""
        return exploded.select("session_id", "document_id", "index", "is_copy").sort(["session_id", "is_copy", "document_id"])

    # -- people ----------------------------------------------------------------------------------
    def _people(self, participations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """participations_of's rows (sorted by key) with their person, and the review notes (see
        people_of_names): about ROWS_PER_TASK rows per task, a name key's all in the task of its
        first row. A task's rows are a slice of the frame (a key's rows are side by side), not a copy."""
        keys = participations["key"]
        if keys.is_empty():
            return _no_people()
        key_starts = np.flatnonzero((keys != keys.shift(1)).fill_null(True).to_numpy())
        task_of_key = key_starts // self.ROWS_PER_TASK
        bounds = [*key_starts[np.r_[True, task_of_key[1:] != task_of_key[:-1]]].tolist(), keys.len()]
        tasks = [PeopleTask(participations.slice(start, end - start), self.merge_into, self.splits)
                 for start, end in zip(bounds, bounds[1:])]
        person_ids, notes = [], []
        for ids_of_task, notes_of_task in self._run(people_of_names, tasks):
            person_ids.append(ids_of_task)
            notes.append(notes_of_task)
        return with_people(participations, pl.concat(person_ids)), pl.concat(notes)

    def _people_of_statements(self, documents: pl.DataFrame, parts: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The participations of the statements `parts` (frames sorted by key) with their person, and
        the review notes: each statement placed in its session here (two columns added, nothing
        copied), then a task per range of name keys of about ROWS_PER_TASK statements, a slice of each
        part, grouped and matched on the workers. The ranges are in key order, so their results
        joined end to end are sorted by key and session, as one task's would be."""
        if not parts:
            return _no_people()
        placed = placed_statements(documents, pl.concat(parts, rechunk=False))  # placed at once: parts are many
        keys = placed["key"].rechunk()  # the views only
        starts = np.cumsum([0, *(part.height for part in parts)]).tolist()
        part_keys = [keys.slice(start, end - start) for start, end in zip(starts, starts[1:])]
        ranges = key_ranges(part_keys, -(-placed.height // self.ROWS_PER_TASK))
        # each statement's range, in one search; within a part (sorted by key) a range's rows are side by side
        range_of = pl.Series([low for low, _ in ranges[1:]], dtype=pl.String).search_sorted(keys, "right").to_numpy()
        slices: list[list[pl.DataFrame]] = [[] for _ in ranges]
        for start, end in zip(starts, starts[1:]):
            edges = start + np.searchsorted(range_of[start:end], np.arange(len(ranges) + 1), "left")
            for n, (first, last) in enumerate(zip(edges.tolist(), edges[1:].tolist())):
                if last > first:
                    slices[n].append(placed.slice(first, last - first))
        tasks = [NamesTask(of_range, self.merge_into, self.splits) for of_range in slices if of_range]
        results = list(self._run(people_of_statements, tasks))
        if not results:
            return _no_people()
        return pl.concat([r[0] for r in results]), pl.concat([r[1] for r in results])

    def _run(self, function: Callable, tasks: list):
        """function(task) for each task, in order: on the workers (self.run) when there are several."""
        return self.run(function, tasks) if self.run is not None and len(tasks) > 1 else map(function, tasks)

    def _final_notes(self, notes: pl.DataFrame) -> list[dict]:
        result = []
        for key, seq, a, b, reason in notes.sort("key", "seq").iter_rows():
            if self.merged(a) != self.merged(b):
                result.append({"person_id": self.merged(a), "other_person_id": self.merged(b), "reason": reason})
        return result

    # -- whole plans -----------------------------------------------------------------------------
    @staticmethod
    def _documents_frame(assigned: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
        return (frame.select("document_id", "plan_input", "is_copy")
                .join(assigned, on="document_id", how="left", maintain_order="left")
                .with_columns(pl.col("session_ids").fill_null(pl.lit([], dtype=pl.List(pl.String)))))

    @staticmethod
    def _explode(documents: pl.DataFrame) -> pl.DataFrame:
        return (documents.with_columns(index=pl.int_ranges(pl.col("session_ids").list.len()))
                .explode(["session_ids", "index"]).drop_nulls("session_ids").rename({"session_ids": "session_id"}))

    def plan_all(self) -> Plan:
        described = self.describe(None)
        frames = {"documents": self._documents_frame(self._assign_ids(described.documents, None), self.documents)}
        exploded = self._explode(frames["documents"])
        participations, notes = self._people_of_statements(frames["documents"], described.statement_parts())
        frames["participations"] = participations
        frames["notes"] = notes
        to_build = self._contributions(exploded)
        people = participations.select("key", "session_id", "person_id")
        return Plan(frames, to_build["session_id"].unique(maintain_order=True), to_build, people, self._final_notes(notes),
                    DescribedDocuments(described.documents, described.statements.clear(), described.rejects))

    def plan_changes(self, previous: dict[str, pl.DataFrame], known_sessions: pl.Series) -> Plan:
        """Plan against `previous` (a plan's frames). Looked at again: documents whose plan input
        changed (or that came or went), the copies of those, the sessions any of them stated before
        or states now, and every name listed in those sessions. Sessions not in `known_sessions`
        (lost from the store) are returned to be built as well."""
        old_docs = previous["documents"]
        compared = self.documents.join(old_docs.select("document_id", pl.col("plan_input").alias("before")),
                                       on="document_id", how="full", coalesce=True)
        changed = compared.filter(pl.col("plan_input").ne_missing(pl.col("before")))["document_id"]
        copies = self.documents.filter(pl.col("is_copy") & pl.col("canonical").is_in(changed.implode()))["document_id"]
        touched = set(changed.to_list()) | set(copies.to_list())
        described = self.describe(touched)  # those still here
        assigned = self._assign_ids(described.documents, old_docs)
        touched_series = pl.Series(sorted(touched), dtype=pl.String)
        current = self.documents.filter(pl.col("document_id").is_in(described.documents["document_id"].implode()))
        documents = pl.concat([old_docs.filter(~pl.col("document_id").is_in(touched_series.implode())),
                               self._documents_frame(assigned, current)]).sort("document_id")
        stated_before = old_docs.filter(pl.col("document_id").is_in(touched_series.implode()))["session_ids"]
        affected = set(stated_before.explode().drop_nulls().to_list()) | set(assigned["session_ids"].explode().drop_nulls().to_list())
        exploded = self._explode(documents)
        sessions_now = exploded["session_id"].unique().sort()
        affected_series = pl.Series(sorted(affected), dtype=pl.String)
        restated = exploded.filter(pl.col("session_id").is_in(affected_series.implode()))

        # names: every participation of a name listed in an affected session, before or now; the
        # documents stating those sessions that were not looked at again are described for their names
        statements = described.statements
        others = set(restated["document_id"].to_list()) - set(described.documents["document_id"].to_list())
        if others:
            statements = pl.concat([statements, self.describe(others).statements])
        old_parts = previous["participations"]
        fresh = participations_of(documents, statements, affected_series)
        keys_series = pl.concat([fresh["key"], old_parts.filter(pl.col("session_id").is_in(affected_series.implode()))["key"]]).unique().sort()
        of_keys = old_parts.filter(pl.col("key").is_in(keys_series.implode()))
        regrouping = pl.concat([of_keys.filter(~pl.col("session_id").is_in(affected_series.implode())).drop("person_id"),
                                fresh]).sort("key", "session_id")
        people, notes = self._people(regrouping)
        was = of_keys.select("key", "session_id", pl.col("person_id").alias("was"))
        regrouped = set(people.join(was, on=["key", "session_id"], how="left")
                        .filter(pl.col("person_id").ne_missing(pl.col("was")))["session_id"].to_list())
        participations = replace_rows(old_parts, pl.col("key").is_in(keys_series.implode()), people, ["key", "session_id"])
        notes_frame = replace_rows(previous["notes"], pl.col("key").is_in(keys_series.implode()), notes, ["key", "seq"])

        # the sessions affected or regrouped that still are, and those the store lost
        looked_at = pl.Series(sorted(affected | regrouped), dtype=pl.String)
        build_series = pl.concat([sessions_now.filter(sessions_now.is_in(looked_at.implode())),
                                  sessions_now.filter(~sessions_now.is_in(known_sessions.implode()))]).unique().sort()
        to_build = self._contributions(exploded.filter(pl.col("session_id").is_in(build_series.implode())))
        people = participations.filter(pl.col("session_id").is_in(build_series.implode())).select("key", "session_id", "person_id")
        frames = {"documents": documents, "participations": participations, "notes": notes_frame}
        return Plan(frames, sessions_now, to_build, people, self._final_notes(notes_frame),
                    DescribedDocuments(described.documents, described.statements.clear(), described.rejects))
