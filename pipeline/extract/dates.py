"""Dates and times as pages write them, read with their context.

Finding a date or a time inside a line is done here (a page writes "14 July (Thurs), 3pm",
"Tuesday, 10th October, 2023 (06:15 UTC)", "2.30pm – 4pm", "0730AM - 1030AM", "14h30-16h00 CET");
turning a found date into a calendar day is left to dateutil's parser. A date without a year takes
the year the page itself states (its edition, heading or front matter), never a file name, and a
post's publication date is never an event date (the callers leave those lines out).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from dateutil import parser as dateutil_parser

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\.?"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
# 13 - 15 December 2023 | 3rd July, Sat | 31. May 2022 | 24 May 2023 (Wed) | 6 to 10 September 2021
_DAY_MONTH = re.compile(
    rf"(?<![\w/.-])(?P<day>[0-3]?\d){_ORD}\.?(?:\s*(?:-|–|—|to|&|and)\s*[0-3]?\d{_ORD})?\s+(?:of\s+)?"
    rf"(?P<month>{_MONTH})(?![a-z])(?:\s*\(?,?\s*{_WEEKDAY}\)?)?(?:,?\s+(?P<year>{_YEAR}))?(?!\d)", re.I)
# June 7th, 2018 | November 24-25, 2021 | December 15, 2024 | May 15 | August 27th - 29th, 2024
_MONTH_DAY = re.compile(
    rf"(?<![\w-])(?P<month>{_MONTH})\s+(?P<day>[0-3]?\d){_ORD}(?![\d:.]\d)(?:\s*(?:-|–|—|to|&)\s*[0-3]?\d{_ORD}(?![\d:]))?"
    rf"(?:,?\s+(?P<year>{_YEAR}))?(?![\d:])", re.I)
_ISO = re.compile(rf"(?<![\d-])(?P<year>{_YEAR})-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?![\d-])")
_YEAR_ONLY = re.compile(rf"(?<![\d/.-]){_YEAR}(?![\d])")


@dataclass(frozen=True)
class DateMention:
    month: int
    day: int
    year: int | None
    start: int
    end: int

    def on(self, year: int | None) -> dt.date | None:
        """The calendar day, with `year` when the mention itself has none."""
        year = self.year or year
        if year is None:
            return None
        try:
            return dt.date(year, self.month, self.day)
        except ValueError:
            return None


@lru_cache(maxsize=65536)
def _month_day(written: str) -> tuple[int, int] | None:
    """(month, day) of a written day and month, by dateutil (no year needed)."""
    try:
        parsed = dateutil_parser.parse(written, default=dt.datetime(2000, 1, 1), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    return parsed.month, parsed.day


DIGIT = re.compile(r"\d")  # every date and time has one: a text without any is not scanned
_ASCII_DIGITS = b"0123456789"


def _first_digit(text: str) -> int:
    """Where DIGIT first matches in `text`, -1 when nowhere. An ASCII text without digits, the common
    case, is told by deleting its digits in bytes, much faster than a scan for \\d."""
    if not text:
        return -1
    if text.isascii() and len(text.encode("ascii").translate(None, _ASCII_DIGITS)) == len(text):
        return -1
    digit = DIGIT.search(text)
    return digit.start() if digit else -1


# The first three letters of every month, in lower-cased text ("ſep": re.I reads "ſ" as an "s" that
# lower() keeps): a text without any is not scanned for a written month.
_MONTH_START = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|ſep|oct|nov|dec")


def _date_scans(text: str, first_digit: int) -> list[tuple[re.Pattern, int]]:
    """The date patterns that can match in `text`, in the order they are tried, each with the position
    its first match cannot start before: an ISO date and a day before its month start with a digit."""
    scans = [(_ISO, first_digit)] if "-" in text else []
    if _MONTH_START.search(text.lower()):
        scans += [(_DAY_MONTH, first_digit), (_MONTH_DAY, 0)]
    return scans


@lru_cache(maxsize=32768)
def find_dates(text: str) -> tuple[DateMention, ...]:
    """Every day-and-month written in `text`, in order (a range gives its first day)."""
    first_digit = _first_digit(text)
    if first_digit < 0:
        return ()
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, start in _date_scans(text, first_digit):
        for match in pattern.finditer(text, start):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            month, day = match.group("month"), int(match.group("day"))
            if month.isdigit():
                month_day = (int(month), day)
            else:
                month_day = _month_day(f"{day} {month.rstrip('.')}")
            if month_day is None or not (1 <= month_day[0] <= 12 and 1 <= month_day[1] <= 31):
                continue
            year = int(match.group("year")) if match.group("year") else None
            found.append(DateMention(month_day[0], month_day[1], year, match.start(), match.end()))
            taken.append((match.start(), match.end()))
    return tuple(sorted(found, key=lambda m: m.start))


_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>{_YEAR})(?!\d)", re.I)


def month_years(text: str) -> set[int]:
    """The years a text states with a month ("in July 2024"): a year of the calendar, not of a name."""
    if not may_hold_year(text):  # most lines: no month regex run over them
        return set()
    return {int(m.group("year")) for m in _MONTH_YEAR.finditer(text)}


def years_in(text: str) -> set[int]:
    if not may_hold_year(text):
        return set()
    return {int(y) for y in _YEAR_ONLY.findall(text)}


def may_hold_year(text: str | None) -> bool:
    """Whether a year of _YEAR (19xx or 20xx) can be in the text at all."""
    return bool(text) and ("19" in text or "20" in text)


def first_date(text: str, year: int | None = None) -> dt.date | None:
    for mention in find_dates(text):
        day = mention.on(year)
        if day:
            return day
    return None


# -- times ------------------------------------------------------------------------------------------
_CLOCK = (r"(?P<{p}h>[012]?\d)(?:(?:[:.h]|\s?h\s?)(?P<{p}m>[0-5]\d)|(?P<{p}c>[0-5]\d)(?=\s*[ap]\.?m))?\s*"
          r"(?P<{p}mer>a\.?\s?m\.?|p\.?\s?m\.?|noon|midday|h(?![a-z]))?")
_RANGE = re.compile(rf"(?<![\d./,-])(?<!\d:){_CLOCK.format(p='a')}(?:\s*(?:-|–|—|~|−|to|until|till)\s*{_CLOCK.format(p='b')})?"
                    r"(?![\d]|[:.]\d)", re.I)


@dataclass(frozen=True)
class TimeMention:
    start: dt.time
    end: dt.time | None
    begin: int   # character offsets in the text
    finish: int


def _hour(h: str, m: str | None, mer: str | None) -> dt.time | None:
    hour, minute = int(h), int(m or 0)
    mer = (mer or "").lower().replace(".", "").replace(" ", "")
    if mer == "pm" and hour < 12:
        hour += 12
    elif mer == "am" and hour == 12:
        hour = 0
    if mer in ("noon", "midday"):
        hour, minute = (12, minute) if hour == 12 else (hour, minute)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)


def _has_minutes_or_meridiem(match: re.Match, p: str) -> bool:
    return bool(match.group(f"{p}m") or match.group(f"{p}c") or match.group(f"{p}mer"))


@lru_cache(maxsize=32768)
def find_times(text: str) -> tuple[TimeMention, ...]:
    """Clock times and ranges in `text`: "9:30 am – 12:00 pm", "11.30-12.10pm" (one meridiem for both),
    "2-4pm", "0730AM - 1030AM", "14h30-16h00", "12 noon". A bare "2 - 3" is not a time."""
    first_digit = _first_digit(text)
    if first_digit < 0:
        return ()
    # a time starts with its hour's digit: the scan starts at the first digit
    found = (_time_of_match(match) for match in _RANGE.finditer(text, first_digit))
    return tuple(mention for mention in found if mention is not None)


def _time_of_match(match: re.Match) -> TimeMention | None:
    """The time or range a match of _RANGE states, or None when it is a bare number, a duration or no clock time."""
    has_b = match.group("bh") is not None
    a_ok = _has_minutes_or_meridiem(match, "a")
    b_ok = has_b and _has_minutes_or_meridiem(match, "b")
    if not (a_ok or b_ok) or _is_duration(match, has_b):
        return None
    start, end = _range_times(match, has_b)
    if start is None or (has_b and end is None):
        return None
    if not has_b and not (a_ok and (match.group("amer") or match.group("am") or match.group("ac"))):
        return None
    return TimeMention(start, end, match.start(), match.end())


def _is_duration(match: re.Match, has_b: bool) -> bool:
    """"3h" alone is a duration."""
    return bool(match.group("amer") and match.group("amer").lower() == "h" and not (match.group("am") or has_b))


def _meridiems(match: re.Match, has_b: bool) -> tuple[str | None, str | None]:
    """The meridiem written after each end; the "h" of "14h30" is none."""
    mer_a = match.group("amer") if (match.group("amer") or "").lower() not in ("h",) else None
    mer_b = match.group("bmer") if has_b and (match.group("bmer") or "").lower() not in ("h",) else None
    return mer_a, mer_b


def _range_times(match: re.Match, has_b: bool) -> tuple[dt.time | None, dt.time | None]:
    """Start and end of a match; a meridiem written once serves both ends ("11.30-12.10pm")."""
    mer_a, mer_b = _meridiems(match, has_b)
    end = _hour(match.group("bh"), match.group("bm") or match.group("bc"), mer_b) if has_b else None
    start = _hour(match.group("ah"), match.group("am") or match.group("ac"), mer_a or mer_b)
    if start and end and start > end and not mer_a:
        # "11:30-12:00pm", "10 to 11.30am": the start takes the other half of the day
        start = _hour(match.group("ah"), match.group("am") or match.group("ac"), "am")
    if start and end and start > end and (mer_b or "").lower().startswith("a") and end.hour == 0:
        end = dt.time(12, end.minute)  # "10:40 – 12:00 am" after a morning start means noon
    return start, end


def first_time(text: str) -> TimeMention | None:
    found = find_times(text)
    return found[0] if found else None


_UTC_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*(?P<sign>[+\-−])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?", re.I)
TZ_OFFSETS = {"SGT": "+08:00", "CET": "+01:00", "CEST": "+02:00", "EST": "-05:00", "EDT": "-04:00",
              "BST": "+01:00", "JST": "+09:00", "KST": "+09:00", "IST": "+05:30", "AEST": "+10:00",
              "UTC": "+00:00", "GMT": "+00:00", "MT": "-07:00", "MST": "-07:00", "MDT": "-06:00",
              "CST": "-06:00", "PST": "-08:00", "PDT": "-07:00", "EAT": "+03:00", "CAT": "+02:00", "ET": "-05:00",
              "PT": "-08:00", "CT": "-06:00", "WAT": "+01:00", "GST": "+04:00", "AST": "+03:00", "WIB": "+07:00",
              "HKT": "+08:00", "PHT": "+08:00", "ICT": "+07:00", "NZST": "+12:00", "AEDT": "+11:00", "MSK": "+03:00",
              "EET": "+02:00", "EEST": "+03:00", "WET": "+00:00", "WEST": "+01:00"}
_TZ = re.compile(r"\b(" + "|".join(TZ_OFFSETS) + r")\b")


def utc_offset(text: str | None) -> str | None:
    """"(GMT +8)" -> "+08:00"; "(CEST)" -> "+02:00"."""
    if not text:
        return None
    match = _UTC_OFFSET.search(text)
    if match:
        hours, minutes = int(match.group("h")), int(match.group("m") or 0)
        if hours <= 14 and minutes < 60:
            return f"{'-' if match.group('sign') in '-−' else '+'}{hours:02d}:{minutes:02d}"
    match = _TZ.search(text)
    return TZ_OFFSETS[match.group(1)] if match else None


def minutes_between(start: dt.time | None, end: dt.time | None) -> int | None:
    if not start or not end:
        return None
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes if minutes > 0 else None
