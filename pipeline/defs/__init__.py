"""Dagster wiring only: assets, checks, jobs, schedule and sensor call the stages."""
