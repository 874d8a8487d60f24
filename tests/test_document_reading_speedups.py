"""The fast paths of document reading against the plain forms they replace (kept here)."""
from __future__ import annotations

from pipeline.document import plain
from pipeline.document.clean import clean_line
from pipeline.document.markup import _cell_lines, _make_line, _Walker, read_markdown
from pipeline.document.model import Block, Line
from pipeline.document.read import read_document
from selectolax.lexbor import LexborHTMLParser


def _plain_cell_lines(cell, bold):
    inner = _Walker()
    inner.kind = "item"
    inner.walk(cell, bold)
    inner.newline()
    return tuple(line for block in inner.blocks for line in block.lines) + tuple(inner.lines)


LINES = ["Date: 28 May 2019", "  indented  text  ", "\tTabbed:\tvalue", "Tom &amp; Jerry", "x {:target=\"_blank\"}",
         "Caf\u00e9 \u2014 r\u00e9sum\u00e9", "zero\u200bwidth", "", "   ", "• Moderator: Ann", "📅 Date: 1 June",
         "-- Organizers: X", "(a) item", "1.5 million", "**Speaker**: role", ">> ANN: hello", "bell\x07char", "\x7f",
         "a\u00a0b", "→ arrow ↩", "ünïcödé: text", "---", "|a|b|"]


def _plain_read_plain(body):
    """read_plain with clean_line called for every line (the form before the whole-body tests)."""
    original = plain._no_control_characters
    plain._no_control_characters = lambda body: False
    try:
        return plain.read_plain(body)
    finally:
        plain._no_control_characters = original


def test_read_plain_fast_cleaning_is_clean_line():
    bodies = ["\n".join(LINES), "\n".join(LINES[:3]), "Title\n\nDate: 1 May\n  - item one\n    wraps here\n\n",
              "no controls & but amp\nTom &amp; Jerry\n", "tab\tinside\n  two  blanks\n", "a {: b}\nx {:y}\n",
              "\r\nDate: x\r\n", "ascii only\nplain  text\n\n\n", "lone \ud800 surrogate\nnext line", ""]
    for body in bodies:
        assert plain.read_plain(body) == _plain_read_plain(body), body
        assert repr(plain.read_plain(body)) == repr(_plain_read_plain(body))
    assert plain._no_control_characters("a\tb\nc é") and not plain._no_control_characters("a\rb")
    assert not plain._no_control_characters("bell\x07") and not plain._no_control_characters("\x7f")
    blocks = plain.read_plain("Date: 28 May 2019\n  indented  text  ")
    assert blocks[0] == Block("label", (Line("Date: 28 May 2019"),), label="Date", value="28 May 2019", gap=True)
    assert blocks[1].lines[0].text == "indented text" and blocks[1].indent == 2


def test_cell_lines_fast_path_is_the_walk():
    html = ("<table><tr><th>Head</th><th></th><th>  </th><td>Tom &amp; Jerry</td><td>**Bold** rest</td>"
            "<td><b>Name</b>, Role</td><td>a<br>b</td><td><p>x</p><ul><li>y</li></ul></td><td>caf\u00e9\u200b</td>"
            "<td>Date:</td><td><!-- c --></td></tr></table>")
    tree = LexborHTMLParser(html)
    cells = [c for c in tree.css("th, td")]
    assert len(cells) == 11
    for cell in cells:
        for bold in (False, True):
            assert _cell_lines(cell, bold) == _plain_cell_lines(cell, bold), cell.html
    assert _cell_lines(cells[0], True) == (Line("Head", True),)
    assert _make_line([("x", False)]) == Line("x")


def test_documents_read_the_same_shapes():
    markdown = ("---\ntitle: A talk\ndate: 2019-05-28\n---\n# Heading\n\n| Date: | 28 May |\n|---|---|\n| a | b |\n\n"
                "- one\n  - two\n    - three\n\n<div><strong>Time:</strong><br>10:00</div>\n\nCaf\u00e9 [link](x)\n")
    doc = read_document(markdown)
    assert doc.layout == "markup" and doc.meta == {"title": "A talk", "date": "2019-05-28"}
    assert [b.kind for b in doc.blocks][:3] == ["heading", "row", "row"]
    assert doc.blocks[1].header and doc.blocks[1].cells == ((Line("Date:", True),), (Line("28 May", True),))
    assert doc.blocks[2].text == "a | b" and not doc.blocks[2].header
    broken = read_document("---\ntitle: [unclosed\n---\nbody text\n")
    assert broken.problems and broken.problems[0].startswith("front matter is not valid YAML")
    text = read_document("Moderator: Ann\n\n  Speakers: A, B, Jay\n  Healey, C\n\n\u2022 item  one\nLast line")
    assert text.layout == "plain"
    assert [(b.kind, b.text) for b in text.blocks] == [
        ("label", "Moderator: Ann"), ("label", "Speakers: A, B, Jay Healey, C"), ("item", "item one"),
        ("paragraph", "Last line")]
    assert read_markdown("| a | b |\n| c | d |")[1].cells == ((Line("c"),), (Line("d"),))
    assert clean_line("  a  b  ") == "a b"
