"""The people and prose extractors' shortcuts give what the plain forms give: each test runs the shortcut
and the plain form (as the code read before the shortcut) on variants, edge cases included."""
from __future__ import annotations

import re

import pytest

from pipeline.extract import people, prose


# -- _split_top: a plain split when no bracket opens ----------------------------------------------
def _split_top_plain(text: str, separators: str = ",") -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


SPLIT_TEXTS = [
    "", ",", ";", ",,;;", " , ; ", "a", "a,b", "a, b; c", "a;b,c;", "Ann Lee, Director, Org; Deputy, Other",
    "a (b, c), d", "a [b; c]; d", "x) , y", "x ], y; z", "close) then (open, inner) , out", "((a,b),c),d",
    "tab\t,\tnewline\n;x", "nbsp\u00a0,\u00a0y", "trailing sep,", ";leading sep",
]


@pytest.mark.parametrize("text", SPLIT_TEXTS)
@pytest.mark.parametrize("separators", [",", ";", ",;"])
def test_split_top_same_as_plain(text, separators):
    assert people._split_top(text, separators) == _split_top_plain(text, separators)


# -- _starts_person: the text before the first bracket with str methods ----------------------------
@pytest.mark.parametrize("segment", ["Ann Lee (Chair)", "Ann Lee(Chair)", "Ann Lee \t (Chair)", "Ann Lee",
                                     "(Chair) Ann Lee", " (x", "Ann\u00a0(x)", "Ann  Lee ( a ( b", "", "a (b) (c)"])
def test_before_bracket_same_as_regex(segment):
    assert segment.split("(", 1)[0].rstrip() == re.split(r"\s*\(", segment)[0]


# -- caches: the same answers as the uncached functions, and copies the caller may change ------------
NAMES = ["Dr. Ann Lee", "H.E. Mr Juan Pérez", "HE Yi", "HE JUAN PÉREZ", "Lt. General (Ret.) Harry D. Raduege",
         "Ann Lee, PhD", "  Prof.  Ann   Lee ,", "Ann Lee Lee", "“Ann Lee”", "Ann Lee.", "Ann B.", "Sir", ""]


@pytest.mark.parametrize("text", NAMES)
def test_cached_name_functions_same_as_uncached(text):
    assert people.split_titles(text) == people.split_titles.__wrapped__(text)
    assert people.clean_name(text) == people.clean_name.__wrapped__(text)


@pytest.mark.parametrize("text", ["Chief Executive (Ghana Cyber Authority)", "Director of X at Y Ltd.", "",
                                  "Vice-President/Head, Org-Name (Intl.)", "Senior Fellow, Some Institute"])
def test_words_same_as_list_form(text):
    plain = [w.strip(".,()'’\"").lower() for w in text.replace("/", " ").replace("-", " ").split()]
    assert list(people._words(text)) == plain


LINES = ["Dr. Ann Lee, Director, Cyber Agency, Norway", "Ann Lee (Senior Fellow, Some Institute)",
         "Ross Perot, Jr., Co-Chairman, Perot Group; Board member, Other Org", "Not a name at all here",
         "Ms Jane Doe – Head of Policy at Example Corp | Kenya"]


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("slot", [False, True])
def test_parse_person_line_hands_out_copies(line, slot):
    first = people.parse_person_line(line, slot)
    assert first == people._parse_person_line.__wrapped__(line, slot)
    if first is None:
        return
    first.name, first.organization = "changed", "changed"
    first.extra.append("changed")
    again = people.parse_person_line(line, slot)
    assert again == people._parse_person_line.__wrapped__(line, slot)
    assert again.name != "changed" and "changed" not in again.extra


def test_parse_person_line_known_answer():
    person = people.parse_person_line("Dr. Ann Lee, Director, Cyber Agency, Norway")
    assert (person.name, person.honorific, person.position, person.organization, person.country) == (
        "Ann Lee", "Dr.", "Director", "Cyber Agency", "Norway")


@pytest.mark.parametrize("text", [None, "", "Director, Cyber Agency; Fellow, Institute", "Head of Policy at Example Corp"])
def test_parse_affiliation_hands_out_copies(text):
    first = people.parse_affiliation(text)
    first.name = "changed"
    first.extra.append("changed")
    again = people.parse_affiliation(text)
    assert again == people._parse_affiliation.__wrapped__(text)
    assert again.name == "" and "changed" not in again.extra


# -- prose: precompiled patterns and the cached clause ---------------------------------------------
@pytest.mark.parametrize("text", [", Director of X, moderated the panel.", ", Dr. A. Lee; next", " who spoke",
                                  ", Head of Y. Then", "", ", Minister in A.B. Land, said"])
def test_clause_same_as_uncached(text):
    assert prose._clause(text) == prose._clause.__wrapped__(text)


def test_people_in_prose_known_answer():
    mentions = prose.people_in_prose("The session was moderated by Dr. Ann Lee, Director of the Cyber Agency.")
    assert [(m.person.name, m.role, m.person.organization) for m in mentions] == [("Ann Lee", "moderator", "Cyber Agency")]
