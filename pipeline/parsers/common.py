"""Pieces of parsing that several formats share: dates, times, UTC offsets, forum names, lists."""
from __future__ import annotations

import datetime as dt
import re

from pipeline.text import collapse_ws

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for m in names
}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
DAY_MONTH_YEAR = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b", re.I)
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")
ISO_DATE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")

_CLOCK = r"(\d{1,2})(?:[.:h](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|h(?![a-z]))?"
TIME_RANGE = re.compile(rf"(?<![\d.:]){_CLOCK}\s*(?:-|–|—|to|until)\s*{_CLOCK}", re.I)
UTC_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+\-−])\s*(\d{1,2})(?:[:.]?(\d{2}))?", re.I)
TZ_ABBREVIATIONS = {"SGT": "+08:00", "CET": "+01:00", "CEST": "+02:00", "EST": "-05:00", "EDT": "-04:00",
                    "BST": "+01:00", "JST": "+09:00", "KST": "+09:00", "IST": "+05:30", "AEST": "+10:00"}
_TZ_ABBREV_RE = re.compile(r"\((" + "|".join(TZ_ABBREVIATIONS) + r")\)")

# Forums named in the text itself; the edition is the year of the session's date when known.
FORUMS = [
    (re.compile(r"\bWSIS\s*\+\s*20 high[- ]level event\b", re.I), "WSIS+20 High-Level Event"),
    (re.compile(r"\bWSIS Forum\b", re.I), "WSIS Forum"),
    (re.compile(r"\bInternet Governance Forum\b|\bIGF\b"), "Internet Governance Forum"),
    (re.compile(r"\bSingapore International Cyber Week\b|\bSICW\b"), "Singapore International Cyber Week"),
    (re.compile(r"\bMunich Security Conference\b"), "Munich Security Conference"),
    (re.compile(r"\bParis Peace Forum\b"), "Paris Peace Forum"),
]


def parse_date(text: str | None) -> dt.date | None:
    """The first calendar date written in `text` (day-month-year, month-day-year or ISO)."""
    if not text or not _YEAR.search(text):
        return None
    candidates = []
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR, ISO_DATE):
        match = pattern.search(text)
        if match:
            candidates.append(match)
    for match in sorted(candidates, key=lambda m: m.start()):
        month = match.group("month")
        month_number = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
        try:
            return dt.date(int(match.group("year")), month_number, int(match.group("day")))
        except (TypeError, ValueError):
            continue
    return None


def _clock(hour: str, minute: str | None, meridiem: str | None, fallback_meridiem: str | None) -> dt.time | None:
    h, m = int(hour), int(minute or 0)
    mer = (meridiem or fallback_meridiem or "").lower().replace(".", "")
    if mer == "pm" and h < 12:
        h += 12
    elif mer == "am" and h == 12:
        h = 0
    if not (0 <= h < 24 and 0 <= m < 60):
        return None
    return dt.time(h, m)


def parse_time_range(text: str | None) -> tuple[dt.time | None, dt.time | None]:
    """"4.00pm to 5.30pm" -> (16:00, 17:30); "11:30h - 12:00h" -> (11:30, 12:00)."""
    if not text:
        return None, None
    for match in TIME_RANGE.finditer(text):
        h1, m1, mer1, h2, m2, mer2 = match.groups()
        # a bare "2 - 3" is a range of numbers, not of times
        if not any((m1, m2, mer1, mer2)):
            continue
        mer1 = None if mer1 and mer1.lower() == "h" else mer1
        mer2 = None if mer2 and mer2.lower() == "h" else mer2
        end = _clock(h2, m2, mer2, None)
        # "10 to 11.30am": the start shares the end's meridiem unless that would put it after the end
        start = _clock(h1, m1, mer1, mer2)
        if start and end and start > end and not mer1:
            start = _clock(h1, m1, "am", None)
        if start and end:
            return start, end
    return None, None


def parse_utc_offset(text: str | None) -> str | None:
    """"(GMT +8)" -> "+08:00"; a known zone abbreviation in brackets ("(SGT)") too."""
    if not text:
        return None
    match = UTC_OFFSET.search(text)
    if match:
        sign = "-" if match.group(1) in "-−" else "+"
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours <= 14 and minutes < 60:
            return f"{sign}{hours:02d}:{minutes:02d}"
    match = _TZ_ABBREV_RE.search(text)
    if match:
        return TZ_ABBREVIATIONS[match.group(1)]
    return None


def duration_minutes(start: dt.time | None, end: dt.time | None) -> int | None:
    if not start or not end:
        return None
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes if minutes > 0 else None


def find_event(text: str, date: dt.date | None) -> str | None:
    """The forum a document says it belongs to, with the edition year when the session's date is known."""
    text = text[:50000]  # a document names its forum early; scanning a whole transcript costs
    for pattern, name in FORUMS:
        if pattern.search(text):
            return f"{name} {date.year}" if date else name
    return None


_NUMBERED = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+")


def split_numbered(text: str) -> list[str]:
    """"1. What ...? 2. How ...?" -> ["What ...?", "How ...?"], only when numbering runs 1, 2, 3..."""
    matches = list(_NUMBERED.finditer(text))
    expected, starts = 1, []
    for match in matches:
        if int(match.group(1)) == expected:
            starts.append(match)
            expected += 1
    if len(starts) < 2 or starts[0].start() > 3:
        return [collapse_ws(text)] if text.strip() else []
    items = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        item = collapse_ws(text[match.end():end])
        if item:
            items.append(item)
    return items


SDG_TITLES = {
    1: "No Poverty", 2: "Zero Hunger", 3: "Good Health and Well-Being", 4: "Quality Education",
    5: "Gender Equality", 6: "Clean Water and Sanitation", 7: "Affordable and Clean Energy",
    8: "Decent Work and Economic Growth", 9: "Industry, Innovation and Infrastructure",
    10: "Reduced Inequalities", 11: "Sustainable Cities and Communities",
    12: "Responsible Consumption and Production", 13: "Climate Action", 14: "Life Below Water",
    15: "Life on Land", 16: "Peace, Justice and Strong Institutions", 17: "Partnerships for the Goals",
}
_SDG_LINE = re.compile(r"^\s*(?:(?:SDG|GOAL)\s*(\d{1,2})\s*[:.\-–]?\s*(.*)|(\d{1,2})\s*[.:]\s*(.+))$", re.I)


def parse_sdg_line(line: str) -> str | None:
    """"GOAL 16: Peace, ..." or "16. Peace, Justice and Strong Institutions" -> "GOAL 16: Peace, ..."."""
    match = _SDG_LINE.match(line)
    if not match:
        return None
    number = int(match.group(1) or match.group(3))
    title = collapse_ws(match.group(2) or match.group(4) or "")
    if number not in SDG_TITLES:
        return None
    if match.group(3):  # the bare "16. ..." form must name the goal, or it is just a numbered line
        from pipeline.text import fold
        if fold(title) != fold(SDG_TITLES[number]):
            return None
    return f"GOAL {number}: {title or SDG_TITLES[number]}"
