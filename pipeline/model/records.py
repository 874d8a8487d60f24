"""What a parser returns: plain records, one document at a time, before any cross-document identity.

Every parser fills the same shapes, so the assembly stage never needs to know which format a
record came from. Speakers are kept as written; ids are given later (pipeline.transform.assembly).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.model.names import country_key, organization_tokens, person_key, session_title_key, speaker_kind


@dataclass
class Participant:
    name: str                      # as written, honorific removed
    roles: list[str] = field(default_factory=list)
    honorific: str | None = None
    position: str | None = None
    organization: str | None = None
    country: str | None = None
    stakeholder_group: str | None = None
    regional_group: str | None = None
    area_of_expertise: str | None = None
    profile_url: str | None = None
    speech_speed_wpm: int | None = None
    speech_length_words: int | None = None
    speech_time_seconds: int | None = None


@dataclass
class Utterance:
    speaker: str
    text: str


@dataclass
class Argument:
    speaker: str
    text: str
    explanation: str | None = None
    evidence: str | None = None
    discussion_point: str | None = None
    topics: list[str] = field(default_factory=list)
    agreed_with: list[str] = field(default_factory=list)
    agreed_on: str | None = None
    disagreed_with: list[str] = field(default_factory=list)
    disagreed_on: str | None = None


@dataclass
class Agreement:
    kind: str                      # agreement | similar_viewpoints | unexpected_consensus | disagreement | unexpected_difference
    statement: str
    summary: str | None = None
    topics: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One entry of a list the document states (takeaway, policy question, SDG goal, ...)."""
    kind: str
    text: str
    label: str | None = None       # a bullet's own heading, e.g. a keypoint's bold lead
    speaker: str | None = None
    reason: str | None = None
    impact: str | None = None
    explanation: str | None = None


@dataclass
class SessionRecord:
    title: str | None = None
    series: str | None = None
    event: str | None = None
    date: dt.date | None = None
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    utc_offset: str | None = None
    session_format: str | None = None
    duration_minutes: int | None = None
    description: str | None = None
    summary: str | None = None
    participants: list[Participant] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    arguments: list[Argument] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)   # named paragraphs: full_report, overall_tone, ...


@dataclass
class ParsedDocument:
    format: str
    title: str | None = None
    url: str | None = None
    sessions: list[SessionRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # what was wrong with the document (status partial)
    truncated: bool = False
    notes: list[str] = field(default_factory=list)      # what extraction refused, e.g. a name that is no person


@dataclass
class SessionStub:
    """What identity needs of a session before its full record is loaded, with its keys computed
    where the document is parsed (so a re-build does not fold every name again)."""
    title: str | None
    date: dt.date | None
    title_key: str
    # (name, person key or None when not a person, country, country key, organization, organization words)
    participants: list[tuple[str, str | None, str | None, str | None, str | None, frozenset]]
    series: str | None = None
    event: str | None = None


@dataclass
class DocumentSummary:
    """The small part of a parsed document that stays in memory for the whole build; the full
    ParsedDocument is read back from the parse cache one batch of sessions at a time."""
    format: str
    title: str | None
    url: str | None
    problems: list[str]
    sessions: list[SessionStub]
    notes: list[str] = field(default_factory=list)


def summarize(document: ParsedDocument) -> DocumentSummary:
    def participation(p: Participant) -> tuple:
        key = person_key(p.name) if speaker_kind(p.name) == "person" else None
        return (p.name, key, p.country, country_key(p.country), p.organization, organization_tokens(p.organization))
    return DocumentSummary(
        document.format, document.title, document.url, list(document.problems),
        [SessionStub(s.title, s.date, session_title_key(s.title), [participation(p) for p in s.participants],
                     s.series, s.event)
         for s in document.sessions], list(document.notes))
