"""Event pages of Isomer/Jekyll sites (e.g. Singapore International Cyber Week): YAML front matter + markdown.

Speakers come in many layouts; all of them end up as "cards" (a name and the lines under it),
which one function turns into a Participant:
- markdown pipe tables: | [Mr X](/speakers/x/) | *Title*<br>Org<br>Country |, with section rows (**Speakers**);
- a table whose first column holds "**Mr X, Title, Org**" in one bold run;
- HTML <table>s (the "tiptap" editor) and card grids, names possibly split across <span>s;
- bullets "● Mr X, Position (Org)" and lines "Moderator: Ms Y, Title, Org".
A page may hold several sessions (webinars, breakouts): each dated line starts one.
"""
from __future__ import annotations

import re

import frontmatter
import yaml
from bs4 import BeautifulSoup

from pipeline.names import is_place, speaker_kind, split_role_mark, strip_honorifics
from pipeline.parsers.common import (
    duration_minutes, find_event, parse_date, parse_time_range, parse_utc_offset,
)
from pipeline.records import ParsedDocument, Participant, SessionRecord
from pipeline.text import clean_inline, collapse_ws

FORMAT = "isomer_event"

_BR = re.compile(r"<br\s*/?>", re.I)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{3,}")
_BULLET = re.compile(r"^\s*(?:[●•▪◦‣∙·]|[-*+–](?=\s))\s*(.+)$")
_ROLE_LINE = re.compile(
    r"^\W*(moderators?|chairs?|co-chairs?|speakers?|panell?ists?|keynote(?: speakers?)?|facilitators?|hosts?)\W*\s*[:：]\s*(.+)$",
    re.I,
)
_ROLE_HEADER = re.compile(
    r"^(moderators?|chairs?|co-chairs?|speakers?|panell?ists?|keynote(?: speakers?)?|facilitators?|hosts?|"
    r"opening remarks|closing remarks|welcome remarks|discussants?|presenters?)\s*:?$",
    re.I,
)
_TIME_LINE = re.compile(r"\btime\b|\d\s*(?:am|pm|h)\b|\d[.:]\d\d\s*(?:-|–|to)", re.I)
_PLACEHOLDER = re.compile(r"^\(?\s*(?:name of|insert|title of|organi[sz]ation of|position of)\b|^\(.*\d\)$", re.I)
_ROLE_WORDS = {
    "speakers": "speaker", "speaker": "speaker", "panellists": "panellist", "panellist": "panellist",
    "panelists": "panellist", "panelist": "panellist", "moderators": "moderator", "moderator": "moderator",
    "chairs": "chair", "chair": "chair", "co-chairs": "co-chair", "co-chair": "co-chair",
    "keynote": "keynote speaker", "keynote speaker": "keynote speaker", "keynote speakers": "keynote speaker",
    "facilitator": "facilitator", "facilitators": "facilitator", "host": "host", "hosts": "host",
}


def looks_like(text: str) -> int:
    """How strongly `text` looks like an Isomer event page (0 = not at all)."""
    score = 0
    if text.startswith(("---\n", "\ufeff---\n")):
        score += 2
        head = text[:2000]
        score += sum(2 for key in ("permalink:", "variant:", "third_nav_title:", "layout:") if key in head)
    if "](/speaker" in text and re.search(r"\|\s*\[[^\]\n]+\]\(/speakers?/", text):
        score += 3
    if "**Speakers**" in text or "**Panellists**" in text or "**Panelists**" in text or "**Moderator**" in text:
        score += 2
    if "Information is accurate at time of publication" in text:
        score += 2
    return score


def role_word(text: str) -> str:
    key = collapse_ws(text.lower().strip(" :*"))
    return _ROLE_WORDS.get(key, key)


def read_front_matter(text: str) -> tuple[dict, str, list[str]]:
    """Front matter and body; invalid YAML is reported and read line by line instead."""
    try:
        post = frontmatter.loads(text)
        meta = post.metadata if isinstance(post.metadata, dict) else {}
        return meta, post.content, []
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        match = re.match(r"^\ufeff?---\s*\n(.*?)\n---\s*\n", text, re.S)
        if not match:
            return {}, text, [f"front matter could not be read: {type(exc).__name__}"]
        meta = {}
        for line in match.group(1).splitlines():
            kv = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
            if kv:
                meta[kv.group(1)] = kv.group(2).strip().strip("\"'")
        reason = str(exc).splitlines()[0]
        return meta, text[match.end():], [f"invalid YAML front matter ({reason}); read key by key instead"]


def card_from_lines(name_text: str, lines: list[str], role: str | None, profile_url: str | None = None,
                    position_marked: bool = False) -> Participant | None:
    """A participant from a name and the lines under it: position, organization line(s), country."""
    name_text, mark = split_role_mark(clean_inline(name_text) or "")
    lines = [line for line in (clean_inline(x) for x in lines) if line]
    if "," in name_text and not lines:
        # "Mr X, Title, Org[, Country]" in one run
        parts = [p.strip() for p in name_text.split(",") if p.strip()]
        name_text, lines = parts[0], parts[1:]
        if len(lines) > 2:
            country = lines[-1] if is_place(lines[-1]) else None
            body = lines[:-1] if country else lines
            lines = [body[0], ", ".join(body[1:])] + ([country] if country else [])
    bracket = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", lines[0]) if len(lines) == 1 else None
    if bracket and not is_place(bracket.group(2)):
        lines = [bracket.group(1), bracket.group(2)]  # "Position (Org)"
    name, honorifics = strip_honorifics(name_text)
    if not name:
        return None
    participant = Participant(name=name, honorific=" ".join(honorifics) or None, profile_url=profile_url)
    roles = [r for r in (role, mark and role_word(mark)) if r]
    participant.roles = sorted(set(roles)) or ["listed"]
    if lines:
        participant.position = lines[0]
        rest = lines[1:]
        if rest and is_place(rest[-1]) and (len(rest) > 1 or position_marked or len(lines) > 2):
            participant.country = rest[-1]
            rest = rest[:-1]
        elif len(rest) == 1 and is_place(rest[0]):
            participant.country = rest[0]
            rest = []
        if rest:
            participant.organization = ", ".join(rest)
    return participant


def _cell_lines(cell: str) -> tuple[list[str], bool]:
    """Lines of a markdown cell split on <br>; whether its first line is emphasised (the position)."""
    pieces = [p.strip() for p in _BR.split(cell)]
    pieces = [p for p in pieces if clean_inline(p)]
    marked = bool(pieces) and bool(re.match(r"^[*_]", pieces[0]))
    return pieces, marked


class _PageState:
    def __init__(self, default_title: str | None):
        self.default_title = default_title
        self.sessions: list[SessionRecord] = []
        self.heading: str | None = None
        self.role: str | None = None
        self.description: list[str] = []
        self.problems: list[str] = []

    @property
    def current(self) -> SessionRecord:
        if not self.sessions:
            self.sessions.append(SessionRecord(title=self.heading or self.default_title))
        return self.sessions[-1]

    def start_session(self, date) -> None:
        title = self.heading or self.default_title
        if self.sessions and self.sessions[-1].date is None and not self.sessions[-1].participants:
            self.sessions[-1].date = date
            self.sessions[-1].title = self.sessions[-1].title or title
            return
        self._close_description()
        self.sessions.append(SessionRecord(title=title, date=date))
        self.heading = None
        self.role = None

    def _close_description(self) -> None:
        if self.sessions and self.description and not self.sessions[-1].description:
            self.sessions[-1].description = "\n\n".join(self.description)
        self.description = []

    def add(self, participant: Participant | None, raw: str) -> None:
        if participant is None:
            return
        kind = speaker_kind(participant.name)
        if kind == "placeholder" or _PLACEHOLDER.match(participant.name):
            self.problems.append(f"template placeholder {raw.strip()[:60]!r} is not a person; skipped")
            return
        self._close_description()
        self.current.participants.append(participant)


def _parse_pipe_row(line: str, state: _PageState) -> None:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if not any(clean_inline(c) for c in cells) or _SEPARATOR_ROW.match(line):
        return
    first = cells[0]
    rest = [c for c in cells[1:] if clean_inline(c)]
    if _AGENDA_TIME.match(clean_inline(first) or "") and rest:
        _parse_agenda_row(rest, state)
        return
    link = _LINK.search(first)
    first_text = clean_inline(first) or ""
    if not link and not rest:
        if _ROLE_HEADER.match(first_text) or len(first_text.split()) <= 3:
            state.role = role_word(first_text)
            return
    if not first_text:
        return
    name_text = link.group(1) if link else first_text
    if link is None and "," not in first_text and not rest:
        return
    lines, marked = _cell_lines(rest[0]) if rest else ([], False)
    state.add(card_from_lines(name_text, lines, state.role or "speaker", link.group(2) if link else None, marked), first)


_AGENDA_TIME = re.compile(r"^\d{1,2}[.:]\d{2}\s*(?:am|pm|h)?\s*(?:-|–|—|to)\s*\d{1,2}[.:]\d{2}", re.I)
_AGENDA_PERSON = re.compile(r"(?:^|\bby\s+|:\s*)((?:H\.E\.|Mr|Ms|Mrs|Dr|Prof)\.?\s+[^;]+)", re.I)


def _parse_agenda_row(cells: list[str], state: _PageState) -> None:
    """A programme row "| 10:00 - 10:30 | Opening remarks by Mr X, Minister, Org |": the people in it speak."""
    for cell in cells:
        for line in _BR.split(cell):
            text = clean_inline(line) or ""
            for chunk in re.split(r"\s*;\s*", text):
                match = _AGENDA_PERSON.search(chunk)
                if match:
                    state.add(_bullet_person(match.group(1), state.role or "speaker"), chunk)


def _parse_html(fragment: str, state: _PageState) -> None:
    soup = BeautifulSoup(fragment, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.append("\n")  # a block ends a line; spans inside one block stay one line
    rows = soup.find_all("tr")
    cards = [] if rows else [c for c in soup.select("[class*=card]") if not c.select("[class*=card]")]
    for row in rows:
        cells = row.find_all(["td", "th"])
        texts = [c.get_text("") for c in cells]
        lines_per_cell = [[collapse_ws(x) for x in t.split("\n") if collapse_ws(x)] for t in texts]
        non_empty = [ls for ls in lines_per_cell if ls]
        if not non_empty:
            continue
        if len(non_empty) == 1 and len(non_empty[0]) == 1 and _ROLE_HEADER.match(non_empty[0][0]):
            state.role = role_word(non_empty[0][0])
            continue
        link = cells[0].find("a") if cells else None
        if len(non_empty) == 1:
            lines = non_empty[0]
            state.add(card_from_lines(lines[0], lines[1:], state.role or "speaker", link.get("href") if link else None), lines[0])
        else:
            name_lines = non_empty[0]
            lines = name_lines[1:] + [x for ls in non_empty[1:] for x in ls]
            state.add(card_from_lines(name_lines[0], lines, state.role or "speaker", link.get("href") if link else None), name_lines[0])
    for card in cards:
        lines = [collapse_ws(x) for x in card.get_text("").split("\n") if collapse_ws(x)]
        if lines:
            link = card.find("a")
            state.add(card_from_lines(lines[0], lines[1:], state.role or "speaker", link.get("href") if link else None), lines[0])


def _bullet_person(value: str, role: str) -> Participant | None:
    value = clean_inline(value) or ""
    match = re.match(r"^(.*?),\s*(.+?)\s*\(([^()]+)\)\s*$", value)
    if match:
        return card_from_lines(match.group(1), [match.group(2), match.group(3)], role)
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        return None
    return card_from_lines(", ".join(parts), [], role)


def parse_isomer_event(text: str) -> ParsedDocument:
    meta, body, problems = read_front_matter(text)
    title = clean_inline(str(meta.get("title"))) if meta.get("title") else None
    url = str(meta.get("permalink")) if meta.get("permalink") else None
    doc = ParsedDocument(format=FORMAT, title=title, url=url, problems=list(problems))
    state = _PageState(title)
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        i += 1
        if not stripped:
            continue
        if stripped.lower().startswith(("<table", "<div")):
            block = [line]
            closing = "</table>" if stripped.lower().startswith("<table") else None
            while i < len(lines) and (closing and closing not in block[-1].lower() or not closing and lines[i].strip()):
                block.append(lines[i])
                i += 1
            _parse_html("\n".join(block), state)
            continue
        if _PIPE_ROW.match(stripped):
            _parse_pipe_row(stripped, state)
            continue
        heading = _HEADING.match(line)
        plain = clean_inline(stripped) or ""
        if heading:
            head_text = clean_inline(heading.group(1)) or ""
            if _ROLE_HEADER.match(head_text):
                state.role = role_word(head_text)
            else:
                state.heading = head_text
            continue
        date = parse_date(plain) if len(plain) < 80 else None
        if date and not _TIME_LINE.search(plain.replace(str(date.year), "")):
            state.start_session(date)
            continue
        if len(plain) < 120 and _TIME_LINE.search(plain):
            start, end = parse_time_range(plain)
            if start:
                session = state.current
                session.start_time, session.end_time = start, end
                session.utc_offset = parse_utc_offset(plain)
                session.date = session.date or date
                continue
        role_line = _ROLE_LINE.match(plain)
        if role_line:
            role = role_word(role_line.group(1))
            for person in re.split(r"\s*;\s*", role_line.group(2)):
                state.add(_bullet_person(person, role), person)
            continue
        if _ROLE_HEADER.match(plain):
            state.role = role_word(plain)
            continue
        bullet = _BULLET.match(stripped)
        if bullet and (state.role or re.match(r"^\W*(mr|ms|mrs|dr|prof|h\.e\.)\b", bullet.group(1), re.I)):
            state.add(_bullet_person(bullet.group(1), state.role or "speaker"), bullet.group(1))
            continue
        if plain.lower().startswith("information is accurate"):
            continue
        if state.sessions and not state.current.participants and plain != state.current.title:
            state.description.extend(p for p in (clean_inline(x) for x in _BR.split(stripped)) if p)
    state._close_description()
    if not state.sessions:
        state.sessions.append(SessionRecord(title=title))
        doc.problems.append("no session date or speakers found on the page")
    front_date = parse_date(str(meta.get("third_nav_title") or meta.get("date") or ""))
    full_text = body[:50000]
    for session in state.sessions:
        if session.date is None and front_date and len(state.sessions) == 1:
            session.date = front_date
        session.duration_minutes = duration_minutes(session.start_time, session.end_time)
        session.event = find_event(full_text, session.date)
        if session.date is None:
            doc.problems.append(f"session {session.title!r}: no date found")
    doc.sessions = state.sessions
    doc.problems.extend(state.problems)
    return doc
