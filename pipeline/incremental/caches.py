"""What a build keeps for the next one, under <out>/.cache/, so that a re-build only redoes the work
its changed inputs need:

- ingest: raw sha256 -> encoding, detected format, reading problems, text key (no decoding again),
  and each local file's identity (inode, size, times) when it was hashed (no reading again);
- parse: the full parse of each (sha256, format, parser version, parsing code), plus an index of
  their summaries;
- assembly: each session's rows with a hash of everything they were built from.

A cache that the code it depends on no longer matches is ignored (its name carries a digest of
that code), so an upgrade costs one slower build, never a stale table.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

_PIPELINE = Path(__file__).resolve().parent.parent  # pipeline/


@lru_cache(maxsize=None)
def source_digest(*relative: str) -> str:
    """sha256 (16 hex digits) over the named source files or folders of the project (pipeline/, schemas/).

    Cached for the life of the process, and taken once when this module is imported (see the end
    of the module), so that it describes the code that is running even if the files change."""
    digest = hashlib.sha256()
    for name in relative:
        path = _PIPELINE.parent / name
        files = sorted(path.rglob("*.py")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(_PIPELINE.parent)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def no_gc():
    """Build or load many small long-lived objects (no cycles among them) without the collector
    walking them again and again meanwhile; nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


# -- ingest ----------------------------------------------------------------------------------------

INGEST_CODE = ("pipeline/ingest.py", "pipeline/model/text.py", "pipeline/sources", "pipeline/model/vocabulary.py")
INGEST_SCHEMA = {"sha256": pl.String, "size_bytes": pl.Int64, "encoding": pl.String, "format": pl.String,
                 "problems": pl.List(pl.String), "content_key": pl.String}


def _ingest_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"ingest-{source_digest(*INGEST_CODE)}.parquet"


def load_ingest_cache(cache_dir: str | os.PathLike) -> pl.DataFrame | None:
    """One row per raw sha256 read before: what reading it gave (see INGEST_SCHEMA)."""
    try:
        return pl.read_parquet(_ingest_file(cache_dir)).cast(INGEST_SCHEMA)
    except (OSError, pl.exceptions.PolarsError):
        return None


def save_ingest_cache(cache_dir: str | os.PathLike, rows: pl.DataFrame) -> None:
    """Keep what reading gave for every file with text (a file without text is read again next time)."""
    path = _ingest_file(cache_dir)
    df = rows.filter(pl.col("content_key").is_not_null()).select(list(INGEST_SCHEMA)).unique("sha256").sort("sha256")
    _write_atomically(path, lambda tmp: df.write_parquet(tmp, compression="lz4"))
    for other in Path(cache_dir).glob("ingest-*.parquet"):
        if other != path:
            other.unlink(missing_ok=True)


def _identities_file(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / "file-identities.parquet"


IDENTITY_COLUMNS = ["inode", "size", "mtime_ns", "ctime_ns"]
IDENTITY_SCHEMA = {"path": pl.String, **{c: pl.Int64 for c in IDENTITY_COLUMNS}, "recorded_ns": pl.Int64,
                   "sha256": pl.String}


def identity_frame(files: list) -> pl.DataFrame:
    """path and identity (inode, size, mtime ns, ctime ns) of the listed local files that have one."""
    listed = [f for f in files if f.identity]
    values = np.array([f.identity for f in listed], dtype=np.int64).reshape(-1, len(IDENTITY_COLUMNS))
    return pl.DataFrame({"path": pl.Series([f.path for f in listed], dtype=pl.String),
                         **{c: values[:, i] for i, c in enumerate(IDENTITY_COLUMNS)}})


def load_file_identities(cache_dir: str | os.PathLike) -> pl.DataFrame:
    """Per path: the identity it had, when that was recorded (ns) and its sha256 (IDENTITY_SCHEMA)."""
    try:
        return pl.read_parquet(_identities_file(cache_dir)).cast(IDENTITY_SCHEMA)
    except (OSError, pl.exceptions.PolarsError):
        return pl.DataFrame(schema=IDENTITY_SCHEMA)


def save_file_identities(cache_dir: str | os.PathLike, listing: pl.DataFrame, hashes: pl.DataFrame, started_ns: int,
                         previous: pl.DataFrame) -> None:
    """Record each local file's identity (`listing`: see identity_frame) with its hash (`hashes`:
    path, sha256). `started_ns` is when
    hashing began: a file changed after that moment has a later change time and is hashed again
    next time. A file recorded before with the same identity and hash keeps its recording time."""
    df = (listing.join(hashes.filter(pl.col("sha256").is_not_null()), on="path", how="inner")
          .join(previous.select("path", *IDENTITY_COLUMNS, "sha256", "recorded_ns"),
                on=["path", *IDENTITY_COLUMNS, "sha256"], how="left")
          .with_columns(pl.col("recorded_ns").fill_null(started_ns))
          .select(list(IDENTITY_SCHEMA)).sort("path"))
    _write_atomically(_identities_file(cache_dir), lambda tmp: df.write_parquet(tmp, compression="lz4"))


# -- parse -----------------------------------------------------------------------------------------

# A parse depends on the parser's version and, as a safety net for an unbumped version, on the code
# that turns text into records, names into keys and text into fingerprints.
PARSE_CODE = ("pipeline/sources", "pipeline/document", "pipeline/extract", "pipeline/model",
              "pipeline/transform/fingerprint.py")


def parse_key_column() -> pl.Expr:
    """The parse key, from a frame's sha256, format and parser_version columns: what a parse depends
    on (the file's bytes, the format detected in them, the parser's version) and the parsing code
    itself (PARSE_CODE), "<sha256>-<format>-<version>-<code digest>"."""
    return pl.concat_str([pl.col("sha256"), pl.col("format"), pl.col("parser_version"),
                          pl.lit(source_digest(*PARSE_CODE)[:8])], separator="-").alias("parse_key")


def parse_cache_path(cache_dir: str | os.PathLike, key: str) -> str:
    return os.path.join(cache_dir, key[:2], key + ".pickle")


# What de-duplication and the stage's report need of every parse, kept as columns (one row per parse
# key) so that a re-build does not unpickle 100,000 summaries to get them.
PARSE_COLUMNS = {"key": pl.String, "exact_key": pl.String, "signature": pl.List(pl.UInt64),  # MinHash, read as an array
                 "session_keys": pl.List(pl.List(pl.String)), "format": pl.String, "title": pl.String,
                 "url": pl.String, "problems": pl.Int64, "sessions": pl.Int64}


class ParseIndex:
    """Beside the full parses: per sha256 prefix (256 folders) the summaries of its parses (key ->
    DocumentSummary, one pickle), and per first hex digit (16 files) their PARSE_COLUMNS. A re-build
    reads all the columns, and the summaries of a prefix only when one of them is asked for."""

    SUMMARIES = "summaries.v2.pickle"

    def __init__(self, cache_dir: str | os.PathLike):
        self.cache_dir = Path(cache_dir)

    def _columns_file(self, digit: str) -> Path:
        return self.cache_dir / f"columns-{digit}.arrow"

    def load_columns(self, prefixes) -> pl.DataFrame:
        frames = []
        for digit in sorted({p[0] for p in prefixes}):
            try:
                frames.append(pl.read_ipc(self._columns_file(digit)))
            except (OSError, ValueError, pl.exceptions.PolarsError):
                continue  # no index yet (or a damaged one): those documents are summarized again
        return pl.concat(frames) if frames else pl.DataFrame(schema=PARSE_COLUMNS)

    def load_summaries(self, prefix: str) -> dict:
        try:
            with no_gc(), open(self.cache_dir / prefix / self.SUMMARIES, "rb") as handle:
                return pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
            return {}

    def save(self, summaries: dict, columns: pl.DataFrame, known: pl.DataFrame, used: set[str]) -> None:
        """Write the prefixes that gained parses (`summaries` and `columns` of the new ones); there,
        entries this build does not use are dropped together with their full parse (a file that
        comes back is parsed again). The summaries go first: columns never name a parse whose
        summary is missing."""
        kept: set[str] = set()
        for prefix in sorted({key[:2] for key in summaries}):
            merged = {k: v for k, v in self.load_summaries(prefix).items() if k in used}
            merged.update((k, v) for k, v in summaries.items() if k[:2] == prefix)
            kept |= set(merged)
            folder = self.cache_dir / prefix
            for stale in folder.glob("*.pickle"):  # parses no longer used, and indexes of other code
                if stale.name != self.SUMMARIES and stale.stem not in merged:
                    stale.unlink(missing_ok=True)
            _write_atomically(folder / self.SUMMARIES,
                              lambda tmp: tmp.write_bytes(pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL)))
        written = {key[:2] for key in summaries}
        for digit in sorted({key[0] for key in summaries}):
            rows = pl.concat([known, columns]).filter(pl.col("key").str.starts_with(digit))
            # in a rewritten prefix only what its summaries kept; other prefixes as they were
            rewritten = pl.col("key").str.slice(0, 2).is_in(pl.Series(sorted(written), dtype=pl.String).implode())
            kept_here = pl.col("key").is_in(pl.Series(sorted(kept), dtype=pl.String).implode())
            rows = rows.filter(~rewritten | kept_here).unique("key", keep="last").sort("key")
            _write_atomically(self._columns_file(digit), lambda tmp: rows.write_ipc(tmp, compression="lz4"))


# -- assembly --------------------------------------------------------------------------------------

# Only the code assembly runs: an edit to the CLI, the Dagster wiring or the exports keeps the store.
ASSEMBLY_CODE = ("pipeline/model", "pipeline/transform", "pipeline/stages.py", "pipeline/incremental", "schemas")


@dataclass
class SessionStore:
    """Every session's rows as the last build assembled them (before quarantine), and the hash of
    the inputs each session was built from: a session whose inputs hash the same is not rebuilt."""
    inputs: dict[str, str]              # session_id -> input hash
    # session tables, plus the per-session names and rejects: whole, as a build made them, or as
    # loaded, table -> bucket -> rows (each bucket sorted as its table is: see assemble._merge_stored)
    tables: dict[str, pl.DataFrame | dict[str, pl.LazyFrame]]
    plan: dict[str, pl.DataFrame] | None = None     # the plan's frames (see pipeline.transform.plan), None if unreadable
    plan_key: str | None = None                     # what the plan was made under (the reviewed overrides)


# Sessions are stored in 16 buckets by the first hex digit of their id, one folder each, so that a
# re-build rewrites only the buckets of the sessions it built again.
BUCKETS = "0123456789abcdef"


def session_bucket(column: str = "session_id") -> pl.Expr:
    return pl.col(column).str.slice(4, 1)  # "ses_<hex>"


def _assembly_dir(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"assembly-{source_digest(*ASSEMBLY_CODE)}"


def load_session_store(cache_dir: str | os.PathLike) -> SessionStore | None:
    """The stored sessions; a bucket that is missing or unreadable only means its sessions are built again."""
    folder = _assembly_dir(cache_dir)
    inputs: dict[str, str] = {}
    parts: dict[str, dict[str, pl.LazyFrame]] = {}
    for bucket in sorted(folder.glob("bucket-*")):
        try:
            inputs_df = pl.read_ipc(bucket / "_inputs.arrow")
            files = [p for p in sorted(bucket.glob("*.arrow")) if p.stem != "_inputs"]
            for file in files:
                pl.read_ipc_schema(file)  # a damaged file costs its bucket, not the build
        except (OSError, ValueError, pl.exceptions.PolarsError):
            continue
        inputs.update(zip(inputs_df["session_id"].to_list(), inputs_df["input_hash"].to_list()))
        for file in files:
            parts.setdefault(file.stem, {})[bucket.name[-1]] = pl.scan_ipc(file)
    if not inputs:
        return None
    plan, plan_key = _load_plan(folder / "plan")
    # read lazily: the build takes unchanged buckets as they are and merges its new rows into the others
    return SessionStore(inputs, parts, plan, plan_key)


def _load_plan(folder: Path) -> tuple[dict[str, pl.DataFrame] | None, str | None]:
    """The plan as a whole or nothing: a build without it plans every document again."""
    try:
        key = (folder / "key").read_text()
        return {file.stem: pl.read_ipc(file) for file in sorted(folder.glob("*.arrow"))}, key
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None, None


def _save_plan(folder: Path, plan: dict[str, pl.DataFrame], key: str) -> None:
    staging = folder.with_name(f".plan.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, df in plan.items():
        df.write_ipc(staging / f"{name}.arrow", compression="lz4")
    (staging / "key").write_text(key)
    old = folder.with_name(f".plan.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


def save_session_store(cache_dir: str | os.PathLike, store: SessionStore, changed: set[str] | None = None) -> None:
    """Write the buckets holding a session in `changed` (all buckets when None), then the plan. Each
    is written beside the old one and swapped in with renames: a killed build loses at most a
    bucket, whose sessions are then built again. The plan goes last: an older plan with newer
    buckets only makes the next build look at the same changes again, never miss one."""
    folder = _assembly_dir(cache_dir)
    buckets = set(BUCKETS) if changed is None else {sid[4:5] for sid in changed}
    ids = pl.DataFrame({"session_id": list(store.inputs), "input_hash": list(store.inputs.values())},
                       schema={"session_id": pl.String, "input_hash": pl.String})
    frames = {"_inputs": ids, **store.tables}
    if len(buckets) > 2:  # one pass over each table
        split = {name: split_by_bucket(df) for name, df in frames.items()}
    else:
        split = {name: {b: df.filter(session_bucket() == b) for b in buckets} for name, df in frames.items()}
    for bucket in sorted(buckets):
        target = folder / f"bucket-{bucket}"
        staging = folder / f".bucket-{bucket}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, df in frames.items():
            split[name].get(bucket, df.clear()).write_ipc(staging / f"{name}.arrow", compression="lz4")
        old = folder / f".bucket-{bucket}.old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    if store.plan is not None:
        _save_plan(folder / "plan", store.plan, store.plan_key or "")
    for other in Path(cache_dir).glob("assembly-*"):
        if other != folder:
            shutil.rmtree(other, ignore_errors=True)


def split_by_bucket(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    if df.is_empty():
        return {}
    return {key[0]: part for key, part in
            df.with_columns(session_bucket().alias("_bucket")).partition_by("_bucket", as_dict=True, include_key=False,
                                                                           maintain_order=True).items()}


for _code in (INGEST_CODE, PARSE_CODE, ASSEMBLY_CODE):
    source_digest(*_code)
