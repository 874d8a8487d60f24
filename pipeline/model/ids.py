"""Every id rule of the dataset, each written once; the schemas' column descriptions state them for
the data dictionary. An id depends on content only, never on a file name or the order files are
listed in, and a changing id is a breaking change (a MAJOR release)."""
from __future__ import annotations

import polars as pl

from pipeline.model.names import session_title_key
from pipeline.model.records import DocumentSummary
from pipeline.model.text import fold, sha256_hex


def stable_id(prefix: str, *parts: object) -> str:
    """An id that depends only on its parts: prefix + first 16 hex digits of sha256 over the parts."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return f"{prefix}_{sha256_hex(joined)[:16]}"


def document_id_column(content_key: str = "content_key") -> pl.Expr:
    """'doc_' + the first 16 hex digits of the normalised text's sha256; identical copies get -2, -3
    in the order of the frame (sort it by path first)."""
    key = pl.col(content_key)
    base = pl.lit("doc_") + key.str.slice(0, 16)
    # copies counted over the repeated keys only: a window with a group per key (100k groups) cost more
    # than the rest of ingest; the unrepeated keys share one group, whose count is never read
    copy = key.cum_count().over(pl.when(key.is_duplicated()).then(key))
    return pl.when(key.is_first_distinct()).then(base).otherwise(base + pl.lit("-") + copy.cast(pl.String)).alias("document_id")


def session_id(record, summary: DocumentSummary, document_id: str, index: int) -> str:
    """A session's folded title and date; without a date, what identifies it on its page (folded title,
    series, event, and the page's stated address or title), so that an edit elsewhere on the page keeps
    it; only a session with nothing of its own takes the document's id and its place."""
    if record.title_key and record.date:
        return stable_id("ses", record.title_key, record.date.isoformat())
    page = fold(summary.url) or session_title_key(summary.title)
    if record.title_key and page:
        return stable_id("ses", record.title_key, fold(record.series), fold(record.event), page)
    if page and (record.series or record.event or record.date):
        return stable_id("ses", fold(record.series), fold(record.event), record.date, page, index)
    return stable_id("ses", document_id, index)


def repeated_session_id(session_id_: str, index: int) -> str:
    """One page stating two sessions with one title and date: the second by its place on the page."""
    return stable_id("ses", session_id_, index)


def person_id(name_key: str, *affiliation: str) -> str:
    """A name key; when one name is several humans, the key and what sets each apart (countries,
    organization words)."""
    return stable_id("per", name_key, *affiliation)


def split_person_id(person_id_: str, sessions: list[str]) -> str:
    """A reviewed split: the person's participations in `sessions` become another person."""
    return stable_id("per", person_id_, "split", *sorted(sessions))


def argument_id(session_id_: str, speaker_key: str, text: str) -> str:
    return stable_id("arg", session_id_, speaker_key, fold(text))


def agreement_id(session_id_: str, kind: str, statement: str) -> str:
    return stable_id("agr", session_id_, kind, fold(statement))


def duplicate_cluster_id(members: list[str]) -> str:
    return stable_id("dup", *sorted(members))
