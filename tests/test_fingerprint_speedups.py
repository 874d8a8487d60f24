"""The fingerprint and parse-shard shortcuts give what the plain forms give: each test runs the
shortcut and the form it replaced (as the code read before) on made-up variants, edge cases included."""
from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest

from pipeline.incremental import parse_cache
from pipeline.incremental.parse_cache import SHARD_COLUMNS, TASK_COLUMNS, ParseTask
from pipeline.ingest import RawFile, ingest_shard
from pipeline.model.records import summarize
from pipeline.parse import parse_texts
from pipeline.transform import fingerprint
from pipeline.transform.dedup import BANDS, ROWS
from pipeline.transform.fingerprint import HASH_MIX, NUM_PERM, SHINGLE_WORDS, minhash_signatures, permuted_minima
from tests.test_fingerprint_blocks import _per_permutation

_MAX = np.iinfo(np.uint64).max


# -- permuted_minima: permuted by (8a, 8b) and shifted back, no masking pass ----------------------
# the plain form, (a * x + b) & (2^61 - 1) for every shingle, least per document, is the blocks test's
_masked_minima = _per_permutation


EDGE_SHINGLES = np.array([0, 1, 2, 7, 8, (1 << 61) - 2, (1 << 61) - 1, 1 << 61, (1 << 63) - 1, 1 << 63,
                          (1 << 64) - 9, (1 << 64) - 2, (1 << 64) - 1], dtype=np.uint64)


@pytest.mark.parametrize("block", [1, 4, 13, 1 << 17])
def test_shifted_permutation_gives_the_masked_minima(block):
    rng = np.random.default_rng(11)
    shingles = np.concatenate([EDGE_SHINGLES, rng.integers(0, _MAX, 300, dtype=np.uint64, endpoint=True),
                               rng.integers(0, (1 << 61) - 1, 50, dtype=np.uint64)])
    lengths = np.array([1, 1, 3, 8, 60, 2, 1, 200, 86, 1])
    assert lengths.sum() == len(shingles)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    got = permuted_minima(shingles, starts, block)
    assert got.dtype == np.uint64 and got.shape == (10, NUM_PERM)
    assert np.array_equal(got, _masked_minima(shingles, starts))
    assert (got < np.uint64(1 << 61)).all()
    # each edge shingle alone (one-shingle documents): exactly its permuted value
    ones = np.arange(len(EDGE_SHINGLES))
    assert np.array_equal(permuted_minima(EDGE_SHINGLES, ones, block), _masked_minima(EDGE_SHINGLES, ones))


def test_shift_identity_on_edge_values():
    a, b = fingerprint._A, fingerprint._B
    with np.errstate(over="ignore"):
        for x in EDGE_SHINGLES:
            masked = (x * a + b) & fingerprint._MASK61
            shifted = (x * fingerprint._A8 + fingerprint._B8) >> np.uint64(3)
            assert np.array_equal(masked, shifted)
    assert np.array_equal(fingerprint._A8 >> np.uint64(3), a) and np.array_equal(fingerprint._B8 >> np.uint64(3), b)


# -- minhash_signatures: document starts read off the ascending doc_of, not np.unique -------------
def _plain_signatures(texts: list[str]) -> np.ndarray:
    """minhash_signatures as it read before: np.unique for the starts, masked permutations."""
    sig = np.full((len(texts), NUM_PERM), _MAX, dtype=np.uint64)
    words = pl.Series(texts, dtype=pl.String).str.to_lowercase().str.extract_all(r"\w+")
    lengths = words.list.len().fill_null(0).to_numpy().astype(np.int64)
    hashes = words.explode().drop_nulls().hash(seed=17).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    count = len(hashes) - SHINGLE_WORDS + 1
    if count > 0:
        with np.errstate(over="ignore"):
            shingle = np.zeros(count, dtype=np.uint64)
            for k in range(SHINGLE_WORDS):
                shingle += hashes[k:k + count] * fingerprint.HASH_MIX[k]
        doc_of = np.repeat(np.arange(len(texts)), lengths)[:count]
        valid = np.arange(count) + SHINGLE_WORDS - 1 < offsets[doc_of + 1]
        shingle, doc_of = shingle[valid], doc_of[valid]
        if len(shingle):
            present, starts = np.unique(doc_of, return_index=True)
            sig[present] = _masked_minima(shingle & fingerprint._MASK61, starts)
    for i in np.where((sig == _MAX).all(axis=1))[0]:
        seed = int(fingerprint.sha256_hex(texts[i])[:15], 16)
        sig[i] = np.random.default_rng(seed).integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
    return sig


VARIANT_TEXTS = [
    "", "   ", "too short", "one two three four", "one two three four five",
    "Chair: Ms. Ana Silva (Brazil) opened the session on norms of state behaviour.",
    "ΟΔΥΣΣΕΥΣ ΚΑΙ Η ΘΑΛΑΣΣΑ ΣΤΟ ΤΕΛΟΣ. Straße groß İstanbul ǅemal Ǆ ﬁnance",
    "tab\tsep\x1cfile\x1dgroup\x1erecord\x1funit  words\u00a0nbsp\u2028line\u3000ideo end",
    "数字 治理 论坛 网络 安全 规范 国家 行为 责任 合作",
    "a_b c_d e1 2f 3 4 5 6 7 8 -- ## ** !! ?? word word word word word word",
    "\n\n\n", "x " * 40, "Zero\u200bwidth joiner\u200d and soft\u00adhyphen in five or more words here",
]


@pytest.mark.parametrize("chunk_docs", [1, 2, 5, 2000])
def test_signatures_match_the_plain_form(chunk_docs):
    # short and empty texts between long ones: documents without shingles leave gaps in doc_of
    texts = VARIANT_TEXTS + [" ".join(f"panel {i} heard measure {j}" for j in range(i)) for i in range(9)]
    texts = texts[::2] + texts[1::2]
    got = minhash_signatures(texts, chunk_docs=chunk_docs)
    want = np.concatenate([_plain_signatures(texts[s:s + chunk_docs]) for s in range(0, len(texts), chunk_docs)])
    assert np.array_equal(got, want)
    assert len({row.tobytes() for row in got}) == len(set(texts))


def test_starts_of_an_ascending_doc_of():
    for doc_of in ([0], [3], [0, 0, 0], [0, 1, 2], [0, 0, 2, 2, 2, 5, 9, 9], [4, 4, 4, 4, 7]):
        doc_of = np.array(doc_of, dtype=np.int64)
        starts = np.flatnonzero(np.diff(doc_of, prepend=-1))
        present, want = np.unique(doc_of, return_index=True)
        assert np.array_equal(starts, want) and np.array_equal(doc_of[starts], present)


# -- _parsed_rows: the shard frame built a column at a time --------------------------------------
SHARD_TEXTS = [
    "Session: Norms of responsible state behaviour\nDate: 12 March 2024\nChair: Ms. Ana Silva (Brazil)\n",
    "# Workshop on cyber capacity\n\nSpeakers: Mr. Jean Dupont, France; Dr. Li Wei, China\n",
    "<html><body><h1>Open-ended working group</h1><p>Ministry of Foreign Affairs — statement</p></body></html>",
    "ΟΔΥΣΣΕΥΣ\u3000tab\tunit\x1f sep",
    "short",
]


def _plain_rows(task: ParseTask) -> tuple[pl.DataFrame, dict]:
    """The plain form: one dict per parse, the signature as a Python list, a frame made of the rows."""
    todo = []
    for row in task.rows.to_dicts():
        if row["kept_in"] is None:
            loaded = parse_cache.load_document(RawFile(row["path"], row["location"]))
            if loaded.text is not None and loaded.sha256 == row["sha256"]:
                todo.append((row["parse_key"], loaded.text, row["format"]))
    rows, summaries = [], {}
    for (key, _, _), result in zip(todo, parse_texts([(text, fmt) for _, text, fmt in todo])):
        summary = summaries[key] = summarize(result.document)
        signature = result.signature.tolist()
        bands = [sum(v * int(m) for v, m in zip(signature[b * ROWS:(b + 1) * ROWS], HASH_MIX)) % (1 << 64) for b in range(BANDS)]
        rows.append({"key": key, "exact_key": result.exact_key, "bands": bands, "signature": signature,
                     "session_keys": [list(k) for k in result.session_keys], "format": summary.format,
                     "title": summary.title, "url": summary.url, "problems": len(summary.problems),
                     "sessions": len(summary.sessions),
                     "summary": pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL),
                     "document": pickle.dumps(result.document, protocol=pickle.HIGHEST_PROTOCOL)})
    return pl.DataFrame(rows, schema=SHARD_COLUMNS), summaries


def _task(tmp_path, texts: list[str], kept: set[int] = frozenset(), changed: set[int] = frozenset()) -> ParseTask:
    rows = []
    for i, text in enumerate(texts):
        path = tmp_path / f"doc{i}.txt"
        path.write_text(text, encoding="utf-8")
        ingested = ingest_shard([RawFile(str(path), str(path))]).row(0, named=True)
        if i in changed:  # rewritten since ingest hashed it
            path.write_text(text + " rewritten", encoding="utf-8")
        rows.append({"document_id": f"d{i}", "path": str(path), "location": str(path), "sha256": ingested["sha256"],
                     "format": ingested["format"], "parse_key": f"{i:02d}-key", "kept_in": "ab" if i in kept else None})
    return ParseTask("ab", pl.DataFrame(rows, schema=TASK_COLUMNS), str(tmp_path / "cache"))


@pytest.mark.parametrize("texts, kept, changed", [
    (SHARD_TEXTS, set(), set()),
    (SHARD_TEXTS, {1}, {3}),
    ([], set(), set()),
    (SHARD_TEXTS[:2], {0, 1}, set()),   # nothing new: an empty frame of the shard's schema
    (SHARD_TEXTS[:1], set(), {0}),
])
def test_shard_frame_matches_the_rows_form(tmp_path, texts, kept, changed):
    task = _task(tmp_path, texts, kept, changed)
    got = parse_cache._parsed_rows(task)
    want, want_summaries = _plain_rows(task)
    assert got.schema == pl.Schema(SHARD_COLUMNS)
    assert got.height == len(texts) - len(kept | changed)
    assert got.equals(want)  # pickles too, byte for byte (one process: its frozensets iterate alike)
    assert dict(zip(got["key"], [pickle.loads(b) for b in got["summary"]])) == want_summaries
    assert list(want_summaries) == got["key"].to_list()
    if got.height:
        assert got["signature"].list.len().to_list() == [NUM_PERM] * got.height


# -- exact keys and word hashes read off a chunk's UTF-8 bytes with numpy ---------------------------
# The plain forms: `" ".join(t.split())` hashed, and polars' regex words of the lower-cased texts.
def _plain_exact_key(text: str) -> str:
    return fingerprint.sha256_hex(" ".join(text.split()))


def _plain_word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    words = pl.Series(texts, dtype=pl.String).str.to_lowercase().str.extract_all(r"\w+")
    return (words.explode().drop_nulls().hash(seed=17).to_numpy(),
            words.list.len().fill_null(0).to_numpy().astype(np.int64))


_SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]   # \x1c-\x1f, \x85, \xa0, \u2028, \u3000...
_ODD = ["\x00", "_", "9", "\u0663", "\u0301", "\u0307", "\u200c", "\u200d", "\u200b", "\u00ad", "İ", "ı", "ß", "ẞ",
        "\u212a", "Σ", "σ", "ς", "ǅ", "Ǆ", "ﬁ", "–", "—", "'", ".", "数", "字", "\U0001f600", "\U00010400",
        "\u2160", "\u24b6", "\u0130\u0307", "\x89", "\x7f", "\ufeff", "Å", "\u212b", "ǰ", "ŉ", "Ⱥ", "ȿ"]


def _variants(count: int, seed: int) -> list[str]:
    """Random mixes of words, every kind of white space and characters whose case or class is odd."""
    rng = np.random.default_rng(seed)
    pool = _SPACES + _ODD + list("abcXYZ019 \n\t ")
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(int(rng.integers(0, 40))):
            pick = rng.random()
            if pick < 0.4:
                parts.append(str(rng.choice(["Word", "ÖL", "ΟΔΟΣ", "Straße", "İstanbul", "x", "a_b", "12", "數字"])))
            elif pick < 0.7:
                parts.append("".join(rng.choice(_SPACES, int(rng.integers(1, 4)))))
            else:
                parts.append("".join(rng.choice(pool, int(rng.integers(1, 6)))))
        texts.append("".join(parts))
    return texts + ["", " ", "\u3000", "x", "\x1cx\x1f", "a b c d e", "a b c d e f"] + VARIANT_TEXTS


def _real_texts(limit: int = 300) -> list[str]:
    from pipeline.ingest import RawFile, load_document
    from pathlib import Path
    files = [f for root in ("/work/shared/corpus/raw", "/work/main/raw") if Path(root).is_dir()
             for f in sorted(Path(root).rglob("*")) if f.is_file()]
    files = [files[i] for i in np.random.default_rng(3).permutation(len(files))[:limit]]
    texts = [load_document(RawFile(str(f), str(f))).text for f in files]
    return [t for t in texts if t is not None]


@pytest.fixture(scope="module")
def variant_texts() -> list[str]:
    return _variants(400, 7)


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    texts = _real_texts()
    if not texts:
        pytest.skip("no corpus files here")
    return texts


@pytest.mark.parametrize("piece", [1, 3, 256])
def test_exact_keys_match_the_plain_join(variant_texts, piece, monkeypatch):
    monkeypatch.setattr(fingerprint, "PIECE_DOCS", piece)
    texts = variant_texts[:150] if piece < 256 else variant_texts
    got = [f.exact_key for f in fingerprint.fingerprints(texts, chunk_docs=97)]
    wrong = [t for t, key in zip(texts, got) if key != _plain_exact_key(t)]
    assert not wrong


@pytest.mark.parametrize("piece", [1, 3, 256])
def test_word_hashes_match_the_regex_words(variant_texts, piece, monkeypatch):
    monkeypatch.setattr(fingerprint, "PIECE_DOCS", piece)
    texts = variant_texts[:150] if piece < 256 else variant_texts
    lowered = pl.Series(texts, dtype=pl.String).str.to_lowercase()
    pieces = fingerprint._in_pieces(lowered, fingerprint._word_hashes)
    want_hashes, want_lengths = _plain_word_hashes(texts)
    assert np.array_equal(np.concatenate([n for _, n in pieces]), want_lengths)
    assert np.array_equal(np.concatenate([h for h, _ in pieces]), want_hashes)
    # each text alone too: a text's words never run into the next text's
    for text in texts[:60]:
        hashes, lengths = fingerprint._word_hashes(pl.Series([text], dtype=pl.String).str.to_lowercase())
        want = _plain_word_hashes([text])
        assert np.array_equal(hashes, want[0]) and np.array_equal(lengths, want[1]), repr(text)


def test_character_classes_are_the_plain_rules():
    # every non-ASCII character is classed by the rule itself; the ASCII ranges must be those rules too
    ascii_chars = [chr(c) for c in range(128)]
    for ranges, rule in [(fingerprint._ASCII_SPACE, str.isspace),
                         (fingerprint._ASCII_WORD, lambda c: fingerprint._is_word([c])[0])]:
        data = np.frombuffer(bytes(range(128)), dtype=np.uint8)
        assert fingerprint._char_mask(data, ranges, lambda chars: []).tolist() == [rule(c) for c in ascii_chars]
    chars = [c for c in "".join(_SPACES + _ODD) + "éЁÿ" if not c.isascii()]
    data = np.frombuffer("".join(chars).encode(), dtype=np.uint8)
    for holds, rule in [(fingerprint._is_space, str.isspace), (fingerprint._is_word, lambda c: fingerprint._is_word([c])[0])]:
        want = [rule(c) for c in chars for _ in c.encode()]
        assert fingerprint._char_mask(data, [], holds).tolist() == want


def test_fingerprints_match_the_plain_forms_on_corpus_texts(real_texts, variant_texts):
    texts = real_texts + variant_texts[:100]
    got = fingerprint.fingerprints(texts, chunk_docs=150)
    want_sigs = np.concatenate([_plain_signatures(texts[s:s + 150]) for s in range(0, len(texts), 150)])
    assert [f.exact_key for f in got] == [_plain_exact_key(t) for t in texts]
    assert np.array_equal(np.stack([f.signature for f in got]), want_sigs)
    assert np.array_equal(minhash_signatures(texts, chunk_docs=150), want_sigs)
    assert fingerprint.fingerprints([]) == [] and minhash_signatures([]).shape == (0, NUM_PERM)
