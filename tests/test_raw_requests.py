"""The requests a build makes of the raw objects, counted in the log of an S3 server (moto) started
here: one listing for them all (no request per object), one GET per read (no HEAD), and an object
listed as it was when it was last hashed is not read again; the rows and tables are those of the
same files read from a local folder."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from devtools.bench_cluster import S3Server, upload_folder
from devtools.generate import generate_corpus
from pipeline import ingest
from pipeline.incremental import ingest_cache
from tests.conftest import s3_bucket

BUCKET = "cyberdialogue-requests"
DOCUMENTS = 24
_LINE = re.compile(r'"(GET|PUT|POST|HEAD|DELETE) /([^ ?]*)(\?[^ ]*)? HTTP')


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_bucket(tmp_path_factory.mktemp("s3"), BUCKET) as (server, _):
        yield server


@pytest.fixture(scope="module")
def local_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("corpus") / "raw"
    generate_corpus(DOCUMENTS, raw, seed=11)
    return raw


@pytest.fixture
def raw_url(s3, local_raw, request) -> str:
    """The corpus uploaded under a prefix of this test's own."""
    url = f"s3://{BUCKET}/{request.node.name}/raw"
    upload_folder(local_raw, url)
    return url


class Requests:
    """The requests the server logs from now on: (verb, object key or 'LIST') counted."""

    def __init__(self, server: S3Server):
        self.server = server
        self.start = self._settled()

    def _settled(self) -> int:
        """The log's length once every request sent so far is in it: a request sent now is logged last."""
        import boto3

        key = f"sentinel-{uuid.uuid4().hex}"
        try:
            boto3.client("s3").head_object(Bucket=BUCKET, Key=key)
        except Exception:  # 404: only its line in the log matters
            pass
        deadline = time.monotonic() + 10
        while True:
            text = self.server.log.read_text(errors="replace")
            if key in text or time.monotonic() > deadline:
                return text.index(key) + len(key) if key in text else len(text)
            time.sleep(0.02)

    def counted(self) -> Counter:
        end = self._settled()
        found = Counter()
        for verb, path, query in _LINE.findall(self.server.log.read_text(errors="replace")[self.start:end]):
            if "sentinel-" not in path:
                found[(verb, "LIST" if "list-type" in query else path.removeprefix(f"{BUCKET}/"))] += 1
        return found


def _put(url: str, relative: str, data: bytes) -> None:
    from upath import UPath

    (UPath(url) / relative).write_bytes(data)


def _object_key(url: str, relative: str) -> str:
    return f"{url.removeprefix(f's3://{BUCKET}/')}/{relative}"


def _forget_listings(url: str) -> None:
    """A worker process has listed nothing: what this process's listing left in fsspec's cache goes."""
    from upath import UPath

    UPath(url).fs.invalidate_cache()


def _without_location(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.drop("location").sort("path")


def test_one_listing_gives_every_object_with_its_identity(s3, local_raw, raw_url):
    requests = Requests(s3)
    listing = ingest.list_raw(raw_url)
    assert requests.counted() == Counter({("GET", "LIST"): 1})  # one page: no HEAD, no listing per folder
    local = ingest.list_raw(local_raw).readable
    readable = listing.readable
    assert readable["path"].to_list() == local["path"].to_list() and len(local) >= DOCUMENTS
    assert readable["location"].to_list() == [f"{raw_url}/{p}" for p in local["path"].to_list()]
    assert readable["size"].to_list() == local["size"].to_list()
    assert readable.select(ingest.IDENTITY_COLUMNS).null_count().row(0) == (0,) * 4
    assert listing.unreadable == []


@pytest.mark.parametrize("paged", [True, False])  # s3fs's pages, or fsspec's find (any other store)
def test_hidden_keys_and_large_objects_are_listed_as_a_local_walk_lists_them(s3, tmp_path, monkeypatch, request, paged):
    from upath import UPath

    if not paged:
        monkeypatch.setattr(ingest, "_each_object_paged", lambda base, take: False)
    layout = {"a.txt": b"x" * 10, ".hidden.txt": b"x", "~draft.txt": b"x", ".git/config": b"x",
              "notes/~old/b.txt": b"x", "notes/c.txt": b"x" * 30, "notes/.cache/d.txt": b"x", "e/f/g.txt": b"x" * 5}
    local = tmp_path / "raw"
    url = f"s3://{BUCKET}/{request.node.name}/raw"
    for relative, data in layout.items():
        (local / relative).parent.mkdir(parents=True, exist_ok=True)
        (local / relative).write_bytes(data)
        _put(url, relative, data)
    monkeypatch.setattr(ingest, "MAX_BYTES", 20)
    from_s3, from_disk = ingest.list_raw(url), ingest.list_raw(local)
    assert from_s3.readable["path"].to_list() == from_disk.readable["path"].to_list() == ["a.txt", "e/f/g.txt"]
    assert ([(f.path, f.problems) for f in from_s3.unreadable] == [(f.path, f.problems) for f in from_disk.unreadable]
            == [("notes/c.txt", ["file too large: 30 bytes (limit 20)"])])
    # the listing's entries are not kept by fsspec's listings cache for the rest of the run
    fs = UPath(url).fs
    assert not [path for path in fs.dircache if path.startswith(UPath(url).path)]


def test_each_object_is_read_with_one_get(s3, local_raw, raw_url):
    files = ingest.list_raw_files(raw_url)
    _forget_listings(raw_url)
    requests = Requests(s3)
    rows = pl.DataFrame(ingest.read_files(files), schema={**ingest.LISTING_SCHEMA, **ingest.INGEST_SCHEMA})
    assert requests.counted() == Counter({("GET", _object_key(raw_url, f.path)): 1 for f in files})
    local = pl.DataFrame(ingest.read_files(ingest.list_raw_files(local_raw)),
                         schema={**ingest.LISTING_SCHEMA, **ingest.INGEST_SCHEMA})
    assert _without_location(rows).equals(_without_location(local))


def test_an_object_not_written_since_it_was_hashed_is_not_read_again(s3, local_raw, raw_url, tmp_path):
    cache = tmp_path / "cache"
    paths = ingest.list_raw(local_raw).readable["path"].to_list()
    first = ingest_cache.read_raw_documents(raw_url, cache_dir=cache)
    requests = Requests(s3)
    again = ingest_cache.read_raw_documents(raw_url, cache_dir=cache)
    assert requests.counted() == Counter({("GET", "LIST"): 1})  # nothing read: every identity as recorded
    assert again.equals(first)

    # one object rewritten at once with as many bytes (same size, maybe the same second): its ETag
    # differs, so it is read again, once (hashed and decoded from the same bytes); one removed; the
    # rest not read
    changed, removed = paths[3], paths[5]
    text = (local_raw / changed).read_bytes()
    edited = text.replace(b"a", b"e", 1)
    assert edited != text and len(edited) == len(text)
    _put(raw_url, changed, edited)
    from upath import UPath

    (UPath(raw_url) / removed).unlink()
    requests = Requests(s3)
    third = ingest_cache.read_raw_documents(raw_url, cache_dir=cache)
    assert requests.counted() == Counter({("GET", "LIST"): 1, ("GET", _object_key(raw_url, changed)): 1})
    assert third.equals(ingest.read_raw_documents(raw_url))  # what reading every object again gives
    assert removed not in third["path"].to_list() and len(third) == len(first) - 1
    assert third.filter(pl.col("path") == changed)["sha256"].item() != first.filter(pl.col("path") == changed)["sha256"].item()


def test_an_object_that_vanished_after_the_listing_is_a_record_with_its_reason(s3, raw_url, tmp_path, monkeypatch):
    from upath import UPath

    cache = tmp_path / "cache"
    ingest_cache.read_raw_documents(raw_url, cache_dir=cache)
    # a new object and a rewritten one are listed, then removed before they are read
    rewritten = ingest.list_raw(raw_url).readable["path"][4]
    _put(raw_url, "late.txt", b"Added after the last build.\n")
    _put(raw_url, rewritten, b"Rewritten after the last build.\n")
    listing = ingest.list_raw(raw_url)
    for gone in ("late.txt", rewritten):
        (UPath(raw_url) / gone).unlink()
    reasons = {gone: [f"not readable: {BUCKET}/{_object_key(raw_url, gone)}"] for gone in ("late.txt", rewritten)}
    # read without a cache, and with one (hashed first, then read): the same records, never an exception
    rows = pl.DataFrame(ingest.read_files(listing.files()), schema={**ingest.LISTING_SCHEMA, **ingest.INGEST_SCHEMA})
    monkeypatch.setattr(ingest_cache, "list_raw", lambda root: listing)
    cached = ingest_cache.read_raw_documents(raw_url, cache_dir=cache)
    for frame in (rows, cached):
        vanished = frame.filter(pl.col("path").is_in(list(reasons))).sort("path")
        assert dict(zip(vanished["path"], vanished["problems"].to_list())) == reasons
        assert vanished["format"].to_list() == ["unknown"] * 2 and vanished["size_bytes"].to_list() == [0, 0]
    assert len(cached) == len(listing.readable)


def test_an_object_identity_comes_from_its_listing_entry():
    when = datetime(2026, 12, 3, 10, 0, 1, 250000, tzinfo=timezone.utc)
    entry = {"type": "file", "size": 120, "ETag": '"5d41402abc4b2a76b9719d911017c592"', "LastModified": when}
    digest, size, mtime_ns, ctime_ns = ingest.object_identity(entry)
    assert (size, mtime_ns, ctime_ns) == (120, 1_796_292_001_250_000_000, 0)
    assert ingest.object_identity({**entry, "ETag": '"other"'})[0] != digest  # other bytes: other identity
    assert ingest.object_identity({**entry, "LastModified": when.replace(tzinfo=None)}) == (digest, size, mtime_ns, 0)
    for missing in ("ETag", "LastModified"):  # without a tag or a time: none (read every build)
        assert ingest.object_identity({k: v for k, v in entry.items() if k != missing}) == (None,) * 4


def _build(raw: str, out: str, *options: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--raw", raw, "--out", out, "--bounds", "", *options],
                          capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-3000:]
    from pipeline.storage import remote

    return json.loads((remote(out) / "build_report.json").read_text())


def _tables(out: str) -> dict[str, bytes]:
    from pipeline.storage import remote

    return {p.name: p.read_bytes() for p in sorted((remote(out) / "parquet").glob("*.parquet"))}


def _raw_requests(counted: Counter, url: str) -> Counter:
    """The requests for raw objects, by verb."""
    prefix = url.removeprefix(f"s3://{BUCKET}/") + "/"
    found = Counter()
    for (verb, key), n in counted.items():
        if key.startswith(prefix):
            found[verb] += n
    return found


@pytest.mark.slow
def test_a_build_from_s3_reads_each_object_once_to_ingest_and_once_to_parse(s3, local_raw, raw_url, tmp_path):
    out = raw_url.replace("/raw", "/out")
    mirror = ("--cache-mirror", str(tmp_path / "mirror"))
    requests = Requests(s3)
    report = _build(raw_url, out, *mirror)
    counted = requests.counted()
    listed, parsed = len(ingest.list_raw(local_raw).readable), report["parse"]["parsed_now"]
    assert _raw_requests(counted, raw_url) == Counter({"GET": listed + parsed})  # no HEAD
    local = tmp_path / "local"
    _build(str(local_raw), str(local))
    assert _tables(out) == _tables(str(local))  # byte for byte, every table

    # one object changed: it alone is read, once to ingest (hashed and decoded) and once to parse, and
    # the tables are a local build's
    raw = tmp_path / "raw"
    raw.mkdir()
    subprocess.run(["cp", "-a", f"{local_raw}/.", str(raw)], check=True)
    changed = sorted(ingest.list_raw(raw).readable["path"].to_list())[9]
    (raw / changed).write_bytes((raw / changed).read_bytes() + b"\nOne more line.\n")
    _put(raw_url, changed, (raw / changed).read_bytes())
    requests = Requests(s3)
    report = _build(raw_url, out, *mirror)
    assert report["parse"]["parsed_now"] == 1
    counted = requests.counted()
    assert _raw_requests(counted, raw_url) == Counter({"GET": 2})
    # the output's caches come from the local mirror: listed, not downloaded
    assert report["storage"]["downloaded"] == 0 and report["storage"]["mirrored"] > 0
    assert _raw_requests(counted, f"{out}/.cache")["GET"] == 0  # (listings are counted apart)
    _build(str(raw), str(tmp_path / "local_again"))
    assert _tables(out) == _tables(str(tmp_path / "local_again"))


# --- the output's cache objects, kept in a local mirror between builds --------------------------------

def _cache_folder(folder: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        (folder / ".cache" / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / ".cache" / relative).write_bytes(data)
    return folder


def _downloaded(local: Path) -> dict[str, bytes]:
    cache = local / ".cache"
    return {p.relative_to(cache).as_posix(): p.read_bytes() for p in sorted(cache.rglob("*")) if p.is_file()}


def test_a_cache_mirror_downloads_only_the_cache_objects_written_since(s3, tmp_path, request):
    from pipeline import storage

    url = f"s3://{BUCKET}/{request.node.name}/out"
    mirror = tmp_path / "mirror"
    files = {"ingest.parquet": b"ingest rows", "assembly/bucket-0/sessions.arrow": b"sessions of bucket 0" * 50,
             "assembly/bucket-1/sessions.arrow": b"sessions of bucket 1" * 50}
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (local, transfers):
        assert transfers.downloaded == transfers.mirrored == 0  # a first build: nothing there yet
        storage.upload_output(_cache_folder(local, files), url, [], transfers)
    assert transfers.uploaded == 3

    # the next build takes every cache object from the mirror: one listing, no GET
    requests = Requests(s3)
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (local, transfers):
        assert _downloaded(local) == files and (transfers.downloaded, transfers.mirrored) == (0, 3)
        # it changes one cache object and removes another
        (local / ".cache/assembly/bucket-0/sessions.arrow").write_bytes(b"sessions of bucket 0, changed")
        (local / ".cache/assembly/bucket-1/sessions.arrow").unlink()
        storage.upload_output(local, url, [], transfers)
    counted = requests.counted()
    assert not [key for verb, key in counted if verb in ("GET", "HEAD") and key != "LIST"]  # nothing read
    assert counted[("PUT", _object_key(url, ".cache/assembly/bucket-0/sessions.arrow"))] == 1 and transfers.uploaded == 1

    # another writer (a build without the mirror, elsewhere) replaces an object: that one is downloaded
    _put(url, ".cache/ingest.parquet", b"ingest rows of another build")
    requests = Requests(s3)
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (local, transfers):
        got = _downloaded(local)
    assert got == {"ingest.parquet": b"ingest rows of another build",
                   "assembly/bucket-0/sessions.arrow": b"sessions of bucket 0, changed"}
    assert (transfers.downloaded, transfers.mirrored) == (1, 1)
    assert [key for verb, key in requests.counted() if verb == "GET" and key != "LIST"] == [
        _object_key(url, ".cache/ingest.parquet")]
    assert not (storage.CacheMirror(mirror, url).files / "assembly/bucket-1/sessions.arrow").exists()  # forgotten

    # a damaged copy (another size) is downloaded again; without a mirror every object is
    kept = storage.CacheMirror(mirror, url).files / "assembly/bucket-0/sessions.arrow"
    kept.write_bytes(b"cut")
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (local, transfers):
        assert _downloaded(local) == got and (transfers.downloaded, transfers.mirrored) == (1, 1)
    with storage.staged_output(url, workdir=str(tmp_path)) as (local, transfers):
        assert _downloaded(local) == got and (transfers.downloaded, transfers.mirrored) == (2, 0)
    # a second build of the same output at once goes without the mirror (one build keeps it up to date)
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (_, first):
        with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (local, second):
            assert first.mirror is not None and second.mirror is None
            assert _downloaded(local) == got and (second.downloaded, second.mirrored) == (2, 0)
    with storage.staged_output(url, workdir=str(tmp_path), mirror=str(mirror)) as (_, after):
        assert after.mirror is not None and after.mirrored == 2  # let go when the first build ended


def test_a_cache_mirror_is_one_folder_per_output_url(tmp_path):
    from pipeline import storage

    one, other = storage.CacheMirror(tmp_path, "s3://b/out"), storage.CacheMirror(tmp_path, "s3://b/out/")
    assert one.folder == other.folder != storage.CacheMirror(tmp_path, "s3://b/other").folder
    (tmp_path / "x").write_bytes(b"12345")
    one.keep("a/x", "etag:5", tmp_path / "x")
    one.save()
    again = storage.CacheMirror(tmp_path, "s3://b/out")
    assert again.copy_to("a/x", "etag:5", 5, tmp_path / "y") and (tmp_path / "y").read_bytes() == b"12345"
    assert not again.copy_to("a/x", "other:5", 5, tmp_path / "z") and not (tmp_path / "z").exists()
    assert not again.copy_to("a/x", None, 5, tmp_path / "z")
    (again.folder / again.TAGS).write_text("{not json")
    assert storage.CacheMirror(tmp_path, "s3://b/out").tags == {}  # a damaged record: nothing is taken from it
