"""De-duplication and identity on the labelled set: copies, sessions across documents, people."""
from __future__ import annotations

import polars as pl
import pytest
import yaml

from pipeline.ingest import read_raw_documents
from devtools.labelled import SEEDS, build_labelled_corpus
from pipeline.incremental.assembly_cache import build_tables
from pipeline.incremental.parse_cache import parse_raw_documents
from pipeline.stages import deduplicate


def _build(folder, overrides=None):
    raw = read_raw_documents(folder)
    parsed = parse_raw_documents(raw)
    duplicates, canonical = deduplicate(parsed)
    return build_tables(raw, parsed, duplicates, canonical, overrides)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled")
    truth = build_labelled_corpus(folder)
    return folder, truth, _build(folder)


def test_every_copy_is_found_by_its_method(labelled):
    _, _, tables = labelled
    docs = tables["documents"].select("document_id", "path")
    methods = dict(tables["duplicates"].join(docs, on="document_id").select("path", "method").iter_rows())
    assert methods == {"igf_crlf.txt": "exact", SEEDS["archive"]: "mirror", "sicw_placeholders.md": "mirror",
                       "sicw_retitled.md": "near", "sicw_script.md": "near", SEEDS["sicw"]: "near"}
    assert tables["duplicates"]["cluster_id"].n_unique() == 2


def test_copies_make_one_session_and_their_differences_are_conflicts(labelled):
    _, _, tables = labelled
    sicw = tables["sessions"].filter(pl.col("document_ids").list.len() == 6)
    assert sicw.height == 1 and sicw["title"][0] == "Solidarity in Cyberspace: How To Assist Countries in Need"
    fields = set(tables["conflicts"].filter(pl.col("session_id") == sicw["session_id"][0])["field"])
    assert {"title", "participants"} <= fields
    # nothing is dropped: the session keeps every participant any member attests
    assert tables["participants"].filter(pl.col("session_id") == sicw["session_id"][0]).height == 12


def test_different_sessions_on_one_template_stay_apart(labelled):
    _, _, tables = labelled
    titles = set(tables["sessions"]["title"].drop_nulls())
    assert {"Regional CERT Cooperation in Practice", "Securing Undersea Cables"} <= titles


def test_a_person_written_three_ways_is_one_person(labelled):
    _, _, tables = labelled
    people = tables["people"].filter(pl.col("name_variants").list.contains("Jurate Soviene"))
    assert people.height == 1
    assert people["name"][0] == "Jūratė Šovienė"
    assert set(people["name_variants"][0]) == {"Jurate Soviene", "Jūratė Šovienė", "JŪRATĖ ŠOVIENĖ"}
    assert people["session_count"][0] == 3


def test_namesakes_with_conflicting_affiliations_stay_apart(labelled):
    _, _, tables = labelled
    kohs = tables["people"].filter(pl.col("name") == "David Koh")
    assert kohs.height == 2
    candidates = tables["person_candidates"]
    pair = candidates.filter(pl.col("person_id").is_in(kohs["person_id"].implode())
                             & pl.col("other_person_id").is_in(kohs["person_id"].implode()))
    assert pair.height == 1 and "conflicting affiliations" in pair["reason"][0]
    assert "New Zealand" in pair["reason"][0] and "Singapore" in pair["reason"][0]


def test_reviewed_overrides_merge_and_split(labelled, tmp_path):
    folder, _, tables = labelled
    kohs = sorted(tables["people"].filter(pl.col("name") == "David Koh")["person_id"])
    lahoti = tables["people"].filter(pl.col("name") == "Anil Kumar Lahoti")["person_id"][0]
    sessions = tables["participants"].filter(pl.col("person_id") == lahoti)["session_id"].sort()
    overrides_file = tmp_path / "overrides.yaml"
    overrides_file.write_text(yaml.safe_dump({"merge": [{"ids": kohs, "reason": "one David Koh"}],
                                              "split": [{"person_id": lahoti, "sessions": [sessions[0]], "reason": "namesake"}]}))
    from pipeline.stages import load_overrides
    merged = _build(folder, load_overrides(str(overrides_file)))
    people = merged["people"]
    assert people.filter(pl.col("name") == "David Koh").height == 1
    assert people.filter(pl.col("name") == "David Koh")["person_id"][0] == kohs[0]
    assert people.filter(pl.col("name") == "Anil Kumar Lahoti").height == 2
    assert merged["person_candidates"].filter(pl.col("reason").str.contains("David Koh")).height == 0


def test_proposal_and_report_of_one_workshop_are_one_session(tmp_path):
    proposal = ("Title: WS #42 Cyber Norms in Practice\nDate: 6 December 2023\n"
                "Organizer 1: Ana Silva, Digital Rights Foundation\nRound Table - U-shape - 60 Min\n")
    report = ("Cyber Norms in Practice\n6 Dec 2023 10:00h - 11:00h\nSession at a glance\nSummary\nS.\nSpeakers\n"
              "– **Ana Silva**: Role/Title: Moderator, Area of expertise: Norms\nFull session report\nR.\n"
              "Session transcript\nAna Silva: Welcome.\nAna Silva\nSpeech speed\n100 words per minute\nSpeech length\n"
              "10 words\nSpeech time\n6 seconds\n")
    (tmp_path / "proposal.txt").write_text(proposal)
    (tmp_path / "report.txt").write_text(report)
    tables = _build(tmp_path)
    assert tables["sessions"].height == 1
    assert tables["sessions"]["document_ids"][0].len() == 2
    person = tables["participants"]
    assert person.height == 1 and set(person["roles"][0]) == {"organizer", "moderator", "speaker"}


def test_the_labelled_set_is_the_same_wherever_the_command_starts(tmp_path, monkeypatch):
    """The bench and these tests build the labelled set from the checkout's seeds, also when the working
    directory is another folder (which has no raw/ of its own)."""
    here = sorted(p.name for p in _labelled_files(tmp_path / "here"))
    monkeypatch.chdir(tmp_path)
    elsewhere = sorted(p.name for p in _labelled_files(tmp_path / "elsewhere"))
    assert here == elsewhere and set(SEEDS.values()) <= set(here)


def _labelled_files(folder):
    build_labelled_corpus(folder)
    return [p for p in folder.iterdir() if p.is_file()]
