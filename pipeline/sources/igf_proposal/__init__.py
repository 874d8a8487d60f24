"""Internet Governance Forum session pages: workshop proposals and session pages of every year,
Sched listings, session report templates, theme pages listing several sessions, and caption
transcripts.

The form changed every year; its fields are read by their labels wherever they stand, with the
value on the same line ("Speaker 1: Name, Stakeholder, Region"), on the next one ("Moderator" /
"Name, ..."), or as a bullet ("- Chair/Moderator: Name"), in flat or indented renderings. A field
whose label was lost ("Name, Stakeholder, Region" or "Name, Position, Org" alone) is a person
`listed`. Anonymised organisers (stakeholder and region only) are no one.
"""
from __future__ import annotations

import re

from pipeline.document import Block, Document, Line
from pipeline.document.fields import label_parts
from pipeline.extract.dates import years_in
from pipeline.model.records import ParsedDocument, SessionRecord
from pipeline.model.text import LinePattern, lowered_for_words
from pipeline.sources.common import parsed
from pipeline.sources.igf_proposal.session import _read_session
from pipeline.sources.transcripts import read_transcript

FORMAT = "igf_proposal"

# A session's title line on a page that lists several: "IGF 2021 WS #260 Internet resilience ...",
# "IGF 2020 Main Session NRIs: ...": an edition, a session code and the title on one line.
_LISTED_TITLE = re.compile(r"^IGF\s*\d{4}\s+(?:(?:WS|OF|DC|NS|LT|BPF|Open Forum|Networking Session|Lightning Talk|"
                           r"Town Hall|Launch|Workshop|Day 0 Event)\s*#?\s*\d+|Main Session|High[- ]Level Session)"
                           r"\s*:?\s+\S.{3,}$", re.I)

# "Civil Society, African Group": a proposal's organiser or speaker, anonymised to stakeholder and region
STAKEHOLDER_GROUPS = ("Civil Society", "Private Sector", "Technical Community", "Government")
STAKEHOLDER_REGION = re.compile(f"(?:{'|'.join(STAKEHOLDER_GROUPS)}),\\s*"
                                r"(?:Asia-Pacific|African|Eastern European|Western European|Latin American)")

# lines the proposal forms open with (detection reads the first 8000 characters of every file)
_ORGANISER_LINE = LinePattern(r"\s*Organi[sz]er \d+\s*:")
_SPEAKER_LINE = LinePattern(r"\s*Speaker \d+\s*:")
_EDITION_LINE = LinePattern(r"IGF\s*\d{4}\b")
_SESSION_CODE_LINE = LinePattern(r"IGF\s*\d{4}\s+(?:WS|OF|DC|NS|BPF)\s*#?\s*\d+\b")
_NUMBERED_HEADING = LinePattern(r"No\.\s*\d+\s+\S")
_TITLE_SECTION = LinePattern(r"\d{1,2}\.\s*Title\s*$")
# the form's relevance fields: one scan for "Relevance to ", two for the fields' names
_RELEVANCE_FIELD = re.compile(r"Relevance to (?:Theme|Internet Governance):")


def looks_like(text: str) -> int:
    # Each pattern is tried only when a word it cannot match without is in the text: a plain substring
    # test is a fast scan, a regex without a literal start is tried at every position of the 8000 chars.
    head = text[:8000]
    lowered = lowered_for_words(text, 8000)  # for the IGNORECASE patterns' words (lower() keeps their ASCII letters)
    score = 0
    score += 3 * ("Organi" in head and _ORGANISER_LINE.found_in(head))
    score += 2 * ("Speaker " in head and _SPEAKER_LINE.found_in(head))
    score += 3 * ("Proposer's Name:" in head)
    score += 2 * ("\nGOAL " in text)
    score += 2 * bool(_RELEVANCE_FIELD.search(text))
    score += 2 * (any(group in head for group in STAKEHOLDER_GROUPS) and bool(STAKEHOLDER_REGION.search(head)))
    score += 3 * ("captioning" in head and ("real-time captioning" in head or "outputs of the captioning" in head))
    if "IGF" in head:
        score += 2 * _EDITION_LINE.found_in(head)
        score += 2 * _SESSION_CODE_LINE.found_in(head)  # a session code
    # an IGF Sched listing greets with its edition ("Welcome to IGF2016!"): an IGF page on its own
    score += 3 * ("welcome to" in lowered and bool(re.search(r"Welcome to IGF\s?\d{4}", head, re.I)))
    # (not "sched", "intgovforum": under IGNORECASE "ſ" is an "s" and "ı" an "i", which lower() keeps)
    score += 2 * (("ched" in lowered or "ntgovforum" in lowered) and bool(re.search(r"igf\d{4}\.sched|intgovforum", head, re.I)))
    # the schedule line of an IGF session page: "Thursday, 26th June, 2025 (07:00 UTC) - Thursday, ..."
    score += 3 * (" UTC) - " in head and bool(re.search(r"\b[A-Z][a-z]+day, \d{1,2}(?:st|nd|rd|th) [A-Z][a-z]+, \d{4} \(\d{1,2}:\d{2} UTC\) - "
                                                     r"[A-Z][a-z]+day, ", head)))
    score += 1 * ("Policy Question(s)" in head)
    # the numbered proposal form of 2016: a "No. 26 Title" heading line over "6. Title" and the other sections
    score += 3 * ("No." in head and _NUMBERED_HEADING.found_in(head) and _TITLE_SECTION.found_in(head))
    return score


# -- the page -------------------------------------------------------------------------------------
def _as_form_block(block: Block) -> Block:
    """A bullet that is a form field ("- Chair/Moderator: X") is the field; a paragraph opened by an
    "o" bullet (a second-level bullet that plain text lost) is a list item."""
    if block.kind == "item":
        field = label_parts(block.text)
        if field is not None:
            return Block("label", block.lines, label=field[0], value=field[1], gap=block.gap, indent=block.indent)
    if block.kind == "paragraph" and len(block.lines) == 1:
        bullet = re.match(r"^o\s+(?=[A-Z])", block.text)
        if bullet:
            line = Line(block.text[bullet.end():])
            return Block("item", (line,), level=2, marker="o", gap=block.gap, indent=block.indent)
    return block


def _listing_parts(blocks: list[Block]) -> list[list[Block]]:
    """A page that lists several sessions (a theme page: "IGF 2021 WS #260 ..." / teaser / "IGF 2020 Main
    Session ..." / teaser) is cut at their title lines; the lines above the first title are the page's."""
    starts = [i for i, b in enumerate(blocks) if b.kind in ("paragraph", "heading") and _LISTED_TITLE.match(b.text.strip())]
    if len(starts) < 2:
        return [blocks]
    return [blocks[start:end] for start, end in zip(starts, starts[1:] + [len(blocks)])]


def parse_igf_proposal(doc: Document) -> ParsedDocument | None:
    if any(b.kind == "turn" for b in doc.blocks):
        return read_transcript(doc, FORMAT)
    blocks = [_as_form_block(b) for b in doc.blocks]
    texts = [b.text for b in blocks]
    years = set().union(*(years_in(t) for t in texts[:6])) if texts else set()
    year = years.pop() if len(years) == 1 else None
    records: list[SessionRecord] = []
    notes: list[str] = []
    for part in _listing_parts(blocks):
        record = _read_session(part, year, notes)
        if record is not None:
            records.append(record)
    if not records:
        return None
    out = parsed(FORMAT, doc, records, title=records[0].title if len(records) == 1 else None)
    out.notes = notes
    return out
