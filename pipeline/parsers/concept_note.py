"""Conference session concept notes: forum theme, session series line, title, description, key topics.

Layout: the forum's theme, a series line ("Special Session 2", "Session III", "Plenary Session1"),
the session title, description paragraphs, then "Key Topics of Discussion" (or "Guiding questions:")
followed by one topic per paragraph or bullet. Participants, when present, are "[Panel] SURNAME Given"
tags or bullets under a role heading.
"""
from __future__ import annotations

import re

from pipeline.names import speaker_kind, strip_honorifics
from pipeline.parsers.common import find_event, parse_date, parse_time_range
from pipeline.records import Item, ParsedDocument, Participant, SessionRecord
from pipeline.text import clean_inline, collapse_ws

FORMAT = "concept_note"

SERIES_LINE = re.compile(
    r"^(?:(?:special|plenary|parallel|breakout|thematic|high[- ]level|closing|opening)\s+)?session\s*"
    r"(?:\d{1,3}|[IVXLC]{1,6}|[A-Z])(?:[-.]\d+)?\s*$",
    re.I,
)
TOPICS_HEADING = re.compile(r"^(?:key\s+topics(?:\s+of\s+discussion)?|guiding\s+questions|topics\s+for\s+discussion|discussion\s+topics|key\s+questions)\s*:?\s*$", re.I)
_TAG = re.compile(r"^\[([^\]]+)\]\s*(.+)$")
_BULLET = re.compile(r"^\s*(?:[●•▪◦\-*–]|\d{1,2}[.)])\s+(.+)$")
_ROLE_HEADING = re.compile(r"^(moderators?|chairs?|panell?ists?|speakers?|presenters?|discussants?|keynote(?: speakers?)?)\s*:?\s*$", re.I)


def looks_like(text: str) -> int:
    head = "\n".join(line.strip() for line in text[:3000].split("\n") if line.strip())
    lowered = text[:20000].lower()
    score = 0
    score += 3 * ("\nkey topics of discussion" in lowered or "\nguiding questions" in lowered)
    score += 3 * any(SERIES_LINE.match(line) for line in head.split("\n")[:6])
    score += 1 * ("this session" in lowered)
    return score


def _surname_first(name: str) -> str:
    """"KIM Cheolsu" stays as written; the person key ignores order, the display keeps the source's."""
    return collapse_ws(name)


def parse_concept_note(text: str) -> ParsedDocument:
    doc = ParsedDocument(format=FORMAT)
    session = SessionRecord()
    paragraphs = [collapse_ws(p) for p in re.split(r"\n", text) if p.strip()]
    series_at = next((i for i, p in enumerate(paragraphs[:8]) if SERIES_LINE.match(p)), None)
    if series_at is None:
        doc.problems.append("no session series line (e.g. 'Special Session 2') near the top")
        start = 0
        if paragraphs:
            session.title = clean_inline(paragraphs[0])
            start = 1
    else:
        session.series = paragraphs[series_at]
        if series_at > 0:
            session.texts["forum_theme"] = " ".join(paragraphs[:series_at])
        if series_at + 1 < len(paragraphs):
            session.title = clean_inline(paragraphs[series_at + 1])
        start = series_at + 2
    description: list[str] = []
    mode, role = "description", None
    for para in paragraphs[start:]:
        tag = _TAG.match(para)
        if TOPICS_HEADING.match(para):
            mode = "topics"
            continue
        if _ROLE_HEADING.match(para):
            mode, role = "people", _ROLE_HEADING.match(para).group(1).lower().rstrip("s")
            continue
        if tag and len(para) < 120:
            name, honorifics = strip_honorifics(_surname_first(tag.group(2)))
            if speaker_kind(name) == "person":
                session.participants.append(Participant(name=name, roles=[tag.group(1).strip().lower()],
                                                        honorific=" ".join(honorifics) or None))
            else:
                doc.problems.append(f"tag {para[:60]!r} does not name a person; skipped")
            continue
        bullet = _BULLET.match(para)
        if mode == "people":
            value = clean_inline(bullet.group(1) if bullet else para) or ""
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if parts:
                name, honorifics = strip_honorifics(parts[0])
                person = Participant(name=name, roles=[role or "listed"], honorific=" ".join(honorifics) or None)
                if len(parts) > 1:
                    person.position = parts[1]
                if len(parts) > 2:
                    person.organization = ", ".join(parts[2:])
                session.participants.append(person)
            continue
        if mode == "topics":
            session.items.append(Item(kind="key_topic", text=clean_inline(bullet.group(1) if bullet else para) or ""))
            continue
        if session.date is None and len(para) < 80 and parse_date(para):
            session.date = parse_date(para)
            session.start_time, session.end_time = parse_time_range(para)
            continue
        description.append(para)
    session.description = "\n\n".join(description) or None
    if not any(i.kind == "key_topic" for i in session.items):
        doc.problems.append("no key topics section")
    session.event = find_event(text, session.date)
    doc.title = session.title
    doc.sessions = [session]
    return doc
