"""The text helpers' shortcuts give what the plain forms give: the stand-in for a lowered head that every
detector searches, the "\\r" test before the line-ending replaces, and the ASCII path of fold; each is run
against the form it replaces on variants (odd case mappings, odd whitespace, control characters, long texts)."""
from __future__ import annotations

import re
import unicodedata

import pytest
from anyascii import anyascii

import pipeline.model.text as text_module
from pipeline.model.text import fix_mojibake, fold, lowered_for_words, normalize_document_text
from pipeline.sources import SOURCES, concept_note, detect_format, diplo_report, igf_proposal, isomer_event

# "İ" lowers to two characters, KELVIN SIGN to an ASCII "k", "ſ" stays itself, "Σ" lowers by its neighbours
VARIANTS = [
    "", "\n", "x", "Welcome to IGF 2016", "WELCOME TO igf2016.sched.com", "intgovforum.org",
    "Session at a glance\nFull Session Report\n", "\nSESSION TRANSCRIPT\n", "\nKeypoints\n", "\n\u212aeypoints\n",
    "\nkeyp\u0130nts\n", "\u0130" * 40 + "\nguiding questions", "Σ\nKey Topics of Discussion", "ΣΑΣ this session",
    "This Session is \u017fpeakers", "Programme: \u00e9t\u00e9 \u2014 moderator", "caf\u00e9 isomer \U0001F600 speakers",
    "x" * 1995 + "Isomer", "x" * 1997 + "Isomer", "\u00e9" * 7995 + "welcome to", "\u00e9" * 29990 + "\nkeypoints\n",
    "Disclaimer: This is NOT an official record ?", "what? welcome to? at a glance\n", "\u0130" * 3 + "at a glance\n" * 3,
    "x" * 31000 + "\u212a", "\u2019" * 19990 + "\nguiding questions",
]
WORDS = ["welcome to", "ched", "ntgovforum", "\nkey topics of discussion", "\nguiding questions", "this session",
         "isomer", "peaker", "programme", "moderator", "\nsession transcript\n", "\nfull session report\n",
         "at a glance\n", "\nkeypoints\n", "\nKeypoints\n", "\nfull session report", "disclaimer: this is not an official"]


@pytest.mark.parametrize("text", VARIANTS)
def test_words_are_found_in_the_stand_in_where_the_lowered_head_has_them(text):
    for length in (0, 400, 2000, 5000, 8000, 20000, 30000, 40000):
        plain, stand_in = text[:length].lower(), lowered_for_words(text, length)
        for word in WORDS:
            assert "?" not in word
            assert (word in stand_in, stand_in.find(word)) == (word in plain, plain.find(word)), (word, length)
        assert len(stand_in) == len(plain) or "\u0130" in text
        if text.isascii():
            assert stand_in == plain


def test_the_stand_in_blanks_no_letter_and_keeps_ascii_punctuation():
    assert lowered_for_words("Caf\u00e9 ?! \u017fpeaker \u2028Mod", 100) == "caf? ?! ?peaker ?mod"
    assert lowered_for_words("\u212a\u00e9", 100) == "k\u00e9"  # a KELVIN SIGN: the text is lowered itself
    assert lowered_for_words("\u0130x", 100) == "i\u0307x"


def _plainly_lowered(text: str, length: int) -> str:
    return text[:length].lower()


@pytest.mark.parametrize("text", VARIANTS + [v.upper() for v in VARIANTS] + [v.title() for v in VARIANTS])
def test_detectors_score_as_with_the_lowered_head(text, monkeypatch):
    shortcut = {name: source.looks_like(text) for name, source in SOURCES.items()}
    detected = detect_format(text)
    for family in (igf_proposal, concept_note, isomer_event, diplo_report):
        monkeypatch.setattr(family, "lowered_for_words", _plainly_lowered)
    assert shortcut == {name: source.looks_like(text) for name, source in SOURCES.items()}
    assert detected == detect_format(text)


@pytest.mark.parametrize("head", ["Agenda", "  programme\n", "x\n\u2003Program: y", "x\n\u0130\u0130 agenda",
                                  "\u0130" * 390 + "\nagenda", "\u0130" * 395 + "\nagenda", "Σ" * 399 + "\nprogramme",
                                  "ProgrammeΣ", "programme\u00e9", "a" * 396 + "\nagenda", "\nAGENDA"])
def test_concept_note_agenda_line_reads_the_head_it_read(head):
    pattern = r"^\s*(?:agenda|programme|program)\b"
    for text in (head, head + " rest", head + "\n" + "x" * 30000):
        assert bool(re.search(pattern, text[:400].lower()[:400], re.M)) is bool(
            re.search(pattern, text[:20000].lower()[:400], re.M)), text


def _plain_normalize(text: str) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"


@pytest.mark.parametrize("text", ["", "\n", "a", "\r", "\r\n", "a\r\nb\rc\n\rd", "\ufeff\ufeffx\r\n", "x\x00y\r\x00\n",
                                  "tail \t\u00a0\u3000\nnext\x1c\n\x0b", "Cafe\u0301\r\nx", "\u2028line\u2029\r\n",
                                  "\n\n\r\r\nbody\n\n", "\u00e9\u2019 \U0001F600\r\n"])
def test_normalize_is_the_plain_normalisation(text):
    assert normalize_document_text(text) == _plain_normalize(text)


def _plain_fold(value: str) -> str:
    value = anyascii(fix_mojibake(value)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", value).split())


@pytest.mark.parametrize("value", ["", " ", "Plain Name", "O'Brien-Smith, Jr.", "snake_case_key", "a\x1cb\x1dc\x1e\x1fd",
                                   "tab\tand\x0bvt\x0c", "ctl\x00\x01\x7f\x1b end", "[x](y) *b* #3 @a ~!", "  MIXED   case  ",
                                   "Mat\u00c3\u00adas", "Mat\u00edas Stra\u00dfe", "\u212aelvin \u0130stanbul",
                                   "\u00e9" + "x" * 300, "x" * 300 + "!", "\u4e2d\u6587 name"])
def test_fold_is_the_plain_fold(value):
    assert text_module._fold(value) == _plain_fold(value)
    assert fold(value) == (_plain_fold(value) if value else "")


def test_fold_ascii_path_blanks_what_the_pattern_blanks():
    every_ascii = "".join(map(chr, range(128)))
    assert text_module._fold(every_ascii) == _plain_fold(every_ascii)
    assert text_module._fold(every_ascii) == "0123456789 abcdefghijklmnopqrstuvwxyz _ abcdefghijklmnopqrstuvwxyz"
