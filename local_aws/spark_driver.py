"""A warm Spark driver JVM that local Glue runs connect to, one run at a time.

    python -m local_aws.spark_driver <log file>

Started by `local_aws.spark_drivers.DriverPool` with `PYSPARK_SUBMIT_ARGS` (jars, driver memory and
JVM options, the embedded S3 endpoint) and the Glue version's Spark first on `PYTHONPATH`. It starts the
JVM the way `pyspark` does (`launch_gateway`: spark-submit's Python gateway server), prints one JSON
line `{"port": ..., "secret": ...}` and then waits for the end of its standard input. Each run is a
fresh Python process given `PYSPARK_GATEWAY_PORT` and `PYSPARK_GATEWAY_SECRET`, which is how pyspark
connects to an existing JVM instead of starting one: it creates its own SparkContext and session and
stops them when it ends (`local_aws.glue_entry`). The JVM's own log goes to `<log file>`.

When standard input ends (the pool closes it, or the owner died) the JVM is stopped and the process
exits; the JVM also exits by itself when this process dies (its standard input is a pipe from here).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    (log_path,) = argv
    from pyspark.java_gateway import launch_gateway

    with Path(log_path).open("ab") as log:
        gateway: Any = launch_gateway(popen_kwargs={"stdout": log, "stderr": log})  # type: ignore[no-untyped-call]
        parameters = gateway.gateway_parameters
        print(json.dumps({"port": parameters.port, "secret": parameters.auth_token}), flush=True)
        sys.stdin.read()  # until the pool closes the pipe
        process = gateway.proc
        gateway.shutdown()
        process.stdin.close()  # the gateway JVM exits at the end of its standard input
        try:
            process.wait(timeout=30)
        except Exception:
            process.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
