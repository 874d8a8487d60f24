"""The static site, opened as a person would: in Debian's chromium (headless), driven by Playwright.
Built from the seeds and from a generated corpus; screenshots go to the test's output folder (slow:
a real browser over every page, about a minute).

Then, fast: the site of a small hand-made dataset, written again after its tables changed, is the
same as one written whole; only changed files are written; a build that fails or is killed leaves the
previous site."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

import polars as pl
import pytest

import schemas
from pipeline.cli import main
from pipeline.outputs import export
from pipeline.outputs.site import build_site
from pipeline.outputs.site import pages as site_pages
from pipeline.outputs.site import store
from pipeline.outputs.site.build import _SiteFiles
from tests.conftest import run_build



def chromium_executable() -> str:
    """Debian's chromium (.ci/run installs it); Playwright cannot download its own browsers here."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: apt-get install -y chromium (.ci/run does)"
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Visitor:
    """One browser tab that records every console error and uncaught exception of the pages it opens."""

    def __init__(self, browser, **options):
        self.page = browser.new_page(**options)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"{self.page.url}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"{r.url}: request failed"))

    def open(self, path: Path):
        self.page.goto(path.resolve().as_uri())
        return self.page


@pytest.fixture(scope="module")
def seed_site(seed_build, tmp_path_factory):
    _, out = seed_build
    site = tmp_path_factory.mktemp("seed_site") / "site"
    assert main(["site", "--out", str(out), "--site", str(site)]) == 0
    return out, site


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    assert main(["generate", "--docs", "120", "--out", str(root / "raw"), "--seed", "3"]) == 0
    result = run_build(root / "raw", root / "out")
    assert result.success
    result = build_site(root / "out")
    return root / "out", result.path


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def _rows(out: Path) -> dict[str, int]:
    return {n: pl.scan_parquet(out / "parquet" / f"{n}.parquet").select(pl.len()).collect().item() for n in schemas.TABLES}


def check_overview(visitor: Visitor, out: Path, site: Path) -> None:
    page = visitor.open(site / "index.html")
    shown = {row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(1).inner_text().replace(",", ""))
             for row in page.locator("#row-counts tbody tr").all()}
    assert shown == _rows(out)
    charts = page.locator("figure.chart")
    assert charts.count() == 6
    for i in range(charts.count()):
        chart = charts.nth(i)
        svg = chart.locator("svg").first
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, chart.get_attribute("id")
        marks = svg.locator("path, rect, line, circle, text").count()
        assert marks > 5, f"{chart.get_attribute('id')} has {marks} marks"
        assert chart.locator("figcaption").inner_text().strip()
        assert "SELECT" in chart.locator("details pre").text_content()  # folded away until opened


def check_every_link(visitor: Visitor, site: Path) -> int:
    """Open every page; every link, stylesheet and script on it that points into the site exists."""
    pages = sorted(site.rglob("*.html"))
    for path in pages:
        page = visitor.open(path)
        targets = page.eval_on_selector_all("a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)")
        for target in targets:
            url = urlparse(target)
            if url.scheme != "file":
                continue
            local = Path(unquote(url.path))
            assert local.exists(), f"{path.relative_to(site)} links to missing {local}"
    return len(pages)


@pytest.mark.slow
def test_generated_site_in_the_browser(generated_site, browser, shots):
    out, site = generated_site
    visitor = Visitor(browser, viewport={"width": 1280, "height": 900})
    check_overview(visitor, out, site)
    visitor.page.screenshot(path=str(shots / "overview-generated.png"), full_page=True)
    sessions = pl.read_parquet(out / "parquet" / "sessions.parquet")
    participants = pl.read_parquet(out / "parquet" / "participants.parquet")
    busiest = participants.group_by("session_id").len().sort(["len", "session_id"], descending=[True, False]).row(0)
    page = visitor.open(site / "sessions" / f"{busiest[0]}.html")
    assert page.locator("#participants tr.participant").count() == busiest[1]
    pages = check_every_link(visitor, site)
    assert pages == sessions.height + _rows(out)["people"] + len(schemas.TABLES) + 5
    assert visitor.errors == []


@pytest.mark.slow
def test_seed_site_in_the_browser(browser, seed_site, shots):
    out, site = seed_site
    visitor = Visitor(browser, viewport={"width": 1280, "height": 900})
    check_overview(visitor, out, site)
    page = visitor.page
    assert page.locator("#release-version").inner_text() == "unreleased build"
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    sessions = pl.read_parquet(out / "parquet" / "sessions.parquet")
    talkx = sessions.filter(pl.col("series") == "Leaders TalkX").row(0, named=True)
    page = visitor.open(site / "sessions" / f"{talkx['session_id']}.html")
    assert page.locator("h1").inner_text() == talkx["title"]
    speakers = page.locator("#participants tr.participant")
    assert speakers.count() == 9
    names = speakers.locator("td:first-child").all_inner_texts()
    assert "Fahmi Fadzil" in names and "Lucien Castex" in names and "Introduction" not in names
    assert page.locator("#agreements li.agreement").count() == 11
    assert page.locator("#arguments li.argument").count() == 23
    assert "2025-07-09" in page.locator("dl.facts").inner_text()
    page.screenshot(path=str(shots / "session-leaders-talkx.png"), full_page=True)

    # a person page links back to the session
    page.locator("#participants a", has_text="Fahmi Fadzil").click()
    assert "/people/per_" in page.url
    assert page.locator("h1").inner_text() == "Fahmi Fadzil"
    back = page.locator(f'#sessions a[href$="sessions/{talkx["session_id"]}.html"]')
    assert back.count() == 1
    assert "Sally Wentworth" in page.locator("main").inner_text()  # whom he differed with
    back.click()
    assert page.url.endswith(f"{talkx['session_id']}.html")

    # search from the box on any page, offline
    page.fill("#q", "Fadzil")
    page.press("#q", "Enter")
    assert page.url.split("?")[0].endswith("search.html")
    results = page.locator("#search-results li")
    results.first.wait_for()
    assert results.all_inner_texts() == ["Fahmi Fadzil person"]
    page.fill("#q", "leaders talkx")  # typing filters as it goes
    assert page.locator("#search-results a").all_inner_texts() == [talkx["title"]]
    page.locator("#search-results a").first.click()
    assert page.url.endswith(f"{talkx['session_id']}.html")

    # a phone-width screen: nothing wider than the screen
    phone = Visitor(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    for path in (site / "index.html", site / "sessions" / f"{talkx['session_id']}.html"):
        page = phone.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path.name
    page.screenshot(path=str(shots / "session-phone.png"), full_page=True)

    assert check_every_link(visitor, site) == 4 + 28 + len(schemas.TABLES) + 5  # sessions, people, tables, lists
    assert visitor.errors == [] and phone.errors == []
    print(f"screenshots: {shots}")


@pytest.mark.slow
def test_release_has_the_site(seed_build, tmp_path):
    _, out = seed_build
    releases = tmp_path / "releases"
    assert main(["release", "1.0.0", "--out", str(out), "--releases", str(releases)]) == 0
    site = releases / "1.0.0" / "site"
    index = (site / "index.html").read_text()
    assert '<dd id="release-version">1.0.0</dd>' in index
    for href in ("../parquet/agreement_pairs.parquet", "../cyberdialogue.duckdb", "../datapackage.json", "../SHA256SUMS"):
        assert f'href="{href}"' in index
        assert (site / href).exists()
    assert "site/index.html" in (releases / "1.0.0" / "SHA256SUMS").read_text()
    assert main(["verify", "1.0.0", "--releases", str(releases)]) == 0


# -- written again, only what changed, never half-written (a small hand-made dataset) --

DAY = "2025-01-31"  # the overview's "Built" date, fixed so that two builds can be compared


def small_tables() -> dict[str, list[dict]]:
    return {
        "sessions": [
            {"session_id": "s1", "title": "Opening", "series": "IGF", "event": "IGF 2025", "date": dt.date(2025, 7, 9),
             "start_time": dt.time(9, 0), "end_time": dt.time(10, 30), "utc_offset": "+08:00", "duration_minutes": 90,
             "description": "First.\n\nSecond.", "document_ids": ["d1"], "quality_flags": []},
            {"session_id": "s2", "title": None, "session_format": "Panel", "series": "", "event": "Cyber Week",
             "document_ids": ["d2", "d3", "missing"], "quality_flags": ["no_date"]},
            {"session_id": "s3", "title": "", "series": "Talks & <more>", "date": dt.date(2024, 10, 1),
             "start_time": dt.time(0, 0), "document_ids": [], "quality_flags": []},
        ],
        "documents": [{"document_id": f"d{i}", "path": f"raw/d{i}.html", "format": "generic", "status": "parsed",
                       "url": "https://example.org/d" if i == 1 else None} for i in (1, 2, 3)],
        "people": [{"person_id": "p1", "name": "Ann Lee", "name_variants": ["Ann Lee", "A. Lee"], "session_count": 2},
                   {"person_id": "p2", "name": "Bo Chen", "name_variants": ["Bo Chen"], "session_count": 1},
                   {"person_id": "p3", "name": "Cy Diaz", "name_variants": ["Cy Diaz"], "session_count": 1}],
        "participants": [{"session_id": "s1", "person_id": "p1", "name": "Ann Lee", "roles": ["speaker"], "country": "Chile"},
                         {"session_id": "s1", "person_id": "p2", "name": "Bo Chen", "roles": ["moderator"]},
                         {"session_id": "s2", "person_id": "p1", "name": "Ann Lee", "roles": ["speaker", "host"]},
                         {"session_id": "s3", "person_id": "p3", "name": "Cy Diaz", "roles": []}],
        "arguments": [{"argument_id": "a1", "session_id": "s1", "person_id": "p1", "speaker": "Ann Lee",
                       "text": "Norms matter.", "topics": ["norms"]},
                      {"argument_id": "a2", "session_id": "s1", "person_id": None, "speaker": "Chair", "text": "Time.", "topics": []}],
        "agreements": [{"agreement_id": "g1", "session_id": "s1", "kind": "agreement", "statement": "Norms matter",
                        "person_ids": ["p1", "p2"]},
                       {"agreement_id": "g2", "session_id": "s2", "kind": "disagreement", "statement": "On capacity",
                        "person_ids": ["p1", "p9"]}],
        "agreement_pairs": [{"person_id": "p1", "other_person_id": "p2", "session_id": "s1", "agreement_id": "g1", "kind": "agreement"},
                            {"person_id": "p2", "other_person_id": "p1", "session_id": "s1", "agreement_id": "g1", "kind": "agreement"},
                            {"person_id": "p1", "other_person_id": "p9", "session_id": "s2", "agreement_id": "g2", "kind": "disagreement"}],
        "conflicts": [{"session_id": "s2", "field": "title", "document_id": "d2", "value": "Panel <B>"}],
    }


def write_tables(data: Path, rows: dict[str, list[dict]]) -> None:
    """The tables as Parquet files; and their row keys, as a build's export writes them, when `data`
    has a .rowkeys folder (then the site reads them to fingerprint its pages)."""
    (data / "parquet").mkdir(parents=True, exist_ok=True)
    for name in schemas.TABLES:
        frame = pl.DataFrame(rows.get(name, []), schema=schemas.columns(name))
        frame.write_parquet(data / "parquet" / f"{name}.parquet")
        if (data / export.ROW_KEYS_DIR).is_dir():
            export.row_keys(name, frame).write_ipc(data / export.ROW_KEYS_DIR / f"{name}.arrow")


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def whole_site(data: Path) -> dict[str, bytes]:
    """The site of `data` written from nothing, beside the one under test (so its links are the same)."""
    shutil.rmtree(data / "whole", ignore_errors=True)
    build_site(data, data / "whole", date=DAY)
    return site_files(data / "whole")


def changed(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The small dataset after a rebuild: a description and a name changed, a session gone, one added."""
    rows = {name: [dict(r) for r in table] for name, table in rows.items()}
    rows["sessions"][0]["description"] = "Rewritten."
    rows["people"][1]["name"] = "Bo Chen-Wu"
    rows["sessions"] = [s for s in rows["sessions"] if s["session_id"] != "s2"] + [
        {"session_id": "s4", "title": "Closing", "date": dt.date(2025, 7, 10), "document_ids": ["d2"], "quality_flags": []}]
    rows["participants"] = [p for p in rows["participants"] if p["session_id"] != "s2"] + [
        {"session_id": "s4", "person_id": "p3", "name": "Cy Diaz", "roles": ["speaker"]}]
    for name in ("agreements", "agreement_pairs", "conflicts"):
        rows[name] = [r for r in rows[name] if r["session_id"] != "s2"]
    return rows


def test_when_and_the_sessions_list_written_as_columns():
    frame = pl.DataFrame(small_tables()["sessions"], schema=schemas.columns("sessions")).with_columns(site_pages.when())
    assert frame["when"].to_list() == [
        '<time datetime="2025-07-09">2025-07-09</time> 09:00–10:30 (UTC+08:00)', "undated",
        '<time datetime="2024-10-01">2024-10-01</time> 00:00']
    listing = pl.DataFrame({"session_id": ["s1", "s3"], "heading": ["A & B", "Talks"], "series": ["IGF", "Talks & <more>"],
                            "event": ["IGF 2025", None], "when": ["undated", "undated"], "participants": [2, 0]})
    assert site_pages.session_rows_html(listing, root="") == (
        '<tr><td>undated</td><td><a href="sessions/s1.html">A &amp; B</a></td><td>IGF · IGF 2025</td><td class="num">2</td></tr>\n'
        '<tr><td>undated</td><td><a href="sessions/s3.html">Talks</a></td><td>Talks &amp; &lt;more&gt;</td><td class="num">0</td></tr>\n')


def test_small_site_pages(small):
    result = build_site(small, date=DAY)
    site = result.path
    assert result.pages == 3 + 3 + len(schemas.TABLES) + 5 and result.written == result.pages + 3  # + search-index, css, js
    s1 = (site / "sessions" / "s1.html").read_text()
    assert '<a href="../people/p1.html">Ann Lee</a>, <a href="../people/p2.html">Bo Chen</a>' in s1
    assert "<p>First.</p><p>Second.</p>" in s1
    s2 = (site / "sessions" / "s2.html").read_text()
    assert "<h1>Panel</h1>" in s2 and '<a href="../people/p9.html">p9</a>' in s2 and "Panel &lt;B&gt;" in s2
    assert "Documents (2)" in s2  # the id with no documents row is left out
    ann = (site / "people" / "p1.html").read_text()
    assert "<td>speaker, host</td>" in ann and "Disagreed or differed with (1)" in ann and "“On capacity”" in ann
    listing = (site / "sessions.html").read_text()
    assert listing.index("sessions/s3.html") < listing.index("sessions/s1.html") < listing.index("sessions/s2.html")
    assert "<td>Cyber Week</td>" in listing
    index = (site / "search-index.js").read_text()
    assert '{"k":"s","t":"Talks & <more>","u":"sessions/s3.html","d":"2024-10-01 · Talks & <more>"}' in index
    assert '{"k":"p","t":"Ann Lee","v":"A. Lee","u":"people/p1.html"}' in index


def test_a_site_written_again_is_the_same_as_one_written_whole(small):
    build_site(small, date=DAY)
    write_tables(small, changed(small_tables()))
    result = build_site(small, date=DAY)
    assert site_files(small / "site") == whole_site(small)
    assert not (small / "site" / "sessions" / "s2.html").exists() and (small / "site" / "sessions" / "s4.html").exists()
    assert result.written < result.pages


def test_only_files_that_changed_are_written(small):
    build_site(small, date=DAY)
    before = inodes(small / "site")
    again = build_site(small, date=DAY)
    assert again.written == 0 and inodes(small / "site") == before
    rows = small_tables()
    rows["sessions"][0]["description"] = "Rewritten."
    write_tables(small, rows)
    assert build_site(small, date=DAY).written == 1
    after = inodes(small / "site")
    assert [p for p in after if after[p] != before[p]] == ["sessions/s1.html"]
    assert "<p>Rewritten.</p>" in (small / "site" / "sessions" / "s1.html").read_text()


def test_pages_removed_or_added_by_hand_are_put_right(small):
    build_site(small, date=DAY)
    (small / "site" / "people" / "p2.html").unlink()
    (small / "site" / "stray.html").write_text("not ours")
    assert build_site(small, date=DAY).written == 1
    assert site_files(small / "site") == whole_site(small)


def test_a_build_that_fails_while_rendering_leaves_the_previous_site(small, monkeypatch):
    build_site(small, date=DAY)
    before = site_files(small / "site")
    write_tables(small, changed(small_tables()))
    rendered = []

    def fail_on_second(self, row):
        rendered.append(row["path"])
        if len(rendered) == 2:
            raise RuntimeError("a page that cannot be rendered")
        return original(self, row)

    original = _SiteFiles.session_page
    monkeypatch.setattr(_SiteFiles, "session_page", fail_on_second)
    with pytest.raises(RuntimeError, match="cannot be rendered"):
        build_site(small, date=DAY)
    monkeypatch.undo()
    assert site_files(small / "site") == before
    assert sorted(p.name for p in (small / ".site.state").iterdir()) == ["charts.json", "folders.json", "lock", "pages.parquet", "templates"]
    build_site(small, date=DAY)
    assert site_files(small / "site") == whole_site(small)


def failing_replace(after: int):
    """os.replace that fails once, on the call after `after` calls (the journal's own replace is the first)."""
    calls = []
    real = os.replace

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == after + 1:
            raise OSError("disk full")
        real(src, dst)
    return replace


def test_a_build_that_fails_while_committing_is_rolled_back(small, monkeypatch):
    build_site(small, date=DAY)
    before = site_files(small / "site")
    write_tables(small, changed(small_tables()))
    monkeypatch.setattr(store.os, "replace", failing_replace(after=3))
    with pytest.raises(OSError, match="disk full"):
        build_site(small, date=DAY)
    monkeypatch.undo()
    assert site_files(small / "site") == before
    assert not (small / ".site.state" / "undo").exists()
    build_site(small, date=DAY)
    assert site_files(small / "site") == whole_site(small)


def test_a_build_killed_while_committing_is_undone_by_the_next(small, monkeypatch):
    build_site(small, date=DAY)
    before = site_files(small / "site")
    write_tables(small, changed(small_tables()))
    with monkeypatch.context() as killed:  # no rollback: as if the process had died mid-commit
        killed.setattr(store.SiteWriter, "_rollback", lambda self: None)
        killed.setattr(store.os, "replace", failing_replace(after=3))
        with pytest.raises(OSError):
            build_site(small, date=DAY)
    half = site_files(small / "site")
    assert half != before and (small / ".site.state" / "undo" / "journal.json").exists()
    with store.SiteWriter(small / "site"):  # what every build does first
        assert site_files(small / "site") == before
    build_site(small, date=DAY)
    assert site_files(small / "site") == whole_site(small)


def test_a_release_site_keeps_no_state(small):
    result = build_site(small, small / "release-site", version="1.0.0", date=DAY, released=True)
    assert (result.path / "index.html").exists()
    assert '<dd id="release-version">1.0.0</dd>' in (result.path / "index.html").read_text()
    assert sorted(p.name for p in small.iterdir() if p.name != export.ROW_KEYS_DIR) == ["parquet", "release-site"]
    again = build_site(small, small / "release-site", version="1.0.0", date=DAY, released=True)
    assert again.written == 0
    assert sorted(p.name for p in small.iterdir() if p.name != export.ROW_KEYS_DIR) == ["parquet", "release-site"]


def test_charts_are_queried_and_drawn_again_only_when_their_columns_change(small, monkeypatch):
    from pipeline.outputs.site import charts

    import vl_convert

    build_site(small, date=DAY)
    monkeypatch.setattr(charts, "chart_specs", lambda con: pytest.fail("the charts' columns did not change"))
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda spec: pytest.fail("no chart changed"))
    rows = small_tables()
    rows["sessions"][0]["description"] = "Rewritten."
    write_tables(small, rows)
    assert build_site(small, date=DAY).written == 1  # the session's page
    monkeypatch.undo()
    assert site_files(small / "site") == whole_site(small)
    rows["sessions"][0]["event"] = "Another event"
    write_tables(small, rows)
    build_site(small, date=DAY)
    assert "Another event" in (small / "site" / "index.html").read_text()
    assert site_files(small / "site") == whole_site(small)


def test_without_reuse_every_file_is_rendered_and_only_changed_ones_written(small):
    build_site(small, date=DAY)
    before = inodes(small / "site")
    assert build_site(small, date=DAY, reuse=False).written == 0
    assert inodes(small / "site") == before
    assert build_site(small, date="2025-02-01", reuse=False).written == 1  # the overview's date


# -- pages rendered by worker processes (forced on the small dataset: a real build uses them from thousands of pages) --

def pooled(monkeypatch, workers: int = 2) -> list[int]:
    """Render the pages in `workers` processes; the slices given to each pool, one list per build."""
    from pipeline.outputs.site import build
    slices = []

    def in_pool(jobs, count, meanwhile, in_flight):
        jobs = list(jobs)
        slices.append(len(jobs))
        return real(jobs, count, meanwhile, in_flight)

    real = build.render_in_pool
    monkeypatch.setattr(build, "_workers", lambda pages: workers)
    monkeypatch.setattr(build, "render_in_pool", in_pool)
    return slices


def test_a_site_rendered_by_workers_is_the_one_rendered_in_one_process(small, monkeypatch):
    serial = build_site(small, small / "serial", date=DAY)
    slices = pooled(monkeypatch)
    result = build_site(small, small / "pooled", date=DAY)
    assert slices == [6]  # 3 sessions and 3 people, a slice each
    assert site_files(small / "pooled") == site_files(small / "serial")
    assert (result.pages, result.written) == (serial.pages, serial.written) == (26, 29)
    assert pl.read_parquet(small / ".pooled.state" / "pages.parquet").equals(
        pl.read_parquet(small / ".serial.state" / "pages.parquet"))
    assert not any((small / ".pooled.state" / name).exists() for name in ("staging", "next", "undo"))
    # written again by workers after the tables changed: only what changed, the same as one written whole
    write_tables(small, changed(small_tables()))
    again = build_site(small, small / "pooled", date=DAY)
    assert site_files(small / "pooled") == whole_site(small)
    assert 0 < again.written < again.pages
    assert build_site(small, small / "pooled", date=DAY, reuse=False).written == 0


def test_a_build_that_fails_while_workers_render_leaves_the_previous_site(small, monkeypatch):
    build_site(small, date=DAY)
    before = site_files(small / "site")
    write_tables(small, changed(small_tables()))
    pooled(monkeypatch)
    monkeypatch.setattr(_SiteFiles, "_make_files", lambda self, paths, writer: pytest.fail("the overview cannot be drawn"))
    with pytest.raises(pytest.fail.Exception, match="cannot be drawn"):
        build_site(small, date=DAY)
    assert site_files(small / "site") == before
    assert not (small / ".site.state" / "staging").exists()


def test_page_rows_in_slices_are_the_rows_in_order(small):
    rows = site_pages.session_pages(site_pages.read_tables(small / "parquet")).rows(["s1", "s2", "s3"])
    whole = [row["path"] for row in rows]
    assert whole == ["sessions/s1.html", "sessions/s2.html", "sessions/s3.html"]
    for count in (1, 2, 3, 16):
        parts = rows.slices(count)
        assert len(parts) == min(count, 3) and [row["path"] for part in parts for row in part] == whole
    first, last = rows.slices(2)
    assert len(first) == 2 and [row["documents"] for row in last] == [[]]  # s3 has none
    assert list(first)[1]["documents"] == [
        {"document_id": "d2", "path": "raw/d2.html", "format": "generic", "status": "parsed", "url": None},
        {"document_id": "d3", "path": "raw/d3.html", "format": "generic", "status": "parsed", "url": None}]


# -- a build's site fingerprints its pages by the tables' row hashes, and reads only the rows it renders --

@pytest.fixture
def keyed(tmp_path):
    data = tmp_path / "data"
    (data / export.ROW_KEYS_DIR).mkdir(parents=True)
    write_tables(data, small_tables())
    return data


def reads(monkeypatch) -> list:
    """The `wanted` of every read of the tables' rows (None: every row)."""
    from pipeline.outputs.site import build
    calls = []
    real = site_pages.read_tables
    monkeypatch.setattr(build.columns, "read_tables", lambda parquet, wanted=None: calls.append(wanted) or real(parquet, wanted))
    return calls


def test_row_hashes_stand_for_the_rows_and_only_the_pages_rendered_are_read(keyed, monkeypatch):
    build_site(keyed, date=DAY)
    calls = reads(monkeypatch)
    assert build_site(keyed, date=DAY).written == 0
    rows = small_tables()
    rows["sessions"][0]["description"] = "Rewritten."  # a column no list or chart shows
    rows["arguments"][0]["text"] = "Norms matter most."  # on s1's page and on p1's
    write_tables(keyed, rows)
    result = build_site(keyed, date=DAY)
    assert calls[-1] == site_pages.Wanted(sessions=["s1"], people=["p1"]) and None not in calls
    assert result.written == 2 and site_files(keyed / "site") == whole_site(keyed)
    hashed = site_pages.read_row_hashes(keyed / "parquet", keyed / export.ROW_KEYS_DIR,
                                        {n: list(schemas.TABLES[n].primary_key) for n in site_pages.LINKED})
    assert hashed.row_hashes and "description" not in hashed.sessions.columns and "text" not in hashed.arguments.columns
    # the rows read for some pages make those pages as every row does
    for of, keys in ((site_pages.session_pages, ["s1", "s3"]), (site_pages.person_pages, ["p1", "p3"])):
        some = site_pages.read_tables(keyed / "parquet", site_pages.Wanted(sessions=["s1", "s3"], people=["p1", "p3"]))
        assert list(of(some).rows(keys)) == list(of(site_pages.read_tables(keyed / "parquet")).rows(keys))


def test_pages_are_read_and_rendered_a_batch_at_a_time_into_the_same_site(keyed, monkeypatch):
    from pipeline.outputs.site import build
    whole = whole_site(keyed)
    monkeypatch.setattr(build, "PAGES_PER_BATCH", 2)
    calls = reads(monkeypatch)
    result = build_site(keyed, date=DAY, reuse=False)
    # 3 session pages, then 3 person pages (in the people's order), 2 a batch: only their rows read
    assert calls == [site_pages.Wanted(sessions=["s1", "s2"], people=[]), site_pages.Wanted(sessions=["s3"], people=["p1"]),
                     site_pages.Wanted(sessions=[], people=["p2", "p3"])]
    assert (result.pages, result.written) == (26, 29) and site_files(keyed / "site") == whole
    # by worker processes: the slices of every batch, handed out as the workers take them, in order
    slices = pooled(monkeypatch)
    shutil.rmtree(keyed / "site")
    calls.clear()
    assert build_site(keyed, date=DAY).written == 29 and site_files(keyed / "site") == whole
    assert slices == [6] and len(calls) == 3


def test_the_pool_holds_a_bounded_number_of_slices_and_keeps_their_order(monkeypatch):
    from pipeline.outputs.site import render
    handed, most = [], [0]

    def jobs():  # slices as the batches make them, counted as they are taken
        for job in range(7):
            handed.append(job)
            yield job

    def rendered(job):
        most[0] = max(most[0], len(handed) - job)  # handed out but not yet taken back, this one included
        return [f"page-{job}"]

    monkeypatch.setattr(render, "render_slice", rendered)
    monkeypatch.setattr(render, "ProcessPoolExecutor", InlinePool)
    staged = render.render_in_pool(jobs(), 2, lambda: None, in_flight=3)
    assert staged == [[f"page-{i}"] for i in range(7)] and most[0] == 3


class InlinePool:
    """A pool that runs a job when its result is asked for (render_in_pool's bound on what it hands out,
    tested without processes)."""
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, job):
        return LazyResult(lambda: fn(job))

    def shutdown(self, cancel_futures=False):
        pass


@dataclass
class LazyResult:
    run: Callable[[], list[str]]

    def result(self) -> list[str]:
        return self.run()


@pytest.mark.parametrize("damage", ["missing", "garbage", "other rows"])
def test_row_keys_that_are_not_the_tables_own_are_not_used(keyed, monkeypatch, damage):
    build_site(keyed, date=DAY)
    keys = keyed / export.ROW_KEYS_DIR / "participants.arrow"
    if damage == "missing":
        keys.unlink()
    elif damage == "garbage":
        keys.write_bytes(b"not arrow")
    else:  # the row keys of another version of the table
        export.row_keys("participants", pl.DataFrame(changed(small_tables())["participants"],
                                                     schema=schemas.columns("participants"))).write_ipc(keys)
    calls = reads(monkeypatch)
    build_site(keyed, date=DAY)
    assert calls == [None]  # every row read instead
    assert site_files(keyed / "site") == whole_site(keyed)
