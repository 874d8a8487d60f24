"""The release job: publish the current build as an immutable release (pipeline.outputs.release)."""
from pathlib import Path

import dagster as dg

from pipeline.defs.resources import PROJECT, BuildSettings


class ReleaseConfig(dg.Config):
    version: str
    releases_dir: str = ""  # default: the project's releases folder for its output folder, else <out_dir>/releases
    allow_empty: bool = False  # publish even when no table changed since the latest release


@dg.op(description="Publish the current build as an immutable release (same as `cyberdialogue release VERSION`).")
def publish_release_op(context: dg.OpExecutionContext, config: ReleaseConfig, settings: BuildSettings) -> None:
    from pipeline.outputs.release import FIRST, publish_release

    releases = config.releases_dir or (str(PROJECT.releases) if Path(settings.out_dir) == PROJECT.out else None)
    result = publish_release(config.version, settings.out_dir, releases, allow_empty=config.allow_empty)
    kind = "first release" if result.level == FIRST else f"{result.level.upper()} change"
    context.log.info(f"released {result.version} ({kind}) at {result.path}: "
                     + ", ".join(f"{name} {size} B" for name, size in result.files.items()))


@dg.job(description="Publish the current build of the output folder as a release; give the version in the run config.")
def release_dataset():
    publish_release_op()
