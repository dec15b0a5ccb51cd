-- Daily metrics per pickup zone and payment type, with the zone's borough and name.
-- Inputs (temporary views set up by conformed_to_purpose_built):
--   conformed_trips  the conformed rows of the pickup months the new file touched
--   taxi_zones       reference/taxi_zone_lookup.csv (location_id, borough, zone, service_zone)
-- Output: the columns declared for this rule in nyc_taxi/jobs/runtime/schemas.py, in that order,
-- then the partition keys pickup_year, pickup_month.
SELECT
  CAST(t.pickup_datetime AS DATE) AS pickup_date,
  t.pickup_location_id,
  z.borough AS pickup_borough,
  z.zone AS pickup_zone,
  t.payment_type,
  COUNT(*) AS trips,
  CAST(SUM(t.passenger_count) AS BIGINT) AS passengers,
  SUM(t.trip_distance) AS trip_distance,
  CAST(SUM(t.fare_amount) AS DECIMAL(14, 2)) AS fare_amount,
  CAST(SUM(t.tip_amount) AS DECIMAL(14, 2)) AS tip_amount,
  CAST(SUM(t.tolls_amount) AS DECIMAL(14, 2)) AS tolls_amount,
  CAST(SUM(t.total_amount) AS DECIMAL(14, 2)) AS total_amount,
  ROUND(AVG(CAST(unix_timestamp(t.dropoff_datetime) - unix_timestamp(t.pickup_datetime) AS DOUBLE) / 60), 2)
    AS avg_trip_minutes,
  t.pickup_year,
  t.pickup_month
FROM conformed_trips AS t
LEFT JOIN taxi_zones AS z
  ON z.location_id = t.pickup_location_id
GROUP BY
  CAST(t.pickup_datetime AS DATE),
  t.pickup_location_id,
  z.borough,
  z.zone,
  t.payment_type,
  t.pickup_year,
  t.pickup_month
