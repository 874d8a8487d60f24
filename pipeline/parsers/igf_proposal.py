"""Internet Governance Forum workshop proposals (plain-text exports of the proposal form).

The form changed by year; this parser reads the fields by their labels wherever they stand:
- 2019 (the seed): "Organizer 1: Name, Org", "Speaker 1: Name, Stakeholder, Region", unlabelled
  "Name, Stakeholder, Region" lines, "Round Table - U-shape - 60 Min", "GOAL 16: ...";
- 2017: "Proposer's Name: X", "Speaker: X";
- 2018: a label alone on its line with the value on the next ("Moderator", "Format", ...);
- 2021-22: unlabelled moderator / rapporteur lines;
- 2023: "Name - Org - Stakeholder - Region" lines, SDGs as "16. Peace, Justice and Strong Institutions";
- transcripts with ">> NAME:" turns.
The same person listed twice becomes one participant with every role and attribute.
"""
from __future__ import annotations

import re

from pipeline.names import person_key, speaker_kind, strip_honorifics
from pipeline.parsers.common import find_event, parse_date, parse_sdg_line, parse_time_range, split_numbered
from pipeline.records import Item, ParsedDocument, Participant, SessionRecord, Utterance
from pipeline.text import clean_inline, collapse_ws

FORMAT = "igf_proposal"

STAKEHOLDER_GROUPS = {
    "civil society": "Civil Society", "private sector": "Private Sector",
    "technical community": "Technical Community", "government": "Government",
    "intergovernmental organization": "Intergovernmental Organization",
    "intergovernmental organisation": "Intergovernmental Organization",
    "academia": "Academia", "youth": "Youth",
}
REGIONAL_GROUPS = {
    "asia-pacific group": "Asia-Pacific Group", "asia pacific group": "Asia-Pacific Group",
    "african group": "African Group", "eastern european group": "Eastern European Group",
    "western european and others group (weog)": "Western European and Others Group (WEOG)",
    "western european and others group": "Western European and Others Group (WEOG)",
    "weog": "Western European and Others Group (WEOG)",
    "latin american and caribbean group (grulac)": "Latin American and Caribbean Group (GRULAC)",
    "latin american and caribbean group": "Latin American and Caribbean Group (GRULAC)",
    "grulac": "Latin American and Caribbean Group (GRULAC)",
    "intergovernmental organization": "Intergovernmental Organization",
}
_ROLE_LABELS = {
    "organizer": "organizer", "organiser": "organizer", "co-organizer": "organizer",
    "proposer's name": "organizer", "proposer": "organizer", "speaker": "speaker",
    "moderator": "moderator", "onsite moderator": "moderator", "online moderator": "online moderator",
    "rapporteur": "rapporteur", "co-moderator": "moderator",
}
_LABELLED_PERSON = re.compile(
    r"^(organi[sz]er|co-organi[sz]er|speaker|proposer's name|proposer|(?:onsite |online |co-)?moderator|rapporteur)"
    r"\s*(\d+)?\s*[:：]\s*(.+)$", re.I)
_FORMAT_LINE = re.compile(r"^(?:format\s*[:：]\s*)?(.+?)\s*[-–]\s*(\d{2,3})\s*min(?:utes)?\.?$", re.I)
_TEXT_FIELDS = {
    "description": "description", "session description": "description",
    "expected outcomes": "expected_outcomes", "expected outcome": "expected_outcomes",
    "relevance to theme": "relevance_to_theme", "relevance to internet governance": "relevance_to_internet_governance",
    "proposed additional tools": "additional_tools", "discussion facilitation": "discussion_facilitation",
    "online participation": "online_participation", "title": "title", "session title": "title",
    "policy questions": "policy_questions", "policy question(s)": "policy_questions", "policy question": "policy_questions",
    "format": "format", "session format": "format", "theme": "theme", "subtheme": "subtheme",
    "date": "date", "time": "time", "sdgs": "sdgs", "tags": "tags",
}
_FIELD_LABEL = re.compile(r"^([A-Z][A-Za-z()' ]{1,40}?)\s*[:：]\s*(.*)$")
_BARE_LABELS = {"moderator", "online moderator", "onsite moderator", "rapporteur", "format", "description",
                "speakers", "organizers", "policy questions", "expected outcomes", "title"}
_TURN = re.compile(r"^>>\s*([^:]{1,80}):\s*(.*)$")
_HIDDEN = re.compile(r"^[\[(]?\s*(?:name\s+)?(?:hidden|withheld|redacted|not\s+(?:shown|disclosed|public))\s*[\])]?$", re.I)


def looks_like(text: str) -> int:
    head = text[:6000]
    score = 0
    score += 3 * bool(re.search(r"^Organi[sz]er \d+:", head, re.M))
    score += 2 * bool(re.search(r"^Speaker \d+:", head, re.M))
    score += 3 * ("Proposer's Name:" in head)
    score += 2 * ("\nGOAL " in text)
    score += 2 * ("Relevance to Theme:" in text or "Relevance to Internet Governance:" in text)
    score += 1 * bool(re.search(r"^(?:Round Table|Panel|Break-out Group|Birds of a Feather)[^\n]{0,40}\d+\s*Min\b", head, re.M | re.I))
    score += 2 * bool(re.search(r"(?:Civil Society|Private Sector|Technical Community),\s*(?:Asia-Pacific|African|Eastern European|Western European|Latin American)", head))
    score += 1 * ("IGF" in text)
    return score


def _group(value: str, table: dict[str, str]) -> str | None:
    return table.get(collapse_ws(value).lower().strip(" ."))


def _person_from_parts(parts: list[str], role: str | None) -> Participant | None:
    """Name, then organization / stakeholder group / regional group in any of the forms the years used."""
    parts = [collapse_ws(p) for p in parts if p and p.strip()]
    if not parts:
        return None
    if _HIDDEN.match(parts[0]) or _group(parts[0], STAKEHOLDER_GROUPS) or _group(parts[0], REGIONAL_GROUPS):
        return None  # the form hid the name: nobody to add (the caller reports it)
    name, honorifics = strip_honorifics(parts[0])
    if not name:
        return None
    person = Participant(name=name, honorific=" ".join(honorifics) or None, roles=[role or "listed"])
    leftovers = []
    for part in parts[1:]:
        if person.stakeholder_group is None and _group(part, STAKEHOLDER_GROUPS):
            person.stakeholder_group = _group(part, STAKEHOLDER_GROUPS)
        elif person.regional_group is None and _group(part, REGIONAL_GROUPS):
            person.regional_group = _group(part, REGIONAL_GROUPS)
        else:
            leftovers.append(part)
    if leftovers:
        person.organization = ", ".join(leftovers)
    return person


def _split_person_line(value: str) -> list[str]:
    if " - " in value and value.count(" - ") >= 2:
        return value.split(" - ")  # 2023: Name - Org - Stakeholder - Region
    return value.split(",")


def _merge(people: list[Participant], person: Participant) -> None:
    """The same person listed twice: one participant, roles and attributes combined."""
    key = person_key(person.name)
    for existing in people:
        if person_key(existing.name) == key:
            existing.roles = sorted(set(existing.roles) | set(person.roles))
            for attr in ("organization", "stakeholder_group", "regional_group", "honorific", "position"):
                if getattr(existing, attr) is None:
                    setattr(existing, attr, getattr(person, attr))
            return
    people.append(person)


def parse_igf_proposal(text: str) -> ParsedDocument:
    doc = ParsedDocument(format=FORMAT)
    session = SessionRecord()
    people: list[Participant] = []
    texts: dict[str, list[str]] = {}
    unlabelled: list[str] = []
    lines = [line.strip() for line in text.split("\n")]
    current_field: str | None = None
    pending_label: str | None = None
    for index, line in enumerate(lines):
        if not line:
            current_field = None if current_field in ("policy_questions",) else current_field
            continue
        if index == 0 and line.lower() in ("session", "workshop", "workshop proposal"):
            continue
        turn = _TURN.match(line)
        if turn:
            session.utterances.append(Utterance(speaker=collapse_ws(turn.group(1)), text=collapse_ws(turn.group(2))))
            current_field = "transcript"
            continue
        if current_field == "transcript" and session.utterances and not _FIELD_LABEL.match(line):
            session.utterances[-1].text += " " + collapse_ws(line)
            continue
        if pending_label:  # 2018: the value on the line after its label
            label, pending_label = pending_label, None
            if label in _ROLE_LABELS:
                for part in re.split(r"\s*;\s*", line):
                    person = _person_from_parts(_split_person_line(part), _ROLE_LABELS[label])
                    if person:
                        _merge(people, person)
                continue
            name = _TEXT_FIELDS.get(label, label.replace(" ", "_"))
            if label == "format":
                line = f"Format: {line}"
            elif name == "policy_questions":
                current_field = name
                for question in split_numbered(line):
                    session.items.append(Item(kind="policy_question", text=re.sub(r"^\d+[.)]\s*", "", question)))
                continue
            elif name == "title":
                session.title = clean_inline(line)
                continue
            else:
                texts.setdefault(name, []).append(line)
                current_field = name
                continue
        if line.lower().rstrip(":") in _BARE_LABELS and len(line) < 40:
            pending_label = line.lower().rstrip(":")
            continue
        labelled = _LABELLED_PERSON.match(line)
        if labelled:
            role = _ROLE_LABELS.get(re.sub(r"organiser", "organizer", labelled.group(1).lower()), "listed")
            for part in re.split(r"\s*;\s*", labelled.group(3)):
                person = _person_from_parts(_split_person_line(part), role)
                if person:
                    _merge(people, person)
                else:
                    doc.problems.append(f"{labelled.group(1)} {labelled.group(2) or ''}: name not given ({part[:60]!r}); nobody added".replace(" :", ":"))
            current_field = None
            continue
        fmt = _FORMAT_LINE.match(line)
        if fmt and len(line) < 100:
            session.session_format = collapse_ws(fmt.group(1))
            session.duration_minutes = int(fmt.group(2))
            continue
        sdg = parse_sdg_line(line)
        if sdg:
            session.items.append(Item(kind="sdg_goal", text=sdg))
            continue
        field_match = _FIELD_LABEL.match(line)
        label = field_match.group(1).lower().strip() if field_match else None
        if label in _TEXT_FIELDS:
            name = _TEXT_FIELDS[label]
            value = field_match.group(2).strip()
            if name == "format":
                session.session_format = value or None
            elif name == "title":
                session.title = clean_inline(value)
            elif name == "date":
                session.date = parse_date(value)
            elif name == "time":
                session.start_time, session.end_time = parse_time_range(value)
            elif name == "policy_questions":
                current_field = name
                if value:
                    for question in split_numbered(value):
                        session.items.append(Item(kind="policy_question", text=question))
            else:
                texts.setdefault(name, []).append(value)
                current_field = name
            continue
        if re.match(r"^1[.)]\s", line):
            for question in split_numbered(line):
                session.items.append(Item(kind="policy_question", text=question))
            continue
        if current_field == "policy_questions":
            session.items.append(Item(kind="policy_question", text=re.sub(r"^\d+[.)]\s*", "", line)))
            continue
        parts = _split_person_line(line)
        if 2 <= len(parts) <= 5 and len(line) < 200 and any(
            _group(p, STAKEHOLDER_GROUPS) or _group(p, REGIONAL_GROUPS) for p in parts[1:]
        ):
            person = _person_from_parts(parts, "listed")
            if person:
                _merge(people, person)
            continue
        if len(line) < 120 and len(parts) == 1 and speaker_kind(line) == "person" and not line.endswith("."):
            # 2021-22 forms list moderator and rapporteur without a label; we cannot tell which
            if re.match(r"^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}$", line):
                _merge(people, Participant(name=strip_honorifics(line)[0], roles=["listed"]))
                continue
        unlabelled.append(line)
    for name, values in texts.items():
        joined = "\n\n".join(v for v in values if v)
        if name == "description":
            session.description = joined or None
        elif joined:
            session.texts[name] = joined
    if unlabelled:
        session.texts["unlabelled"] = "\n\n".join(unlabelled)
        doc.problems.append(
            f"{len(unlabelled)} paragraph(s) without a field label kept as session text 'unlabelled'"
        )
    session.participants = people
    session.event = find_event(text, session.date)
    doc.title = session.title
    doc.sessions = [session]
    if not people:
        doc.problems.append("no organizers or speakers found")
    return doc
