"""Internet Governance Forum session pages: workshop proposals and session pages of every year,
Sched listings, session report templates, and caption transcripts.

The form changed every year; its fields are read by their labels wherever they stand, with the
value on the same line ("Speaker 1: Name, Stakeholder, Region") or on the next one ("Moderator" /
"Name, ..."), in flat or indented renderings. A field whose label was lost ("Name, Stakeholder,
Region" alone) is a person `listed`. Anonymised organisers (stakeholder and region only) are no one.
"""
from __future__ import annotations

import re

from pipeline.document import Block, Document
from pipeline.extract.agenda import Draft, _people_in
from pipeline.extract.dates import find_dates, find_times, minutes_between, utc_offset, years_in
from pipeline.extract.people import PersonLine, clean_name, is_person_name, parse_person_line, split_people
from pipeline.records import Item, ParsedDocument, Utterance
from pipeline.sources.common import (find_event, page_title, parse_sdg_line, parsed, record_of, split_numbered)
from pipeline.sources.transcripts import read_transcript
from pipeline.text import collapse_ws, fold
from pipeline.vocabulary import REGIONAL_GROUPS, STAKEHOLDER_GROUPS, field_of, role_of

FORMAT = "igf_proposal"
VERSION = "2"

_SERIES_LINE = re.compile(r"^IGF\s*\d{4}\s+(?:WS|OF|DC|NS|LT|BPF|Open Forum|Workshop|Day 0 Event)\s*#?\s*\d+\s*$", re.I)
_TITLE_CODE = re.compile(r"^(?:IGF\s*\d{4}\b|No\.\s*\d+\s|.*\((?:WS|OF)\s*#?\d+\)\s*$|WS\s*#?\d+\s*:)", re.I)
_FORMAT = re.compile(r"^(?:format\s*:?\s*)?(?P<format>(?:round ?table|panel|break-?out|birds of a feather|debate|"
                     r"fishbowl|open forum|other|tutorial|workshop|lightning talk|presentation|roundtable)[^\n]{0,60}?)"
                     r"\s*[-–]\s*(?P<minutes>\d{2,3})\s*min(?:utes)?\.?$", re.I)
_DURATION = re.compile(r"^duration(?:\s*\(minutes\))?\s*:\s*(\d{2,3})", re.I)
_SURNAME_GIVEN = re.compile(r"^(?P<surname>[A-Z][\w'’\- ]{1,40}?)\s*,\s*(?P<given>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)?)"
                            r"(?:\s*;\s*(?P<aff>.+))?$")
_HIDDEN_MARK = re.compile(r"🔒\s*")
_KEY_MESSAGES = re.compile(r"key messages|key takeaways|main messages", re.I)
_PUBLICATION_DAY = re.compile(r"\bday\s+\d+\b", re.I)


def looks_like(text: str) -> int:
    head = text[:8000]
    score = 0
    score += 3 * bool(re.search(r"^\s*Organi[sz]er \d+\s*:", head, re.M))
    score += 2 * bool(re.search(r"^\s*Speaker \d+\s*:", head, re.M))
    score += 3 * ("Proposer's Name:" in head)
    score += 2 * ("\nGOAL " in text)
    score += 2 * ("Relevance to Theme:" in text or "Relevance to Internet Governance:" in text)
    score += 2 * bool(re.search(r"(?:Civil Society|Private Sector|Technical Community|Government),\s*"
                                r"(?:Asia-Pacific|African|Eastern European|Western European|Latin American)", head))
    score += 3 * ("real-time captioning" in head or "outputs of the captioning" in head)
    score += 2 * bool(re.search(r"^IGF\s*\d{4}\b", head, re.M))
    score += 2 * bool(re.search(r"igf\d{4}\.sched|Welcome to IGF\d{4}|intgovforum", head, re.I))
    score += 1 * ("Policy Question(s)" in head)
    return score


def _group(value: str) -> str | None:
    folded = fold(re.sub(r"\s*\(?GRULAC\s*$", " (GRULAC)", value))
    if folded in STAKEHOLDER_GROUPS:
        return "stakeholder"
    if folded in REGIONAL_GROUPS or fold(re.sub(r"\s*\(.*", "", value)) in REGIONAL_GROUPS:
        return "region"
    return None


def form_person(value: str) -> PersonLine | None:
    """"Name, Org", "Name, Stakeholder, Region", "Name, Org, Stakeholder, Region, gender": the form's
    person line; None when the name is hidden (only stakeholder and region) or not a name."""
    value = _HIDDEN_MARK.sub("", collapse_ws(value)).strip(" ,;")
    if not value:
        return None
    first = re.split(r"\s*,\s*", value)[0]
    if _group(first):
        return None
    person = parse_person_line(value, slot=True)
    if person is None:
        return None
    if person.organization and _group(person.organization):
        person.organization = None
    return person


def _surname_first(text: str) -> PersonLine | None:
    """"Hoepers, Cristine" / "van Duren, David; GFCE (government)" -> natural order."""
    match = _SURNAME_GIVEN.match(collapse_ws(text).strip(" •"))
    if not match:
        return None
    surname, given = match.group("surname").strip(), match.group("given")
    if len(surname.split()) > 3 or not is_person_name(f"{given} {surname}", slot=True):
        return None
    aff = match.group("aff")
    info = PersonLine(clean_name(f"{given} {surname}"))
    if aff:
        org = re.sub(r"\s*\((?:government|private|civil society|technical|academia|intergovernmental)[^)]*\)\s*$", "",
                     aff, flags=re.I).strip()
        info.organization = org or None
    return info


def _schedule(texts: list[str], year: int | None):
    """Date, start, end and offset from the page's schedule line."""
    for text in texts:
        dates, times = find_dates(text), find_times(text)
        if dates and times and len(text) < 200:
            date = dates[0].on(year)
            start = times[0].start
            end = times[0].end or (times[1].start if len(times) > 1 else None)
            return date, start, end, utc_offset(text)
    return None, None, None, None


def parse_igf_proposal(doc: Document) -> ParsedDocument | None:
    if any(b.kind == "turn" for b in doc.blocks):
        return read_transcript(doc, FORMAT)
    blocks = doc.blocks
    year = None
    all_text = [b.text for b in blocks]
    years = set().union(*(years_in(t) for t in all_text[:6])) if all_text else set()
    year = years.pop() if len(years) == 1 else None
    draft = Draft()
    items: list[Item] = []
    notes: list[str] = []
    texts: dict[str, str] = {}
    # title: a title line with an IGF code, a "Title:" field, or the line after a series line
    for i, block in enumerate(blocks[:8]):
        text = block.text.strip()
        if block.kind == "label" and field_of(block.label) == "title" and block.value and block.label.lower() != "session":
            draft.title = block.value
            break
        if _SERIES_LINE.match(text) and i + 1 < len(blocks):
            draft.series = text
            draft.title = blocks[i + 1].text.strip()
            break
        if block.kind in ("paragraph", "heading") and _TITLE_CODE.match(text) and len(text) < 300:
            draft.title = text
            break
    if draft.title is None:
        draft.title = _numbered_title(blocks)
    date, start, end, offset = _schedule([b.text for b in blocks[:40] if not _PUBLICATION_DAY.search(b.text)], year)
    draft.date, draft.start, draft.end, draft.offset = date, start, end, offset
    pending_role: str | None = None
    pending_field: str | None = None
    section: str | None = None
    for i, block in enumerate(blocks):
        text = block.text.strip()
        if not text:
            continue
        if block.kind == "label":
            label, value = block.label, block.value or ""
            fieldname = field_of(label)
            role = role_of(label)
            if re.match(r"proposer'?s name|co-proposer'?s name", label, re.I):
                person = form_person(value)
                if person:
                    draft.add(person, "organizer")
                continue
            if re.match(r"(?:co-)?proposer'?s organi[sz]ation|organizational affiliation", label, re.I):
                if draft.people and not draft.people[-1].info.organization:
                    draft.people[-1].info.organization = value or None
                continue
            if role:
                pending_role = role if not value else None
                if re.match(r"speakers?\s+provisionally|session organizers", label, re.I):
                    section = "surname_first" if "provisionally" in label.lower() else None
                for part in re.split(r"\s*;\s*(?=[A-Z])", value) if value else []:
                    person = form_person(part) if re.search(r"\d", label) or "," in part else None
                    people = [person] if person else split_people(part)
                    if not people and re.search(r"\d", label):
                        notes.append(f"refused as a person: {label}: {part[:60]!r} (no name given)")
                    for p in people:
                        draft.add(p, role)
                continue
            if fieldname == "policy_questions":
                section = "policy"
                if value:
                    items += [Item("policy_question", q) for q in _questions(value)]
                continue
            if fieldname == "format":
                _format(draft, texts, value)
                continue
            if fieldname == "duration":
                texts["duration"] = value
                continue
            if fieldname in ("date", "time"):
                mentions, times = find_dates(value), find_times(value)
                draft.date = draft.date or (mentions[0].on(year) if mentions else None)
                if times and draft.start is None:
                    draft.start, draft.end = times[0].start, times[0].end
                continue
            if fieldname == "description":
                texts["description"] = value
                continue
            section = None
            continue
        # a label alone on its line, the value on the next ones (2018-2025 renderings)
        bare = text.rstrip(": ").lower()
        if bare in ("moderator", "online moderator", "onsite moderator", "rapporteur", "co-moderator",
                    "speakers", "organizers", "additional speakers", "speakers :", "session organizers",
                    "speakers provisionally confirmed") or role_of(text.rstrip(": ")) and len(text.split()) <= 3:
            pending_role = role_of(text.rstrip(": ")) or "speaker"
            section = "surname_first" if "provisionally" in bare else ("people" if "speaker" in bare or "organizer" in bare else None)
            continue
        if bare in ("policy question(s)", "policy questions", "policy question"):
            section = "policy"
            continue
        if bare in ("sdgs", "sdg", "sustainable development goals"):
            section = "sdg"
            continue
        if bare == "format":
            pending_field = "format"
            continue
        if _KEY_MESSAGES.search(text) and len(text) < 160:
            section = "keypoints"
            continue
        numbered = f"{block.marker} {text}" if block.kind == "item" and (block.marker or "")[:1].isdigit() else text
        sdg = parse_sdg_line(numbered)
        if sdg and (section == "sdg" or numbered != text or text.upper().startswith(("GOAL", "SDG"))):
            items.append(Item("sdg_goal", sdg))
            continue
        fmt = _FORMAT.match(text)
        if fmt:
            draft_format = collapse_ws(fmt.group("format"))
            texts["format"] = draft_format
            texts["duration"] = fmt.group("minutes")
            pending_field = None
            continue
        if pending_field == "format":
            texts["format"] = text
            pending_field = None
            continue
        if block.kind == "item" and (block.marker or "").rstrip(".)") == "1" and re.search(r"\s2[.)]\s", text):
            items += [Item("policy_question", q) for q in split_numbered(f"1. {text}")]  # "1. ...? 2. ...?" on one line
            continue
        if section == "policy" and block.kind in ("paragraph", "item") and not _looks_like_field(text):
            items += [Item("policy_question", q) for q in _questions(text)]
            continue
        if section == "keypoints" and block.kind == "item":
            items.append(Item("keypoint", text))
            continue
        if section == "surname_first":
            person = _surname_first(text)
            if person:
                draft.add(person, "speaker")
                continue
        if block.kind == "item":
            person = _surname_first(text) or parse_person_line(text)
            if person:
                draft.add(person, pending_role or "listed")
                continue
        person = form_person(text) if "," in text and len(text) < 200 else None
        if person and (person.stakeholder_group or person.regional_group or pending_role):
            draft.add(person, pending_role or "listed")
            pending_role = None
            continue
        if pending_role and is_person_name(clean_name(text), slot=True) and len(text.split()) <= 5:
            draft.add(PersonLine(clean_name(text)), pending_role)
            pending_role = None
            continue
        if pending_role and block.kind == "paragraph" and text.startswith("avatar for "):
            continue
        if len(text) > 200:
            pending_role = None
    if "format" in texts:
        draft_format = texts["format"]
    # prose people when the form named nobody (a Sched description, an introductory session page)
    if not draft.people:
        for person, role in _people_in(blocks, "speaker"):
            draft.add(person, role)
    record = record_of(draft, " ".join(all_text[:3]))
    record.session_format = texts.get("format")
    record.duration_minutes = (int(texts["duration"]) if texts.get("duration", "").isdigit()
                               else minutes_between(draft.start, draft.end))
    record.description = texts.get("description") or record.description
    record.items = items + record.items
    if draft.title is None and not draft.people and not items and not draft.date:
        return None
    out = parsed(FORMAT, doc, [record], title=draft.title)
    out.notes = notes
    return out


def _numbered_title(blocks: list[Block]) -> str | None:
    """The 2016 form: "6. Title" followed by the title (the heading line keeps "No. 26 ...")."""
    for i, block in enumerate(blocks[:60]):
        if re.fullmatch(r"\d{1,2}\.\s*title", block.text.strip(), re.I) and i + 1 < len(blocks):
            return blocks[i + 1].text.strip()
    return None


def _looks_like_field(text: str) -> bool:
    return bool(re.match(r"^(?:what will participants gain|connection with previous messages|expected outcomes?|"
                         r"description|targets?|sdgs?)\b", text, re.I))


def _questions(text: str) -> list[str]:
    """A policy-question paragraph: numbered items, "•" items, or several questions run together."""
    numbered = split_numbered(text)
    if len(numbered) > 1:
        return numbered
    if "•" in text:
        return [collapse_ws(p) for p in text.split("•") if p.strip()]
    parts = [collapse_ws(p) + "?" for p in re.split(r"\?\s+(?=[A-Z])", text.rstrip()) if p.strip()]
    if len(parts) > 1:
        parts[-1] = parts[-1].rstrip("?") + ("?" if text.rstrip().endswith("?") else "")
        return parts
    return [collapse_ws(text)]


def _format(draft: Draft, texts: dict, value: str) -> None:
    fmt = _FORMAT.match(value)
    if fmt:
        texts["format"] = collapse_ws(fmt.group("format"))
        texts["duration"] = fmt.group("minutes")
    elif value:
        texts["format"] = value
