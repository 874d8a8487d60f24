"""The parse stage, wrapped: a document whose parse is kept is not parsed again.

Parses are kept by parse key (sha256, format, parser version, and a digest of the parsing code) in
shard objects: the documents whose key starts with the same hex digits (as many as make a shard of
the corpus hold about `shard_size` documents) share one Parquet object, `shards/<prefix>.parquet`,
with each one's full parse and summary (pickled) and the columns de-duplication and the report read.
A shard is run again only when one of its documents is new to it; its task reads each new text,
checks that it is the text whose hash it is filed under, runs the pure stage (pipeline.parse) on
what is new, copies the kept parses it still needs, and writes its object whole. Beside the objects,
an index of their columns (16 files by first hex digit) says which object holds which key.

Paths go through UPath, so the cache can be object storage as well as a local folder.
"""
from __future__ import annotations

import bisect
import io
import os
import pickle
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from pipeline import storage
from pipeline.engine import shard_digits
from pipeline.files import mapped_frame, write_atomically
from pipeline.incremental.caches import source_digest
from pipeline.ingest import RawFile, load_document, read_ahead
from pipeline.memory import freeze_long_lived, no_gc
from pipeline.model.records import DocumentSummary, ParsedDocument, summarize
from pipeline.parse import parse_texts
from pipeline.transform.assembly.documents import DESCRIBE_COLUMNS, DocumentInput, describe_documents
from pipeline.transform.plan import DescribedDocuments
from pipeline.shards import run_sharded
from pipeline.transform.dedup import BANDS, ROWS, band_keys
from pipeline.transform.fingerprint import NUM_PERM

# A parse depends on the parser's version and, as a safety net for an unbumped version, on the code
# that turns text into records, names into keys and text into fingerprints.
PARSE_CODE = ("pipeline/parse.py", "pipeline/sources", "pipeline/document", "pipeline/extract", "pipeline/model",
              "pipeline/transform/fingerprint.py")


def parse_key_column() -> pl.Expr:
    """The parse key, from a frame's sha256, format and parser_version columns: what a parse depends
    on (the file's bytes, the format detected in them, the parser's version) and the parsing code
    itself (PARSE_CODE), "<sha256>-<format>-<version>-<code digest>"."""
    return pl.concat_str([pl.col("sha256"), pl.col("format"), pl.col("parser_version"),
                          pl.lit(source_digest(*PARSE_CODE)[:8])], separator="-").alias("parse_key")


# What de-duplication and the stage's report need of every parse, kept as columns (one row per parse
# key) so that a re-build reads no pickle to get them; `shard` names the object holding the parse.
# A parse's index row: read by every build. Of its MinHash signature only the LSH band keys (32 x 8
# bytes, read as an array; de-duplication reads the signatures of the documents it compares from the
# shard objects): the signatures of a whole corpus never reach the driver.
PARSE_COLUMNS = {"key": pl.String, "exact_key": pl.String, "bands": pl.List(pl.UInt64),
                 "session_keys": pl.List(pl.List(pl.String)), "format": pl.String, "title": pl.String,
                 "url": pl.String, "problems": pl.Int64, "sessions": pl.Int64, "shard": pl.String}
# The index columns only de-duplication reads (about 0.6 KB a document): not kept by the driver with
# the others, but read from the index files when de-duplication runs (ParsedDocuments.fingerprints).
FINGERPRINT_COLUMNS = ["exact_key", "bands", "session_keys"]
INDEXED = [c for c in PARSE_COLUMNS if c != "shard"]           # what a shard object keeps of each parse's index row
SHARD_COLUMNS = {**{c: PARSE_COLUMNS[c] for c in INDEXED}, "signature": pl.List(pl.UInt64),  # MinHash
                 "summary": pl.Binary, "document": pl.Binary}   # pickled DocumentSummary and ParsedDocument
SHARDS = "shards"


def shard_object(cache_dir: str, shard: str) -> str:
    return storage.join(cache_dir, SHARDS, f"{shard or 'all'}.parquet")


# A shard object is written in small row groups, lz4-compressed: an assembly batch reads a few whole
# shards and, for the copies and mirrors of its sessions, one to three documents of some eighty
# others; it decompresses only the row groups whose key range holds a wanted key (16 documents, not
# 256), and lz4 decompresses several times faster than zstd (the objects are a cache: about 1.6 times
# the bytes). Objects written in the former layout (256 rows, zstd) read the same, only slower.
SHARD_ROW_GROUP = 16
SHARD_COMPRESSION = "lz4"


def _write_object(path: str, frame: pl.DataFrame, row_group_size: int = 256, compression: str = "zstd") -> None:
    """One whole Parquet object (see _write_whole)."""
    _write_whole(path, lambda target: frame.write_parquet(target, compression=compression, row_group_size=row_group_size))


def _write_whole(path: str, write) -> None:
    """One whole object, `write(target)` writing it to a path or a buffer: a local file written beside
    and renamed (a killed build leaves the old one); an object store's PUT is whole already."""
    if not storage.is_url(path):
        write_atomically(path, write)
    else:
        buffer = io.BytesIO()
        write(buffer)
        UPath(path).write_bytes(buffer.getvalue())


def _remove(path: str) -> None:
    if storage.is_url(path):
        target = UPath(path)
        if target.exists():
            target.unlink()
    elif os.path.exists(path):
        os.unlink(path)


def _write_shard(path: str, frame: pl.DataFrame) -> None:
    """A shard object, written by pyarrow from the frame's own buffers (views: the blobs are not
    copied), plainly encoded (a pickle or a signature repeats nowhere: polars tried a dictionary for
    every 16-row chunk) with statistics for the key only (the row groups are chosen by key range):
    a quarter to a third less CPU than polars took for these many small row groups. The Arrow schema (views) is
    not stored: readers get the plain Parquet types, as from polars' objects."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    _write_whole(path, lambda target: pq.write_table(table, target, row_group_size=SHARD_ROW_GROUP,
                                                      compression=SHARD_COMPRESSION, use_dictionary=False,
                                                      write_statistics=["key"], store_schema=False))


def _read_object(path: str, columns: list[str], keys: list[str] | None = None) -> pl.DataFrame:
    """Some columns of a shard object, only the rows of `keys` when given."""
    if keys is None:
        if storage.is_url(path):
            return pl.read_parquet(io.BytesIO(UPath(path).read_bytes()), columns=columns)
        return pl.read_parquet(path, columns=columns)
    # only the row groups whose key range holds a wanted key are read (a batch of sessions often
    # wants a few documents of a shard, the copies and mirrors of its own)
    frame = pl.from_arrow(_groups_holding(path, keys, list(dict.fromkeys(["key", *columns]))))
    return frame.filter(pl.col("key").is_in(pl.Series(keys, dtype=pl.String).implode())).select(columns)


def _groups_holding(path: str, keys: list[str], columns: list[str]) -> pa.Table:
    """`columns` of the row groups of a shard object whose key range can hold one of `keys`."""
    if storage.is_url(path):
        file = pq.ParquetFile(_source(path))
        ranges = _key_ranges(file.metadata, file.schema_arrow.get_field_index("key"))
        return file.read_row_groups(_groups_in(ranges, sorted(set(keys))), columns=columns, use_threads=False)
    with pa.OSFile(path) as source:  # one open file: its footer and its pages come from the same file
        metadata, ranges = _local_footer(path, source)
        file = pq.ParquetFile(source, metadata=metadata)
        return file.read_row_groups(_groups_in(ranges, sorted(set(keys))), columns=columns, use_threads=False)


def _source(path: str):
    """What pyarrow opens: the local file, or an object's bytes."""
    return pa.BufferReader(UPath(path).read_bytes()) if storage.is_url(path) else path


# The session batches on a worker read one to three documents of many shard objects, the same objects
# batch after batch: each object's footer (its metadata and its row groups' key ranges) is decoded once
# per process. A kept footer is used only while the file ends in the very bytes it was decoded from
# (read again each time, a few KB): an object written again is decoded afresh, never read through
# an old footer.
FOOTERS_KEPT = 512
_FOOTERS: dict[str, tuple[bytes, pq.FileMetaData, list[tuple[str, str] | None]]] = {}
_FOOTERS_LOCK = threading.Lock()


def _local_footer(path: str, source: pa.NativeFile) -> tuple[pq.FileMetaData, list[tuple[str, str] | None]]:
    """The metadata and key ranges of the local Parquet file `path`, open as `source`."""
    footer = _footer_bytes(source)
    kept = _FOOTERS.get(path)
    if kept is None or kept[0] != footer:
        metadata = pq.read_metadata(source if footer is None else pa.BufferReader(b"PAR1" + footer))
        kept = (footer, metadata, _key_ranges(metadata, metadata.schema.to_arrow_schema().get_field_index("key")))
        if footer is not None:
            with _FOOTERS_LOCK:  # a build's threads may read shard objects too
                if len(_FOOTERS) >= FOOTERS_KEPT:
                    del _FOOTERS[next(iter(_FOOTERS))]   # the first kept
                _FOOTERS[path] = kept
    return kept[1], kept[2]


def _footer_bytes(source: pa.NativeFile) -> bytes | None:
    """A Parquet file's footer: its serialized metadata, length and closing magic; None when the
    file does not end like a Parquet file (pyarrow then reads it and says what is wrong)."""
    size = source.size()
    if size < 12:
        return None
    tail = source.read_at(8, size - 8)
    length = int.from_bytes(tail[:4], "little")
    if tail[4:] != b"PAR1" or length > size - 12:
        return None
    return source.read_at(length, size - 8 - length) + tail


def _key_ranges(metadata: pq.FileMetaData, key_column: int) -> list[tuple[str, str] | None]:
    """Each row group's (least, greatest) key, from its statistics; None where it has none."""
    ranges = []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(key_column).statistics
        ranges.append((stats.min, stats.max) if stats is not None and stats.has_min_max else None)
    return ranges


def _wanted_groups(metadata: pq.FileMetaData, key_column: int, keys: list[str]) -> list[int]:
    """The row groups whose key range (min..max statistics) holds one of the sorted `keys`; a group
    without statistics is read."""
    return _groups_in(_key_ranges(metadata, key_column), keys)


def _groups_in(ranges: list[tuple[str, str] | None], keys: list[str]) -> list[int]:
    """The groups (by their key ranges, see _key_ranges) that can hold one of the sorted `keys`."""
    groups = []
    for group, bounds in enumerate(ranges):
        if bounds is not None:
            i = bisect.bisect_left(keys, bounds[0])
            if i >= len(keys) or keys[i] > bounds[1]:
                continue
        groups.append(group)
    return groups


def _read_blobs(path: str, column: str, keys: list[str]) -> list[tuple[str, bytes]]:
    """(key, blob) of one binary column for the rows of `keys` in a shard object; only the
    row groups that can hold one of them are read and decompressed."""
    table = _groups_holding(path, keys, ["key", column])
    found = table.column("key").to_pylist()
    wanted = set(keys)
    rows = [i for i, key in enumerate(found) if key in wanted]
    blobs = table.column(column)
    if len(rows) < len(found):
        blobs = blobs.take(pa.array(rows, type=pa.int64()))
    return list(zip([found[i] for i in rows], blobs.to_pylist()))


# The index is read whole by every build (about 60 MB of columns at 100k documents, most of it the
# band keys and session keys): kept as uncompressed Arrow IPC it is memory-mapped, not decoded (lz4 Parquet in 4096-row
# groups took about 0.35 s to decode). A digit's file in the former layout (Parquet,
# columns-<digit>.parquet) reads the same and is written again in this one.
INDEX_HEX = "0123456789abcdef"


def _read_index_file(path: str) -> pl.DataFrame:
    """An index file (Arrow IPC), over a memory map of a local file; fully validated, so a damaged
    file raises (OSError or ValueError) instead of handing on offsets past its buffers. An object's
    is fetched into a file of this process's scratch folder first and mapped from there: read into
    the heap, de-duplication's read of the whole index (about 0.6 KB a document) held the driver's
    memory as long as it lasted (~30 MB more than a local build at 50,000 documents)."""
    if storage.is_url(path):
        with storage.fetched(path, _scratch_cache(), prefix=".index-") as local:
            return _read_index_file(local)
    with pa.memory_map(path) as source:  # the frame's buffers keep the map; the file is closed
        table = pa.ipc.open_file(source).read_all()
    table.validate(full=True)
    return pl.from_arrow(table, rechunk=False)


def _exists(path: str) -> bool:
    return UPath(path).exists() if storage.is_url(path) else os.path.exists(path)


class ParseIndex:
    """The PARSE_COLUMNS of every kept parse, per first hex digit of its key (16 files)."""

    def __init__(self, cache_dir: str | os.PathLike):
        self.cache_dir = str(cache_dir)
        self.former: set[str] = set()   # digits whose index load_columns read from the former layout

    def _columns_file(self, digit: str) -> str:
        return storage.join(self.cache_dir, f"columns-{digit}.arrow")

    def _former_file(self, digit: str) -> str:
        return storage.join(self.cache_dir, f"columns-{digit}.parquet")

    def load_columns(self) -> pl.DataFrame:
        frames = [frame for frame in map(self._load_digit, INDEX_HEX) if frame is not None]
        return pl.concat(frames, rechunk=False) if frames else pl.DataFrame(schema=PARSE_COLUMNS)

    def _load_digit(self, digit: str) -> pl.DataFrame | None:
        """One digit's rows: from its file, else from its file in the former layout; None when neither
        reads (no index yet, or a damaged one: those documents' shards run again)."""
        path = self._columns_file(digit)
        if _exists(path):
            try:
                return _read_index_file(path).cast(PARSE_COLUMNS)
            except (OSError, ValueError, pl.exceptions.PolarsError):
                return None
        try:
            frame = _read_object(self._former_file(digit), list(PARSE_COLUMNS)).cast(PARSE_COLUMNS)
        except (OSError, ValueError, pl.exceptions.PolarsError):
            return None
        self.former.add(digit)
        return frame

    def save(self, index: pl.DataFrame, digits: set[str], kept: pl.Series | None = None) -> None:
        """The files of `digits` (those whose rows changed) and of those found in the former layout,
        from the whole index (its rows where `kept` is true, when given); a file in the former layout
        goes once its digit is written."""
        where = pl.lit(True) if kept is None else pl.lit(kept)
        for digit in sorted(digits | self.former):
            # a digit's rows at a time: the index filtered whole first was a copy of every row
            rows = index.filter(where & pl.col("key").str.starts_with(digit)).sort("key")
            _write_whole(self._columns_file(digit), lambda target: rows.write_ipc(target, compression="uncompressed"))
            if digit in self.former:
                _remove(self._former_file(digit))
        self.former.clear()

    def remove_unreferenced(self, shards: set[str]) -> None:
        """Shard objects no key of the index is in (left when the corpus grew past a shard size)."""
        # listed afresh: the workers wrote objects this process has not listed
        folder = storage.remote(storage.join(self.cache_dir, SHARDS)) if storage.is_url(self.cache_dir) else UPath(
            storage.join(self.cache_dir, SHARDS))
        if folder.exists():
            names = {f"{shard or 'all'}.parquet" for shard in shards}
            for entry in folder.iterdir():
                if entry.name.endswith(".parquet") and entry.name not in names:
                    entry.unlink()


# A parse task's documents: sha256 as ingest saw it, kept_in the object holding its parse (or null)
TASK_COLUMNS = {"document_id": pl.String, "path": pl.String, "location": pl.String, "sha256": pl.String,
                "format": pl.String, "parse_key": pl.String, "kept_in": pl.String}


@dataclass
class ParseTask:
    shard: str                  # the hex prefix its documents' parse keys share
    # TASK_COLUMNS: a frame, not a dict per document, so that the tasks of a whole corpus, made at once
    # by the driver, are a few columns each and not a Python object per value
    rows: pl.DataFrame
    cache_dir: str


@dataclass
class ShardResult:
    index: pl.DataFrame                                         # PARSE_COLUMNS of every parse in the shard
    fresh: pl.Series = field(default_factory=lambda: pl.Series("key", [], dtype=pl.String))  # the keys parsed now
    parsed: int = 0


def _parsed_rows(task: ParseTask) -> pl.DataFrame:
    """The shard's new documents read and parsed, as shard rows (SHARD_COLUMNS); a file rewritten
    since ingest hashed it would file the new text's parse under the old hash: it gets no parse in
    this build (the next build, which sees its new hash, parses it)."""
    todo = []
    new = task.rows.filter(pl.col("kept_in").is_null()).to_dicts()
    for row in read_ahead(new, lambda row: row["location"]):  # the next files announced to the disk
        loaded = load_document(RawFile(row["path"], row["location"]))
        if loaded.text is not None and loaded.sha256 == row["sha256"]:
            todo.append((row["parse_key"], loaded.text, row["format"]))
    keys = [key for key, _, _ in todo]
    results = parse_texts([(text, fmt) for _, text, fmt in todo])
    listed = [summarize(result.document) for result in results]
    # built a column at a time, the signatures straight from one array: rows of dicts made polars
    # read every signature's 128 numbers back from Python ints
    signatures = np.stack([r.signature for r in results]) if results else np.empty((0, NUM_PERM), np.uint64)
    columns = {"key": keys, "exact_key": [r.exact_key for r in results],
               "bands": _uint64_lists(band_keys(signatures[:, :BANDS * ROWS]).T), "signature": _uint64_lists(signatures),
               "session_keys": _session_keys_column(results),
               "format": [s.format for s in listed], "title": [s.title for s in listed], "url": [s.url for s in listed],
               "problems": [len(s.problems) for s in listed], "sessions": [len(s.sessions) for s in listed],
               "summary": [pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL) for s in listed],
               "document": [pickle.dumps(r.document, protocol=pickle.HIGHEST_PROTOCOL) for r in results]}
    return pl.DataFrame(columns, schema=SHARD_COLUMNS)


def _session_keys_column(results: list) -> pl.Series:
    """The parses' session keys (tuples of string tuples) as one List(List(String)) column: Arrow
    converts the nested tuples in one pass, where polars built a Series per document."""
    nested = pa.array([r.session_keys for r in results], type=pa.list_(pa.list_(pa.string())))
    return pl.Series(nested).cast(SHARD_COLUMNS["session_keys"])


def _uint64_lists(rows: np.ndarray) -> pl.Series:
    """A (rows, width) array as one List(UInt64) column (MinHash signatures, band keys)."""
    return pl.Series(rows).cast(pl.List(pl.UInt64)) if len(rows) else pl.Series([], dtype=pl.List(pl.UInt64))


def parse_shard(task: ParseTask) -> ShardResult:
    """One shard: its kept parses copied from the objects holding them, its new documents parsed,
    the shard's object written whole; its index rows (and the new summaries) travel back."""
    kept_in: dict[str, list[str]] = defaultdict(list)
    for shard, key in task.rows.filter(pl.col("kept_in").is_not_null()).select("kept_in", "parse_key").iter_rows():
        kept_in[shard].append(key)
    kept = [_read_object(shard_object(task.cache_dir, shard), list(SHARD_COLUMNS), keys)
            for shard, keys in sorted(kept_in.items())]
    # Parsing makes millions of small objects without cycles, freed as each document's rows are made:
    # the cycle collector, walking them meanwhile, cost about a tenth of the parse. It comes back once
    # they are gone (only the summaries are left for it to see).
    with no_gc():
        parsed = _parsed_rows(task)
    frame = pl.concat([*kept, parsed]).cast(SHARD_COLUMNS).unique("key", keep="first").sort("key")
    _write_shard(shard_object(task.cache_dir, task.shard), frame)
    index = frame.select(INDEXED).with_columns(shard=pl.lit(task.shard, dtype=pl.String))
    return ShardResult(index, parsed.get_column("key"), parsed.height)


def _read_kept(cache_dir: str, shard: str, keys: list[str]) -> dict[str, ParsedDocument]:
    try:
        rows = _read_blobs(shard_object(cache_dir, shard), "document", keys)
    except (OSError, pa.ArrowException) as exc:
        raise RuntimeError(f"the parse cache lost {shard_object(cache_dir, shard)} ({exc}); build again with --full") from None
    found = {key: pickle.loads(blob) for key, blob in rows}
    missing = [k for k in keys if k not in found]
    if missing:
        raise RuntimeError(f"the parse cache lost {missing[0]} from {shard_object(cache_dir, shard)}; build again with --full")
    return found


@dataclass
class KeptParses:
    """Where the full parses of some documents are kept; small, so it travels to a worker, which
    reads them there, one shard object at a time."""
    cache_dir: str
    # document_id -> (shard, parse key); or a frame of document_id, shard, parse_key (made by the driver
    # for every batch of a build at once: columns, not a tuple per document)
    documents: dict[str, tuple[str, str]] | pl.DataFrame

    def _items(self):
        if isinstance(self.documents, pl.DataFrame):
            return ((d, (shard, key)) for d, shard, key in self.documents.select("document_id", "shard", "parse_key").iter_rows())
        return self.documents.items()

    def load(self) -> dict[str, ParsedDocument]:
        wanted = list(self._items())
        by_shard: dict[str, list[str]] = defaultdict(list)
        for _, (shard, key) in wanted:
            by_shard[shard].append(key)
        with no_gc():
            parses = {key: doc for shard, keys in sorted(by_shard.items())
                      for key, doc in _read_kept(self.cache_dir, shard, sorted(set(keys))).items()}
            return {document_id: parses[key] for document_id, (_, key) in wanted}


@dataclass
class DescribeTask:
    """Some documents of one shard object, to describe for planning where their summaries are."""
    cache_dir: str
    shard: str
    documents: pl.DataFrame                     # DESCRIBE_COLUMNS and parse_key, sorted by document_id
    canonical: dict[str, str]                   # the canonical document of the copies among them


def describe_shard(task: DescribeTask) -> DescribedDocuments:
    """The task's documents described (describe_documents), their summaries read from their shard object."""
    keys = sorted(set(task.documents["parse_key"].to_list()))
    path = shard_object(task.cache_dir, task.shard)
    with no_gc():
        try:
            blobs = dict(_read_object(path, ["key", "summary"], keys).iter_rows())
        except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
            raise RuntimeError(f"the parse cache lost {path} ({exc}); build again with --full") from None
        missing = [key for key in keys if key not in blobs]
        if missing:
            raise RuntimeError(f"the parse cache lost {missing[0]} from {path}; build again with --full")
        summaries = {key: pickle.loads(blobs[key]) for key in keys}
        docs = [DocumentInput(*row[:-1], summaries[row[-1]])
                for row in task.documents.select(*DESCRIBE_COLUMNS, "parse_key").iter_rows()]
        return describe_documents(docs, task.canonical)


@dataclass
class ParsedRecord:
    key: str                            # the parse key (see parse_key_column)
    shard: str                          # the shard object holding its parse
    from_cache: bool
    summaries: "SummaryStore"

    @property
    def summary(self) -> DocumentSummary:
        return self.summaries.summary(self.key, self.shard)

    @property
    def document(self) -> ParsedDocument:
        return _read_kept(self.summaries.cache_dir, self.shard, [self.key])[self.key]


class SharedValues:
    """Summaries with their equal values made one object: the same organization, country, words, date,
    series or participation in thousands of documents is held once, not once per document as unpickling
    makes it (the summaries are a build's largest state in memory: about 3.3 KB a document unshared,
    1.2 KB shared, over 12,000 generated documents). Summaries are changed in place: give it only
    summaries nothing else holds (just unpickled). Here, not in pipeline.model: how the driver holds
    summaries is no part of the parse code whose digest keys the parse cache."""

    def __init__(self) -> None:
        self._values: dict = {}

    def _one(self, value):
        return self._values.setdefault(value, value)

    def _participation(self, participation: tuple) -> tuple:
        found = self._values.get(participation)  # most are met before: one look-up
        if found is None:
            found = self._values[participation] = tuple([self._one(v) for v in participation])
        return found

    def summary(self, summary: DocumentSummary) -> DocumentSummary:
        one = self._one
        summary.format = one(summary.format)
        summary.problems = [one(p) for p in summary.problems]
        summary.notes = [one(n) for n in summary.notes]
        for stub in summary.sessions:
            stub.title, stub.title_key, stub.date = one(stub.title), one(stub.title_key), one(stub.date)
            stub.series, stub.event = one(stub.series), one(stub.event)
            stub.participants = [self._participation(p) for p in stub.participants]
        return summary


class SummaryStore:
    """Summaries by parse key: those parsed in this build, else read from their shard object, one
    shard at a time when first asked for (an incremental build asks for a handful)."""

    def __init__(self, cache_dir: str, fresh: dict[str, DocumentSummary], shared: SharedValues | None = None):
        self.cache_dir = cache_dir
        self.entries = dict(fresh)
        self.shards: set[str] = set()
        self.shared = shared or SharedValues()  # what `fresh` was made with: the ones read later share its values

    def summary(self, key: str, shard: str) -> DocumentSummary:
        found = self.entries.get(key)
        if found is None:
            if shard not in self.shards:
                self.shards.add(shard)
                with no_gc():
                    for k, blob in _read_object(shard_object(self.cache_dir, shard), ["key", "summary"]).iter_rows():
                        if k not in self.entries:
                            self.entries[k] = self.shared.summary(pickle.loads(blob))
            found = self.entries[key]
        return found

    def clear(self) -> None:
        """Hold no summary in memory; one asked for later is read from its shard object."""
        self.entries.clear()
        self.shards.clear()
        self.shared = SharedValues()


class ParsedDocuments(Mapping):
    """document_id -> ParsedRecord for every document with a parse. `frame` holds, per document,
    its parse key, whether it came from the cache, and the PARSE_COLUMNS but FINGERPRINT_COLUMNS
    (see fingerprints); summaries are read only when asked for. The stages look documents up by the
    column (a join), not one at a time: the driver holds no Python object per document (a record is
    made when one is asked for)."""

    def __init__(self, frame: pl.DataFrame, summaries: SummaryStore, shards_run: int = 0):
        # the stage joins in document order already: sorting would copy it once more (about 60 MB at 100k)
        self.frame = frame if frame["document_id"].is_sorted() else frame.sort("document_id")
        self.summaries = summaries
        self.shards_run = shards_run    # how many parse shards had work

    def loader(self, document_ids: list[str] | pl.Series) -> KeptParses:
        """What reads the full parses of `document_ids`, here or on a worker."""
        wanted = pl.Series(document_ids, dtype=pl.String)
        return KeptParses(self.summaries.cache_dir, self._of(wanted).select("document_id", "shard", "parse_key"))

    def _of(self, document_ids: pl.Series) -> pl.DataFrame:
        """The frame's rows of `document_ids`, in their order (each must have a parse)."""
        found = document_ids.to_frame("document_id").join(self.frame, on="document_id", how="left", maintain_order="left")
        if found["parse_key"].null_count():
            raise KeyError(found.filter(pl.col("parse_key").is_null())["document_id"][0])
        return found

    def parse_keys(self, document_ids: pl.Series) -> pl.Series:
        """The parse keys of `document_ids`, in their order."""
        return self._of(document_ids)["parse_key"]

    def localities(self, document_ids: pl.Series) -> pl.Series:
        """The locality of each of `document_ids` (see locality), in their order."""
        return self._of(document_ids)["shard"]

    def describe_tasks(self, documents: pl.DataFrame, canonical: dict[str, str]) -> tuple[Callable, list[DescribeTask], pl.DataFrame]:
        """describe_shard and its tasks describing those of `documents` (raw rows, DESCRIBE_COLUMNS)
        that have a parse, one per shard object holding their parses, in shard order; and the rows of
        the others (no parse: nothing to read)."""
        located = documents.select(DESCRIBE_COLUMNS).join(self.frame.select("document_id", "parse_key", "shard"),
                                                          on="document_id", how="left", maintain_order="left")
        tasks = [DescribeTask(self.summaries.cache_dir, shard, part.drop("shard").sort("document_id"),
                              {d: canonical[d] for d in part["document_id"].to_list() if d in canonical})
                 for (shard,), part in sorted(located.filter(pl.col("shard").is_not_null())
                                              .partition_by("shard", as_dict=True).items())]
        return describe_shard, tasks, located.filter(pl.col("shard").is_null()).select(DESCRIBE_COLUMNS)

    def fingerprints(self) -> pl.DataFrame:
        """FINGERPRINT_COLUMNS of every document, in the frame's order: read from the index files (over
        memory maps of local ones) when de-duplication asks, held no longer than it needs them."""
        index = ParseIndex(self.summaries.cache_dir).load_columns().select("key", *FINGERPRINT_COLUMNS)
        found = self.frame.select("parse_key").join(index, left_on="parse_key", right_on="key", how="left",
                                                    maintain_order="left")
        if found["exact_key"].null_count():
            raise RuntimeError(f"the parse index in {self.summaries.cache_dir} lost the parse "
                               f"{found.filter(pl.col('exact_key').is_null())['parse_key'][0]}; build again with --full")
        return found.select(FINGERPRINT_COLUMNS)

    def release_after_planning(self) -> None:
        """Free what only planning read (assembly is done planning): the summaries held in memory,
        read again when asked for."""
        self.summaries.clear()

    def signatures(self, document_ids: list[str]) -> np.ndarray:
        """The MinHash signatures of these documents, in order, from their shard objects (one read of
        each shard's signature column, faster than its row groups that hold them: a shard's candidates
        are spread over most of them): de-duplication reads those of the documents it compares."""
        if not document_ids:
            return np.empty((0, NUM_PERM), np.uint64)
        wanted = self._of(pl.Series(document_ids, dtype=pl.String))
        by_shard: dict[str, list[str]] = defaultdict(list)
        for key, shard in wanted.select("parse_key", "shard").iter_rows():
            by_shard[shard].append(key)

        def read(shard: str) -> pl.DataFrame:
            return _read_object(shard_object(self.summaries.cache_dir, shard), ["key", "signature"]).filter(
                pl.col("key").is_in(pl.Series(by_shard[shard], dtype=pl.String).implode()))

        found: dict[str, np.ndarray] = {}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # polars reads a file without the GIL
            for rows in pool.map(read, sorted(by_shard)):
                found.update(zip(rows["key"].to_list(), rows["signature"].list.to_array(NUM_PERM).to_numpy()))
        return np.stack([found[key] for key in wanted["parse_key"].to_list()])

    def locality(self, document_id: str) -> str:
        """Documents of one locality are read together (one shard object)."""
        return self[document_id].shard

    def _row(self, document_id) -> int | None:
        ids = self.frame["document_id"]
        row = ids.search_sorted(document_id) if isinstance(document_id, str) else len(ids)
        return row if row < len(ids) and ids[row] == document_id else None

    def __getitem__(self, document_id: str) -> ParsedRecord:
        row = self._row(document_id)
        if row is None:
            raise KeyError(document_id)
        key, shard, from_cache = self.frame.select("parse_key", "shard", "from_cache").row(row)
        return ParsedRecord(key, shard, from_cache, self.summaries)

    def __iter__(self):
        return iter(self.frame["document_id"].to_list())

    def __len__(self) -> int:
        return self.frame.height

    def __contains__(self, document_id) -> bool:
        return self._row(document_id) is not None


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500, workers: int | None = None,
                        progress=None, cache_dir: str | None = None, read_cache: bool = True,
                        engine=None) -> ParsedDocuments:
    """Parse every readable document whose parse is not kept yet, in shards cut by content-hash
    prefix (`shard_size` documents each, or the engine's); shards run on `workers` processes
    (default: one per core) once there are enough documents to parse for that to pay, or on the
    engine. `progress(done, total)` is called per shard, over the documents parsed (not kept); the
    result's `shards_run` says how many shards had work."""
    if cache_dir is None:  # no cache asked for: parses still go to disk, in a folder of this process
        cache_dir = _scratch_cache()
    with no_gc():
        parsed = _parse_raw_documents(raw, shard_size, workers, progress, str(cache_dir), read_cache, engine)
        freeze_long_lived()  # the records live as long as the build; before the collector is back
    return parsed


def _shard_tasks(documents: pl.DataFrame, known: pl.DataFrame, digits: int, cache_dir: str) -> list[ParseTask]:
    """A task for each shard one of whose documents is not in that shard's object yet."""
    wanted = (documents.unique("parse_key", keep="first", maintain_order=True)  # identical copies parse once
              .join(known.select(pl.col("key").alias("parse_key"), pl.col("shard").alias("kept_in")), on="parse_key", how="left")
              .with_columns(pl.col("parse_key").str.slice(0, digits).alias("_shard")))
    stale = wanted.filter(pl.col("kept_in").is_null() | (pl.col("kept_in") != pl.col("_shard")))["_shard"].unique()
    # sorted once filtered: a re-build sorts its few stale shards' rows, not every document's
    todo = wanted.filter(pl.col("_shard").is_in(stale.implode())).sort("parse_key")
    return [ParseTask(shard[0], part.select(list(TASK_COLUMNS)), cache_dir)
            for shard, part in todo.partition_by("_shard", as_dict=True, maintain_order=True).items()]


def _parse_raw_documents(raw, shard_size, workers, progress, cache_dir, read_cache, engine=None) -> ParsedDocuments:
    documents = (raw.filter((pl.col("format") != "unknown") & pl.col("location").is_not_null())
                 .with_columns(parse_key_column()))
    index = ParseIndex(cache_dir)
    known = index.load_columns() if read_cache else pl.DataFrame(schema=PARSE_COLUMNS)
    size = engine.shard_size if engine is not None and engine.shard_size else shard_size
    tasks = _shard_tasks(documents, known, shard_digits(documents.height, size), cache_dir)
    to_parse = sum(t.rows["kept_in"].null_count() for t in tasks)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if engine is not None and engine.shard_size:
        results = engine.map(parse_shard, tasks, workers)
    else:
        results = run_sharded(parse_shard, tasks, workers if to_parse >= 2000 else 1)
    fresh: list[pl.Series] = []
    redone, done = [], 0
    # each shard's index rows (with their band keys: about 0.6 KB a document) kept over a memory map as
    # they arrive, not in the heap until the last shard is in
    held = _scratch_cache() if storage.is_url(cache_dir) else cache_dir
    for task, result in results:
        fresh.append(result.fresh)
        redone.append(mapped_frame(result.index, held))
        done += task.rows["kept_in"].null_count()
        if progress:
            progress(done, to_parse)
    rewritten = pl.concat(redone) if redone else None
    if rewritten is None and index.former:  # nothing changed, but files in the former layout: written in the new one
        index.save(known, set())
    # a document whose file could not be read again (it vanished or changed while the build ran) has no parse
    frame = _with_index_columns(documents.select("document_id", "parse_key"), index, known, rewritten)
    parsed_now = pl.concat(fresh) if fresh else pl.Series([], dtype=pl.String)
    frame = frame.with_columns(from_cache=~pl.col("parse_key").is_in(parsed_now.implode()))
    # kept for the rest of the build in a local file over a memory map (a row per document)
    frame = mapped_frame(frame, held)
    return ParsedDocuments(frame, SummaryStore(cache_dir, {}), shards_run=len(tasks))


def _with_index_columns(documents: pl.DataFrame, index: ParseIndex, known: pl.DataFrame,
                        rewritten: pl.DataFrame | None) -> pl.DataFrame:
    """`documents` (document_id, parse_key) with the index columns of their parse keys, in their
    order, the index rows gathered once (about 60 MB at 100k: a filtered copy of the index and a
    join carrying every column cost a copy each). With shards run now (`rewritten`: their index
    rows) the index is updated (see _current_rows) and its files whose rows changed are written."""
    table = known if rewritten is None else pl.concat([known, rewritten])
    found = documents.join(_current_rows(table, known.height, rewritten), left_on="parse_key", right_on="key",
                           how="inner", maintain_order="left")
    if rewritten is not None:
        _save_changed(index, table, found["row"], known.height, rewritten)
    kept = [c for c in table.columns if c != "key" and c not in FINGERPRINT_COLUMNS]
    return pl.concat([found.drop("row"), table.select(kept)[found["row"]]], how="horizontal")


def _current_rows(table: pl.DataFrame, known: int, rewritten: pl.DataFrame | None) -> pl.DataFrame:
    """key, row: the row of `table` (the index as loaded, its first `known` rows, then the rows of the
    shards run now) that holds each key now. Once a shard is run every row that named it goes (its
    object holds exactly what its task wrote) and its new rows come in; one row per key (the last:
    the index has one already unless a file was damaged)."""
    rows = table.select("key", "shard").with_row_index("row")
    if rewritten is not None:
        replaced = pl.col("shard").is_in(rewritten["shard"].unique().implode()) | pl.col("key").is_in(rewritten["key"].implode())
        rows = rows.filter((pl.col("row") >= known) | ~replaced)
    if rows["key"].is_duplicated().any():
        rows = rows.unique("key", keep="last")
    return rows.select("key", "row")


def _save_changed(index: ParseIndex, table: pl.DataFrame, used: pl.Series, known: int, rewritten: pl.DataFrame) -> None:
    """The index files whose rows changed, written from the `used` rows of `table` (see
    _with_index_columns; keys no document of this build has are dropped), and the shard objects no
    row names any more removed."""
    kept = np.zeros(table.height, dtype=bool)
    kept[used.to_numpy()] = True
    kept_rows = pl.Series("kept", kept)
    gone = table["key"].head(known).filter(~kept_rows.head(known))
    digits = set(gone.str.slice(0, 1).to_list()) | set(rewritten["key"].str.slice(0, 1).to_list())
    index.save(table, digits, kept_rows)
    index.remove_unreferenced(set(table["shard"].filter(kept_rows).unique().to_list()))


_SCRATCH: list = []


def _scratch_cache() -> str:
    import atexit
    import shutil
    import tempfile

    if not _SCRATCH:
        folder = tempfile.mkdtemp(prefix="cyberdialogue-parse-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


source_digest(*PARSE_CODE)
