"""The summaries a build holds share their equal values (organizations, countries, dates, participations)."""
import datetime as dt
import pickle

import pytest

from pipeline.incremental.parse_cache import SharedValues, parse_raw_documents, parse_shard
from pipeline.model.records import DocumentSummary, SessionStub


def summary(title: str, *people: tuple[str, str]) -> DocumentSummary:
    """A summary, unpickled as the driver gets it: no value shared with another summary."""
    participations = [(name, name.lower(), "Chile", "chile", org, frozenset(org.lower().split())) for name, org in people]
    made = DocumentSummary("isomer_event", title, None, ["no date"],
                           [SessionStub(title, dt.date(2024, 5, 12), title.lower(), participations, "Annual forum", None)])
    return pickle.loads(pickle.dumps(made))


def test_equal_values_of_different_summaries_become_one_object_and_the_summaries_stay_equal():
    a = summary("Norms", ("Ann Lee", "Internet Society"), ("Bo Chen", "Ministry of Defence"))
    b = summary("Capacity", ("Cy Diaz", "Internet Society"), ("Bo Chen", "Ministry of Defence"))
    assert a.sessions[0].participants[1] is not b.sessions[0].participants[1]
    before = [pickle.dumps(a), pickle.dumps(b)]
    shared = SharedValues()
    a, b = shared.summary(a), shared.summary(b)
    assert [pickle.loads(p) for p in before] == [a, b]
    (ann, bo), (cy, bo_again) = a.sessions[0].participants, b.sessions[0].participants
    assert bo is bo_again                                   # the same participation: one tuple
    assert ann[4] is cy[4] and ann[5] is cy[5]              # the same organization and its words
    assert ann[2] is cy[2] and a.sessions[0].date is b.sessions[0].date and a.sessions[0].series is b.sessions[0].series
    assert a.problems[0] is b.problems[0] and a.format is b.format
    assert a.sessions[0].title is not b.sessions[0].title  # different values stay different


def test_a_build_shares_values_across_shards_and_a_cleared_store_starts_again(tmp_path):
    from pipeline.ingest import read_raw_documents

    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for i, (title, name) in enumerate([("Cyber norms", "Jane Doe"), ("Capacity building", "Ann Lee"),
                                       ("Critical infrastructure", "Bo Chen"), ("Confidence building", "Cy Diaz")]):
        (raw_dir / f"s{i}.md").write_text(f"# Workshop on {title}\n\nDate: 12 May 2024\n\n"
                                          f"Moderator: {name} (Internet Society)\n")
    raw = read_raw_documents(raw_dir)
    parsed = parse_raw_documents(raw, shard_size=1, cache_dir=str(tmp_path / "cache"))
    # a shard per hash prefix: here each summary came back from a shard of its own
    assert parsed.shards_run == len({parsed.locality(d) for d in parsed}) == 4
    stubs = [stub for d in sorted(parsed) for stub in parsed[d].summary.sessions]
    organizations = {id(p[4]) for stub in stubs for p in stub.participants}
    dates = {id(stub.date) for stub in stubs}
    assert [p[4] for stub in stubs for p in stub.participants] == ["Internet Society"] * 4
    assert len(organizations) == 1 and len(dates) == 1
    # read back from the shard objects once cleared: shared again, among themselves
    parsed.summaries.clear()
    again = [stub for d in sorted(parsed) for stub in parsed[d].summary.sessions]
    assert again == stubs and len({id(p[4]) for stub in again for p in stub.participants}) == 1


def test_a_shard_sends_back_the_keys_it_parsed_and_is_described_from_its_object(tmp_path):
    """The driver gets no summary from a parse shard: a describe task reads them from its object."""
    import polars as pl
    from pipeline.incremental.parse_cache import TASK_COLUMNS, DescribeTask, ParseTask, describe_shard
    from pipeline.ingest import RawFile, ingest_shard

    doc = tmp_path / "a.md"
    doc.write_text("# Workshop on cyber norms\n\nDate: 12 May 2024\n\nModerator: Jane Doe (ACME)\n")
    row = ingest_shard([RawFile("a.md", str(doc))]).row(0, named=True)
    key = f"{row['sha256']}-{row['format']}-1-x"
    task = {"document_id": "doc_1", "path": "a.md", "location": str(doc), "sha256": row["sha256"],
            "format": row["format"], "parse_key": key, "kept_in": None}
    result = parse_shard(ParseTask("", pl.DataFrame([task], schema=TASK_COLUMNS), str(tmp_path / "cache")))
    assert result.fresh.to_list() == [key] and result.parsed == 1
    assert not hasattr(result, "summaries")
    documents = pl.DataFrame([{"document_id": "doc_1", "path": "a.md", "sha256": row["sha256"], "size_bytes": 1,
                               "encoding": "utf-8", "format": row["format"], "parser_version": "1", "problems": [],
                               "parse_key": key},
                              {"document_id": "doc_2", "path": "b.md", "sha256": row["sha256"], "size_bytes": 1,
                               "encoding": "utf-8", "format": row["format"], "parser_version": "1", "problems": [],
                               "parse_key": key}])
    described = describe_shard(DescribeTask(str(tmp_path / "cache"), "", documents, {"doc_2": "doc_1"}))
    assert described.documents.select("document_id", "status", "title").rows() == [
        ("doc_1", "parsed", "Workshop on cyber norms"), ("doc_2", "duplicate", "Workshop on cyber norms")]
    own = described.documents["session_ids"].to_list()
    assert own[0] and own[0] == own[1]  # the copy's own ids use its canonical document's id
    stated = described.statements.select("document_id", "name", "key", "organization").unique(maintain_order=True).rows()
    assert stated == [("doc_1", "Jane Doe", "doe jane", "ACME"), ("doc_2", "Jane Doe", "doe jane", "ACME")]
    assert described.rejects.height == 0
    # a parse the shard object does not hold (a damaged cache): the build says so and what to do
    lost = documents.head(1).with_columns(parse_key=pl.lit(key + "0"))
    with pytest.raises(RuntimeError, match="the parse cache lost .* build again with --full"):
        describe_shard(DescribeTask(str(tmp_path / "cache"), "", lost, {}))
    with pytest.raises(RuntimeError, match="the parse cache lost .* build again with --full"):
        describe_shard(DescribeTask(str(tmp_path / "cache"), "ff", documents, {}))  # no such object
