"""The agreement network as a table: one row per ordered pair of people named by one agreement or
difference, so "whom did X agree with" is `WHERE person_id = X` (each pair is there both ways)."""
from __future__ import annotations

import polars as pl

import schemas

NAME = "agreement_pairs"


def agreement_pairs(agreements: pl.DataFrame) -> pl.DataFrame:
    """Every (person, other person) of every agreements row, both directions, sorted by key."""
    people = agreements.select("agreement_id", "session_id", "kind", pl.col("person_ids").list.unique().alias("person_id"))
    links = people.explode("person_id").drop_nulls("person_id")
    pairs = (links.join(links.select("agreement_id", pl.col("person_id").alias("other_person_id")), on="agreement_id")
             .filter(pl.col("person_id") != pl.col("other_person_id")))
    columns = list(schemas.columns(NAME))
    return (pairs.select(columns).cast(schemas.columns(NAME))
            .sort(list(schemas.TABLES[NAME].primary_key)))
