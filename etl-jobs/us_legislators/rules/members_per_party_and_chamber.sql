-- Members per chamber, legislative period and party, for one delivery.
-- Inputs (temporary views set up by build_memberships):
--   legislator_memberships  the delivery's joined memberships (one row per membership, with its person
--                           and its organization: org_name is the chamber, e.g. "House of Representatives")
--   organizations           the delivery's conformed organizations (parties among them)
-- The chamber is the membership's organization (a legislature in this data set); the period is its
-- legislative_period_id (e.g. term/115); the party is the organization on_behalf_of_id names, or NULL
-- when the membership names none (step 1 quarantines a membership naming an unknown party).
-- members counts distinct persons, memberships counts rows (a person may hold several in one period).
-- Output: the columns declared for this rule in us_legislators/steps/schemas.py, in that order, then
-- the partition key delivery_id.
SELECT
  m.organization_id AS chamber_id,
  m.org_name AS chamber,
  m.legislative_period_id,
  m.on_behalf_of_id AS party_id,
  p.name AS party,
  COUNT(DISTINCT m.id) AS members,
  COUNT(*) AS memberships,
  m.delivery_id
FROM legislator_memberships AS m
LEFT JOIN organizations AS p
  ON p.id = m.on_behalf_of_id
  AND p.delivery_id = m.delivery_id
GROUP BY
  m.organization_id,
  m.org_name,
  m.legislative_period_id,
  m.on_behalf_of_id,
  p.name,
  m.delivery_id
