"""Document reading's shortcuts give what the plain forms give: each test runs the code and the form it had
before the shortcut (copied here) on variants written to hit the edges each shortcut relies on."""
from __future__ import annotations

import html
import itertools

import pytest

from pipeline.document import clean, fields, markup, plain, read
from pipeline.document.model import Block, Line
from tests.test_parse_speedups import MARKDOWN_SIGNS


# -- clean_line: tested on the stripped line; unprintable text alone goes through the blank pass ------
def _clean_line_plain(text: str) -> str:
    if text.isascii() and text.isprintable() and "&" not in text and "  " not in text and "{:" not in text:
        return text.strip()
    if "&" in text and clean._ENTITY.search(text):
        text = html.unescape(text)
    non_ascii = not text.isascii()
    if non_ascii:
        text = clean._INVISIBLE.sub("", text)
    if "{:" in text:
        text = clean._KRAMDOWN_ATTRIBUTES.sub("", text)
    if non_ascii:
        if any(arrow in text for arrow in "↩↑⬆⤴"):
            text = clean._BACK_LINKS.sub(" ", text)
        text = text.replace("\u2011", "-")
    return clean._BLANKS.sub(" ", text).strip()


CLEAN_LINES = [
    "", " ", "\t", "Plain", "  indented", "\tTabbed", "trailing tab\t", "  two  inside ", "\x1cfile sep", "x\x1f",
    "\x85next line", "x\u2028", "\u00a0nbsp", "nbsp\u00a0\u00a0x", "\u3000Ideographic", "café  au lait", "café",
    "a {:x} b", "é {:x} b", "a&amp;b ", " &shy;x", "&#8203; y", "&nbsp;&nbsp;z", "x&#x2011;y", "  ↩ back ",
    "up ↑\ufe0f top", "soft\u00adhyphen ", "zw\u200bsp ", "\ufeffbom", "rtl\u202ex", "é\tx", "é\u2003x", " é ",
    "non\u2011breaking", "{:a}", "é{:a}  ", "“quoted”  text", "— dash", "a\u200b b", "a \u200b b", "\x7fdel",
]


@pytest.mark.parametrize("value", CLEAN_LINES)
def test_clean_line_same_as_plain_form(value):
    assert clean.clean_line(value) == _clean_line_plain(value)


def test_clean_line_every_character_at_the_edges_and_inside():
    # what strip() drops must be blank for the slow path too, and every unprintable character must be
    # one the invisible or blank pass handles like the plain form does
    for code in itertools.chain(range(0x3100), range(0xfe00, 0x10000)):
        char = chr(code)
        for value in (char, f"{char}ab", f"ab{char}", f"a{char}b", f" {char} a", f"é{char}", f"{char}  é"):
            assert clean.clean_line(value) == _clean_line_plain(value), (hex(code), value)


def test_invisible_characters_and_blanks_are_unprintable():
    # the shortcut skips both passes on a printable text: none of their characters may be printable
    for pattern in (clean._INVISIBLE, clean._BLANKS):
        for code in range(0x10000):
            if pattern.fullmatch(chr(code)) and chr(code) != " ":
                assert not chr(code).isprintable(), hex(code)


# -- label_parts: no leading-symbol pass on a line that starts with a letter ------------------------
def _label_parts_plain(text: str):
    if ":" not in text:
        return None
    match = fields._LABEL.match(fields._LEADING_SYMBOLS.sub("", text))
    if not match:
        return None
    label = match.group("label").strip()
    if len(label.split()) > 6 or fields.field_of(label) is None:
        return None
    return label, match.group("value").strip()


LABEL_LINES = [
    "Date: 28 May 2019", "📅 Date: 28 May", "• Moderator: Ann", "Ünterschrift: x", "ß: y", "_Date: x", "1 Date: x",
    "(Date): x", "“Venue”: Paris", "Ⅻ Date: x", "²Date: x", "Speakers : A, B", "Date:", "no colon", "é: x",
    "Moderator  :  Jay", "ªDate: x", "Date", ":x", " Date: x",
]


@pytest.mark.parametrize("value", LABEL_LINES)
def test_label_parts_same_as_plain_form(value):
    assert fields.label_parts(value) == _label_parts_plain(value)


def test_label_parts_every_first_character():
    for code in range(0x3100):
        value = f"{chr(code)}Date: 28 May"
        assert fields.label_parts(value) == _label_parts_plain(value), hex(code)


# -- read_plain: turns batched, cheap tests of the block above first, one bullet match, "#" guard ----
def _indent_plain(raw: str) -> int:
    expanded = raw.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _continues_plain(last: Block, text: str, indent: int) -> bool:
    if plain._BULLET.match(text) or _label_parts_plain(text) or text.startswith(">>"):
        return False
    if last.kind == "item" and text[:1].islower() and indent >= last.indent:
        return True
    if last.kind == "label" and last.value and last.value.count(",") >= 2 and "," in text and len(text.split()) <= 12:
        tail = last.value.rsplit(",", 1)[-1].split()
        return len(tail) == 1 and tail[0][:1].isupper()
    return False


def _line_block_plain(text: str, gap: bool, indent: int, raw: str = "") -> Block:
    heading = plain._HEADING.match(text)
    if heading:
        return Block("heading", (Line(clean.emphasis_marks(heading.group(2))[0], True),), level=len(heading.group(1)),
                     gap=gap, indent=indent)
    if "**" in text:
        bullet = plain._BULLET.match(text)
        text_, strong, lead = clean.emphasis_marks(bullet.group("text") if bullet else text)
        if bullet and not plain._NOT_NUMBERED.match(text):
            return Block("item", (Line(text_, strong, lead),), level=1 + indent // 4, marker=bullet.group("marker"),
                         gap=gap, indent=indent)
        field = None if strong else _label_parts_plain(text_)
        if field is not None:
            return Block("label", (Line(text_),), label=field[0], value=field[1], gap=gap, indent=indent)
        return Block("paragraph", (Line(text_, strong, lead),), gap=gap, indent=indent)
    bullet = plain._BULLET.match(raw.expandtabs(4)) or plain._BULLET.match(text)
    if bullet and not plain._NOT_NUMBERED.match(text):
        level = max(1 + indent // 4, 2 if bullet.group("marker") == "o" else 1)
        return Block("item", (Line(_clean_line_plain(bullet.group("text"))),), level=level,
                     marker=bullet.group("marker"), gap=gap, indent=indent)
    field = _label_parts_plain(text)
    if field is not None:
        return Block("label", (Line(text),), label=field[0], value=field[1], gap=gap, indent=indent)
    return Block("paragraph", (Line(text),), gap=gap, indent=indent)


def _read_plain_plain(body: str) -> list[Block]:
    blocks: list[Block] = []
    gap = True
    in_turns = False
    for raw in body.split("\n"):
        text = _clean_line_plain(raw)
        if not text:
            gap = True
            continue
        indent = _indent_plain(raw)
        turn = fields.turn_parts(text)
        if turn is not None:
            in_turns = True
            blocks.append(Block("turn", (Line(turn[1]),) if turn[1] else (), label=turn[0], gap=gap, indent=indent))
        elif in_turns:
            last = blocks[-1]
            blocks[-1] = Block("turn", last.lines + (Line(text),), label=last.label, gap=last.gap, indent=last.indent)
        elif not gap and blocks and _continues_plain(blocks[-1], text, indent):
            last = blocks[-1]
            joined = f"{last.lines[-1].text} {text}"
            value = f"{last.value} {text}".strip() if last.kind == "label" else last.value
            blocks[-1] = Block(last.kind, last.lines[:-1] + (Line(joined),), level=last.level, label=last.label,
                               value=value, marker=last.marker, gap=last.gap, indent=last.indent)
        else:
            blocks.append(_line_block_plain(text, gap, indent, raw.strip()))
        gap = False
    return blocks


PLAIN_BODIES = [
    "Title\nDate: 28 May\nsome text\n",
    "Intro\n\n>> JANE DOE: Hello\nthere\n\n  more words\n>> : empty speaker\n>>\nplain again\n- not a bullet now\n",
    ">> first line is a turn\ncontinued\n>> 12: numbered\n",
    "  >> indented turn\n\ttabbed continuation\n",
    "- item one\n  wraps here\n    and here\nNext para\n- item\nUpper starts new\n",
    "- item\n\n  after a blank\n",
    "  - indented item\nless indented lower\n",
    "Invited speakers: A, B, Jay\nHealey, C\nmore, text\n",
    "Speakers: A, B, jay\nhealey, C\n", "Speakers: A, B, Jay Smith\nHealey, C\n", "Speakers:\nA, B, C\n",
    "Speakers: A, B, Jay\n- Healey, C\n", "Speakers: A, B, Jay\nDate: 1, 2\n", "Speakers: A, B, Jay\n>> X: y\n",
    "# Heading\n## Second ##\n####### seven\n#nospace\n # spaced\n#\n",
    "o   Name one\no\tName two\n\to\tName three\n  o  x\nordinary o words\n",
    "1. First\n1.5 million\n10.00 - 10.30\n(a) lettered\niv) roman\n",
    "**Bold title**\n**Name**: role\n- **bold item**\n**Date:** 1 May\n",
    "•\tTabbed glyph\n–\tdash\n*  star\n+ plus\n",
    "caf\u00e9\u00a0 menu\n\u200b\nzero\u200bwidth: x\n   \n\t\n",
    "x\r\ny\r\n\r\n>> A: b\r\nc\r\n",
    "- item\nlower wraps: Date: x\n- item\nlower wraps\n- nested\n",
]


@pytest.mark.parametrize("body", PLAIN_BODIES)
def test_read_plain_same_as_plain_form(body):
    assert plain.read_plain(body) == _read_plain_plain(body)
    assert repr(plain.read_plain(body)) == repr(_read_plain_plain(body))


def test_read_plain_turns_known_answer():
    blocks = plain.read_plain("Intro\n>> JANE: Hi\nthere\n\n>> BOB: Yes\n")
    assert [(b.kind, b.label, b.text, b.gap) for b in blocks] == [
        ("paragraph", None, "Intro", True), ("turn", "JANE", "Hi there", False), ("turn", "BOB", "Yes", True)]


@pytest.mark.parametrize("raw", ["", "x", " x", "\tx", " \t x", "\t\tx", "\rx", "\u00a0x", "x\t", "   "])
def test_indent_same_as_plain_form(raw):
    assert plain._indent(raw) == _indent_plain(raw)


# -- layout_of: the markdown signs one by one, a cheap test before the table search --------
def _layout_plain(body: str) -> str:
    return "markup" if read._HTML_TAG.search(body) is not None or MARKDOWN_SIGNS.search(body) else "plain"


LAYOUT_BODIES = [
    "plain\n", "a | b | c\n", "| a | b |\n", "| a | b |  \n", "| a | b | x\n", "  | a |\n", "    | a |\n",
    "\n\n| a |", "|\n", "||\n", "|a|\n", "---\n", "---|---\n", "---\n|---\n", "|\n\n---|---\n", "| --- |\n",
    ":---:|:---:\n", "a --- b | c\n", "text\n| tail |", "x | y |\r\n", "x | y |\x0c\n", "a|b\n---\n",
    "__init__\n", "__ x\n", "a__b\n", "x ](y\n", "<p>x</p>\n", "| a |\u2028", "\u00a0| a |\n", "\t| a |\n",
]


@pytest.mark.parametrize("body", LAYOUT_BODIES)
def test_layout_of_same_as_plain_form(body):
    assert read.layout_of(body) == _layout_plain(body)


# -- markup: a line with no bold chunk, a body with no pipe -----------------------------------------
def _make_line_plain(chunks):
    text = _clean_line_plain("".join(value for value, _ in chunks))
    if not text:
        return None
    if "**" in text:
        text, strong, lead = clean.emphasis_marks(text)
        return Line(text, strong, lead) if text else None
    meaningful = [(v, b) for v, b in chunks if not markup._PUNCTUATION_ONLY.match(v)]
    strong = bool(meaningful) and all(b for _, b in meaningful)
    lead = None
    if not strong and meaningful and meaningful[0][1]:
        run = []
        for value, bold in chunks:
            if not bold and not markup._PUNCTUATION_ONLY.match(value):
                break
            run.append(value)
        lead = _clean_line_plain("".join(run)).strip(" :,-–") or None
    return Line(text, strong, lead)


CHUNKS = [
    [], [("", False)], [(" ", False)], [("text", False)], [("text", True)], [(":", True)], [(":", False), ("x", True)],
    [("Name", True), (", role", False)], [("Name", True), (":", True), (" role", False)], [("a", False), ("b", True)],
    [("**x**", False)], [("**x**", True), (" y", False)], [("- ", False), ("Bold", True)], [("x", False), ("y", False)],
]


@pytest.mark.parametrize("chunks", CHUNKS)
def test_make_line_same_as_plain_form(chunks):
    assert markup._make_line(chunks) == _make_line_plain(chunks)


@pytest.mark.parametrize("body", ["no pipe\nat all\n", "", "\n\n", "a\r\nb", "| a | b |\n| c | d |\n"])
def test_table_delimiters_unchanged_without_a_pipe(body):
    added = markup._add_table_delimiters(body)
    if "|" in body:
        assert "|---|---|" in added
    else:
        assert added == body


def test_label_parts_drops_leading_symbols_by_one_match():
    """Leading symbols are matched once at the start (sub() tried every position): same fields."""
    for text in LABEL_LINES + ["::: Date: x", "—— Venue: Room 1 ——", "  Time: 10:00", "123: not a label", "\tTabbed:\tvalue"]:
        assert fields.label_parts(text) == _label_parts_plain(text), text
    assert fields.label_parts("📅 Date: 1 June") == ("Date", "1 June")
