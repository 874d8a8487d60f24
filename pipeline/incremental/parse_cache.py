"""The parse stage, wrapped: a document whose parse is kept is not parsed again.

Each parse is kept under its parse key (sha256, format, parser version, and a digest of the parsing
code), one pickle per document with its fingerprints, and beside them an index: per sha256 prefix
the summaries, per first hex digit the columns de-duplication and the report need. The wrapper reads
each new text, checks that it is the text whose hash it will be filed under, runs the pure stage
(pipeline.parse.parse_texts) on what is new, and stores the results.
"""
from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.engine import content_shards
from pipeline.incremental.caches import source_digest, write_atomically
from pipeline.ingest import RawFile, load_document
from pipeline.memory import freeze_long_lived, no_gc
from pipeline.model.records import DocumentSummary, ParsedDocument, summarize
from pipeline.parse import parse_texts
from pipeline.shards import run_sharded
from pipeline.transform.fingerprint import NUM_PERM, session_keys

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
            write_atomically(folder / self.SUMMARIES,
                              lambda tmp: tmp.write_bytes(pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL)))
        written = {key[:2] for key in summaries}
        for digit in sorted({key[0] for key in summaries}):
            rows = pl.concat([known, columns]).filter(pl.col("key").str.starts_with(digit))
            # in a rewritten prefix only what its summaries kept; other prefixes as they were
            rewritten = pl.col("key").str.slice(0, 2).is_in(pl.Series(sorted(written), dtype=pl.String).implode())
            kept_here = pl.col("key").is_in(pl.Series(sorted(kept), dtype=pl.String).implode())
            rows = rows.filter(~rewritten | kept_here).unique("key", keep="last").sort("key")
            write_atomically(self._columns_file(digit), lambda tmp: rows.write_ipc(tmp, compression="lz4"))


@dataclass
class ParseTask:
    rows: list[dict]            # document_id, path, location, sha256 (as ingest saw it), format, parse_key
    cache_dir: str              # where parses are kept by parse key


def _read_kept(cache_file: str) -> ParsedDocument:
    try:
        with open(cache_file, "rb") as handle:
            return pickle.load(handle)[0]
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        raise RuntimeError(f"the parse cache lost {cache_file} ({exc}); build again with --full") from None


@dataclass
class KeptParses:
    """Where the full parses of some documents are kept; small, so it travels to a worker, which
    reads them there."""
    files: dict[str, str]               # document_id -> its kept full parse

    def load(self) -> dict[str, ParsedDocument]:
        with no_gc():
            return {document_id: _read_kept(path) for document_id, path in self.files.items()}


@dataclass
class ParsedRecord:
    key: str                            # the parse key (see parse_key_column)
    cache_file: str                     # the full ParsedDocument, pickled with its fingerprint
    from_cache: bool
    summaries: "SummaryStore"

    @property
    def summary(self) -> DocumentSummary:
        return self.summaries.summary(self.key)

    @property
    def document(self) -> ParsedDocument:
        return _read_kept(self.cache_file)


class SummaryStore:
    """Summaries by parse key: those parsed in this build, else read from the parse index one
    prefix at a time when first asked for (an incremental build asks for a handful)."""

    def __init__(self, index: ParseIndex, fresh: dict[str, DocumentSummary]):
        self.index = index
        self.entries = dict(fresh)
        self.prefixes: set[str] = set()

    def summary(self, key: str) -> DocumentSummary:
        found = self.entries.get(key)
        if found is None:
            prefix = key[:2]
            if prefix not in self.prefixes:
                self.prefixes.add(prefix)
                for k, v in self.index.load_summaries(prefix).items():
                    self.entries.setdefault(k, v)
            found = self.entries.get(key)
            if found is None:  # the index lost it: the full parse is still there
                with open(parse_cache_path(self.index.cache_dir, key), "rb") as handle:
                    found = self.entries[key] = summarize(pickle.load(handle)[0])
        return found


class ParsedDocuments(Mapping):
    """document_id -> ParsedRecord for every document with a parse. `frame` holds, per document,
    its parse key, whether it came from the cache, and the PARSE_COLUMNS; summaries are read only
    when asked for."""

    def __init__(self, frame: pl.DataFrame, summaries: SummaryStore, shards_run: int = 0):
        self.frame = frame.sort("document_id")
        self.summaries = summaries
        self.shards_run = shards_run    # how many parse shards had work
        self._records = dict(zip(self.frame["document_id"].to_list(),
                                 zip(self.frame["parse_key"].to_list(), self.frame["from_cache"].to_list())))

    def loader(self, document_ids: list[str]) -> KeptParses:
        """What reads the full parses of `document_ids`, here or on a worker."""
        cache_dir = self.summaries.index.cache_dir
        return KeptParses({d: parse_cache_path(cache_dir, self._records[d][0]) for d in document_ids})

    def __getitem__(self, document_id: str) -> ParsedRecord:
        key, from_cache = self._records[document_id]
        return ParsedRecord(key, parse_cache_path(self.summaries.index.cache_dir, key), from_cache, self.summaries)

    def __iter__(self):
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, document_id) -> bool:
        return document_id in self._records


def _index_rows(entries: dict[str, tuple]) -> pl.DataFrame:
    """PARSE_COLUMNS of freshly parsed entries (summary, exact_key, signature bytes, session_keys)."""
    rows = [(key, exact, [list(k) for k in keys], s.format, s.title, s.url, len(s.problems), len(s.sessions))
            for key, (s, exact, _, keys) in entries.items()]
    schema = {k: v for k, v in PARSE_COLUMNS.items() if k != "signature"}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    signatures = np.frombuffer(b"".join(e[2] for e in entries.values()), dtype=np.uint64).reshape(len(entries), NUM_PERM)
    return frame.with_columns(signature=pl.Series(signatures).cast(PARSE_COLUMNS["signature"])).select(list(PARSE_COLUMNS))


def _kept_parse(cache_dir: str, key: str) -> tuple | None:
    """The index entry of a kept full parse (its summary index may have been made by other code)."""
    try:
        with open(parse_cache_path(cache_dir, key), "rb") as handle:
            document, exact_key, signature = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        return None  # not parsed yet
    return summarize(document), exact_key, signature, session_keys(document)


def parse_shard(task: ParseTask) -> dict[str, tuple]:
    """One shard: kept parses replayed, new texts read and parsed (pipeline.parse), their full parses
    kept; the index entry of each (summary, exact key, signature, session keys) travels back."""
    out: dict[str, tuple] = {}
    todo: list[tuple[str, str, str]] = []
    for row in task.rows:
        key = row["parse_key"]
        kept = _kept_parse(task.cache_dir, key)
        if kept is not None:
            out[key] = kept
            continue
        loaded = load_document(RawFile(row["path"], row["location"]))
        # a file rewritten since ingest hashed it would file the new text's parse under the old hash:
        # it gets no parse in this build (the next build, which sees its new hash, parses it)
        if loaded.text is not None and loaded.sha256 == row["sha256"]:
            todo.append((key, loaded.text, row["format"]))
    for (key, _, _), result in zip(todo, parse_texts([(text, fmt) for _, text, fmt in todo])):
        path = Path(parse_cache_path(task.cache_dir, key))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda tmp: tmp.write_bytes(
            pickle.dumps((result.document, result.exact_key, result.signature), protocol=pickle.HIGHEST_PROTOCOL)))
        out[key] = (summarize(result.document), result.exact_key, result.signature, result.session_keys)
    return out


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500, workers: int | None = None,
                        progress=None, cache_dir: str | None = None, read_cache: bool = True,
                        engine=None) -> ParsedDocuments:
    """Parse every readable document whose parse is not kept yet, in shards; shards run on
    `workers` processes (default: one per core) once there are enough of them for that to pay.
    `progress(done, total)` is called per shard, over the documents that are parsed (not kept).
    An `engine` (pipeline.engine) with a shard size runs shards cut by content-hash prefix there;
    the result's `shards_run` says how many shards had work."""
    if cache_dir is None:  # no cache asked for: parses still go to disk, in a folder of this process
        cache_dir = _scratch_cache()
    with no_gc():
        parsed = _parse_raw_documents(raw, shard_size, workers, progress, cache_dir, read_cache, engine)
        freeze_long_lived()  # the summaries live as long as the build; before the collector is back
    return parsed


def _parse_raw_documents(raw, shard_size, workers, progress, cache_dir, read_cache, engine=None) -> ParsedDocuments:
    documents = (raw.filter((pl.col("format") != "unknown") & pl.col("location").is_not_null())
                 .with_columns(parse_key_column()))
    index = ParseIndex(cache_dir)
    prefixes = set(documents["parse_key"].str.slice(0, 2).unique().to_list())
    known = index.load_columns(prefixes) if read_cache else pl.DataFrame(schema=PARSE_COLUMNS)
    missing = (documents.filter(~pl.col("parse_key").is_in(known["key"].implode()))
               .unique("parse_key", keep="first", maintain_order=True)  # identical copies parse once
               .select("document_id", "path", "location", "sha256", "format", "parse_key").to_dicts())
    if not read_cache:  # parse again: the full parses go too
        for row in missing:
            Path(parse_cache_path(cache_dir, row["parse_key"])).unlink(missing_ok=True)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if engine is not None and engine.shard_size:
        shards = [ParseTask(rows, cache_dir) for rows in content_shards(missing, documents.height, engine.shard_size)]
        results = engine.map(parse_shard, shards, workers)
    else:
        shards = [ParseTask(missing[i:i + shard_size], cache_dir) for i in range(0, len(missing), shard_size)]
        results = run_sharded(parse_shard, shards, workers if len(missing) >= 2000 else 1)
    fresh: dict[str, tuple] = {}
    done = 0
    for shard, result in results:
        fresh.update(result)
        done += len(shard.rows)
        if progress:
            progress(done, len(missing))
    columns = _index_rows(fresh)
    summaries = {k: v[0] for k, v in fresh.items()}
    if fresh:
        index.save(summaries, columns, known, set(documents["parse_key"].to_list()))
    # a document whose file could not be read again (it vanished or changed while the build ran) has no parse
    frame = (documents.select("document_id", "parse_key")
             .join(pl.concat([known, columns]).unique("key", keep="last"), left_on="parse_key", right_on="key", how="inner")
             .with_columns(from_cache=~pl.col("parse_key").is_in(pl.Series(list(fresh), dtype=pl.String).implode())))
    return ParsedDocuments(frame, SummaryStore(index, summaries), shards_run=len(shards))


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
