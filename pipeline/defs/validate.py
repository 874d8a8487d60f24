"""Validation as blocking asset checks: schemas, references, coverage, reviewed row bounds (pipeline.transform.checks)."""

import dagster as dg
import polars as pl
from tabulate import tabulate

import schemas
from pipeline.transform import checks
from pipeline.defs.resources import BuildSettings


def check_result(outcomes: list[checks.CheckOutcome]) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.passed]
    failures = [f | {"rule": o.rule} for o in failed for f in o.failures][:50]
    metadata = {"rules": "; ".join(o.message for o in outcomes)}
    if failures:
        metadata["offending"] = dg.MetadataValue.md(tabulate(failures, headers="keys", tablefmt="github"))
    return dg.AssetCheckResult(passed=not failed, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
                               description="; ".join(o.message for o in failed) or None)


def _schema_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=name, name="schema", blocking=True,
                    description=f"Pandera model {schemas.TABLES[name].model.__name__}: columns, types, nullability, allowed values, keys; no required column entirely null.")
    def _check(table: pl.DataFrame) -> dg.AssetCheckResult:
        return check_result([checks.validate_schema(name, table), checks.check_required_columns_filled(name, table)])
    return _check


def _reference_check(name: str) -> dg.AssetChecksDefinition:
    """One check node per table: a blocking check that spans several tables would wait on itself."""
    others = schemas.referenced_tables(name)

    @dg.multi_asset_check(
        name=f"{name}_references",
        specs=[dg.AssetCheckSpec("references", asset=name, blocking=True, additional_deps=others,
                                 description=f"Every id {name} references exists in: {', '.join(others)}.")],
        ins={n: dg.AssetIn(n) for n in [name, *others]},
    )
    def _check(**tables: pl.DataFrame):
        result = check_result([checks.check_foreign_keys(name, tables[name], tables)])
        yield dg.AssetCheckResult(asset_key=name, check_name="references", passed=result.passed,
                                  severity=result.severity, metadata=result.metadata, description=result.description)
    return _check


reference_checks = [_reference_check(n) for n in schemas.TABLES if schemas.referenced_tables(n)]


@dg.asset_check(asset="documents", name="coverage", blocking=True,
                additional_ins={"raw_documents": dg.AssetIn("raw_documents"), "rejects": dg.AssetIn("rejects")},
                description="Every raw file is a documents row; every document is parsed, partial, a duplicate, or rejected with a reason in rejects.")
def documents_coverage(documents: pl.DataFrame, raw_documents: pl.DataFrame, rejects: pl.DataFrame) -> dg.AssetCheckResult:
    return check_result([checks.check_document_coverage(raw_documents, documents, rejects)])


_COUNTED = ["sessions", "people", "participants", "arguments", "agreements", "utterances"]


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("row_count_minimum", asset="documents", blocking=True, additional_deps=_COUNTED,
                             description="Reviewed bounds file: a build below a minimum fails."),
           dg.AssetCheckSpec("row_count_maximum", asset="documents", additional_deps=_COUNTED,
                             description="Reviewed bounds file: a build above a maximum warns.")],
    ins={"documents": dg.AssetIn("documents"), **{n: dg.AssetIn(n) for n in _COUNTED}},
)
def row_count_bounds(settings: BuildSettings, documents: pl.DataFrame, **tables: pl.DataFrame):
    bounds = checks.load_bounds(settings.bounds_file)
    below, above = checks.check_row_bounds(bounds, documents, {n: df.height for n, df in tables.items()})
    source = {"bounds_file": settings.bounds_file or "(none)"}
    for name, outcome, severity in (("row_count_minimum", below, dg.AssetCheckSeverity.ERROR),
                                    ("row_count_maximum", above, dg.AssetCheckSeverity.WARN)):
        result = check_result([outcome])
        yield dg.AssetCheckResult(asset_key="documents", check_name=name, passed=outcome.passed, severity=severity,
                                  metadata={**result.metadata, **source}, description=result.description)


table_checks = [_schema_check(n) for n in schemas.TABLES] + reference_checks + [documents_coverage, row_count_bounds]
