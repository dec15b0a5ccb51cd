"""`make bench`: our Spark jobs against a seed-style Spark baseline and DuckDB, side by side in one run.

A benchmark, not a test: it prints a table and writes `docs/benchmarks/latest.json` and a chart.
See bench/README.md.
"""
