"""The project instance's event log keeps its SQLite connections open; what it stores is Dagster's."""
from pathlib import Path

import dagster as dg
import pytest

from pipeline.defs.event_log import KEPT_DATABASES, KeptConnectionSqliteEventLogStorage, with_kept_connections


@dg.asset
def tiny() -> int:
    return 1


@dg.asset_check(asset=tiny)
def tiny_is_one(tiny: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=tiny == 1)


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with with_kept_connections(home) as inst:
        yield inst


def test_records_runs_where_dagsters_default_instance_reads_them(instance, tmp_path):
    storage = instance.event_log_storage
    assert isinstance(storage, KeptConnectionSqliteEventLogStorage)
    assert Path(storage._base_dir) == tmp_path / "dagster" / "history" / "runs"
    runs = [dg.materialize([tiny, tiny_is_one], instance=instance) for _ in range(3)]
    assert all(r.success for r in runs)
    for result in runs:  # every event of every run reads back, in order
        logs = instance.all_logs(result.run_id)
        kinds = [e.dagster_event.event_type for e in logs if e.is_dagster_event]
        assert kinds.count(dg.DagsterEventType.RUN_START) == 1
        assert kinds[-1] == dg.DagsterEventType.RUN_SUCCESS
        assert dg.DagsterEventType.ASSET_MATERIALIZATION in kinds
        assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in kinds
    # the cross-run index (assets.db) has the last materialization and the check's evaluation
    latest = instance.get_latest_materialization_event(dg.AssetKey("tiny"))
    assert latest.run_id == runs[-1].run_id
    assert (Path(storage._base_dir) / f"{runs[0].run_id}.db").exists()
    # the same folder opened by Dagster's own default storage sees the same runs and events
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert {r.run_id for r in plain.get_runs()} == {r.run_id for r in runs}
        assert len(plain.all_logs(runs[1].run_id)) == len(instance.all_logs(runs[1].run_id))
        assert plain.get_latest_materialization_event(dg.AssetKey("tiny")).run_id == runs[-1].run_id


def test_open_connections_are_bounded_and_closed_before_a_wipe(instance, monkeypatch):
    from pipeline.defs import event_log

    assert KEPT_DATABASES >= 2
    monkeypatch.setattr(event_log, "KEPT_DATABASES", 3)  # the same bound, reached in fewer runs
    storage = instance.event_log_storage
    run_ids = [dg.materialize([tiny], instance=instance).run_id for _ in range(5)]
    assert 0 < len(storage._engines) <= 3
    assert len(instance.all_logs(run_ids[0])) > 0  # a run whose connection was closed reads back again
    storage.wipe()
    assert set(storage._engines) <= {"index"}  # the index is emptied, not deleted: it may be open again
    assert not any(p.stem in run_ids for p in Path(storage._base_dir).glob("*.db"))
    # and the storage goes on working after the wipe
    again = dg.materialize([tiny], instance=instance)
    assert again.success and instance.all_logs(again.run_id)


def test_an_instance_with_its_own_storage_is_opened_as_configured(tmp_path):
    home = tmp_path / "custom"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nstorage:\n  sqlite:\n    base_dir: " + str(tmp_path / "elsewhere") + "\n")
    with with_kept_connections(home) as inst:
        assert type(inst.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert dg.materialize([tiny], instance=inst).success
    assert (tmp_path / "elsewhere").is_dir()
