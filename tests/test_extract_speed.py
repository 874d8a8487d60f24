"""The shortcuts of the extraction engine give what the plain forms give: people read from prose once per
distinct text (and handed out as copies), a draft's name key looked up once per person added, and the
scans of long paragraphs (two capitalised words in a row, glued parts) done over an ASCII text's classes."""
from __future__ import annotations

import itertools
import random

import pytest

from pipeline.extract import agenda, prose
from pipeline.extract.people import PersonLine

PROSE = [
    "The session was moderated by Dr. Ann Lee, Director of the Cyber Agency.",
    "Keynote speaker Jane Doe, President of the Office in Poland, opened the forum.",
    "Singapore's Minister for Communications Josephine Teo and Mr Tan Wei Ming (CEO, Acme) spoke.",
    "Speakers included Ms Nanna Linde, Vice-President, Microsoft and Dr Howie Lau, GovTech.",
    "Maria Costa from the Ministry of Foreign Affairs joined; the late John Smith was remembered.",
    "“Digital Government Blueprint: A Year Later” by Goh Wei Boon",
    "Special Session 4", "Information is accurate at time of publication", "", "no capitals here at all",
    "Trust in Cyberspace Forum 2020 – featuring Prof Li Rossi, Chair, Internet Society, Brazil",
]


def _reading(mentions):
    return [(m.person, m.role, m.start) for m in mentions]


@pytest.mark.parametrize("text", PROSE)
def test_people_in_prose_same_as_plain(text):
    prose._mentions.cache_clear()
    plain = list(prose._mentions.__wrapped__(text)) if prose._TWO_CAPITALS.search(text) else []
    first, again = prose.people_in_prose(text), prose.people_in_prose(text)  # a miss, then a hit
    assert _reading(first) == _reading(again) == _reading(plain)
    assert prose.names_people_in_prose(text) == bool(plain)


def test_people_in_prose_hands_out_copies():
    text = PROSE[0]
    first = prose.people_in_prose(text)
    assert first and first[0].person.name == "Ann Lee" and first[0].role == "moderator"
    first[0].person.organization = "changed"
    first[0].person.extra.append("changed")
    first[0].role = "changed"
    again = prose.people_in_prose(text)
    assert again[0].person is not first[0].person
    assert again[0].person.organization != "changed" and "changed" not in again[0].person.extra
    assert again[0].role == "moderator"
    assert _reading(again) == _reading(prose._mentions.__wrapped__(text))


# -- Draft.add: one name key per person added ---------------------------------------------------------
NAMES = ["Ann Lee", "lee ann", "LEE  Ann", "Ann Lee Tan", "Bob Smith", "Smith Bob", "Zoë González", "González ZOË"]


def _add_plain(draft, info, role):
    role = role or "speaker"
    for person in draft.people:
        if agenda._same_person(person.info.name, info.name):
            if role not in person.roles:
                person.roles.append(role)
            for attr in ("position", "organization", "country", "stakeholder_group", "regional_group"):
                if getattr(person.info, attr) is None and getattr(info, attr):
                    setattr(person.info, attr, getattr(info, attr))
            return
    draft.people.append(agenda.Person(info, [role]))


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[:8])
def test_draft_add_same_as_plain(order):
    fast, plain = agenda.Draft(), agenda.Draft()
    for k in order:
        for n, name in enumerate(NAMES):
            role = [None, "moderator", "speaker", "panellist"][(n + k) % 4]
            org = f"Org {k}" if (n + k) % 3 == 0 else None
            fast.add(PersonLine(name, organization=org), role)
            _add_plain(plain, PersonLine(name, organization=org), role)
    assert fast.people == plain.people
    assert [p.info.name for p in fast.people] == ["Ann Lee", "Ann Lee Tan", "Bob Smith", "Zoë González"]


# -- scans of long paragraphs: an ASCII text searched by character class ------------------------------
ASCII = [chr(c) for c in range(128)]
SCAN_TEXTS = [
    "", "Ann Lee", "ann Lee", "A B", "A. B", "Jan van der Berg", "Mr de Gaulle", "X van Y", "X vanY", "iPhone X",
    "A\x1cB", "A\x1fB", "A\x85B", "A\u00a0B", "(Ann) Lee", "Ann (Lee", "A-b c D", "A'b D", "A_b D", "A1 B", "a\tB C",
    "Opening remarksNanna Linde", "GovTechModerator: Howie Lau", "(Keynote)Jane Doe", "McDonald", "end)Start",
    "ÜloÜbermann", "éAb", "aÉb", "Ann Łee", "Zoë González", "a\u212aelvin", "x" * 300 + "Yz", "word " * 80 + "endStart",
    "Data artificial youth attribution. Transparency election risk states. Norms capacity", "Ann binti Lee", "Ann bintiLee",
]


def _scan_texts():
    yield from SCAN_TEXTS
    for n in range(1, 5):  # every short text over characters of each class the scans tell apart
        yield from map("".join, itertools.product("Aa)v .-#é", repeat=n))
    for char in ASCII:  # every ASCII character in each place of a match
        yield from (f"{char}nn Lee", f"A{char}n Lee", f"Ann{char}Lee", f"Ann {char}ee", f"Ann de{char}Lee", f"a{char}Bc",
                    f"{char}Bc", f"aB{char}", f"Ann{char} de Lee")


def test_two_capitals_same_as_pattern():
    for text in _scan_texts():
        assert prose._two_capitals(text) == bool(prose._TWO_CAPITALS.search(text)), repr(text)


def test_glued_same_as_pattern():
    for text in _scan_texts():
        assert agenda._glued(text) == bool(agenda._GLUE_AT.search(text)), repr(text)


def test_scans_on_random_texts():
    rng = random.Random(11)
    alphabet = ASCII + list("ÉéŁł’–\u00a0\u2028")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        assert prose._two_capitals(text) == bool(prose._TWO_CAPITALS.search(text)), repr(text)
        assert agenda._glued(text) == bool(agenda._GLUE_AT.search(text)), repr(text)
    words = ["Ann", "Lee", "van", "der", "de", "bin", "binti", "al", "the", "iPhone", "McD", "x)", "(Y", "-", ".", "'s"]
    for _ in range(20000):
        text = rng.choice(["", " ", "  "]).join(rng.choice(words) for _ in range(rng.randrange(0, 6)))
        text = text.replace("  ", rng.choice(["  ", "\t", " \n "]))
        assert prose._two_capitals(text) == bool(prose._TWO_CAPITALS.search(text)), repr(text)
        assert agenda._glued(text) == bool(agenda._GLUE_AT.search(text)), repr(text)
