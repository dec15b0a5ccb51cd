#!/usr/bin/env python3
"""The us_legislators job family app: complete JSON Lines deliveries -> audited Glue runs -> joined
tables, per environment. Everything is built by the job-family framework from
`us_legislators.spec.SPEC` (see `job_family/app.py` for what it synthesizes and the context it reads):

    cdk ls
    UsLegislatorsPipeline-dev
    UsLegislatorsPipeline-dev/UsLegislators/Etl (dlk-dev-us-legislators)
    ...
"""

from __future__ import annotations

from pathlib import Path

from us_legislators.spec import SPEC

from job_family.app import synthesize

synthesize(SPEC, app_root=Path(__file__).resolve().parent)
