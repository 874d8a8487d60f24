"""Sessions from any document: programme tables and agendas, event cards, pages of several events,
single-event pages. Works on the document model only, so it reads every layout the same way.

How a document is cut into sessions (CONVENTIONS.md):
1. Headings whose sections state their own date or time (a calendar of events) are events of their
   own; headings of the same level beside them are events too. Each is read as a page of its own.
2. Otherwise programme anchors make sessions: a table row or a line that starts with a time (or a
   time on its own line, with the title on the next), or "Title | 09:35 – 09:50". Rows that are
   registration, breaks, meals or the end of a day are boundaries, not sessions. A slot inside an
   open slot's range is a segment of it; a programme whose slots together last two hours or less,
   or whose slots are all segment names ("Welcome Address / Keynote / Q&A"), is one meeting.
3. Otherwise headings whose sections name people (webinar cards, speaker cards) are sessions.
4. Otherwise the page is one session. Inside an event, a bold sub-title followed by role-labelled
   people is a session of its own ("SESSION 1: ... / Moderator: / Panellists:").
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.document import Block, Document, Line
from pipeline.document.fields import label_parts
from pipeline.extract.dates import (TZ_OFFSETS, DateMention, may_hold_year, find_dates, find_times,
                                    minutes_between, month_years, utc_offset, years_in)
from pipeline.extract.people import (PersonLine, refusal_reason, clean_name, is_organization_like, is_person_name, is_position_like,
                                     parse_affiliation, parse_person_line, split_people, split_titles, strip_titles)
from pipeline.model.names import is_place, split_role_mark
from pipeline.extract.prose import country_adjective, names_people_in_prose, people_in_prose
from pipeline.model.vocabulary import field_of, is_break, is_segment_title, role_of

SHORT_MEETING_MINUTES = 120

# Headings that name a part of a page, not an event ("Event Details", "Programme", "Speakers").
_SECTION_NAMES = re.compile(
    r"^(?:event details?|details|programme|program|agenda|schedule|speakers?|panell?ists?|moderators?|"
    r"about(?: (?:the|this) (?:event|session))?|overview|venue|location|registration|register|contact(?: us)?|"
    r"links(?: and resources)?|resources|highlights|what to expect.*|what'?s happening|description|"
    r"background|objectives?|summary|key (?:topics|takeaways|messages)|event registration closed|"
    r"sc week \d+ events|events?|sessions?|session details|livestream|photos?|gallery|media|downloads?|"
    r"faqs?|share|related.*|see also|tags?|programme highlights|partners|sponsors|organi[sz]ers?|"
    r"(?:policy|guiding) questions?.*|format|duration|sdgs?|targets?|theme|"
    r"(?:session|event|workshop|project|programme|program|panel) (?:teaser|description|report|summary|details|"
    r"information|overview|background|outcomes?|objectives?|aims?)\b.*|event report|"
    r"(?:key|main) (?:messages|points|findings)|jump to .*|from .* wiki|table of contents|contents|"
    r"related (?:events|sessions|content)|further reading|references|notes?|"
    r"(?:\w+\s+)?(?:programme|program|schedule|agenda)\s+(?:\d{4}\s+)?overview(?:\s+\d{4})?)\s*:?$", re.I)
_ROOM = re.compile(r"^[-–]?\s*(?:room|salle|hall|arena|area|auditorium|workshop room|plenary hall|main hall|"
                   r"conference room|caucus room|venue|stage|theatre|theater|studio)\b.{0,40}$|^\[?track\s*\d+\]?$|"
                   r"^.{0,30}\b(?:room|hall|stream|track)\s*\d*$", re.I)
_STATUS_MARKS = re.compile(r"\s*(?:\[(?:new|full|updated|cancelled|tbc|on the record)\]|\((?:new|full|tbc)\)|\*+)\s*$",
                           re.I)
_TZ_WORDS = re.compile(r"^\s*(?:\(?(?:GMT\s*[+\-−]\s*\d{1,2}(?::?\d{2})?|UTC\s*[+\-−]\s*\d{1,2}(?::?\d{2})?|"
                       + "|".join(sorted(TZ_OFFSETS, key=len, reverse=True)) + r")\)?(?=\s|$|[A-Z][a-z]|\W))\s*")
_SEPARATORS = " \t|:;,–—-•·*~"
_DURATION = re.compile(r"^\(?\d{1,3}\s*(?:min(?:ute)?s?\.?|h|hrs?|hours?)\)?\.?$", re.I)
_ATTRIBUTION = re.compile(r"\s+(?:by|from)\s+(?P<who>.+)$", re.I)
_DASH_SPLIT = re.compile(r"\s+[–—-]\s+")
_POSSESSIVE = re.compile(r"^(?P<owner>[A-Z][\w&.\- ]{0,40}?)[’']s\s+")
_PUBLICATION = re.compile(r"\b(?:published|posted|updated|last modified|press release|news release)\b", re.I)
_PLACEHOLDER_TITLE = re.compile(r"^(?:<?image>?|click here.*|read more|learn more.*|back to top|register.*|"
                                r"download.*|watch.*|view map)$", re.I)


def _words_at_most(text: str, n: int) -> bool:
    """len(text.split()) <= n, cheaply: the split stops after n + 1 words instead of cutting a long text whole."""
    return len(text.split(None, n)) <= n


# -- what the engine produces -------------------------------------------------------------------------
@dataclass
class Person:
    info: PersonLine
    roles: list[str]


@dataclass
class Draft:
    """A session as found, before it becomes a record."""
    title: str | None = None
    series: str | None = None
    date: dt.date | None = None
    start: dt.time | None = None
    end: dt.time | None = None
    offset: str | None = None
    people: list[Person] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    description: str | None = None
    notes: list[str] = field(default_factory=list)      # candidates refused as people, and why

    def add(self, info: PersonLine, role: str | None) -> None:
        role = role or "speaker"
        key = _name_key(info.name)  # looked up once, not again for every person the draft has
        for person in self.people:
            if _name_key(person.info.name) == key:
                if role not in person.roles:
                    person.roles.append(role)
                for attr in ("position", "organization", "country", "stakeholder_group", "regional_group"):
                    if getattr(person.info, attr) is None and getattr(info, attr):
                        setattr(person.info, attr, getattr(info, attr))
                return
        self.people.append(Person(info, [role]))


def _same_person(a: str, b: str) -> bool:
    return _name_key(a) == _name_key(b)


@lru_cache(maxsize=8192)
def _name_key(name: str) -> str:
    """The name's words case-folded and sorted: two names of one person have the same key (cached: a draft
    compares each new person with every one it has)."""
    return " ".join(sorted(name.casefold().split()))


@dataclass
class Context:
    """What holds for a container (the page, or an event of a page of events)."""
    title: str | None
    year: int | None
    date: dt.date | None = None
    start: dt.time | None = None
    end: dt.time | None = None
    offset: str | None = None


# -- reading the page ---------------------------------------------------------------------------------
def page_year(doc: Document) -> int | None:
    """The year the page itself states, when all of its years agree (title, permalink, headings, text)."""
    years: set[int] = set()
    for key in ("title", "permalink", "third_nav_title"):
        years |= years_in(doc.meta.get(key, ""))
    for block in doc.blocks:
        text = block.text
        if not may_hold_year(text):
            continue  # every year is 19xx or 20xx (find_dates, month_years, years_in): most blocks hold neither
        if block.kind == "label" and field_of(block.label) == "published":
            continue
        if _PUBLICATION.search(text[:60]):
            continue
        for mention in find_dates(text):
            if mention.year:
                years.add(mention.year)
        years |= month_years(text)
        if block.kind == "heading" or block.strong:
            years |= years_in(text)
    if len(years) == 1:
        return years.pop()
    # an edition year named in the title decides when the text mentions other years too
    title_years = years_in(doc.meta.get("title", "")) | years_in(doc.meta.get("permalink", ""))
    return title_years.pop() if len(title_years) == 1 else None


def _label_value(block: Block) -> tuple[str | None, str]:
    if block.kind == "label":
        return field_of(block.label), block.value or ""
    return None, ""


def _is_heading(block: Block) -> bool:
    if block.kind == "heading":
        return True
    return (block.kind == "paragraph" and block.strong and len(block.lines) == 1
            and 1 <= len(block.text.split(None, 20)) <= 20 and not find_times(block.text))  # see _words_at_most


def _heading_level(block: Block) -> int:
    return block.level if block.kind == "heading" else 7


@lru_cache(maxsize=32768)
def _day_only(text: str) -> DateMention | None:
    """A line that is mostly a date ("Day One – Wednesday, May 15", "2020-09-28 Monday", "AGENDA: 13 December 2023")."""
    dates = find_dates(text)
    if not dates or find_times(text):
        return None
    rest = text[:dates[0].start] + text[dates[0].end:]
    rest = re.sub(r"\b(?:day|agenda|programme|program|schedule|mon|tue|wed|thu|fri|sat|sun)\w*\b|\b\d{1,2}\b|"
                  r"\b(?:one|two|three|four|five|first|second|third)\b|[\W_]", " ", rest, flags=re.I)
    return dates[0] if len(rest.split()) <= 2 else None


def _clean_title(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    text = _STATUS_MARKS.sub("", text)
    text = re.sub(r"\s+(?:by|:)$", "", text.strip()).strip(" :–—-|•*\"“”")
    if text.startswith(("“", '"')) and text.endswith(("”", '"')):
        text = text[1:-1]
    return text or None


def _strip_time(text: str) -> tuple[dt.time | None, dt.time | None, str, str]:
    """(start, end, text before the time, text after it) for the first time in `text`."""
    times = find_times(text)
    if not times:
        return None, None, text, ""
    first = times[0]
    end = first.end
    if end is None and len(times) > 1 and times[1].begin - first.finish < 40:
        end = times[1].end or times[1].start  # "(13:45 UTC) - ... (14:45 UTC)"
    before, after = text[:first.begin], text[(times[1].finish if end is not first.end else first.finish):]
    after = _TZ_WORDS.sub("", after, count=1)
    return first.start, end, before, after


# -- anchors ------------------------------------------------------------------------------------------
@dataclass
class Anchor:
    index: int                   # block index
    start: dt.time
    end: dt.time | None
    title: str | None            # None: the title is on a following line
    date: dt.date | None = None
    row: Block | None = None     # a programme-table row


def _row_anchor(index: int, block: Block, year: int | None) -> Anchor | None:
    for i, cell in enumerate(block.cells):
        text = " ".join(line.text for line in cell)
        start, end, before, after = _strip_time(text)
        if start is None or len(before.strip(_SEPARATORS)) > 3 or len(after.strip(_SEPARATORS)) > 12:
            continue
        rest = [c for j, c in enumerate(block.cells) if j != i and c]
        title = _title_of_cell(rest[0]) if rest else None
        return Anchor(index, start, end, title, row=block)
    return None


def _title_of_cell(cell: tuple[Line, ...]) -> str | None:
    """A programme cell's title: its first emphasised line, else its first line."""
    lines = [line for line in cell if line.text]
    if not lines:
        return None
    for line in lines[:2]:
        if line.strong and not _is_format_word(line.text):
            return line.text
    return lines[0].text


def _is_format_word(text: str) -> bool:
    """"Panel Discussion" alone on a line above the title is a format label, not the title."""
    return bool(re.fullmatch(r"(?:panel discussion|panel|fireside chat|presentation|keynote|workshop|"
                             r"introductory presentation|special session \d+|plenary session ?\d*)\s*:?", text.strip(), re.I))


def _text_anchor(index: int, block: Block) -> Anchor | None:
    if block.kind in ("row", "turn") or (block.kind == "label" and field_of(block.label) in ("date", "time")):
        return None
    text = block.text if block.kind != "label" else block.lines[0].text
    if len(text) > 400:
        return None
    start, end, before, after = _strip_time(text)
    if start is None:
        return None
    before_clean = before.strip(_SEPARATORS)
    after_clean = after.strip(_SEPARATORS)
    if _DURATION.match(after_clean):
        after_clean = ""
    if not before_clean or re.fullmatch(r"(?:time|from)", before_clean, re.I):
        return Anchor(index, start, end, _clean_title(after_clean) if len(after_clean) > 2 else None)
    if find_dates(before_clean) and _day_only(before_clean):
        return None  # "Sunday December 15, 2024 09:30 - 10:30": a schedule line of the session above
    if " | " in text and (not after_clean or _DURATION.match(after_clean.split("|")[0].strip())):
        return Anchor(index, start, end, _clean_title(before_clean.split(" | ")[0]))
    return None


# -- the engine ---------------------------------------------------------------------------------------
def extract_sessions(doc: Document, context: Context, listings: bool = False) -> list[Draft]:
    """Every session of the document. `listings`: a plain text made of short title lines, each with
    its own description, is a listing of sessions (agenda and programme pages); elsewhere such lines
    are read as the section headings of one text (news reports)."""
    anchors = None  # found once, for the listing test and the sessions
    if listings and doc.layout == "plain":
        anchors = _anchors(doc.blocks, context)
        if not anchors:
            listed = _listing(doc.blocks, context)
            if listed:
                return listed
    return _sessions_of(doc.blocks, context, anchors=anchors)


_SERIES_ONLY = re.compile(r"^(?:session|part|panel|plenary|day|track|stream)\s+(?:[IVXLC]+|\d{1,2}|[A-Z])\s*:?$", re.I)
_DURATION_TAIL = re.compile(r"\s*\((?:\d{1,3}\s*(?:min(?:ute)?s?|minutes?|hrs?|hours?)\.?)\)\s*$", re.I)


_LISTING_WORDS = re.compile(r"\b(?:agenda|programme|program|schedule|sessions|session overviews?|line-?up)\b", re.I)
_MEETING_WORDS = re.compile(r"\b(?:session|address|keynote|keynotes|panel|remarks|workshop|dialogue|discussion|"
                            r"roundtable|briefing|lecture|talk|presentation|forum|plenary|ceremony)\b", re.I)


def _title_line(block: Block) -> bool:
    """A short line that names an item of a listing: no sentence ending, not a date, time, field, person
    or navigation line."""
    if block.kind != "paragraph" or len(block.lines) != 1:
        return False
    text = block.text.strip()
    words = text.split()
    if not (2 <= len(words) <= 16) or text.endswith((".", "?", "!", ":", ",", ";")) or not text[:1].isupper():
        return False
    if _day_only(text) or find_times(text) or find_dates(text) or label_parts(text) or text.startswith(("http", "//")):
        return False
    if _SECTION_NAMES.match(text) or _PLACEHOLDER_TITLE.match(text):
        return False
    return not parse_person_line(text) and not _SERIES_ONLY.match(text)


def _listing(blocks: list[Block], ctx: Context) -> list[Draft]:
    """A listing of sessions without clock times: three or more title lines, each followed by a blank
    line, a description paragraph or the next title line (rooms, series labels and breaks between them)."""
    titles = _listing_titles(blocks, ctx)
    if len(titles) < 3 or not _reads_as_listing(blocks, titles):
        return []
    drafts = []
    bounds = titles + [len(blocks)]
    for a, b in zip(bounds, bounds[1:]):
        title = _DURATION_TAIL.sub("", blocks[a].text.strip())
        if is_break(title) or _SERIES_ONLY.match(title):
            continue
        body = [blk for blk in blocks[a + 1:b] if not (blk.kind == "paragraph" and len(blk.text) > 600)]
        drafts.append(_region(Draft(_clean_title(title), date=None, offset=ctx.offset), body, ctx))
    return drafts if len(drafts) >= 3 else []


def _listing_titles(blocks: list[Block], ctx: Context) -> list[int]:
    """Indexes of the title lines (not the page's own title) that a listing item could start with."""
    titles = []
    for i, block in enumerate(blocks):
        if not _title_line(block) or block.text.strip() == (ctx.title or ""):
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if _ends_listing_title(nxt):
            titles.append(i)
    return titles


def _ends_listing_title(nxt: Block | None) -> bool:
    """What may follow a listing's title line: the end, a blank line, a description, a list or the next title."""
    return (nxt is None or nxt.gap or (nxt.kind == "paragraph" and len(nxt.text) >= 150) or _title_line(nxt)
            or nxt.kind == "item")


def _reads_as_listing(blocks: list[Block], titles: list[int]) -> bool:
    """The page announces a programme, or most lines name a meeting or carry a track or duration tag."""
    announced = any(len(b.text.split()) <= 6 and _LISTING_WORDS.search(b.text) for b in blocks[:20])
    named = sum(bool(_MEETING_WORDS.search(blocks[i].text) or re.search(r"\([^()]{2,25}\)\s*$", blocks[i].text))
                for i in titles)
    return announced or named * 2 >= len(titles)


def _sections(blocks: list[Block]) -> list[tuple[int, Block, list[Block]]]:
    """Top-level heading sections: (heading index, heading, its body), at the shallowest heading
    level that has at least two headings."""
    heads = [(i, b) for i, b in enumerate(blocks) if _is_heading(b) and not _day_only(b.text)
             and not _SECTION_NAMES.match(b.text.strip()) and not _PLACEHOLDER_TITLE.match(b.text.strip())]
    if not heads:
        return []
    levels = sorted({_heading_level(b) for _, b in heads})
    for level in levels:
        at_level = [(i, b) for i, b in heads if _heading_level(b) == level]
        if len(at_level) >= 2:
            break
    else:
        at_level = [(i, b) for i, b in heads if _heading_level(b) == levels[0]]
    out = []
    for n, (i, block) in enumerate(at_level):
        end = len(blocks)
        for j in range(i + 1, len(blocks)):
            other = blocks[j]
            if _is_heading(other) and _heading_level(other) <= level:
                end = j
                break
        out.append((i, block, blocks[i + 1:end]))
    return out


def _own_schedule(body: list[Block], year: int | None) -> tuple[dt.date | None, dt.time | None, dt.time | None]:
    """A section's own date and time: from its Date/Time fields, else a date-and-time line."""
    date = start = end = None
    for block in body:
        fieldname, value = _label_value(block)
        if fieldname == "date":
            mentions = find_dates(value)
            if mentions and date is None:
                date = mentions[0].on(year) or date
            if start is None:
                s, e, _, _ = _strip_time(value)
                start, end = s, e
        elif fieldname == "time" and start is None:
            start, end, _, _ = _strip_time(value)
        elif fieldname is None and date is None and block.kind in ("paragraph", "heading") and _day_only(block.text):
            date = _day_only(block.text).on(year)
    return date, start, end


def _has_schedule(body: list[Block]) -> bool:
    return any(_label_value(b)[0] in ("date", "time") for b in body)


def _sessions_of(blocks: list[Block], ctx: Context, nested: bool = False,
                 anchors: list[Anchor] | None = None) -> list[Draft]:
    """The sessions of the blocks (see the module docstring); `anchors`: the blocks' anchors when already found."""
    sections = _sections(blocks)
    scheduled = [s for s in sections if _has_schedule(s[2])]
    if scheduled and len(sections) >= 2 and not nested:
        drafts = []
        for _, head, body in sections:
            date, start, end = _own_schedule(body, ctx.year)
            sub = Context(_clean_title(head.text), ctx.year, date or (None if scheduled else ctx.date), start, end,
                          _offset_of(body) or ctx.offset)
            drafts += _event_sessions(body, sub)
        return drafts
    if anchors is None:
        anchors = _anchors(blocks, ctx)
    if anchors:
        return _agenda(blocks, anchors, ctx)
    carded = [s for s in sections if _people_in(s[2], probe=True)] if len(sections) >= 2 and not nested else []
    if len(carded) >= 2:
        drafts = []
        for _, head, body in sections:
            if _people_in(body, probe=True) or _date_in_text(body, ctx.year):
                draft = _region(Draft(_clean_title(head.text)), body, ctx)
                draft.date = draft.date or _date_in_text(body, ctx.year)
                drafts.append(draft)
        return drafts
    return _one_event(blocks, ctx)  # no anchors (found above): not looked for again


def _offset_of(body: list[Block]) -> str | None:
    for block in body:
        if _label_value(block)[0] in ("date", "time"):
            found = utc_offset(block.value)
            if found:
                return found
    return None


def _event_sessions(body: list[Block], ctx: Context) -> list[Draft]:
    """One event: its programme if it has one (read as a page of its own), else one session, with
    titled sub-sessions that have their own role-labelled people split out."""
    anchors = _anchors(body, ctx)
    if anchors:
        return _agenda(body, anchors, ctx)
    return _one_event(body, ctx)


def _one_event(body: list[Block], ctx: Context) -> list[Draft]:
    """An event without a programme: one session, and its titled sub-sessions."""
    main = Draft(ctx.title, date=ctx.date, start=ctx.start, end=ctx.end, offset=ctx.offset)
    subs: list[Draft] = []
    current = main
    rest: list[Block] = []
    for i, block in enumerate(body):
        if _is_sub_title(body, i):
            current = Draft(_clean_title(block.text), date=ctx.date, offset=ctx.offset)
            subs.append(current)
            continue
        if current is main:
            rest.append(block)
        else:
            current.blocks.append(block)
    main = _region(main, rest, ctx)
    subs = [_region(Draft(s.title, date=s.date, offset=s.offset), s.blocks, ctx) for s in subs]
    return [main] + subs


def _is_sub_title(body: list[Block], i: int) -> bool:
    """A bold or heading line whose next blocks (before another such line) hold a role label."""
    block = body[i]
    if not (block.kind in ("heading", "paragraph") and block.lines and block.lines[0].strong):
        return False
    text = block.lines[0].text
    if not _words_at_most(text, 25) or _SECTION_NAMES.match(text) or role_of(text.rstrip(":")) or _day_only(text) \
            or find_times(text):
        return False
    for other in body[i + 1:i + 12]:
        if other.kind in ("heading",) or (other.kind == "paragraph" and other.lines and other.lines[0].strong
                                          and other is not block):
            return False
        if other.kind == "label" and field_of(other.label) == "role":
            return True
    return False


def _anchors(blocks: list[Block], ctx: Context) -> list[Anchor]:
    found = []
    for i, block in enumerate(blocks):
        anchor = _row_anchor(i, block, ctx.year) if block.kind == "row" else _text_anchor(i, block)
        if anchor:
            found.append(anchor)
    return found


Slot = tuple[Anchor, Draft, list[Block]]   # a programme slot: its anchor, its draft, the blocks below it


def _agenda(blocks: list[Block], anchors: list[Anchor], ctx: Context) -> list[Draft]:
    """Sessions from a programme (see the module docstring, rule 2)."""
    sessions, untimed = _nest_slots(_slots(blocks, anchors, ctx))
    if not sessions:
        return [_region(Draft(ctx.title, date=ctx.date, start=ctx.start, end=ctx.end, offset=ctx.offset), blocks, ctx)]
    if _one_meeting(sessions, ctx):
        main, body = _meeting_of_slots(blocks, sessions, ctx)
        return [_region(main, body, ctx)] + [_region(d, part, ctx) for d, part in untimed]
    return [_region(draft, body, ctx) for _, draft, body in sessions] + [_region(d, part, ctx) for d, part in untimed]


def _slots(blocks: list[Block], anchors: list[Anchor], ctx: Context) -> list[Slot]:
    """Each anchor with the blocks below it, dated by the day lines above it; a day line or a
    top-level heading ends the slot before it."""
    day = ctx.date
    slots: list[Slot] = []
    anchor_at = {a.index: a for a in anchors}
    current: Slot | None = None
    for i, block in enumerate(blocks):
        mention = _day_only(block.text) if block.kind != "row" else _row_day(block)
        if mention and i not in anchor_at and (block.kind in ("heading", "paragraph", "item") or block.kind == "row"):
            day = mention.on(ctx.year)
            current = None
            continue
        if i in anchor_at:
            current = _open_slot(anchor_at[i], day, ctx)
            slots.append(current)
            continue
        if current is None:
            continue
        if block.kind == "heading" and block.level <= 3 and not _is_heading_title_for(current):
            current = None
            continue
        current[2].append(block)
    return slots


def _open_slot(anchor: Anchor, day: dt.date | None, ctx: Context) -> Slot:
    """A new slot; a table row brings its other cells as the slot's first blocks."""
    draft = Draft(anchor.title, date=day, start=anchor.start, end=anchor.end, offset=ctx.offset)
    if anchor.row is not None:
        body = [Block("paragraph", cell) for cell in anchor.row.cells[1:] if cell]
    else:
        body = []
    return anchor, draft, body


def _settle_slot(anchor: Anchor, draft: Draft, body: list[Block]) -> tuple[list[Block], list[tuple[Draft, list[Block]]]]:
    """A slot's title from its next line when the time stood alone, and the further titled items
    of a table cell split out as sessions of their own."""
    if draft.title is None:
        draft.title, body = _title_from_body(body)
    more: list[tuple[Draft, list[Block]]] = []
    if anchor.row is not None and body:
        body = _drop_title_line(body, draft.title)
        body, more = _split_cell_items(body, draft)
    return body, more


def _nest_slots(slots: list[Slot]) -> tuple[list[Slot], list[tuple[Draft, list[Block]]]]:
    """The sessions of the slots: titles settled, breaks dropped, a slot inside the previous one's
    time range folded into it as a segment; and the untimed items found in table cells."""
    sessions: list[Slot] = []
    untimed: list[tuple[Draft, list[Block]]] = []   # further titled items inside one slot's cell
    for anchor, draft, body in slots:
        body, more = _settle_slot(anchor, draft, body)
        untimed += more
        if is_break(draft.title) or (draft.title is None and not body):
            continue
        parent = sessions[-1] if sessions else None
        if parent and parent[1].date == draft.date and _inside(anchor, parent[0]):
            parent[2].append(Block("paragraph", (Line(anchor.title or draft.title or ""),)))
            parent[2].extend(body)
            continue
        sessions.append((anchor, draft, body))
    return sessions, untimed


def _meeting_of_slots(blocks: list[Block], sessions: list[Slot], ctx: Context) -> tuple[Draft, list[Block]]:
    """The one meeting whose segments the slots are: the container's title and time (else the slots'),
    and a body of the page's text, the segment titles and the segments' blocks."""
    first = sessions[0][1]
    main = Draft(ctx.title or first.title, date=ctx.date or first.date, start=ctx.start or first.start,
                 end=ctx.end or (sessions[-1][1].end if ctx.start is None else None), offset=ctx.offset)
    body = [b for b in blocks if b.kind != "row"] + [Block("paragraph", (Line(d.title or ""),)) for _, d, _ in sessions]
    for _, draft, part in sessions:
        body.extend(part)
    return main, body


def _split_cell_items(body: list[Block], draft: Draft) -> tuple[list[Block], list[tuple[Draft, list[Block]]]]:
    """A programme cell that holds several titled items, each with its own people ("**Talk** / Name, Org /
    **Dialogue: ...** / Name, Org / Moderator: Name"): the first stays with the slot, each further emphasised
    title is a session of its own (no time of its own: the slot's time is the first item's)."""
    lines = [line for block in body for line in block.lines]
    cuts = [k for k, line in enumerate(lines) if k > 0 and line.strong and not _is_format_word(line.text)
            and not role_of(line.text.rstrip(": ")) and not is_person_name(clean_name(line.text))
            and len(line.text.split()) >= 2 and k + 1 < len(lines) and not lines[k + 1].strong]
    if not cuts or not _people_of_lines(lines[:cuts[0]], None):
        return body, []
    bounds = cuts + [len(lines)]
    more = []
    for a, b in zip(bounds, bounds[1:]):
        part = lines[a + 1:b]
        if _people_of_lines(part, None):
            more.append((Draft(_clean_title(lines[a].text), date=draft.date, offset=draft.offset),
                         [Block("paragraph", tuple(part))]))
    if not more:
        return body, []
    return [Block("paragraph", tuple(lines[:cuts[0]]))], more


def _row_day(block: Block) -> DateMention | None:
    """A header row that names a day ("Day 1 (11 Oct)")."""
    if not block.header:
        return None
    for cell in block.cells:
        mention = _day_only(" ".join(line.text for line in cell))
        if mention:
            return mention
    return None


def _is_heading_title_for(current) -> bool:
    anchor, draft, body = current
    return draft.title is None and not body


def _inside(child: Anchor, parent: Anchor) -> bool:
    if parent.end is None or child.end is None:
        return False
    return parent.start <= child.start and child.end <= parent.end and (child.start, child.end) != (parent.start, parent.end)


_ONE_SESSION_TITLE = re.compile(r"\b(?:session|workshop|webinar|breakout|break-out|side event|open forum|talk|"
                                r"lecture|roundtable|round table|briefing|seminar|fireside|panel)\b", re.I)


def _one_meeting(sessions, ctx: Context) -> bool:
    """The slots are segments of one meeting (CONVENTIONS: segments of one short meeting are one session):
    every slot is a segment name ("Welcome / Keynote / Q&A"); or the container states its own time range
    of two hours or less and the slots lie inside it; or the page is about one session ("Introductory
    Breakout Session: ...") and its programme lasts two hours or less."""
    if len(sessions) < 2 or not ctx.title:
        return False
    titles = [d.title for _, d, _ in sessions]
    if all(is_segment_title(_strip_attribution(t)) for t in titles):
        return True
    if len({d.date for _, d, _ in sessions}) > 1:
        return False
    return _short_programme(sessions, ctx)


def _short_programme(sessions: list[Slot], ctx: Context) -> bool:
    """The slots of one day last two hours or less, none is the page's own title, and they lie inside
    the container's own short time range, or the page's title names one session."""
    starts = [a.start for a, _, _ in sessions]
    ends = [a.end or a.start for a, _, _ in sessions]
    span = minutes_between(min(starts), max(ends))
    if span is None or span > SHORT_MEETING_MINUTES:
        return False
    if any((d.title or "").casefold() == ctx.title.casefold() for _, d, _ in sessions):
        return False
    if ctx.start and ctx.end:
        own = minutes_between(ctx.start, ctx.end)
        return own is not None and own <= SHORT_MEETING_MINUTES and ctx.start <= min(starts) and max(ends) <= ctx.end
    return bool(_ONE_SESSION_TITLE.search(ctx.title))


def _strip_attribution(title: str | None) -> str | None:
    if not title:
        return title
    head, _ = split_attribution(title)
    return head


def _title_from_body(body: list[Block]) -> tuple[str | None, list[Block]]:
    """The title of a slot whose time stands alone: its first line that is not a room, a stream,
    a date, a format label or a duration."""
    for n, block in enumerate(body):
        if block.kind in ("row", "turn"):
            return None, body
        text = block.text if block.kind != "label" else block.lines[0].text
        if not text or _ROOM.match(text) or _DURATION.match(text) or _day_only(text) or find_times(text):
            continue
        if block.kind == "label" and field_of(block.label) in ("date", "time", "venue", "url", "contact"):
            continue
        if _is_format_word(text) or re.fullmatch(r"(?:[A-Z][a-z]+ )?stream|\[.*\]|optional|closed|on the record", text, re.I):
            continue
        if len(text.split()) > 30:
            return None, body
        return _clean_title(text), body[n + 1:]
    return None, body


def _drop_title_line(body: list[Block], title: str | None) -> list[Block]:
    if not title or not body or not body[0].lines:
        return body
    first = body[0]
    lines = list(first.lines)
    for k, line in enumerate(lines):
        if line.text == title or _clean_title(line.text) == title:
            del lines[k]
            break
    rest = [Block("paragraph", tuple(lines))] if lines else []
    return rest + body[1:]


# -- titles that carry their speaker ------------------------------------------------------------------
_GLUE = re.compile(r"(?<=[a-z)])(?=[A-Z][a-z])")
# whether _GLUE matches, opening with the capital: most characters are lower-case, few are capitals
_GLUE_AT = re.compile(r"[A-Z](?<=[a-z)][A-Z])(?=[a-z])")
# an ASCII text by character class for _glued: lower-case "a", capital "A", ")" itself, anything else "#";
# _GLUE_AT over the classes opens with one literal, which the search skips to (a search for a class of
# characters tries every character, a few times slower over a long paragraph)
_GLUE_CLASSES = bytes(ord("a") if 97 <= c <= 122 else ord("A") if 65 <= c <= 90 else c if c == ord(")") else ord("#")
                      for c in range(256))
_GLUE_BY_CLASS = re.compile(rb"A(?<=[a)]A)(?=a)")


def _glued(text: str) -> bool:
    """Whether _GLUE matches in `text` (a lower-case letter or ")" runs into a capitalised word)."""
    if text.isascii():
        return _GLUE_BY_CLASS.search(text.encode("ascii").translate(_GLUE_CLASSES)) is not None
    return _GLUE_AT.search(text) is not None
_SENTENCE_START = re.compile(r"^(?:The|This|These|A|An|In|Our|We|Join|As|With|How|What|Why|Discover|Learn)\b")


def unglue(text: str) -> list[str]:
    """A line whose parts lost their separator when a page was flattened ("Opening remarksNanna–Louise Linde,
    Vice-President, Microsoft", "GovTechModerator: Howie Lau", "...GeopoliticsThe rise of AI ..."): cut where a
    lower-case letter runs into a capital and what follows is a person, a role label or a new sentence."""
    for match in _GLUE.finditer(text):
        left, right = text[:match.start()].strip(), text[match.start():].strip()
        label = label_parts(right)
        person = parse_person_line(right)
        if ((label and field_of(label[0]) == "role") or _vouched(person, right)
                or (_SENTENCE_START.match(right) and len(right.split()) >= 8)) and len(left) >= 3:
            return [left] + unglue(right)
    return [text]


def _vouched(person: PersonLine | None, text: str) -> bool:
    """A person found after a weak connector (":", "with") counts only with something that vouches for it:
    an honorific, a position or an organization beside the name."""
    return person is not None and bool(person.honorific or person.position or person.organization
                                       or person.country) and "?" not in text


Attributed = list[tuple[PersonLine, str | None]]   # (person, role) named in a title


def split_attribution(title: str) -> tuple[str, list[tuple[PersonLine, str | None]]]:
    """"Introduction by Jen Gaudioso" -> ("Introduction", [Jen Gaudioso]); "Welcome Address by IMDA – Ms
    Katherine Chong, Director (Innovation)" -> ("Welcome Address by IMDA", [Katherine Chong (IMDA)]);
    "Keynote Address: James Lewis, CSIS" -> ("Keynote Address", [James Lewis (CSIS)]). A colon or "with"
    splits only when the right side is vouched for ("Digital Government Blueprint: A Year Later" stays whole)."""
    glued = unglue(title)
    head = glued[0]
    people = _glued_people(head, glued[1:])
    if people:
        return head.strip(" –—-:,"), people
    head, people = _dash_attribution(head)
    if not people and ":" in head:
        colon = _colon_attribution(head)
        if colon:
            return colon
    head, by = _by_attribution(head)
    people += by
    if people:
        _credit_organization(head, people)
    return head.strip(" –—-:,"), people


def _glued_people(head: str, parts: list[str]) -> Attributed:
    """The vouched-for people that were glued onto the title ("Opening remarksNanna–Louise Linde, ...")."""
    people: Attributed = []
    for part in parts:
        person = parse_person_line(part)
        if _vouched(person, part):
            people.append((person, _role_of_title(head)))
    return people


def _dash_attribution(head: str) -> tuple[str, Attributed]:
    """"Title – Name, Position": the title before the dash and the person after it."""
    parts = _DASH_SPLIT.split(head)
    if len(parts) < 2:
        return head, []
    right = " – ".join(parts[1:])
    person = parse_person_line(right)
    if person and not is_person_name(parts[0]) and (_vouched(person, right) or is_person_name(person.name, strict=True)):
        return parts[0], [(person, None)]
    return head, []


def _colon_attribution(head: str) -> tuple[str, Attributed] | None:
    """"Keynote Address: James Lewis, CSIS": a short role or segment label, and a vouched-for person."""
    left, right = head.split(":", 1)
    person = parse_person_line(right.strip())
    if (_vouched(person, right) and len(left.split()) <= 5 and not parse_person_line(left)
            and (role_of(left) or _is_format_word(left) or is_segment_title(left) or _role_of_title(left))):
        return left.strip(), [(person, role_of(left) or _role_of_title(left))]
    return None


def _by_attribution(head: str) -> tuple[str, Attributed]:
    """"Introduction by Jen Gaudioso": the title before "by" and the person the phrase ends with."""
    match = _ATTRIBUTION.search(head)
    if match:
        person = _person_at_end(match.group("who"))
        if person:
            return head[:match.start()], [(person, None)]
    return head, []


def _credit_organization(head: str, people: Attributed) -> None:
    """"Welcome Address by IMDA – Ms Katherine Chong": the organization named after "by" is theirs."""
    by_org = re.search(r"\bby\s+(?P<org>[A-Z][\w&]*(?:\s+[A-Z][\w&]*){0,3})$", head)
    for person, _ in people:
        if by_org and not person.organization and not is_person_name(by_org.group("org")):
            person.organization = by_org.group("org")


def _person_at_end(text: str) -> PersonLine | None:
    """"Polish Minister of Digital Affairs Marek Zagórski" / "GovTech’s Chief Executive, Goh Wei Boon" /
    "Senior Minister ..., Dr. Janil Puthucheary" / "Jen Gaudioso": the person a phrase ends with."""
    text = text.strip(" .")
    whole = parse_person_line(text)
    if whole:
        return whole
    segments = [s.strip() for s in text.split(",")]
    last = strip_titles(segments[-1])
    tokens = last.split()
    for size in (3, 2, 4):
        if len(tokens) >= size and is_person_name(" ".join(tokens[-size:])):
            name = " ".join(tokens[-size:])
            position = " ".join(segments[:-1] + ([" ".join(tokens[:-size])] if len(tokens) > size else []))
            info = PersonLine(clean_name(name), position=strip_titles(position) or None)
            owner = _POSSESSIVE.match(info.position or "")
            if owner:
                info.organization = owner.group("owner")
                info.position = info.position[owner.end():] or None
            info.country = country_adjective(info.position)
            return info
    return None


def _role_of_title(title: str | None) -> str | None:
    """The role of unlabelled people in a slot, from what the slot is."""
    text = (title or "").lower()
    if "keynote" in text and "panel" not in text:
        return "keynote"
    if "panel" in text or "roundtable" in text or "round table" in text:
        return "panellist"
    if "presentation" in text or "featuring" in text:
        return "presenter"
    return None


# -- people of a region -------------------------------------------------------------------------------
def _region(draft: Draft, blocks: list[Block], ctx: Context) -> Draft:
    """Fill a draft from the blocks that belong to it: its schedule, people, topics, description."""
    date, start, end = _own_schedule(blocks, ctx.year)
    draft.date = draft.date or date
    if draft.start is None and start is not None:
        draft.start, draft.end = start, end
    draft.offset = draft.offset or _offset_of(blocks)
    if draft.title:
        head, attributed = split_attribution(draft.title)
        if attributed:
            draft.title = _clean_title(head)
            for person, role in attributed:
                draft.add(person, role or _role_of_title(head) or "speaker")
    for person, role in _people_in(blocks, default_role=_role_of_title(draft.title), notes=draft.notes):
        draft.add(person, role)
    draft.topics = draft.topics or _topics_in(blocks)
    draft.blocks = blocks
    return draft


def _people_in(blocks: list[Block], default_role: str | None = None, probe: bool = False,
               notes: list[str] | None = None):
    """(person, role) for every participant the blocks name: role labels with their lists, person lines,
    bold names over position lines, and people in prose."""
    scan = _PeopleScan(blocks, default_role, notes)
    scan.read()
    if probe:
        return scan.structured or any(names_people_in_prose(text) for text in scan.prose)
    found = scan.found
    for text in scan.prose:
        for mention in people_in_prose(text):
            found.append((mention.person, mention.role or scan.default_role))
    return found


def _slot_line_role(block: Block) -> str | None:
    """The role a short slot line gives the unlabelled people below it ("Panel Discussion and Q&A")."""
    if block.kind == "paragraph" and _words_at_most(block.text, 14):
        return _role_of_title(block.text)
    return None


@dataclass
class _PeopleScan:
    """One pass over a region's blocks: what a role label set for the blocks below it, the people found
    in structured blocks and the prose kept for a second look."""
    blocks: list[Block]
    default_role: str | None      # a slot title like "Panel Discussion" can set it on the way
    notes: list[str] | None
    found: list[tuple[PersonLine, str | None]] = field(default_factory=list)
    role: str | None = None       # the role a bare label line set for the lines below it
    role_block: int = -1
    structured: bool = False
    prose: list[str] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    in_contact: bool = False

    def read(self) -> None:
        for i, block in enumerate(self.blocks):
            if i in self.joined:
                continue
            self._track_contact(block)
            if self.in_contact:
                continue
            if block.kind != "row" and i > 0 and self.blocks[i - 1].kind == "row":
                self.role = None  # a role heading row labels the rows of its table only
            reader = self._READERS.get(block.kind, _PeopleScan._read_text)
            reader(self, i, block)

    def _track_contact(self, block: Block) -> None:
        """Contact sections name people who are not participants: skip until the next heading."""
        heading = _is_heading(block)  # asked once, not again for the contact state
        if heading or (block.kind == "paragraph" and _words_at_most(block.text, 4)):
            self.in_contact = bool(_CONTACT.match(block.text.strip())) or (self.in_contact and not heading)

    def _read_row(self, i: int, block: Block) -> None:
        row_role, people = _people_of_row(block, self.role or self.default_role)
        if row_role:
            self.role = row_role
        self.found += people
        self.structured |= bool(people)

    def _skip(self, i: int, block: Block) -> None:
        """Transcript turns are speech, not a list of participants."""

    def _read_label(self, i: int, block: Block) -> None:
        fieldname = field_of(block.label)
        if fieldname == "role":
            label_role = role_of(block.label)
            value = block.value or ""
            if value:
                people = split_people(value)
                self.found += [(p, label_role) for p in people]
                self.structured |= bool(people)
                self.role = None
            else:
                self.role, self.role_block = label_role, i
            return
        if fieldname in ("description", "other", "title", "event", "topic"):
            self.prose.append(block.value or "")

    def _card_lines(self, i: int, lines: list[Line]) -> list[Line]:
        """A card: the name in one block, the position and organization in the next (up to two) blocks."""
        if not (len(lines) == 1 and _words_at_most(lines[0].text, 6) and is_person_name(clean_name(lines[0].text))):
            return []
        more: list[Line] = []
        for j in range(i + 1, min(i + 3, len(self.blocks))):
            following = self.blocks[j]
            if following.kind not in ("paragraph", "item") or not _affiliation_block(following):
                break
            more += list(following.lines)
            self.joined.add(j)
        return more

    def _read_text(self, i: int, block: Block) -> None:
        if block.kind == "heading" and role_of(block.text.rstrip(":")) is None:
            self.role = None
        lines = list(block.lines)
        if not lines:
            return
        lines += self._card_lines(i, lines)
        text = block.text
        bare_role = role_of(text.rstrip(": ")) if len(lines) == 1 and _words_at_most(text, 5) else None
        if bare_role and not parse_person_line(text):
            self.role, self.role_block = bare_role, i
            return
        slot_role = _slot_line_role(block)
        if slot_role and self.role is None:
            self.default_role = slot_role  # "10:20am – 11:15am: Panel Discussion and Q&A" above the panellists
        notes = self.notes if self.role and i - self.role_block <= 3 else None
        people = _people_of_lines(lines, self.role or self.default_role, notes)
        if people:
            self.found += people
            self.structured = True
            return
        if block.kind == "item" and self.role:
            return
        if self._leaves_role_run(i, block):
            self.role = None
        if len(text) > 60 or block.kind == "paragraph":
            self.prose.append(text)

    def _leaves_role_run(self, i: int, block: Block) -> bool:
        """A long paragraph after a gap, well below the role label, is no longer part of its list."""
        return bool(self.role and i - self.role_block > 1 and block.gap and block.kind == "paragraph"
                    and len(block.text) > 200)

    _READERS = {"row": _read_row, "turn": _skip, "label": _read_label}


def _people_of_row(block: Block, role: str | None) -> tuple[str | None, list[tuple[PersonLine, str | None]]]:
    """A table row: a role heading row ("Moderator"), or a person row (the first cell names the
    person, the others say who they are), or cells read line by line."""
    cells = [cell for cell in block.cells if any(line.text for line in cell)]
    if not cells:
        return None, []
    heading_role = _role_heading(cells[0]) if len(cells) == 1 else None
    if heading_role:  # looked up once
        return heading_role, []
    info = _person_of_row(cells)
    if info:
        return None, [(info, role)]
    return None, _people_of_lines([line for cell in cells for line in cell], role)


def _role_heading(cell: tuple[Line, ...]) -> str | None:
    """The role a row's lone cell names ("Moderator", "Panellists:")."""
    text = " ".join(line.text for line in cell)
    return role_of(text.rstrip(": ")) if _words_at_most(text, 4) else None


def _person_of_row(cells: list[tuple[Line, ...]]) -> PersonLine | None:
    """The person of a row whose first cell is a name alone and whose other cells say who they are."""
    if len(cells) < 2:
        return None  # asked first: no name cleaned for a row of one cell
    first = [line for line in cells[0] if line.text]
    name = clean_name(first[0].text) if len(first) == 1 else ""
    if not name:
        return None
    honorific = split_titles(first[0].text)[0]  # split once, for the name test and the person
    if not is_person_name(name, slot=bool(honorific)):
        return None
    info = affiliation_from_lines(name, [line.text for cell in cells[1:] for line in cell if line.text])
    info.honorific = honorific
    return info


def affiliation_from_lines(name: str, lines: list[str]) -> PersonLine:
    """A person whose position, organization and country stand on lines of their own: each line is a
    segment kept whole ("Security Policy Department, Ministry of Foreign Affairs" is one organization)."""
    info = PersonLine(name)
    lines = [line.strip(" ,.") for line in lines if line.strip(" ,.")]
    if not lines:
        return info
    if len(lines) == 1:
        parsed = parse_affiliation(lines[0])
        parsed.name = name
        return parsed
    if len(lines) > 1 and is_place(lines[-1]):
        info.country = lines.pop()
    if len(lines) == 1:
        parsed = parse_affiliation(lines[0])
        parsed.name, parsed.country = name, parsed.country or info.country
        return parsed
    for k in range(len(lines) - 1, -1, -1):
        if is_organization_like(lines[k]) and (k > 0 or not is_position_like(lines[k])):
            info.organization = lines.pop(k)
            break
    if info.organization is None and lines:
        parsed = parse_affiliation(lines[-1])
        if parsed.organization:
            info.organization = parsed.organization
            lines[-1] = parsed.position or ""
    info.position = ", ".join(line for line in lines if line) or None
    return info


def _people_of_lines(lines: list[Line], role: str | None,
                     notes: list[str] | None = None) -> list[tuple[PersonLine, str | None]]:
    """People in a run of lines: "Name, Position, Org" lines, a name over its position and organization
    lines, "[Role] Name" tags, "Name [Moderator]" marks, and bare role lines ("Moderator", "Panellists")
    over the names they label."""
    reader = _LineReader(role, notes)
    for line in _unglued_lines(lines):
        reader.read(line)
    reader.close()
    return reader.out


def _unglued_lines(lines: list[Line]) -> list[Line]:
    """The lines with flattened parts cut apart again (see unglue)."""
    expanded: list[Line] = []
    for line in lines:
        parts = unglue(line.text.strip()) if _glued(line.text) else [line.text.strip()]
        expanded += [line] if len(parts) == 1 else [Line(part, line.strong) for part in parts]
    return expanded


def _without_lead_in(text: str, marked: str | None) -> tuple[str, str | None]:
    """"Featuring David Niemeijer, Founder of X" / "Moderated by ...": the rest, and the role it gives."""
    lead_in = _LEAD_IN.match(text)
    if lead_in:
        marked = marked or role_of(lead_in.group(1)) or "presenter"
        text = text[lead_in.end():]
    return text, marked


@dataclass
class _LineReader:
    """Reads lines one by one; a name line opens a person whose position and organization lines
    follow (the tail) until the next person or role line closes it."""
    role_now: str | None          # the role the last role line set
    notes: list[str] | None
    out: list[tuple[PersonLine, str | None]] = field(default_factory=list)
    current: PersonLine | None = None
    current_role: str | None = None
    tail: list[str] = field(default_factory=list)

    def close(self) -> None:
        if self.current is not None:
            current = self.current
            if self.tail and not current.organization:
                honorific = current.honorific
                current = affiliation_from_lines(current.name, self.tail)
                current.honorific = honorific
            self.out.append((current, self.current_role))
        self.current, self.tail = None, []

    def read(self, line: Line) -> None:
        text = line.text.strip()
        if not text or _ROOM.match(text) or self._role_tag(text):
            return
        text, marked = _without_lead_in(*split_role_mark(text))
        for step in (self._role_label, self._bare_role, self._name_line, self._lead_name, self._tail_line):
            if step(line, text, marked):
                return
        self._person_line(text, marked)

    def _role_tag(self, text: str) -> bool:
        """"[Moderator] Name, Org"."""
        tag = _ROLE_TAG.match(text)
        if not (tag and role_of(tag.group("role"))):
            return False
        self.close()
        info = parse_person_line(tag.group("rest"), slot=True)
        if info:
            self.out.append((info, role_of(tag.group("role"))))
        return True

    def _role_label(self, line: Line, text: str, marked: str | None) -> bool:
        """"Moderator: Name" (the people it lists) or "Panellists:" (a role for the lines below)."""
        label = label_parts(text)
        if not (label and field_of(label[0]) == "role"):
            return False
        self.close()
        label_role = role_of(label[0])
        if label[1]:
            self.out += [(p, label_role) for p in split_people(label[1])]
        else:
            self.role_now = label_role
        return True

    def _bare_role(self, line: Line, text: str, marked: str | None) -> bool:
        """A role word right under a name is that person's position; elsewhere it labels the lines below."""
        bare = role_of(text.rstrip(": ")) if (self.current is None or self.tail) and _words_at_most(text, 4) else None
        if not bare or is_person_name(clean_name(text)):
            return False
        self.close()
        self.role_now = bare
        return True

    def _name_line(self, line: Line, text: str, marked: str | None) -> bool:
        """A name on its own line opens a person."""
        if not (line.strong or _words_at_most(text, 6)):
            return False
        name = clean_name(text)  # cleaned once, for the test and the person
        if not is_person_name(name):
            return False
        self.close()
        self.current = PersonLine(name, honorific=split_titles(text)[0])
        self.current_role = marked or self.role_now
        return True

    def _lead_name(self, line: Line, text: str, marked: str | None) -> bool:
        """A line whose emphasised lead is a name: the whole line is the person."""
        if not (line.lead and is_person_name(clean_name(line.lead))):
            return False
        self.close()
        info = parse_person_line(text)
        if info:
            self.out.append((info, marked or self.role_now))
        return True

    def _tail_line(self, line: Line, text: str, marked: str | None) -> bool:
        """A short plain line under an open person says who they are."""
        if not (self.current is not None and len(text) < 120 and not line.strong):
            return False
        self.tail.append(text)
        return True

    def _person_line(self, text: str, marked: str | None) -> None:
        """Anything else: a "Name, Position, Org" line, or a refusal worth a note."""
        self.close()
        if len(text) > 220:
            return
        info = parse_person_line(text)
        if info and (info.position or info.organization or info.country or _short_name_line(text)):
            self.out.append((info, marked or self.role_now))
        elif self.notes is not None and len(text) <= 80:
            self.notes.append(f"refused as a person: {text!r} ({refusal_reason(text)})")


_LEAD_IN = re.compile(r"^(featuring|moderated by|chaired by|presented by|hosted by|with)\s+(?=[A-Z])", re.I)
_CONTACT = re.compile(r"^(?:contact(?: information| us| details)?|address|enquiries|for enquiries|follow us|"
                      r"connect with us|about us|secretariat)\s*:?$", re.I)
_ROLE_TAG = re.compile(r"^\[(?P<role>[^\]]{2,30})\]\s*(?P<rest>.+)$")


def _affiliation_block(block: Block) -> bool:
    """Short lines that say who someone is (position, organization) and name no one."""
    return all(_words_at_most(line.text, 12) and not is_person_name(clean_name(line.text.split(",")[0]))
               and not line.text.endswith(("?", "!")) for line in block.lines)


def _short_name_line(text: str) -> bool:
    return len(text.split()) <= 5


# -- lists a session states --------------------------------------------------------------------------
_TOPIC_INTRO = re.compile(r"(?:discuss|topic|question|issue|focus|delve|explore|cover|address|touching on|"
                          r"we discussed|will look at|include)[^.]*:\s*$", re.I)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


_LIST_INTRO_ENDINGS = ("we discussed", "discussed", "such as", "include")


def _may_introduce_list(text: str) -> bool:
    """The test of _topics_in on the text's end alone (its last sentence ends where the text does), before
    the text is cut into sentences: most paragraphs end otherwise. 12 characters hold the longest ending."""
    end = text.rstrip()[-12:]
    return end.endswith(":") or end.lower().endswith(_LIST_INTRO_ENDINGS)


def _topics_in(blocks: list[Block]) -> list[str]:
    """The items of a list introduced as topics or questions ("we discussed:", "Focus Questions:")."""
    topics: list[str] = []
    for i, block in enumerate(blocks):
        text = block.text if block.kind != "label" else f"{block.label}:"
        if not _may_introduce_list(text):
            continue
        tail = _SENTENCE_BREAK.split(text.rstrip())[-1][-200:]  # the sentence that introduces the list
        if not (((tail.endswith(":") or tail.lower().endswith(_LIST_INTRO_ENDINGS))
                 and _TOPIC_INTRO.search(tail + (":" if not tail.endswith(":") else "")))
                or (block.kind == "label" and field_of(block.label) == "key_topics")):
            continue
        for item in blocks[i + 1:]:
            if item.kind != "item":
                if topics:
                    break
                continue
            topics.append(item.text)
        if topics:
            break
    return topics


def _date_in_text(blocks: list[Block], year: int | None) -> dt.date | None:
    for block in blocks:
        if block.kind in ("paragraph", "label", "item"):
            for mention in find_dates(block.text):
                day = mention.on(year)
                if day:
                    return day
    return None
