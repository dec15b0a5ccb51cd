"""Everything a local run needs, started and stopped together.

    with local_environment(account_id=..., region=..., work_dir=Path(".local")) as env:
        env.deploy(Path("infrastructure/cdk.out"), Path("etl-jobs/<family>/cdk.out"))
        env.start_event_sources()      # SQS -> Lambda pollers in the background
        ...                            # upload a file; Glue runs happen as the state machine starts them
        env.glue.wait_until_idle()

Order on exit: pollers stop, the Glue runner finishes its current run, the embedded AWS stops.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from job_family.glue.runtime.local_driver import DRIVER_MEMORY
from local_aws.deployer import Deployer, Deployment
from local_aws.glue_runner import GlueJobRunner
from local_aws.jars import DEFAULT_DEST
from local_aws.lambda_runner import LambdaRuntime
from local_aws.server import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, LocalAws, start_local_aws


@dataclass
class LocalEnvironment:
    aws: LocalAws
    deployer: Deployer
    glue: GlueJobRunner
    work_dir: Path
    lambdas: LambdaRuntime | None = None

    @property
    def deployment(self) -> Deployment:
        return self.deployer.deployment

    def deploy(self, *assemblies: Path) -> Deployment:
        """Deploy cloud assemblies in the order given (producers of SSM parameters first)."""
        for assembly in assemblies:
            self.deployer.deploy(assembly)
        return self.deployment

    def start_event_sources(self, *, interval_s: float = 0.2) -> LambdaRuntime:
        """(Re)build the Lambda runtime from what is deployed and poll its SQS event sources in the background."""
        self.stop_event_sources()
        self.lambdas = LambdaRuntime(
            self.aws,
            self.deployment.functions,
            self.deployment.event_source_mappings,
            code_root=self.work_dir / "functions",
        )
        self.lambdas.start(interval_s=interval_s)
        return self.lambdas

    def stop_event_sources(self) -> None:
        if self.lambdas is not None:
            self.lambdas.stop()


@contextmanager
def local_environment(
    *,
    work_dir: Path,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    jars_dir: Path = DEFAULT_DEST,
    spark_cores: int = 2,
    spark_driver_memory: str = DRIVER_MEMORY,
    spark_conf: Mapping[str, str] | None = None,
    retry_wait_scale: float = 1.0,
) -> Iterator[LocalEnvironment]:
    """`retry_wait_scale` < 1 shortens the state machines' retry waits (tests; `start_local_aws`)."""
    with ExitStack() as stack:
        aws = stack.enter_context(
            start_local_aws(account_id=account_id, region=region, retry_wait_scale=retry_wait_scale)
        )
        glue = stack.enter_context(
            GlueJobRunner(
                aws,
                work_dir=work_dir / "glue",
                jars_dir=jars_dir,
                cores=spark_cores,
                driver_memory=spark_driver_memory,
                spark_conf=spark_conf,
            )
        )
        environment = LocalEnvironment(aws=aws, deployer=Deployer(aws), glue=glue, work_dir=work_dir)
        stack.callback(environment.stop_event_sources)
        yield environment
