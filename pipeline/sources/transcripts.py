"""Caption transcripts (">> NAME: text" turns): every turn is an utterance, named or not; the people
are the named speakers, those who introduce themselves ("My name is X ... I'll be your moderator")
and those the chair introduces ("we have X, who is ... at Org"). Caption labels such as MODERATOR,
CHAIR or AUDIENCE are labels, not people (DATASET.md).

Captions are spoken language: the cue words that introduce someone are matched in any case ("I
will ask", "We do have"), the names they introduce only when capitalised."""
from __future__ import annotations

import re

from pipeline.document import Document
from pipeline.extract.agenda import Draft
from pipeline.extract.people import PersonLine, clean_name, is_person_name, parse_affiliation
from pipeline.model.names import speaker_kind
from pipeline.model.records import ParsedDocument, Utterance
from pipeline.sources.common import page_title, parsed, record_of

_NAME = r"[A-Z][\w'’\-]+(?:\s+(?:[A-Z][\w'’\-]+|van|von|de|der|da|di)){1,3}"
_SELF = re.compile(rf"\b(?i:my name is|i am|i'm)\s+(?P<name>{_NAME})")
_MODERATING = re.compile(r"\b(?:your moderator|be moderating|i will moderate|i'll moderate|i am moderating|"
                         r"i'm moderating|moderator for today|moderate (?:this|the) session)\b", re.I)
# The speaker who opens the meeting welcomes everyone to it.
_OPENING = re.compile(r"\bwelcome(?:\s+\w+){0,2}\s+to\s+(?:the|this|our|one of the)\b[^.!?]{0,80}?"
                      r"\b(?:workshop|session|forum|panel|webinar|meeting)s?\b", re.I)
# "I will be moderating ... I will be helped by X": a co-moderator
_HELPED = re.compile(rf"\b(?i:helped|assisted|supported)\s+by\s+(?P<name>{_NAME})")
_INTRODUCED = re.compile(rf"\b(?i:we (?:also |do )?have|next we have|with me(?: is| are)?|i will ask|i'd like to ask|"
                         rf"let me introduce|joined by|welcome|(?:my|our)(?:\s+\w+){{0,3}}\s+colleagues?,?)\s+"
                         rf"(?:(?i:on my (?:left|right)|also|here),?\s+(?:(?i:we have)\s+)?)?"
                         rf"(?P<name>{_NAME})(?P<rest>[^.]{{0,160}})")
_OUR_MODERATOR = re.compile(rf"\b(?i:our moderator,?\s+(?:that\s+|is\s+)?)(?P<name>{_NAME})")
_AFFILIATION = re.compile(r"^\s*,?\s*(?:who\s+(?:is|serves)\s+(?:the\s+|a\s+|an\s+)?(?P<pos>[^,.]*?)\s+(?:at|of|with|in)\s+(?:the\s+)?"
                          r"(?P<org>[A-Z][\w&.’' -]{1,60}?)(?=[.,]|\s+(?:and|who|welcome)\b|$)|"
                          r"\s*(?:from|with)\s+(?:the\s+)?(?P<org2>[\w&.’' -]{2,80}?)(?=[.,;]|\s+(?:to|who)\b|$))")
# What a self-introduction says next: "... . I'm working at the Dutch Mission." / ", the French Telecom Regulator."
_SELF_AFFILIATION = re.compile(r"^\s*(?:\.\s+(?i:i'm|i am|i work|i'm working|i am working)\s+(?:working\s+)?"
                               r"(?i:at|with|for|in)\s+(?:the\s+)?(?P<org>[\w&.’' -]{2,80}?)(?=[.,;!?]|$)|"
                               r",\s+the\s+(?P<apposition>[A-Z][\w&.’' -]{2,80}?)(?=[.,;!?]|$))")
# An organization's name ends before "and" that starts another clause or another person.
_AND_CLAUSE = re.compile(r"\s+and\s+(?=(?:I|I'll|I'm|we|he|she|they|it|you)\b)")


def read_transcript(doc: Document, fmt: str) -> ParsedDocument:
    title = page_title(doc)
    draft = Draft(title)
    utterances: list[Utterance] = []
    opener: str | None = None   # the first person named by a caption label
    for block in doc.blocks:
        if block.kind != "turn":
            continue
        speaker = block.label or ""
        utterances.append(Utterance(speaker=speaker, text=block.text))
        opener = _read_turn(draft, speaker, block.text, opener)
    # a speaker who is the label's person keeps one entry; MODERATOR-labelled turns name nobody
    record = record_of(draft, " ".join(filter(None, [title, doc.blocks[1].text if len(doc.blocks) > 1 else ""])))
    record.utterances = utterances
    return parsed(fmt, doc, [record], title=title)


def _read_turn(draft: Draft, speaker: str, text: str, opener: str | None) -> str | None:
    """The people one turn names: its labelled speaker, who introduces themselves, the moderators it names
    and the people it introduces. Returns the opener (the first person named by a caption label)."""
    named = clean_name(speaker) if speaker and speaker_kind(speaker) == "person" else None
    if named and is_person_name(named, slot=True):
        draft.add(PersonLine(named), "speaker")
        opener = opener or named
    moderating = bool(_MODERATING.search(text))
    _add_self_introduced(draft, text, moderating)
    if named and (moderating and not _SELF.search(text) or named == opener and _OPENING.search(text)):
        draft.add(PersonLine(named), "moderator")
    if moderating:
        _add_named(draft, _HELPED, text, "moderator")
    _add_named(draft, _OUR_MODERATOR, text, "moderator")
    _add_introduced(draft, text)
    return opener


def _add_self_introduced(draft: Draft, text: str, moderating: bool) -> None:
    """"My name is X ...": the speaker, with the organization they give; the moderator when the turn says so."""
    for match in _SELF.finditer(text):
        name = clean_name(match.group("name"))
        if is_person_name(name):
            info = _self_affiliation(text[match.end():]) or PersonLine("")
            info.name = name
            draft.add(info, "moderator" if moderating else "speaker")


def _add_named(draft: Draft, pattern: re.Pattern, text: str, role: str) -> None:
    """The people `pattern` names in the turn (its `name` group), in `role`."""
    for match in pattern.finditer(text):
        name = clean_name(match.group("name"))
        if is_person_name(name):
            draft.add(PersonLine(name), role)


def _add_introduced(draft: Draft, text: str) -> None:
    """"we have X, who is ... at Org": panellists the chair introduces, with their affiliation."""
    for match in _INTRODUCED.finditer(text):
        name = clean_name(match.group("name"))
        if not is_person_name(name) or name.split()[0].lower() in ("everybody", "everyone", "all"):
            continue
        info = _affiliation(match.group("rest")) or PersonLine("")
        info.name = name
        draft.add(info, "panellist")


def _affiliation(rest: str) -> PersonLine | None:
    match = _AFFILIATION.match(rest)
    if not match:
        return None
    org = _AND_CLAUSE.split(match.group("org") or match.group("org2") or "")[0].strip()
    if not org:
        return None
    info = parse_affiliation(org)
    info.organization = info.organization or org
    info.position = match.group("pos") or None
    return info


def _self_affiliation(rest: str) -> PersonLine | None:
    """The organization a speaker gives right after their name: in the next sentence ("I'm with dot Asia
    and I'll be ...") or as an apposition (", the French Telecom Regulator")."""
    match = _SELF_AFFILIATION.match(rest)
    if not match:
        return _affiliation(rest)
    org = _AND_CLAUSE.split(match.group("org") or match.group("apposition"))[0].strip()
    info = parse_affiliation(org)
    if info.organization is None and info.position is None:
        info.organization = org
    return info
