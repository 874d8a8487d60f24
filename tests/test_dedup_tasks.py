"""De-duplication spread over tasks (LSH band groups, then batches of candidate pairs) finds what the
single-process run finds."""
from __future__ import annotations

import numpy as np

from pipeline.transform import dedup
from pipeline.transform.dedup import DocumentView, find_duplicates
from pipeline.transform.fingerprint import fingerprints

BASE = ("The open-ended working group met on Tuesday to discuss confidence building measures, capacity "
        "building and the application of international law in cyberspace; delegations from every region "
        "spoke about points of contact, threat sharing and the needs of small states. ") * 4


def _views() -> list[DocumentView]:
    texts = [BASE, BASE + " One more closing remark.", BASE.replace("Tuesday", "Wednesday"),
             "An entirely different page about broadband policy and spectrum auctions in rural areas. " * 6,
             BASE, "Another unrelated text on data protection authorities and their budgets. " * 6]
    prints = fingerprints(texts)
    keys = [(("cbms", "2024-03-05", "", "d1"),)] * 3 + [(("spectrum", "2024-03-05", "", "d2"),)] + \
           [(("cbms", "2024-03-05", "", "d1"),), (("dpa", "", "", "d3"),)]
    return [DocumentView(f"doc_{i}", prints[i], "isomer_event", 0, None, keys[i]) for i in range(len(texts))]


def test_tasks_give_the_clusters_of_one_process(monkeypatch):
    ran: list[str] = []

    def run_tasks(function, tasks):
        ran.append(function.__name__)
        return [function(task) for task in tasks]

    monkeypatch.setattr(dedup, "PAIRS_PER_TASK", 1)  # one candidate pair a task: several confirmation tasks
    alone = find_duplicates(_views())
    spread = find_duplicates(_views(), run_tasks)
    assert spread == alone
    rows, canonical = alone
    assert {r.document_id: r.method for r in rows} == {"doc_1": "near", "doc_2": "mirror", "doc_4": "exact"}
    assert canonical == {f"doc_{i}": "doc_0" for i in (1, 2, 4)}  # only the copies: doc_0 and doc_3 are their own
    assert ran == ["band_candidate_codes", "confirm_pairs"]


def test_band_tasks_cover_every_band_once():
    signatures = np.vstack([f.signature for f in fingerprints([BASE, BASE + " x", "other text entirely " * 20])])
    tasks = []
    bands = dedup.band_keys(signatures[:, :dedup.BANDS * dedup.ROWS])
    dedup.lsh_candidate_pairs(bands, lambda function, ts: tasks.extend(ts) or [function(t) for t in ts])
    assert np.array_equal(np.vstack([t.keys for t in tasks]), bands)  # each band once, in order
    assert len(tasks) == dedup.BANDS // dedup.BANDS_PER_TASK


def test_estimated_jaccard_is_the_mean_of_equal_minima():
    rng = np.random.default_rng(7)
    signatures = fingerprints([BASE, BASE + " One more closing remark.", "An unrelated page. " * 9])
    pairs = [(a.signature, b.signature) for a in signatures for b in signatures]
    pairs += [tuple(rng.integers(0, 3, (2, 128), dtype=np.uint64)) for _ in range(200)]
    for a, b in pairs:
        value = dedup.estimated_jaccard(a, b)
        assert type(value) is float and value == float(np.mean(a == b))
