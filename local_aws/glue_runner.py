"""Run Glue job runs for real: each `StartJobRun` executes the job's script on local PySpark.

moto only records a job run. While a `GlueJobRunner` is installed, a small hook on moto's
`FakeJob.start_job_run` hands every new run to the runner, and the run reports the runner's state
through `GetJobRun`: STARTING -> RUNNING -> SUCCEEDED, or FAILED / TIMEOUT with `ErrorMessage`.
So `glue:startJobRun.sync`, Retry (e.g. on `ConcurrentRunsExceededException`, which moto raises
from the same state) and Catch behave as in AWS.

A run, like Glue's:
- downloads the script (`Command.ScriptLocation`), `--extra-py-files` (zips and .py files on the
  Python path) and `--extra-files` (into the working folder) from the embedded S3;
- runs the script in a fresh Python process with `--JOB_ID`, `--JOB_RUN_ID`, `--JOB_NAME` and every
  run argument (the job's DefaultArguments merged with the run's, as moto merges them); the process
  connects to a warm Spark driver JVM (`local_aws.spark_drivers`) and starts its own SparkContext and
  session there, which it stops at its end, so a run starts in about a second, not a JVM start; the
  JVMs belong to the process, so the next runner (the next embedded AWS, e.g. the next test module)
  finds them warm;
- gives Spark the s3a jars with `fs.s3.impl = S3AFileSystem` pointed at the embedded endpoint, so
  scripts keep their `s3://` paths; boto3 in the script reaches the same endpoint.
- runs the script on the Spark of the job's `GlueVersion` (`job_family.runtimes`: 5.1 -> the project's
  pyspark 3.5, 6.0 -> pyspark 4.1 from `.tools/spark-4.1/`, first on the script's `PYTHONPATH`).
Runs start up to `parallel_runs` at a time (default: one per core of the machine), each on its own JVM;
`RunQueue` decides which waiting run takes a free slot: fair between jobs (in AWS runs of different jobs
never wait for each other), in arrival order within a job, and a run waits a bounded time for a warm JVM
of its Spark rather than warming up another one beside it. Glue's limit per job (`MaxConcurrentRuns`) is
enforced by moto when a run starts (`ConcurrentRunsExceededException`), as in AWS.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from job_family import runtimes
from job_family.glue.runtime import class_archive
from job_family.glue.runtime.local_driver import DRIVER_MEMORY
from job_family.spec import DEFAULT_GLUE_VERSION
from local_aws.glue_entry import JVM_NOT_CLEAN, RUN_CONF, SCRIPT_FAILED, SUCCEEDED
from local_aws.jars import DEFAULT_DEST, jar_paths, missing_jars
from local_aws.run_queue import LOCALITY_WAIT_S, RunQueue
from local_aws.server import LocalAws
from local_aws.spark_drivers import DriverKey, Lease, WarmDriver, default_max_drivers, shared_pool

_CHILD_ENV_DROPPED = (
    "PYTHONPATH",
    "PYSPARK_SUBMIT_ARGS",
    "PYSPARK_GATEWAY_PORT",
    "PYSPARK_GATEWAY_SECRET",
    "SPARK_HOME",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)
_SPARK_VERSION = re.compile(r'"spark_version":\s*"([^"]+)"')
_active: GlueJobRunner | None = None
_original_start_job_run: Any = None


@dataclass
class JobRunRecord:
    """What happened to one run, for progress output and tests."""

    job_name: str
    run_id: str
    arguments: dict[str, str]
    state: str = "STARTING"
    error_message: str | None = None
    started: float = field(default_factory=time.perf_counter)
    elapsed_s: float | None = None
    log_file: Path | None = None
    driver_log: Path | None = None  # the JVM's own log (Spark's warnings), shared with the runs it served
    warm: bool = False  # the run's JVM had served an earlier run
    spark_version: str | None = None  # the Spark that ran it, from the run report the job printed


@functools.cache
def _executed_run_class() -> type:
    from moto.glue.models import FakeJobRun

    class ExecutedJobRun(FakeJobRun):
        """A FakeJobRun whose state is the local runner's, with the fields AWS reports at the end."""

        local_record: JobRunRecord

        @property
        def status(self) -> str:
            return self.local_record.state

        @status.setter
        def status(self, value: str) -> None:
            self.local_record.state = value

        def as_dict(self) -> dict[str, Any]:
            result: dict[str, Any] = super().as_dict()
            record = self.local_record
            result["JobRunState"] = record.state
            result["GlueVersion"] = getattr(self, "glue_version", result.get("GlueVersion"))
            result["LastModifiedOn"] = self.modified_on
            if record.elapsed_s is None:
                result.pop("CompletedOn", None)
                result["ExecutionTime"] = 0
            else:
                result["CompletedOn"] = self.completed_on
                result["ExecutionTime"] = round(record.elapsed_s)
            if record.error_message:
                result["ErrorMessage"] = record.error_message
            return result

    return ExecutedJobRun


def _hooked_start_job_run(self: Any, *args: Any, **kwargs: Any) -> str:
    run_id: str = _original_start_job_run(self, *args, **kwargs)
    runner = _active
    if runner is not None:
        run = next(run for run in self.job_runs if run.job_run_id == run_id)
        runner.submit(self, run)
    return run_id


def _install_hook() -> None:
    global _original_start_job_run
    from moto.glue.models import FakeJob

    if _original_start_job_run is None:
        _original_start_job_run = FakeJob.start_job_run
        FakeJob.start_job_run = _hooked_start_job_run  # type: ignore[method-assign]


def _split_s3(url: str) -> tuple[str, str]:
    if not url.startswith(("s3://", "s3a://")):
        raise ValueError(f"{url} is not an s3:// location")
    bucket, _, key = url.split("://", 1)[1].partition("/")
    return bucket, key


def spark_submit_args(
    aws: LocalAws,
    jars: list[Path],
    *,
    spark: str,
    cores: int = 2,
    driver_memory: str = DRIVER_MEMORY,
    conf: Mapping[str, str] = {},
) -> str:
    """PYSPARK_SUBMIT_ARGS of a driver JVM for the embedded AWS's runs: the s3a jars, Spark's s3:// and
    s3a:// over HTTPS trusting the embedded AWS's certificate (one per process, `tls`), and the class-data
    archive of its `spark` line (e.g. "3.5") when there is one. Nothing in them names one embedded AWS:
    its endpoint is given to each run (`run_conf`), so a JVM serves the runs of every embedded AWS the
    process starts, one after the other."""
    _, tls = aws.https_listener()
    java_options = (
        f"-Djavax.net.ssl.trustStore={tls.truststore} -Djavax.net.ssl.trustStoreType=PKCS12 "
        f"-Djavax.net.ssl.trustStorePassword={tls.truststore_password} "
        f"{class_archive.java_options(class_archive.archive_for(spark))}"
    ).strip()
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "true",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "spark.hadoop.fs.s3a.attempts.maximum": "2",
        "spark.hadoop.fs.s3a.retry.limit": "2",
        # Fewer S3 calls per write (a rename on S3 is a copy and a delete of every object): directory
        # markers are kept, not deleted after each write below them; tasks commit their files straight
        # into the output folder instead of a job-attempt folder renamed again at job commit. Safe here:
        # the jobs write into a staging folder no reader sees (their run's own, or Spark's `.spark-staging`
        # one of a dynamic partition overwrite) and publish from it by renames.
        "spark.hadoop.fs.s3a.directory.marker.retention": "keep",
        "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
        **conf,
    }
    parts = [
        "--master",
        f"local[{cores}]",
        "--driver-memory",
        driver_memory,
        "--jars",
        ",".join(map(str, jars)),
    ]
    parts += ["--driver-java-options", java_options]
    for key, value in settings.items():
        parts += ["--conf", f"{key}={value}"]
    return shlex.join([*parts, "pyspark-shell"])


def run_conf(aws: LocalAws) -> dict[str, str]:
    """The Spark settings that point one run's s3a at its embedded AWS (`glue_entry.RUN_CONF`)."""
    endpoint, _ = aws.https_listener()
    return {
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.access.key": aws.environment()["AWS_ACCESS_KEY_ID"],
        "spark.hadoop.fs.s3a.secret.key": aws.environment()["AWS_SECRET_ACCESS_KEY"],
    }


class _Prepared(NamedTuple):
    """A run ready to start: its workspace, script, arguments, environment and Python path."""

    workspace: Path
    script: Path
    argv: list[str]
    env: dict[str, str]
    python_path: list[str]


class GlueJobRunner:
    """Executes Glue job runs started on the embedded AWS. Use as a context manager (installs the hook)."""

    def __init__(
        self,
        aws: LocalAws,
        *,
        work_dir: Path,
        jars_dir: Path = DEFAULT_DEST,
        cores: int = 2,
        driver_memory: str = DRIVER_MEMORY,
        spark_conf: Mapping[str, str] | None = None,
        python: str = sys.executable,
        parallel_runs: int | None = None,
        locality_wait_s: float = LOCALITY_WAIT_S,
    ) -> None:
        missing = missing_jars(jars_dir)
        if missing:
            raise FileNotFoundError(
                f"s3a jars missing: {', '.join(str(path) for path in missing)}; run `make setup` "
                "(it runs `python -m local_aws.jars`)"
            )
        self.aws = aws
        self.work_dir = work_dir
        self.python = python
        self._jars = [path.resolve() for path in jar_paths(jars_dir)]
        self._cores = cores
        self._driver_memory = driver_memory
        self._spark_conf = dict(spark_conf or {})
        self.runs: list[JobRunRecord] = []
        self.parallel_runs = parallel_runs or default_max_drivers()
        self.drivers = shared_pool(python)
        self._waiting = RunQueue(self.drivers, locality_wait_s=locality_wait_s)
        self._workers: list[threading.Thread] = []
        self._idle = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}  # run id -> its process, while it runs

    def submit_args_for(self, glue_version: str) -> str:
        """Spark's submit arguments for a job of that Glue version (its Spark's local settings added)."""
        return spark_submit_args(
            self.aws,
            self._jars,
            spark=runtimes.runtime(glue_version).spark,
            cores=self._cores,
            driver_memory=self._driver_memory,
            conf={**runtimes.runtime(glue_version).local_conf, **self._spark_conf},
        )

    def driver_key(self, glue_version: str) -> DriverKey:
        """The JVM a job of that Glue version runs on: its Spark (first on the path) and submit arguments."""
        return DriverKey(
            glue_version=glue_version,
            python_path=runtimes.python_path(glue_version) or "",
            submit_args=self.submit_args_for(glue_version),
        )

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> GlueJobRunner:
        global _active
        if _active is not None:
            raise RuntimeError("another GlueJobRunner is installed")
        _install_hook()
        self.drivers.attach(log_dir=self.work_dir / "drivers", max_drivers=self.parallel_runs)
        self._workers = [
            threading.Thread(target=self._work, name=f"local-glue-runner-{number}", daemon=True)
            for number in range(1, self.parallel_runs + 1)
        ]
        for worker in self._workers:
            worker.start()
        _active = self
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop: runs not yet started end STOPPED, a running one is killed and its JVM stopped. Idle JVMs
        stay warm for the next runner of the process (`spark_drivers.shared_pool`)."""
        global _active
        _active = None
        self._stopping.set()
        for _, run in self._waiting.close():
            self._finish(run, "STOPPED", "the local Glue runner stopped before the run started")
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
        for process in list(self.processes.values()):
            process.terminate()
        for worker in self._workers:
            worker.join()

    def submit(self, job: Any, run: Any) -> None:
        """Called by the hook inside moto: take over the run's state and queue it."""
        record = JobRunRecord(job_name=job.name, run_id=run.job_run_id, arguments=dict(run.arguments or {}))
        run.local_record = record
        run.__class__ = _executed_run_class()
        run.glue_version = job.glue_version
        self.runs.append(record)
        with self._idle:
            self._pending += 1
        glue_version = str(job.glue_version or DEFAULT_GLUE_VERSION)
        self._waiting.put(job.name, self.driver_key(glue_version), (job, run))

    def wait_until_idle(self, timeout_s: float = 600) -> None:
        """Block until every started run has finished."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s):
                raise TimeoutError(
                    f"Glue runs still running after {timeout_s} s: {[r.run_id for r in self.runs]}"
                )

    # -- execution ------------------------------------------------------------------------

    def _work(self) -> None:
        while (taken := self._waiting.take()) is not None:
            (job, run), lease = taken
            try:
                self._execute(job, run, lease)
            except Exception as error:
                self._finish(
                    run, "FAILED", f"local_aws could not run the job: {type(error).__name__}: {error}"
                )
            finally:
                self._waiting.done(job.name)
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _finish(self, run: Any, state: str, error_message: str | None) -> None:
        record: JobRunRecord = run.local_record
        record.elapsed_s = time.perf_counter() - record.started
        if record.log_file is not None and record.log_file.is_file():
            found = _SPARK_VERSION.findall(record.log_file.read_text(errors="replace"))
            record.spark_version = found[-1] if found else None
        record.error_message = error_message
        run.completed_on = run.modified_on = datetime.now(UTC)
        record.state = state

    def _download(self, url: str, target_dir: Path) -> Path:
        bucket, key = _split_s3(url)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / Path(key).name
        self.aws.client("s3").download_file(bucket, key, str(target))
        return target

    def _execute(self, job: Any, run: Any, lease: Lease) -> None:
        try:
            prepared = self._prepare(job, run, lease.key)
        except BaseException:
            self.drivers.cancel(lease)
            raise
        driver = self.drivers.open(lease, prepared.env)  # a JVM that fails to start gives the lease back
        record: JobRunRecord = run.local_record
        record.warm, record.driver_log = driver.runs > 1, driver.log_file
        clean = False
        try:
            clean = self._run_process(job, run, prepared, driver)
        finally:
            self.drivers.release(driver, reusable=clean)

    def _prepare(self, job: Any, run: Any, key: DriverKey) -> _Prepared:
        """The run's workspace with its script and files, its arguments as Glue passes them, its environment."""
        record: JobRunRecord = run.local_record
        workspace = self.work_dir / job.name / run.job_run_id
        shutil.rmtree(workspace, ignore_errors=True)
        workspace.mkdir(parents=True)
        record.log_file = workspace / "output.log"
        arguments: dict[str, str] = dict(run.arguments or {})
        script = self._download(job.command["ScriptLocation"], workspace / "script")
        python_path: list[str] = []
        for url in filter(None, (part.strip() for part in arguments.get("--extra-py-files", "").split(","))):
            path = self._download(url, workspace / "py-files")
            entry = str(path if path.suffix in {".zip", ".egg", ".whl"} else path.parent)
            if entry not in python_path:
                python_path.append(entry)
        for url in filter(None, (part.strip() for part in arguments.get("--extra-files", "").split(","))):
            self._download(url, workspace)
        argv = ["--JOB_ID", f"j_{job.name}", "--JOB_RUN_ID", run.job_run_id, "--JOB_NAME", job.name]
        for name, value in arguments.items():
            argv += [name, value]
        # the Spark of the job's Glue version (Glue 6.0: Spark 4.1 from .tools/, first on the path)
        if key.python_path:
            python_path.insert(0, key.python_path)
        env = {name: value for name, value in os.environ.items() if name not in _CHILD_ENV_DROPPED}
        env |= self.aws.environment()
        env |= {
            "PYSPARK_PYTHON": self.python,
            "PYSPARK_DRIVER_PYTHON": self.python,
            "SPARK_LOCAL_IP": "127.0.0.1",
            RUN_CONF: json.dumps(run_conf(self.aws)),
        }
        return _Prepared(workspace, script, argv, env, python_path)

    def _run_process(self, job: Any, run: Any, prepared: _Prepared, driver: WarmDriver) -> bool:
        """Run the script's process on `driver`; True when it ended leaving the JVM clean."""
        record: JobRunRecord = run.local_record
        assert record.log_file is not None
        env = {
            **prepared.env,
            **driver.connection(),
            "PYSPARK_SUBMIT_ARGS": driver.key.submit_args,
            "PYTHONPATH": os.pathsep.join(prepared.python_path),
            "PYTHONUNBUFFERED": "1",
        }
        error_file = prepared.workspace / "error.txt"
        command = [
            self.python,
            "-m",
            "local_aws.glue_entry",
            str(error_file),
            str(prepared.script),
            *prepared.argv,
        ]
        record.state = "RUNNING"
        run.modified_on = datetime.now(UTC)
        timeout_min = job.timeout or 2880
        with record.log_file.open("w") as log:
            process = subprocess.Popen(
                command, cwd=prepared.workspace, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            self.processes[record.run_id] = process
            if self._stopping.is_set():  # the runner began to stop while this run's JVM was starting
                process.terminate()
            try:
                returncode = process.wait(timeout=timeout_min * 60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                self._finish(run, "TIMEOUT", f"Job run timed out after {timeout_min} minutes (local)")
                return False
            finally:
                self.processes.pop(record.run_id, None)
        if self._stopping.is_set():
            self._finish(run, "STOPPED", "the local Glue runner stopped during the run")
            return False
        outcome = returncode & ~JVM_NOT_CLEAN if returncode in range(4) else None
        if outcome == SUCCEEDED:
            self._finish(run, "SUCCEEDED", None)
            return returncode == SUCCEEDED
        message = error_file.read_text().strip() if error_file.exists() else ""
        if not message:
            tail = record.log_file.read_text().strip().splitlines()[-5:]
            message = f"script exited with code {returncode}: " + " | ".join(tail)
        self._finish(run, "FAILED", message)
        return returncode == SCRIPT_FAILED
