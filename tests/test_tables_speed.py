"""The tables stage's quicker forms give what the plain forms gave: each test runs the planner's or
the batches' code and the plain form (as the code read before) on inputs made by hand, edge cases
included (blank countries and organizations, names stated again, names split by affiliation, a
reviewed split, no participation at all, sessions of a batch out of order)."""
from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict

import polars as pl

from pipeline.model.records import DocumentSummary, ParsedDocument, Participant, SessionRecord, SessionStub
from pipeline.transform.assembly import SessionBatch, build_session_batch
from pipeline.transform.assembly.context import PersonIdentity
from pipeline.transform.assembly.store import FreshRows, merge_frames, split_by_bucket
from pipeline.transform.plan import PLAN_SCHEMAS, Participation, Planner, SessionBuild, split_by_affiliation
from pipeline.model import ids
from schemas import columns_frame

T = frozenset


def _stub(*participants) -> SessionStub:
    return SessionStub("A session", dt.date(2024, 5, 1), "a session", list(participants))


# (name, key, country as written, country key, organization, organization words)
SUMMARIES = {
    "doc_a": DocumentSummary("isomer_event", "A", None, [], [
        _stub(("Ana Silva", "silva a", "Brasil", "brazil", "Anatel", T({"anatel"})),
              ("Moderator", None, None, None, None, T()),
              ("Bo Li", "li b", "", None, "", T())),
        _stub(("Ana Silva", "silva a", None, None, "ICANN", T({"icann"})))]),
    "doc_b": DocumentSummary("diplo_report", "B", None, [], [
        _stub(("Ana Silva", "silva a", "Kenya", "kenya", "KICTANet", T({"kictanet"})),
              ("Bo Li", "li b", "China", "china", None, T()),
              ("Bo Li", "li b", "Japan", "japan", "Keio", T({"keio"})))]),
    "doc_c": DocumentSummary("concept_note", "C", None, [], [
        _stub(("Ana  Silva", "silva a", "", None, None, T()),
              ("Bo Li", "li b", None, None, "Keio", T({"keio"})),
              ("Cy Dee", "dee c", "Peru", "peru", "", T()))]),
    "doc_d": DocumentSummary("concept_note", "D", None, [], [_stub()]),
}
SESSIONS = {"ses_1": SessionBuild("ses_1", [("doc_a", 0), ("doc_b", 0), ("doc_c", 0)]),
            "ses_2": SessionBuild("ses_2", [("doc_a", 1), ("doc_c", 0)]),
            "ses_3": SessionBuild("ses_3", [("doc_d", 0)]),
            "ses_4": SessionBuild("ses_4", [("doc_b", 0)])}


def _planner(overrides=None, merged=lambda pid: pid) -> Planner:
    return Planner(pl.DataFrame(), lambda wanted: {}, SUMMARIES.__getitem__, {}, overrides or {}, merged)


# -- the plain forms ----------------------------------------------------------------------------------
def _participations_plain(planner: Planner, sessions: dict[str, SessionBuild]) -> dict:
    by_key = defaultdict(dict)
    for sid in sorted(sessions):
        for document_id, index in sessions[sid].contributions:
            for name, key, country, country_key, organization, org_tokens in planner.summary_of(document_id).sessions[index].participants:
                if key is None:
                    continue
                part = by_key[key].get(sid)
                if part is None:
                    part = by_key[key][sid] = Participation(sid, name)
                if part.country is None and country:
                    part.country, part.country_label = country_key, country
                if not part.org_tokens and organization:
                    part.org_tokens, part.organization = org_tokens, organization
    return by_key


def _people_plain(planner: Planner, by_key: dict) -> dict:
    person_of = {}
    for key in sorted(by_key):
        groups = split_by_affiliation(list(by_key[key].values()))
        if len(groups) == 1:
            person_ids = [ids.person_id(key)]
        else:
            person_ids = [ids.person_id(key, *sorted({p.country or "" for p in g}),
                                        *sorted(set().union(*(p.org_tokens for p in g)))) for g in groups]
        for pid, group in zip(person_ids, groups):
            for part in group:
                final = planner.merged(pid)
                person_of[(key, part.session_id)] = planner.splits.get((final, part.session_id), final)
    return person_of


def _participation_frame_plain(by_key: dict, person_of: dict) -> pl.DataFrame:
    parts = [(key, sid, p) for key, of_key in by_key.items() for sid, p in of_key.items()]
    return columns_frame({
        "key": [key for key, _, _ in parts], "session_id": [sid for _, sid, _ in parts],
        "name": [p.name for _, _, p in parts], "country": [p.country for _, _, p in parts],
        "country_label": [p.country_label for _, _, p in parts],
        "org_tokens": [sorted(p.org_tokens) for _, _, p in parts],
        "organization": [p.organization for _, _, p in parts],
        "person_id": [person_of[(key, sid)] for key, sid, _ in parts]}, PLAN_SCHEMAS["participations"])


def _fields(by_key: dict) -> dict:
    return {key: {sid: (p.session_id, p.name, p.country, p.org_tokens, p.organization, p.country_label)
                  for sid, p in parts.items()} for key, parts in by_key.items()}


# -- the tests ----------------------------------------------------------------------------------------
def test_participations_take_the_first_affiliation_stated_as_the_plain_form():
    planner = _planner()
    for sessions in (SESSIONS, {}, {"ses_3": SESSIONS["ses_3"]}, {"ses_2": SESSIONS["ses_2"]}):
        assert _fields(planner._participations(sessions)) == _fields(_participations_plain(planner, sessions))
    by_key = planner._participations(SESSIONS)
    assert (by_key["li b"]["ses_1"].country, by_key["li b"]["ses_1"].country_label) == ("china", "China")
    assert (by_key["li b"]["ses_1"].organization, by_key["li b"]["ses_1"].org_tokens) == ("Keio", T({"keio"}))
    assert by_key["silva a"]["ses_2"].country_label is None and by_key["silva a"]["ses_2"].organization == "ICANN"
    assert "ses_3" not in {sid for parts in by_key.values() for sid in parts}


def test_people_and_participation_frame_as_the_plain_forms():
    split = {"split": [{"person_id": ids.person_id("dee c"), "sessions": ["ses_1"]}]}
    merges = {ids.person_id("dee c"): "per_merged"}
    for overrides, merged in (({}, lambda pid: pid), (split, lambda pid: pid), (split, lambda pid: merges.get(pid, pid))):
        planner = _planner(overrides, merged)
        for sessions in (SESSIONS, {}, {"ses_4": SESSIONS["ses_4"]}):
            by_key = planner._participations(sessions)
            plain_person_of = _people_plain(planner, copy.deepcopy(by_key))
            person_of, _ = planner._people(by_key)
            assert person_of == plain_person_of
            assert all(p.person_id == person_of[(key, sid)] for key, parts in by_key.items() for sid, p in parts.items())
            frame = planner._participation_frame(by_key)
            assert frame.schema == pl.Schema(PLAN_SCHEMAS["participations"])
            assert frame.equals(_participation_frame_plain(by_key, person_of))
    # Ana Silva is two people (Brazil and Kenya); the reviewed split gives Cy Dee another id in ses_1
    planner = _planner(split)
    person_of, notes = planner._people(planner._participations(SESSIONS))
    assert len({person_of[("silva a", s)] for s in ("ses_1", "ses_2", "ses_4")}) >= 2 and notes
    assert person_of[("dee c", "ses_1")] == ids.split_person_id(ids.person_id("dee c"), ["ses_1"])


def _record(title: str, *names: str) -> SessionRecord:
    return SessionRecord(title=title, participants=[Participant(name=n, roles=["speaker"]) for n in names])


class _Loaded:
    def __init__(self, documents):
        self.documents = documents

    def load(self):
        return copy.deepcopy(self.documents)


def test_a_batch_out_of_session_order_gives_rows_by_session_and_the_same_tables():
    """Sessions of a batch come in locality order; their rows come out by session, so that they are
    sliced by bucket, and the tables merged from them are those of the batch in its given order."""
    docs = {"doc_a": ParsedDocument("isomer_event", sessions=[_record("One", "Ana Silva", "Bo Li"), _record("Two", "Bo Li")]),
            "doc_b": ParsedDocument("diplo_report", sessions=[_record("Three", "Cy Dee", "Moderator")])}
    formats = {"doc_a": "isomer_event", "doc_b": "diplo_report"}
    builds = [SessionBuild("ses_f01", [("doc_a", 0)]), SessionBuild("ses_0aa", [("doc_b", 0)]),
              SessionBuild("ses_a10", [("doc_a", 1), ("doc_b", 0)]), SessionBuild("ses_0ab", [("doc_a", 1)])]
    frames = build_session_batch(SessionBatch(builds, _Loaded(docs), PersonIdentity(), formats))
    in_order = build_session_batch(SessionBatch(sorted(builds, key=lambda b: b.session_id), _Loaded(docs),
                                                PersonIdentity(), formats))
    assert list(frames) == list(in_order)
    for name, frame in frames.items():
        assert frame.equals(in_order[name]), name
        assert frame["session_id"].is_sorted(), name
    fresh = FreshRows()
    for name, frame in frames.items():
        fresh.add(name, frame)
    for name, frame in frames.items():
        pieces = fresh.take(name)
        merged = merge_frames(name, [p for parts in pieces.values() for p in parts])
        assert merged.equals(merge_frames(name, [frame])), name
        if "" not in pieces:  # sliced by bucket: each piece one bucket's rows, in order
            assert set(pieces) <= {"0", "a", "f"}
            assert {b: [p.height for p in parts] for b, parts in pieces.items()} == {
                b: [part.height] for b, part in split_by_bucket(frame).items()}


def test_each_batch_gets_the_people_of_its_sessions():
    from types import SimpleNamespace

    from pipeline.transform.assembly import DatasetBuilder

    person_of = {("silva a", "ses_1"): "per_1", ("li b", "ses_1"): "per_2", ("li b", "ses_2"): "per_3",
                 ("dee c", "ses_9"): "per_4"}  # ses_9 is built in no batch
    batches = [[SessionBuild("ses_2")], [SessionBuild("ses_3"), SessionBuild("ses_1")], []]
    builder = SimpleNamespace(identity=PersonIdentity(person_of))
    assert DatasetBuilder._people_by_batch(builder, batches) == [
        {("li b", "ses_2"): "per_3"}, {("silva a", "ses_1"): "per_1", ("li b", "ses_1"): "per_2"}, {}]


def test_documents_frame_as_the_rows_of_document_rows():
    from pipeline.transform.assembly.documents import DocumentInput, document_rows, documents_frame
    import schemas

    raw = pl.DataFrame({"document_id": ["doc_a", "doc_b", "doc_c", "doc_d", "doc_e"], "path": list("abcde"),
                        "location": list("vwxyz"), "sha256": ["1", "2", "3", "4", "5"], "size_bytes": [1, 2, 3, 4, 0],
                        "encoding": ["utf-8", None, "utf-8", "latin-1", None], "format": ["isomer_event", "unknown",
                        "diplo_report", "concept_note", "unknown"], "parser_version": ["1", "1", "2", "1", "1"],
                        "problems": [[], ["NUL bytes removed"], [], [], ["empty file"]]})
    summary = DocumentSummary("isomer_event", "Title", "https://x", ["odd date"], [_stub()], ["a note"])
    summaries = {"doc_a": summary, "doc_b": None, "doc_c": SUMMARIES["doc_b"], "doc_d": DocumentSummary(
        "concept_note", None, None, [], []), "doc_e": None}
    docs = [DocumentInput(*row[:2], *row[3:], summaries[row[0]]) for row in raw.iter_rows()]
    canonical = {"doc_c": "doc_a"}
    for chosen in (docs, docs[1:3], [docs[4]], []):
        frame, rejects = documents_frame(chosen, canonical, raw)
        made = [document_rows(doc, canonical) for doc in chosen]
        assert frame.equals(schemas.frame("documents", [row for row, _ in made]))
        assert frame.schema == schemas.frame("documents", [row for row, _ in made]).schema
        assert rejects == [reject for _, reject in made if reject is not None]
    frame, rejects = documents_frame(docs, canonical, raw)
    assert frame["status"].to_list() == ["partial", "rejected", "duplicate", "rejected", "rejected"]
    assert [r["document_id"] for r in rejects] == ["doc_b", "doc_d", "doc_e"]
