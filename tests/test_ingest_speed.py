"""The ingest fast paths give what the full work gives: lines split only when one ends in a blank, and
the text's hash made from the bytes' only when the text is the bytes (with a final newline or not)."""
from __future__ import annotations

import unicodedata

import pytest

from pipeline.ingest import RawFile, load_document
from pipeline.model.text import normalize_document_text, sha256_hex


def _plain_normalize(text: str) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"


TEXTS = ["", "\n", "a", "a\n", "a\n\n", "\na\n", "a \n", "a\t\nb\n", "a\nb \n", "a\u00a0\n", "a\u3000\nb\n",
         "a\x1c\n", "a\x0b\nb\n", "a\x85\n", "a\u2028\n", "\u2028a\n", "a\u2028b\n", "a\r\n", "a\rb\n", "a\x00b\n",
         "\ufeffa\n", "a\ufeff\n", "Caf\u00e9\n", "Cafe\u0301\n", "\u00c5ngstr\u00f6m \U0001F600\n", " lead\n",
         "Title\n\nBody\n", "Title\n\n\nBody\n", "x" * 5000 + "\n" + "y \n", "\t\n", " \n"]


@pytest.mark.parametrize("text", TEXTS)
def test_normalize_is_the_plain_normalisation(text):
    assert normalize_document_text(text) == _plain_normalize(text)
    assert normalize_document_text(text + "x") == _plain_normalize(text + "x")
    assert normalize_document_text("x" + text) == _plain_normalize("x" + text)


@pytest.mark.parametrize("data", [
    b"Session 4\n\nOpen data\n", b"Session 4\r\nOpen data\r\n", b"\xef\xbb\xbfSession 4\n", b"trailing  \nx\n",
    "Caf\u00e9 na\u00efve\n".encode(), "Cafe\u0301\n".encode(), "Caf\u00e9 d\u00e9j\u00e0 vu, r\u00e9sum\u00e9\n".encode("cp1252"),
    "Session 4\n".encode("utf-16"), "Session 4\n".encode("utf-16-le"), b"a\x00b\n", b"no newline", b"no newline \t", "caf\u00e9".encode(), b"\n\n", b" \t\n", b"\nlead"])
def test_content_key_is_the_hash_of_the_text(tmp_path, data):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    loaded = load_document(RawFile("doc.txt", str(path)))
    assert loaded.sha256 == sha256_hex(data)
    assert loaded.content_key() == (sha256_hex(loaded.text) if loaded.text is not None else None)
    found_with_bytes = loaded.text is not None and loaded.encoding == "utf-8" and loaded.text.encode() in (data, data + b"\n")
    assert (loaded.text_sha256 is not None) is found_with_bytes


def test_plain_utf8_document_is_hashed_once(tmp_path):
    path = tmp_path / "doc.txt"
    for data in (b"Session 4\n\nOpen data\n", b"Session 4\n\nOpen data"):
        path.write_bytes(data)
        loaded = load_document(RawFile("doc.txt", str(path)))
        assert loaded.content_key() == loaded.text_sha256 == sha256_hex("Session 4\n\nOpen data\n")
