"""Family names: the spellings the code uses, and clear errors for names that cannot work."""

from __future__ import annotations

import pytest

from scaffold.names import FamilyName, FamilyNameError, family_name


def test_a_family_name_is_spelled_for_packages_resources_and_classes() -> None:
    name = family_name("green_taxi", existing={"nyc_taxi"})
    assert (name.snake, name.kebab, name.pascal, name.upper) == (
        "green_taxi",
        "green-taxi",
        "GreenTaxi",
        "GREEN_TAXI",
    )
    assert name.replacements(FamilyName("nyc_taxi"))[2] == ("NycTaxi", "GreenTaxi")


@pytest.mark.parametrize("bad", ["Green", "green-taxi", "2taxi", "green__taxi", "a" * 21, ""])
def test_a_name_that_is_not_snake_case_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(FamilyNameError, match=r"e\.g\. NAME=green_taxi"):
        family_name(bad, existing=set())


def test_an_existing_family_is_refused() -> None:
    with pytest.raises(FamilyNameError, match="etl-jobs/nyc_taxi/ exists already"):
        family_name("nyc_taxi", existing={"nyc_taxi"})


@pytest.mark.parametrize("taken", ["json", "delivery", "shared_config"])
def test_a_name_that_is_already_importable_is_refused(taken: str) -> None:
    with pytest.raises(FamilyNameError, match="already an importable module"):
        family_name(taken, existing=set())
