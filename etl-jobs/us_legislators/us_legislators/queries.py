"""Athena named queries: the first questions an analyst asks of the us_legislators tables.

Each query names the columns it reads, and `named_queries` checks them against the declared tables, so a
schema change that breaks a saved query fails synth instead of failing in front of an analyst.
"""

from __future__ import annotations

from job_family.spec import NamedQuery
from us_legislators.steps import schemas


def _queries(database: str) -> list[NamedQuery]:
    summary, joined = "members_per_party_and_chamber", schemas.JOINED
    quarantine = schemas.quarantine_table("memberships").name
    return [
        NamedQuery(
            construct_id="PartyBalance",
            name="us_legislators: party balance per chamber and period",
            description="Members per party in each chamber and legislative period, latest delivery first",
            table=summary,
            columns=("delivery_id", "chamber", "legislative_period_id", "party", "members"),
            sql=(
                "SELECT delivery_id, chamber, legislative_period_id, coalesce(party, '(none)') AS party, members\n"
                f'FROM "{database}"."{summary}"\n'
                "ORDER BY delivery_id DESC, chamber, legislative_period_id DESC, members DESC"
            ),
        ),
        NamedQuery(
            construct_id="CurrentMembers",
            name="us_legislators: members with no end date",
            description="Memberships without an end date (sitting members), with chamber and area",
            table=joined,
            columns=("delivery_id", "name", "org_name", "area_id", "start_date", "end_date"),
            sql=(
                "SELECT delivery_id, name, org_name AS chamber, area_id, start_date\n"
                f'FROM "{database}"."{joined}"\n'
                "WHERE end_date IS NULL\nORDER BY delivery_id DESC, chamber, name"
            ),
        ),
        NamedQuery(
            construct_id="OrphanMemberships",
            name="us_legislators: quarantined memberships by rule and delivery",
            description="How many memberships each rule rejected per delivery (orphans: *_missing, *_quarantined)",
            table=quarantine,
            columns=("delivery_id", "broken_rules"),
            sql=(
                "SELECT delivery_id, rule, count(*) AS rows_quarantined\n"
                f'FROM "{database}"."{quarantine}" CROSS JOIN UNNEST(broken_rules) AS broken(rule)\n'
                "GROUP BY delivery_id, rule\nORDER BY delivery_id DESC, rows_quarantined DESC"
            ),
        ),
    ]


def named_queries(database: str) -> list[NamedQuery]:
    queries = _queries(database)
    for query in queries:
        spec = schemas.table(query.table)
        missing = [c for c in query.columns if c not in (*spec.column_names, *spec.partition_names)]
        if missing:
            raise ValueError(
                f"named query {query.name!r} reads {', '.join(missing)}, which table {query.table} does not "
                "have; update us_legislators/queries.py to the schemas in us_legislators/steps/schemas.py"
            )
    return queries
