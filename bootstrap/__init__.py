"""Account bootstrap and the one-time pipeline deploys: thin, tested wrappers over the pinned CDK CLI.

`bootstrap.commands` builds the exact command lines (and refuses placeholder accounts);
`python -m bootstrap ...` (what `make bootstrap-deployment`, `make bootstrap-target ENV=<env>` and
`make deploy-infra [ENV=<env>]` run) checks credentials with STS, then runs them, or only prints
them with `--dry-run` (`DRY_RUN=1`).
"""
