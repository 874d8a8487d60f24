"""Reading markup's shortcuts give what the plain forms give: each test runs the code and the form it had
before the shortcut (copied here) on variants written to hit the edges each shortcut relies on:
- _make_line: a single chunk is cleaned without a join and its bold flag read directly;
- _Walker: a newline with no chunk makes no line, text chunks are appended in the walk, the bold style
  is looked up only for the elements whose walk uses it, a cell's lines are made by _cell_lines;
- _add_table_delimiters: a line without a pipe is kept without the pipe-row tests."""
from __future__ import annotations

import itertools

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.document import markup
from pipeline.document.clean import clean_line, emphasis_marks
from pipeline.document.model import Block, Line


# -- the plain forms ---------------------------------------------------------------------------------
def _make_line_plain(chunks):
    text = clean_line("".join(value for value, _ in chunks))
    if not text:
        return None
    if "**" in text:
        text, strong, lead = emphasis_marks(text)
        return Line(text, strong, lead) if text else None
    if not any(bold for _, bold in chunks):
        return Line(text)
    meaningful = [(v, b) for v, b in chunks if not markup._PUNCTUATION_ONLY.match(v)]
    strong = bool(meaningful) and all(b for _, b in meaningful)
    lead = None
    if not strong and meaningful and meaningful[0][1]:
        run = []
        for value, bold in chunks:
            if not bold and not markup._PUNCTUATION_ONLY.match(value):
                break
            run.append(value)
        lead = clean_line("".join(run)).strip(" :,-–") or None
    return Line(text, strong, lead)


def _add_table_delimiters_plain(body):
    if "|" not in body:
        return body
    lines = body.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        single = not markup._PIPE_ROW.match(following) and line.strip().strip("|").count("|") >= 1
        if (markup._PIPE_ROW.match(line) and (single or (following and not markup._DELIMITER_ROW.match(following)))
                and not (out and markup._PIPE_ROW.match(out[-1])) and not markup._DELIMITER_ROW.match(line)):
            columns = max(1, line.strip().strip("|").count("|") + 1)
            if out and out[-1].strip():
                out.append("")
            out += [line, "|" + "---|" * columns]
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


class _WalkerPlain:
    def __init__(self) -> None:
        self.blocks = []
        self.tables = 0
        self._reset("paragraph")

    def _reset(self, kind, level=0, marker=None):
        self.kind, self.level, self.marker = kind, level, marker
        self.lines = []
        self.chunks = []

    def text(self, value, bold):
        if value:
            self.chunks.append((value, bold))

    def newline(self):
        line = _make_line_plain(self.chunks)
        if line is not None:
            self.lines.append(line)
        self.chunks = []

    def flush(self, next_kind="paragraph", level=0, marker=None):
        self.newline()
        if self.lines:
            self.blocks.append(Block(self.kind, tuple(self.lines), level=self.level, marker=self.marker))
        self._reset(next_kind, level, marker)

    def walk(self, node: LexborNode, bold=False, depth=0):
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self.text(child.text_content or "", bold)
                continue
            if tag in markup._SKIPPED:
                continue
            if tag == "br":
                self.newline()
                continue
            strong = bold or tag in markup._BOLD or bool(markup._BOLD_STYLE.search(child.attributes.get("style") or ""))
            if tag in markup._HEADINGS:
                self.flush("heading", markup._HEADINGS[tag])
                self.walk(child, True, depth)
                self.flush()
            elif tag == "table":
                self.flush()
                self.table(child)
            elif tag in markup._LISTS:
                self.flush()
                self.list(child, depth + 1, ordered=tag == "ol")
            elif tag in markup._BLOCK:
                if self.kind == "item":
                    self.newline()
                    self.walk(child, strong, depth)
                    self.newline()
                else:
                    self.flush()
                    self.walk(child, strong, depth)
                    self.flush()
            else:
                self.walk(child, strong, depth)

    def list(self, node, depth, ordered):
        number = 0
        for child in node.iter():
            if child.tag in markup._LISTS:
                self.list(child, depth + 1, child.tag == "ol")
            elif child.tag == "li":
                number += 1
                self.flush("item", depth, f"{number}." if ordered else "•")
                self.walk(child, False, depth)
                self.flush()

    def table(self, node):
        index = self.tables
        self.tables += 1
        for row in markup._rows(node):
            cells = []
            header = True
            for cell in row.iter():
                if cell.tag not in ("td", "th"):
                    continue
                header &= cell.tag == "th"
                inner = _WalkerPlain()
                inner.kind = "item"
                inner.walk(cell, cell.tag == "th")
                inner.newline()
                lines = tuple(line for block in inner.blocks for line in block.lines) + tuple(inner.lines)
                cells.append(lines)
            if any(cells):
                self.blocks.append(Block("row", cells=tuple(cells), header=header and bool(cells), table=index))


def _walk_plain(html):
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    walker = _WalkerPlain()
    if root is not None:
        walker.walk(root)
    walker.flush()
    return walker.blocks


def _walk(html):
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    walker = markup._Walker()
    if root is not None:
        walker.walk(root)
    walker.flush()
    return walker.blocks


# -- _make_line ----------------------------------------------------------------------------------------
CHUNK_VALUES = ["", " ", "\n", "text", "**x**", "**Name**: role", ":", " – ", "a  b", "&amp;", "\u200b", "Name:", "x**"]
CHUNKS = [[]] + [[(value, bold)] for value in CHUNK_VALUES for bold in (False, True)] + [
    list(pair) for pair in itertools.product([(v, b) for v in ("", " ", "Name", ":", "**y**") for b in (False, True)],
                                             repeat=2)]


@pytest.mark.parametrize("chunks", CHUNKS)
def test_make_line_same_as_plain_form(chunks):
    assert markup._make_line(chunks) == _make_line_plain(chunks)


# -- _add_table_delimiters ---------------------------------------------------------------------------
TABLE_LINES = ["", "text", "| a | b |", "| a |", "|", "||", "a | b", "|---|---|", "| --- |", "---|---", " | x | y | ",
               "|:--:|--|", "a|b|c", "| a | b |\r", "|a|"]


def test_table_delimiters_same_as_plain_form():
    # every three-line body of TABLE_LINES (3,375), in one test: as many pytest items cost seconds
    differ = [body for lines in itertools.product(TABLE_LINES, repeat=3) for body in ("\n".join(lines), "\n".join(lines) + "\n")
              if markup._add_table_delimiters(body) != _add_table_delimiters_plain(body)]
    assert differ == []
    assert markup._add_table_delimiters("| a | b |\n| c | d |") == _add_table_delimiters_plain("| a | b |\n| c | d |") != ""


# -- the walk ------------------------------------------------------------------------------------------
HTML = [
    "", "plain text", "<p></p>", "<p> </p>\n<p>a</p>", "<p>a<br>b<br><br>c</p>", "<p><strong>Name</strong>, role</p>",
    "<p><b>Name:</b> role<br><em>x</em> <a href='u'>link</a></p>", "<p style='font-weight:bold'>All bold</p>",
    "<p><span style='font-weight: 700'>Lead</span> rest</p>", "<p><span style=''>x</span><span style>y</span></p>",
    "<div><p>one</p>\n<p>two</p></div>", "<h2>Title <em>it</em></h2><p>after</p>", "<h3 style='font-weight:900'>H</h3>",
    "<ul><li>a</li><li><p>b</p><p>c</p></li><li><ul><li>nested</li></ul></li></ul>", "<ol><li>x<br>y</li><ol><li>z</li></ol></ol>",
    "<table><tr><td>a</td><td></td></tr><tr><th>h</th><th>k</th></tr></table>",
    "<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td><strong>2</strong></td></tr></tbody></table>",
    "<table><tr><td><p>x</p><p>y</p></td><td><h4>head</h4>tail</td><td><ul><li>i</li></ul></td></tr></table>",
    "<table><tr><td><table><tr><td>in</td></tr></table>after</td></tr></table><table><tr><td>2nd</td></tr></table>",
    "<table><tr><td> </td><td>\n</td></tr><tr></tr></table>", "<table><caption>c</caption><tr><th></th></tr></table>",
    "<table><tr><th>Date:</th><td>25 June</td></tr><tr><td>Date:</td><td>1 May<br>2 May</td></tr></table>",
    "<p>**Bold** rest</p>", "<p><strong>**x**</strong></p>", "<script>x</script><p>y</p><!-- c --><img src=a>",
    "<p>a<style>s</style>b<svg><text>t</text></svg>c</p>", "text<p>para</p>tail<br>more", "<li>loose item</li>",
    "<p>&amp; &nbsp; x\u200by</p>", "<td>cell outside</td>", "<hr><p>x</p><hr>", "<dl><dt>T</dt><dd>D</dd></dl>",
    "<p><unknown>u</unknown><font style='FONT-WEIGHT:BOLD'>f</font></p>", "<p>- <b>Bold</b></p>",
]


@pytest.mark.parametrize("html", HTML)
def test_walk_same_as_plain_form(html):
    assert _walk(html) == _walk_plain(html)
    for wrapped in (f"<ul><li>{html}</li></ul>", f"<table><tr><td>{html}</td><th>{html}</th></tr></table>",
                    f"<p><strong>{html}</strong></p>", f"<h1>{html}</h1>"):
        assert _walk(wrapped) == _walk_plain(wrapped)


MARKDOWN = [
    "# Title\n\nPara one\nline two\n\n- a\n- **b**\n", "| a | b |\n| c | d |\n", "| Date: | 1 May |\n",
    "**Speaker**: role\nText\n\n1. one\n2. two\n", "● glyph\n• bullet\n", "<div>raw *x*</div>\n\n**y**\n",
    "Date: 1 May\n>> NAME: hello\nmore\n", "a | b\n|---|---|\n| c | d |\n",
]


@pytest.mark.parametrize("body", MARKDOWN)
def test_read_markdown_same_as_plain_walk(body):
    html = markup.render_markdown(_add_table_delimiters_plain(markup._normalise_bullets(body)))
    assert markup.read_markdown(body) == markup._split_fields(markup._field_rows(_walk_plain(html)))
