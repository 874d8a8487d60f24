"""Plain text read line by line: a bullet starts a list item, a known `Label: value` line is a field,
a ">>" line starts a caption turn that runs until the next one, and every other line is a paragraph
of one line. Indentation is kept only as a number; blank lines only as a `gap` on the next block."""
from __future__ import annotations

import re

from pipeline.document.clean import clean_line, emphasis_marks
from pipeline.document.fields import label_parts, turn_parts
from pipeline.document.model import Block, Line

_BULLET = re.compile(r"^(?P<marker>[•·▪◦●○‣⁃∙*+\-–—]|o(?=\s{2,}|\t)|\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)])\s+(?P<text>\S.*)$")
# "1.5 million" or "10.00 - 10.30" start with a number but are not numbered items.
_NOT_NUMBERED = re.compile(r"^\d{1,2}[.)]\d")


def _indent(raw: str) -> int:
    expanded = raw.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def read_plain(body: str) -> list[Block]:
    blocks: list[Block] = []
    gap = True
    in_turns = False
    for raw in body.split("\n"):
        text = clean_line(raw)
        if not text:
            gap = True
            continue
        indent = _indent(raw)
        turn = turn_parts(text)
        if turn is not None:
            in_turns = True
            blocks.append(Block("turn", (Line(turn[1]),) if turn[1] else (), label=turn[0], gap=gap, indent=indent))
        elif in_turns:  # a caption turn runs until the next one
            last = blocks[-1]
            blocks[-1] = Block("turn", last.lines + (Line(text),), label=last.label, gap=last.gap, indent=last.indent)
        elif not gap and blocks and _continues(blocks[-1], text, indent):
            last = blocks[-1]  # a line that wraps the one above: its list item, or the list a field holds
            joined = f"{last.lines[-1].text} {text}"
            value = f"{last.value} {text}".strip() if last.kind == "label" else last.value
            blocks[-1] = Block(last.kind, last.lines[:-1] + (Line(joined),), level=last.level, label=last.label,
                               value=value, marker=last.marker, gap=last.gap, indent=last.indent)
        else:
            blocks.append(_line_block(text, gap, indent, raw.strip()))
        gap = False
    return blocks


def _continues(last: Block, text: str, indent: int) -> bool:
    """A wrapped line: it starts in lower case under a list item indented at least as deep, or it goes on
    with the comma list of a field whose value stopped without an ending ("Invited speakers: A, B, Jay" /
    "Healey, C")."""
    if _BULLET.match(text) or label_parts(text) or text.startswith(">>"):
        return False
    if last.kind == "item" and text[:1].islower() and indent >= last.indent:
        return True
    if last.kind == "label" and last.value and last.value.count(",") >= 2 and "," in text and len(text.split()) <= 12:
        tail = last.value.rsplit(",", 1)[-1].split()
        return len(tail) == 1 and tail[0][:1].isupper()  # "..., Jay" + "Healey, C": a name cut by the line end
    return False


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")


def _line_block(text: str, gap: bool, indent: int, raw: str = "") -> Block:
    heading = _HEADING.match(text)
    if heading:  # "# Comprehensive Report": a text with markdown headings and emphasis but no other markup
        return Block("heading", (Line(emphasis_marks(heading.group(2))[0], True),), level=len(heading.group(1)),
                     gap=gap, indent=indent)
    if "**" in text:
        bullet = _BULLET.match(text)
        plain, strong, lead = emphasis_marks(bullet.group("text") if bullet else text)
        if bullet and not _NOT_NUMBERED.match(text):
            return Block("item", (Line(plain, strong, lead),), level=1 + indent // 4, marker=bullet.group("marker"),
                         gap=gap, indent=indent)
        field = None if strong else label_parts(plain)
        if field is not None:
            return Block("label", (Line(plain),), label=field[0], value=field[1], gap=gap, indent=indent)
        return Block("paragraph", (Line(plain, strong, lead),), gap=gap, indent=indent)
    # the bullet is read on the raw line: "o   Name" keeps the blanks that make its "o" a bullet
    bullet = _BULLET.match(raw.expandtabs(4)) or _BULLET.match(text)
    if bullet and not _NOT_NUMBERED.match(text):
        # "o" is the second-level bullet of word-processor text ("-" items, then "o" items under them)
        level = max(1 + indent // 4, 2 if bullet.group("marker") == "o" else 1)
        return Block("item", (Line(clean_line(bullet.group("text"))),), level=level,
                     marker=bullet.group("marker"), gap=gap, indent=indent)
    field = label_parts(text)
    if field is not None:
        return Block("label", (Line(text),), label=field[0], value=field[1], gap=gap, indent=indent)
    return Block("paragraph", (Line(text),), gap=gap, indent=indent)
