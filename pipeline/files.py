"""Writing a local file whole: written beside its destination under a temporary name, then renamed
into place, so that a reader (or a build that is killed) never sees half a file. Used by the caches
and the outputs alike, neither of which depends on the other."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


def temporary_beside(path: Path) -> Path:
    """A name beside `path` for its next content while it is written (hidden; ".tmp-" marks it unfinished)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """write(tmp) beside `path`, then tmp renamed to `path`; a write that fails leaves no temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
