"""job_runtime.session_conf: settings for one block of a job, the session's own values afterwards."""

from __future__ import annotations

import pytest
from nyc_taxi.steps import conform
from pyspark.sql import SparkSession

from job_family.glue.runtime import job_runtime

pytestmark = pytest.mark.spark

WHOLE_STAGE = "spark.sql.codegen.wholeStage"


def test_a_setting_holds_inside_the_block_and_the_previous_value_returns(spark: SparkSession) -> None:
    assert spark.conf.get(WHOLE_STAGE) == "true"
    with job_runtime.session_conf(spark, conform.CLASSIFY_CONF):
        assert spark.conf.get(WHOLE_STAGE) == "false"
    assert spark.conf.get(WHOLE_STAGE) == "true"


def test_the_previous_value_returns_when_the_block_fails(spark: SparkSession) -> None:
    before = spark.conf.get("spark.sql.shuffle.partitions")
    with pytest.raises(RuntimeError), job_runtime.session_conf(spark, {"spark.sql.shuffle.partitions": "7"}):
        assert spark.conf.get("spark.sql.shuffle.partitions") == "7"
        raise RuntimeError("job failed")
    assert spark.conf.get("spark.sql.shuffle.partitions") == before
