"""Conference concept notes and agendas: a forum theme, a series line ("Special Session 2"), the
session title, description paragraphs and "Key Topics of Discussion"; programmes of such
conferences are read by the agenda engine like any other."""
from __future__ import annotations

import re

from pipeline.document import Document
from pipeline.extract.agenda import extract_sessions
from pipeline.model.records import Item, ParsedDocument, SessionRecord
from pipeline.model.text import LinePattern, lowered_for_words
from pipeline.sources.common import LineWords, page_context, parsed, prose_date, record_of

FORMAT = "concept_note"

SERIES_LINE = re.compile(
    r"^(?:(?:special|plenary|parallel|breakout|thematic|high[- ]level|closing|opening)\s+)?session\s*"
    r"(?:\d{1,3}|[IVXLC]{1,6}|[A-Z])(?:[-.]\d+)?\s*$", re.I)
TOPICS_HEADING = re.compile(r"^(?:key\s+topics(?:\s+of\s+discussion)?|guiding\s+questions|topics\s+for\s+discussion|"
                            r"discussion\s+topics|key\s+questions)\s*:?\s*$", re.I)


def looks_like(text: str) -> int:
    head = _first_lines(text[:3000], 6)
    lowered = lowered_for_words(text, 20000)
    score = 0
    score += 3 * bool(_TOPICS_LINES.found_in(lowered))
    score += 3 * any(SERIES_LINE.match(line) for line in head)
    # (the text's own lowering: a stand-in's "?" is no blank; cut again, as lowering may lengthen: "İ")
    score += 2 * _AGENDA_LINE.found_in(text[:400].lower()[:400])
    score += 1 * ("this session" in lowered)
    return score


_TOPICS_LINES = LineWords("key topics of discussion", "guiding questions")  # in the lowered text
_AGENDA_LINE = LinePattern(r"\s*(?:agenda|programme|program)\b")  # in the lowered text


def _first_lines(text: str, count: int) -> list[str]:
    """The first `count` lines of the text that are not blank, stripped (the lines after them are not
    stripped for nothing)."""
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            lines.append(line)
            if len(lines) == count:
                break
    return lines


def parse_concept_note(doc: Document) -> ParsedDocument:
    texts = [b.text.strip() for b in doc.blocks]
    series_at = next((i for i, t in enumerate(texts[:8]) if SERIES_LINE.match(t)), None)
    title = texts[series_at + 1] if series_at is not None and series_at + 1 < len(texts) else None
    ctx = page_context(doc, title)
    # a concept note of one session (a series line above its title) is not a listing of sessions
    drafts = [d for d in extract_sessions(doc, ctx, listings=series_at is None) if d.title or d.people or d.date or d.start]
    if len(drafts) == 1 and drafts[0].date is None:
        drafts[0].date = prose_date(doc, ctx.year)
    sessions = [record_of(d, " ".join(texts[:3])) for d in drafts]
    if series_at is not None and len(sessions) == 1:
        _read_note_of_one_session(sessions[0], texts, series_at)
    return parsed(FORMAT, doc, sessions, title=ctx.title)


def _read_note_of_one_session(session: SessionRecord, texts: list[str], series_at: int) -> None:
    """A concept note of one session: the series line, the forum theme above it, and the key topics under
    their heading (the paragraphs between the title and that heading are the description)."""
    session.series = texts[series_at]
    if series_at > 0:
        session.texts["forum_theme"] = " ".join(texts[:series_at])
    topics_at = next((i for i, t in enumerate(texts) if TOPICS_HEADING.match(t)), None)
    if topics_at is None:
        return
    session.items = [Item("key_topic", t) for t in texts[topics_at + 1:] if t] + [
        i for i in session.items if i.kind != "key_topic"]
    session.description = "\n\n".join(t for t in texts[series_at + 2:topics_at]
                                      if t and not t.startswith("[")) or session.description
