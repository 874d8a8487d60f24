"""The pipeline's stages as plain functions over DataFrames and records; Dagster assets call these.

raw folder -> raw documents -> parsed documents -> duplicate clusters -> tables.
Parsing runs in shards (lists of rows) so that a shard can become a partition on a bigger executor.
"""
from __future__ import annotations

import gc
import os
import pickle
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.transform.agreement_pairs import NAME as AGREEMENT_PAIRS, agreement_pairs
from pipeline.transform.assemble import assemble
from pipeline.incremental.caches import (PARSE_COLUMNS, ParseIndex, load_session_store, no_gc, parse_cache_path,
                             parse_key_column, save_session_store)
from pipeline.engine import content_shards
from pipeline.transform.dedup import DocumentViews, DuplicateRow, find_duplicates
from pipeline.transform.fingerprint import NUM_PERM, fingerprints, session_keys
from pipeline.ingest import RawFile, load_document
from pipeline.sources import parse_document
from pipeline.transform.quarantine import quarantine
from pipeline.shards import run_sharded
from pipeline.model.records import DocumentSummary, ParsedDocument, summarize


@dataclass
class ParseTask:
    rows: list[dict]            # document_id, path, location, sha256 (as ingest saw it), format, parse_key
    cache_dir: str              # where parses are kept by (sha256, format, parser version)


@dataclass
class ParsedRecord:
    key: str                            # the parse key (see caches.parse_key_column)
    cache_file: str                     # the full ParsedDocument, pickled with its fingerprint
    from_cache: bool
    summaries: "SummaryStore"

    @property
    def summary(self) -> DocumentSummary:
        return self.summaries.summary(self.key)

    @property
    def document(self) -> ParsedDocument:
        with open(self.cache_file, "rb") as handle:
            return pickle.load(handle)[0]


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

    def __init__(self, frame: pl.DataFrame, summaries: SummaryStore):
        self.frame = frame.sort("document_id")
        self.summaries = summaries
        self._records = dict(zip(self.frame["document_id"].to_list(),
                                 zip(self.frame["parse_key"].to_list(), self.frame["from_cache"].to_list())))

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


def parse_shard(task: ParseTask) -> dict[str, tuple]:
    """Read, parse and fingerprint one shard of documents; the parse index entry of each travels back.
    The full parse goes to the cache (read back only for the sessions being built). A full parse
    already cached (its summary index was made by other code) is summarized again, not re-parsed."""
    out: dict[str, tuple] = {}
    todo: list[tuple[str, str, str]] = []
    for row in task.rows:
        key = row["parse_key"]
        try:
            with open(parse_cache_path(task.cache_dir, key), "rb") as handle:
                document, exact_key, signature = pickle.load(handle)
            out[key] = (summarize(document), exact_key, signature, session_keys(document))
            continue
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
            pass  # not parsed yet
        loaded = load_document(RawFile(row["path"], row["location"]))
        # a file rewritten since ingest hashed it would file the new text's parse under the old hash:
        # it gets no parse in this build (the next build, which sees its new hash, parses it)
        if loaded.text is not None and loaded.sha256 == row["sha256"]:
            todo.append((key, row["format"], loaded.text))
    for (key, fmt, text), fingerprint in zip(todo, fingerprints([text for _, _, text in todo])):
        document = parse_document(text, fmt)
        path = Path(parse_cache_path(task.cache_dir, key))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        signature = fingerprint.signature.tobytes()
        with open(tmp, "wb") as handle:
            pickle.dump((document, fingerprint.exact_key, signature), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        out[key] = (summarize(document), fingerprint.exact_key, signature, session_keys(document))
    return out


def parse_raw_documents(raw: pl.DataFrame, shard_size: int = 500, workers: int | None = None,
                        progress=None, cache_dir: str | None = None, read_cache: bool = True,
                        engine=None) -> ParsedDocuments:
    """Parse every readable document whose parse is not cached yet, in shards; shards run on
    `workers` processes (default: one per core) once there are enough of them for that to pay.
    `progress(done, total)` is called per shard, over the documents that are parsed (not cached).
    An `engine` (pipeline.engine) with a shard size runs shards cut by content-hash prefix there;
    the result's `shards_run` says how many shards had work."""
    if cache_dir is None:  # no cache asked for: parses still go to disk, in a folder of this process
        cache_dir = _scratch_cache()
    with no_gc():
        parsed = _parse_raw_documents(raw, shard_size, workers, progress, cache_dir, read_cache, engine)
        _freeze_long_lived()  # before the collector is back: else its first pass walks every new object
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
    parsed = ParsedDocuments(frame, SummaryStore(index, summaries))
    parsed.shards_run = len(shards)
    return parsed


def _freeze_long_lived() -> None:
    """The summaries live as long as the build: move them out of the collector's sight, so that
    every later full collection does not walk millions of objects again (undone at exit, so that
    extension modules tear down as usual)."""
    if not _FROZEN:
        import atexit

        atexit.register(gc.unfreeze)
        _FROZEN.append(True)
    gc.freeze()


_FROZEN: list = []


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


def dedup_views(parsed: ParsedDocuments) -> DocumentViews:
    frame = parsed.frame  # sorted by document_id
    signatures = frame["signature"].list.to_array(NUM_PERM).to_numpy().reshape(frame.height, NUM_PERM)
    keys = [tuple(map(tuple, k)) for k in frame["session_keys"].to_list()]
    return DocumentViews(frame["document_id"].to_list(), frame["exact_key"].to_list(), frame["format"].to_list(),
                         frame["problems"].to_list(), frame["url"].to_list(), keys, signatures)


def deduplicate(parsed: ParsedDocuments) -> tuple[list[DuplicateRow], dict[str, str]]:
    return find_duplicates(dedup_views(parsed))


def load_overrides(path: str | None) -> dict:
    """The reviewed person overrides (merge / split by id); an empty file or no path means none."""
    import yaml

    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for entry in data.get("split") or []:
        if "person_id" not in entry or not isinstance(entry.get("sessions"), list):
            raise ValueError(f"{path}: a split entry needs person_id and a list of sessions: {entry}")
    return data


def build_tables(raw: pl.DataFrame, parsed: ParsedDocuments, duplicates: list[DuplicateRow],
                 canonical: dict[str, str], overrides: dict | None = None, cache_dir: str | None = None,
                 read_cache: bool = True, report: dict | None = None) -> dict[str, pl.DataFrame]:
    """The dataset's tables after quarantine. With a cache_dir, sessions whose inputs did not change
    since the last build there are taken from it (read_cache=False builds every session again);
    either way the store is refreshed for the next build. `report` receives how many sessions were
    built and reused."""
    previous = load_session_store(cache_dir) if cache_dir and read_cache else None
    try:
        tables, store, changed, stats = assemble(raw, parsed, duplicates, canonical, overrides, previous)
    except (OSError, pl.exceptions.PolarsError) as exc:
        if previous is None:
            raise
        warnings.warn(f"the stored sessions could not be read ({exc}); building every session again")
        tables, store, changed, stats = assemble(raw, parsed, duplicates, canonical, overrides, None)
    if cache_dir:
        save_session_store(cache_dir, store, changed)
    if report is not None:
        report.update(stats)
    tables = quarantine(tables)
    # derived from the agreements that passed quarantine, so every id in it resolves
    tables[AGREEMENT_PAIRS] = agreement_pairs(tables["agreements"])
    return tables
