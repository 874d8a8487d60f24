"""The Pandera models of every table: the single source of truth for columns, types, nullability,
allowed values and keys. The data dictionary, the DuckDB tables and the Parquet column order are all
generated from these classes (see schemas/__init__.py).
"""
from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.polars import Field

from pipeline.sources import FORMATS  # the format list comes from the source registry
from pipeline.model.vocabulary import (AGREEMENT_KINDS, DUPLICATE_METHODS, ITEM_KINDS, ROLES, SPEAKER_KINDS,
                                 STATUSES)
ID = r"^[a-z]{3}_[0-9a-f]{16}(-\d+)?$"


class _Strict:
    strict = True
    coerce = False


class Documents(pa.DataFrameModel):
    document_id: str = Field(unique=True, str_matches=ID, description="Id of the document. Rule: 'doc_' + first 16 hex digits of sha256 of the normalised text (NFC, LF line endings, no BOM, no trailing blanks); a second file with the same normalised text gets '-2', '-3' in path order.")
    path: str = Field(unique=True, description="Path of the raw file, relative to the raw root, with '/' separators.")
    sha256: str = Field(str_length={"min_value": 64, "max_value": 64}, description="sha256 of the raw file's bytes.")
    size_bytes: pl.Int64 = Field(ge=0, description="Size of the raw file in bytes.")
    encoding: str = Field(nullable=True, description="Character encoding the file was decoded with; null when it could not be decoded.")
    format: str = Field(isin=list(FORMATS), description="Source format detected from the content (never from the file name): a known family, generic for a readable text of no known layout, unknown for what could not be read.")
    parser_version: str = Field(description="Version of the parser that read the document (cache key with sha256).")
    status: str = Field(isin=list(STATUSES), description="parsed: read fully; partial: read with problems; duplicate: an exact or near copy (or mirror) of canonical_document_id; rejected: not readable or not recognised.")
    canonical_document_id: str = Field(str_matches=ID, description="The document that stands for this one's duplicate cluster; itself unless a duplicate or mirror.")
    title: str = Field(nullable=True, description="Title the document states, if any.")
    url: str = Field(nullable=True, description="Permalink or address the document states (front matter permalink), if any.")
    problems: list[str] = Field(description="What the parser could not place or read, in words; empty when none.")

    class Config(_Strict):
        pass


class Sessions(pa.DataFrameModel):
    session_id: str = Field(unique=True, str_matches=ID, description="Id of the session. Rule: 'ses_' + the first 16 hex digits of sha256 over the folded title and ISO date when the documents state both (so every document of one meeting gives the same id); without a date, over the folded title, series and event and the page's stated address (else its title), so that an edit elsewhere on the page keeps the id; only a session with none of these takes the canonical document's id and its position in it.")
    title: str = Field(nullable=True, description="Session title as written.")
    series: str = Field(nullable=True, description="Series or slot the session belongs to, e.g. 'Leaders TalkX', 'Special Session 2'.")
    event: str = Field(nullable=True, description="Forum and edition when the document names it (e.g. 'WSIS+20 High-Level Event 2025'); null otherwise.")
    date: dt.date = Field(nullable=True, description="Local date of the session.")
    start_time: dt.time = Field(nullable=True, description="Local start time.")
    end_time: dt.time = Field(nullable=True, description="Local end time.")
    utc_offset: str = Field(nullable=True, str_matches=r"^[+-]\d\d:\d\d$", description="UTC offset the document states, like '+08:00'; null when it does not state one.")
    session_format: str = Field(nullable=True, description="Format, e.g. 'Round Table - U-shape'.")
    duration_minutes: pl.Int32 = Field(nullable=True, ge=0, description="Duration in minutes: stated, or end minus start.")
    description: str = Field(nullable=True, description="Description paragraphs, plain text.")
    summary: str = Field(nullable=True, description="Summary paragraphs of a session report.")
    document_ids: list[str] = Field(description="Every document that describes this session (canonical first).")
    quality_flags: list[str] = Field(description="missing_title, missing_date, missing_participants, mirror_conflict, source_conflict.")

    class Config(_Strict):
        pass


class Participants(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session (sessions.session_id).")
    person_id: str = Field(str_matches=ID, description="The person (people.person_id).")
    name: str = Field(description="Name as written for this session, honorific removed.")
    roles: list[str] = Field(description=f"Roles in this session (sorted), each one of: {', '.join(ROLES)}.")
    honorific: str = Field(nullable=True, description="Honorific the source put before the name (Mr, Ms, Prof, H.E.).")
    position: str = Field(nullable=True, description="Position or title as written.")
    organization: str = Field(nullable=True, description="Organization as written (commas inside a name kept).")
    country: str = Field(nullable=True, description="Country (or union, e.g. 'European Union') as written.")
    stakeholder_group: str = Field(nullable=True, description="IGF stakeholder group, e.g. 'Civil Society'.")
    regional_group: str = Field(nullable=True, description="UN regional group, e.g. 'Asia-Pacific Group'.")
    area_of_expertise: str = Field(nullable=True, description="Area of expertise a session report gives.")
    profile_url: str = Field(nullable=True, description="Link to the speaker's profile page, as written.")
    speech_speed_wpm: pl.Int32 = Field(nullable=True, ge=0, description="Words per minute, from a session report.")
    speech_length_words: pl.Int32 = Field(nullable=True, ge=0, description="Words spoken, from a session report.")
    speech_time_seconds: pl.Int32 = Field(nullable=True, ge=0, description="Seconds spoken, from a session report.")
    document_ids: list[str] = Field(description="Documents that attest this participation.")

    @pa.check("roles", name="roles_in_vocabulary")
    @classmethod
    def roles_in_vocabulary(cls, data) -> pl.LazyFrame:
        """Every role is one of pipeline.model.vocabulary.ROLES (parsers normalise roles there, once)."""
        return data.lazyframe.select(pl.col(data.key).list.eval(pl.element().is_in(ROLES)).list.all())

    class Config(_Strict):
        unique = ["session_id", "person_id"]


class People(pa.DataFrameModel):
    person_id: str = Field(unique=True, str_matches=ID, description="Id of the person. Rule: 'per_' + first 16 hex digits of sha256 of the name key: honorifics removed, mojibake repaired, diacritics folded to ASCII, case-folded, punctuation dropped, a repeated token dropped, tokens sorted (so 'XU Yuan' = 'Yuan XU').")
    name: str = Field(description="Display name: the written form with the most diacritics, then the most frequent, then the first alphabetically.")
    name_variants: list[str] = Field(description="Every written form of the name seen (honorifics removed), sorted.")
    session_count: pl.Int32 = Field(ge=0, description="Number of sessions the person took part in.")

    class Config(_Strict):
        pass


class SpeakerLabels(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session.")
    speaker: str = Field(description="Label as written ('Introduction', 'Germany', 'Team Blue').")
    speaker_kind: str = Field(isin=list(SPEAKER_KINDS), description="label (a role, not a person), delegation (a country or union speaking as such), team, placeholder.")
    roles: list[str] = Field(description=f"Roles the source gives the label (sorted), each one of: {', '.join(ROLES)}.")
    position: str = Field(nullable=True, description="Role/title the source gives.")
    speech_speed_wpm: pl.Int32 = Field(nullable=True, ge=0, description="Words per minute.")
    speech_length_words: pl.Int32 = Field(nullable=True, ge=0, description="Words spoken.")
    speech_time_seconds: pl.Int32 = Field(nullable=True, ge=0, description="Seconds spoken.")
    document_ids: list[str] = Field(description="Documents that name this speaker.")

    @pa.check("roles", name="roles_in_vocabulary")
    @classmethod
    def roles_in_vocabulary(cls, data) -> pl.LazyFrame:
        """Every role is one of pipeline.model.vocabulary.ROLES (parsers normalise roles there, once)."""
        return data.lazyframe.select(pl.col(data.key).list.eval(pl.element().is_in(ROLES)).list.all())

    class Config(_Strict):
        unique = ["session_id", "speaker"]


class Arguments(pa.DataFrameModel):
    argument_id: str = Field(unique=True, str_matches=ID, description="Id of the argument. Rule: 'arg_' + first 16 hex digits of sha256 of session_id, the speaker's person key (or folded label) and the folded argument text.")
    session_id: str = Field(str_matches=ID, description="The session.")
    person_id: str = Field(nullable=True, description="The speaker when a person; null for labels and delegations.")
    speaker: str = Field(description="Speaker as written.")
    speaker_kind: str = Field(isin=list(SPEAKER_KINDS), description="person, label, delegation, team.")
    text: str = Field(description="The argument.")
    explanation: str = Field(nullable=True, description="The report's explanation of the argument.")
    evidence: str = Field(nullable=True, description="Evidence the speaker gave.")
    discussion_point: str = Field(nullable=True, description="Major discussion point it belongs to.")
    topics: list[str] = Field(description="Topics.")
    agreed_with: list[str] = Field(description="Speakers the report says this one agreed with (as written).")
    agreed_on: str = Field(nullable=True, description="What they agreed on (an agreements.statement).")
    disagreed_with: list[str] = Field(description="Speakers the report says this one disagreed with.")
    disagreed_on: str = Field(nullable=True, description="What they disagreed on.")
    document_ids: list[str] = Field(description="Documents that state the argument.")

    class Config(_Strict):
        pass


class Agreements(pa.DataFrameModel):
    agreement_id: str = Field(unique=True, str_matches=ID, description="Id of the agreement or difference. Rule: 'agr_' + first 16 hex digits of sha256 of session_id, kind and the folded statement (so a statement listed twice in one report is one row).")
    session_id: str = Field(str_matches=ID, description="The session.")
    kind: str = Field(isin=list(AGREEMENT_KINDS), description="agreement, similar_viewpoints, unexpected_consensus, disagreement, unexpected_difference, partial_agreement.")
    statement: str = Field(description="What was agreed or disputed (for similar viewpoints: the report's description).")
    summary: str = Field(nullable=True, description="The report's summary or explanation.")
    topics: list[str] = Field(description="Topics.")
    speakers: list[str] = Field(description="Speakers as written.")
    person_ids: list[str] = Field(description="People involved: listed speakers and speakers whose arguments link here.")
    argument_ids: list[str] = Field(description="Arguments listed under it, and arguments whose agreed/disagreed-on line names it.")
    document_ids: list[str] = Field(description="Documents that state it.")

    class Config(_Strict):
        pass


class AgreementPairs(pa.DataFrameModel):
    person_id: str = Field(str_matches=ID, description="A person named by an agreement or difference (people.person_id).")
    other_person_id: str = Field(str_matches=ID, description="Another person named by the same agreements row; every pair is listed both ways.")
    session_id: str = Field(str_matches=ID, description="The session of the agreement (sessions.session_id).")
    agreement_id: str = Field(str_matches=ID, description="The agreement or difference (agreements.agreement_id).")
    kind: str = Field(isin=AGREEMENT_KINDS, description="The agreements row's kind: agreement, similar_viewpoints, unexpected_consensus (they agree), disagreement, unexpected_difference (they differ), partial_agreement.")

    class Config(_Strict):
        unique = ["person_id", "other_person_id", "agreement_id"]


class Utterances(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session.")
    seq: pl.Int32 = Field(ge=1, description="Turn number in the transcript, from 1.")
    person_id: str = Field(nullable=True, description="The speaker when a person.")
    speaker: str = Field(description="Speaker as written.")
    speaker_kind: str = Field(isin=list(SPEAKER_KINDS), description="person, label, delegation, team.")
    text: str = Field(description="What was said.")
    word_count: pl.Int32 = Field(ge=0, description="Words in text (white-space separated).")
    document_id: str = Field(description="The transcript's document.")

    class Config(_Strict):
        unique = ["session_id", "seq"]


class SessionItems(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session.")
    kind: str = Field(isin=list(ITEM_KINDS), description="keypoint, takeaway, action_item, unresolved_issue, suggested_compromise, thought_provoking_comment, follow_up_question, policy_question, key_topic, sdg_goal.")
    seq: pl.Int32 = Field(ge=1, description="Position within the kind, from 1.")
    text: str = Field(description="The item.")
    label: str = Field(nullable=True, description="The item's own heading (a keypoint's bold lead).")
    speaker: str = Field(nullable=True, description="Speaker as written (comments, follow-up questions).")
    person_id: str = Field(nullable=True, description="The speaker when a person.")
    reason: str = Field(nullable=True, description="Why a comment is thought-provoking.")
    impact: str = Field(nullable=True, description="A comment's impact on the discussion.")
    explanation: str = Field(nullable=True, description="A follow-up question's explanation.")
    document_ids: list[str] = Field(description="Documents that state the item.")

    class Config(_Strict):
        unique = ["session_id", "kind", "seq"]


class SessionTexts(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session.")
    kind: str = Field(description="Named paragraph: full_report, overall_purpose, overall_tone, expected_outcomes, relevance_to_theme, forum_theme, unlabelled, ...")
    document_id: str = Field(description="The document it comes from.")
    text: str = Field(description="The text.")

    class Config(_Strict):
        unique = ["session_id", "kind", "document_id"]


class Conflicts(pa.DataFrameModel):
    session_id: str = Field(str_matches=ID, description="The session whose documents disagree.")
    field: str = Field(description="The field: a session column, 'participants', or 'participants[<person_id>].<column>'.")
    document_id: str = Field(description="A document of the session.")
    value: str = Field(nullable=True, description="That document's value, as text (lists joined with '; ').")

    class Config(_Strict):
        unique = ["session_id", "field", "document_id"]


class Duplicates(pa.DataFrameModel):
    document_id: str = Field(unique=True, str_matches=ID, description="A document that copies another.")
    canonical_document_id: str = Field(str_matches=ID, description="The cluster's canonical document. Rule: fewest problems, then not an archive address, then the lowest document_id.")
    cluster_id: str = Field(str_matches=ID, description="'dup_' + first 16 hex digits of sha256 of the sorted member ids.")
    similarity: pl.Float64 = Field(ge=0, le=1, description="Jaccard similarity of word 5-shingles with the canonical document.")
    method: str = Field(isin=list(DUPLICATE_METHODS), description="exact: same normalised text; near: MinHash LSH candidate confirmed by same format, title and date; mirror: same session (title, date, time, description) with other content.")

    class Config(_Strict):
        pass


class PersonCandidates(pa.DataFrameModel):
    person_id: str = Field(str_matches=ID, description="One person.")
    other_person_id: str = Field(str_matches=ID, description="Another person who may be the same human.")
    reason: str = Field(description="Why they may be one person and why they were not merged.")

    class Config(_Strict):
        unique = ["person_id", "other_person_id"]


class Rejects(pa.DataFrameModel):
    document_id: str = Field(nullable=True, description="The document the rejected record came from.")
    path: str = Field(nullable=True, description="The raw file, relative to the raw root.")
    table: str = Field(description="The table the record was meant for ('documents' for a whole file).")
    rule: str = Field(description="The rule it broke.")
    offending_values: str = Field(description="The offending values, as JSON.")

    class Config(_Strict):
        pass


# --- released tables ---------------------------------------------------------------------------
# A release adds the versions in which each row of these tables was first and last published,
# carried forward by id from the previous release.

class _ReleaseTracking(pa.DataFrameModel):
    first_seen: str = Field(str_matches=r"^\d+\.\d+\.\d+$", description="First release version that published this row (carried forward by id).")
    last_seen: str = Field(str_matches=r"^\d+\.\d+\.\d+$", description="Latest release version that published this row.")


class ReleasedSessions(_ReleaseTracking, Sessions):
    class Config(_Strict):
        pass


class ReleasedPeople(_ReleaseTracking, People):
    class Config(_Strict):
        pass


class ReleasedArguments(_ReleaseTracking, Arguments):
    class Config(_Strict):
        pass


class ReleasedAgreements(_ReleaseTracking, Agreements):
    class Config(_Strict):
        pass
