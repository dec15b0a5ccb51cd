"""The sample delivery generator: deterministic, Popolo-shaped, referentially sound when clean."""

from __future__ import annotations

import json
from pathlib import Path

from us_legislators.steps import sample_data


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    first = sample_data.write_delivery(tmp_path / "a", persons=50, dirty=0.2, seed=5, compress=True)
    second = sample_data.write_delivery(tmp_path / "b", persons=50, dirty=0.2, seed=5, compress=True)
    assert {d: p.read_bytes() for d, p in first.items()} == {d: p.read_bytes() for d, p in second.items()}
    assert first["persons"].name == "persons.json.gz"
    other = sample_data.generate(persons=50, dirty=0.2, seed=6)
    assert other.lines != sample_data.generate(persons=50, dirty=0.2, seed=5).lines


def test_a_clean_delivery_is_valid_json_whose_memberships_all_resolve() -> None:
    delivery = sample_data.generate(persons=200, seed=1)
    rows = {d: [json.loads(line) for line in lines] for d, lines in delivery.lines.items()}
    persons = {p["id"] for p in rows["persons"]}
    orgs = {o["id"]: o["classification"] for o in rows["organizations"]}
    assert len(persons) == len(rows["persons"]) == 200
    assert all(
        m["person_id"] in persons
        and orgs[m["organization_id"]] == "legislature"
        and orgs[m["on_behalf_of_id"]] == "party"
        for m in rows["memberships"]
    )
    assert len(rows["memberships"]) > 200
    assert sum(delivery.quarantined.values()) == 0
    assert any(len(p["birth_date"]) == 4 for p in rows["persons"])  # partial dates occur
    assert any(isinstance(o.get("seats"), str) for o in rows["organizations"])  # a number as text


def test_a_dirty_delivery_breaks_every_kind_of_rule_and_says_which() -> None:
    delivery = sample_data.generate(persons=300, dirty=0.2, seed=2)
    assert set(sample_data.PERSON_DEFECTS) <= set(delivery.expected["persons"])
    assert set(sample_data.MEMBERSHIP_DEFECTS) <= set(delivery.expected["memberships"])
    assert {"person_quarantined", "person_missing"} <= set(delivery.expected["memberships"])
    malformed = [line for line in delivery.lines["memberships"] if not _is_json(line)]
    assert len(malformed) == delivery.expected["memberships"]["malformed_json"]


def test_cli_writes_a_delivery_folder(tmp_path: Path) -> None:
    sample_data.main(["--output", str(tmp_path / "d1"), "--persons", "10"])
    assert sorted(p.name for p in (tmp_path / "d1").iterdir()) == [
        "memberships.json",
        "organizations.json",
        "persons.json",
    ]


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
