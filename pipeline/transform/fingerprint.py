"""What de-duplication keeps of each document, computed where the text is read (in the parse
stage), so the text can go: an exact key and a MinHash signature over word 5-shingles, and the
session keys that find mirrors. The thresholds that decide what is a copy live in dedup.py: changing
them does not parse anything again (the parse cache is keyed by this module, not by dedup.py).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

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


def fingerprints(texts: list[str], chunk_docs: int = 2000) -> list[Fingerprint]:
    out = []
    for start in range(0, len(texts), chunk_docs):
        chunk = texts[start:start + chunk_docs]
        series = pl.Series(chunk, dtype=pl.String)
        keys = [key for piece in _in_pieces(series, _exact_keys) for key in piece]
        out += map(Fingerprint, keys, _signatures(chunk, series))
    return out


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
        signatures[start:start + len(chunk)] = _signatures(chunk, pl.Series(chunk, dtype=pl.String))
    return signatures


def _signatures(chunk: list[str], series: pl.Series) -> np.ndarray:
    """The signatures of a chunk of texts (`series` holds the same texts)."""
    pieces = _in_pieces(series.str.to_lowercase(), _word_hashes)
    hashes = np.concatenate([h for h, _ in pieces]) if pieces else np.empty(0, dtype=np.uint64)
    lengths = np.concatenate([n for _, n in pieces]) if pieces else np.empty(0, dtype=np.int64)
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
    return sig


# -- Words and white space found on a chunk's UTF-8 bytes at once, with numpy ------------------------
# `str.extract_all(r"\w+")` and `" ".join(t.split())` make an object per word (about 1,000 a document)
# and cost most of the time; a few passes over all of a chunk's bytes give the same words and the same
# collapsed text. ASCII bytes are classed by their value; the few non-ASCII characters are decoded and
# classed once per distinct character by the very rule they replace (polars' regex \w, str.isspace).
_GONE = 0xFF    # never a byte of UTF-8: marks the bytes to delete
_ASCII_SPACE = [(9, 13), (28, 32)]                      # the ASCII characters str.isspace() holds for
_ASCII_WORD = [(48, 57), (65, 90), (95, 95), (97, 122)]  # and \w: digits, letters, underscore
# texts worked at once: about 2 MB, so each pass over the bytes reads them from the core's cache
PIECE_DOCS = 256


def _in_pieces(series: pl.Series, work) -> list:
    return [work(series[start:start + PIECE_DOCS]) for start in range(0, len(series), PIECE_DOCS)]


def _utf8(series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A string column's UTF-8 bytes end to end, and where each text starts (then where the last ends)."""
    arrow = series.to_arrow(compat_level=pl.CompatLevel.oldest())    # large_string: int64 offsets
    _, offsets, data = arrow.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[arrow.offset:arrow.offset + len(arrow) + 1]
    data = np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]] if len(arrow) else np.empty(0, np.uint8)
    return data, bounds - bounds[0]


def _non_ascii_chars(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where data's non-ASCII characters start, their sizes in bytes and code points (data is valid UTF-8)."""
    lead = np.flatnonzero(data >= 0xC0)
    first = data[lead].astype(np.int64)
    more = [data[np.minimum(lead + k, len(data) - 1)].astype(np.int64) & 0x3F for k in (1, 2, 3)]
    size = 2 + (first >= 0xE0) + (first >= 0xF0)
    code = np.select([size == 2, size == 3],
                     [(first & 0x1F) << 6 | more[0], (first & 0x0F) << 12 | more[0] << 6 | more[1]],
                     (first & 0x07) << 18 | more[0] << 12 | more[1] << 6 | more[2])
    return lead, size, code


def _char_mask(data: np.ndarray, ascii_ranges: list[tuple[int, int]], holds) -> np.ndarray:
    """True on every byte of the characters of a class: ASCII bytes in `ascii_ranges`, other characters
    those `holds` (a list of distinct characters -> a list of bools) says belong."""
    mask = np.zeros(len(data), dtype=bool)
    for low, high in ascii_ranges:
        mask |= (data - np.uint8(low)) <= np.uint8(high - low)     # uint8 wraps: one comparison a range
    lead, size, code = _non_ascii_chars(data)
    if len(lead):
        distinct, which = np.unique(code, return_inverse=True)
        belongs = np.asarray(holds([chr(c) for c in distinct]), dtype=bool)[which]
        lead, size = lead[belongs], size[belongs]
        for k in range(4):
            mask[lead[size > k] + k] = True
    return mask


def _is_word(chars: list[str]) -> list[bool]:
    return pl.Series(chars, dtype=pl.String).str.contains(r"^\w$").to_list()


def _is_space(chars: list[str]) -> list[bool]:
    return [c.isspace() for c in chars]


def _shifted(mask: np.ndarray, bounds: np.ndarray, step: int, edge: bool) -> np.ndarray:
    """mask moved one byte on (step 1: each byte gets the value of the byte before it; -1: of the byte
    after it), with `edge` where that byte is in another text."""
    out = np.full_like(mask, edge)
    if step == 1:
        out[1:] = mask[:-1]
        edges = bounds[:-1]
    else:
        out[:-1] = mask[1:]
        edges = bounds[1:] - 1
    out[edges[(edges >= 0) & (edges < len(mask))]] = edge
    return out


def _exact_keys(series: pl.Series) -> list[str]:
    """sha256_hex(" ".join(t.split())) of each text: the first byte of each run of white space stays, as
    a blank, the rest of the run goes, and so do the runs at either end of a text."""
    data, bounds = _utf8(series)
    space = _char_mask(data, _ASCII_SPACE, _is_space)
    gone = np.flatnonzero(space & _shifted(space, bounds, 1, edge=True))  # after white space, or a text's start
    kept = np.where(space, np.uint8(32), data)
    kept[gone] = _GONE
    kept = kept.tobytes().translate(None, bytes([_GONE]))
    starts = bounds - np.searchsorted(gone, bounds)     # each text's start (then end) in `kept`
    # a text that ends in white space kept one blank at its end (none if it is all white space)
    ends_in_space = np.zeros(len(bounds) - 1, dtype=bool)
    filled = bounds[1:] > bounds[:-1]
    ends_in_space[filled] = space[bounds[1:][filled] - 1]
    stops = starts[1:] - (ends_in_space & (starts[1:] > starts[:-1]))
    view = memoryview(kept)
    return [hashlib.sha256(view[a:b]).hexdigest() for a, b in zip(starts[:-1].tolist(), stops.tolist())]


def _word_hashes(lowered: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """polars' hash (seed 17) of every word (r"\w+") of the texts, text after text, and each text's number
    of words: the runs of word bytes are found, the other bytes deleted, and the words read as one column."""
    data, bounds = _utf8(lowered)
    word = _char_mask(data, _ASCII_WORD, _is_word)
    starts = np.flatnonzero(word & ~_shifted(word, bounds, 1, edge=False))
    ends = np.flatnonzero(word & ~_shifted(word, bounds, -1, edge=False)) + 1
    letters = np.where(word, data, np.uint8(_GONE)).tobytes().translate(None, bytes([_GONE]))
    offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    words = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(letters))
    hashes = pl.Series(words).hash(seed=17).to_numpy()
    return hashes, np.diff(np.searchsorted(starts, bounds))
