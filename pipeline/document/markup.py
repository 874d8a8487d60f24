"""Markdown and HTML bodies: markdown-it-pyrs (markdown-it in Rust) renders markdown (raw HTML passes
through), selectolax parses the HTML, and one walk over the tree makes the blocks.

Every line break of the source ends a line (markdown-it's `breaks` option). markdown-it-pyrs has no
such option: each line is given the two trailing spaces of a hard break instead. A body with a
backtick is rendered by markdown-it-py with `breaks`: markdown-it-pyrs 0.4.0 panics on a backtick
inside link brackets ("[don`t]"), and two spaces would show inside a code span that ends a line."""
from __future__ import annotations

import re
from functools import cache

from markdown_it_pyrs import MarkdownIt
from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.document.clean import clean_line, emphasis_marks
from pipeline.document.fields import label_parts, turn_parts
from pipeline.document.model import Block, Line
from pipeline.extract.dates import find_times
from pipeline.model.vocabulary import field_of

# CommonMark with tables and raw HTML, less three rules: indented code ("code") is off because pages
# indent text for layout, not to show code; "blockquote" is off so that caption turns (">> NAME:")
# stay text; setext headings ("lheading") are off so that a "---" rule stays a rule.
_MARKDOWN = MarkdownIt("zero").enable_many([
    "paragraph", "heading", "hr", "list", "fence", "reference", "html_block", "table",
    "newline", "escape", "backticks", "emphasis", "link", "image", "autolink", "html_inline", "entity"])


@cache
def _markdown_with_backticks():
    """The same rules in markdown-it-py, for a body with a backtick (see render_markdown); made on the
    first such body (rare), so that a build's start-up does not import markdown-it-py."""
    from markdown_it import MarkdownIt as PythonMarkdownIt

    return (PythonMarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")
            .disable(["code", "blockquote", "lheading"]))


# A newline after an even run of backslashes (none included): after an odd run it is a hard break already.
_SOFT_BREAK = re.compile(r"(?<!\\)((?:\\\\)*)\n")

_SKIPPED = frozenset({"script", "style", "noscript", "iframe", "svg", "template", "head", "title", "object",
                      "embed", "video", "audio", "canvas", "select", "option", "button", "input", "textarea",
                      "img", "picture", "source", "map", "meta", "link", "-comment", "colgroup", "col"})
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS = frozenset({"ul", "ol", "menu"})
_BOLD = frozenset({"strong", "b"})
_BLOCK = frozenset({"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote",
                    "pre", "dl", "dt", "dd", "figure", "figcaption", "center", "form", "fieldset", "details",
                    "summary", "address", "body", "html", "hr", "li", "tr", "td", "th", "thead", "tbody", "tfoot",
                    "caption", "label"})
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.I)
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_PUNCTUATION_ONLY = re.compile(r"^[\W_]*$", re.UNICODE)


_GLYPH_BULLET = re.compile(r"^(\s*)[●•▪◦·‣⁃]\s+", re.M)


def _normalise_bullets(body: str) -> str:
    """Bullet glyphs that markdown does not know ("● item") written as markdown bullets."""
    return _GLYPH_BULLET.sub(r"\1- ", body) if any(g in body for g in "●•▪◦·‣⁃") else body


def _add_table_delimiters(body: str) -> str:
    """A run of "| a | b |" lines with no delimiter row under its first line is meant as a table:
    give it the delimiter row that markdown needs."""
    if "|" not in body:  # no pipe row, nothing to add: the lines would be joined back as they were
        return body
    lines = body.split("\n")
    openers = _undelimited_table_starts(lines)
    if not openers:  # the common body: its tables have their delimiter rows, and it is kept as it is
        return body
    out: list[str] = []
    kept = 0
    for i in openers:
        out += lines[kept:i]
        line = lines[i]
        columns = max(1, line.strip().strip("|").count("|") + 1)
        if out and out[-1].strip():
            out.append("")  # a table starts a block of its own
        out += [line, "|" + "---|" * columns]
        kept = i + 1
    out += lines[kept:]
    return "\n".join(out)


def _undelimited_table_starts(lines: list[str]) -> list[int]:
    """The indexes of the lines that open a table with no delimiter row. The line before each is taken as
    written: where a delimiter row was added above a line, the line before it is a pipe row too."""
    last = len(lines) - 1
    # a pipe row has two pipes at least: a line without one is passed over
    return [i for i, line in enumerate(lines)
            if "|" in line and _opens_undelimited_table(line, lines[i + 1] if i < last else "", lines[i - 1] if i else "")]


def _opens_undelimited_table(line: str, following: str, previous: str) -> bool:
    """`line` is a pipe row that starts a table (the line before it, as written out, is no pipe row)
    with no delimiter row under it: a lone row with two cells at least, or rows that go on."""
    if not _PIPE_ROW.match(line) or _DELIMITER_ROW.match(line) or ("|" in previous and _PIPE_ROW.match(previous)):
        return False
    if not _PIPE_ROW.match(following) and line.strip().strip("|").count("|") >= 1:
        return True
    return bool(following) and not _DELIMITER_ROW.match(following)


class _Walker:
    """Turns an HTML tree into blocks. Chunks of text gather into a line; a <br> ends the line;
    a block element ends the block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tables = 0
        self._reset("paragraph")

    def _reset(self, kind: str, level: int = 0, marker: str | None = None) -> None:
        self.kind, self.level, self.marker = kind, level, marker
        self.lines: list[Line] = []
        self.chunks: list[tuple[str, bool]] = []

    # -- lines and blocks ------------------------------------------------------------------------
    def newline(self) -> None:
        if self.chunks:  # no chunk makes no line: skip the join and the cleaning
            line = _make_line(self.chunks)
            if line is not None:
                self.lines.append(line)
            self.chunks = []

    def flush(self, next_kind: str = "paragraph", level: int = 0, marker: str | None = None) -> None:
        self.newline()
        if self.lines:
            self.blocks.append(Block(self.kind, tuple(self.lines), level=self.level, marker=self.marker))
        self._reset(next_kind, level, marker)

    # -- the walk --------------------------------------------------------------------------------
    def walk(self, node: LexborNode, bold: bool = False, depth: int = 0) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":  # most children: the chunk is appended here, not through a call
                value = child.text_content
                # a blank chunk that would open a line is dropped: the line break between two blocks of the
                # HTML, which would make a line of nothing (a line's cleaning strips its blanks, and a blank
                # chunk is neither text nor the bold run that opens a line)
                if value and (self.chunks or not value.isspace()):
                    self.chunks.append((value, bold))
            elif tag == "br":
                self.newline()
            elif tag in _SKIPPED:
                continue
            elif tag in _HEADINGS:
                self.flush("heading", _HEADINGS[tag])
                self.walk(child, True, depth)
                self.flush()
            elif tag == "table":
                self.flush()
                self.table(child)
            elif tag in _LISTS:
                self.flush()
                self.list(child, depth + 1, ordered=tag == "ol")
            elif tag in _BLOCK:
                strong = bold or tag in _BOLD or _bold_style(child)
                if self.kind == "item":  # inside a list item a paragraph is one more line of the item
                    self.newline()
                    self.walk(child, strong, depth)
                    self.newline()
                else:
                    self.flush()
                    self.walk(child, strong, depth)
                    self.flush()
            else:
                self.walk(child, bold or tag in _BOLD or _bold_style(child), depth)

    def list(self, node: LexborNode, depth: int, ordered: bool) -> None:
        number = 0
        for child in node.iter():
            if child.tag in _LISTS:
                self.list(child, depth + 1, child.tag == "ol")
            elif child.tag == "li":
                number += 1
                self.flush("item", depth, f"{number}." if ordered else "•")
                self.walk(child, False, depth)
                self.flush()

    def table(self, node: LexborNode) -> None:
        index = self.tables
        self.tables += 1
        for row in _rows(node):
            cells = []
            header = True
            for cell in row.iter():
                tag = cell.tag
                if tag != "td" and tag != "th":
                    continue
                header &= tag == "th"
                cells.append(_cell_lines(cell, tag == "th"))
            if any(cells):
                self.blocks.append(Block("row", cells=tuple(cells), header=header and bool(cells), table=index))


def _cell_lines(cell: LexborNode, bold: bool) -> tuple[Line, ...]:
    """The lines of a table cell: every block inside a cell is one more line of the cell."""
    # the common cell, one text node (what iter(include_text=True) yields is the first_child ... next chain):
    # what the walker below makes of it, without the walker
    first = cell.first_child
    if first is None:
        return ()
    if first.next is None and first.tag == "-text":
        value = first.text_content
        if not value:
            return ()
        line = _make_line([(value, bold)])
        return () if line is None else (line,)
    inner = _Walker()
    inner.kind = "item"
    inner.walk(cell, bold)
    inner.newline()
    if not inner.blocks:  # the common cell: text only, no heading, list or table inside
        return tuple(inner.lines)
    return tuple(line for block in inner.blocks for line in block.lines) + tuple(inner.lines)


def _bold_style(node: LexborNode) -> bool:
    """An inline style that makes the element bold ("font-weight: bold", "font-weight:700")."""
    style = node.attributes.get("style")
    return bool(style) and _BOLD_STYLE.search(style) is not None


def _rows(table: LexborNode):
    for child in table.iter():
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child.iter() if row.tag == "tr")


def _make_line(chunks: list[tuple[str, bool]]) -> Line | None:
    if len(chunks) == 1:  # most lines are one chunk: no join, no scan for a bold one
        value, any_bold = chunks[0]
        text = clean_line(value)
    else:
        text = clean_line("".join([value for value, _ in chunks]))
        any_bold = any([bold for _, bold in chunks])
    if not text:
        return None
    # markdown emphasis inside a raw HTML block is left as asterisks by the renderer (a "**" needs a "*": the
    # one-character scan first)
    if "*" in text and "**" in text:
        text, strong, lead = emphasis_marks(text)
        return Line(text, strong, lead) if text else None
    if not any_bold:  # the common line with no bold run: neither strong nor a lead
        return Line(text)
    meaningful = [(v, b) for v, b in chunks if not _PUNCTUATION_ONLY.match(v)]
    strong = bool(meaningful) and all(b for _, b in meaningful)
    lead = None
    if not strong and meaningful and meaningful[0][1]:
        run = []
        for value, bold in chunks:
            if not bold and not _PUNCTUATION_ONLY.match(value):
                break
            run.append(value)
        lead = clean_line("".join(run)).strip(" :,-–") or None
    return Line(text, strong, lead)


def _split_fields(blocks: list[Block]) -> list[Block]:
    """A paragraph line that is a known `Label: value` field, or a caption turn, becomes a block
    of its own; the other lines of the paragraph stay together."""
    out: list[Block] = []
    for block in _split_bold_openers(blocks):
        if block.kind == "paragraph" and out and out[-1].kind == "turn":  # a caption turn runs until the next one
            if not any(line.text.startswith(">>") for line in block.lines):
                last = out.pop()
                out.append(Block("turn", last.lines + block.lines, label=last.label, gap=last.gap))
                continue
        if not _may_hold_fields(block):
            out.append(block)
            continue
        pending: list[Line] = []
        gap = block.gap

        def emit_pending() -> None:
            nonlocal gap
            if pending:
                out.append(Block("paragraph", tuple(pending), gap=gap))
                pending.clear()
                gap = False
        for line in block.lines:
            turn = turn_parts(line.text)
            field = None if turn else label_parts(line.text)
            if field and line.strong and field[1] and field_of(field[0]) == "role":
                field = None  # "**Keynote 1: Spice Up Your Life**": a bold title, not a role field
            if turn is not None:
                emit_pending()
                out.append(Block("turn", (Line(turn[1]),) if turn[1] else (), label=turn[0], gap=gap))
                gap = False
            elif field is not None:
                emit_pending()
                out.append(Block("label", (line,), label=field[0], value=field[1], gap=gap))
                gap = False
            elif out and out[-1].kind == "turn" and not pending:
                last = out.pop()
                out.append(Block("turn", last.lines + (line,), label=last.label, gap=last.gap))
            else:
                pending.append(line)
        emit_pending()
    return out


def _may_hold_fields(block: Block) -> bool:
    """A paragraph with a line that holds a ":" (a `Label: value` field, or a turn's speaker) or opens with ">>"."""
    # the block's text (its lines joined by blanks) holds a ":" or a ">>" when one of its lines does: one scan
    # of the text, and the lines looked at only for a ">>"
    if block.kind != "paragraph":
        return False
    text = block.text
    return ":" in text or (">>" in text and any(line.text.startswith(">>") for line in block.lines))


def _split_bold_openers(blocks: list[Block]) -> list[Block]:
    """Inside a paragraph, a short wholly emphasised line ("**Opening Address**<br>Mr X, ...") and a line
    that starts with a clock time ("10:00am – 10:20am: Opening remarks") begin a block of their own: the
    first reads as the heading of what follows, the second is a programme entry."""
    out: list[Block] = []
    for block in blocks:
        if block.kind != "paragraph" or len(block.lines) < 2:
            out.append(block)
            continue
        current: list[Line] = []
        gap = block.gap
        for line in block.lines:
            opener = (line.strong and len(line.text.split()) <= 20) or _starts_with_time(line.text)
            if opener and current:
                out.append(Block("paragraph", tuple(current), gap=gap))
                current, gap = [], False
            current.append(line)
            if line.strong and len(line.text.split()) <= 20:
                out.append(Block("paragraph", tuple(current), gap=gap))
                current, gap = [], False
        if current:
            out.append(Block("paragraph", tuple(current), gap=gap))
    return out


def _starts_with_time(text: str) -> bool:
    times = find_times(text[:24])
    return bool(times) and times[0].begin <= 2


def _field_rows(blocks: list[Block]) -> list[Block]:
    """A table row that pairs a field with its value ("Date: | 25 June 2018, 0730AM - 1030AM") is that
    field: event details are often laid out as a two-column table."""
    out = []
    for block in blocks:
        if block.kind != "row":
            out.append(block)
            continue
        # a cell's first line is tested before the others (the generator): it is the only one of most cells
        cells = [cell for cell in block.cells if cell and (cell[0].text or any(line.text for line in cell))]
        if len(cells) == 2 and not block.header and len(cells[0]) == 1:
            label = cells[0][0].text.strip().rstrip(":").strip()
            fieldname = field_of(label)
            if fieldname and fieldname != "role" and len(label.split()) <= 4:
                value = " ".join(line.text for line in cells[1])
                out.append(Block("label", (Line(f"{label}: {value}"),), label=label, value=value))
                continue
        out.append(block)
    return out


def read_html(body: str) -> list[Block]:
    tree = LexborHTMLParser(body)
    root = tree.body if tree.body is not None else tree.root
    walker = _Walker()
    if root is not None:
        walker.walk(root)
    walker.flush()
    return _split_fields(_field_rows(walker.blocks))


def _hard_breaks(body: str) -> str:
    """Two spaces before each line break make it a hard break (<br>). Elsewhere trailing spaces change
    nothing that is read: table rows, fences, headings and HTML ignore them, and in fenced code they
    are blanks that clean_line collapses."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")  # markdown-it's own line endings
    if "\\" in body and "\\\n" in body:  # a backslash before "  " would be a literal one (its own scan first)
        return _SOFT_BREAK.sub(r"\1  \n", body)
    return body.replace("\n", "  \n")


def render_markdown(body: str) -> str:
    """The HTML of a markdown body, every line break a <br> (see the module's docstring)."""
    if "`" in body:  # rare in these pages; the panic is a BaseException that parse_document would not catch
        return _markdown_with_backticks().render(body)
    return _MARKDOWN.render(_hard_breaks(body))


def read_markdown(body: str) -> list[Block]:
    return read_html(render_markdown(_add_table_delimiters(_normalise_bullets(body))))
