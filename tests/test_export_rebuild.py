"""The export stages of an incremental re-build: the shared atomic writer, and the faster ways of
writing and linking the tables compared with the plain ones."""
from __future__ import annotations

import pytest

from pipeline.files import temporary_beside, write_atomically


def test_write_atomically_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "deeper" / "file.txt"
    write_atomically(target, lambda tmp: tmp.write_text("one"))
    write_atomically(target, lambda tmp: tmp.write_text("two"))
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_write_atomically_keeps_the_old_file_when_the_write_fails(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_text() == "old"
    assert not temporary_beside(target).exists()
    assert ".tmp-" in temporary_beside(target).name  # what uploads of a cache leave out (storage.py)
