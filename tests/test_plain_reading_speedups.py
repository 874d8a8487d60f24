"""Plain reading's second round of shortcuts give what the code gave before them: each test runs the code and
the form it had before the shortcut (copied here) on variants written to hit the edges each shortcut relies on."""
from __future__ import annotations

import inspect
import itertools
import pickle
from dataclasses import MISSING, dataclass, field, fields

import pytest

from pipeline.document import plain, read
from pipeline.document.clean import clean_line, emphasis_marks
from pipeline.document.fields import label_parts, turn_parts
from pipeline.document.model import Block, Line
from pipeline.model.vocabulary import field_of
from tests.test_document_speedups import PLAIN_BODIES


# -- Block and Line: __init__ written out with the slots' setters, one line's text without the join ---------
@dataclass(frozen=True, slots=True)
class _LinePlain:
    text: str
    strong: bool = False
    lead: str | None = None


@dataclass(frozen=True, slots=True)
class _BlockPlain:
    kind: str
    lines: tuple = ()
    level: int = 0
    cells: tuple = ()
    header: bool = False
    table: int = -1
    label: str | None = None
    value: str | None = None
    marker: str | None = None
    gap: bool = True
    indent: int = 0
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind == "row":
            text = " | ".join([" ".join([line.text for line in cell]) for cell in self.cells])
        else:
            text = " ".join([line.text for line in self.lines])
        object.__setattr__(self, "text", text)

    @property
    def strong(self) -> bool:
        return bool(self.lines) and all(line.strong for line in self.lines)


class _Text(str):
    """A str subclass: the join copies it into a plain str, and the shortcut must too."""


_LINES = [(), (Line("one"),), (Line(""),), (Line("a"), Line("b")), (Line("x", True),), (Line("x", True), Line("y")),
          (Line("x", True), Line("y", True)), (Line(_Text("sub")),), (Line(_Text("s")), Line("t")),
          (Line("Name", True, "Name"),)]
_BLOCK_ARGS = [
    (("paragraph", lines), {}) for lines in _LINES
] + [
    (("row",), {"cells": cells, "header": header, "table": 2})
    for cells in [(), ((Line("a"),),), ((Line("a"), Line("b")), (Line("c"),)), ((),), ((Line(_Text("q")),),)]
    for header in (False, True)
] + [
    (("label", (Line("Date: 1 May"),)), {"label": "Date", "value": "1 May", "gap": False, "indent": 4}),
    (("item", (Line("x"),)), {"level": 2, "marker": "o"}),
    (("heading", (Line("Title", True),)), {"level": 1}),
    (("turn", ()), {"label": "", "gap": False}),
    (("row", (Line("ignored"),)), {"cells": ((Line("cell"),),)}),
    (("paragraph", (Line("p"),), 3, (), True, 7, "l", "v", "m", False, 8), {}),  # every field positional
]


def _as_plain(value):
    """The same lines and cells as _LinePlain (the reference classes hold reference lines)."""
    if isinstance(value, Line):
        return _LinePlain(value.text, value.strong, value.lead)
    if isinstance(value, tuple):
        return tuple(_as_plain(v) for v in value)
    return value


@pytest.mark.parametrize("args, kwargs", _BLOCK_ARGS)
def test_block_same_as_generated_init(args, kwargs):
    block = Block(*args, **kwargs)
    ref = _BlockPlain(*_as_plain(args), **{k: _as_plain(v) for k, v in kwargs.items()})
    for f in fields(Block):
        got, want = getattr(block, f.name), getattr(ref, f.name)
        assert _as_plain(got) == want and type(got) is type(want), f.name
    assert block.strong == ref.strong
    assert repr(block).replace("Block(", "").replace("Line(", "") == \
        repr(ref).replace("_BlockPlain(", "").replace("_LinePlain(", "")
    assert pickle.loads(pickle.dumps(block)) == block
    assert pickle.loads(pickle.dumps(block)).text == block.text


def test_block_text_of_one_line_is_the_joins_own_object():
    # pickle writes a string once per object: the text must be the same object the join would give
    text = "Date: 28 May 2019"
    assert Block("paragraph", (Line(text),)).text is " ".join([text]) is text
    sub = _Text("x y")
    got = Block("paragraph", (Line(sub),)).text
    assert type(got) is str and got == sub and got is not sub
    line = Line("shared")
    block = Block("paragraph", (line,))
    assert pickle.dumps(block) == pickle.dumps(Block("paragraph", (line,)))
    assert pickle.dumps((line.text, block)).count(b"shared") == 1


def test_line_same_as_generated_init():
    for args, kwargs in [(("a",), {}), (("a", True), {}), (("a", True, "b"), {}), (("a",), {"lead": "x"}),
                         ((), {"text": "t", "strong": True})]:
        line, ref = Line(*args, **kwargs), _LinePlain(*args, **kwargs)
        assert (line.text, line.strong, line.lead) == (ref.text, ref.strong, ref.lead)
        assert repr(line)[len("Line"):] == repr(ref)[len("_LinePlain"):]


@pytest.mark.parametrize("cls, ref", [(Block, _BlockPlain), (Line, _LinePlain)])
def test_written_init_has_the_fields_parameters(cls, ref):
    # the same parameters, order and defaults as the fields (what the generated __init__ would take)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    init_fields = [f for f in fields(cls) if f.init]
    assert [p.name for p in params] == [f.name for f in init_fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is MISSING else f.default
                                           for f in init_fields]
    assert [p.name for p in params] == [f.name for f in fields(ref) if f.init]


def test_blocks_stay_frozen():
    block = Block("paragraph", (Line("x"),))
    with pytest.raises(AttributeError):
        block.kind = "item"
    with pytest.raises(AttributeError):
        block.lines[0].text = "y"
    assert hash(block) == hash(Block("paragraph", (Line("x"),)))


# -- _bullet: the match tried only on a line whose first character can open a bullet -------------------------
def test_bullet_openers_cover_every_first_character():
    # every character that opens some match of _BULLET is let through by the guard
    tails = [" x", "  x", ". x", "1. x"]  # a glyph, "o", a number or letter, "(" before a number
    for code in range(0x110000):
        first = chr(code)
        if any(plain._BULLET.match(first + tail) for tail in tails):
            assert first in plain._BULLET_OPENERS or first.isdecimal(), repr(first)


@pytest.mark.parametrize("line", [
    "", "x", "- item", "-item", "• glyph", "o   Name", "o Name", "ordinary", "1. First", "12) x", "123. x",
    "(a) lettered", "(iv) roman", "iv. roman", "x. y", "A. Capital", "\u0661. Arabic-Indic digit", "\u00b2. x",
    "\u2460 circled", "\uff11. fullwidth", "Date: 1 May", "(1) one", "( a) x", "— dash", "–\ttab", "* star",
    "+ plus", "∙ dot", "‣ x", "⁃ x", "○ x", "● x", "◦ x", "▪ x", "· x", "ſ. long s", "ı. dotless", "K. kelvin",
])
def test_bullet_same_as_match(line):
    got, want = plain._bullet(line), plain._BULLET.match(line)
    assert (got and got.groupdict()) == (want and want.groupdict())


# -- read_plain and _line_block: guards before the calls of _indent, _continues, label_parts ------------------
def _continues_before(last: Block, text: str, indent: int) -> bool:
    if last.kind == "item":
        wraps = text[:1].islower() and indent >= last.indent
    elif last.kind == "label":
        wraps = (bool(last.value) and last.value.count(",") >= 2 and "," in text and len(text.split()) <= 12
                 and plain._ends_with_cut_name(last.value))
    else:
        return False
    return wraps and not (plain._BULLET.match(text) or label_parts(text) or text.startswith(">>"))


def _line_block_before(text: str, gap: bool, indent: int, raw: str = "") -> Block:
    heading = plain._HEADING.match(text) if text.startswith("#") else None
    if heading is not None:
        return Block("heading", (Line(emphasis_marks(heading.group(2))[0], True),), level=len(heading.group(1)),
                     gap=gap, indent=indent)
    if "**" in text:
        bullet = plain._BULLET.match(text)
        plain_text, strong, lead = emphasis_marks(bullet.group("text") if bullet else text)
        if bullet and not plain._NOT_NUMBERED.match(text):
            return Block("item", (Line(plain_text, strong, lead),), level=1 + indent // 4,
                         marker=bullet.group("marker"), gap=gap, indent=indent)
        found = None if strong else label_parts(plain_text)
        if found is not None:
            return Block("label", (Line(plain_text),), label=found[0], value=found[1], gap=gap, indent=indent)
        return Block("paragraph", (Line(plain_text, strong, lead),), gap=gap, indent=indent)
    bullet = plain._BULLET.match(raw.expandtabs(4) if "\t" in raw else raw)
    if bullet is None and raw != text:
        bullet = plain._BULLET.match(text)
    if bullet and not plain._NOT_NUMBERED.match(text):
        level = max(1 + indent // 4, 2 if bullet.group("marker") == "o" else 1)
        return Block("item", (Line(clean_line(bullet.group("text"))),), level=level,
                     marker=bullet.group("marker"), gap=gap, indent=indent)
    found = label_parts(text)
    if found is not None:
        return Block("label", (Line(text),), label=found[0], value=found[1], gap=gap, indent=indent)
    return Block("paragraph", (Line(text),), gap=gap, indent=indent)


def _read_plain_before(body: str) -> list[Block]:
    blocks: list[Block] = []
    gap = True
    raws = body.split("\n")
    for number, raw in enumerate(raws):
        text = clean_line(raw)
        if not text:
            gap = True
            continue
        indent = plain._indent(raw)
        if text.startswith(">>") and turn_parts(text) is not None:
            blocks.extend(plain._read_turns(itertools.islice(raws, number, None), gap))
            break
        if not gap and blocks and _continues_before(blocks[-1], text, indent):
            last = blocks[-1]
            joined = f"{last.lines[-1].text} {text}"
            value = f"{last.value} {text}".strip() if last.kind == "label" else last.value
            blocks[-1] = Block(last.kind, last.lines[:-1] + (Line(joined),), level=last.level, label=last.label,
                               value=value, marker=last.marker, gap=last.gap, indent=last.indent)
        else:
            blocks.append(_line_block_before(text, gap, indent, raw.strip()))
        gap = False
    return blocks


MORE_BODIES = [
    "Agenda\n1. Opening\n  continued lower\n2) Second\n\u0661. Arabic-Indic\n\u00b2. superscript\nA. Capital\n",
    "Speakers: A, B, Jay\nHealey, C\n(a) x, y\nlower, words\n",
    "- one\n\u3000- ideographic blank\n\t- tabbed\n \t - mixed\n\u00a0- nbsp\nlower after\n",
    "Moderator:\nJane\nDate:\n28 May\nTime: 10:00\n: no label\n12: numbers\n📅 Date: 1 May\n“Quoted: x”\n",
    "Theme: a, b, c\n- d, e\nf, g\n",
    "ſome: x\nıtem: y\nKey: z\n- item\nſ lower? no\nı lower\n",
    "**Moderator:** Jane\n**Bold**\n- **Item**: x\n1. **Numbered**\n",
    "- a\nb\n- c\n\n- d\n  e\n# H\n- f\n",
    "x&amp;y: 1\n&nbsp;- entity bullet\n   \u200b- invisible bullet\n",
]


@pytest.mark.parametrize("body", PLAIN_BODIES + MORE_BODIES)
def test_read_plain_same_as_before(body):
    got, want = plain.read_plain(body), _read_plain_before(body)
    assert got == want
    assert repr(got) == repr(want)
    assert [b.text for b in got] == [b.text for b in want]


@pytest.mark.parametrize("text", [
    "Plain line", "Date: 1 May", "date 1 May", "- item", "o   Name", "1.5 million", "**Bold**: x", "#", "# H",
    "Speakers:", "x:", ":", "(a) Date: x", "1. Date: 1 May", "Moderator : Jane", "\u0663) x",
])
@pytest.mark.parametrize("indent", [0, 4, 8])
def test_line_block_same_as_before(text, indent):
    for raw in (text, " " * indent + text, "\t" + text, text + "  "):
        assert plain._line_block(text, True, indent, raw.strip()) == _line_block_before(text, True, indent, raw.strip())


@pytest.mark.parametrize("kind", ["paragraph", "item", "label", "heading", "row", "turn"])
@pytest.mark.parametrize("text", ["lower words", "Upper", "healey, C", "- bullet", "Date: 1, 2", ">> X: y"])
def test_continues_guard_same_as_before(kind, text):
    last = Block(kind, (Line("Speakers: A, B, Jay"),), label="Speakers", value="A, B, Jay", indent=0)
    expected = _continues_before(last, text, 0)
    assert (last.kind in plain._CONTINUED and plain._continues(last, text, 0)) == expected


# -- join_field_values: the kind tested before the next block is looked up ------------------------------------
def _join_field_values_before(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    skip = False
    for i, block in enumerate(blocks):
        if skip:
            skip = False
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if (block.kind == "label" and not block.value and field_of(block.label) in read._VALUE_ON_NEXT_LINE
                and nxt is not None and nxt.kind == "paragraph" and len(nxt.lines) == 1
                and len(nxt.text.split()) <= 15):
            out.append(Block("label", (Line(f"{block.label}: {nxt.text}"),), label=block.label, value=nxt.text,
                             gap=block.gap, indent=block.indent))
            skip = True
            continue
        out.append(block)
    return out


@pytest.mark.parametrize("body", PLAIN_BODIES + MORE_BODIES + [
    "Date:\n28 May 2019\nTime:\n10:00\nVenue:\n", "Date:\nDate:\n1 May\n", "Date:\n- item\nTitle:\nA B\nC\n",
    "Moderator:\nJane\n", "Date:\n" + " ".join(["w"] * 16) + "\n", "Date:\n\n1 May\n",
])
def test_join_field_values_same_as_before(body):
    blocks = plain.read_plain(body)
    got, want = read.join_field_values(blocks), _join_field_values_before(blocks)
    assert got == want and repr(got) == repr(want)
    assert [a is b for a, b in zip(got, blocks)] == [a is b for a, b in zip(want, blocks)]
