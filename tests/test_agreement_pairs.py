"""The agreement network table: every pair of people of every agreements row, both ways."""
from __future__ import annotations


import schemas
from pipeline.transform.agreement_pairs import agreement_pairs


def test_pairs_of_one_agreement_both_ways_without_self_pairs():
    agreements = schemas.frame("agreements", [
        {"agreement_id": "agr_0000000000000001", "session_id": "ses_0000000000000001", "kind": "agreement",
         "statement": "s", "topics": [], "speakers": [], "argument_ids": [], "document_ids": [],
         "person_ids": ["per_000000000000000a", "per_000000000000000b", "per_000000000000000c", "per_000000000000000a"]},
        {"agreement_id": "agr_0000000000000002", "session_id": "ses_0000000000000001", "kind": "disagreement",
         "statement": "t", "topics": [], "speakers": [], "argument_ids": [], "document_ids": [],
         "person_ids": ["per_000000000000000b"]},
    ])
    pairs = agreement_pairs(agreements)
    schemas.TABLES["agreement_pairs"].model.validate(pairs, lazy=True)
    assert pairs.select("person_id", "other_person_id").rows() == [
        ("per_000000000000000a", "per_000000000000000b"), ("per_000000000000000a", "per_000000000000000c"),
        ("per_000000000000000b", "per_000000000000000a"), ("per_000000000000000b", "per_000000000000000c"),
        ("per_000000000000000c", "per_000000000000000a"), ("per_000000000000000c", "per_000000000000000b")]
    assert set(pairs["kind"]) == {"agreement"}  # one person alone makes no pair


def test_seed_agreement_network(q):
    assert q("SELECT count(*) FROM agreement_pairs") == [(48,)]
    differed = q("""SELECT p.name, o.name, a.kind FROM agreement_pairs a JOIN people p USING (person_id)
                    JOIN people o ON o.person_id = a.other_person_id
                    WHERE a.kind IN ('disagreement', 'unexpected_difference') ORDER BY 1, 2, 3""")
    assert differed == [("Fahmi Fadzil", "Sally Wentworth", "disagreement"),
                        ("Fahmi Fadzil", "Sally Wentworth", "unexpected_difference"),
                        ("Sally Wentworth", "Fahmi Fadzil", "disagreement"),
                        ("Sally Wentworth", "Fahmi Fadzil", "unexpected_difference")]
    # every pair comes from an agreements row that names both people
    assert q("""SELECT count(*) FROM agreement_pairs a JOIN agreements g USING (agreement_id, session_id, kind)
                WHERE list_contains(g.person_ids, a.person_id) AND list_contains(g.person_ids, a.other_person_id)""") == [(48,)]
    comment = q("SELECT comment FROM duckdb_columns() WHERE table_name = 'agreement_pairs' AND column_name = 'other_person_id'")
    assert "both ways" in comment[0][0]
