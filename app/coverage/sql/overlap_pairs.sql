-- Stores the shared part (EPSG:4326 MultiPolygon, area in m²) of every pair of zones that involves a
-- zone listed in coverage_stale_zones. ST_Relate with '2********' keeps only pairs whose interiors
-- meet in an area, so neighbours that merely share an edge never reach ST_Intersection. A pair of two
-- stale zones is computed once, from its lower id.
WITH pairs AS MATERIALIZED (
    SELECT s.id AS a, z.id AS b, s.geom AS ga, z.geom AS gb
    FROM coverage_stale_zones t
    JOIN zones s ON s.id = t.id
    JOIN zones z ON z.geom && s.geom AND z.id <> s.id
    -- CASE fixes the order: the planner would run the costly ST_Relate before the cheap id test.
    WHERE CASE WHEN z.id < s.id AND EXISTS (SELECT 1 FROM coverage_stale_zones u WHERE u.id = z.id)
               THEN false
               ELSE ST_Relate(s.geom, z.geom, '2********') END
),
shared AS (
    SELECT least(a, b) AS zone_a, greatest(a, b) AS zone_b,
           ST_Multi(ST_CollectionExtract(ST_Intersection(ga, gb), 3)) AS geom
    FROM pairs
)
INSERT INTO coverage_overlaps (zone_a, zone_b, geom, area_m2)
SELECT zone_a, zone_b, geom, ST_Area(CAST(geom AS geography))
FROM shared
WHERE NOT ST_IsEmpty(geom)
ORDER BY zone_a, zone_b
ON CONFLICT DO NOTHING
