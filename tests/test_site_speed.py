"""The site's lists written as columns (pages.py) against the template loops they replace, on rows made to
reach every branch: the same HTML, byte for byte."""
from __future__ import annotations

import polars as pl
import pytest

from pipeline.outputs.site import pages, render

NAMES = ["Ann Lee", "<b>Bo</b> & \"Co\" 'x'", "", "é中🙂"]
LISTS = [[], ["speaker"], ["speaker", "host"], ["<chair>", "a&b"], ["x", None], [None]]
TEXTS = [None, "", "plain", "<i>&</i>\"'", "é—ü 中文"]
IDS = [None, "", "p1", "p<&>\"'"]

LOOPS = {
    "participants": ('{% for p in rows %}<tr class="participant"><td>{{ person(root, p.person_id, p.name) }}</td>'
                     '<td>{{ p.roles | join(", ") }}</td><td>{{ p.position or "" }}</td><td>{{ p.organization or "" }}'
                     '</td><td>{{ p.country or "" }}</td></tr>\n{% endfor %}'),
    "person_sessions": ('{% for s in rows %}<tr><td>{{ session(root, s.session_id, s.heading) }}</td><td>{{ s.when | safe }}'
                        '</td><td>{{ s.roles | join(", ") }}</td><td>{{ s.organization or "" }}</td><td>{{ s.country or "" }}'
                        '</td></tr>\n{% endfor %}'),
    "session_arguments": ('{% for a in rows %}<li class="argument"><p><strong>{{ person(root, a.person_id, a.speaker) }}'
                          '</strong>: {{ a.text }}</p>{% if a.topics %}<p class="topics">{{ a.topics | join(", ") }}</p>'
                          '{% endif %}</li>\n{% endfor %}'),
    "person_arguments": ('{% for a in rows %}<li>{{ a.text }} <small>({{ session(root, a.session_id, a.heading) }})'
                         '</small></li>\n{% endfor %}'),
}
EXPRESSIONS = {"participants": pages.participant_rows, "person_sessions": pages.person_session_rows,
               "session_arguments": pages.session_argument_rows, "person_arguments": pages.person_argument_rows}


@pytest.fixture(scope="module")
def env():
    return render.environment(None)


def variant_rows() -> pl.DataFrame:
    """A row for each variant of each column (the others cycling through theirs)."""
    count = 4 * max(len(NAMES), len(LISTS), len(TEXTS), len(IDS))
    return pl.DataFrame({
        "person_id": [IDS[i % len(IDS)] for i in range(count)],
        "session_id": [IDS[(i + 1) % len(IDS)] for i in range(count)],
        "name": [NAMES[i % len(NAMES)] for i in range(count)],
        "speaker": [NAMES[(i + 1) % len(NAMES)] for i in range(count)],
        "heading": [NAMES[(i + 2) % len(NAMES)] for i in range(count)],
        "when": ['<time datetime="2025-01-01">2025-01-01</time> 09:00' if i % 2 else "undated" for i in range(count)],
        "roles": [LISTS[i % len(LISTS)] for i in range(count)],
        "topics": [LISTS[(i + 3) % len(LISTS)] for i in range(count)],
        "position": [TEXTS[i % len(TEXTS)] for i in range(count)],
        "organization": [TEXTS[(i + 1) % len(TEXTS)] for i in range(count)],
        "country": [TEXTS[(i + 2) % len(TEXTS)] for i in range(count)],
        "text": [TEXTS[(i + 3) % len(TEXTS)] or "t" for i in range(count)],
    }, schema_overrides={"roles": pl.List(pl.String), "topics": pl.List(pl.String)})


@pytest.mark.parametrize("loop", sorted(LOOPS))
@pytest.mark.parametrize("root", ["", "../"])
def test_rows_written_as_columns_are_the_template_loop(env, loop, root):
    frame = variant_rows()
    template = env.from_string(LOOPS[loop])
    written = frame.select(EXPRESSIONS[loop](root))[:, 0].to_list()
    for row, html in zip(frame.iter_rows(named=True), written):
        assert html == template.render(rows=[row], root=root)
    assert "".join(written) == template.render(rows=frame.to_dicts(), root=root)


def test_rows_written_as_columns_values():
    frame = pl.DataFrame({"person_id": ["p1", ""], "name": ["A & B", "C"], "roles": [["x", None], []],
                          "position": [None, "<p>"], "organization": ["", "o"], "country": ["c", None]})
    assert frame.select(pages.participant_rows("../"))[:, 0].to_list() == [
        '<tr class="participant"><td><a href="../people/p1.html">A &amp; B</a></td><td>x, None</td><td></td><td></td>'
        '<td>c</td></tr>\n',
        '<tr class="participant"><td>C</td><td></td><td>&lt;p&gt;</td><td>o</td><td></td></tr>\n']


PARAGRAPHS = [None, "", " ", "one paragraph", "first\n\nsecond", "\n\n", "\n\n\n", "a\n\n\n\nb", "a\n\n\nb", "a\nb\n\nc\n",
              "\r\n\r\nwindows\r\n\r\n", "<b>Q&A</b> \"quoted\" 'single'\n\n&amp; already", "é—ü 中文\u2028\u2029\n\n🙂",
              "x" * 5000 + "\n\n" + "<" * 100]


def test_paragraphs_written_as_columns_are_the_template_call(env):
    template = env.from_string("{% if text %}{{ paragraphs(text) }}{% endif %}")
    written = pl.DataFrame({"text": PARAGRAPHS}, schema={"text": pl.String}).select(pages.paragraphs("text"))
    assert written.columns == ["text_html"]
    for text, html in zip(PARAGRAPHS, written[:, 0]):
        assert (html or "") == template.render(text=text)
        assert (html is None) == (not text)


def page_set(html: bool) -> pages.PageSet:
    base = pl.DataFrame({"session_id": ["s1", "s2", "s3"], "title": ["One", None, "Three"], "note": ["n1", "n2", "n3"]})
    rows = pl.DataFrame({"session_id": ["s1", "s3", "s1"], "person_id": ["p1", "p2", ""], "name": ["Ann", "Bo", "<C>"],
                         "roles": [["a"], [], ["b", "c"]], "position": [None, "x", ""], "organization": ["o", None, "o"],
                         "country": [None, None, "c"]})
    part = pages.Part(rows, html=pages.participant_rows if html else None)
    return pages.PageSet("session_id", "sessions/{}.html", base, {"participants": part}, base,
                         derived=(pl.col("title").fill_null("?").alias("heading"),), unshown=("title",))


def test_a_part_written_as_columns_is_its_rows_written_in_order():
    listed, written = list(page_set(html=False).rows(["s1", "s2", "s3"])), list(page_set(html=True).rows(["s3", "s1", "s2"]))
    assert [row["path"] for row in written] == ["sessions/s1.html", "sessions/s2.html", "sessions/s3.html"]
    assert [row["participants_count"] for row in written] == [2, 0, 1]
    assert written[1]["participants_html"] == ""
    one = pl.DataFrame(listed[0]["participants"], schema_overrides={"roles": pl.List(pl.String)})
    assert written[0]["participants_html"] == "".join(one.select(pages.participant_rows("../"))[:, 0])
    assert written[0]["participants_html"].count("<tr") == 2 and 'href="../people/p1.html"' in written[0]["participants_html"]
    # the columns only `derived` shows are left out; the others stay, in order
    assert list(written[0]) == ["session_id", "note", "heading", "participants_html", "participants_count", "path"]
    assert [row["heading"] for row in written] == ["One", "?", "Three"]
    assert page_set(html=True).fingerprints(1).equals(page_set(html=False).fingerprints(1))


def test_page_root_is_the_renderers():
    assert [pages.page_root(p) for p in ("index.html", "sessions/{}.html", "a/b/c.html")] == ["", "../", "../../"]


def test_escaped_is_markupsafes_escape_with_or_without_characters_to_escape():
    from markupsafe import escape
    texts = [None, "", "plain", "&", "<>", "\"'", "a & b < c > d \" e ' f", "&amp;", "é中🙂<", "x" * 1000, "x" * 1000 + "'"]
    written = pl.DataFrame({"text": texts}, schema={"text": pl.String}).select(pages.escaped(pl.col("text")))[:, 0]
    assert written.to_list() == [None if t is None else str(escape(t)) for t in texts]


@pytest.mark.parametrize("site_exists", [False, True])
def test_a_stager_asks_the_live_file_only_when_there_is_a_site(tmp_path, monkeypatch, site_exists):
    from pipeline.outputs.site import store
    site, staging = tmp_path / "site", tmp_path / "staging"
    if site_exists:
        (site / "sessions").mkdir(parents=True)
        (site / "sessions" / "same.html").write_text("same", encoding="utf-8")
    asked = []
    real = store._holds
    monkeypatch.setattr(store, "_holds", lambda path, data: asked.append(path) or real(path, data))
    stager = store.Stager(site, staging)
    for path, text in [("sessions/same.html", "same"), ("sessions/new.html", "new"), ("index.html", "")]:
        stager.stage(path, text)
    assert len(asked) == (3 if site_exists else 0)
    assert stager.staged == (["sessions/new.html", "index.html"] if site_exists else
                             ["sessions/same.html", "sessions/new.html", "index.html"])
    written = {"sessions/same.html": "same", "sessions/new.html": "new", "index.html": ""}
    assert {p: (staging / p).read_text(encoding="utf-8") for p in stager.staged} == {p: written[p] for p in stager.staged}
