"""Athena named queries: the first questions an analyst asks of each dataset.

Each query names the columns it reads, and `named_queries` checks them against the table schemas, so a
schema change that breaks a saved query fails synth instead of failing in front of an analyst.
"""

from __future__ import annotations

from dataclasses import dataclass

from nyc_taxi.jobs.runtime import schemas


@dataclass(frozen=True)
class NamedQuery:
    construct_id: str
    name: str
    description: str
    sql: str
    table: str
    columns: tuple[str, ...]


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _for_dataset(database: str, dataset: str) -> list[NamedQuery]:
    conformed = schemas.conformed_table(dataset).name
    quarantine = schemas.quarantine_table(dataset).name
    queries = [
        NamedQuery(
            construct_id=f"{_pascal(dataset)}TripsPerMonth",
            name=f"{dataset}: trips and revenue per month",
            description=f"Conformed {dataset} trips, distance and revenue per pickup month",
            table=conformed,
            columns=("pickup_year", "pickup_month", "trip_distance", "total_amount"),
            sql=(
                "SELECT pickup_year, pickup_month, count(*) AS trips, "
                "round(sum(trip_distance), 1) AS miles, sum(total_amount) AS revenue\n"
                f'FROM "{database}"."{conformed}"\n'
                "GROUP BY pickup_year, pickup_month\nORDER BY pickup_year, pickup_month"
            ),
        ),
        NamedQuery(
            construct_id=f"{_pascal(dataset)}QuarantineByRule",
            name=f"{dataset}: quarantined rows by rule and file",
            description=f"How many {dataset} rows each data-quality rule rejected, per source file",
            table=quarantine,
            columns=("source_key", "broken_rules"),
            sql=(
                "SELECT source_key, rule, count(*) AS rows_quarantined\n"
                f'FROM "{database}"."{quarantine}" CROSS JOIN UNNEST(broken_rules) AS broken(rule)\n'
                "GROUP BY source_key, rule\nORDER BY rows_quarantined DESC"
            ),
        ),
    ]
    if "daily_zone_metrics" in schemas.PURPOSE_BUILT_RULES:
        metrics = schemas.purpose_built_table(dataset, "daily_zone_metrics").name
        queries.append(
            NamedQuery(
                construct_id=f"{_pascal(dataset)}BusiestZones",
                name=f"{dataset}: busiest pickup zones",
                description=f"The 20 pickup zones with most {dataset} trips (purpose-built daily metrics)",
                table=metrics,
                columns=("pickup_borough", "pickup_zone", "trips", "total_amount"),
                sql=(
                    "SELECT pickup_borough, pickup_zone, sum(trips) AS trips, sum(total_amount) AS revenue\n"
                    f'FROM "{database}"."{metrics}"\n'
                    "GROUP BY pickup_borough, pickup_zone\nORDER BY trips DESC\nLIMIT 20"
                ),
            )
        )
    return queries


def named_queries(database: str) -> list[NamedQuery]:
    queries = [query for dataset in schemas.DATASETS for query in _for_dataset(database, dataset)]
    for query in queries:
        spec = schemas.table(query.table)
        known = set(spec.column_names) | set(spec.partition_names)
        missing = [column for column in query.columns if column not in known]
        if missing:
            raise ValueError(
                f"named query {query.name!r} reads {', '.join(missing)}, which table {query.table} does not "
                "have; update the query in nyc_taxi/catalog/queries.py to the schema in jobs/runtime/schemas.py"
            )
    return queries
