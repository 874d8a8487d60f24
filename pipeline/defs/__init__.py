"""Dagster wiring only: one module per stage (ingest, parse, dedup, tables, validate, export), the
release job, the schedule and the sensor. Every rule lives in the stages the assets call.

raw_documents -> parsed_documents -> duplicate_clusters -> {one asset per table} -> parquet_files
-> duckdb_database -> site, build_report
"""
from pipeline.defs.dedup import duplicate_clusters
from pipeline.defs.export import build_report, duckdb_database, export_checks, parquet_files, site
from pipeline.defs.ingest import raw_documents
from pipeline.defs.parse import parsed_documents
from pipeline.defs.release import release_dataset
from pipeline.defs.resources import BuildSettings, ReleasingMemoryIOManager, StageIOManager, input_readers
from pipeline.defs.tables import dataset_tables
from pipeline.defs.validate import table_checks

all_assets = [raw_documents, parsed_documents, duplicate_clusters, dataset_tables, parquet_files, duckdb_database,
              site, build_report]

__all__ = ["BuildSettings", "ReleasingMemoryIOManager", "StageIOManager", "all_assets", "export_checks", "input_readers",
           "release_dataset", "table_checks"]
