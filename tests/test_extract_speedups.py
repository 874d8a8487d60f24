"""The shortcuts in dates, people and the sources' common code give what the plain forms give: each test
runs the shortcut and the plain form (the code as it read before the shortcut, copied here) on variants,
edge cases included."""
from __future__ import annotations

import datetime as dt
import itertools
import pickle
import re
import sys
from dataclasses import replace
from types import SimpleNamespace

import pytest

from pipeline.extract import dates, people
from pipeline.extract.dates import DateMention
from pipeline.model.names import country_name
from pipeline.model.text import fold
from pipeline.model.vocabulary import REGIONAL_GROUPS, STAKEHOLDER_GROUPS
from pipeline.sources import common

ALL_CHARS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


# every character re.IGNORECASE matches to an ASCII letter, found in one pass
_LETTER_LIKE = list(filter(re.compile("[a-z]", re.I).fullmatch, ALL_CHARS))


def _odd_case_variants(letter: str) -> list[str]:
    """Characters re.IGNORECASE matches to `letter` whose str.lower() is not the lower-case letter."""
    pattern = re.compile(re.escape(letter), re.I)
    return [c for c in _LETTER_LIKE if pattern.fullmatch(c) and c.lower() != letter.lower()]


def test_guard_letters_have_no_odd_case_variant():
    # the words looked for in lower-cased text: any character re.I matches to one of their letters
    # lowers to that letter, so a text the pattern matches holds the word once lower-cased
    letters = {ch for _, words in common._FORUM_WORDS for word in words for ch in word if ch.isalpha()}
    letters |= set("janfebmraprmyulgoctnvdec")  # dates._MONTH_START, but for its "sep"
    assert not any(_odd_case_variants(letter) for letter in letters)
    assert _odd_case_variants("s") == ["ſ"]  # why _MONTH_START also looks for "ſep"


# -- find_event: a forum's pattern is searched only when its words are there -----------------------
def _forums_union(forums):
    return re.compile("|".join(f"(?P<f{i}>(?{'i' if pattern.flags & re.I else ''}:{pattern.pattern}))"
                               for i, (pattern, _) in enumerate(forums)))


_FORUMS_BEFORE = [_forums_union(common.FORUMS[:k]) if k else None for k in range(len(common.FORUMS) + 1)]


def _find_event_plain(text, date):
    text = text[:50000]
    first = None
    union = _FORUMS_BEFORE[len(common.FORUMS)]
    while union is not None and (match := union.search(text)):
        first = next(int(name[1:]) for name, value in match.groupdict().items() if value is not None)
        union = _FORUMS_BEFORE[first]
    if first is None:
        return None
    name = common.FORUMS[first][1]
    return f"{name} {date.year}" if date else name


FORUM_MENTIONS = [
    "WSIS+20 High-Level Event", "wsis + 20 high level event", "WſIS+20 HIGH-LEVEL EVENT", "WSIS+20 high-level events",
    "WSIS Forum", "wsis forum", "WſIS FORUM", "WSIS Forums", "xWSIS Forum", "Internet Governance Forum", "IGF", "IGFs",
    "igf", "İGF", "Singapore International Cyber Week", "SICW", "sicw", "Munich Security Conference",
    "munich security conference", "Paris Peace Forum", "EuroDIG", "EURODIG", "Open-ended Working Group",
    "OPEN ENDED WORKING GROUP", "Open-Ended WorKing Group", "open-ended working groups", "OEWG", "oewg", "OEWGs",
    "CyCon", "CYCON", "Jeju Forum", "jeju forum", "forum", "level event", "ended wo", "Forum of the IGF",
]


def _event_texts():
    yield from ("", "nothing here", "x" * 50000 + " IGF", "x" * 49995 + " IGF", "y" * 49990 + " EuroDIG here")
    for mention in FORUM_MENTIONS:
        yield mention
        yield f"The {mention}, 2023."
        yield f"pre-{mention}-post"
    for a, b in itertools.permutations(FORUM_MENTIONS[::3], 2):
        yield f"{a} and then {b}"


@pytest.mark.parametrize("date", [None, dt.date(2021, 5, 1)])
def test_find_event_same_as_plain(date):
    for text in _event_texts():
        assert common.find_event(text, date) == _find_event_plain(text, date), text


# -- find_dates / find_times: a digit and a month's letters before the scans ----------------------
def _find_dates_plain(text):
    if not text or not dates.DIGIT.search(text):
        return ()
    found, taken = [], []
    for pattern in (dates._ISO, dates._DAY_MONTH, dates._MONTH_DAY):
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            month, day = match.group("month"), int(match.group("day"))
            month_day = (int(month), day) if month.isdigit() else dates._month_day(f"{day} {month.rstrip('.')}")
            if month_day is None or not (1 <= month_day[0] <= 12 and 1 <= month_day[1] <= 31):
                continue
            year = int(match.group("year")) if match.group("year") else None
            found.append(DateMention(month_day[0], month_day[1], year, match.start(), match.end()))
            taken.append((match.start(), match.end()))
    return tuple(sorted(found, key=lambda m: m.start))


def _find_times_plain(text):
    if not text or not dates.DIGIT.search(text):
        return ()
    found = (dates._time_of_match(match) for match in dates._RANGE.finditer(text))
    return tuple(mention for mention in found if mention is not None)


MONTHS = ["January", "jan", "JAN.", "Feb", "february", "MAR", "march", "Apr.", "april", "May", "MAY", "june", "Jun",
          "July", "jul.", "Aug", "AUGUST", "Sep", "Sept.", "SEPTEMBER", "ſep", "ſeptember", "ſEPT", "Oct", "october",
          "Nov.", "NOVEMBER", "dec", "December", "Mai", "Junio", "Decembre"]
DATE_FORMS = ["{d} {m} {y}", "{m} {d}, {y}", "{d}th {m}", "{m} {d}th - 29th, {y}", "{d} - 15 {m} {y}",
              "{d}. {m} {y}", "{d} {m} (Wed)", "{m} {d}", "Tuesday, {d}rd {m}, {y} (06:15 UTC)", "{y}-0{d}-1{d}",
              "/{d} {m}", "-{d} {m}", "x{d} {m}", "{m}-{d}", "{m} {d}:30", "{y}-13-40", "{d} of {m} {y}"]
DATE_EXTRAS = ["", "Room 5 — ", "٣ ", "² ", "１ ", "ref 2023-05-", "Sept ", "a-b ", "ñ "]


def _date_texts():
    yield from ("", "no digits at all", "٣", "12", "2023", "2023-05-06", "-", "May", "sep 12", "ſep 12", "ſep ١٢")
    for form, month, extra in itertools.product(DATE_FORMS, MONTHS[::2], DATE_EXTRAS):
        yield extra + form.format(d=3, m=month, y=2023)
    for form, month in itertools.product(DATE_FORMS, MONTHS[1::2]):
        yield form.format(d=1, m=month, y=1999) + " and " + form.format(d=2, m=month, y=2024)


def test_find_dates_same_as_plain():
    for text in _date_texts():
        assert dates.find_dates.__wrapped__(text) == _find_dates_plain(text), text


TIMES = ["9:30 am – 12:00 pm", "11.30-12.10pm", "2-4pm", "0730AM - 1030AM", "14h30-16h00 CET", "12 noon", "3h",
         "2 - 3", "10 to 11.30am", "10:40 – 12:00 am", "x1:30 pm", "a.1:30 pm", "/9am", "1:2:30pm", "٣:30 pm",
         "9:٣0 am", "１０:00", "0:00", "23:59-00:10", "9.30am", "9 a.m. to 5 p.m.", "12 midday"]


def test_find_times_same_as_plain():
    for time, extra in itertools.product(TIMES, DATE_EXTRAS + ["Session 3 (room 12) ", "12/"]):
        for text in (time, extra + time, time + " " + extra, extra):
            assert dates.find_times.__wrapped__(text) == _find_times_plain(text), text


def test_first_digit_same_as_regex():
    def plain(text):
        match = dates.DIGIT.search(text)
        return match.start() if match else -1
    for text in ["", "abc", "a1", "1", "x" * 300 + "7", "é1", "é٣", "ab²", "１", "٣x1", "no digit é"]:
        assert dates._first_digit(text) == plain(text), text
    assert all(dates._first_digit("ab" + chr(c)) == plain("ab" + chr(c)) for c in range(128))
    assert all(dates._first_digit("ab" + c) == plain("ab" + c) for c in ALL_CHARS if c.isdigit() or c.isnumeric())


# -- people: guards before the post-nominal, name-end and digit checks ----------------------------
def _split_titles_plain(text):
    text = " ".join(text.split()).strip(" ,;:")
    removed = []
    if text.startswith("HE ") and text[3:4].isupper():
        removed.append("HE")
        text = text[3:]
    for _ in range(5):
        match = people._LEADING_TITLE.match(text + " ")
        if not match or match.end() >= len(text) + 1:
            break
        removed.append(match.group(0).strip(" ,"))
        text = text[match.end():].strip(" ,")
    return (" ".join(removed) or None), people._POSTNOMINAL.sub("", text).strip(" ,;:")


POSTNOMINALS = ["SC", "KC", "QC", "GCB", "KCB", "KCMG", "CMG", "OBE", "CBE", "MBE", "PhD", "Ph.D", "Ph. D", "Ph.D.",
                "PhD.", "Ph D", "MD", "Esq", "Esq.", "MP", "(ret)", "(ret.)", "(retd)", "(retd.)", "(TBC)", "(tbc)",
                "(Ret.)", "sc", "Mp", "OBEs", "XMP", "(TBD)"]
NAMES = ["Jane Doe", "Lt. General (Ret.) Harry D. Raduege", "HE Mr Ali Khan", "He Yi", "Dr. Ann Lee", "Ann Lee Jr.",
         "H.E. Amb. Anne Marie", "Prof Dr Kim", "Ms JŪRATĖ ŠOVIENĖ", "", "Dr.", "Sir"]


def _title_texts():
    for name in NAMES:
        yield name
        for first, second in itertools.product(POSTNOMINALS, POSTNOMINALS[::5]):
            for separator in (" ", ", ", " ,  "):
                yield f"{name}{separator}{first}"
                yield f"{name}{separator}{first}{separator}{second}"
        for end in (" ", "\n", " \t", "\u00a0", ",", ";", " :"):
            yield f"{name}, OBE{end}"


def test_split_titles_same_as_plain():
    for text in _title_texts():
        assert people.split_titles.__wrapped__(text) == _split_titles_plain(text), text
    for text in ("Jane Doe MP\n", "Jane Doe MP \n ", "Jane Doe, MP\u2003"):
        assert people._without_postnominals(text) == people._POSTNOMINAL.sub("", text), text


BODIES = ["Jane Doe", "Jane Doe, Director", "Jane Doe - Director", "Jane Doe – CEO", "Jane Doe—CEO", "Jane Doe (Chair)",
          "Jane Doe (Anne) Smith", "Jane Doe (Anne)x", "Jane Doe. Director", "J. Doe. Director", "Jane Doe | Norway",
          "Jane Doe: on cyber", "Jane Doe:x", "Jane Doe ,x", "Jane  ,  x", "Jane\u00a0, x", "Jane Doe -x", "Jane-Doe",
          "Ana.b", "ab. c", "x|y", "Jane (", "", " ", ",", "Jane Doe \u2014 CEO", "Jane Doe\t|\tx"]


def test_name_end_same_as_plain():
    for body in BODIES:
        plain = people._NAME_END.search(body)
        guarded = people._name_end(body)
        assert (guarded and guarded.span()) == (plain and plain.span()), body


def _name_shape_plain(name, slot):
    if not name or len(name) > 60 or any(ch.isdigit() for ch in name):
        return None
    name = people._GENERATIONAL_TAIL.sub("", people._NICKNAME.sub(" ", name)).strip()
    if people._NAME_FORBIDDEN.search(name):
        return None
    tokens = name.replace("–", "-").split()
    if not (2 <= len(tokens) <= 6) and not (slot and len(tokens) == 1 and len(tokens[0]) > 2):
        return None
    if "\ufffd" in name or any(people._MOJIBAKE_TOKEN.fullmatch(t) for t in tokens):
        return None
    return name, tokens


SHAPES = ["Jane Doe", "Jane Doe 2", "Jane Doe²", "Jane Doe ٣", "Jane １", "ÿþý broken", "Ãé Lee", "José Ãé", "Ann",
          "Ann Lee Jr.", "Ann (Annie) Lee", "Ann Lee\ufffd", "a b c d e f g", "Lee", "Lé", "", "x" * 61, "Ann@Lee",
          "Ann – Lee", "ÀÀ", "Ann ÀÀ Lee", "Ann À Lee"]


def test_name_shape_same_as_plain():
    for name, slot in itertools.product(SHAPES, (False, True)):
        assert people._name_shape(name, slot) == _name_shape_plain(name, slot), name


def test_has_digit_same_as_isdigit():
    assert all(people._has_digit("ab" + chr(c)) == chr(c).isdigit() for c in range(128))
    for c in (c for c in ALL_CHARS if c.isdigit() or c.isnumeric() or c.isdecimal()):
        assert people._has_digit("é" + c) == c.isdigit()
        assert people._has_digit("ab" + c) == c.isdigit()


def _names_a_place_or_group_plain(name, tokens):
    if country_name(name) or any(country_name(t) and len(t) > 3 for t in tokens[-1:]):
        return True
    return fold(name) in STAKEHOLDER_GROUPS or fold(name) in REGIONAL_GROUPS


def test_names_a_place_or_group_same_as_plain():
    for name in ["Esri Singapore", "Lithuania", "Ann Lee", "Ann USA", "Ann UK", "Ann Chad", "Ann Peru", "Ann Iran",
                 "civil society", "GRULAC", "Ann Lee Oman", "Ann Mali", ""]:
        tokens = name.split()
        assert people._names_a_place_or_group(name, tokens) == _names_a_place_or_group_plain(name, tokens), name


def test_copy_same_as_replace():
    for line in ["Dr. Jane Doe, Director, Cyber Agency, Norway", "Jane Doe, CEO, Acme Inc; Fellow, Oxford",
                 "Ms Ann Lee (Ministry of Digital Affairs)", "Jane Doe"]:
        person = people._parse_person_line(line, True)
        for original in (person, people.PersonLine("x", extra=["a"])):
            copied = people._copy(original)
            assert copied == replace(original, extra=list(original.extra))
            assert pickle.dumps(copied, protocol=5) == pickle.dumps(replace(original, extra=list(original.extra)), 5)
            assert repr(copied) == repr(original) and copied.extra is not original.extra
            copied.extra.append("changed")
            copied.name = "changed"
            assert "changed" not in original.extra and original.name != "changed"
    assert people._copy(None) is None


# -- page_context: a long line is not scanned for a date and a time --------------------------------
def _date_time_line_plain(block):
    text = block.text
    fields = [f.strip() for f in text.split(" | ")]
    if len(fields) > 2 and common._day_only(fields[0]) and any(dates.find_times(f) and len(f) < 30 for f in fields[1:3]):
        return common._day_only(fields[0])
    found_dates, found_times = dates.find_dates(text), dates.find_times(text)
    if not found_dates or not found_times or len(text) > 120:
        return None
    rest = text
    for m in sorted([(d.start, d.end) for d in found_dates] + [(t.begin, t.finish) for t in found_times], reverse=True):
        rest = rest[:m[0]] + " " + rest[m[1]:]
    rest = re.sub(r"\b(?:utc|gmt|cet|cest|[a-z]{3,9}day|h)\b|[\W\d_]", " ", rest, flags=re.I)
    return found_dates[0] if len(rest.split()) <= 1 else None


DATE_TIME_LINES = ["9 Jul 2025 11:30h - 12:00h", "Thursday, 1st December, 2022 (13:45 UTC) - 15:00 UTC",
                   "20 June 2019 | 9:30-10:30 | MAIN HALL | Video recording", "9 Jul 2025", "11:30 - 12:00",
                   "9 Jul 2025 11:30h - 12:00h in the main hall", "9 Jul 2025 11:30h - 12:00h" + " " * 95 + "x",
                   "9 Jul 2025 11:30h - 12:00h" + " " * 94, "", "no date", "x" * 130 + " 9 Jul 2025 10:00-11:00"]


def test_date_time_line_same_as_plain():
    for text in DATE_TIME_LINES:
        block = SimpleNamespace(text=text)
        assert common._date_time_line(block) == _date_time_line_plain(block), text
