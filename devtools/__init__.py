"""Developer tools outside the runtime package: synthetic corpus, benchmarks, the labelled dedup set."""
