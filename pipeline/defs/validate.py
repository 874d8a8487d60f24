"""Validation as blocking asset checks: schemas, references, coverage, reviewed row bounds (pipeline.transform.checks).

Every check of the tables runs in one step (`table_checks`): a step per check cost about 9 Dagster
events more each, for rules of a few milliseconds (at 100k documents 28 steps took 1.5 s, the one step
0.8 s). The step reads every table, so none of its inputs waits on its own checks (Dagster exempts the
assets a check step checks) and every check reports, even beside a failing one; a failing blocking
check fails the step, and every asset downstream of the tables waits on it. A rule that raises is a
failed check with the error. A subset of the checks (chosen in the UI) runs only the rules of those.

A table that quarantine validated, and whose references it resolved, reaches this step as the very same
frame in the CLI's one-process run: its schema and references checks take that result over instead of
computing it again (pipeline.transform.checks.passed_before); any other frame is checked in full.
"""
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

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


Tables = Mapping[str, pl.DataFrame]  # every table by name, and raw_documents


class CheckRule(NamedTuple):
    """Checks computed together (one spec each, same order) and the function that computes them."""
    specs: list[dg.AssetCheckSpec]
    evaluate: Callable[[Tables, BuildSettings], list[dg.AssetCheckResult]]


def _schema_rule(name: str) -> CheckRule:
    spec = dg.AssetCheckSpec("schema", asset=name, blocking=True,
                             description=f"Pandera model {schemas.TABLES[name].model.__name__}: columns, types, nullability, allowed values, keys; no required column entirely null.")

    def evaluate(tables: Tables, settings: BuildSettings) -> list[dg.AssetCheckResult]:
        table = tables[name]
        return [check_result([checks.validate_schema(name, table), checks.check_required_columns_filled(name, table)])]
    return CheckRule([spec], evaluate)


def _reference_rule(name: str) -> CheckRule:
    others = schemas.referenced_tables(name)
    spec = dg.AssetCheckSpec("references", asset=name, blocking=True, additional_deps=others,
                             description=f"Every id {name} references exists in: {', '.join(others)}.")

    def evaluate(tables: Tables, settings: BuildSettings) -> list[dg.AssetCheckResult]:
        return [check_result([checks.check_foreign_keys(name, tables[name], {n: tables[n] for n in [name, *others]})])]
    return CheckRule([spec], evaluate)


def _coverage(tables: Tables, settings: BuildSettings) -> list[dg.AssetCheckResult]:
    return [check_result([checks.check_document_coverage(tables["raw_documents"], tables["documents"], tables["rejects"])])]


_COUNTED = ["sessions", "people", "participants", "arguments", "agreements", "utterances"]


def _row_bounds(tables: Tables, settings: BuildSettings) -> list[dg.AssetCheckResult]:
    bounds = checks.load_bounds(settings.bounds_file)
    below, above = checks.check_row_bounds(bounds, tables["documents"], {n: tables[n].height for n in _COUNTED})
    source = {"bounds_file": settings.bounds_file or "(none)"}
    results = []
    for outcome, severity in ((below, dg.AssetCheckSeverity.ERROR), (above, dg.AssetCheckSeverity.WARN)):
        result = check_result([outcome])
        results.append(dg.AssetCheckResult(passed=outcome.passed, severity=severity, metadata={**result.metadata, **source},
                                           description=result.description))
    return results


RULES: list[CheckRule] = [
    *(_schema_rule(n) for n in schemas.TABLES),
    *(_reference_rule(n) for n in schemas.TABLES if schemas.referenced_tables(n)),
    CheckRule([dg.AssetCheckSpec("coverage", asset="documents", blocking=True, additional_deps=["raw_documents", "rejects"],
                                 description="Every raw file is a documents row; every document is parsed, partial, a duplicate, or rejected with a reason in rejects.")],
              _coverage),
    CheckRule([dg.AssetCheckSpec("row_count_minimum", asset="documents", blocking=True, additional_deps=_COUNTED,
                                 description="Reviewed bounds file: a build below a minimum fails."),
               dg.AssetCheckSpec("row_count_maximum", asset="documents", additional_deps=_COUNTED,
                                 description="Reviewed bounds file: a build above a maximum warns.")],
              _row_bounds),
]


def raised_result(exc: Exception) -> dg.AssetCheckResult:
    """A rule that raised is a failed check naming the error (the other checks of the step still report)."""
    message = f"{type(exc).__name__}: {exc}"[:1000]
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, description=f"the check raised {message}",
                               metadata={"rules": f"raised {message}",
                                         "traceback": dg.MetadataValue.text("".join(traceback.format_exception(exc))[-5000:])})


def _results_of(rule: CheckRule, tables: Tables, settings: BuildSettings) -> list[dg.AssetCheckResult]:
    try:
        return rule.evaluate(tables, settings)
    except Exception as exc:  # the check fails with the error; the other checks still report
        return [raised_result(exc)] * len(rule.specs)


def evaluate_rules(rules: list[CheckRule], tables: Tables, settings: BuildSettings,
                   selected: set[dg.AssetCheckKey] | None = None):
    """One AssetCheckResult per selected spec (all when `selected` is None), keyed to its asset and check,
    in the order of `rules`."""
    chosen = [r for r in rules if selected is None or any(spec.key in selected for spec in r.specs)]
    # one worker thread computes the rules, in order, while Dagster records the results already yielded
    # (polars and SQLite let go of the GIL): the step takes about the longer of the two, not their sum
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="table_checks")
    try:
        pending = [pool.submit(_results_of, rule, tables, settings) for rule in chosen]
        for rule, future in zip(chosen, pending):
            for spec, result in zip(rule.specs, future.result(), strict=True):
                if selected is None or spec.key in selected:
                    yield dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=result.passed,
                                              severity=result.severity, metadata=result.metadata,
                                              description=result.description)
    finally:
        pool.shutdown(cancel_futures=True)


@dg.multi_asset_check(
    name="table_checks",
    specs=[spec for rule in RULES for spec in rule.specs],
    ins={n: dg.AssetIn(n) for n in [*schemas.TABLES, "raw_documents"]},
    can_subset=True,
    description="Every check of the tables in one step: schemas, references, document coverage, row-count bounds.",
)
def table_checks_step(context: dg.AssetCheckExecutionContext, settings: BuildSettings, **tables: pl.DataFrame):
    yield from evaluate_rules(RULES, tables, settings, set(context.selected_asset_check_keys))


table_checks = [table_checks_step]
