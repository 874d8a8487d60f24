"""What keeps the house liveable: small functions, the import rule between layers, and the README's
recipe for a new source, followed to the letter with a toy format."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from radon.complexity import cc_visit

from tests.conftest import PROJECT_ROOT

PIPELINE = PROJECT_ROOT / "pipeline"
MAX_COMPLEXITY = 25


def test_no_function_is_too_complex():
    too_complex = [f"{path.relative_to(PROJECT_ROOT)}:{block.lineno} {block.fullname} ({block.complexity})"
                   for path in sorted(PIPELINE.rglob("*.py"))
                   for block in cc_visit(path.read_text(encoding="utf-8"))
                   if block.complexity > MAX_COMPLEXITY]
    assert too_complex == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_domain_never_imports_the_wiring_or_the_developer_tools():
    """Reading, extraction, the model and the stages know nothing of caches, Dagster or outputs
    (caching wraps the stages: pipeline.incremental imports them, never the other way); nothing at run
    time imports devtools (bench, generate) but the CLI commands that run them."""
    domain = ["model", "document", "extract", "sources", "transform", "ingest.py", "parse.py", "stages.py"]
    for folder in domain:
        paths = [PIPELINE / folder] if folder.endswith(".py") else sorted((PIPELINE / folder).rglob("*.py"))
        for path in paths:
            bad = {name for name in _imports(path)
                   if name.startswith(("pipeline.incremental", "pipeline.defs", "pipeline.outputs", "dagster", "devtools"))}
            assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(bad)}"
    for path in sorted(PIPELINE.rglob("*.py")):
        if path.name != "cli.py":
            assert not {n for n in _imports(path) if n.startswith("devtools")}, path


TOY_SOURCE_YAML = """format: toy_minutes
version: "1"
title: Toy meeting minutes
publisher: The Toy Forum
url: https://toy.example/
licence: CC0
row_bounds: {min: 0, max: 10}
"""

TOY_MODULE = '''"""Toy meeting minutes: "MINUTES OF <title>" then "Date:" and "Present:" lines."""
import datetime as dt

from pipeline.document import Document
from pipeline.model.records import Participant, ParsedDocument, SessionRecord
from pipeline.extract.dates import find_dates

FORMAT = "toy_minutes"


def looks_like(text: str) -> int:
    return 10 * text.startswith("MINUTES OF ")


def parse_toy_minutes(doc: Document) -> ParsedDocument | None:
    lines = [line.text for block in doc.blocks for line in block.lines]
    title = lines[0].removeprefix("MINUTES OF ").strip()
    dates = [d for line in lines if line.startswith("Date:") for d in find_dates(line)]
    present = [n.strip() for line in lines if line.startswith("Present:")
               for n in line.removeprefix("Present:").split(";") if n.strip()]
    session = SessionRecord(title=title, date=dt.date(dates[0].year, dates[0].month, dates[0].day) if dates else None,
                            participants=[Participant(name=n, roles=["attendee"]) for n in present])
    return ParsedDocument(format=FORMAT, title=title, sessions=[session])
'''

TOY_DOCUMENT = "MINUTES OF The Toy Forum on Routing Security\n\nDate: 3 March 2025\n\nPresent: Ada Lovelace; Alan Turing\n"


@pytest.mark.slow  # a few builds through the CLI: `pytest -m "not slow"` skips it
def test_a_new_source_is_one_folder(tmp_path):
    """The README's recipe: a folder with source.yaml and a module; nothing else is edited. The build
    detects the format, the schema accepts it, the dictionary and the dataset card name the source."""
    project = tmp_path / "project"
    for folder in ("pipeline", "schemas"):
        shutil.copytree(PROJECT_ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    family = project / "pipeline" / "sources" / "toy_minutes"
    family.mkdir()
    (family / "source.yaml").write_text(TOY_SOURCE_YAML)
    (family / "__init__.py").write_text(TOY_MODULE)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "minutes.txt").write_text(TOY_DOCUMENT)
    out = tmp_path / "out"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    build = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--raw", str(raw), "--out", str(out)],
                           cwd=project, capture_output=True, text=True, env=env, timeout=300)
    assert build.returncode == 0, build.stderr
    documents = pl.read_parquet(out / "parquet" / "documents.parquet")
    assert documents.select("format", "status").rows() == [("toy_minutes", "parsed")]
    sessions = pl.read_parquet(out / "parquet" / "sessions.parquet")
    assert sessions.select("title", "date").rows()[0][0] == "The Toy Forum on Routing Security"
    assert str(sessions["date"][0]) == "2025-03-03"
    people = sorted(pl.read_parquet(out / "parquet" / "people.parquet")["name"].to_list())
    assert people == ["Ada Lovelace", "Alan Turing"]
    docs = subprocess.run([sys.executable, "-c", "import schemas; from pipeline.outputs import docs; "
                           "counts = {n: 0 for n in schemas.TABLES}; "
                           "print(docs.data_dictionary(counts)); print(docs.dataset_card('1.0.0', counts, {'files': {}, 'released_at': '2026-01-01T00:00:00+00:00', 'previous': None, 'code_version': 'test', 'build_report': None}))"],
                          cwd=project, capture_output=True, text=True, env=env, timeout=120)
    assert docs.returncode == 0, docs.stderr
    assert "toy_minutes" in docs.stdout and "The Toy Forum" in docs.stdout
