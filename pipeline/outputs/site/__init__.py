"""The dataset's static website (`cyberdialogue site`, in every release's site/ folder)."""
from __future__ import annotations

__all__ = ["SITE_DIR", "SiteResult", "build_site"]


def __getattr__(name: str):
    """build.py, imported when it is asked for: a process that renders pages (render.py) needs none of
    what it imports (the pipeline's schemas, the charts' DuckDB)."""
    if name in __all__:
        from pipeline.outputs.site import build
        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
