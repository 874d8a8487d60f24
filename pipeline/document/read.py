"""From a decoded text to a Document: front matter, then the body read as markup or as plain text.

- YAML front matter: python-frontmatter (a front matter that is not valid YAML is a problem, and
  the body is read without it);
- markdown and HTML (pages mix them: raw HTML in markdown, text between HTML blocks) are rendered
  by markdown-it (markdown-it-pyrs, in Rust; see markup.py) and parsed by selectolax (lexbor); one
  walk over the HTML tree makes the blocks
  (pipeline.document.markup);
- a text with no markup at all (form exports, agendas copied from web pages, transcripts) is read
  line by line (pipeline.document.plain): indentation and line-break style do not matter.
"""
from __future__ import annotations

import datetime as dt
import re

import frontmatter
import yaml

from pipeline.document.markup import read_markdown
from pipeline.document.model import Block, Document, Line
from pipeline.model.vocabulary import field_of
from pipeline.document.plain import read_plain

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n")
# Signs that a body is markup rather than plain text.
_HTML_TAG = re.compile(r"<(?:p|div|br|table|tr|td|th|h[1-6]|ul|ol|li|strong|b|i|em|span|a|sup|img|iframe|section|"
                       r"article|center|font|u)\b[^>]*>", re.I)
# Markdown that needs a markdown parser: table lines, links ("]("), images ("!["), "__" emphasis. Headings
# and emphasis alone ("# Report", "**Speaker**: ...") are read by the plain reader, which knows those two
# marks. layout_of looks for each sign on its own: a pattern that opens with "^" is tried at every
# position, one that opens with a literal jumps between them.
_TABLE_LINE = re.compile(r"^\s{0,3}(?:\|.*\|\s*$|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$)", re.M)
_UNDERSCORE_EMPHASIS = re.compile(r"__[^\s_]")
# What follows a pipe of every table line: a line's end (the last pipe of "| a | b |", _TABLE_LINE's first
# alternative) or a delimiter cell ("|---", "| :---", its second alternative, whose every cell but the first
# opens with a pipe).
_AFTER_TABLE_PIPE = re.compile(r"\s*(?::?---|$)", re.M)


def _has_table_pipe(body: str) -> bool:
    """A pipe followed as in a table line: tried at each pipe, which find() jumps to (memchr), where a search
    for a multi-character sign ("---") or a pattern tries every position of the body."""
    pipe = body.find("|")
    while pipe >= 0:
        if _AFTER_TABLE_PIPE.match(body, pipe + 1):
            return True
        pipe = body.find("|", pipe + 1)
    return False


def _meta_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return " ".join(str(value).split()) or None


def split_front_matter(text: str) -> tuple[dict[str, str], str, list[str]]:
    """(metadata as strings, body, problems)."""
    if not _FRONT_MATTER.match(text):
        return {}, text, []
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        end = text.find("\n---", 3)
        body = text[end + 4:] if end > 0 else text
        return {}, body, [f"front matter is not valid YAML ({first}); read without it"]
    if not isinstance(post.metadata, dict):
        return {}, text, []
    meta = {str(k).lower(): v for k, v in ((k, _meta_value(v)) for k, v in post.metadata.items()) if v}
    return meta, post.content, []


def layout_of(body: str) -> str:
    """markup | plain: how the body is written. Markdown and HTML are read the same way: a page
    mixes them freely (raw HTML in markdown, text between HTML blocks)."""
    # Substring scans before the regexes, which try every position: links and images are literal signs,
    # a tag starts with "<", and the other signs need a "|" or "__". A two-character scan costs several
    # times a one-character one (memchr), and most bodies have no "]", "!" or "_": that scan goes first.
    if ("]" in body and "](" in body) or ("!" in body and "![" in body):
        return "markup"
    if "<" in body and _HTML_TAG.search(body) is not None:
        return "markup"
    if "_" in body and "__" in body and _UNDERSCORE_EMPHASIS.search(body):
        return "markup"
    # a table line needs a pipe at a line's end or before a "---": a cheap test before the search from every position
    if "|" in body and _has_table_pipe(body) and _TABLE_LINE.search(body):
        return "markup"
    return "plain"


_VALUE_ON_NEXT_LINE = {"date", "time", "venue", "title", "format", "duration", "organizers", "event"}


def join_field_values(blocks: list[Block]) -> list[Block]:
    """"Date:" with its value on the next line ("<strong>Time:</strong><br>10:00 am to 5:30 pm"): one field."""
    out: list[Block] = []
    skip = False
    for i, block in enumerate(blocks):
        if skip:
            skip = False
            continue
        if block.kind != "label":  # the common block, tested before the next block is looked up
            out.append(block)
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if (not block.value and field_of(block.label) in _VALUE_ON_NEXT_LINE and nxt is not None
                and nxt.kind == "paragraph" and len(nxt.lines) == 1 and len(nxt.text.split()) <= 15):
            out.append(Block("label", (Line(f"{block.label}: {nxt.text}"),), label=block.label, value=nxt.text,
                             gap=block.gap, indent=block.indent))
            skip = True
            continue
        out.append(block)
    return out


def read_document(text: str) -> Document:
    """The Document of a decoded text (see pipeline.document.model)."""
    meta, body, problems = split_front_matter(text)
    layout = "markup" if meta else layout_of(body)
    blocks = read_markdown(body) if layout == "markup" else read_plain(body)
    blocks = join_field_values(blocks)
    tail = body.rstrip()
    last_line = tail[tail.rfind("\n") + 1:].strip()
    return Document(meta=meta, blocks=blocks, layout=layout, problems=problems, last_line=last_line)
