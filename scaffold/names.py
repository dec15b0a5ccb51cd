"""A job family's name and its spellings; the checks that keep it from clashing with anything."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass

PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MAX_LENGTH = 20  # resource names embed `<prefix>-<env>-<family>`; Glue, IAM and Step Functions cap them


class FamilyNameError(ValueError):
    """The family name cannot be used; the message says why and what to use instead."""


@dataclass(frozen=True)
class FamilyName:
    snake: str  # package, folder, S3 prefix, Glue database suffix: demo_family

    @property
    def kebab(self) -> str:  # resource names: demo-family
        return self.snake.replace("_", "-")

    @property
    def pascal(self) -> str:  # construct ids and classes: DemoFamily
        return "".join(part.capitalize() for part in self.snake.split("_"))

    @property
    def upper(self) -> str:  # constants: DEMO_FAMILY
        return self.snake.upper()

    def replacements(self, source: FamilyName) -> list[tuple[str, str]]:
        """(old, new) pairs for every spelling, in an order where no pair rewrites another's output."""
        return [
            (source.snake, self.snake),
            (source.kebab, self.kebab),
            (source.pascal, self.pascal),
            (source.upper, self.upper),
        ]


def family_name(name: str, *, existing: set[str]) -> FamilyName:
    """`name` as a family name, or FamilyNameError saying what is wrong and how to fix it."""
    if not PATTERN.fullmatch(name) or len(name) > MAX_LENGTH:
        raise FamilyNameError(
            f"NAME={name!r} is not a job family name: use lower-case letters, digits and single "
            f"underscores, starting with a letter, at most {MAX_LENGTH} characters, e.g. NAME=green_taxi"
        )
    if name in existing:
        raise FamilyNameError(f"NAME={name!r}: etl-jobs/{name}/ exists already; pick another name")
    if importlib.util.find_spec(name) is not None:
        raise FamilyNameError(
            f"NAME={name!r} is already an importable module (the family's package would shadow it or be "
            f"shadowed on sys.path); pick another name, e.g. NAME={name}_jobs"
        )
    return FamilyName(name)
