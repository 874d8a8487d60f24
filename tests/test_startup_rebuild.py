"""Start-up of a build: what the definitions load before the run, and what is loaded on first use."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def _python(code: str) -> str:
    """The last line `code` prints in a fresh interpreter with this checkout's code (nothing preloaded)."""
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    return run.stdout.strip().splitlines()[-1]


def loaded_in_worker(module: str) -> bool:
    """Run in a pool's worker: is `module` there before the worker's task imports anything?"""
    return module in sys.modules


def test_definitions_leave_the_name_tagger_unloaded_until_a_name_needs_it():
    # probablepeople loads its tagger model on import (~0.08 s): a re-build whose changed documents
    # name no one it must weigh does not pay for it; the first name that needs it loads it
    assert _python("import sys, pipeline.definitions; print('probablepeople' in sys.modules)") == "False"
    code = ("import sys; from pipeline.extract.people import _corporation; "
            "print([_corporation('Microsoft Corporation'), _corporation('Jane Smith'), 'probablepeople' in sys.modules])")
    assert _python(code) == "[True, False, True]"


def test_corporation_check_is_the_taggers_reading():
    import probablepeople

    from pipeline.extract.people import _corporation

    names = ["Microsoft Corporation", "Jane Smith", "Internet Society", "Dr. Anna Meyer", "Acme Widgets LLC",
             "Bob and Bob"]
    for name in names:
        try:
            expected = probablepeople.tag(name)[1] == "Corporation"
        except probablepeople.RepeatedLabelError:
            expected = False
        assert _corporation(name) is expected, name


def test_pool_workers_have_the_name_tagger_preloaded():
    # a full build parses in pool workers forked from the fork server: it loads the tagger once, so
    # that each worker does not load it again on its first name
    code = ("from pipeline.shards import run_sharded; from tests.test_startup_rebuild import loaded_in_worker; "
            "print([loaded for _, loaded in run_sharded(loaded_in_worker, ['probablepeople'] * 2, 2)])")
    assert _python(code) == "[True, True]"
