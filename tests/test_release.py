"""Releases: two states of a raw folder (a document added, one changed), published and compared."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import polars as pl
import pytest
from frictionless import Package, Resource, Schema

from pipeline.cli import main
from pipeline.release import ReleaseError, publish_release, verify_release
from tests.conftest import RAW, SEEDS, run_build


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    raw = base / "raw"
    raw.mkdir()
    for key, name in SEEDS.items():
        if key != "concept":
            shutil.copy(RAW / name, raw / name)
    out, releases = base / "out", base / "releases"
    assert run_build(raw, out).success
    first = publish_release("1.0.0", out, releases)
    # state B: the concept note added, the SICW live page changed (its description gains a sentence)
    shutil.copy(RAW / SEEDS["concept"], raw / SEEDS["concept"])
    page = (raw / SEEDS["sicw"]).read_text()
    (raw / SEEDS["sicw"]).write_text(page.replace("digital landscape.", "digital landscape. Registration is free."))
    assert run_build(raw, out).success
    return base, out, releases, first


def test_first_release_files(two_releases):
    _, _, releases, first = two_releases
    assert first.level == "major"
    expected = {"CHANGELOG.md", "DATA_DICTIONARY.md", "README.md", "SHA256SUMS", "cyberdialogue.duckdb",
                "datapackage.json", "diff.json", "manifest.json"}
    assert expected <= set(first.files) and len([f for f in first.files if f.startswith("parquet/")]) == 14
    manifest = json.loads((releases / "1.0.0" / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["row_counts"]["sessions"] == 3 and manifest["code_version"]
    assert set(manifest["files"]) == set(first.files) - {"SHA256SUMS", "manifest.json"}
    card = (releases / "1.0.0" / "README.md").read_text()
    assert card.startswith("---\npretty_name: cyberdialogue") and "## Cite" in card and "| `sessions` | 3 |" in card
    dictionary = (releases / "1.0.0" / "DATA_DICTIONARY.md").read_text()
    assert "## participants (28 rows)" in dictionary and "'per_' + sha256 of the name key" in dictionary
    assert verify_release(releases / "1.0.0") == []


def test_version_rule_refuses_a_too_small_bump(two_releases):
    _, out, releases, _ = two_releases
    with pytest.raises(ReleaseError, match=r"PATCH bump but the changes need MINOR \(at least 1\.1\.0\)"):
        publish_release("1.0.1", out, releases)
    with pytest.raises(ReleaseError, match="not above the latest release 1.0.0"):
        publish_release("0.9.0", out, releases)
    with pytest.raises(ReleaseError, match="not MAJOR.MINOR.PATCH"):
        publish_release("1.1", out, releases)
    assert not (releases / "1.0.1").exists()


@pytest.fixture(scope="module")
def second(two_releases):
    _, out, releases, _ = two_releases
    return publish_release("1.1.0", out, releases)


def test_diff_between_the_two_states(two_releases, second):
    _, _, releases, _ = two_releases
    diff = json.loads((releases / "1.1.0" / "diff.json").read_text())
    assert diff["previous"] == "1.0.0" and diff["required_level"] == "minor"
    tables = diff["tables"]
    assert (tables["sessions"]["rows_added"], tables["sessions"]["rows_removed"], tables["sessions"]["rows_changed"]) == (1, 0, 1)
    assert (tables["documents"]["rows_added"], tables["documents"]["rows_removed"]) == (2, 1)
    assert tables["session_items"]["rows_added"] == 3  # the concept note's key topics
    assert tables["people"]["rows_added"] == 0 and tables["people"]["rows_changed"] == 0
    assert all(not t["columns_added"] and not t["columns_removed"] and not t["columns_retyped"] for t in tables.values())
    changelog = (releases / "1.1.0" / "CHANGELOG.md").read_text()
    assert "## 1.1.0" in changelog and "## 1.0.0" in changelog and "| sessions | 1 | 0 | 1 | - |" in changelog


def test_first_and_last_seen_are_carried_forward(two_releases, second):
    _, _, releases, _ = two_releases
    sessions = pl.read_parquet(releases / "1.1.0" / "parquet" / "sessions.parquet")
    seen = {r["title"]: (r["first_seen"], r["last_seen"]) for r in sessions.to_dicts()}
    assert seen["Solidarity in Cyberspace: How To Assist Countries in Need"] == ("1.0.0", "1.1.0")
    assert seen["Enhancing International Cooperation for Safe and Secure Cyberspace"] == ("1.1.0", "1.1.0")
    people = pl.read_parquet(releases / "1.1.0" / "parquet" / "people.parquet")
    assert set(people["first_seen"]) == {"1.0.0"} and set(people["last_seen"]) == {"1.1.0"}


def test_a_release_is_never_overwritten(two_releases, second, capsys):
    _, out, releases, _ = two_releases
    assert main(["release", "1.1.0", "--out", str(out), "--releases", str(releases)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["release", "--list", "--out", str(out), "--releases", str(releases)]) == 0
    listing = capsys.readouterr().out
    assert listing.index("1.0.0") < listing.index("1.1.0")


def test_verify_catches_a_modified_file(two_releases, second, tmp_path, capsys):
    _, out, releases, _ = two_releases
    copy = tmp_path / "releases"
    shutil.copytree(releases, copy)
    assert main(["verify", "1.1.0", "--releases", str(copy)]) == 0
    target = copy / "1.1.0" / "parquet" / "people.parquet"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes() + b"tampered")
    assert main(["verify", "1.1.0", "--releases", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "MISMATCH parquet/people.parquet: checksum mismatch" in err
    # a release is not diffed against a tampered one
    with pytest.raises(ReleaseError, match="fails verification"):
        publish_release("2.0.0", out, copy)


def test_datapackage_validates_with_frictionless(two_releases, second):
    _, _, releases, _ = two_releases
    folder = releases / "1.1.0"
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert Package.validate_descriptor(descriptor).valid
    assert descriptor["version"] == "1.1.0" and len(descriptor["resources"]) == 14
    participants = next(r for r in descriptor["resources"] if r["name"] == "participants")
    assert participants["schema"]["primaryKey"] == ["session_id", "person_id"]
    assert {"fields": ["person_id"], "reference": {"resource": "people", "fields": ["person_id"]}} in participants["schema"]["foreignKeys"]

    def package(mutate=None):
        resources = []
        for resource in descriptor["resources"]:
            df = pl.read_parquet(folder / resource["path"])
            rows = [list(r) for r in df.rows()]
            if mutate and resource["name"] == mutate[0]:
                rows[0][df.columns.index(mutate[1])] = mutate[2]
            resources.append(Resource(name=resource["name"], data=[df.columns, *rows],
                                      schema=Schema.from_descriptor(resource["schema"])))
        return Package(resources=resources)

    report = package().validate()
    assert report.valid, [e.message for t in report.tasks for e in t.errors][:5]
    broken = package(("agreements", "kind", "friendship")).validate()  # the schema really is checked
    assert not broken.valid


def test_release_folder_copied_elsewhere_opens_in_duckdb(two_releases, second, tmp_path):
    _, _, releases, _ = two_releases
    copy = tmp_path / "somewhere" / "cyberdialogue-1.1.0"
    shutil.copytree(releases / "1.1.0", copy)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    script = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
              "print(c.execute(\"SELECT count(*), min(first_seen) FROM sessions\").fetchone())")
    printed = subprocess.run([sys.executable, "-c", script, str(copy / "cyberdialogue.duckdb")], cwd=cwd,
                             capture_output=True, text=True, check=True).stdout.strip()
    assert printed == "(4, '1.0.0')"


def test_dagster_release_job(two_releases, second):
    import dagster as dg

    from pipeline.definitions import build_definitions

    _, out, releases, _ = two_releases
    defs = build_definitions(str(RAW), str(out))
    job = defs.get_job_def("release_dataset")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config={
        "ops": {"publish_release_op": {"config": {"version": "1.1.1", "releases_dir": str(releases)}}}})
    assert result.success and (releases / "1.1.1" / "SHA256SUMS").exists()
    assert json.loads((releases / "1.1.1" / "diff.json").read_text())["required_level"] == "patch"
