"""Finding documents that copy each other, and which one of each cluster stands for the rest.

- exact: the same text once white space is collapsed (encoding, BOM, line endings and Unicode form
  are already normalised when the document is read);
- near: candidate pairs from MinHash LSH over word 5-shingles (signatures computed with polars and
  numpy, vectorised, in chunks), confirmed field by field: same format, same date, same title (or,
  for a changed title, an estimated Jaccard of at least 0.9), so two different sessions on one site
  template are never merged;
- mirror: two pages of one format stating the same session (title, date, start time, description)
  with other content around it, e.g. a live page and its /archive/ copy with another speaker list.
Clusters are closed transitively (union-find). The canonical member: fewest problems, then an
address that is not an archive, then the lowest document_id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl

from pipeline.memory import no_gc
from pipeline.model.ids import duplicate_cluster_id
from pipeline.transform.fingerprint import HASH_MIX, NUM_PERM, Fingerprint

BANDS, ROWS = 32, 4               # LSH: candidate threshold about (1/32)^(1/4) = 0.42
NEAR_MIN_JACCARD = 0.8            # same title and date: a near copy from here
RETITLED_MIN_JACCARD = 0.9        # another title: a copy only when nearly all else is the same
MAX_BUCKET_PAIRS = 20             # a huge LSH bucket (shared boilerplate) is compared in sorted windows


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The share of equal minima of two MinHash signatures (a count over NUM_PERM, a power of two:
    exactly what their mean gives, faster)."""
    return int(np.count_nonzero(a == b)) / len(a)


def estimated_jaccards(a: np.ndarray, b: np.ndarray) -> list[float]:
    """estimated_jaccard of each row of `a` with the same row of `b`, at once (the same values)."""
    return (np.count_nonzero(a == b, axis=1) / a.shape[1]).tolist()


@dataclass(frozen=True)
class DocumentView:
    """What de-duplication needs to know of a document."""
    document_id: str
    fingerprint: Fingerprint
    format: str
    problems: int
    url: str | None
    session_keys: tuple[tuple[str, str, str, str], ...]  # (title, date, start, description digest), folded


# De-duplication's per-document columns besides the signatures, in order; a session key is a list of
# its four folded strings
VIEW_COLUMNS = {"exact_key": pl.String, "format": pl.String, "problems": pl.Int64, "url": pl.String,
                "session_keys": pl.List(pl.List(pl.String))}


@dataclass
class DocumentViews:
    """De-duplication's input as columns, one position per document, sorted by document_id: a
    DocumentView is made only for the documents a decision looks at (candidate pairs, mirrors,
    clusters), so the session keys of the rest are never turned into Python objects. Of the MinHash
    signatures only the LSH band keys are held (256 bytes a document, not 1 KB); `signatures_of`
    reads the signatures of the documents a decision compares (from the parse shards, in a build)."""
    document_ids: list[str]
    columns: pl.DataFrame               # VIEW_COLUMNS
    bands: np.ndarray                   # (BANDS, documents): band_keys, each band's keys contiguous
    signatures_of: Callable[[list[int]], np.ndarray]  # positions -> (len(positions), NUM_PERM)

    @classmethod
    def from_views(cls, views: list[DocumentView]) -> DocumentViews:
        views = sorted(views, key=lambda v: v.document_id)
        signatures = np.stack([v.fingerprint.signature for v in views]) if views else np.empty((0, NUM_PERM), np.uint64)
        columns = pl.DataFrame({"exact_key": [v.fingerprint.exact_key for v in views], "format": [v.format for v in views],
                                "problems": [v.problems for v in views], "url": [v.url for v in views],
                                "session_keys": [[list(k) for k in v.session_keys] for v in views]}, schema=VIEW_COLUMNS)
        return cls([v.document_id for v in views], columns, band_keys(signatures[:, :BANDS * ROWS]),
                   lambda positions: signatures[positions])

    def __len__(self) -> int:
        return len(self.document_ids)

    def views(self, positions: list[int]) -> dict[int, DocumentView]:
        """The DocumentView of each position, read off the columns (and the signatures) in one go."""
        rows = self.columns[positions].rows()
        signatures = self.signatures_of(positions)
        return {i: DocumentView(self.document_ids[i], Fingerprint(exact_key, signature), fmt, problems, url,
                                tuple(map(tuple, keys)))
                for i, signature, (exact_key, fmt, problems, url, keys) in zip(positions, signatures, rows)}

    def exact_copies(self) -> list[tuple[int, int]]:
        """(first, other): each document whose text an earlier one (in document order) has, with that one."""
        pairs = (self.columns.select("exact_key").with_row_index("other")
                 .select(pl.col("other").first().over("exact_key").alias("first"), "other")
                 .filter(pl.col("first") != pl.col("other")))
        return list(zip(pairs["first"].to_list(), pairs["other"].to_list()))

    def session_groups(self) -> list[list[int]]:
        """The positions of the documents stating each session (format, title, date, start, description
        digest; title, date and description stated), for the sessions more than one states: in
        document order, a document as often as it states the session."""
        parts = ["title", "date", "start", "description"]
        stated = (self.columns.select("format", "session_keys").with_row_index("position")
                  .explode("session_keys")
                  .with_columns(pl.col("session_keys").list.get(k, null_on_oob=True).alias(part) for k, part in enumerate(parts))
                  .filter(*(pl.col(part).str.len_bytes() > 0 for part in ("title", "date", "description"))))
        groups = (stated.group_by(["format", *parts], maintain_order=True).agg("position")
                  .filter(pl.col("position").list.len() > 1))
        return groups["position"].to_list()


BANDS_PER_TASK = 8                # a task of the LSH step groups this many bands
PAIRS_PER_TASK = 50_000           # a task of the confirmation step checks this many candidate pairs


@dataclass
class BandTask:
    """Some LSH bands of every document: their keys (band_keys), in document order."""
    keys: np.ndarray                    # (bands, documents)


def band_keys(columns: np.ndarray) -> np.ndarray:
    """(bands, documents): one 64-bit key per band and document, the band's ROWS minima mixed (a
    collision only adds a candidate); a product with the mixing column (a sum mod 2^64: the order of
    the terms does not matter), written band by band so that each band's keys are contiguous."""
    documents, width = columns.shape
    keys = np.empty((width // ROWS, documents), dtype=np.uint64)
    np.matmul(columns.reshape(documents, width // ROWS, ROWS), HASH_MIX[:ROWS], out=keys.T)
    return keys


def shared_buckets(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys held by more than one document, sorted, with those documents' row indices, a bucket's
    members in row order: what a stable sort of every key gives once the buckets of one are left out,
    cheaper (an unstable sort, then each bucket's members sorted among themselves)."""
    order = np.argsort(keys)
    sorted_keys = keys[order]
    repeated = sorted_keys[1:] == sorted_keys[:-1]
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] = repeated
    shared[:-1] |= repeated
    shared_keys, members = sorted_keys[shared], order[shared]
    # bucket number * documents + row index: one sort puts each bucket's members in row order, in place
    bucket = np.concatenate(([0], np.cumsum(shared_keys[1:] != shared_keys[:-1])))
    return shared_keys, np.sort(bucket * len(keys) + members) % len(keys)


def band_candidate_codes(task: BandTask) -> np.ndarray:
    """Candidate pairs (as i * n + j, i < j in document order) of documents sharing one of the task's bands.

    Within a bucket, members are in row order and each is paired with the next MAX_BUCKET_PAIRS - 1
    members: every pair of a small bucket, sorted windows of a huge one (shared boilerplate)."""
    n = task.keys.shape[1]
    found = [np.empty(0, dtype=np.int64)]
    for keys in task.keys:
        bucket_keys, members = shared_buckets(keys)
        for step in range(1, MAX_BUCKET_PAIRS):
            same = bucket_keys[step:] == bucket_keys[:-step]
            if not same.any():
                break  # no bucket has more than `step` members
            found.append(members[:-step][same].astype(np.int64) * n + members[step:][same])
    return np.unique(np.concatenate(found))


def lsh_candidate_pairs(bands: np.ndarray, run_tasks=None) -> np.ndarray:
    """Pairs of row indices that share at least one LSH band (sub-quadratic: bucket by band key), as
    rows (i, j), i < j, sorted; `bands` is band_keys' (BANDS, documents). The bands are grouped into
    tasks, each grouping its bands' keys on its own (`run_tasks(function, tasks)` may run them on
    workers); only the pairs come back."""
    n = bands.shape[1]
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    if run_tasks is None:  # here: every band in one task, with no copy of the keys
        results = [band_candidate_codes(BandTask(bands))]
    else:
        tasks = [BandTask(bands[start:start + BANDS_PER_TASK]) for start in range(0, len(bands), BANDS_PER_TASK)]
        results = list(run_tasks(band_candidate_codes, tasks))
    codes = np.unique(np.concatenate(results))
    return np.column_stack((codes // n, codes % n))


@dataclass
class ConfirmTask:
    """Candidate pairs, with what confirming them reads of each document in them."""
    pairs: list[tuple[int, int]]
    views: dict[int, DocumentView]


def confirm_pairs(task: ConfirmTask) -> list[str | None]:
    """The method ('near', 'mirror') or None of each candidate pair, in order."""
    if not task.pairs:
        return []
    firsts, seconds = ([task.views[pair[k]] for pair in task.pairs] for k in (0, 1))
    similarities = estimated_jaccards(np.stack([v.fingerprint.signature for v in firsts]),
                                      np.stack([v.fingerprint.signature for v in seconds]))
    return list(map(confirm_pair, firsts, seconds, similarities))


def _dates_conflict(a: DocumentView, b: DocumentView) -> bool:
    dates_a = {k[1] for k in a.session_keys if k[1]}
    dates_b = {k[1] for k in b.session_keys if k[1]}
    return bool(dates_a and dates_b and dates_a != dates_b)


def confirm_pair(a: DocumentView, b: DocumentView, similarity: float) -> str | None:
    """Field-aware confirmation of a candidate pair: 'near', 'mirror' or None (not a copy)."""
    if a.format != b.format or _dates_conflict(a, b):
        return None
    titles_a = {k[0] for k in a.session_keys if k[0]}
    titles_b = {k[0] for k in b.session_keys if k[0]}
    same_titles = titles_a == titles_b
    if same_titles and similarity >= NEAR_MIN_JACCARD:
        return "near"
    if _is_mirror(a, b):
        return "mirror"
    if similarity >= RETITLED_MIN_JACCARD and len(a.session_keys) == len(b.session_keys):
        return "near"  # a copy with a changed title (or none stated), everything else nearly the same
    return None


def _is_mirror(a: DocumentView, b: DocumentView) -> bool:
    if a.format != b.format or not a.session_keys or not b.session_keys:
        return False
    shared = set(a.session_keys) & set(b.session_keys)
    return any(title and date and description for title, date, _, description in shared)


def _canonical_rank(view: DocumentView) -> tuple:
    archived = bool(view.url and re.search(r"/archive[sd]?/", view.url, re.I))
    return (view.problems, archived, view.document_id)


class _UnionFind:
    """Over document positions: the least position of a cluster is its root."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class DuplicateRow:
    document_id: str
    canonical_document_id: str
    cluster_id: str
    similarity: float
    method: str


class _Links:
    """The duplicate links found so far between documents (by position), closed transitively (union-find)."""

    def __init__(self, docs: DocumentViews):
        self.docs = docs
        self.made: dict[int, DocumentView] = {}
        self.uf = _UnionFind()
        self.links: dict[tuple[int, int], str] = {}   # the method of each linked pair (i, j), i <= j

    def view(self, i: int) -> DocumentView:
        if i not in self.made:
            self.read_views([i])
        return self.made[i]

    def read_views(self, positions: list[int]) -> None:
        """Make the views of `positions` not made yet, in one read of the columns."""
        missing = sorted(set(positions).difference(self.made))
        if missing:
            self.made.update(self.docs.views(missing))

    def similarities(self, pairs: list[tuple[int, int]]) -> list[float]:
        """The estimated Jaccard of each pair of documents (their views made already)."""
        if not pairs:
            return []
        firsts, seconds = (np.stack([self.made[pair[k]].fingerprint.signature for pair in pairs]) for k in (0, 1))
        return estimated_jaccards(firsts, seconds)

    def linked(self, i: int, j: int) -> bool:
        return (min(i, j), max(i, j)) in self.links

    def link(self, i: int, j: int, method: str) -> None:
        pair = (min(i, j), max(i, j))
        if pair not in self.links:
            self.links[pair] = method
            self.uf.union(i, j)

    def link_exact(self, copies: list[tuple[int, int]]) -> None:
        for first, other in copies:
            self.link(first, other, "exact")

    def link_near(self, candidates: list[tuple[int, int]], run_tasks=None) -> None:
        """Candidate pairs from LSH, confirmed field by field in tasks of PAIRS_PER_TASK pairs, each
        carrying the views of its documents (an exact copy is linked already)."""
        pairs = [(i, j) for i, j in candidates if (i, j) not in self.links]
        self.read_views([k for pair in pairs for k in pair])
        tasks = [ConfirmTask(chunk, {k: self.made[k] for pair in chunk for k in pair})
                 for chunk in (pairs[start:start + PAIRS_PER_TASK] for start in range(0, len(pairs), PAIRS_PER_TASK))]
        results = run_tasks(confirm_pairs, tasks) if run_tasks and len(tasks) > 1 else map(confirm_pairs, tasks)
        for task, methods in zip(tasks, results):
            for (i, j), method in zip(task.pairs, methods):
                if method:
                    self.link(i, j, method)

    def link_mirrors(self, groups: list[list[int]]) -> None:
        """Mirrors too far apart for LSH: the same session stated by two pages of one format (the
        positions of each session's documents: session_groups)."""
        self.read_views([position for members in groups for position in members])
        for first, *others in groups:
            for other in others:
                if not self.linked(first, other) and not _dates_conflict(self.made[first], self.made[other]):
                    self.link(first, other, "mirror")

    def method_of(self, head: int, member: int) -> str:
        """How member is a copy of head; joined through a third member: the strongest link it has."""
        method = self.links.get((min(head, member), max(head, member)))
        if method is not None:
            return method
        linked = [m for p, m in self.links.items() if member in p]
        return "exact" if "exact" in linked else "near" if "near" in linked else "mirror"

    def clusters(self) -> list[list[int]]:
        clusters: dict[int, list[int]] = {}
        for position in sorted(self.uf.parent):  # only linked documents; every other one is its own canonical
            clusters.setdefault(self.uf.find(position), []).append(position)
        return list(clusters.values())


def find_duplicates(views: list[DocumentView] | DocumentViews, run_tasks=None) -> tuple[list[DuplicateRow], dict[str, str]]:
    """Duplicate rows for every non-canonical member, and document_id -> canonical id for those members
    (every other document is its own canonical: not held, a dict of every document cost ~0.2 KB each).
    `run_tasks(function, tasks)` (default: here) runs the LSH band groups and the pair confirmations,
    the way large text pipelines spread them over workers; the clusters are then closed over the
    confirmed pairs alone."""
    docs = views if isinstance(views, DocumentViews) else DocumentViews.from_views(views)
    # many small objects (candidate pairs, links, views) and no cycles among them; they are freed with
    # the links before the collector is back, so it never walks them
    with no_gc():
        return _cluster_rows(_linked(docs, run_tasks))


def _linked(docs: DocumentViews, run_tasks=None) -> _Links:
    links = _Links(docs)
    copies = docs.exact_copies()
    candidates = [(i, j) for i, j in lsh_candidate_pairs(docs.bands, run_tasks).tolist()]
    groups = docs.session_groups()
    # every document a decision or a cluster looks at, read at once: a build reads their signatures
    # from the parse shards, one read per shard
    links.read_views([k for pair in copies + candidates for k in pair] + [k for members in groups for k in members])
    links.link_exact(copies)
    links.link_near(candidates, run_tasks)
    links.link_mirrors(groups)
    return links


def _cluster_rows(links: _Links) -> tuple[list[DuplicateRow], dict[str, str]]:
    """Each cluster's canonical member, and a row for every other member with its canonical id (every
    other document, in a cluster or not, is its own canonical)."""
    ids = links.docs.document_ids
    copies: list[tuple[int, int, str]] = []  # (head, member, cluster id)
    canonical: dict[str, str] = {}
    clusters = links.clusters()
    links.read_views([position for members in clusters for position in members])
    for members in clusters:
        head = min(members, key=lambda i: _canonical_rank(links.view(i)))
        cluster_id = duplicate_cluster_id([ids[i] for i in members])
        for member in members:
            if member != head:
                canonical[ids[member]] = ids[head]
                copies.append((head, member, cluster_id))
    rows = [DuplicateRow(ids[member], ids[head], cluster_id, round(similarity, 4), links.method_of(head, member))
            for (head, member, cluster_id), similarity in zip(copies, links.similarities(copies))]
    return sorted(rows, key=lambda r: r.document_id), canonical
