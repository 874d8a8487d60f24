"""What building one session passes around: the session, its records, the people and labels found
so far, and where rows go."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.model import ids
from pipeline.model.records import SessionRecord


@dataclass
class PersonIdentity:
    """Who each name is, as planned (pipeline.transform.plan), with the reviewed merges applied."""
    person_of: dict[tuple[str, str], str] = field(default_factory=dict)   # (name key, session_id) -> person_id
    merge_into: dict[str, str] = field(default_factory=dict)              # person id -> the id a reviewed merge gives it
    name_counts: Counter = field(default_factory=Counter)                 # (session_id, person_id, name as written) -> times

    def merged(self, pid: str) -> str:
        return self.merge_into.get(pid, pid)

    def person(self, key: str, session_id: str) -> str:
        """The person a name key is in a session: as planned, else the one its key alone gives."""
        return self.person_of.get((key, session_id)) or self.merged(ids.person_id(key))


@dataclass
class SessionContext:
    session_id: str
    records: list[tuple[str, SessionRecord]]     # (document_id, record), in the order the documents contribute
    identity: PersonIdentity
    formats: Mapping[str, str]                   # document_id -> format
    out: dict[str, list[dict]]                   # rows by table name
    people: dict[str, dict] = field(default_factory=dict)   # person_id -> participant row in the making
    labels: dict[str, dict] = field(default_factory=dict)   # speaker label -> speaker_labels row in the making
    index: dict[str, str] = field(default_factory=dict)     # name key -> person_id, for speakers named in passing

    @property
    def document_ids(self) -> list[str]:
        return list(dict.fromkeys(d for d, _ in self.records))
