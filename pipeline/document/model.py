"""The one structure every extractor reads: a document's metadata and its ordered blocks.

Whatever the source looked like (YAML front matter and markdown, tiptap or hand-written HTML,
one-line HTML, plain-text form exports, indented web-page text, caption transcripts), reading it
gives the same small shapes, with markup, entities and invisible characters already removed. An
extractor never sees a tag, an entity, an indentation or a line-ending style.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text: a `<br>` or a line break inside a block starts a new one."""
    text: str
    strong: bool = False          # the whole line is emphasised (bold, strong, a bold font weight)
    lead: str | None = None       # an emphasised run that opens the line: "<b>Name</b>, Position"

    def __init__(self, text: str, strong: bool = False, lead: str | None = None) -> None:
        # written out rather than generated, as Block's (see there): a line is made for every line read
        _set_line_text(self, text)
        _set_line_strong(self, strong)
        _set_line_lead(self, lead)


@dataclass(frozen=True, slots=True)
class Block:
    """heading | paragraph | item | row | label | turn.

    - heading: `level` 1-6;
    - paragraph: one or more lines;
    - item: a list item, `level` its nesting depth (1 = top level), `marker` its bullet or number;
    - row: a table row, `cells` the lines of each cell, `header` for a row of header cells, `table`
      the table it belongs to (0, 1, ... in document order);
    - label: a `Label: value` line whose label is a known field (see pipeline.model.vocabulary), with
      `label` and `value` split (the value may be empty: "Moderator:" above a list);
    - turn: a transcript turn (">> NAME: text"), `label` the speaker as written ("" when unnamed),
      its lines the turn's text including the paragraphs that continue it.
    `gap` is True when a blank line or a block boundary of the source separates it from the block
    before; `indent` is the indentation of a plain-text line (0 for markup).
    """
    kind: str
    lines: tuple[Line, ...] = ()
    level: int = 0
    cells: tuple[tuple[Line, ...], ...] = ()
    header: bool = False
    table: int = -1
    label: str | None = None
    value: str | None = None
    marker: str | None = None
    gap: bool = True
    indent: int = 0
    # the block's text, its lines joined by spaces (a row: its cells joined by ' | '); filled once when the
    # block is made, a plain slot read: extractors read it hundreds of thousands of times per thousand documents
    text: str = field(init=False, repr=False, compare=False)

    def __init__(self, kind: str, lines: tuple[Line, ...] = (), level: int = 0,
                 cells: tuple[tuple[Line, ...], ...] = (), header: bool = False, table: int = -1,
                 label: str | None = None, value: str | None = None, marker: str | None = None,
                 gap: bool = True, indent: int = 0) -> None:
        # Written out rather than generated: the generated __init__ of a frozen dataclass sets each field
        # through object.__setattr__, and a block is made for every line read; a slot's own setter costs
        # half as much. Same parameters and defaults as the fields above (tests/test_plain_reading_speedups.py).
        _set_kind(self, kind)
        _set_lines(self, lines)
        _set_level(self, level)
        _set_cells(self, cells)
        _set_header(self, header)
        _set_table(self, table)
        _set_label(self, label)
        _set_value(self, value)
        _set_marker(self, marker)
        _set_gap(self, gap)
        _set_indent(self, indent)
        _set_text(self, _block_text(kind, lines, cells))

    @property
    def strong(self) -> bool:
        """Every line of the block is emphasised (a bold-only paragraph reads as a heading)."""
        lines = self.lines
        if not lines:
            return False
        for line in lines:  # a loop, not all() over a generator: read for most blocks of every document
            if not line.strong:
                return False
        return True


def _block_text(kind: str, lines: tuple[Line, ...], cells: tuple[tuple[Line, ...], ...]) -> str:
    if kind == "row":
        return " | ".join([" ".join([line.text for line in cell]) for cell in cells])
    if len(lines) == 1:
        # what the join gives for one line: join hands back its one item when that is a str (the same
        # object, which pickle then writes once); a str subclass it copies into a plain str
        text = lines[0].text
        if type(text) is str:
            return text
    return " ".join([line.text for line in lines])  # a list joins faster than a generator


def _slot_setters(cls: type, names: str) -> list:
    """The setters of a frozen class's slots, which its __setattr__ (it refuses every change) stands in front of."""
    return [cls.__dict__[name].__set__ for name in names.split()]


_set_line_text, _set_line_strong, _set_line_lead = _slot_setters(Line, "text strong lead")
(_set_kind, _set_lines, _set_level, _set_cells, _set_header, _set_table, _set_label, _set_value, _set_marker,
 _set_gap, _set_indent, _set_text) = _slot_setters(Block, "kind lines level cells header table label value marker "
                                                          "gap indent text")


@dataclass
class Document:
    """`meta`: the front matter (title, permalink, date, ...), strings only; `blocks` in reading
    order; `layout`: how the body was read (markup or plain); `problems`: what reading noticed."""
    meta: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    layout: str = "plain"
    problems: list[str] = field(default_factory=list)
    last_line: str = ""   # the source's last non-blank line as written: where a cut-off file stops

    @property
    def title(self) -> str | None:
        return self.meta.get("title") or None

    @property
    def url(self) -> str | None:
        return self.meta.get("permalink") or self.meta.get("url") or None

    def texts(self) -> list[str]:
        """Every line of the document in order (a row's cells one after the other)."""
        out: list[str] = []
        for block in self.blocks:
            if block.kind == "row":
                out.extend(line.text for cell in block.cells for line in cell)
            elif block.kind == "label":
                out.append(f"{block.label}: {block.value}".rstrip(": ") if block.value else f"{block.label}:")
            else:
                out.extend(line.text for line in block.lines)
        return out
