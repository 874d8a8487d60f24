"""The agenda engine's second round of shortcuts gives what the plain forms give: each test runs the shortcut
and the plain form (as the code read before it, copied here) on variants, edge cases included; then whole
pages are parsed with every plain form put back."""
from __future__ import annotations

import ast
import itertools
import pickle
import random
import re
from pathlib import Path

import pytest

import pipeline.sources.common as common
import pipeline.sources.concept_note as concept_note
import pipeline.sources.generic as generic
from pipeline.document import Block, Document, Line, read_document
from pipeline.extract import agenda
from pipeline.extract.agenda import (Context, Draft, _agenda, _anchors, _date_in_text, _has_schedule, _listing,
                                     _offset_of, _own_schedule, _people_in, _person_of_row, _region, _sections)
from pipeline.extract.dates import DIGIT, find_dates, month_years, years_in
from pipeline.extract.people import clean_name, is_person_name, split_titles
from pipeline.model import vocabulary
from pipeline.sources import parse_document

# -- _GLUE_AT: the capital first -----------------------------------------------------------------------
_GLUE_AT_PLAIN = re.compile(r"[a-z)](?=[A-Z][a-z])")

GLUE_TEXTS = [
    "", "a", "A", "aB", "aBc", "ABc", "Abc", ")Bc", "(Bc", " Bc", "aBC", "a Bc", "aB c", "Opening remarksNanna Linde",
    "GovTechModerator: Howie Lau", "iPhone", "(Keynote)Jane Doe", "McDonald", "end)Start", "ÜloÜbermann", "éAb", "aÉb",
    "a.Bc", "xYz", "x" * 300 + "Yz", "Xy" * 50, "aǅb", "aǄb", "a\u212aelvin", "ab\nCd", "ab\nCd".upper(), "zZz",
    "a)B", "a)", "Bc", "The first sentence. The second one", "word " * 80 + "endStart of more",
]


@pytest.mark.parametrize("text", GLUE_TEXTS)
def test_glue_guard_same_as_plain(text):
    assert bool(agenda._GLUE_AT.search(text)) == bool(_GLUE_AT_PLAIN.search(text))


def test_glue_guard_same_as_plain_on_random_texts():
    rng = random.Random(7)
    alphabet = "aZbY)( .\nÉé-"
    for n in range(1, 7):
        for chars in itertools.product("aB)c ", repeat=n):
            text = "".join(chars)
            assert bool(agenda._GLUE_AT.search(text)) == bool(_GLUE_AT_PLAIN.search(text)), text
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert bool(agenda._GLUE_AT.search(text)) == bool(_GLUE_AT_PLAIN.search(text)), text


# -- page_year: a block without "19" or "20" holds no year ---------------------------------------------
YEAR_TEXTS = GLUE_TEXTS + [
    "12 May 2024", "May 12, 2024", "2024-05-12", "in July 2023", "Edition 2022", "Published 3 March 2021",
    "Posted on 2020", "Twenty twenty-four", "May twelfth", "Day 1 – 15 Oct", "١٢ May ٢٠٢٤", "２０２４年", "May 1999",
    "June 19 1987", "3 May 2050", "May 2 99", "1 Jan '24", "Sept 30, 1989", "2049-12-31", "1980-01-01", "12/05/2024",
    "2020", "1990s", "Oct 3 2019", "3 May 201", "May 2O24", "12 May 2\u200b024", "08:00–09:30 (UTC+2)", "Room 19",
]


@pytest.mark.parametrize("text", YEAR_TEXTS)
def test_text_without_19_or_20_has_no_year(text):
    if not ("19" in text or "20" in text):
        assert not any(m.year for m in find_dates(text)) and not month_years(text) and not years_in(text)


def _page_year_plain(doc: Document) -> int | None:
    years: set[int] = set()
    for key in ("title", "permalink", "third_nav_title"):
        years |= years_in(doc.meta.get(key, ""))
    for block in doc.blocks:
        text = block.text
        if not DIGIT.search(text):
            continue
        if block.kind == "label" and vocabulary.field_of(block.label) == "published":
            continue
        if agenda._PUBLICATION.search(text[:60]):
            continue
        for mention in find_dates(text):
            if mention.year:
                years.add(mention.year)
        years |= month_years(text)
        if block.kind == "heading" or block.strong:
            years |= years_in(text)
    if len(years) == 1:
        return years.pop()
    title_years = years_in(doc.meta.get("title", "")) | years_in(doc.meta.get("permalink", ""))
    return title_years.pop() if len(title_years) == 1 else None


def _blocks_of(text: str) -> list[Block]:
    return [Block("paragraph", (Line(text),)), Block("heading", (Line(text, True),), level=2),
            Block("paragraph", (Line(text, True),)), Block("label", (Line(f"Published: {text}"),), label="Published",
                                                            value=text),
            Block("row", cells=((Line(text),), (Line("x"),)))]


@pytest.mark.parametrize("meta", [{}, {"title": "Forum 2024"}, {"title": "Forum 2023", "permalink": "/2024/x"}])
def test_page_year_same_as_plain(meta):
    for first in YEAR_TEXTS:
        for second in ("", "Meeting on 3 June 2024", "no year here", "updated 2019", "Room 19 at 20 past"):
            doc = Document(meta=dict(meta), blocks=_blocks_of(first) + _blocks_of(second))
            assert agenda.page_year(doc) == _page_year_plain(doc), (meta, first, second)


# -- anchors found once ----------------------------------------------------------------------------------
def _extract_sessions_plain(doc: Document, context: Context, listings: bool = False) -> list[Draft]:
    if listings and doc.layout == "plain" and not _anchors(doc.blocks, context):
        listed = _listing(doc.blocks, context)
        if listed:
            return listed
    return _sessions_of_plain(doc.blocks, context)


def _sessions_of_plain(blocks: list[Block], ctx: Context, nested: bool = False) -> list[Draft]:
    sections = _sections(blocks)
    scheduled = [s for s in sections if _has_schedule(s[2])]
    if scheduled and len(sections) >= 2 and not nested:
        drafts = []
        for _, head, body in sections:
            date, start, end = _own_schedule(body, ctx.year)
            sub = Context(agenda._clean_title(head.text), ctx.year, date or (None if scheduled else ctx.date), start,
                          end, _offset_of(body) or ctx.offset)
            drafts += _event_sessions_plain(body, sub)
        return drafts
    anchors = _anchors(blocks, ctx)
    if anchors:
        return _agenda(blocks, anchors, ctx)
    carded = [s for s in sections if _people_in(s[2], probe=True)] if len(sections) >= 2 and not nested else []
    if len(carded) >= 2:
        drafts = []
        for _, head, body in sections:
            if _people_in(body, probe=True) or _date_in_text(body, ctx.year):
                draft = _region(Draft(agenda._clean_title(head.text)), body, ctx)
                draft.date = draft.date or _date_in_text(body, ctx.year)
                drafts.append(draft)
        return drafts
    return _event_sessions_plain(blocks, ctx)


def _event_sessions_plain(body: list[Block], ctx: Context) -> list[Draft]:
    anchors = _anchors(body, ctx)
    if anchors:
        return _agenda(body, anchors, ctx)
    main = Draft(ctx.title, date=ctx.date, start=ctx.start, end=ctx.end, offset=ctx.offset)
    subs: list[Draft] = []
    current = main
    rest: list[Block] = []
    for i, block in enumerate(body):
        if agenda._is_sub_title(body, i):
            current = Draft(agenda._clean_title(block.text), date=ctx.date, offset=ctx.offset)
            subs.append(current)
            continue
        if current is main:
            rest.append(block)
        else:
            current.blocks.append(block)
    main = _region(main, rest, ctx)
    subs = [_region(Draft(s.title, date=s.date, offset=s.offset), s.blocks, ctx) for s in subs]
    return [main] + subs


# -- a table row's people: the lone cell joined only when alone, the name cleaned only with a second cell ----
def _people_of_row_plain(block: Block, role: str | None):
    cells = [cell for cell in block.cells if any(line.text for line in cell)]
    if not cells:
        return None, []
    texts = [" ".join(line.text for line in cell) for cell in cells]
    heading_role = (vocabulary.role_of(texts[0].rstrip(": ")) if len(cells) == 1 and agenda._words_at_most(texts[0], 4)
                    else None)
    if heading_role:
        return heading_role, []
    info = _person_of_row_plain(cells)
    if info:
        return None, [(info, role)]
    return None, agenda._people_of_lines([line for cell in cells for line in cell], role)


def _person_of_row_plain(cells):
    first = [line for line in cells[0] if line.text]
    name = clean_name(first[0].text) if len(first) == 1 else ""
    if not (len(cells) > 1 and name):
        return None
    honorific = split_titles(first[0].text)[0]
    if not is_person_name(name, slot=bool(honorific)):
        return None
    info = agenda.affiliation_from_lines(name, [line.text for cell in cells[1:] for line in cell if line.text])
    info.honorific = honorific
    return info


CELLS = [(), (Line(""),), (Line("Moderator"),), (Line("Panellists:"),), (Line("Moderator", True),),
         (Line("Mr Tomás Tanaka"),), (Line("Dr Amina Costa", True),), (Line("Jane Doe"), Line("Director")),
         (Line("Director"), Line("Global Cyber Alliance"), Line("Chile")), (Line("09:00 – 10:00"),),
         (Line("Opening remarks"),), (Line("Jane Doe, Director, ACME"),), (Line("Speakers and moderators of the day"),),
         (Line("Prof. Li Wei"), Line("")), (Line("Online Moderator"),), (Line("Speaker 3"),)]


def test_people_of_row_same_as_plain():
    for n in range(0, 4):
        for cells in itertools.product(CELLS, repeat=n):
            block = Block("row", cells=cells)
            for role in (None, "moderator"):
                assert pickle.dumps(agenda._people_of_row(block, role)) == pickle.dumps(
                    _people_of_row_plain(block, role)), cells
            kept = [cell for cell in cells if any(line.text for line in cell)]
            if kept:
                assert pickle.dumps(_person_of_row(kept)) == pickle.dumps(_person_of_row_plain(kept)), cells


# -- whole pages: every plain form put back, the same parse -------------------------------------------------
SPEAKER_TABLE = ("<table><tr><th>Speakers</th><th></th></tr><tr><td>Mr Tomás Tanaka</td><td>Director<br>Global Cyber"
                 " Alliance<br>Chile</td></tr><tr><td>Moderator</td><td></td></tr><tr><td>Dr Amina Costa</td>"
                 "<td>Director<br>Trust Valley<br>Brazil</td></tr><tr><td>Panellists</td></tr><tr><td>Lee Chew, "
                 "Head, Experts Institute</td></tr></table>")
CRAFTED = [
    '---\ntitle: "Speakers 2024"\n---\n' + SPEAKER_TABLE,
    "Cyber Week 2023\n\n" + SPEAKER_TABLE,
    "Agenda\n\nOpening remarksNanna Linde, Vice-President, Microsoft\n\nGovTechModerator: Howie Lau\n\n"
    "Panel on cables\n\nA long description of the panel that runs on and on. " * 5,
    "Programme\n\nSea Law after the Storm (Law)\n\nThe session looks at what coastal states may do when cables are "
    "cut.\n\nNetworks from Ship to Shore (Tech)\n\nNetwork security at sea.\n\nPorts and Data (Policy)\n\nData.\n",
    "## Event one\n\nDate: 3 May 2024\n\nTime: 10:00 – 11:00\n\nModerator: Ana Lima\n\n## Event two\n\n"
    "Date: 4 May 2024\n\n09:00 Opening\n\n09:30 Keynote by Jen Gaudioso\n",
    "## Card one\n\nJane Doe, Director, ACME\n\n## Card two\n\nMr John Roe, Head, Sea Lab\n\n## Card three\n\n"
    "Posted on 3 June 2019\n\nSpeakers: Mei Tan, Port Authority",
    "Forum 2019 and 2020\n\n**SESSION 1: EXPERTS**\n\nModerator:\n\nLee Chew, Experts Institute\n\n"
    "Updated 12 May 2021\n\nPanellists:\n\nJo Rane, Rane LLP\n",
]


def _pages() -> list[str]:
    """The pages the engine's tests write (every long string of tests/test_extract.py), the crafted pages here,
    and the repository's seed pages."""
    source = Path(__file__).with_name("test_extract.py").read_text(encoding="utf-8")
    pages = [node.value for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 60]
    pages += CRAFTED
    pages += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(__file__).parents[1].glob("raw/*.txt"))]
    return pages


def _put_plain_forms_back(monkeypatch) -> None:
    monkeypatch.setattr(agenda, "_GLUE_AT", _GLUE_AT_PLAIN)
    monkeypatch.setattr(agenda, "_people_of_row", _people_of_row_plain)
    monkeypatch.setattr(agenda, "page_year", _page_year_plain)
    monkeypatch.setattr(common, "page_year", _page_year_plain)
    for module in (agenda, generic, concept_note):
        monkeypatch.setattr(module, "extract_sessions", _extract_sessions_plain)


def test_pages_parse_as_with_the_plain_forms(monkeypatch):
    pages = _pages()
    assert len(pages) > 15
    formats = (None, "concept_note")
    fast = [pickle.dumps(parse_document(page, fmt), protocol=5) for page in pages for fmt in formats]
    _put_plain_forms_back(monkeypatch)
    plain = [pickle.dumps(parse_document(page, fmt), protocol=5) for page in pages for fmt in formats]
    for (page, fmt), f, p in zip(itertools.product(pages, formats), fast, plain):
        assert f == p, (fmt, page[:200])


@pytest.mark.parametrize("listings", [False, True])
def test_extract_sessions_same_as_plain(listings):
    for page in _pages():
        doc = read_document(page)
        for ctx in (Context("Title", None), Context(None, 2024), Context("Experts Conference", 2021)):
            fast = pickle.dumps(agenda.extract_sessions(read_document(page), ctx, listings))
            assert fast == pickle.dumps(_extract_sessions_plain(doc, ctx, listings)), page[:200]
