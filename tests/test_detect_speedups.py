"""Format detection's shortcuts give what the plain forms give: each test runs the shortcut and the
regex it stands for (as the detectors read before) on variants, edge cases of case folding included."""
from __future__ import annotations

import re

import pytest

from pipeline.model.text import LinePattern
from pipeline.sources import detect_format, diplo_report, igf_proposal, isomer_event

TEXTS = [
    "", "\n", "Speakers", "speaker", "SPEAKERS:", "loudspeaker and Speakers", "loudspeakers only",
    "ſpeakers", "ſpeaker list", "\u0130stanbul moderator", "\u0130\u0130 Programme", "x" * 30 + "Moderators",
    "programmes", "the programme.", "a Speakers' corner", "MODERATOR", "moderator" + "\u0130" * 5,
    "line one\nProgramme\n", "speaker\u212a", "Ⓢpeaker", "speaker" + "x" * 25000,
    "x" * 19995 + " speaker", "x" * 19990 + " speaker", "\u0130" * 50 + " speaker",
]


@pytest.mark.parametrize("text", TEXTS)
def test_event_words_as_the_regex_reads_them(text):
    plain = bool(re.search(r"\bspeakers?\b|\bprogramme\b|\bmoderator\b", text[:20000], re.I))
    assert isomer_event._names_event_words(text, 20000) is plain


LINE_CASES = [
    (r"\s*Organi[sz]er \d+\s*:", 0, ["Organiser 1: x", "intro\n  Organizer 2 :", "x Organiser 1:", "\n\nOrganiser 3:",
                                     "a\n\n  \nOrganizer 12:\n", "Organiser 1", ""]),
    (r"\d{1,2}\.\s*Title\s*$", 0, ["6. Title", "6. Title\nnext", "x\n6.Title  \n", "6. Title here", "16. Title"]),
    (r"(?:agenda|programme|program)\b", re.I, ["AGENDA", "x\nProgramme item", "programmes", "x agenda", "\nprogram"]),
    (r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{1,2}:\d{2}h", 0, ["13 May 2025 12:00h", "x\n3 Jun 2024 9:30h - 10h",
                                                        "x 13 May 2025 12:00h", "\n\n1 Jan 2020 1:00h"]),
]


@pytest.mark.parametrize(("pattern", "flags", "texts"), LINE_CASES)
def test_line_pattern_finds_what_a_multiline_caret_finds(pattern, flags, texts):
    found = LinePattern(pattern, flags)
    for text in texts:
        assert found.found_in(text) is bool(re.search("^" + pattern, text, flags | re.M)), text


def test_detectors_on_variant_pages():
    """The detectors that use the shortcuts still tell the families apart."""
    igf = "IGF 2023 WS #12 Title of the workshop\nOrganizer 1: Civil Society, African Group\nSpeaker 1: A B"
    assert igf_proposal.looks_like(igf) >= 7
    assert detect_format(igf) == "igf_proposal"
    diplo = "Session at a glance\n13 May 2025 12:00h - 13:30h\nSpeech speed\n120 words per minute\n"
    assert diplo_report.looks_like(diplo) == 2 + 2 + 3
    assert detect_format(diplo) == "diplo_report"
    event = "---\npermalink: /events/x\n---\n# Cyber week\n\nProgramme\n\nModerator: A B"
    assert isomer_event.looks_like(event) == 5
    assert detect_format(event) == "isomer_event"
