"""fingerprints() as it is computed (a piece of texts' bytes at a time, lower case written in place,
MinHash blocks that skip the windows across two texts) against a plain reference written from the
definitions, each text on its own: sha256 of " ".join(text.split()), and the least (a * shingle + b)
mod 2^61 over the shingles of five consecutive r"\\w+" words of the text lower-cased by polars."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.transform import fingerprint
from pipeline.transform.fingerprint import NUM_PERM, SHINGLE_WORDS, fingerprints, minhash_signatures, permuted_minima


def _reference_key(text: str) -> str:
    return fingerprint.sha256_hex(" ".join(text.split()))


def _reference_signature(text: str) -> np.ndarray:
    words = pl.Series([text], dtype=pl.String).str.to_lowercase().str.extract_all(r"\w+").explode().drop_nulls()
    hashes = words.hash(seed=17).to_numpy()
    if len(hashes) < SHINGLE_WORDS:   # too short for a shingle: a signature seeded by the text
        seed = int(fingerprint.sha256_hex(text)[:15], 16)
        return np.random.default_rng(seed).integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
    count = len(hashes) - SHINGLE_WORDS + 1
    shingles = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE_WORDS):
            shingles += hashes[k:k + count] * fingerprint.HASH_MIX[k]
        shingles &= fingerprint._MASK61
        values = (shingles[:, None] * fingerprint._A[None, :] + fingerprint._B[None, :]) & fingerprint._MASK61
    return values.min(axis=0)


LONG = " ".join(f"Ünit{i % 13} word{i % 997}\n" for i in range(12000))     # ~190 KB, 24,000 words
VARIANTS = [
    "", " ", "\n\t \u3000", "word", "one two three four", "one two three four five",
    "One two three four five six", "  padded   words,   five   of them  ", "a_b 12 x9 __ 0",
    # Unicode words and white space; letters whose lower case keeps their size (Š -> š, Ė -> ė, Ω -> ω)
    "Šiaulių Ėglė ÜBER Café naïve Ωmega ΔΈΛΤΑ Жук Ёлка",
    "nbsp\u00a0sep\u2028line\u3000ideo\u2003em\x85next\u205fmath\u1680ogham end of text",
    "数字 治理 论坛 网络 安全 规范 国家", "\U0001f600 smile 😀x y z w \U00010400Deseret \U00010428",
    "cafe\u0301 e\u0301te\u0301 com\u0308bining marks in five words", "zero\u200bwidth\u200djoiner\u00adsoft and more",
    # lower cases that change size or depend on the neighbours: the piece goes through polars
    "ΟΔΥΣΣΕΥΣ ΚΑΙ Η ΘΑΛΑΣΣΑ ΣΤΟ ΤΕΛΟΣ. ΑΣ'Β", "İstanbul DİYARBAKIR \u212a kelvin ẞtraße Ⱥ ȿ",
    # control characters (no NUL), the ASCII ones str.split() takes for white space among them
    "\x01\x02start\x1cfile\x1dgroup\x1erecord\x1funit\x7f\x0bvt\x0cff\x08bs\x1b esc end",
    LONG, "a" * 150_000 + " tail", " \n" * 40_000 + "five words after blank lines",
]


def _mixed(count: int, seed: int) -> list[str]:
    """Random texts of words, white space and odd characters, many of them short."""
    rng = np.random.default_rng(seed)
    pool = ["Word", "ÜBER", "Šė", "Ωx", "数字", "a_b", "9", " ", "\n", "\u3000", "\u00a0", "\x1f", "-", "'", "Σ",
            "İ", "\u212a", "\u0301", "😀", "ς", "ǅ"]
    texts = []
    for _ in range(count):
        picks = rng.choice(len(pool), int(rng.integers(0, 30)))
        # most texts without the characters that send a piece through polars' lower case
        texts.append("".join(pool[i] for i in picks if rng.random() < 0.97 or pool[i] not in "Σİ\u212a"))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    mixed = _mixed(120, 4)
    # variants between random texts: a text that starts with a word after one that ends with one
    return [t for pair in zip(mixed, VARIANTS * 6) for t in pair] + mixed[len(VARIANTS) * 6:] + ["abc", "def ghi"]


@pytest.fixture(scope="module")
def reference(texts) -> tuple[list[str], np.ndarray]:
    return [_reference_key(t) for t in texts], np.stack([_reference_signature(t) for t in texts])


@pytest.mark.parametrize("piece, chunk, translate, block", [
    (256, 2000, 1 << 16, 1 << 16), (1, 2000, 7, 5), (3, 5, 1 << 10, 1 << 10), (64, 64, 1 << 16, 1)])
def test_fingerprints_match_the_reference(texts, reference, monkeypatch, piece, chunk, translate, block):
    monkeypatch.setattr(fingerprint, "PIECE_DOCS", piece)
    monkeypatch.setattr(fingerprint, "TRANSLATE_BYTES", translate)
    monkeypatch.setattr(fingerprint, "BLOCK_SHINGLES", block)
    got = fingerprints(texts, chunk_docs=chunk)
    keys, signatures = reference
    assert [f.exact_key for f in got] == keys
    assert np.array_equal(np.stack([f.signature for f in got]), signatures)
    assert np.array_equal(minhash_signatures(texts, chunk_docs=chunk), signatures)


def test_every_variant_alone():
    for text in VARIANTS:
        [got] = fingerprints([text])
        assert got.exact_key == _reference_key(text), repr(text[:40])
        assert np.array_equal(got.signature, _reference_signature(text)), repr(text[:40])
    assert fingerprints([]) == []


def _lowered_or_none(texts: list[str]) -> bytes | None:
    data, _ = fingerprint._utf8(pl.Series(texts, dtype=pl.String))
    lowered = fingerprint._lowered(data, fingerprint._chars(data))
    return None if lowered is None else lowered[0].tobytes()


def _polars_lowered(texts: list[str]) -> bytes:
    return "".join(pl.Series(texts, dtype=pl.String).str.to_lowercase().to_list()).encode()


def test_lower_case_in_place_is_polars_lower_case():
    chars = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000]
    lower = pl.Series(chars, dtype=pl.String).str.to_lowercase().to_list()
    in_place = [c for c, low in zip(chars, lower) if c != "Σ" and len(low) == 1 and len(low.encode()) == len(c.encode())]
    others = sorted(set(chars) - set(in_place))
    assert "Σ" in others and "İ" in others and "\u212a" in others and "Š" in in_place and "数" in in_place
    assert len(others) < 200
    # every character that can be written in place, after a capital and before a small letter, in a
    # few texts: byte for byte what polars makes of the whole texts
    rng = np.random.default_rng(8)
    pieces = ["A" + c + "b " for c in in_place]
    texts = ["".join(pieces[i:i + 5000]) for i in rng.permutation(len(pieces) // 5000 + 1) * 5000]
    assert _lowered_or_none(texts) == _polars_lowered(texts)
    # any one of the others sends the piece to polars
    for c in others:
        assert _lowered_or_none(["Plain ASCII text ÜBER", "x" + c + "y"]) is None, repr(c)
    assert _lowered_or_none(["ASCII ONLY", ""]) == b"ascii only"
    assert _lowered_or_none([]) == b""


def _plain_runs(mask: np.ndarray, bounds: np.ndarray) -> tuple[list[int], list[int]]:
    starts, ends = [], []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        i = a
        while i < b:
            if mask[i]:
                j = i
                while j < b and mask[j]:
                    j += 1
                starts.append(i)
                ends.append(j)
                i = j
            else:
                i += 1
    return starts, ends


def test_runs_match_a_plain_scan():
    rng = np.random.default_rng(12)
    for _ in range(300):
        size = int(rng.integers(0, 40))
        mask = rng.random(size) < rng.random()
        bounds = np.sort(np.concatenate([[0, size], rng.integers(0, size + 1, int(rng.integers(0, 8)))]))
        starts, ends = fingerprint._runs(mask, bounds)
        assert (starts.tolist(), ends.tolist()) == _plain_runs(mask, bounds), (mask.tolist(), bounds.tolist())


@pytest.mark.parametrize("block", [1, 6, 50, 1 << 16])
def test_minima_skip_the_gaps(block):
    rng = np.random.default_rng(21)
    shingles = rng.integers(0, np.iinfo(np.uint64).max, 400, dtype=np.uint64, endpoint=True)
    lengths = rng.integers(1, 30, 20)
    gaps = rng.integers(0, 5, 20)
    starts = np.concatenate([[0], np.cumsum(lengths + gaps)[:-1]])
    stops = starts + lengths
    assert stops[-1] <= len(shingles)
    got = permuted_minima(shingles, starts, block, stops)
    with np.errstate(over="ignore"):
        for i, (a, b) in enumerate(zip(starts, stops)):
            values = (shingles[a:b, None] * fingerprint._A + fingerprint._B) & fingerprint._MASK61
            assert np.array_equal(got[i], values.min(axis=0))


def test_char_mask_with_chars_decoded_once():
    data = np.frombuffer("ÜBER\u3000x\u00a0数 _9 😀\x1f".encode(), dtype=np.uint8)
    chars = fingerprint._chars(data)
    for ranges, holds in [(fingerprint._ASCII_SPACE, fingerprint._is_space), (fingerprint._ASCII_WORD, fingerprint._is_word)]:
        assert np.array_equal(fingerprint._char_mask(data, ranges, holds, chars), fingerprint._char_mask(data, ranges, holds))
    space = fingerprint._char_mask(data, fingerprint._ASCII_SPACE, fingerprint._is_space, chars)
    text = data.tobytes().decode()
    assert space.tolist() == [c.isspace() for c in text for _ in c.encode()]
