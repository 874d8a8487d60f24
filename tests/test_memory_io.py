"""The CLI's in-memory I/O manager lets go of a value once every input that reads it has read it."""
import gc
import weakref

import dagster as dg
import polars as pl

import schemas
from pipeline.defs import ReleasingMemoryIOManager, all_assets, export_checks, input_readers, table_checks
from pipeline.definitions import build_definitions
from tests.conftest import RAW

seen: dict[str, list] = {}


@dg.asset
def numbers() -> pl.DataFrame:
    return pl.DataFrame({"n": [1, 2, 3]})


@dg.asset(deps=[numbers])
def ordered_after() -> int:  # a deps edge: runs after numbers, loads nothing
    return 0


@dg.asset
def total(numbers: pl.DataFrame) -> int:
    return int(numbers["n"].sum())


@dg.asset_check(asset=total, additional_ins={"numbers": dg.AssetIn("numbers")})
def total_is_six(total: int, numbers: pl.DataFrame) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=total == 6)


@dg.asset
def doubled(numbers: pl.DataFrame, total: int) -> int:
    manager = seen["manager"]
    seen["held while doubled ran"] = sorted(step for _, step, _ in manager.values)
    return int(numbers["n"].sum()) * 2 + total


def test_readers_are_counted_per_loading_input():
    readers = input_readers([numbers, ordered_after, total, total_is_six, doubled])
    assert readers == {("numbers",): 3, ("total",): 2}


def test_values_are_released_after_their_last_reader():
    manager = ReleasingMemoryIOManager(input_readers([numbers, ordered_after, total, total_is_six, doubled]))
    seen["manager"] = manager
    result = dg.materialize([numbers, ordered_after, total, total_is_six, doubled], resources={"io_manager": manager})
    assert result.success
    assert result.get_asset_check_evaluations()[0].passed
    # ordered_after is read by no input: never kept; the others only while the check may still read them
    assert set(seen["held while doubled ran"]) <= {"numbers", "total"}
    assert manager.values == {} and manager.unread == {}


@dg.asset
def big_frame() -> pl.DataFrame:
    frame = pl.DataFrame({"n": list(range(1000))})
    seen["big_frame"] = weakref.ref(frame)
    return frame


@dg.asset
def frame_rows(big_frame: pl.DataFrame) -> int:
    return big_frame.height


def test_a_released_value_is_gone_though_the_run_captures_outputs():
    """execute_in_process (dg.materialize) keeps every output for result.output_for_node(); the manager
    drops that copy, so a value read by its last reader is freed while the run's result lives on."""
    manager = ReleasingMemoryIOManager(input_readers([big_frame, frame_rows]))
    result = dg.materialize([big_frame, frame_rows], resources={"io_manager": manager})
    assert result.success and manager.values == {}
    # nothing reachable holds it: a collection frees it even if it sat in a cycle of the run's
    # frames (whether one ran by now depends on what ran before in this process)
    gc.collect()
    assert seen["big_frame"]() is None


def test_a_value_whose_readers_do_not_run_stays():
    manager = ReleasingMemoryIOManager(input_readers([numbers, total, doubled]))
    result = dg.materialize([numbers, total], resources={"io_manager": manager})  # doubled is not in this run
    assert result.success
    assert sorted(step for _, step, _ in manager.values) == ["numbers", "total"]
    assert manager.unread == {k: 1 for k in manager.values}


def test_a_build_of_the_seeds_releases_every_value(tmp_path):
    defs = build_definitions(str(RAW), str(tmp_path / "out"), in_process=True, use_cache=False)
    manager = defs.resources["io_manager"]
    assert isinstance(manager, ReleasingMemoryIOManager)
    assert manager.readers == input_readers([*all_assets, *table_checks, *export_checks])
    assert manager.readers[("parsed_documents",)] == 2
    # every table is read by the one step of the table checks and by parquet_files; raw_documents by the
    # parse, the tables and the checks
    assert {k[0]: n for k, n in manager.readers.items() if k[0] in schemas.TABLES} == {t: 2 for t in schemas.TABLES}
    assert manager.readers[("raw_documents",)] == 3
    result = defs.resolve_job_def("build").execute_in_process(raise_on_error=False)
    assert result.success
    assert manager.values == {}  # every table, the parses and the raw rows were let go once read
    assert pl.read_parquet(tmp_path / "out" / "parquet" / "sessions.parquet").height > 0


def test_a_context_built_outside_a_run_is_handled():
    """Unit tests build output contexts without a run: nothing was captured, the value is kept."""
    manager = ReleasingMemoryIOManager({("a",): 1})
    manager.handle_output(dg.build_output_context(asset_key="a", name="result", step_key="s"), 5)
    assert list(manager.values.values()) == [5] and list(manager.unread.values()) == [1]
