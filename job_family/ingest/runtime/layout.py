"""The key layout a family's trigger accepts, as the CDK app hands it to the trigger Lambda.

Built from the family's spec at synth time (`ArrivalLayout.of(spec)` in the ingest construct) and
passed to the function as one JSON environment variable, so the trigger code is the same for every
family and never imports a family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PER_OBJECT = "per_object"
PER_DELIVERY = "per_delivery"


@dataclass(frozen=True)
class ArrivalLayout:
    family: str
    # ((dataset, ((file-name suffix, format name), ...)), ...): hashable, so handlers can cache on it
    datasets: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    trigger: str = PER_OBJECT
    deliveries_folder: str = "deliveries"

    @property
    def prefix(self) -> str:
        """The family's folder in the raw bucket, without the trailing slash."""
        return self.family

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.datasets)

    def formats_of(self, dataset: str) -> tuple[tuple[str, str], ...] | None:
        """(suffix, format name) pairs accepted for `dataset`; None for an unknown dataset."""
        return dict(self.datasets).get(dataset)

    def all_suffixes(self) -> tuple[str, ...]:
        return tuple(sorted({suffix for _, formats in self.datasets for suffix, _ in formats}))

    def to_json(self) -> str:
        return json.dumps(
            {
                "family": self.family,
                "datasets": [[name, [list(pair) for pair in formats]] for name, formats in self.datasets],
                "trigger": self.trigger,
                "deliveries_folder": self.deliveries_folder,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ArrivalLayout:
        raw = json.loads(text)
        return cls(
            family=str(raw["family"]),
            datasets=tuple(
                (str(name), tuple((str(suffix), str(kind)) for suffix, kind in formats))
                for name, formats in raw["datasets"]
            ),
            trigger=str(raw.get("trigger", PER_OBJECT)),
            deliveries_folder=str(raw.get("deliveries_folder", "deliveries")),
        )
