"""Plain text read line by line: a bullet starts a list item, a known `Label: value` line is a field,
a ">>" line starts a caption turn that runs until the next one, and every other line is a paragraph
of one line. Indentation is kept only as a number; blank lines only as a `gap` on the next block."""
from __future__ import annotations

import itertools
import re

from pipeline.document.clean import clean_line, emphasis_marks
from pipeline.document.fields import label_parts, turn_parts
from pipeline.document.model import Block, Line

_BULLET = re.compile(r"^(?P<marker>[•·▪◦●○‣⁃∙*+\-–—]|o(?=\s{2,}|\t)|\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)])\s+(?P<text>\S.*)$")
# "1.5 million" or "10.00 - 10.30" start with a number but are not numbered items.
_NOT_NUMBERED = re.compile(r"^\d{1,2}[.)]\d")
# The characters _BULLET can open with, besides a digit (its \d is any Unicode decimal digit, which is what
# str.isdecimal tests): most lines open with a capital letter, and skip the match.
_BULLET_OPENERS = frozenset("•·▪◦●○‣⁃∙*+-–—(abcdefghijklmnopqrstuvwxyz")


def _bullet(line: str) -> re.Match | None:
    first = line[:1]
    return _BULLET.match(line) if first in _BULLET_OPENERS or first.isdecimal() else None


_BLANK_OPENERS = (" ", "\t")


def _indent(raw: str) -> int:
    if raw[:1] not in _BLANK_OPENERS:  # the common unindented line: expandtabs keeps its first character
        return 0
    expanded = raw.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


# Bytes a body may hold for its ASCII lines to be printable once split on "\n": printable ASCII, the line
# break, the tab (looked for line by line) and every byte of a non-ASCII character (such a line is cleaned
# by clean_line itself). What translate() leaves of the UTF-8 body is a control character.
_NOT_CONTROL = bytes(range(0x20, 0x7f)) + b"\n\t" + bytes(range(0x80, 0x100))


def _no_control_characters(body: str) -> bool:
    """No ASCII control character but line breaks and tabs in the body (surrogates pass as non-ASCII bytes)."""
    return not body.encode("utf-8", "surrogatepass").translate(None, _NOT_CONTROL)


def _body_scans(body: str) -> tuple[bool, bool, bool, bool]:
    """No control character, a tab, an "&", a "{:": what read_plain's test of a line needs of the whole body."""
    # "{:" after a "{" scan: a one-character scan (memchr) costs a fraction of a two-character one, the more so
    # on a body with non-ASCII text (two bytes a character), and most bodies have no "{"
    return _no_control_characters(body), "\t" in body, "&" in body, "{" in body and "{:" in body


def read_plain(body: str) -> list[Block]:
    blocks: list[Block] = []
    gap = True
    raws = body.split("\n")
    # clean_line's own fast test, with its whole-body parts tested once: a stripped ASCII line of a body without
    # control characters is printable when it has no tab, and has no "&" or "{:" when the body has none.
    fast, tabs, amp, brace = _body_scans(body)
    for number, raw in enumerate(raws):
        stripped = raw.strip()
        if (fast and stripped.isascii() and "  " not in stripped and not (tabs and "\t" in stripped)
                and not (amp and "&" in stripped) and not (brace and "{:" in stripped)):
            text = stripped  # what clean_line returns for it
        else:
            text = clean_line(raw)
        if not text:
            gap = True
            continue
        # _indent's own first test, without the call (a line that strip() leaves as it is opens with no blank)
        indent = 0 if stripped is raw or raw[:1] not in _BLANK_OPENERS else _indent(raw)
        if text.startswith(">>") and turn_parts(text) is not None:  # the one test of turn_parts, inlined
            # a caption turn runs until the next one: from the first turn on, every line is a turn or goes on one
            blocks.extend(_read_turns(itertools.islice(raws, number, None), gap))
            break
        if not gap and blocks and blocks[-1].kind in _CONTINUED and _continues(blocks[-1], text, indent):
            last = blocks[-1]  # a line that wraps the one above: its list item, or the list a field holds
            joined = f"{last.lines[-1].text} {text}"
            value = f"{last.value} {text}".strip() if last.kind == "label" else last.value
            blocks[-1] = Block(last.kind, last.lines[:-1] + (Line(joined),), level=last.level, label=last.label,
                               value=value, marker=last.marker, gap=last.gap, indent=last.indent)
        else:
            blocks.append(_line_block(text, gap, indent, stripped))
        gap = False
    return blocks


def _read_turns(raws, gap: bool) -> list[Block]:
    """Caption turns, the first line a turn: each turn's lines gathered in a list and made a block once
    (a block rebuilt for every line that goes on a turn costs the square of the turn's length)."""
    turns: list[tuple[str, bool, int, list[Line]]] = []
    for raw in raws:
        text = clean_line(raw)
        if not text:
            gap = True
            continue
        turn = turn_parts(text)
        if turn is not None:
            turns.append((turn[0], gap, _indent(raw), [Line(turn[1])] if turn[1] else []))
        else:
            turns[-1][3].append(Line(text))
        gap = False
    return [Block("turn", tuple(lines), label=label, gap=turn_gap, indent=indent)
            for label, turn_gap, indent, lines in turns]


_CONTINUED = ("item", "label")  # the kinds _continues lets a line go on: read_plain skips the call for the others


def _continues(last: Block, text: str, indent: int) -> bool:
    """A wrapped line: it starts in lower case under a list item indented at least as deep, or it goes on
    with the comma list of a field whose value stopped without an ending ("Invited speakers: A, B, Jay" /
    "Healey, C")."""
    # the cheap tests of the block above first: most lines follow a paragraph, which nothing continues
    if last.kind == "item":
        wraps = text[:1].islower() and indent >= last.indent
    elif last.kind == "label":
        wraps = (bool(last.value) and last.value.count(",") >= 2 and "," in text and len(text.split()) <= 12
                 and _ends_with_cut_name(last.value))
    else:
        return False
    return wraps and not (_bullet(text) or label_parts(text) or text.startswith(">>"))


def _ends_with_cut_name(value: str) -> bool:
    tail = value.rsplit(",", 1)[-1].split()
    return len(tail) == 1 and tail[0][:1].isupper()  # "..., Jay" + "Healey, C": a name cut by the line end


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")


def _line_block(text: str, gap: bool, indent: int, raw: str = "") -> Block:
    heading = _HEADING.match(text) if text.startswith("#") else None  # a heading starts with "#"
    if heading is not None:  # "# Comprehensive Report": a text with markdown headings and emphasis but no other markup
        return Block("heading", (Line(emphasis_marks(heading.group(2))[0], True),), level=len(heading.group(1)),
                     gap=gap, indent=indent)
    if "*" in text and "**" in text:  # the one-character scan first: most lines have no "*"
        bullet = _bullet(text)
        plain, strong, lead = emphasis_marks(bullet.group("text") if bullet else text)
        if bullet and not _NOT_NUMBERED.match(text):
            return Block("item", (Line(plain, strong, lead),), level=1 + indent // 4, marker=bullet.group("marker"),
                         gap=gap, indent=indent)
        field = None if strong else label_parts(plain)
        if field is not None:
            return Block("label", (Line(plain),), label=field[0], value=field[1], gap=gap, indent=indent)
        return Block("paragraph", (Line(plain, strong, lead),), gap=gap, indent=indent)
    # the bullet is read on the raw line: "o   Name" keeps the blanks that make its "o" a bullet
    bullet = _bullet(raw.expandtabs(4) if "\t" in raw else raw)
    if bullet is None and raw != text:  # the raw line is the text itself when cleaning only stripped it
        bullet = _bullet(text)
    if bullet and not _NOT_NUMBERED.match(text):
        # "o" is the second-level bullet of word-processor text ("-" items, then "o" items under them)
        level = max(1 + indent // 4, 2 if bullet.group("marker") == "o" else 1)
        return Block("item", (Line(clean_line(bullet.group("text"))),), level=level,
                     marker=bullet.group("marker"), gap=gap, indent=indent)
    field = label_parts(text) if ":" in text else None  # label_parts' own first test, without the call
    if field is not None:
        return Block("label", (Line(text),), label=field[0], value=field[1], gap=gap, indent=indent)
    return Block("paragraph", (Line(text),), gap=gap, indent=indent)
