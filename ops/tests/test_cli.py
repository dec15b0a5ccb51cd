"""The command line and the Makefile targets: refusals (one reason, exit 2), dry runs (one block, no AWS
call), CONFIG= honoured, placeholders refused outside `local`."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


class NoAws:
    """A boto3 session that fails the test if a dry run or a refusal calls AWS."""

    def client(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"AWS was called: {args}")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv, session=NoAws())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_status_dry_run_prints_the_reads_as_one_block_without_calling_aws(
    four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["--config", str(four_accounts), "--dry-run", "status", "--family", "nyc_taxi", "--env", "prod"],
        capsys,
    )

    assert (code, err) == (0, "")
    assert out.startswith(
        "# status of nyc_taxi in prod (account 794031862547, eu-west-1), stack dlk-prod-nyc-taxi"
    )
    assert "aws cloudformation describe-stacks --region eu-west-1 --stack-name dlk-prod-nyc-taxi" in out
    assert "--index-name by-status" in out and "--no-scan-index-forward" in out
    assert "lambda list-event-source-mappings" in out
    # every line is a comment or shell the block's own variables make complete
    for line in out.splitlines():
        if not line.startswith("#"):
            shlex.split(line)


@pytest.mark.parametrize(("action", "flag"), [("pause", "--no-enabled"), ("resume", "--enabled")])
def test_pause_and_resume_dry_runs_toggle_the_event_source_mapping(
    action: str, flag: str, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["--config", str(four_accounts), "--dry-run", action, "--family", "nyc_taxi", "--env", "dev"], capsys
    )

    assert code == 0
    assert f'aws lambda update-event-source-mapping --region eu-west-1 --uuid "$MAPPING" {flag}' in out
    assert "TriggerFunctionName" in out and "IngestionQueueUrl" in out


def test_the_sample_configuration_is_refused_for_a_real_environment_with_one_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["--dry-run", "status", "--family", "nyc_taxi", "--env", "dev"], capsys)

    assert code == 2 and out == ""
    assert err.count("stopped:") == 1
    assert "placeholders in the configuration: environments.dev.account (111111111111)" in err


def test_local_needs_the_embedded_aws_endpoint_and_accepts_its_placeholder_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused = run(
        ["--endpoint-url", "", "--dry-run", "pause", "--family", "nyc_taxi", "--env", "local"], capsys
    )
    accepted = run(
        [
            "--endpoint-url",
            "http://127.0.0.1:5000",
            "--dry-run",
            "pause",
            "--family",
            "nyc_taxi",
            "--env",
            "local",
        ],
        capsys,
    )

    assert refused[0] == 2 and "ENDPOINT_URL=http://127.0.0.1:<port>" in refused[2]
    assert accepted[0] == 0
    assert "--region us-east-1 --endpoint-url http://127.0.0.1:5000" in accepted[1]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["status", "--family", "no_such", "--env", "dev"], "FAMILY='no_such' is not a job family"),
        (["status", "--family", "nyc_taxi", "--env", "qa"], "ENV='qa' is not an environment"),
        (["reprocess", "--family", "nyc_taxi", "--env", "dev"], "give exactly one of KEY=<key>"),
        (
            ["reprocess", "--family", "nyc_taxi", "--env", "dev", "--key", "a", "--since", "2026-01-01"],
            "(got KEY, SINCE)",
        ),
        (["reprocess", "--family", "nyc_taxi", "--env", "dev", "--since", "01/02/2026"], "is not a date"),
        (
            ["reprocess", "--family", "nyc_taxi", "--env", "dev", "--key", "a", "--max-concurrent", "0"],
            "MAX_CONCURRENT=0 must be 1 or more",
        ),
        (["erase", "--family", "nyc_taxi", "--env", "dev"], "set KEY=<the source object's key>"),
    ],
)
def test_a_command_that_cannot_run_says_why_once(
    arguments: list[str], reason: str, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--config", str(four_accounts), *arguments], capsys)

    assert code == 2 and out == ""
    assert err.count("stopped:") == 1 and reason in err, err


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    # -o: the toolchain counts as installed (make setup is never run from tests)
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.synced", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_status_without_family_stops_with_one_reason_and_no_make_noise() -> None:
    result = _make("status", "ENV=dev")

    assert result.returncode != 0
    assert (
        result.stderr.strip()
        == "stopped: set FAMILY=<job family> and ENV=<environment>, e.g. make status FAMILY=nyc_taxi ENV=dev"
    )
    assert "make: ***" not in result.stderr


def test_make_erase_dry_run_honours_config_and_refuses_placeholders_once() -> None:
    result = _make("erase", "FAMILY=nyc_taxi", "ENV=test", "KEY=nyc_taxi/yellow_tripdata/a.csv", "DRY_RUN=1")

    assert result.returncode != 0 and result.stdout == ""
    assert (
        result.stderr.count("stopped:") == 1 and "environments.test.account (222222222222)" in result.stderr
    )
    assert "make: ***" not in result.stderr


def test_make_pause_dry_run_prints_the_block(four_accounts: Path) -> None:
    result = _make("pause", "FAMILY=nyc_taxi", "ENV=test", f"CONFIG={four_accounts}", "DRY_RUN=1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# pause nyc_taxi in test (account 617204958321, eu-west-1)")
