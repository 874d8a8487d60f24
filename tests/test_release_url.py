"""Releases at a URL: published from a local temporary folder and uploaded (SHA256SUMS last), listed,
verified after download, never overwritten; a version folder without SHA256SUMS is an unfinished
upload. Fast tests on fsspec's in-memory filesystem (memory://), the slow one on S3 (moto_server on
loopback) through the command line, with the build itself at an s3:// URL too."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import polars as pl
import pytest
from upath import UPath

import schemas
from pipeline import storage
from pipeline.cli import main
from pipeline.outputs.release import ReleaseError, list_releases, publish_release, verify_release
from tests.conftest import s3_bucket

BUCKET = "cyberdialogue-releases"


def _remote_names(url: str) -> list[str]:
    return storage.list_files(url)


# --- memory:// (any fsspec URL takes the same path) --------------------------------------------------

@pytest.fixture
def memory_root(request):
    root = f"memory://{request.node.name}"
    yield root
    if storage.list_files(root):
        storage.remote(root).fs.rm(UPath(root).path, recursive=True)


def test_publish_to_a_url_uploads_every_file_and_lists_it(seed_build, memory_root):
    _, out = seed_build
    releases = f"{memory_root}/releases"
    assert list_releases(releases) == []
    result = publish_release("1.0.0", out, releases)
    assert result.path == f"{releases}/1.0.0" and result.level == "first" and result.replaced == 0
    assert _remote_names(result.path) == sorted(result.files)  # every file of the release, nothing else
    assert len([n for n in result.files if n.startswith("parquet/")]) == len(schemas.TABLES)
    manifest = json.loads((UPath(result.path) / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["row_counts"]["sessions"] == 4
    assert list_releases(releases) == ["1.0.0"]
    assert verify_release(result.path) == []
    with pytest.raises(ReleaseError, match=r"release 1\.0\.0 already exists at memory://.*/releases/1\.0\.0; releases are never overwritten"):
        publish_release("1.0.0", out, releases)
    with pytest.raises(ReleaseError, match="nothing changed since 1.0.0"):
        publish_release("1.0.1", out, releases)


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_an_unfinished_upload_is_no_release_and_is_replaced(seed_build, memory_root):
    _, out = seed_build
    releases = f"{memory_root}/releases"
    publish_release("1.0.0", out, releases)
    # what an upload cut off before SHA256SUMS leaves: some files, one that no release has
    (UPath(releases) / "1.1.0" / "parquet" / "people.parquet").write_bytes(b"half")
    (UPath(releases) / "1.1.0" / "stale.txt").write_bytes(b"from an older code version")
    assert list_releases(releases) == ["1.0.0"]
    assert verify_release(f"{releases}/1.1.0") == [f"{releases}/1.1.0/SHA256SUMS is missing (an upload that did not finish: not a release)"]
    result = publish_release("1.1.0", out, releases, allow_empty=True)
    assert result.replaced == 2 and result.level == "patch"
    assert _remote_names(result.path) == sorted(result.files) and "stale.txt" not in result.files
    assert list_releases(releases) == ["1.0.0", "1.1.0"] and verify_release(result.path) == []


def test_verify_at_a_url_finds_a_changed_and_an_unlisted_object(seed_build, memory_root):
    _, out = seed_build
    releases = f"{memory_root}/releases"
    publish_release("1.0.0", out, releases)
    folder = UPath(releases) / "1.0.0"
    (folder / "parquet" / "people.parquet").write_bytes((folder / "parquet" / "people.parquet").read_bytes() + b"x")
    (folder / "extra.txt").write_text("not released")
    assert verify_release(str(folder)) == ["parquet/people.parquet: checksum mismatch", "extra.txt: not in SHA256SUMS"]
    with pytest.raises(ReleaseError, match=r"cannot diff against 1\.0\.0: it fails verification \(parquet/people.parquet: checksum mismatch\)"):
        publish_release("1.1.0", out, releases, allow_empty=True)
    assert list_releases(releases) == ["1.0.0"]


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_a_build_at_a_url_is_published_into_a_local_folder(seed_build, memory_root, tmp_path):
    _, out = seed_build
    build = f"{memory_root}/out"
    with pytest.raises(ReleaseError, match=f"no complete build in {re.escape(build)}"):
        publish_release("1.0.0", build, tmp_path / "releases")
    storage.upload_files(out, build, [f"parquet/{n}.parquet" for n in schemas.TABLES] + ["build_report.json"])
    result = publish_release("1.0.0", build, tmp_path / "releases")
    assert result.path == tmp_path / "releases" / "1.0.0" and verify_release(result.path) == []
    local = publish_release("1.0.0", out, tmp_path / "local")  # the same build, published from its folder
    for name in schemas.TABLES:
        assert pl.read_parquet(result.path / "parquet" / f"{name}.parquet").equals(
            pl.read_parquet(local.path / "parquet" / f"{name}.parquet")), name
    build_report = json.loads((result.path / "manifest.json").read_text())["build_report"]
    assert build_report == json.loads((local.path / "manifest.json").read_text())["build_report"] and build_report["rows"]


def test_storage_errors_become_one_line():
    with pytest.raises(storage.StorageError, match=r"^storage error at s3://b/x: PermissionError: denied$"):
        with storage.reaching("s3://b/x", "/local"):
            raise PermissionError("denied\nmore")
    with pytest.raises(PermissionError):  # local paths: the error as it was
        with storage.reaching("/local"):
            raise PermissionError("denied")


# --- S3 (moto_server on loopback), through the command line --------------------------------------------

@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_bucket(tmp_path_factory.mktemp("s3"), BUCKET) as (server, client):
        yield server, client


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _puts(server, prefix: str) -> list[str]:
    """The keys PUT under prefix, in the order the server received them."""
    server.handle.flush()
    return re.findall(rf"PUT /{BUCKET}/{re.escape(prefix)}(\S+) HTTP", server.log.read_text(errors="replace"))


@pytest.mark.slow
def test_releases_on_s3_from_a_build_on_s3(seed_build, s3, capsys, tmp_path):
    server, client = s3
    _, out = seed_build
    build, releases = f"s3://{BUCKET}/out", f"s3://{BUCKET}/out/releases"
    # the seed build at a URL, as `cyberdialogue build --out s3://...` leaves it
    storage.upload_files(out, build, [f"parquet/{n}.parquet" for n in schemas.TABLES] + ["build_report.json"])

    code, stdout, _ = _cli(capsys, "release", "1.0.0", "--out", build)
    assert code == 0 and f"released 1.0.0 (first release) at {releases}/1.0.0" in stdout
    uploaded = _puts(server, "out/releases/1.0.0/")
    assert uploaded[-1] == "SHA256SUMS" and uploaded.count("SHA256SUMS") == 1 and len(uploaded) > 50
    sums = client.get_object(Bucket=BUCKET, Key="out/releases/1.0.0/SHA256SUMS")["Body"].read().decode()
    listed = sorted(line.split("  ", 1)[1] for line in sums.splitlines())
    assert sorted(uploaded) == sorted(listed + ["SHA256SUMS"])  # each file once, every one listed

    code, stdout, _ = _cli(capsys, "release", "--list", "--releases", releases)
    assert code == 0 and re.match(r"1\.0\.0  released \S+  code \S+.*  sessions=4 people=28 arguments=23\n$", stdout)
    code, stdout, _ = _cli(capsys, "verify", "1.0.0", "--out", build)
    assert code == 0 and stdout == "release 1.0.0: every checksum matches\n"
    code, _, stderr = _cli(capsys, "release", "1.0.0", "--out", build)
    assert code == 1 and stderr == ("cyberdialogue release: release 1.0.0 already exists at "
                                    f"{releases}/1.0.0; releases are never overwritten\n")

    # an unfinished upload of 1.1.0: not listed, not verifiable, replaced by the next publish of 1.1.0
    client.put_object(Bucket=BUCKET, Key="out/releases/1.1.0/parquet/sessions.parquet", Body=b"half")
    code, _, stderr = _cli(capsys, "verify", "1.1.0", "--releases", releases)
    assert code == 1 and "1.1.0 has no SHA256SUMS: an upload that did not finish, not a release" in stderr
    # a change: one session fewer in a local copy of the build, published to the same releases URL
    changed = tmp_path / "out"
    shutil.copytree(out / "parquet", changed / "parquet")
    sessions = pl.read_parquet(changed / "parquet" / "sessions.parquet")
    sessions.sort("session_id").head(sessions.height - 1).write_parquet(changed / "parquet" / "sessions.parquet")
    code, stdout, _ = _cli(capsys, "release", "1.1.0", "--out", str(changed), "--releases", releases)
    assert code == 0 and "removed 1 object(s) an unfinished upload of 1.1.0 had left" in stdout
    assert "released 1.1.0 (PATCH change)" in stdout
    diff = json.loads(client.get_object(Bucket=BUCKET, Key="out/releases/1.1.0/diff.json")["Body"].read())
    assert diff["previous"] == "1.0.0" and diff["tables"]["sessions"]["rows_removed"] == 1
    changelog = client.get_object(Bucket=BUCKET, Key="out/releases/1.1.0/CHANGELOG.md")["Body"].read().decode()
    assert "## 1.1.0" in changelog and "## 1.0.0" in changelog  # the history, from the downloaded 1.0.0
    code, stdout, _ = _cli(capsys, "release", "--list", "--releases", releases)
    assert [line.split()[0] for line in stdout.splitlines()] == ["1.0.0", "1.1.0"]

    # the site of a release, beside it in the bucket, its links to the release's files relative
    code, stdout, _ = _cli(capsys, "site", "--release", "1.0.0", "--out", build)
    assert code == 0 and f"at {build}/site-1.0.0" in stdout
    index = client.get_object(Bucket=BUCKET, Key="out/site-1.0.0/index.html")["Body"].read().decode()
    assert 'href="../releases/1.0.0/parquet/sessions.parquet"' in index

    # a tampered object fails verify
    client.put_object(Bucket=BUCKET, Key="out/releases/1.1.0/parquet/people.parquet", Body=b"tampered")
    code, _, stderr = _cli(capsys, "verify", "1.1.0", "--releases", releases)
    assert code == 1 and "MISMATCH parquet/people.parquet: checksum mismatch" in stderr
    assert stderr.endswith("cyberdialogue verify: release 1.1.0: 1 file(s) do not match SHA256SUMS\n")

    # storage that does not answer: one line, exit 1 (another process: a fresh client for the dead endpoint)
    env = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "release", "--list", "--releases", releases],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stdout == ""
    assert re.fullmatch(rf"cyberdialogue release: storage error at {releases}: EndpointConnectionError: .*\n", run.stderr)
