"""One IGF session from its blocks: title, schedule, form fields, people, policy questions, SDGs and
the other lists, read top to bottom by a _SessionReader."""
from __future__ import annotations

import re

from pipeline.document import Block
from pipeline.extract.agenda import _ROOM, Draft, _day_only, _strip_time
from pipeline.extract.dates import find_dates, find_times, minutes_between, utc_offset
from pipeline.extract.people import PersonLine, clean_name, is_person_name, parse_person_line, split_people, split_titles
from pipeline.extract.prose import people_in_prose
from pipeline.model.records import Item, SessionRecord
from pipeline.sources.common import parse_sdg_line, record_of, split_numbered
from pipeline.sources.igf_proposal.people import (_DURATION_MARK, _KEYNOTE_MARK, _affiliation, _affiliation_line, _as_recorded,
                                                  _at_most_words, _chair_surname, _merge_same_people, _person_line, _person_named,
                                                  _replacement, _slot_name, _split_records, _surname_first, _surname_first_runs,
                                                  form_person)
from pipeline.model.text import collapse_ws
from pipeline.model.vocabulary import field_of, role_of

_SERIES_LINE = re.compile(r"^IGF\s*\d{4}\s+(?:WS|OF|DC|NS|LT|BPF|Open Forum|Workshop|Day 0 Event)\s*#?\s*\d+\s*$", re.I)
_TITLE_CODE = re.compile(r"^(?:IGF\s*\d{4}\b|No\.\s*\d+\s|.*\((?:WS|OF)\s*#?\d+\)\s*$|WS\s*#?\d+\s*:)", re.I)
_FORMAT = re.compile(r"^(?:format\s*:?\s*)?(?P<format>(?:round ?table|panel|break-?out|birds of a feather|debate|"
                     r"fishbowl|open forum|other|tutorial|workshop|lightning talk|presentation|roundtable)[^\n]{0,60}?)"
                     r"\s*[-–]\s*(?P<minutes>\d{2,3})\s*min(?:utes)?\.?$", re.I)
_SECOND_NUMBER = re.compile(r"\s2[.)]\s")  # "... 2. ...": a second numbered question on the line
_LEADING_MARK = re.compile(r"^[^\w(\"'“‘]+")
_KEY_MESSAGES = re.compile(r"key messages|key takeaways|main messages", re.I)
_PUBLICATION_DAY = re.compile(r"\bday\s+\d+\b", re.I)
_REPLACED = re.compile(r"^(?P<old>.+?)\s+will be replaced by\s+(?P<new>.+?)\.?$", re.I)
# "by the moderator (Duncan Hollis)": a role word with the person's name in brackets
_ROLE_OF_NAME = re.compile(r"\b(?P<role>moderator|chair|rapporteur|facilitator|keynote speaker|discussant)\s*"
                           r"\((?P<name>[^()]{3,60})\)", re.I)
# "Next 3 speakers will ...": a line that announces the people of the list under it
_ANNOUNCED_ROLE = re.compile(r"\b(?P<role>speakers|panell?ists|moderators|discussants)\b", re.I)
# "Time:13:30". The ":" leads (the letter is looked behind from it): a pattern that opens with a literal
# is scanned for it, one that opens with a lookbehind is tried at every position.
_GLUED_FIELD_TIME = re.compile(r":(?<=[A-Za-z]:)(?=\d)")
# A line that opens a list of topics or questions: "... touching on the following topics (65 minutes)",
# "The discussion will focus on several policy guiding questions:"
_LIST_INTRO = re.compile(r"\b(?P<what>topics|(?:policy\s+)?(?:guiding\s+|focus\s+)?questions)\s*"
                         r"(?::|\(\s*\d{1,3}\s*min(?:ute)?s?\s*\))\s*$", re.I)


def _publication_day(text: str) -> bool:
    """"Day 2": a line of the page's publication, not the session's schedule. The regex runs only on a text
    whose lower case has "day" (no letter of it has a non-ASCII case variant that IGNORECASE matches)."""
    return "day" in text.lower() and bool(_PUBLICATION_DAY.search(text))


# -- dates ----------------------------------------------------------------------------------------
def _schedule(texts: list[str], year: int | None):
    """Date, start, end and offset from the page's schedule line, or from a day line followed by a
    time line (Sched: "Monday, December 18" / "09:00 CET")."""
    texts = [_GLUED_FIELD_TIME.sub(": ", t) if ":" in t else t for t in texts]  # "Time:13:30"
    for text in texts:
        dates, times = _short_line_dates_and_times(text)
        if dates and times:
            date = dates[0].on(year)
            start = times[0].start
            end = times[0].end or (times[1].start if len(times) > 1 else None)
            return date, start, end, utc_offset(text)
    for day_line, time_line in zip(texts, texts[1:]):
        day = _day_only(day_line)
        if not day:
            continue  # the time line is read only under a day line (both readings are pure)
        start, end, before, after = _strip_time(time_line)
        if start and not before.strip() and len(after.split()) <= 1:
            return day.on(year), start, end, utc_offset(time_line)
    return None, None, None, None


def _short_line_dates_and_times(text: str) -> tuple[tuple, tuple]:
    """The dates and times of a schedule line: a line under 200 characters with both (each empty
    otherwise). The times are looked for only when there is a date: both scans are pure."""
    if len(text) >= 200:
        return (), ()
    dates = find_dates(text)
    return (dates, find_times(text)) if dates else ((), ())


def _title(blocks: list[Block]) -> tuple[str | None, str | None, int]:
    """(title, series, index of the title line): a title line with an IGF code, a "Title:" field, or the
    line after a series line."""
    for i, block in enumerate(blocks[:8]):
        text = block.text.strip()
        if block.kind == "label" and field_of(block.label) == "title" and block.value and block.label.lower() != "session":
            return block.value, None, i
        if _SERIES_LINE.match(text) and i + 1 < len(blocks):
            return blocks[i + 1].text.strip(), text, i + 1
        if block.kind in ("paragraph", "heading") and _TITLE_CODE.match(text) and len(text) < 300:
            return text, None, i
    return _numbered_title(blocks), None, -1


def _topic_lines(blocks: list[Block], title_index: int) -> list[str]:
    """The short topic lines a 2023 session page puts between its title and "Organizer 1:"."""
    lines = []
    for block in blocks[title_index + 1:]:
        if block.kind == "label":
            return lines if role_of(block.label) and len(lines) >= 2 else []
        text = block.text.strip()
        if block.kind != "paragraph" or role_of(text) or not _at_most_words(text, 10) or text.endswith((".", "?", ":")) or _ROOM.match(text) \
                or find_dates(text) or find_times(text) or any(c.isdigit() for c in text):
            return []
        lines.append(text)
    return []


def _read_session(blocks: list[Block], year: int | None, notes: list[str]) -> SessionRecord | None:
    """One session from its blocks (a whole page, or one session's part of a listing)."""
    return _SessionReader(blocks, year, notes).read()


# Lines alone on their line that label the people below them (2018-2025 renderings: the value on the next lines).
_ROLE_HEADINGS = ("moderator", "online moderator", "onsite moderator", "rapporteur", "co-moderator", "speakers",
                  "organizers", "additional speakers", "speakers :", "session organizers", "speakers provisionally confirmed")
_POLICY_HEADINGS = ("policy question(s)", "policy questions", "policy question")
_SDG_HEADINGS = ("sdgs", "sdg", "sustainable development goals")
_CONTACT_HEADING = re.compile(r"(?:\w+\s+)?contact(?:\s+(?:information|details|person))?")
_PROPOSER_NAME = re.compile(r"proposer'?s name|co-proposer'?s name", re.I)
_PROPOSER_ORG = re.compile(r"(?:co-)?proposer'?s organi[sz]ation|organizational affiliation", re.I)
_SURNAME_FIRST_LABEL = re.compile(r"speakers?\s+provisionally|session organizers", re.I)


def _block_text(block: Block) -> str:
    """The block's text as read: "✓Name, ...": a leading mark of a paragraph is the page's, not the text's."""
    text = block.text.strip()
    if block.kind == "paragraph":
        text = _LEADING_MARK.sub("", text)
    return text


def _bare(text: str) -> str:
    """A line as a label alone on its line would read: lower case, without its colon."""
    return text.rstrip(": ").lower()


def _with_number(block: Block, text: str) -> str:
    """The text with its list number in front ("1. ..."), when the block has one."""
    return f"{block.marker} {text}" if (block.marker or "")[:1].isdigit() else text


def _slot_people(label: str, part: str) -> list[PersonLine]:
    """The people of one part of a role field's value; a numbered slot's "Name, Org" line names no one
    when its name part is not a name."""
    numbered = bool(re.search(r"\d", label))
    person = form_person(part) if numbered or "," in part else None
    return [person] if person else [] if numbered and "," in part else split_people(part)


def _add_prose_people(draft: Draft, blocks: list[Block]) -> None:
    """People in prose when the form named nobody (a Sched description, an introductory session page); the
    page's other lines (rooms, the secretariat's address) are not people."""
    for block in blocks:
        if block.kind == "paragraph" and len(block.text) > 80:
            for mention in people_in_prose(block.text):
                draft.add(mention.person, mention.role or "speaker")


class _SessionReader:
    """Reading one session's blocks top to bottom. A line's meaning depends on the lines above it: the role
    a label set for the lines below, the section it is in, an introduced list, a person whose affiliation
    is on the next line. Each reading step takes a line and says whether it used it up."""

    def __init__(self, blocks: list[Block], year: int | None, notes: list[str]) -> None:
        self.blocks, self.year, self.notes = blocks, year, notes
        self.draft = draft = Draft()
        self.items: list[Item] = []
        self.texts: dict[str, str] = {}
        draft.title, draft.series, self.title_index = _title(blocks)
        if self.title_index >= 0:
            draft.topics = _topic_lines(blocks, self.title_index)
        schedule = _schedule([b.text for b in blocks[:40] if not _publication_day(b.text)], year)
        draft.date, draft.start, draft.end, draft.offset = schedule
        self.surname_first = _surname_first_runs(blocks)
        self.pending_role: str | None = None   # the role a label above set for the lines below
        self.role_lasts = False                # a plural label ("Additional Speakers") labels every line below
        self.pending_field: str | None = None
        self.section: str | None = None
        self.policy: list[str] = []            # the entries of the policy-question section
        self.list_kind: str | None = None      # an introduced list of topics or questions: its item kind
        self.list_level = 0
        self.announced_role: str | None = None
        self.described: PersonLine | None = None   # a person whose affiliation is on the next line

    def read(self) -> SessionRecord | None:
        for i, block in enumerate(self.blocks):
            text = _block_text(block)
            if text and i != self.title_index:
                self._read_block(i, block, text)
        return self._record()

    def add(self, person: PersonLine, role: str | None) -> None:
        """A person of the list under a label; a singular label's role holds for one person only."""
        self.draft.add(_as_recorded(person), role)
        if not self.role_lasts:
            self.pending_role = None

    def _read_block(self, i: int, block: Block, text: str) -> None:
        if self._affiliation_of_described(block, text):
            return
        self._add_roles_of_names(text)
        if block.kind == "label":
            self._read_label(block)
            return
        if block.kind == "paragraph" and (_ROOM.match(text) or text.startswith("avatar for ")):
            return
        if self._line_used_up(i, block, text):
            return
        if len(text) > 200 or _at_most_words(text, 4):
            self.pending_role, self.role_lasts = None, False  # prose, or a heading of another part of the page

    def _line_used_up(self, i: int, block: Block, text: str) -> bool:
        """The line steps in order until one uses the line up (a loop: any() over a generator costs a frame
        switch per step, and there are 17 steps per line)."""
        for step in self._LINE_STEPS:
            if step(self, i, block, text):
                return True
        return False

    def _affiliation_of_described(self, block: Block, text: str) -> bool:
        """The line under a person named alone ("Sophie Huber,"): their position and organization."""
        if self.described is None:
            return False
        person, self.described = self.described, None
        if not _affiliation_line(block):
            return False
        info = _affiliation(text)
        for attr in ("position", "organization", "country"):
            if getattr(person, attr) is None:
                setattr(person, attr, getattr(info, attr))
        _as_recorded(person)
        return True

    def _add_roles_of_names(self, text: str) -> None:
        """"by the moderator (Duncan Hollis)": a person named in brackets after a role word."""
        if "(" not in text:  # the name is in brackets
            return
        for match in _ROLE_OF_NAME.finditer(text):
            if is_person_name(clean_name(match.group("name"))):
                self.draft.add(PersonLine(clean_name(match.group("name"))), role_of(match.group("role")) or "speaker")

    # -- form fields ("Label: value") --
    def _read_label(self, block: Block) -> None:
        label, value = block.label, block.value or ""
        if self.section == "policy":
            self.section = None
        if _PROPOSER_NAME.match(label):
            person = form_person(value)
            if person:
                self.draft.add(person, "organizer")
            return
        if _PROPOSER_ORG.match(label):
            if self.draft.people and not self.draft.people[-1].info.organization:
                self.draft.people[-1].info.organization = value or None
            return
        role = role_of(label)
        if role:
            self._role_field(label, value, role)
            return
        self.pending_role, self.role_lasts = None, False
        read_field = self._FIELD_STEPS.get(field_of(label))
        if read_field is None or not read_field(self, value):
            self.section = None

    def _role_field(self, label: str, value: str, role: str) -> None:
        """"Moderator: Name, Org" or "Speakers:" with the people on the lines below."""
        self.pending_role = role if not value else None
        self.role_lasts = self.pending_role is not None and _plural(label)
        if _SURNAME_FIRST_LABEL.match(label):
            self.section = "surname_first" if "provisionally" in label.lower() else None
        for part in re.split(r"\s*;\s*(?=[A-Z])", value) if value else []:
            people = _slot_people(label, part)
            if not people and re.search(r"\d", label):
                self.notes.append(f"refused as a person: {label}: {part[:60]!r} (no name given)")
            for p in people:
                self.draft.add(_as_recorded(p), role)
            if len(people) == 1 and value.rstrip().endswith(","):
                self.described = _person_named(self.draft, people[0].name)  # "Moderator: Name," / its affiliation

    def _policy_field(self, value: str) -> bool:
        self.section = "policy"
        if value:
            self.policy.append(value)
        return True

    def _tags_field(self, value: str) -> bool:
        if value:
            self.draft.topics.append(value)
        return bool(value)

    def _format_field(self, value: str) -> bool:
        _format(self.texts, value)
        return True

    def _duration_field(self, value: str) -> bool:
        self.texts["duration"] = value
        return True

    def _when_field(self, value: str) -> bool:
        mentions, times = find_dates(value), find_times(value)
        draft = self.draft
        draft.date = draft.date or (mentions[0].on(self.year) if mentions else None)
        if times and draft.start is None:
            draft.start, draft.end = times[0].start, times[0].end
        return True

    def _description_field(self, value: str) -> bool:
        self.texts["description"] = value
        return True

    _FIELD_STEPS = {"policy_questions": _policy_field, "tags": _tags_field, "format": _format_field,
                    "duration": _duration_field, "date": _when_field, "time": _when_field,
                    "description": _description_field}

    # -- lines that are not form fields; each step says whether it used the line up --
    def _role_heading(self, i: int, block: Block, text: str) -> bool:
        """A role label alone on its line, the people on the next ones; a contact; the policy-question heading."""
        bare = _bare(text)
        label = text.rstrip(": ")
        # a role heading is short: role_of (which folds the text) is asked only of texts of 3 words or fewer
        heading = bare in _ROLE_HEADINGS or _at_most_words(text, 3) and role_of(label)
        if heading and not (self.pending_role is not None and _chair_surname(clean_name(text))):
            self.pending_role = role_of(label) or "speaker"
            self.role_lasts = _plural(label)
            self.section = "surname_first" if "provisionally" in bare else None
            return True
        if _CONTACT_HEADING.fullmatch(bare):
            self.pending_role, self.role_lasts = "organizer", False  # a proposal's contact is one of its proposers
            return True
        if bare in _POLICY_HEADINGS:
            self.section = "policy"
            return True
        return False

    def _policy_entry(self, i: int, block: Block, text: str) -> bool:
        """An entry of the policy-question section; another field's label ends the section."""
        if self.section != "policy":
            return False
        if _looks_like_field(text):
            self.section = None
            return False
        if block.kind == "item" or "?" in text:
            self.policy.append(_with_number(block, text))
            return True
        if _sub_heading(text):
            return True
        self.section = None
        return False

    def _section_heading(self, i: int, block: Block, text: str) -> bool:
        """The SDG heading, a "Format" label alone, the key-messages heading."""
        bare = _bare(text)
        if bare in _SDG_HEADINGS:
            self.section = "sdg"
            return True
        if bare == "format":
            self.pending_field = "format"
            return True
        if len(text) < 160 and _KEY_MESSAGES.search(text):  # the length first: it is the cheap test
            self.section = "keypoints"
            return True
        return False

    def _sdg_goal(self, i: int, block: Block, text: str) -> bool:
        numbered = _with_number(block, text) if block.kind == "item" else text
        sdg = parse_sdg_line(numbered)
        if sdg and (self.section == "sdg" or numbered != text or text.upper().startswith(("GOAL", "SDG"))):
            self.items.append(Item("sdg_goal", sdg))
            return True
        return False

    def _format_line(self, i: int, block: Block, text: str) -> bool:
        """"Panel - 90 min", or the value under a "Format" label."""
        fmt = _FORMAT.match(text)
        if fmt:
            self.texts["format"] = collapse_ws(fmt.group("format"))
            self.texts["duration"] = fmt.group("minutes")
            self.pending_field = None
            return True
        if self.pending_field == "format":
            self.texts["format"] = text
            self.pending_field = None
            return True
        return False

    def _inline_questions(self, i: int, block: Block, text: str) -> bool:
        """"1. ...? 2. ...?" on one line."""
        # the "?" first: a one-character scan, where the pattern has no literal to look for
        if block.kind == "item" and (block.marker or "").rstrip(".)") == "1" and "?" in text and _SECOND_NUMBER.search(text):
            self.items += [Item("policy_question", q) for q in split_numbered(f"1. {text}")]
            return True
        return False

    def _keypoint(self, i: int, block: Block, text: str) -> bool:
        if self.section == "keypoints" and block.kind == "item":
            if not (i == len(self.blocks) - 1 and len(text.split()) <= 2 and not text.endswith((".", ";"))):
                self.items.append(Item("keypoint", text))  # a last word or two is the cut start of the next question
            return True
        return False

    def _introduced_list(self, i: int, block: Block, text: str) -> bool:
        """An introduced list: its items (deeper than the line that introduces it) are topics or questions."""
        if self.list_kind and block.kind == "item" and block.level > self.list_level:
            self.items.append(Item(self.list_kind, text))
            return True
        if self.list_kind and block.kind == "paragraph" and _sub_heading(text):
            return True
        self.list_kind = None
        intro = _LIST_INTRO.search(text) if _ends_like_intro(text) else None
        if intro and block.kind in ("paragraph", "item"):
            what = intro.group("what").lower()
            self.list_kind = "policy_question" if "policy" in what else "key_topic"
            self.list_level = block.level if block.kind == "item" else 0
            return True
        return False

    def _announcement(self, i: int, block: Block, text: str) -> bool:
        """"Next 3 speakers will ...": a top-level bullet that gives the role of the list under it."""
        if block.kind == "item" and block.level <= 1:
            announced = _ANNOUNCED_ROLE.search(text) if len(text) > 40 else None
            self.announced_role = role_of(announced.group("role")) if announced else None
        return False

    def _replacement_line(self, i: int, block: Block, text: str) -> bool:
        replaced = _REPLACED.match(text) if _mentions_replacement(text) else None
        if not replaced:
            return False
        person = _replacement(replaced.group("new"))
        if person:
            self.add(person, self.pending_role or "speaker")
        return True

    def _surname_first_line(self, i: int, block: Block, text: str) -> bool:
        if i in self.surname_first or self.section == "surname_first":
            person = _surname_first(text)
            if person:
                self.add(person, self.pending_role or "speaker")
                return True
        return False

    def _split_record_line(self, i: int, block: Block, text: str) -> bool:
        records = _split_records(text)
        for person in records:
            self.add(person, self.pending_role or "listed")
        return bool(records)

    def _person_item(self, i: int, block: Block, text: str) -> bool:
        if block.kind != "item":
            return False
        person = parse_person_line(_DURATION_MARK.sub("", text))
        if not person:
            return False
        self.add(person, self.pending_role or (self.announced_role if block.level > 1 else None) or "listed")
        return True

    def _name_alone(self, i: int, block: Block, text: str) -> bool:
        """"Sophie Huber," with the position and organization on the next line."""
        if block.kind == "paragraph" and text.endswith(",") and _slot_name(text.rstrip(", ")) and len(text.split()) <= 6:
            person = PersonLine(clean_name(text.rstrip(", ")), honorific=split_titles(text)[0])
            self.add(person, self.pending_role or "listed")
            self.described = _person_named(self.draft, person.name)
            return True
        return False

    def _form_person_line(self, i: int, block: Block, text: str) -> bool:
        person = form_person(text) if "," in text and len(text) < 200 else None
        if person and (person.stakeholder_group or person.regional_group or self.pending_role):
            self.add(person, self.pending_role or "listed")
            return True
        return False

    def _slot_person(self, i: int, block: Block, text: str) -> bool:
        """A name alone under a role label; Sched: the name, then its position and organization."""
        if self.pending_role and _slot_name(text) and len(text.split()) <= 5:
            person = PersonLine(clean_name(text), honorific=split_titles(text)[0])
            self.add(person, self.pending_role)
            self.described = _person_named(self.draft, person.name)
            return True
        return False

    def _unlabelled_person(self, i: int, block: Block, text: str) -> bool:
        person = _person_line(text) if "," in text and len(text) < 200 else None
        if person:
            self.add(person, "keynote" if _KEYNOTE_MARK.search(text) else self.pending_role or "listed")
            return True
        return False

    # In reading order: the first step that uses a line up ends its reading.
    _LINE_STEPS = (_role_heading, _policy_entry, _section_heading, _sdg_goal, _format_line, _inline_questions,
                   _keypoint, _introduced_list, _announcement, _replacement_line, _surname_first_line,
                   _split_record_line, _person_item, _name_alone, _form_person_line, _slot_person, _unlabelled_person)

    def _record(self) -> SessionRecord | None:
        draft, texts = self.draft, self.texts
        _merge_same_people(draft)
        if not draft.people:
            _add_prose_people(draft, self.blocks)
        items = [Item("policy_question", q) for q in _policy_questions(self.policy)] + self.items
        record = record_of(draft, " ".join(b.text for b in self.blocks[:3]))
        record.session_format = texts.get("format")
        record.duration_minutes = (int(texts["duration"]) if texts.get("duration", "").isdigit()
                                   else minutes_between(draft.start, draft.end))
        record.description = texts.get("description") or record.description
        record.items = items + record.items
        if draft.title is None and not draft.people and not record.items and not draft.date:
            return None
        return record


def _mentions_replacement(text: str) -> bool:
    """A text _REPLACED can match has "be replaced" (no letter of it has a non-ASCII case variant that
    IGNORECASE matches, so the lower case has it)."""
    return "be replaced" in text.lower()


def _plural(label: str) -> bool:
    """"Additional Speakers", "Organizer(s)": a label of a list rather than of one person."""
    last = re.sub(r"\s*\d+\s*$", "", label).strip().split()[-1].lower() if label.strip() else ""
    return last.endswith(("s", "(s)")) and not last.endswith("ss")


def _numbered_title(blocks: list[Block]) -> str | None:
    """The 2016 form: "6. Title" followed by the title (the heading line keeps "No. 26 ...")."""
    for i, block in enumerate(blocks[:60]):
        if re.fullmatch(r"\d{1,2}\.\s*title", block.text.strip(), re.I) and i + 1 < len(blocks):
            return blocks[i + 1].text.strip()
    return None


def _looks_like_field(text: str) -> bool:
    return bool(re.match(r"^(?:what will participants gain|connection with previous messages|expected outcomes?|"
                         r"description|targets?|sdgs?)\b", text, re.I))


def _ends_like_intro(text: str) -> bool:
    """A text _LIST_INTRO can match: it ends in ":" or ")" ("(.. min)") before trailing blanks (str.rstrip()
    strips the characters the pattern's final blanks match)."""
    return text.rstrip().endswith((":", ")"))


def _sub_heading(text: str) -> bool:
    """A short title line inside a list ("Multistakeholder Cooperation and Cyber Resilience")."""
    return _at_most_words(text, 8) and not text.endswith((".", "?", "!", ":", ",")) and text[:1].isupper()


def _policy_questions(entries: list[str]) -> list[str]:
    """The policy-question section: one question per paragraph or bullet; a section of one paragraph
    that runs several questions together (numbered, "•" bullets or plain) is split into them."""
    if len(entries) == 1:
        return _questions(entries[0])
    out = []
    for entry in entries:
        numbered = split_numbered(entry)
        out += numbered if len(numbered) > 1 else [collapse_ws(re.sub(r"^\d{1,2}[.)]\s+", "", entry))]
    return out


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
    return [collapse_ws(re.sub(r"^\d{1,2}[.)]\s+", "", text))]


def _format(texts: dict, value: str) -> None:
    fmt = _FORMAT.match(value)
    if fmt:
        texts["format"] = collapse_ws(fmt.group("format"))
        texts["duration"] = fmt.group("minutes")
    elif value:
        texts["format"] = value
