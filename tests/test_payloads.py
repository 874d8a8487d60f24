"""Task payloads as files (pipeline.engine.transfer): what the Ray engine sends through a folder
instead of Ray's object store comes back equal, its frames read in place from a map of the file; a
small payload travels as itself; files go when read (or with the run's folder), locally and in object
storage alike."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipeline.engine import transfer
from pipeline.engine.transfer import PayloadFile, PayloadFolder, payload_size, read_payload, write_payload


def _frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"ses_{i:08x}" for i in range(rows)], "n": list(range(rows)),
                         "names": [[f"name {i}", None] if i % 3 else None for i in range(rows)],
                         "text": [None if i % 7 == 0 else "é" * (i % 5) for i in range(rows)]})


def _value(rows: int) -> dict:
    frame = _frame(rows)
    return {"rows": frame, "pieces": (frame.head(3), frame.clear()), "array": np.arange(6, dtype=np.uint64).reshape(2, 3),
            "series": pl.Series("s", [1, None, 3]), "plain": ["a", 1, None]}


def _equal(a: dict, b: dict) -> bool:
    return (a["rows"].equals(b["rows"]) and a["rows"].schema == b["rows"].schema
            and a["pieces"][0].equals(b["pieces"][0]) and a["pieces"][1].schema == b["pieces"][1].schema
            and b["pieces"][1].is_empty() and np.array_equal(a["array"], b["array"]) and a["series"].equals(b["series"])
            and a["plain"] == b["plain"])


def test_a_payload_written_and_read_back_is_equal_with_each_frame_aligned(tmp_path):
    value = _value(5000)
    path = tmp_path / "one.payload"
    with open(path, "wb") as handle:
        size = write_payload(value, handle)
    assert size == path.stat().st_size
    data = path.read_bytes()
    back = read_payload(data)
    assert _equal(value, back)
    assert back["array"].flags.writeable  # an array is pickled in band: a copy of its own
    # every frame's Arrow file starts at a multiple of 64 bytes
    starts = [i for i in range(0, len(data), 64) if data[i:i + 6] == b"ARROW1"]
    assert len(starts) == 3 and starts[0] == 0
    with pytest.raises(ValueError):
        read_payload(b"not a payload at all, not at all")


def test_a_large_payload_goes_as_a_file_mapped_on_reading_and_removed_a_small_one_as_itself(tmp_path):
    folder = PayloadFolder(str(tmp_path / "run"))
    assert folder.pack({"a": 1}) == {"a": 1} and not (tmp_path / "run").exists()
    value = _value(5000)
    assert payload_size(value) >= transfer.TRANSFER_BYTES
    packed = folder.pack(value)
    assert isinstance(packed, PayloadFile) and os.path.getsize(packed.location) == packed.size
    back = folder.unpack(packed)  # a task's arguments: the file stays (a task run again reads it)
    assert _equal(value, back) and os.path.exists(packed.location)
    if sys.platform.startswith("linux"):  # the rows are read in place, from a map of the file
        maps = Path("/proc/self/maps").read_text()
        assert packed.location in maps
    again = folder.unpack(packed, remove=True)
    assert _equal(value, again) and not os.path.exists(packed.location)
    assert back["rows"].equals(value["rows"])  # a frame read in place outlives the file's name
    folder.discard(packed)  # removing twice is nothing
    assert folder.unpack("as itself") == "as itself"


def test_a_run_folder_is_its_own_and_goes_with_what_was_never_taken(tmp_path):
    first, second = PayloadFolder.for_run(str(tmp_path)), PayloadFolder.for_run(str(tmp_path))
    assert first.location != second.location and Path(first.location).parent == tmp_path
    left = first.pack(_value(3000))
    assert os.path.exists(left.location)
    first.remove()
    assert not os.path.exists(first.location)
    local = PayloadFolder.for_run(None)  # a Ray on this machine: a folder in the system's temporary folder
    assert os.path.isdir(local.location) and not local.remote
    local.remove()
    assert not os.path.exists(local.location)


def test_payloads_in_object_storage_are_fetched_read_and_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    folder = PayloadFolder.for_run("memory://payload-bucket/payloads")
    assert folder.remote and folder.location.startswith("memory://payload-bucket/payloads/run-")
    value = _value(4000)
    packed = folder.pack(value)
    assert isinstance(packed, PayloadFile) and packed.location.startswith(folder.location)
    from upath import UPath

    assert UPath(packed.location).exists()
    assert _equal(value, folder.unpack(packed, remove=True))
    assert not UPath(packed.location).exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # the local copy's name went at once
    left = folder.pack(value)
    folder.remove()
    assert not UPath(left.location).exists()


def test_a_folder_that_cannot_be_written_is_said_once_and_payloads_travel_themselves(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    folder = PayloadFolder(str(tmp_path / "a-file" / "run"))
    value = _value(4000)
    with pytest.warns(UserWarning, match="cannot be written to .*a-file/run .*object store"):
        assert folder.pack(value) is value
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the next payloads travel themselves without a word
        assert folder.pack(value) is value and folder.unwritable
