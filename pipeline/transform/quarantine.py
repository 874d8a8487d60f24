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


def row_failures(name: str, df: pl.DataFrame) -> dict[int, list[str]]:
    """Row index -> the rules it breaks (empty when the table passes or fails only as a whole)."""
    try:
        schemas.TABLES[name].model.validate(df, lazy=True)
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


def quarantine(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Move every row that breaks a rule (or points at a moved row) to `rejects`."""
    tables = dict(tables)
    rejected: list[dict] = []
    for name in ORDER:
        df = tables[name]
        failures = row_failures(name, df)
        if failures:
            rows = df.to_dicts()
            for index, rules in sorted(failures.items()):
                rejected.append(_reject_row(name, "; ".join(sorted(set(rules))), rows[index]))
            keep = pl.Series([i not in failures for i in range(df.height)])
            df = df.filter(keep)
        for column, other, other_column in schemas.TABLES[name].foreign_keys:
            if other == name or ORDER.index(other) > ORDER.index(name):
                continue
            known = tables[other].get_column(other_column).implode()
            dangling = df.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known))
            if dangling.height:  # a frame with nothing to remove stays the same frame: no copy
                for row in dangling.to_dicts():
                    rejected.append(_reject_row(name, f"{column}: references a quarantined {other} row", row))
                df = df.filter(pl.col(column).is_null() | pl.col(column).is_in(known))
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
        tables[name] = df
    if rejected:
        tables["rejects"] = schemas.frame("rejects", tables["rejects"].to_dicts() + rejected)
    return tables
