"""Reading's shortcuts of this round give what the forms before them gave: each test runs the code and the
form it had before (copied here, or the reference forms of tests/test_markup_reading_speedups.py) on variants
written to hit the edges each shortcut relies on:
- read_plain: "{:" is looked for only in a body with a "{";
- _Walker.walk: a blank text chunk that would open a line is dropped;
- _add_table_delimiters: the lines that open an undelimited table are found first, and a body with none is
  kept as it is;
- _split_fields: a paragraph's lines are looked at only when its text holds a ":" or a ">>";
- _field_rows: a row's cells are tested first line first, and the other blocks are passed over;
- layout_of: a table line's pipe is looked for at each pipe rather than by scans of the whole body."""
from __future__ import annotations

import itertools
import re

import pytest

from pipeline.document import markup, plain, read
from pipeline.document.model import Block, Line
from tests.test_markup_reading_speedups import _add_table_delimiters_plain, _walk, _walk_plain


# -- read_plain: the "{:" scan after a "{" scan -------------------------------------------------------------
PLAIN_LINES = ["Title", "{: .class}", "Date: 1 May {:target}", "x { y", "{", "{:", ":{", "Zoë {: a}", "Zoë { b",
               "  indented {:x}", "\tTab {", "A & B {:", "ŁÓDŹ: {x}", ""]


def test_read_plain_same_as_every_line_cleaned(monkeypatch):
    bodies = ["\n".join(lines) for lines in itertools.product(PLAIN_LINES, repeat=2)]
    bodies += ["\n".join(PLAIN_LINES), "no brace\nat all\n", "Zoë\n{ only an opening brace\n"]
    fast = [plain.read_plain(body) for body in bodies]
    # the reference: no line takes read_plain's own fast test, every line is cleaned by clean_line
    monkeypatch.setattr(plain, "_no_control_characters", lambda body: False)
    assert fast == [plain.read_plain(body) for body in bodies]


def test_read_plain_kramdown_attributes_dropped_in_a_body_with_braces():
    blocks = plain.read_plain("Title {: .big}\nx { y\n")
    assert [block.text for block in blocks] == ["Title", "x { y"]


# -- _Walker.walk: a blank chunk that opens a line ------------------------------------------------------------
BLANKS = [" ", "\n", "\t", "\u00a0", "\u2028", "\x1c", "\u3000", " \n\u00a0 "]
FOLLOWING = [[], [("Name", False)], [("Name", True)], [("Name", True), (", role", False)], [("**Bold** rest", False)],
             [("&amp; x", False)], [("↩ back", False)], [("a  b", True), (":", False)], [("-", False)],
             [("Zoë\u200b", False)], [("{:x} y", True)]]


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_chunk_opening_a_line_changes_nothing(blank):
    assert blank.isspace()
    for following, bold in itertools.product(FOLLOWING, (False, True)):
        assert markup._make_line([(blank, bold)] + following) == markup._make_line(following)


HTML = ["<p>a</p>\n<p>b</p>\n", "\n<p>x</p>", "<p> <b>Name</b>, role</p>", "<p><b> </b><i>x</i></p>",
        "<p>a<br>\n<b>bold</b> tail<br> \u00a0 <br>c</p>", "<table>\n<tr>\n<td>\n<b>x</b>\n</td><td> </td></tr></table>",
        "<ul>\n<li>\n<p>a</p>\n</li></ul>", "<div> \n <span style='font-weight:bold'> </span>lead text</div>",
        "<h2>\n Title</h2>\n\n<p>\u2028x</p>", "text <b>b</b>\n<p>p</p>\n tail"]


@pytest.mark.parametrize("html", HTML)
def test_walk_same_as_plain_form_with_blank_chunks(html):
    assert _walk(html) == _walk_plain(html)
    wrapped = f"<table><tr><td>{html}</td></tr></table>"
    assert _walk(wrapped) == _walk_plain(wrapped)


# -- _add_table_delimiters: openers found first -----------------------------------------------------------------
TABLE_LINES = ["", "text", "| a | b |", "| a |", "|---|---|", "a | b", "| c | d |"]


def test_table_delimiters_same_as_plain_form_on_longer_bodies():
    # every five-line body (16,807): runs of pipe rows with and without delimiter rows, one after another
    differ = [body for lines in itertools.product(TABLE_LINES, repeat=5) for body in ("\n".join(lines),)
              if markup._add_table_delimiters(body) != _add_table_delimiters_plain(body)]
    assert differ == []


def test_table_delimiters_keep_a_body_that_needs_none():
    body = "| a | b |\n|---|---|\n| c | d |\n"
    assert markup._add_table_delimiters(body) is body
    assert markup._add_table_delimiters("x\n| a | b |\n| c | d |") == "x\n\n| a | b |\n|---|---|\n| c | d |"


# -- _split_fields: the text before the lines ----------------------------------------------------------------------
def _holds_fields_plain(block):
    return block.kind == "paragraph" and any(":" in line.text or line.text.startswith(">>") for line in block.lines)


LINE_TEXTS = ["plain", "Date: 1 May", "a >> b", ">> NAME: hi", ">>x", "> > y", "x:", "end >", ">", "ab"]


def test_may_hold_fields_same_as_plain_form():
    for kind in ("paragraph", "heading", "item", "label"):
        for texts in itertools.chain.from_iterable(itertools.product(LINE_TEXTS, repeat=n) for n in (1, 2, 3)):
            block = Block(kind, tuple(Line(text) for text in texts))
            assert markup._may_hold_fields(block) == _holds_fields_plain(block), (kind, texts)
    # a ">" that ends one line and opens the next makes ">>" only in the joined text: not a turn
    assert not markup._may_hold_fields(Block("paragraph", (Line("end >"), Line("> > y"))))


# -- _field_rows: the first line of a cell first --------------------------------------------------------------------
def _field_rows_plain(blocks):
    out = []
    for block in blocks:
        cells = [cell for cell in block.cells if any(line.text for line in cell)] if block.kind == "row" else []
        if len(cells) == 2 and not block.header and len(cells[0]) == 1:
            label = cells[0][0].text.strip().rstrip(":").strip()
            fieldname = markup.field_of(label)
            if fieldname and fieldname != "role" and len(label.split()) <= 4:
                value = " ".join(line.text for line in cells[1])
                out.append(Block("label", (Line(f"{label}: {value}"),), label=label, value=value))
                continue
        out.append(block)
    return out


CELLS = [(), (Line(""),), (Line(""), Line("x")), (Line("Date:"),), (Line("Venue"),), (Line("1 May"), Line("2 May")),
         (Line("Moderator:"),), (Line(""), Line("")), (Line("Date"), Line("")), (Line("A long label of many words:"),)]


def test_field_rows_same_as_plain_form():
    blocks = [Block("row", cells=cells, header=header, table=0)
              for n in (1, 2, 3) for cells in itertools.product(CELLS, repeat=n) for header in (False, True)]
    blocks += [Block("paragraph", (Line("Date: 1 May"),)), Block("label", (Line("Date: x"),), label="Date", value="x")]
    assert markup._field_rows(blocks) == _field_rows_plain(blocks)
    assert markup._field_rows([Block("row", cells=((Line(""), Line("Date:")), (Line("1 May"),)))])[0].kind == "row"


# -- layout_of: the table-line guard tried at each pipe ----------------------------------------------------------
_PIPE_AT_LINE_END = re.compile(r"\|\s*$", re.M)


def _table_line_before(body):
    return bool("|" in body and ("---" in body or _PIPE_AT_LINE_END.search(body)) and read._TABLE_LINE.search(body))


TABLE_PIECES = ["", "a | b", "| a | b |", "| a | b |  ", "| a |\t", "|", "||", "| x |\r", "|---|---|", "| :--- | ---: |",
                "|:-:|", "---", "--- | ---", "a |---", "| -- |", "|\u00a0", "| a |\u2028", "  | a |", "    | a |",
                "Zoë | Łódź |", ":---", "|\n---", "- | -"]


def test_table_guard_same_as_before():
    bodies = ["\n".join(lines) for n in (1, 2, 3) for lines in itertools.product(TABLE_PIECES, repeat=n)]
    bodies += [body + "\n" for body in bodies[:len(TABLE_PIECES) ** 2]]
    differ = [body for body in bodies
              if bool("|" in body and read._has_table_pipe(body) and read._TABLE_LINE.search(body))
              != _table_line_before(body)]
    assert differ == []
    assert read.layout_of("| a | b |\n|---|---|\n| 1 | 2 |\n") == "markup"
    assert read.layout_of("Cybersecurity | Legal | Development\nmore text\n") == "plain"
    assert read._has_table_pipe("a | b\n| c") is False and read._has_table_pipe("a |  \nb") is True
