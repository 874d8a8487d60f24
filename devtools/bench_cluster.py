"""`cyberdialogue bench --engine ray`: the build on Ray against the local engine, on generated corpora.

Per size: a full local build (local folders), then a full Ray build from s3:// into s3:// against an
S3 server started on loopback (moto), on the Ray cluster RAY_ADDRESS names or one started for each
build. It reports per stage the wall time of both, the engine's start-up, the per-task overhead (the
round trip of empty tasks), the driver's peak resident memory (the build process; Ray workers are
other processes) and the object-storage requests of the build, counted in the S3 server's request log.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

from devtools.bench import ensure_corpus

BUCKET = "cyberdialogue-bench"
# a colored line too (moto logs 206s in color): the verb, the object's key (after the bucket) and the query
_REQUEST = re.compile(r'(GET|PUT|POST|HEAD|DELETE) /[^/ ?]*/?([^ ?]*)(\?[^ ]*)? HTTP')
_LISTED_PREFIX = re.compile(r"[?&]prefix=([^&]*)")


class S3Server:
    """moto_server on 127.0.0.1, its request log in a file (one line per request)."""

    def __init__(self, workdir: Path, access_key: str = "bench"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = workdir / "moto_server.log"
        self.handle = open(self.log, "w")
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
                                         "-p", str(self.port)], stdout=self.handle, stderr=subprocess.STDOUT)
        self.env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.port}", "AWS_ACCESS_KEY_ID": access_key,
                    "AWS_SECRET_ACCESS_KEY": access_key, "AWS_DEFAULT_REGION": "us-east-1"}
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

    settle_seconds = 0.5  # how long the log must stay the same size before it is read

    def requests(self, *prefixes: str) -> Counter:
        """Requests by verb, those on objects (or listings) under one of `prefixes` only when given:
        counted by where they went, not by when they were logged, so that a request logged late (the
        server writes its log as it goes) is still counted with its build."""
        return Counter(verb for verb, where in self._logged() if not prefixes or where.startswith(prefixes))

    def build_requests(self, raw_prefix: str, out_prefix: str) -> Counter:
        """A build's requests: every one under its output, and every one but the upload's PUTs under its
        raw objects (a build never writes there)."""
        return Counter(verb for verb, where in self._logged()
                       if where.startswith(out_prefix) or (where.startswith(raw_prefix) and verb != "PUT"))

    def _logged(self) -> list[tuple[str, str]]:
        """Every logged request as (verb, the object's key or the listed prefix), once the log has
        stopped growing for settle_seconds (every request made is in it)."""
        self.handle.flush()
        deadline, size = time.monotonic() + 30, -1
        while time.monotonic() < deadline and self.log.stat().st_size != size:
            size = self.log.stat().st_size
            time.sleep(self.settle_seconds)
        logged = []
        for verb, key, query in _REQUEST.findall(self.log.read_text(errors="replace")):
            listed = _LISTED_PREFIX.search(query or "")
            logged.append((verb, unquote(listed.group(1)) if listed and not key else key))
        return logged

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.handle.close()

    def __enter__(self) -> "S3Server":
        """Its endpoint and keys in this process's environment (and so in the processes it starts)."""
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def upload_folder(folder: Path, url: str) -> None:
    from upath import UPath

    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        (UPath(url) / path.relative_to(folder).as_posix()).write_bytes(path.read_bytes())


def _build(raw: str, out: str, env: dict, *flags: str) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--raw", raw, "--out", out, "--full",
                           "--bounds", "", *flags], capture_output=True, text=True, env={**os.environ, **env})
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"build failed: {proc.stderr.strip().splitlines()[-1:]}")
    if "://" in out:
        from upath import UPath

        report = json.loads((UPath(out) / "build_report.json").read_text())
    else:
        report = json.loads((Path(out) / "build_report.json").read_text())
    return report, round(wall, 2)


def task_overhead(tasks: int = 200) -> dict:
    """Start-up of a Ray for this process, and the mean round trip of an empty task (submitted together)."""
    import ray

    started = time.perf_counter()
    address = os.environ.get("RAY_ADDRESS") or "local"  # see pipeline.engine.ray
    ray.init(address=address, log_to_driver=False, logging_level="ERROR",
             **({"include_dashboard": False} if address == "local" else {}))
    startup = time.perf_counter() - started

    @ray.remote
    def empty(x):
        return x

    ray.get([empty.remote(i) for i in range(20)])  # workers up
    started = time.perf_counter()
    ray.get([empty.remote(i) for i in range(tasks)])
    per_task = (time.perf_counter() - started) / tasks
    ray.shutdown()
    return {"startup_seconds": round(startup, 2), "per_task_ms": round(per_task * 1000, 2), "tasks": tasks}


def _driver_peak(report: dict, field: str = "stage_peak_rss_mb") -> float | None:
    """The driver's peak over its stages: resident (stage_peak_rss_mb) or its own memory, without
    the pages it shares with files (stage_peak_heap_mb, see StageMeter)."""
    peaks = [v for v in report.get(field, {}).values() if v is not None]
    return max(peaks) if peaks else None


def bench_engines(sizes: list[int], workdir: Path, seed: int = 1, shard_size: int = 2000) -> dict:
    import boto3

    results = {"machine": {"cores": os.cpu_count()}, "shard_size": shard_size, "sizes": []}
    with S3Server(workdir) as server:
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        results["ray_tasks"] = task_overhead()
        for size in sizes:
            raw, _ = ensure_corpus(size, workdir, seed)
            local, local_wall = _build(str(raw), str(workdir / f"out_local_{size}_{seed}"), {})
            upload_folder(raw, f"s3://{BUCKET}/raw_{size}")
            ray, ray_wall = _build(f"s3://{BUCKET}/raw_{size}", f"s3://{BUCKET}/out_{size}",
                                   {"CYBERDIALOGUE_SHARD_SIZE": str(shard_size)}, "--engine", "ray")
            requests = server.build_requests(f"raw_{size}/", f"out_{size}/")
            # per stage its seconds and the driver's peak resident memory while it ran: which stage grows
            stages = {name: {"local": secs, "ray": ray["stage_seconds"].get(name),
                             "local_peak_rss_mb": local.get("stage_peak_rss_mb", {}).get(name),
                             "ray_peak_rss_mb": ray.get("stage_peak_rss_mb", {}).get(name),
                             "local_peak_heap_mb": local.get("stage_peak_heap_mb", {}).get(name),
                             "ray_peak_heap_mb": ray.get("stage_peak_heap_mb", {}).get(name),
                             # the process of its own a stage ran its work in, if it did (the database, the site)
                             "local_process_peak_heap_mb": local.get("stage_process_peak_heap_mb", {}).get(name),
                             "ray_process_peak_heap_mb": ray.get("stage_process_peak_heap_mb", {}).get(name)}
                      for name, secs in sorted(local["stage_seconds"].items(), key=lambda kv: -kv[1])}
            results["sizes"].append({
                "size": size, "documents": local["rows"]["documents"],
                "local": {"wall_seconds": local_wall, "build_seconds": local["seconds"], "driver_peak_rss_mb": _driver_peak(local),
                          "driver_peak_heap_mb": _driver_peak(local, "stage_peak_heap_mb")},
                "ray": {"wall_seconds": ray_wall, "build_seconds": ray["seconds"], "driver_peak_rss_mb": _driver_peak(ray),
                        "driver_peak_heap_mb": _driver_peak(ray, "stage_peak_heap_mb"),
                        "engine_startup_seconds": ray["parse"].get("engine_startup_seconds"),
                        "parse_shards": ray["parse"].get("parse_shards_run"),
                        "s3_requests": dict(sorted(requests.items())), "s3_requests_total": sum(requests.values()),
                        "storage": ray.get("storage")},
                "stages": stages})
    return results


def _megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_engines(results: dict) -> None:
    tasks = results["ray_tasks"]
    print(f"Ray: start-up {tasks['startup_seconds']} s, {tasks['per_task_ms']} ms per empty task "
          f"({tasks['tasks']} tasks); parse shards of about {results['shard_size']} documents")
    for entry in results["sizes"]:
        local, ray = entry["local"], entry["ray"]
        print(f"\n== {entry['documents']} documents ==")
        # MB: the driver's peak resident size in the stage, and (own) of it what is not pages of files
        print(f"  {'stage':<26} {'local s':>8} {'ray s':>8} {'local MB':>9} {'ray MB':>9} {'local own':>9} {'ray own':>9}")
        for name, s in entry["stages"].items():
            if (s["local"] or 0) >= 0.05 or (s["ray"] or 0) >= 0.05:
                print(f"  {name:<26} {s['local'] or 0:>8.2f} {s['ray'] or 0:>8.2f} "
                      f"{_megabytes(s.get('local_peak_rss_mb')):>9} {_megabytes(s.get('ray_peak_rss_mb')):>9} "
                      f"{_megabytes(s.get('local_peak_heap_mb')):>9} {_megabytes(s.get('ray_peak_heap_mb')):>9}")
        print(f"  {'whole build (wall)':<26} {local['wall_seconds']:>8.2f} {ray['wall_seconds']:>8.2f}")
        print(f"  driver peak RSS: local {local['driver_peak_rss_mb']} MB, ray {ray['driver_peak_rss_mb']} MB; "
              f"of it the driver's own (not file pages): local {_megabytes(local.get('driver_peak_heap_mb'))} MB, "
              f"ray {_megabytes(ray.get('driver_peak_heap_mb'))} MB; "
              f"Ray engine start-up in the build {ray['engine_startup_seconds']} s; {ray['parse_shards']} parse shards")
        alone = {name: s for name, s in entry["stages"].items() if s.get("local_process_peak_heap_mb") or s.get("ray_process_peak_heap_mb")}
        if alone:
            print("  own memory of the process a stage ran its work in, local / ray: " + "; ".join(
                f"{name} {_megabytes(s.get('local_process_peak_heap_mb'))} / {_megabytes(s.get('ray_process_peak_heap_mb'))} MB"
                for name, s in alone.items()))
        print(f"  object-storage requests of the ray build (s3 -> s3): {ray['s3_requests_total']} "
              f"({', '.join(f'{k} {v}' for k, v in ray['s3_requests'].items())})")
