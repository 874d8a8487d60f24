"""MinHash worked in cache-sized blocks gives the values of one pass per permutation over all shingles."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.transform import fingerprint
from pipeline.transform.fingerprint import NUM_PERM, minhash_signatures, permuted_minima


def _per_permutation(shingles: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The form the blocks replace: every shingle through one permutation at a time."""
    out = np.empty((len(starts), NUM_PERM), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in range(NUM_PERM):
            values = (shingles * fingerprint._A[p] + fingerprint._B[p]) & fingerprint._MASK61
            out[:, p] = np.minimum.reduceat(values, starts)
    return out


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 17])
def test_blocks_of_any_size_give_the_same_minima(block):
    rng = np.random.default_rng(5)
    lengths = np.array([1, 2, 9, 40, 1, 13, 200, 5])        # one document longer than most blocks
    shingles = rng.integers(0, (1 << 61) - 1, lengths.sum(), dtype=np.uint64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    got = permuted_minima(shingles, starts, block)
    assert got.shape == (8, NUM_PERM)
    assert np.array_equal(got, _per_permutation(shingles, starts))
    # a one-shingle document's minimum is its one permuted value
    a, b, m = fingerprint._A[0], fingerprint._B[0], fingerprint._MASK61
    with np.errstate(over="ignore"):
        assert got[0, 0] == (shingles[0] * a + b) & m


def test_signatures_unchanged_across_chunks_and_short_texts(monkeypatch):
    texts = [" ".join(f"panel {i} discussed measure {j} of cyberspace norms" for j in range(i + 1)) for i in range(12)]
    texts += ["too short", "", "Chair: Ms. Ana Silva (Brazil) opened the session on norms of state behaviour."]
    whole = minhash_signatures(texts)
    monkeypatch.setattr(fingerprint, "BLOCK_SHINGLES", 5)
    assert np.array_equal(minhash_signatures(texts, chunk_docs=4), whole)
    # short texts get a seeded signature of their own; texts of different shingles differ
    assert not np.array_equal(whole[12], whole[13])
    assert len({row.tobytes() for row in whole}) == len(texts)
