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


def test_the_index_schema_is_looked_up_until_found_and_again_after_a_wipe(instance, monkeypatch):
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    storage = instance.event_log_storage
    asked = []
    plain = SqliteEventLogStorage.has_table
    monkeypatch.setattr(SqliteEventLogStorage, "has_table", lambda self, name: asked.append(name) or plain(self, name))
    # a table the index lacks is asked for every time (a migration may add it) ...
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert asked.count("no_such_table") == 2
    # ... one it has, once, however many check events ask
    assert dg.materialize([tiny, tiny_is_one], instance=instance).success
    assert dg.materialize([tiny, tiny_is_one], instance=instance).success
    assert asked.count("asset_check_executions") == 1
    assert storage.has_asset_key_col("last_materialization_timestamp")
    assert storage.has_asset_key_col("no_such_column") is False
    storage.wipe()
    assert storage.has_table("asset_check_executions")
    assert asked.count("asset_check_executions") == 2
    # and the check results are where Dagster reads them
    result = dg.materialize([tiny, tiny_is_one], instance=instance)
    check = dg.AssetCheckKey(dg.AssetKey("tiny"), "tiny_is_one")
    assert instance.event_log_storage.get_asset_check_execution_history(check, limit=5)[0].run_id == result.run_id
