"""The IGF and DiploAI readers' shortcuts of this round give what the plain forms give: a word count told by a
bounded split, a guard before the "Surname, Given" pattern, the name words of a merge folded once, and a turn's
text sliced off its line. Each test runs the shortcut and the plain form on variants (edge cases included); the
last ones read whole pages with every plain form put back and compare the parses."""
from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest

from pipeline.extract.agenda import Draft
from pipeline.extract.people import PersonLine
from pipeline.model.text import collapse_ws
from pipeline.sources import diplo_report as diplo
from pipeline.sources import parse_document
from pipeline.sources.igf_proposal import people as igf_people
from pipeline.sources.igf_proposal import session

WHITESPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000"


def _variants(alphabet: str, seed: int, count: int = 3000, longest: int = 24) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)]


# -- _at_most_words: len(text.split()) <= count ------------------------------------------------------
WORD_TEXTS = ["", " ", "a", "a b", "a b c", "a  b\tc\n", " a b c ", "a\u2003b\xa0c", "\x1ca\x1db", "a\u200bb", "é ſ ı",
              "one two three four five", "1. Title", "  leading", "trailing  ", "x" * 500, " ".join("w" * 5 for _ in range(40)),
              "a\r\nb\r\nc\r\nd\r\ne"]


def test_at_most_words_is_the_split_count():
    cases = [(text, count) for text in WORD_TEXTS + _variants("ab " + WHITESPACE, 1, 400) for count in range(0, 20)]
    assert [case for case in cases if igf_people._at_most_words(*case) is not (len(case[0].split()) <= case[1])] == []


def test_at_most_words_on_real_counts():
    assert igf_people._at_most_words("Moderator", 3)
    assert igf_people._at_most_words("Online Moderator :", 3)
    assert not igf_people._at_most_words("The session will discuss", 3)
    assert igf_people._at_most_words("", 0)
    assert not igf_people._at_most_words("a", 0)


# -- _surname_before_comma: a guard that loses no text _SURNAME_GIVEN matches ----------------------------
SURNAME_TEXTS = ["Hoepers, Cristine", "van Duren, David; GFCE (government)", "• Hoepers, Cristine", "••Hoepers,Cristine",
                 "•\u00a0Hoepers , Cristine", "van van de Smith, John", "de, Foo", ", Hoepers, Cristine", "Craig, Amanda Microsoft, (private)",
                 "Wilches, Juan Manuel Commissioner, Comision, Government of Colombia", "The session will, discuss", "Anna Maria Smith, Org",
                 "Smith\u2003Jones , Anna", "ſmith, John", "Émile Zola, Jean", "Hoepers,\nCristine", "", ",", "a,b", "•, X", "Van Duren, David",
                 "O'Neil-Smith, Ann", "Smith•Jones, Ann", "van, Smith", "Hoepers Cristine", "DE LA Cruz, Ana", " \t Hoepers, Cristine ",
                 "Hoepers •, Cristine", "1 Smith, Ann", "van\tDuren,\tDavid"]


def _matched_by_pattern(text: str) -> bool:
    return bool(igf_people._SURNAME_GIVEN.match(collapse_ws(text).strip(" •")))


@pytest.mark.parametrize("text", SURNAME_TEXTS)
def test_surname_guard_keeps_every_match(text):
    if _matched_by_pattern(text):
        assert igf_people._surname_before_comma(text), text


def _token_variants(seed: int, count: int) -> list[str]:
    """Texts of name-like words, particles, bullets, commas and semicolons, joined by odd whitespace."""
    rng = random.Random(seed)
    tokens = ["van", "de", "der", "Van", "Ann", "Hoepers", "O'Neil", "Smith-Jo", "ſmith", "Émile", "x", "•", "••", "1", "UN",
              ",", ", ", ";", "(private)", "Microsoft"]
    return ["".join(rng.choice(tokens) + rng.choice(["", " ", "  ", "\t", "\xa0", "\u2003", "\n"])
                    for _ in range(rng.randint(0, 8))) for _ in range(count)]


def test_surname_guard_keeps_every_match_on_variants():
    texts = _token_variants(2, 20000)
    matched = [t for t in texts if "," in t and _matched_by_pattern(t)]
    assert len(matched) > 100  # the variants do reach the pattern
    assert all(igf_people._surname_before_comma(t) for t in matched)


def test_surname_guard_turns_prose_away():
    assert not igf_people._surname_before_comma("The session will discuss, among others, the future")
    assert not igf_people._surname_before_comma(", Hoepers")
    assert igf_people._surname_before_comma("van der Berg Smit, Jan")


@pytest.mark.parametrize("strict", [False, True])
def test_surname_first_same_as_unguarded(strict, monkeypatch):
    texts = SURNAME_TEXTS + _token_variants(3, 3000)
    fast = [igf_people._surname_first(t, strict) for t in texts]
    monkeypatch.setattr(igf_people, "_surname_before_comma", lambda text: True)
    plain = [igf_people._surname_first(t, strict) for t in texts]
    assert fast == plain
    assert igf_people._surname_first("Hoepers, Cristine").name == "Cristine Hoepers"


# -- _merge_same_people: the words of each name folded once -----------------------------------------------
def _merge_same_people_plain(draft: Draft) -> None:
    kept = []
    for person in draft.people:
        same = next((k for k in kept if igf_people._same_name(k.info.name, person.info.name)), None)
        if same is None:
            kept.append(person)
            continue
        same.roles += [r for r in person.roles if r not in same.roles]
        for attr in ("position", "organization", "country", "stakeholder_group", "regional_group"):
            if getattr(same.info, attr) is None and getattr(person.info, attr):
                setattr(same.info, attr, getattr(person.info, attr))
    draft.people = kept


NAMES = ["Julia Rodriguez", "Julia Rodriguez Acosta", "Anna Chharia", "Anna Charia", "ANNA SMITH", "anna smith", "Li Wei",
         "Wei Li", "Dorota Głowacka", "Dorota Glowacka", "Ana", "Ana Lima", "Straße Anna", "STRASSE ANNA", "Jean-Luc Picard"]


def _draft(names: list[tuple[str, str | None, str]]) -> Draft:
    draft = Draft()
    for name, org, role in names:
        draft.add(PersonLine(name, organization=org), role)
    return draft


def test_merge_same_people_same_as_plain():
    rng = random.Random(5)
    for _ in range(300):
        people = [(rng.choice(NAMES), rng.choice([None, "UNESCO", "ICANN"]), rng.choice(["speaker", "moderator", "organizer"]))
                  for _ in range(rng.randint(0, 8))]
        fast, plain = _draft(people), _draft(people)
        igf_people._merge_same_people(fast)
        _merge_same_people_plain(plain)
        assert [(p.info, p.roles) for p in fast.people] == [(p.info, p.roles) for p in plain.people], people


def test_merge_same_people_merges_a_prefix():
    draft = _draft([("Julia Rodriguez", None, "speaker"), ("Julia Rodriguez Acosta", "ICANN", "moderator")])
    igf_people._merge_same_people(draft)
    assert [(p.info.name, p.info.organization, p.roles) for p in draft.people] == [("Julia Rodriguez", "ICANN", ["speaker", "moderator"])]


def test_same_words_is_same_name():
    for a in NAMES + ["", "X"]:
        for b in NAMES + ["", "X"]:
            assert igf_people._same_words(a.casefold().split(), b.casefold().split()) is igf_people._same_name(a, b)


# -- _turn_parts: _TRANSCRIPT_TURN's groups --------------------------------------------------------------
def _turn_parts_plain(line: str) -> tuple[str, str] | None:
    turn = diplo._TRANSCRIPT_TURN.match(line)
    return (turn.group(1), turn.group(2)) if turn else None


TURN_LINES = ["Name: text", "Name:text", "Name:  \t text  ", "a:b: c", "x" * 81 + ": y", "x" * 80 + ": y", "x" * 79 + ": y",
              "Name: text\nmore", "Name:\ntext", "Name: \n", "Name: text\n", "", ":", ": x", " : x", "Ünïcode Nämé: tëxt",
              "Name:\u2003text", "Name: text\r", "Name:\r\ntext", "Dr. Ana Lima: Thank you. Next: the floor", "No colon here",
              "Name::  x", "Name :x", "Name:\x1cx", "Name: " + "word " * 200]


@pytest.mark.parametrize("line", TURN_LINES)
def test_turn_parts_are_the_pattern_groups(line):
    assert diplo._turn_parts(line) == _turn_parts_plain(line)


def test_turn_parts_on_variants():
    for line in _variants("ab: \n\t\xa0é", 6, 20000, 30) + _variants("a:", 7, 2000, 120):
        assert diplo._turn_parts(line) == _turn_parts_plain(line), line
    assert diplo._turn_parts("Ana Lima: Hello all") == ("Ana Lima", "Hello all")


# -- whole pages with every plain form put back -----------------------------------------------------------
def _pages() -> list[str]:
    root = Path(__file__).parents[1]
    pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.glob("raw/*.txt"))]
    pages.append("IGF 2019 WS #2 Title two\nSpeakers:\n" + "\n".join(SURNAME_TEXTS + [n + ", ICANN" for n in NAMES]))
    pages.append("IGF 2021 WS #1 Title one\nModerator\nAna Lima\nOnline Moderator\n" + "\n".join(WORD_TEXTS))
    pages.append("Title of the session\n13 May 2025 12:00h - 13:30h\nSession at a glance\nSummary\nText.\n"
                 "Session transcript\n" + "\n".join(TURN_LINES) + "\nAna Lima\nSpeech speed\n120 words per minute\n")
    return pages


@pytest.mark.parametrize("fmt", ["igf_proposal", "diplo_report"])
def test_pages_parse_as_with_the_plain_forms(fmt, monkeypatch):
    pages = _pages()
    fast = [pickle.dumps(parse_document(page, fmt), protocol=5) for page in pages]
    plain_count = lambda text, count: len(text.split()) <= count  # noqa: E731
    monkeypatch.setattr(session, "_at_most_words", plain_count)
    monkeypatch.setattr(igf_people, "_at_most_words", plain_count)
    monkeypatch.setattr(igf_people, "_surname_before_comma", lambda text: True)
    monkeypatch.setattr(session, "_merge_same_people", _merge_same_people_plain)
    monkeypatch.setattr(diplo, "_turn_parts", _turn_parts_plain)
    plain = [pickle.dumps(parse_document(page, fmt), protocol=5) for page in pages]
    for page, f, p in zip(pages, fast, plain):
        assert f == p, page[:200]


# -- _inline_questions: the "?" looked for before the pattern; _ends_list: the line keyed once ----------------
def _inline_questions_plain(reader, i, block, text):
    import re
    from pipeline.model.records import Item
    from pipeline.sources.common import split_numbered
    if block.kind == "item" and (block.marker or "").rstrip(".)") == "1" and re.search(r"\s2[.)]\s", text) and "?" in text:
        reader.items += [Item("policy_question", q) for q in split_numbered(f"1. {text}")]
        return True
    return False


INLINE_TEXTS = ["What is it? 2. Why is it?", "What is it 2. Why", "What? 2) How?", "What?\t2.\u2003How?", "What? 2.How?",
                "What? 12. How?", "", "?", " 2. ", "Who? 2. ", "¿Qué? 2. ¿Cómo?", "Question one? 2. two? 3. three?"]


@pytest.mark.parametrize("text", INLINE_TEXTS)
@pytest.mark.parametrize(("kind", "marker"), [("item", "1."), ("item", "1)"), ("item", "1"), ("item", "2."), ("item", None),
                                              ("paragraph", None)])
def test_inline_questions_same_as_plain(text, kind, marker):
    from pipeline.document import Block, Line
    block = Block(kind, (Line(text or "x"),), level=1, marker=marker)
    fast, plain = session._SessionReader([], None, []), session._SessionReader([], None, [])
    assert fast._inline_questions(0, block, text) is _inline_questions_plain(plain, 0, block, text)
    assert fast.items == plain.items


def test_inline_questions_reads_the_questions():
    from pipeline.document import Block, Line
    reader = session._SessionReader([], None, [])
    assert reader._inline_questions(0, Block("item", (Line("x"),), level=1, marker="1."), "What is it? 2. Why is it?")
    assert [item.text for item in reader.items] == ["What is it?", "Why is it?"]


@pytest.mark.parametrize("line", ["Key takeaways", "KEY TAKEAWAYS:", "**Disclaimer** text", "disclaimer: this is not", "Agreements",
                                  "", "  ", "A takeaway", "Unresolved issues", "Follow-up questions", "diſclaimer", "İ"])
def test_ends_list_same_as_plain(line):
    assert diplo._ends_list(line) is (diplo._key(line) in diplo.TOP_SECTIONS or diplo._key(line).startswith("disclaimer"))
