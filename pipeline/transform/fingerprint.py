"""What de-duplication keeps of each document, computed where the text is read (in the parse
stage), so the text can go: an exact key and a MinHash signature over word 5-shingles, and the
session keys that find mirrors. The thresholds that decide what is a copy live in dedup.py: changing
them does not parse anything again (the parse cache is keyed by this module, not by dedup.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.model.records import ParsedDocument
from pipeline.model.ids import stable_id
from pipeline.model.text import fold, sha256_hex

SHINGLE_WORDS = 5
NUM_PERM = 128
_MASK61 = np.uint64((1 << 61) - 1)
_RNG = np.random.default_rng(20241015)
_A = _RNG.integers(1, (1 << 61) - 1, NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
# (a * x + b) mod 2^61 is ((8a) * x + 8b) mod 2^64 shifted right by 3, and uint64 arithmetic wraps at
# 2^64 by itself: permuted with these, a shingle needs no masking pass, and the least shifted value,
# shifted back, is the least value
_A8, _B8 = _A << np.uint64(3), _B << np.uint64(3)
HASH_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD], dtype=np.uint64)


@dataclass(frozen=True)
class Fingerprint:
    """What de-duplication keeps of a document's text: computed where the text is read, then the text can go."""
    exact_key: str              # sha256 of the text with white space collapsed
    signature: np.ndarray       # MinHash over word 5-shingles


def fingerprints(texts: list[str]) -> list[Fingerprint]:
    signatures = minhash_signatures(texts)
    return [Fingerprint(sha256_hex(" ".join(t.split())), signatures[i]) for i, t in enumerate(texts)]


def session_keys(parsed: ParsedDocument) -> tuple[tuple[str, str, str, str], ...]:
    """(title, date, start, description digest), folded, of each session a document states."""
    return tuple(
        (fold(s.title), s.date.isoformat() if s.date else "", s.start_time.isoformat() if s.start_time else "",
         stable_id("d", folded) if (folded := fold(s.description)) else "")
        for s in parsed.sessions
    )


# About 1 MB of shingles: a block stays in the core's cache through all NUM_PERM permutations
BLOCK_SHINGLES = 1 << 17


def permuted_minima(shingles: np.ndarray, starts: np.ndarray, block: int = BLOCK_SHINGLES) -> np.ndarray:
    """(documents, NUM_PERM): each document's least value of (a * shingle + b) mod 2^61 for every
    permutation (a, b); a document's shingles are consecutive from its entry in `starts`. Worked a
    block of whole documents at a time through every permutation, in one reused buffer: twice as
    fast as a pass over all shingles per permutation, and the same values."""
    out = np.empty((len(starts), NUM_PERM), dtype=np.uint64)
    ends = np.append(starts[1:], len(shingles))
    first = 0
    while first < len(starts):
        # the documents that end within `block` shingles of this one's start (at least this one)
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + block, side="right")))
        low = starts[first]
        values = np.empty(ends[last - 1] - low, dtype=np.uint64)
        offsets = starts[first:last] - low
        with np.errstate(over="ignore"):
            for p in range(NUM_PERM):
                np.multiply(shingles[low:ends[last - 1]], _A8[p], out=values)
                np.add(values, _B8[p], out=values)
                out[first:last, p] = np.minimum.reduceat(values, offsets)
        first = last
    return np.right_shift(out, np.uint64(3), out=out)


def minhash_signatures(texts: list[str], chunk_docs: int = 2000) -> np.ndarray:
    """One MinHash signature (NUM_PERM uint64) per text, over lower-cased word 5-shingles.

    Words are hashed by polars (deterministic seed), shingles combined and permuted with numpy;
    the work is done in chunks of documents so memory stays bounded.
    """
    signatures = np.empty((len(texts), NUM_PERM), dtype=np.uint64)
    for start in range(0, len(texts), chunk_docs):
        chunk = texts[start:start + chunk_docs]
        words = pl.Series(chunk, dtype=pl.String).str.to_lowercase().str.extract_all(r"\w+")
        lengths = words.list.len().fill_null(0).to_numpy().astype(np.int64)
        hashes = words.explode().drop_nulls().hash(seed=17).to_numpy()
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        count = len(hashes) - SHINGLE_WORDS + 1
        sig = np.full((len(chunk), NUM_PERM), np.iinfo(np.uint64).max, dtype=np.uint64)
        if count > 0:
            with np.errstate(over="ignore"):
                shingle = np.zeros(count, dtype=np.uint64)
                for k in range(SHINGLE_WORDS):
                    shingle += hashes[k:k + count] * HASH_MIX[k]
            doc_of = np.repeat(np.arange(len(chunk)), lengths)[:count]
            valid = np.arange(count) + SHINGLE_WORDS - 1 < offsets[doc_of + 1]  # the shingle stays in its document
            shingle, doc_of = shingle[valid], doc_of[valid]
            if len(shingle):
                # doc_of ascends: a document's shingles start where its number changes (np.unique would sort)
                starts = np.flatnonzero(np.diff(doc_of, prepend=-1))
                present = doc_of[starts]
                shingle &= _MASK61
                sig[present] = permuted_minima(shingle, starts, BLOCK_SHINGLES)
        # documents with fewer than five words: a signature of their own, never a candidate of others
        short = np.where((sig == np.iinfo(np.uint64).max).all(axis=1))[0]
        for i in short:
            seed = int(sha256_hex(chunk[i])[:15], 16)
            sig[i] = np.random.default_rng(seed).integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
        signatures[start:start + len(chunk)] = sig
    return signatures
