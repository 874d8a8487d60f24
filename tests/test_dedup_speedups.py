"""The vectorised de-duplication (LSH buckets by an unstable sort, exact copies and shared sessions
grouped by polars, views made only for the documents a decision reads) against the plain forms it
replaced, on inputs made to hit every case: huge buckets, identical signatures, repeated session
keys, empty fields, several formats."""
from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.model.ids import duplicate_cluster_id
from pipeline.transform import dedup
from pipeline.transform.dedup import DocumentView, DocumentViews, DuplicateRow, find_duplicates
from pipeline.transform.fingerprint import HASH_MIX, NUM_PERM, fingerprints


def plain_band_codes(columns: np.ndarray) -> np.ndarray:
    """Candidate codes the plain way: a stable sort of every band's keys, windows over all of them."""
    n = len(columns)
    found = [np.empty(0, dtype=np.int64)]
    for band in range(columns.shape[1] // dedup.ROWS):
        block = np.ascontiguousarray(columns[:, band * dedup.ROWS:(band + 1) * dedup.ROWS])
        with np.errstate(over="ignore"):
            keys = (block * HASH_MIX[:dedup.ROWS]).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        for step in range(1, dedup.MAX_BUCKET_PAIRS):
            same = sorted_keys[step:] == sorted_keys[:-step]
            if not same.any():
                break
            found.append(order[:-step][same].astype(np.int64) * n + order[step:][same])
    return np.unique(np.concatenate(found))


def _signatures(rng: np.random.Generator, documents: int, values: int) -> np.ndarray:
    """Signatures whose minima come from `values` values: few values, huge buckets."""
    signatures = rng.integers(0, values, (documents, NUM_PERM), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    if documents > 3:
        signatures[documents // 2] = signatures[1]  # identical signatures
    return signatures


@pytest.mark.parametrize("documents", [0, 1, 2, 3, 40, 300])
def test_band_codes_equal_the_stable_sort(documents):
    rng = np.random.default_rng(documents)
    mismatches = []
    for values in (1, 2, 3, 5, 1 << 40):
        signatures = _signatures(rng, documents, values)
        for width in (dedup.BANDS * dedup.ROWS, dedup.BANDS_PER_TASK * dedup.ROWS, dedup.ROWS):
            columns = np.ascontiguousarray(signatures[:, :width])
            got = dedup.band_candidate_codes(dedup.BandTask(dedup.band_keys(columns)))
            if not np.array_equal(got, plain_band_codes(columns)):
                mismatches.append((values, width))
    assert mismatches == []


def test_band_keys_are_the_rows_mixed():
    columns = _signatures(np.random.default_rng(3), 50, 1 << 62)
    keys = dedup.band_keys(columns)
    assert keys.shape == (dedup.BANDS, 50) and keys.flags["C_CONTIGUOUS"]
    for band in (0, 7, dedup.BANDS - 1):
        expected = [sum(int(v) * int(m) for v, m in zip(row, HASH_MIX)) % (1 << 64)
                    for row in columns[:, band * dedup.ROWS:(band + 1) * dedup.ROWS]]
        assert keys[band].tolist() == expected


def test_shared_buckets_keep_row_order_and_leave_single_keys_out():
    keys = np.array([5, 3, 5, 9, 3, 5, 7, 3], dtype=np.uint64)
    shared_keys, members = dedup.shared_buckets(keys)
    assert shared_keys.tolist() == [3, 3, 3, 5, 5, 5] and members.tolist() == [1, 4, 7, 0, 2, 5]
    assert [a.tolist() for a in dedup.shared_buckets(np.array([4, 1], dtype=np.uint64))] == [[], []]


def test_candidate_pairs_here_equal_those_of_band_tasks():
    signatures = _signatures(np.random.default_rng(5), 200, 4)
    bands = dedup.band_keys(signatures[:, :dedup.BANDS * dedup.ROWS])
    here = dedup.lsh_candidate_pairs(bands)
    spread = dedup.lsh_candidate_pairs(bands, lambda function, tasks: [function(t) for t in tasks])
    codes = plain_band_codes(signatures[:, :dedup.BANDS * dedup.ROWS])
    assert np.array_equal(here, spread) and len(here) > 0
    assert here.tolist() == [[int(c) // 200, int(c) % 200] for c in codes]
    assert dedup.lsh_candidate_pairs(bands[:, :1]).shape == (0, 2)


def _random_views(seed: int, documents: int = 120) -> list[DocumentView]:
    """Documents copying each other every way: exact, near (a word changed), retitled, mirrors
    (one session stated among other text), boilerplate shared by many; random problems, archive
    addresses, repeated and half-empty session keys, two formats."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)]
    bases = [" ".join(rng.choices(words, k=120)) for _ in range(12)]
    boilerplate = " ".join(rng.choices(words, k=300))
    pool = [(f"t{t}", f"2024-0{d}-1{d}", rng.choice(["", "10:00"]), rng.choice(["", f"d{t}"]))
            for t in range(6) for d in range(1, 4)] + [("", "2024-01-11", "", "d0"), ("t0", "", "", "d0")]
    texts, views_keys = [], []
    for _ in range(documents):
        kind = rng.random()
        if kind < 0.25:
            text = boilerplate + " " + " ".join(rng.choices(words, k=rng.choice([1, 3, 40])))
        else:
            words_of = rng.choice(bases).split()
            for _ in range(rng.choice([0, 0, 1, 3, 30])):
                words_of[rng.randrange(len(words_of))] = rng.choice(words)
            text = " ".join(words_of)
        keys = tuple(rng.choice(pool) for _ in range(rng.choice([0, 1, 1, 2])))
        if keys and rng.random() < 0.1:
            keys = keys + keys[:1]  # the same session stated twice
        texts.append(text)
        views_keys.append(keys)
    prints = fingerprints(texts)
    return [DocumentView(f"doc_{rng.randrange(10**6):06d}_{i}", prints[i], rng.choice(["isomer_event", "igf_proposal"]),
                         rng.choice([0, 0, 1, 2]), rng.choice([None, f"https://x.org/{i}", f"https://x.org/archive/{i}"]),
                         views_keys[i])
            for i in range(documents)]


class PlainLinks:
    """De-duplication's links as they were kept before it was vectorised: by id, in a union-find of ids."""

    def __init__(self, views: list[DocumentView]):
        self.by_id = {v.document_id: v for v in views}
        self.parent: dict[str, str] = {}
        self.links: dict[frozenset, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            x = self.parent[x]
        return x

    def link(self, a: str, b: str, method: str) -> None:
        if frozenset((a, b)) not in self.links:
            self.links[frozenset((a, b))] = method
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                self.parent[max(ra, rb)] = min(ra, rb)

    def similarity(self, a: str, b: str) -> float:
        return dedup.estimated_jaccard(self.by_id[a].fingerprint.signature, self.by_id[b].fingerprint.signature)

    def method_of(self, head: str, member: str) -> str:
        method = self.links.get(frozenset((head, member)))
        if method is None:
            linked = [m for p, m in self.links.items() if member in p]
            method = "exact" if "exact" in linked else "near" if "near" in linked else "mirror"
        return method


def plain_links(views: list[DocumentView]) -> PlainLinks:
    """Exact, near and mirror links the plain way: loops over every document (views sorted by id)."""
    links, ids = PlainLinks(views), [v.document_id for v in views]
    by_text: dict[str, str] = {}
    for v in views:
        first = by_text.setdefault(v.fingerprint.exact_key, v.document_id)
        if first != v.document_id:
            links.link(first, v.document_id, "exact")
    codes = plain_band_codes(np.stack([v.fingerprint.signature for v in views])[:, :dedup.BANDS * dedup.ROWS])
    for i, j in sorted(zip((codes // len(ids)).tolist(), (codes % len(ids)).tolist())):
        if frozenset((ids[i], ids[j])) not in links.links:
            method = dedup.confirm_pair(views[i], views[j], links.similarity(ids[i], ids[j]))
            if method:
                links.link(ids[i], ids[j], method)
    by_session: dict[tuple, list[str]] = {}
    for v in views:
        for key in v.session_keys:
            if key[0] and key[1] and key[3]:
                by_session.setdefault((v.format,) + key, []).append(v.document_id)
    for members in by_session.values():
        for other in members[1:]:
            if frozenset((members[0], other)) not in links.links and not dedup._dates_conflict(
                    links.by_id[members[0]], links.by_id[other]):
                links.link(members[0], other, "mirror")
    return links


def plain_find_duplicates(views: list[DocumentView]) -> tuple[list[DuplicateRow], dict[str, str]]:
    """De-duplication as it was written before it was vectorised."""
    views = sorted(views, key=lambda v: v.document_id)
    links = plain_links(views)
    clusters: dict[str, list[str]] = {}
    for document_id in sorted(links.parent):
        clusters.setdefault(links.find(document_id), []).append(document_id)
    rows, canonical = [], {}
    for members in clusters.values():
        head = min(members, key=lambda d: dedup._canonical_rank(links.by_id[d]))
        for member in members:
            if member != head:
                canonical[member] = head
                rows.append(DuplicateRow(member, head, duplicate_cluster_id(members), round(links.similarity(head, member), 4),
                                         links.method_of(head, member)))
    return sorted(rows, key=lambda r: r.document_id), canonical


def test_find_duplicates_equals_the_plain_loops_on_random_corpora(monkeypatch):
    monkeypatch.setattr(dedup, "PAIRS_PER_TASK", 7)  # several confirmation tasks when spread
    mismatches, methods = [], set()
    for seed in range(12):
        views = _random_views(seed)
        expected = plain_find_duplicates(views)
        methods |= {r.method for r in expected[0]}
        here = find_duplicates(views)
        spread = find_duplicates(views, lambda function, tasks: [function(t) for t in tasks])
        if here != expected or spread != expected or list(here[1]) != list(expected[1]):
            mismatches.append(seed)
    assert mismatches == [] and methods == {"exact", "near", "mirror"}


def test_exact_copies_pair_each_copy_with_the_first_text():
    views = DocumentViews.from_views(_random_views(1, 30))
    keys = views.columns["exact_key"].to_list()
    first: dict[str, int] = {}
    expected = [(first.setdefault(k, i), i) for i, k in enumerate(keys) if first.setdefault(k, i) != i]
    assert views.exact_copies() == expected


def test_session_groups_equal_the_plain_grouping():
    for seed in range(5):
        views = _random_views(seed, 80)
        docs = DocumentViews.from_views(views)
        plain: dict[tuple, list[int]] = {}
        for position, view in enumerate(sorted(views, key=lambda v: v.document_id)):
            for key in view.session_keys:
                if key[0] and key[1] and key[3]:
                    plain.setdefault((view.format,) + key, []).append(position)
        assert docs.session_groups() == [members for members in plain.values() if len(members) > 1]


def test_views_read_off_the_columns_are_the_views_given():
    views = sorted(_random_views(2, 25), key=lambda v: v.document_id)
    docs = DocumentViews.from_views(views)
    made = docs.views([3, 0, 24])
    for position, view in made.items():
        given = views[position]
        assert (view.document_id, view.format, view.problems, view.url, view.session_keys) == \
               (given.document_id, given.format, given.problems, given.url, given.session_keys)
        assert view.fingerprint.exact_key == given.fingerprint.exact_key
        assert np.array_equal(view.fingerprint.signature, given.fingerprint.signature)


def test_estimated_jaccards_are_the_pairwise_values():
    rng = np.random.default_rng(9)
    a, b = (rng.integers(0, 3, (40, NUM_PERM), dtype=np.uint64) for _ in range(2))
    values = dedup.estimated_jaccards(a, b)
    assert values == [dedup.estimated_jaccard(x, y) for x, y in zip(a, b)] and all(type(v) is float for v in values)


def test_no_documents_one_document_and_a_repeated_session():
    signature = fingerprints(["one short text about spectrum policy"])[0]
    key = ("t", "2024-01-01", "", "d")
    assert find_duplicates([]) == ([], {})
    assert find_duplicates([DocumentView("d1", signature, "x", 0, None, ())]) == ([], {})
    rows, canonical = find_duplicates([DocumentView("d1", signature, "x", 0, None, (key, key)),
                                       DocumentView("d0", signature, "x", 1, None, (key,))])
    assert [(r.document_id, r.canonical_document_id, r.similarity, r.method) for r in rows] == [("d0", "d1", 1.0, "exact")]
    assert canonical == {"d0": "d1"}  # the copy only: d1 is its own
