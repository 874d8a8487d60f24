"""Digital Watch / DiploAI session reports: summary, speakers, full report, transcript, per-speaker
statistics and arguments, agreements and differences, takeaways and the other lists.

The report is a sequence of sections with fixed headings, each a short line on its own. The parser
walks the document's lines once (the document model: emphasis is already gone, a bold lead of a line
is kept as `lead`); section names are matched case-insensitively and in their known variants
("Session at a Glance" / "at a glance"). Sections it does not know are kept as named text and
reported, never silently dropped.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.document import Document
from pipeline.extract.dates import find_dates, find_times, minutes_between
from pipeline.extract.prose import country_adjective, people_in_prose
from pipeline.model.names import is_place, person_key, speaker_kind, strip_honorifics
from pipeline.model.records import Agreement, Argument, Item, ParsedDocument, Participant, SessionRecord, Utterance
from pipeline.sources.common import LineWords, find_event, parsed
from pipeline.model.text import LinePattern, clean_inline, collapse_ws, lowered_for_words

FORMAT = "diplo_report"

_GLANCE = re.compile(r"^(?:session\s+)?at\s+a\s+glance$", re.I)
_SERIES = re.compile(r"^([A-Z][^:]{1,40}?)\s*:\s+\S.{8,}$")
_BULLET = re.compile(r"^\s*[–\-•●*]\s+(.*)$")
_SPEAKER_ENTRY = re.compile(r"^([^:]{2,80}?)\s*:\s*(.*)$")
_TRANSCRIPT_TURN = re.compile(r"^([^:]{1,80}?):\s+(.*)$")
_TURN_OPENING = re.compile(r"([^:]{1,80}?):\s+")  # _TRANSCRIPT_TURN without its "(.*)$"
_STAT_NUMBER = re.compile(r"(\d+)")
_ROLE = re.compile(r"Role/Title:\s*(.*?)(?:,\s*Area of expertise:|$)", re.I)
_AREA = re.compile(r"Area of expertise:\s*(.*)$", re.I)
_BRACKETED = re.compile(r"\(([^()]+)\)")
_BRACKET = re.compile(r"\([^()]*\)")
_REPRESENTATIVE_END = re.compile(r"\s+representative$", re.I)
_NOT_SPECIFIED = re.compile(r"^not specified\b\.?", re.I)
_REPRESENTATIVE_OF = re.compile(r"^representative of (?:the )?(.+)$", re.I)
_SENTENCE_PUNCTUATION = re.compile(r"[.?!,;]")
_NONE = re.compile(r"^none\b", re.I)

ARGUMENT_LABELS = {"explanation": "explanation", "evidence": "evidence",
                   "major discussion point": "discussion_point", "topics": "topics",
                   "agreed with": "agreed_with", "agreed on": "agreed_on",
                   "disagreed with": "disagreed_with", "disagreed on": "disagreed_on"}
# heading -> agreement kind (one of pipeline.model.vocabulary.AGREEMENT_KINDS)
AGREEMENT_HEADINGS = {"agreement points": "agreement", "similar viewpoints": "similar_viewpoints",
                      "unexpected consensus": "unexpected_consensus", "different viewpoints": "disagreement",
                      "unexpected differences": "unexpected_difference",
                      "unexpected difference": "unexpected_difference", "partial agreements": "partial_agreement"}
LIST_SECTIONS = {"key takeaways": "takeaway", "takeaways": "takeaway",
                 "resolutions and action items": "action_item", "action items": "action_item",
                 "unresolved issues": "unresolved_issue", "suggested compromises": "suggested_compromise"}
TOP_SECTIONS = {"agreements", "differences", "partial agreements", "takeaways", "key takeaways",
                "resolutions and action items", "unresolved issues", "suggested compromises",
                "thought provoking comments", "thought-provoking comments", "follow-up questions",
                "follow up questions"}


# The sections a whole report ends with: a report with a transcript that stops before them was cut off.
_CLOSING_SECTIONS = {"follow-up questions", "follow up questions", "thought provoking comments",
                     "thought-provoking comments", "disclaimer"}
KNOWN_HEADINGS = TOP_SECTIONS | {"summary", "keypoints", "key points", "speakers", "additional speakers",
                                  "full session report", "session transcript"}


def looks_like(text: str) -> int:
    # plain substring tests: detection runs on every file, and must stay near read speed; the words that
    # open a line are found in one scan of the text's newlines
    head = lowered_for_words(text, 30000)
    lines = _REPORT_LINES.found_in(text)
    head_lines = _REPORT_HEAD_LINES.found_in(head)
    full_report = "full session report" in head_lines
    score = 0
    score += 3 * ("Speech speed\n" in lines)
    score += 2 * ("session transcript\n" in head_lines)
    score += 2 * (full_report and "\nfull session report\n" in head)
    score += 2 * (head.find("at a glance\n", 0, 5000) >= 0)
    score += 2 * bool(_DIPLO_NAMES.search(text))
    score += 1 * ("Agreement points\n" in lines)
    score += 2 * _SCHEDULE_LINE.found_in(text[:3000])
    # (a "Keypoints" line was looked for here too, but in the lowered head, where no "K" ever is: the test,
    # which never counted, is left out rather than corrected, which would change detection)
    score += 1 * (full_report or "disclaimer: this is not an official" in head)
    return score


_REPORT_LINES = LineWords("Speech speed\n", "Agreement points\n")
_REPORT_HEAD_LINES = LineWords("session transcript\n", "full session report")  # in the lowered head
_DIPLO_NAMES = re.compile(r"Diplo(?:AI|GPT)|Digital Watch")  # one scan for their "Di", three for the words

# "13 May 2025 12:00h - 13:30h" opening a line
_SCHEDULE_LINE = LinePattern(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{1,2}:\d{2}h")


@lru_cache(maxsize=8192)  # a line is peeked at, then read: keyed two or three times
def _key(line: str) -> str:
    return collapse_ws(line.strip().strip("*:").lower())


# Section names, block labels and headings have at most this many words. A line's key keeps its words but for
# a word of stars or colons at either end, so a line of more words than this plus two cannot key to one of them.
_MAX_NAME_WORDS = 4


def _name_key(line: str) -> str:
    """The line's key where it is compared with section names and labels only; "" (no name) for a line too
    long to be one: keying (lowering, splitting) the long lines of a transcript was most of the reader's time."""
    if len(line.split(None, _MAX_NAME_WORDS + 2)) > _MAX_NAME_WORDS + 2:
        return ""
    return _key(line)


# What str.split() splits at in an ASCII text, but the blank.
_ASCII_SPACES_BUT_BLANK = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _collapse_fresh(text: str) -> str:
    """collapse_ws(text), for a string no record holds yet (a match's group): an ASCII text with single blanks
    between its words and no other whitespace is returned as it is, not split into words and joined again
    (most of a transcript's time went there)."""
    if not text.isascii() or text[:1] == " " or text[-1:] == " " or "  " in text:
        return collapse_ws(text)
    for space in _ASCII_SPACES_BUT_BLANK:
        if space in text:
            return collapse_ws(text)
    return text


def _pipe_list(value: str | None) -> list[str]:
    return [t for t in (collapse_ws(x) for x in (value or "").split("|")) if t]


def parse_speaker_entry(line: str) -> Participant | None:
    """"Name: Role/Title: Minister (Malaysia), Area of expertise: ..." -> Participant."""
    match = _SPEAKER_ENTRY.match(line)
    if not match:
        return None
    name, honorifics = strip_honorifics(clean_inline(match.group(1)) or "")
    if not name:
        return None
    rest = match.group(2)
    role_match = _ROLE.search(rest)
    area_match = _AREA.search(rest)
    person = Participant(name=name, roles=["speaker"], honorific=" ".join(honorifics) or None)
    person.area_of_expertise = collapse_ws(area_match.group(1)) if area_match else None
    role = collapse_ws(role_match.group(1)) if role_match else ""
    for bracket in _BRACKETED.findall(role):
        candidate = _REPRESENTATIVE_END.sub("", bracket.strip())
        if is_place(candidate):
            person.country = candidate
    role = collapse_ws(_BRACKET.sub("", role))
    role = _NOT_SPECIFIED.sub("", role).strip(" ,.")
    position, more_honorifics = strip_honorifics(role + " x") if role else ("", [])
    if more_honorifics and position.strip() == "x":
        person.honorific = person.honorific or " ".join(more_honorifics)  # "Role/Title: H.E. Mr."
        role = ""
    org = _REPRESENTATIVE_OF.match(role)
    if org and org.group(1)[:1].isupper() and not is_place(org.group(1)):
        person.organization = org.group(1)
    person.position = role or None
    if "moderator" in role.lower() or "chair" == role.lower():
        person.roles.append("moderator")
    return person


class _Cursor:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.i = 0

    def peek(self, offset: int = 0) -> str | None:
        j = self.i + offset
        return self.lines[j] if 0 <= j < len(self.lines) else None

    def next(self) -> str | None:
        i = self.i
        self.i = i + 1
        return self.lines[i] if 0 <= i < len(self.lines) else None

    @property
    def done(self) -> bool:
        return self.i >= len(self.lines)


def _is_speaker_block(cur: _Cursor, known: set[str]) -> bool:
    """A speaker's name over "Speech speed", or a known speaker's name over an argument and "Explanation"."""
    lines, i = cur.lines, cur.i
    if i + 1 >= len(lines):
        return False
    return (_lowers_to(lines[i + 1], "speech speed")
            or lines[i] in known and i + 2 < len(lines) and _lowers_to(lines[i + 2], "explanation"))


def _lowers_to(line: str, lowered: str) -> bool:
    """line.lower() == lowered (lower-case ASCII), without lowering the long lines: lowering never shortens
    a character, and the only one it lengthens ("İ") does not lengthen into ASCII."""
    return len(line) == len(lowered) and line.lower() == lowered


def _read_speaker_block(cur: _Cursor, session: SessionRecord, known: set[str], stats: dict) -> None:
    speaker = collapse_ws(cur.next() or "")
    figures = {}
    while (cur.peek() or "").lower() in ("speech speed", "speech length", "speech time"):
        label = cur.next().lower()
        number = _STAT_NUMBER.search(cur.next() or "")
        figures[label] = int(number.group(1)) if number else None
    stats[speaker] = figures
    argument: Argument | None = None
    while not cur.done:
        line = cur.peek()
        key = _name_key(line)
        if key in TOP_SECTIONS or _is_speaker_block(cur, known):
            break
        cur.next()
        if key in ARGUMENT_LABELS and argument is not None:
            field = ARGUMENT_LABELS[key]
            if field in ("agreed_with", "disagreed_with"):
                while cur.peek() is not None and _BULLET.match(cur.peek()):
                    getattr(argument, field).append(collapse_ws(_BULLET.match(cur.next()).group(1)))
            else:
                value = collapse_ws(cur.next() or "")
                if field == "topics":
                    argument.topics = _pipe_list(value)
                else:
                    setattr(argument, field, value or None)
            continue
        argument = Argument(speaker=speaker, text=collapse_ws(line))
        session.arguments.append(argument)


def _read_agreements(cur: _Cursor, session: SessionRecord, top: str) -> None:
    _AgreementsReader(cur, session, top).read()


def _ends_agreements(key: str, top: str) -> bool:
    """Another top section ends the agreements section; so does "Partial agreements" inside another one."""
    return key in TOP_SECTIONS and key != top or (key == "partial agreements" and top != "partial agreements")


class _AgreementsReader:
    """The agreements (or differences, partial agreements) section: blocks of statement, "Speakers", "Arguments",
    "Summary", "Topics", under kind headings ("Similar viewpoints"), and an "Overall assessment". `state` is the
    part of a block the reader is in: "pre" (the statement), "speakers", "arguments", "summary", "done"."""

    def __init__(self, cur: _Cursor, session: SessionRecord, top: str) -> None:
        self.cur, self.session, self.top = cur, session, top
        self.kind = {"agreements": "agreement", "differences": "disagreement", "partial agreements": "partial_agreement"}[top]
        self.block: Agreement | None = None
        self.pre: list[str] = []
        self.state = "pre"

    def read(self) -> None:
        cur = self.cur
        while not cur.done:
            line = cur.peek()
            key = _key(line)
            if _ends_agreements(key, self.top):
                break
            cur.next()
            self._read_line(line, key)

    def _read_line(self, line: str, key: str) -> None:
        if key == self.top and self.state == "pre" and not self.pre:
            return  # the section's own heading
        if self._heading(key) or self._block_label(key):
            return
        self._body_line(line)

    def _heading(self, key: str) -> bool:
        """A kind heading, the overall assessment, or "Speakers" that closes a block's statement."""
        if key in AGREEMENT_HEADINGS and self.state in ("pre", "done"):
            self.kind = AGREEMENT_HEADINGS[key]
            self.pre, self.state = [], "pre"
            return True
        if key == "overall assessment":
            self._overall_assessment()
            self.state = "done"
            return True
        if key == "speakers" and self.state in ("pre", "done"):
            self.block = Agreement(kind=self.kind, statement=collapse_ws(" ".join(self.pre)))
            self.session.agreements.append(self.block)
            self.pre, self.state = [], "speakers"
            return True
        return False

    def _overall_assessment(self) -> None:
        """"Summary" / "Consensus level" / "Disagreement level", each with its value on the next line."""
        top, cur = self.top, self.cur
        name = "agreements" if top == "agreements" else "differences" if top == "differences" else "partial_agreements"
        while not cur.done and _key(cur.peek()) in ("summary", "consensus level", "disagreement level"):
            label = _key(cur.next())
            value = collapse_ws(cur.next() or "")
            target = f"{name}_summary" if label == "summary" else label.replace(" ", "_")
            self.session.texts[target] = value

    def _block_label(self, key: str) -> bool:
        """A block's "Arguments", "Summary" (or "Explanation") and "Topics" labels; topics close the block."""
        block, state = self.block, self.state
        if block is None:
            return False
        if key == "arguments" and state == "speakers":
            self.state = "arguments"
            return True
        if key in ("summary", "explanation") and state in ("speakers", "arguments"):
            block.summary = collapse_ws(self.cur.next() or "") or None
            self.state = "summary"
            return True
        if key == "topics" and state in ("speakers", "arguments", "summary"):
            block.topics = _pipe_list(self.cur.next())
            self.state, self.block = "done", None
            return True
        return False

    def _body_line(self, line: str) -> None:
        """A speaker bullet, an argument, or a line of the next block's statement."""
        if self.state == "speakers" and _BULLET.match(line):
            self.block.speakers.append(collapse_ws(_BULLET.match(line).group(1)))
        elif self.state == "arguments":
            self.block.arguments.append(collapse_ws(line))
        elif self.state == "done":
            self.pre, self.state = [line], "pre"
        else:
            self.pre.append(line)


def _read_comment_blocks(cur: _Cursor, session: SessionRecord, kind: str, stop: set[str]) -> None:
    item: Item | None = None
    while not cur.done:
        key = _key(cur.peek())
        if key in stop or key in TOP_SECTIONS or key.startswith("disclaimer"):
            break
        line = cur.next()
        if key == "overall assessment":
            session.texts[f"{kind}s_assessment"] = collapse_ws(cur.next() or "")
            item = None
            continue
        if item is not None and key in ("speaker", "reason", "impact", "explanation"):
            value = collapse_ws(cur.next() or "") or None
            setattr(item, key, value)
            continue
        item = Item(kind=kind, text=collapse_ws(line))
        session.items.append(item)


def _read_paragraphs(cur: _Cursor, stop) -> list[str]:
    out = []
    while not cur.done and not stop(cur.peek()):
        out.append(cur.next())
    return out


def _lines(document: Document) -> tuple[list[str], dict[int, str]]:
    """The report's lines in order, and the bold lead of those that have one. A dash item keeps its dash:
    the report's lists ("– Name" under "Agreed with") are read by it."""
    lines: list[str] = []
    leads: dict[int, str] = {}
    for block in document.blocks:
        if block.kind == "row":
            continue
        if block.kind == "label":
            lines.append(block.lines[0].text)
            continue
        dash = f"{block.marker} " if block.kind == "item" and block.marker in ("–", "-", "•", "*", "●") else ""
        for line in block.lines:
            if line.lead:
                leads[len(lines)] = line.lead
            lines.append(dash + line.text)
    return lines, leads


def parse_diplo_report(document: Document) -> ParsedDocument | None:
    lines, leads = _lines(document)
    if not any(_GLANCE.match(_key(line)) or _key(line) in ("full session report", "session transcript") for line in lines):
        return None  # not the DiploAI layout: the generic reader takes it
    doc = ParsedDocument(format=FORMAT)
    session = SessionRecord()
    cur = _Cursor(lines)
    if cur.done:
        doc.problems.append("empty report")
        doc.sessions = [session]
        return doc
    _read_heading(cur, session, doc)
    reader = _ReportReader(cur, session, doc, leads)
    reader.read()
    _attach_statistics(session, reader.stats)
    doc.problems += _missing_parts(reader.seen_sections, reader.last_section, bool(reader.stats), session)
    if "speakers" not in reader.seen_sections:  # no speakers list: the people the summary and the report name
        _add_people_in_prose(session)
    session.duration_minutes = minutes_between(session.start_time, session.end_time)
    session.event = find_event(session.texts.get("full_report", "") + "\n" + (session.summary or ""), session.date)
    out = parsed(FORMAT, document, [session], problems=doc.problems, title=doc.title)
    out.truncated = out.truncated or any("cut off" in p for p in doc.problems)
    return out


def _read_heading(cur: _Cursor, session: SessionRecord, doc: ParsedDocument) -> None:
    """The title (with its series: "WSIS+20: ..."), the date line under it, and a repeat of the title."""
    session.title = clean_inline(cur.next())
    doc.title = session.title
    if session.title:
        series = _SERIES.match(session.title)
        if series and len(series.group(1).split()) <= 5:
            session.series = series.group(1).strip()
    if cur.peek() and find_dates(cur.peek()):
        when = cur.next()
        mention = find_dates(when)[0]
        session.date = mention.on(None)
        times = find_times(when)
        if times:
            session.start_time, session.end_time = times[0].start, times[0].end
    else:
        doc.problems.append("no date line under the title")
    if cur.peek() and clean_inline(cur.peek()) == session.title:
        cur.next()


# Sections a report has once: a repeat is reported and skipped.
_ONCE_SECTIONS = ("summary", "speakers", "keypoints", "full session report", "session transcript")


def _at_known_heading(line: str) -> bool:
    return _name_key(line) in KNOWN_HEADINGS


def _keypoint_item(para: str, lead: str | None) -> Item:
    """A keypoint; a bold lead followed by a colon ("**Access:** ...") is its label."""
    bullet = _BULLET.match(para)
    body = bullet.group(1) if bullet else para
    if lead and body.startswith(lead) and body[len(lead):].lstrip().startswith(":"):
        return Item(kind="keypoint", label=lead, text=body[len(lead):].lstrip(" :") or "")
    return Item(kind="keypoint", text=body)


def _turn_parts(line: str) -> tuple[str, str] | None:
    """The two groups of _TRANSCRIPT_TURN in a "Name: text" line. In a line without a newline its "(.*)$" takes
    the rest of the line whatever it is: the rest is sliced off rather than scanned (most of the match's time)."""
    if "\n" in line:
        turn = _TRANSCRIPT_TURN.match(line)
        return (turn.group(1), turn.group(2)) if turn else None
    opening = _TURN_OPENING.match(line)
    return (opening.group(1), line[opening.end():]) if opening else None


def _ends_list(line: str) -> bool:
    """A list section ends at a top section or the disclaimer (the line keyed once)."""
    key = _key(line)
    return key in TOP_SECTIONS or key.startswith("disclaimer")


def _is_turn_speaker(speaker: str, known: set[str]) -> bool:
    """A known speaker, or a short capitalised name with no sentence punctuation."""
    return speaker in known or len(speaker.split()) <= 6 and speaker[:1].isupper() and not _SENTENCE_PUNCTUATION.search(speaker)


class _ReportReader:
    """The report's sections after its heading, read in one pass. Each section reader takes its heading line
    and reads on to the next section; what the sections share: the speakers known so far (a transcript turn
    or a statistics block names them), the statistics, the sections seen and the last one."""

    def __init__(self, cur: _Cursor, session: SessionRecord, doc: ParsedDocument, leads: dict[int, str]) -> None:
        self.cur, self.session, self.doc, self.leads = cur, session, doc, leads
        self.known: set[str] = set()
        self.stats: dict[str, dict] = {}
        self.seen_sections: set[str] = set()
        self.last_section = ""

    def read(self) -> None:
        while not self.cur.done:
            line = self.cur.next()
            self._read_line(line, _key(line))

    def _read_line(self, line: str, key: str) -> None:
        if key in KNOWN_HEADINGS or key in TOP_SECTIONS or key.startswith("disclaimer"):
            self.last_section = "disclaimer" if key.startswith("disclaimer") else key
        if _GLANCE.match(key):
            return
        if key in _ONCE_SECTIONS and key in self.seen_sections:
            self.doc.problems.append(f"section {line!r} appears again; the repeat is ignored")
            _read_paragraphs(self.cur, _at_known_heading)
            return
        section = self._LEADING_SECTIONS.get(key)
        if section is None and self._speaker_block():
            return
        section = section or self._TRAILING_SECTIONS.get(key)
        if section is None and key.startswith("disclaimer"):
            section = _ReportReader._disclaimer
        if section is None:
            self.doc.problems.append(f"line outside any known section: {line[:60]!r}")
            return
        section(self, line, key)

    def _speaker_block(self) -> bool:
        """The line just read opens a speaker's statistics and arguments: read them."""
        cur = self.cur
        cur.i -= 1
        if _is_speaker_block(cur, self.known):
            _read_speaker_block(cur, self.session, self.known, self.stats)
            return True
        cur.i += 1
        return False

    def _add_speaker(self, entry: str) -> Participant | None:
        bullet = _BULLET.match(entry)
        person = parse_speaker_entry(bullet.group(1) if bullet else entry)
        if person:
            self.session.participants.append(person)
            self.known.add(person.name)
        return person

    def _summary(self, line: str, key: str) -> None:
        self.seen_sections.add("summary")
        paras = _read_paragraphs(self.cur, _at_known_heading)
        self.session.summary = "\n\n".join(paras) or None

    def _keypoints(self, line: str, key: str) -> None:
        """Keypoints, and the overall purpose and tone under their own sub-headings."""
        self.seen_sections.add("keypoints")
        target = "keypoint"
        start_at = self.cur.i
        texts = self.session.texts
        for offset, para in enumerate(_read_paragraphs(self.cur, lambda l: _key(l) in ("speakers", "full session report"))):
            head = _key(para)
            if head in ("major discussion points", "main discussion points"):
                target = "keypoint"
            elif head in ("overall purpose", "overall tone"):
                target = head.replace(" ", "_")
            elif target == "keypoint":
                self.session.items.append(_keypoint_item(para, self.leads.get(start_at + offset)))
            else:
                texts[target] = "\n\n".join(filter(None, [texts.get(target), clean_inline(para)]))

    def _speakers(self, line: str, key: str) -> None:
        self.seen_sections.add("speakers")
        for entry in _read_paragraphs(self.cur, lambda l: _key(l) in ("additional speakers", "full session report", "session transcript")):
            if not self._add_speaker(entry):
                self.doc.problems.append(f"speaker entry not understood: {entry[:80]!r}")

    def _additional_speakers(self, line: str, key: str) -> None:
        for entry in _read_paragraphs(self.cur, lambda l: _key(l) in ("full session report", "session transcript")):
            if not self._add_speaker(entry) and not _NONE.match(entry):
                self.session.texts["additional_speakers"] = entry

    def _full_report(self, line: str, key: str) -> None:
        self.seen_sections.add(key)
        paras = _read_paragraphs(self.cur, lambda l: _key(l) == "session transcript")
        self.session.texts["full_report"] = "\n".join(paras)

    def _transcript(self, line: str, key: str) -> None:
        """The turns, then the speakers' statistics and arguments blocks that follow them."""
        self.seen_sections.add(key)
        cur, known = self.cur, self.known
        while not cur.done and not _is_speaker_block(cur, known) and _name_key(cur.peek()) not in TOP_SECTIONS:
            self._transcript_line(cur.next())
        while not cur.done and _is_speaker_block(cur, known):
            _read_speaker_block(cur, self.session, known, self.stats)

    def _transcript_line(self, turn_line: str) -> None:
        """A turn ("Name: text"), or the next line of the turn above."""
        utterances = self.session.utterances
        turn = _turn_parts(turn_line)
        speaker = collapse_ws(turn[0]) if turn else None
        if turn and _is_turn_speaker(speaker, self.known):
            utterances.append(Utterance(speaker=speaker, text=_collapse_fresh(turn[1])))
        elif utterances:
            utterances[-1].text += "\n" + turn_line
        else:
            self.doc.problems.append(f"transcript line without a speaker: {turn_line[:60]!r}")

    def _agreements(self, line: str, key: str) -> None:
        self.cur.i -= 1  # the agreements reader reads its heading itself
        _read_agreements(self.cur, self.session, key)

    def _list_section(self, line: str, key: str) -> None:
        kind = LIST_SECTIONS[key]
        for entry in _read_paragraphs(self.cur, _ends_list):
            bullet = _BULLET.match(entry)
            self.session.items.append(Item(kind=kind, text=clean_inline(bullet.group(1) if bullet else entry) or ""))

    def _thought_provoking_comments(self, line: str, key: str) -> None:
        _read_comment_blocks(self.cur, self.session, "thought_provoking_comment", {"follow-up questions", "follow up questions"})

    def _follow_up_questions(self, line: str, key: str) -> None:
        _read_comment_blocks(self.cur, self.session, "follow_up_question", set())

    def _disclaimer(self, line: str, key: str) -> None:
        rest = _read_paragraphs(self.cur, lambda l: _key(l) in KNOWN_HEADINGS or _key(l) in TOP_SECTIONS)
        self.session.texts["disclaimer"] = collapse_ws(" ".join([line] + rest))

    # Sections read before a line is tried as a speaker block, and after.
    _LEADING_SECTIONS = {"summary": _summary, "keypoints": _keypoints, "key points": _keypoints, "speakers": _speakers,
                         "additional speakers": _additional_speakers, "full session report": _full_report,
                         "session transcript": _transcript}
    _TRAILING_SECTIONS = {"agreements": _agreements, "differences": _agreements, "partial agreements": _agreements,
                          **dict.fromkeys(LIST_SECTIONS, _list_section),
                          "thought provoking comments": _thought_provoking_comments,
                          "thought-provoking comments": _thought_provoking_comments,
                          "follow-up questions": _follow_up_questions, "follow up questions": _follow_up_questions}


def _attach_statistics(session: SessionRecord, stats: dict[str, dict]) -> None:
    """Statistics belong to the speakers they name; a speaker only in the statistics is still a speaker."""
    by_name = {p.name: p for p in session.participants}
    for speaker, figures in stats.items():
        person = by_name.get(speaker)
        if person is None:
            person = Participant(name=strip_honorifics(speaker)[0] or speaker, roles=["speaker"])
            session.participants.append(person)
            by_name[speaker] = person
        person.speech_speed_wpm = figures.get("speech speed")
        person.speech_length_words = figures.get("speech length")
        person.speech_time_seconds = figures.get("speech time")


def _missing_parts(seen_sections: set[str], last_section: str, has_stats: bool, session: SessionRecord) -> list[str]:
    """The problems of a report that lacks a part: no summary, no speakers, no transcript, or cut off."""
    problems = [f"no {label} section" for section, label in (("summary", "Summary"), ("speakers", "Speakers"))
                if section not in seen_sections]
    if "session transcript" not in seen_sections:
        problems.append("no transcript")
    elif not has_stats and not session.arguments:
        problems.append("no speaker statistics or arguments after the transcript (the document may be cut off)")
    elif last_section not in _CLOSING_SECTIONS:
        problems.append(f"the report stops in its '{last_section or 'transcript'}' section: the sections after it "
                        "(agreements, takeaways, follow-up questions) are missing")
    return problems


def _add_people_in_prose(session: SessionRecord) -> None:
    """The people the summary and the full report name, when the report has no speakers list."""
    prose = [session.summary or ""] + session.texts.get("full_report", "").split("\n")
    for paragraph in prose:
        for mention in people_in_prose(paragraph):
            if speaker_kind(mention.person.name) == "person" and not any(
                    person_key(p.name) == person_key(mention.person.name) for p in session.participants):
                info = mention.person
                session.participants.append(Participant(
                    name=info.name, roles=[mention.role or "speaker"], honorific=info.honorific,
                    position=info.position, organization=info.organization,
                    country=info.country or country_adjective(info.position)))
