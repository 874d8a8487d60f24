"""The parse stage's shortcuts give what the unguarded forms give: each test runs the shortcut and the
plain form (the regex alone, as the code read before the shortcut) on variants, edge cases included."""
from __future__ import annotations

import html
import re

import pytest

from pipeline.document import clean, read
from pipeline.extract import agenda, people
from pipeline.model import names, text
from pipeline.sources import common
from pipeline.sources.igf_proposal import people as igf_people
from pipeline.sources.igf_proposal import session


# -- clean_line: the ASCII shortcut and the order of its steps ------------------------------------
_ORDINARY = re.compile(r"[ -%'-~]*")


def _clean_line_unguarded(value: str) -> str:
    if _ORDINARY.fullmatch(value) and "  " not in value and "{:" not in value:
        return value.strip()
    if "&" in value and clean._ENTITY.search(value):
        value = html.unescape(value)
    value = clean._INVISIBLE.sub("", value)
    if "{:" in value:
        value = clean._KRAMDOWN_ATTRIBUTES.sub("", value)
    if any(arrow in value for arrow in "↩↑⬆⤴"):
        value = clean._BACK_LINKS.sub(" ", value)
    value = value.replace("\u2011", "-")
    return clean._BLANKS.sub(" ", value).strip()


CLEAN_LINES = [
    "", " ", "Plain line", "  indented  line  ", "tab\there", "a & b", "AT&amp;T", "x {:target=\"_blank\"} y",
    "bell\x07", "del\x7f", "unit sep\x1f", "file sep\x1c x", "form\x0cfeed", "~tilde", "Ümlaut", "zero\u200bwidth",
    "soft\u00adhyphen", "non\u2011breaking", "back ↩ link", "up ↑\ufe0f top", "↩{:x}\ufe0f", "a↩{:x}↩b",
    "nbsp\u00a0here", "ideographic\u3000space", "&#8203;", "&nbsp;x", "{\u200b:a} b", "line sep\u2028x",
]


@pytest.mark.parametrize("value", CLEAN_LINES)
def test_clean_line_same_as_unguarded(value):
    assert clean.clean_line(value) == _clean_line_unguarded(value)


def test_clean_line_ascii_shortcut_is_the_ordinary_pattern():
    # every ASCII character alone and between letters: isascii()+isprintable()+no "&" is the old pattern
    for code in range(128):
        for value in (chr(code), f"a{chr(code)}b", f" {chr(code)} "):
            ordinary = value.isascii() and value.isprintable() and "&" not in value
            assert ordinary == bool(_ORDINARY.fullmatch(value)), repr(value)
            assert clean.clean_line(value) == _clean_line_unguarded(value), repr(value)


# -- layout_of: substring guards before the two regexes -------------------------------------------
BODIES = [
    "plain text\nno markup\n", "a | b\n", "| a | b |\n|---|---|\n", "---|---\n", "see [x](http://y)\n",
    "![img](a.png)\n", "__init__ and __x\n", "__ \n", "a_b_c\n", "<p>para</p>\n", "1 < 2 > 0\n", "<PRE>x</PRE>\n",
    "<b>bold\n", "x ] ( y\n", "   |a|\n", "    |a|\n", "text\n| tail |", "<brother>\n",
]


# every markdown sign layout_of looks for, as one pattern: the plain form its scans are compared with
MARKDOWN_SIGNS = re.compile(r"^\s{0,3}(?:\|.*\|\s*$|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$)|\]\(|!\[|__[^\s_]",
                            re.M)


@pytest.mark.parametrize("body", BODIES)
def test_layout_of_same_as_unguarded(body):
    unguarded = "markup" if read._HTML_TAG.search(body) is not None or MARKDOWN_SIGNS.search(body) else "plain"
    assert read.layout_of(body) == unguarded


def test_layout_of_known_answers():
    assert read.layout_of("| a | b |\n") == "markup"
    assert read.layout_of("# Report\n**Speaker**: hi\n") == "plain"
    assert read.layout_of("<div>x</div>") == "markup"


# -- find_event: one combined scan says whether any forum is named --------------------------------
def _find_event_unguarded(value, date):
    value = value[:50000]
    for pattern, name in common.FORUMS:
        if pattern.search(value):
            return f"{name} {date.year}" if date else name
    return None


EVENT_TEXTS = [
    "", "nothing here", "the IGF 2023", "Internet Governance Forum and WSIS Forum", "wsis forum (lower case)",
    "WSIS + 20 High-Level Event then IGF", "IGFs are plural", "OEWG and open-ended working group", "SICW",
    "Munich Security Conference", "CyCon", "cycon", "Jeju Forum", "EuroDIG", "x" * 50000 + " IGF",
    "x" * 49990 + " IGF", "Paris Peace Forum and the IGF", "open ended working group",
]


@pytest.mark.parametrize("value", EVENT_TEXTS)
def test_find_event_same_as_unguarded(value):
    import datetime as dt
    for date in (None, dt.date(2021, 5, 1)):
        assert common.find_event(value, date) == _find_event_unguarded(value, date)


def test_find_event_keeps_list_order():
    assert common.find_event("IGF then WSIS Forum", None) == "WSIS Forum"  # the first in the list, not in the text
    assert common.find_event("no forum", None) is None


# -- guards before regexes that need a literal ------------------------------------------------------
ROLE_MARKS = ["Ms Y [Moderator]", "Ms Y (chair)", "Ms Y", "Ms Y moderator", "A (Online Moderator) B", "Z [x]",
              "Q ( keynote )", "R (Co-Chair"]


@pytest.mark.parametrize("value", ROLE_MARKS)
def test_split_role_mark_same_as_unguarded(value):
    match = names._MODERATOR_MARK.search(value)
    unguarded = ((value[: match.start()] + " " + value[match.end():]).strip(), match.group(1).lower()) if match \
        else (value, None)
    assert names.split_role_mark(value) == unguarded


@pytest.mark.parametrize("value", ["by the moderator (Duncan Hollis)", "moderator Duncan Hollis", "chair (x)",
                                   "Chair (Ana Lima) and rapporteur (Bo Ek)", "no brackets", ""])
def test_roles_of_names_guard(value):
    # the guard skips a text without "(": such a text has no match
    assert bool(list(session._ROLE_OF_NAME.finditer(value))) <= ("(" in value)


@pytest.mark.parametrize("value", ["Policy questions:", "Topics (15 minutes)", "Focus questions:  ", "topics",
                                   "questions?", "the following topics (65 minutes)\n", "Topics:\n", ""])
def test_list_intro_guard(value):
    found = session._LIST_INTRO.search(value)
    assert found is None or ":" in value or ")" in value


@pytest.mark.parametrize("value", ["Time:13:30", "Time: 13:30", "13:30", "no colon", "a:1 b:2", ""])
def test_glued_field_time_guard(value):
    assert (session._GLUED_FIELD_TIME.sub(": ", value) if ":" in value else value) == \
        re.sub(r"(?<=[A-Za-z]):(?=\d)", ": ", value)


@pytest.mark.parametrize("value", ["Ann Lee.", "Ann B.", "John Smith Jr.", "Ann Lee", "Ann Lee Lee", "Dr. Ann Lee .",
                                   "Ann Lee...", "A."])
def test_clean_name_same_as_unguarded(value):
    name = people.strip_titles(value.strip(" \"'“”‘’*•-–"))
    name = re.sub(r"\s*\.$", "", name) if not re.search(r"(?:\b[A-Z]|\b[JS]r)\.$", name) else name
    tokens = name.split()
    if len(tokens) >= 3 and tokens[-1] == tokens[-2]:
        tokens = tokens[:-1]
    assert people.clean_name(value) == " ".join(tokens)


@pytest.mark.parametrize("value", ["GRULAC", "Latin America (GRULAC)", "Latin America GRULAC", "WEOG (Western)",
                                   "Civil Society", "Asia-Pacific Group", "(x", "Private Sector"])
def test_igf_group_same_as_unguarded(value):
    folded = text.fold(re.sub(r"\s*\(?GRULAC\s*$", " (GRULAC)", value))
    if folded in igf_people.STAKEHOLDER_GROUPS:
        unguarded = "stakeholder"
    elif folded in igf_people.REGIONAL_GROUPS or text.fold(re.sub(r"\s*\(.*", "", value)) in igf_people.REGIONAL_GROUPS:
        unguarded = "region"
    else:
        unguarded = None
    assert igf_people._group(value) == unguarded


@pytest.mark.parametrize("value", ["One. Two! Three? we discussed:", "No break", "a.b. c", "end.  "])
def test_sentence_break_same_as_pattern_string(value):
    assert agenda._SENTENCE_BREAK.split(value) == re.split(r"(?<=[.!?])\s+", value)


# -- fold: cached for short values, the same key --------------------------------------------------
@pytest.mark.parametrize("value", ["Panellists:", "MatÃ­as Pérez", "Ṡpeaker", "x" * 200, "x" * 201 + " Y", "", None])
def test_fold_cached_same_as_uncached(value):
    assert text.fold(value) == (text._fold(value) if value else "")
    assert text.fold(value) == text.fold(value)


def test_fold_known_answer():
    assert text.fold("  MatÃ­as  PÉREZ! ") == "matias perez"


def test_find_event_same_as_unguarded_on_mixed_mentions():
    import random
    mentions = ["WSIS+20 high-level event", "wsis forum", "IGF", "Internet Governance Forum", "SICW", "OEWG",
                "Munich Security Conference", "Paris Peace Forum", "EuroDIG", "CyCon", "Jeju Forum", "IGFx", "filler"]
    rng = random.Random(7)
    for _ in range(300):
        value = " ".join(rng.choice(mentions) for _ in range(rng.randint(0, 5)))
        assert common.find_event(value, None) == _find_event_unguarded(value, None), value
