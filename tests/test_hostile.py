"""Bad input is a normal day: every hostile file gets a clear outcome, the rest of the corpus is
unaffected, and nothing is dropped silently. One build over the seeds plus every hostile case."""
from __future__ import annotations

import os
import shutil
import struct
import zlib

import duckdb
import pytest

from tests.conftest import RAW, SEEDS, run_build

CONCEPT = "Forum {n}\n\nSession {n}\n\n{title}\n\nWhy this session matters.\n\nKey Topics of Discussion\n\nTopic A\n\nTopic B\n"
REPORT = (RAW / SEEDS["diplo"]).read_text(encoding="utf-8")


def _png() -> bytes:
    raw = b"\x00" + b"\xff\x00\x00" * 4
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _report(title: str, transcript: str, speakers: str = "– **Ann Lee**: Role/Title: Chair, Area of expertise: Policy\n") -> str:
    return (f"{title}\n3 Feb 2025 10:00h - 11:00h\nSession at a glance\nSummary\nA summary.\nSpeakers\n{speakers}"
            f"Full session report\nText.\nSession transcript\n{transcript}")


HOSTILE = {
    # name: (bytes, expected status, a phrase the problems must contain)
    "empty.txt": (b"", "rejected", "empty file"),
    "image.png": (_png(), "rejected", "binary"),
    "invalid_utf8.txt": (CONCEPT.format(n=11, title="Caf\xe9 diplomacy \xff\xfe").encode("latin-1"), "partial", "invalid UTF-8"),
    "utf16_bom.txt": (CONCEPT.format(n=12, title="UTF-16 with BOM").encode("utf-16"), "parsed", None),
    "utf16_nobom.txt": (CONCEPT.format(n=13, title="UTF-16 without BOM").encode("utf-16-le"), "partial", "without byte order mark"),
    "cp1252.txt": (CONCEPT.format(n=14, title="Café – “Señor” diplomacy").encode("cp1252"), "partial", "invalid UTF-8"),
    "utf8_bom.txt": (b"\xef\xbb\xbf" + CONCEPT.format(n=15, title="UTF-8 with BOM").encode(), "parsed", None),
    "crlf_mixed.txt": (CONCEPT.format(n=16, title="Mixed line endings").replace("\n\n", "\r\n\r\n", 2).replace("\n", "\r", 1).encode(), "parsed", None),
    "nul_bytes.txt": (CONCEPT.format(n=17, title="NUL\x00 bytes").encode(), "partial", "NUL"),
    "cut_off_report.txt": (REPORT.replace("Leaders TalkX: Towards", "Cut TalkX: Towards")[: len(REPORT) // 3].encode(), "partial", "no speaker statistics"),
    "no_statistics.txt": (_report("Stats-free talk", "Ann Lee: Hello.\nAnn Lee\nRules matter\nExplanation\nBecause.\nTopics\nCybersecurity\n"
                                   "Follow-up questions\nWhat next?\n").encode(), "parsed", None),
    "missing_cell.md": (b'---\ntitle: "Missing cell"\npermalink: /missing-cell/\nvariant: markdown\n---\n**9 May 2025**\n|**Speakers**| |\n| [Mr Solo Cell](/speakers/solo/) |\n', "parsed", None),
    "duplicated_sections.txt": (_report("Twice summarised", "Ann Lee: Hi.\n").replace("Speakers\n", "Summary\nAgain.\nSpeakers\n", 1).encode(), "partial", "appears again"),
    "long_transcript.txt": (_report("Marathon", "".join(f"Ann Lee: Turn {i}.\n" if i % 2 else f"Bo Chen: Reply {i}.\n" for i in range(10_000)),
                                    "– **Ann Lee**: Role/Title: Chair, Area of expertise: Policy\n– **Bo Chen**: Role/Title: Expert, Area of expertise: Law\n").encode(), "partial", "no speaker statistics"),
    "non_latin.txt": (_report("Scripts of the world", "王小明: 你好。\nДмитрий Иванов: Привет.\nمحمد علي: مرحبا.\n",
                              "– **王小明**: Role/Title: Researcher, Area of expertise: AI\n– **Дмитрий Иванов**: Role/Title: Diplomat, Area of expertise: Norms\n"
                              "– **محمد علي**: Role/Title: Engineer, Area of expertise: CERT\n").encode(), "partial", "no speaker statistics"),
    "bad_yaml.md": (b'---\ntitle: "Broken: [yaml\npermalink: /bad-yaml/\n---\n**1 May 2025**\n| [Mr Z Ho](/speakers/z/) | *CEO*<br>Firm |\n', "partial", "YAML"),
    "unknown_format.txt": (b"Grocery list\n\neggs\nmilk\n", "rejected", "no session stated"),
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, monkeypatch_module):
    raw = tmp_path_factory.mktemp("hostile_raw")
    for name in SEEDS.values():
        shutil.copy(RAW / name, raw / name)
    for name, (data, _, _) in HOSTILE.items():
        (raw / name).write_bytes(data)
    with open(raw / "big.txt", "wb") as handle:  # 100 MB of text
        line = b"lorem ipsum dolor sit amet " * 40 + b"\n"
        for _ in range(100 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    os.symlink(".", raw / "loop")                      # a symlink loop
    os.symlink("no-such-file.txt", raw / "dangling.txt")
    os.mkfifo(raw / "pipe.txt")
    locked = raw / "unreadable.txt"
    locked.write_text(CONCEPT.format(n=18, title="Locked away"))
    locked.chmod(0)
    import pipeline.ingest as ingest
    real = ingest.read_bytes

    def refuse(path):  # root reads mode-000 files anyway: refuse as the kernel would for anyone else
        if path.endswith("unreadable.txt"):
            raise PermissionError(13, "Permission denied")
        return real(path)
    monkeypatch_module.setattr(ingest, "read_bytes", refuse)
    out = tmp_path_factory.mktemp("hostile_out")
    result = run_build(raw, out)
    assert result.success
    con = duckdb.connect(str(out / "cyberdialogue.duckdb"), read_only=True)
    yield con, result
    con.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _doc(con, path):
    rows = con.execute("SELECT status, problems, format, document_id FROM documents WHERE path = ?", [path]).fetchall()
    assert rows, f"{path} is not in documents"
    return rows[0]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_has_a_clear_outcome(hostile_build, name):
    con, _ = hostile_build
    status, problems, _, document_id = _doc(con, name)
    _, expected, phrase = HOSTILE[name]
    assert status == expected, problems
    if phrase:
        assert any(phrase in p for p in problems), problems
    if status == "rejected":
        assert con.execute("SELECT count(*) FROM rejects WHERE document_id = ? AND \"table\" = 'documents'", [document_id]).fetchone()[0] == 1


@pytest.mark.parametrize("path,phrase", [("big.txt", "too large"), ("loop", "symlink loop"), ("dangling.txt", "not readable"),
                                         ("pipe.txt", "not a regular file"), ("unreadable.txt", "Permission denied")])
def test_files_that_cannot_be_read_are_rejected_with_the_reason(hostile_build, path, phrase):
    con, _ = hostile_build
    status, problems, fmt, _ = _doc(con, path)
    assert (status, fmt) == ("rejected", "unknown")
    assert any(phrase in p for p in problems), problems


def test_the_seeds_are_unaffected(hostile_build, q):
    con, result = hostile_build
    for sql in ("SELECT count(*) FROM participants WHERE session_id IN (SELECT session_id FROM sessions WHERE list_contains(document_ids, (SELECT document_id FROM documents WHERE path = '003_6775f7a9c617e30c.txt')))",
                "SELECT count(*) FROM arguments WHERE speaker = 'Fahmi Fadzil'",
                "SELECT count(*) FROM agreements WHERE statement LIKE 'Approach to regulating%'",
                "SELECT string_agg(name, ',' ORDER BY name) FROM people WHERE name LIKE 'Y%'"):
        assert con.execute(sql).fetchone() == tuple(q(sql)[0])
    failed = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed]
    assert failed == []


def test_decoded_texts_are_right(hostile_build):
    con, _ = hostile_build
    titles = {r[0] for r in con.execute("SELECT title FROM sessions").fetchall()}
    assert {"Café – “Señor” diplomacy", "UTF-16 with BOM", "UTF-16 without BOM", "UTF-8 with BOM", "Mixed line endings", "NUL bytes"} <= titles
    assert any(t and t.startswith("Café diplomacy") for t in titles)


def test_big_transcript_and_other_scripts(hostile_build):
    con, _ = hostile_build
    assert con.execute("SELECT count(*) FROM utterances u JOIN sessions s USING (session_id) WHERE s.title = 'Marathon'").fetchone()[0] == 10_000
    names = {r[0] for r in con.execute("SELECT name FROM people").fetchall()}
    assert {"王小明", "Дмитрий Иванов", "محمد علي", "Solo Cell", "Z Ho"} <= names
    keys = con.execute("SELECT count(DISTINCT person_id) FROM people WHERE name IN ('王小明', 'Дмитрий Иванов', 'محمد علي')").fetchone()[0]
    assert keys == 3


def test_every_file_is_a_document(hostile_build):
    con, _ = hostile_build
    expected = len(SEEDS) + len(HOSTILE) + 5  # + big, loop, dangling, pipe, unreadable
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == expected
