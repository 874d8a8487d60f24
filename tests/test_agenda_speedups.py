"""The agenda engine's and the block model's shortcuts give what the plain forms give: each test runs the
shortcut and the plain form (as the code read before the shortcut) on variants, edge cases included."""
from __future__ import annotations

import copy
import pickle
import re

import pytest

from pipeline.document import Block, Document, Line
from pipeline.extract import agenda
from pipeline.extract.dates import DIGIT, find_dates, month_years, years_in
from pipeline.model import vocabulary
from pipeline.model.text import fold

TEXTS = [
    "", " ", "\t\n", "one", " one ", "one two", "one  two\tthree", "a b c d e", "a b c d e f", " a b c d e f g ",
    "Moderator:", "Panellists", "Dr. Jane Doe, Director, ACME", "word " * 30, "x\u00a0y\u2003z", "a\u2028b c",
    "Opening remarksNanna Linde, Vice-President, Microsoft", "GovTechModerator: Howie Lau", "iPhone",
    "(Keynote)Jane Doe", "ABC", "aBc", "McDonald", "end)Start", "Ülo Übermann", "éA", "a.B", "x" * 500,
]


# -- _words_at_most: a bounded split for a word count ------------------------------------------------
@pytest.mark.parametrize("text", TEXTS)
def test_words_at_most_is_the_word_count_test(text):
    for n in range(0, 35):
        assert agenda._words_at_most(text, n) == (len(text.split()) <= n), (text, n)
        assert (1 <= len(text.split(None, n)) <= n) == (1 <= len(text.split()) <= n), (text, n)


# -- _GLUE_AT: whether the look-behind pattern matches -------------------------------------------------
@pytest.mark.parametrize("text", TEXTS)
def test_glue_guard_matches_when_glue_does(text):
    assert bool(agenda._GLUE_AT.search(text)) == bool(agenda._GLUE.search(text))


def test_unglued_lines_same_as_unguarded():
    lines = [Line(text, strong) for text in TEXTS for strong in (False, True)]
    plain = []
    for line in lines:
        parts = agenda.unglue(line.text.strip()) if agenda._GLUE.search(line.text) else [line.text.strip()]
        plain += [line] if len(parts) == 1 else [Line(part, line.strong) for part in parts]
    assert agenda._unglued_lines(lines) == plain


# -- page_year: a block without a digit holds no year ---------------------------------------------------
YEAR_TEXTS = TEXTS + [
    "12 May 2024", "May 12, 2024", "2024-05-12", "in July 2023", "Edition 2022", "Published 3 March 2021",
    "Posted on 2020", "Twenty twenty-four", "May twelfth", "Day 1 – 15 Oct", "١٢ May ٢٠٢٤", "２０２４年",
]


@pytest.mark.parametrize("text", YEAR_TEXTS)
def test_digit_free_text_has_no_year(text):
    if not DIGIT.search(text):
        assert not any(m.year for m in find_dates(text)) and not month_years(text) and not years_in(text)


def _page_year_plain(doc: Document) -> int | None:
    years: set[int] = set()
    for key in ("title", "permalink", "third_nav_title"):
        years |= years_in(doc.meta.get(key, ""))
    for block in doc.blocks:
        if block.kind == "label" and vocabulary.field_of(block.label) == "published":
            continue
        if agenda._PUBLICATION.search(block.text[:60]):
            continue
        for mention in find_dates(block.text):
            if mention.year:
                years.add(mention.year)
        years |= month_years(block.text)
        if block.kind == "heading" or block.strong:
            years |= years_in(block.text)
    if len(years) == 1:
        return years.pop()
    title_years = years_in(doc.meta.get("title", "")) | years_in(doc.meta.get("permalink", ""))
    return title_years.pop() if len(title_years) == 1 else None


def _blocks_of(text: str) -> list[Block]:
    return [Block("paragraph", (Line(text),)), Block("heading", (Line(text, True),), level=2),
            Block("label", (Line(f"Published: {text}"),), label="Published", value=text),
            Block("row", cells=((Line(text),), (Line("x"),)))]


@pytest.mark.parametrize("meta", [{}, {"title": "Forum 2024"}, {"title": "Forum 2023", "permalink": "/2024/x"}])
def test_page_year_same_as_unguarded(meta):
    for first in YEAR_TEXTS:
        for second in ("", "Meeting on 3 June 2024", "no year here", "updated 2019"):
            doc = Document(meta=dict(meta), blocks=_blocks_of(first) + _blocks_of(second))
            assert agenda.page_year(doc) == _page_year_plain(doc), (meta, first, second)


# -- _topics_in: the text's end tested before the text is cut into sentences -----------------------------
INTRO_TEXTS = TEXTS + [
    "We discussed:", "We discussed", "The panel discussed", "Topics include", "Topics such as",
    "Key questions we will look at:", "Done. We discussed", "Done.   discussed", "The issues include:  ",
    "Focus Questions:", "A long one. " * 40 + "The speakers will explore:", "WE DISCUSSED", "\u212aeynote include",
    "ends with a colon: then more", "x:", ":", "include ", "such as\n",
]


@pytest.mark.parametrize("text", INTRO_TEXTS)
def test_list_intro_prefilter_keeps_every_intro(text):
    tail = agenda._SENTENCE_BREAK.split(text.rstrip())[-1][-200:]
    intro = tail.endswith(":") or tail.lower().endswith(agenda._LIST_INTRO_ENDINGS)
    if intro:
        assert agenda._may_introduce_list(text)


def test_topics_in_finds_the_listed_topics():
    blocks = [Block("paragraph", (Line("Opening."),)), Block("paragraph", (Line("Among others we discussed:"),)),
              Block("item", (Line("Norms"),), level=1), Block("item", (Line("Capacity building"),), level=1),
              Block("paragraph", (Line("Thanks"),))]
    assert agenda._topics_in(blocks) == ["Norms", "Capacity building"]
    label = [Block("label", (Line("Key topics:"),), label="Key topics", value=""), Block("item", (Line("AI"),))]
    assert agenda._topics_in(label) == ["AI"]


# -- _same_person: the cached name key ------------------------------------------------------------------
@pytest.mark.parametrize("a", ["Jane Doe", "Doe Jane", "jane  doe", "JANE DOE", "Jane Doe-Smith", "Straße Ö", "", "ǅ x"])
def test_same_person_same_as_plain(a):
    for b in ("Doe Jane", "Jane Doe", "Jane", "STRASSE ö", "x ǆ", ""):
        plain = " ".join(sorted(a.casefold().split())) == " ".join(sorted(b.casefold().split()))
        assert agenda._same_person(a, b) == plain


# -- role_of: patterns compiled once -------------------------------------------------------------------
def _role_of_plain(label):
    if not label:
        return None
    key = fold(re.sub(r"\s*\d+\s*$", "", label))
    key = re.sub(r"\b(the|our|and|with)\b", " ", key)
    key = " ".join(key.split())
    if key in vocabulary._ROLE_WORDS:
        return vocabulary._ROLE_WORDS[key]
    words = key.split()
    if words and words[-1] in vocabulary._ROLE_WORDS and len(words) <= 3:
        return vocabulary._ROLE_WORDS[words[-1]]
    return None


@pytest.mark.parametrize("label", [None, "", "Moderator", "Panellists:", "Speaker 3", "Speaker 3 ", "The Speakers",
                                   "Online Moderator", "Session Co-Chairs", "Our Panel and the Chair", "Chairs 12",
                                   "With the experts", "Keynote Address 2024", "Mother", "together", "Bandwith",
                                   "Other Speakers Here Too", "Moderator:\u00a0", "Speaker ٣"])
def test_role_of_same_as_plain(label):
    assert vocabulary.role_of(label) == _role_of_plain(label)
    assert vocabulary.role_of.__wrapped__(label) == _role_of_plain(label)


# -- Block.text: a slot filled when the block is made -----------------------------------------------------
def _text_plain(block: Block) -> str:
    if block.kind == "row":
        return " | ".join(" ".join(line.text for line in cell) for cell in block.cells)
    return " ".join(line.text for line in block.lines)


BLOCKS = [Block("paragraph"), Block("paragraph", (Line("a"), Line("b", True))), Block("heading", (Line("T"),), level=1),
          Block("row", cells=((Line("09:00"),), (), (Line("Talk"), Line("Jane Doe")))), Block("row"),
          Block("row", (Line("ignored"),), cells=((Line("c"),),)), Block("label", (Line("Date: 1 May"),), label="Date",
                                                                       value="1 May"),
          Block("turn", (Line("hello"),), label="JANE"), Block("item", (Line(" x "),), level=2, marker="-")]


@pytest.mark.parametrize("block", BLOCKS)
def test_block_text_is_the_joined_lines(block):
    assert block.text == _text_plain(block)


@pytest.mark.parametrize("block", BLOCKS)
def test_block_equality_hash_repr_pickle_ignore_the_text_slot(block):
    twin = Block(block.kind, block.lines, block.level, block.cells, block.header, block.table, block.label,
                 block.value, block.marker, block.gap, block.indent)
    assert twin == block and hash(twin) == hash(block)
    assert repr(block) == (f"Block(kind={block.kind!r}, lines={block.lines!r}, level={block.level!r}, "
                           f"cells={block.cells!r}, header={block.header!r}, table={block.table!r}, "
                           f"label={block.label!r}, value={block.value!r}, marker={block.marker!r}, "
                           f"gap={block.gap!r}, indent={block.indent!r})")
    for other in (pickle.loads(pickle.dumps(block)), copy.copy(block), copy.deepcopy(block)):
        assert other == block and other.text == block.text and hash(other) == hash(block)
    with pytest.raises(AttributeError):
        block.text = "changed"
    with pytest.raises(TypeError):
        Block("paragraph", text="x")
