"""What de-duplication keeps of each document, computed where the text is read (in the parse
stage), so the text can go: an exact key and a MinHash signature over word 5-shingles, and the
session keys that find mirrors. The thresholds that decide what is a copy live in dedup.py: changing
them does not parse anything again (the parse cache is keyed by this module, not by dedup.py).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

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
        for piece in _pieces(chunk, series):
            out += map(Fingerprint, _exact_keys(piece.data, piece.bounds, piece.chars), piece.signatures())
    return out


def session_keys(parsed: ParsedDocument) -> tuple[tuple[str, str, str, str], ...]:
    """(title, date, start, description digest), folded, of each session a document states."""
    return tuple(
        (fold(s.title), s.date.isoformat() if s.date else "", s.start_time.isoformat() if s.start_time else "",
         stable_id("d", folded) if (folded := fold(s.description)) else "")
        for s in parsed.sessions
    )


# About 512 KB of shingles: a block and its permuted values stay in the core's L2 cache through all
# NUM_PERM permutations (1 MB blocks spilled: 10-15% slower; much smaller ones pay numpy's call per pass)
BLOCK_SHINGLES = 1 << 16


def permuted_minima(shingles: np.ndarray, starts: np.ndarray, block: int = BLOCK_SHINGLES,
                    stops: np.ndarray | None = None) -> np.ndarray:
    """(documents, NUM_PERM): each document's least value of (a * shingle + b) mod 2^61 for every
    permutation (a, b); a document's shingles are shingles[starts[i]:stops[i]] (stops: the next start,
    then the end, when not given; the shingles between a stop and the next start are not read into
    any minimum). Worked a block of whole documents at a time through every permutation, in one reused
    buffer (about the core's L2 cache with the block's shingles): twice as fast as a pass over all shingles per permutation, and the same values. A shingle
    needs no masking to 61 bits first: 8a * (x mod 2^61) and 8a * x are equal mod 2^64."""
    out = np.empty((len(starts), NUM_PERM), dtype=np.uint64)
    stops = np.append(starts[1:], len(shingles)) if stops is None else stops
    buffer = np.empty(0, dtype=np.uint64)
    first = 0
    while first < len(starts):
        # the documents that end within `block` shingles of this one's start (at least this one)
        last = max(first + 1, int(np.searchsorted(stops, starts[first] + block, side="right")))
        low, high = starts[first], stops[last - 1]
        buffer = buffer if len(buffer) >= high - low else np.empty(high - low, dtype=np.uint64)
        # each document's span, then the gap up to the next one's start (its minimum is dropped); the
        # last span runs to the block's end
        bounds = np.stack([starts[first:last], stops[first:last]], axis=1).ravel()[:-1] - low
        out[first:last] = _block_minima(shingles[low:high], bounds, buffer[:high - low])[:, ::2].T
        first = last
    return np.right_shift(out, np.uint64(3), out=out)


_PERMUTATIONS = list(zip(_A8, _B8))


def _block_minima(shingles: np.ndarray, bounds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(NUM_PERM, len(bounds)): the least (8a * shingle + 8b) mod 2^64 of each span of shingles from a
    bound to the next (the last to the end), for each permutation; `values`: a buffer of their size.
    Each pass writes into a buffer: a permutation costs three numpy calls and no new array."""
    minima = np.empty((NUM_PERM, len(bounds)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for (a, b), row in zip(_PERMUTATIONS, minima):
            np.multiply(shingles, a, out=values)
            np.add(values, b, out=values)
            np.minimum.reduceat(values, bounds, out=row)
    return minima


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
    """The signatures of a chunk of texts (`series` holds the same texts), a piece of texts at a time:
    a piece's words, shingles and permuted values stay in the core's cache."""
    sig = np.empty((len(chunk), NUM_PERM), dtype=np.uint64)
    for piece in _pieces(chunk, series):
        sig[piece.first:piece.first + len(piece.texts)] = piece.signatures()
    return sig


@dataclass(frozen=True)
class _Piece:
    """PIECE_DOCS texts of a chunk, from its `first`, with their UTF-8 bytes decoded once for the exact
    keys and the signatures."""
    first: int
    texts: list[str]
    series: pl.Series
    data: np.ndarray
    bounds: np.ndarray
    chars: _Chars

    def signatures(self) -> np.ndarray:
        hashes, lengths = _piece_words(self.series, self.data, self.bounds, self.chars)
        return _piece_signatures(hashes, lengths, self.texts)


def _pieces(chunk: list[str], series: pl.Series):
    """The chunk's texts (`series` holds the same texts) a piece at a time: a piece's bytes, words,
    shingles and permuted values stay in the core's cache."""
    for first in range(0, len(chunk), PIECE_DOCS):
        piece = series[first:first + PIECE_DOCS]
        data, bounds = _utf8(piece)
        yield _Piece(first, chunk[first:first + PIECE_DOCS], piece, data, bounds, _chars(data))


def _piece_signatures(hashes: np.ndarray, lengths: np.ndarray, texts: list[str]) -> np.ndarray:
    """The signatures of texts whose words' hashes are `hashes`, text after text (`lengths` words each)."""
    sig = np.empty((len(texts), NUM_PERM), dtype=np.uint64)
    shingled = lengths >= SHINGLE_WORDS
    if shingled.any():
        # a text's shingles start at its first word and stop SHINGLE_WORDS - 1 words before its end;
        # the windows across two texts are made too, and left out of every minimum
        starts = (np.cumsum(lengths) - lengths)[shingled]
        sig[shingled] = permuted_minima(_shingles(hashes), starts, BLOCK_SHINGLES,
                                        starts + lengths[shingled] - (SHINGLE_WORDS - 1))
    # documents with fewer than five words: a signature of their own, never a candidate of others
    for i in np.flatnonzero(~shingled).tolist():
        seed = int(sha256_hex(texts[i])[:15], 16)
        sig[i] = np.random.default_rng(seed).integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
    return sig


def _shingles(hashes: np.ndarray) -> np.ndarray:
    """Every window of SHINGLE_WORDS consecutive word hashes combined into one uint64 (wrapping)."""
    count = len(hashes) - SHINGLE_WORDS + 1
    with np.errstate(over="ignore"):
        shingle = np.multiply(hashes[:count], HASH_MIX[0])
        term = np.empty_like(shingle)
        for k in range(1, SHINGLE_WORDS):
            shingle += np.multiply(hashes[k:k + count], HASH_MIX[k], out=term)
    return shingle


# -- Words and white space found on a chunk's UTF-8 bytes at once, with numpy ------------------------
# `str.extract_all(r"\w+")` and `" ".join(t.split())` make an object per word (about 1,000 a document)
# and cost most of the time; a few passes over all of a chunk's bytes give the same words and the same
# collapsed text. ASCII bytes are classed by their value; the few non-ASCII characters are decoded and
# classed once per distinct character by the very rule they replace (polars' regex \w, str.isspace).
# Each pass makes as few arrays of the piece's size as it can: a new one costs more than the pass.
_ASCII_SPACE = [(9, 13), (28, 32)]                      # the ASCII characters str.isspace() holds for
_ASCII_WORD = [(48, 57), (65, 90), (95, 95), (97, 122)]  # and \w: digits, letters, underscore
# texts worked at once: about 2 MB, so each pass over the bytes reads them from the core's cache
PIECE_DOCS = 256
TRANSLATE_BYTES = 1 << 16


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


@dataclass(frozen=True)
class _Chars:
    """The non-ASCII characters of a piece's bytes, decoded once for every rule that classes them."""
    lead: np.ndarray        # where each starts
    size: np.ndarray        # its size in bytes
    which: np.ndarray       # its number in `distinct`
    distinct: list[str]


def _chars(data: np.ndarray) -> _Chars:
    lead, size, code = _non_ascii_chars(data)
    distinct, which = np.unique(code, return_inverse=True)
    return _Chars(lead, size, which, [chr(c) for c in distinct.tolist()])


@lru_cache(maxsize=None)
def _ascii_table(ascii_ranges: tuple[tuple[int, int], ...]) -> bytes:
    """bytes.translate's table that turns a byte into 1 if it is in one of the ranges, else into 0."""
    table = bytearray(256)
    for low, high in ascii_ranges:
        table[low:high + 1] = b"\x01" * (high + 1 - low)
    return bytes(table)


def _translated(data: np.ndarray, table: bytes) -> np.ndarray:
    """Each byte looked up in a bytes.translate table, in C, a block at a time: the copies translate
    needs stay small and in the core's cache (a uint8 comparison a range made two piece-sized arrays,
    whose page faults cost more than the passes)."""
    out = np.empty(len(data), dtype=np.uint8)
    for start in range(0, len(data), TRANSLATE_BYTES):
        block = data[start:start + TRANSLATE_BYTES]
        out[start:start + len(block)] = np.frombuffer(block.tobytes().translate(table), dtype=np.uint8)
    return out


def _char_mask(data: np.ndarray, ascii_ranges: list[tuple[int, int]], holds, chars: _Chars | None = None) -> np.ndarray:
    """True on every byte of the characters of a class: ASCII bytes in `ascii_ranges`, other characters
    those `holds` (a list of distinct characters -> a list of bools) says belong (`chars`: data's, if
    decoded already)."""
    mask = _translated(data, _ascii_table(tuple(map(tuple, ascii_ranges)))).view(bool)
    chars = _chars(data) if chars is None else chars
    if len(chars.lead):
        belongs = np.asarray(holds(chars.distinct), dtype=bool)[chars.which]
        lead, size = chars.lead[belongs], chars.size[belongs]
        for k in range(4):
            mask[lead[size > k] + k] = True
    return mask


def _is_word(chars: list[str]) -> list[bool]:
    return pl.Series(chars, dtype=pl.String).str.contains(r"^\w$").to_list()


def _is_space(chars: list[str]) -> list[bool]:
    return [c.isspace() for c in chars]


def _kept(data: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The bytes of data where keep is True, in order: polars' filter takes about a tenth of the time
    of numpy's or of bytes.translate's deletion."""
    return pl.Series(data, dtype=pl.UInt8).filter(pl.Series(keep, dtype=pl.Boolean)).to_numpy()


def _exact_keys(data: np.ndarray, bounds: np.ndarray, chars: _Chars) -> list[str]:
    """sha256_hex(" ".join(t.split())) of each text (data and bounds: the texts' bytes and where each
    starts, as _utf8 gives them): the first byte of each run of white space stays, as a blank, the rest
    of the run goes, and so do the runs at either end of a text."""
    space = _char_mask(data, _ASCII_SPACE, _is_space, chars)
    gone = np.empty_like(space)    # white space after white space, or at a text's start
    np.logical_and(space[1:], space[:-1], out=gone[1:])
    firsts = bounds[:-1][bounds[:-1] < len(data)]
    gone[firsts] = space[firsts]
    starts = bounds - np.searchsorted(np.flatnonzero(gone), bounds)     # each text's start (then end) in `kept`
    # a white-space byte turned into a blank (uint8 wraps): data - (data - 32) where space, data elsewhere
    blanks = np.subtract(data, np.uint8(32))
    np.subtract(data, np.multiply(blanks, space.view(np.uint8), out=blanks), out=blanks)
    kept = _kept(blanks, np.logical_not(gone, out=gone))
    # a text that ends in white space kept one blank at its end (none if it is all white space)
    ends_in_space = np.zeros(len(bounds) - 1, dtype=bool)
    filled = bounds[1:] > bounds[:-1]
    ends_in_space[filled] = space[bounds[1:][filled] - 1]
    stops = starts[1:] - (ends_in_space & (starts[1:] > starts[:-1]))
    view = memoryview(kept)
    return [hashlib.sha256(view[a:b]).hexdigest() for a, b in zip(starts[:-1].tolist(), stops.tolist())]


# -- Lower case: polars' str.to_lowercase maps each character on its own, but Σ (σ, or ς at a word's
# end) -------------------------------------------------------------------------------------------------
_ASCII_LOWER = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))


def _lowered(data: np.ndarray, chars: _Chars) -> tuple[np.ndarray, _Chars] | None:
    """data lower-cased as polars' str.to_lowercase does it, and its non-ASCII characters, when each
    character's lower case is one character of its size, where it stood; else None (Σ, whose lower case
    depends on its neighbours; İ, two characters; the Kelvin sign, one byte)."""
    lower = pl.Series(chars.distinct, dtype=pl.String).str.to_lowercase().to_list()
    if "Σ" in chars.distinct or any(len(low) != 1 or len(low.encode()) != len(char.encode())
                                    for char, low in zip(chars.distinct, lower)):
        return None
    lowered = _translated(data, _ASCII_LOWER)
    changed = np.array([low != char for char, low in zip(chars.distinct, lower)], dtype=bool)
    if changed.any():
        encoded = np.zeros((len(lower), 4), dtype=np.uint8)
        for i in np.flatnonzero(changed).tolist():
            utf8 = lower[i].encode()
            encoded[i, :len(utf8)] = np.frombuffer(utf8, dtype=np.uint8)
        at = changed[chars.which]
        lead, size, which = chars.lead[at], chars.size[at], chars.which[at]
        for k in range(4):
            lowered[lead[size > k] + k] = encoded[which[size > k], k]
    return lowered, _Chars(chars.lead, chars.size, chars.which, lower)


def _piece_words(piece: pl.Series, data: np.ndarray, bounds: np.ndarray, chars: _Chars) -> tuple[np.ndarray, np.ndarray]:
    """_word_hashes of the piece's texts lower-cased (data, bounds, chars: the piece's own, as _utf8 and
    _chars give them): lower-cased in place where that gives polars' bytes, by polars where not."""
    lowered = _lowered(data, chars)
    if lowered is None:
        return _word_hashes(piece.str.to_lowercase())
    return _hashes_of_words(lowered[0], bounds, lowered[1])


def _runs(mask: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of True in mask starts and ends (one past it); a run never spans two texts."""
    if not len(mask):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # one pass finds every byte where the mask changes (runs' starts and ends alternate)
    changes = np.empty(len(mask) + 1, dtype=bool)
    changes[0], changes[-1] = mask[0], mask[-1]
    np.not_equal(mask[1:], mask[:-1], out=changes[1:-1])
    at = np.flatnonzero(changes)
    # a text that starts in a run where the text before it ends in one: that run ends and one starts
    cuts = np.unique(bounds[1:-1])
    cuts = cuts[(cuts > 0) & (cuts < len(mask))]
    cuts = cuts[mask[cuts] & mask[cuts - 1]]
    if len(cuts):
        at = np.insert(at, np.searchsorted(at, cuts).repeat(2), cuts.repeat(2))
    return at[0::2], at[1::2]


def _word_hashes(lowered: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """polars' hash (seed 17) of every word (r"\w+") of the texts, text after text, and each text's number
    of words."""
    data, bounds = _utf8(lowered)
    return _hashes_of_words(data, bounds, _chars(data))


def _hashes_of_words(data: np.ndarray, bounds: np.ndarray, chars: _Chars) -> tuple[np.ndarray, np.ndarray]:
    """_word_hashes of texts' bytes (data, bounds, chars as _utf8 and _chars give them): the runs of word
    bytes are found, the other bytes deleted, and the words read as one column."""
    word = _char_mask(data, _ASCII_WORD, _is_word, chars)
    starts, ends = _runs(word, bounds)
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(np.subtract(ends, starts, out=offsets[1:]), out=offsets[1:])
    words = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(_kept(data, word)))
    hashes = pl.Series(words).hash(seed=17).to_numpy()
    return hashes, np.diff(np.searchsorted(starts, bounds))
