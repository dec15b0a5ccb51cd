"""Athena named queries: the first questions an analyst asks of each dataset.

Each query names the columns it reads; the framework's catalog checks them against the table schemas,
so a schema change that breaks a saved query fails synth instead of failing in front of an analyst.
"""

from __future__ import annotations

from job_family.spec import NamedQuery, pascal
from nyc_taxi.steps import schemas


def _for_dataset(database: str, dataset: str) -> list[NamedQuery]:
    conformed = schemas.conformed_table(dataset).name
    quarantine = schemas.quarantine_table(dataset).name
    queries = [
        NamedQuery(
            construct_id=f"{pascal(dataset)}TripsPerMonth",
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
            construct_id=f"{pascal(dataset)}QuarantineByRule",
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
                construct_id=f"{pascal(dataset)}BusiestZones",
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
    """Every dataset's queries; the framework checks each against its table's schema at synth."""
    return [query for dataset in schemas.DATASETS for query in _for_dataset(database, dataset)]
