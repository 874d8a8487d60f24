"""The site's shortcuts against the plain forms they replace: a description's paragraphs escaped at once,
the live file compared by one read, a page's row completed in place, the templates looked up once."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.outputs.site import render, store
from pipeline.outputs.site.pages import PageRows

TEXTS = ["", " ", "one paragraph", "first\n\nsecond", "\n\n", "\n\n\n", "a\n\n\n\nb", "a\n\n\nb", "a\nb\n\nc\n",
         "\r\n\r\nwindows\r\n\r\n", "<b>Q&A</b> \"quoted\" 'single'\n\n&amp; already", "é—ü 中文\u2028\u2029\n\n🙂",
         "\t \n \n\t", "x" * 5000 + "\n\n" + "<" * 100]


@pytest.fixture(scope="module")
def env():
    return render.environment(None)


@pytest.mark.parametrize("text", TEXTS)
def test_paragraphs_are_the_template_loop(env, text):
    loop = env.from_string('{% for p in text.split("\\n\\n") %}<p>{{ p }}</p>{% endfor %}', {"text": text})
    shortcut = env.from_string("{{ paragraphs(text) }}")
    assert shortcut.render(text=text) == loop.render(text=text)


def test_paragraphs_values():
    assert render.paragraphs("") == "<p></p>"
    assert render.paragraphs("a\n\n<b>") == "<p>a</p><p>&lt;b&gt;</p>"
    assert render.paragraphs("a\n\n\n\nb") == "<p>a</p><p></p><p>b</p>"
    assert render.paragraphs("a\n\n\nb") == "<p>a</p><p>\nb</p>"
    assert render.paragraphs("\"'&") == "<p>&#34;&#39;&amp;</p>"


def plain_holds(live: Path, data: bytes) -> bool:
    """What Stager.stage asked before: the size, then the bytes."""
    try:
        return live.stat().st_size == len(data) and live.read_bytes() == data
    except FileNotFoundError:
        return False


LIVE = [None, b"", b"<html>same</html>", b"<html>same</html>\n", b"<html>sam</html>", b"<html>SAME</html>",
        "é中🙂".encode("utf-8"), b"x" * 200_000]


@pytest.mark.parametrize("live", LIVE)
@pytest.mark.parametrize("text", ["", "<html>same</html>", "<html>same</html>\n", "é中🙂", "x" * 200_000])
def test_holds_is_the_size_and_bytes_compare(tmp_path, live, text):
    path = tmp_path / "page.html"
    if live is not None:
        path.write_bytes(live)
    data = text.encode("utf-8")
    assert store._holds(str(path), data) == plain_holds(path, data)
    assert store._holds(str(path), data) == (live == data)


def test_holds_a_folder_or_nothing(tmp_path):
    (tmp_path / "page.html").mkdir()
    assert store._holds(str(tmp_path / "page.html"), b"") is False
    assert store._holds(str(tmp_path / "missing" / "page.html"), b"") is False


def test_stager_writes_only_changed_bytes(tmp_path):
    site, staging = tmp_path / "site", tmp_path / "staging"
    (site / "sessions").mkdir(parents=True)
    (site / "sessions" / "same.html").write_bytes("é same".encode("utf-8"))
    (site / "sessions" / "changed.html").write_bytes(b"old")
    stager = store.Stager(site, staging)
    for path, text in [("sessions/same.html", "é same"), ("sessions/changed.html", "new"), ("sessions/new.html", "中"),
                       ("index.html", ""), ("people/p.html", "<p>")]:
        stager.stage(path, text)
    assert stager.staged == ["sessions/changed.html", "sessions/new.html", "index.html", "people/p.html"]
    assert sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()) == sorted(stager.staged)
    assert (staging / "sessions" / "new.html").read_bytes() == "中".encode("utf-8")
    assert (staging / "index.html").read_bytes() == b""
    assert (staging / "people" / "p.html").read_bytes() == b"<p>"


def test_page_rows_are_the_plain_merge():
    frame = pl.DataFrame({"session_id": ["a", "b/é", "c"], "title": ["T", None, ""],
                          "participants": [[{"name": "x"}], None, []], "arguments": [None, [{"text": "t"}], None]})
    rows = PageRows(frame, "session_id", "sessions/{}.html", ("participants", "arguments"))
    plain = [row | {name: row[name] or [] for name in rows.parts} | {"path": rows.path.format(row[rows.key])}
             for row in frame.iter_rows(named=True)]
    made = list(rows)
    assert made == plain
    assert [list(r) for r in made] == [list(r) for r in plain]  # the keys in the same order
    assert made[1] == {"session_id": "b/é", "title": None, "participants": [], "arguments": [{"text": "t"}],
                       "path": "sessions/b/é.html"}


def test_templates_looked_up_once_render_the_same(env):
    renderer = render.Renderer({"dataset": {"title": "D", "license": {"title": "L", "url": "u", "id": "i"}},
                                "version": "v"}, env)
    pages = {"sessions.html": {"count": 12345, "rows": ""}, "people.html": {"people": []}, "search.html": {}}
    for path, context in pages.items():
        expected = env.get_template(path).render(root="", **renderer.common, **context)
        assert renderer.render(path, path, **context) == expected
        assert renderer.render(path, path, **context) == expected  # again, from the renderer's own lookup
    assert "12,345" in renderer.render("sessions.html", "sessions.html", count=12345, rows="")


def test_pages_are_staged_with_the_collector_off_and_it_comes_back():
    import gc

    from pipeline.outputs.site.render import stage_pages

    seen, staged = [], {}

    def make(row):
        seen.append(gc.isenabled())
        return f"<p>{row['n']}</p>"

    rows = [{"path": f"p{n}.html", "n": n} for n in range(5)]
    assert gc.isenabled()
    stage_pages(make, rows, staged.__setitem__)
    assert staged == {f"p{n}.html": f"<p>{n}</p>" for n in range(5)}
    assert seen == [False] * 5 and gc.isenabled()
    try:
        stage_pages(lambda row: 1 / 0, rows, staged.__setitem__)
    except ZeroDivisionError:
        pass
    assert gc.isenabled()
