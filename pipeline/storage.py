"""Raw and output folders that can be object storage: any fsspec URL (s3://, gs://, az://, ...), through
universal-pathlib. Credentials and the endpoint come from the usual environment of the storage's
client (for S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, ...).

The raw folder is read where it is (workers read each object themselves). An output URL is built in a
local folder first: its caches are downloaded, the build runs there, the DuckDB file is written
locally, and only a build that passed every blocking check is uploaded (caches first, the database and
the report last), so a failed build leaves the published output as it was.

Releases at a URL (pipeline/outputs/release.py) use the folder helpers at the end: list, download and
upload sets of files concurrently (fsspec's batched get/put), and turn the client's errors into one line.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from upath import UPath

CACHE_DIR = ".cache"
REMOTE_PARSE_CACHE = f"{CACHE_DIR}/parse"   # where a cluster build keeps its parse shards (see cmd_build)


def is_url(location: str | os.PathLike | None) -> bool:
    """True for object storage (and any other fsspec URL), False for a local path or file:// URL."""
    text = str(location or "")
    return "://" in text and not text.startswith("file://")


def folder_exists(location: str | os.PathLike) -> bool:
    return UPath(location).is_dir() if is_url(location) else Path(location).is_dir()


@dataclass
class Transfers:
    """Objects moved between the local build folder and the output URL by this process."""
    downloaded: int = 0
    uploaded: int = 0
    bytes_uploaded: int = 0
    listed: int = 0
    # cache objects as downloaded: relative path -> (size, mtime ns) of the local copy; unchanged ones are not uploaded
    fetched: dict[str, tuple[int, int]] = field(default_factory=dict)
    # cache objects under this prefix (relative to .cache/) stay where they are: the workers use them there
    remote_only: str | None = None
    mirrored: int = 0                       # cache objects copied from the local mirror instead of downloaded
    mirror: "CacheMirror | None" = None     # see staged_output

    def stays_remote(self, relative: str) -> bool:
        return bool(self.remote_only) and relative.startswith(self.remote_only)

    def as_dict(self) -> dict:
        return {"downloaded": self.downloaded, "uploaded": self.uploaded, "bytes_uploaded": self.bytes_uploaded,
                "listed": self.listed, "mirrored": self.mirrored}


MIRROR_ENV = "CYBERDIALOGUE_CACHE_MIRROR"  # a local folder keeping the caches of URL outputs between builds


class CacheMirror:
    """A local copy of an output URL's caches, kept between builds (under <root>/<digest of the URL>/),
    so that a build downloads only the cache objects written since it last saw them: an object whose
    listing entry has the ETag and size recorded for the copy is taken from the copy. The store gives
    an object a new ETag whenever other bytes are written to it. A copy that is missing or of another
    size is downloaded again; the mirror is only ever a shortcut, never the truth."""

    TAGS = "tags.json"

    def __init__(self, root: str | os.PathLike, url: str):
        self.folder = Path(root) / hashlib.sha256(str(url).rstrip("/").encode()).hexdigest()[:16]
        self.files = self.folder / "files"
        self._lock = None  # the open lock file while this build holds the mirror (see lock)
        try:
            self.tags: dict[str, str] = json.loads((self.folder / self.TAGS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.tags = {}

    def lock(self) -> bool:
        """Take the mirror for this build; False when another build holds it (this one then goes without)."""
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.folder / "lock", "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.unlock()
            return False
        return True

    def unlock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()  # closing lets go of the lock

    def copy_to(self, relative: str, tag: str | None, size: int | None, target: Path) -> bool:
        """Put the kept copy of `relative` at `target` when it is that of the object listed with `tag`."""
        kept = self.files / relative
        if tag is None or self.tags.get(relative) != tag:
            return False
        try:
            if kept.stat().st_size != size:
                return False
            shutil.copyfile(kept, target)  # a copy: the build replaces or rewrites its files as it likes
        except OSError:
            return False
        return True

    def keep(self, relative: str, tag: str | None, source: Path) -> None:
        """Keep a copy of `source` as the object `relative` listed with `tag` (none: nothing is kept)."""
        self.tags.pop(relative, None)
        if tag is None:
            return
        kept = self.files / relative
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f".{kept.name}.tmp-{os.getpid()}")
        shutil.copyfile(source, partial)
        os.replace(partial, kept)
        self.tags[relative] = tag

    def retain(self, relatives: set[str]) -> None:
        """Forget the copies of objects no longer listed."""
        for relative in set(self.tags) - relatives:
            self.tags.pop(relative)
            (self.files / relative).unlink(missing_ok=True)

    def save(self) -> None:
        from pipeline.files import write_atomically

        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.tags, sort_keys=True)
        write_atomically(self.folder / self.TAGS, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def object_tag(info: dict) -> str | None:
    """What identifies an object's bytes in a listing entry: its ETag and size (None without an ETag)."""
    tag = info.get("ETag") or info.get("etag")
    return f"{tag}:{info.get('size')}" if tag else None


def _listed_files(base: UPath) -> dict[str, dict]:
    """Every object under `base`, relative to it, with its listing entry: one recursive listing (in pages
    of many keys), nothing asked of an object on its own; none (or no such folder): {}."""
    base.fs.invalidate_cache()  # another process may have written since
    prefix = base.path.rstrip("/") + "/"
    try:
        found = base.fs.find(base.path, detail=True)
    except FileNotFoundError:
        return {}
    return {name[len(prefix):]: info for name, info in found.items()
            if name.startswith(prefix) and info.get("type") == "file" and not name.endswith("/")}


def download_cache(url: str, local_out: Path, transfers: Transfers) -> None:
    """The output's caches (<url>/.cache/) into <local_out>/.cache/; none yet is a first build. With a
    mirror (Transfers.mirror), the objects it holds as they are listed now are copied from it, not downloaded."""
    mirror = transfers.mirror
    remote = UPath(url) / CACHE_DIR
    transfers.listed += 1
    listed = _listed_files(remote)
    for relative, info in sorted(listed.items()):
        if transfers.stays_remote(relative):
            continue
        target = local_out / CACHE_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tag = object_tag(info)
        if mirror is not None and mirror.copy_to(relative, tag, info.get("size"), target):
            transfers.mirrored += 1
        else:
            target.write_bytes((remote / relative).read_bytes())
            transfers.downloaded += 1
            if mirror is not None:
                mirror.keep(relative, tag, target)
        stat = target.stat()
        transfers.fetched[relative] = (stat.st_size, stat.st_mtime_ns)
    if mirror is not None:
        mirror.retain({r for r in listed if not transfers.stays_remote(r)})
        mirror.save()


def _upload(local: Path, remote: UPath, transfers: Transfers) -> None:
    data = local.read_bytes()
    remote.write_bytes(data)
    transfers.uploaded += 1
    transfers.bytes_uploaded += len(data)


def upload_output(local_out: Path, url: str, files: list[str], transfers: Transfers) -> None:
    """The caches that changed (objects the remote no longer needs are removed), then `files` (relative to
    local_out, links followed) in the order given. With a mirror (Transfers.mirror), it keeps a copy of
    each cache object uploaded, under the ETag the listing after the uploads gives it."""
    mirror = transfers.mirror
    base = UPath(url)
    local_cache = local_out / CACHE_DIR
    remote_cache = base / CACHE_DIR
    kept: set[str] = set()
    uploaded: list[str] = []
    for path in sorted(p for p in local_cache.rglob("*") if p.is_file() and ".tmp-" not in p.name):
        relative = path.relative_to(local_cache).as_posix()
        kept.add(relative)
        info = path.stat()
        if transfers.fetched.get(relative) != (info.st_size, info.st_mtime_ns):
            _upload(path, remote_cache / relative, transfers)
            uploaded.append(relative)
    transfers.listed += 1
    listed = _listed_files(remote_cache)
    for relative in sorted(listed):
        if relative not in kept and not transfers.stays_remote(relative):
            (remote_cache / relative).unlink()
    if mirror is not None:
        for relative in uploaded:
            mirror.keep(relative, object_tag(listed.get(relative, {})), local_cache / relative)
        mirror.retain(kept & set(listed))
        mirror.save()
    for name in files:
        _upload(local_out / name, base / name, transfers)


def write_text(url: str, name: str, text: str) -> None:
    (UPath(url) / name).write_text(text)


@contextmanager
def staged_output(url: str, workdir: str | None = None, skip: str | None = None, mirror: str | None = None):
    """A local folder holding the output's caches, to build `url` in; removed afterwards. The caches
    under `skip` (a path below the output, e.g. REMOTE_PARSE_CACHE) are neither downloaded nor
    uploaded: the build uses them in place. `mirror`: a local folder keeping the caches between
    builds (see CacheMirror), held by the transfers while this build runs."""
    folder = Path(tempfile.mkdtemp(prefix="cyberdialogue-out-", dir=workdir))
    remote_only = skip[len(CACHE_DIR) + 1:].rstrip("/") + "/" if skip else None
    kept = CacheMirror(mirror, url) if mirror else None
    # one build at a time keeps a mirror up to date: a second build of the same output at once goes without
    transfers = Transfers(remote_only=remote_only, mirror=kept if kept is not None and kept.lock() else None)
    try:
        download_cache(url, folder, transfers)
        yield folder, transfers
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if transfers.mirror is not None:
            transfers.mirror.unlock()


# --- folders of files at a URL (releases) ---------------------------------------------------------------

class StorageError(Exception):
    """Object storage could not be reached or refused a request, with a one-line reason."""


def storage_exceptions() -> tuple[type[BaseException], ...]:
    """What a client raises when its storage is unreachable or refuses: OSError (fsspec's own translation),
    and the client libraries' errors it lets through (botocore's when the endpoint does not answer)."""
    kinds: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        kinds += [BotoCoreError, ClientError]
    except ImportError:
        pass
    try:
        from aiohttp import ClientError as HTTPClientError

        kinds.append(HTTPClientError)
    except ImportError:
        pass
    return tuple(kinds)


@contextmanager
def reaching(*locations: str | os.PathLike | None):
    """Storage failures inside, when a location is a URL, raised as one StorageError line naming them."""
    urls = [str(location) for location in locations if is_url(location)]
    if not urls:
        yield
        return
    try:
        yield
    except storage_exceptions() as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise StorageError(f"storage error at {', '.join(urls)}: {type(exc).__name__}: {first}") from None


@contextmanager
def fetched(url: str, folder: str | None = None, prefix: str = ".fetched-"):
    """The path of a local temporary file (named `prefix`..., in `folder`, else the system's temporary
    folder) holding the object at `url`; its name goes on leaving, so a map of it made inside stays
    readable and the file goes with the map."""
    handle, local = tempfile.mkstemp(prefix=prefix, dir=folder)
    os.close(handle)
    try:
        remote(url).fs.get_file(url, local)
        yield local
    finally:
        os.unlink(local)


def join(location: str | os.PathLike, *names: str) -> str:
    return "/".join([str(location).rstrip("/"), *names])


def remote(url: str | os.PathLike) -> UPath:
    """The URL as a path, listings cached by earlier calls forgotten (another process may have written since)."""
    path = UPath(str(url))
    path.fs.invalidate_cache()
    return path


def list_files(url: str | os.PathLike) -> list[str]:
    """Every object under the URL, relative to it, sorted; none (or no such folder): []."""
    base = remote(url)
    prefix = base.path.rstrip("/") + "/"
    try:
        found = base.fs.find(base.path)
    except FileNotFoundError:
        return []
    return sorted(path[len(prefix):] for path in found if path.startswith(prefix))


def subfolders_holding(url: str | os.PathLike, name: str) -> list[str]:
    """The folders directly under the URL that hold an object `name` (one listing per level)."""
    base = remote(url)
    prefix = base.path.rstrip("/") + "/"
    found = base.fs.glob(f"{prefix}*/{name}")
    return sorted(path[len(prefix):].split("/")[0] for path in found if path.startswith(prefix))


def download_files(url: str | os.PathLike, names: list[str], local: Path) -> None:
    """`names` (relative to the URL) into the same relative paths under `local`, concurrently."""
    base = UPath(str(url))
    for name in names:
        (local / name).parent.mkdir(parents=True, exist_ok=True)
    if names:
        base.fs.get([f"{base.path.rstrip('/')}/{n}" for n in names], [str(local / n) for n in names])


def upload_files(local: Path, url: str | os.PathLike, names: list[str]) -> None:
    """`names` (relative to `local`) to the same relative paths under the URL, concurrently."""
    base = UPath(str(url))
    if names:
        base.fs.put([str(local / n) for n in names], [f"{base.path.rstrip('/')}/{n}" for n in names])


def remove_files(url: str | os.PathLike, names: list[str]) -> None:
    base = UPath(str(url))
    if names:
        base.fs.rm([f"{base.path.rstrip('/')}/{n}" for n in names])


def local_files(folder: Path) -> list[str]:
    """Every file under a local folder, relative to it (POSIX separators), sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
