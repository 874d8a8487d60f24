"""Before any row is built: which sessions exist and which documents state them, and which person
each name of each session is.

Planned in full (`plan_all`), or against the previous build's plan (`plan_changes`): then only the
documents whose plan inputs changed are looked at again, with the sessions they state and the
names those sessions list, and everything else is taken from the previous plan. Both give the same
plan (tests/test_incremental.py); the second costs what changed, not what the corpus holds.
"""
from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from pipeline.model.records import DocumentSummary
from pipeline.model import ids
from schemas import columns_frame

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


# What a participations row holds besides its session: one name key's rows repeat a few values
# (its name, affiliations and people) over many sessions
_VALUE_COLUMNS = ("key", "name", "country", "country_label", "org_tokens", "organization", "person_id")
_participation_values = operator.attrgetter(*_VALUE_COLUMNS[1:])


@dataclass(slots=True)  # one per document, as DocumentInput
class PlanDocument:
    """What planning reads of one document besides its plan input string."""
    document_id: str
    status: str                          # parsed | partial | duplicate | rejected
    summary: DocumentSummary | None


@dataclass
class Plan:
    frames: dict[str, pl.DataFrame]              # PLAN_SCHEMAS: what the next build plans against
    sessions: set[str]                           # every session of this build
    to_build: dict[str, SessionBuild]            # the sessions whose inputs may have changed (all, in full)
    person_of: dict[tuple[str, str], str]        # (name key, session) -> person, for the sessions to_build
    session_keys: dict[str, set[str]]            # session -> the name keys it lists, for the sessions to_build
    notes: list[dict]                            # review notes, after the reviewed merges
    documents: list[str]                         # the documents looked at again (all, in full)


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


def _restate(part: Participation, country, country_key, organization, org_tokens) -> None:
    """A participation stated again (by another document): the first affiliation stated is kept."""
    if part.country is None and country:
        part.country, part.country_label = country_key, country
    if not part.org_tokens and organization:
        part.org_tokens, part.organization = org_tokens, organization


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


class Planner:
    """`documents` is every document's id, plan input, canonical id and is_copy (sorted by id);
    `describe(ids)` gives the PlanDocument of those ids (all of them when None); `summary_of(id)`
    the summary of a document that states a session."""

    def __init__(self, documents: pl.DataFrame, describe: Callable[[set[str] | None], dict[str, PlanDocument]],
                 summary_of: Callable[[str], DocumentSummary], canonical: dict[str, str], overrides: dict,
                 merged: Callable[[str], str]):
        self.documents = documents
        self.describe = describe
        self.summary_of = summary_of
        self.canonical = canonical
        self.merged = merged
        self.splits = {}
        for entry in overrides.get("split", []) or []:
            for sid in entry.get("sessions", []):
                self.splits[(entry["person_id"], sid)] = ids.split_person_id(entry["person_id"], entry["sessions"])

    # -- sessions --------------------------------------------------------------------------------
    def _order(self, document_id: str) -> tuple:
        return (self.canonical.get(document_id, document_id) != document_id, document_id)  # canonical documents first

    def _session_ids(self, doc: PlanDocument, inherited: list[str] | None) -> list[str]:
        if doc.status == "rejected":
            return []
        # a copy states the sessions of its canonical document, even with a changed title
        if inherited and len(inherited) != len(doc.summary.sessions):
            inherited = None
        used: list[str] = []
        for index, record in enumerate(doc.summary.sessions):
            if inherited:
                session_id = inherited[index]
            else:
                session_id = ids.session_id(record, doc.summary, self.canonical.get(doc.document_id, doc.document_id), index)
            if session_id in used:  # one page, two sessions with one title and date
                session_id = ids.repeated_session_id(session_id, index)
            used.append(session_id)
        return used

    def _assign_ids(self, docs: dict[str, PlanDocument], stored: dict[str, list[str]]) -> dict[str, list[str]]:
        """Session ids of `docs`; a copy whose canonical document is not among them inherits from `stored`."""
        assigned: dict[str, list[str]] = {}
        for document_id in sorted(docs, key=self._order):
            head = self.canonical.get(document_id, document_id)
            inherited = None
            if head != document_id:
                inherited = assigned.get(head) if head in docs else stored.get(head)
            assigned[document_id] = self._session_ids(docs[document_id], inherited)
        return assigned

    @staticmethod
    def _contributions(exploded: pl.DataFrame) -> dict[str, SessionBuild]:
        sessions: dict[str, SessionBuild] = {}
        for sid, document_id, index in exploded.sort(["session_id", "is_copy", "document_id"]).select(
                "session_id", "document_id", "index").iter_rows():
            build = sessions.get(sid)
            if build is None:
                build = sessions[sid] = SessionBuild(sid)
            build.contributions.append((document_id, index))
        return sessions

    # -- people ----------------------------------------------------------------------------------
    def _participations(self, sessions: dict[str, SessionBuild]) -> dict[str, dict[str, Participation]]:
        """name key -> session -> the participation (its first stated affiliation), sessions ascending."""
        by_key: dict[str, dict[str, Participation]] = defaultdict(dict)
        summary_of = self.summary_of
        for sid in sorted(sessions):
            for document_id, index in sessions[sid].contributions:
                for name, key, country, country_key, organization, org_tokens in summary_of(document_id).sessions[index].participants:
                    if key is None:  # not a person
                        continue
                    of_key = by_key[key]
                    part = of_key.get(sid)
                    if part is None:  # its first statement: what it states, as _restate takes it
                        of_key[sid] = Participation(sid, name, country_key if country else None,
                                                    org_tokens if organization else frozenset(), organization or None,
                                                    country or None)
                    else:
                        _restate(part, country, country_key, organization, org_tokens)
        return by_key

    def _people(self, by_key: dict[str, dict[str, Participation]]) -> tuple[dict[tuple[str, str], str], list[dict]]:
        """One person per name, unless affiliations conflict; the reviewed splits on top (each
        participation's person_id is set too). Notes carry their name key and order, so that a later
        plan can replace those of one key."""
        person_of: dict[tuple[str, str], str] = {}
        notes: list[dict] = []
        for key in sorted(by_key):
            parts = list(by_key[key].values())
            groups = split_by_affiliation(parts) if len(parts) > 1 else [parts]  # one participation: one group
            if len(groups) == 1:
                person_ids = [ids.person_id(key)]
            else:
                person_ids = [ids.person_id(key, *sorted({p.country or "" for p in g}),
                                            *sorted(set().union(*(p.org_tokens for p in g)))) for g in groups]
                notes.extend(_split_notes(key, groups, person_ids))
            for pid, group in zip(person_ids, groups):
                self._give(key, group, self.merged(pid), person_of)
        return person_of, notes

    def _give(self, key: str, group: list[Participation], person: str, person_of: dict[tuple[str, str], str]) -> None:
        """A group's participations are `person`, but in the sessions a reviewed split gives another."""
        splits = self.splits
        for part in group:
            part.person_id = splits.get((person, part.session_id), person) if splits else person
            person_of[(key, part.session_id)] = part.person_id

    def _final_notes(self, notes: pl.DataFrame) -> list[dict]:
        result = []
        for key, seq, a, b, reason in notes.sort("key", "seq").iter_rows():
            if self.merged(a) != self.merged(b):
                result.append({"person_id": self.merged(a), "other_person_id": self.merged(b), "reason": reason})
        return result

    @staticmethod
    def _participation_frame(by_key: dict[str, dict[str, Participation]]) -> pl.DataFrame:
        """The participations rows (Planner._people gave them their person), in the order of `by_key`.
        Each distinct value of a row but its session goes to Arrow once (a few thousand of them for
        about two hundred thousand rows), and the rows gather theirs by number."""
        distinct: dict[tuple, int] = {}
        codes: list[int] = []
        session_ids: list[str] = []
        for key, of_key in by_key.items():
            session_ids.extend(of_key)
            codes.extend([distinct.setdefault((key, *values), len(distinct))
                          for values in map(_participation_values, of_key.values())])
        columns = dict(zip(_VALUE_COLUMNS, map(list, zip(*distinct)))) if distinct else dict.fromkeys(_VALUE_COLUMNS, [])
        columns["org_tokens"] = [sorted(tokens) for tokens in columns["org_tokens"]]
        schema = PLAN_SCHEMAS["participations"]
        values = columns_frame(columns, {c: schema[c] for c in _VALUE_COLUMNS})
        return values.select(pl.all().gather(pl.Series(codes, dtype=pl.UInt32))).with_columns(
            session_id=pl.Series(session_ids, dtype=pl.String)).select(list(schema))

    # -- whole plans -----------------------------------------------------------------------------
    def _documents_frame(self, ids: dict[str, list[str]], frame: pl.DataFrame) -> pl.DataFrame:
        session_ids = columns_frame({"session_ids": [ids.get(d, []) for d in frame["document_id"].to_list()]},
                                    {"session_ids": pl.List(pl.String)})
        return frame.select("document_id", "plan_input", "is_copy").with_columns(session_ids.to_series())

    @staticmethod
    def _explode(documents: pl.DataFrame) -> pl.DataFrame:
        return (documents.with_columns(index=pl.int_ranges(pl.col("session_ids").list.len()))
                .explode(["session_ids", "index"]).drop_nulls("session_ids").rename({"session_ids": "session_id"}))

    def plan_all(self) -> Plan:
        docs = self.describe(None)
        ids = self._assign_ids(docs, {})
        frames = {"documents": self._documents_frame(ids, self.documents)}
        exploded = self._explode(frames["documents"])
        sessions = self._contributions(exploded)
        by_key = self._participations(sessions)
        person_of, notes = self._people(by_key)
        frames["participations"] = self._participation_frame(by_key).sort("key", "session_id")
        frames["notes"] = pl.DataFrame(notes, schema=PLAN_SCHEMAS["notes"])
        session_keys: dict[str, set[str]] = defaultdict(set)
        for key, sid in person_of:
            session_keys[sid].add(key)
        return Plan(frames, set(sessions), sessions, person_of, session_keys, self._final_notes(frames["notes"]),
                    sorted(docs))

    def plan_changes(self, previous: dict[str, pl.DataFrame], known_sessions: set[str]) -> Plan:
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
        docs = self.describe(touched)  # those still here
        heads = {self.canonical.get(d, d) for d in docs} - set(docs)
        before = dict(old_docs.filter(pl.col("document_id").is_in(pl.Series(sorted(touched | heads), dtype=pl.String)))
                      .select("document_id", "session_ids").iter_rows())
        ids = self._assign_ids(docs, before)
        touched_series = pl.Series(sorted(touched), dtype=pl.String)
        current = self.documents.filter(pl.col("document_id").is_in(pl.Series(sorted(docs), dtype=pl.String)))
        documents = pl.concat([old_docs.filter(~pl.col("document_id").is_in(touched_series)),
                               self._documents_frame(ids, current)]).sort("document_id")
        affected = {sid for d in touched for sid in (before.get(d) or [])} | {sid for v in ids.values() for sid in v}
        exploded = self._explode(documents)
        sessions_now = set(exploded["session_id"].unique().to_list())
        affected_series = pl.Series(sorted(affected), dtype=pl.String)
        restated = self._contributions(exploded.filter(pl.col("session_id").is_in(affected_series)))

        # names: every participation of a name listed in an affected session, before or now
        old_parts = previous["participations"]
        fresh = self._participations(restated)
        keys = set(fresh) | set(old_parts.filter(pl.col("session_id").is_in(affected_series))["key"].to_list())
        keys_series = pl.Series(sorted(keys), dtype=pl.String)
        of_keys = old_parts.filter(pl.col("key").is_in(keys_series))
        by_key: dict[str, dict[str, Participation]] = defaultdict(dict)
        was: dict[tuple[str, str], str] = {}
        for key, sid, name, country, label, tokens, organization, pid in of_keys.iter_rows():
            was[(key, sid)] = pid
            if sid not in affected:
                by_key[key][sid] = Participation(sid, name, country, frozenset(tokens), organization, label)
        for key, parts in fresh.items():
            by_key[key].update(parts)
        by_key = {key: dict(sorted(parts.items())) for key, parts in by_key.items()}
        person_of, notes = self._people(by_key)
        regrouped = {sid for (key, sid), pid in person_of.items() if was.get((key, sid)) != pid}
        participations = replace_rows(old_parts, pl.col("key").is_in(keys_series),
                                      self._participation_frame(by_key), ["key", "session_id"])
        notes_frame = replace_rows(previous["notes"], pl.col("key").is_in(keys_series),
                                   pl.DataFrame(notes, schema=PLAN_SCHEMAS["notes"]), ["key", "seq"])

        to_build_ids = ((affected | regrouped) & sessions_now) | (sessions_now - known_sessions)
        build_series = pl.Series(sorted(to_build_ids), dtype=pl.String)
        to_build = self._contributions(exploded.filter(pl.col("session_id").is_in(build_series)))
        person_of_built: dict[tuple[str, str], str] = {}
        session_keys: dict[str, set[str]] = defaultdict(set)
        for key, sid, pid in participations.filter(pl.col("session_id").is_in(build_series)).select(
                "key", "session_id", "person_id").iter_rows():
            person_of_built[(key, sid)] = pid
            session_keys[sid].add(key)
        frames = {"documents": documents, "participations": participations, "notes": notes_frame}
        return Plan(frames, sessions_now, to_build, person_of_built, session_keys, self._final_notes(notes_frame),
                    sorted(docs))
