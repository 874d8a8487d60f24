"""The document model: every way of writing a page reads into the same blocks."""
from __future__ import annotations

from pipeline.document import read_document
from pipeline.document.markup import read_markdown, render_markdown

MARKDOWN = """---
title: "Cyber Norms Day"
permalink: /cyber-norms-day/
---
### Panel on Cyber Norms

**Date:** 3 March 2025

- Ms Ana Silva, Director, Cyber Institute
- Mr Bo Chen, Professor, Tech University

| Time | Programme |
|---|---|
| 10:00am | **Opening Address**<br>Kim Lee, Minister, Ministry of Digital Affairs |
"""

TIPTAP = ('---\ntitle: "Cyber Norms Day"\npermalink: /cyber-norms-day/\nvariant: tiptap\n---\n'
          '<h3>Panel on Cyber Norms</h3><p><strong>Date:</strong> 3 March&nbsp;2025</p><ul><li><p>Ms Ana Silva, '
          'Director, Cyber Institute</p></li><li><p>Mr Bo Chen, Professor, Tech University</p></li></ul><table><tbody>'
          '<tr><th><p>Time</p></th><th><p>Programme</p></th></tr><tr><td><p>10:00am</p></td><td><p><strong>Opening '
          'Address</strong><br>Kim Lee, Minister, Ministry of Digital Affairs</p></td></tr></tbody></table>')

HAND_WRITTEN = ('---\ntitle: "Cyber Norms Day"\npermalink: /cyber-norms-day/\n---\n<div class="content">\n'
                '  <h3>Panel on\n  Cyber Norms</h3>\n  <p><b>Date:</b>\n  3 March 2025</p>\n  <ul>\n'
                '    <li>Ms Ana Silva, Director, Cyber Institute</li>\n    <li>Mr Bo Chen, Professor, Tech University</li>\n'
                '  </ul>\n  <table>\n    <tr><th>Time</th><th>Programme</th></tr>\n    <tr>\n      <td>10:00am</td>\n'
                '      <td><span style="font-weight:bold">Opening Address</span><br>Kim Lee, Minister, Ministry of Digital '
                'Affairs</td>\n    </tr>\n  </table>\n</div>\n')


def _shape(text: str) -> list[tuple]:
    doc = read_document(text)
    out = []
    for block in doc.blocks:
        if block.kind == "row":
            out.append(("row", tuple(tuple(line.text for line in cell) for cell in block.cells)))
        elif block.kind == "label":
            out.append(("label", block.label, block.value))
        else:
            out.append((block.kind, block.text))
    return out


def test_markdown_tiptap_and_hand_written_html_read_the_same():
    expected = [
        ("heading", "Panel on Cyber Norms"),
        ("label", "Date", "3 March 2025"),
        ("item", "Ms Ana Silva, Director, Cyber Institute"),
        ("item", "Mr Bo Chen, Professor, Tech University"),
        ("row", (("Time",), ("Programme",))),
        ("row", (("10:00am",), ("Opening Address", "Kim Lee, Minister, Ministry of Digital Affairs"))),
    ]
    assert _shape(MARKDOWN) == expected
    assert _shape(TIPTAP) == expected
    assert _shape(HAND_WRITTEN) == expected


def test_front_matter_metadata_and_bold_lines():
    doc = read_document(TIPTAP)
    assert (doc.title, doc.url, doc.layout) == ("Cyber Norms Day", "/cyber-norms-day/", "markup")
    cell = doc.blocks[-1].cells[1]
    assert [(line.text, line.strong) for line in cell] == [
        ("Opening Address", True), ("Kim Lee, Minister, Ministry of Digital Affairs", False)]


def test_invalid_front_matter_is_a_problem_and_the_body_is_still_read():
    doc = read_document('---\ntitle: "Broken: [yaml\npermalink: /x/\n---\n**1 May 2025**\n')
    assert doc.meta == {} and "front matter is not valid YAML" in doc.problems[0]
    assert [(b.kind, b.text) for b in doc.blocks] == [("paragraph", "1 May 2025")]


def test_plain_text_indentation_and_line_endings_do_not_matter():
    flat = "Organizer 1: Ana Silva, Cyber Institute\nSpeaker 1: Bo Chen, Civil Society, African Group\nModerator\nAna Silva\n"
    indented = "\r\n".join("    " + line for line in flat.splitlines()) + "\r\n"
    assert _shape(flat) == _shape(indented) == [
        ("label", "Organizer 1", "Ana Silva, Cyber Institute"),
        ("label", "Speaker 1", "Bo Chen, Civil Society, African Group"),
        ("paragraph", "Moderator"), ("paragraph", "Ana Silva")]


def test_entities_invisible_characters_and_odd_blanks_are_removed():
    doc = read_document("<p>Caf&eacute;\u200b talk\u00a0&amp; more \u2011 here\ufeff</p>")
    assert doc.blocks[0].text == "Café talk & more - here"


def test_plain_bullets_of_every_glyph_and_wrapped_items():
    doc = read_document("Questions:\n  1. What works in\n     practice today?\n  • Who pays?\no   Ana Silva (5 minutes)\n")
    items = [(b.marker, b.text) for b in doc.blocks if b.kind == "item"]
    assert items == [("1.", "What works in practice today?"), ("•", "Who pays?"), ("o", "Ana Silva (5 minutes)")]


def test_caption_turns_run_until_the_next_one():
    doc = read_document("Workshop title\n\n>> ANA SILVA: Welcome.\nWe start now.\n\n>> Thank you.\n>> BO CHEN: Hello.\n")
    turns = [(b.label, b.text) for b in doc.blocks if b.kind == "turn"]
    assert turns == [("ANA SILVA", "Welcome. We start now."), ("", "Thank you."), ("BO CHEN", "Hello.")]


def test_pipe_rows_without_a_delimiter_row_are_a_table():
    doc = read_document("---\ntitle: X\n---\n|**Speakers**| |\n| [Ms Ana Silva](/a/) | *Director*<br>Cyber Institute |\n")
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert [tuple(tuple(line.text for line in cell) for cell in row.cells) for row in rows] == [
        (("Speakers",), ()), (("Ms Ana Silva",), ("Director", "Cyber Institute"))]


def test_a_field_whose_value_is_on_the_next_line_is_one_field():
    doc = read_document("<p><strong>Time:</strong><br>10:00 am to 5:30 pm</p><p><strong>Venue:</strong></p><p>Hall A</p>")
    assert [(b.label, b.value) for b in doc.blocks] == [("Time", "10:00 am to 5:30 pm"), ("Venue", "Hall A")]


def test_markdown_emphasis_left_in_raw_html_is_still_emphasis():
    doc = read_document("<br>\n**Keynote 1: Food Science & Tech**\n<br>\nDr Ann Lee, Director, Food Institute, spoke.\n")
    lines = [(line.text, line.strong) for block in doc.blocks for line in block.lines]
    assert lines[0] == ("Keynote 1: Food Science & Tech", True)
    assert doc.blocks[0].kind == "paragraph"  # a bold title, not a "Keynote 1:" role field


def test_markdown_line_breaks_tables_and_raw_html():
    # markdown-it-pyrs has no `breaks` option: every line break of a paragraph still ends a line
    blocks = read_markdown("Panel on cyber norms\nwith Ana Silva, Director\n\n| Time | Programme |\n|---|---|\n"
                           "| 10:00 | Opening *remarks* |\n\n"
                           "<div class=\"card\"><p>Bo Chen<br>Professor, Tech University</p></div>\n")
    shape = [(b.kind, [line.text for line in b.lines], [[line.text for line in cell] for cell in b.cells])
             for b in blocks]
    assert shape == [
        ("paragraph", ["Panel on cyber norms", "with Ana Silva, Director"], []),
        ("row", [], [["Time"], ["Programme"]]),
        ("row", [], [["10:00"], ["Opening remarks"]]),
        ("paragraph", ["Bo Chen", "Professor, Tech University"], []),
    ]
    assert render_markdown("a\nb") == "<p>a<br />\nb</p>\n"


def test_markdown_backslash_line_ends_and_fenced_code():
    # no backtick, so markdown-it-pyrs reads it; a line ending in one backslash is a hard break already
    blocks = read_markdown("Ends in a backslash\\\nnext\nends in an escaped one \\\\\nlast\n\n"
                           "~~~\ncode line\nmore\n~~~\n")
    assert [[line.text for line in b.lines] for b in blocks] == [
        ["Ends in a backslash", "next", "ends in an escaped one \\", "last"], ["code line more"]]


def test_markdown_with_a_backtick_in_link_brackets_is_read():
    # markdown-it-pyrs 0.4.0 panics on "[Ana`s" (a BaseException, past any `except Exception`):
    # a body with a backtick goes to markdown-it-py
    blocks = read_markdown("[Ana`s panel] starts\nat 10:00\n")
    assert [[line.text for line in b.lines] for b in blocks] == [["[Ana`s panel] starts", "at 10:00"]]
