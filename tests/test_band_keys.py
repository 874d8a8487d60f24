"""The driver holds LSH band keys, not MinHash signatures: the parse shards make the keys, and
de-duplication reads the signatures of the documents it compares from the shard objects."""
import numpy as np
import pytest

from devtools.generate import generate_corpus
from pipeline.incremental.ingest_cache import read_raw_documents
from pipeline.incremental.parse_cache import parse_raw_documents
from pipeline.ingest import RawFile, load_document
from pipeline.stages import dedup_views, deduplicate
from pipeline.transform import dedup
from pipeline.transform.dedup import BANDS, ROWS, find_duplicates
from pipeline.transform.fingerprint import HASH_MIX, fingerprints


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """A generated corpus with exact, near and mirror copies, parsed in 16 shards (a hex digit each)."""
    folder = tmp_path_factory.mktemp("bands")
    generate_corpus(160, folder / "raw", seed=9)
    raw = read_raw_documents(folder / "raw", cache_dir=folder / "cache")
    return raw, parse_raw_documents(raw, shard_size=40, cache_dir=str(folder / "cache"))


def test_the_parses_hold_band_keys_of_the_signatures_and_not_the_signatures(parsed):
    raw, parses = parsed
    frame = parses.frame
    assert "signature" not in frame.columns and parses.shards_run == 16
    some = frame["document_id"].to_list()[::23]
    locations = dict(zip(raw["document_id"].to_list(), raw["location"].to_list()))
    texts = [load_document(RawFile(d, locations[d])).text for d in some]
    signatures = np.stack([f.signature for f in fingerprints(texts)])
    # read back from the shard objects: the very signatures of the texts
    assert np.array_equal(parses.signatures(some), signatures)
    # each band's key: its ROWS minima mixed, as the LSH step groups them
    # not kept with the frame: read from the index files, in its order
    assert "bands" not in frame.columns
    bands = parses.fingerprints().filter(frame["document_id"].is_in(some))["bands"].to_list()
    assert bands == [[sum(int(v) * int(m) for v, m in zip(row[b * ROWS:(b + 1) * ROWS], HASH_MIX)) % (1 << 64)
                      for b in range(BANDS)] for row in signatures]
    assert parses.signatures([]).shape == (0, signatures.shape[1])


def test_the_clusters_from_band_keys_are_those_from_every_signature(parsed, monkeypatch):
    raw, parses = parsed
    views = dedup_views(parses)
    read = []
    real = views.signatures_of
    views.signatures_of = lambda positions: read.append(len(positions)) or real(positions)
    # the same documents with their whole signatures in memory (the views the function also takes)
    made = views.views(list(range(len(views))))
    whole = [made[i] for i in range(len(views))]
    read.clear()
    rows, canonical = find_duplicates(views)
    assert (rows, canonical) == find_duplicates(whole) == deduplicate(parses)
    assert {r.method for r in rows} == {"exact", "near", "mirror"}
    # one read of the signatures, of the documents compared only
    assert len(read) == 1 and len({r.document_id for r in rows}) <= read[0] < len(views)


def test_band_tasks_carry_keys_and_find_the_pairs_of_one_task():
    signatures = np.random.default_rng(11).integers(0, 3, (60, dedup.NUM_PERM), dtype=np.uint64)
    bands = dedup.band_keys(signatures[:, :BANDS * ROWS])
    tasks = []
    spread = dedup.lsh_candidate_pairs(bands, lambda function, ts: tasks.extend(ts) or [function(t) for t in ts])
    assert [t.keys.shape for t in tasks] == [(dedup.BANDS_PER_TASK, 60)] * (BANDS // dedup.BANDS_PER_TASK)
    assert np.array_equal(spread, dedup.lsh_candidate_pairs(bands)) and len(spread) > 0


def test_the_fingerprint_columns_are_read_from_the_index_files_and_a_lost_one_is_named(tmp_path):
    import polars as pl

    from pipeline.incremental import parse_cache as pc

    generate_corpus(40, tmp_path / "raw", seed=4)
    raw = read_raw_documents(tmp_path / "raw", cache_dir=tmp_path / "cache")
    parses = parse_raw_documents(raw, shard_size=10, cache_dir=str(tmp_path / "cache"))
    assert not set(pc.FINGERPRINT_COLUMNS) & set(parses.frame.columns)
    index = pc.ParseIndex(tmp_path / "cache").load_columns()
    expected = parses.frame.select("parse_key").join(index, left_on="parse_key", right_on="key", how="left",
                                                     maintain_order="left").select(pc.FINGERPRINT_COLUMNS)
    got = parses.fingerprints()
    assert got.equals(expected) and got.height == len(parses) and got["exact_key"].null_count() == 0
    # an index file gone: the build says which parse it lost and what to do
    lost = parses.frame["parse_key"][0]
    path = tmp_path / "cache" / f"columns-{lost[0]}.arrow"
    kept = pl.read_ipc(path.read_bytes()).filter(pl.col("key") != lost)
    kept.write_ipc(path)
    with pytest.raises(RuntimeError, match=f"lost the parse {lost}; build again with --full"):
        parses.fingerprints()
