"""People in a session and across sessions: a written name joins the session as a participant (or,
for "Moderator", "Audience" and the like, as a speaker label), a speaker named in passing resolves to
the participant of that name, and the people table gathers every written form of each person."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

import polars as pl

from pipeline.model.names import person_key, speaker_kind, strip_honorifics
from pipeline.model.records import Participant
from pipeline.model.text import collapse_ws, fold
from pipeline.transform.assembly.context import SessionContext

PARTICIPANT_FIELDS = ("honorific", "position", "organization", "country", "stakeholder_group", "regional_group",
                      "area_of_expertise", "profile_url", "speech_speed_wpm", "speech_length_words", "speech_time_seconds")
_NO_FIELDS = dict.fromkeys(PARTICIPANT_FIELDS)  # a new participant's fields, none known yet
SPEECH_STATS = ("speech_speed_wpm", "speech_length_words", "speech_time_seconds")


def sorted_roles(roles) -> list[str]:
    """Roles once each, sorted alphabetically (as the schema documents): one role set, one list."""
    return sorted(set(roles))


@lru_cache(maxsize=65536)
def speaker_reference(label: str) -> str:
    """"Fahmi Fadzil (Malaysia)" -> "Fahmi Fadzil": a trailing bracket says where or what, not who."""
    label = collapse_ws(re.sub(r"\s*\([^()]*\)\s*$", "", label or ""))
    return strip_honorifics(label)[0] or label


def speaker_key(label: str) -> str:
    """What identifies a speaker within a session: a person's name key, or the label itself."""
    name = speaker_reference(label)
    return person_key(name) if speaker_kind(name) == "person" else "label:" + fold(name)


def _add_label(ctx: SessionContext, document_id: str, participant: Participant, kind: str) -> None:
    label = ctx.labels.setdefault(participant.name, {
        "session_id": ctx.session_id, "speaker": participant.name, "speaker_kind": kind, "roles": [],
        "position": participant.position, "speech_speed_wpm": None, "speech_length_words": None,
        "speech_time_seconds": None, "document_ids": []})
    label["roles"] = sorted_roles(label["roles"] + participant.roles)
    for stat in SPEECH_STATS:
        if label[stat] is None:
            label[stat] = getattr(participant, stat)
    if document_id not in label["document_ids"]:
        label["document_ids"].append(document_id)


def add_participant(ctx: SessionContext, document_id: str, participant: Participant) -> str | None:
    """A listed name joins the session; its person id (None for a speaker label)."""
    kind = speaker_kind(participant.name)
    if kind != "person":
        _add_label(ctx, document_id, participant, kind)
        return None
    key = person_key(participant.name)
    pid = ctx.identity.person(key, ctx.session_id)
    ctx.identity.name_counts[(ctx.session_id, pid, participant.name)] += 1
    person = ctx.people.get(pid)
    if person is None:
        person = ctx.people[pid] = {"session_id": ctx.session_id, "person_id": pid, "name": participant.name,
                                    "roles": [], "document_ids": [], "_keys": {key}, "_values": defaultdict(list),
                                    **_NO_FIELDS}
    person["roles"] = sorted_roles(person["roles"] + (participant.roles or ["listed"]))
    if document_id not in person["document_ids"]:
        person["document_ids"].append(document_id)
    stated = person["_values"]
    for attr in PARTICIPANT_FIELDS:
        value = getattr(participant, attr)
        if value is not None:
            stated[attr].append((document_id, value))
            if person[attr] is None:
                person[attr] = value
    return pid


def participant_row(person: dict) -> dict:
    """A participant in the making as its row: without the private "_keys" and "_values" that
    add_participant keeps beside the columns (a copy and two deletions, not a test per key)."""
    row = person.copy()
    del row["_keys"], row["_values"]
    return row


def resolve_speaker(ctx: SessionContext, document_id: str, label: str, role: str = "speaker") -> tuple[str | None, str]:
    """A speaker as written -> (person_id or None, speaker_kind); unknown people join the session."""
    name = speaker_reference(label)
    kind = speaker_kind(name)
    if kind != "person":
        if name not in ctx.labels:
            add_participant(ctx, document_id, Participant(name=name, roles=[]))
        elif document_id not in ctx.labels[name]["document_ids"]:
            ctx.labels[name]["document_ids"].append(document_id)
        return None, kind
    key = person_key(name)
    pid = ctx.index.get(key)
    if pid is None:
        pid = add_participant(ctx, document_id, Participant(name=name, roles=[role]))
        ctx.index[key] = pid
    elif document_id not in ctx.people[pid]["document_ids"]:
        ctx.people[pid]["document_ids"].append(document_id)
    return pid, kind


def _preferred_name(counts: Counter) -> str:
    """The written form that names a person: accented over plain, mixed case over capitals, most written."""
    return sorted(counts, key=lambda n: (-sum(ord(ch) > 127 for ch in n), n.isupper(),
                                         sum(t.isupper() and len(t) > 1 for t in n.split()), -counts[n], n))[0]


def _written_forms(names: pl.DataFrame) -> pl.DataFrame:
    """Per person: each written form of the name with its total count, and the number of sessions.
    The counts are summed in polars (a few thousand forms), not in Python over every session's rows."""
    names = names.rechunk()  # the store's buckets side by side: grouping one chunk is about twice as quick
    forms = names.group_by("person_id", "name").agg(pl.col("count").sum())
    sessions = names.group_by("person_id").agg(pl.col("session_id").n_unique().alias("sessions"))
    return forms.group_by("person_id").agg("name", "count").join(sessions, on="person_id").select(
        "person_id", "name", "count", "sessions")


def people_rows(names: pl.DataFrame, notes: list[dict]) -> tuple[list[dict], list[dict]]:
    """The people table from every written form of their names in every session (session, person,
    name, count), and the candidate pairs for review: the planner's notes on names split by
    affiliation, then people sharing a surname and an initial."""
    per_person = _written_forms(names)
    people = []
    for pid, written, times, session_count in per_person.iter_rows():
        counts = Counter(dict(zip(written, times)))
        people.append({"person_id": pid, "name": _preferred_name(counts), "name_variants": sorted(counts),
                       "session_count": session_count})
    known = set(per_person["person_id"].to_list())
    candidates, seen_pairs = [], set()
    for note in notes:
        pair = (note["person_id"], note["other_person_id"])
        if pair not in seen_pairs and note["person_id"] in known and note["other_person_id"] in known:
            seen_pairs.add(pair)
            candidates.append(note)
    # same surname and initial, different key: perhaps one person ("J. Soviene" / "Jurate Soviene")
    by_short: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in people:
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
                candidates.append({"person_id": a, "other_person_id": b,
                                   "reason": f"same surname '{surname}' and initial '{initial}' but different given names; not merged"})
    return people, candidates
