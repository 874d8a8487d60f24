"""Documentation generated from the schemas: the data dictionary, the Frictionless Data Package
descriptor and the dataset card. Nothing here is written by hand per column: schemas/ is the source.
"""
from __future__ import annotations

import json

import polars as pl
import yaml

import schemas

FRICTIONLESS_TYPES = {
    pl.String: "string", pl.Int64: "integer", pl.Int32: "integer", pl.Float64: "number",
    pl.Boolean: "boolean", pl.Date: "date", pl.Time: "time", pl.Datetime: "datetime",
}

SOURCES = [  # what the documents say of where they come from; licences as far as known
    {"format": "isomer_event", "title": "Singapore International Cyber Week event pages",
     "publisher": "Cyber Security Agency of Singapore (SICW website, Isomer)", "licence": "not stated; facts reused, text as published"},
    {"format": "igf_proposal", "title": "Internet Governance Forum workshop proposals",
     "publisher": "United Nations Internet Governance Forum Secretariat", "licence": "not stated; public proposal pages"},
    {"format": "diplo_report", "title": "Digital Watch session reports (DiploAI)",
     "publisher": "DiploFoundation / Geneva Internet Platform (Digital Watch Observatory)",
     "licence": "not stated in the report; marked 'not an official session record'"},
    {"format": "concept_note", "title": "Conference session concept notes",
     "publisher": "the conference organiser (not named in the documents)", "licence": "not stated"},
]


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        return f"list of {_type_name(dtype.inner)}"
    return FRICTIONLESS_TYPES.get(dtype.base_type(), str(dtype)).replace("string", "text")


def _checks(name: str, column: str, released: bool) -> str:
    model = schemas.release_model(name) if released else schemas.TABLES[name].model
    col = model.to_schema().columns[column]
    parts = [str(c).removeprefix("<Check ").rstrip(">").split(": ", 1)[-1] for c in col.checks]
    if col.unique:
        parts.append("unique")
    return ", ".join(parts)


def data_dictionary(row_counts: dict[str, int] | None = None, released: bool = True) -> str:
    lines = ["# Data dictionary", "",
             "Generated from `schemas/tables.py`, the single source of truth for every table and column.",
             "Types are Parquet/Arrow types; *list of text* columns are Parquet list columns (DuckDB `VARCHAR[]`).",
             "Every id is stable: the rule that makes it is given with its column.", ""]
    for name, info in schemas.TABLES.items():
        cols = schemas.release_columns(name) if released else schemas.columns(name)
        descriptions = schemas.column_descriptions(name, released)
        nullable = schemas.column_nullable(name, released)
        count = f" ({row_counts[name]} rows)" if row_counts and name in row_counts else ""
        lines += [f"## {name}{count}", "", info.description, "",
                  f"Primary key: `{', '.join(info.primary_key)}`."]
        for column, other, other_column in info.foreign_keys:
            lines.append(f"`{column}` references `{other}.{other_column}`.")
        lines += ["", "| column | type | null | rules | meaning |", "| --- | --- | --- | --- | --- |"]
        for column, dtype in cols.items():
            text = descriptions[column].replace("|", "\\|")
            rules = _checks(name, column, released).replace("|", "\\|")
            null = "yes" if nullable[column] else "no"
            lines.append(f"| `{column}` | {_type_name(dtype)} | {null} | {rules} | {text} |")
        lines.append("")
    return "\n".join(lines)


def _field(name: str, column: str, dtype: pl.DataType, description: str, nullable: bool) -> dict:
    field = {"name": column, "description": description}
    if isinstance(dtype, pl.List):
        field["type"] = "array"
    else:
        field["type"] = FRICTIONLESS_TYPES.get(dtype.base_type(), "any")
    constraints = {}
    if not nullable:
        constraints["required"] = True
    model = schemas.release_model(name).to_schema().columns[column]
    for check in model.checks:
        stats = check.statistics or {}
        if check.name == "isin":
            constraints["enum"] = sorted(stats.get("allowed_values", []))
        elif check.name == "str_matches":
            constraints["pattern"] = str(stats.get("pattern"))
        elif check.name == "greater_than_or_equal_to":
            constraints["minimum"] = stats.get("min_value")
        elif check.name == "less_than_or_equal_to":
            constraints["maximum"] = stats.get("max_value")
    if model.unique:
        constraints["unique"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def datapackage(version: str, row_counts: dict[str, int], file_hashes: dict[str, tuple[str, int]]) -> dict:
    """A Frictionless Data Package (v2) descriptor: one tabular resource per table."""
    resources = []
    for name, info in schemas.TABLES.items():
        descriptions = schemas.column_descriptions(name, True)
        nullable = schemas.column_nullable(name, True)
        fields = [_field(name, c, d, descriptions[c], nullable[c]) for c, d in schemas.release_columns(name).items()]
        schema = {"fields": fields, "primaryKey": list(info.primary_key)}
        foreign = [{"fields": [column], "reference": {"resource": other, "fields": [other_column]}}
                   for column, other, other_column in info.foreign_keys]
        if foreign:
            schema["foreignKeys"] = foreign
        path = f"parquet/{name}.parquet"
        digest, size = file_hashes[path]
        resources.append({"name": name, "type": "table", "path": path, "scheme": "file", "format": "parquet",
                          "mediatype": "application/vnd.apache.parquet", "description": info.description,
                          "schema": schema,
                          "rows": row_counts[name]})
    return {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "cyberdialogue",
            "title": "cyberdialogue: who said what at international cyber-policy sessions", "version": version,
            "description": "Sessions, participants, arguments and agreements extracted from public documents about "
                           "international cyber-policy sessions.",
            "licenses": [{"name": "other", "title": "Mixed: the sources' own terms (see README.md)"}],
            "sources": [{"title": s["title"], "path": "", "publisher": s["publisher"]} for s in SOURCES],
            "resources": resources}


def dataset_card(version: str, row_counts: dict[str, int], manifest: dict) -> str:
    front = {
        "pretty_name": "cyberdialogue", "version": version, "license": "other", "language": ["en"],
        "tags": ["cybersecurity", "diplomacy", "internet-governance", "policy", "parquet", "duckdb"],
        "size_categories": ["n<1K" if row_counts.get("sessions", 0) < 1000 else "1K<n<10K"],
        "source_datasets": [s["title"] for s in SOURCES],
        "configs": [{"config_name": n, "data_files": f"parquet/{n}.parquet"} for n in schemas.TABLES],
    }
    rows = "\n".join(f"| `{n}` | {row_counts[n]} | {schemas.TABLES[n].description} |" for n in schemas.TABLES)
    sources = "\n".join(f"| {s['title']} (`{s['format']}`) | {s['publisher']} | {s['licence']} |" for s in SOURCES)
    return f"""---
{yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip()}
---

# cyberdialogue {version}

An open dataset of who said what, with whom, at international cyber-policy sessions (forums, panels,
workshops, leaders' talks): sessions, the people who took part and in which roles, what they argued,
where they agreed or differed, and the transcripts, extracted from public documents and released in
immutable, checksummed versions.

## Tables

| table | rows | what |
| --- | --- | --- |
{rows}

Every column, its type and the rule that makes each id: `DATA_DICTIONARY.md`. Machine-readable:
`datapackage.json` (Frictionless Data Package v2). What changed since the previous release: `CHANGELOG.md`
and `diff.json`. Checksums: `SHA256SUMS` (check with `sha256sum -c SHA256SUMS` or `cyberdialogue verify {version}`).

## Sources

| source | publisher | licence |
| --- | --- | --- |
{sources}

Facts are extracted from the documents; each row keeps the `document_ids` it comes from and
`documents` lists every file with its sha256.

## Query it

```sql
-- duckdb cyberdialogue.duckdb   (self-contained: works from any folder, also after copying it)
SELECT s.date, s.title, p.name, pa.roles
FROM participants pa JOIN people p USING (person_id) JOIN sessions s USING (session_id)
ORDER BY s.date, p.name;

-- or straight from the Parquet files
SELECT kind, count(*) FROM read_parquet('parquet/agreements.parquet') GROUP BY kind;
```

## Cite

> cyberdialogue contributors ({manifest['released_at'][:4]}). *cyberdialogue: sessions, participants, arguments and
> agreements of international cyber-policy sessions*, version {version}. Dataset, code version
> {manifest['code_version']}.

## Known limitations

- Names are matched across documents by a normalised key (honorifics, case, diacritics, token order);
  two people with the same name are one person unless their affiliations conflict (`person_candidates`).
- AI-generated session reports (DiploAI) are not official records; arguments and agreements are
  as the report states them.
- A proposal without title or date is its own session (flags `missing_title`, `missing_date`).
- Sessions documented by several sources keep every source's value where they disagree, in `conflicts`.
- Rows that failed validation are in `rejects`, not in the tables.
"""


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
