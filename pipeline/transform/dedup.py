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

import numpy as np

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


@dataclass(frozen=True)
class DocumentView:
    """What de-duplication needs to know of a document."""
    document_id: str
    fingerprint: Fingerprint
    format: str
    problems: int
    url: str | None
    session_keys: tuple[tuple[str, str, str, str], ...]  # (title, date, start, description digest), folded


@dataclass
class DocumentViews:
    """De-duplication's input as columns, one position per document, sorted by document_id: a
    DocumentView is made only for the documents a decision looks at (candidate pairs, clusters)."""
    document_ids: list[str]
    exact_keys: list[str]
    formats: list[str]
    problems: list[int]
    urls: list[str | None]
    session_keys: list[tuple[tuple[str, str, str, str], ...]]
    signatures: np.ndarray              # (documents, NUM_PERM)

    @classmethod
    def from_views(cls, views: list[DocumentView]) -> DocumentViews:
        views = sorted(views, key=lambda v: v.document_id)
        signatures = np.stack([v.fingerprint.signature for v in views]) if views else np.empty((0, NUM_PERM), np.uint64)
        return cls([v.document_id for v in views], [v.fingerprint.exact_key for v in views], [v.format for v in views],
                   [v.problems for v in views], [v.url for v in views], [v.session_keys for v in views], signatures)

    def __len__(self) -> int:
        return len(self.document_ids)

    def view(self, i: int) -> DocumentView:
        return DocumentView(self.document_ids[i], Fingerprint(self.exact_keys[i], self.signatures[i]), self.formats[i],
                            self.problems[i], self.urls[i], self.session_keys[i])


BANDS_PER_TASK = 8                # a task of the LSH step groups this many bands
PAIRS_PER_TASK = 50_000           # a task of the confirmation step checks this many candidate pairs


@dataclass
class BandTask:
    """Some LSH bands of every document: their signature columns, in document order."""
    columns: np.ndarray                 # (documents, bands * ROWS)


def band_candidate_codes(task: BandTask) -> np.ndarray:
    """Candidate pairs (as i * n + j, i < j in document order) of documents sharing one of the task's bands.

    Within a bucket, members are in row order and each is paired with the next MAX_BUCKET_PAIRS - 1
    members: every pair of a small bucket, sorted windows of a huge one (shared boilerplate)."""
    n = len(task.columns)
    found = [np.empty(0, dtype=np.int64)]
    for band in range(task.columns.shape[1] // ROWS):
        block = np.ascontiguousarray(task.columns[:, band * ROWS:(band + 1) * ROWS])
        # one 64-bit key per document and band (the band's rows mixed); a collision only adds a candidate
        with np.errstate(over="ignore"):
            keys = (block * HASH_MIX[:ROWS]).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")  # stable: a bucket's members stay in row order
        sorted_keys = keys[order]
        for step in range(1, MAX_BUCKET_PAIRS):
            same = sorted_keys[step:] == sorted_keys[:-step]
            if not same.any():
                break  # no bucket has more than `step` members
            found.append(order[:-step][same].astype(np.int64) * n + order[step:][same])
    return np.unique(np.concatenate(found))


def lsh_candidate_pairs(signatures: np.ndarray, run_tasks=None) -> set[tuple[int, int]]:
    """Pairs of row indices that share at least one LSH band (sub-quadratic: bucket by band hash).
    The bands are grouped into tasks, each grouping its bands' keys on its own (`run_tasks(function,
    tasks)` may run them on workers); only the pairs come back."""
    n = len(signatures)
    if n < 2:
        return set()
    width = BANDS_PER_TASK * ROWS
    tasks = [BandTask(np.ascontiguousarray(signatures[:, start:start + width])) for start in range(0, BANDS * ROWS, width)]
    results = list(run_tasks(band_candidate_codes, tasks) if run_tasks else map(band_candidate_codes, tasks))
    codes = np.unique(np.concatenate(results))
    return set(zip((codes // n).tolist(), (codes % n).tolist()))


@dataclass
class ConfirmTask:
    """Candidate pairs, with what confirming them reads of each document in them."""
    pairs: list[tuple[int, int]]
    views: dict[int, DocumentView]


def confirm_pairs(task: ConfirmTask) -> list[str | None]:
    """The method ('near', 'mirror') or None of each candidate pair, in order."""
    out = []
    for i, j in task.pairs:
        a, b = task.views[i], task.views[j]
        out.append(confirm_pair(a, b, estimated_jaccard(a.fingerprint.signature, b.fingerprint.signature)))
    return out


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
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
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
    """The duplicate links found so far between documents, closed transitively (union-find)."""

    def __init__(self, docs: DocumentViews):
        self.docs = docs
        self.ids, self.signatures = docs.document_ids, docs.signatures
        self.position = {d: i for i, d in enumerate(self.ids)}
        self.made: dict[int, DocumentView] = {}
        self.uf = _UnionFind()
        self.links: dict[frozenset, tuple[str, float]] = {}

    def view(self, i: int) -> DocumentView:
        if i not in self.made:
            self.made[i] = self.docs.view(i)
        return self.made[i]

    def similarity(self, a: str, b: str) -> float:
        return estimated_jaccard(self.signatures[self.position[a]], self.signatures[self.position[b]])

    def link(self, a: str, b: str, method: str) -> None:
        pair = frozenset((a, b))
        if pair not in self.links:
            self.links[pair] = (method, self.similarity(a, b))
            self.uf.union(a, b)

    def link_exact(self) -> None:
        by_text: dict[str, str] = {}
        for document_id, exact_key in zip(self.ids, self.docs.exact_keys):
            first = by_text.setdefault(exact_key, document_id)
            if first != document_id:
                self.link(first, document_id, "exact")

    def link_near(self, run_tasks=None) -> None:
        """Candidate pairs from LSH, confirmed field by field in tasks of PAIRS_PER_TASK pairs, each
        carrying the views of its documents (an exact copy is linked already)."""
        ids = self.ids
        pairs = [(i, j) for i, j in sorted(lsh_candidate_pairs(self.signatures, run_tasks))
                 if frozenset((ids[i], ids[j])) not in self.links]
        tasks = [ConfirmTask(chunk, {k: self.view(k) for pair in chunk for k in pair})
                 for chunk in (pairs[start:start + PAIRS_PER_TASK] for start in range(0, len(pairs), PAIRS_PER_TASK))]
        results = run_tasks(confirm_pairs, tasks) if run_tasks and len(tasks) > 1 else map(confirm_pairs, tasks)
        for task, methods in zip(tasks, results):
            for (i, j), method in zip(task.pairs, methods):
                if method:
                    self.link(ids[i], ids[j], method)

    def link_mirrors(self) -> None:
        """Mirrors too far apart for LSH: the same session stated by two pages of one format."""
        by_session: dict[tuple, list[str]] = {}
        for document_id, fmt, keys in zip(self.ids, self.docs.formats, self.docs.session_keys):
            for key in keys:
                if key[0] and key[1] and key[3]:
                    by_session.setdefault((fmt,) + key, []).append(document_id)
        position = self.position
        for members in by_session.values():
            for other in members[1:]:
                if frozenset((members[0], other)) not in self.links and not _dates_conflict(
                        self.view(position[members[0]]), self.view(position[other])):
                    self.link(members[0], other, "mirror")

    def method_of(self, head: str, member: str) -> str:
        """How member is a copy of head; joined through a third member: the strongest link it has."""
        method = self.links.get(frozenset((head, member)), (None, 0.0))[0]
        if method is not None:
            return method
        linked = [m for p, (m, _) in self.links.items() if member in p]
        return "exact" if "exact" in linked else "near" if "near" in linked else "mirror"

    def clusters(self) -> list[list[str]]:
        clusters: dict[str, list[str]] = {}
        for document_id in sorted(self.uf.parent):  # only linked documents; every other one is its own canonical
            clusters.setdefault(self.uf.find(document_id), []).append(document_id)
        return list(clusters.values())


def find_duplicates(views: list[DocumentView] | DocumentViews, run_tasks=None) -> tuple[list[DuplicateRow], dict[str, str]]:
    """Duplicate rows for every non-canonical member, and document_id -> canonical id for all.
    `run_tasks(function, tasks)` (default: here) runs the LSH band groups and the pair confirmations,
    the way large text pipelines spread them over workers; the clusters are then closed over the
    confirmed pairs alone."""
    docs = views if isinstance(views, DocumentViews) else DocumentViews.from_views(views)
    links = _Links(docs)
    links.link_exact()
    links.link_near(run_tasks)
    links.link_mirrors()
    rows: list[DuplicateRow] = []
    canonical: dict[str, str] = {d: d for d in docs.document_ids}
    for members in links.clusters():
        head = min(members, key=lambda d: _canonical_rank(links.view(links.position[d])))
        cluster_id = duplicate_cluster_id(members)
        for member in members:
            canonical[member] = head
            if member != head:
                rows.append(DuplicateRow(member, head, cluster_id, round(links.similarity(head, member), 4),
                                         links.method_of(head, member)))
    return sorted(rows, key=lambda r: r.document_id), canonical
