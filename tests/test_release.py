"""Releases: two states of a raw folder (a document added, one changed), published and compared, and
checked with the tools a publisher runs (frictionless for the Data Package, mlcroissant for Croissant)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from frictionless import Package

import schemas
from pipeline.cli import main
from pipeline.outputs.release import ReleaseError, publish_release, verify_release
from tests.conftest import RAW, SEEDS, run_build

TOOLS = Path(sys.executable).parent  # the test environment's console scripts (frictionless, mlcroissant)


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
    assert first.level == "first"
    expected = {"CHANGELOG.md", "DATA_DICTIONARY.md", "README.md", "SHA256SUMS", "cyberdialogue.duckdb",
                "datapackage.json", "croissant.json", "diff.json", "manifest.json"}
    assert expected <= set(first.files) and len([f for f in first.files if f.startswith("parquet/")]) == len(schemas.TABLES)
    assert sorted(f for f in first.files if f.startswith("csv/")) == sorted(f"csv/{n}.csv" for n in schemas.TABLES)
    manifest = json.loads((releases / "1.0.0" / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and manifest["row_counts"]["sessions"] == 3 and manifest["code_version"]
    assert set(manifest["files"]) == set(first.files) - {"SHA256SUMS", "manifest.json"}
    card = (releases / "1.0.0" / "README.md").read_text()
    assert card.startswith("---\npretty_name: cyberdialogue") and "## Cite" in card and "| `sessions` | 3 |" in card
    dictionary = (releases / "1.0.0" / "DATA_DICTIONARY.md").read_text()
    assert "## participants (28 rows)" in dictionary and "'per_' + first 16 hex digits of sha256 of the name key" in dictionary
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


def _frictionless_validate(descriptor: Path) -> dict:
    """`frictionless validate` as a publisher runs it, on the release folder itself."""
    run = subprocess.run([str(TOOLS / "frictionless"), "validate", "--json", str(descriptor)],
                         capture_output=True, text=True, cwd=descriptor.parent)
    report = json.loads(run.stdout)
    assert (run.returncode == 0) == report["valid"], run.stderr
    return report


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_datapackage_validates_with_the_frictionless_tool(two_releases, second, tmp_path):
    _, _, releases, _ = two_releases
    folder = releases / "1.1.0"
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert Package.validate_descriptor(descriptor).valid
    assert descriptor["version"] == "1.1.0" and len(descriptor["resources"]) == len(schemas.TABLES)
    participants = next(r for r in descriptor["resources"] if r["name"] == "participants")
    assert participants["schema"]["primaryKey"] == ["session_id", "person_id"]
    assert {"fields": ["person_id"], "reference": {"resource": "people", "fields": ["person_id"]}} in participants["schema"]["foreignKeys"]
    assert {f["name"]: f["type"] for f in participants["schema"]["fields"]}["roles"] == "array"

    report = _frictionless_validate(folder / "datapackage.json")
    assert report["valid"], [e["message"] for t in report["tasks"] for e in t["errors"]][:5]
    rows = {t["name"]: t["stats"].get("rows", 0) for t in report["tasks"]}  # an empty table reports none
    assert rows == json.loads((folder / "manifest.json").read_text())["row_counts"]  # every row was read and checked

    # the schema really is checked: an agreement kind outside the enum, in a copy of the release
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    agreements = broken / "csv" / "agreements.csv"
    agreements.chmod(0o644)
    agreements.write_text(agreements.read_text().replace(",disagreement,", ",friendship,", 1))
    report = _frictionless_validate(broken / "datapackage.json")
    errors = {e["type"] for t in report["tasks"] for e in t["errors"]}
    assert not report["valid"] and "constraint-error" in errors and "hash-count" in errors


def test_csv_copies_hold_the_parquet_rows(two_releases, second):
    """What frictionless validates is what the Parquet files hold, value for value."""
    _, _, releases, _ = two_releases
    folder = releases / "1.1.0"
    package = Package(str(folder / "datapackage.json"))
    assert [r.name for r in package.resources] == list(schemas.TABLES)
    for resource in package.resources:
        from_csv = [row.to_dict() for row in resource.read_rows()]
        assert from_csv == pl.read_parquet(folder / "parquet" / f"{resource.name}.parquet").to_dicts(), resource.name


@pytest.mark.slow  # whole builds again, or an external validator: CI runs it, `-m "not slow"` skips it
def test_croissant_validates_with_mlcroissant_and_loads_the_parquet_rows(two_releases, second):
    import mlcroissant as mlc

    _, _, releases, _ = two_releases
    folder = releases / "1.1.0"
    run = subprocess.run([str(TOOLS / "mlcroissant"), "validate", "--jsonld", str(folder / "croissant.json")],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "Done." in run.stderr, run.stderr
    assert "WARNING" not in run.stderr, run.stderr  # also no non-standard @context
    document = json.loads((folder / "croissant.json").read_text())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.0" and document["version"] == "1.1.0"
    assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    assert [r.name for r in dataset.metadata.record_sets] == list(schemas.TABLES)

    def plain(value):
        if isinstance(value, bytes):
            return value.decode()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if hasattr(value, "to_pydatetime"):  # sc:Date comes back as a pandas Timestamp
            return value.to_pydatetime().date()
        return None if value != value else value  # NaN: a null number

    for name in ("sessions", "participants", "agreements", "people"):
        records = [{k.split("/", 1)[1]: plain(v) for k, v in r.items()} for r in dataset.records(record_set=name)]
        parquet = pl.read_parquet(folder / "parquet" / f"{name}.parquet").to_dicts()
        assert records == parquet, name
    participants = next(r for r in document["recordSet"] if r["name"] == "participants")
    roles = next(f for f in participants["field"] if f["name"] == "roles")
    assert roles["repeated"] is True and roles["dataType"] == "sc:Text"
    person = next(f for f in participants["field"] if f["name"] == "person_id")
    assert person["references"] == {"field": {"@id": "people/person_id"}}
    assert participants["key"] == [{"@id": "participants/session_id"}, {"@id": "participants/person_id"}]


def test_one_licence_one_contact_and_source_addresses_everywhere(two_releases, second):
    """The licence, publisher and sources come from schemas/dataset.yaml alone."""
    _, _, releases, _ = two_releases
    folder = releases / "1.1.0"
    config = yaml.safe_load((Path(schemas.__file__).parent / "dataset.yaml").read_text())
    assert config["license"]["id"] == "CC-BY-4.0" and config["publisher"]["email"]
    card = (folder / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "cc-by-4.0"
    assert "Creative Commons Attribution 4.0 International" in card and config["publisher"]["email"] in card
    cite = card.split("## Cite")[1].split("##")[0]
    assert "version 1.1.0" in cite and config["publisher"]["email"] in cite and "CC-BY-4.0" in cite
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["licenses"] == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                                    "title": "Creative Commons Attribution 4.0 International"}]
    assert package["contributors"][0]["email"] == config["publisher"]["email"]
    assert all(source.get("path", "x") != "" for source in package["sources"])
    addresses = {s["title"]: s.get("path") for s in package["sources"]}
    assert addresses["Internet Governance Forum workshop proposals"] == "https://www.intgovforum.org/"
    assert addresses["Digital Watch session reports (DiploAI)"] == "https://dig.watch/"
    croissant = json.loads((folder / "croissant.json").read_text())
    assert croissant["license"] == config["license"]["url"] and croissant["publisher"]["email"] == config["publisher"]["email"]
    assert "https://www.sicw.gov.sg/" in croissant["isBasedOn"]
    assert croissant["citeAs"] == cite.strip().splitlines()[0].removeprefix("> ")


def test_the_dictionary_reads_as_rules(two_releases):
    _, _, releases, _ = two_releases
    dictionary = (releases / "1.0.0" / "DATA_DICTIONARY.md").read_text()
    assert "## speaker_labels (1 row)" in dictionary and "## participants (28 rows)" in dictionary
    assert "str_matches(" not in dictionary and "isin(" not in dictionary and "greater_than" not in dictionary
    assert "| `document_id` | text | no | matches `^[a-z]{3}_[0-9a-f]{16}(-\\d+)?$`; unique |" in dictionary
    assert "| `sha256` | text | no | 64 characters |" in dictionary
    assert "one of `agreement`, `similar_viewpoints`" in dictionary and "| `similarity` | number | no | >= 0; <= 1 |" in dictionary


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


def test_a_release_without_change_is_refused_unless_asked(two_releases, second, capsys):
    _, out, releases, _ = two_releases
    assert main(["release", "1.1.1", "--out", str(out), "--releases", str(releases)]) == 1
    err = capsys.readouterr().err
    assert "nothing changed since 1.1.0" in err and "--allow-empty" in err and len(err.strip().splitlines()) == 1
    assert not (releases / "1.1.1").exists()


def test_the_first_release_is_called_first(two_releases, capsys):
    _, out, _, _ = two_releases
    other = out.parent / "elsewhere"
    assert main(["release", "0.1.0", "--out", str(out), "--releases", str(other)]) == 0
    printed = capsys.readouterr().out
    assert "released 0.1.0 (first release)" in printed and "MAJOR" not in printed
    assert "First release." in (other / "0.1.0" / "CHANGELOG.md").read_text()


def test_dagster_release_job(two_releases, second):
    import dagster as dg

    from pipeline.definitions import build_definitions

    _, out, releases, _ = two_releases
    defs = build_definitions(str(RAW), str(out))
    job = defs.get_job_def("release_dataset")

    def release(**config):
        return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, run_config={
            "ops": {"publish_release_op": {"config": {"version": "1.1.1", "releases_dir": str(releases), **config}}}})
    assert not release().success and not (releases / "1.1.1").exists()  # no change: refused
    assert release(allow_empty=True).success and (releases / "1.1.1" / "SHA256SUMS").exists()
    assert json.loads((releases / "1.1.1" / "diff.json").read_text())["required_level"] == "patch"
