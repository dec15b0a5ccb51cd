"""Operator commands for a deployed job family, in any environment (and on the embedded local AWS):

    python -m ops status    --family nyc_taxi --env dev            # make status FAMILY=nyc_taxi ENV=dev
    python -m ops pause     --family nyc_taxi --env dev            # make pause ...
    python -m ops resume    --family nyc_taxi --env dev            # make resume ...
    python -m ops reprocess --family nyc_taxi --env dev --key K    # make reprocess ... KEY=|KEYS=|SINCE=
    python -m ops erase     --family nyc_taxi --env dev --key K --confirm   # make erase ... KEY= CONFIRM=1

Every command finds the family's resources from its stack's outputs (`job_family.outputs.Output`, read
with CloudFormation `describe-stacks` of `<prefix>-<env>-<family>`), never by guessing names, and imports
no family. The modules keep planning pure (the target, names, throttling, audit transitions, the erase
plan, the dry-run shell blocks: `target`, `names`, `throttle`, `audit`, `erasure`, `shell`) apart from
the boto3 calls (`aws` builds the clients; `stack`, `deployed` read what is deployed; `status`,
`ingestion`, `reprocess`, `erase` are the commands). `--endpoint-url` (or `AWS_ENDPOINT_URL`) points the
same code at the embedded local AWS.
"""
