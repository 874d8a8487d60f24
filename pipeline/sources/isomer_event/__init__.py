"""Event pages (Isomer / Jekyll sites and other event pages): YAML front matter with a permalink,
then markdown, tiptap HTML or hand-written HTML. Read by the agenda engine: programme tables, cards,
several events on one page, or the page as one session."""
from __future__ import annotations

import re

from pipeline.document import Document
from pipeline.model.records import ParsedDocument
from pipeline.model.text import LinePattern, lowered_for_words
from pipeline.sources.generic import parse_generic

FORMAT = "isomer_event"


# An event page names its speakers, programme or moderator somewhere in its first 20,000 characters.
EVENT_WORDS = re.compile(r"\bspeakers?\b|\bprogramme\b|\bmoderator\b", re.I)


# a key of an Isomer page's front matter opening a line
_FRONT_MATTER_KEY = LinePattern(r"(?:permalink|third_nav_title|variant|layout|breadcrumb):")


def looks_like(text: str) -> int:
    head = text[:2000]
    score = 0
    if head.startswith("---"):
        score += 2
        score += 2 * _FRONT_MATTER_KEY.found_in(head)
    score += 1 * ("isomer" in lowered_for_words(text, 2000) or "tiptap" in head)
    score += 1 * _names_event_words(text, 20000)
    return score


def _names_event_words(text: str, length: int) -> bool:
    """EVENT_WORDS.search over text[:length], started where the first of its words is: an alternation
    under IGNORECASE is tried at every position before it, finding a word is a fast scan. The words
    are looked for as "peaker", not "speaker": under IGNORECASE "ſ" is an "s", which lower() keeps."""
    lowered = lowered_for_words(text, length)
    found = [at for at in (lowered.find(word) for word in ("peaker", "programme", "moderator")) if at >= 0]
    if not found:
        return False
    # a position in the lowered text is one in the text when lowering kept every character's length
    start = max(min(found) - 1, 0) if len(lowered) == min(len(text), length) else 0
    return bool(EVENT_WORDS.search(text, start, length))


def parse_isomer_event(doc: Document) -> ParsedDocument:
    return parse_generic(doc, FORMAT)
