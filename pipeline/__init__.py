"""cyberdialogue: raw documents about cyber-policy sessions -> an open dataset (see README.md)."""
import os

# polars' allocator (its own jemalloc) keeps the pages a stage frees for up to ten seconds, and a build's
# stages follow each other faster than that: the driver then carries each stage's garbage into the next.
# Given back at once (a background thread does it), the driver's peak at 50k documents is ~70 MB lower, at
# no cost beyond noise (55.0 -> 55.4 s, docs/performance.md). Read when polars first loads, by this
# process and the workers it starts; a value the user set is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0")

# pyarrow's default pool (mimalloc) keeps what it freed as well: after the Parquet stage converts its
# largest tables the driver held ~140 MB more through the database and site stages at 50k documents.
# The system allocator gives large blocks back when they are freed (Parquet stage peak 475 -> 405 MB,
# no slower: docs/performance.md). Read when pyarrow first loads; a value the user set is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
