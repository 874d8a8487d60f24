"""Parquet and DuckDB export, atomic publishing, releases, documentation, the build report."""
