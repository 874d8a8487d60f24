"""The assembly stage, wrapped: sessions whose inputs did not change since the last build are taken
from the rows it kept, per session bucket, under <out>/.cache/assembly-<code digest>/.

The stage itself (pipeline.stages.assemble_tables) takes the stored sessions as plain frames and
hands back the ones to keep; this module only reads and writes them.
"""
from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import polars as pl

from pipeline.files import mapped_frame, read_mapped_frame
from pipeline.incremental.caches import source_digest
from pipeline.stages import assemble_tables
from pipeline.transform import checks
from pipeline.transform.assembly import AssemblyResult
from pipeline.transform.assembly.store import BUCKETS, INPUT_COLUMNS, RowsInMemory, StoredSessions, split_by_bucket
from pipeline.transform.dedup import DuplicateRow

# Only the code assembly runs: an edit to the CLI, the Dagster wiring, parsing or the exports keeps the store.
ASSEMBLY_CODE = ("pipeline/model", "pipeline/transform", "pipeline/incremental/assembly_cache.py", "schemas")
# Uncompressed: a stored frame read back is a memory map of its file, not a decompressed copy, so
# the unchanged buckets and the plan cost a build next to nothing to read (at about three times the
# disk of lz4). The files are never written in place, only replaced by renames, so a map stays valid.
STORE_COMPRESSION = "uncompressed"


def build_tables(raw: pl.DataFrame, parsed, duplicates: list[DuplicateRow], canonical: dict[str, str],
                 overrides: dict | None = None, cache_dir: str | None = None, read_cache: bool = True,
                 report: dict | None = None, run_batches=None, batch_sessions: int | None = None) -> dict[str, pl.DataFrame]:
    """The dataset's tables after quarantine. With a cache_dir, sessions whose inputs did not change
    since the last build there are taken from it (read_cache=False builds every session again);
    either way the store is refreshed for the next build. `report` receives how many sessions were
    built and reused; `run_batches` runs the batches of sessions to build, of `batch_sessions`
    sessions each (see assemble_tables)."""
    previous = load_session_store(cache_dir) if cache_dir and read_cache else None
    rows = RowFiles(_assembly_dir(cache_dir) / f".rows-{os.getpid()}") if cache_dir else RowsInMemory()
    try:
        try:
            result: AssemblyResult = assemble_tables(raw, parsed, duplicates, canonical, overrides, previous,
                                                     run_batches, rows, batch_sessions)
        except (OSError, pl.exceptions.PolarsError) as exc:
            if previous is None:
                raise
            warnings.warn(f"the stored sessions could not be read ({exc}); building every session again")
            rows = rows.emptied()
            result = assemble_tables(raw, parsed, duplicates, canonical, overrides, None, run_batches, rows,
                                     batch_sessions)
        if cache_dir:
            save_session_store(cache_dir, result.stored, result.changed, rows.merged)
    finally:
        rows.close()  # the tables keep their maps: a mapped file stays readable once its name is gone
    if report is not None:
        report.update(result.stats)
    return result.tables


class RowFiles(RowsInMemory):
    """The session tables' rows kept in uncompressed Arrow files under `folder` as assembly builds
    and merges them, each handed back as a frame over a memory map of its file: pages the kernel
    may drop and read again, where frames in the heap made the building process grow with the
    corpus (about 15 KB a document). A merged bucket's file stays until the store is saved, which
    links it rather than writing the rows again; a batch's file loses its name at once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._merged: dict[tuple[str, str | None], Path] = {}   # (table, bucket) -> its merged rows
        _remove_abandoned(folder.parent)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def hold(self, frame: pl.DataFrame, name: str | None = None, bucket: str | None = None) -> pl.DataFrame:
        if name is None:
            return mapped_frame(frame, self.folder)
        path = self.folder / f"{name}-{bucket or 'all'}.arrow"
        frame.write_ipc(path, compression=STORE_COMPRESSION)
        self._merged[(name, bucket)] = path
        return read_mapped_frame(path)

    @property
    def merged(self) -> dict[tuple[str, str | None], Path]:
        return self._merged

    def emptied(self) -> RowFiles:
        self.close()
        return RowFiles(self.folder)

    def close(self) -> None:
        self._merged.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove_abandoned(folder: Path) -> None:
    """The row files of builds that were killed (their process is gone)."""
    for other in folder.glob(".rows-*"):
        try:
            os.kill(int(other.name.rsplit("-", 1)[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(other, ignore_errors=True)
        except (ValueError, OSError):  # not a pid, or another user's live process
            pass


def _assembly_dir(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"assembly-{source_digest(*ASSEMBLY_CODE)}"


def load_session_store(cache_dir: str | os.PathLike) -> StoredSessions | None:
    """The stored sessions; a bucket that is missing or unreadable only means its sessions are built again."""
    folder = _assembly_dir(cache_dir)
    inputs: list[pl.DataFrame] = []   # a bucket's each, in bucket order: sorted by session as they are
    parts: dict[str, dict[str, pl.DataFrame]] = {}
    vetted: dict[str, frozenset[str]] = {}
    for bucket in sorted(folder.glob("bucket-*")):
        try:
            inputs_df = read_mapped_frame(bucket / "_inputs.arrow")
            # a damaged file costs its bucket, not the build
            frames = {p.stem: read_mapped_frame(p) for p in sorted(bucket.glob("*.arrow")) if p.stem != "_inputs"}
        except (OSError, ValueError, pl.exceptions.PolarsError):
            continue
        inputs.append(inputs_df.select(list(INPUT_COLUMNS)).cast(INPUT_COLUMNS))
        for name, frame in frames.items():
            parts.setdefault(name, {})[bucket.name[-1]] = frame
        vetted[bucket.name[-1]] = _read_vetted(bucket / VETTED)
    if not inputs:
        return None
    plan, plan_key = _load_plan(folder / "plan")
    return StoredSessions(pl.concat(inputs, rechunk=False), parts, plan, plan_key, vetted=vetted)


# Beside a bucket's frames: the rules' digest, then the tables whose rows there passed their model.
VETTED = "_vetted.txt"


def _read_vetted(path: Path) -> frozenset[str]:
    """The tables a bucket's marker names, under the rules in force; none when it is missing, damaged
    or written under other rules (its rows are then validated again)."""
    try:
        digest, *names = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(n for n in names if n) if digest == checks.rules_digest() else frozenset()


def _write_vetted(path: Path, tables: frozenset[str]) -> None:
    path.write_text("\n".join([checks.rules_digest(), *sorted(tables)]), encoding="utf-8")


def _load_plan(folder: Path) -> tuple[dict[str, pl.DataFrame] | None, str | None]:
    """The plan as a whole or nothing: a build without it plans every document again."""
    try:
        key = (folder / "key").read_text()
        return {file.stem: read_mapped_frame(file) for file in sorted(folder.glob("*.arrow"))}, key
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None, None


def _save_plan(folder: Path, plan: dict[str, pl.DataFrame], key: str, kept: frozenset[str] = frozenset()) -> None:
    """The plan, swapped in whole. A frame in `kept` is the one read from this folder's file (see
    StoredSessions.plan_kept), so that file is linked into the new plan rather than written again."""
    staging = folder.with_name(f".plan.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, df in plan.items():
        if not (name in kept and _link(folder / f"{name}.arrow", staging / f"{name}.arrow")):
            df.write_ipc(staging / f"{name}.arrow", compression=STORE_COMPRESSION)
    (staging / "key").write_text(key)
    old = folder.with_name(f".plan.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


def _link(source: Path, destination: Path) -> bool:
    try:
        os.link(source, destination)
        return True
    except OSError:  # gone, or a file system without hard links: written instead
        return False


def save_session_store(cache_dir: str | os.PathLike, store: StoredSessions, changed: set[str] | None = None,
                       merged: dict[tuple[str, str | None], Path] | None = None) -> None:
    """Write the buckets holding a session in `changed` (all buckets when None), then the plan. Each
    is written beside the old one and swapped in with renames: a killed build loses at most a
    bucket, whose sessions are then built again. The plan goes last: an older plan with newer
    buckets only makes the next build look at the same changes again, never miss one. `changed`
    and the plan's kept frames (StoredSessions.plan_kept) are relative to the store this folder
    held, which the build was made against (what is unchanged is not written again). `merged`
    names the files already holding a table's merged rows of a bucket (RowFiles.merged): those are
    linked into place."""
    folder = _assembly_dir(cache_dir)
    buckets = set(BUCKETS) if changed is None else {sid[4:5] for sid in changed}
    frames = {"_inputs": store.inputs, **store.tables}
    staging = {bucket: folder / f".bucket-{bucket}.tmp-{os.getpid()}" for bucket in sorted(buckets)}
    for path in staging.values():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    merged = merged or {}
    for name, df in frames.items():  # one table split at a time: a second copy of one table, not of all
        linked = {bucket for bucket, path in staging.items()
                  if (name, bucket) in merged and _link(merged[(name, bucket)], path / f"{name}.arrow")}
        if len(linked) == len(staging):
            continue
        split = split_by_bucket(df, buckets - linked)
        for bucket, path in staging.items():
            if bucket not in linked:
                split.get(bucket, df.clear()).write_ipc(path / f"{name}.arrow", compression=STORE_COMPRESSION)
        del split
    for bucket, path in staging.items():  # swapped in with its frames: the marker speaks of these rows
        _write_vetted(path / VETTED, store.vetted.get(bucket, frozenset()))
    for bucket, path in staging.items():
        target = folder / f"bucket-{bucket}"
        old = folder / f".bucket-{bucket}.old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(path, target)
        shutil.rmtree(old, ignore_errors=True)
    if store.plan is not None:
        _save_plan(folder / "plan", store.plan, store.plan_key or "", store.plan_kept)
    for other in Path(cache_dir).glob("assembly-*"):
        if other != folder:
            shutil.rmtree(other, ignore_errors=True)



source_digest(*ASSEMBLY_CODE)
