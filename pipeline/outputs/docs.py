"""Documentation generated from the schemas: the data dictionary, the Frictionless Data Package
descriptor, the Croissant metadata and the dataset card. Nothing here is written by hand per column:
schemas/tables.py is the source of the columns, schemas/dataset.yaml of the licence, the publisher
and the sources.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import polars as pl
import yaml

import schemas

FRICTIONLESS_TYPES = {
    pl.String: "string", pl.Int64: "integer", pl.Int32: "integer", pl.Float64: "number",
    pl.Boolean: "boolean", pl.Date: "date", pl.Time: "time", pl.Datetime: "datetime",
}
CROISSANT_TYPES = {
    pl.String: "sc:Text", pl.Int64: "sc:Integer", pl.Int32: "sc:Integer", pl.Float64: "sc:Float",
    pl.Boolean: "sc:Boolean", pl.Date: "sc:Date", pl.Time: "sc:Time", pl.Datetime: "sc:DateTime",
}
# The JSON-LD context of Croissant 1.0, as the specification gives it.
CROISSANT_CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "equivalentProperty": "cr:equivalentProperty",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform",
}
CROISSANT_1_0 = "http://mlcommons.org/croissant/1.0"


@cache
def dataset_metadata() -> dict:
    """schemas/dataset.yaml (the licence and the publisher, package data) with the sources, each as its
    folder's source.yaml describes it (pipeline/sources/<format>/source.yaml)."""
    from pipeline.sources import GENERIC, SOURCES

    with open(Path(schemas.__file__).parent / "dataset.yaml", encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    return {**meta, "sources": [source.meta for source in (*SOURCES.values(), GENERIC)]}


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        return f"list of {_type_name(dtype.inner)}"
    return FRICTIONLESS_TYPES.get(dtype.base_type(), str(dtype)).replace("string", "text")


def _rule(check) -> str:
    """A Pandera check as a reader would write it."""
    stats = check.statistics or {}
    if check.name == "str_matches":
        return f"matches `{stats['pattern']}`"
    if check.name == "isin":
        return "one of " + ", ".join(f"`{v}`" for v in stats["allowed_values"])
    if check.name == "greater_than_or_equal_to":
        return f">= {stats['min_value']}"
    if check.name == "less_than_or_equal_to":
        return f"<= {stats['max_value']}"
    if check.name == "str_length":
        exact, low, high = stats.get("exact_value"), stats.get("min_value"), stats.get("max_value")
        if exact is not None or low == high:
            return f"{exact if exact is not None else low} characters"
        return f"{low or 0} to {high} characters" if high is not None else f"at least {low} characters"
    return str(check).removeprefix("<Check ").rstrip(">").split(": ", 1)[-1]


def _rules(name: str, column: str, released: bool) -> str:
    model = schemas.release_model(name) if released else schemas.TABLES[name].model
    col = model.to_schema().columns[column]
    parts = [_rule(c) for c in col.checks]
    if col.unique:
        parts.append("unique")
    return "; ".join(parts)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def data_dictionary(row_counts: dict[str, int] | None = None, released: bool = True) -> str:
    lines = ["# Data dictionary", "",
             "Generated from `schemas/tables.py`, the single source of truth for every table and column.",
             "Types are Parquet/Arrow types; *list of text* columns are Parquet list columns (DuckDB `VARCHAR[]`,",
             "JSON arrays in the CSV copies). Every id is stable: the rule that makes it is given with its column.", ""]
    for name, info in schemas.TABLES.items():
        cols = schemas.release_columns(name) if released else schemas.columns(name)
        descriptions = schemas.column_descriptions(name, released)
        nullable = schemas.column_nullable(name, released)
        count = f" ({_rows(row_counts[name])})" if row_counts and name in row_counts else ""
        lines += [f"## {name}{count}", "", info.description, "",
                  f"Primary key: `{', '.join(info.primary_key)}`."]
        for column, other, other_column in info.foreign_keys:
            lines.append(f"`{column}` references `{other}.{other_column}`.")
        lines += ["", "| column | type | null | rules | meaning |", "| --- | --- | --- | --- | --- |"]
        for column, dtype in cols.items():
            text = descriptions[column].replace("|", "\\|")
            rules = _rules(name, column, released).replace("|", "\\|")
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


def _licence() -> dict:
    return dataset_metadata()["license"]


def datapackage(version: str, row_counts: dict[str, int], file_hashes: dict[str, tuple[str, int]]) -> dict:
    """A Frictionless Data Package (v2) descriptor: one tabular resource per table, over the CSV copies
    of the release (lists as JSON arrays, nulls as empty cells), which `frictionless validate` reads
    field by field; the Parquet files are described by croissant.json."""
    meta = dataset_metadata()
    licence, publisher = meta["license"], meta["publisher"]
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
        path = f"csv/{name}.csv"
        digest, size = file_hashes[path]
        resources.append({"name": name, "type": "table", "path": path, "scheme": "file", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "bytes": size, "hash": f"sha256:{digest}",
                          "description": f"{info.description} (The same rows: parquet/{name}.parquet.)",
                          "schema": schema, "rows": row_counts[name]})
    contributor = {"title": publisher["name"], "roles": ["publisher"]}
    if publisher.get("email"):
        contributor["email"] = publisher["email"]
    if publisher.get("url"):
        contributor["path"] = publisher["url"]
    package = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": meta["name"],
               "title": meta["title"], "version": version, "description": meta["description"],
               "keywords": meta["keywords"],
               "licenses": [{"name": licence["id"], "path": licence["url"], "title": licence["title"]}],
               "contributors": [contributor],
               "sources": [{k: v for k, v in (("title", s["title"]), ("path", s.get("url"))) if v}
                           for s in meta["sources"]],
               "resources": resources}
    if publisher.get("url"):
        package["homepage"] = publisher["url"]
    return package


def croissant(version: str, row_counts: dict[str, int], file_hashes: dict[str, tuple[str, int]],
              released_at: str) -> dict:
    """MLCommons Croissant 1.0 metadata of the release: one FileObject per Parquet file, one RecordSet per
    table (keys, references, list columns as repeated fields), from the same schemas as datapackage.json."""
    meta = dataset_metadata()
    publisher = meta["publisher"]
    distribution, record_sets = [], []
    for name, info in schemas.TABLES.items():
        path = f"parquet/{name}.parquet"
        digest, size = file_hashes[path]
        distribution.append({"@type": "cr:FileObject", "@id": path, "name": f"{name}.parquet",
                             "description": f"The {name} table ({_rows(row_counts[name])}).",
                             "contentUrl": path, "contentSize": f"{size} B", "encodingFormat": "application/x-parquet",
                             "sha256": digest})
        references = {column: (other, other_column) for column, other, other_column in info.foreign_keys}
        descriptions = schemas.column_descriptions(name, True)
        fields = []
        for column, dtype in schemas.release_columns(name).items():
            inner = dtype.inner if isinstance(dtype, pl.List) else dtype
            field = {"@type": "cr:Field", "@id": f"{name}/{column}", "name": column, "description": descriptions[column],
                     "dataType": CROISSANT_TYPES[inner.base_type()],
                     "source": {"fileObject": {"@id": path}, "extract": {"column": column}}}
            if isinstance(dtype, pl.List):
                field["repeated"] = True
            if column in references:
                other, other_column = references[column]
                field["references"] = {"field": {"@id": f"{other}/{other_column}"}}
            fields.append(field)
        record_sets.append({"@type": "cr:RecordSet", "@id": name, "name": name, "description": info.description,
                            "key": [{"@id": f"{name}/{column}"} for column in info.primary_key], "field": fields})
    licence = meta["license"]
    document = {
        "@context": CROISSANT_CONTEXT, "@type": "sc:Dataset", "name": meta["name"], "description": meta["description"],
        "conformsTo": CROISSANT_1_0, "version": version, "datePublished": released_at[:10],
        "license": licence["url"], "keywords": meta["keywords"], "inLanguage": "en",
        "creator": {"@type": "sc:Organization", "name": publisher["name"], "email": publisher.get("email")},
        "publisher": {"@type": "sc:Organization", "name": publisher["name"], "email": publisher.get("email")},
        "citeAs": citation(version, released_at),
        "isBasedOn": [s["url"] for s in meta["sources"] if s.get("url")],
        "distribution": distribution, "recordSet": record_sets,
    }
    if publisher.get("url"):
        document["url"] = publisher["url"]
    return _without_nulls(document)


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def citation(version: str, released_at: str) -> str:
    """How to cite a release: who, when, what, which version, under which licence, and where or whom to ask."""
    meta = dataset_metadata()
    publisher = meta["publisher"]
    where = " ".join(part for part in (publisher.get("url") and f"{publisher['url']}.",
                                       publisher.get("email") and f"Contact: {publisher['email']}.") if part)
    return (f"{publisher['name']} ({released_at[:4]}). {meta['title']}, version {version} [dataset]. "
            f"{_licence()['title']} ({_licence()['id']}). {where}").strip()


def dataset_card(version: str, row_counts: dict[str, int], manifest: dict) -> str:
    meta = dataset_metadata()
    licence, publisher = meta["license"], meta["publisher"]
    front = {
        "pretty_name": meta["name"], "version": version, "license": licence["hf"], "language": ["en"],
        "tags": [*meta["keywords"], "parquet", "duckdb"],
        "size_categories": ["n<1K" if row_counts.get("sessions", 0) < 1000 else "1K<n<10K"],
        "source_datasets": [s["title"] for s in meta["sources"]],
        "configs": [{"config_name": n, "data_files": f"parquet/{n}.parquet"} for n in schemas.TABLES],
    }
    rows = "\n".join(f"| `{n}` | {row_counts[n]} | {schemas.TABLES[n].description} |" for n in schemas.TABLES)
    sources = "\n".join(f"| {s['title']} (`{s['format']}`) | {s['publisher']} | {s.get('url') or 'not known'} | {s['licence']} |"
                        for s in meta["sources"])
    contact = " ".join(part for part in (publisher["name"], publisher.get("email") and f"<{publisher['email']}>",
                                         publisher.get("url")) if part)
    return f"""---
{yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip()}
---

# {meta['name']} {version}

An open dataset of who said what, with whom, at international cyber-policy sessions (forums, panels,
workshops, leaders' talks): sessions, the people who took part and in which roles, what they argued,
where they agreed or differed, and the transcripts, extracted from public documents and released in
immutable, checksummed versions.

## Licence

{licence['title']} ([{licence['id']}]({licence['url']})): share and adapt, with attribution (see Cite).

## Tables

| table | rows | what |
| --- | --- | --- |
{rows}

Every column, its type and the rule that makes each id: `DATA_DICTIONARY.md`. The tables as Parquet
(`parquet/`) and in one DuckDB database (`cyberdialogue.duckdb`), and as CSV (`csv/`, lists as JSON
arrays). Machine-readable: `datapackage.json` (Frictionless Data Package v2, over the CSV files) and
`croissant.json` (MLCommons Croissant 1.0, over the Parquet files). What changed since the previous
release: `CHANGELOG.md` and `diff.json`. Checksums: `SHA256SUMS` (check with `sha256sum -c SHA256SUMS`
or `cyberdialogue verify {version}`).

## Sources

| source | publisher | address | terms of the source |
| --- | --- | --- | --- |
{sources}

Facts are extracted from the documents; each row keeps the `document_ids` it comes from and
`documents` lists every file with its sha256 and, where the document states one, its address.

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

> {citation(version, manifest['released_at'])}
>
> Code version {manifest['code_version']}.

## Contact

{contact}

## Known limitations

- Names are matched across documents by a normalised key (honorifics, case, diacritics, token order);
  two people with the same name are one person unless their affiliations conflict (`person_candidates`).
- AI-generated session reports (DiploAI) are not official records; arguments and agreements are
  as the report states them.
- A proposal without title or date is its own session (flags `missing_title`, `missing_date`).
- Sessions documented by several sources keep every source's value where they disagree, in `conflicts`.
- Rows that failed validation are in `rejects`, not in the tables.
- In the CSV copies an empty cell is a null: an empty text reads back as null.
"""


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
