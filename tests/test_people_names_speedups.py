"""The person-name shortcuts in people.py and names.py give what the plain forms give: each test runs the
shortcut and the plain form (as the code read before the shortcut) on variants, edge cases included."""
from __future__ import annotations

import re

import pycountry
import pytest

from pipeline.extract import people
from pipeline.model import names


# -- country_name: pycountry is asked only for a text one of its fields spells -------------------------
def _pycountry_lookup_plain(text: str) -> str | None:
    try:
        return pycountry.countries.lookup(text).name
    except LookupError:
        return None


COUNTRY_TEXTS = [
    "Norway", "norway", "NORWAY", "NO", "nor", "578", "Kenya", "Korea, Republic of", "Bolivia", "Viet Nam",
    "Türkiye", "TÜRKIYE", "Côte d'Ivoire", "cote d'ivoire", "Federal Republic of Germany", "Taiwan",
    "United States of America", "the Netherlands", "Ann Lee", "Lee", "Esri Singapore", "Singapore", "SG", "sgp",
    "İceland", "Iceland", "ıceland", "ſweden", "Sweden", "\u212aenya", "", " ", "Republic of Korea", "🇳🇴",
    "004",
    "European Union", "EU", "Kosovo", "Holy See (Vatican City State)", "Micronesia", "Congo",
]


@pytest.mark.parametrize("text", COUNTRY_TEXTS)
def test_pycountry_guard_lets_every_find_through(text):
    # the guard may let a miss through (pycountry then looks), never stop a text pycountry finds
    for variant in (text, text.upper(), text.lower(), text.title()):
        assert _pycountry_lookup_plain(variant) is None or names._may_be_in_pycountry(variant)


def test_pycountry_guard_holds_every_field():
    # every field of every country is found by the plain lookup, and the guard lets it through
    for country in pycountry.countries:
        for value in country._fields.values():
            if isinstance(value, str):
                assert names._may_be_in_pycountry(value) and names._may_be_in_pycountry(value.upper())
                assert _pycountry_lookup_plain(value) is not None


def _country_name_plain(value: str | None) -> str | None:
    if not value:
        return None
    text = names.collapse_ws(names.clean_inline(value) or "").strip(" .,;")
    if not text:
        return None
    alias = names.COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    found = _pycountry_lookup_plain(text)
    if found:
        return found
    if text.lower().startswith("the "):
        return _country_name_plain(text[4:])
    return None


@pytest.mark.parametrize("text", COUNTRY_TEXTS + [None, "the Norway", "The the Kenya", "uk", " USA. ", "Ann Lee Lee"])
def test_country_name_same_as_plain(text):
    assert names.country_name(text) == _country_name_plain(text)


# -- _name_shape: the nickname and generational-suffix patterns only where they can match ------------------
NAME_TEXTS = [
    "", "Ann", "Ann Lee", "Ross Perot Jr", "Ross Perot, Jr.", "Ross Perot jr.", "Ross Perot JR", "Ross Perot Sr",
    "John Smith II", "John Smith III", "John Smith IV", "John Smith iv.", "John Smith Iv.\n", "John Smith Jr.\n",
    "John Smith Jr..", "John Smith Jr\n\n", "John Smith, ıı", "John Smith İİ", "John Smith Jr.x", "Ann Lee Chair",
    "Ann (Annie) Lee", "Ann (annie) Lee", "Ann (Annie)Lee", "(Annie) Lee", "Ann Lee (TBC)", "Ann Lee Sr (Ret)",
    "Ann (Bo) Lee Jr", "Ann\t(Bo)\nLee", "Xavier", "Ann Leev", "Ann Lee.", "Ann Lee .", "Ann Lee\n", "Ann Lee, ii",
    "Ann Lee,ii", "Ann Lee sr", "Ann Lee SR.", "Ann Lee ſr", "Ann Lee \u212aing", "Ann Lee Iii",
]


def _nickname_plain(name: str) -> str:
    return people._NICKNAME.sub(" ", name)


def _generational_plain(name: str) -> str:
    return people._GENERATIONAL_TAIL.sub("", name)


@pytest.mark.parametrize("name", NAME_TEXTS)
def test_without_nickname_same_as_plain(name):
    assert people._without_nickname(name) == _nickname_plain(name)


@pytest.mark.parametrize("name", NAME_TEXTS + [n + " Jr" for n in NAME_TEXTS])
def test_without_generational_tail_same_as_plain(name):
    assert people._without_generational_tail(name) == _generational_plain(name)


def test_generational_ends_are_every_letter_the_pattern_ends_on():
    # every character that re.IGNORECASE matches with the last letter of a suffix (r, i, v) is a guard letter
    last = re.compile(r"[riv]", re.I)
    assert {chr(c) for c in range(0x110000) if last.fullmatch(chr(c))} == set(people._GENERATIONAL_ENDS)


def _name_shape_plain(name: str, slot: bool):
    if not name or len(name) > 60 or people._has_digit(name):
        return None
    name = people._GENERATIONAL_TAIL.sub("", people._NICKNAME.sub(" ", name)).strip()
    if people._NAME_FORBIDDEN.search(name):
        return None
    tokens = name.replace("–", "-").split()
    if not (2 <= len(tokens) <= 6) and not (slot and len(tokens) == 1 and len(tokens[0]) > 2):
        return None
    if "\ufffd" in name or not name.isascii() and any(people._MOJIBAKE_TOKEN.fullmatch(t) for t in tokens):
        return None
    return name, tokens


@pytest.mark.parametrize("name", NAME_TEXTS)
@pytest.mark.parametrize("slot", [False, True])
def test_name_shape_same_as_plain(name, slot):
    assert people._name_shape(name, slot) == _name_shape_plain(name, slot)


def _names_a_place_or_group_plain(name: str, tokens: list[str]) -> bool:
    if names.country_name(name) or any(len(t) > 3 and names.country_name(t) for t in tokens[-1:]):
        return True
    return people.fold(name) in people.STAKEHOLDER_GROUPS or people.fold(name) in people.REGIONAL_GROUPS


@pytest.mark.parametrize("name", ["Esri Singapore", "Lithuania", "Ann Lee", "Civil Society", "civil society",
                                  "Private Sector", "GRULAC", "Western European and Others Group", "WEOG", "Ann Kenya",
                                  "Ann UK", "Ann Chad", ""])
def test_names_a_place_or_group_same_as_plain(name):
    tokens = name.split()
    assert people._names_a_place_or_group(name, tokens) == _names_a_place_or_group_plain(name, tokens)


# -- is_organization_like: cached (a pure function of its string, returning a bool) ----------------------
def _is_organization_like_plain(segment: str) -> bool:
    text = segment.strip()
    if not text or len(text) > 120:
        return False
    words = people._words(text)
    if any(w in people.ORG_WORDS for w in words):
        return True
    if any(w in people.POSITION_WORDS for w in words):
        return False
    if people._ACRONYM.match(text) and any(c.isupper() for c in text[1:]) or people._CAMEL.match(text):
        return True
    capitals = [w for w in text.split() if w[:1].isupper() or w[:1].isdigit()]
    return len(text.split()) <= 8 and len(capitals) >= max(1, len(text.split()) - 2)


ORG_SEGMENTS = ["", " ", "Ministry of Foreign Affairs", "Chief Technology Officer", "ICANN", "GovTech",
                "Ghana Cyber Authority", "head of policy", "A", "x" * 121, "Kenya", "Ann Lee", "the University of Oslo",
                "CSIS", "cIA", "Director, ICANN", "1st Global Forum"]


@pytest.mark.parametrize("segment", ORG_SEGMENTS)
def test_is_organization_like_same_as_plain(segment):
    assert people.is_organization_like(segment) is _is_organization_like_plain(segment)
    assert people.is_organization_like(segment) is _is_organization_like_plain(segment)  # again, from the cache


# -- _name_end: the search starts at the blanks before the first mark ------------------------------------
NAME_END_BODIES = [
    "", " ", ",", ".", "ab. c", "a. c", "Jane Doe", "Jane Doe, Director", "Jane Doe , Director", "Jane Doe \t , x",
    "Jane Doe - Director", "Jane Doe  -  Director", "Jane-Doe - x", "Jane Doe. Director", "J. Doe. Director",
    "J.R. Doe, x", "St. John Doe, x", "Dr. Jane Doe. x", "Jane Doe (Anne) Smith", "Jane Doe (Anne)x", "Jane (Doe",
    "(x) y",
    "Jane Doe | Norway", "Jane|Doe | x", "Jane Doe: on", "Jane:Doe: x", "Jane Doe:x", "Jane\u00a0\u00a0, x",
    "Jane Doe \u2014 CEO", "Jane Doe\u2014CEO", "Jane Doe\n- x", "ab.\nc", "Jane Doe\u2003(Chair)", "x" * 80 + ", y",
    "Jane Doe – CEO, Org", "Ana.b. c", " - x", "  , x", ". x", "Jane Do.\tx", "Jo (Al) (Chair)",
]


def _name_end_plain(body: str):
    if not any(mark in body for mark in ",-–—(.|:"):
        return None
    return people._NAME_END.search(body)


def _span(match):
    return match and match.span()


@pytest.mark.parametrize("body", NAME_END_BODIES)
def test_name_end_same_as_plain(body):
    assert _span(people._name_end(body)) == _span(_name_end_plain(body))


def test_name_end_same_as_plain_on_random_bodies():
    import random
    rng = random.Random(7)
    alphabet = "aBz .,-–—(|:\t\u00a0)Ab"
    for _ in range(20000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _span(people._name_end(body)) == _span(_name_end_plain(body)), repr(body)


# -- _parse_person_line: the generational suffix is read only after a comma -------------------------------
def _parse_person_line_plain(text: str, slot: bool):
    text = " ".join(text.split()).strip(" •*-–—·")
    if not text:
        return None
    honorific, body = people.split_titles(text)
    cut = _name_end_plain(body)
    name, rest = (body[:cut.start()], body[cut.start():]) if cut else (body, "")
    tail = rest.lstrip(" ,")
    suffix = people._GENERATIONAL.match(tail)
    if suffix and rest.lstrip().startswith(","):
        name = f"{name}, {suffix.group(0)}"
        rest = tail[suffix.end():]
    name = people.clean_name(name)
    if not people.is_person_name(name, slot or bool(honorific)):
        return None
    rest = rest.strip()
    if rest.startswith("("):
        depth, close = 0, -1
        for k, ch in enumerate(rest):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                close = k
                break
        rest = rest[1:close] if close > 0 else rest.strip("() ")
    info = people.parse_affiliation(rest.lstrip(".,:|-–— "))
    info.name = name
    info.honorific = honorific
    return info


PERSON_LINES = [
    "", " - ", "Ross Perot, Jr., Co-Chairman, Perot Systems", "Ross Perot Jr, Chairman", "Ross Perot, Jr. Chairman",
    "Ross Perot , jr, CEO", "Ross Perot - Jr, CEO", "Ross Perot, III", "Ross Perot, Sr", "Ross Perot,Sr., CEO",
    "Ross Perot, Iv, x", "Ross Perot, ivy League", "Ann Lee, Director, Ministry of Foreign Affairs, Kenya",
    "Ms Ann Lee – Director; Adviser, Org", "Ann Lee (Director, CSIS): on norms", "Ann Lee. Director, ICANN",
    "Dr. Ann Lee, PhD, Head of Policy", "H.E. Ann Lee | Norway", "Ann Lee: keynote", "Ann Lee (Chair", "ANN LEE, CEO",
    "Ann Lee Lee, x", "Ann (Annie) Lee, CEO", "Speaker 3: hello", "Ann Lee, ii, x", "Ann Lee,\tJr.\n, CEO",
]


@pytest.mark.parametrize("text", PERSON_LINES)
@pytest.mark.parametrize("slot", [False, True])
def test_parse_person_line_same_as_plain(text, slot):
    assert people._parse_person_line.__wrapped__(text, slot) == _parse_person_line_plain(text, slot)
