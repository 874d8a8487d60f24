"""Cleaning a piece of text once markup is gone: entities, invisible characters, odd blanks."""
from __future__ import annotations

import html
import re

# Zero-width and other invisible characters that editors leave in pages; a soft hyphen is invisible too.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BLANKS = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Kramdown attribute lists ("{:target="_blank"}") are markup that markdown parsers leave as text.
_KRAMDOWN_ATTRIBUTES = re.compile(r"\{:[^{}]*\}")
# Arrows of "back to top" / "jump back" links.
_BACK_LINKS = re.compile(r"\s*[↩↑⬆⤴]\ufe0f?\s*")
_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_line(text: str) -> str:
    """One line of text as a reader sees it: entities decoded, invisible characters dropped,
    non-breaking hyphens as "-", blanks collapsed."""
    # printable ASCII (U+0020-U+007E) without "&": nothing to decode or drop. isascii() reads a flag, and
    # on ASCII text isprintable() is exactly "no control character" (U+0000-U+001F, U+007F). Tested on the
    # stripped line: what strip() drops is blank, and the slow path would collapse it and strip it too.
    # A "{:" needs a "{": one-character scans (memchr) cost a fraction of a two-character one, here and below.
    stripped = text.strip()
    if (stripped.isascii() and stripped.isprintable() and "&" not in stripped and "  " not in stripped
            and ("{" not in stripped or "{:" not in stripped)):
        return stripped
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    non_ascii = not text.isascii()  # invisible characters, arrows and U+2011 are all outside ASCII
    # every invisible character and every blank but " " is unprintable: a printable text has none of them
    printable = text.isprintable()
    if non_ascii and not printable:
        text = _INVISIBLE.sub("", text)
    if "{" in text and "{:" in text:
        text = _KRAMDOWN_ATTRIBUTES.sub("", text)
    if non_ascii:
        if "↩" in text or "↑" in text or "⬆" in text or "⤴" in text:  # four scans, no generator
            text = _BACK_LINKS.sub(" ", text)
        text = text.replace("\u2011", "-")
    if printable and "  " not in text:  # nothing above made a text unprintable: no blank to collapse
        return text.strip()
    return _BLANKS.sub(" ", text).strip()


_LITERAL_BOLD = re.compile(r"^\*\*(?P<bold>[^*]+?)\*\*\s*(?P<rest>.*)$")


def emphasis_marks(text: str) -> tuple[str, bool, str | None]:
    """A line whose emphasis is written with asterisks ("**Title**", "**Name**: role"): the text without
    the marks, whether the whole line is emphasised, and the emphasised run that opens it."""
    literal = _LITERAL_BOLD.match(text)
    plain = clean_line(text.replace("**", ""))
    if not literal:
        return plain, False, None
    rest = clean_line(literal.group("rest").replace("**", ""))
    return plain, not rest, (clean_line(literal.group("bold")) if rest else None)
