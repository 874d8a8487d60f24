"""Document reading's one-character scans before two-character ones give what the plain tests gave: each test
runs the code and the form it had before the shortcut (copied here) on variants written to hit the edges."""
from __future__ import annotations

import html
import itertools
import re

import pytest

from pipeline.document import markup, plain, read
from pipeline.document.clean import _BACK_LINKS, _BLANKS, _ENTITY, _INVISIBLE, _KRAMDOWN_ATTRIBUTES, clean_line
from pipeline.document.model import Block, Line


# -- layout_of: "](", "![" and "__" scanned for only when their first character is there ----------------------
_PIPE_AT_LINE_END = re.compile(r"\|\s*$", re.M)  # the guard layout_of had before it looked at each pipe


def _layout_of_before(body: str) -> str:
    if "](" in body or "![" in body:
        return "markup"
    if "<" in body and read._HTML_TAG.search(body) is not None:
        return "markup"
    if "__" in body and read._UNDERSCORE_EMPHASIS.search(body):
        return "markup"
    if "|" in body and ("---" in body or _PIPE_AT_LINE_END.search(body)) and read._TABLE_LINE.search(body):
        return "markup"
    return "plain"


_LAYOUT_PIECES = ["", "plain words", "see [the page](http://x)", "a ] ( apart", "]", "(", "![", "!", "[", "! [",
                  "![img](a.png)", "__init__", "_one_", "__ spaced", "snake_case", "<b>bold</b>", "a < b",
                  "| a | b |", "|---|---|", "a | b", "---", "Zoë — “quoted” ✓", "\t\u00a0\u3000", "\r\n", "]\n("]


def test_layout_of_same_as_before():
    # every pair of pieces, in one test (625 pytest items cost more than the checks)
    bodies = ["\n".join(pair) for pair in itertools.product(_LAYOUT_PIECES, repeat=2)]
    assert [body for body in bodies if read.layout_of(body) != _layout_of_before(body)] == []


def test_layout_of_values():
    assert read.layout_of("see [the page](http://x)") == "markup"
    assert read.layout_of("an image ![x](y.png)") == "markup"
    assert read.layout_of("a ] then ( apart and ! alone") == "plain"
    assert read.layout_of("snake_case and _one_") == "plain"
    assert read.layout_of("__bold__ text") == "markup"
    assert read.layout_of("") == "plain"


# -- clean_line: "{:" scanned for only when a "{" is there -------------------------------------------------
def _clean_line_before(text: str) -> str:
    stripped = text.strip()
    if (stripped.isascii() and stripped.isprintable() and "&" not in stripped and "  " not in stripped
            and "{:" not in stripped):
        return stripped
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    non_ascii = not text.isascii()
    printable = text.isprintable()
    if non_ascii and not printable:
        text = _INVISIBLE.sub("", text)
    if "{:" in text:
        text = _KRAMDOWN_ATTRIBUTES.sub("", text)
    if non_ascii:
        if "↩" in text or "↑" in text or "⬆" in text or "⤴" in text:
            text = _BACK_LINKS.sub(" ", text)
        text = text.replace("\u2011", "-")
    if printable and "  " not in text:
        return text.strip()
    return _BLANKS.sub(" ", text).strip()


_CLEAN_PIECES = ["", " ", "word", "{", "}", "{:", "{:target=\"_blank\"}", "{ :", "{x}", ":", "&amp;", "&#123;:",
                 "&#x7b;:", "  ", "\t", "\u00a0", "\u200b", "Zoë", "↩", "\u2011", "\x01", "  {:a}  "]


def test_clean_line_same_as_before():
    texts = [text for pair in itertools.product(_CLEAN_PIECES, repeat=2)
             for text in ("".join(pair), " ".join(pair), f" a{pair[0]}b{pair[1]}c ")]
    assert [text for text in texts if clean_line(text) != _clean_line_before(text)] == []


def test_clean_line_values():
    assert clean_line("Link{:target=\"_blank\"} here") == "Link here"
    assert clean_line("&#123;:x} kept") == "kept"  # the entity decodes to "{", which makes an attribute list
    assert clean_line("a {b} c") == "a {b} c"
    assert clean_line("  Zoë {:x}  ") == "Zoë"
    assert clean_line("") == ""


# -- "**" scanned for only when a "*" is there (plain lines, markup lines) ---------------------------------
@pytest.mark.parametrize("text", ["", "*", "a * b", "**", "a ** b", "**Title**", "*em*", "Zoë **Müller**", "\t**"])
def test_double_asterisk_gate(text):
    assert ("*" in text and "**" in text) == ("**" in text)


def test_plain_lines_with_asterisks():
    blocks = plain.read_plain("**Opening Address**\na * b\n- **Jane Doe**, Chair\nDate: 1 May\n")
    assert [b.kind for b in blocks] == ["paragraph", "paragraph", "item", "label"]
    assert blocks[0].lines[0] == Line("Opening Address", True, None)
    assert blocks[1].text == "a * b"
    assert blocks[2].lines[0] == Line("Jane Doe, Chair", False, "Jane Doe")
    assert (blocks[3].label, blocks[3].value) == ("Date", "1 May")


def test_markup_lines_with_asterisks():
    assert markup._make_line([("**Panel**", False)]) == Line("Panel", True, None)
    assert markup._make_line([("a * b", False)]) == Line("a * b")
    assert markup._make_line([("*", True)]) == Line("*", False, None)  # punctuation alone is not a bold run


# -- _hard_breaks: a backslash and newline scanned for only when a backslash is there ----------------------
def _hard_breaks_before(body: str) -> str:
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if "\\\n" in body:
        return markup._SOFT_BREAK.sub(r"\1  \n", body)
    return body.replace("\n", "  \n")


@pytest.mark.parametrize("body", ["", "a\nb", "a\\\nb", "a\\\\\nb", "a\\b\nc", "\\", "x\r\ny\\\r\nz", "Zoë\\\n",
                                  "a\\ \nb", "\n\n"])
def test_hard_breaks_same_as_before(body):
    assert markup._hard_breaks(body) == _hard_breaks_before(body)


def test_hard_breaks_values():
    assert markup._hard_breaks("a\nb") == "a  \nb"
    assert markup._hard_breaks("a\\\nb") == "a\\\nb"  # a hard break already
    assert markup._hard_breaks("a\\\\\nb") == "a\\\\  \nb"


def test_read_document_end_to_end():
    doc = read.read_document("Title\n\nsee [x](y) and **bold**\n")
    assert doc.layout == "markup"
    assert isinstance(doc.blocks[0], Block)
    assert read.read_document("Title\nDate: 2 May\n").layout == "plain"
    assert doc.blocks[-1].text == "see x and bold"
