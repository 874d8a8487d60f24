"""Task payloads as files: how the Ray engine keeps a task's arguments and results out of Ray's object
store when they are large.

Ray puts a payload of more than about 100 KB in its shared-memory object store, and every process
that writes or reads it maps the store's pages. The driver's mapped pages grew with the corpus (74 MB
of them at 50,000 documents, 36 MB at 10,000): the store hands out fresh regions while earlier ones
wait to be freed. A payload of TRANSFER_BYTES or more is written instead as one file in a folder
that the driver and the workers both reach (a local folder for a Ray on this machine, any fsspec URL
for a cluster), and only its name travels in the task's own messages. The receiver maps a local
file (its pages are the page cache's, which the kernel may drop) or fetches an object into a local
file first; frames are read in place from the map.
"""
from __future__ import annotations

import io
import itertools
import mmap
import os
import pickle
import shutil
import struct
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc

from pipeline import storage

# Payloads of at least this many bytes go as files: below Ray's limit for passing a value in the
# task's own message (100 KB), so that no payload reaches the object store.
TRANSFER_BYTES = 64 * 1024
_MAGIC = b"CDTRANS2"
_ALIGN = 64   # each frame starts at a multiple of this: Arrow reads its buffers in place when aligned
_numbers = itertools.count()


@dataclass(frozen=True)
class PayloadFile:
    """Where a payload was written, and its size (what travels instead of it)."""
    location: str
    size: int


def frame_from_buffer(buffer) -> pl.DataFrame:
    """The frame of an Arrow IPC file held in `buffer`, read in place: its columns keep the buffer
    (a map of the payload's file) for as long as they live."""
    table = pa.ipc.open_file(pa.py_buffer(buffer)).read_all()
    return pl.from_arrow(table, rechunk=False)


class _Pickler(pickle.Pickler):
    """The value's pickle, each frame in it written to `sink` as an Arrow IPC file of its own as it
    is met (one frame's bytes in memory at a time) and pickled as its place there; without a sink,
    only the frames' sizes are counted (see payload_size)."""

    def __init__(self, pickled: io.BytesIO, sink=None):
        super().__init__(pickled, protocol=5)
        self.sink, self.written, self.frame_bytes = sink, 0, 0

    def persistent_id(self, obj):
        if not isinstance(obj, pl.DataFrame):
            return None
        if self.sink is None:
            self.frame_bytes += obj.estimated_size()
            return ("frame", 0, 0)
        ipc = io.BytesIO()
        obj.write_ipc(ipc, compression="uncompressed", compat_level=pl.CompatLevel.newest())
        pad = -self.written % _ALIGN
        self.sink.write(b"\0" * pad)
        self.sink.write(ipc.getbuffer())
        at, size = self.written + pad, ipc.tell()
        self.written = at + size
        return ("frame", at, size)


def payload_size(value) -> int:
    """About how many bytes `value` takes as a payload: its pickle and its frames' sizes."""
    pickled = io.BytesIO()
    pickler = _Pickler(pickled)
    pickler.dump(value)
    return pickled.tell() + pickler.frame_bytes


def write_payload(value, sink) -> int:
    """`value` written to the binary `sink`: its frames (each an Arrow IPC file at an offset that is
    a multiple of _ALIGN), then its pickle, then where the pickle is; the bytes written."""
    pickled = io.BytesIO()
    pickler = _Pickler(pickled, sink)
    pickler.dump(value)
    at = pickler.written
    sink.write(pickled.getbuffer())
    sink.write(struct.pack("<QQ", at, pickled.tell()) + _MAGIC)
    return at + pickled.tell() + 16 + len(_MAGIC)


class _Unpickler(pickle.Unpickler):
    def __init__(self, pickled, data: memoryview):
        super().__init__(io.BytesIO(pickled))
        self.data = data

    def persistent_load(self, pid):
        kind, at, size = pid
        if kind != "frame":
            raise pickle.UnpicklingError(f"unknown payload part {kind!r}")
        return frame_from_buffer(self.data[at:at + size])


def read_payload(data) -> object:
    """The value write_payload wrote, from a buffer holding the whole payload (a map of its file):
    its frames are read in place."""
    view = memoryview(data)
    tail = 16 + len(_MAGIC)
    if view.nbytes < tail or bytes(view[-len(_MAGIC):]) != _MAGIC:
        raise ValueError("not a task payload file")
    at, size = struct.unpack_from("<QQ", view, view.nbytes - tail)
    return _Unpickler(view[at:at + size], view).load()


class PayloadFolder:
    """A folder that both ends of a task reach, for the payloads of TRANSFER_BYTES or more (see the
    module's note). Picklable: the workers get it with their tasks. `pack` gives the value itself or
    the PayloadFile it was written to; `unpack` gives the value back (and removes the file when
    asked: a task's arguments stay until its result is in, so that a task run again finds them)."""

    def __init__(self, location: str):
        self.location = location
        self.unwritable = False   # a write failed: payloads travel themselves from then on

    @classmethod
    def for_run(cls, base: str | None) -> PayloadFolder:
        """A folder of its own for one run: under `base` (a URL or a local folder), else in the
        system's temporary folder (a Ray on this machine)."""
        if base:
            return cls(storage.join(base, f"run-{uuid.uuid4().hex}"))
        return cls(tempfile.mkdtemp(prefix="cyberdialogue-payloads-"))

    @property
    def remote(self) -> bool:
        return storage.is_url(self.location)

    def _path(self, location: str) -> Path:
        return storage.remote(location) if self.remote else Path(location)

    def pack(self, value, threshold: int = TRANSFER_BYTES):
        """`value` itself when it is small, or where it was written. A folder that cannot be written
        (full, refused) is said once, and the value travels itself (through the object store)."""
        if payload_size(value) < threshold or self.unwritable:
            return value
        location = storage.join(self.location, f"{os.getpid()}-{next(_numbers)}-{uuid.uuid4().hex[:8]}.payload")
        try:
            if not self.remote:
                os.makedirs(self.location, exist_ok=True)
            with self._path(location).open("wb") as handle:
                size = write_payload(value, handle)
        except storage.storage_exceptions() as exc:
            self.unwritable = True
            self.discard(PayloadFile(location, 0))  # what a failed write may have left
            first = (str(exc).strip().splitlines() or [""])[0]
            warnings.warn(f"task payloads cannot be written to {self.location} ({type(exc).__name__}: {first}); "
                          "they go through Ray's object store", stacklevel=2)
            return value
        return PayloadFile(location, size)

    def unpack(self, packed, remove: bool = False):
        if not isinstance(packed, PayloadFile):
            return packed
        if not self.remote:
            value = read_payload(_mapped(packed.location))
        else:
            with storage.fetched(packed.location) as local:  # the map keeps the file while a frame read from it lives
                value = read_payload(_mapped(local))
        if remove:
            self.discard(packed)
        return value

    def discard(self, packed) -> None:
        """The payload's file removed (nothing for a value that travelled itself)."""
        if not isinstance(packed, PayloadFile):
            return
        try:
            self._path(packed.location).unlink()
        except storage.storage_exceptions():
            pass

    def remove(self) -> None:
        """The run's folder and anything left in it (a task's result that was never taken)."""
        try:
            if self.remote:
                folder = storage.remote(self.location)
                if folder.exists():
                    folder.fs.rm(self.location, recursive=True)
            else:
                shutil.rmtree(self.location, ignore_errors=True)
        except storage.storage_exceptions():
            pass


def _mapped(path: str) -> mmap.mmap:
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
