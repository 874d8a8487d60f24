"""What was said in a session, linked to who said it: utterances, arguments, agreements (with the
arguments and people behind them) and the other session items."""
from __future__ import annotations

import json
from collections import defaultdict

from pipeline.model import ids
from pipeline.model.ids import stable_id
from pipeline.model.text import fold
from pipeline.model.vocabulary import AGREEING
from pipeline.transform.assembly.context import SessionContext
from pipeline.transform.assembly.identity import resolve_speaker, speaker_key
from pipeline.transform.assembly.store import SESSION_REJECTS


def add_once(values: list, value) -> None:
    if value not in values:
        values.append(value)


def utterances(ctx: SessionContext) -> list[tuple[str, str]]:
    """The turns of the session's first transcript; when several documents carry one, what each
    says of its transcript (for a conflict row), else nothing."""
    transcripts = [(d, r.utterances) for d, r in ctx.records if r.utterances]
    if not transcripts:
        return []
    document_id, turns = transcripts[0]
    for seq, turn in enumerate(turns, start=1):
        pid, kind = resolve_speaker(ctx, document_id, turn.speaker)
        ctx.out["utterances"].append({
            "session_id": ctx.session_id, "seq": seq, "person_id": pid, "speaker": turn.speaker, "speaker_kind": kind,
            "text": turn.text, "word_count": len(turn.text.split()), "document_id": document_id})
    if len(transcripts) == 1:
        return []
    return [(d, f"{len(t)} turns, {stable_id('txt', *(u.speaker + u.text for u in t))}") for d, t in transcripts]


def arguments(ctx: SessionContext) -> dict[str, list[dict]]:
    """The session's arguments, one row per speaker and text however many documents state it;
    returns them by folded text, for the agreements to link to."""
    by_text: dict[str, list[dict]] = defaultdict(list)
    seen: dict[str, dict] = {}
    for document_id, record in ctx.records:
        for argument in record.arguments:
            aid = ids.argument_id(ctx.session_id, speaker_key(argument.speaker), argument.text)
            if aid in seen:
                add_once(seen[aid]["document_ids"], document_id)
                continue
            pid, kind = resolve_speaker(ctx, document_id, argument.speaker)
            for other in argument.agreed_with + argument.disagreed_with:
                resolve_speaker(ctx, document_id, other)
            row = {"argument_id": aid, "session_id": ctx.session_id, "person_id": pid, "speaker": argument.speaker,
                   "speaker_kind": kind, "text": argument.text, "explanation": argument.explanation,
                   "evidence": argument.evidence, "discussion_point": argument.discussion_point,
                   "topics": argument.topics, "agreed_with": argument.agreed_with, "agreed_on": argument.agreed_on,
                   "disagreed_with": argument.disagreed_with, "disagreed_on": argument.disagreed_on,
                   "document_ids": [document_id]}
            seen[aid] = row
            by_text[fold(argument.text)].append(row)
            ctx.out["arguments"].append(row)
    return by_text


def agreements(ctx: SessionContext, argument_index: dict[str, list[dict]]) -> None:
    rows: dict[str, dict] = {}
    for document_id, record in ctx.records:
        for block in record.agreements:
            agid = ids.agreement_id(ctx.session_id, block.kind, block.statement)
            row = rows.get(agid)
            if row is None:
                row = rows[agid] = {"agreement_id": agid, "session_id": ctx.session_id, "kind": block.kind,
                                    "statement": block.statement, "summary": block.summary, "topics": block.topics,
                                    "speakers": [], "person_ids": [], "argument_ids": [], "document_ids": []}
            add_once(row["document_ids"], document_id)
            speaker_keys = set()
            for speaker in block.speakers:
                pid, _ = resolve_speaker(ctx, document_id, speaker)
                speaker_keys.add(speaker_key(speaker))
                add_once(row["speakers"], speaker)
                if pid:
                    add_once(row["person_ids"], pid)
            for text in block.arguments:
                _link_listed_argument(ctx, row, document_id, text, speaker_keys, argument_index)
    _link_agreed_on(rows, argument_index)
    for row in rows.values():
        row["person_ids"].sort()
        row["argument_ids"].sort()
        ctx.out["agreements"].append(row)


def _link_listed_argument(ctx: SessionContext, row: dict, document_id: str, text: str, speaker_keys: set,
                          argument_index: dict) -> None:
    """An argument listed under an agreement: the session's argument of that text (by one of the
    agreement's speakers when several match), else a reject row saying it matches none."""
    candidates = argument_index.get(fold(text), [])
    preferred = [a for a in candidates if speaker_key(a["speaker"]) in speaker_keys] or candidates
    if not preferred:
        ctx.out[SESSION_REJECTS].append({
            "session_id": ctx.session_id, "document_id": document_id, "path": None, "table": "agreements",
            "rule": "argument listed under an agreement matches no argument of the session",
            "offending_values": json.dumps({"agreement_id": row["agreement_id"], "argument": text}, ensure_ascii=False)})
    for argument in preferred:
        add_once(row["argument_ids"], argument["argument_id"])


def _link_agreed_on(rows: dict[str, dict], argument_index: dict) -> None:
    """An argument's "Agreed on" / "Disagreed on" line links it and its speaker to the matching row."""
    by_statement: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows.values():
        side = "agree" if row["kind"] in AGREEING else "disagree"
        by_statement[(side, fold(row["statement"]))].append(row)
    for arguments_ in argument_index.values():
        for argument in arguments_:
            for side, statement in (("agree", argument["agreed_on"]), ("disagree", argument["disagreed_on"])):
                for row in by_statement.get((side, fold(statement)), []) if statement else []:
                    add_once(row["argument_ids"], argument["argument_id"])
                    if argument["person_id"]:
                        add_once(row["person_ids"], argument["person_id"])


def items(ctx: SessionContext) -> None:
    """Recommendations, questions, next steps and the like: one row per kind and text, numbered per kind."""
    seen: dict[tuple[str, str], dict] = {}
    counters: dict[str, int] = {}  # a plain dict: a Counter costs more to make than this uses it
    for document_id, record in ctx.records:
        for item in record.items:
            key = (item.kind, fold(item.text))
            if key in seen:
                add_once(seen[key]["document_ids"], document_id)
                continue
            pid = None
            if item.speaker:
                pid, _ = resolve_speaker(ctx, document_id, item.speaker)
            counters[item.kind] = counters.get(item.kind, 0) + 1
            row = {"session_id": ctx.session_id, "kind": item.kind, "seq": counters[item.kind], "text": item.text,
                   "label": item.label, "speaker": item.speaker, "person_id": pid, "reason": item.reason,
                   "impact": item.impact, "explanation": item.explanation, "document_ids": [document_id]}
            seen[key] = row
            ctx.out["session_items"].append(row)
