"""The parse shard's cheaper row building must give the very column the plain construction gave."""
from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from pipeline.incremental import parse_cache as pc


def _plain(results) -> pl.Series:
    """What the shard rows held before: a Series built by polars from nested Python lists."""
    return pl.Series([[list(k) for k in r.session_keys] for r in results], dtype=pc.SHARD_COLUMNS["session_keys"])


CASES = [
    [],
    [()],
    [(("title", "2024-05-01", "10:00:00", "d_0123456789abcdef"),)],
    [(("", "", "", ""),), (), (("a", "", "", ""), ("b", "2024-01-02", "", "d_ff"))],
    [(("naïve café — 東京", "", "09:30:00", ""),), (("x" * 5000, "", "", "d_1"),)],
    [tuple((f"s{i}", "", "", "") for i in range(40))] * 3,
]


@pytest.mark.parametrize("keys", CASES)
def test_session_keys_column_equals_the_plain_one(keys):
    results = [SimpleNamespace(session_keys=k) for k in keys]
    fast = pc._session_keys_column(results)
    assert fast.dtype == pc.SHARD_COLUMNS["session_keys"]
    assert fast.to_list() == _plain(results).to_list()
    assert fast.equals(_plain(results))


def test_session_keys_column_goes_into_a_shard_frame():
    results = [SimpleNamespace(session_keys=(("t", "", "", ""),)), SimpleNamespace(session_keys=())]
    frame = pl.DataFrame({"session_keys": pc._session_keys_column(results)},
                         schema={"session_keys": pc.SHARD_COLUMNS["session_keys"]})
    assert frame["session_keys"].to_list() == [[["t", "", "", ""]], []]


# --- shard objects' footers, decoded once per process -------------------------------------------------

import pickle  # noqa: E402

import pyarrow as pa  # noqa: E402

from pipeline.model.records import ParsedDocument, SessionRecord  # noqa: E402


def _write(cache_dir: str, tag: str, n: int = 40) -> dict[str, ParsedDocument]:
    """A shard object "ab" of `n` parses; `tag` changes every parse but not the object's size."""
    documents = {f"{i:04x}" + "ab" * 30: ParsedDocument(format="generic", title=f"{tag} {i:04d}",
                                                         sessions=[SessionRecord(title=f"{tag} s{i:04d}")])
                 for i in range(n)}
    keys = sorted(documents)
    frame = pl.DataFrame({
        "key": keys, "exact_key": keys, "bands": [[i] for i in range(n)], "signature": [[i] for i in range(n)], "session_keys": [[["a"]]] * n,
        "format": ["generic"] * n, "title": keys, "url": [None] * n, "problems": [0] * n, "sessions": [1] * n,
        "summary": [pickle.dumps(k) for k in keys],
        "document": [pickle.dumps(documents[k], protocol=pickle.HIGHEST_PROTOCOL) for k in keys]}, schema=pc.SHARD_COLUMNS)
    pc._write_shard(pc.shard_object(cache_dir, "ab"), frame)
    return documents


def _load(cache_dir: str, documents: dict[str, ParsedDocument], picked: list[int]) -> dict[str, ParsedDocument]:
    keys = sorted(documents)
    return pc.KeptParses(cache_dir, {f"d{i}": ("ab", keys[i]) for i in picked}).load()


@pytest.mark.parametrize("picked", [[0], [39], [3, 17], list(range(40))])
def test_kept_footer_reads_the_same_parses(tmp_path, picked):
    documents = _write(str(tmp_path), "one")
    keys = sorted(documents)
    first = _load(str(tmp_path), documents, picked)        # the footer decoded
    again = _load(str(tmp_path), documents, picked)        # the footer kept
    assert first == again == {f"d{i}": documents[keys[i]] for i in picked}
    assert pc.shard_object(str(tmp_path), "ab") in pc._FOOTERS


def test_an_object_written_again_is_not_read_through_its_old_footer(tmp_path):
    before = _write(str(tmp_path), "one")
    assert _load(str(tmp_path), before, [5])["d5"].title == "one 0005"
    after = _write(str(tmp_path), "two")                   # same keys, same sizes, other parses
    assert _load(str(tmp_path), after, [5, 30]) == {"d5": after[sorted(after)[5]], "d30": after[sorted(after)[30]]}
    more = _write(str(tmp_path), "six", n=70)              # more rows, more row groups
    assert _load(str(tmp_path), more, [69])["d69"].title == "six 0069"


def test_a_damaged_object_still_says_the_cache_lost_it(tmp_path):
    documents = _write(str(tmp_path), "one")
    _load(str(tmp_path), documents, [1])
    path = pc.shard_object(str(tmp_path), "ab")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])          # cut: no footer left
    with pytest.raises(RuntimeError, match="parse cache lost"):
        _load(str(tmp_path), documents, [1])
    open(path, "wb").write(b"not parquet")
    with pytest.raises(RuntimeError, match="parse cache lost"):
        _load(str(tmp_path), documents, [1])


def test_kept_footers_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(pc, "FOOTERS_KEPT", 2)
    monkeypatch.setattr(pc, "_FOOTERS", {})
    for name in ("a", "b", "c"):
        folder = tmp_path / name
        documents = _write(str(folder), name, n=3)
        assert _load(str(folder), documents, [2])["d2"].title == f"{name} 0002"
    assert list(pc._FOOTERS) == [pc.shard_object(str(tmp_path / n), "ab") for n in ("b", "c")]


def test_groups_in_matches_the_statistics(tmp_path):
    documents = _write(str(tmp_path), "one", n=40)
    keys = sorted(documents)
    path = pc.shard_object(str(tmp_path), "ab")
    with pa.OSFile(path) as source:
        metadata, ranges = pc._local_footer(path, source)
    assert ranges == [(keys[0], keys[15]), (keys[16], keys[31]), (keys[32], keys[39])]
    assert pc._groups_in(ranges, sorted([keys[3], keys[33]])) == [0, 2]
    assert pc._groups_in(ranges, [keys[15] + "0"]) == []
    assert pc._groups_in([None, (keys[16], keys[31])], [keys[0]]) == [0]   # no statistics: read
    assert pc._groups_in(ranges, sorted([keys[3], keys[33]])) == pc._wanted_groups(metadata, 0, sorted([keys[3], keys[33]]))
