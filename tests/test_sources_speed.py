"""The family detectors' and parsers' shortcuts give what the plain forms give: each test runs the
shortcut and the plain form it stands for (as the code read before) on variants written for it, newlines,
case and the characters whose lowering is special included."""
from __future__ import annotations

import itertools
import re

import pytest

from pipeline.model.text import lowered_for_words
from pipeline.sources import concept_note, detect_format, diplo_report, igf_proposal, isomer_event
from pipeline.sources.common import LineWords

WORDS = ["Speech speed\n", "Agreement points\n", "GOAL ", "full session report", "session transcript\n"]
PIECES = ["", "\n", "x", "\nSpeech speed", "\nSpeech speed\n", "Agreement points\n", "\nAgreement points", "\nGOAL",
          "GOAL ", "\nfull session report", "\nsession transcript", "\n\n", " \n", "\u0130", "\u212a", "speech speed\n"]


def _variants():
    for a, b, c in itertools.product(PIECES, repeat=3):
        yield a + b + c
    yield "\nSpeech speed\nAgreement points\nGOAL \nfull session report\nsession transcript\n"
    yield "x" * 5000 + "\nGOAL x\nSpeech speed\n"


@pytest.mark.parametrize("words", [WORDS[:2], WORDS[2:], WORDS, ["key topics of discussion", "guiding questions"]])
def test_line_words_finds_what_a_search_per_word_finds(words):
    found = LineWords(*words)
    for text in _variants():
        assert found.found_in(text) == {w for w in words if "\n" + w in text}, repr(text)


@pytest.mark.parametrize("words", [("ab", "abc"), ("ab\n", "ab"), ("a\nb",)])
def test_line_words_refuses_words_it_could_miss(words):
    with pytest.raises(ValueError):
        LineWords(*words)


# -- the detectors as they read before (the plain forms) --------------------------------------------
def plain_diplo(text: str) -> int:
    head = lowered_for_words(text, 30000)
    score = 3 * ("\nSpeech speed\n" in text) + 2 * ("\nsession transcript\n" in head)
    score += 2 * ("\nfull session report\n" in head) + 2 * ("at a glance\n" in head[:5000])
    score += 2 * ("DiploAI" in text or "Digital Watch" in text or "DiploGPT" in text)
    score += 1 * ("\nAgreement points\n" in text) + 2 * diplo_report._SCHEDULE_LINE.found_in(text[:3000])
    return score + 1 * ("\nKeypoints\n" in head or "\nfull session report" in head or "disclaimer: this is not an official" in head)


def plain_concept(text: str) -> int:
    head = [line.strip() for line in text[:3000].split("\n") if line.strip()][:6]
    lowered = lowered_for_words(text, 20000)
    score = 3 * ("\nkey topics of discussion" in lowered or "\nguiding questions" in lowered)
    score += 3 * any(concept_note.SERIES_LINE.match(line) for line in head)
    score += 2 * bool(re.search(r"^\s*(?:agenda|programme|program)\b", text[:400].lower()[:400], re.M))
    return score + 1 * ("this session" in lowered)


def plain_isomer_front_matter(text: str) -> bool:
    return bool(re.search(r"^(?:permalink|third_nav_title|variant|layout|breadcrumb):", text[:2000], re.M))


DETECTOR_PIECES = ["", "\n", "Session at a glance\n", "at a glance\n", "\nSpeech speed\n", "Agreement points\n", "DiploAI",
                   "DiploGPT", "Digital Watch", "Diplo", "\nFull Session Report\n", "\nfull session report", "\nSession Transcript\n",
                   "\nKeypoints\n", "Disclaimer: This is not an official", "13 May 2025 12:00h - 13:30h\n", "\u0130", "\u212a",
                   "\nKey Topics of Discussion", "\nguiding questions\n", "Special Session 2\n", "  Agenda\n", "programmes",
                   "\n\n\n\n", "a\nb\nc\nd\ne\nf\ng\n", "in this session", "x" * 390, "Relevance to Theme:",
                   "Relevance to Internet Governance:", "Relevance to ", "real-time captioning", "outputs of the captioning",
                   "---\n", "permalink: /x\n", " layout: x\n", "breadcrumb:"]


def _detector_variants():
    for a, b in itertools.product(DETECTOR_PIECES, repeat=2):
        yield a + b
        yield b + "\n" + a
    for a, b, c in itertools.product(DETECTOR_PIECES[:20], repeat=3):
        yield a + b + c


def test_detectors_score_as_the_plain_forms():
    for text in _detector_variants():
        assert diplo_report.looks_like(text) == plain_diplo(text), repr(text)
        assert concept_note.looks_like(text) == plain_concept(text), repr(text)
        assert isomer_event._FRONT_MATTER_KEY.found_in(text[:2000]) is plain_isomer_front_matter(text), repr(text)
        relevance = "Relevance to Theme:" in text or "Relevance to Internet Governance:" in text
        assert bool(igf_proposal._RELEVANCE_FIELD.search(text)) is relevance


def test_detected_families():
    assert detect_format("Session at a glance\nSpeech speed\n120\nAgreement points\n- x\n") == "diplo_report"
    assert diplo_report.looks_like("x\nSpeech speed\nAgreement points\n") == 3 + 1
    assert concept_note.looks_like("Special Session 2\nTitle\n\nKey Topics of Discussion\n- a\n") == 3 + 3
    assert concept_note._first_lines("\n a \n\n b\nc\nd\ne\nf\ng\n", 6) == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize("count", [1, 6, 9])
def test_first_lines_as_a_whole_split_gives_them(count):
    lines = ["", " ", "a", " b ", "\t", "c d", "e", "", "f", "g", "h", "i", "j", "k", "l", "m", "n", "", "o"]
    for k in range(len(lines) + 1):
        for text in ("\n".join(lines[:k]), "\n".join(lines[k:]), "\n".join(lines[:k]) + "\n", "\n" * k + "x"):
            plain = [line.strip() for line in text.split("\n") if line.strip()][:count]
            assert concept_note._first_lines(text, count) == plain, (text, count)


# -- the parsers' shortcuts ---------------------------------------------------------------------------
NUMBER_PIECES = ["1", "2", "3", "12", "123", ".", ")", " ", "\n", "\u00a0", "a", "?", "\u0663", "x1", "\t", "1. ", "2) "]


def test_number_mark_finds_what_the_caret_or_blank_pattern_finds():
    from pipeline.sources.common import _NUMBER_MARK
    plain = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+")
    for pieces in itertools.product(NUMBER_PIECES, repeat=4):
        text = "".join(pieces)
        expected = [(m.span(), m.group(1)) for m in plain.finditer(text)]
        assert [(m.span(), m.group(1)) for m in _NUMBER_MARK.finditer(text)] == expected, repr(text)


def test_split_numbered_on_question_lines():
    from pipeline.sources.common import split_numbered
    assert split_numbered("1. What is it? 2. How is it?\n3) Why?") == ["What is it?", "How is it?", "Why?"]
    assert split_numbered("In 2023. 1. Only one") == ["In 2023. 1. Only one"]
    assert split_numbered("x1. a 2. b") == ["x1. a 2. b"]


NAME_CHARS = "aabcdeeilmnorstuyz \u00e9"


def _plain_same_words(ta: list[str], tb: list[str]) -> bool:
    from difflib import SequenceMatcher
    short, long_ = sorted((ta, tb), key=len)
    if len(short) >= 2 and long_[:len(short)] == short:
        return True
    if not len(ta) == len(tb) >= 2:
        return False
    return SequenceMatcher(None, " ".join(ta), " ".join(tb)).ratio() >= 0.9


def test_distinct_ratio_bounds_the_quick_ratio_and_same_words_holds():
    from difflib import SequenceMatcher
    from pipeline.sources.igf_proposal.people import _distinct_ratio, _same_words
    import random
    rnd = random.Random(5)
    for _ in range(20000):
        a = "".join(rnd.choice(NAME_CHARS) for _ in range(rnd.randrange(0, 14)))
        b = a[:rnd.randrange(0, len(a) + 1)] + "".join(rnd.choice(NAME_CHARS) for _ in range(rnd.randrange(0, 3)))
        assert _distinct_ratio(a, b) >= SequenceMatcher(None, a, b).quick_ratio()
        ta, tb = a.split(), b.split()
        assert _same_words(ta, tb) is _plain_same_words(ta, tb), (a, b)
    assert _same_words(["julia", "rodriguez"], ["julia", "rodriguez", "acosta"])
    assert _same_words(["ana", "chharia"], ["ana", "charia"])
    assert not _same_words(["john", "smith"], ["jane", "smyth"])
