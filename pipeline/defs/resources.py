"""What every asset is given: the build's folders and switches, the IO manager for runs with a process per step, and the per-stage meter."""
import os
import pickle
import time
from pathlib import Path

import dagster as dg
import polars as pl
from tabulate import tabulate

import schemas
from pipeline.files import write_atomically
from pipeline.memory import OwnMemoryPeak, give_back_free_pages
from pipeline.project import find_project


# The folders of the project the code location runs in (pipeline/project.py); CYBERDIALOGUE_* override them.
PROJECT = find_project()


_RAW = os.environ.get("CYBERDIALOGUE_RAW", str(PROJECT.raw))


class BuildSettings(dg.ConfigurableResource):
    """Where the raw documents are and where the build writes (defaults: the project's raw/ and output/)."""
    raw_dir: str = _RAW
    out_dir: str = os.environ.get("CYBERDIALOGUE_OUT", str(PROJECT.out))
    # reviewed row-count bounds (the project file's `bounds`, for its own raw folder only); empty: no bounds
    bounds_file: str = os.environ.get("CYBERDIALOGUE_BOUNDS", str(PROJECT.bounds_for(_RAW) or ""))
    # reviewed merge / split decisions about people, applied on every run
    overrides_file: str = os.environ.get("CYBERDIALOGUE_OVERRIDES", str(PROJECT.overrides))
    # publish a build that loses more than half of a table's rows against the current one, or has
    # no readable document (the `shrink` check blocks it otherwise)
    allow_shrink: bool = os.environ.get("CYBERDIALOGUE_ALLOW_SHRINK", "").lower() in ("1", "true", "yes")
    # what earlier builds read, parsed and assembled is reused from <out_dir>/.cache (pipeline/incremental/);
    # False reads, parses and builds everything again (and refreshes the caches)
    use_cache: bool = True
    # where parses are kept (any fsspec URL); empty: <out_dir>/.cache/parse. A cluster build into an
    # output URL keeps them there, so that its workers read and write them without the driver
    parse_cache: str = ""
    show_progress: bool = False   # a progress bar on the terminal (the CLI turns it on)


class StageIOManager(dg.ConfigurableIOManager):
    """Keeps each asset's value between steps as a pickle under <out_dir>/.stages/ (polars frames pickle natively)."""
    settings: dg.ResourceDependency[BuildSettings]

    def _path(self, context) -> Path:
        return Path(self.settings.out_dir) / ".stages" / ("__".join(context.asset_key.path) + ".pickle")

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        def dump(tmp: Path) -> None:
            with open(tmp, "wb") as handle:
                pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(self._path(context), dump)

    def load_input(self, context: dg.InputContext):
        with open(self._path(context), "rb") as handle:
            return pickle.load(handle)


def _drop_captured_output(context: dg.OutputContext) -> None:
    """`execute_in_process` also keeps every output value, the whole run long, for
    `result.output_for_node()`: that would hold the parses and the tables to the end whatever this
    manager lets go. Its runs (the CLI's) read their results from the events and the output
    folder, so the captured copy is dropped and the value lives here only."""
    try:
        capture = context.step_context.output_capture
    except dg.DagsterInvariantViolationError:  # a context built outside a run: nothing was captured
        return
    if capture:
        for handle in [h for h in capture if h.step_key == context.step_key and h.output_name == context.name]:
            del capture[handle]


class ReleasingMemoryIOManager(dg.InMemoryIOManager):
    """Each value in memory (the CLI's one-process run) until the last input that reads it has: the
    parses do not stay while the tables are exported, nor the tables while the site is written.
    `readers` counts the inputs of the graph that read each asset (see input_readers); a value
    whose readers do not all run (a subset of the graph, a blocked step) stays until the run ends."""

    def __init__(self, readers: dict[tuple[str, ...], int]):
        super().__init__()
        self.readers = readers
        self.unread: dict[tuple, int] = {}

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        _drop_captured_output(context)
        readers = self.readers.get(tuple(context.asset_key.path), 0) if context.has_asset_key else None
        if readers != 0:  # a value nothing reads (the site's, the report's) is not kept at all
            super().handle_output(context, obj)
            self.unread[tuple(context.get_identifier())] = readers

    def load_input(self, context: dg.InputContext):
        keys = tuple(context.get_identifier())
        if keys not in self.values:
            raise KeyError(f"{'/'.join(context.upstream_output.asset_key.path)}: value already released or never made")
        value = self.values[keys]
        left = self.unread.get(keys)
        if left is not None:
            self.unread[keys] = left - 1
            if left <= 1:
                del self.values[keys], self.unread[keys]
        return value


def input_readers(definitions) -> dict[tuple[str, ...], int]:
    """How many inputs of these asset and check definitions load each asset (a `deps` edge loads nothing)."""
    readers: dict[tuple[str, ...], int] = {}
    for definition in definitions:
        for name, key in definition.keys_by_input_name.items():
            if not definition.node_def.input_def_named(name).dagster_type.is_nothing:
                readers[tuple(key.path)] = readers.get(tuple(key.path), 0) + 1
    return readers


class StageMeter:
    """Wall time and peak memory of one stage, from its creation to stop() (this process only; worker
    processes are not counted): the peak resident size, and the peak of the process's own memory
    (resident less the pages of files on disk, such as tables read through memory maps, which the
    kernel may drop and read again; see OwnMemoryPeak)."""

    def __init__(self):
        give_back_free_pages()  # what the stages before freed goes back before this one is measured
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # reset the peak, so that it is this stage's
        except OSError:
            pass
        self.started = time.perf_counter()
        self.own = OwnMemoryPeak()

    def stop(self) -> dict:
        heap_mb = self.own.stop()
        peak_mb = None
        try:
            with open("/proc/self/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak_mb = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return {"seconds": round(time.perf_counter() - self.started, 3), "peak_rss_mb": peak_mb,
                "peak_heap_mb": heap_mb}


def preview(df: pl.DataFrame, rows: int = 5) -> dg.MetadataValue:
    shown = df.head(rows).to_dicts()
    cells = [[(str(v)[:60] + "…") if v is not None and len(str(v)) > 60 else v for v in row.values()] for row in shown]
    return dg.MetadataValue.md(tabulate(cells, headers=df.columns, tablefmt="github"))


def column_schema(name: str) -> dg.TableSchema:
    descriptions = schemas.column_descriptions(name)
    return dg.TableSchema(columns=[
        dg.TableColumn(name=col, type=str(dtype), description=descriptions.get(col) or None)
        for col, dtype in schemas.columns(name).items()
    ])
