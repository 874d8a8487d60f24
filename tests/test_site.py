"""The static site, opened as a person would: in Debian's chromium (headless), driven by Playwright.

Built from the seeds and from a generated corpus; screenshots go to the test's output folder."""
from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
import pytest

import schemas
from pipeline.cli import main
from pipeline.outputs.site import build_site
from tests.conftest import run_build

pytestmark = pytest.mark.slow  # a real browser over every page: about a minute


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
