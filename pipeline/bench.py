"""Benchmarks: de-duplication and identity quality on the labelled set and on generated corpora,
and (cyberdialogue bench) the whole build at several sizes. Measures; never asserts a time."""
from __future__ import annotations

import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM, the peak resident size
    except OSError:
        pass


def precision_recall(predicted: set, truth: set) -> tuple[float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    return round(precision, 4), round(recall, 4)


def score_labelled() -> dict:
    """Precision and recall of document and person matching on the labelled set."""
    from pipeline.ingest import read_raw_documents
    from pipeline.labelled import build_labelled_corpus
    from pipeline.stages import build_tables, deduplicate, parse_raw_documents

    with tempfile.TemporaryDirectory() as folder:
        truth = build_labelled_corpus(folder)
        raw = read_raw_documents(folder)
        parsed = parse_raw_documents(raw)
        duplicates, canonical = deduplicate(raw, parsed)
        tables = build_tables(raw, parsed, duplicates, canonical)
    docs = tables["documents"]
    path_of = dict(zip(docs["document_id"], docs["path"]))
    cluster = {path_of[d]: path_of[c] for d, c in zip(docs["document_id"], docs["canonical_document_id"])}
    paths = sorted(cluster)
    predicted_pairs = {(a, b) for a, b in itertools.combinations(paths, 2) if cluster[a] == cluster[b]}
    truth_pairs = {tuple(sorted(p)) for group in truth["clusters"] for p in itertools.combinations(group, 2)}
    doc_p, doc_r = precision_recall(predicted_pairs, truth_pairs)
    merged_different = [pair for pair in truth["different"] if cluster[pair[0]] == cluster[pair[1]]]
    # people: every labelled written name (with the document it is written in) -> person_id
    participants = tables["participants"].explode("document_ids")
    people = tables["people"].explode("name_variants")
    pid_by_name = {}
    for variant, pid in zip(people["name_variants"], people["person_id"]):
        pid_by_name.setdefault(variant, set()).add(pid)
    pid_in_doc = {(n, path_of[d]): p for n, d, p in zip(participants["name"], participants["document_ids"], participants["person_id"])}
    def pid(name):
        return sorted(pid_by_name.get(name, {"missing:" + name}))[0]
    positives = [(a, b, pid(a), pid(b)) for group in truth["people"] for a, b in itertools.combinations(group, 2)]
    negatives = [(a, b, pid(a), pid(b)) for g1, g2 in itertools.combinations(truth["people"], 2) for a in g1 for b in g2]
    negatives += [(f"{a[0]}@{a[1]}", f"{b[0]}@{b[1]}", pid_in_doc.get(tuple(a), "missing-a"), pid_in_doc.get(tuple(b), "missing-b"))
                  for a, b in truth["distinct"]]
    truth_people = {(a, b) for a, b, _, _ in positives}
    predicted_people = {(a, b) for a, b, pa, pb in positives + negatives if pa == pb}
    person_p, person_r = precision_recall(predicted_people, truth_people)
    return {"documents": {"precision": doc_p, "recall": doc_r, "pairs": len(truth_pairs),
                          "different_sessions_merged": merged_different},
            "people": {"precision": person_p, "recall": person_r, "pairs": len(truth_people)},
            "person_candidates": tables["person_candidates"].height}


def _dedup_worker(raw_dir: str) -> dict:
    """In its own process: read and parse a corpus, then time and measure the de-duplication alone."""
    from pipeline.dedup import find_duplicates, view_of
    from pipeline.ingest import read_raw_documents
    from pipeline.stages import parse_raw_documents

    started = time.perf_counter()
    raw = read_raw_documents(raw_dir)
    parsed = parse_raw_documents(raw)
    rows = raw.select("document_id", "path", "text").to_dicts()
    views = [view_of(r["document_id"], r["text"], parsed[r["document_id"]]) for r in rows if r["document_id"] in parsed]
    path_of = {r["document_id"]: r["path"] for r in rows}
    prepared = time.perf_counter() - started
    del parsed, raw
    gc.collect()
    before = _rss_mb()
    _reset_peak()
    started = time.perf_counter()
    duplicates, canonical = find_duplicates(views)
    seconds = time.perf_counter() - started
    return {"documents": len(views), "read_parse_seconds": round(prepared, 2), "dedup_seconds": round(seconds, 2),
            "rss_before_mb": round(before), "peak_rss_mb": round(_rss_mb("VmHWM")),
            "canonical": {path_of[d]: path_of[c] for d, c in canonical.items()}}


def dedup_quality_on_generated(truth: dict, canonical: dict[str, str]) -> tuple[float, float]:
    groups: dict[str, list[str]] = {}
    for path, meta in truth["documents"].items():
        if meta.get("malformed"):
            continue
        groups.setdefault(meta.get("duplicate_of") or path, []).append(path)
    truth_pairs = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
    by_head: dict[str, list[str]] = {}
    for path, head in canonical.items():
        if path in truth["documents"] and not truth["documents"][path].get("malformed"):
            by_head.setdefault(head, []).append(path)
    predicted = {tuple(sorted(p)) for g in by_head.values() for p in itertools.combinations(g, 2)}
    return precision_recall(predicted, truth_pairs)


def ensure_corpus(size: int, workdir: Path, seed: int) -> tuple[Path, dict]:
    from pipeline.generate import generate_corpus

    folder = workdir / f"corpus_{size}_{seed}"
    truth_file = workdir / f"corpus_{size}_{seed}.truth.json"
    if not truth_file.exists():
        generate_corpus(size, folder, seed)
    return folder, json.loads(truth_file.read_text())


def bench_dedup(sizes: list[int], workdir: Path, seed: int = 1) -> dict:
    results = {"labelled": score_labelled(), "generated": []}
    for size in sizes:
        folder, truth = ensure_corpus(size, workdir, seed)
        out = subprocess.run([sys.executable, "-m", "pipeline.bench", "_dedup_worker", str(folder)],
                             capture_output=True, text=True, check=True)
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        precision, recall = dedup_quality_on_generated(truth, measured.pop("canonical"))
        results["generated"].append({"size": size, **measured, "precision": precision, "recall": recall})
    return results


def print_dedup(results: dict) -> None:
    lab = results["labelled"]
    print("labelled set")
    print(f"  documents: precision {lab['documents']['precision']:.2f}, recall {lab['documents']['recall']:.2f} "
          f"({lab['documents']['pairs']} duplicate pairs; different sessions merged: {len(lab['documents']['different_sessions_merged'])})")
    print(f"  people:    precision {lab['people']['precision']:.2f}, recall {lab['people']['recall']:.2f} ({lab['people']['pairs']} same-person pairs)")
    print("generated corpora (de-duplication stage alone)")
    print(f"  {'documents':>10} {'seconds':>8} {'docs/s':>9} {'peak MB':>8} {'precision':>9} {'recall':>7}")
    for row in results["generated"]:
        rate = row["documents"] / row["dedup_seconds"] if row["dedup_seconds"] else float("inf")
        print(f"  {row['documents']:>10} {row['dedup_seconds']:>8.2f} {rate:>9.0f} {row['peak_rss_mb']:>8} "
              f"{row['precision']:>9.4f} {row['recall']:>7.4f}")


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "_dedup_worker":
    print(json.dumps(_dedup_worker(sys.argv[2])))
