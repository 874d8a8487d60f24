"""Event pages (Isomer / Jekyll sites and other event pages): YAML front matter with a permalink,
then markdown, tiptap HTML or hand-written HTML. Read by the agenda engine: programme tables, cards,
several events on one page, or the page as one session."""
from __future__ import annotations

import re

from pipeline.document import Document
from pipeline.model.records import ParsedDocument
from pipeline.sources.generic import parse_generic

FORMAT = "isomer_event"


def looks_like(text: str) -> int:
    head = text[:2000]
    score = 0
    if head.startswith("---"):
        score += 2
        score += 2 * bool(re.search(r"^(?:permalink|third_nav_title|variant|layout|breadcrumb):", head, re.M))
    score += 1 * ("isomer" in head.lower() or "tiptap" in head)
    score += 1 * bool(re.search(r"\bspeakers?\b|\bprogramme\b|\bmoderator\b", text[:20000], re.I))
    return score


def parse_isomer_event(doc: Document) -> ParsedDocument:
    return parse_generic(doc, FORMAT)
