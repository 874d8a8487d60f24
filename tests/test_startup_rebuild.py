"""Start-up of a build: what the definitions load before the run, and what is loaded on first use."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT


def _python(code: str) -> str:
    """The last line `code` prints in a fresh interpreter with this checkout's code (nothing preloaded)."""
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    return run.stdout.strip().splitlines()[-1]


def loaded_in_worker(module: str) -> bool:
    """Run in a pool's worker: is `module` there before the worker's task imports anything?"""
    return module in sys.modules


# loaded on first use only: what most re-builds never need (a name the tagger must weigh, mojibake,
# a file that is not UTF-8, a markdown body with a backtick)
ON_FIRST_USE = ["probablepeople", "ftfy", "charset_normalizer", "markdown_it"]


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_definitions_leave_the_rarely_needed_libraries_unloaded():
    code = f"import sys, pipeline.definitions; print([m for m in {ON_FIRST_USE!r} if m in sys.modules])"
    assert _python(code) == "[]"


def test_the_name_tagger_loads_when_a_name_needs_it():
    # probablepeople loads its tagger model on import (~0.08 s)
    code = ("import sys; from pipeline.extract.people import _corporation; "
            "print([_corporation('Acme Holdings Corporation'), _corporation('Jane Smith'), 'probablepeople' in sys.modules])")
    assert _python(code) == "[True, False, True]"


def test_text_repairs_load_their_libraries_when_needed():
    code = ("import sys; from pipeline.model.text import decode_bytes, fix_mojibake; "
            "print([fix_mojibake('Mat\u00c3\u00adas Rivera'), 'ftfy' in sys.modules, "
            "decode_bytes('Se\u00f1or Mart\u00ednez, caf\u00e9 cr\u00e8me'.encode('cp1252')).encoding, "
            "'charset_normalizer' in sys.modules])")
    assert _python(code) == "['Matías Rivera', True, 'cp1252', True]"


def test_a_markdown_body_with_a_backtick_is_rendered_by_markdown_it_py():
    from markdown_it import MarkdownIt

    from pipeline.document.markup import render_markdown

    expected = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table").disable(
        ["code", "blockquote", "lheading"])
    for body in ["a `code` span\nnext line", "[don`t](x) | a |\n|---|\n| b |", "> not a quote `x`\n    not code"]:
        assert render_markdown(body) == expected.render(body)
    assert "<br" in render_markdown("one `x`\ntwo")


def test_corporation_check_is_the_taggers_reading():
    import probablepeople

    from pipeline.extract.people import _corporation

    names = ["Acme Holdings Corporation", "Jane Smith", "Internet Society", "Dr. Anna Meyer", "Acme Widgets LLC",
             "Bob and Bob"]
    for name in names:
        try:
            expected = probablepeople.tag(name)[1] == "Corporation"
        except probablepeople.RepeatedLabelError:
            expected = False
        assert _corporation(name) is expected, name


@pytest.mark.slow  # builds or processes of their own: CI runs it, `pytest -m "not slow"` skips it
def test_pool_workers_have_them_preloaded():
    # a full build reads and parses in pool workers forked from the fork server: it loads them once,
    # so that each worker does not load them again on first use
    code = ("from pipeline.shards import run_sharded; from tests.test_startup_rebuild import loaded_in_worker; "
            f"print([loaded for _, loaded in run_sharded(loaded_in_worker, {ON_FIRST_USE!r}, 2)])")
    assert _python(code) == str([True] * len(ON_FIRST_USE))
