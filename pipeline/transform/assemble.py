"""From parsed documents to the dataset's tables: sessions merged across documents, people matched
across sessions, speakers linked to people, arguments linked to agreements, conflicts recorded.

Which sessions exist and who each name is are planned first (pipeline.transform.plan); this module builds
the rows of each session from that plan. Pure: takes records, returns rows. Every id rule used here
is written in schemas/tables.py.
"""
from __future__ import annotations

import json
import pickle
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

import schemas
from pipeline.incremental.caches import BUCKETS, SessionStore, no_gc, split_by_bucket
from pipeline.transform.dedup import DuplicateRow
from pipeline.model.names import person_key, speaker_kind, strip_honorifics
from pipeline.transform.plan import PlanDocument, Planner, SessionBuild, plan_input_column
from pipeline.model.records import DocumentSummary, ParsedDocument, Participant
from pipeline.model import ids
from pipeline.model.ids import stable_id
from pipeline.model.text import collapse_ws, fold, sha256_hex
from pipeline.model.vocabulary import AGREEING

SESSION_FIELDS = ("title", "series", "event", "date", "start_time", "end_time", "utc_offset",
                  "session_format", "duration_minutes", "description", "summary")
PARTICIPANT_FIELDS = ("honorific", "position", "organization", "country", "stakeholder_group", "regional_group",
                      "area_of_expertise", "profile_url", "speech_speed_wpm", "speech_length_words", "speech_time_seconds")


@dataclass
class DocumentInput:
    document_id: str
    path: str
    sha256: str
    size_bytes: int
    encoding: str | None
    format: str
    parser_version: str
    raw_problems: list[str]
    summary: DocumentSummary | None   # None when the file could not be decoded or recognised


def _role_sort(roles) -> list[str]:
    """Roles once each, sorted alphabetically (as the schema documents): one role set, one list."""
    return sorted(set(roles))


@lru_cache(maxsize=65536)
def speaker_reference(label: str) -> str:
    """"Fahmi Fadzil (Malaysia)" -> "Fahmi Fadzil": a trailing bracket says where or what, not who."""
    label = collapse_ws(re.sub(r"\s*\([^()]*\)\s*$", "", label or ""))
    return strip_honorifics(label)[0] or label


def _text_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _same(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return a == b


class DatasetBuilder:
    """`raw` is the raw documents frame (see pipeline.ingest); `parsed` maps a document id to its
    parse record (.key, .summary, .cache_file) for every document that was parsed."""

    def __init__(self, raw: pl.DataFrame, parsed: Mapping, duplicates: list[DuplicateRow], canonical: dict[str, str],
                 overrides: dict | None = None):
        self.raw = raw.sort("document_id")
        self.parsed = parsed
        self.duplicates = duplicates
        self.canonical = canonical
        self.rows: dict[str, list[dict]] = defaultdict(list)
        ids = self.raw["document_id"].to_list()
        self.formats = dict(zip(ids, self.raw["format"].to_list()))
        self.inputs: dict[str, DocumentInput] = {}   # the documents looked at in this build
        self.loaded: dict[str, ParsedDocument] = {}
        self.frames: dict[str, list] = defaultdict(list)
        self.overrides = overrides or {}
        self.merge_into = {}  # person id -> the id a reviewed merge gives it
        for entry in self.overrides.get("merge") or []:
            entry_ids = entry.get("ids", []) if isinstance(entry, dict) else entry
            for pid in entry_ids[1:]:
                self.merge_into[pid] = entry_ids[0]
        self.person_of: dict[tuple[str, str], str] = {}   # (name key, session_id) -> person_id
        self.person_notes: list[dict] = []
        self.name_counts: Counter = Counter()   # (session_id, person_id, name as written) -> times written
        self.session_person_keys: dict[str, set[str]] = {}   # session -> name keys it lists
        self.merge_digest = stable_id("merge", *sorted(f"{a}>{b}" for a, b in self.merge_into.items()))
        # a plan made under other reviewed overrides is not planned against
        self.plan_key = stable_id("plan", json.dumps(self.overrides, sort_keys=True, default=str))

    # -- documents -------------------------------------------------------------------------------
    def _status(self, doc: DocumentInput) -> str:
        parsed = doc.summary
        if parsed is None or doc.format == "unknown" or not parsed.sessions:
            return "rejected"
        if self.canonical.get(doc.document_id, doc.document_id) != doc.document_id:
            return "duplicate"
        return "partial" if (doc.raw_problems or parsed.problems) else "parsed"

    def _describe(self, ids: set[str] | None) -> dict[str, PlanDocument]:
        """The documents of `ids` (all when None) that are in this build, as planning sees them."""
        frame = self.raw if ids is None else self.raw.filter(pl.col("document_id").is_in(pl.Series(sorted(ids), dtype=pl.String)))
        columns = ["document_id", "path", "sha256", "size_bytes", "encoding", "format", "parser_version", "problems"]
        described = {}
        for row in zip(*(frame.get_column(c).to_list() for c in columns)):
            record = self.parsed.get(row[0])
            doc = self.inputs[row[0]] = DocumentInput(*row, record.summary if record else None)
            described[row[0]] = PlanDocument(row[0], self._status(doc), doc.summary)
        return described

    def _plan_documents(self) -> pl.DataFrame:
        """Every document's id, canonical id, is_copy and plan input (see pipeline.transform.plan)."""
        canonical = pl.DataFrame({"document_id": list(self.canonical), "canonical": list(self.canonical.values())},
                                 schema={"document_id": pl.String, "canonical": pl.String})
        parsed = pl.Series(list(self.parsed), dtype=pl.String)
        return (self.raw.join(canonical, on="document_id", how="left")
                .with_columns(canonical=pl.coalesce("canonical", "document_id"))
                .select("document_id", "canonical", (pl.col("canonical") != pl.col("document_id")).alias("is_copy"),
                        plan_input_column(pl.col("canonical"), pl.col("document_id").is_in(parsed.implode())).alias("plan_input"))
                .sort("document_id"))

    def build_documents(self, ids: list[str]) -> None:
        for document_id in ids:
            doc = self.inputs[document_id]
            status = self._status(doc)
            parsed = doc.summary
            problems = list(doc.raw_problems) + (list(parsed.problems) + list(parsed.notes) if parsed else [])
            if status == "rejected" and parsed is None and doc.format == "unknown" and doc.encoding and "no text" not in problems:
                problems.insert(0, "format not recognised from the content")
            elif status == "rejected" and not problems:
                problems.append("no session could be read from the document")
            self.rows["documents"].append({
                "document_id": doc.document_id, "path": doc.path, "sha256": doc.sha256, "size_bytes": doc.size_bytes,
                "encoding": doc.encoding, "format": doc.format, "parser_version": doc.parser_version, "status": status,
                "canonical_document_id": self.canonical.get(doc.document_id, doc.document_id),
                "title": parsed.title if parsed else None, "url": parsed.url if parsed else None, "problems": problems,
            })
            if status == "rejected":
                self.rows["rejects"].append({
                    "document_id": doc.document_id, "path": doc.path, "table": "documents",
                    "rule": problems[0] if problems else "rejected",
                    "offending_values": json.dumps({"format": doc.format, "problems": problems}, ensure_ascii=False),
                })

    # -- sessions --------------------------------------------------------------------------------
    def _conflict(self, session_id: str, name: str, values: list[tuple[str, object]]) -> bool:
        present = [v for _, v in values if v is not None and v != []]
        if len(present) < 2 or all(_same(present[0], v) for v in present[1:]):
            return False
        for document_id, value in values:
            self.rows["conflicts"].append({"session_id": session_id, "field": name, "document_id": document_id,
                                           "value": _text_value(value)})
        return True

    def build_session(self, build: SessionBuild) -> None:
        sid = build.session_id
        doc_ids = list(dict.fromkeys(d for d, _ in build.contributions))
        row: dict = {"session_id": sid, "document_ids": doc_ids}
        conflicted = False
        for name in SESSION_FIELDS:
            values = [(d, getattr(r, name)) for d, r in self._records(build)]
            row[name] = next((v for _, v in values if v is not None), None)
            conflicted |= self._conflict(sid, name, values)
        people, labels, listed_apart = self._session_people(sid, build)
        conflicted |= listed_apart
        # everything that names a speaker must resolve to a participant or a label
        index = {key: pid for pid, p in people.items() for key in p["_keys"]}
        self._utterances(sid, build, people, labels, index)
        argument_index = self._arguments(sid, build, people, labels, index)
        self._agreements(sid, build, people, labels, index, argument_index)
        self._items(sid, build, people, labels, index)
        for document_id, record in self._records(build):
            for kind, text in sorted(record.texts.items()):
                if text:
                    self.rows["session_texts"].append({"session_id": sid, "kind": kind, "document_id": document_id, "text": text})
        for pid, person in people.items():
            conflicted |= self._participant_conflicts(sid, pid, person)
            self.rows["participants"].append({k: v for k, v in person.items() if not k.startswith("_")})
        for label in labels.values():
            self.rows["speaker_labels"].append(label)
        row["quality_flags"] = self._quality_flags(row, bool(people), conflicted, doc_ids)
        self.rows["sessions"].append(row)

    def _session_people(self, sid: str, build: SessionBuild) -> tuple[dict, dict, bool]:
        """The session's people and speaker labels, each attested by the documents that list them, and
        whether its documents list different people (a conflict row per document then)."""
        people: dict[str, dict] = {}
        labels: dict[str, dict] = {}
        per_doc_names: list[tuple[str, list[str]]] = []
        for document_id, record in self._records(build):
            names = []
            for participant in record.participants:
                self._add_participant(sid, document_id, participant, people, labels)
                names.append(participant.name)
            per_doc_names.append((document_id, sorted(set(names), key=fold)))
        if len({tuple(fold(n) for n in names) for _, names in per_doc_names}) <= 1:
            return people, labels, False
        for document_id, names in per_doc_names:
            self.rows["conflicts"].append({"session_id": sid, "field": "participants",
                                           "document_id": document_id, "value": "; ".join(names)})
        return people, labels, True

    def _quality_flags(self, row: dict, has_people: bool, conflicted: bool, doc_ids: list[str]) -> list[str]:
        flags = [flag for flag, missing in (("missing_title", not row["title"]), ("missing_date", not row["date"]),
                                            ("missing_participants", not has_people)) if missing]
        if conflicted:
            same_format = len({self.formats[d] for d in doc_ids}) == 1
            flags.append("mirror_conflict" if same_format else "source_conflict")
        return flags

    def _add_participant(self, sid, document_id, participant: Participant, people, labels) -> str | None:
        kind = speaker_kind(participant.name)
        if kind != "person":
            label = labels.setdefault(participant.name, {
                "session_id": sid, "speaker": participant.name, "speaker_kind": kind, "roles": [],
                "position": participant.position, "speech_speed_wpm": None, "speech_length_words": None,
                "speech_time_seconds": None, "document_ids": []})
            label["roles"] = _role_sort(label["roles"] + participant.roles)
            for stat in ("speech_speed_wpm", "speech_length_words", "speech_time_seconds"):
                if label[stat] is None:
                    label[stat] = getattr(participant, stat)
            if document_id not in label["document_ids"]:
                label["document_ids"].append(document_id)
            return None
        key = person_key(participant.name)
        pid = self.person_of.get((key, sid)) or self._merged(ids.person_id(key))
        self.name_counts[(sid, pid, participant.name)] += 1
        person = people.get(pid)
        if person is None:
            person = people[pid] = {"session_id": sid, "person_id": pid, "name": participant.name, "roles": [],
                                    "document_ids": [], "_keys": {key}, "_values": defaultdict(list)}
            for attr in PARTICIPANT_FIELDS:
                person[attr] = None
        person["roles"] = _role_sort(person["roles"] + (participant.roles or ["listed"]))
        if document_id not in person["document_ids"]:
            person["document_ids"].append(document_id)
        for attr in PARTICIPANT_FIELDS:
            value = getattr(participant, attr)
            if value is not None:
                person["_values"][attr].append((document_id, value))
                if person[attr] is None:
                    person[attr] = value
        return pid

    def _participant_conflicts(self, sid, pid, person) -> bool:
        conflicted = False
        for attr, values in person["_values"].items():
            by_doc = {}
            for document_id, value in values:
                by_doc.setdefault(document_id, value)
            conflicted |= self._conflict(sid, f"participants[{pid}].{attr}", sorted(by_doc.items()))
        return conflicted

    def _resolve(self, sid, document_id, label, people, labels, index, role="speaker") -> tuple[str | None, str]:
        """A speaker as written -> (person_id or None, speaker_kind); unknown people join the session."""
        name = speaker_reference(label)
        kind = speaker_kind(name)
        if kind != "person":
            if name not in labels:
                self._add_participant(sid, document_id, Participant(name=name, roles=[]), people, labels)
            elif document_id not in labels[name]["document_ids"]:
                labels[name]["document_ids"].append(document_id)
            return None, kind
        key = person_key(name)
        pid = index.get(key)
        if pid is None:
            pid = self._add_participant(sid, document_id, Participant(name=name, roles=[role]), people, labels)
            index[key] = pid
        elif document_id not in people[pid]["document_ids"]:
            people[pid]["document_ids"].append(document_id)
        return pid, kind

    def _utterances(self, sid, build, people, labels, index) -> None:
        transcripts = [(d, r.utterances) for d, r in self._records(build) if r.utterances]
        if not transcripts:
            return
        document_id, turns = transcripts[0]
        for seq, turn in enumerate(turns, start=1):
            pid, kind = self._resolve(sid, document_id, turn.speaker, people, labels, index)
            self.rows["utterances"].append({
                "session_id": sid, "seq": seq, "person_id": pid, "speaker": turn.speaker, "speaker_kind": kind,
                "text": turn.text, "word_count": len(turn.text.split()), "document_id": document_id})
        if len(transcripts) > 1:
            values = [(d, f"{len(t)} turns, {stable_id('txt', *(u.speaker + u.text for u in t))}") for d, t in transcripts]
            self._conflict(sid, "transcript", values)

    def _speaker_key(self, label: str) -> str:
        name = speaker_reference(label)
        return person_key(name) if speaker_kind(name) == "person" else "label:" + fold(name)

    def _arguments(self, sid, build, people, labels, index) -> dict[str, list[dict]]:
        by_text: dict[str, list[dict]] = defaultdict(list)
        seen: dict[str, dict] = {}
        for document_id, record in self._records(build):
            for argument in record.arguments:
                aid = ids.argument_id(sid, self._speaker_key(argument.speaker), argument.text)
                if aid in seen:
                    if document_id not in seen[aid]["document_ids"]:
                        seen[aid]["document_ids"].append(document_id)
                    continue
                pid, kind = self._resolve(sid, document_id, argument.speaker, people, labels, index)
                for other in argument.agreed_with + argument.disagreed_with:
                    self._resolve(sid, document_id, other, people, labels, index)
                row = {"argument_id": aid, "session_id": sid, "person_id": pid, "speaker": argument.speaker,
                       "speaker_kind": kind, "text": argument.text, "explanation": argument.explanation,
                       "evidence": argument.evidence, "discussion_point": argument.discussion_point,
                       "topics": argument.topics, "agreed_with": argument.agreed_with, "agreed_on": argument.agreed_on,
                       "disagreed_with": argument.disagreed_with, "disagreed_on": argument.disagreed_on,
                       "document_ids": [document_id]}
                seen[aid] = row
                by_text[fold(argument.text)].append(row)
                self.rows["arguments"].append(row)
        return by_text

    def _agreements(self, sid, build, people, labels, index, argument_index) -> None:
        rows: dict[str, dict] = {}
        for document_id, record in self._records(build):
            for block in record.agreements:
                agid = ids.agreement_id(sid, block.kind, block.statement)
                row = rows.get(agid)
                if row is None:
                    row = rows[agid] = {"agreement_id": agid, "session_id": sid, "kind": block.kind,
                                        "statement": block.statement, "summary": block.summary, "topics": block.topics,
                                        "speakers": [], "person_ids": [], "argument_ids": [], "document_ids": []}
                _add_once(row["document_ids"], document_id)
                speaker_keys = set()
                for speaker in block.speakers:
                    pid, _ = self._resolve(sid, document_id, speaker, people, labels, index)
                    speaker_keys.add(self._speaker_key(speaker))
                    _add_once(row["speakers"], speaker)
                    if pid:
                        _add_once(row["person_ids"], pid)
                for text in block.arguments:
                    self._link_listed_argument(row, sid, document_id, text, speaker_keys, argument_index)
        _link_agreed_on(rows, argument_index)
        for row in rows.values():
            row["person_ids"].sort()
            row["argument_ids"].sort()
            self.rows["agreements"].append(row)

    def _link_listed_argument(self, row: dict, sid: str, document_id: str, text: str, speaker_keys: set,
                              argument_index: dict) -> None:
        """An argument listed under an agreement: the session's argument of that text (by one of the
        agreement's speakers when several match), else a reject row saying it matches none."""
        candidates = argument_index.get(fold(text), [])
        preferred = [a for a in candidates if self._speaker_key(a["speaker"]) in speaker_keys] or candidates
        if not preferred:
            self.rows[SESSION_REJECTS].append({
                "session_id": sid, "document_id": document_id, "path": None, "table": "agreements",
                "rule": "argument listed under an agreement matches no argument of the session",
                "offending_values": json.dumps({"agreement_id": row["agreement_id"], "argument": text}, ensure_ascii=False)})
        for argument in preferred:
            _add_once(row["argument_ids"], argument["argument_id"])

    def _items(self, sid, build, people, labels, index) -> None:
        seen: dict[tuple[str, str], dict] = {}
        counters: Counter = Counter()
        for document_id, record in self._records(build):
            for item in record.items:
                key = (item.kind, fold(item.text))
                if key in seen:
                    if document_id not in seen[key]["document_ids"]:
                        seen[key]["document_ids"].append(document_id)
                    continue
                pid = None
                if item.speaker:
                    pid, _ = self._resolve(sid, document_id, item.speaker, people, labels, index)
                counters[item.kind] += 1
                row = {"session_id": sid, "kind": item.kind, "seq": counters[item.kind], "text": item.text,
                       "label": item.label, "speaker": item.speaker, "person_id": pid, "reason": item.reason,
                       "impact": item.impact, "explanation": item.explanation, "document_ids": [document_id]}
                seen[key] = row
                self.rows["session_items"].append(row)

    # -- people ----------------------------------------------------------------------------------
    def _merged(self, pid: str) -> str:
        return self.merge_into.get(pid, pid)

    def build_people(self, names: pl.DataFrame) -> None:
        """People from every written form of their names in every session (see SESSION_NAMES)."""
        per_person = names.group_by("person_id").agg(pl.col("name"), pl.col("count"), pl.col("session_id").n_unique().alias("sessions"))
        for pid, written, times, session_count in per_person.iter_rows():
            counts = Counter()
            for name, n in zip(written, times):
                counts[name] += n
            variants = sorted(counts, key=lambda n: (-sum(ord(ch) > 127 for ch in n), n.isupper(),
                                                     sum(t.isupper() and len(t) > 1 for t in n.split()), -counts[n], n))
            self.rows["people"].append({"person_id": pid, "name": variants[0], "name_variants": sorted(counts),
                                        "session_count": session_count})
        known = set(per_person["person_id"].to_list())
        seen_pairs = set()
        for note in self.person_notes:
            pair = (note["person_id"], note["other_person_id"])
            if pair not in seen_pairs and note["person_id"] in known and note["other_person_id"] in known:
                seen_pairs.add(pair)
                self.rows["person_candidates"].append(note)
        # same surname and initial, different key: perhaps one person ("J. Soviene" / "Jurate Soviene")
        by_short: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in self.rows["people"]:
            tokens = fold(row["name"]).split()
            if len(tokens) >= 2:
                by_short[(tokens[0][0], tokens[-1])].append(row["person_id"])
        for (initial, surname), pids in sorted(by_short.items()):
            pids = sorted(set(pids))
            for i, a in enumerate(pids):
                for b in pids[i + 1:]:
                    if (a, b) in seen_pairs:
                        continue
                    seen_pairs.add((a, b))
                    self.rows["person_candidates"].append({
                        "person_id": a, "other_person_id": b,
                        "reason": f"same surname '{surname}' and initial '{initial}' but different given names; not merged"})

    def _records(self, build: SessionBuild):
        for document_id, index in build.contributions:
            yield document_id, self.loaded[document_id].sessions[index]

    def session_input(self, build: SessionBuild) -> str:
        """A hash of everything build_session reads for this session: its documents (id, parsed
        content, position), the people its names were given, and the reviewed merges."""
        sid = build.session_id
        documents = [f"{d}\x1e{self.parsed[d].key}\x1e{i}" for d, i in build.contributions]
        people = [f"{k}\x1e{self.person_of.get((k, sid))}" for k in sorted(self.session_person_keys.get(sid, ()))]
        return sha256_hex("\x1f".join([sid, self.merge_digest, *documents, *people]))[:32]

    def _flush(self, names) -> None:
        """Rows so far -> Arrow-backed frames; memory then holds columns, not Python dicts."""
        for name in names:
            if self.rows.get(name):
                self.frames[name].append(_frame(name, self.rows[name]))
                self.rows[name] = []

    def build(self, previous: SessionStore | None = None, batch_sessions: int = 2000) -> tuple[dict, SessionStore, set, dict]:
        """All tables (before quarantine), the session store for the next build, the sessions built
        or dropped, and counts. Sessions whose inputs hash as in `previous` take their rows from it
        instead of being built again."""
        reusable = previous is not None and previous.plan is not None and previous.plan_key == self.plan_key
        plan = self._plan(previous if reusable else None)
        inputs = {sid: previous.inputs[sid] for sid in plan.sessions if sid not in plan.to_build} if reusable else {}
        inputs.update((sid, self.session_input(build)) for sid, build in plan.to_build.items())
        inputs = dict(sorted(inputs.items()))
        old = previous.inputs if previous else {}
        todo = [build for sid, build in sorted(plan.to_build.items()) if old.get(sid) != inputs[sid]]
        dropped = [sid for sid, digest in old.items() if inputs.get(sid) != digest]
        self._build_sessions(todo, batch_sessions)
        changed_buckets = {sid[4:5] for sid in dropped} | {b.session_id[4:5] for b in todo}
        stored = {name: _merge_stored(name, self.frames.pop(name, []), previous.tables.get(name) if previous else None,
                                      dropped, changed_buckets) for name in SESSION_TABLES}
        tables = self._tables(stored)
        stats = {"sessions": len(inputs), "sessions_built": len(todo), "sessions_reused": len(inputs) - len(todo),
                 "documents_planned": len(plan.documents)}
        plan_frames = {**plan.frames, "document_rows": tables["documents"], "document_rejects": self.document_rejects}
        store = SessionStore(inputs, stored, plan_frames, self.plan_key)
        return tables, store, {b.session_id for b in todo} | set(dropped), stats

    def _plan(self, previous: SessionStore | None):
        """The plan of every session (or, given the previous store, of what changed) and the document rows."""
        planner = Planner(self._plan_documents(), self._describe, lambda d: self.parsed[d].summary, self.canonical,
                          self.overrides, self._merged)
        plan = planner.plan_changes(previous.plan, set(previous.inputs)) if previous else planner.plan_all()
        self.person_of, self.session_person_keys, self.person_notes = plan.person_of, plan.session_keys, plan.notes
        self._document_frames(plan.documents, previous.plan if previous else None)
        return plan

    def _build_sessions(self, todo: list[SessionBuild], batch_sessions: int) -> None:
        """The rows of the sessions to build, a batch of full parses in memory at a time."""
        for start in range(0, len(todo), batch_sessions):
            batch = todo[start:start + batch_sessions]
            needed = sorted({d for b in batch for d, _ in b.contributions})
            self.loaded = {d: _load(self.parsed[d].cache_file) for d in needed}
            for build in batch:
                self.build_session(build)
            self.loaded = {}
            self.rows[SESSION_NAMES] = [{"session_id": sid, "person_id": pid, "name": name, "count": n}
                                        for (sid, pid, name), n in self.name_counts.items()]
            self.name_counts.clear()
            self._flush(SESSION_TABLES)

    def _tables(self, stored: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """Every table: the per-session ones as stored, people, duplicates and rejects added."""
        self.build_people(stored[SESSION_NAMES])
        for dup in self.duplicates:
            self.rows["duplicates"].append(dup.__dict__.copy())
        self.frames["rejects"].append(stored[SESSION_REJECTS].drop("session_id"))
        self._flush(schemas.TABLES)
        return {name: stored[name] if name in stored else _merge(name, self.frames.get(name, []))
                for name in schemas.TABLES}

    def _document_frames(self, ids: list[str], previous: dict[str, pl.DataFrame] | None) -> None:
        """The documents rows and document rejects: made for `ids`, the others as `previous` made them."""
        self.build_documents(ids)
        rows = _frame("documents", self.rows.pop("documents", []))
        rejects = schemas.frame("rejects", self.rows.pop("rejects", []))
        if previous is not None:
            keep = pl.col("document_id").is_in(self.raw["document_id"].implode()) & ~pl.col("document_id").is_in(
                pl.Series(ids, dtype=pl.String).implode())
            rows = pl.concat([previous["document_rows"].filter(keep), rows]).sort("document_id")
            rejects = pl.concat([previous["document_rejects"].filter(keep), rejects]).sort("document_id", maintain_order=True)
        self.frames["documents"].append(rows)
        self.frames["rejects"].append(rejects)
        self.document_rejects = rejects


def _add_once(values: list, value) -> None:
    if value not in values:
        values.append(value)


def _link_agreed_on(rows: dict[str, dict], argument_index: dict) -> None:
    """An argument's "Agreed on" / "Disagreed on" line links it and its speaker to the matching row."""
    by_statement: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows.values():
        side = "agree" if row["kind"] in AGREEING else "disagree"
        by_statement[(side, fold(row["statement"]))].append(row)
    for arguments in argument_index.values():
        for argument in arguments:
            for side, statement in (("agree", argument["agreed_on"]), ("disagree", argument["disagreed_on"])):
                for row in by_statement.get((side, fold(statement)), []) if statement else []:
                    _add_once(row["argument_ids"], argument["argument_id"])
                    if argument["person_id"]:
                        _add_once(row["person_ids"], argument["person_id"])


def _load(cache_file: str) -> ParsedDocument:
    try:
        with open(cache_file, "rb") as handle:
            return pickle.load(handle)[0]
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        raise RuntimeError(f"the parse cache lost {cache_file} ({exc}); build again with --full") from None


# Kept per session besides the tables: every written form of a person's name (people are built from
# them), and the rejects a session's rows produced.
SESSION_NAMES, SESSION_REJECTS = "_names", "_rejects"
SESSION_TABLES = [n for n in schemas.TABLES if "session_id" in schemas.columns(n) and not schemas.TABLES[n].derived] + [
    SESSION_NAMES, SESSION_REJECTS]
_PRIVATE_COLUMNS = {
    SESSION_NAMES: {"session_id": pl.String, "person_id": pl.String, "name": pl.String, "count": pl.Int64},
    SESSION_REJECTS: {"session_id": pl.String, **schemas.columns("rejects")},
}


def _sort_key(name: str) -> list[str]:
    """Primary key, then session: rows that tie on a key come from one session, in the order it made them."""
    if name == SESSION_NAMES:
        return ["session_id", "person_id", "name"]
    if name == SESSION_REJECTS:
        return ["session_id"]
    key = list(schemas.TABLES[name].primary_key)
    return key + ["session_id"] if "session_id" in schemas.columns(name) and "session_id" not in key else key


def _frame(name: str, rows: list[dict]) -> pl.DataFrame:
    if name in _PRIVATE_COLUMNS:
        return pl.DataFrame(rows, schema=_PRIVATE_COLUMNS[name], orient="row") if rows else pl.DataFrame(schema=_PRIVATE_COLUMNS[name])
    return schemas.frame(name, rows)


def _merge(name: str, frames: list) -> pl.DataFrame:
    if not frames:
        return _frame(name, [])
    return (pl.concat([f.lazy() for f in frames]).sort(_sort_key(name), nulls_last=True, maintain_order=True)
            .collect())


def _merge_stored(name: str, fresh: list[pl.DataFrame], buckets: dict[str, pl.LazyFrame] | None, dropped: list[str],
                  changed_buckets: set[str]) -> pl.DataFrame:
    """A session table: the rows of the sessions just built, merged into the stored rows of the
    others. A table ordered by session first is ordered bucket by bucket (session ids are "ses_"
    and hex, and a bucket is the first hex digit), so a bucket without changes is taken as stored
    and only the changed buckets are sorted again."""
    if not buckets:
        return _merge(name, fresh)
    kept = ~pl.col("session_id").is_in(pl.Series(dropped, dtype=pl.String).implode())
    key = _sort_key(name)
    if key[0] != "session_id":
        return _merge(name, [pl.concat(list(buckets.values())).filter(kept), *fresh])
    new = split_by_bucket(pl.concat(fresh)) if fresh else {}
    parts = []
    for bucket in BUCKETS:
        old = buckets.get(bucket)
        if old is not None and bucket not in changed_buckets:
            parts.append(old)
            continue
        pieces = ([old.filter(kept)] if old is not None else []) + ([new[bucket].lazy()] if bucket in new else [])
        if pieces:
            parts.append(pl.concat(pieces).sort(key, nulls_last=True, maintain_order=True))
    return pl.concat(parts).collect() if parts else _frame(name, [])


def assemble(raw: pl.DataFrame, parsed: Mapping, duplicates: list[DuplicateRow], canonical: dict[str, str],
             overrides: dict | None = None, previous: SessionStore | None = None) -> tuple[dict, SessionStore, set | None, dict]:
    """The dataset's tables as DataFrames (sorted by primary key), before quarantine; what the next
    build needs to reuse this one's sessions; the sessions built or dropped (None: all); counts."""
    with no_gc():  # millions of small objects and no cycles among them
        tables, store, changed, stats = DatasetBuilder(raw, parsed, duplicates, canonical, overrides).build(previous)
    return tables, store, (changed if previous is not None else None), stats
