"""Validation of the tables, as pure functions: each returns a CheckOutcome that Dagster turns into a
blocking asset check and `cyberdialogue build` prints. A failure names the rule and the offending rows.
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, partial

import pandera.polars as pa
import polars as pl

import schemas


@dataclass
class CheckOutcome:
    passed: bool
    rule: str
    message: str
    failures: list[dict] = field(default_factory=list)  # one dict per offending value: column, check, value, row


# --- rules already shown to hold for a frame --------------------------------------------------------
# Quarantine validates every table and resolves its references; the tables it hands on unchanged are the
# very frames the checks read next (one process: the CLI's run keeps the assets in memory). A rule that
# passed on a frame is remembered by the frame object itself, through weak references: the same object,
# still alive, is the same content (nothing in the build changes a polars frame in place), an equal
# copy (a pickled one in another process, a frame made again) is checked again, and the memo keeps no
# frame alive (an entry goes with its frames, so a new frame at a freed address never matches).
_PASSED: dict[tuple, tuple[weakref.ref, ...]] = {}


def _forget(key: tuple, _gone: weakref.ref) -> None:
    _PASSED.pop(key, None)


def remember_pass(rule: str, name: str, frames: Sequence[pl.DataFrame]) -> None:
    """Record that `rule` holds for table `name` given exactly these frame objects."""
    key = (rule, name, *map(id, frames))
    _PASSED[key] = tuple(weakref.ref(frame, partial(_forget, key)) for frame in frames)


def passed_before(rule: str, name: str, frames: Sequence[pl.DataFrame | None]) -> bool:
    """Whether `rule` was recorded as holding for table `name` given these very frame objects."""
    refs = _PASSED.get((rule, name, *map(id, frames)))
    return refs is not None and all(frame is not None and ref() is frame for ref, frame in zip(refs, frames, strict=True))


def reference_frames(name: str, df: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> list[pl.DataFrame | None]:
    """The frames the references of `name` are resolved against: the table, then each table it points to."""
    return [df, *(tables.get(other) for other in schemas.referenced_tables(name))]


@cache
def _uniqueness_apart(name: str) -> tuple[pa.DataFrameSchema, tuple[tuple[str, ...], ...]]:
    """The table's schema without its uniqueness rules, and the column sets those rules keep unique."""
    schema = schemas.TABLES[name].model.to_schema()
    unique = schema.unique or []
    joint = [unique] if unique and all(isinstance(c, str) for c in unique) else unique  # one set, or several
    single = [c for c, column in schema.columns.items() if column.unique]
    rest = schema.update_columns({c: {"unique": False} for c in single})
    rest.unique = None
    return rest, (*((c,) for c in single), *(tuple(columns) for columns in joint))


def _distinct(df: pl.DataFrame, columns: tuple[str, ...]) -> bool:
    """True when no two rows share these columns' values. Several columns are compared by row hash
    (equal rows hash alike, nulls and -0.0 / NaN included), so True is certain and False may be a collision;
    a column missing is False too (Pandera then says what it makes of that)."""
    if not set(columns) <= set(df.columns):
        return False
    keys = df.select(columns)
    values = keys.to_series() if len(columns) == 1 else keys.hash_rows()
    return values.n_unique() == df.height


def _passes_quickly(name: str, df: pl.DataFrame) -> bool:
    """True only when the table's model certainly passes: every other rule by Pandera, uniqueness by
    hashing (Pandera's duplicate search over whole rows costs about half of its time on the large tables)."""
    rest, unique = _uniqueness_apart(name)
    try:
        rest.validate(df, lazy=True)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors):
        return False
    return all(_distinct(df, columns) for columns in unique)


def _passes_given(name: str, df: pl.DataFrame, unvetted: pl.DataFrame) -> bool:
    """True only when the table's model certainly passes, given that every row of `df` outside
    `unvetted` is a row of a session bucket that passed the model when it was stored, that `df` has
    those buckets' columns and types, and that `unvetted` holds whole buckets
    (pipeline.transform.assembly.store.unvetted_rows). Every rule but uniqueness
    is a rule of one row (_ROW_RULES), so the model's rows pass when these do; a uniqueness rule over
    session_id holds within each bucket apart (rows of two buckets differ in it), the others are
    decided over the whole table."""
    rest, unique = _uniqueness_apart(name)
    if unvetted.schema != df.schema or not _row_rules_only(name):
        return False
    try:
        if unvetted.height:  # no row in question: the rows and their types are those that passed
            rest.validate(unvetted, lazy=True)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors):
        return False
    return all(_distinct(unvetted if "session_id" in columns else df, columns) for columns in unique)


# The checks that judge each row alone (Pandera's built-in ones used by the models, and the models' own
# list checks): rows that pass them pass them in any table.
_ROW_RULES = frozenset({"str_matches", "str_length", "isin", "notin", "greater_than", "greater_than_or_equal_to",
                        "less_than", "less_than_or_equal_to", "in_range", "equal_to", "not_equal_to",
                        "roles_in_vocabulary"})


@cache
def _row_rules_only(name: str) -> bool:
    """Whether every rule of the table's model besides uniqueness judges one row at a time."""
    schema = schemas.TABLES[name].model.to_schema()
    return not schema.checks and all(check.name in _ROW_RULES for column in schema.columns.values()
                                     for check in column.checks)


@cache
def rules_digest() -> str:
    """What the models' rules are, with the library versions that apply them: a row found to pass
    under another digest is validated again."""
    import hashlib
    from importlib.metadata import version

    parts = [version("pandera"), version("polars")]
    for name, info in schemas.TABLES.items():
        schema = info.model.to_schema()
        parts.append(f"{name}|{schema.unique}|{schema.strict}|{schema.coerce}")
        for column_name, column in schema.columns.items():
            checks = sorted(f"{check.name}={check.statistics!r}" for check in column.checks)
            parts.append(f"{column_name}|{column.dtype}|{column.nullable}|{column.unique}|{checks}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def validate_table(name: str, df: pl.DataFrame, unvetted: pl.DataFrame | None = None) -> None:
    """The table's Pandera model on the collected DataFrame (lazy=True: all failures), raising exactly
    what `model.validate` raises; a frame that passes is remembered (see passed_before) and not
    validated again. `unvetted`: the rows not known to pass (see _passes_given); None: all of them."""
    if passed_before("schema", name, [df]):
        return
    quick = _passes_quickly(name, df) if unvetted is None else _passes_given(name, df, unvetted)
    if not quick:
        schemas.TABLES[name].model.validate(df, lazy=True)  # the failures, as Pandera reports them
    remember_pass("schema", name, [df])


def validate_schema(name: str, df: pl.DataFrame) -> CheckOutcome:
    """Every Pandera check of the table's model, on the collected DataFrame (lazy=True: all failures)."""
    model = schemas.TABLES[name].model
    try:
        validate_table(name, df)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failures = [
            {"column": r.get("column"), "check": r.get("check"), "value": str(r.get("failure_case"))[:200], "row": r.get("index")}
            for r in cases.head(200).to_dicts()
        ]
        rules = sorted({f"{f['column']}: {f['check']}" for f in failures})
        return CheckOutcome(False, "pandera schema", f"{name}: {cases.height} failure(s): " + "; ".join(rules[:10]), failures)
    except pa.errors.SchemaError as exc:
        return CheckOutcome(False, "pandera schema", f"{name}: {exc}"[:1000])
    return CheckOutcome(True, "pandera schema", f"{name}: {df.height} rows pass {model.__name__}")


def check_foreign_keys(name: str, df: pl.DataFrame, referenced: dict[str, pl.DataFrame]) -> CheckOutcome:
    """Every non-null reference of the table exists in the table it points to (taken as shown when
    quarantine resolved the references of these very frames)."""
    if passed_before("references", name, reference_frames(name, df, referenced)):
        return CheckOutcome(True, "foreign keys", f"{name}: every reference resolves")
    failures = []
    for column, other, other_column in schemas.TABLES[name].foreign_keys:
        known = referenced[other].get_column(other_column)  # is_in hashes it: no unique() pass before
        missing = df.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
        for value in missing.get_column(column).unique().sort().head(50).to_list():
            failures.append({"column": column, "check": f"references {other}.{other_column}", "value": value, "row": None})
    for column, (other, other_column) in schemas.LIST_REFERENCES.items():  # lists of ids are references too
        if column in df.columns and other in referenced:
            known = referenced[other].get_column(other_column)  # is_in hashes it: no unique() pass before
            ids = df.select(pl.col(column).explode()).drop_nulls().unique().get_column(column)
            for value in ids.filter(~ids.is_in(known.implode())).sort().head(50).to_list():
                failures.append({"column": column, "check": f"references {other}.{other_column}", "value": value, "row": None})
    if failures:
        return CheckOutcome(False, "foreign keys", f"{name}: {len(failures)} dangling reference(s)", failures)
    return CheckOutcome(True, "foreign keys", f"{name}: every reference resolves")


def check_required_columns_filled(name: str, df: pl.DataFrame) -> CheckOutcome:
    """No required (non-nullable) column is entirely null in a non-empty table."""
    nullable = schemas.column_nullable(name)
    empty = [c for c, may_be_null in nullable.items() if not may_be_null and df.height and df[c].null_count() == df.height]
    if empty:
        return CheckOutcome(False, "required columns filled", f"{name}: entirely null: {', '.join(empty)}",
                            [{"column": c, "check": "not entirely null", "value": None, "row": None} for c in empty])
    return CheckOutcome(True, "required columns filled", f"{name}: required columns hold values")


def load_bounds(path: str | None) -> dict:
    """The reviewed bounds file (tables) with each source family's `row_bounds` (documents_by_format);
    no file: no bounds."""
    import yaml

    from pipeline.sources import SOURCES

    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        bounds = yaml.safe_load(handle) or {}
    by_format = {f: s.meta["row_bounds"] for f, s in SOURCES.items() if s.meta.get("row_bounds")}
    return {**bounds, "documents_by_format": {**by_format, **(bounds.get("documents_by_format") or {})}}


def check_row_bounds(bounds: dict, documents: pl.DataFrame, counts: dict[str, int]) -> tuple[CheckOutcome, CheckOutcome]:
    """(below a minimum: must fail, above a maximum: warns) against the reviewed bounds file."""
    read = documents.filter(pl.col("status") != "rejected").group_by("format").len()
    by_format = dict(zip(read["format"].to_list(), read["len"].to_list()))
    low, high = [], []
    for group, actual in (("documents_by_format", by_format), ("tables", counts)):
        for key, limits in (bounds.get(group) or {}).items():
            value = actual.get(key, 0)
            if "min" in limits and value < limits["min"]:
                low.append({"column": f"{group}.{key}", "check": f">= {limits['min']}", "value": value, "row": None})
            if "max" in limits and value > limits["max"]:
                high.append({"column": f"{group}.{key}", "check": f"<= {limits['max']}", "value": value, "row": None})
    below = CheckOutcome(not low, "row-count minimum", "; ".join(f"{f['column']} = {f['value']}, expected {f['check']}" for f in low) or "every minimum met", low)
    above = CheckOutcome(not high, "row-count maximum", "; ".join(f"{f['column']} = {f['value']}, expected {f['check']}" for f in high) or "every maximum respected", high)
    return below, above


def check_document_coverage(raw: pl.DataFrame, documents: pl.DataFrame, rejects: pl.DataFrame) -> CheckOutcome:
    """Every raw file is a documents row; every document is parsed, partial, a duplicate, or rejected with a reason."""
    failures = []
    # compared in polars, not as Python sets of 100,000 ids (nulls_equal: a null matches a null, as in a set)
    known = pl.col("document_id").is_in(documents["document_id"].implode(), nulls_equal=True)
    missing = raw.filter(~known)["document_id"].unique().sort()
    failures += [{"column": "document_id", "check": "raw file missing from documents", "value": d, "row": None} for d in missing.to_list()]
    rejected = documents.filter(pl.col("status") == "rejected")
    unexplained = rejected.filter(pl.col("problems").list.len() == 0)["document_id"].to_list()
    failures += [{"column": "problems", "check": "rejected without a reason", "value": d, "row": None} for d in unexplained]
    in_rejects = rejects.filter(pl.col("table") == "documents")["document_id"].implode()
    failures += [{"column": "document_id", "check": "rejected but not in rejects", "value": d, "row": None}
                 for d in rejected.filter(~pl.col("document_id").is_in(in_rejects, nulls_equal=True))["document_id"].to_list()]
    if failures:
        return CheckOutcome(False, "document coverage", f"{len(failures)} document(s) unaccounted for", failures)
    return CheckOutcome(True, "document coverage", f"all {raw.height} raw files accounted for")


# Not judged by the shrink guard: relations among documents and queues of problems for review. They
# shrink when a copy is corrected or a reviewed merge lands (fewer rows there is no collapse).
SHRINK_EXEMPT = ("duplicates", "conflicts", "person_candidates", "rejects")
SHRINK_LIMIT = 0.5  # a table may lose at most this share of its rows against the build it replaces


def check_shrink(previous: dict[str, int] | None, documents: pl.DataFrame, counts: dict[str, int],
                 allowed: bool = False) -> CheckOutcome:
    """No publishing of a collapsed dataset (as OpenSanctions' assertions abort an export): a raw folder
    with no readable document, or a table that lost more than half its rows against the current build
    (`previous`: rows per table; None when there is none), fails unless `allowed`."""
    failures = []
    readable = documents.filter(pl.col("status") != "rejected").height
    if readable == 0:
        failures.append({"column": "raw folder", "check": "a readable document", "value": f"0 of {documents.height} files readable", "row": None})
    for name, before in sorted((previous or {}).items()):
        now = counts.get(name)
        if name in SHRINK_EXEMPT or now is None or now >= before * (1 - SHRINK_LIMIT):
            continue
        failures.append({"column": name, "check": f"lose at most {SHRINK_LIMIT:.0%} of its rows", "value": f"{before} -> {now}", "row": None})
    if not failures:
        return CheckOutcome(True, "shrink", "no table lost more than half its rows" if previous else "no previous build to compare with")
    what = ", ".join(f"{f['column']} {f['value']}" for f in failures)
    if allowed:
        return CheckOutcome(True, "shrink", f"published on purpose (allow_shrink): {what}")
    reason = ("no readable document in the raw folder" if readable == 0 else
              "more than half of a table's rows lost against the current build")
    return CheckOutcome(False, "shrink", f"not published, {reason}: {what} (--allow-shrink, or the allow_shrink setting, publishes it)", failures)
