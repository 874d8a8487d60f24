"""Assembly's shortcuts give what the plain forms give: each test runs the shortcut and the plain form
(as the code read before the shortcut) on sessions made by hand, edge cases included: one record,
two records of one document, two documents, no people, labels only, unicode and odd blanks."""
from __future__ import annotations

import copy
import datetime as dt
from collections import Counter, defaultdict

import pytest

from pipeline.model.records import Agreement, Argument, Item, Participant, SessionRecord, Utterance
from pipeline.model.text import fold
from pipeline.transform.assembly import build_session_batch, links, sessions
from pipeline.transform.assembly.context import PersonIdentity, SessionContext
from pipeline.transform.assembly.identity import add_participant, participant_row
from pipeline.transform.assembly.store import SESSION_TABLES, table_frame


# -- the plain forms, as the code read before the shortcuts ----------------------------------------
def _listed_people_plain(ctx: SessionContext) -> bool:
    per_doc_names = []
    for document_id, record in ctx.records:
        names = []
        for participant in record.participants:
            add_participant(ctx, document_id, participant)
            names.append(participant.name)
        per_doc_names.append((document_id, sorted(set(names), key=fold)))
    if len({tuple(fold(n) for n in names) for _, names in per_doc_names}) <= 1:
        return False
    for document_id, names in per_doc_names:
        ctx.out["conflicts"].append({"session_id": ctx.session_id, "field": "participants",
                                     "document_id": document_id, "value": "; ".join(names)})
    return True


def _items_plain(ctx: SessionContext) -> None:
    seen, counters = {}, Counter()
    for document_id, record in ctx.records:
        for item in record.items:
            key = (item.kind, fold(item.text))
            if key in seen:
                links.add_once(seen[key]["document_ids"], document_id)
                continue
            pid = links.resolve_speaker(ctx, document_id, item.speaker)[0] if item.speaker else None
            counters[item.kind] += 1
            row = {"session_id": ctx.session_id, "kind": item.kind, "seq": counters[item.kind], "text": item.text,
                   "label": item.label, "speaker": item.speaker, "person_id": pid, "reason": item.reason,
                   "impact": item.impact, "explanation": item.explanation, "document_ids": [document_id]}
            seen[key] = row
            ctx.out["session_items"].append(row)


def _build_session_plain(ctx: SessionContext) -> None:
    doc_ids = ctx.document_ids
    row = {"session_id": ctx.session_id, "document_ids": doc_ids}
    conflicted = False
    for name in sessions.SESSION_FIELDS:
        values = [(d, getattr(r, name)) for d, r in ctx.records]
        row[name] = next((v for _, v in values if v is not None), None)
        conflicted |= sessions.record_conflict(ctx, name, values)
    conflicted |= _listed_people_plain(ctx)
    ctx.index = {key: pid for pid, p in ctx.people.items() for key in p["_keys"]}
    transcripts = links.utterances(ctx)
    if transcripts:
        sessions.record_conflict(ctx, "transcript", transcripts)
    links.agreements(ctx, links.arguments(ctx))
    _items_plain(ctx)
    for document_id, record in ctx.records:
        for kind, text in sorted(record.texts.items()):
            if text:
                ctx.out["session_texts"].append({"session_id": ctx.session_id, "kind": kind,
                                                 "document_id": document_id, "text": text})
    for pid, person in ctx.people.items():
        conflicted |= sessions._participant_conflicts(ctx, pid, person)
        ctx.out["participants"].append({k: v for k, v in person.items() if not k.startswith("_")})
    ctx.out["speaker_labels"].extend(ctx.labels.values())
    row["quality_flags"] = sessions._quality_flags(ctx, row, bool(ctx.people), conflicted, doc_ids)
    ctx.out["sessions"].append(row)


# -- sessions made up to reach every branch --------------------------------------------------------
def _record(title=None, date=None, people=(), items=(), turns=(), **fields) -> SessionRecord:
    return SessionRecord(title=title, date=date, participants=[copy.deepcopy(p) for p in people],
                         items=list(items), utterances=list(turns), **fields)


ANA = Participant("Ana Silva", ["moderator"], organization="CERT", country="Brazil")
ANA_AGAIN = Participant("ANA SILVA", ["speaker"], organization="CERT-BR", speech_length_words=120)
JOSE = Participant("José  Pérez\u00a0", [], position="Director", honorific="Dr.")
MODERATOR = Participant("Moderator", ["moderator"], position="host")
ZHANG = Participant("张伟", ["speaker"], country="China")
ITEMS = [Item("takeaway", "Norms need verification."), Item("takeaway", "NORMS need verification"),
         Item("question", "Who pays?", speaker="Ana Silva"), Item("takeaway", "Capacity first."),
         Item("question", "  who   PAYS? ", label="Q"), Item("sdg", "")]
TURNS = [Utterance("Ana Silva", "Welcome\tall  of you."), Utterance("Moderator", ""),
         Utterance("Dr. Jon Lee (Kenya)", "Thanks, Ana.")]

SESSIONS = {
    "empty": [("doc_a", _record())],
    "one record": [("doc_a", _record("Cyber norms", dt.date(2024, 5, 2), [ANA, JOSE, MODERATOR], ITEMS, TURNS,
                                     summary="s", texts={"full_report": "r", "tone": ""}))],
    "one record, a person twice": [("doc_a", _record("T", people=[ANA, ANA_AGAIN, ZHANG], items=ITEMS[:3]))],
    "labels only": [("doc_a", _record(people=[MODERATOR, Participant("Audience")]))],
    "two records of one document": [("doc_a", _record("T", dt.date(2024, 5, 2), [ANA])),
                                    ("doc_a", _record("t", dt.date(2024, 5, 3), [ANA_AGAIN, JOSE], ITEMS))],
    "two documents agreeing": [("doc_a", _record("Cyber norms", people=[ANA, JOSE])),
                               ("doc_b", _record("CYBER  NORMS", people=[JOSE, ANA], items=ITEMS))],
    "two documents disagreeing": [("doc_a", _record("Norms", dt.date(2024, 5, 2), [ANA], turns=TURNS)),
                                  ("doc_b", _record("Other", None, [ANA_AGAIN, ZHANG], ITEMS, TURNS[1:],
                                                    event="IGF 2024", duration_minutes=90))],
    "three documents, one empty": [("doc_a", _record("A", people=[ANA])), ("doc_b", _record()),
                                   ("doc_c", _record(None, dt.date(2024, 1, 1), [ZHANG, MODERATOR]))],
    "arguments and agreements": [("doc_a", _record(
        "T", people=[ANA],
        arguments=[Argument("Ana Silva", "Norms need verification.", agreed_on="Verification")],
        agreements=[Agreement("agreement", "Verification", speakers=["Ana Silva"],
                              arguments=["Norms need verification.", "Nobody said this."])]))],
}


def _run(build, records, formats=None):
    formats = formats or {d: ("diplo_report" if d == "doc_b" else "isomer_event") for d, _ in records}
    identity = PersonIdentity(merge_into={})
    ctx = SessionContext("ses_0abc", copy.deepcopy(records), identity, formats, defaultdict(list))
    build(ctx)
    return {k: v for k, v in ctx.out.items() if v}, identity.name_counts


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_build_session_same_as_plain(name):
    shortcut, plain = _run(sessions.build_session, SESSIONS[name]), _run(_build_session_plain, SESSIONS[name])
    assert shortcut == plain
    # and the rows' columns in the same order (a table's frame takes them by name, but still)
    for table, rows in shortcut[0].items():
        assert [list(r) for r in rows] == [list(r) for r in plain[0][table]]


def test_one_record_takes_its_values_and_has_no_conflict():
    (out, counts) = _run(sessions.build_session, SESSIONS["one record"])
    (row,) = out["sessions"]
    assert row["title"] == "Cyber norms" and row["date"] == dt.date(2024, 5, 2) and row["series"] is None
    assert row["summary"] == "s" and row["quality_flags"] == [] and "conflicts" not in out
    assert [p["name"] for p in out["participants"]] == ["Ana Silva", "José  Pérez\u00a0", "Jon Lee"]
    assert [(i["kind"], i["seq"]) for i in out["session_items"]] == [
        ("takeaway", 1), ("question", 1), ("takeaway", 2), ("sdg", 1)]
    assert sum(counts.values()) == 3


def test_two_documents_disagreeing_still_give_conflict_rows():
    out, _ = _run(sessions.build_session, SESSIONS["two documents disagreeing"])
    fields = sorted({c["field"] for c in out["conflicts"]})
    ana = out["participants"][0]["person_id"]   # the dates do not conflict: one document states none
    assert fields == ["participants", f"participants[{ana}].organization", "title", "transcript"]
    assert out["sessions"][0]["quality_flags"] == ["source_conflict"]


@pytest.mark.parametrize("person", [
    {"session_id": "s", "person_id": "p", "name": "Ana", "_keys": {"k"}, "_values": defaultdict(list), "country": None},
    {"_keys": set(), "_values": {}, "name": "", "roles": []},
    {"name": "Zhāng\u00a0Wěi", "_keys": {"a", "b"}, "roles": ["x"], "_values": {"country": [("d", "China")]},
     "document_ids": ["d"]},
])
def test_participant_row_same_as_plain(person):
    row = participant_row(person)
    assert row == {k: v for k, v in person.items() if not k.startswith("_")}
    assert list(row) == [k for k in person if not k.startswith("_")]
    assert "_keys" in person and "_values" in person   # the participant in the making keeps them


class _Loaded:
    def __init__(self, documents):
        self.documents = documents

    def load(self):
        return self.documents


def test_build_session_batch_same_frames_as_plain():
    from pipeline.model.records import ParsedDocument
    from pipeline.transform.assembly import SessionBatch
    from pipeline.transform.plan import SessionBuild

    docs = {"doc_a": ParsedDocument("isomer_event", sessions=[r for d, r in SESSIONS["two records of one document"]]),
            "doc_b": ParsedDocument("diplo_report", sessions=[SESSIONS["two documents disagreeing"][1][1]])}
    builds = [SessionBuild("ses_1aaa", [("doc_a", 0), ("doc_b", 0)]), SessionBuild("ses_2bbb", [("doc_a", 1)])]
    formats = {"doc_a": "isomer_event", "doc_b": "diplo_report"}
    frames = build_session_batch(SessionBatch(builds, _Loaded(copy.deepcopy(docs)), PersonIdentity(), formats))
    rows, identity = defaultdict(list), PersonIdentity()
    for build in builds:
        records = [(d, docs[d].sessions[i]) for d, i in build.contributions]
        _build_session_plain(SessionContext(build.session_id, copy.deepcopy(records), identity, formats, rows))
    rows["_names"] = [{"session_id": s, "person_id": p, "name": n, "count": c}
                      for (s, p, n), c in identity.name_counts.items()]
    plain = {name: table_frame(name, rows[name], sort=False) for name in SESSION_TABLES if rows.get(name)}
    assert list(frames) == list(plain)
    for name in plain:
        assert frames[name].equals(plain[name]), name
    assert frames["sessions"]["session_id"].to_list() == ["ses_1aaa", "ses_2bbb"]
