"""One session's rows from every document that states it: the first value of each field, a conflict
row per document wherever they disagree, and the session's people, texts and quality flags."""
from __future__ import annotations

from pipeline.model.text import fold
from pipeline.transform.assembly import links
from pipeline.transform.assembly.context import SessionContext
from pipeline.transform.assembly.identity import add_participant, participant_row

SESSION_FIELDS = ("title", "series", "event", "date", "start_time", "end_time", "utc_offset",
                  "session_format", "duration_minutes", "description", "summary")


def _text_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _same(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return a == b


def record_conflict(ctx: SessionContext, name: str, values: list[tuple[str, object]]) -> bool:
    """Whether the documents give different values of one field (then a conflict row per document)."""
    present = [v for _, v in values if v is not None and v != []]
    if len(present) < 2 or all(_same(present[0], v) for v in present[1:]):
        return False
    for document_id, value in values:
        ctx.out["conflicts"].append({"session_id": ctx.session_id, "field": name, "document_id": document_id,
                                     "value": _text_value(value)})
    return True


def build_session(ctx: SessionContext) -> None:
    doc_ids = ctx.document_ids
    row: dict = {"session_id": ctx.session_id, "document_ids": doc_ids}
    conflicted = _session_fields(ctx, row)
    conflicted |= _listed_people(ctx)
    # everything that names a speaker must resolve to a participant or a label
    ctx.index = {key: pid for pid, p in ctx.people.items() for key in p["_keys"]}
    transcripts = links.utterances(ctx)
    if transcripts:
        record_conflict(ctx, "transcript", transcripts)
    links.agreements(ctx, links.arguments(ctx))
    links.items(ctx)
    for document_id, record in ctx.records:
        for kind, text in sorted(record.texts.items()):
            if text:
                ctx.out["session_texts"].append({"session_id": ctx.session_id, "kind": kind, "document_id": document_id,
                                                 "text": text})
    several_documents = len(doc_ids) > 1  # one document's values cannot conflict
    for pid, person in ctx.people.items():
        if several_documents:
            conflicted |= _participant_conflicts(ctx, pid, person)
        ctx.out["participants"].append(participant_row(person))
    ctx.out["speaker_labels"].extend(ctx.labels.values())
    row["quality_flags"] = _quality_flags(ctx, row, bool(ctx.people), conflicted, doc_ids)
    ctx.out["sessions"].append(row)


def _session_fields(ctx: SessionContext, row: dict) -> bool:
    """The first value of each field into `row`; whether the documents give different values."""
    if len(ctx.records) == 1:  # most sessions: one record, its values, nothing to disagree with
        record = ctx.records[0][1]
        row.update((name, getattr(record, name)) for name in SESSION_FIELDS)
        return False
    conflicted = False
    for name in SESSION_FIELDS:
        values = [(d, getattr(r, name)) for d, r in ctx.records]
        row[name] = next((v for _, v in values if v is not None), None)
        conflicted |= record_conflict(ctx, name, values)
    return conflicted


def _listed_people(ctx: SessionContext) -> bool:
    """The people and speaker labels the documents list join the session; whether the documents list
    different people (a conflict row per document then)."""
    per_doc_names: list[tuple[str, list[str]]] = []
    for document_id, record in ctx.records:
        names = []
        for participant in record.participants:
            add_participant(ctx, document_id, participant)
            names.append(participant.name)
        per_doc_names.append((document_id, names))
    if len(per_doc_names) == 1:  # one record lists its people once: nothing to compare
        return False
    per_doc_names = [(document_id, sorted(set(names), key=fold)) for document_id, names in per_doc_names]
    if len({tuple(fold(n) for n in names) for _, names in per_doc_names}) <= 1:
        return False
    for document_id, names in per_doc_names:
        ctx.out["conflicts"].append({"session_id": ctx.session_id, "field": "participants",
                                     "document_id": document_id, "value": "; ".join(names)})
    return True


def _participant_conflicts(ctx: SessionContext, pid: str, person: dict) -> bool:
    conflicted = False
    for attr, values in person["_values"].items():
        by_doc = {}
        for document_id, value in values:
            by_doc.setdefault(document_id, value)
        conflicted |= record_conflict(ctx, f"participants[{pid}].{attr}", sorted(by_doc.items()))
    return conflicted


def _quality_flags(ctx: SessionContext, row: dict, has_people: bool, conflicted: bool, doc_ids: list[str]) -> list[str]:
    flags = [flag for flag, missing in (("missing_title", not row["title"]), ("missing_date", not row["date"]),
                                        ("missing_participants", not has_people)) if missing]
    if conflicted:
        same_format = len({ctx.formats[d] for d in doc_ids}) == 1
        flags.append("mirror_conflict" if same_format else "source_conflict")
    return flags
