"""Writing a site in place, only the files that changed, and never leaving it half-written.

Beside the site, a state folder (.NAME.state/) keeps the fingerprint of every file as it was last
written, so a build renders only files whose fingerprint changed or that are missing. The new files are
rendered into a staging folder first; nothing of the site is touched until every one was. Then they are
committed: a journal names every file to be replaced, added or removed; the current version of each is kept
(a hard link) in an undo folder; then the files are moved in, each in one rename. An error rolls the site
back from the undo folder, and a build that was killed is rolled back by the next one before it starts, so
the site is always the one before a build or the one after it. When there is no site yet, the staging
folder becomes the site in one rename. One writer at a time: a lock in the state folder.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import polars as pl

from pipeline.files import write_atomically

PAGES_FILE = "pages.parquet"    # path and fingerprint of every file of the site
CHARTS_FILE = "charts.json"     # the charts' specs and SVG (charts.Charts.state)
FOLDERS_FILE = "folders.json"   # modification time of the site's folders when it was last written
JOURNAL_FILE = "journal.json"
FILES_SCHEMA = {"path": pl.String, "fingerprint": pl.UInt64}


def state_dir(site: Path) -> Path:
    return site.with_name(f".{site.name}.state")


def files_in(folder: Path) -> list[str]:
    """Every file under `folder`, as paths relative to it with "/"."""
    found = []
    for parent, _, names in os.walk(folder):
        prefix = os.path.relpath(parent, folder).replace(os.sep, "/")
        found.extend(names if prefix == "." else (f"{prefix}/{n}" for n in names))
    return found


def not_listed(present: pl.Series, listed: pl.Series) -> pl.Series:
    """The paths of `present` that `listed` lacks. None when both hold the same paths in the same order, as
    after a re-build that added and removed no page: found by one comparison instead of a set lookup per path."""
    if present.equals(listed):
        return present.clear()
    return present.filter(~present.is_in(listed.implode()))


class SiteWriter:
    """The files of one build of a site: what to render, the staged files, the commit.

    With reuse=False every file is rendered again (and still only written when its bytes changed);
    with keep_state=False (a release's site, written once) nothing is reused either and the state
    folder is removed at the end."""

    def __init__(self, site: Path, keep_state: bool = True, reuse: bool = True):
        self.site, self.keep_state, self.reuse = site, keep_state, reuse and keep_state
        self.state = state_dir(site)
        self.staging, self.undo, self.next = self.state / "staging", self.state / "undo", self.state / "next"
        self.compiled = self.state / "templates" if keep_state else None  # Jinja's compiled templates
        self._stager = Stager(site, self.staging)
        self.staged: list[str] = self._stager.staged
        self._present: pl.Series | None = None
        self._lock = None

    def __enter__(self) -> "SiteWriter":
        self.state.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.state / "lock", "a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # waits for another writer of the same site
        if (self.undo / JOURNAL_FILE).exists():
            self._rollback()  # a build killed while committing
        for folder in (self.staging, self.undo, self.next):
            shutil.rmtree(folder, ignore_errors=True)
        self.staging.mkdir()
        self.next.mkdir()
        if self.compiled:
            self.compiled.mkdir(exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            for folder in (self.staging, self.next):
                shutil.rmtree(folder, ignore_errors=True)
            if (self.undo / JOURNAL_FILE).exists():
                return  # a rollback that failed: the next writer finishes it, so its journal stays
            shutil.rmtree(self.undo, ignore_errors=True)
            if not self.keep_state:
                shutil.rmtree(self.state, ignore_errors=True)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    # -- what was written before

    def present(self) -> pl.Series:
        """The files the site has now (listed once: only this writer changes them)."""
        if self._present is None:
            self._present = pl.Series("path", files_in(self.site) if self.site.is_dir() else [], pl.String)
        return self._present

    def previous_files(self) -> pl.DataFrame:
        """Path and fingerprint of every file the site has now, as last written ([] when unknown)."""
        path = self.state / PAGES_FILE
        if not (self.reuse and self.site.is_dir() and path.is_file()):
            return pl.DataFrame(schema=FILES_SCHEMA)
        try:
            written = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):  # unreadable: render everything
            return pl.DataFrame(schema=FILES_SCHEMA)
        if self._folders_unchanged():
            self._present = written["path"]
            return written
        return written.filter(pl.col("path").is_in(self.present().implode()))

    def _folder_times(self) -> dict[str, int]:
        """The modification time of the site folder and of each folder in it (the site's layout has
        no deeper ones), which changes when a file is added to or removed from it."""
        times = {".": os.stat(self.site).st_mtime_ns}
        with os.scandir(self.site) as entries:
            times.update({e.name: e.stat().st_mtime_ns for e in entries if e.is_dir(follow_symlinks=False)})
        return times

    def _folders_unchanged(self) -> bool:
        """Whether no file was added to or removed from the site since it was last written: then its
        files are those last written, without listing 100,000 of them."""
        try:
            recorded = json.loads((self.state / FOLDERS_FILE).read_text(encoding="utf-8"))
            return bool(recorded) and self._folder_times() == recorded
        except (OSError, ValueError):
            return False

    def previous_charts(self) -> dict:
        path = self.state / CHARTS_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8")) if self.reuse and path.is_file() else {}
        except (OSError, ValueError):
            return {}

    def to_render(self, files: pl.DataFrame) -> set[str]:
        """Paths among `files` (path, fingerprint) whose fingerprint changed or that the site lacks."""
        previous = self.previous_files()
        if previous["path"].equals(files["path"]):  # the same files in the same order: no join needed
            return set(files.filter(pl.col("fingerprint") != previous["fingerprint"])["path"].to_list())
        kept = files.join(previous, on=["path", "fingerprint"], how="semi")
        return set(files.filter(~pl.col("path").is_in(kept["path"].implode()))["path"].to_list())

    # -- staging

    def stage(self, path: str, text: str) -> None:
        """Stage one file, unless the site already has these bytes there."""
        self._stager.stage(path, text)

    def stager(self) -> Stager:
        """A stager of its own for another process, into the same staging folder: the files it staged
        are then added with `adopt`."""
        return Stager(self.site, self.staging)

    def adopt(self, staged: list[str]) -> None:
        """Files another process staged (by a `stager()`), committed with those staged here."""
        self.staged.extend(staged)

    # -- commit

    def commit(self, files: pl.DataFrame, charts: dict) -> None:
        """Make the staged files the site's, remove the files `files` no longer lists, keep the state."""
        state = self._stage_state(files, charts)
        (self.state / FOLDERS_FILE).unlink(missing_ok=True)  # written again once the site is
        if self.site.exists():
            present = self.present()
            removed = [self.site / p for p in not_listed(present, files["path"])]
            self._move_in([(self.site / p, self.staging / p) for p in self.staged] + [(p, None) for p in removed]
                          + [(live, new) for live, new in state if new is not None or live.exists()])
        else:
            for live, _ in state:
                live.unlink(missing_ok=True)  # no site: no state of one
            os.rename(self.staging, self.site)
            self._move_in([(live, new) for live, new in state if new is not None])
        if self.keep_state:
            (self.state / FOLDERS_FILE).write_text(json.dumps(self._folder_times()), encoding="utf-8")

    def _stage_state(self, files: pl.DataFrame, charts: dict) -> list[tuple[Path, Path | None]]:
        """The state files to commit with the site: (where it goes, the new one or None)."""
        if not self.keep_state:
            return [(self.state / name, None) for name in (PAGES_FILE, CHARTS_FILE)]
        files.select("path", "fingerprint").write_parquet(self.next / PAGES_FILE)
        (self.next / CHARTS_FILE).write_text(json.dumps(charts, sort_keys=True), encoding="utf-8")
        return [(self.state / name, self.next / name) for name in (PAGES_FILE, CHARTS_FILE)]

    def _move_in(self, changes: list[tuple[Path, Path | None]]) -> None:
        """Replace (or, with None, remove) each file, journaled so that it can be undone."""
        if not changes:
            return
        self.undo.mkdir(exist_ok=True)
        root = self.site.parent
        journal = [{"path": os.path.relpath(live, root), "existed": live.exists()} for live, _ in changes]
        # from here on the next build can undo what follows
        write_atomically(self.undo / JOURNAL_FILE, lambda tmp: tmp.write_text(json.dumps(journal), encoding="utf-8"))
        try:
            for i, ((live, new), entry) in enumerate(zip(changes, journal)):
                if entry["existed"]:
                    _keep(live, self.undo / str(i), move=new is None)
                if new is not None:
                    live.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(new, live)
        except BaseException:
            self._rollback()
            raise
        shutil.rmtree(self.undo)

    def _rollback(self) -> None:
        """Put back what the journal says was replaced or removed; remove what was added. Safe to repeat."""
        root = self.site.parent
        journal = json.loads((self.undo / JOURNAL_FILE).read_text(encoding="utf-8"))
        for i, entry in reversed(list(enumerate(journal))):
            live, kept = root / entry["path"], self.undo / str(i)
            if not entry["existed"]:
                live.unlink(missing_ok=True)
            elif kept.exists():
                os.replace(kept, live)
        shutil.rmtree(self.undo)


class Stager:
    """Writes files into a staging folder, each unless the site already has its bytes; lists those written."""

    def __init__(self, site: Path, staging: Path):
        self.site, self.staging = site, staging
        self.staged: list[str] = []
        self._dirs: set[str] = set()
        # no site yet (a first build): no file of it can hold the bytes, and asking costs a failed open per file
        self._site_exists = site.is_dir()

    def stage(self, path: str, text: str) -> None:
        data = text.encode("utf-8")
        if self._site_exists and _holds(f"{self.site}/{path}", data):
            return
        target = f"{self.staging}/{path}"
        folder = os.path.dirname(target)
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)  # exist_ok: other processes stage into it too
            self._dirs.add(folder)
        with open(target, "wb") as f:
            f.write(data)
        self.staged.append(path)


def _holds(path: str, data: bytes) -> bool:
    """Whether the file at `path` has these bytes. One read of one byte more than `data` answers (a
    short read only makes the file be written again); a file object's read would ask for its size and
    whether it is a terminal first."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        return os.read(fd, len(data) + 1) == data
    except IsADirectoryError:
        return False
    finally:
        os.close(fd)


def _keep(live: Path, copy: Path, move: bool) -> None:
    """Keep the current version of a file in the undo folder: moved when it goes away, else linked."""
    if move:
        os.rename(live, copy)
        return
    try:
        os.link(live, copy)
    except OSError:  # a file system without hard links
        shutil.copy2(live, copy)
