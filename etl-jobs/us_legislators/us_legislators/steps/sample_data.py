"""A deterministic synthetic us_legislators delivery: Popolo persons, memberships and organizations.

    python -m us_legislators.steps.sample_data --output sample-data/2024-06-01 --persons 300 --dirty 0.05

Writes `<output>/{persons,memberships,organizations}.json` (JSON Lines; `--gzip`: `.json.gz`) shaped like
the public us-legislators data: two chambers and a few parties as organizations, each person with 1-3
consecutive terms in one chamber (start/end dates, constituency, party). A share `--dirty` of persons
and of memberships each break one rule (bad or partial-but-wrong dates, missing names, malformed JSON
lines, nested values of the wrong shape, duplicate ids, orphan memberships...), and a dirty delivery
also holds two broken organizations; `generate(...).expected` gives the rows each rule must quarantine,
cascades included (a membership of a quarantined person is itself quarantined). Valid oddities are
there too: partial birth dates (`1950`, `1950-05`), a seat count given as text. Pure Python; the same
arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Record = dict[str, Any]
HOUSE, SENATE = "d56acebe-8fdc-47bd-8b53-20cd5c7ef4b1", "8fa6c3d2-71dc-478e-a0d7-27f1e3d4d9d3"
PARTIES = (
    ("party/democrat", "Democrat"),
    ("party/republican", "Republican"),
    ("party/independent", "Independent"),
)
STATES = ("al", "ca", "co", "fl", "ga", "il", "ma", "mi", "ny", "oh", "pa", "tx", "va", "wa", "wi")
GIVEN = ("John", "Mary", "Robert", "Patricia", "James", "Linda", "Michael", "Barbara", "William", "Susan",
         "David", "Nancy", "Richard", "Karen", "Thomas", "Lisa", "Charles", "Betty", "Joseph", "Sandra")  # fmt: skip
FAMILY = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Wilson", "Moore",
          "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin", "Thompson", "Lee", "Clark")  # fmt: skip
PERSON_DEFECTS = ("malformed_json", "missing_name", "unparseable_birth_date", "death_before_birth",
                  "unparseable_identifiers", "duplicate_id")  # fmt: skip
MEMBERSHIP_DEFECTS = ("malformed_json", "missing_person_id", "person_missing", "organization_missing",
                      "party_missing", "unparseable_start_date", "end_before_start")  # fmt: skip


@dataclass
class Delivery:
    lines: dict[str, list[str]] = field(default_factory=dict)
    expected: dict[str, Counter[str]] = field(default_factory=dict)  # input -> rule -> rows
    quarantined: Counter[str] = field(default_factory=Counter)  # input -> rows


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _line(record: Record) -> str:
    return json.dumps(record, separators=(", ", ": "))


def _organizations(dirty: bool) -> list[Record]:
    rows: list[Record] = [
        {"id": HOUSE, "name": "House of Representatives", "classification": "legislature", "seats": 435,
         "identifiers": [{"scheme": "wikidata", "identifier": "Q11701"}], "type": "lower house"},
        {"id": SENATE, "name": "Senate", "classification": "legislature", "seats": "100",  # a number as text
         "other_names": [{"name": "United States Senate", "lang": "en", "note": "official"}]},
    ]  # fmt: skip
    rows += [{"id": pid, "name": name, "classification": "party"} for pid, name in PARTIES]
    if dirty:
        rows.append({"id": "party/green", "name": "Green", "classification": "party", "seats": "a few"})
    return rows


def _person(rng: random.Random, index: int) -> Record:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    year, month, day = rng.randint(1930, 1985), rng.randint(1, 12), rng.randint(1, 28)
    birth = rng.choice([f"{year}-{month:02d}-{day:02d}"] * 8 + [f"{year}-{month:02d}", f"{year}"])
    slug = f"{given}_{family}".lower()
    person: Record = {
        "id": _uuid(rng), "name": f"{given} {family}", "given_name": given, "family_name": family,
        "sort_name": f"{family}, {given}", "gender": rng.choice(("male", "female")), "birth_date": birth,
        "image": f"https://theunitedstates.io/images/congress/original/{chr(65 + index % 26)}{index:06d}.jpg",
        "identifiers": [{"scheme": "bioguide", "identifier": f"{chr(65 + index % 26)}{index:06d}"},
                        {"scheme": "wikidata", "identifier": f"Q{rng.randint(1000, 9999999)}"}],
        "links": [{"note": "Wikipedia (en)", "url": f"https://en.wikipedia.org/wiki/{slug}"}],
    }  # fmt: skip
    if rng.random() < 0.3:
        person["contact_details"] = [{"type": "twitter", "value": f"Rep{family}{index}"}]
    if rng.random() < 0.05:
        person["death_date"] = f"{year + rng.randint(60, 90)}-{month:02d}-{day:02d}"
    return person


def _memberships(rng: random.Random, person_id: str) -> list[Record]:
    chamber = rng.choice((HOUSE, HOUSE, HOUSE, SENATE))
    state, party = rng.choice(STATES), rng.choice(PARTIES[:2] * 9 + PARTIES[2:])[0]
    area = f"ocd-division/country:us/state:{state}" + (
        f"/cd:{rng.randint(1, 20)}" if chamber == HOUSE else ""
    )
    first = rng.randint(110, 115)
    rows = []
    for term in range(first, min(first + rng.randint(1, 3), 116)):
        year = 1789 + 2 * (term - 1)
        row: Record = {"person_id": person_id, "organization_id": chamber, "on_behalf_of_id": party,
                       "legislative_period_id": f"term/{term}", "area_id": area,
                       "role": "representative" if chamber == HOUSE else "senator",
                       "start_date": f"{year}-01-03", "end_date": f"{year + 2}-01-03"}  # fmt: skip
        if term == 115 and rng.random() < 0.5:
            del row["end_date"]  # still sitting
        rows.append(row)
    return rows


def _break_person(person: Record, defect: str) -> list[str]:
    if defect == "malformed_json":
        return [_line(person)[:40]]
    edits: dict[str, Record] = {
        "missing_name": {"name": None},
        "unparseable_birth_date": {"birth_date": "03/15/1950"},
        "death_before_birth": {"death_date": str(int(person["birth_date"][:4]) - 5)},
        "unparseable_identifiers": {"identifiers": "bioguide:X000001"},
    }
    return [_line({**person, **edits.get(defect, {})})] * (2 if defect == "duplicate_id" else 1)


def _break_membership(row: Record, defect: str, rng: random.Random) -> str:
    if defect == "malformed_json":
        return _line(row).replace('", "', '" "', 1)
    edits: dict[str, Record] = {
        "missing_person_id": {"person_id": ""},
        "person_missing": {"person_id": _uuid(rng)},
        "organization_missing": {"organization_id": "unknown-chamber"},
        "party_missing": {"on_behalf_of_id": "party/whig"},
        "unparseable_start_date": {"start_date": "Jan 3, 2017"},
        "end_before_start": {"end_date": f"{int(row['start_date'][:4]) - 1}-06-30"},
    }
    return _line({**row, **edits[defect]})


def generate(*, persons: int = 300, dirty: float = 0.0, seed: int = 42) -> Delivery:
    rng = random.Random(seed)
    delivery = Delivery(expected={name: Counter() for name in ("persons", "memberships", "organizations")})

    def expect(dataset: str, rules: set[str], rows: int = 1) -> None:
        for rule in rules:
            delivery.expected[dataset][rule] += rows
        delivery.quarantined[dataset] += rows if rules else 0

    orgs = [_line(o) for o in _organizations(dirty > 0)]
    if dirty > 0:
        orgs.append('{"id": "party/whig", "name": "Whig", ')
        expect("organizations", {"unparseable_seats"})
        expect("organizations", {"malformed_json"})
    person_lines: list[str] = []
    membership_lines: list[str] = []
    for index in range(persons):
        person = _person(rng, index)
        defect = rng.choice(PERSON_DEFECTS) if rng.random() < dirty else ""
        copies = _break_person(person, defect) if defect else [_line(person)]
        person_lines += copies
        expect("persons", {defect} if defect else set(), len(copies))
        cascade = {"malformed_json": "person_missing"}.get(defect, "person_quarantined") if defect else ""
        for row in _memberships(rng, person["id"]):
            own = rng.choice(MEMBERSHIP_DEFECTS) if rng.random() < dirty else ""
            membership_lines.append(_break_membership(row, own, rng) if own else _line(row))
            rules = {own} if own else set()
            if cascade and own not in ("malformed_json", "missing_person_id", "person_missing"):
                rules.add(cascade)
            expect("memberships", rules)
    delivery.lines = {"persons": person_lines, "memberships": membership_lines, "organizations": orgs}
    return delivery


def write_delivery(
    folder: Path, *, persons: int = 300, dirty: float = 0.0, seed: int = 42, compress: bool = False
) -> dict[str, Path]:
    """The delivery's three files in `folder` (created), by input."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for dataset, lines in generate(persons=persons, dirty=dirty, seed=seed).lines.items():
        data = "".join(f"{line}\n" for line in lines).encode("utf-8")
        path = folder / f"{dataset}.json{'.gz' if compress else ''}"
        path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
        paths[dataset] = path
    return paths


def sample_files(folder: Path) -> list[tuple[str, Path]]:
    """The framework's sample (`FamilySpec.sample_files`): one small dirty delivery, `sample-delivery/`."""
    return list(write_delivery(folder / "sample-delivery", persons=200, dirty=0.05).items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="the delivery folder to write")
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--dirty", type=float, default=0.0, help="share of rows breaking a rule (0..1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--gzip", action="store_true", help="write .json.gz files")
    args = parser.parse_args(argv)
    for dataset, path in write_delivery(
        args.output, persons=args.persons, dirty=args.dirty, seed=args.seed, compress=args.gzip
    ).items():
        print(f"{dataset}: {path}")


if __name__ == "__main__":
    main()
