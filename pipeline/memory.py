"""Memory: keeping Python's cycle collector out of the way of stages that make millions of small
objects, and measuring a process's own memory."""
from __future__ import annotations

import atexit
import gc
import threading
from contextlib import contextmanager


@contextmanager
def no_gc():
    """Build or load many small long-lived objects (no cycles among them) without the collector
    walking them again and again meanwhile; nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_FROZEN: list = []


def freeze_long_lived() -> None:
    """Objects that live as long as the build move out of the collector's sight, so that every
    later full collection does not walk millions of them again (undone at exit, so that extension
    modules tear down as usual)."""
    if not _FROZEN:
        atexit.register(gc.unfreeze)
        _FROZEN.append(True)
    gc.freeze()


def own_memory_bytes() -> int | None:
    """This process's resident memory that no file on disk backs: anonymous pages and pages of shared
    memory (/dev/shm is RAM too), from /proc/self/status; None where there is none."""
    try:
        with open("/proc/self/status") as handle:
            kib = sum(int(line.split()[1]) for line in handle if line.startswith(("RssAnon:", "RssShmem:")))
        return kib * 1024
    except (OSError, IndexError, ValueError):
        return None


class OwnMemoryPeak:
    """The peak of this process's own memory (own_memory_bytes) from its creation to stop(), sampled
    every 20 ms on a thread; `peak` is None where the system does not say."""

    SAMPLE_SECONDS = 0.02

    def __init__(self):
        self.peak = own_memory_bytes()
        self._done = threading.Event()
        self._sampler = None
        if self.peak is not None:
            self._sampler = threading.Thread(target=self._sample, name="own-memory-peak", daemon=True)
            self._sampler.start()

    def _sample(self) -> None:
        while not self._done.wait(self.SAMPLE_SECONDS):
            self.peak = max(self.peak, own_memory_bytes() or 0)

    def stop(self) -> float | None:
        """The peak in MB."""
        self._done.set()
        if self._sampler is not None:
            self._sampler.join()
            self.peak = max(self.peak, own_memory_bytes() or 0)
        return round(self.peak / 2**20, 1) if self.peak is not None else None


# glibc's malloc serves blocks of 1 MB and more straight from the system and gives them back when freed
M_MMAP_THRESHOLD = -3
LARGE_BLOCK_BYTES = 1 << 20


def give_back_free_pages() -> bool:
    """Have the C allocator (glibc) return the free pages of all its arenas to the system now. The
    blocks under LARGE_BLOCK_BYTES that threads free stay in their arenas otherwise: the export, each
    table converted and written on a thread of its own, ended ~35 MB above where it began at 50,000
    documents. False where the allocator is not glibc's."""
    return _glibc_call("malloc_trim", 0)


def give_back_large_blocks() -> bool:
    """Have this process's C allocator (glibc) return every block of LARGE_BLOCK_BYTES or more to the
    system as soon as it is freed. By default glibc raises that threshold to the largest block freed
    so far (up to 32 MB) and keeps such blocks in its arenas afterwards: the driver, converting and
    sorting tables of tens of MB in several threads, then held each stage's transient peak for the
    rest of the build. False where the allocator is not glibc's."""
    return _glibc_call("mallopt", M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)


def _glibc_call(name: str, *args: int) -> bool:
    """libc's `name`(*args) is true; False where the C library has no such function (not glibc)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(getattr(libc, name)(*args))
    except (OSError, AttributeError):
        return False
