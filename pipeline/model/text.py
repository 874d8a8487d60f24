"""Text helpers shared by every parser: decoding raw bytes, normalising, folding for comparison.

Kept free of I/O so that every function can be tested on a string.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_MARKUP_CHARS = re.compile(r"[<>&\[\]*_\n]")
_MOJIBAKE_HINTS = ("Ã", "Â", "â€", "Ð", "Ø")


@dataclass
class Decoded:
    text: str | None
    encoding: str | None
    problems: list[str] = field(default_factory=list)


def looks_binary(data: bytes) -> bool:
    """A file is binary when its first KiB has control bytes that no text encoding we accept uses."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with BOM: NULs are expected
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 and b != 27)
    return controls / len(head) > 0.10


def _decode_utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text without a byte order mark, told by its NULs: in ASCII-range text one byte of each pair."""
    if len(data) < 4:
        return None
    pairs = len(data) // 2
    odd_nuls, even_nuls = data[1::2].count(0), data[0::2].count(0)
    for encoding, high_nuls, low_nuls in (("utf-16-le", odd_nuls, even_nuls), ("utf-16-be", even_nuls, odd_nuls)):
        if high_nuls > 0.4 * pairs and low_nuls < 0.1 * pairs:
            try:
                return Decoded(data.decode(encoding), encoding, ["UTF-16 without byte order mark"])
            except UnicodeDecodeError:
                pass
    return None


def decode_bytes(data: bytes) -> Decoded:
    """Decode a raw file: UTF-8 (with or without BOM), UTF-16 (BOM or detected), else a detected charset.

    Returns text None with a reason when the bytes are not text.
    """
    if not data:
        return Decoded(None, None, ["empty file"])
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            return Decoded(None, None, ["UTF-16 byte order mark but the content is not valid UTF-16"])
    # UTF-16 without a BOM: every other byte NUL in ASCII-range text (no NUL at all, the common case:
    # not UTF-16, and no need to copy the odd and even bytes to count them)
    if b"\x00" in data:
        utf16 = _decode_utf16_without_bom(data)
        if utf16 is not None:
            return utf16
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"invalid UTF-8 at byte {exc.start}"
    if looks_binary(data):
        return Decoded(None, None, ["binary content, not a text document"])
    # loaded here, for the rare file that is not UTF-8: a build's start-up does not pay for it
    from charset_normalizer import from_bytes

    matches = from_bytes(data[:200_000])
    best = matches.best()
    # Windows-1252 is the usual legacy encoding of web pages: prefer it over a close tie (e.g. cp1250).
    for match in matches:
        if (best is not None and match.encoding == "cp1252" and match.chaos <= best.chaos + 0.02
                and match.coherence >= best.coherence - 0.05):
            best = match
    if best is None or best.encoding is None:
        return Decoded(None, None, [f"{utf8_error}; no text encoding fits"])
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", errors="replace")
        return Decoded(text, "utf-8", [f"{utf8_error}; undecodable bytes replaced with U+FFFD"])
    return Decoded(text, best.encoding, [f"{utf8_error}; decoded as {best.encoding}"])


def normalize_document_text(text: str) -> str:
    """Canonical form of a document: NFC, LF line endings, no BOM, no NUL, no trailing blanks.

    Everything that identifies a document (its id, its exact-duplicate hash) is computed on this form,
    so re-saving a file with other line endings or a BOM does not change it.
    """
    text = text.lstrip("\ufeff")
    if "\r" in text:  # rare; looking for one character is a fast scan, looking for "\r\n" a slower one
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:  # rare; on a text without one, looking for it is a faster scan than replacing it
        text = text.replace("\x00", "")
    if not text.isascii():  # ASCII is already NFC; isascii() is a flag read, normalize() a pass over the text
        text = unicodedata.normalize("NFC", text)
    if _BLANK_BEFORE_NEWLINE.search(text) is not None:  # few texts: splitting every text cost more than this scan
        text = "\n".join([line.rstrip() for line in text.split("\n")])
    return _one_final_newline(text)


# a blank (what str.rstrip() strips) ending a line, found from the line's newline: a scan for a newline
# is fast, a test of the blanks' set at every character several times slower
_BLANK_BEFORE_NEWLINE = re.compile(r"\n(?<=[^\S\n]\n)")


def _one_final_newline(text: str) -> str:
    """A text whose lines (all but its last) end in no blank, without blank lines at either end or blanks
    at its end, with one final newline: what stripping each line and then the newlines at both ends gives.
    The text itself when it is so already (most documents): no copy."""
    if text.endswith("\n") and not text.endswith("\n\n") and not text.startswith("\n"):
        return text
    return text.rstrip().lstrip("\n") + "\n"


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


_BR_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")


def clean_inline(value: str | None) -> str | None:
    """Plain text of a short markdown/HTML fragment: entities decoded, markup and extra blanks removed."""
    if value is None:
        return None
    if not _MARKUP_CHARS.search(value):  # the common case: plain text, only blanks to fold
        return _WS.sub(" ", value).strip() or None
    if "&" in value:
        value = html.unescape(value)
    if "<" in value:
        value = _TAG.sub("", _BR_TAG.sub(" ", value))
    if "](" in value:
        value = _MD_LINK.sub(r"\1", value)  # markdown link -> its text
    if "*" in value or "_" in value:
        value = _EMPHASIS.sub("", value)
    value = _WS.sub(" ", value).strip()
    return value or None


def fix_mojibake(value: str) -> str:
    """Repair text that was decoded with the wrong charset (e.g. 'MatÃ­as' -> 'Matías')."""
    if not any(hint in value for hint in _MOJIBAKE_HINTS):
        return value
    import ftfy  # loaded on the first mojibake (rare; ~0.05 s to import): a build's start-up does not pay for it

    return ftfy.fix_text(value, normalization="NFC")


_FOLD_CACHED_LENGTH = 200  # names, labels and titles repeat across a document's lines; long texts do not


def fold(value: str | None) -> str:
    """Comparison key: mojibake fixed, transliterated to ASCII, case-folded, punctuation and blanks collapsed."""
    if not value:
        return ""
    return _fold_short(value) if len(value) <= _FOLD_CACHED_LENGTH else _fold(value)


@lru_cache(maxsize=65536)
def _fold_short(value: str) -> str:
    return _fold(value)


# The ASCII characters _PUNCT blanks (read from the pattern itself), as a table for bytes.translate
_ASCII_PUNCT = bytes(c for c in range(128) if _PUNCT.match(chr(c)))
_ASCII_PUNCT_TO_BLANK = bytes.maketrans(_ASCII_PUNCT, b" " * len(_ASCII_PUNCT))


def _fold(value: str) -> str:
    # Most keys are ASCII: no mojibake, nothing to transliterate, casefold() is lower(), and the table
    # blanks the punctuation in a faster pass than the pattern (str.split(), not bytes', splits at \x1c-\x1f).
    if value.isascii():
        return " ".join(value.encode("ascii").lower().translate(_ASCII_PUNCT_TO_BLANK).decode("ascii").split())
    value = anyascii(fix_mojibake(value)).casefold()
    value = _PUNCT.sub(" ", value)
    return " ".join(value.split())


def collapse_ws(value: str) -> str:
    return " ".join(value.split())


class LinePattern:
    """A pattern that must open a line (what `^pattern` finds under MULTILINE), found fast: a match
    at the text's start, else a search for a newline followed by the pattern. (`^` under MULTILINE is
    tried at every position of the text; a pattern that opens with a literal is scanned for.)"""

    def __init__(self, pattern: str, flags: int = 0):
        self.first = re.compile(f"(?:{pattern})", flags | re.M)
        self.later = re.compile(f"\n(?:{pattern})", flags | re.M)

    def found_in(self, text: str) -> bool:
        return bool(self.first.match(text) or self.later.search(text))


# The only characters beyond ASCII that lower() turns into ASCII letters: KELVIN SIGN ("k"), and "İ"
# ("i" and a combining dot: the one character that lowering lengthens).
_LOWERED_INTO_ASCII = ("\u212a", "\u0130")
_WORDS_HEAD = 30000  # the longest head a family's detector reads


def lowered_for_words(text: str, length: int) -> str:
    """A stand-in for text[:length].lower() in which to look for ASCII words holding no "?": its ASCII
    letters lowered, each other character a "?" (a word is found in it exactly where the lowered text
    has it). Lowering a text that is not ASCII goes through Unicode's tables character by character,
    several times slower; the stand-in of the same text is made once for every family's detector."""
    if any(char in text for char in _LOWERED_INTO_ASCII):
        return text[:length].lower()
    return _ascii_lowered_head(text)[:length] if length <= _WORDS_HEAD else text[:length].lower()


@lru_cache(maxsize=16)
def _ascii_lowered_head(text: str) -> str:
    return text[:_WORDS_HEAD].encode("ascii", "replace").lower().decode("ascii")
