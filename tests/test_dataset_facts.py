"""Every fact DATASET.md says the seeds must yield, asserted with SQL over the built DuckDB database."""
from __future__ import annotations

import datetime as dt

from tests.conftest import SEEDS

SICW = "Solidarity in Cyberspace: How To Assist Countries in Need"
TALKX = "Leaders TalkX: Towards a safer connected world: collaborative strategies to strengthen digital trust and cyber resilience"


def doc_id(q, key):
    return q("SELECT document_id FROM documents WHERE path = ?", SEEDS[key])[0][0]


def session_of(q, key):
    return q("SELECT session_id FROM sessions WHERE list_contains(document_ids, ?)", doc_id(q, key))[0][0]


def test_four_sessions(q):
    assert q("SELECT count(*) FROM sessions")[0][0] == 4
    assert session_of(q, "sicw") == session_of(q, "sicw_archive")


def test_every_seed_is_a_document(q):
    rows = dict(q("SELECT path, format FROM documents"))
    assert rows == {SEEDS["sicw"]: "isomer_event", SEEDS["sicw_archive"]: "isomer_event", SEEDS["igf"]: "igf_proposal",
                    SEEDS["diplo"]: "diplo_report", SEEDS["concept"]: "concept_note"}


def test_sicw_session(q):
    sid = session_of(q, "sicw")
    row = q("SELECT title, date, start_time, end_time, utc_offset, duration_minutes, len(document_ids), quality_flags "
            "FROM sessions WHERE session_id = ?", sid)[0]
    assert row[:7] == (SICW, dt.date(2024, 10, 15), dt.time(16, 0), dt.time(17, 30), "+08:00", 90, 2)
    assert "mirror_conflict" in row[7]


def test_sicw_participations_each_attested_by_its_page(q):
    sid = session_of(q, "sicw")
    live, archive = doc_id(q, "sicw"), doc_id(q, "sicw_archive")
    rows = q("SELECT name, roles, document_ids FROM participants WHERE session_id = ? ORDER BY name", sid)
    assert len(rows) == 12
    by_page = {live: [], archive: []}
    for name, roles, documents in rows:
        assert len(documents) == 1
        by_page[documents[0]].append((name, roles))
    assert len(by_page[live]) == 6 and len(by_page[archive]) == 6
    assert [n for n, r in by_page[live] if "moderator" in r] == ["Gaurav Keerthi"]
    assert [n for n, r in by_page[archive] if "moderator" in r] == ["Tadeusz Chomicki"]
    assert sum("panellist" in r for _, r in by_page[archive]) == 5
    assert sum("speaker" in r for _, r in by_page[live]) == 5


def test_sicw_speaker_lists_are_conflicts(q):
    sid = session_of(q, "sicw")
    rows = dict(q("SELECT document_id, value FROM conflicts WHERE session_id = ? AND field = 'participants'", sid))
    assert "David Koh" in rows[doc_id(q, "sicw")] and "David Koh" not in rows[doc_id(q, "sicw_archive")]
    assert "Tadeusz Chomicki" in rows[doc_id(q, "sicw_archive")]


def test_sicw_affiliations(q):
    rows = q("SELECT p.name, pa.position, pa.organization, pa.country, pa.honorific FROM participants pa "
             "JOIN people p USING (person_id) WHERE p.name IN ('Tadeusz Chomicki', 'David Koh', 'Craig Stephen')  ORDER BY 1")
    assert rows == [
        ("Craig Stephen", "Executive Vice President", "Oracle", None, "Mr"),
        ("David Koh", "Commissioner of Cybersecurity & Chief Executive (CE)", "Cyber Security Agency of Singapore (CSA)", "Singapore", "Mr"),
        ("Tadeusz Chomicki", "Director for Cyber Foreign and Security Policy", "Security Policy Department, Ministry of Foreign Affairs", "Poland", "H.E."),
    ]


def test_igf_people(q):
    sid = session_of(q, "igf")
    rows = {r[0]: r[1:] for r in q(
        "SELECT name, roles, organization, stakeholder_group, regional_group FROM participants WHERE session_id = ?", sid)}
    assert len(rows) == 7
    assert set(rows["Yuan XU"][0]) == {"organizer", "listed"}
    assert rows["Yuan XU"][1:] == ("CNCERT/CC", "Civil Society", "Asia-Pacific Group")
    assert rows["Manuel Ifland"][2:] == ("Private Sector", "Western European and Others Group (WEOG)")
    assert rows["Shuyi LOU"] == (["organizer"], "CNCERT/CC", None, None)


def test_igf_session(q):
    sid = session_of(q, "igf")
    assert q("SELECT title, date, session_format, duration_minutes, quality_flags FROM sessions WHERE session_id = ?", sid)[0] == (
        None, None, "Round Table - U-shape", 60, ["missing_title", "missing_date"])
    counts = dict(q("SELECT kind, count(*) FROM session_items WHERE session_id = ? GROUP BY kind", sid))
    assert counts == {"policy_question": 6, "sdg_goal": 6}
    assert q("SELECT text FROM session_items WHERE session_id = ? AND kind = 'sdg_goal' AND seq = 5", sid)[0][0] == \
        "GOAL 16: Peace, Justice and Strong Institutions"


def test_talkx_session(q):
    sid = session_of(q, "diplo")
    row = q("SELECT title, series, date, start_time, end_time, duration_minutes FROM sessions WHERE session_id = ?", sid)[0]
    assert row == (TALKX, "Leaders TalkX", dt.date(2025, 7, 9), dt.time(11, 30), dt.time(12, 0), 30)


def test_talkx_people(q):
    sid = session_of(q, "diplo")
    names = [r[0] for r in q("SELECT name FROM participants WHERE session_id = ? ORDER BY name", sid)]
    assert len(names) == 9 and "Introduction" not in names
    assert q("SELECT roles FROM participants WHERE session_id = ? AND name = 'Lucien Castex'", sid)[0][0] == ["moderator", "speaker"]
    assert q("SELECT count(*) FROM people WHERE name = 'Introduction'")[0][0] == 0
    assert q("SELECT speaker_kind, speech_speed_wpm FROM speaker_labels WHERE speaker = 'Introduction'")[0] == ("label", 135)
    assert q("SELECT speech_speed_wpm, speech_length_words, speech_time_seconds FROM participants "
             "WHERE session_id = ? AND name = 'Fahmi Fadzil'", sid)[0] == (119, 343, 172)


def test_talkx_counts(q):
    sid = session_of(q, "diplo")
    assert q("SELECT count(*) FROM utterances WHERE session_id = ?", sid)[0][0] == 18
    assert q("SELECT count(*) FROM arguments WHERE session_id = ?", sid)[0][0] == 23
    kinds = dict(q("SELECT kind, count(*) FROM agreements WHERE session_id = ? GROUP BY kind", sid))
    assert kinds == {"agreement": 4, "similar_viewpoints": 3, "unexpected_consensus": 2, "disagreement": 1, "unexpected_difference": 1}
    assert q("SELECT person_id IS NULL, speaker_kind FROM utterances WHERE session_id = ? AND seq = 1", sid)[0] == (True, "label")


def test_argument_agreement_links(q):
    # Fahmi Fadzil's first argument: agreed on the international cooperation row, disagreed on the big-tech row
    arg = q("SELECT argument_id, person_id FROM arguments WHERE speaker = 'Fahmi Fadzil' AND text LIKE 'ASEAN countries%'")[0]
    linked = dict(q("SELECT kind, statement FROM agreements WHERE list_contains(argument_ids, ?)", arg[0]))
    assert linked["agreement"] == "International cooperation strengthens cybersecurity capabilities"
    assert linked["disagreement"] == "Approach to regulating big tech companies"
    assert q("SELECT list_contains(person_ids, ?) FROM agreements WHERE kind = 'disagreement'", arg[1])[0][0]


def test_concept_note(q):
    sid = session_of(q, "concept")
    assert q("SELECT title, series FROM sessions WHERE session_id = ?", sid)[0] == (
        "Enhancing International Cooperation for Safe and Secure Cyberspace", "Special Session 2")
    assert q("SELECT count(*) FROM session_items WHERE session_id = ? AND kind = 'key_topic'", sid)[0][0] == 3
    assert q("SELECT text FROM session_texts WHERE session_id = ? AND kind = 'forum_theme'", sid)[0][0] == \
        "Borderless Security Crises and Multilateral Responses"


def test_people_are_unique_humans(q):
    assert q("SELECT count(*) FROM people")[0][0] == 28
    assert q("SELECT count(*) FROM people WHERE name LIKE 'Mr %' OR name LIKE 'H.E.%' OR name LIKE 'Prof %'")[0][0] == 0


def test_duplicates_and_documents(q):
    live, archive = doc_id(q, "sicw"), doc_id(q, "sicw_archive")
    assert q("SELECT document_id, canonical_document_id, method FROM duplicates") == [(archive, live, "mirror")]
    assert q("SELECT status, canonical_document_id FROM documents WHERE document_id = ?", archive)[0] == ("duplicate", live)
    assert q("SELECT url FROM documents WHERE document_id = ?", live)[0][0] == "/solidarity-in-cyberspace-how-to-assist-countries-in-need/"
