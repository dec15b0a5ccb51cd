#!/usr/bin/env python3
"""The nyc_taxi job family app: S3 arrival -> audited Glue runs -> queryable tables, per environment.

Everything is built by the job-family framework from `nyc_taxi.spec.SPEC` (see `job_family/app.py`
for what it synthesizes and the context it reads):

    cdk ls
    NycTaxiPipeline-dev
    NycTaxiPipeline-dev/NycTaxi/Etl (dlk-dev-nyc-taxi)
    ...
"""

from __future__ import annotations

from pathlib import Path

from nyc_taxi.spec import SPEC

from job_family.app import synthesize

synthesize(SPEC, app_root=Path(__file__).resolve().parent)
