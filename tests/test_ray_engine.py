"""The Ray engine's submission, against a stand-in for Ray's API (the real cluster: tests/test_cluster.py):
results come in shard order, and no more tasks are out at once than the window allows."""
from __future__ import annotations

import sys
import time
import types

from pipeline.engine import ray as ray_engine
from pipeline.engine.ray import TASKS_PER_CPU, RayEngine


class _StandInRay(types.ModuleType):
    """remote / get / cluster_resources as the engine calls them; counts the tasks out at once."""

    def __init__(self, cpus: int):
        super().__init__("ray")
        self.cpus, self.out, self.most_out, self.submitted = cpus, 0, 0, []
        self.serializers = {}
        self.util = types.SimpleNamespace(register_serializer=self._register_serializer)

    def _register_serializer(self, cls, *, serializer, deserializer):
        self.serializers[cls] = (serializer, deserializer)

    def remote(self, **options):
        assert options == {"max_retries": ray_engine.TASK_RETRIES, "retry_exceptions": False}
        stand_in = self

        class _Remote:
            def __init__(self, function):
                self.function = function

            def remote(self, *args):
                stand_in.submitted.append(args[1])  # (function, shard[, payload folder])
                stand_in.out += 1
                stand_in.most_out = max(stand_in.most_out, stand_in.out)
                return ("ref", self.function, args)

        return _Remote

    def get(self, ref):
        self.out -= 1
        _, function, args = ref
        return function(*args)

    def cluster_resources(self):
        return {"CPU": float(self.cpus)}


def _engine(monkeypatch, cpus: int) -> tuple[RayEngine, _StandInRay]:
    stand_in = _StandInRay(cpus)
    monkeypatch.setitem(sys.modules, "ray", stand_in)
    engine = RayEngine.__new__(RayEngine)  # no cluster: only map is exercised
    engine.tasks = 0
    return engine, stand_in


def test_results_come_in_shard_order_with_a_window_of_tasks_out(monkeypatch):
    engine, ray = _engine(monkeypatch, cpus=2)
    shards = list(range(25))
    taken = []
    for shard, result in engine.map(lambda n: n * n, shards):
        taken.append((shard, result))
        # when a result is taken, the next task is already submitted: the window stays full
        assert len(ray.submitted) == min(len(shards), len(taken) + 2 * TASKS_PER_CPU)
    assert taken == [(n, n * n) for n in shards]
    assert ray.most_out == 2 * TASKS_PER_CPU and ray.submitted == shards and engine.tasks == 25


def test_a_stage_with_fewer_tasks_than_the_window_submits_them_all_at_once(monkeypatch):
    engine, ray = _engine(monkeypatch, cpus=8)
    results = engine.map(str.upper, ["a", "b", "c"])
    assert next(results) == ("a", "A") and ray.submitted == ["a", "b", "c"]
    assert list(results) == [("b", "B"), ("c", "C")] and ray.out == 0


def test_a_cluster_reporting_no_cpu_still_has_two_tasks_out(monkeypatch):
    engine, ray = _engine(monkeypatch, cpus=0)
    assert engine.tasks_at_once() == 2
    assert [r for _, r in engine.map(abs, [-1, -2, -3, -4])] == [1, 2, 3, 4] and ray.most_out == 2


def test_frames_travel_as_arrow_buffers_read_in_place_and_come_back_equal(monkeypatch):
    import pickle

    import polars as pl

    engine, ray = _engine(monkeypatch, cpus=1)
    frame = pl.DataFrame({"text": ["a long enough text to sit in a buffer", None, "é"], "n": [1, 2, None],
                          "names": [["x", None], [], None]})
    assert list(engine.map(lambda shard: {"rows": frame.head(shard)}, [1, 3]))[1][1]["rows"].equals(frame)
    serializer, deserializer = ray.serializers[pl.DataFrame]  # registered by the driver and each task
    assert (serializer, deserializer) == (ray_engine.frame_to_arrow, ray_engine.frame_from_arrow)
    # through pickle protocol 5 with out-of-band buffers, as Ray sends them: the rows are in the buffer
    buffers = []
    message = pickle.dumps(serializer(frame), protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and len(message) < 200
    for file_bytes in (1 << 30, 1):  # copied into the heap, or (a big frame) a temporary file mapped
        monkeypatch.setattr(ray_engine, "FRAME_FILE_BYTES", file_bytes)
        back = deserializer(pickle.loads(message, buffers=[b.raw() for b in buffers]))
        assert back.equals(frame) and back.schema == frame.schema
    assert deserializer(pickle.loads(pickle.dumps(serializer(frame.clear()), protocol=5))).equals(frame.clear())


def test_large_shards_and_results_travel_as_files_and_go_once_taken(monkeypatch, tmp_path):
    import polars as pl

    from pipeline.engine.transfer import PayloadFile, PayloadFolder

    engine, ray = _engine(monkeypatch, cpus=1)
    engine.payloads = PayloadFolder(str(tmp_path / "payloads"))
    big = pl.DataFrame({"n": list(range(20_000)), "text": [f"row {i}" for i in range(20_000)]})
    seen = []

    def task(shard):
        seen.append(shard)
        return {"rows": shard.head(5_000) if isinstance(shard, pl.DataFrame) else shard}

    returned = []
    get = ray.get
    ray.get = lambda ref: returned.append(get(ref)) or returned[-1]
    results = list(engine.map(task, [big, "small", big.head(2)]))
    # the big shard and its big result went as files; the small ones as themselves
    assert isinstance(ray.submitted[0], PayloadFile) and ray.submitted[1] == "small" and ray.submitted[2].equals(big.head(2))
    assert isinstance(returned[0], PayloadFile) and returned[1] == {"rows": "small"}
    assert seen[0].equals(big) and seen[1] == "small"
    assert results[0][1]["rows"].equals(big.head(5_000)) and results[1][1] == {"rows": "small"}
    assert results[2][1]["rows"].equals(big.head(2))
    assert list((tmp_path / "payloads").iterdir()) == []  # each file removed once its result was taken


def test_session_batches_are_smaller_only_through_the_object_store(monkeypatch, tmp_path):
    from pipeline.engine.transfer import PayloadFolder

    engine, _ = _engine(monkeypatch, cpus=1)
    assert engine.session_batch == 500  # through the object store
    engine.payloads = PayloadFolder(str(tmp_path))
    assert engine.session_batch is None  # through payload files: assembly's own size


def test_every_engine_of_a_process_reports_what_starting_ray_cost_it(monkeypatch):
    stand_in = _StandInRay(cpus=1)
    started = []
    stand_in.is_initialized = lambda: bool(started)
    stand_in.init = lambda **options: started.append(options["address"]) or time.sleep(0.01)
    monkeypatch.setitem(sys.modules, "ray", stand_in)
    monkeypatch.setattr(ray_engine, "_STARTED", [])
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    folders = []
    monkeypatch.setattr(ray_engine.atexit, "register", folders.append)
    first = RayEngine()
    second = RayEngine()  # the parse stage's engine: Ray was started by the raw stage's
    for remove in folders:  # each engine's payload folder (a Ray started here), as at exit
        remove()
    assert started == ["local"] and first.startup_seconds >= 0.01
    assert second.startup_seconds == first.startup_seconds and len(folders) == 2
