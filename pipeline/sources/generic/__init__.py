"""Any readable text that fits no known layout: sessions found by the agenda engine
(pipeline.extract.agenda) over the document model. Unknown layouts are the normal case."""
from __future__ import annotations

import re

from pipeline.document import Document
from pipeline.extract.agenda import Draft, extract_sessions
from pipeline.model.records import ParsedDocument
from pipeline.sources.common import page_context, parsed, prose_date, quoted_session_name, record_of

FORMAT = "generic"


def looks_like(text: str) -> int:
    return 0  # the fallback: chosen when no family recognises the text


# Words by which a title line names a meeting even when no date, time or person comes with it.
_EVENT_WORDS = re.compile(r"\b(?:session|sessions|conference|forum|summit|workshop|webinar|seminar|symposium|panel|"
                          r"meeting|dialogue|roundtable|round table|briefing|talk|lecture|keynote|address|remarks|"
                          r"event|week|day|congress|convention|hearing|debate|consultation|launch|ceremony|"
                          r"presentation|discussion|fireside|masterclass|training|course|hackathon|exhibition)\b|"
                          r"\b(?:WS|PL|OF|DC|NS|LT|BPF|MT)\s*#?\s*\d{1,3}\b", re.I)  # session codes: "– WS 09 2018"


def states_a_session(draft: Draft, family: bool, heading: str = "") -> bool:
    """A title line with a date, a time or people; for a recognised family a titled page is enough;
    a title that names a meeting (or a page heading that does, "... – WS 09 2018") is enough anywhere."""
    if draft.people or draft.date or draft.start:
        return bool(draft.title or draft.people or draft.date)
    return bool(draft.title) and (family or bool(_EVENT_WORDS.search(draft.title)) or bool(_EVENT_WORDS.search(heading)))


def parse_generic(doc: Document, fmt: str = FORMAT) -> ParsedDocument:
    """Every session the document states; none when it states none (the caller rejects it)."""
    ctx = page_context(doc)
    listings = fmt in (FORMAT, "concept_note")  # agenda-like families may list sessions as bare title lines
    found = extract_sessions(doc, ctx, listings)
    if len(found) == 1 and found[0].date is None:
        found[0].date = prose_date(doc, ctx.year)  # "the group held its session ... 8–12 July"
    if len(found) == 1 and found[0].title is None:
        found[0].title = quoted_session_name(doc)
    heading = doc.blocks[0].text if doc.blocks else ""
    drafts = [d for d in found if states_a_session(d, fmt != FORMAT, heading)]
    context_text = " ".join(filter(None, [doc.title, ctx.title]))
    sessions = [record_of(d, context_text) for d in drafts]
    out = parsed(fmt, doc, sessions, title=ctx.title)
    out.notes = [note for d in drafts for note in d.notes]
    return out
