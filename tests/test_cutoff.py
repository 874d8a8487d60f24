"""Hostile input: documents cut off part-way are `partial` and say where they stop, and bytes that do not
decode never become a person (the build goes on; nothing is invented)."""
from __future__ import annotations

import duckdb
import pytest

from pipeline.cli import main
from pipeline.sources import parse_document
from tests.conftest import RAW, SEEDS

# Where each seed is cut: inside a sentence, a table row, a report's later sections or a list's entries.
CUTS = {"sicw": (0.3, 0.5, 0.6, 0.7, 0.8), "igf": (0.3, 0.4, 0.5, 0.6, 0.8, 0.9),
        "diplo": (0.3, 0.5, 0.6, 0.7, 0.8, 0.9), "concept": (0.3, 0.5, 0.7, 0.8, 0.9)}


@pytest.mark.parametrize("key,fraction", [(k, f) for k, fs in CUTS.items() for f in fs])
def test_a_seed_cut_part_way_is_partial_and_says_where_it_stops(key, fraction):
    text = (RAW / SEEDS[key]).read_text(encoding="utf-8")
    doc = parse_document(text[:int(len(text) * fraction)])
    assert doc.sessions, "a cut document still states what it has"
    assert doc.truncated or doc.problems
    assert any(word in " ".join(doc.problems) for word in ("stops", "missing", "cut off", "no ")), doc.problems


@pytest.mark.parametrize("key", ["sicw", "igf", "diplo", "concept"])
def test_the_whole_seed_is_not_marked_cut(key):
    doc = parse_document((RAW / SEEDS[key]).read_text(encoding="utf-8"))
    assert not doc.truncated and doc.problems == []


def test_the_report_cut_in_half_is_partial_in_the_build(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (RAW / SEEDS["diplo"]).read_text(encoding="utf-8")
    (raw / "half.txt").write_text(text[:len(text) // 2], encoding="utf-8")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--bounds", ""]) == 0
    con = duckdb.connect(str(tmp_path / "out" / "cyberdialogue.duckdb"), read_only=True)
    status, problems = con.execute("SELECT status, problems FROM documents").fetchone()
    con.close()
    assert status == "partial" and any("stops" in p or "missing" in p for p in problems)


def test_undecodable_bytes_never_become_a_person(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "garbage.txt").write_bytes(b"Organizer 1: \xff\xfe\xfd broken, CNCERT/CC\n" * 20)
    (raw / "mixed.txt").write_bytes(b"Cyber Day 2024\n\n3 May 2024, 10am - 11am\n\nSpeakers: Ana Silva, Director, X Lab\n"
                                    b"Moderator: \xc3\xbf\xc3\xbe broken, CNCERT/CC\n")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--bounds", ""]) == 0
    con = duckdb.connect(str(tmp_path / "out" / "cyberdialogue.duckdb"), read_only=True)
    names = [r[0] for r in con.execute("SELECT name FROM people ORDER BY 1").fetchall()]
    garbage = con.execute("SELECT status, problems FROM documents WHERE path = 'garbage.txt'").fetchone()
    con.close()
    assert names == ["Ana Silva"]
    assert garbage[0] == "rejected" and "no session stated in the text" in garbage[1]
