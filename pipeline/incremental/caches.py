"""What a build keeps for the next one, under <out>/.cache/, so that a re-build only redoes the work
its changed inputs need; each stage's cache wraps the stage in a module of its own:

- ingest (ingest_cache.py): raw sha256 -> encoding, detected format, reading problems, text key (no
  decoding again), and each local file's identity (inode, size, times) when it was hashed (no reading again);
- parse (parse_cache.py): the full parse of each (sha256, format, parser version, parsing code), in
  shard objects by content-hash prefix, with an index of the columns de-duplication reads;
- assembly (assembly_cache.py): each session's rows with a hash of everything they were built from.

A cache that the code it depends on no longer matches is ignored (its name carries a digest of
that code), so an upgrade costs one slower build, never a stale table.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_PIPELINE = Path(__file__).resolve().parent.parent  # pipeline/


@lru_cache(maxsize=None)
def source_digest(*relative: str) -> str:
    """sha256 (16 hex digits) over the named source files or folders of the project (pipeline/, schemas/).

    Cached for the life of the process, and taken when the module that names the code is imported
    (each calls it at its end), so that it describes the code that is running even if the files change."""
    digest = hashlib.sha256()
    for name in relative:
        path = _PIPELINE.parent / name
        files = sorted(path.rglob("*.py")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(_PIPELINE.parent)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]
