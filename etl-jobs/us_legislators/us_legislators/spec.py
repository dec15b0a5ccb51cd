"""The us_legislators job family as the framework sees it (pure Python: no aws_cdk, no pyspark).

Seed 004's data: Popolo persons, memberships and organizations delivered together as JSON Lines under
`us_legislators/deliveries/<delivery_id>/`, one run per complete delivery (or picked up by the
schedule); step 1 conforms and quarantines each input, step 2 joins them and runs `rules/*.sql`.
"""

from __future__ import annotations

from job_family.spec import FamilySpec, PerDelivery, SmokeTest, StepSpec, Zone
from us_legislators import queries
from us_legislators.steps import sample_data, schemas

CONFORM_DELIVERY = StepSpec(
    name="conform_delivery",
    module="us_legislators.steps.conform_delivery",
    description="conform persons, memberships and organizations of one delivery; quarantine the rest",
    static=("conformed_path", "quarantine_path", "report_path", "database"),
    per_run=("source_path", "run_id"),  # source_path: the delivery's folder
    reads=(Zone.RAW,),
    writes=(Zone.CONFORMED, Zone.QUARANTINE, Zone.REPORTS),
)

BUILD_MEMBERSHIPS = StepSpec(
    name="build_memberships",
    module="us_legislators.steps.build_memberships",
    description="join the delivery's conformed inputs into legislator_memberships and run rules/*.sql",
    static=("conformed_path", "purpose_built_path", "rules_path", "report_path", "database"),
    per_run=("run_id",),  # the delivery comes from conform_delivery's report of the same run
    reads=(Zone.CONFORMED, Zone.RULES, Zone.REPORTS),
    writes=(Zone.PURPOSE_BUILT, Zone.REPORTS),
)

SPEC = FamilySpec(
    name="us_legislators",
    description="US legislators (Popolo JSON Lines deliveries): conformed, quarantined, joined",
    datasets=schemas.DATASETS,
    trigger=PerDelivery(),
    steps=(CONFORM_DELIVERY, BUILD_MEMBERSHIPS),
    tables=schemas.TABLES,
    named_queries=queries.named_queries,
    counts_step=CONFORM_DELIVERY.name,
    sample_files=sample_data.sample_files,
    glue_version="6.0",  # Spark 4.1 (ANSI SQL on by default); locally too (job_family/runtimes.py)
    # after each release to dev and test, the pipeline uploads this small valid delivery
    smoke_test=SmokeTest(dataset="persons", fixture="fixtures/smoke_delivery"),
)
