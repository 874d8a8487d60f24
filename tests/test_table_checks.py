"""The checks of the tables run in one Dagster step: each keeps its own key, blocking flag and description,
a check that raises fails alone, and a subset of the checks runs only those rules."""
from __future__ import annotations

import dagster as dg
import polars as pl

import schemas
from pipeline.defs import validate
from pipeline.defs.resources import BuildSettings
from pipeline.definitions import build_definitions
from pipeline.transform import checks
from tests.conftest import RAW, run_build


def _key(asset: str, name: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(asset), name)


def test_every_table_check_is_a_spec_of_the_one_step():
    step, = validate.table_checks
    specs = {f"{s.asset_key.to_user_string()}.{s.name}": s for s in step.check_specs}
    with_references = [n for n in schemas.TABLES if schemas.referenced_tables(n)]
    assert len(specs) == len(schemas.TABLES) + len(with_references) + 3 == 29
    assert step.can_subset and step.node_def.name == "table_checks"
    assert [n for n, s in specs.items() if not s.blocking] == ["documents.row_count_maximum"]
    participants = specs["participants.references"]
    assert participants.description == "Every id participants references exists in: people, sessions."
    assert sorted(d.asset_key.to_user_string() for d in participants.additional_deps) == ["people", "sessions"]
    assert specs["people.schema"].description.startswith("Pandera model People: columns, types")
    assert sorted(d.asset_key.to_user_string() for d in specs["documents.coverage"].additional_deps) == ["raw_documents", "rejects"]


def test_a_rule_that_raises_fails_its_own_checks_and_the_others_report():
    def broken(tables, settings):
        raise KeyError("person_id")

    def fine(tables, settings):
        return [validate.check_result([checks.CheckOutcome(True, "rule", "fine")])]

    rules = [validate.CheckRule([dg.AssetCheckSpec("a", asset="x"), dg.AssetCheckSpec("b", asset="x")], broken),
             validate.CheckRule([dg.AssetCheckSpec("c", asset="y")], fine)]
    results = list(validate.evaluate_rules(rules, {}, BuildSettings()))
    assert [(r.asset_key.to_user_string(), r.check_name, r.passed) for r in results] == [
        ("x", "a", False), ("x", "b", False), ("y", "c", True)]
    assert results[0].description == "the check raised KeyError: 'person_id'"
    assert results[0].severity == dg.AssetCheckSeverity.ERROR and "Traceback" in results[0].metadata["traceback"].value
    assert results[2].metadata["rules"].value == "fine"


def test_only_the_selected_checks_are_evaluated():
    documents = pl.DataFrame({"document_id": ["d1"], "status": ["parsed"], "format": ["generic"],
                              "problems": [[]]}, schema_overrides={"problems": pl.List(pl.Utf8)})
    rejects = pl.DataFrame({"table": [], "document_id": []}, schema={"table": pl.Utf8, "document_id": pl.Utf8})
    tables = {"documents": documents, "raw_documents": documents.select("document_id"), "rejects": rejects}
    selected = {_key("documents", "coverage")}
    results = list(validate.evaluate_rules(validate.RULES, tables, BuildSettings(bounds_file=""), selected))
    assert [(r.check_name, r.passed, r.metadata["rules"].value) for r in results] == [
        ("coverage", True, "all 1 raw files accounted for")]


def test_a_check_that_raises_in_a_build_blocks_the_export_and_hides_no_other_result(tmp_path, monkeypatch):
    real = checks.check_foreign_keys

    def raising(name, df, referenced):
        if name == "utterances":
            raise RuntimeError("lost the sessions")
        return real(name, df, referenced)
    monkeypatch.setattr(checks, "check_foreign_keys", raising)
    result = run_build(RAW, tmp_path / "out")
    assert not result.success
    evaluations = {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in result.get_asset_check_evaluations()}
    assert len(evaluations) == 29
    assert [k for k, e in evaluations.items() if not e.passed] == ["utterances.references"]
    assert evaluations["utterances.references"].description == "the check raised RuntimeError: lost the sessions"
    assert [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"] == ["table_checks"]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "utterances" in materialized and not materialized & {"parquet_files", "duckdb_database", "site"}
    assert not (tmp_path / "out" / "parquet").exists()

    # a subset chosen in the UI: the step runs only those checks, on the tables the build kept
    monkeypatch.setattr(checks, "check_foreign_keys", real)
    job = dg.define_asset_job("two_checks", selection=dg.AssetSelection.checks(_key("people", "schema"),
                                                                                _key("utterances", "references")))
    defs = dg.Definitions.merge(build_definitions(str(RAW), str(tmp_path / "out")), dg.Definitions(jobs=[job]))
    subset = defs.resolve_job_def("two_checks").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert sorted((e.asset_key.to_user_string(), e.check_name, e.passed) for e in subset.get_asset_check_evaluations()) == [
        ("people", "schema", True), ("utterances", "references", True)]
