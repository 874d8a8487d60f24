"""What every source shares once a document is read: the page's own context (title, year, date,
time), turning found sessions into records, forum names, numbered lists and SDG lines, and marking
a document that stops in the middle."""
from __future__ import annotations

import re

from pipeline.document import Block, Document
from pipeline.extract.agenda import (_SECTION_NAMES, Context, Draft, _day_only, _label_value, _strip_time, page_year)
from pipeline.extract.dates import find_dates, find_times, minutes_between, utc_offset
from pipeline.extract.prose import country_adjective
from pipeline.model.records import Item, ParsedDocument, Participant, SessionRecord
from pipeline.model.text import collapse_ws, fold
from pipeline.model.vocabulary import ROLES, field_of, role_of

# Navigation and widget residue that opens scraped pages; never a title.
_RESIDUE = re.compile(r"^(?:go back|back|loading…?|loading\.\.\.|skip to (?:main )?content|menu|home|search|"
                      r"share|print|back to all events|sign up.*|log ?in.*|or to bookmark.*|check-in and access.*|"
                      r"session|programme agenda|agenda|programme|program|photo|image|past event|upcoming event|"
                      r"https?://\S+|\W+|(?:\w+\s+){0,3}(?:thumbnail|banner|logo|photo|image|picture|icon)\b.{0,20})$", re.I)
_PROSE_DATE_CUE = re.compile(r"\b(?:held|take place|takes place|took place|scheduled|on|from|dated?)\s+(?:on\s+)?"
                             r"(?:\w+day,?\s+)?$", re.I)

class LineWords:
    """Which of several words open a line of a text ("\n" + word is in it), found in one scan: a search for
    the newlines and the words after them, where a search per word scans the whole text once each. A word
    may end on a newline ("Speech speed\n"): that newline is looked ahead at, not taken, so that the word of
    the next line is found after it. No word holds another newline, and none opens another (each occurrence
    is then found: a match takes no newline but its first, and at most one word matches at a newline)."""

    def __init__(self, *words: str) -> None:
        stems = [word[:-1] if word.endswith("\n") else word for word in words]
        if any("\n" in stem for stem in stems) or any(a != b and b.startswith(a) for a in words for b in words):
            raise ValueError(f"words that hold a newline or open one another: {words!r}")
        self._word = dict(zip(stems, words))
        alternatives = (re.escape(stem) + ("(?=\n)" if word.endswith("\n") else "") for stem, word in zip(stems, words))
        self._pattern = re.compile("\n(" + "|".join(alternatives) + ")")

    def found_in(self, text: str) -> set[str]:
        return {self._word[stem] for stem in set(self._pattern.findall(text))}


# Forums a document names for itself; the edition is the year of the session's date when known.
FORUMS = [
    (re.compile(r"\bWSIS\s*\+\s*20 high[- ]level event\b", re.I), "WSIS+20 High-Level Event"),
    (re.compile(r"\bWSIS Forum\b", re.I), "WSIS Forum"),
    (re.compile(r"\bInternet Governance Forum\b|\bIGF\b"), "Internet Governance Forum"),
    (re.compile(r"\bSingapore International Cyber Week\b|\bSICW\b"), "Singapore International Cyber Week"),
    (re.compile(r"\bMunich Security Conference\b"), "Munich Security Conference"),
    (re.compile(r"\bParis Peace Forum\b"), "Paris Peace Forum"),
    (re.compile(r"\bEuroDIG\b"), "EuroDIG"),
    (re.compile(r"\bOpen-?ended Working Group\b|\bOEWG\b", re.I), "UN Open-Ended Working Group"),
    (re.compile(r"\bCyCon\b"), "CyCon"),
    (re.compile(r"\bJeju Forum\b"), "Jeju Forum"),
]


# Per forum, words its pattern cannot match without, so a text naming none of them is never scanned:
# literals of the text for the case-sensitive patterns, words of the lower-cased text for the IGNORECASE
# ones, without s, i or k (re.I matches "ſ", "ı", "İ" and the Kelvin sign to those, and lower() keeps
# "ſ" and "ı").
_FORUM_WORDS = [
    ((), ("level event",)),
    ((), ("forum",)),
    (("Internet Governance Forum", "IGF"), ()),
    (("Singapore International Cyber Week", "SICW"), ()),
    (("Munich Security Conference",), ()),
    (("Paris Peace Forum",), ()),
    (("EuroDIG",), ()),
    ((), ("ended wo", "oewg")),
    (("CyCon",), ()),
    (("Jeju Forum",), ()),
]


# (forum index, word, whether the word is looked for in the lower-cased text), every word once
_FORUM_WORD_TESTS = [(index, word, folded) for index, words in enumerate(_FORUM_WORDS)
                     for folded, group in enumerate(words) for word in group]


def _first_forum(text: str) -> int | None:
    """The index of the first forum of FORUMS that `text` names; a pattern is searched only when its
    words are in the text (one scan for all forums at every position was slow)."""
    lowered = text.lower()
    named = sorted({index for index, word, folded in _FORUM_WORD_TESTS if word in (lowered if folded else text)})
    return next((index for index in named if FORUMS[index][0].search(text)), None)


def find_event(text: str, date) -> str | None:
    """The forum a document says it belongs to, with the edition year when the session's date is known:
    the first forum of the list that the text names."""
    first = _first_forum(text[:50000])
    if first is None:
        return None
    name = FORUMS[first][1]
    return f"{name} {date.year}" if date else name


def page_title(doc: Document) -> str | None:
    """The front matter's title, else a labelled title field near the top ("Session Title: ..."), else the
    first heading, else a short first line that is not navigation, a date, a time or a field."""
    if doc.title:
        return collapse_ws(doc.title)
    for block in doc.blocks[:15]:
        if block.kind == "label" and field_of(block.label) == "title" and block.value and block.label.lower() != "session":
            return collapse_ws(block.value)
    headings = [b for b in doc.blocks[:12] if b.kind == "heading" and b.level == 1]
    if headings:
        return headings[0].text.strip(" :")
    for block in doc.blocks[:12]:
        if block.kind in ("row", "turn", "item"):
            return None
        text = block.text.strip().lstrip("/").strip()
        if block.kind == "label" or not text or _RESIDUE.match(text) or _SECTION_NAMES.match(text):
            continue
        if _day_only(text) or find_times(text):
            continue
        if len(text.split()) <= 30 and not text.endswith((".", "?", "!")) or block.kind == "heading":
            return text.strip(" :")
        return None
    return None


_QUOTED_NAME = re.compile(
    r"\b(?:workshop|session|panel|webinar|conference|dialogue|seminar|roundtable|lecture|forum|talk|briefing|event)"
    r"\s+(?:on|titled|entitled|called|named)?\s*[‘“\"](?P<a>[^’”\"]{8,140})[’”\"]|"
    r"\b[Tt]he\s+[‘“\"](?P<b>[^’”\"]{8,140})[’”\"]\s+(?:event|workshop|conference|webinar|session|panel|dialogue)\b")


def quoted_session_name(doc: Document) -> str | None:
    """The name a page gives its meeting in quotes when it has no title line: "a Day-Zero workshop on
    ‘Strengthening ...’", "in a session titled ‘Riding out Cyber Storms’", "The ‘2021: ...’ event"."""
    for block in doc.blocks[:8]:
        if block.kind in ("paragraph", "item"):
            match = _QUOTED_NAME.search(block.text)
            if match:
                return (match.group("a") or match.group("b")).strip(" ,.")
    return None


def page_context(doc: Document, title: str | None = None) -> Context:
    """The page's title, year and event-level date, time and UTC offset."""
    year = page_year(doc)
    ctx = Context(title if title is not None else page_title(doc), year)
    for block in doc.blocks:
        fieldname, value = _label_value(block)
        if fieldname == "date" and ctx.date is None:
            mentions = find_dates(value)
            if mentions:
                ctx.date = mentions[0].on(year)
            if ctx.start is None:
                ctx.start, ctx.end, _, _ = _strip_time(value)
            ctx.offset = ctx.offset or utc_offset(value)
        elif fieldname == "time" and ctx.start is None:
            ctx.start, ctx.end, _, _ = _strip_time(value)
            ctx.offset = ctx.offset or utc_offset(value)
            mentions = find_dates(value)  # "Session Time: Monday, 12 November, 2018 - 13:30 to 14:30"
            if mentions and ctx.date is None:
                ctx.date = mentions[0].on(year)
    if ctx.date is None:
        for block in doc.blocks[:25]:
            if block.kind in ("row", "turn"):
                continue
            mention = _day_only(block.text) or _date_time_line(block)
            if mention:
                ctx.date = mention.on(year)
                if ctx.start is None:
                    ctx.start, ctx.end, _, _ = _strip_time(block.text.split(" | ", 1)[-1] if " | " in block.text else block.text)
                    ctx.offset = ctx.offset or utc_offset(block.text)
                break
    return ctx


def _date_time_line(block: Block):
    """"9 Jul 2025 11:30h - 12:00h", "Thursday, 1st December, 2022 (13:45 UTC) - ...": a line that is a
    date and a time range and nothing else."""
    text = block.text
    fields = [f.strip() for f in text.split(" | ")]
    if len(fields) > 2 and _day_only(fields[0]) and any(find_times(f) and len(f) < 30 for f in fields[1:3]):
        return _day_only(fields[0])  # "20 June 2019 | 9:30-10:30 | MAIN HALL | Video recording"
    if len(text) > 120:  # a long line is more than a date and a time: not scanned for them
        return None
    dates = find_dates(text)
    times = find_times(text) if dates else ()
    if not dates or not times:
        return None
    rest = text
    for m in sorted([(d.start, d.end) for d in dates] + [(t.begin, t.finish) for t in times], reverse=True):
        rest = rest[:m[0]] + " " + rest[m[1]:]
    rest = re.sub(r"\b(?:utc|gmt|cet|cest|[a-z]{3,9}day|h)\b|[\W\d_]", " ", rest, flags=re.I)
    return dates[0] if len(rest.split()) <= 1 else None


def prose_date(doc: Document, year: int | None):
    """A date the text gives for the event ("held on 3 March 2023"), for a page with no date field."""
    for block in doc.blocks:
        if block.kind not in ("paragraph", "item"):
            continue
        for mention in find_dates(block.text):
            if _PROSE_DATE_CUE.search(block.text[:mention.start]):
                day = mention.on(year)
                if day:
                    return day
    return None


def _roles(roles: list[str], others: int) -> list[str]:
    # CONVENTIONS: the chair of a panel is its moderator
    out = ["moderator" if r == "chair" and others else r for r in roles]
    return sorted(set(out), key=lambda r: (ROLES.index(r) if r in ROLES else len(ROLES), r))


def record_of(draft: Draft, text_for_event: str = "") -> SessionRecord:
    participants = []
    for person in draft.people:
        info = person.info
        participants.append(Participant(
            name=info.name, roles=_roles(person.roles, len(draft.people) - 1), honorific=info.honorific, position=info.position,
            organization=info.organization, country=info.country or country_adjective(info.position),
            stakeholder_group=info.stakeholder_group, regional_group=info.regional_group))
    description = "\n\n".join(b.text for b in draft.blocks if b.kind == "paragraph" and len(b.text) > 80)[:4000]
    session = SessionRecord(
        title=draft.title, series=draft.series, date=draft.date, start_time=draft.start, end_time=draft.end,
        utc_offset=draft.offset, duration_minutes=minutes_between(draft.start, draft.end),
        description=description or None, participants=participants,
        items=[Item(kind="key_topic", text=t) for t in draft.topics])
    session.event = find_event(" ".join(filter(None, [draft.title, text_for_event])), draft.date)
    return session


_TERMINAL = re.compile(r"[.!?…)\]\"”’:;*|]$")
_ANNOUNCES = re.compile(r"^(?:key topics(?: of discussion)?|guiding questions|policy questions?|speakers|panell?ists|"
                       r"moderators?|agenda|programme|program|participants|discussion points|key messages)\b", re.I)
_OPEN_END = re.compile(r"[,(\[{“‘\-–—/&]$|\b(?:and|or|the|of|to|in|for|with|a|an|by|at|on)$", re.I)


def stops_mid_sentence(doc: Document) -> str | None:
    """Where a document ends inside something, or None when its end is complete: a table row, a bracket,
    a link or an emphasis left open in the source's last line; a last line ending on a comma, a hyphen or
    "and"/"the"; or a sentence of some length without its full stop. A short line without a stop is a
    title or a list item, and may well be the real end."""
    raw = doc.last_line
    if raw and _left_open(raw):
        return f"the text stops inside a table row, bracket or mark: '…{raw[-60:]}'"
    for block in reversed(doc.blocks):
        if block.kind == "label" and not block.value and field_of(block.label) in ("role", "key_topics", "policy_questions"):
            return f"the text stops after the field '{block.label}', before its entries"
        lines = _block_lines(block)
        if lines:
            return _cut_at_end_of(doc, block, lines[-1].strip())
    return None


def _left_open(raw: str) -> bool:
    """The source's last line leaves a table row, an emphasis, a bracket or a tag open."""
    return ((raw.startswith("|") and not raw.endswith("|") and raw.count("|") >= 1)
            or raw.count("**") % 2 == 1 or raw.count("(") > raw.count(")") or raw.count("[") > raw.count("]")
            or raw.rfind("<") > raw.rfind(">"))


def _block_lines(block: Block) -> list[str]:
    """A block's line texts; a table row's are its cells' lines."""
    if block.kind == "row":
        return [line.text for cell in block.cells for line in cell]
    return [l.text for l in block.lines]


def _cut_at_end_of(doc: Document, block: Block, last: str) -> str | None:
    """Why the last block with text, whose last line is `last`, is not a complete end; None when it is."""
    words = last.split()
    if block.kind == "row" and len([c for c in block.cells if c]) == 1 and role_of(last.rstrip(":")):
        return f"the table stops after its '{last}' heading, before its rows"
    if (block.kind in ("heading", "paragraph") and len(words) <= 6 and
            (last.endswith(":") or _ANNOUNCES.match(last)) and block is doc.blocks[-1]):
        return f"the text stops after the heading '{last}', before what it announces"
    if not last or _TERMINAL.search(last):
        return None
    if _unstopped_sentence(block, last) or _open_ended(block, last):
        return f"the text stops mid-sentence: '…{last[-60:]}'"
    return None


def _unstopped_sentence(block: Block, last: str) -> bool:
    """A paragraph's or text field's value of some length that ends on a lower-case word
    ("Relevance to Theme: Nowadays, with the")."""
    value = last.split(": ", 1)[1] if ": " in last else ""
    return ((block.kind == "paragraph" or field_of(block.label) in ("description", "topic", "theme", "other"))
            and len(value.split()) >= 6 and value[:1].isupper() and last[-1].islower())


def _open_ended(block: Block, last: str) -> bool:
    """A line ending on a comma, a hyphen or "and"/"the"; or a long line of running text without its stop."""
    words = last.split()
    return bool((_OPEN_END.search(last) and len(words) >= 3) or (
        block.kind in ("paragraph", "turn", "label") and len(words) >= 12 and (last[-1].isalnum() or last[-1] in ",")))


# A list number opening the text or following a blank: "(?:^|(?<=\s))(\d{1,2})[.)]\s+" with the blank looked behind
# from the first digit (a pattern that opens with a digit is scanned for digits, one that opens with a
# lookbehind is tried at every position; behind the digit, a non-blank character is one before it).
_NUMBER_MARK = re.compile(r"(\d(?<!\S\d)\d?)[.)]\s+")


def split_numbered(text: str) -> list[str]:
    """"1. What ...? 2. How ...?" -> ["What ...?", "How ...?"], only when numbering runs 1, 2, 3..."""
    matches = list(_NUMBER_MARK.finditer(text))
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
_SDG_LINE = re.compile(r"^\s*(?:(\d{1,2})\.([a-z\d]{1,2})|(?:SDG|GOAL)\s*(\d{1,2})(?:\.\w+)?\s*[:.\-–]?\s*(.*)|(\d{1,2})\s*[.:]\s*(.+))$", re.I)


def parse_sdg_line(line: str) -> str | None:
    """"GOAL 16: Peace, ..." / "16. Peace, Justice and Strong Institutions" / a target "9.a" -> "GOAL 16: ..."."""
    match = _SDG_LINE.match(line)
    if not match:
        return None
    if match.group(1):  # a target: "9.a"
        number = int(match.group(1))
        return f"GOAL {number}: {SDG_TITLES[number]} (target {line.strip()})" if number in SDG_TITLES else None
    number = int(match.group(3) or match.group(5))
    title = collapse_ws(match.group(4) or match.group(6) or "")
    if number not in SDG_TITLES:
        return None
    if match.group(5) and fold(title) != fold(SDG_TITLES[number]):
        return None  # a bare "16. ..." must name the goal, or it is just a numbered line
    return f"GOAL {number}: {title or SDG_TITLES[number]}"


def parsed(fmt: str, doc: Document, sessions: list[SessionRecord], problems: list[str] | None = None,
           title: str | None = None) -> ParsedDocument:
    out = ParsedDocument(format=fmt, title=title or doc.title or (sessions[0].title if sessions else None),
                         url=doc.url, sessions=sessions, problems=list(doc.problems) + list(problems or []))
    cut = stops_mid_sentence(doc)
    if cut:
        out.truncated = True
        out.problems.append(cut)
    return out
