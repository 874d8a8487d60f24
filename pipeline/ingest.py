"""Reading the raw folder: one record per file, with its bytes' hash, decoded text and detected format.

Paths go through UPath so that the raw root can be a local folder or object storage alike.
Unreadable files, symlink loops and undecodable bytes become records with a reason, never a crash.
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import polars as pl
from upath import UPath

from pipeline.sources import detect_format, parser_version
from pipeline.shards import run_sharded
from pipeline.model.ids import document_id_column
from pipeline.model.text import decode_bytes, normalize_document_text, sha256_hex

# Hidden files and editor leftovers are not documents.
SKIPPED_NAMES = (".", "~")
MAX_BYTES = 64 * 1024 * 1024  # larger files are rejected: no real session page is near this size
LISTING_ROWS = 10_000  # objects listed before their rows become columns


@dataclass
class RawFile:
    path: str                    # relative to the raw root, '/' separators
    location: str | None         # where to read it (local path or URL); None when it cannot be read
    problems: list[str] = field(default_factory=list)
    identity: tuple | None = None  # (inode, size, mtime ns, ctime ns), see known_hashes; objects: object_identity


IDENTITY_COLUMNS = ["inode", "size", "mtime_ns", "ctime_ns"]
# the readable files of a listing: where to read each and, when it has one, its identity (see RawFile)
LISTED_SCHEMA = {"path": pl.String, "location": pl.String, **{c: pl.Int64 for c in IDENTITY_COLUMNS}}


@dataclass
class RawListing:
    """Every file below a raw root: the readable ones as columns (LISTED_SCHEMA, sorted by path; a
    listing of 100k files is kept as a frame, not as objects), the others as records with the reason."""
    readable: pl.DataFrame
    unreadable: list[RawFile]

    def files(self) -> list[RawFile]:
        """Every file as a RawFile, sorted by path."""
        frame = self.readable
        found = [RawFile(path, location, [], tuple(identity) if identity[0] is not None else None)
                 for path, location, *identity in frame.select("path", "location", *IDENTITY_COLUMNS).rows()]
        return sorted(found + self.unreadable, key=lambda f: f.path)


def list_raw_files(root: str | os.PathLike) -> list[RawFile]:
    """Every regular file below `root`, recursively, sorted by relative path; links are followed once."""
    return list_raw(root).files()


def list_raw(root: str | os.PathLike) -> RawListing:
    """The files below `root` (see list_raw_files) as a RawListing."""
    base = UPath(root)
    if base.protocol in ("", "file"):
        if not base.exists():
            raise FileNotFoundError(f"raw folder not found: {root}")
        walk = _LocalWalk()
        walk.visit(str(base.path), "", frozenset())
        return walk.listing()
    return _list_objects(base, root)


def _list_objects(base: UPath, root: str | os.PathLike) -> RawListing:
    """Object storage (no links, no permissions to worry about): one recursive listing, in pages of
    many keys, gives every object with its size, time and tag, so no object is asked about on its own.
    What a local walk skips or rejects is skipped or rejected here too, so that the same files give
    the same tables from either place: hidden names at any depth, and objects over MAX_BYTES."""
    prefix = base.path.rstrip("/") + "/"
    at = str(base).rstrip("/") + "/"
    rows, frames, too_large = [], [], []

    def take(name: str, info: dict) -> None:
        relative = name[len(prefix):]
        if not (name.startswith(prefix) and _is_document(relative, info)):
            return
        if (info.get("size") or 0) > MAX_BYTES:
            too_large.append(RawFile(relative, None, [f"file too large: {info['size']} bytes (limit {MAX_BYTES})"]))
            return
        rows.append((relative, at + relative, *object_identity(info)))
        if len(rows) >= LISTING_ROWS:  # into columns as they come: a tuple of Python values per object costs ~0.35 KB
            frames.append(pl.DataFrame(rows, schema=LISTED_SCHEMA, orient="row"))
            rows.clear()

    if not _each_object_paged(base, take):
        rows.clear()
        frames.clear()
        too_large.clear()
        for name, info in base.fs.find(base.path, detail=True).items():
            take(name, info)
        _forget_listings(base.fs, base.path)
    listed = pl.concat([*frames, pl.DataFrame(rows, schema=LISTED_SCHEMA, orient="row")])
    if listed.is_empty() and not too_large and not base.exists():  # an empty listing: no such folder, or an empty one
        raise FileNotFoundError(f"raw folder not found: {root}")
    return RawListing(listed.sort("path"), too_large)


def _forget_listings(fs, path: str) -> None:
    """The listings fsspec's find left in the filesystem's listings cache under `path`, dropped: it
    keeps every listed object's entry (a dict of a dozen fields) per folder for as long as the
    filesystem lives, the build's whole run, and the rows are all a build reads of them.
    (invalidate_cache(path) drops the path's own listing and its parents', not its folders'.)"""
    root = path.rstrip("/")
    for cached in [key for key in list(fs.dircache) if key == root or key.startswith(root + "/")]:
        fs.dircache.pop(cached, None)
    fs.invalidate_cache(root)


def _each_object_paged(base: UPath, take) -> bool:
    """take(name, info) for every object below `base`, a page of the listing at a time, where the
    filesystem lists so (s3fs: its `_iterdir`, the pages of ListObjectsV2); False where it does not
    (the caller lists with fsspec's find). fsspec's find gives every object's entry at once, a dict
    of about 1 KB each that Python keeps the memory of once freed: the Ray build's driver at 50,000
    objects held ~100 MB more than a local build from its raw stage on."""
    import fsspec.asyn

    fs = base.fs
    pages = getattr(fs, "_iterdir", None)
    if pages is None or not getattr(fs, "async_impl", False) or getattr(fs, "version_aware", False):
        return False
    bucket, key, _ = fs.split_path(base.path)

    async def walk() -> None:
        async for info in pages(bucket, delimiter="", prefix=key.rstrip("/") + "/" if key else ""):
            take(info["name"], info)

    try:
        fsspec.asyn.sync(fs.loop, walk)
    except (TypeError, AttributeError, KeyError):  # another s3fs's private API: the public way
        return False
    return True


def _is_document(relative: str, info: dict) -> bool:
    """A listed object that can be a document: not a folder's placeholder (a key ending in "/"), and
    no part of its key hidden (SKIPPED_NAMES: a local walk enters no hidden folder either)."""
    return (info.get("type") == "file" and bool(relative) and not relative.endswith("/")
            and not any(part.startswith(SKIPPED_NAMES) for part in relative.split("/")))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NO_IDENTITY = (None,) * len(IDENTITY_COLUMNS)


def object_identity(info: dict) -> tuple:
    """An object's identity (IDENTITY_COLUMNS) from its listing entry: a 64-bit digest of its ETag in
    place of an inode, its size, its modification time (ns) and a change time of 0. The store gives an
    object a new ETag whenever other bytes are written, so unlike a file's times (see
    ingest_cache.recorded_hashes) no write can hide behind an unchanged identity: no racy window to
    guard. An entry without an ETag or a time has none (the object is read every build)."""
    tag = info.get("ETag") or info.get("etag")
    modified = info.get("LastModified") or info.get("last_modified")
    if not tag or not isinstance(modified, datetime) or info.get("size") is None:
        return _NO_IDENTITY
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=timezone.utc)
    digest = int.from_bytes(hashlib.sha256(str(tag).encode()).digest()[:8], "big", signed=True)
    return digest, int(info["size"]), (modified - _EPOCH) // timedelta(microseconds=1) * 1000, 0


def read_bytes(location: str) -> bytes:
    """A file's bytes, or an object's in one request (see _WHOLE_READ)."""
    if "://" in location:
        path = UPath(location)
        try:
            return path.fs.cat_file(path.path, **_whole_read_options(path.fs))
        except FileNotFoundError:
            # named by its path, as opening it did: a vanished object's reason stays what it was
            raise FileNotFoundError(path.path) from None
    with open(location, "rb") as handle:
        return handle.read()


# s3fs asks for an object's size (a HEAD) before reading it whole, to cut a large object into
# concurrent range requests; raw documents are small: one GET reads each.
_WHOLE_READ = {"s3": {"max_concurrency": 1}}


def _whole_read_options(fs) -> dict:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
    return next((_WHOLE_READ[p] for p in protocols if p in _WHOLE_READ), {})


# Files announced to the kernel ahead of the one being read. A disk not in the page cache serves many
# requests at once but one reader asks for one file at a time: with the next files announced
# (POSIX_FADV_WILLNEED starts their reads and returns) a cold read of a shard is 2-3 times faster.
READ_AHEAD = 64
_ANNOUNCE = getattr(os, "posix_fadvise", None)


def announce_reads(locations: list[str | None]) -> None:
    """Ask the kernel to start reading these local files into its cache; URLs, unreadable files and
    systems without posix_fadvise are left alone (the read itself will say what is wrong)."""
    if _ANNOUNCE is None:
        return
    for location in locations:
        if location is None or "://" in location:
            continue
        try:
            fd = os.open(location, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO put in its place must not block
        except OSError:
            continue
        try:
            _ANNOUNCE(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def read_ahead(items: list, location=lambda item: item, ahead: int = READ_AHEAD):
    """Each item in order, the files of the next `ahead` items announced (announce_reads) first."""
    for i, item in enumerate(items):
        if i % ahead == 0:  # a block's reads were announced with the block before it
            announce_reads([location(x) for x in items[i + (ahead if i else 0):i + 2 * ahead]])
        yield item


class _LocalWalk:
    """A walk of a local folder: the regular files' columns as found (os.scandir, one stat each: its
    result gives the identity), a RawFile with the reason for every other entry."""

    def __init__(self):
        self.paths: list[str] = []
        self.locations: list[str] = []
        self.identities: tuple[list[int], ...] = ([], [], [], [])   # IDENTITY_COLUMNS
        self.unreadable: list[RawFile] = []

    def listing(self) -> RawListing:
        columns = {"path": self.paths, "location": self.locations, **dict(zip(IDENTITY_COLUMNS, self.identities))}
        return RawListing(pl.DataFrame(columns, schema=LISTED_SCHEMA).sort("path"),
                          sorted(self.unreadable, key=lambda f: f.path))

    def visit(self, directory: str, prefix: str, seen: frozenset[tuple[int, int]]) -> None:
        try:
            info = os.stat(directory)
        except OSError as exc:
            self.unreadable.append(RawFile(prefix.rstrip("/") or ".", None, [f"folder not readable: {exc.strerror}"]))
            return
        if (info.st_dev, info.st_ino) in seen:
            self.unreadable.append(RawFile(prefix.rstrip("/"), None, ["symlink loop: folder already visited"]))
            return
        seen = seen | {(info.st_dev, info.st_ino)}
        try:
            with os.scandir(directory) as listing:  # order does not matter: the listing is sorted by path
                entries = [e for e in listing if not e.name.startswith(SKIPPED_NAMES)]
        except OSError as exc:
            self.unreadable.append(RawFile(prefix.rstrip("/") or ".", None, [f"folder not readable: {exc.strerror}"]))
            return
        self._add_entries(entries, prefix, seen)

    def _add_entries(self, entries: list[os.DirEntry], prefix: str, seen: frozenset[tuple[int, int]]) -> None:
        is_regular = stat.S_ISREG
        paths, locations, unreadable = self.paths, self.locations, self.unreadable
        inodes, sizes, mtimes, ctimes = self.identities
        for entry in entries:  # the common case first, appended column by column: 100k files a build
            rel = prefix + entry.name
            try:
                st = entry.stat()  # follows a link, once
            except OSError as exc:
                unreadable.append(RawFile(rel, None, [f"not readable: {exc.strerror or exc}"]))
                continue
            if is_regular(st.st_mode) and st.st_size <= MAX_BYTES:
                paths.append(rel)
                locations.append(entry.path)
                inodes.append(st.st_ino)
                sizes.append(st.st_size)
                mtimes.append(st.st_mtime_ns)
                ctimes.append(st.st_ctime_ns)
            else:
                self._add_other(entry, rel, st, seen)

    def _add_other(self, entry: os.DirEntry, rel: str, st: os.stat_result, seen: frozenset[tuple[int, int]]) -> None:
        mode = st.st_mode
        if stat.S_ISREG(mode):
            self.unreadable.append(RawFile(rel, None, [f"file too large: {st.st_size} bytes (limit {MAX_BYTES})"]))
        elif stat.S_ISDIR(mode):
            self.visit(entry.path, rel + "/", seen)
        else:
            kind = "named pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device or special file"
            self.unreadable.append(RawFile(rel, None, [f"not a regular file ({kind}); not read"]))


@dataclass
class LoadedDocument:
    sha256: str
    size: int
    text: str | None
    encoding: str | None
    problems: list[str]
    text_sha256: str | None = None  # the text's hash when it was found with the bytes' (see content_key)

    def content_key(self) -> str | None:
        """sha256 of the text's UTF-8 (None without text)."""
        if self.text is None:
            return None
        return self.text_sha256 or sha256_hex(self.text)


def load_document(raw: RawFile) -> LoadedDocument:
    """Read, decode and normalise one raw file; never raises (a failure is a problem)."""
    problems = list(raw.problems)
    if raw.location is None:
        return LoadedDocument(sha256_hex(b""), 0, None, None, problems)
    try:
        data = read_bytes(raw.location)
    except OSError as exc:
        return LoadedDocument(sha256_hex(b""), 0, None, None, problems + [f"not readable: {exc.strerror or exc}"])
    decoded = decode_bytes(data)
    problems += decoded.problems
    text = None
    if decoded.text is not None:
        text = normalize_document_text(decoded.text)
        if "\x00" in decoded.text:
            problems.append("NUL bytes removed")
        if not text.strip():
            problems.append("no text")
            text = None
    hashed = hashlib.sha256(data)
    return LoadedDocument(hashed.hexdigest(), len(data), text, decoded.encoding, problems,
                          _text_hash_from_bytes(hashed, decoded, text))


def _text_hash_from_bytes(hashed, decoded, text: str | None) -> str | None:
    """The text's sha256 from the bytes' (`hashed`) without a pass over the text, when the text is the
    bytes decoded as plain UTF-8 (no BOM) as they are, or with the final newline normalising added (the
    common cases); None otherwise."""
    if text is None or decoded.encoding != "utf-8" or decoded.problems:  # a problem: bytes replaced, not decoded
        return None
    raw = decoded.text
    if len(text) == len(raw) and text == raw:
        return hashed.hexdigest()
    if len(text) == len(raw) + 1 and text.endswith("\n") and text.startswith(raw):
        with_newline = hashed.copy()
        with_newline.update(b"\n")
        return with_newline.hexdigest()
    return None


# what reading one file gives (the text itself is not kept: content_key is its hash)
INGEST_SCHEMA = {"sha256": pl.String, "size_bytes": pl.Int64, "encoding": pl.String, "format": pl.String,
                 "problems": pl.List(pl.String), "content_key": pl.String}
LISTING_SCHEMA = {"path": pl.String, "location": pl.String}
READ_SCHEMA = {**LISTING_SCHEMA, **INGEST_SCHEMA}   # what reading a file gives (read_files)
RAW_SCHEMA = {
    "document_id": pl.String, "path": pl.String, "location": pl.String, "sha256": pl.String, "size_bytes": pl.Int64,
    "encoding": pl.String, "format": pl.String, "parser_version": pl.String, "problems": pl.List(pl.String),
}


def ingest_shard(raws: list[RawFile]) -> pl.DataFrame:
    """One row per file: hashes, encoding, detected format, reading problems (the text itself is not
    kept). A frame, not a list of dicts: it travels back as one Arrow buffer per column, and the
    process gathering every shard's rows holds columns rather than a Python object per value."""
    rows = []
    for raw in read_ahead(raws, lambda raw: raw.location):
        loaded = load_document(raw)
        fmt = detect_format(loaded.text) if loaded.text else "unknown"
        rows.append({"path": raw.path, "location": raw.location, "sha256": loaded.sha256, "size_bytes": loaded.size,
                     "encoding": loaded.encoding, "format": fmt, "problems": loaded.problems,
                     "content_key": loaded.content_key()})
    return pl.DataFrame(rows, schema=READ_SCHEMA)


def hash_shard(locations: list[str]) -> list[str | None]:
    """sha256 of each file's bytes (None when it cannot be read now: reading it again will say why)."""
    hashes = []
    for location in read_ahead(locations):
        try:
            hashes.append(sha256_hex(read_bytes(location)))
        except OSError:
            hashes.append(None)
    return hashes


def read_raw_documents(root: str | os.PathLike, workers: int | None = None, shard_size: int = 500,
                       run_tasks=None) -> pl.DataFrame:
    """One row per raw file (no text: parsing reads the file again, so memory does not grow with the
    corpus). pipeline.incremental.ingest_cache wraps this stage so that files read before are not
    decoded again. `run_tasks(function, shards)` runs the shards elsewhere (a cluster's workers
    reading each object themselves); by default on `workers` processes here."""
    listing = list_raw(root)
    return with_document_ids(read_files(FilesToRead(listing.readable, listing.unreadable), workers, shard_size, run_tasks))


@dataclass
class FilesToRead:
    """Files to read, in path order: the readable ones as rows (`readable`: path and location, sorted
    by path), the others as the RawFiles that say why (few). A file's RawFile is made when its shard
    is taken: made at once, the RawFiles of 50,000 files held ~25 MB of the driver's memory while
    their shards were read."""
    readable: pl.DataFrame
    unreadable: list[RawFile] = field(default_factory=list)

    def __len__(self) -> int:
        return self.readable.height + len(self.unreadable)

    def __iter__(self) -> Iterator[RawFile]:
        for shard in self.shards(max(len(self), 1)):
            yield from shard

    def shards(self, size: int) -> Iterator[list[RawFile]]:
        """The files `size` at a time, in path order."""
        order = self.readable.select("path", "location", pl.lit(None, dtype=pl.Int64).alias("unreadable"))
        if self.unreadable:
            others = pl.DataFrame({"path": [f.path for f in self.unreadable], "location": None,
                                   "unreadable": range(len(self.unreadable))},
                                  schema={"path": pl.String, "location": pl.String, "unreadable": pl.Int64})
            order = pl.concat([order, others]).sort("path", maintain_order=True)
        for start in range(0, order.height, size):
            yield [RawFile(path, location) if other is None else self.unreadable[other]
                   for path, location, other in order.slice(start, size).iter_rows()]


def read_files(files: FilesToRead | list[RawFile], workers: int | None = None, shard_size: int = 500, run_tasks=None,
               hold=None) -> pl.DataFrame:
    """ingest_shard over the files, in shards, as one frame (READ_SCHEMA, in the files' order);
    `hold(frame)` keeps each shard's rows as they come (default: as they are, in memory)."""
    shards = files.shards(shard_size) if isinstance(files, FilesToRead) else _slices(files, shard_size)
    frames = [hold(frame) if hold is not None else frame
              for frame in run_in_shards(ingest_shard, shards, len(files), workers, run_tasks)]
    return pl.concat(frames, rechunk=False) if frames else pl.DataFrame(schema=READ_SCHEMA)


def hash_files(locations: list[str], workers: int | None = None, run_tasks=None) -> list[str | None]:
    shards = _slices(locations, 2000)
    return [h for hashes in run_in_shards(hash_shard, shards, len(locations), workers, run_tasks) for h in hashes]


def _slices(items: list, size: int) -> Iterator[list]:
    return (items[i:i + size] for i in range(0, len(items), size))


def run_in_shards(function, shards: Iterable[list], items: int, workers: int | None, run_tasks=None) -> Iterator:
    """function's result for each of the shards (of `items` items in all), in order, as they come: by
    `run_tasks(function, shards)` when given, else on `workers` processes once there are enough
    items (processes: hashing in threads holds the GIL too often)."""
    if not items:
        return iter(())
    if run_tasks is not None:
        return iter(run_tasks(function, shards))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    return (result for _, result in run_sharded(function, shards, workers if items >= 2000 else 1))


def with_document_ids(rows: pl.DataFrame) -> pl.DataFrame:
    """Content decides the id, so renaming or moving a file keeps it; identical copies are numbered in path order."""
    versions = {fmt: parser_version(fmt) for fmt in rows.get_column("format").unique().to_list()}
    unread = rows.filter(pl.col("content_key").is_null()).get_column("path").to_list()  # few: hash their paths only
    key = pl.coalesce("content_key", pl.col("path").replace_strict({p: sha256_hex(p) for p in unread}, default=None,
                                                                   return_dtype=pl.String))
    rows = (rows.sort("path")
            .with_columns(key.alias("content_key"),
                          pl.col("format").replace_strict(versions, return_dtype=pl.String).alias("parser_version")))
    return rows.with_columns(_document_ids(rows)).select(list(RAW_SCHEMA)).cast(RAW_SCHEMA).sort("document_id")


def _document_ids(rows: pl.DataFrame) -> pl.Series:
    """document_id_column over `rows` (in path order), its copy numbering worked out over the few
    rows whose content another row has: over every row its window cost more than the rest of the
    ids (a copy's number counts only the rows of its own content, so the subset numbers the same)."""
    key = rows.get_column("content_key")
    ids = (pl.lit("doc_") + pl.col("content_key").str.slice(0, 16)).alias("document_id")
    plain = rows.select(ids).to_series()
    copies = key.is_duplicated()
    if not copies.any():
        return plain
    numbered = rows.filter(copies).select(document_id_column("content_key")).to_series()
    return plain.scatter(copies.arg_true(), numbered)

