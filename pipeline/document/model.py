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

    def __post_init__(self) -> None:
        if self.kind == "row":
            text = " | ".join([" ".join([line.text for line in cell]) for cell in self.cells])
        else:
            text = " ".join([line.text for line in self.lines])  # a list joins faster than a generator
        object.__setattr__(self, "text", text)

    @property
    def strong(self) -> bool:
        """Every line of the block is emphasised (a bold-only paragraph reads as a heading)."""
        return bool(self.lines) and all(line.strong for line in self.lines)


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
