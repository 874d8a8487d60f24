"""Validation done once: the quick path of a table's model (uniqueness by hash) decides exactly as
Pandera does, and the table checks take over what quarantine showed only for the very frames it showed
it on; a frame changed or made again is checked again, and a bad table still fails."""
from __future__ import annotations

import gc

import pandera.polars as pa
import polars as pl
import pytest

import schemas
from pipeline.transform import checks
from pipeline.transform.quarantine import ORDER, _resolves_every_reference, quarantine
from tests.conftest import RAW
from tests.test_identity import _build


@pytest.fixture(scope="module")
def tables():
    return _build(RAW)


def _outcome(validate, *args):
    """What a validation raises, comparable: None for a pass, else the kind and the failure cases."""
    try:
        validate(*args)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.with_columns(pl.all().cast(pl.Utf8))
        return "errors", cases.sort(cases.columns, nulls_last=True).rows()
    except pa.errors.SchemaError as exc:
        return "error", str(exc)
    return None


def _model(name: str, df: pl.DataFrame) -> None:
    schemas.TABLES[name].model.validate(df, lazy=True)


def _variants(tables) -> list[tuple[str, pl.DataFrame]]:
    t = {n: df.clone() for n, df in tables.items()}  # new frames: nothing remembered about them
    return [
        *((n, df) for n, df in t.items()),                                             # as built: pass
        ("utterances", pl.concat([t["utterances"], t["utterances"].head(1)])),         # a repeated (session_id, seq)
        ("session_items", pl.concat([t["session_items"].tail(2), t["session_items"]])),  # repeats before the first
        ("documents", pl.concat([t["documents"], t["documents"].head(1)])),            # a repeated document_id and path
        ("sessions", t["sessions"].with_columns(pl.lit("GMT+8").alias("utc_offset"))),  # a rule of one column
        ("people", t["people"].with_columns(pl.col("session_count").cast(pl.Utf8))),  # a wrong type
        ("documents", t["documents"].drop("path")),                                    # a missing column
        ("participants", pl.concat([t["participants"], t["participants"].head(2)]).with_columns(
            pl.col("name").str.to_uppercase())),                                       # repeated keys, other values
        ("utterances", t["utterances"].with_columns(pl.lit(0, pl.Int32).alias("seq"))),  # every key repeated, seq < 1
    ]


def test_the_quick_path_decides_as_pandera_does(tables):
    variants = _variants(tables)
    outcomes = [(_outcome(checks.validate_table, n, df), _outcome(_model, n, df)) for n, df in variants]
    assert [quick for quick, _ in outcomes] == [model for _, model in outcomes]
    assert [n for (n, _), (quick, _) in zip(variants, outcomes) if quick is not None] == [
        "utterances", "session_items", "documents", "sessions", "people", "documents", "participants", "utterances"]
    assert ("multiple_fields_uniqueness" in str(outcomes[-1][0])) and "greater_than_or_equal_to" in str(outcomes[-1][0])


def test_rows_are_distinct_only_when_no_two_are_equal():
    floats = pl.DataFrame({"a": [0.0, -0.0], "b": [1, 1]})
    nans = pl.DataFrame({"a": [float("nan"), float("nan")], "b": [1, 1]})
    nulls = pl.DataFrame({"a": [None, None], "b": ["x", "x"]}, schema={"a": pl.Utf8, "b": pl.Utf8})
    for frame in (floats, nans, nulls):
        assert frame.is_duplicated().all() and not checks._distinct(frame, ("a", "b"))
    assert not checks._distinct(pl.DataFrame({"a": ["x", None, None]}), ("a",))
    assert checks._distinct(pl.DataFrame({"a": ["x", "x", None], "b": [1, 2, 1]}), ("a", "b"))
    assert not checks._distinct(pl.DataFrame({"a": ["x", "y"]}), ("a", "b"))  # a column missing: Pandera decides


def test_the_uniqueness_rules_taken_apart_are_those_of_the_model():
    rest, unique = checks._uniqueness_apart("utterances")
    assert unique == (("session_id", "seq"),) and rest.unique is None
    assert schemas.TABLES["utterances"].model.to_schema().unique == ["session_id", "seq"]  # the model keeps its rule
    rest, unique = checks._uniqueness_apart("documents")
    assert unique == (("document_id",), ("path",)) and not any(c.unique for c in rest.columns.values())
    assert schemas.TABLES["documents"].model.to_schema().columns["path"].unique


def test_the_checks_take_over_only_what_quarantine_showed_on_the_same_frames(tables, monkeypatch):
    before = {n: df.clone() for n, df in tables.items()}
    bad_session = before["sessions"]["session_id"][0]
    before["sessions"] = before["sessions"].with_columns(   # one session breaks a rule: it and its rows leave
        pl.when(pl.col("session_id") == bad_session).then(pl.lit("GMT+8")).otherwise(pl.col("utc_offset")).alias("utc_offset"))
    after = quarantine(before)
    assert bad_session not in after["sessions"]["session_id"].to_list()
    kept = [n for n in ORDER if after[n] is before[n]]   # handed on unchanged
    assert "people" in kept and "sessions" not in kept and "participants" not in kept

    validated = []
    quick = checks._passes_quickly
    monkeypatch.setattr(checks, "_passes_quickly", lambda name, df: validated.append(name) or quick(name, df))
    for name in ORDER:
        assert checks.validate_schema(name, after[name]).passed
        assert checks.check_foreign_keys(name, after[name], after).passed
        assert checks.passed_before("references", name, checks.reference_frames(name, after[name], after))
    assert validated == [n for n in ORDER if n not in kept]
    # shown on these frames, so a copy is validated again, and a changed table it points at is searched again
    assert checks.validate_schema("people", after["people"].clone()).passed and validated[-1] == "people"
    fewer = after["sessions"].head(1)
    result = checks.check_foreign_keys("participants", after["participants"], {**after, "sessions": fewer})
    assert not result.passed and result.message.startswith("participants: ")


def test_a_bad_frame_fails_every_time_and_is_never_remembered(tables):
    bad = tables["sessions"].with_columns(pl.lit("GMT+8").alias("utc_offset"))
    for _ in range(2):
        outcome = checks.validate_schema("sessions", bad)
        assert not outcome.passed and "utc_offset: str_matches" in outcome.message
    assert not checks.passed_before("schema", "sessions", [bad])


def test_what_is_remembered_goes_with_its_frame():
    frame = pl.DataFrame({"a": [1]})
    other = pl.DataFrame({"a": [1]})
    checks.remember_pass("rule", "t", [frame, other])
    assert checks.passed_before("rule", "t", [frame, other])
    assert not checks.passed_before("rule", "t", [other, frame]) and not checks.passed_before("rule", "t", [frame])
    assert not checks.passed_before("rule", "t", [frame, None])
    key = ("rule", "t", id(frame), id(other))
    assert key in checks._PASSED
    del frame
    gc.collect()
    assert key not in checks._PASSED


def test_quarantine_resolves_every_reference_but_those_to_itself_or_later(monkeypatch):
    assert all(_resolves_every_reference(n) for n in ORDER)
    info = schemas.TABLES["sessions"]
    looped = type(info)(info.name, info.model, info.description, info.primary_key, (("session_id", "sessions", "session_id"),))
    monkeypatch.setitem(schemas.TABLES, "sessions", looped)
    assert not _resolves_every_reference("sessions")
    documents = schemas.TABLES["documents"]
    ahead = type(documents)(documents.name, documents.model, documents.description, documents.primary_key,
                            (("document_id", "duplicates", "document_id"),))
    monkeypatch.setitem(schemas.TABLES, "documents", ahead)
    assert not _resolves_every_reference("documents")


def _coverage_by_sets(raw: pl.DataFrame, documents: pl.DataFrame, rejects: pl.DataFrame) -> list[dict]:
    """The coverage failures as the check found them with Python sets (before it compared in polars)."""
    missing = set(raw["document_id"].to_list()) - set(documents["document_id"].to_list())
    failures = [{"column": "document_id", "check": "raw file missing from documents", "value": d, "row": None} for d in sorted(missing)]
    rejected = documents.filter(pl.col("status") == "rejected")
    failures += [{"column": "problems", "check": "rejected without a reason", "value": d, "row": None}
                 for d in rejected.filter(pl.col("problems").list.len() == 0)["document_id"].to_list()]
    in_rejects = set(rejects.filter(pl.col("table") == "documents")["document_id"].to_list())
    return failures + [{"column": "document_id", "check": "rejected but not in rejects", "value": d, "row": None}
                       for d in rejected["document_id"].to_list() if d not in in_rejects]


def test_document_coverage_finds_what_the_sets_found(tables):
    documents, rejects = tables["documents"], tables["rejects"]
    raw = documents.select("document_id", "path")
    extra = pl.DataFrame({"document_id": ["doc_zz", "doc_aa", "doc_zz"], "path": ["z", "a", "z2"]})
    rejected = documents.with_columns(pl.lit("rejected").alias("status"))
    first = documents["document_id"][0]
    cases = [
        (raw, documents, rejects),                                                   # every file accounted for
        (pl.concat([raw, extra]), documents, rejects),                               # files missing, repeated, unsorted
        (raw, rejected, rejects),                                                    # rejected, not in rejects
        (raw, rejected.with_columns(pl.lit([], pl.List(pl.Utf8)).alias("problems")),  # ... and without a reason
         schemas.frame("rejects", [{"document_id": first, "path": "p", "table": "documents", "rule": "r", "offending_values": "{}"},
                                   {"document_id": None, "path": "q", "table": "documents", "rule": "r", "offending_values": "{}"}])),
        (pl.concat([raw, raw.head(1)]), pl.concat([rejected, rejected.head(1)]), rejects),  # an id twice
    ]
    for case in cases:
        outcome = checks.check_document_coverage(*case)
        assert outcome.failures == _coverage_by_sets(*case)
        assert outcome.passed == (not outcome.failures)
    assert [len(checks.check_document_coverage(*case).failures) for case in cases] == [0, 2, 10, 9, 12]
