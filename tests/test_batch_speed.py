"""The session batches' quicker paths give the very frames of the plain ones."""
from __future__ import annotations

import datetime as dt

import schemas
from pipeline.transform.assembly import store
from pipeline.transform.assembly.store import SESSION_NAMES, SESSION_REJECTS, table_frame


def _plain(name: str, rows: list[dict], sort: bool):
    """table_frame as it was: a lookup per cell (row.get), schemas.frame for the public tables."""
    if name in store._PRIVATE_COLUMNS:
        cols = store._PRIVATE_COLUMNS[name]
        return schemas.columns_frame({c: [row.get(c) for row in rows] for c in cols}, cols)
    return schemas.frame(name, rows, sort)


def _utterance(session: str, seq: int, **extra) -> dict:
    row = {"session_id": session, "seq": seq, "person_id": None if seq % 3 == 0 else f"per_{seq:016x}",
           "speaker": f"Speaker {seq % 4}", "speaker_kind": "person" if seq % 3 else "label", "text": f"turn {seq} é",
           "word_count": 3, "document_id": "doc_0000000000000001"}
    row.update(extra)
    return row


def _session(session: str, title: str | None) -> dict:
    row = {"session_id": session, "document_ids": ["doc_0000000000000002", "doc_0000000000000001"],
           "quality_flags": [] if title else ["missing_title"]}
    row.update(dict.fromkeys(schemas.columns("sessions")))
    row.update(session_id=session, title=title, date=dt.date(2024, 5, 2), start_time=dt.time(9, 30),
               duration_minutes=90, document_ids=["doc_0000000000000002", "doc_0000000000000001"],
               quality_flags=[] if title else ["missing_title"])
    return row


def _same(a, b) -> bool:
    return a.schema == b.schema and a.equals(b, null_equal=True)


def test_table_frame_is_the_plain_frame_sorted_or_not():
    utterances = [_utterance(f"ses_{9 - i % 3:016x}", 10 - i) for i in range(10)]
    sessions = [_session("ses_00000000000000b2", None), _session("ses_00000000000000a1", "Norms")]
    for name, rows in (("utterances", utterances), ("sessions", sessions)):
        for sort in (True, False):
            assert _same(table_frame(name, rows, sort), _plain(name, rows, sort))
    assert table_frame("utterances", utterances)["seq"].to_list()[:3] == [2, 5, 8]  # ses_..7 first


def test_a_row_with_extra_keys_or_without_a_column_gives_the_plain_frame():
    extra = [_utterance("ses_0000000000000001", 1, _private="x"), _utterance("ses_0000000000000001", 2)]
    missing = [_utterance("ses_0000000000000001", 1), _utterance("ses_0000000000000001", 2)]
    del missing[1]["person_id"]  # read as null, as schemas.frame reads it
    for rows in (extra, missing):
        assert _same(table_frame("utterances", rows, False), _plain("utterances", rows, False))
    assert table_frame("utterances", missing, False)["person_id"].to_list() == ["per_0000000000000001", None]


def test_the_private_tables_and_no_rows():
    names = [{"session_id": "ses_2", "person_id": "per_1", "name": "Ana", "count": 2},
             {"session_id": "ses_1", "person_id": "per_1", "name": "Ána", "count": 1}]
    rejects = [{"session_id": "ses_1", "document_id": "doc_1", "path": None, "table": "agreements",
                "rule": "no match", "offending_values": "{}"}]
    for name, rows in ((SESSION_NAMES, names), (SESSION_REJECTS, rejects), ("utterances", [])):
        for sort in (True, False):
            assert _same(table_frame(name, rows, sort), _plain(name, rows, sort))
    assert table_frame(SESSION_NAMES, names)["session_id"].to_list() == ["ses_2", "ses_1"]  # never sorted here
