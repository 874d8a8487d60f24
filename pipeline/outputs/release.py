"""Versioned releases: immutable folders with the tables (Parquet, CSV), a DuckDB database, a
Frictionless Data Package, Croissant metadata, generated documentation, a manifest with checksums, and
a diff against the previous release.

Versions follow semantic versioning for data: MAJOR when a column or table is removed or a column
retyped (a rename is a removal and an addition), MINOR when rows, columns or tables are added, PATCH
for corrections (rows changed or removed). A version lower than the change requires is refused, and
so is a release with no change at all unless asked for (allow_empty).

The build and the releases folder can be fsspec URLs (s3://...; pipeline/storage.py): the release is
then made by the same code in a local temporary folder (the build's tables and the previous release
downloaded into it) and uploaded, SHA256SUMS last. A version folder at a URL without SHA256SUMS is an
upload that did not finish: not a release, not listed, and replaced by the next publish of its version.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import schemas
from pipeline import storage
from pipeline.outputs import docs
from pipeline.outputs import export
from pipeline.outputs.site import SITE_DIR, build_site

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
TRACKED = tuple(schemas.RELEASED_MODELS)
LEVELS = ("patch", "minor", "major")
FIRST = "first"  # the level of a first release: nothing to compare with
SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent  # a git checkout when run from one, else site-packages
NO_CHANGE = "no change in any table"
SUMS = "SHA256SUMS"  # written last: at a URL, a version folder without it is an unfinished upload


class ReleaseError(Exception):
    """A release refused, with the reason."""


def parse_version(version: str) -> tuple[int, int, int]:
    match = VERSION_RE.match(version or "")
    if not match:
        raise ReleaseError(f"version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0)")
    return tuple(int(x) for x in match.groups())


def list_releases(releases_dir: str | os.PathLike) -> list[str]:
    if storage.is_url(releases_dir):  # complete releases only: their SHA256SUMS is uploaded last
        found = [name for name in storage.subfolders_holding(releases_dir, SUMS) if VERSION_RE.match(name)]
        return sorted(found, key=parse_version)
    root = Path(releases_dir)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and VERSION_RE.match(p.name) and (p / "manifest.json").exists()]
    return sorted(found, key=parse_version)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version() -> str:
    """The git commit of the code when it runs from its checkout, else the installed package's version."""
    if (SOURCE_ROOT / "pyproject.toml").is_file():
        try:
            commit = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=SOURCE_ROOT,
                                    capture_output=True, text=True, timeout=10)
            if commit.returncode == 0 and commit.stdout.strip():
                return commit.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"cyberdialogue {version('cyberdialogue')}"
    except PackageNotFoundError:
        return "unknown"


# --- diff ----------------------------------------------------------------------------------------

def _comparable(df: pl.DataFrame) -> pl.DataFrame:
    return df.drop([c for c in ("first_seen", "last_seen") if c in df.columns])


def diff_table(name: str, old: pl.DataFrame | None, new: pl.DataFrame | None) -> dict:
    """Rows added, removed and changed (matched by primary key), and schema changes, of one table."""
    result = {"rows_added": 0, "rows_removed": 0, "rows_changed": 0, "columns_added": [], "columns_removed": [],
              "columns_retyped": {}, "table_added": old is None, "table_removed": new is None,
              "sample_added": [], "sample_removed": [], "sample_changed": []}
    if old is None or new is None:
        present = new if new is not None else old
        result["rows_added" if old is None else "rows_removed"] = present.height
        return result
    old, new = _comparable(old), _comparable(new)
    result["columns_added"] = [c for c in new.columns if c not in old.columns]
    result["columns_removed"] = [c for c in old.columns if c not in new.columns]
    result["columns_retyped"] = {c: [str(old.schema[c]), str(new.schema[c])] for c in new.columns
                                 if c in old.columns and old.schema[c] != new.schema[c]}
    common = [c for c in new.columns if c in old.columns and c not in result["columns_retyped"]]
    key = [c for c in schemas.TABLES[name].primary_key if c in common] if name in schemas.TABLES else []
    unique = key and old.select(key).is_unique().all() and new.select(key).is_unique().all()
    if not unique:  # no usable key: compare whole rows
        key = common
    old_h = old.select(key).with_columns(_row=old.select(common).hash_rows(seed=7))
    new_h = new.select(key).with_columns(_row=new.select(common).hash_rows(seed=7))
    added = new_h.join(old_h, on=key, how="anti", nulls_equal=True)
    removed = old_h.join(new_h, on=key, how="anti", nulls_equal=True)
    both = new_h.join(old_h, on=key, how="inner", suffix="_old", nulls_equal=True)
    changed = both.filter(pl.col("_row") != pl.col("_row_old"))
    sample_key = key if len(key) <= 3 else key[:3]
    result.update(rows_added=added.height, rows_removed=removed.height, rows_changed=changed.height,
                  sample_added=added.select(sample_key).head(10).rows(),
                  sample_removed=removed.select(sample_key).head(10).rows(),
                  sample_changed=changed.select(sample_key).head(10).rows())
    return result


def required_level(diff: dict) -> tuple[str, list[str]]:
    """The smallest version bump the diff needs, and why."""
    reasons = {"major": [], "minor": [], "patch": []}
    for name, d in diff.items():
        if d["table_removed"]:
            reasons["major"].append(f"table {name} removed")
        if d["columns_removed"]:
            reasons["major"].append(f"{name}: columns removed {d['columns_removed']}")
        if d["columns_retyped"]:
            reasons["major"].append(f"{name}: columns retyped {d['columns_retyped']}")
        if d["table_added"]:
            reasons["minor"].append(f"table {name} added")
        if d["columns_added"]:
            reasons["minor"].append(f"{name}: columns added {d['columns_added']}")
        if d["rows_added"] and not d["table_added"]:
            reasons["minor"].append(f"{name}: {d['rows_added']} rows added")
        if d["rows_changed"] or d["rows_removed"]:
            reasons["patch"].append(f"{name}: {d['rows_changed']} rows changed, {d['rows_removed']} removed")
    for level in ("major", "minor", "patch"):
        if reasons[level]:
            return level, reasons[level]
    return "patch", [NO_CHANGE]


def bump_level(previous: str, version: str) -> str | None:
    old, new = parse_version(previous), parse_version(version)
    if new <= old:
        return None
    if new[0] > old[0]:
        return "major"
    if new[1] > old[1]:
        return "minor"
    return "patch"


def changelog_section(version: str, previous: str | None, diff: dict, level: str, reasons: list[str], released_at: str) -> str:
    lines = [f"## {version} ({released_at[:10]})", ""]
    lines.append("First release." if previous is None else f"Changes since {previous} (a {level.upper()} change: {'; '.join(reasons[:5])}).")
    lines += ["", "| table | added | removed | changed | schema |", "| --- | --- | --- | --- | --- |"]
    for name, d in diff.items():
        schema = []
        if d["table_added"]:
            schema.append("new table")
        if d["table_removed"]:
            schema.append("table removed")
        schema += [f"+{c}" for c in d["columns_added"]] + [f"-{c}" for c in d["columns_removed"]]
        schema += [f"{c}: {a} -> {b}" for c, (a, b) in d["columns_retyped"].items()]
        lines.append(f"| {name} | {d['rows_added']} | {d['rows_removed']} | {d['rows_changed']} | {', '.join(schema) or '-'} |")
    return "\n".join(lines) + "\n"


# --- publish -------------------------------------------------------------------------------------

@dataclass
class ReleaseResult:
    version: str
    path: Path | str  # a URL (str) when published to one
    level: str
    files: dict[str, int]
    replaced: int = 0  # objects of an unfinished earlier upload of this version, removed before uploading


def _carry_forward(name: str, df: pl.DataFrame, previous: pl.DataFrame | None, version: str) -> pl.DataFrame:
    key = list(schemas.TABLES[name].primary_key)
    if previous is not None and "first_seen" in previous.columns:
        seen = previous.select([*key, "first_seen"])
        df = df.join(seen, on=key, how="left", nulls_equal=True)
        df = df.with_columns(pl.col("first_seen").fill_null(version))
    else:
        df = df.with_columns(first_seen=pl.lit(version))
    df = df.with_columns(last_seen=pl.lit(version))
    return df.select(list(schemas.release_columns(name))).sort(key, nulls_last=True, maintain_order=True)


def publish_release(version: str, out_dir: str | os.PathLike, releases_dir: str | os.PathLike | None = None,
                    now: dt.datetime | None = None, allow_empty: bool = False) -> ReleaseResult:
    """Publish the current build of out_dir as releases_dir/VERSION; refuses rather than overwrite,
    under-version, or publish a release that changes nothing (unless allow_empty)."""
    if storage.is_url(out_dir) or storage.is_url(releases_dir):
        return _publish_staged(version, out_dir, releases_dir, now, allow_empty)
    out = Path(out_dir)
    root = Path(releases_dir) if releases_dir else out / "releases"
    previous = _check_target(version, out, root)
    parquet = out / export.PARQUET_DIR
    current = {n: pl.read_parquet(parquet / f"{n}.parquet") for n in schemas.TABLES}
    old = _previous_tables(root, previous) if previous else {}
    released = {n: _carry_forward(n, df, old.get(n), version) if n in TRACKED else df for n, df in current.items()}
    diff = {n: diff_table(n, old.get(n) if previous else None, released.get(n)) for n in sorted(set(released) | set(old))}
    level, reasons = _check_level(version, previous, diff, allow_empty)
    now = now or dt.datetime.now(dt.timezone.utc)
    released_at = now.replace(microsecond=0).isoformat()
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{version}.tmp-{os.getpid()}"
    target = root / version
    if staging.exists():
        shutil.rmtree(staging)
    try:
        _write_release(staging, released, out, root, version, previous, diff, level, reasons, released_at)
        os.rename(staging, target)  # fails if another process published this version meanwhile
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ReleaseResult(version, target, level, {str(p.relative_to(target)): p.stat().st_size
                                                  for p in sorted(target.rglob("*")) if p.is_file()})


def _check_target(version: str, out: Path, root: Path) -> str | None:
    """The latest release before this one; refuses a version that exists or is not above it, and an
    output folder without a complete build."""
    parse_version(version)
    target = root / version
    if target.exists():
        raise ReleaseError(f"release {version} already exists at {target}; releases are never overwritten")
    parquet = out / export.PARQUET_DIR
    if not all((parquet / f"{n}.parquet").exists() for n in schemas.TABLES):
        raise ReleaseError(f"no complete build in {out}: run 'cyberdialogue build' first")
    existing = list_releases(root)
    previous = existing[-1] if existing else None
    if previous and parse_version(version) <= parse_version(previous):
        raise ReleaseError(f"version {version} is not above the latest release {previous}")
    return previous


def _previous_tables(root: Path, previous: str) -> dict[str, pl.DataFrame]:
    """The previous release's tables, once it passes verification (no diff against a damaged release)."""
    problems = verify_release(root / previous)
    if problems:
        raise ReleaseError(f"cannot diff against {previous}: it fails verification ({problems[0]})")
    try:
        return {path.stem: pl.read_parquet(path) for path in sorted((root / previous / "parquet").glob("*.parquet"))}
    except Exception as exc:  # unreadable previous release: no diff, no release
        raise ReleaseError(f"cannot read release {previous} to diff against it: {exc}") from None


def _check_level(version: str, previous: str | None, diff: dict, allow_empty: bool) -> tuple[str, list[str]]:
    """The level the changes need; refuses an empty release (unless allowed) and a too small bump."""
    if not previous:
        return FIRST, ["first release"]
    level, reasons = required_level(diff)
    if reasons == [NO_CHANGE] and not allow_empty:
        raise ReleaseError(f"nothing changed since {previous}: no table has a row or column added, removed or "
                           "changed (--allow-empty publishes it anyway)")
    given = bump_level(previous, version)
    if LEVELS.index(given) < LEVELS.index(level):
        minimum = _minimum_version(previous, level)
        raise ReleaseError(f"version {version} is a {given.upper()} bump but the changes need {level.upper()} "
                           f"(at least {minimum}): {'; '.join(reasons[:3])}")
    return level, reasons


def _write_release(staging: Path, released: dict[str, pl.DataFrame], out: Path, root: Path, version: str,
                   previous: str | None, diff: dict, level: str, reasons: list[str], released_at: str) -> None:
    """Every file of the release into `staging`: tables, diff, changelog, dictionary, datapackage,
    croissant, card, website, manifest and checksums, all read-only."""
    paths = export.write_parquet_tables(released, staging, released=True)
    export.write_duckdb(paths, staging / export.DATABASE_FILE, released=True)
    csv_paths = export.write_csv_tables(released, staging)
    row_counts = {n: df.height for n, df in released.items()}
    diff_doc = {"version": version, "previous": previous, "required_level": level, "reasons": reasons, "tables": diff}
    (staging / "diff.json").write_text(docs.dumps(diff_doc))
    history = (root / previous / "CHANGELOG.md").read_text().split("\n", 2)[2] if previous else ""
    (staging / "CHANGELOG.md").write_text("# Changelog\n\n" + changelog_section(version, previous, diff, level, reasons, released_at)
                                          + ("\n" + history if history else ""))
    (staging / "DATA_DICTIONARY.md").write_text(docs.data_dictionary(row_counts))
    hashes = {str(p.relative_to(staging)): (sha256_file(p), p.stat().st_size)
              for p in [*paths.values(), *csv_paths.values()]}
    (staging / "datapackage.json").write_text(docs.dumps(docs.datapackage(version, row_counts, hashes)))
    (staging / "croissant.json").write_text(docs.dumps(docs.croissant(version, row_counts, hashes, released_at)))
    manifest = {"version": version, "previous": previous, "released_at": released_at, "code_version": code_version(),
                "build_report": _build_report(out), "row_counts": row_counts, "files": {}}
    (staging / "README.md").write_text(docs.dataset_card(version, row_counts, manifest))
    build_site(staging, staging / SITE_DIR, version=version, date=released_at[:10], released=True)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest["files"] = {str(p.relative_to(staging)): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in files}
    (staging / "manifest.json").write_text(docs.dumps(manifest))
    sums = [f"{sha256_file(p)}  {p.relative_to(staging)}" for p in sorted(q for q in staging.rglob("*") if q.is_file())]
    (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    for p in staging.rglob("*"):
        if p.is_file():
            p.chmod(0o444)  # immutable by intent


def _minimum_version(previous: str, level: str) -> str:
    major, minor, patch = parse_version(previous)
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[level]


def _build_report(out: Path) -> dict | None:
    path = out / "build_report.json"
    if not path.exists():
        return None
    report = json.loads(path.read_text())
    return {k: report.get(k) for k in ("seconds", "documents", "rows", "rejects")}


def verify_release(path: str | os.PathLike) -> list[str]:
    """Every file listed in SHA256SUMS has its checksum, and no file is missing or unlisted."""
    if storage.is_url(path):
        return _verify_at_url(str(path))
    root = Path(path)
    sums = root / "SHA256SUMS"
    if not sums.exists():
        return [f"{sums} is missing"]
    problems = []
    listed = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        file = root / name
        if not file.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(file) != digest:
            problems.append(f"{name}: checksum mismatch")
    for file in sorted(root.rglob("*")):
        rel = str(file.relative_to(root))
        if file.is_file() and rel != "SHA256SUMS" and rel not in listed and not rel.endswith(".wal"):
            problems.append(f"{rel}: not in SHA256SUMS")
    return problems


# --- releases at a URL ---------------------------------------------------------------------------

def _publish_staged(version: str, out_dir: str | os.PathLike, releases_dir: str | os.PathLike | None,
                    now: dt.datetime | None, allow_empty: bool) -> ReleaseResult:
    """publish_release with the build or the releases folder at a URL: the build's tables (and report)
    and the previous release are downloaded into a temporary folder, the release is made there by the
    local code, and uploaded."""
    root = str(releases_dir) if releases_dir else storage.join(out_dir, "releases")
    with tempfile.TemporaryDirectory(prefix="cyberdialogue-release-") as tmp:
        previous = _check_remote_target(version, root) if storage.is_url(root) else None
        out = _download_build(str(out_dir), Path(tmp) / "out") if storage.is_url(out_dir) else Path(out_dir)
        if not storage.is_url(root):
            return publish_release(version, out, root, now, allow_empty)
        local_root = Path(tmp) / "releases"
        if previous:  # for the diff, the changelog's history and first_seen; verified after download
            folder = storage.join(root, previous)
            storage.download_files(folder, storage.list_files(folder), local_root / previous)
        staged = publish_release(version, out, local_root, now, allow_empty)
        target = storage.join(root, version)
        replaced = _upload_release(Path(staged.path), target, version)
        return ReleaseResult(version, target, staged.level, staged.files, replaced)


def _check_remote_target(version: str, root: str) -> str | None:
    """The latest release at the URL; refuses a version published there or not above the latest."""
    parse_version(version)
    existing = list_releases(root)
    if version in existing:
        raise ReleaseError(f"release {version} already exists at {storage.join(root, version)}; releases are never overwritten")
    previous = existing[-1] if existing else None
    if previous and parse_version(version) <= parse_version(previous):
        raise ReleaseError(f"version {version} is not above the latest release {previous}")
    return previous


def _download_build(url: str, local: Path) -> Path:
    """What a release reads of a build at a URL: its Parquet tables and build_report.json."""
    tables = [f"{n}.parquet" for n in schemas.TABLES]
    present = set(storage.list_files(storage.join(url, export.PARQUET_DIR)))
    if not present.issuperset(tables):
        raise ReleaseError(f"no complete build in {url}: run 'cyberdialogue build --out {url}' first")
    names = [f"{export.PARQUET_DIR}/{t}" for t in tables]
    if storage.remote(storage.join(url, "build_report.json")).exists():
        names.append("build_report.json")
    storage.download_files(url, names, local)
    return local


def _upload_release(local: Path, target: str, version: str) -> int:
    """Every file of the release folder under the URL, SHA256SUMS last: until it is there the folder is
    no release. Objects an unfinished earlier upload left there are removed first; returns how many."""
    leftovers = storage.list_files(target)
    if SUMS in leftovers:  # checked again: minutes may have passed since the first check
        raise ReleaseError(f"release {version} was published at {target} meanwhile by another process")
    storage.remove_files(target, leftovers)
    names = storage.local_files(local)
    try:
        storage.upload_files(local, target, [n for n in names if n != SUMS])
        storage.upload_files(local, target, [SUMS])
    except Exception:
        try:  # absent rather than incomplete, when the storage still answers
            storage.remove_files(target, storage.list_files(target))
        except Exception:
            pass
        raise
    return len(leftovers)


def _verify_at_url(url: str) -> list[str]:
    """verify_release on a downloaded copy of every object under the URL."""
    names = storage.list_files(url)
    if SUMS not in names:
        return [f"{storage.join(url, SUMS)} is missing (an upload that did not finish: not a release)"]
    with tempfile.TemporaryDirectory(prefix="cyberdialogue-verify-") as tmp:
        storage.download_files(url, names, Path(tmp))
        return verify_release(tmp)
