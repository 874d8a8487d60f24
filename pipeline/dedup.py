"""Finding documents that copy each other, and which one of each cluster stands for the rest.

- exact: the same normalised text (encoding, BOM, line endings, Unicode form already normalised);
- near: candidates from MinHash LSH over word 5-shingles, confirmed field by field (same format,
  title and date), so two different sessions on one site template are never merged;
- mirror: two pages of one format describing the same session (title, date, start time and
  description agree) whose other content differs, e.g. a live page and its /archive/ copy.
Clusters are closed transitively (union-find). The canonical member: fewest problems, then an address
that is not an archive, then the lowest document_id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from pipeline.records import ParsedDocument
from pipeline.text import fold, stable_id

SHINGLE_WORDS = 5
NUM_PERM = 128
LSH_THRESHOLD = 0.5
NEAR_MIN_JACCARD = 0.8


@dataclass(frozen=True)
class DocumentView:
    """What de-duplication needs to know of a document."""
    document_id: str
    text: str
    format: str
    problems: int
    url: str | None
    session_keys: tuple[tuple[str, str, str, str], ...]  # (title, date, start, description) folded


def view_of(document_id: str, text: str, parsed: ParsedDocument) -> DocumentView:
    keys = tuple(
        (fold(s.title), s.date.isoformat() if s.date else "", s.start_time.isoformat() if s.start_time else "",
         fold(s.description)[:2000])
        for s in parsed.sessions
    )
    return DocumentView(document_id, text, parsed.format, len(parsed.problems), parsed.url, keys)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = fold(text).split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


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


def _same_fields(a: DocumentView, b: DocumentView) -> bool:
    """Field-aware confirmation of a near-duplicate candidate pair."""
    if a.format != b.format or not a.session_keys or len(a.session_keys) != len(b.session_keys):
        return False
    for ka, kb in zip(a.session_keys, b.session_keys):
        if ka[0] != kb[0] or ka[1] != kb[1]:
            return False
    return True


def _is_mirror(a: DocumentView, b: DocumentView) -> bool:
    if a.format != b.format or not a.session_keys or not b.session_keys:
        return False
    shared = set(a.session_keys) & set(b.session_keys)
    return any(title and date and description for title, date, _, description in shared)


def _canonical_rank(view: DocumentView) -> tuple:
    archived = bool(view.url and re.search(r"/archive[sd]?/", view.url, re.I))
    return (view.problems, archived, view.document_id)


@dataclass
class DuplicateRow:
    document_id: str
    canonical_document_id: str
    cluster_id: str
    similarity: float
    method: str


def find_duplicates(views: list[DocumentView]) -> tuple[list[DuplicateRow], dict[str, str]]:
    """Duplicate rows for every non-canonical member, and document_id -> canonical id for all."""
    views = sorted(views, key=lambda v: v.document_id)
    by_id = {v.document_id: v for v in views}
    uf = _UnionFind()
    methods: dict[frozenset, str] = {}
    # exact copies: same normalised text
    by_text: dict[str, str] = {}
    for v in views:
        first = by_text.setdefault(v.text, v.document_id)
        if first != v.document_id:
            uf.union(first, v.document_id)
            methods[frozenset((first, v.document_id))] = "exact"
    # near copies: LSH candidates, confirmed field by field
    sets = {v.document_id: shingles(v.text) for v in views}
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    for v in views:
        mh = MinHash(num_perm=NUM_PERM, seed=1)
        mh.update_batch([s.encode("utf-8") for s in sets[v.document_id]])
        for other in sorted(lsh.query(mh)):
            pair = frozenset((other, v.document_id))
            if pair in methods:
                continue
            if not _same_fields(by_id[other], v):
                continue
            # a low-overlap pair of one session is a mirror (other speakers), not a near copy
            if jaccard(sets[other], sets[v.document_id]) >= NEAR_MIN_JACCARD:
                uf.union(other, v.document_id)
                methods[pair] = "near"
            elif _is_mirror(by_id[other], v):
                uf.union(other, v.document_id)
                methods[pair] = "mirror"
        lsh.insert(v.document_id, mh)
    # mirrors: same session stated by two pages of one format
    by_session: dict[tuple, list[str]] = {}
    for v in views:
        for key in v.session_keys:
            if key[0] and key[1] and key[3]:
                by_session.setdefault((v.format,) + key, []).append(v.document_id)
    for members in by_session.values():
        for other in members[1:]:
            pair = frozenset((members[0], other))
            if pair not in methods and _is_mirror(by_id[members[0]], by_id[other]):
                uf.union(members[0], other)
                methods[pair] = "mirror"
    clusters: dict[str, list[str]] = {}
    for v in views:
        clusters.setdefault(uf.find(v.document_id), []).append(v.document_id)
    rows: list[DuplicateRow] = []
    canonical: dict[str, str] = {}
    for members in clusters.values():
        head = min(members, key=lambda d: _canonical_rank(by_id[d]))
        cluster_id = stable_id("dup", *sorted(members))
        for member in members:
            canonical[member] = head
            if member == head:
                continue
            pair_method = methods.get(frozenset((head, member)))
            if pair_method is None:  # joined through a third member: name the strongest link it has
                linked = [m for p, m in methods.items() if member in p]
                pair_method = "exact" if "exact" in linked else "near" if "near" in linked else "mirror"
            rows.append(DuplicateRow(member, head, cluster_id,
                                     round(jaccard(sets[head], sets[member]), 4), pair_method))
    return sorted(rows, key=lambda r: r.document_id), canonical
