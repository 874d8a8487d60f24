"""The project instance's event log: Dagster's SQLite event log, with one open connection per database
file instead of a new engine and connection for every event.

A build records about 300 events; Dagster's storage makes a SQLAlchemy engine, opens a SQLite
connection and compiles the statement again for each (about 1.5 s of a re-build at 100k documents,
0.5 s with connections kept). Connections are kept for the few files used last and are closed before
Dagster deletes files (wipe). The index's schema is looked up once: Dagster asks whether a table or
column exists before each asset check event (with an engine and a connection of its own each time),
and one that exists stays until a wipe. Same files, same tables, same rows: an instance can switch to it and
back. `cyberdialogue build` opens the project's instance with it (`with_kept_connections`) unless the
instance's dagster.yaml configures its own storage (Postgres, say); `dg dev` keeps Dagster's default.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

KEPT_DATABASES = 8  # the index and the runs written or read last (a webserver reads many runs)


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage (same config: base_dir, the folder of the run files and the index)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict = OrderedDict()  # shard -> engine holding one connection
        self._present: set[tuple[str, str]] = set()  # ("table", name) or ("column", name) the index has
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        if shard in self._engines:
            self._engines.move_to_end(shard)  # used last: closed last
            return self._engines[shard]
        # one connection, used under the storage's lock only (so by one thread at a time)
        engine = self._engines[shard] = create_engine(
            self.conn_string_for_shard(shard), poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        while len(self._engines) > KEPT_DATABASES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _has(self, kind: str, name: str, look_up) -> bool:
        """Whether the index has this table or column: asked of SQLite until it has (a migration
        adds them; only a wipe removes them)."""
        if (kind, name) in self._present:
            return True
        found = bool(look_up(name))
        if found:
            self._present.add((kind, name))
        return found

    def has_table(self, table_name: str) -> bool:
        return self._has("table", table_name, super().has_table)

    def has_asset_key_col(self, column_name: str) -> bool:
        return self._has("column", column_name, super().has_asset_key_col)

    def close_connections(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self.close_connections()  # the run files are deleted: no connection may hold them open
        self._present.clear()
        super().wipe()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()


STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def with_kept_connections(home: str | os.PathLike):
    """The Dagster instance of the folder `home`, with the event log above: the same files as
    Dagster's default SQLite storage (runs in history/, events in history/runs/, schedules in
    schedules/). An instance whose dagster.yaml names its own storage is opened as it says."""
    import dagster as dg
    import yaml
    from dagster._core.instance.ref import InstanceRef

    config_file = os.path.join(home, "dagster.yaml")
    with open(config_file, encoding="utf-8") as handle:
        settings = yaml.safe_load(handle) or {}
    if any(key in settings for key in STORAGE_KEYS):
        return dg.DagsterInstance.from_config(str(home))
    runs = os.path.join(os.path.abspath(home), "history", "runs")
    override = {"event_log_storage": {"module": __name__, "class": KeptConnectionSqliteEventLogStorage.__name__,
                                      "config": {"base_dir": runs}}}
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=override))
