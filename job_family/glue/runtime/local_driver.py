"""What a local Spark driver JVM (`make run-job`, the local AWS's Glue runs) starts with."""

# Its heap. A JVM grows its heap to the limit before it collects much, so the limit sets a run's memory:
# at 5M CSV rows, raw_to_conformed's process tree peaked at 2,475 MiB with 2g, 1,808 MiB with 1400m and
# 1,413 MiB with 1g, and took no longer (159, 148, 139 s; docs/benchmarks/throughput.md). Spark spills
# what does not fit in it.
DRIVER_MEMORY = "1g"
