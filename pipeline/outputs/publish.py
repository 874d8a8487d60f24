"""Publishing a build atomically, and one writer per output folder at a time.

Each build writes into its own folder, out/.builds/<run id>/, and is made current by replacing one
symlink, out/current, in one rename (out/parquet and out/cyberdialogue.duckdb point into it). A build
killed at any point leaves the previous link, and so the previous output, complete and readable. The current and the
previous build are kept; older ones are removed.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

BUILDS_DIR = ".builds"
LOCK_FILE = ".lock"
_held: set[str] = set()  # output folders this process holds the lock of


class OutputLocked(RuntimeError):
    pass


@contextmanager
def output_lock(out_dir: str | os.PathLike):
    """Exclusive lock on an output folder; re-entrant within one process (the CLI holds it for its whole build)."""
    out = Path(out_dir).resolve()
    key = str(out)
    if key in _held:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / LOCK_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise OutputLocked(f"another build is writing to {out} ({owner}); wait for it to finish or use another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
    handle.flush()
    _held.add(key)
    try:
        yield
    finally:
        _held.discard(key)
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def build_dir(out_dir: str | os.PathLike, build_id: str) -> Path:
    path = Path(out_dir) / BUILDS_DIR / build_id
    path.mkdir(parents=True, exist_ok=True)
    return path


CURRENT = "current"
PUBLISHED = ("parquet", "cyberdialogue.duckdb")


def _replace_link(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.link-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def make_current(out_dir: str | os.PathLike, build: Path) -> None:
    """Make `build` (a folder in out/.builds/) the published output with one atomic rename.

    out/parquet and out/cyberdialogue.duckdb are fixed links into out/current, and out/current is
    the one link that changes, so the tables and the database always come from the same build.
    """
    out = Path(out_dir)
    for name in PUBLISHED:
        link = out / name
        if link.exists() and not link.is_symlink():  # an output written before builds were published this way
            legacy = out / BUILDS_DIR / f"legacy-{os.getpid()}"
            legacy.mkdir(parents=True, exist_ok=True)
            os.replace(link, legacy / name)
        if not link.is_symlink() or os.readlink(link) != f"{CURRENT}/{name}":
            _replace_link(link, f"{CURRENT}/{name}")
    _replace_link(out / CURRENT, os.path.relpath(build, out))


def current_build(out_dir: str | os.PathLike) -> Path | None:
    """The build folder out/current points at, if any."""
    link = Path(out_dir) / CURRENT
    return Path(os.path.realpath(link)) if link.is_symlink() and link.exists() else None


def prune_builds(out_dir: str | os.PathLike, keep: int = 2) -> None:
    """Remove build folders other than the current one, keeping the `keep` - 1 newest others."""
    out = Path(out_dir)
    builds = out / BUILDS_DIR
    if not builds.is_dir():
        return
    current = Path(os.path.realpath(out / CURRENT)) if (out / CURRENT).is_symlink() else None
    folders = sorted((p for p in builds.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    kept = 0
    for folder in folders:
        if current is not None and folder.resolve() == current:
            continue
        kept += 1
        if kept >= keep:
            shutil.rmtree(folder, ignore_errors=True)
