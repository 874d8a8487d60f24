"""The pieces of assembly, each on a session context made by hand (no parsing, no cache)."""
from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict

import polars as pl

from pipeline.model import ids
from pipeline.model.names import person_key
from pipeline.model.records import Agreement, Argument, Item, Participant, SessionRecord, Utterance
from pipeline.transform.assembly import sessions, store
from pipeline.transform.assembly.context import PersonIdentity, SessionContext
from pipeline.transform.assembly.documents import DocumentInput, document_rows
from pipeline.transform.assembly.identity import add_participant, people_rows, resolve_speaker, speaker_reference
from pipeline.transform.assembly.store import SESSION_REJECTS, FreshRows, merge_frames, merge_stored, split_by_bucket


def _context(*records: tuple[str, SessionRecord], formats: dict | None = None, identity=None) -> SessionContext:
    formats = formats or {d: "isomer_event" for d, _ in records}
    return SessionContext("ses_0abc", list(records), identity or PersonIdentity(), formats, defaultdict(list))


def test_a_field_the_documents_disagree_on_is_a_conflict_row_per_document_and_flags_the_session():
    a = SessionRecord(title="Cyber norms in practice", date=dt.date(2024, 5, 2),
                      participants=[Participant("Ana Silva", ["moderator"])])
    b = SessionRecord(title="CYBER NORMS IN PRACTICE", date=dt.date(2024, 5, 3),
                      participants=[Participant("Ana Silva", ["speaker"])])
    ctx = _context(("doc_a", a), ("doc_b", b), formats={"doc_a": "isomer_event", "doc_b": "diplo_report"})
    sessions.build_session(ctx)
    conflicts = ctx.out["conflicts"]
    assert [(c["field"], c["document_id"], c["value"]) for c in conflicts] == [
        ("date", "doc_a", "2024-05-02"), ("date", "doc_b", "2024-05-03")]   # titles differ only in case
    (row,) = ctx.out["sessions"]
    assert row["title"] == "Cyber norms in practice" and row["date"] == dt.date(2024, 5, 2)
    assert row["document_ids"] == ["doc_a", "doc_b"] and row["quality_flags"] == ["source_conflict"]
    (person,) = ctx.out["participants"]
    assert person["roles"] == ["moderator", "speaker"] and person["document_ids"] == ["doc_a", "doc_b"]


def test_a_label_is_not_a_person_and_a_speaker_named_in_passing_joins_the_session():
    ctx = _context(("doc_a", SessionRecord(participants=[Participant("Moderator", ["moderator"])])))
    assert add_participant(ctx, "doc_a", ctx.records[0][1].participants[0]) is None
    assert list(ctx.labels) == ["Moderator"] and ctx.people == {}
    pid, kind = resolve_speaker(ctx, "doc_a", "Dr. Jon Lee (Kenya)")
    assert kind == "person" and pid == ids.person_id(person_key("Jon Lee"))
    assert ctx.people[pid]["roles"] == ["speaker"] and ctx.index[person_key("Jon Lee")] == pid
    assert resolve_speaker(ctx, "doc_b", "Jon Lee")[0] == pid and ctx.people[pid]["document_ids"] == ["doc_a", "doc_b"]
    assert speaker_reference("Fahmi Fadzil (Malaysia)") == "Fahmi Fadzil"


def test_a_reviewed_merge_gives_the_merged_id():
    other = ids.person_id(person_key("Jon Lee"))
    identity = PersonIdentity(merge_into={other: "per_kept"})
    ctx = _context(("doc_a", SessionRecord()), identity=identity)
    assert add_participant(ctx, "doc_a", Participant("Jon Lee")) == "per_kept"
    assert identity.name_counts[("ses_0abc", "per_kept", "Jon Lee")] == 1


def test_agreements_link_the_arguments_they_list_and_report_those_that_match_none():
    record = SessionRecord(
        arguments=[Argument("Ana Silva", "Norms need verification."),
                   Argument("Jon Lee", "Capacity building first.", agreed_on="Capacity matters")],
        agreements=[Agreement("agreement", "Verification is needed", speakers=["Ana Silva"],
                              arguments=["Norms need verification.", "Something nobody argued."]),
                    Agreement("agreement", "Capacity matters")])
    ctx = _context(("doc_a", record))
    sessions.build_session(ctx)
    by_text = {a["text"]: a for a in ctx.out["arguments"]}
    verification, capacity = sorted(ctx.out["agreements"], key=lambda r: r["statement"], reverse=True)
    assert verification["argument_ids"] == [by_text["Norms need verification."]["argument_id"]]
    assert verification["person_ids"] == [by_text["Norms need verification."]["person_id"]]
    assert capacity["argument_ids"] == [by_text["Capacity building first."]["argument_id"]]   # by its "Agreed on" line
    (reject,) = ctx.out[SESSION_REJECTS]
    assert json.loads(reject["offending_values"])["argument"] == "Something nobody argued."


def test_utterances_come_from_the_first_transcript_and_items_are_numbered_per_kind():
    a = SessionRecord(utterances=[Utterance("Ana Silva", "Good morning all."), Utterance("Audience", "A question.")],
                      items=[Item("takeaway", "Trust is built slowly."), Item("takeaway", "Norms help.")])
    b = SessionRecord(utterances=[Utterance("Ana Silva", "Good morning.")], items=[Item("takeaway", "trust is built slowly.")])
    ctx = _context(("doc_a", a), ("doc_b", b))
    sessions.build_session(ctx)
    assert [(u["seq"], u["speaker_kind"], u["word_count"]) for u in ctx.out["utterances"]] == [(1, "person", 3), (2, "label", 2)]
    assert {u["document_id"] for u in ctx.out["utterances"]} == {"doc_a"}
    assert [c["field"] for c in ctx.out["conflicts"]] == ["transcript", "transcript"]
    assert [(i["seq"], i["document_ids"]) for i in ctx.out["session_items"]] == [(1, ["doc_a", "doc_b"]), (2, ["doc_a"])]


def test_the_people_table_prefers_the_accented_form_and_lists_same_initial_surnames_for_review():
    names = pl.DataFrame({"session_id": ["s1", "s2", "s1"], "person_id": ["p1", "p1", "p2"],
                          "name": ["Jurate Soviene", "Jūratė Sovienė", "J. Soviene"], "count": [3, 1, 1]})
    people, candidates = people_rows(names, notes=[])
    by_id = {p["person_id"]: p for p in people}
    assert by_id["p1"]["name"] == "Jūratė Sovienė" and by_id["p1"]["session_count"] == 2
    assert by_id["p1"]["name_variants"] == ["Jurate Soviene", "Jūratė Sovienė"]
    assert [(c["person_id"], c["other_person_id"]) for c in candidates] == [("p1", "p2")]


def test_document_rows_say_what_became_of_each_document():
    unknown = DocumentInput("doc_x", "x.txt", "ab", 10, "utf-8", "unknown", "0", [], None)
    row, reject = document_rows(unknown, {})
    assert row["status"] == "rejected" and reject["rule"] == "format not recognised from the content"
    from pipeline.model.records import DocumentSummary
    summary = DocumentSummary("isomer_event", "T", None, [], sessions=[object()])
    copy = DocumentInput("doc_b", "b.md", "cd", 10, "utf-8", "isomer_event", "1", [], summary)
    row, reject = document_rows(copy, {"doc_b": "doc_a"})
    assert (row["status"], row["canonical_document_id"], reject) == ("duplicate", "doc_a", None)


def test_stored_buckets_without_changes_are_kept_and_changed_ones_merged():
    stored = pl.DataFrame({"session_id": ["ses_0a", "ses_0b", "ses_1a"], "text": ["old", "old", "old"]})
    buckets = {b: df.lazy() for b, df in split_by_bucket(stored).items()}
    fresh = FreshRows()
    fresh.add("_names", pl.DataFrame({"session_id": ["ses_0b"], "name": ["new"]})
              .with_columns(person_id=pl.lit("p"), count=1).select("session_id", "person_id", "name", "count"))
    merged = merge_stored("_names", fresh.take("_names"),
                          {b: f.rename({"text": "name"}).with_columns(person_id=pl.lit("p"), count=1)
                           .select("session_id", "person_id", "name", "count") for b, f in buckets.items()},
                          dropped=["ses_0b"], changed_buckets={"0"})
    assert merged.select("session_id", "name").rows() == [("ses_0a", "old"), ("ses_0b", "new"), ("ses_1a", "old")]


def test_rows_sorted_a_bucket_at_a_time_are_the_rows_sorted_at_once():
    """FreshRows splits each batch's rows by bucket as they arrive; sorting bucket by bucket gives the
    rows (ties included: same key, batch order kept) of one stable sort of every batch's rows."""

    rng = random.Random(7)
    batches = [pl.DataFrame({"session_id": [f"ses_{rng.choice('0123456789abcdef')}{rng.randrange(3)}" for _ in range(40)],
                             "person_id": [rng.choice(["p1", "p2"]) for _ in range(40)],
                             "name": [rng.choice(["A", "B"]) for _ in range(40)],
                             "count": list(range(40 * b, 40 * b + 40))}) for b in range(5)]
    fresh = FreshRows()
    for frame in batches:
        fresh.add("_names", frame)
    merged = merge_stored("_names", fresh.take("_names"), None, [], set())
    assert merged.rows() == merge_frames("_names", batches).rows()
    assert merged.height == 200 and fresh.take("_names") == {}


def test_batches_of_sessions_built_on_worker_processes_give_the_same_tables(tmp_path):
    """Each batch travels to a worker whole (pickled) and comes back as frames: the tables are the
    ones built here, batch by batch."""
    from tests.conftest import PROJECT_ROOT
    from pipeline.engine.local import LocalEngine
    from pipeline.incremental.parse_cache import parse_raw_documents
    from pipeline.ingest import read_raw_documents
    from pipeline.stages import deduplicate
    from pipeline.transform.assembly import DatasetBuilder

    raw = read_raw_documents(PROJECT_ROOT / "raw")
    parsed = parse_raw_documents(raw, cache_dir=str(tmp_path / "parse"))
    duplicates, canonical = deduplicate(parsed)
    here = DatasetBuilder(raw, parsed, duplicates, canonical).build(batch_sessions=10_000)
    engine = LocalEngine()
    ran = []

    def on_workers(function, batches):  # batches made as they are taken: counted as they pass
        ran.append(0)

        def counted():
            for batch in batches:
                ran[-1] += 1
                yield batch
        return (result for _, result in engine.map(function, counted(), 2))

    there = DatasetBuilder(raw, parsed, duplicates, canonical).build(batch_sessions=1, run_batches=on_workers)
    assert ran == [4]
    # the batch size an engine asks for reaches the builder through the tables stage
    from pipeline.incremental.assembly_cache import build_tables
    ran.clear()
    tables = build_tables(raw, parsed, duplicates, canonical, run_batches=on_workers, batch_sessions=2)
    assert ran == [2]
    assert tables["sessions"].equals(build_tables(raw, parsed, duplicates, canonical)["sessions"])
    assert here.stats == there.stats and here.stats["sessions"] == 4
    for name, frame in here.tables.items():
        assert frame.equals(there.tables[name]), name


def _split_by_bucket_plain(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """split_by_bucket as it read before sorted tables were sliced: one partition per bucket."""
    if df.is_empty():
        return {}
    return {key[0]: part for key, part in df.with_columns(store.session_bucket().alias("_bucket")).partition_by(
        "_bucket", as_dict=True, include_key=False, maintain_order=True).items()}


def test_split_by_bucket_slices_a_sorted_table_as_partitioning_would():
    rng = random.Random(3)
    frames = []
    for n in (0, 1, 5, 300):
        ids = [f"ses_{rng.getrandbits(64):016x}" for _ in range(n)]
        frames += [pl.DataFrame({"session_id": sorted(ids), "v": range(n)}),   # sliced
                   pl.DataFrame({"session_id": ids, "v": range(n)}),           # not sorted: partitioned
                   pl.DataFrame({"session_id": sorted(ids + ["ses_zz", "abc", "ses_"]), "v": range(n + 3)})]
    frames += [pl.DataFrame({"session_id": ["ses_00", "ses_00", "ses_0f", "ses_a1", "ses_a1"], "v": range(5)}),
               pl.DataFrame({"session_id": ["ses_00", None, "ses_a1"], "v": range(3)})]
    for df in frames:
        plain, split = _split_by_bucket_plain(df), store.split_by_bucket(df)
        assert list(split) == list(plain)
        assert all(split[b].equals(plain[b]) for b in plain)
    assert list(store.split_by_bucket(frames[-2])) == ["0", "a"]


def test_a_buckets_pieces_are_joined_by_level_and_merge_as_the_pieces_apart(monkeypatch):
    """FreshRows joins a bucket's pieces PIECES_PER_LEVEL at a time (and joined ones likewise): the
    pieces held grow with the logarithm of the batches, and the merged rows are those of the pieces
    kept apart (ties in batch order)."""
    from pipeline.transform.assembly import store

    monkeypatch.setattr(store, "PIECES_PER_LEVEL", 3)
    rng = random.Random(11)
    batches = [pl.DataFrame({"session_id": [f"ses_{rng.choice('01')}{rng.randrange(2)}" for _ in range(6)],
                             "person_id": [rng.choice(["p1", "p2"]) for _ in range(6)],
                             "name": [rng.choice(["A", "B"]) for _ in range(6)],
                             "count": list(range(6 * b, 6 * b + 6))}) for b in range(14)]
    held = []

    class Counting(store.RowsInMemory):
        def hold(self, frame, name=None, bucket=None):
            held.append(frame.height)
            return frame

    fresh = FreshRows(Counting())
    for frame in batches:
        fresh.add("_names", frame)
    levels = {bucket: [n for n, _ in pieces] for bucket, pieces in fresh._pieces["_names"].items()}
    # 14 pieces of a bucket with 3 per level: one of level 2 (9), one of level 1 (3), two of level 0
    assert all(levels[b] == [2, 1, 0, 0] for b in "01"), levels
    assert len(held) == 14 + 2 * (4 + 1)  # each batch, and each join (four of level 0, one of level 1) per bucket
    taken = fresh.take("_names")
    assert sum(f.height for pieces in taken.values() for f in pieces) == 84
    merged = merge_stored("_names", taken, None, [], set())
    assert merged.rows() == merge_frames("_names", batches).rows()
