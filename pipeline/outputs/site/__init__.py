"""The dataset's static website (`cyberdialogue site`, in every release's site/ folder)."""
from pipeline.outputs.site.build import SITE_DIR, SiteResult, build_site

__all__ = ["SITE_DIR", "SiteResult", "build_site"]
