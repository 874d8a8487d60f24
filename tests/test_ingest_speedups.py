"""The ingest fast paths give what the full work gives: the NUL test before the UTF-16 guess, and
ASCII text skipping NFC."""
from __future__ import annotations

import unicodedata

from pipeline.model.text import decode_bytes, normalize_document_text

TEXT = "Session 4\n\nOpen data\n"


def test_utf16_without_bom_is_still_told_by_its_nuls():
    little, big = decode_bytes(TEXT.encode("utf-16-le")), decode_bytes(TEXT.encode("utf-16-be"))
    assert (little.text, little.encoding, little.problems) == (TEXT, "utf-16-le", ["UTF-16 without byte order mark"])
    assert (big.text, big.encoding, big.problems) == (TEXT, "utf-16-be", ["UTF-16 without byte order mark"])
    assert decode_bytes(b"a\x00b\x00").encoding == "utf-16-le"


def test_bytes_without_nul_or_with_few_go_to_utf8():
    assert (decode_bytes(TEXT.encode()).text, decode_bytes(TEXT.encode()).encoding) == (TEXT, "utf-8")
    with_nul = decode_bytes(b"Session\x00 4\n")  # one NUL: not UTF-16, read as UTF-8 (the NUL is removed later)
    assert (with_nul.text, with_nul.encoding, with_nul.problems) == ("Session\x00 4\n", "utf-8", [])
    assert decode_bytes(b"\x00").encoding == "utf-8"  # too short for the UTF-16 guess
    odd = decode_bytes("Session".encode("utf-16-le") + b"x")  # odd length: not UTF-16 after all, valid UTF-8
    assert (odd.text, odd.encoding) == ("S\x00e\x00s\x00s\x00i\x00o\x00n\x00x", "utf-8")


def test_ascii_text_is_left_as_is_and_other_text_is_composed():
    assert normalize_document_text("Title  \r\n\r\nBody\t\n\n") == "Title\n\nBody\n"
    decomposed = unicodedata.normalize("NFD", "Caf\u00e9 \u00c5ngstr\u00f6m\n")
    assert decomposed != "Caf\u00e9 \u00c5ngstr\u00f6m\n"
    assert normalize_document_text(decomposed) == "Caf\u00e9 \u00c5ngstr\u00f6m\n"
    assert normalize_document_text("\ufeffCafe\u0301\u3000\n") == "Caf\u00e9\n"  # BOM gone, ideographic space stripped
