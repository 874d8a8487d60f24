"""Keeping Python's cycle collector out of the way of stages that make millions of small objects."""
from __future__ import annotations

import atexit
import gc
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
