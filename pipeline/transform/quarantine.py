"""Quarantine: rows that break their table's rules leave the table for `rejects`, with the rule and
the offending values, and the rest of the build goes on. Rows that pointed at a quarantined row
follow it (a participant of a quarantined session cannot stay), so every reference still resolves.

Only table-level failures (a missing column, a wrong type) remain for the blocking checks to stop.
"""
from __future__ import annotations

import datetime as dt
import json

import pandera.polars as pa
import polars as pl

import schemas
from pipeline.transform import checks

# Referenced tables first, so that dropping a row can cascade to the rows that point at it.
ORDER = ["documents", "sessions", "people", "arguments", "agreements", "participants", "speaker_labels",
         "utterances", "session_items", "session_texts", "conflicts", "duplicates", "person_candidates"]



def _json_default(value):
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    return str(value)


def _document_of(row: dict) -> str | None:
    if row.get("document_id"):
        return row["document_id"]
    ids = row.get("document_ids") or []
    return ids[0] if ids else None


def _reject_row(table: str, rule: str, row: dict) -> dict:
    return {"document_id": _document_of(row), "path": row.get("path"), "table": table, "rule": rule,
            "offending_values": json.dumps(row, default=_json_default, ensure_ascii=False, sort_keys=True)}


def _resolves_every_reference(name: str) -> bool:
    """Whether quarantine resolves every reference of `name` against a table it has already finished
    (a reference to itself or to a later table is left to the table's references check)."""
    before = ORDER[:ORDER.index(name)]
    pointed = [other for _, other, _ in schemas.TABLES[name].foreign_keys]
    pointed += [other for column, (other, _) in schemas.LIST_REFERENCES.items() if column in schemas.columns(name)]
    return all(other in before for other in pointed)


def row_failures(name: str, df: pl.DataFrame, unvetted: pl.DataFrame | None = None) -> dict[int, list[str]]:
    """Row index -> the rules it breaks (empty when the table passes or fails only as a whole).
    `unvetted`: the rows not known to pass (see checks.validate_table); None: all of them."""
    try:
        checks.validate_table(name, df, unvetted)  # a pass is remembered: the table check of this frame reuses it
        return {}
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    except pa.errors.SchemaError:
        return {}
    failures: dict[int, list[str]] = {}
    unique_first: dict[tuple, int] = {}
    for case in cases.filter(pl.col("index").is_not_null()).sort("index").to_dicts():
        index = int(case["index"])
        rule = f"{case['column']}: {case['check']}"
        if "unique" in str(case["check"]):
            key = (case["column"], str(case["failure_case"]))
            if unique_first.setdefault(key, index) == index:
                continue  # the first row with a value keeps it; later ones are the duplicates
        failures.setdefault(index, []).append(rule)
    return failures


def _drop_failing_rows(name: str, df: pl.DataFrame, rejected: list[dict], unvetted: pl.DataFrame | None = None) -> pl.DataFrame:
    """The table without the rows that break its rules (each one a reject, with the rules it breaks)."""
    failures = row_failures(name, df, unvetted)
    if not failures:
        return df
    rows = df.to_dicts()
    for index, rules in sorted(failures.items()):
        rejected.append(_reject_row(name, "; ".join(sorted(set(rules))), rows[index]))
    return df.filter(pl.Series([i not in failures for i in range(df.height)]))


def _drop_dangling_rows(name: str, df: pl.DataFrame, tables: dict[str, pl.DataFrame], rejected: list[dict]) -> pl.DataFrame:
    """The table without the rows whose reference points at a quarantined row of a finished table."""
    for column, other, other_column in schemas.TABLES[name].foreign_keys:
        if other == name or ORDER.index(other) > ORDER.index(name):
            continue
        known = tables[other].get_column(other_column).implode()
        dangling = df.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known))
        if dangling.height:  # a frame with nothing to remove stays the same frame: no copy
            for row in dangling.to_dicts():
                rejected.append(_reject_row(name, f"{column}: references a quarantined {other} row", row))
            df = df.filter(pl.col(column).is_null() | pl.col(column).is_in(known))
    return df


def _prune_id_lists(name: str, df: pl.DataFrame, tables: dict[str, pl.DataFrame], rejected: list[dict]) -> pl.DataFrame:
    """The table with the ids of quarantined rows taken out of its lists of ids (each row touched a reject)."""
    for column, (other, other_column) in schemas.LIST_REFERENCES.items():
        if column not in df.columns or ORDER.index(other) > ORDER.index(name):
            continue
        known = tables[other].get_column(other_column)
        is_known = pl.element().is_in(known.implode())
        broken = df.filter(~pl.col(column).list.eval(is_known).list.all())
        if broken.height:  # only these rows go through Python
            known_ids = set(known.to_list())
            for row in broken.to_dicts():
                missing = [x for x in row[column] if x not in known_ids]
                rejected.append(_reject_row(name, f"{column}: reference to a quarantined {other} row removed",
                                            {**row, column: missing}))
            df = df.with_columns(pl.col(column).list.eval(pl.element().filter(is_known)))
    return df


def quarantine(tables: dict[str, pl.DataFrame], unvetted: dict[str, pl.DataFrame] | None = None) -> dict[str, pl.DataFrame]:
    """Move every row that breaks a rule (or points at a moved row) to `rejects`. `unvetted`: of a
    table, the rows not known to pass its model (see pipeline.transform.assembly.AssemblyResult);
    the rejects are the same either way, only quicker to find."""
    tables = dict(tables)
    rejected: list[dict] = []
    for name in ORDER:
        df = _drop_failing_rows(name, tables[name], rejected, (unvetted or {}).get(name))
        df = _drop_dangling_rows(name, df, tables, rejected)
        df = _prune_id_lists(name, df, tables, rejected)
        if _resolves_every_reference(name):  # the table's references check need not search them again
            checks.remember_pass("references", name, checks.reference_frames(name, df, tables))
        tables[name] = df
    if rejected:
        tables["rejects"] = schemas.frame("rejects", tables["rejects"].to_dicts() + rejected)
    return tables
