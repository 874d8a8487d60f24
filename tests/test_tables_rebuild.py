"""The tables stage of a re-build: the stored rows that passed their model when they were stored are
not validated again, only the rows of the buckets in question, and that decides exactly as Pandera
does on the whole table; quarantine gives the same tables and rejects either way; the store's marks
are written only for tables that passed, and a damaged or foreign mark only costs a validation.
People are counted from their written forms as before."""
from __future__ import annotations

import random
from collections import Counter

import pandera.polars as pa
import polars as pl
import pytest

import schemas
from devtools.generate import generate_corpus
from pipeline.incremental import assembly_cache
from pipeline.incremental.ingest_cache import read_raw_documents
from pipeline.transform import assembly, checks
from pipeline.transform.assembly.identity import _preferred_name, people_rows
from pipeline.transform.assembly.store import BUCKETS, SESSION_TABLES, session_bucket, unvetted_rows
from pipeline.transform.plan import plan_input_column
from pipeline.transform.quarantine import quarantine
from tests.test_check_reuse import _outcome
from tests.test_identity import _build
from tests.test_incremental import _tables

ALL_VETTED = {b: frozenset(SESSION_TABLES) for b in BUCKETS}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    generate_corpus(120, folder, seed=7)  # sessions in every bucket
    return _build(folder)


def _bucket_of(df: pl.DataFrame, row: int) -> str:
    return df["session_id"][row][4]


def _variants(t: dict[str, pl.DataFrame]) -> list[tuple[str, pl.DataFrame, set[str]]]:
    """(table, frame, the buckets changed) with what breaks a rule inside the changed buckets."""
    utt, ses, par, arg = t["utterances"], t["sessions"], t["participants"], t["arguments"]
    bad_session = ses["session_id"][1]
    moved = arg.head(1).with_columns(pl.lit("ses_" + ("0" if arg["session_id"][0][4] != "0" else "1") + "0" * 15)
                                     .alias("session_id"))
    return [
        *((n, df.clone(), {_bucket_of(df, 0)}) for n, df in t.items() if n in SESSION_TABLES and df.height),
        ("utterances", pl.concat([utt, utt.head(1)]), {_bucket_of(utt, 0)}),            # a repeated (session_id, seq)
        ("sessions", ses.with_columns(pl.when(pl.col("session_id") == bad_session).then(pl.lit("GMT+8"))
                                      .otherwise(pl.col("utc_offset")).alias("utc_offset")), {bad_session[4]}),
        ("participants", pl.concat([par, par.head(2)]).with_columns(pl.col("name").str.to_uppercase()),
         {_bucket_of(par, 0)}),                                                          # repeated keys, other values
        ("arguments", pl.concat([arg, moved]), {moved["session_id"][0][4]}),             # an id repeated across buckets
        ("utterances", utt.with_columns(pl.lit(0, pl.Int32).alias("seq")), {_bucket_of(utt, 0)}),  # seq < 1, repeats
        ("sessions", ses.with_columns(pl.col("utc_offset").cast(pl.Categorical)), {bad_session[4]}),  # a wrong type
    ]


def test_validating_the_rows_in_question_decides_as_pandera_does_on_the_whole_table(tables):
    variants = _variants(tables)
    for name, df, changed in variants:
        unvetted = unvetted_rows(name, df, changed, ALL_VETTED)
        assert unvetted is not None and unvetted.height < df.height, name
        given = _outcome(lambda: checks.validate_table(name, df, unvetted))
        whole = _outcome(lambda: schemas.TABLES[name].model.validate(df, lazy=True))
        assert given == whole, name
        if whole is None:  # a table that passes is shown to pass by its rows in question alone
            assert checks._passes_given(name, df, unvetted), name
    assert sum(_outcome(lambda: schemas.TABLES[n].model.validate(df, lazy=True)) is not None
               for n, df, _ in variants) == 6


def test_the_rows_in_question_are_whole_buckets_changed_or_not_vetted(tables):
    utt = tables["utterances"]
    changed = {_bucket_of(utt, 0)}
    vetted = {**ALL_VETTED, "9": frozenset({"sessions"})}  # bucket 9's utterances were not vetted
    rows = unvetted_rows("utterances", utt, changed, vetted)
    expected = utt.filter(session_bucket().is_in(sorted(changed | {"9"})))
    assert rows.equals(expected)
    unsorted = utt.reverse()  # not ordered by session: filtered instead of sliced, the same rows
    assert unvetted_rows("utterances", unsorted, changed, vetted).sort(utt.columns).equals(expected.sort(utt.columns))
    odd = pl.concat([utt, utt.head(1).with_columns(pl.lit("ses_zz").alias("session_id"))])  # a bucket of no store
    assert "ses_zz" in unvetted_rows("utterances", odd, changed, vetted)["session_id"].to_list()
    assert unvetted_rows("utterances", utt, set(BUCKETS[:8]), ALL_VETTED) is None  # half in question: whole
    assert unvetted_rows("utterances", utt, changed, {}) is None                   # nothing vetted: whole


def test_quarantine_given_the_rows_in_question_gives_the_same_tables_and_rejects(tables):
    bad = tables["utterances"]["session_id"][0]  # a session with a transcript
    for corrupt in ("sessions", "utterances"):
        t = {n: df.clone() for n, df in tables.items()}
        if corrupt == "sessions":
            t["sessions"] = t["sessions"].with_columns(pl.when(pl.col("session_id") == bad).then(pl.lit("GMT+8"))
                                                       .otherwise(pl.col("utc_offset")).alias("utc_offset"))
        else:
            t["utterances"] = pl.concat([t["utterances"], t["utterances"].filter(pl.col("session_id") == bad).head(1)])
        plain = quarantine({n: df.clone() for n, df in t.items()})
        unvetted = {n: rows for n in SESSION_TABLES if n in schemas.TABLES
                    and (rows := unvetted_rows(n, t[n], {bad[4]}, ALL_VETTED)) is not None}
        given = quarantine(t, unvetted)
        assert plain["rejects"].height > tables["rejects"].height, corrupt
        for name in schemas.TABLES:
            if name in plain:
                assert given[name].equals(plain[name]), (corrupt, name)


def _marks(cache) -> dict[str, frozenset[str]]:
    folder = assembly_cache._assembly_dir(cache)
    return {p.name[-1]: assembly_cache._read_vetted(p / assembly_cache.VETTED) for p in folder.glob("bucket-*")}


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_the_store_marks_only_tables_that_passed_and_a_bad_mark_costs_a_validation(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    generate_corpus(60, raw, seed=3)
    cache = tmp_path / "cache"
    _tables(raw, cache, read_cache=True)
    marks = _marks(cache)
    assert marks and all(m == frozenset(n for n in SESSION_TABLES if n in schemas.TABLES) for m in marks.values())

    # a page edited, and its sessions built with a row that breaks a rule: its bucket loses the mark of sessions
    page = sorted(raw.rglob("*.txt"))[7]
    page.write_text(page.read_text(encoding="utf-8") + "\nRevised.\n", encoding="utf-8")
    docs = read_raw_documents(raw)
    target = docs.filter(pl.col("path").str.ends_with(page.name))["document_id"][0]
    real = assembly.build_session

    def corrupting(ctx):
        before = len(ctx.out["sessions"])
        real(ctx)
        if any(d == target for d, _ in ctx.records):
            for row in ctx.out["sessions"][before:]:
                row["utc_offset"] = "GMT+8"
    monkeypatch.setattr(assembly, "build_session", corrupting)
    report: dict = {}
    incremental = _tables(raw, cache, read_cache=True, report=report)
    full = _tables(raw, tmp_path / "full", read_cache=False)
    assert 0 < report["sessions_built"] < report["sessions"] / 2
    assert incremental["rejects"].filter(pl.col("table") == "sessions").height >= 1
    for name in schemas.TABLES:
        assert incremental[name].equals(full[name]), name
    changed = {sid[4] for sid in full["rejects"].filter(pl.col("table") == "sessions")["offending_values"]
               .str.json_path_match("$.session_id").to_list()}
    after = _marks(cache)
    assert all(("sessions" in after[b]) == (b not in changed) for b in after)

    # a damaged mark, and one written under other rules: nothing vetted there
    folder = assembly_cache._assembly_dir(cache)
    (folder / "bucket-0" / assembly_cache.VETTED).write_bytes(b"\xff\xfe garbage")
    (folder / "bucket-1" / assembly_cache.VETTED).write_text("0123456789abcdef\nsessions\nutterances")
    (folder / "bucket-2" / assembly_cache.VETTED).unlink()
    store = assembly_cache.load_session_store(cache)
    assert store.vetted["0"] == store.vetted["1"] == store.vetted["2"] == frozenset()
    assert store.vetted["3"] == after["3"]


def test_the_rules_digest_changes_with_a_rule(monkeypatch):
    before = checks.rules_digest()
    checks.rules_digest.cache_clear()
    schema = schemas.TABLES["sessions"].model.to_schema()
    changed = schema.update_column("utc_offset", checks=[pa.Check.str_matches(r"^[+-]\d\d$")])
    monkeypatch.setattr(schemas.TABLES["sessions"].model, "to_schema", classmethod(lambda cls: changed))
    try:
        assert checks.rules_digest() != before
    finally:
        checks.rules_digest.cache_clear()


def _plain_people(names: pl.DataFrame) -> dict[str, tuple]:
    """The former way: every row's count added in Python."""
    per_person = names.group_by("person_id").agg(pl.col("name"), pl.col("count"), pl.col("session_id").n_unique())
    people = {}
    for pid, written, times, sessions in per_person.iter_rows():
        counts = Counter()
        for name, n in zip(written, times):
            counts[name] += n
        people[pid] = (_preferred_name(counts), sorted(counts), sessions)
    return people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_people_are_counted_from_their_written_forms_as_before(seed):
    rng = random.Random(seed)
    forms = ["Jurate Soviene", "JURATE SOVIENE", "Jūratė Šovienė", "J. Soviene", "Xu Yuan", "XU Yuan", "Ann Lee"]
    rows = [{"session_id": f"ses_{rng.choice(BUCKETS)}{rng.randrange(50):03d}", "person_id": f"per_{rng.randrange(6)}",
             "name": rng.choice(forms), "count": rng.randrange(1, 4)} for _ in range(400)]
    frame = pl.DataFrame(rows).unique(["session_id", "person_id", "name"], keep="first", maintain_order=True)
    chunked = pl.concat([frame.slice(i, 37) for i in range(0, frame.height, 37)], rechunk=False)
    people, _ = people_rows(chunked, [])
    expected = _plain_people(frame)
    assert {p["person_id"]: (p["name"], p["name_variants"], p["session_count"]) for p in people} == expected


def test_a_bucket_that_took_no_row_built_now_is_not_validated_again(tables):
    utt = tables["utterances"]
    fewer = utt.filter(pl.col("session_id") != utt["session_id"][0])  # its bucket lost a session, took none
    rows = unvetted_rows("utterances", fewer, set(), ALL_VETTED)
    assert rows.height == 0 and rows.schema == fewer.schema
    assert checks._passes_given("utterances", fewer, rows)
    assert _outcome(lambda: schemas.TABLES["utterances"].model.validate(fewer, lazy=True)) is None


def test_a_plan_input_differs_when_anything_planning_reads_does():
    row = {"document_id": "doc_1", "path": "a/b.txt", "sha256": "00", "size_bytes": 3, "encoding": None,
           "format": "generic", "parser_version": "1", "problems": ["x"], "canonical": "doc_1"}
    changes = [("path", "a/c.txt"), ("sha256", "01"), ("size_bytes", 4), ("encoding", "-"), ("format", "isomer_event"),
               ("parser_version", "2"), ("problems", ["x", "y"]), ("problems", []), ("canonical", "doc_0")]
    rows = [row] + [{**row, field: value} for field, value in changes]
    frame = pl.DataFrame(rows, schema_overrides={"encoding": pl.String, "problems": pl.List(pl.String)})
    inputs = frame.select(plan_input_column(pl.col("canonical"), pl.lit(True)).alias("input"))["input"]
    assert inputs.ne_missing(inputs[0]).to_list() == [False] + [True] * len(changes)
    parsed = frame.head(1).select(plan_input_column(pl.col("canonical"), pl.lit(False)).alias("input"))["input"]
    assert parsed.ne_missing(inputs[0]).to_list() == [True]


def test_the_references_check_names_exactly_the_ids_that_do_not_resolve(tables):
    sessions = tables["sessions"]
    gone = sorted(set(tables["participants"]["session_id"].to_list()))[:2]
    fewer = sessions.filter(~pl.col("session_id").is_in(gone))
    doubled = pl.concat([fewer, fewer])  # ids repeated in the table pointed at change nothing
    for pointed in (fewer, doubled):
        outcome = checks.check_foreign_keys("participants", tables["participants"], {**tables, "sessions": pointed})
        assert not outcome.passed
        assert [f["value"] for f in outcome.failures if f["column"] == "session_id"] == gone
    assert checks.check_foreign_keys("participants", tables["participants"], tables).passed
