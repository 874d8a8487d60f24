"""The tables stage's quicker forms give what the plain forms gave: each test runs the planner's or
the batches' code and the plain form (as the code read before) on inputs made by hand, edge cases
included (blank countries and organizations, names stated again, names split by affiliation, a
reviewed split, no participation at all, sessions of a batch out of order)."""
from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict

import polars as pl
import pytest

from pipeline.model.records import DocumentSummary, ParsedDocument, Participant, SessionRecord, SessionStub
from pipeline.transform.assembly import SessionBatch, build_session_batch
from pipeline.transform.assembly.context import PersonIdentity
from pipeline.transform.assembly.store import FreshRows, RowsInMemory, merge_frames, split_by_bucket
from pipeline.transform.assembly.documents import DocumentInput, describe_documents
from pipeline.transform.plan import (PLAN_SCHEMAS, DescribedDocuments, Participation, PeopleTask, Planner, SessionBuild,
                                     key_ranges, participations_of,
                                     people_of_names, split_by_affiliation, with_people)
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
    "doc_e": DocumentSummary("concept_note", "E", None, [], [
        _stub(("Cy Dee", "dee c", None, None, "The", T()), ("C. Dee", "dee c", None, None, "Of", T()))]),
}
SUMMARIES["doc_f"] = SUMMARIES["doc_b"]
# the sessions each document states, by their place in it
DOC_SESSIONS = {"doc_a": ["ses_1", "ses_2"], "doc_b": ["ses_1"], "doc_c": ["ses_5"], "doc_d": ["ses_3"],
                "doc_e": ["ses_5"], "doc_f": ["ses_4"]}


def _documents(copies=frozenset()) -> pl.DataFrame:
    """The plan's documents frame of DOC_SESSIONS."""
    return pl.DataFrame({"document_id": sorted(DOC_SESSIONS), "session_ids": [DOC_SESSIONS[d] for d in sorted(DOC_SESSIONS)],
                         "is_copy": [d in copies for d in sorted(DOC_SESSIONS)]})


def _sessions(only=None) -> dict[str, SessionBuild]:
    """DOC_SESSIONS as sessions and their contributions (of the sessions `only`, all when None)."""
    sessions: dict[str, SessionBuild] = {}
    for d in sorted(DOC_SESSIONS):
        for index, sid in enumerate(DOC_SESSIONS[d]):
            if only is None or sid in only:
                sessions.setdefault(sid, SessionBuild(sid)).contributions.append((d, index))
    return sessions


def _participations(statements, only=None, copies=frozenset()) -> pl.DataFrame:
    return participations_of(_documents(copies), statements, None if only is None else pl.Series(only, dtype=pl.String))


def _planner(overrides=None, merge_into=None) -> Planner:
    return Planner(pl.DataFrame(), None, overrides or {}, merge_into or {})


def _statements() -> pl.DataFrame:
    docs = [DocumentInput(d, d, "0", 1, "utf-8", s.format, "1", [], s) for d, s in sorted(SUMMARIES.items())]
    return describe_documents(docs, {}).statements


# -- the plain forms ----------------------------------------------------------------------------------
def _participations_plain(sessions: dict[str, SessionBuild], copies=frozenset()) -> dict:
    """Each session's documents in turn (canonical documents first), each name's first statement
    taken, and a later one's affiliation where none was taken yet."""
    by_key = defaultdict(dict)
    for sid in sorted(sessions):
        for document_id, index in sorted(sessions[sid].contributions, key=lambda c: (c[0] in copies, c[0])):
            for name, key, country, country_key, organization, org_tokens in SUMMARIES[document_id].sessions[index].participants:
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
        "person_id": [person_of[(key, sid)] for key, sid, _ in parts]}, PLAN_SCHEMAS["participations"]).sort("key", "session_id")


def _fields(frame: pl.DataFrame) -> dict:
    return {(key, sid): (name, country, T(tokens), organization, label) for key, sid, name, country, label, tokens, organization
            in frame.select("key", "session_id", "name", "country", "country_label", "org_tokens", "organization").iter_rows()}


def _fields_plain(by_key: dict) -> dict:
    return {(key, sid): (p.name, p.country, p.org_tokens, p.organization, p.country_label)
            for key, parts in by_key.items() for sid, p in parts.items()}


# -- the tests ----------------------------------------------------------------------------------------
def test_participations_take_the_first_affiliation_stated_as_the_plain_form():
    statements = _statements()
    cases = [(None, frozenset()), ([], frozenset()), (["ses_3"], frozenset()), (["ses_2"], frozenset()),
             (["ses_1", "ses_5"], frozenset()), (None, frozenset({"doc_a"})), (None, frozenset({"doc_b", "doc_c"}))]
    for only, copies in cases:
        frame = _participations(statements, only, copies)
        assert _fields(frame) == _fields_plain(_participations_plain(_sessions(only), copies)), (only, copies)
        assert frame.select("key", "session_id").equals(frame.select("key", "session_id").sort("key", "session_id"))
    fields = _fields(_participations(statements))
    assert fields[("li b", "ses_1")][1:4] == ("china", T({"keio"}), "Keio")
    assert fields[("silva a", "ses_2")][4] is None and fields[("silva a", "ses_2")][3] == "ICANN"
    # an organization without words of its own is taken until one with words comes: the last one written
    assert fields[("dee c", "ses_5")] == ("Cy Dee", "peru", T(), "Of", "Peru")
    assert "ses_3" not in {sid for _, sid in fields}
    # a copy's statements come after the canonical documents': doc_a's Brasil is no longer first
    assert _fields(_participations(statements, copies={"doc_a"}))[("silva a", "ses_1")][1] == "kenya"
    # a statement of a document the plan does not hold states nothing
    stray = statements.head(1).with_columns(document_id=pl.lit("doc_zz"))
    assert _participations(pl.concat([statements, stray])).equals(_participations(statements))
    assert participations_of(_documents().clear(), statements).height == 0


def test_participations_of_statements_their_documents_do_not_place_are_dropped():
    statements = _statements()
    documents = _documents()
    # doc_a states one session now (its second list of names has no session), doc_d none at all
    fewer = documents.with_columns(session_ids=pl.when(pl.col("document_id") == "doc_a").then(pl.lit(["ses_1"]))
                                   .when(pl.col("document_id") == "doc_d").then(pl.lit([], dtype=pl.List(pl.String)))
                                   .otherwise("session_ids"))
    frame = participations_of(fewer, statements)
    assert ("silva a", "ses_2") not in _fields(frame) and ("silva a", "ses_1") in _fields(frame)
    assert frame.drop("key", "session_id").equals(
        participations_of(documents, statements).filter(pl.col("session_id") != "ses_2").drop("key", "session_id"))
    # a document stating one session twice: its names count once in it, the first list's first
    twice = documents.with_columns(session_ids=pl.when(pl.col("document_id") == "doc_a").then(pl.lit(["ses_1", "ses_1"]))
                                   .otherwise("session_ids"))
    fields = _fields(participations_of(twice, statements))
    assert fields[("silva a", "ses_1")][:4] == ("Ana Silva", "brazil", T({"anatel"}), "Anatel")
    assert sorted(sid for key, sid in fields if key == "silva a") == ["ses_1", "ses_4", "ses_5"]
    # no statements, or none of the sessions asked for: an empty frame of the schema
    empty = participations_of(documents, statements.clear())
    assert empty.height == 0 and empty.columns == participations_of(documents, statements).columns
    assert participations_of(documents, statements, pl.Series(["ses_9"], dtype=pl.String)).height == 0


def _described_in_parts(cut: int) -> list[pl.DataFrame]:
    """The statements of SUMMARIES as two describe tasks give them: the documents before `cut` and after."""
    docs = [DocumentInput(d, d, "0", 1, "utf-8", s.format, "1", [], s) for d, s in sorted(SUMMARIES.items())]
    return DescribedDocuments.concat([describe_documents(docs[:cut], {}), describe_documents(docs[cut:], {})]).statement_parts()


def test_people_of_statements_by_key_range_as_grouped_whole():
    split = {"split": [{"person_id": ids.person_id("dee c"), "sessions": ["ses_5"]}]}
    for overrides in ({}, split):
        planner = _planner(overrides)
        for copies in (frozenset(), frozenset({"doc_a"})):
            whole, whole_notes = planner._people(participations_of(_documents(copies), _statements()))
            for cut in (0, 2, 6):
                parts = _described_in_parts(cut)
                assert all(part["key"].is_sorted() for part in parts) and len(parts) == (1 if cut in (0, 6) else 2)
                for rows_per_task in (1, 2, 3, 100):
                    tasks_run = []
                    planner.run = lambda function, tasks: (tasks_run.append(len(tasks)), map(function, tasks))[1]
                    planner.ROWS_PER_TASK = rows_per_task
                    frame, notes = planner._people_of_statements(_documents(copies), parts)
                    assert frame.equals(whole) and notes.equals(whole_notes), (overrides, copies, cut, rows_per_task)
                    # one task runs here; smaller tasks, more of them, never more than the keys (a key's all in one)
                    keys = _statements()["key"].n_unique()
                    assert tasks_run == [] if rows_per_task == 100 else 1 < tasks_run[0] <= keys, tasks_run
    assert planner._people_of_statements(_documents(), [])[0].height == 0


def test_key_ranges_cut_sorted_keys_into_parts_of_about_equal_size():
    keys = [pl.Series(sorted(f"k{i:04d}" for i in range(0, 1000, 2))), pl.Series(sorted(f"k{i:04d}" for i in range(1, 1000, 2)))]
    ranges = key_ranges(keys, 4)
    assert len(ranges) == 4 and ranges[0][0] is None and ranges[-1][1] is None
    assert all(high == low for (_, high), (low, _) in zip(ranges, ranges[1:]))  # end to end, in order
    sizes = [sum(((k >= (low or "")) & (k < high if high else True)).sum() for k in keys) for low, high in ranges]
    assert sum(sizes) == 1000 and max(sizes) - min(sizes) <= 60, sizes
    # one key repeated everywhere: one range holds it whole
    assert key_ranges([pl.Series(["same"] * 50)], 4) == [(None, "same"), ("same", None)]
    assert key_ranges(keys, 1) == [(None, None)] and key_ranges([pl.Series([], dtype=pl.String)], 3) == [(None, None)]


def test_people_and_participation_frame_as_the_plain_forms():
    split = {"split": [{"person_id": ids.person_id("dee c"), "sessions": ["ses_5"]}]}
    merges = {ids.person_id("dee c"): "per_merged"}
    statements = _statements()
    for overrides, merge_into in (({}, {}), (split, {}), (split, merges)):
        planner = _planner(overrides, merge_into)
        for only in (None, [], ["ses_4"]):
            stated = _participations(statements, only)
            by_key = _participations_plain(_sessions(only))
            plain_person_of = _people_plain(planner, copy.deepcopy(by_key))
            person_ids, notes = people_of_names(PeopleTask(stated, planner.merge_into, planner.splits))
            frame = with_people(stated, person_ids)
            assert frame.schema == pl.Schema(PLAN_SCHEMAS["participations"])
            assert frame.equals(_participation_frame_plain(by_key, plain_person_of))
            assert notes.schema == pl.Schema(PLAN_SCHEMAS["notes"])
            # tasks of a row (a name key's rows in one) give what one task gives
            tasks_run = []
            planner.run = lambda function, tasks: (tasks_run.append(len(tasks)), map(function, tasks))[1]
            planner.ROWS_PER_TASK = 1
            chunked, chunked_notes = planner._people(stated)
            assert chunked.equals(frame) and chunked_notes.equals(notes)
            keys = stated["key"].n_unique()
            assert tasks_run == ([keys] if keys > 1 else [])
            planner.ROWS_PER_TASK = 2  # a key's rows in the task of its first row (rows 0-1, 2-3, ...)
            tasks_run.clear()
            chunked, chunked_notes = planner._people(stated)
            assert chunked.equals(frame) and chunked_notes.equals(notes)
            first_rows = stated.with_row_index().group_by("key").agg(pl.col("index").first())["index"]
            expected = (first_rows // 2).n_unique()
            assert tasks_run == ([expected] if expected > 1 else [])
    # Ana Silva is two people (Brazil and Kenya); the reviewed split gives Cy Dee another id in ses_5
    planner = _planner(split)
    frame, notes = planner._people(_participations(statements))
    person_of = {(k, s): p for k, s, p in frame.select("key", "session_id", "person_id").iter_rows()}
    assert len({person_of[("silva a", s)] for s in ("ses_1", "ses_2", "ses_4")}) >= 2 and notes.height
    assert person_of[("dee c", "ses_5")] == ids.split_person_id(ids.person_id("dee c"), ["ses_5"])


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


_TODO = pl.DataFrame([("ses_1", "doc_a", 0, False), ("ses_1", "doc_b", 0, True), ("ses_2", "doc_b", 1, False),
                      ("ses_3", "doc_c", 0, False)],
                     schema={"session_id": pl.String, "document_id": pl.String, "index": pl.Int64, "is_copy": pl.Boolean},
                     orient="row")
_PEOPLE = pl.DataFrame({"key": ["silva a", "li b", "li b", "dee c"], "session_id": ["ses_1", "ses_1", "ses_2", "ses_9"],
                        "person_id": ["per_1", "per_2", "per_3", "per_4"]})  # ses_9 is built in no batch


def test_each_batch_task_gets_the_documents_and_people_of_its_sessions():
    from types import SimpleNamespace

    from pipeline.transform.assembly import DatasetBuilder

    shards = {"doc_a": "b", "doc_b": "a", "doc_c": "a"}
    parsed = SimpleNamespace(localities=lambda ids: ids.replace_strict(shards), loader=lambda ids: ids.to_list())
    raw = pl.DataFrame({"document_id": ["doc_a", "doc_b", "doc_c"], "format": ["isomer_event", "diplo_report", "concept_note"]})
    loaded = []
    parsed.loader = lambda ids: loaded.append(ids.to_list()) or ids.to_list()
    builder = SimpleNamespace(people=_PEOPLE, parsed=parsed, raw=raw, identity=PersonIdentity(merge_into={"per_2": "per_1"}),
                              held=RowsInMemory())
    # by the locality of their first document (ses_2 and ses_3 read shard "a"), two sessions a batch
    made = DatasetBuilder._session_tasks(builder, _TODO, 2)
    first = next(made)
    assert loaded == [["doc_b", "doc_c"]]  # a task is made as it is taken
    tasks = [first, *made]
    batches = [task.batch() for task in tasks]
    assert [[(b.session_id, b.contributions) for b in batch.builds] for batch in batches] == [
        [("ses_2", [("doc_b", 1)]), ("ses_3", [("doc_c", 0)])], [("ses_1", [("doc_a", 0), ("doc_b", 0)])]]
    assert [task.documents for task in tasks] == [["doc_b", "doc_c"], ["doc_a", "doc_b"]]
    assert [batch.identity.person_of for batch in batches] == [
        {("li b", "ses_2"): "per_3"}, {("silva a", "ses_1"): "per_1", ("li b", "ses_1"): "per_2"}]
    assert batches[1].identity.merge_into == {"per_2": "per_1"}  # for the names met in passing
    assert batches[0].formats == {"doc_b": "diplo_report", "doc_c": "concept_note"}
    assert list(DatasetBuilder._session_tasks(builder, _TODO.clear(), 2)) == []


@pytest.mark.parametrize("at_a_time", [1, 2, 10_000])
def test_session_inputs_hash_what_the_plain_form_hashed(monkeypatch, at_a_time):
    from types import SimpleNamespace

    from pipeline.model.text import sha256_hex
    from pipeline.transform import assembly
    from pipeline.transform.assembly import DatasetBuilder

    monkeypatch.setattr(assembly, "INPUT_SESSIONS", at_a_time)  # the sessions hashed a few at a time
    builder = DatasetBuilder.__new__(DatasetBuilder)
    builder.parsed = {d: SimpleNamespace(key=f"key-{d}") for d in ("doc_a", "doc_b", "doc_c")}
    builder.merge_digest = "mrg_1"
    builder.held = RowsInMemory()
    # ses_9's people: a session in no batch, between others
    people = pl.concat([_PEOPLE, pl.DataFrame({"key": ["ng d"], "session_id": ["ses_19"], "person_id": ["per_5"]})])
    plan = SimpleNamespace(to_build=_TODO, people=people)
    plain = {}
    for sid in ("ses_1", "ses_2", "ses_3"):
        documents = [f"{d}\x1ekey-{d}\x1e{i}" for s, d, i, _ in _TODO.iter_rows() if s == sid]
        people = [f"{k}\x1e{p}" for k, s, p in sorted(_PEOPLE.iter_rows()) if s == sid]
        plain[sid] = sha256_hex("\x1f".join([sid, "mrg_1", *documents, *people]))[:32]
    inputs = builder._fresh_inputs(plan)
    assert dict(inputs.iter_rows()) == plain and inputs["session_id"].to_list() == sorted(plain)
    assert inputs.schema == assembly.INPUT_COLUMNS


def test_described_documents_as_the_rows_of_document_rows():
    from pipeline.transform.assembly.documents import document_rows, document_table_rows
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
        described = describe_documents(chosen, canonical)
        frame = document_table_rows(described.documents, raw)
        made = [document_rows(doc, canonical) for doc in chosen]
        assert frame.equals(schemas.frame("documents", [row for row, _ in made]))
        assert frame.schema == schemas.frame("documents", [row for row, _ in made]).schema
        assert described.rejects.equals(schemas.frame("rejects", [reject for _, reject in made if reject is not None], sort=False))
    described = describe_documents(docs, canonical)
    assert described.documents["status"].to_list() == ["partial", "rejected", "duplicate", "rejected", "rejected"]
    assert described.rejects["document_id"].to_list() == ["doc_b", "doc_d", "doc_e"]
    # the sessions each states as its own: none for a rejected one; a copy's with its canonical id
    own = dict(described.documents.select("document_id", "session_ids").iter_rows())
    assert [len(own[d]) for d in sorted(own)] == [1, 0, 1, 0, 0]
    assert own["doc_c"] == [ids.session_id(SUMMARIES["doc_b"].sessions[0], SUMMARIES["doc_b"], "doc_a", 0)]
    # the names of people its sessions list, in their places, by name key (a key's in their order on
    # the page); "Moderator" is not a person
    statements = described.statements.filter(pl.col("document_id") == "doc_c")
    assert statements.select("index", "position", "key", "country_key").rows() == [
        (0, 1, "li b", "china"), (0, 2, "li b", "japan"), (0, 0, "silva a", "kenya")]
    assert described.statements["key"].is_sorted()


def test_batch_slices_give_each_batch_its_rows():
    from pipeline.transform.assembly import batch_slices

    assert batch_slices(pl.Series([0, 0, 0, 2, 2, 5], dtype=pl.UInt32)) == {0: (0, 3), 2: (3, 2), 5: (5, 1)}
    assert batch_slices(pl.Series([], dtype=pl.UInt32)) == {}
