"""Lines that are more than text: `Label: value` fields and transcript turns (">> NAME: text")."""
from __future__ import annotations

import re

from pipeline.model.vocabulary import field_of

# Leading symbols a page puts before a label ("📅 Date:", "• Moderator:"); not letters or digits.
_LEADING_SYMBOLS = re.compile(r"^[^\w(\"'“‘]+", re.UNICODE)
_LABEL = re.compile(r"^(?P<label>[^\W\d_][\w’'&/().\- ]{0,48}?)\s*:\s*(?P<value>.*)$", re.UNICODE)
_TURN = re.compile(r"^>>\s*(?P<rest>.*)$")
# A turn's speaker: a short name-like label before a colon, not a sentence.
_SPEAKER = re.compile(r"^(?P<speaker>[^\s:][^:.?!]{0,60}?)\s*:\s*(?P<text>.*)$")


def label_parts(text: str) -> tuple[str, str] | None:
    """("Date", "28 May 2019") for "Date: 28 May 2019" when the label is a known field or role."""
    if ":" not in text:
        return None
    # a line that starts with a letter (a word character) has no leading symbols to drop
    # (the pattern opens with "^" and has no MULTILINE: it can match only at the start, where match() tries it
    # once; sub() would try it at every position of the line)
    if text[:1].isalpha():
        stripped = text
    else:
        leading = _LEADING_SYMBOLS.match(text)
        stripped = text[leading.end():] if leading is not None else text
    match = _LABEL.match(stripped)
    if not match:
        return None
    label = match.group("label").strip()
    if len(label.split()) > 6 or field_of(label) is None:
        return None
    return label, match.group("value").strip()


def turn_parts(text: str) -> tuple[str, str] | None:
    """(speaker or "", text) for a caption turn ">> NAME: text"; None for any other line."""
    if not text.startswith(">>"):
        return None
    match = _TURN.match(text)
    if not match:
        return None
    rest = match.group("rest").strip()
    speaker = _SPEAKER.match(rest)
    if speaker and len(speaker.group("speaker").split()) <= 6 and not speaker.group("speaker")[:1].isdigit():
        return speaker.group("speaker").strip(), speaker.group("text").strip()
    return "", rest
