"""The one rule naming every app's pipeline stacks (the apps and `make deploy-*` share it)."""

from __future__ import annotations

import pytest

from delivery.pipeline_ids import pipeline_stack_id


@pytest.mark.parametrize(
    ("app_folder", "expected"),
    [
        ("infrastructure", "InfrastructurePipeline-dev"),
        ("etl-jobs/nyc_taxi", "NycTaxiPipeline-dev"),
        ("etl-jobs/green-fleet_v2", "GreenFleetV2Pipeline-dev"),
    ],
)
def test_pipeline_stack_id_is_the_folder_name_in_pascal_case(app_folder: str, expected: str) -> None:
    assert pipeline_stack_id(app_folder, "dev") == expected


@pytest.mark.parametrize("app_folder", ["/infrastructure", "../elsewhere", "etl-jobs/", ""])
def test_refuses_an_app_folder_outside_the_repository(app_folder: str) -> None:
    with pytest.raises(ValueError, match="is not a relative folder of the repository"):
        pipeline_stack_id(app_folder, "dev")


def test_refuses_a_folder_name_that_gives_an_id_without_a_leading_letter() -> None:
    with pytest.raises(ValueError, match="name the app's folder with a leading letter"):
        pipeline_stack_id("etl-jobs/2024_trips", "dev")
