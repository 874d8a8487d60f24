"""Local files. Writing one whole: written beside its destination under a temporary name, then
renamed into place, so that a reader (or a build that is killed) never sees half a file. Reading an
Arrow file as a frame over a memory map of it. Used by the caches, the outputs and the worker pool
alike, none of which depends on the others."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import polars as pl
import pyarrow as pa
import pyarrow.ipc


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


def read_mapped_frame(path: str | os.PathLike) -> pl.DataFrame:
    """The frame of an Arrow IPC file over a memory map of it, not a copy in the heap (pl.read_ipc
    copies; a compressed file is read into memory instead). The frame's buffers keep the map, so the
    file's name may go while the frame lives. Raises OSError or ValueError on a file that is not
    Arrow IPC or whose buffers do not fit its schema."""
    with pa.memory_map(str(path)) as source:  # the file is closed; the map stays the buffers'
        table = pa.ipc.open_file(source).read_all()
    table.validate()
    return pl.from_arrow(table, rechunk=False)


def mapped_frame(frame: pl.DataFrame, folder: str | os.PathLike) -> pl.DataFrame:
    """The same rows over a memory map of an uncompressed Arrow file in the local `folder`, whose name
    goes at once (the map keeps the file while the frame lives): pages the kernel may drop and read
    again, where in the heap a stage's output (a row per document) held the build's memory for the
    rest of the run. `frame` itself when the file cannot be written or read back."""
    mapped = mapped_file_frame(lambda path: frame.write_ipc(path, compression="uncompressed"), folder)
    return frame if mapped is None else mapped


def mapped_file_frame(write: Callable[[str], object], folder: str | os.PathLike) -> pl.DataFrame | None:
    """The frame of the Arrow IPC file write(path) makes in a new file of the local `folder`, over a
    memory map of it, the file's name gone at once (see mapped_frame); None when the file cannot be
    written or read back."""
    import tempfile

    path = None
    try:
        os.makedirs(folder, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix=".frame-", suffix=".arrow", dir=folder)
        os.close(handle)
        write(path)
        return read_mapped_frame(path)
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    finally:
        if path is not None:
            try:
                os.unlink(path)
            except OSError:  # a system that cannot remove a mapped file: it goes with the folder
                pass
