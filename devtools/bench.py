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
    from devtools.labelled import build_labelled_corpus
    from pipeline.incremental.assembly_cache import build_tables
    from pipeline.incremental.parse_cache import parse_raw_documents
    from pipeline.stages import deduplicate

    with tempfile.TemporaryDirectory() as folder:
        truth = build_labelled_corpus(folder)
        raw = read_raw_documents(folder)
        parsed = parse_raw_documents(raw)
        duplicates, canonical = deduplicate(parsed)
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


def _dedup_worker(raw_dir: str, cache_dir: str | None = None) -> dict:
    """In its own process: read and parse a corpus, then time and measure the de-duplication alone."""
    from pipeline.transform.dedup import find_duplicates
    from pipeline.ingest import read_raw_documents
    from pipeline.incremental.parse_cache import parse_raw_documents
    from pipeline.stages import dedup_views

    started = time.perf_counter()
    raw = read_raw_documents(raw_dir)
    parsed = parse_raw_documents(raw, cache_dir=cache_dir)
    path_of = dict(zip(raw["document_id"], raw["path"]))
    views = dedup_views(parsed)
    prepared = time.perf_counter() - started
    del parsed, raw  # de-duplication needs only the views (fingerprints and session keys)
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
    from devtools.generate import generate_corpus

    folder = workdir / f"corpus_{size}_{seed}"
    truth_file = workdir / f"corpus_{size}_{seed}.truth.json"
    if not truth_file.exists():
        generate_corpus(size, folder, seed)
    return folder, json.loads(truth_file.read_text())


def bench_dedup(sizes: list[int], workdir: Path, seed: int = 1) -> dict:
    results = {"labelled": score_labelled(), "generated": []}
    for size in sizes:
        folder, truth = ensure_corpus(size, workdir, seed)
        cache = workdir / f"out_{size}_{seed}" / ".cache" / "parse"  # shared with `bench build`: keyed by content
        out = subprocess.run([sys.executable, "-m", "devtools.bench", "_dedup_worker", str(folder), str(cache)],
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
    print(json.dumps(_dedup_worker(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)))


# --- the whole build ---------------------------------------------------------------------------

def readme_queries() -> list[str]:
    """The analyst's queries of the README: the source checkout's, else the project's; none without one."""
    import re

    from pipeline.project import find_project

    for readme in (Path(__file__).resolve().parent.parent / "README.md", find_project().root / "README.md"):
        if readme.is_file():
            return re.findall(r"```sql\n(.*?)```", readme.read_text(), re.S)
    return []


def _run_build(raw: Path, out: Path, *flags: str) -> dict:
    import resource

    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--raw", str(raw), "--out", str(out), *flags],
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr.strip().splitlines()[-1:]}")
    report = json.loads((out / "build_report.json").read_text())
    report["wall_seconds"] = round(wall, 2)
    # each stage resets the build process's high-water mark (to measure its own peak), and the kernel's
    # maxrss of a finished child is that mark: the build's peak is the highest of the stages' and it
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report["children_peak_rss_mb"] = round(max([children, *(v for v in report.get("stage_peak_rss_mb", {}).values() if v)]))
    return report


def reference_scan(raw: Path) -> dict:
    """The practical ceiling of Python parsing here: read every file and regex-scan it once."""
    import re

    pattern = re.compile(r"^(?:Speech speed|Organizer \d+:|Key Topics of Discussion|\|.*\]\(/speakers)", re.M)
    started = time.perf_counter()
    size = hits = files = 0
    for path in sorted(raw.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            size += len(data)
            files += 1
            hits += len(pattern.findall(data.decode("utf-8", errors="replace")))
    seconds = time.perf_counter() - started
    return {"files": files, "bytes": size, "seconds": round(seconds, 2), "mb_per_s": round(size / 1e6 / seconds, 1)}


def reference_datasketch(raw: Path) -> dict:
    """datasketch MinHashLSH on the same corpus: 128 permutations, word 5-shingles, threshold 0.5."""
    import re

    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    candidates = 0
    for path in sorted(raw.rglob("*")):
        if not path.is_file():
            continue
        words = re.findall(r"\w+", path.read_bytes().decode("utf-8", errors="replace").lower())
        shingles = {" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))}
        mh = MinHash(num_perm=128)
        mh.update_batch(list(shingles))
        candidates += len(lsh.query(mh))
        lsh.insert(str(path), mh)
    return {"seconds": round(time.perf_counter() - started, 2), "candidate_pairs": candidates}


def query_latency(database: Path, repeat: int = 5) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    results = []
    for sql in readme_queries():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            con.execute(sql).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        results.append({"query": sql.strip().splitlines()[0][:60], "median_ms": round(sorted(times)[len(times) // 2], 1)})
    con.close()
    return results


def bench_build(sizes: list[int], workdir: Path, seed: int = 1) -> dict:
    import polars as pl

    results = {"machine": {"cores": os.cpu_count()}, "sizes": []}
    for size in sizes:
        raw, truth = ensure_corpus(size, workdir, seed)
        out = workdir / f"out_{size}_{seed}"
        full = _run_build(raw, out, "--full", "--bounds", "")
        mb = full["rows"] and sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 1e6
        docs = full["rows"]["documents"]
        stages = {name: {"seconds": secs, "docs_per_s": round(docs / secs) if secs else None,
                         "mb_per_s": round(mb / secs, 1) if secs else None,
                         "peak_rss_mb": full["stage_peak_rss_mb"].get(name)}
                  for name, secs in sorted(full["stage_seconds"].items(), key=lambda kv: -kv[1])}
        # incremental: one document changed, then changed back, then changed again; each time one
        # build with the caches of the one before (the first right after the full build). The median
        # is reported, every run is kept.
        target = sorted(p for p in raw.rglob("*.txt") if "isomer_event" in str(p))[0]
        original = target.read_bytes()
        changed = original.replace(b"Information is accurate", b"Information is correct", 1) + b"\n"
        runs = []
        try:
            for content in (changed, original, changed):
                target.write_bytes(content)
                runs.append(_run_build(raw, out, "--bounds", ""))
        finally:
            target.write_bytes(original)
        incremental = sorted(runs, key=lambda r: r["wall_seconds"])[len(runs) // 2]
        documents = pl.read_parquet(out / "parquet" / "documents.parquet")
        canonical = dict(zip(documents["path"], documents["canonical_document_id"]))
        ids = dict(zip(documents["document_id"], documents["path"]))
        precision, recall = dedup_quality_on_generated(truth, {p: ids.get(c, c) for p, c in canonical.items()})
        entry = {"size": size, "documents": docs, "raw_mb": round(mb, 1), "full_build": {
                     "wall_seconds": full["wall_seconds"], "build_seconds": full["seconds"],
                     "peak_rss_mb": full["children_peak_rss_mb"], "rows": full["rows"]},
                 "stages": stages, "incremental": {"wall_seconds": incremental["wall_seconds"],
                                                   "build_seconds": incremental["seconds"],
                                                   "stage_seconds": incremental["stage_seconds"],
                                                   "runs_wall_seconds": [r["wall_seconds"] for r in runs]},
                 "dedup": {"precision": precision, "recall": recall},
                 "queries": query_latency(out / "cyberdialogue.duckdb"),
                 "reference_scan": reference_scan(raw)}
        entry["reference_datasketch"] = reference_datasketch(raw)
        ours = stages.get("duplicate_clusters", {}).get("seconds")
        entry["ratios"] = {
            "parse_vs_scan_speed": round((mb / stages["parsed_documents"]["seconds"]) / entry["reference_scan"]["mb_per_s"], 3)
            if stages.get("parsed_documents", {}).get("seconds") else None,
            "datasketch_vs_our_dedup_time": round(entry["reference_datasketch"]["seconds"] / ours, 2) if ours else None,
        }
        results["sizes"].append(entry)
    return results


def print_build(results: dict) -> None:
    for entry in results["sizes"]:
        full = entry["full_build"]
        print(f"\n== {entry['documents']} documents, {entry['raw_mb']} MB ==")
        print(f"full build: {full['wall_seconds']} s wall (start-up included), peak RSS {full['peak_rss_mb']} MB")
        print(f"  {'stage':<26} {'seconds':>8} {'docs/s':>9} {'MB/s':>8} {'peak MB':>8}")
        for name, s in entry["stages"].items():
            if s["seconds"] >= 0.05:
                print(f"  {name:<26} {s['seconds']:>8.2f} {s['docs_per_s'] or 0:>9} {s['mb_per_s'] or 0:>8} {s['peak_rss_mb'] or '':>8}")
        inc = entry["incremental"]
        slow = sorted(inc["stage_seconds"].items(), key=lambda kv: -kv[1])[:6]
        runs = ", ".join(f"{s} s" for s in inc.get("runs_wall_seconds", []))
        print(f"incremental re-build after one changed document: {inc['wall_seconds']} s wall, median of {runs} "
              f"({inc['build_seconds']} s in the run; " + ", ".join(f"{k} {v:.2f}" for k, v in slow) + ")")
        print(f"de-duplication against the planted truth: precision {entry['dedup']['precision']}, recall {entry['dedup']['recall']}")
        scan, ds = entry["reference_scan"], entry["reference_datasketch"]
        print(f"reference read+regex scan: {scan['mb_per_s']} MB/s; our parse stage runs at {entry['ratios']['parse_vs_scan_speed']}x that")
        print(f"reference datasketch MinHashLSH: {ds['seconds']} s; {entry['ratios']['datasketch_vs_our_dedup_time']}x our de-duplication stage")
        for q in entry["queries"]:
            print(f"  query {q['median_ms']:>7.1f} ms  {q['query']}")
