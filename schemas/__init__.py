"""Registry of the dataset's tables: each table's Pandera model, meaning, keys and sort order.

Everything else (Parquet column order, DuckDB tables, the data dictionary, the checks) reads this.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandera.polars as pa
import polars as pl

from schemas import tables as t


@dataclass(frozen=True)
class TableInfo:
    name: str
    model: type[pa.DataFrameModel]
    description: str
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)
    derived: bool = False  # made from other tables after quarantine (pipeline/agreement_pairs.py), not assembled


# Columns holding lists of ids, and the table each id points at.
LIST_REFERENCES = {"person_ids": ("people", "person_id"), "argument_ids": ("arguments", "argument_id")}


def referenced_tables(name: str) -> list[str]:
    """Other tables whose ids `name` holds (scalar foreign keys and lists of ids)."""
    others = {other for _, other, _ in TABLES[name].foreign_keys}
    others |= {other for column, (other, _) in LIST_REFERENCES.items() if column in columns(name)}
    return sorted(others - {name})


TABLES: dict[str, TableInfo] = {
    info.name: info
    for info in [
        TableInfo("documents", t.Documents, "One row per raw file seen, including rejected ones.", ("document_id",)),
        TableInfo("sessions", t.Sessions, "One row per real-world session, however many documents describe it.", ("session_id",)),
        TableInfo("participants", t.Participants, "One row per (session, person): who took part, in what roles, with which affiliation.",
                  ("session_id", "person_id"), (("session_id", "sessions", "session_id"), ("person_id", "people", "person_id"))),
        TableInfo("people", t.People, "One row per human being across all sessions.", ("person_id",)),
        TableInfo("speaker_labels", t.SpeakerLabels, "Speakers that are not people (role labels, delegations, teams), per session, with their statistics.",
                  ("session_id", "speaker"), (("session_id", "sessions", "session_id"),)),
        TableInfo("arguments", t.Arguments, "One row per argument a speaker made.", ("argument_id",),
                  (("session_id", "sessions", "session_id"), ("person_id", "people", "person_id"))),
        TableInfo("agreements", t.Agreements, "One row per agreement or difference among speakers.", ("agreement_id",),
                  (("session_id", "sessions", "session_id"),)),
        TableInfo("agreement_pairs", t.AgreementPairs, "The agreement network: one row per ordered pair of people named by one agreements row (both ways), derived from agreements.",
                  ("person_id", "other_person_id", "agreement_id"),
                  (("person_id", "people", "person_id"), ("other_person_id", "people", "person_id"),
                   ("session_id", "sessions", "session_id"), ("agreement_id", "agreements", "agreement_id")), derived=True),
        TableInfo("utterances", t.Utterances, "Transcript turns.", ("session_id", "seq"),
                  (("session_id", "sessions", "session_id"), ("person_id", "people", "person_id"))),
        TableInfo("session_items", t.SessionItems, "Every other list a session document states (takeaways, policy questions, SDG goals, ...).",
                  ("session_id", "kind", "seq"), (("session_id", "sessions", "session_id"), ("person_id", "people", "person_id"))),
        TableInfo("session_texts", t.SessionTexts, "Named paragraphs of a session document (full report, overall tone, expected outcomes, ...).",
                  ("session_id", "kind", "document_id"), (("session_id", "sessions", "session_id"),)),
        TableInfo("conflicts", t.Conflicts, "Fields on which the documents of one session disagree, with each document's value.",
                  ("session_id", "field", "document_id"), (("session_id", "sessions", "session_id"),)),
        TableInfo("duplicates", t.Duplicates, "One row per document that is an exact or near copy (or mirror) of another.", ("document_id",),
                  (("document_id", "documents", "document_id"),)),
        TableInfo("person_candidates", t.PersonCandidates, "Pairs of people that may be one person but were not merged, for review.",
                  ("person_id", "other_person_id"),
                  (("person_id", "people", "person_id"), ("other_person_id", "people", "person_id"))),
        TableInfo("rejects", t.Rejects, "What could not be parsed or failed validation, with the reason.", ("table", "rule", "offending_values")),
    ]
}


RELEASED_MODELS = {"sessions": t.ReleasedSessions, "people": t.ReleasedPeople,
                   "arguments": t.ReleasedArguments, "agreements": t.ReleasedAgreements}


def release_model(name: str) -> type[pa.DataFrameModel]:
    """The model of a table as published in a release (with first_seen / last_seen where tracked)."""
    return RELEASED_MODELS.get(name, TABLES[name].model)


@cache
def release_columns(name: str) -> dict[str, pl.DataType]:
    schema = release_model(name).to_schema()
    return {col: column.dtype.type for col, column in schema.columns.items()}


@cache
def columns(name: str) -> dict[str, pl.DataType]:
    """Column name -> polars dtype, in the model's order."""
    schema = TABLES[name].model.to_schema()
    return {col: column.dtype.type for col, column in schema.columns.items()}


def column_descriptions(name: str, released: bool = False) -> dict[str, str]:
    schema = (release_model(name) if released else TABLES[name].model).to_schema()
    return {col: column.description or "" for col, column in schema.columns.items()}


def column_nullable(name: str, released: bool = False) -> dict[str, bool]:
    schema = (release_model(name) if released else TABLES[name].model).to_schema()
    return {col: column.nullable for col, column in schema.columns.items()}


def empty_frame(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=columns(name))


def _arrow_type(dtype: pl.DataType, large: bool = False):
    """The Arrow type of a column: times in microseconds (TIME in DuckDB and Parquet, not TIME_NS);
    `large` gives 64-bit offsets for text and lists (the layout polars writes, no 2 GB limit per chunk)."""
    import pyarrow as pa

    if isinstance(dtype, pl.List):
        inner = _arrow_type(dtype.inner, large)
        return pa.large_list(inner) if large else pa.list_(inner)
    if dtype.base_type() == pl.String:
        return pa.large_string() if large else pa.string()
    return {pl.Int64: pa.int64(), pl.Int32: pa.int32(), pl.Float64: pa.float64(),
            pl.Boolean: pa.bool_(), pl.Date: pa.date32(), pl.Time: pa.time64("us")}[dtype.base_type()]


@cache
def arrow_schema(name: str, released: bool = False):
    """The Arrow schema a table is written with: its columns and types, required columns non-nullable,
    each column's description as field metadata and the table's as schema metadata (both end up in
    the Parquet file's metadata)."""
    import pyarrow as pa

    cols = release_columns(name) if released else columns(name)
    descriptions = column_descriptions(name, released)
    nullable = column_nullable(name, released)
    fields = [pa.field(col, _arrow_type(dtype, large=True), nullable=nullable[col],
                       metadata={"description": descriptions[col]} if descriptions[col] else None)
              for col, dtype in cols.items()]
    return pa.schema(fields, metadata={"table": name, "description": TABLES[name].description})


def columns_frame(values: dict[str, list], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Python lists, one per column, -> a DataFrame of `schema`, through Arrow arrays (built in C++;
    polars builds list columns from Python lists one value at a time)."""
    import pyarrow as pa

    arrays = [pa.array(values[col], type=_arrow_type(dtype)) for col, dtype in schema.items()]
    return pl.from_arrow(pa.Table.from_arrays(arrays, names=list(schema))).cast(schema)


def frame(name: str, rows: list[dict], sort: bool = True) -> pl.DataFrame:
    """Rows -> a DataFrame with exactly the table's columns and types, sorted by its primary key
    (sort=False: in the rows' order, for pieces that are sorted once they are put together).

    Columns go through Arrow arrays, built in C++ (list columns from Python lists are slow in polars)."""
    import pyarrow as pa

    cols = columns(name)
    if not rows:
        return empty_frame(name)
    arrays = [pa.array([row.get(col) for row in rows], type=_arrow_type(dtype)) for col, dtype in cols.items()]
    df = pl.from_arrow(pa.Table.from_arrays(arrays, names=list(cols))).cast(cols)
    return df.sort(list(TABLES[name].primary_key), nulls_last=True, maintain_order=True) if sort else df
