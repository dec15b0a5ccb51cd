"""The framework's contract tests, run once per family through the family's spec.

A family's `tests/test_contracts.py` holds only `from job_family.testing.contracts import *`, and its
`tests/conftest.py` names the family (see `job_family.testing.family`): argument contract, state
machine, audit transitions, catalog, logical ids, cdk-nag and cfn-lint, the environment's cost and
observability switches and the family's dashboard then hold for it.
"""

from job_family.testing.contracts.cost_and_observability import *  # noqa: F403
from job_family.testing.contracts.jobs_and_orchestration import *  # noqa: F403
from job_family.testing.contracts.pipelines import *  # noqa: F403
from job_family.testing.contracts.platform import *  # noqa: F403
from job_family.testing.contracts.stack_units import *  # noqa: F403
